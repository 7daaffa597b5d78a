//! The built binaries, invoked through cargo lambda's Runtime API emulator,
//! against the moto world of scripts/seed_world.py. `scripts/test` starts
//! both and sets `LAMBDA_URL`.

mod common;

use std::fs;

use serde_json::{Value, json};

fn lambda_url() -> Option<String> {
    match std::env::var("LAMBDA_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("DR_REQUIRE_MOTO").is_ok() => {
            panic!("DR_REQUIRE_MOTO is set but LAMBDA_URL is not")
        }
        _ => {
            eprintln!("skipped: LAMBDA_URL is not set (run scripts/test)");
            None
        }
    }
}

/// Invokes `function` with `event`; returns the HTTP status and the JSON body.
fn invoke(url: &str, function: &str, event: &Value) -> (u16, Value) {
    let path = format!("/2015-03-31/functions/{function}/invocations");
    let (status, body) = common::http_post(url, &path, &event.to_string());
    let json = serde_json::from_str(&body)
        .unwrap_or_else(|_| panic!("{function} answered non-JSON: {body}"));
    (status, json)
}

fn event(file: &str) -> Value {
    let text = fs::read_to_string(format!("events/{file}")).expect("read event");
    serde_json::from_str(&text).expect("event is JSON")
}

/// What a restore sample should produce against the seeded world.
enum Expect {
    /// This status, snapshot (`None` for a point in time) and region.
    Restore(&'static str, Option<&'static str>, &'static str),
    /// This error.
    Refused(&'static str),
}

const RESTORE_EVENTS: &[(&str, Expect)] = &[
    (
        "restore-database.json",
        Expect::Restore("restoring", Some("snapshot-2025-05-12"), "us-east-1"),
    ),
    (
        "restore-database-latest.json",
        Expect::Restore("restoring", Some("snapshot-2025-05-12"), "us-east-1"),
    ),
    (
        "restore-database-cross-region.json",
        Expect::Restore("restoring", Some("snapshot-2025-05-12-dr"), "us-west-2"),
    ),
    (
        "restore-database-dry-run.json",
        Expect::Restore("dry_run", Some("snapshot-2025-05-12"), "us-east-1"),
    ),
    (
        "restore-database-pitr.json",
        Expect::Restore("restoring", None, "us-east-1"),
    ),
    (
        "restore-database-pitr-dry-run.json",
        Expect::Restore("dry_run", None, "us-east-1"),
    ),
    // moto 5.2.5 does not replicate automated backups across regions, so the
    // recovery region has none: the refusal that says how to turn it on.
    // tests/restore_pitr.rs covers the replicated case at the SDK boundary.
    (
        "restore-database-pitr-cross-region.json",
        Expect::Refused("SourceInstanceNotFound"),
    ),
    // The seeded cross-region read replica, promoted (moto at once).
    (
        "restore-database-standby.json",
        Expect::Restore("restoring", None, "us-west-2"),
    ),
    (
        "restore-database-region-switch.json",
        Expect::Restore("restoring", Some("snapshot-2025-05-12"), "us-east-1"),
    ),
    (
        "restore-cluster.json",
        Expect::Restore("restoring", Some("orders-aurora-2025-05-12"), "us-east-1"),
    ),
    (
        "restore-cluster-latest.json",
        Expect::Restore("restoring", Some("orders-aurora-2025-05-12"), "us-east-1"),
    ),
    (
        "restore-cluster-pitr.json",
        Expect::Restore("restoring", None, "us-east-1"),
    ),
];

#[test]
fn every_restore_sample_event_has_an_expected_outcome() {
    let mut files: Vec<String> = fs::read_dir("events")
        .expect("events/")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|f| f.starts_with("restore-") && f.ends_with(".json"))
        .collect();
    files.sort();
    let mut known: Vec<&str> = RESTORE_EVENTS.iter().map(|e| e.0).collect();
    known.sort();
    assert_eq!(files, known, "add the new sample to RESTORE_EVENTS");
}

#[test]
fn every_restore_sample_event_runs_through_the_runtime_api() {
    let Some(url) = lambda_url() else { return };
    for (file, expect) in RESTORE_EVENTS {
        let input = event(file);
        let (http, out) = invoke(&url, "restore-database", &input);
        match expect {
            Expect::Restore(status, snapshot, region) => {
                assert_eq!(http, 200, "{file}: {out}");
                // A replay of an earlier run (status "available") is as good as a first run.
                if out["replayed"] != json!(true) {
                    assert_eq!(out["status"], *status, "{file}: {out}");
                }
                if input.get("standby").is_some() {
                    assert_eq!(out["instance_id"], input["standby"], "{file}");
                    // moto serves no CloudWatch for this SDK (its CBOR
                    // protocol answers 404): the lag, hence the data loss, is
                    // unknown, and said so, never a made-up zero.
                    assert_eq!(out["data_loss_seconds"], Value::Null, "{file}: {out}");
                    assert!(
                        out["replayed"] == json!(true)
                            || out["notes"]
                                .to_string()
                                .contains("the lag could not be read"),
                        "{file}: {out}"
                    );
                    continue;
                }
                if input.get("db_cluster").is_some() {
                    assert_eq!(out["cluster_id"], input["db_cluster"], "{file}");
                } else {
                    assert_eq!(out["instance_id"], input["db_instance"], "{file}");
                }
                assert_eq!(out["snapshot_id"], json!(snapshot), "{file}");
                assert_eq!(out["region"], *region, "{file}");
                assert!(out["recovery_point"].is_string(), "{file}: {out}");
                let from_region_switch = input.get("PlanArn").is_some();
                assert_eq!(
                    out["trigger"]
                        .as_str()
                        .unwrap_or_default()
                        .starts_with("region-switch:"),
                    from_region_switch,
                    "{file}: {out}"
                );
                assert!(out["data_loss_seconds"].is_u64(), "{file}: {out}");
            }
            Expect::Refused(name) => {
                assert_eq!(http, 500, "{file}: {out}");
                assert_eq!(out["errorType"], *name, "{file}: {out}");
            }
        }
    }
}

#[test]
fn the_recovery_workflows_restore_runs_in_the_recovery_region() {
    let Some(url) = lambda_url() else { return };
    let input = event("recovery-workflow.json")["restore"].clone();

    let (http, out) = invoke(&url, "restore-database", &input);

    assert_eq!(http, 200, "{out}");
    assert_eq!(out["region"], "us-west-2", "{out}");
    assert_eq!(out["snapshot_id"], "snapshot-2025-05-12-dr", "{out}");
}

#[test]
fn a_retried_restore_event_reports_the_same_instance_without_a_second_restore() {
    let Some(url) = lambda_url() else { return };
    let mut input = event("restore-database.json");
    input["db_instance"] = json!(common::unique("e2e-replay"));

    let (_, first) = invoke(&url, "restore-database", &input);
    let (http, second) = invoke(&url, "restore-database", &input);

    assert_eq!(first["replayed"], false, "{first}");
    assert_eq!(http, 200);
    assert_eq!(second["replayed"], true, "{second}");
    assert_eq!(second["instance_id"], input["db_instance"]);
}

#[test]
fn a_malformed_event_comes_back_as_invalid_request() {
    let Some(url) = lambda_url() else { return };

    let (http, out) = invoke(
        &url,
        "restore-database",
        &json!({"db_instance": "1-bad", "snapshot_id": "s"}),
    );

    assert_eq!(http, 500);
    assert_eq!(out["errorType"], "InvalidRequest");
    assert_eq!(
        out["errorMessage"],
        "db_instance: must start with a letter. Correct the event and invoke again; nothing was changed."
    );
}

#[test]
fn a_missing_snapshot_comes_back_as_snapshot_not_found() {
    let Some(url) = lambda_url() else { return };

    let (http, out) = invoke(
        &url,
        "restore-database",
        &json!({"db_instance": common::unique("e2e-missing"), "snapshot_id": "snapshot-1999-01-01"}),
    );

    assert_eq!(http, 500);
    assert_eq!(out["errorType"], "SnapshotNotFound");
}

/// The failover samples in the order an incident meets them, with the status
/// each must produce against the seeded zone (moto answers INSYNC at once).
/// The seeded deployment keeps `AlarmAction`'s default, page: every alarm
/// shape tells on-call and moves nothing (tests/alarm_action.rs holds the
/// other actions); the Region switch step and the direct events move.
const FAILOVER_SEQUENCE: &[(&str, &str)] = &[
    ("failover-region-dry-run.json", "DRY_RUN"),
    ("failover-region-alarm-ok.json", "SKIPPED"),
    ("failover-region-alarm.json", "PAGED"),
    ("failover-region-sns.json", "PAGED"),
    ("failover-region-eventbridge.json", "PAGED"),
    ("failover-region-region-switch.json", "INSYNC"),
    ("failover-region.json", "ALREADY_ACTIVE"),
    ("failover-region-failback.json", "INSYNC"),
    ("failover-region.json", "INSYNC"),
    ("failover-region-failback.json", "INSYNC"),
];

#[test]
fn every_failover_sample_event_is_in_the_sequence() {
    let mut files: Vec<String> = fs::read_dir("events")
        .expect("events/")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|f| f.starts_with("failover-region") && f.ends_with(".json"))
        .collect();
    files.sort();
    let mut known: Vec<&str> = FAILOVER_SEQUENCE.iter().map(|e| e.0).collect();
    known.sort();
    known.dedup();
    assert_eq!(files, known, "add the new sample to FAILOVER_SEQUENCE");
}

#[test]
fn the_failover_samples_run_in_incident_order_through_the_runtime_api() {
    let Some(url) = lambda_url() else { return };
    for (step, (file, status)) in FAILOVER_SEQUENCE.iter().enumerate() {
        let (http, out) = invoke(&url, "failover-region", &event(file));
        assert_eq!(http, 200, "step {step} {file}: {out}");
        assert_eq!(out["status"], *status, "step {step} {file}: {out}");
        match *status {
            "INSYNC" => {
                assert_eq!(out["change_id"], "C2682N5HXP0BZ4", "{file}");
                assert_eq!(
                    out["records"].as_array().map(Vec::len),
                    Some(5),
                    "{file}: {out}"
                );
            }
            "SKIPPED" => assert_eq!(out["new_region"], Value::Null, "{file}"),
            "PAGED" => {
                assert_eq!(out["new_region"], Value::Null, "{file}");
                assert_eq!(out["alarm_action"], "page", "{file}");
                assert!(out["paged"].is_string(), "{file}: {out}");
            }
            _ => assert_eq!(out["change_id"], Value::Null, "{file}"),
        }
    }
}

#[test]
fn an_invalid_failover_event_comes_back_as_invalid_request() {
    let Some(url) = lambda_url() else { return };

    let (http, out) = invoke(
        &url,
        "failover-region",
        &json!({"primary_region": "us-east-1", "secondary_region": "us-east-1"}),
    );

    assert_eq!(http, 500);
    assert_eq!(out["errorType"], "InvalidRequest");
    assert!(
        out["errorMessage"]
            .as_str()
            .unwrap()
            .starts_with("secondary_region: must differ")
    );
}

#[test]
fn the_readiness_sample_is_ready_in_the_seeded_world_and_says_what_it_checked() {
    let Some(url) = lambda_url() else { return };

    let (http, out) = invoke(&url, "check-readiness", &event("check-readiness.json"));

    assert_eq!(http, 200, "{out}");
    assert_eq!(out["ready"], true, "{out}");
    let checks: Vec<&str> = out["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter_map(|c| c["check"].as_str())
        .collect();
    assert_eq!(
        checks,
        [
            "target_name_free",
            "drill_leftovers",
            "latest_snapshot",
            "subnet_group",
            "security_groups",
            "groups",
            "encryption_key",
            "data_loss",
            "failover_plan",
            "cutover_record"
        ]
    );
    assert!(out["data_loss_seconds"].is_number(), "{out}");
    assert!(out["checked_at"].as_str().is_some_and(|t| t.ends_with('Z')));
}
