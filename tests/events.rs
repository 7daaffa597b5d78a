//! Every sample in events/ is a fixture: it must decode into its handler's request.

mod common;

use std::fs;

use dr_lambdas::failover::config::FailoverConfig;
use dr_lambdas::failover::event::{self, Intent};
use dr_lambdas::restore::request;
use serde_json::Value;

fn samples(prefix: &str) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = fs::read_dir("events")
        .expect("events/")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|f| f.starts_with(prefix) && f.ends_with(".json"))
        .map(|f| {
            let text = fs::read_to_string(format!("events/{f}")).expect("read");
            let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{f}: {e}"));
            (f, json)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn the_standby_sample_names_the_seeded_replica() {
    let text = std::fs::read_to_string("events/restore-database-standby.json").expect("read");
    let req = dr_lambdas::restore::request::parse(
        serde_json::from_str(&text).expect("JSON"),
        common::restore_scope(),
    )
    .expect("the standby sample decodes");
    assert_eq!(
        req.source,
        dr_lambdas::restore::request::Source::Standby {
            standby: "ecommerce-db-replica".into(),
            allow_data_loss: false,
            max_data_loss_seconds: None,
        }
    );
}

#[test]
fn every_restore_sample_decodes_into_a_restore_request() {
    let all = samples("restore-");
    assert!(all.len() >= 10, "restore samples: {}", all.len());
    for (file, json) in all {
        let req =
            request::parse(json, common::restore_scope()).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(!req.target.instance_id().is_empty(), "{file}");
    }
}

#[test]
fn every_failover_sample_decodes_into_an_intent() {
    let env = [
        ("HOSTED_ZONE_ID", "Z0123456789ABC"),
        ("RECORD_NAMES", "shop.example.com"),
        ("PRIMARY_REGION", "us-east-1"),
        ("SECONDARY_REGION", "us-west-2"),
    ];
    let config = FailoverConfig::from_env(&env).unwrap();
    let all = samples("failover-region");
    assert!(all.len() >= 6, "failover samples: {}", all.len());
    for (file, json) in all {
        let intent = event::parse(json, &config).unwrap_or_else(|e| panic!("{file}: {e}"));
        let skipped = matches!(intent, Intent::Skip { .. });
        assert_eq!(skipped, file.contains("-ok"), "{file}: {intent:?}");
    }
}

/// The recovery workflow's samples, and the instance each restores (an
/// Aurora restore reports its writer).
const WORKFLOW_SAMPLES: [(&str, &str); 2] = [
    ("recovery-workflow.json", "ecommerce-db-recovered"),
    (
        "recovery-workflow-aurora.json",
        "orders-aurora-recovered-writer",
    ),
];

fn workflow_sample(file: &str) -> Value {
    let text = fs::read_to_string(format!("events/{file}")).expect("read");
    serde_json::from_str(&text).expect("JSON")
}

#[test]
fn the_recovery_workflow_input_carries_one_event_per_handler() {
    let env = [
        ("HOSTED_ZONE_ID", "Z0123456789ABC"),
        ("RECORD_NAMES", "shop.example.com"),
        ("PRIMARY_REGION", "us-east-1"),
        ("SECONDARY_REGION", "us-west-2"),
    ];
    let config = FailoverConfig::from_env(&env).unwrap();
    for (file, instance) in WORKFLOW_SAMPLES {
        let input = workflow_sample(file);
        let restore = request::parse(input["restore"].clone(), common::restore_scope())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(restore.target.instance_id(), instance, "{file}");
        let failover = event::parse(input["failover"].clone(), &config).expect("failover part");
        assert!(matches!(failover, Intent::Failover(_)), "{file}");
    }
}

/// The workflow polls the restored database in its own region, which the
/// README deploys in the recovery region: the one traffic moves to.
#[test]
fn the_recovery_workflow_samples_restore_in_the_region_they_fail_over_to() {
    for (file, _) in WORKFLOW_SAMPLES {
        let input = workflow_sample(file);
        let restore = request::parse(input["restore"].clone(), common::restore_scope())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(
            restore.region, input["failover"]["secondary_region"],
            "{file}"
        );
        // A snapshot of the primary's region could not be restored there.
        assert_eq!(restore.source.requested(), "latest", "{file}");
    }
}

#[test]
fn the_drill_sample_is_the_recovery_sample_as_a_drill_whose_restore_becomes_a_drills() {
    let drill = workflow_sample("recovery-drill.json");
    let recovery = workflow_sample("recovery-workflow.json");
    assert_eq!(drill["drill"], true);
    assert_eq!(drill["restore"], recovery["restore"]);
    assert_eq!(drill["failover"], recovery["failover"]);
    // What the drill function turns it into decodes as a drill's restore.
    let (restore, failover) = dr_lambdas::drill::plan::drill_inputs(
        &drill["restore"],
        &drill["failover"],
        "drill-sample",
    )
    .expect("a drill of the sample");
    let req = request::parse(restore, common::restore_scope()).expect("the drill's restore");
    assert_eq!(req.drill.as_deref(), Some("drill-sample"));
    assert!(
        req.target
            .instance_id()
            .starts_with("ecommerce-db-recovered-d")
    );
    assert_eq!(failover["dry_run"], true);
}

#[test]
fn the_plan_drill_sample_is_a_drill_of_a_scenario() {
    let input = workflow_sample("recovery-drill-plan.json");
    assert!(dr_lambdas::drill::preflight::is_platform(&input));
    let (drill, body) =
        dr_lambdas::drill::preflight::platform_body(input.as_object().expect("an object"))
            .expect("the pre-flight takes the sample");
    assert!(drill);
    let start = dr_lambdas::drill::preflight::platform_start(&body).expect("a scenario start");
    assert_eq!(start.scenario, "regional-outage");
}

#[test]
fn every_file_in_events_is_a_known_fixture() {
    for entry in fs::read_dir("events").expect("events/") {
        let name = entry
            .expect("entry")
            .file_name()
            .into_string()
            .expect("utf-8 name");
        let known = name.starts_with("restore-")
            || name.starts_with("failover-region")
            || name.starts_with("recovery-workflow")
            || name == "recovery-drill.json"
            || name == "recovery-drill-plan.json"
            || name == "check-readiness.json"
            || name == "check-readiness-plan.json"
            || name == "env.json";
        assert!(known, "events/{name} is covered by no test");
    }
}

#[test]
fn the_bad_data_sample_restores_a_point_in_time_and_moves_no_traffic() {
    let input = workflow_sample("recovery-workflow-bad-data.json");
    let checked = dr_lambdas::drill::preflight::check(
        &input,
        "bad-data-sample",
        &serde_json::json!({}),
        &dr_lambdas::drill::preflight::Records::default(),
        "us-west-2",
    )
    .expect("the pre-flight takes the sample");
    assert_eq!(checked["traffic"], false);
    assert_eq!(checked["drill"], false);
    let restore = request::parse(checked["restore"].clone(), common::restore_scope())
        .expect("its restore decodes");
    assert_eq!(restore.target.instance_id(), "ecommerce-db-before-bad-data");
    assert_eq!(
        restore.source.requested(),
        "restore_time 2026-12-01T03:40:00Z"
    );
}

#[test]
fn every_workflow_sample_passes_the_pre_flight() {
    for file in [
        "recovery-workflow.json",
        "recovery-workflow-aurora.json",
        "recovery-drill.json",
        "check-readiness.json",
    ] {
        let checked = dr_lambdas::drill::preflight::check(
            &workflow_sample(file),
            "sample",
            &serde_json::json!({}),
            &dr_lambdas::drill::preflight::Records::default(),
            "us-west-2",
        );
        assert!(checked.is_ok(), "{file}: {checked:?}");
    }
}
