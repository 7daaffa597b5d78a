//! The recovery plan: one parser for the check command and every
//! function's init. Each fixture of tests/fixtures/plans holds one mistake:
//! refused, naming its field, with the same message from `check-plan` and
//! from the drill function's init. And a scenario's expansion, bounded.

use std::process::Command;

use dr_lambdas::drill::DrillHandler;
use dr_lambdas::plan::{Patterns, Start, expand, parse};
use dr_lambdas::runtime::{Handler, Invocation};
use serde_json::{Value, json};

/// The template's name patterns, as the layer's build and the functions get them.
const PATTERNS: [(&str, &str); 2] = [
    ("DB_RECORD_NAME_PATTERN", "*.db.internal"),
    ("DRILL_RECORD_NAME_PATTERN", "*.drill.internal"),
];

/// Each fixture, and the field its mistake is in.
const MISTAKES: [(&str, &str); 14] = [
    ("version-2", "version"),
    ("unknown-key", "databases[0].colour"),
    ("name-twice", "databases[1].name"),
    (
        "drill-record-is-a-production-record",
        "databases[1].drill_record",
    ),
    ("standby-without-a-drillable-source", "databases[0].drill"),
    ("unknown-scenario", "databases[0].restore.outage"),
    (
        "invalid-restore",
        "databases[2].restore.regional-outage.db_instance",
    ),
    (
        "time-in-a-point-in-time-scenario",
        "databases[0].restore.bad-data.restore_time",
    ),
    (
        "required-database-left-out-of-a-traffic-move",
        "databases[1].restore",
    ),
    ("bad-account", "scenarios.regional-outage.runs_in.account"),
    ("record-not-normalized", "databases[0].record"),
    (
        "drill-record-in-the-production-pattern",
        "databases[2].drill_record",
    ),
    ("record-in-the-drill-pattern", "databases[1].record"),
    ("two-databases-one-copy", "databases[2].restore.bad-data"),
];

fn fixture(name: &str) -> String {
    format!("tests/fixtures/plans/{name}.json")
}

/// What `check-plan` says of `path`: its exit code and its one line.
fn check_plan(path: &str) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_check-plan"))
        .arg(path)
        .envs(PATTERNS)
        .output()
        .expect("run check-plan");
    let text = String::from_utf8_lossy(if out.status.success() {
        &out.stdout
    } else {
        &out.stderr
    })
    .trim()
    .to_owned();
    (out.status.code().unwrap_or(-1), text)
}

/// What the drill function's init says of the plan at `path`. The
/// function starts all the same: it is every recovery's pre-flight, which
/// a plan's mistake must not stop; the mistake refuses the plan action.
fn init_with(path: &str) -> Result<(), String> {
    let sdk = aws_config::SdkConfig::builder()
        .region(aws_config::Region::new("us-west-2"))
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    let env = [PATTERNS[0], PATTERNS[1], ("PLAN_FILE", path)];
    let handler = DrillHandler::from_config(&env, &sdk).expect("the function starts");
    match handler.plan_mistake() {
        Some(mistake) => Err(mistake.to_owned()),
        None => Ok(()),
    }
}

#[test]
fn each_mistake_is_refused_naming_its_field_with_the_same_message_from_the_check_and_the_init() {
    for (name, field) in MISTAKES {
        let (code, said) = check_plan(&fixture(name));
        assert_eq!(code, 1, "{name}: {said}");
        assert!(
            said.starts_with(&format!("recovery plan: {field}: ")),
            "{name}: {said}"
        );
        assert_eq!(init_with(&fixture(name)), Err(said), "{name}");
    }
}

#[test]
fn every_fixture_is_one_of_the_listed_mistakes() {
    let mut listed: Vec<String> = MISTAKES.iter().map(|(n, _)| format!("{n}.json")).collect();
    let mut found: Vec<String> = std::fs::read_dir("tests/fixtures/plans")
        .expect("the fixtures")
        .map(|e| e.expect("entry").file_name().into_string().expect("utf-8"))
        .collect();
    listed.sort();
    found.sort();
    assert_eq!(found, listed);
}

#[test]
fn the_example_plan_passes_the_check_under_the_templates_patterns() {
    let (code, said) = check_plan("plan/recovery-plan.json");
    assert_eq!(code, 0, "{said}");
    assert_eq!(
        said,
        "recovery plan plan/recovery-plan.json: 3 databases, scenarios bad-data, regional-outage"
    );
    assert_eq!(init_with("plan/recovery-plan.json"), Ok(()));
}

#[test]
fn a_plan_file_that_is_named_but_missing_is_a_mistake_at_init() {
    let err = init_with("plan/no-such-plan.json").unwrap_err();
    assert!(
        err.starts_with("'plan/no-such-plan.json' cannot be read"),
        "{err}"
    );
}

fn example() -> dr_lambdas::plan::Plan {
    let text = std::fs::read_to_string("plan/recovery-plan.json").expect("the example");
    parse(&text, &Patterns::default()).expect("a valid plan")
}

fn start(value: Value) -> Start {
    serde_json::from_value(value).expect("a start")
}

#[test]
fn a_regional_outage_expands_to_every_database_with_its_own_restore() {
    let out = expand(&example(), &start(json!({"scenario": "regional-outage"}))).unwrap();
    let names: Vec<&str> = out.iter().map(|e| e.database.as_str()).collect();
    assert_eq!(names, ["orders", "inventory", "customers"]);
    assert_eq!(out[0].restore["standby"], "orders-replica");
    assert_eq!(out[0].record, "orders.db.internal");
}

#[test]
fn bad_data_restores_only_the_named_databases_at_the_given_time() {
    let out = expand(
        &example(),
        &start(json!({"scenario": "bad-data", "databases": ["orders"],
                      "restore_time": "2026-12-01T03:40:00Z"})),
    )
    .unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].restore["restore_time"], "2026-12-01T03:40:00Z");
    assert_eq!(out[0].restore["source_db_instance"], "orders");
}

#[test]
fn bad_data_without_its_databases_or_its_time_is_refused() {
    for (given, field) in [
        (
            json!({"scenario": "bad-data", "restore_time": "2026-12-01T03:40:00Z"}),
            "databases",
        ),
        (
            json!({"scenario": "bad-data", "databases": ["orders"]}),
            "restore_time",
        ),
    ] {
        let err = expand(&example(), &start(given)).unwrap_err();
        assert_eq!(err.name(), "InvalidRequest");
        assert!(err.to_string().starts_with(&format!("{field}: ")), "{err}");
    }
}

#[test]
fn only_an_optional_database_may_be_skipped_and_only_one_of_the_plan() {
    let skipped = expand(
        &example(),
        &start(json!({"scenario": "regional-outage", "skip": ["customers"]})),
    )
    .unwrap();
    assert_eq!(skipped.len(), 2);
    for (skip, says) in [("orders", "is required"), ("search", "is not a database")] {
        let err = expand(
            &example(),
            &start(json!({"scenario": "regional-outage", "skip": [skip]})),
        )
        .unwrap_err();
        assert!(err.to_string().contains(says), "{err}");
    }
}

#[test]
fn an_unknown_scenario_is_refused_naming_the_plans() {
    let err = expand(&example(), &start(json!({"scenario": "meteor"}))).unwrap_err();
    assert!(
        err.to_string()
            .contains("(its scenarios: bad-data, regional-outage)"),
        "{err}"
    );
}

#[tokio::test]
async fn the_plan_action_for_40_databases_answers_far_under_the_payload_limit() {
    let mut plan: Value =
        serde_json::from_str(&std::fs::read_to_string("plan/recovery-plan.json").unwrap()).unwrap();
    let template = plan["databases"][2].clone();
    let databases: Vec<Value> = (0..40)
        .map(|i| {
            let mut db = template.clone();
            db["name"] = json!(format!("db{i:02}"));
            db["record"] = json!(format!("db{i:02}.db.internal"));
            db["drill_record"] = json!(format!("db{i:02}.drill.internal"));
            db["restore"]["regional-outage"]["db_instance"] = json!(format!("db{i:02}-recovered"));
            db["restore"]["regional-outage"]["source_db_instance"] = json!(format!("db{i:02}"));
            db["restore"]["bad-data"]["db_instance"] = json!(format!("db{i:02}-before-bad-data"));
            db["restore"]["bad-data"]["source_db_instance"] = json!(format!("db{i:02}"));
            db
        })
        .collect();
    plan["databases"] = json!(databases);
    let dir = std::env::temp_dir().join(format!("dr-plan-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("recovery-plan.json");
    std::fs::write(&path, plan.to_string()).unwrap();
    let sdk = aws_config::SdkConfig::builder()
        .region(aws_config::Region::new("us-west-2"))
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    let env = [("PLAN_FILE", path.to_str().unwrap())];
    let handler = DrillHandler::from_config(&env, &sdk).expect("a 40-database plan loads");

    let out = handler
        .handle(
            json!({"action": "plan", "start": {"scenario": "regional-outage"}}),
            &Invocation::new("req-1"),
        )
        .await
        .unwrap();

    assert_eq!(out["databases"].as_array().map(Vec::len), Some(40));
    assert_eq!(out["moves_traffic"], true);
    let bytes = out.to_string().len();
    assert!(bytes < 32 * 1024, "{bytes} bytes for 40 databases");
}

/// The layer's build (plan/Makefile's target, as sam build runs it) on
/// `plan`: whether it succeeded, and whether it produced the layer's file.
fn build_layer(plan: &str) -> (bool, bool) {
    let artifacts = std::env::temp_dir().join(format!(
        "dr-plan-layer-{}-{}",
        std::process::id(),
        plan.replace('/', "-")
    ));
    std::fs::create_dir_all(&artifacts).unwrap();
    let status = Command::new("make")
        .args(["--silent", "-f", "plan/Makefile", "build-RecoveryPlanLayer"])
        .arg(format!("PLAN={plan}"))
        .arg(format!("CHECK_PLAN={}", env!("CARGO_BIN_EXE_check-plan")))
        .arg(format!("ARTIFACTS_DIR={}", artifacts.display()))
        .output()
        .expect("run make");
    let built = artifacts.join("recovery-plan.json").exists();
    std::fs::remove_dir_all(&artifacts).ok();
    (status.status.success(), built)
}

#[test]
fn the_layers_build_fails_on_a_plan_with_a_mistake_and_builds_a_good_one() {
    assert_eq!(
        build_layer(&fixture("standby-without-a-drillable-source")),
        (false, false)
    );
    assert_eq!(build_layer("plan/recovery-plan.json"), (true, true));
}

#[tokio::test]
async fn a_plan_with_a_mistake_refuses_the_plan_action_and_never_a_recoverys_pre_flight() {
    let sdk = aws_config::SdkConfig::builder()
        .region(aws_config::Region::new("us-west-2"))
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    let path = fixture("version-2");
    let env = [("PLAN_FILE", path.as_str())];
    let handler = DrillHandler::from_config(&env, &sdk).expect("the function starts");

    let plan = handler
        .handle(
            json!({"action": "plan", "start": {"scenario": "regional-outage"}}),
            &Invocation::new("r1"),
        )
        .await;
    let recovery = handler
        .handle(
            json!({"action": "preflight", "execution": "x", "deployment": {},
                   "input": {"restore": {"db_instance": "orders-dr", "snapshot_id": "latest",
                                         "source_db_instance": "orders"},
                             "failover": "none"}}),
            &Invocation::new("r2"),
        )
        .await;

    let err = plan.unwrap_err();
    assert_eq!(err.name(), "Misconfigured");
    assert!(err.to_string().contains("recovery plan: version:"), "{err}");
    assert_eq!(recovery.unwrap()["traffic"], false);
}
