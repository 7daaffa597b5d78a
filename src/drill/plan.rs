//! The pure core of a drill: its marker and names, the restore and failover
//! it runs instead of the input's, and its report (timeline, recovery time,
//! data loss). Nothing here calls AWS.

use aws_sdk_rds::primitives::{DateTime, DateTimeFormat};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::error::Error;
use crate::restore::request::rfc3339;
use crate::validate::{self, DRILL_SUFFIX_LEN};

/// RDS identifiers are at most 63 characters.
const MAX_IDENTIFIER: usize = 63;

/// The drill's marker: its execution's name in RDS's tag characters (at
/// most 80), the value of `dr-lambdas:drill` on all it creates.
pub fn marker(execution: &str) -> String {
    let cleaned: String = execution
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric()
                || matches!(c, '_' | '.' | ':' | '/' | '=' | '+' | '-' | '@')
            {
                c
            } else {
                '-'
            }
        })
        .take(80)
        .collect();
    if cleaned.is_empty() {
        "drill".to_owned()
    } else {
        cleaned
    }
}

/// `-d` and 8 hex digits from the execution's name: fresh for every drill,
/// so a drill never collides with production or an earlier drill's leftover.
pub fn suffix(execution: &str) -> String {
    let hash = execution.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    format!("-d{hash:08x}")
}

/// `name` with the drill suffix, cut so that the whole is a valid identifier
/// (at most 63 characters, no trailing or doubled hyphen).
pub fn drill_name(name: &str, suffix: &str) -> String {
    let head: String = name
        .to_ascii_lowercase()
        .chars()
        .take(MAX_IDENTIFIER - DRILL_SUFFIX_LEN)
        .collect();
    let head = head.trim_end_matches('-');
    format!("{head}{suffix}")
}

/// The base a drill's names start with, for `name`: what the leftovers of
/// earlier drills of the same input are found by.
pub fn drill_base(name: &str) -> String {
    drill_name(name, "")
}

/// What a drill runs instead of the recovery input: the restore under drill
/// names, tagged with the marker; the failover as a dry run. A standby is
/// refused: a drill would promote production's replica.
pub fn drill_inputs(
    restore: &Value,
    failover: &Value,
    execution: &str,
) -> Result<(Value, Value), Error> {
    let Some(event) = restore.as_object() else {
        return Err(Error::invalid(
            "restore",
            "must be the recovery's restore event (a JSON object)",
        ));
    };
    if event.contains_key("standby") {
        return Err(Error::invalid(
            "restore.standby",
            "a drill cannot promote a standby: it would promote production's replica, and \
             nothing could undo it. Drill a snapshot or point-in-time restore instead",
        ));
    }
    let suffix = suffix(execution);
    let mut drill: Map<String, Value> = event.clone();
    let text = |field: &str| event.get(field).and_then(Value::as_str).map(str::to_owned);
    match (text("db_instance"), text("db_cluster")) {
        (Some(instance), None) => {
            drill.insert("db_instance".into(), json!(drill_name(&instance, &suffix)));
        }
        (None, Some(cluster)) => {
            let writer = text("writer_instance").unwrap_or_else(|| format!("{cluster}-writer"));
            drill.insert("db_cluster".into(), json!(drill_name(&cluster, &suffix)));
            drill.insert(
                "writer_instance".into(),
                json!(drill_name(&writer, &suffix)),
            );
        }
        _ => {
            return Err(Error::invalid(
                "restore.db_instance",
                "a drill needs the restore's db_instance (or db_cluster) to name its copy after",
            ));
        }
    }
    drill.insert("drill".into(), json!(marker(execution)));
    let mut dry = failover.as_object().cloned().unwrap_or_default();
    dry.insert("dry_run".into(), json!(true));
    Ok((Value::Object(drill), Value::Object(dry)))
}

/// The workflow's `TimeoutSeconds` (statemachine/recovery.asl.json; a test
/// keeps the two equal): no drill runs longer.
pub const WORKFLOW_TIMEOUT_SECONDS: i64 = 14_400;

/// How old a drill's copy must be before a later drill may sweep it: older
/// than any drill can run, plus 15 minutes. A younger one may be a running
/// drill's (the workflow skips a drill while another execution runs, and a
/// marker names no state machine, so the age is the rule).
pub const LEFTOVER_AGE_SECONDS: i64 = WORKFLOW_TIMEOUT_SECONDS + 15 * 60;

/// What the sweep does with one leftover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Provably an old drill's copy: delete it.
    Delete,
    /// Young enough to be a running drill's: leave it, say nothing.
    InProgress,
    /// Keep it, and name it in the report: why.
    Keep(String),
}

/// Whether the sweep may delete `leftover` at `now` (epoch seconds), given
/// what the production records point at (`Err`: they could not be read).
pub fn sweep_verdict(
    leftover: &super::cleanup::Leftover,
    now: i64,
    production: &Result<Vec<(String, String)>, String>,
) -> Verdict {
    match leftover.created {
        Some(created) if now - created >= LEFTOVER_AGE_SECONDS => {}
        // No creation time: RDS is still creating it.
        _ => return Verdict::InProgress,
    }
    let values = match production {
        Ok(values) => values,
        Err(why) => {
            return Verdict::Keep(format!(
                "the production records could not be read ({why}), so it cannot be shown that \
                 none points at it: kept (fail closed)"
            ));
        }
    };
    let addresses: Vec<String> = leftover
        .addresses
        .iter()
        .map(|a| super::preflight::normalized(a))
        .collect();
    if let Some((record, value)) = values
        .iter()
        .find(|(_, v)| addresses.contains(&super::preflight::normalized(v)))
    {
        return Verdict::Keep(format!(
            "the production record '{record}' points at it ({value}): it serves production now"
        ));
    }
    if leftover.protected {
        return Verdict::Keep(
            "it has deletion protection, which drills never set: a person wants it kept".to_owned(),
        );
    }
    Verdict::Delete
}

/// Each of `found`'s verdicts, members before clusters (a cluster is
/// deleted once its writer is gone). A cluster's member is judged by its
/// cluster: a record points at the cluster's endpoints, and deleting the
/// writer of a kept cluster would take its database all the same. A member
/// whose cluster is not among `found` is kept (fail closed).
pub fn sweep_verdicts<'a>(
    found: &'a [super::cleanup::Leftover],
    now: i64,
    production: &Result<Vec<(String, String)>, String>,
) -> Vec<(&'a super::cleanup::Leftover, Verdict)> {
    let mut ordered: Vec<&super::cleanup::Leftover> = found.iter().collect();
    ordered.sort_by_key(|l| l.kind == "cluster");
    ordered
        .into_iter()
        .map(|l| {
            let verdict = match &l.cluster {
                None => sweep_verdict(l, now, production),
                Some(cluster) => match found
                    .iter()
                    .find(|c| c.kind == "cluster" && &c.id == cluster)
                {
                    Some(c) => sweep_verdict(c, now, production),
                    None => Verdict::Keep(format!(
                        "it is a member of cluster '{cluster}', which is not a leftover of these \
                         names"
                    )),
                },
            };
            (l, verdict)
        })
        .collect()
}

/// A leftover the sweep kept, with the two commands a person chooses from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Kept {
    pub kind: &'static str,
    pub id: String,
    pub region: String,
    pub reason: String,
    /// Keeps it for good: without its drill tag, no drill can delete it.
    pub keep: String,
    /// Deletes it: protection off, then the delete.
    pub delete: String,
}

impl Kept {
    /// `leftover`, in `region`, kept for `reason`.
    pub fn new(leftover: &super::cleanup::Leftover, region: &str, reason: String) -> Self {
        let (kind, id) = (leftover.kind, leftover.id.as_str());
        let arn = leftover
            .arn
            .clone()
            .unwrap_or_else(|| format!("<the {kind}'s ARN>"));
        let (modify, delete) = if kind == "cluster" {
            (
                format!(
                    "aws rds modify-db-cluster --region {region} --db-cluster-identifier {id} --no-deletion-protection --apply-immediately"
                ),
                format!(
                    "aws rds delete-db-cluster --region {region} --db-cluster-identifier {id} --skip-final-snapshot"
                ),
            )
        } else {
            (
                format!(
                    "aws rds modify-db-instance --region {region} --db-instance-identifier {id} --no-deletion-protection --apply-immediately"
                ),
                format!(
                    "aws rds delete-db-instance --region {region} --db-instance-identifier {id} --skip-final-snapshot"
                ),
            )
        };
        Kept {
            kind,
            id: id.to_owned(),
            region: region.to_owned(),
            reason,
            keep: format!(
                "aws rds remove-tags-from-resource --region {region} --resource-name {arn} --tag-keys {}",
                validate::DRILL_TAG
            ),
            delete: format!("{modify} && {delete}"),
        }
    }
}

/// What a drill's report is read from: the workflow's state at its end.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DrillState {
    /// `$$.Execution.StartTime`.
    #[serde(default)]
    pub started_at: Option<String>,
    #[serde(default)]
    pub skip: Option<String>,
    #[serde(default)]
    pub restored: Option<Value>,
    #[serde(default)]
    pub timeline: Option<Timeline>,
    #[serde(default)]
    pub validation: Option<Validation>,
    /// The workflow's `ValidateDrill` result: `{"answer": <the function's answer>}`.
    #[serde(default)]
    pub validation_raw: Option<Value>,
    #[serde(default)]
    pub failure: Option<Value>,
    #[serde(default)]
    pub cleanup: Option<Value>,
    #[serde(default)]
    pub cleanup_failure: Option<Value>,
    #[serde(default)]
    pub failed_over: Option<Value>,
    /// The sweep of earlier drills' leftovers: `{deleted, kept, pending}`.
    #[serde(default)]
    pub sweep: Option<Value>,
    /// A drill of a scenario: `{scenario, databases}` as the pre-flight
    /// made it (each database with its drill record and
    /// `promotion_not_rehearsed`).
    #[serde(default)]
    pub platform: Option<Value>,
    /// A drill of a scenario: the cutover's decision and its report (per
    /// database, and for the platform), or the watch's state when the
    /// drill ended before the cutover.
    #[serde(default)]
    pub fleet: Option<Value>,
}

/// When each step ended (`$$.State.EnteredTime` of the state after it).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Timeline {
    #[serde(default)]
    pub database_available: Option<String>,
    #[serde(default)]
    pub cutover_in_sync: Option<String>,
    #[serde(default)]
    pub validated: Option<String>,
}

/// The validation function's answer.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct Validation {
    #[serde(default)]
    pub valid: bool,
    #[serde(default)]
    pub detail: Option<String>,
    /// The newest record the restored data holds (RFC 3339): the drill's
    /// data loss is measured from the data itself.
    #[serde(default)]
    pub newest_record_at: Option<String>,
}

/// How a drill ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Succeeded,
    Failed,
    Skipped,
}

/// A drill's report: what on-call gets, and what the metrics say.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub outcome: Outcome,
    /// `dr-lambdas: drill succeeded | FAILED | skipped`.
    pub subject: String,
    /// Each step, timestamped (RFC 3339), `null` where it did not happen.
    pub timeline: Value,
    /// Request to validated (or to the cutover in sync, without validation).
    pub recovery_time_seconds: Option<i64>,
    /// From the validation's newest record, else the restore's own window.
    pub data_loss_seconds: Option<i64>,
    /// Each step's result; never a row of the user's data.
    pub steps: Value,
}

fn time(text: Option<&str>) -> Option<DateTime> {
    text.and_then(|t| DateTime::from_str(t, DateTimeFormat::DateTimeWithOffset).ok())
}

/// The report of a drill whose workflow ended in `state`: one database's,
/// or a scenario's ([`platform_report`]).
pub fn report(state: &DrillState) -> Report {
    if state.platform.as_ref().is_some_and(|p| !p.is_null()) {
        return platform_report(state);
    }
    let validation = state
        .validation_raw
        .as_ref()
        .and_then(|raw| raw.get("answer"))
        .map(|answer| {
            serde_json::from_value::<Validation>(answer.clone()).unwrap_or_else(|e| Validation {
                valid: false,
                detail: Some(format!("the validation function's answer is not {{valid, detail, newest_record_at}}: {e}")),
                newest_record_at: None,
            })
        })
        .or_else(|| state.validation.clone());
    let state = &DrillState {
        validation,
        ..state.clone()
    };
    let started = time(state.started_at.as_deref());
    let timeline = state.timeline.clone().unwrap_or_default();
    let cleaned = state
        .cleanup
        .as_ref()
        .and_then(|c| c.get("cleaned_at"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let validation_failed = state.validation.as_ref().is_some_and(|v| !v.valid);
    // A cluster still being deleted after the cleanup's last call is a
    // leftover: not a clean drill.
    let left_pending = state
        .cleanup
        .as_ref()
        .and_then(|c| c.get("pending"))
        .and_then(Value::as_array)
        .is_some_and(|p| !p.is_empty());
    // A part of the cleanup that failed (the record, or the database) while
    // the other went on.
    let cleanup_failed = state
        .cleanup
        .as_ref()
        .and_then(|c| c.get("failed"))
        .and_then(Value::as_array)
        .is_some_and(|f| !f.is_empty());
    let outcome = if state.skip.is_some() {
        Outcome::Skipped
    } else if state.failure.is_some()
        || state.cleanup_failure.is_some()
        || validation_failed
        || left_pending
        || cleanup_failed
    {
        Outcome::Failed
    } else {
        Outcome::Succeeded
    };
    let end = time(timeline.validated.as_deref()).or(time(timeline.cutover_in_sync.as_deref()));
    let recovery_time_seconds = match (outcome, started, end) {
        (Outcome::Succeeded, Some(s), Some(e)) => Some((e.secs() - s.secs()).max(0)),
        _ => None,
    };
    let newest = state
        .validation
        .as_ref()
        .and_then(|v| time(v.newest_record_at.as_deref()));
    let data_loss_seconds = match (newest, started) {
        (Some(n), Some(s)) => Some((s.secs() - n.secs()).max(0)),
        _ => state
            .restored
            .as_ref()
            .and_then(|r| r.get("data_loss_seconds"))
            .and_then(Value::as_i64),
    };
    let subject = format!(
        "dr-lambdas: drill {}",
        match outcome {
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "FAILED",
            Outcome::Skipped => "skipped",
        }
    );
    Report {
        outcome,
        subject,
        timeline: json!({
            "requested": started.map(rfc3339),
            "database_available": timeline.database_available,
            "cutover_in_sync": timeline.cutover_in_sync,
            "validated": timeline.validated,
            "cleaned_up": cleaned,
        }),
        recovery_time_seconds,
        data_loss_seconds,
        steps: json!({
            "skipped": state.skip,
            "restore": state.restored.as_ref().map(summary),
            "failover_dry_run": state.failed_over,
            "validation": state.validation,
            "failure": state.failure,
            "cleanup": state.cleanup,
            "cleanup_failure": state.cleanup_failure,
            "leftovers": state.sweep,
        }),
    }
}

/// Whether the cleanup left something behind: a part failed, or a cluster
/// was still being deleted after its last call.
fn cleanup_incomplete(state: &DrillState) -> bool {
    let listed = |key: &str| {
        state
            .cleanup
            .as_ref()
            .and_then(|c| c.get(key))
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
    };
    state.cleanup_failure.is_some() || listed("failed") || listed("pending")
}

/// The report of a drill of a scenario: per database (restored, validated,
/// its time to validated and its data loss; whether its standby's promotion
/// was rehearsed) and for the platform (the slowest database to validated,
/// the worst data loss). It succeeded when every required database was
/// restored and validated, its drill record moved, and everything was
/// cleaned up.
pub fn platform_report(state: &DrillState) -> Report {
    let platform = state.platform.clone().unwrap_or(Value::Null);
    let scenario = platform["scenario"].as_str().unwrap_or("?").to_owned();
    let fleet = state.fleet.clone().unwrap_or(Value::Null);
    let summary = &fleet["report"];
    let outcome = if state.skip.is_some() {
        Outcome::Skipped
    } else if state.failure.is_some() || fleet["go"] != true || cleanup_incomplete(state) {
        Outcome::Failed
    } else {
        Outcome::Succeeded
    };
    let planned: Vec<Value> = platform["databases"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let reported: Vec<Value> = summary["databases"].as_array().cloned().unwrap_or_default();
    let moved: Vec<&str> = fleet["moved"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let databases: Vec<Value> = planned
        .iter()
        .map(|p| {
            let name = p["database"].as_str().unwrap_or_default();
            let found = reported
                .iter()
                .find(|r| r["database"] == name)
                .cloned()
                .unwrap_or_else(|| json!({"database": name, "ok": null}));
            let mut out = found.as_object().cloned().unwrap_or_default();
            out.insert("drill_record".into(), p["record"].clone());
            out.insert("drill_record_moved".into(), json!(moved.contains(&name)));
            out.insert(
                "promotion_not_rehearsed".into(),
                json!(p["promotion_not_rehearsed"] == true),
            );
            Value::Object(out)
        })
        .collect();
    let not_rehearsed: Vec<String> = databases
        .iter()
        .filter(|d| d["promotion_not_rehearsed"] == true)
        .map(|d| {
            format!(
                "{}: the promotion of its standby was not rehearsed (a drill must not promote \
                 production's replica); its drill source was restored instead",
                d["database"].as_str().unwrap_or_default()
            )
        })
        .collect();
    let cleaned = state
        .cleanup
        .as_ref()
        .and_then(|c| c.get("cleaned_at"))
        .cloned();
    Report {
        outcome,
        subject: format!(
            "dr-lambdas: drill of {scenario} {}",
            match outcome {
                Outcome::Succeeded => "succeeded",
                Outcome::Failed => "FAILED",
                Outcome::Skipped => "skipped",
            }
        ),
        timeline: json!({
            "requested": state.started_at,
            "validated": summary.get("validated_at"),
            "cleaned_up": cleaned,
        }),
        recovery_time_seconds: if outcome == Outcome::Succeeded {
            summary["recovery_seconds"].as_i64()
        } else {
            None
        },
        data_loss_seconds: summary["data_loss_seconds"].as_i64(),
        steps: json!({
            "scenario": scenario,
            "skipped": state.skip,
            "databases": databases,
            "not_rehearsed": not_rehearsed,
            "failed": fleet.get("failed"),
            "failure": state.failure,
            "cleanup": state.cleanup,
            "cleanup_failure": state.cleanup_failure,
            "leftovers": state.sweep,
        }),
    }
}

/// A scenario drill's metrics, as EMF lines: per database (`Scenario`,
/// `Database`) `DrillDatabaseSucceeded` (1 or 0),
/// `DrillDatabaseDataLossSeconds` and `DrillDatabaseSecondsToValidated`;
/// for the platform (`Scenario`, and undimensioned, which
/// `DrillFailedAlarm` and `DrillMaxAgeAlarm` watch) `DrillSucceeded`,
/// `DrillRecoveryTimeSeconds` and `DrillDataLossSeconds`. A skipped drill
/// proves nothing either way: no `DrillSucceeded`.
pub fn platform_metrics(
    namespace: &str,
    report: &Report,
    at: std::time::SystemTime,
) -> Vec<String> {
    use crate::metrics::{Metric, emf_line_with};
    let scenario = report.steps["scenario"].as_str().unwrap_or("?");
    let mut lines = Vec::new();
    if report.outcome != Outcome::Skipped {
        for db in report.steps["databases"].as_array().into_iter().flatten() {
            let name = db["database"].as_str().unwrap_or_default();
            lines.push(emf_line_with(
                namespace,
                &[("Scenario", scenario), ("Database", name)],
                &[
                    Metric {
                        name: "DrillDatabaseSucceeded",
                        unit: "None",
                        value: Some(if db["ok"] == true { 1.0 } else { 0.0 }),
                    },
                    Metric {
                        name: "DrillDatabaseDataLossSeconds",
                        unit: "Seconds",
                        value: db["data_loss_seconds"].as_f64(),
                    },
                    Metric {
                        name: "DrillDatabaseSecondsToValidated",
                        unit: "Seconds",
                        value: db["seconds_to_validated"].as_f64(),
                    },
                ],
                at,
            ));
        }
    }
    lines.push(emf_line_with(
        namespace,
        &[("Scenario", scenario)],
        &drill_metrics(report),
        at,
    ));
    lines
}

/// A drill's three metrics, one database's or a scenario's:
/// `DrillSucceeded` (none for a skipped drill, which proves nothing either
/// way), `DrillRecoveryTimeSeconds` and `DrillDataLossSeconds`.
pub fn drill_metrics(report: &Report) -> [crate::metrics::Metric; 3] {
    use crate::metrics::Metric;
    [
        Metric {
            name: "DrillSucceeded",
            unit: "None",
            value: match report.outcome {
                Outcome::Succeeded => Some(1.0),
                Outcome::Failed => Some(0.0),
                Outcome::Skipped => None,
            },
        },
        Metric {
            name: "DrillRecoveryTimeSeconds",
            unit: "Seconds",
            value: report.recovery_time_seconds.map(|s| s as f64),
        },
        Metric {
            name: "DrillDataLossSeconds",
            unit: "Seconds",
            value: report.data_loss_seconds.map(|s| s as f64),
        },
    ]
}

/// What the report keeps of the restore's result: names, statuses and
/// times, never anything read from the data.
fn summary(restored: &Value) -> Value {
    let keep = [
        "instance_id",
        "cluster_id",
        "status",
        "snapshot_id",
        "region",
        "recovery_point",
        "data_loss_seconds",
        "endpoint",
    ];
    let mut out = Map::new();
    for key in keep {
        if let Some(v) = restored.get(key) {
            out.insert(key.to_owned(), v.clone());
        }
    }
    Value::Object(out)
}

/// Whether `id` may be deleted as a drill's: a drill identifier (`-d` and 8
/// hex digits) whose `dr-lambdas:drill` tag is `marker` (any drill's, for a
/// leftover sweep: `None`). `Err` says why not.
pub fn deletable(id: &str, tag: Option<&str>, marker: Option<&str>) -> Result<(), String> {
    if !validate::is_drill_identifier(id) {
        return Err("its name is not a drill identifier (-d and 8 hex digits)".to_owned());
    }
    match (tag, marker) {
        (None, _) => Err(format!("it carries no {} tag", validate::DRILL_TAG)),
        (Some(found), Some(wanted)) if found != wanted => Err(format!(
            "its {} tag is '{found}', not this drill's '{wanted}'",
            validate::DRILL_TAG
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn platform_state(cleanup_failed: Value) -> DrillState {
        DrillState {
            started_at: Some("2026-12-05T04:00:00Z".into()),
            platform: Some(json!({"scenario": "regional-outage", "databases": [
                {"database": "orders", "record": "orders.drill.internal", "promotion_not_rehearsed": true},
                {"database": "inventory", "record": "inventory.drill.internal", "promotion_not_rehearsed": false}]})),
            fleet: Some(
                json!({"go": true, "moved": ["orders", "inventory"], "failed": [],
                "report": {"recovery_seconds": 600, "data_loss_seconds": 300, "validated_at": "2026-12-05T04:10:00Z",
                    "databases": [
                        {"database": "orders", "ok": true, "data_loss_seconds": 300, "seconds_to_validated": 600},
                        {"database": "inventory", "ok": true, "data_loss_seconds": 120, "seconds_to_validated": 540}]}}),
            ),
            cleanup: Some(
                json!({"deleted": [], "pending": [], "failed": cleanup_failed,
                                 "cleaned_at": "2026-12-05T04:12:00Z"}),
            ),
            ..DrillState::default()
        }
    }

    #[test]
    fn a_scenario_drill_reports_each_database_and_the_platform() {
        let report = report(&platform_state(json!([])));

        assert_eq!(report.outcome, Outcome::Succeeded);
        assert_eq!(
            report.subject,
            "dr-lambdas: drill of regional-outage succeeded"
        );
        assert_eq!(report.recovery_time_seconds, Some(600));
        assert_eq!(report.data_loss_seconds, Some(300));
        let databases = report.steps["databases"].as_array().expect("per database");
        assert_eq!(databases[1]["seconds_to_validated"], 540);
        assert_eq!(databases[1]["drill_record_moved"], true);
        assert_eq!(
            report.steps["not_rehearsed"][0]
                .as_str()
                .unwrap_or_default()
                .split(':')
                .next(),
            Some("orders")
        );
    }

    #[test]
    fn a_scenario_drill_whose_cleanup_left_something_failed() {
        let report = report(&platform_state(json!([{"part": "database"}])));

        assert_eq!(report.outcome, Outcome::Failed);
        assert_eq!(report.recovery_time_seconds, None);
    }

    #[test]
    fn a_scenario_drill_writes_per_database_metrics_and_the_platforms_drill_succeeded() {
        let report = report(&platform_state(json!([])));

        let lines = platform_metrics("dr", &report, std::time::UNIX_EPOCH);

        assert_eq!(lines.len(), 3);
        assert!(
            lines[0].contains("\"DrillDatabaseSucceeded\":1.0"),
            "{}",
            lines[0]
        );
        assert!(lines[2].contains("\"DrillSucceeded\":1.0"), "{}", lines[2]);
        assert!(
            lines[2].contains("\"Scenario\":\"regional-outage\""),
            "{}",
            lines[2]
        );
    }

    #[test]
    fn a_drill_restores_under_fresh_suffixed_names_tagged_with_its_marker() {
        let (restore, failover) = drill_inputs(
            &json!({"db_instance": "ecommerce-db-dr", "snapshot_id": "latest",
                    "source_db_instance": "ecommerce-db", "region": "us-west-2"}),
            &json!({"primary_region": "us-east-1", "secondary_region": "us-west-2"}),
            "drill-2026-12-01",
        )
        .unwrap();
        let name = restore["db_instance"].as_str().unwrap();
        assert!(name.starts_with("ecommerce-db-dr-d"), "{name}");
        assert!(validate::is_drill_identifier(name), "{name}");
        assert_eq!(restore["drill"], "drill-2026-12-01");
        assert_eq!(restore["snapshot_id"], "latest");
        assert_eq!(failover["dry_run"], true);
    }

    #[test]
    fn two_drills_get_two_names() {
        assert_ne!(suffix("drill-1"), suffix("drill-2"));
        assert_eq!(suffix("drill-1"), suffix("drill-1"));
    }

    #[test]
    fn a_cluster_drill_suffixes_the_cluster_and_its_writer() {
        let (restore, _) = drill_inputs(
            &json!({"db_cluster": "orders-dr", "snapshot_id": "s"}),
            &json!({}),
            "x",
        )
        .unwrap();
        let sfx = suffix("x");
        assert_eq!(restore["db_cluster"], format!("orders-dr{sfx}"));
        assert_eq!(restore["writer_instance"], format!("orders-dr-writer{sfx}"));
    }

    #[test]
    fn a_long_name_is_cut_to_63_characters_without_a_trailing_hyphen() {
        let long = format!("{}-x", "a".repeat(52));
        let name = drill_name(&long, &suffix("x"));
        assert!(name.len() <= 63, "{name}");
        assert!(!name.contains("--"), "{name}");
        assert!(validate::is_drill_identifier(&name));
    }

    #[test]
    fn a_drill_of_a_standby_is_refused() {
        let err = drill_inputs(&json!({"standby": "orders-replica"}), &json!({}), "x").unwrap_err();
        assert_eq!(err.name(), "InvalidRequest");
        assert!(err.to_string().contains("production's replica"), "{err}");
    }

    #[test]
    fn the_marker_keeps_only_rds_tag_characters() {
        assert_eq!(marker("drill#1 (manual)"), "drill-1--manual-");
        assert_eq!(marker(""), "drill");
    }

    #[test]
    fn only_a_drill_identifier_with_this_drills_tag_is_deletable() {
        let id = format!("orders-dr{}", suffix("x"));
        assert_eq!(deletable(&id, Some("x"), Some("x")), Ok(()));
        assert!(deletable(&id, Some("y"), Some("x")).is_err());
        assert!(deletable(&id, None, Some("x")).is_err());
        assert!(deletable("ecommerce-db", Some("x"), Some("x")).is_err());
        assert_eq!(deletable(&id, Some("y"), None), Ok(()), "a leftover sweep");
    }

    fn state(value: Value) -> DrillState {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn the_recovery_time_runs_from_the_request_to_the_validation() {
        let report = report(&state(json!({
            "started_at": "2026-12-01T04:00:00.000Z",
            "restored": {"instance_id": "x", "data_loss_seconds": 300},
            "timeline": {"database_available": "2026-12-01T04:12:00Z",
                         "cutover_in_sync": "2026-12-01T04:13:00Z",
                         "validated": "2026-12-01T04:14:30Z"},
            "validation": {"valid": true, "newest_record_at": "2026-12-01T03:59:00Z"},
            "cleanup": {"cleaned_at": "2026-12-01T04:16:00Z"}
        })));
        assert_eq!(report.outcome, Outcome::Succeeded);
        assert_eq!(report.subject, "dr-lambdas: drill succeeded");
        assert_eq!(report.recovery_time_seconds, Some(870));
        assert_eq!(report.data_loss_seconds, Some(60), "from the data itself");
        assert_eq!(report.timeline["cleaned_up"], "2026-12-01T04:16:00Z");
    }

    #[test]
    fn without_validation_the_recovery_time_ends_at_the_cutover_and_the_loss_is_the_restores() {
        let report = report(&state(json!({
            "started_at": "2026-12-01T04:00:00Z",
            "restored": {"data_loss_seconds": 300},
            "timeline": {"cutover_in_sync": "2026-12-01T04:10:00Z"}
        })));
        assert_eq!(report.recovery_time_seconds, Some(600));
        assert_eq!(report.data_loss_seconds, Some(300));
    }

    #[test]
    fn a_failed_validation_fails_the_drill_and_has_no_recovery_time() {
        let report = report(&state(json!({
            "started_at": "2026-12-01T04:00:00Z",
            "timeline": {"validated": "2026-12-01T04:10:00Z"},
            "validation": {"valid": false, "detail": "orders table empty"}
        })));
        assert_eq!(report.outcome, Outcome::Failed);
        assert_eq!(report.subject, "dr-lambdas: drill FAILED");
        assert_eq!(report.recovery_time_seconds, None);
    }

    #[test]
    fn a_skipped_drill_says_why() {
        let report = report(&state(json!({"skip": "a recovery is running"})));
        assert_eq!(report.outcome, Outcome::Skipped);
        assert_eq!(report.steps["skipped"], "a recovery is running");
    }

    #[test]
    fn a_cluster_still_being_deleted_after_the_last_cleanup_fails_the_drill() {
        let report = report(&state(json!({
            "started_at": "2026-12-01T04:00:00Z",
            "timeline": {"cutover_in_sync": "2026-12-01T04:10:00Z"},
            "cleanup": {"deleted": [], "pending": ["cluster 'orders-dr-d0000beef'"]}
        })));
        assert_eq!(report.outcome, Outcome::Failed);
    }
}
