//! The platform's recovery plan: one file, versioned, that declares every
//! database, how each recovers in each scenario, and the names the
//! cutover and the drill may touch. Delivered with the deployment
//! (`PLAN_FILE`, by default `/opt/recovery-plan.json`, a Lambda layer).
//!
//! One parser and validator ([`parse`]) serves both the check command
//! (`check-plan`, run by the layer's build) and every function's init
//! ([`load`]): a plan with a mistake is refused before it deploys, naming
//! the field, with the same message wherever it is read. It depends on
//! `restore::request`, whose rules check each database's restore; never the
//! other way. [`expand`] turns a scenario's start into the per-database
//! restore events the restore function already takes.

pub mod alarm;
mod expand;

use std::collections::{BTreeMap, BTreeSet};
use std::time::SystemTime;

use serde::Deserialize;
use serde_json::Value;

use crate::config::{ConfigError, Env};
use crate::restore::request::{self, Scope};
use crate::validate::{self, Globs};

pub use expand::{Expanded, Start, expand};

/// The plan format this dr-lambdas reads.
pub const VERSION: u64 = 1;

/// Where a deployment's plan is, unless `PLAN_FILE` says.
pub const DEFAULT_PLAN_FILE: &str = "/opt/recovery-plan.json";

/// A recovery plan, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub databases: Vec<Database>,
    pub scenarios: BTreeMap<String, Scenario>,
}

/// One database of the platform.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Database {
    /// Short and stable: `orders`, `inventory`.
    pub name: String,
    /// Whether traffic needs it: a required database that fails stops the
    /// cutover; an optional one is reported and left behind.
    #[serde(default = "yes")]
    pub required: bool,
    /// The production record the application connects to (the cutover's).
    pub record: String,
    /// The drill's own record for this database: never a production one.
    pub drill_record: String,
    /// Per scenario, the restore event (restore-database's own fields).
    pub restore: BTreeMap<String, Value>,
    /// What a drill restores where a scenario's restore cannot be drilled
    /// (a standby: a drill would promote production's replica).
    #[serde(default)]
    pub drill: Option<Value>,
}

fn yes() -> bool {
    true
}

/// A scenario: what starts it, and what it does.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Whether it moves customer traffic once every database is back.
    pub moves_traffic: bool,
    /// A point in time, and the databases it affects, are given at its start
    /// (bad data): there is no default of "all databases".
    #[serde(default)]
    pub point_in_time: bool,
    /// The deployment that runs it.
    pub runs_in: RunsIn,
    /// The validation functions that check each restored database.
    #[serde(default)]
    pub validation: Vec<String>,
}

/// An account and a region.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunsIn {
    pub account: String,
    pub region: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: Value,
    databases: Vec<Database>,
    scenarios: BTreeMap<String, Scenario>,
}

/// A mistake in a plan: the field, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("recovery plan: {field}: {reason}")]
pub struct PlanError {
    /// The field's path, e.g. `databases[1].drill_record`.
    pub field: String,
    pub reason: String,
}

fn mistake(field: impl Into<String>, reason: impl Into<String>) -> PlanError {
    PlanError {
        field: field.into(),
        reason: reason.into(),
    }
}

/// The name patterns a plan is held to: the template's
/// `DbRecordNamePattern` and `DrillRecordNamePattern` (IAM cannot read the
/// plan, so these are what its policies will be bound by). Empty: not
/// checked.
#[derive(Debug, Clone, Default)]
pub struct Patterns {
    pub record: Option<Globs>,
    pub drill_record: Option<Globs>,
}

impl Patterns {
    /// `DB_RECORD_NAME_PATTERN` and `DRILL_RECORD_NAME_PATTERN`.
    pub fn from_env(env: &dyn Env) -> Self {
        let globs = |name: &str| env.get(name).map(|v| Globs::parse(&v));
        Patterns {
            record: globs("DB_RECORD_NAME_PATTERN"),
            drill_record: globs("DRILL_RECORD_NAME_PATTERN"),
        }
    }
}

/// Reads and checks the plan in `text`.
pub fn parse(text: &str, patterns: &Patterns) -> Result<Plan, PlanError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    let file: File = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { "plan".to_owned() } else { path };
        mistake(field, e.into_inner().to_string())
    })?;
    if file.version != VERSION {
        return Err(mistake(
            "version",
            format!(
                "is {}, and this dr-lambdas reads version {VERSION}",
                file.version
            ),
        ));
    }
    check_scenarios(&file.scenarios)?;
    check_databases(&file.databases, &file.scenarios, patterns)?;
    Ok(Plan {
        databases: file.databases,
        scenarios: file.scenarios,
    })
}

fn check_scenarios(scenarios: &BTreeMap<String, Scenario>) -> Result<(), PlanError> {
    if scenarios.is_empty() {
        return Err(mistake("scenarios", "must name at least one scenario"));
    }
    for (name, scenario) in scenarios {
        let at = |field: &str| format!("scenarios.{name}.{field}");
        if !is_name(name) {
            return Err(mistake(
                format!("scenarios.{name}"),
                "a scenario's name is 1 to 40 lower-case letters, digits and hyphens",
            ));
        }
        if scenario.runs_in.account.len() != 12
            || !scenario.runs_in.account.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(mistake(
                at("runs_in.account"),
                "must be a 12-digit AWS account id",
            ));
        }
        validate::region_name(&scenario.runs_in.region)
            .map_err(|reason| mistake(at("runs_in.region"), reason))?;
        for (i, arn) in scenario.validation.iter().enumerate() {
            if !is_function_arn(arn) {
                return Err(mistake(
                    at(&format!("validation[{i}]")),
                    format!("'{arn}' is not a Lambda function ARN"),
                ));
            }
        }
        if scenario.moves_traffic && scenario.point_in_time {
            return Err(mistake(
                at("moves_traffic"),
                "a point-in-time scenario (bad data) restores some databases in the region that \
                 serves traffic, and moves no traffic",
            ));
        }
    }
    Ok(())
}

fn check_databases(
    databases: &[Database],
    scenarios: &BTreeMap<String, Scenario>,
    patterns: &Patterns,
) -> Result<(), PlanError> {
    if databases.is_empty() {
        return Err(mistake("databases", "must list at least one database"));
    }
    let mut names = BTreeSet::new();
    let mut records: BTreeMap<String, String> = BTreeMap::new();
    let mut targets: BTreeMap<String, String> = BTreeMap::new();
    for (i, db) in databases.iter().enumerate() {
        let at = |field: &str| format!("databases[{i}].{field}");
        if !is_name(&db.name) {
            return Err(mistake(
                at("name"),
                "is 1 to 40 lower-case letters, digits and hyphens",
            ));
        }
        if !names.insert(db.name.clone()) {
            return Err(mistake(
                at("name"),
                format!("'{}' is listed twice", db.name),
            ));
        }
        for (field, name, own, other) in [
            (
                "record",
                &db.record,
                &patterns.record,
                &patterns.drill_record,
            ),
            (
                "drill_record",
                &db.drill_record,
                &patterns.drill_record,
                &patterns.record,
            ),
        ] {
            if !is_record_name(name) {
                return Err(mistake(
                    at(field),
                    format!("'{name}' is not a record name (lower case, no trailing dot)"),
                ));
            }
            if let Some(own) = own.as_ref().filter(|own| !own.matches(name)) {
                return Err(mistake(
                    at(field),
                    format!("'{name}' is outside its name pattern ({})", own.display()),
                ));
            }
            // A name both patterns match could be changed by a drill (or
            // taken for a drill's): the patterns must not overlap on it.
            if let Some(other) = other.as_ref().filter(|other| other.matches(name)) {
                return Err(mistake(
                    at(field),
                    format!(
                        "'{name}' also matches the {} records' pattern ({}): the patterns overlap",
                        if field == "record" {
                            "drill"
                        } else {
                            "production"
                        },
                        other.display()
                    ),
                ));
            }
            if let Some(first) = records.insert(name.clone(), at(field)) {
                return Err(mistake(
                    at(field),
                    format!("'{name}' is already {first}: each record is one database's, once"),
                ));
            }
        }
        check_restores(i, db, scenarios)?;
        for (scenario, event) in &db.restore {
            let Some(target) = ["standby", "db_cluster", "db_instance"]
                .iter()
                .find_map(|k| event.get(*k).and_then(Value::as_str))
            else {
                continue;
            };
            let region = event
                .get("region")
                .and_then(Value::as_str)
                .or_else(|| scenarios.get(scenario).map(|s| s.runs_in.region.as_str()))
                .unwrap_or_default();
            let key = format!("{scenario} {region} {target}");
            let field = format!("databases[{i}].restore.{scenario}");
            if let Some(first) = targets.insert(key, field.clone()) {
                return Err(mistake(
                    field,
                    format!(
                        "restores into '{target}' in {region}, as {first} does: two databases \
                         would share one copy"
                    ),
                ));
            }
        }
    }
    for (scenario, spec) in scenarios {
        if !spec.moves_traffic {
            continue;
        }
        if let Some((i, db)) = databases
            .iter()
            .enumerate()
            .find(|(_, db)| db.required && !db.restore.contains_key(scenario))
        {
            return Err(mistake(
                format!("databases[{i}].restore"),
                format!(
                    "'{}' is required, and has no restore for '{scenario}', which moves \
                     traffic: traffic would move without it",
                    db.name
                ),
            ));
        }
    }
    Ok(())
}

fn check_restores(
    i: usize,
    db: &Database,
    scenarios: &BTreeMap<String, Scenario>,
) -> Result<(), PlanError> {
    let mut needs_drill = None;
    for (scenario, event) in &db.restore {
        let field = format!("databases[{i}].restore.{scenario}");
        let Some(spec) = scenarios.get(scenario) else {
            return Err(mistake(
                field,
                format!(
                    "no scenario '{scenario}' (the plan's: {})",
                    scenarios.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            ));
        };
        let Some(map) = event.as_object() else {
            return Err(mistake(
                field,
                "must be a restore-database event (a JSON object)",
            ));
        };
        for own in ["dry_run", "drill"] {
            if map.contains_key(own) {
                return Err(mistake(
                    format!("{field}.{own}"),
                    "is the workflow's to set, not the plan's",
                ));
            }
        }
        let mut event = event.clone();
        if spec.point_in_time {
            for fixed in ["restore_time", "snapshot_id", "standby"] {
                if map.contains_key(fixed) {
                    return Err(mistake(
                        format!("{field}.{fixed}"),
                        "a point-in-time scenario's restore time is given when it starts, not \
                         in the plan",
                    ));
                }
            }
            // Checked as the start will send it.
            event["restore_time"] = Value::from("latest");
        } else if map.contains_key("standby") {
            needs_drill = Some(scenario.clone());
        }
        check_event(&field, event, &spec.runs_in.region)?;
    }
    match (&db.drill, needs_drill) {
        (Some(drill), needs) => {
            let field = format!("databases[{i}].drill");
            if drill.get("standby").is_some() {
                return Err(mistake(
                    format!("{field}.standby"),
                    "a drill cannot promote a standby: give its latest snapshot",
                ));
            }
            for own in ["dry_run", "drill"] {
                if drill.get(own).is_some() {
                    return Err(mistake(
                        format!("{field}.{own}"),
                        "is the workflow's to set, not the plan's",
                    ));
                }
            }
            // Without a region of its own, where the scenario it stands in
            // for runs (else its first scenario).
            let region = drill
                .get("region")
                .and_then(Value::as_str)
                .or_else(|| {
                    needs
                        .as_ref()
                        .and_then(|s| scenarios.get(s))
                        .or_else(|| db.restore.keys().find_map(|s| scenarios.get(s)))
                        .map(|s| s.runs_in.region.as_str())
                })
                .unwrap_or_default()
                .to_owned();
            check_event(&field, drill.clone(), &region)?;
        }
        (None, Some(scenario)) => {
            return Err(mistake(
                format!("databases[{i}].drill"),
                format!(
                    "is required: '{}' recovers from a standby in '{scenario}', which a drill \
                     cannot rehearse (it would promote production's replica); give a drillable \
                     source, its latest snapshot",
                    db.name
                ),
            ));
        }
        (None, None) => {}
    }
    Ok(())
}

/// A restore event checked with the restore's own rules, as the function in
/// `region` would read it (no allowlist: the template's patterns bound
/// those, and the plan check runs before the deploy knows them).
fn check_event(field: &str, event: Value, region: &str) -> Result<(), PlanError> {
    let scope = Scope {
        allowlist: None,
        standbys: None,
        regions: None,
        home_region: region,
        account_id: None,
        now: SystemTime::now().into(),
        region_switch_restore: None,
        source_region: None,
    };
    request::parse(event, scope)
        .map(|_| ())
        .map_err(|e| match e {
            crate::error::Error::InvalidRequest {
                field: inner,
                reason,
            } => mistake(format!("{field}.{inner}"), reason),
            other => mistake(field, other.to_string()),
        })
}

/// 1 to 40 lower-case letters, digits and hyphens.
fn is_name(name: &str) -> bool {
    (1..=40).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A record name as IAM's normalized names compare it: lower case, no
/// trailing dot, at least two labels.
fn is_record_name(name: &str) -> bool {
    let labels: Vec<&str> = name.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        })
}

fn is_function_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.split(':').collect();
    matches!(parts.as_slice(), ["arn", p, "lambda", region, account, "function", name, ..]
        if p.starts_with("aws") && validate::region_name(region).is_ok()
            && account.len() == 12 && !name.is_empty())
}

/// The deployment's plan: `PLAN_FILE`, else [`DEFAULT_PLAN_FILE`] when it
/// exists (`None` when neither: no plan deployed). A plan with a mistake
/// stops the function at init, with the check command's message.
pub fn load(env: &dyn Env) -> Result<Option<Plan>, ConfigError> {
    let (path, explicit) = match env.get("PLAN_FILE") {
        Some(path) => (path, true),
        None => (DEFAULT_PLAN_FILE.to_owned(), false),
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if !explicit && e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(ConfigError::new(
                "PLAN_FILE",
                format!("'{path}' cannot be read: {e}"),
            ));
        }
    };
    parse(&text, &Patterns::from_env(env))
        .map(Some)
        .map_err(|e| ConfigError::new("PLAN_FILE", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> String {
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/plan/recovery-plan.json"
        ))
        .expect("the example plan")
    }

    #[test]
    fn the_example_plan_is_a_valid_plan_of_three_databases() {
        let plan = parse(&example(), &Patterns::default()).unwrap();
        let names: Vec<&str> = plan.databases.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["orders", "inventory", "customers"]);
        assert!(plan.scenarios["regional-outage"].moves_traffic);
        assert!(plan.scenarios["bad-data"].point_in_time);
    }

    #[test]
    fn record_names_are_normalized_names() {
        assert!(is_record_name("orders.db.internal"));
        assert!(!is_record_name("Orders.db.internal"));
        assert!(!is_record_name("orders.db.internal."));
        assert!(!is_record_name("orders"));
    }
}
