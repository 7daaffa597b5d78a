//! The platform's cutover, planned: every database record of the private
//! zone in one Route 53 change batch (all names move, or none do), and only
//! when every required database is available and validated. Pure: the
//! workflow sends the batch with its own role (the only one that may UPSERT
//! a production record), and this function's role holds no such right.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::watch::Watched;
use crate::restore::request::rfc3339;

/// One database as the cutover judges it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Cut {
    pub database: String,
    #[serde(default = "yes")]
    pub required: bool,
    /// Its production record.
    pub record: String,
    /// Where the restored copy answers; `null` when it is not available.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// What its validation answered: `true` passed, `false` failed, `null`
    /// not run (no validation configured passes).
    #[serde(default)]
    pub validated: Option<bool>,
    /// Why it failed, when it did (its error, or the validation's detail).
    #[serde(default)]
    pub failure: Option<String>,
}

fn yes() -> bool {
    true
}

/// The cutover's decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CutoverPlan {
    /// Every required database is ready: the batch goes.
    pub go: bool,
    /// The databases whose names move.
    pub moved: Vec<String>,
    /// `database: why`, of every database that is not ready. A required one
    /// stops the cutover; an optional one is left behind.
    pub failed: Vec<String>,
    /// `ChangeResourceRecordSets`' `HostedZoneId` and `ChangeBatch`, as the
    /// workflow's `aws-sdk:route53` task sends them; `null` when not `go`.
    pub request: Option<Value>,
}

/// Whether `cut` may be pointed at: available, and not failed validation.
fn ready(cut: &Cut) -> Result<&str, String> {
    if let Some(why) = &cut.failure {
        return Err(why.clone());
    }
    if cut.validated == Some(false) {
        return Err("its validation failed".to_owned());
    }
    cut.endpoint
        .as_deref()
        .ok_or_else(|| "not available (no endpoint)".to_owned())
}

/// The one batch for `zone`: an UPSERT of each ready database's CNAME at its
/// copy, with `ttl` — or no batch at all when a required database is not
/// ready (no name moves, and nothing restored is deleted).
pub fn plan(cuts: &[Cut], zone: &str, ttl: i64, execution: &str) -> CutoverPlan {
    let mut changes = Vec::new();
    let mut moved = Vec::new();
    let mut failed = Vec::new();
    let mut go = true;
    for cut in cuts {
        match ready(cut) {
            Ok(endpoint) => {
                moved.push(cut.database.clone());
                changes.push(json!({
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": cut.record,
                        "Type": "CNAME",
                        "Ttl": ttl,
                        "ResourceRecords": [{"Value": endpoint}],
                    },
                }));
            }
            Err(why) => {
                go &= !cut.required;
                failed.push(format!(
                    "{} ({}): {why}",
                    cut.database,
                    if cut.required { "required" } else { "optional" }
                ));
            }
        }
    }
    go &= !changes.is_empty();
    if !go {
        moved.clear();
    }
    CutoverPlan {
        go,
        request: go.then(|| {
            json!({
                "HostedZoneId": zone,
                "ChangeBatch": {
                    "Comment": format!("dr-lambdas {execution}: {} database names", changes.len()),
                    "Changes": changes,
                },
            })
        }),
        moved,
        failed,
    }
}

/// At most this many characters of a failure's cause are kept: the report
/// of 40 databases stays far under Step Functions' 256 KB.
const CAUSE_CHARS: usize = 300;

/// `w` as the cutover judges it.
pub fn cut_of(w: &Watched) -> Cut {
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
    let mut failure = w.error.as_ref().map(|e| {
        let cause: String = text(e, "Cause")
            .unwrap_or_default()
            .chars()
            .take(CAUSE_CHARS)
            .collect();
        format!(
            "{}: {cause}",
            text(e, "Error").unwrap_or_else(|| "Error".to_owned())
        )
    });
    let result = w.result.clone().unwrap_or(Value::Null);
    let status = text(&result, "status");
    let pending = result
        .get("pending")
        .and_then(Value::as_array)
        .is_some_and(|p| !p.is_empty());
    let endpoint = match (status.as_deref(), pending) {
        (Some("available"), false) => text(&result, "endpoint"),
        _ => None,
    };
    if failure.is_none() {
        failure = match status.as_deref() {
            Some("failed") => Some(format!(
                "RDS reports it {}",
                text(&result, "db_instance_status")
                    .or_else(|| text(&result, "cluster_status"))
                    .unwrap_or_else(|| "failed".to_owned())
            )),
            None => Some("the restore function never answered".to_owned()),
            _ => None,
        };
    }
    // Run, and not a plain `valid: true` (false, or the validation's own
    // error caught by the workflow): the database is not validated.
    let validated = w
        .validation
        .as_ref()
        .map(|v| v.get("valid").and_then(Value::as_bool) == Some(true));
    if validated == Some(false) && failure.is_none() {
        let detail = w
            .validation
            .as_ref()
            .and_then(|v| {
                text(v, "detail")
                    .or_else(|| Some(format!("{}: {}", text(v, "Error")?, text(v, "Cause")?)))
            })
            .unwrap_or_default();
        failure = Some(format!(
            "its validation failed: {}",
            detail.chars().take(CAUSE_CHARS).collect::<String>()
        ));
    }
    Cut {
        database: w.database.clone(),
        required: w.required,
        record: w.record.clone(),
        endpoint,
        validated,
        failure,
    }
}

/// Seconds from `from` to `to` (RFC 3339), when both parse.
fn seconds_between(from: &str, to: &str) -> Option<i64> {
    let parse = |t: &str| {
        aws_sdk_rds::primitives::DateTime::from_str(
            t,
            aws_sdk_rds::primitives::DateTimeFormat::DateTimeWithOffset,
        )
        .ok()
    };
    Some(parse(to)?.secs() - parse(from)?.secs())
}

/// The cutover's decision for the watched databases, and the report's
/// summary: per database its status, recovery point, data loss, time to
/// available and validated; for the platform the recovery time (the
/// slowest database to validated) and the data loss (the worst).
pub fn decide(
    databases: &[Watched],
    validated: &[Watched],
    zone: &str,
    ttl: &Value,
    execution: &str,
    started_at: Option<&str>,
    now: SystemTime,
) -> Value {
    let ttl = ttl
        .as_i64()
        .or_else(|| ttl.as_str().and_then(|t| t.trim().parse().ok()))
        .unwrap_or(60);
    // The validation's answers, merged by name.
    let databases: Vec<Watched> = databases
        .iter()
        .map(|w| {
            let mut w = w.clone();
            if let Some(v) = validated.iter().find(|v| v.database == w.database) {
                w.validation = v.validation.clone();
            }
            w
        })
        .collect();
    let cuts: Vec<Cut> = databases.iter().map(cut_of).collect();
    let decision = plan(&cuts, zone, ttl, execution);
    let validated_at = rfc3339(now.into());
    let since_start = |t: &str| started_at.and_then(|s| seconds_between(s, t));
    let report: Vec<Value> = databases
        .iter()
        .zip(&cuts)
        .map(|(w, cut)| {
            let result = w.result.clone().unwrap_or(Value::Null);
            json!({
                "database": w.database,
                "required": w.required,
                "ok": cut.failure.is_none(),
                "failure": cut.failure,
                "endpoint": cut.endpoint,
                "recovery_point": result.get("recovery_point"),
                "data_loss_seconds": result.get("data_loss_seconds"),
                "seconds_to_available": w.available_at.as_deref().and_then(since_start),
                "seconds_to_validated": cut.failure.is_none().then(|| since_start(&validated_at)).flatten(),
            })
        })
        .collect();
    let ok: Vec<&Value> = report.iter().filter(|r| r["ok"] == true).collect();
    let data_loss = if ok.iter().any(|r| !r["data_loss_seconds"].is_i64()) {
        None
    } else {
        ok.iter()
            .filter_map(|r| r["data_loss_seconds"].as_i64())
            .max()
    };
    json!({
        "go": decision.go,
        "moved": decision.moved,
        "failed": decision.failed,
        "request": decision.request,
        "report": {
            "databases": report,
            "recovery_seconds": since_start(&validated_at),
            "data_loss_seconds": data_loss,
            "validated_at": validated_at,
        },
    })
}

/// The platform's metrics, as EMF lines: per database (`Scenario`,
/// `Database`) `RecoveryDatabaseRecovered` (1 or 0),
/// `RecoveryDataLossSeconds`, `RecoverySecondsToAvailable` and
/// `RecoverySecondsToValidated`; for the platform (`Scenario`)
/// `RecoveryTimeSeconds` (the slowest, to validated),
/// `RecoveryDataLossSeconds` (the worst) and `RecoveryDatabasesFailed`.
/// Names of their own: readiness's undimensioned `DataLossSeconds` sets off
/// its alarm, which a recovery's data loss must not.
pub fn metrics(namespace: &str, scenario: &str, decided: &Value, at: SystemTime) -> Vec<String> {
    use crate::metrics::{Metric, emf_line_with};
    let number = |v: &Value| v.as_f64();
    let report = &decided["report"];
    let databases = report["databases"].as_array().cloned().unwrap_or_default();
    let mut lines = Vec::new();
    for db in &databases {
        let name = db["database"].as_str().unwrap_or_default();
        lines.push(emf_line_with(
            namespace,
            &[("Scenario", scenario), ("Database", name)],
            &[
                Metric {
                    name: "RecoveryDatabaseRecovered",
                    unit: "None",
                    value: Some(if db["ok"] == true { 1.0 } else { 0.0 }),
                },
                Metric {
                    name: "RecoveryDataLossSeconds",
                    unit: "Seconds",
                    value: number(&db["data_loss_seconds"]),
                },
                Metric {
                    name: "RecoverySecondsToAvailable",
                    unit: "Seconds",
                    value: number(&db["seconds_to_available"]),
                },
                Metric {
                    name: "RecoverySecondsToValidated",
                    unit: "Seconds",
                    value: number(&db["seconds_to_validated"]),
                },
            ],
            at,
        ));
    }
    let failed = databases.iter().filter(|d| d["ok"] != true).count();
    lines.push(emf_line_with(
        namespace,
        &[("Scenario", scenario)],
        &[
            Metric {
                name: "RecoveryTimeSeconds",
                unit: "Seconds",
                value: number(&report["recovery_seconds"]),
            },
            Metric {
                name: "RecoveryDataLossSeconds",
                unit: "Seconds",
                value: number(&report["data_loss_seconds"]),
            },
            Metric {
                name: "RecoveryDatabasesFailed",
                unit: "Count",
                value: Some(failed as f64),
            },
        ],
        at,
    ));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(name: &str, required: bool, endpoint: Option<&str>) -> Cut {
        Cut {
            database: name.to_owned(),
            required,
            record: format!("{name}.db.internal"),
            endpoint: endpoint.map(str::to_owned),
            validated: Some(true),
            failure: None,
        }
    }

    #[test]
    fn every_ready_database_moves_in_one_batch() {
        let out = plan(
            &[
                cut("orders", true, Some("orders-dr.x")),
                cut("inventory", true, Some("inventory-dr.cluster-x")),
            ],
            "Z1",
            30,
            "exec-1",
        );

        assert!(out.go);
        assert_eq!(out.moved, ["orders", "inventory"]);
        let request = out.request.expect("a batch");
        assert_eq!(request["HostedZoneId"], "Z1");
        let changes = request["ChangeBatch"]["Changes"]
            .as_array()
            .expect("changes");
        assert_eq!(changes.len(), 2);
        assert_eq!(
            changes[1]["ResourceRecordSet"]["Name"],
            "inventory.db.internal"
        );
        assert_eq!(
            changes[1]["ResourceRecordSet"]["ResourceRecords"][0]["Value"],
            "inventory-dr.cluster-x"
        );
        assert_eq!(changes[0]["Action"], "UPSERT");
        // Step Functions' aws-sdk integration names the member Ttl.
        assert_eq!(changes[0]["ResourceRecordSet"]["Ttl"], 30);
    }

    #[test]
    fn a_required_database_that_failed_stops_every_name_and_is_named() {
        let mut broken = cut("orders", true, None);
        broken.failure = Some("SnapshotNotFound: ...".to_owned());

        let out = plan(
            &[broken, cut("inventory", true, Some("inventory-dr.x"))],
            "Z1",
            30,
            "exec-1",
        );

        assert!(!out.go);
        assert_eq!(out.request, None);
        assert_eq!(out.moved, Vec::<String>::new());
        assert_eq!(out.failed, ["orders (required): SnapshotNotFound: ..."]);
    }

    #[test]
    fn a_required_database_that_failed_validation_stops_every_name() {
        let mut invalid = cut("orders", true, Some("orders-dr.x"));
        invalid.validated = Some(false);

        let out = plan(&[invalid], "Z1", 30, "exec-1");

        assert!(!out.go);
        assert_eq!(out.failed, ["orders (required): its validation failed"]);
    }

    fn watched(name: &str, result: Value) -> Watched {
        serde_json::from_value(
            json!({"database": name, "record": format!("{name}.db.internal"),
                                      "restore": {}, "result": result}),
        )
        .unwrap()
    }

    #[test]
    fn an_available_database_is_cut_at_its_endpoint_and_a_caught_error_is_its_failure() {
        let ok = cut_of(&watched(
            "orders",
            json!({"status": "available", "endpoint": "orders-dr.x", "pending": []}),
        ));
        assert_eq!(ok.endpoint.as_deref(), Some("orders-dr.x"));
        assert_eq!(ok.failure, None);

        let mut refused = watched("inventory", Value::Null);
        refused.result = None;
        refused.error = Some(json!({"Error": "SnapshotNotFound", "Cause": "no snapshot"}));
        assert_eq!(
            cut_of(&refused).failure.as_deref(),
            Some("SnapshotNotFound: no snapshot")
        );
    }

    #[test]
    fn a_failed_validation_is_the_databases_failure_with_its_detail() {
        let mut w = watched(
            "orders",
            json!({"status": "available", "endpoint": "orders-dr.x", "pending": []}),
        );
        w.validation = Some(json!({"valid": false, "detail": "orders table empty"}));

        assert_eq!(
            cut_of(&w).failure.as_deref(),
            Some("its validation failed: orders table empty")
        );
    }

    #[test]
    fn a_validation_that_errored_is_a_failure_not_a_pass() {
        let mut w = watched(
            "orders",
            json!({"status": "available", "endpoint": "orders-dr.x", "pending": []}),
        );
        w.validation = Some(json!({"Error": "Lambda.Unknown", "Cause": "timed out"}));

        assert_eq!(
            cut_of(&w).failure.as_deref(),
            Some("its validation failed: Lambda.Unknown: timed out")
        );
    }

    #[test]
    fn the_report_gives_the_slowest_time_and_the_worst_data_loss() {
        let mut a = watched(
            "orders",
            json!({"status": "available", "endpoint": "a", "pending": [], "data_loss_seconds": 30}),
        );
        a.available_at = Some("2026-12-04T03:10:00Z".into());
        let mut b = watched(
            "inventory",
            json!({"status": "available", "endpoint": "b", "pending": [], "data_loss_seconds": 300}),
        );
        b.available_at = Some("2026-12-04T03:20:00Z".into());
        let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_796_354_400); // 03:20:00Z

        let out = decide(
            &[a, b],
            &[],
            "Z1",
            &json!("30"),
            "exec",
            Some("2026-12-04T03:00:00Z"),
            now,
        );

        assert_eq!(out["go"], true);
        assert_eq!(out["report"]["data_loss_seconds"], 300);
        assert_eq!(out["report"]["recovery_seconds"], 1200);
        assert_eq!(out["report"]["databases"][0]["seconds_to_available"], 600);
        assert_eq!(
            out["request"]["ChangeBatch"]["Changes"][0]["ResourceRecordSet"]["Ttl"],
            30
        );
    }

    #[test]
    fn the_metrics_are_one_line_per_database_and_one_for_the_platform() {
        let ok = watched(
            "orders",
            json!({"status": "available", "endpoint": "a", "pending": [], "data_loss_seconds": 30}),
        );
        let mut failed = watched("search", Value::Null);
        failed.result = None;
        failed.required = false;
        failed.error = Some(json!({"Error": "AwsError", "Cause": "x"}));
        let decided = decide(
            &[ok, failed],
            &[],
            "Z1",
            &json!(30),
            "exec",
            None,
            std::time::UNIX_EPOCH,
        );

        let lines = metrics(
            "dr-lambdas",
            "regional-outage",
            &decided,
            std::time::UNIX_EPOCH,
        );

        assert_eq!(lines.len(), 3);
        let first: Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(first["Database"], "orders");
        assert_eq!(first["RecoveryDatabaseRecovered"], 1.0);
        assert_eq!(first["RecoveryDataLossSeconds"], 30.0);
        let platform: Value = serde_json::from_str(&lines[2]).unwrap();
        assert_eq!(platform["Scenario"], "regional-outage");
        assert_eq!(platform["RecoveryDatabasesFailed"], 1.0);
        assert_eq!(platform["RecoveryDataLossSeconds"], 30.0);
    }

    #[test]
    fn an_optional_database_that_failed_is_left_behind_and_the_rest_moves() {
        let out = plan(
            &[
                cut("orders", true, Some("orders-dr.x")),
                cut("search", false, None),
            ],
            "Z1",
            30,
            "exec-1",
        );

        assert!(out.go);
        assert_eq!(out.moved, ["orders"]);
        assert_eq!(
            out.failed,
            ["search (optional): not available (no endpoint)"]
        );
    }
}
