//! The settings an event gives, each winning over the source's.

use super::{Capacity, Overrides, RawRequest, check};
use crate::error::Error;
use crate::validate;

// Our own tags take part of RDS's 50-tag limit; leave room for them and the source's.
const MAX_EVENT_TAGS: usize = 20;

// RDS's widest bounds for Serverless v2 (ACUs, in steps of 0.5). Older
// engine versions allow a max of 128 only, and a min of 0 (automatic pause)
// needs a recent one: RDS checks those at the cluster restore, before
// anything exists.
const MAX_ACU: f64 = 256.0;

/// The event's overrides, each checked as RDS would take it.
pub(super) fn decide(raw: &RawRequest) -> Result<Overrides, Error> {
    if let Some(class) = &raw.db_instance_class {
        check("db_instance_class", validate::db_instance_class(class))?;
    }
    for (field, value) in [
        ("db_subnet_group", &raw.db_subnet_group),
        ("db_parameter_group", &raw.db_parameter_group),
        (
            "db_cluster_parameter_group",
            &raw.db_cluster_parameter_group,
        ),
        ("option_group", &raw.option_group),
    ] {
        if let Some(name) = value {
            check(field, validate::group_name(name))?;
        }
    }
    if let Some(capacity) = raw.serverless_v2_capacity {
        check("serverless_v2_capacity", capacity_range(capacity))?;
    }
    if let Some(groups) = &raw.vpc_security_group_ids {
        if groups.is_empty() {
            return Err(Error::invalid(
                "vpc_security_group_ids",
                "must not be empty; leave the field out to keep the source's groups",
            ));
        }
        for (i, id) in groups.iter().enumerate() {
            check(
                &format!("vpc_security_group_ids[{i}]"),
                validate::security_group_id(id),
            )?;
        }
    }
    let tags = raw.tags.clone().unwrap_or_default();
    if tags.len() > MAX_EVENT_TAGS {
        return Err(Error::invalid(
            "tags",
            format!("at most {MAX_EVENT_TAGS} tags (got {})", tags.len()),
        ));
    }
    for (key, value) in &tags {
        check("tags", validate::tag_key(key))?;
        check(&format!("tags.{key}"), validate::tag_value(value))?;
    }
    Ok(Overrides {
        db_instance_class: raw.db_instance_class.clone(),
        db_subnet_group: raw.db_subnet_group.clone(),
        vpc_security_group_ids: raw.vpc_security_group_ids.clone(),
        db_parameter_group: raw.db_parameter_group.clone(),
        option_group: raw.option_group.clone(),
        multi_az: raw.multi_az,
        publicly_accessible: raw.publicly_accessible,
        db_cluster_parameter_group: raw.db_cluster_parameter_group.clone(),
        serverless_v2_capacity: raw.serverless_v2_capacity,
        tags,
    })
}

/// A range RDS would take: 0 <= min <= max <= 256, max at least 1, in steps of 0.5.
fn capacity_range(Capacity { min, max }: Capacity) -> Result<(), String> {
    let step = |v: f64| v.is_finite() && (v * 2.0).fract() == 0.0;
    if !(step(min) && step(max)) {
        return Err(format!(
            "min and max are ACUs in steps of 0.5, like {{\"min\": 0.5, \"max\": 16}} \
             (got min {min}, max {max})"
        ));
    }
    if !(0.0..=max).contains(&min) || !(1.0..=MAX_ACU).contains(&max) {
        return Err(format!(
            "needs 0 <= min <= max, and max from 1 to {MAX_ACU} ACUs (got min {min}, max {max})"
        ));
    }
    Ok(())
}
