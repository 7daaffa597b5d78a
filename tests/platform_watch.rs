//! The platform's wait (`watch`) and cutover plan (`cutover`), actions of
//! the workflow's helper: at the SDK boundary (aws-smithy-mocks: exactly the
//! reads sent for 40 databases) and against moto (the filters RDS takes).
//!
//! moto is instantly `available`, so a database that stays `creating` is
//! shown with mocks.

mod common;

use std::sync::{Arc, Mutex};

use aws_sdk_rds::Client;
use aws_sdk_rds::operation::describe_db_clusters::DescribeDbClustersOutput;
use aws_sdk_rds::operation::describe_db_instances::DescribeDbInstancesOutput;
use aws_sdk_rds::types::{DbCluster, DbInstance};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use dr_lambdas::drill::{DrillHandler, DrillSettings};
use dr_lambdas::runtime::{Handler, Invocation};
use serde_json::{Value, json};

type Sent = Arc<Mutex<Vec<(String, Vec<String>)>>>;

fn handler(rds: Client) -> DrillHandler {
    let route53 = mock_client!(aws_sdk_route53, RuleMode::MatchAny, []);
    let cloudwatch = mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, []);
    DrillHandler::new(
        rds,
        route53,
        cloudwatch,
        "us-west-2",
        DrillSettings::default(),
    )
}

/// Records each filter of a request as `(name, values)`; matches always.
fn record(sent: &Sent, filters: &[aws_sdk_rds::types::Filter]) -> bool {
    for f in filters {
        sent.lock()
            .unwrap()
            .push((f.name().unwrap_or_default().to_owned(), f.values().to_vec()));
    }
    true
}

/// An RDS client whose instances are all `creating` but `ready`, which is
/// `available`, and whose clusters are `available`; every filter it is
/// sent is recorded as `(filter name, values)`.
fn rds(sent: &Sent, ready: &'static str) -> Client {
    let seen = sent.clone();
    let instances = mock!(Client::describe_db_instances)
        .match_requests(move |r| record(&seen, r.filters()))
        .then_output(move || {
            // The filter's values are not visible here: answer every id the
            // tests use (RDS answers only those asked, which `judge` relies
            // on no more than this).
            DescribeDbInstancesOutput::builder()
                .set_db_instances(Some(
                    (0..40)
                        .map(|i| {
                            let id = format!("db{i:02}-dr");
                            DbInstance::builder()
                                .db_instance_status(if id == ready {
                                    "available"
                                } else {
                                    "creating"
                                })
                                .db_instance_identifier(id)
                                .build()
                        })
                        .collect(),
                ))
                .build()
        });
    let seen = sent.clone();
    let clusters = mock!(Client::describe_db_clusters)
        .match_requests(move |r| record(&seen, r.filters()))
        .then_output(|| {
            DescribeDbClustersOutput::builder()
                .db_clusters(
                    DbCluster::builder()
                        .db_cluster_identifier("inventory-dr")
                        .status("available")
                        .build(),
                )
                .build()
        });
    mock_client!(aws_sdk_rds, RuleMode::MatchAny, [&instances, &clusters])
}

/// Forty instance restores in us-west-2, all `creating` when last seen, and
/// an Aurora cluster whose writer is pending.
fn platform() -> Vec<Value> {
    let mut out: Vec<Value> = (0..40)
        .map(|i| {
            json!({"database": format!("db{i:02}"), "restore": {},
                   "result": {"instance_id": format!("db{i:02}-dr"), "cluster_id": null,
                              "region": "us-west-2", "status": "restoring",
                              "db_instance_status": "creating", "pending": []}})
        })
        .collect();
    out.push(json!({"database": "inventory", "restore": {},
                    "result": {"instance_id": "inventory-dr-writer", "cluster_id": "inventory-dr",
                               "region": "us-west-2", "status": "restoring",
                               "db_instance_status": null, "cluster_status": "creating",
                               "pending": ["CreateDBInstance"]}}));
    out
}

async fn watch(handler: &DrillHandler, databases: Vec<Value>) -> Value {
    handler
        .handle(
            json!({"action": "watch", "databases": databases}),
            &Invocation::new("watch"),
        )
        .await
        .expect("a poll")
}

#[tokio::test]
async fn a_poll_of_41_databases_reads_two_instance_batches_of_20_and_one_cluster_batch() {
    let sent = Sent::default();
    let handler = handler(rds(&sent, "none"));

    let out = watch(&handler, platform()).await;

    let sent = sent.lock().unwrap().clone();
    let sizes: Vec<(&str, usize)> = sent.iter().map(|(n, v)| (n.as_str(), v.len())).collect();
    // 41 instance identifiers (the writer's too, read while it is pending):
    // 20, 20 and 1; one cluster.
    assert_eq!(
        sizes,
        [
            ("db-cluster-id", 1),
            ("db-instance-id", 20),
            ("db-instance-id", 20),
            ("db-instance-id", 1)
        ]
    );
    assert_eq!(out["reads"], 4);
}

#[tokio::test]
async fn only_the_databases_whose_state_changed_go_back_to_the_restore_function() {
    let sent = Sent::default();
    let handler = handler(rds(&sent, "db07-dr"));

    let out = watch(&handler, platform()).await;

    assert_eq!(out["next"], "resume");
    let resumed: Vec<&str> = out["resume"]
        .as_array()
        .expect("resume")
        .iter()
        .filter_map(|w| w["database"].as_str())
        .collect();
    // db07 became available; inventory's cluster is available and its
    // writer pending: the restore function creates it.
    assert_eq!(resumed, ["db07", "inventory"]);
    assert_eq!(out["waiting"].as_array().map(Vec::len), Some(39));
}

#[tokio::test]
async fn a_poll_where_nothing_changed_waits_and_sends_nothing_back() {
    let sent = Sent::default();
    let handler = handler(rds(&sent, "none"));
    let mut databases = platform();
    databases.pop();

    let out = watch(&handler, databases).await;

    assert_eq!(out["next"], "wait");
    assert_eq!(out["resume"], json!([]));
}

#[tokio::test]
async fn the_restore_functions_answers_are_merged_and_a_settled_platform_reads_nothing() {
    let sent = Sent::default();
    let handler = handler(rds(&sent, "none"));
    let databases = vec![json!({"database": "orders", "restore": {},
        "result": {"instance_id": "orders-dr", "region": "us-west-2", "status": "restoring",
                   "db_instance_status": "creating", "pending": []}})];
    let resumed = vec![json!({"database": "orders", "restore": {},
        "result": {"instance_id": "orders-dr", "region": "us-west-2", "status": "available",
                   "db_instance_status": "available", "endpoint": "orders-dr.x", "pending": []}})];

    let out = handler
        .handle(
            json!({"action": "watch", "databases": databases, "resumed": resumed}),
            &Invocation::new("watch"),
        )
        .await
        .expect("a poll");

    assert_eq!(out["next"], "settled");
    assert_eq!(out["available"], json!(["orders"]));
    assert_eq!(out["reads"], 0);
    assert!(sent.lock().unwrap().is_empty());
}

#[tokio::test]
async fn the_cutover_action_plans_one_batch_for_every_ready_database() {
    let handler = handler(mock_client!(aws_sdk_rds, RuleMode::MatchAny, []));

    let out = handler
        .handle(
            json!({"action": "cutover", "zone": "Z1", "ttl": "30", "execution": "exec-1",
                   "databases": [
                       {"database": "orders", "record": "orders.db.internal", "restore": {},
                        "result": {"status": "available", "endpoint": "orders-dr.x", "pending": [],
                                   "data_loss_seconds": 42},
                        "validation": {"valid": true}},
                       {"database": "search", "required": false, "record": "search.db.internal",
                        "restore": {}, "result": {"status": "failed", "db_instance_status": "incompatible-restore"}}]}),
            &Invocation::new("cutover"),
        )
        .await
        .expect("a plan");

    assert_eq!(out["go"], true);
    assert_eq!(out["moved"], json!(["orders"]));
    assert_eq!(
        out["request"]["ChangeBatch"]["Changes"][0]["ResourceRecordSet"]["Name"],
        "orders.db.internal"
    );
    assert_eq!(
        out["failed"],
        json!(["search (optional): RDS reports it incompatible-restore"])
    );
    assert_eq!(out["report"]["data_loss_seconds"], 42);
}

#[tokio::test]
async fn moto_answers_the_batched_read_with_the_filters_rds_takes() {
    let url = moto_or_skip!();
    let west = common::rds(&url, "us-west-2");
    let mut databases = Vec::new();
    for name in ["orders", "customers"] {
        let id = common::unique(name);
        west.create_db_instance()
            .db_instance_identifier(&id)
            .engine("postgres")
            .db_instance_class("db.t4g.micro")
            .allocated_storage(20)
            .master_username("platform")
            .master_user_password("not-a-secret-1")
            .send()
            .await
            .expect("create an instance");
        databases.push(json!({"database": name, "restore": {},
            "result": {"instance_id": id, "region": "us-west-2", "status": "restoring",
                       "db_instance_status": "creating", "pending": []}}));
    }
    let handler = handler(west);

    let out = watch(&handler, databases).await;

    // moto creates at once: both changed to available, in one read.
    assert_eq!(out["reads"], 1);
    assert_eq!(out["next"], "resume");
    assert_eq!(out["resume"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn the_workflows_largest_state_for_40_databases_stays_under_200_kb() {
    // A restore function's answer as the workflow keeps it (its
    // ResultSelector's twelve fields), with long names and a note-sized
    // recovery point, for 40 databases all available at once: the poll
    // that answers `validate` carries every database twice.
    let sent = Sent::default();
    let handler = handler(rds(&sent, "none"));
    let restore = json!({"db_instance": "x".repeat(63), "snapshot_id": "latest",
                         "source_db_instance": "y".repeat(63), "region": "us-west-2",
                         "db_subnet_group": "z".repeat(60),
                         "vpc_security_group_ids": ["sg-0123456789abcdef0", "sg-0123456789abcdef1"]});
    let databases: Vec<Value> = (0..40)
        .map(|i| {
            json!({"database": format!("database-{i:02}-{}", "n".repeat(24)), "required": true,
                   "record": format!("database-{i:02}.{}.db.internal", "r".repeat(40)),
                   "restore": restore,
                   "result": {"instance_id": "x".repeat(63), "cluster_id": null,
                              "status": "available", "snapshot_id": "s".repeat(255),
                              "region": "us-west-2", "recovery_point": "2026-12-04T03:00:00Z",
                              "data_loss_seconds": 900, "db_instance_status": "available",
                              "pending": [], "endpoint": format!("{}.abcdefghijkl.us-west-2.rds.amazonaws.com", "x".repeat(63)),
                              "port": 5432, "engine": "aurora-postgresql"},
                   "available_at": "2026-12-04T03:20:00Z"})
        })
        .collect();
    let plan_databases: Vec<Value> = databases
        .iter()
        .map(|d| json!({"database": d["database"], "required": true, "record": d["record"], "restore": d["restore"]}))
        .collect();

    let out = watch(&handler, databases).await;

    assert_eq!(out["next"], "settled");
    // The state the workflow holds after that poll: the plan's list, the
    // poll's answer (as its ResultSelector keeps it), and the rest (under
    // 8 KB: the deployment, settings, the checked input's halves).
    let state = json!({"platform": {"databases": plan_databases},
                       "fleet": {"databases": out["databases"], "resume": out["resume"],
                                 "validate": out["validate"]}});
    let bytes = state.to_string().len() + 8 * 1024;
    assert!(bytes < 200 * 1024, "{bytes} bytes for 40 databases");
    eprintln!("the largest platform state for 40 databases: {bytes} bytes");
}
