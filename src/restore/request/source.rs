//! What the restored data comes from: a snapshot, the newest snapshot of a
//! source, or a point in time of a source; and where that source runs.

use aws_sdk_rds::primitives::{DateTime, DateTimeFormat};

use super::{RawRequest, RestoreTime, Scope, Source, Target, check, rfc3339};
use crate::error::Error;
use crate::validate::{self, SnapshotId};

/// The source of a restore into `target` in `region`; `source_db` is the
/// source database the event names (lower-cased).
pub(super) fn decide(
    raw: &RawRequest,
    source_db: Option<String>,
    target: &Target,
    region: &str,
    scope: &Scope<'_>,
) -> Result<Source, Error> {
    let source_field = target.source_field();
    Ok(
        match (raw.snapshot_id.clone(), raw.restore_time.clone(), source_db) {
            (Some(_), Some(_), _) => {
                return Err(Error::invalid(
                    "restore_time",
                    "cannot be given with snapshot_id: restore either a snapshot or a point in time",
                ));
            }
            (None, None, _) => {
                return Err(Error::invalid(
                    "snapshot_id",
                    "is required (a snapshot, or \"latest\"), unless restore_time asks for a \
                 point-in-time restore",
                ));
            }
            (_, Some(_), None) => {
                return Err(Error::invalid(
                    source_field,
                    "is required with restore_time (a point in time of which database?)",
                ));
            }
            (None, Some(time), Some(source)) => Source::PointInTime {
                source,
                time: restore_time(&time, scope.now)?,
            },
            (Some(snapshot), None, Some(source)) if snapshot == "latest" => Source::Latest {
                source,
                max_data_loss_seconds: super::standby::data_loss_limit(raw)?,
            },
            (Some(snapshot), None, None) if snapshot == "latest" => {
                return Err(Error::invalid(
                    source_field,
                    "is required with \"snapshot_id\": \"latest\" (whose newest snapshot?)",
                ));
            }
            (Some(snapshot), None, source) => Source::Named {
                snapshot: own_snapshot(&snapshot, target, region, scope.account_id)?,
                source,
            },
        },
    )
}

/// Where the source of a point-in-time restore of an instance runs: the
/// event's `source_region`, else the configuration's; `None` for any other
/// restore, which never needs it.
pub(super) fn source_region(
    raw: &RawRequest,
    source: &Source,
    target: &Target,
    scope: &Scope<'_>,
) -> Result<Option<String>, Error> {
    if let Some(given) = &raw.source_region {
        check("source_region", validate::region_name(given))?;
        if !matches!(
            (source, target),
            (Source::PointInTime { .. }, Target::Instance(_))
        ) {
            return Err(Error::invalid(
                "source_region",
                "applies only to a point-in-time restore of db_instance (restore_time): it \
                 names where the source runs, to find its replicated automated backups",
            ));
        }
    }
    Ok(match (source, target) {
        (Source::PointInTime { .. }, Target::Instance(_)) => raw
            .source_region
            .clone()
            .or_else(|| scope.source_region.map(str::to_owned)),
        _ => None,
    })
}

/// A restore time: `latest`, or an RFC 3339 time (with `Z` or an offset)
/// that is not in the future.
pub(super) fn restore_time(text: &str, now: DateTime) -> Result<RestoreTime, Error> {
    if text == "latest" {
        return Ok(RestoreTime::Latest);
    }
    let time = DateTime::from_str(text, DateTimeFormat::DateTimeWithOffset).map_err(|_| {
        Error::invalid(
            "restore_time",
            format!(
                "is not an RFC 3339 time like 2026-11-21T09:30:00Z, nor \"latest\" (got {text:?})"
            ),
        )
    })?;
    if time > now {
        return Err(Error::invalid(
            "restore_time",
            format!(
                "is in the future ({}, now is {}); the latest restorable time is a few minutes \
                 ago at most: use \"latest\"",
                rfc3339(time),
                rfc3339(now)
            ),
        ));
    }
    Ok(RestoreTime::At(time))
}

/// The snapshot to restore, as RDS in `region` will take it: a name, or an
/// ARN of this account in that region, which becomes its name.
///
/// A snapshot of another region cannot be restored here, and one of another
/// account is refused: the role may restore only its own account's, and RDS
/// cannot restore a shared encrypted snapshot at all.
fn own_snapshot(
    id: &str,
    target: &Target,
    region: &str,
    account: Option<&str>,
) -> Result<String, Error> {
    let snapshot =
        validate::snapshot_identifier(id).map_err(|r| Error::invalid("snapshot_id", r))?;
    let wanted = match target {
        Target::Instance(_) => "snapshot",
        Target::Cluster { .. } => "cluster-snapshot",
        Target::Standby(_) => {
            return Err(Error::invalid(
                "snapshot_id",
                "cannot be given with standby: a standby is promoted, not restored",
            ));
        }
    };
    // RDS stores snapshot identifiers in lower case.
    match snapshot {
        SnapshotId::Name(name) => Ok(name.to_ascii_lowercase()),
        SnapshotId::Arn { kind, .. } if kind != wanted => Err(Error::invalid(
            "snapshot_id",
            format!(
                "is a {kind} ARN, but {} restores from a {wanted}",
                match target {
                    Target::Instance(_) => "db_instance",
                    Target::Cluster { .. } => "db_cluster",
                    Target::Standby(_) => "standby",
                }
            ),
        )),
        SnapshotId::Arn { region: other, .. } if other != region => Err(Error::invalid(
            "snapshot_id",
            format!(
                "is a snapshot in {other}, but the restore is in {region}: RDS restores only snapshots of \
                 its own region. Copy it first (aws rds copy-db-snapshot --region {region} \
                 --source-db-snapshot-identifier <ARN> --target-db-snapshot-identifier <name>), or set \
                 \"region\": \"{other}\""
            ),
        )),
        SnapshotId::Arn { account: other, .. } if account.is_some_and(|a| a != other) => {
            Err(Error::invalid(
                "snapshot_id",
                format!(
                    "is a snapshot of account {other}; this function restores only its own account's \
                     snapshots (RDS cannot restore a shared encrypted snapshot at all). Copy it into this \
                     account first (aws rds copy-db-snapshot --source-db-snapshot-identifier <ARN> \
                     --target-db-snapshot-identifier <name> --kms-key-id <your key>), then restore the copy"
                ),
            ))
        }
        // Our own account's ARN is the name in this region. With the account
        // unknown, the ARN goes to RDS as it is, which finds only our own.
        SnapshotId::Arn { name, .. } if account.is_some() => Ok(name.to_ascii_lowercase()),
        SnapshotId::Arn { .. } => Ok(id.to_owned()),
    }
}
