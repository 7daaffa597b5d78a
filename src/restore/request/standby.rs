//! A standby to promote: a cross-region read replica, or the secondary
//! cluster of an Aurora global database. Nothing new is created, so none of
//! the fields that shape a new database apply.

use super::{RawRequest, Source, Target, check};
use crate::error::Error;
use crate::validate;

/// The largest `max_data_loss_seconds` taken: a week. A larger limit is no
/// limit, and is more likely a unit mistake (milliseconds).
const MAX_LIMIT_SECONDS: u64 = 7 * 24 * 3600;

/// The event's `max_data_loss_seconds`, checked: at most a week. It bounds a
/// standby's promotion, and a restore of the latest snapshot.
pub(super) fn data_loss_limit(raw: &RawRequest) -> Result<Option<u64>, Error> {
    match raw.max_data_loss_seconds {
        Some(limit) if limit > MAX_LIMIT_SECONDS => Err(Error::invalid(
            "max_data_loss_seconds",
            format!(
                "is {limit}, more than a week ({MAX_LIMIT_SECONDS}): give seconds, not milliseconds"
            ),
        )),
        limit => Ok(limit),
    }
}

/// The target and source of a standby event, or `None` when the event names
/// no standby; refuses a standby field without one.
pub(super) fn decide(raw: &RawRequest) -> Result<Option<(Target, Source)>, Error> {
    let Some(standby) = &raw.standby else {
        if raw.allow_data_loss.is_some() {
            return Err(Error::invalid(
                "allow_data_loss",
                "applies to a standby promotion only (\"standby\")",
            ));
        }
        // The one other restore whose loss is known before it starts: the
        // newest snapshot's age.
        if raw.max_data_loss_seconds.is_some() && raw.snapshot_id.as_deref() != Some("latest") {
            return Err(Error::invalid(
                "max_data_loss_seconds",
                "applies to a standby promotion (\"standby\") or to the latest snapshot \
                 (\"snapshot_id\": \"latest\") only",
            ));
        }
        return Ok(None);
    };
    check("standby", validate::db_instance_identifier(standby))?;
    // A standby is promoted in place: nothing is created from a source, so
    // what would name or shape a new database is a mistake in the event.
    let shaping = [
        ("db_instance", raw.db_instance.is_some()),
        ("db_cluster", raw.db_cluster.is_some()),
        ("writer_instance", raw.writer_instance.is_some()),
        ("snapshot_id", raw.snapshot_id.is_some()),
        ("restore_time", raw.restore_time.is_some()),
        ("source_db_instance", raw.source_db_instance.is_some()),
        ("source_db_cluster", raw.source_db_cluster.is_some()),
        ("source_region", raw.source_region.is_some()),
        ("db_instance_class", raw.db_instance_class.is_some()),
        ("db_subnet_group", raw.db_subnet_group.is_some()),
        (
            "vpc_security_group_ids",
            raw.vpc_security_group_ids.is_some(),
        ),
        ("db_parameter_group", raw.db_parameter_group.is_some()),
        (
            "db_cluster_parameter_group",
            raw.db_cluster_parameter_group.is_some(),
        ),
        ("option_group", raw.option_group.is_some()),
        ("multi_az", raw.multi_az.is_some()),
        ("publicly_accessible", raw.publicly_accessible.is_some()),
        (
            "serverless_v2_capacity",
            raw.serverless_v2_capacity.is_some(),
        ),
        ("tags", raw.tags.is_some()),
    ];
    if let Some((field, _)) = shaping.iter().find(|(_, given)| *given) {
        return Err(Error::invalid(
            *field,
            "cannot be given with standby: a standby is promoted as it is, nothing new is \
             created (drop the field, or restore a snapshot instead of promoting)",
        ));
    }
    let max_data_loss_seconds = data_loss_limit(raw)?;
    let standby = standby.to_ascii_lowercase();
    Ok(Some((
        Target::Standby(standby.clone()),
        Source::Standby {
            standby,
            allow_data_loss: raw.allow_data_loss.unwrap_or(false),
            max_data_loss_seconds,
        },
    )))
}
