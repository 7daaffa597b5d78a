//! The workflow's pre-flight of its own input, before anything changes: the
//! whole input checked and put into the one shape every later state reads.
//! Pure: the drill record's Route 53 read is the shell's (`mod.rs`), and
//! its answer is judged here by [`drill_record_problem`].
//!
//! What it guarantees, so that no value can turn a drill or a recovery
//! against production:
//! - `drill` is a JSON boolean, or absent (false);
//! - no key outside [`INPUT_KEYS`]: `"Drill": true`, `"dril": true` or an
//!   injected `"prepared"` never reaches a state that would read it;
//! - a scheduled drill (`{"drill": true, "rehearse": <DrillInput>}`) is a
//!   drill whatever `DrillInput` says;
//! - traffic is an explicit choice: a failover event, or `"none"`;
//! - a drill's restore runs under drill names, its failover is a dry run,
//!   and its cutover names the drill record, which is none of the
//!   production records.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::plan;
use crate::error::Error;

/// The keys a workflow input may have.
pub const INPUT_KEYS: [&str; 5] = ["drill", "restore", "failover", "settings", "rehearse"];

/// The keys a scheduled drill's `rehearse` (the `DrillInput` parameter) may
/// have: a drill's input, whose `drill` is ignored (the schedule's wins).
const REHEARSE_KEYS: [&str; 4] = ["drill", "restore", "failover", "settings"];

/// Keys the workflow writes into its own state: an input that sets one
/// could steer a later state, so it is refused with its own reason.
pub const RESERVED_KEYS: [&str; 22] = [
    "deployment",
    "config",
    "prepared",
    "preflight",
    "restored",
    "restore_polls",
    "cleanup",
    "cleanup_polls",
    "cleanup_failure",
    "failure",
    "timeline",
    "traffic",
    "sweep",
    "skip",
    "running",
    "cutover",
    "cutover_before",
    "dns",
    "dns_wait",
    "failed_over",
    "validation_raw",
    "drill_report",
];

/// The poll settings an input may give, each a whole number of at least 1.
const SETTINGS_KEYS: [&str; 6] = [
    "database_poll_seconds",
    "database_max_polls",
    "dns_poll_seconds",
    "dns_max_polls",
    "platform_poll_seconds",
    "platform_max_polls",
];

/// The keys of a platform start: a scenario of the recovery plan.
pub const PLATFORM_KEYS: [&str; 6] = [
    "scenario",
    "databases",
    "restore_time",
    "skip",
    "settings",
    "drill",
];

/// What the deployment configures that the pre-flight needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Records {
    /// The drill's own record (`DRILL_DB_ENDPOINT_RECORD_NAME`), if any.
    pub drill: Option<String>,
    /// Every production record a drill must never touch
    /// (`PRODUCTION_RECORD_NAMES`).
    pub production: Vec<String>,
}

/// A record name as Route 53 compares it: lower case, no trailing dot.
pub fn normalized(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// The input, checked, in the one shape the workflow reads after the
/// pre-flight: every key present, whatever the input left out.
/// `home_region` is the restore function's (the stack's) region: where a
/// restore without `region` runs.
pub fn check(
    input: &Value,
    execution: &str,
    deployment: &Value,
    records: &Records,
    home_region: &str,
) -> Result<Value, Error> {
    let Some(given) = input.as_object() else {
        return Err(Error::invalid(
            "input",
            "must be a JSON object: {\"restore\": {...}, \"failover\": {...} or \"none\"}",
        ));
    };
    let drill = drill_flag(given)?;
    refuse_unknown(given, &INPUT_KEYS, "")?;
    let body = match given.get("rehearse") {
        None => given.clone(),
        Some(_) if !drill => {
            return Err(Error::invalid(
                "rehearse",
                "is a scheduled drill's input, and only comes with \"drill\": true",
            ));
        }
        Some(Value::Object(rehearse)) => {
            if let Some(key) = ["restore", "failover", "settings"]
                .into_iter()
                .find(|k| given.contains_key(*k))
            {
                return Err(Error::invalid(
                    key,
                    "is given both at the top and in rehearse: give it once",
                ));
            }
            refuse_unknown(rehearse, &REHEARSE_KEYS, "rehearse.")?;
            rehearse.clone()
        }
        Some(_) => {
            return Err(Error::invalid(
                "rehearse",
                "must be a drill's input (a JSON object): the DrillInput parameter",
            ));
        }
    };
    let restore = match body.get("restore") {
        Some(Value::Object(r)) => Value::Object(r.clone()),
        Some(_) => {
            return Err(Error::invalid(
                "restore",
                "must be a restore-database event (a JSON object)",
            ));
        }
        None => {
            return Err(Error::invalid(
                "restore",
                "is missing: the restore-database event of the database to recover",
            ));
        }
    };
    let failover = match body.get("failover") {
        Some(Value::Object(f)) => Some(Value::Object(f.clone())),
        Some(Value::String(s)) if s == "none" => None,
        Some(_) | None => {
            return Err(Error::invalid(
                "failover",
                "must say whether traffic moves: a failover-region event ({\"primary_region\": \
                 ..., \"secondary_region\": ...}) to move it, or \"none\" for a bad-data \
                 recovery that repoints the database name and moves no traffic",
            ));
        }
    };
    // The workflow acts for real: a dry run would report a recovery that
    // restored or moved nothing (the workflow runs both dry runs itself).
    for (half, event) in [("restore", Some(&restore)), ("failover", failover.as_ref())] {
        if event
            .and_then(|e| e.get("dry_run"))
            .is_some_and(|v| v != &Value::Bool(false))
        {
            return Err(Error::invalid(
                format!("{half}.dry_run"),
                format!(
                    "the workflow runs the {half}'s dry run itself, then acts: leave dry_run out \
                     (for a dry run alone, invoke the function directly)"
                ),
            ));
        }
    }
    // A drill marker would restore production as a drill's copy: tagged
    // for the drill's delete, unprotected. Only the pre-flight sets it.
    if restore.get("drill").is_some() {
        return Err(Error::invalid(
            "restore.drill",
            "is the workflow's to set, for a drill's copy only: leave it out (start a drill with \
             \"drill\": true)",
        ));
    }
    let settings = settings(body.get("settings"))?;
    let mut deployment = match deployment {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    let traffic = failover.is_some();
    // Where the restore runs: for a recovery that moves no traffic, the
    // workflow checks that traffic is served from there now.
    let restore_region = restore
        .get("region")
        .and_then(Value::as_str)
        .unwrap_or(home_region)
        .to_owned();
    let (restore, failover, prepared) = if drill {
        let (restore, dry) =
            plan::drill_inputs(&restore, failover.as_ref().unwrap_or(&json!({})), execution)?;
        drill_record_is_not_production(records)?;
        // The cutover names the drill record, never a production name; no
        // drill record configured: no cutover at all.
        let record = records.drill.as_deref().map(normalized).unwrap_or_default();
        deployment.insert("record_fqdn".into(), json!(format!("{record}.")));
        deployment.insert("record_name".into(), json!(record));
        // `restores` and `copies` are a platform drill's; one database's
        // sweep reads its restore from the list, and its cleanup deletes the
        // configured drill record (no copies).
        let prepared = json!({"marker": plan::marker(execution), "restore": restore,
                              "restores": [restore], "copies": []});
        (restore, if traffic { dry } else { json!({}) }, prepared)
    } else {
        (restore, failover.unwrap_or_else(|| json!({})), json!({}))
    };
    Ok(json!({
        "drill": drill,
        "traffic": traffic,
        "restore": restore,
        "failover": failover,
        "settings": settings,
        "deployment": deployment,
        "prepared": prepared,
        "restore_region": restore_region,
        "platform": null,
    }))
}

/// Whether `input` starts a scenario of the plan: a recovery
/// (`{"scenario": ...}`), a drill of one (`"drill": true` beside it), or a
/// scheduled drill of one (`{"drill": true, "rehearse": {"scenario": ...}}`).
pub fn is_platform(input: &Value) -> bool {
    input.get("scenario").is_some()
        || input
            .get("rehearse")
            .and_then(|r| r.get("scenario"))
            .is_some()
}

/// The input's `drill`: a JSON boolean, or absent (false). Anything else is
/// refused: a drill that is not surely a drill could be a recovery.
fn drill_flag(given: &Map<String, Value>) -> Result<bool, Error> {
    match given.get("drill") {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(Error::invalid(
            "drill",
            format!(
                "must be true or false (a JSON boolean), not {other}: a drill that is not \
                 surely a drill could be a recovery"
            ),
        )),
    }
}

/// A platform start's body, and whether it is a drill: `drill` is a JSON
/// boolean; `rehearse` (the schedule's `DrillInput`) comes only with
/// `"drill": true`, and is then the body, so that a schedule can only start
/// a drill whatever `DrillInput` says.
pub fn platform_body(given: &Map<String, Value>) -> Result<(bool, Map<String, Value>), Error> {
    let drill = drill_flag(given)?;
    match given.get("rehearse") {
        None => Ok((drill, given.clone())),
        Some(_) if !drill => Err(Error::invalid(
            "rehearse",
            "is a scheduled drill's input, and only comes with \"drill\": true",
        )),
        Some(Value::Object(rehearse)) => {
            refuse_unknown(given, &["drill", "rehearse"], "")?;
            refuse_unknown(rehearse, &PLATFORM_KEYS, "rehearse.")?;
            Ok((true, rehearse.clone()))
        }
        Some(_) => Err(Error::invalid(
            "rehearse",
            "must be a drill's input (a JSON object): the DrillInput parameter",
        )),
    }
}

/// A drill of a scenario, made from the plan's expansion: each database's
/// restore becomes its drill copy (under drill names, with this drill's
/// marker), and its record its drill record. Where the scenario promotes a
/// standby, which a drill must not (it would promote production's
/// replica), the plan's `drill` source is restored instead, and the
/// database says `promotion_not_rehearsed`. `drill_sources` maps each
/// database to that source. Answers the drill's `prepared`: its marker, its
/// copies and their restores, all the cleanup deletes.
pub fn drill_platform(
    expanded: &mut Value,
    drill_sources: &BTreeMap<String, Value>,
    execution: &str,
    records: &Records,
) -> Result<Value, Error> {
    let production: Vec<String> = records.production.iter().map(|r| normalized(r)).collect();
    let mut copies = Vec::new();
    let mut restores = Vec::new();
    for db in expanded["databases"].as_array_mut().into_iter().flatten() {
        let name = db["database"].as_str().unwrap_or_default().to_owned();
        let mut restore = db["restore"].clone();
        let standby = restore.get("standby").is_some();
        if standby {
            let Some(source) = drill_sources.get(&name) else {
                return Err(Error::Misconfigured {
                    variable: "PLAN_FILE",
                    reason: format!(
                        "'{name}' recovers from a standby, and has no drill source in the plan \
                         (its \"drill\"), which a drill restores instead; nothing was changed"
                    ),
                });
            };
            let region = restore.get("region").cloned();
            restore = source.clone();
            if let (Some(map), Some(region)) = (restore.as_object_mut(), region) {
                map.entry("region").or_insert(region);
            }
        }
        let (copy, _) = plan::drill_inputs(&restore, &json!({}), execution)?;
        let record = normalized(db["drill_record"].as_str().unwrap_or_default());
        if record.is_empty() || production.contains(&record) {
            return Err(Error::Misconfigured {
                variable: "PRODUCTION_RECORD_NAMES",
                reason: format!(
                    "names '{record}', the drill record of '{name}': a drill would point a \
                     production name at its copy, then delete it; nothing was changed"
                ),
            });
        }
        db["restore"] = copy.clone();
        db["record"] = json!(record);
        db["promotion_not_rehearsed"] = json!(standby);
        copies.push(json!({"database": name, "record": record, "restore": copy}));
        restores.push(copy);
    }
    Ok(json!({
        "marker": plan::marker(execution),
        "restore": null,
        "restores": restores,
        "copies": copies,
    }))
}

/// The start of a platform recovery (`{"scenario": ...}`, or a drill's
/// body): its keys, and the scenario's own fields, before the plan expands
/// it.
pub fn platform_start(given: &Map<String, Value>) -> Result<crate::plan::Start, Error> {
    refuse_unknown(given, &PLATFORM_KEYS, "")?;
    crate::validate::decode(Value::Object(
        given
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "settings" | "drill"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    ))
}

/// A platform start (`{"scenario": ...}`), checked and shaped as
/// [`check`] shapes one database's: `expanded` is the `plan` action's
/// answer for its scenario (the plan's databases, each with its restore
/// event). The cutover needs the private zone; a scenario that moves
/// traffic, the two regions. A drill (`expanded` made by
/// [`drill_platform`]) moves no traffic, and may restore in any region.
pub fn check_platform(
    given: &Map<String, Value>,
    expanded: Value,
    deployment: &Value,
    home_region: &str,
    drill: bool,
) -> Result<Value, Error> {
    let settings = settings(given.get("settings"))?;
    let text = |key: &str| {
        deployment
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    if text("zone_id").is_empty() {
        return Err(Error::Misconfigured {
            variable: "PrivateHostedZoneId",
            reason: "is empty, and a scenario's cutover repoints its databases' records in that \
                     private zone: deploy with it"
                .to_owned(),
        });
    }
    let traffic = expanded["moves_traffic"] == true && !drill;
    let failover = if traffic {
        let (primary, secondary) = (text("primary_region"), text("secondary_region"));
        if primary.is_empty() || secondary.is_empty() {
            return Err(Error::Misconfigured {
                variable: "PrimaryRegion",
                reason: "and SecondaryRegion are needed to move traffic once the scenario's \
                         databases are back"
                    .to_owned(),
            });
        }
        json!({"primary_region": primary, "secondary_region": secondary})
    } else {
        json!({})
    };
    let databases: Vec<Value> = expanded["databases"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            json!({
                "database": d["database"],
                "required": d["required"],
                "record": d["record"],
                "restore": d["restore"],
                "promotion_not_rehearsed": d.get("promotion_not_rehearsed").cloned().unwrap_or(Value::Bool(false)),
            })
        })
        .collect();
    if databases.is_empty() {
        return Err(Error::invalid(
            "scenario",
            "recovers no database (every one is skipped, or none has a restore for it)",
        ));
    }
    // Where the databases restore: a scenario that moves no traffic
    // repoints their names where traffic is served now, which the workflow
    // checks against this one region.
    let regions: std::collections::BTreeSet<String> = databases
        .iter()
        .map(|d| {
            d["restore"]["region"]
                .as_str()
                .unwrap_or(home_region)
                .to_owned()
        })
        .collect();
    let restore_region = match (traffic || drill, regions.len()) {
        (_, 1) | (true, _) => regions
            .iter()
            .next()
            .cloned()
            .unwrap_or_else(|| home_region.to_owned()),
        (false, _) => {
            return Err(Error::invalid(
                "databases",
                format!(
                    "restore in several regions ({}), and this scenario moves no traffic: its \
                     names are repointed where traffic is served now, one region. Start one \
                     scenario per region",
                    regions.iter().cloned().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    };
    Ok(json!({
        "drill": drill,
        "traffic": traffic,
        "restore": {},
        "failover": failover,
        "settings": settings,
        "deployment": deployment,
        "prepared": {},
        "restore_region": restore_region,
        "platform": {
            "scenario": expanded["scenario"],
            "moves_traffic": traffic,
            "databases": databases,
        },
    }))
}

fn refuse_unknown(map: &Map<String, Value>, allowed: &[&str], prefix: &str) -> Result<(), Error> {
    let Some(key) = map.keys().find(|k| !allowed.contains(&k.as_str())) else {
        return Ok(());
    };
    let reason = if RESERVED_KEYS.contains(&key.as_str()) {
        "is the workflow's own state, which an input may not set".to_owned()
    } else {
        "is not a key of the workflow's input".to_owned()
    };
    Err(Error::invalid(
        format!("{prefix}{key}"),
        format!("{reason} (it takes {})", allowed.join(", ")),
    ))
}

fn settings(given: Option<&Value>) -> Result<Value, Error> {
    let map = match given {
        None => return Ok(json!({})),
        Some(Value::Object(map)) => map,
        Some(_) => {
            return Err(Error::invalid(
                "settings",
                "must be a JSON object of poll settings",
            ));
        }
    };
    refuse_unknown(map, &SETTINGS_KEYS, "settings.")?;
    for (key, value) in map {
        if !value.as_u64().is_some_and(|n| (1..=100_000).contains(&n)) {
            return Err(Error::invalid(
                format!("settings.{key}"),
                "must be a whole number from 1 to 100000",
            ));
        }
    }
    Ok(Value::Object(map.clone()))
}

/// The drill record is none of the production records, compared as Route 53
/// compares names. The template's Rule refuses the same at deploy; this is
/// the guard for a deployment that bypassed it.
pub fn drill_record_is_not_production(records: &Records) -> Result<(), Error> {
    let Some(drill) = records.drill.as_deref().map(normalized) else {
        return Ok(());
    };
    if let Some(production) = records.production.iter().find(|p| normalized(p) == drill) {
        return Err(Error::Misconfigured {
            variable: "DRILL_DB_ENDPOINT_RECORD_NAME",
            reason: format!(
                "is the production record '{production}': a drill would point production's \
                 database name at its throwaway copy, then delete it. Give the drill a record \
                 of its own (DrillDbEndpointRecordName)"
            ),
        });
    }
    Ok(())
}

/// One record set of the drill record's name, as Route 53 lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSet {
    pub set_identifier: Option<String>,
    pub alias: bool,
    pub values: Vec<String>,
}

/// Whether `value` is a drill copy's endpoint: its first label is a drill
/// identifier (`orders-dr-d1a2b3c4e.xxxx.us-west-2.rds.amazonaws.com`).
pub fn is_drill_endpoint(value: &str) -> bool {
    let value = normalized(value);
    value
        .split('.')
        .next()
        .is_some_and(crate::validate::is_drill_identifier)
}

/// Why the drill may not use (or its cleanup delete) the record whose sets
/// under its name are `sets`; `None`: it may. Only a plain CNAME whose
/// value is a drill's endpoint is a drill record: anything else is someone
/// else's, and a drill that UPSERTed it, or deleted it, would change it.
pub fn drill_record_problem(name: &str, sets: &[RecordSet]) -> Option<String> {
    for set in sets {
        if let Some(id) = &set.set_identifier {
            return Some(format!(
                "'{name}' has a record set with SetIdentifier '{id}' (weighted, latency or \
                 failover routing): a drill record is a plain CNAME"
            ));
        }
        if set.alias {
            return Some(format!(
                "'{name}' is an alias record: a drill record is a plain CNAME"
            ));
        }
        if let Some(value) = set.values.iter().find(|v| !is_drill_endpoint(v)) {
            return Some(format!(
                "'{name}' points at '{value}', which is not a drill copy's endpoint (its first \
                 label ending -d and 8 hex digits): it may be production's"
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {

    fn expanded(moves_traffic: bool, regions: &[&str]) -> Value {
        json!({"scenario": "bad-data", "moves_traffic": moves_traffic,
               "databases": regions.iter().enumerate().map(|(i, r)| json!({
                   "database": format!("db{i}"), "required": true, "record": format!("db{i}.db.internal"),
                   "restore": {"db_instance": format!("db{i}-x"), "region": r}})).collect::<Vec<_>>()})
    }

    #[test]
    fn a_scheduled_drill_of_a_scenario_is_a_drill_whatever_its_rehearse_says() {
        let given =
            json!({"drill": true, "rehearse": {"scenario": "regional-outage", "drill": false}});
        let (drill, body) = platform_body(given.as_object().expect("an object")).expect("a drill");
        assert!(drill);
        assert_eq!(body["scenario"], "regional-outage");
        assert!(is_platform(&given));
    }

    #[test]
    fn rehearse_without_a_drill_and_a_drill_that_is_not_a_boolean_are_refused() {
        let alone = json!({"rehearse": {"scenario": "regional-outage"}});
        let err = platform_body(alone.as_object().expect("an object")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("rehearse: is a scheduled drill's input"),
            "{err}"
        );
        let text = json!({"scenario": "regional-outage", "drill": "true"});
        let err = platform_body(text.as_object().expect("an object")).unwrap_err();
        assert!(
            err.to_string().starts_with("drill: must be true or false"),
            "{err}"
        );
    }

    #[test]
    fn a_drill_of_a_scenario_restores_copies_under_drill_names_at_the_drill_records() {
        let mut plan = json!({"scenario": "regional-outage", "moves_traffic": true, "databases": [
            {"database": "orders", "required": true, "record": "orders.db.internal",
             "drill_record": "orders.drill.internal",
             "restore": {"standby": "orders-replica", "region": "us-west-2"}},
            {"database": "customers", "required": false, "record": "customers.db.internal",
             "drill_record": "customers.drill.internal",
             "restore": {"db_instance": "customers-dr", "snapshot_id": "latest",
                         "source_db_instance": "customers", "region": "us-west-2"}}]});
        let sources = BTreeMap::from([(
            "orders".to_owned(),
            json!({"db_instance": "orders-copy", "snapshot_id": "latest", "source_db_instance": "orders"}),
        )]);

        let prepared =
            drill_platform(&mut plan, &sources, "drill-1", &Records::default()).expect("a drill");

        let orders = &plan["databases"][0];
        assert_eq!(orders["record"], "orders.drill.internal");
        assert_eq!(orders["promotion_not_rehearsed"], true);
        assert_eq!(orders["restore"]["region"], "us-west-2");
        assert_eq!(orders["restore"]["drill"], "drill-1");
        let suffix = plan::suffix("drill-1");
        assert_eq!(
            orders["restore"]["db_instance"],
            format!("orders-copy{suffix}")
        );
        assert_eq!(plan["databases"][1]["promotion_not_rehearsed"], false);
        assert_eq!(prepared["copies"].as_array().map(Vec::len), Some(2));
        assert_eq!(
            prepared["restores"][1]["db_instance"],
            format!("customers-dr{suffix}")
        );
    }

    #[test]
    fn a_drill_record_among_the_production_records_is_refused() {
        let mut plan = json!({"databases": [{"database": "orders", "record": "orders.db.internal",
            "drill_record": "orders.drill.internal",
            "restore": {"db_instance": "orders-dr", "snapshot_id": "latest", "source_db_instance": "orders"}}]});
        let records = Records {
            drill: None,
            production: vec!["Orders.Drill.Internal.".to_owned()],
        };

        let err = drill_platform(&mut plan, &BTreeMap::new(), "drill-1", &records).unwrap_err();

        assert_eq!(err.name(), "Misconfigured");
        assert!(
            err.to_string()
                .contains("a drill would point a production name"),
            "{err}"
        );
    }

    #[test]
    fn a_platform_start_that_moves_no_traffic_restores_in_one_region_which_it_names() {
        let deployment = json!({"zone_id": "Z1"});
        let checked = check_platform(
            &Map::new(),
            expanded(false, &["us-east-1", "us-east-1"]),
            &deployment,
            "us-west-2",
            false,
        )
        .expect("one region");
        assert_eq!(checked["restore_region"], "us-east-1");
        assert_eq!(checked["traffic"], false);

        let refused = check_platform(
            &Map::new(),
            expanded(false, &["us-east-1", "us-west-2"]),
            &deployment,
            "us-west-2",
            false,
        )
        .expect_err("two regions");
        assert!(
            refused
                .to_string()
                .starts_with("databases: restore in several regions (us-east-1, us-west-2)"),
            "{refused}"
        );
    }

    #[test]
    fn a_platform_start_without_the_private_zone_is_misconfigured() {
        let refused = check_platform(
            &Map::new(),
            expanded(false, &["us-east-1"]),
            &json!({"zone_id": ""}),
            "us-west-2",
            false,
        )
        .expect_err("no zone");
        assert_eq!(refused.name(), "Misconfigured");
    }

    use super::*;

    fn records() -> Records {
        Records {
            drill: Some("drill.db.orders.internal".into()),
            production: vec!["db.orders.internal".into()],
        }
    }

    fn checked(input: Value) -> Result<Value, Error> {
        check(
            &input,
            "exec-1",
            &json!({"record_name": "db.orders.internal", "zone_id": "Z1"}),
            &records(),
            "us-west-2",
        )
    }

    fn refusal(input: Value) -> (String, String) {
        let err = checked(input).unwrap_err();
        (err.name().to_owned(), err.to_string())
    }

    fn restore() -> Value {
        json!({"db_instance": "orders-dr", "snapshot_id": "latest", "source_db_instance": "orders"})
    }

    fn failover() -> Value {
        json!({"primary_region": "us-east-1", "secondary_region": "us-west-2"})
    }

    #[test]
    fn a_recovery_keeps_its_restore_and_failover_and_moves_traffic() {
        let out = checked(json!({"restore": restore(), "failover": failover()})).unwrap();
        assert_eq!(out["drill"], false);
        assert_eq!(out["traffic"], true);
        assert_eq!(out["restore"], restore());
        assert_eq!(out["failover"], failover());
        assert_eq!(out["settings"], json!({}));
        assert_eq!(out["prepared"], json!({}));
        assert_eq!(out["deployment"]["record_name"], "db.orders.internal");
    }

    #[test]
    fn failover_none_is_a_recovery_that_moves_no_traffic() {
        let out = checked(json!({"restore": restore(), "failover": "none"})).unwrap();
        assert_eq!(out["traffic"], false);
        assert_eq!(out["failover"], json!({}));
    }

    #[test]
    fn the_restore_region_is_the_events_else_the_functions_own() {
        let out = checked(json!({"restore": restore(), "failover": "none"})).unwrap();
        assert_eq!(out["restore_region"], "us-west-2");
        let mut elsewhere = restore();
        elsewhere["region"] = json!("us-east-1");
        let out = checked(json!({"restore": elsewhere, "failover": "none"})).unwrap();
        assert_eq!(out["restore_region"], "us-east-1");
    }

    #[test]
    fn an_input_without_failover_is_refused_naming_both_choices() {
        let (name, message) = refusal(json!({"restore": restore()}));
        assert_eq!(name, "InvalidRequest");
        assert!(
            message.starts_with("failover: must say whether traffic moves"),
            "{message}"
        );
        assert!(message.contains("\"none\""), "{message}");
    }

    #[test]
    fn a_drill_flag_that_is_not_a_boolean_is_refused() {
        for drill in [json!("true"), json!(1), json!(null)] {
            let (name, message) =
                refusal(json!({"drill": drill, "restore": restore(), "failover": failover()}));
            assert_eq!(name, "InvalidRequest");
            assert!(
                message.starts_with("drill: must be true or false"),
                "{message}"
            );
        }
    }

    #[test]
    fn a_misspelled_drill_key_is_refused_not_taken_for_a_recovery() {
        for key in ["Drill", "dril"] {
            let (_, message) =
                refusal(json!({key: true, "restore": restore(), "failover": failover()}));
            assert!(
                message.starts_with(&format!("{key}: is not a key")),
                "{message}"
            );
        }
    }

    #[test]
    fn an_injected_workflow_key_is_refused() {
        let (_, message) = refusal(
            json!({"drill": true, "restore": restore(), "failover": failover(),
                                          "prepared": {"marker": "x"}}),
        );
        assert!(
            message.starts_with("prepared: is the workflow's own state"),
            "{message}"
        );
    }

    #[test]
    fn a_scheduled_drill_is_a_drill_whatever_its_rehearsed_input_says() {
        for inner in [json!(null), json!(false), json!("true")] {
            let mut rehearse = json!({"restore": restore(), "failover": failover()});
            if !inner.is_null() {
                rehearse["drill"] = inner;
            }
            let out = checked(json!({"drill": true, "rehearse": rehearse})).unwrap();
            assert_eq!(out["drill"], true);
            assert!(
                crate::validate::is_drill_identifier(
                    out["restore"]["db_instance"].as_str().unwrap()
                ),
                "{out}"
            );
            assert_eq!(out["failover"]["dry_run"], true);
            assert_eq!(out["deployment"]["record_name"], "drill.db.orders.internal");
        }
    }

    #[test]
    fn rehearse_without_drill_true_is_refused() {
        let (_, message) =
            refusal(json!({"rehearse": {"restore": restore(), "failover": failover()}}));
        assert!(
            message.starts_with("rehearse: is a scheduled drill's input"),
            "{message}"
        );
    }

    #[test]
    fn a_drill_cuts_over_the_drill_record_and_names_its_marker() {
        let out =
            checked(json!({"drill": true, "restore": restore(), "failover": failover()})).unwrap();
        assert_eq!(
            out["deployment"]["record_fqdn"],
            "drill.db.orders.internal."
        );
        assert_eq!(out["prepared"]["marker"], "exec-1");
        assert_eq!(out["prepared"]["restore"], out["restore"]);
    }

    #[test]
    fn a_drill_whose_record_is_a_production_record_is_refused() {
        for drill in [
            "db.orders.internal",
            "DB.Orders.Internal.",
            "db.orders.internal.",
        ] {
            let records = Records {
                drill: Some(drill.into()),
                production: vec!["payments.db.internal".into(), "db.orders.internal".into()],
            };
            let err = check(
                &json!({"drill": true, "restore": restore(), "failover": failover()}),
                "x",
                &json!({}),
                &records,
                "us-west-2",
            )
            .unwrap_err();
            assert_eq!(err.name(), "Misconfigured");
            assert!(
                err.to_string()
                    .contains("is the production record 'db.orders.internal'"),
                "{err}"
            );
        }
    }

    #[test]
    fn a_dry_run_half_is_refused_as_it_would_report_a_recovery_that_did_nothing() {
        let mut dry = failover();
        dry["dry_run"] = json!(true);
        let (_, message) = refusal(json!({"restore": restore(), "failover": dry}));
        assert!(
            message.starts_with("failover.dry_run: the workflow runs"),
            "{message}"
        );
        let mut dry = restore();
        dry["dry_run"] = json!(true);
        let (_, message) = refusal(json!({"restore": dry, "failover": failover()}));
        assert!(message.starts_with("restore.dry_run"), "{message}");
    }

    #[test]
    fn a_drill_marker_in_a_recovery_is_refused_as_it_would_make_production_deletable() {
        let mut marked = restore();
        marked["drill"] = json!("drill-1");
        let (_, message) = refusal(json!({"restore": marked, "failover": failover()}));
        assert!(
            message.starts_with("restore.drill: is the workflow's"),
            "{message}"
        );
    }

    #[test]
    fn dry_run_false_is_harmless_and_accepted() {
        let mut explicit = failover();
        explicit["dry_run"] = json!(false);
        let out = checked(json!({"restore": restore(), "failover": explicit})).unwrap();
        assert_eq!(out["traffic"], true);
    }

    #[test]
    fn poll_settings_must_be_known_whole_numbers() {
        let (_, message) = refusal(json!({"restore": restore(), "failover": failover(),
                                          "settings": {"database_poll_seconds": 0}}));
        assert!(
            message.starts_with("settings.database_poll_seconds"),
            "{message}"
        );
        let (_, message) = refusal(json!({"restore": restore(), "failover": failover(),
                                          "settings": {"poll": 5}}));
        assert!(
            message.starts_with("settings.poll: is not a key"),
            "{message}"
        );
    }

    #[test]
    fn only_a_plain_cname_at_a_drill_endpoint_is_a_drill_record() {
        let plain = |v: &str| RecordSet {
            set_identifier: None,
            alias: false,
            values: vec![v.into()],
        };
        assert_eq!(
            drill_record_problem(
                "d",
                &[plain(
                    "orders-dr-d1a2b3c4e.abc.us-west-2.rds.amazonaws.com."
                )]
            ),
            None
        );
        assert!(
            drill_record_problem("d", &[plain("orders.abc.us-east-1.rds.amazonaws.com")])
                .unwrap()
                .contains("not a drill copy's endpoint")
        );
        let weighted = RecordSet {
            set_identifier: Some("us-west-2".into()),
            ..plain("x-d1a2b3c4e.a")
        };
        assert!(
            drill_record_problem("d", &[weighted])
                .unwrap()
                .contains("SetIdentifier")
        );
        let alias = RecordSet {
            alias: true,
            values: vec![],
            set_identifier: None,
        };
        assert!(
            drill_record_problem("d", &[alias])
                .unwrap()
                .contains("alias")
        );
        assert_eq!(drill_record_problem("d", &[]), None, "no record yet");
    }
}
