//! A scenario's start, expanded into the per-database restore events the
//! restore function already takes: what the workflow's `plan` action
//! answers (Step Functions cannot read `/opt`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Plan;
use crate::error::Error;

/// How on-call starts a scenario of the plan.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Start {
    pub scenario: String,
    /// The databases a point-in-time scenario (bad data) affects: required
    /// there, since repointing an unaffected database to a past time loses
    /// its writes since then.
    #[serde(default)]
    pub databases: Option<Vec<String>>,
    /// The point in time of a point-in-time scenario (RFC 3339).
    #[serde(default)]
    pub restore_time: Option<String>,
    /// Optional databases left out, without a redeploy.
    #[serde(default)]
    pub skip: Vec<String>,
}

/// One database of a started scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expanded {
    pub database: String,
    pub required: bool,
    pub record: String,
    pub drill_record: String,
    /// The restore-database event.
    pub restore: Value,
}

/// The databases `start` recovers, each with its restore event.
pub fn expand(plan: &Plan, start: &Start) -> Result<Vec<Expanded>, Error> {
    let Some(scenario) = plan.scenarios.get(&start.scenario) else {
        return Err(Error::invalid(
            "scenario",
            format!(
                "'{}' is not a scenario of the plan (its scenarios: {})",
                start.scenario,
                plan.scenarios
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    };
    let known = |name: &str| plan.databases.iter().any(|d| d.name == name);
    for name in &start.skip {
        match plan.databases.iter().find(|d| &d.name == name) {
            None => {
                return Err(Error::invalid(
                    "skip",
                    format!("'{name}' is not a database of the plan"),
                ));
            }
            Some(db) if db.required => {
                return Err(Error::invalid(
                    "skip",
                    format!(
                        "'{name}' is required: only an optional database may be skipped (the \
                         plan's 'required: false')"
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    let chosen: Vec<String> = if scenario.point_in_time {
        let Some(time) = &start.restore_time else {
            return Err(Error::invalid(
                "restore_time",
                format!(
                    "'{}' restores a point in time: give it (RFC 3339, before the damage)",
                    start.scenario
                ),
            ));
        };
        aws_sdk_rds::primitives::DateTime::from_str(
            time,
            aws_sdk_rds::primitives::DateTimeFormat::DateTimeWithOffset,
        )
        .map_err(|_| {
            Error::invalid(
                "restore_time",
                format!("'{time}' is not an RFC 3339 time (2026-12-01T03:40:00Z)"),
            )
        })?;
        let Some(names) = &start.databases else {
            return Err(Error::invalid(
                "databases",
                format!(
                    "'{}' restores only the databases the bad data touched: name them. There is \
                     no default of all databases: repointing an unaffected one to a past time \
                     loses its writes since then",
                    start.scenario
                ),
            ));
        };
        if names.is_empty() {
            return Err(Error::invalid("databases", "names no database"));
        }
        if let Some(name) = names.iter().find(|n| !known(n)) {
            return Err(Error::invalid(
                "databases",
                format!("'{name}' is not a database of the plan"),
            ));
        }
        names.clone()
    } else {
        if start.databases.is_some() || start.restore_time.is_some() {
            return Err(Error::invalid(
                if start.databases.is_some() {
                    "databases"
                } else {
                    "restore_time"
                },
                format!(
                    "'{}' recovers every database of the plan (leave one out with skip)",
                    start.scenario
                ),
            ));
        }
        plan.databases.iter().map(|d| d.name.clone()).collect()
    };
    let mut out = Vec::new();
    for db in &plan.databases {
        if !chosen.contains(&db.name) || start.skip.contains(&db.name) {
            continue;
        }
        let Some(event) = db.restore.get(&start.scenario) else {
            if scenario.point_in_time {
                return Err(Error::invalid(
                    "databases",
                    format!(
                        "'{}' has no restore for '{}' in the plan",
                        db.name, start.scenario
                    ),
                ));
            }
            continue;
        };
        let mut restore = event.clone();
        if let (true, Some(time)) = (scenario.point_in_time, &start.restore_time) {
            restore["restore_time"] = Value::from(time.clone());
        }
        out.push(Expanded {
            database: db.name.clone(),
            required: db.required,
            record: db.record.clone(),
            drill_record: db.drill_record.clone(),
            restore,
        });
    }
    Ok(out)
}
