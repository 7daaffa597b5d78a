//! A standby's promotion, captured at the SDK boundary with aws-smithy-mocks.
//!
//! moto 5.2.5 has global clusters but neither `SwitchoverGlobalCluster` nor
//! `FailoverGlobalCluster`, and it keeps a promoted replica's
//! `ReadReplicaSourceDBInstanceIdentifier`, which real RDS clears: so the
//! requests, and the replays as real RDS shows them, are proven here. Each
//! mock stands for what RDS (or CloudWatch) answers.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_sdk_cloudwatch::operation::get_metric_data::GetMetricDataOutput;
use aws_sdk_cloudwatch::types::MetricDataResult;
use aws_sdk_rds::Client;
use aws_sdk_rds::operation::add_tags_to_resource::AddTagsToResourceOutput;
use aws_sdk_rds::operation::describe_db_clusters::{
    DescribeDBClustersError, DescribeDbClustersOutput,
};
use aws_sdk_rds::operation::describe_db_instances::{
    DescribeDBInstancesError, DescribeDbInstancesOutput,
};
use aws_sdk_rds::operation::describe_global_clusters::DescribeGlobalClustersOutput;
use aws_sdk_rds::operation::failover_global_cluster::FailoverGlobalClusterOutput;
use aws_sdk_rds::operation::promote_read_replica::{
    PromoteReadReplicaError, PromoteReadReplicaOutput,
};
use aws_sdk_rds::operation::switchover_global_cluster::SwitchoverGlobalClusterOutput;
use aws_sdk_rds::types::error::{DbInstanceNotFoundFault, InvalidDbInstanceStateFault};
use aws_sdk_rds::types::{
    DbCluster, DbClusterMember, DbInstance, Endpoint, FailoverState, FailoverStatus, GlobalCluster,
    GlobalClusterMember, Tag,
};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_types::DateTime;
use dr_lambdas::restore::RestoreHandler;
use dr_lambdas::runtime::{Handler, Invocation};
use serde_json::{Value, json};

const REPLICA: &str = "orders-replica";
const REPLICA_ARN: &str = "arn:aws:rds:us-west-2:123456789012:db:orders-replica";
const SOURCE_ARN: &str = "arn:aws:rds:us-east-1:123456789012:db:orders";
const SECONDARY: &str = "orders-west";
const SECONDARY_ARN: &str = "arn:aws:rds:us-west-2:123456789012:cluster:orders-west";
const PRIMARY_ARN: &str = "arn:aws:rds:us-east-1:123456789012:cluster:orders";
const GLOBAL: &str = "orders-global";

/// The calls sent, in order, by operation name.
type Calls = Arc<Mutex<Vec<String>>>;
/// Each `AddTagsToResource`: the resource, and its tags.
type Tagged = Arc<Mutex<Vec<(String, Vec<(String, String)>)>>>;
/// Each `FailoverGlobalCluster`: the target, and `AllowDataLoss`.
type FailedOver = Arc<Mutex<Vec<(String, Option<bool>)>>>;

fn replica(status: &str, source: Option<&str>, ours: bool, retention: i32) -> DbInstance {
    let mut db = DbInstance::builder()
        .db_instance_identifier(REPLICA)
        .db_instance_arn(REPLICA_ARN)
        .db_instance_status(status)
        .backup_retention_period(retention)
        .endpoint(
            Endpoint::builder()
                .address("orders-replica.x.us-west-2.rds.amazonaws.com")
                .port(5432)
                .build(),
        )
        .set_read_replica_source_db_instance_identifier(source.map(str::to_owned));
    if ours {
        db = db.tag_list(
            Tag::builder()
                .key("dr-lambdas:provenance")
                .value(format!("standby:{REPLICA}"))
                .build(),
        );
    }
    db.build()
}

fn instance_is(id: &'static str, db: DbInstance) -> Rule {
    mock!(Client::describe_db_instances)
        .match_requests(move |r| r.db_instance_identifier() == Some(id))
        .then_output(move || {
            DescribeDbInstancesOutput::builder()
                .db_instances(db.clone())
                .build()
        })
}

fn no_instance(id: &'static str) -> Rule {
    mock!(Client::describe_db_instances)
        .match_requests(move |r| r.db_instance_identifier() == Some(id))
        .then_error(|| {
            DescribeDBInstancesError::DbInstanceNotFoundFault(
                DbInstanceNotFoundFault::builder().build(),
            )
        })
}

fn source_with_retention(days: i32) -> Rule {
    instance_is(
        "orders",
        DbInstance::builder()
            .db_instance_identifier("orders")
            .db_instance_status("available")
            .backup_retention_period(days)
            .build(),
    )
}

fn promote(calls: &Calls, sent: &Arc<Mutex<Vec<i32>>>) -> Rule {
    let (calls, sent) = (calls.clone(), sent.clone());
    mock!(Client::promote_read_replica)
        .match_requests(move |r| {
            calls.lock().unwrap().push("PromoteReadReplica".into());
            sent.lock()
                .unwrap()
                .push(r.backup_retention_period().unwrap_or(-1));
            r.db_instance_identifier() == Some(REPLICA)
        })
        .then_output(|| {
            PromoteReadReplicaOutput::builder()
                .db_instance(
                    DbInstance::builder()
                        .db_instance_status("modifying")
                        .build(),
                )
                .build()
        })
}

fn tag(calls: &Calls, resources: &Tagged) -> Rule {
    let (calls, resources) = (calls.clone(), resources.clone());
    mock!(Client::add_tags_to_resource)
        .match_requests(move |r| {
            calls.lock().unwrap().push("AddTagsToResource".into());
            let tags = r
                .tags()
                .iter()
                .map(|t| {
                    (
                        t.key().unwrap_or_default().to_owned(),
                        t.value().unwrap_or_default().to_owned(),
                    )
                })
                .collect();
            resources
                .lock()
                .unwrap()
                .push((r.resource_name().unwrap_or_default().to_owned(), tags));
            true
        })
        .then_output(|| AddTagsToResourceOutput::builder().build())
}

fn secondary_cluster(writer: bool) -> Rule {
    mock!(Client::describe_db_clusters)
        .match_requests(|r| r.db_cluster_identifier() == Some(SECONDARY))
        .then_output(move || {
            DescribeDbClustersOutput::builder()
                .db_clusters(
                    DbCluster::builder()
                        .db_cluster_identifier(SECONDARY)
                        .db_cluster_arn(SECONDARY_ARN)
                        .status("available")
                        .engine("aurora-postgresql")
                        .global_cluster_identifier(GLOBAL)
                        .endpoint("orders-west.cluster-x.us-west-2.rds.amazonaws.com")
                        .port(5432)
                        .db_cluster_members(
                            DbClusterMember::builder()
                                .db_instance_identifier("orders-west-1")
                                .is_cluster_writer(writer)
                                .build(),
                        )
                        .build(),
                )
                .build()
        })
}

fn global(secondary_writes: bool, failover: Option<FailoverState>) -> Rule {
    mock!(Client::describe_global_clusters)
        .match_requests(|r| r.global_cluster_identifier() == Some(GLOBAL))
        .then_output(move || {
            DescribeGlobalClustersOutput::builder()
                .global_clusters(
                    GlobalCluster::builder()
                        .global_cluster_identifier(GLOBAL)
                        .status("available")
                        .global_cluster_members(
                            GlobalClusterMember::builder()
                                .db_cluster_arn(PRIMARY_ARN)
                                .is_writer(!secondary_writes)
                                .build(),
                        )
                        .global_cluster_members(
                            GlobalClusterMember::builder()
                                .db_cluster_arn(SECONDARY_ARN)
                                .is_writer(secondary_writes)
                                .build(),
                        )
                        .set_failover_state(failover.clone())
                        .build(),
                )
                .build()
        })
}

/// The primary cluster, read in us-east-1 before a switchover: available
/// with its writer (`answers`), or not found there.
fn primary(answers: bool) -> Rule {
    primary_is("available", answers)
}

/// The primary cluster in `status`, with a writer or without.
fn primary_is(status: &'static str, writer: bool) -> Rule {
    mock!(Client::describe_db_clusters)
        .match_requests(|r| r.db_cluster_identifier() == Some("orders"))
        .then_output(move || {
            DescribeDbClustersOutput::builder()
                .db_clusters(
                    DbCluster::builder()
                        .db_cluster_identifier("orders")
                        .status(status)
                        .db_cluster_members(
                            DbClusterMember::builder()
                                .db_instance_identifier("orders-east-1")
                                .is_cluster_writer(writer)
                                .build(),
                        )
                        .build(),
                )
                .build()
        })
}

/// The primary region failing: RDS answers `InternalFailure` (a 5xx) to
/// every read of the primary cluster.
fn primary_failing() -> Rule {
    mock!(Client::describe_db_clusters)
        .match_requests(|r| r.db_cluster_identifier() == Some("orders"))
        .then_error(|| {
            DescribeDBClustersError::generic(
                aws_smithy_types::error::ErrorMetadata::builder()
                    .code("InternalFailure")
                    .message("We encountered an internal error. Please try again.")
                    .build(),
            )
        })
}

/// CloudWatch answering `value` for the first query, measured 30 s ago.
fn lag_of(value: f64, asked: &Arc<Mutex<Vec<String>>>) -> aws_sdk_cloudwatch::Client {
    let asked = asked.clone();
    let rule = mock!(aws_sdk_cloudwatch::Client::get_metric_data)
        .match_requests(move |r| {
            for q in r.metric_data_queries() {
                let stat = q.metric_stat().expect("a metric stat");
                let metric = stat.metric().expect("a metric");
                let dims: Vec<String> = metric
                    .dimensions()
                    .iter()
                    .map(|d| {
                        format!(
                            "{}={}",
                            d.name().unwrap_or_default(),
                            d.value().unwrap_or_default()
                        )
                    })
                    .collect();
                asked.lock().unwrap().push(format!(
                    "{}/{} {} {} {}",
                    metric.namespace().unwrap_or_default(),
                    metric.metric_name().unwrap_or_default(),
                    dims.join(","),
                    stat.stat().unwrap_or_default(),
                    stat.period().unwrap_or_default()
                ));
            }
            true
        })
        .then_output(move || {
            let at = DateTime::from(SystemTime::now() - Duration::from_secs(30));
            GetMetricDataOutput::builder()
                .metric_data_results(
                    MetricDataResult::builder()
                        .id("m0")
                        .timestamps(at)
                        .values(value)
                        .build(),
                )
                .build()
        });
    mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [&rule])
}

async fn run(
    rules: &[&Rule],
    cloudwatch: Option<aws_sdk_cloudwatch::Client>,
    event: Value,
) -> Result<Value, dr_lambdas::Error> {
    let client = mock_client!(aws_sdk_rds, RuleMode::MatchAny, rules);
    let mut handler = RestoreHandler::new(client, "us-west-2", None);
    if let Some(cw) = cloudwatch {
        handler = handler.with_cloudwatch(cw);
    }
    handler
        .handle(event, &Invocation::new("req-1"))
        .await
        .map(|r| serde_json::to_value(r).expect("a result serialises"))
}

#[tokio::test]
async fn a_replica_is_promoted_keeping_its_sources_retention_then_tagged_ours() {
    let (calls, retention, tagged) = (Calls::default(), Arc::default(), Arc::default());
    let out = run(
        &[
            &instance_is(REPLICA, replica("available", Some(SOURCE_ARN), false, 0)),
            &source_with_retention(14),
            &promote(&calls, &retention),
            &tag(&calls, &tagged),
        ],
        None,
        json!({"standby": REPLICA, "region": "us-west-2"}),
    )
    .await
    .unwrap();
    assert_eq!(
        *calls.lock().unwrap(),
        ["AddTagsToResource", "PromoteReadReplica"]
    );
    assert_eq!(*retention.lock().unwrap(), [14]);
    let tagged = tagged.lock().unwrap();
    assert_eq!(tagged[0].0, REPLICA_ARN);
    assert!(
        tagged[0]
            .1
            .contains(&("dr-lambdas:provenance".into(), format!("standby:{REPLICA}")))
    );
    assert_eq!(out["status"], "restoring");
    assert_eq!(out["instance_id"], REPLICA);
    assert_eq!(out["db_instance_status"], "modifying");
    assert_eq!(out["endpoint"], Value::Null);
    assert_eq!(out["replayed"], false);
}

#[tokio::test]
async fn a_source_region_that_does_not_answer_leaves_seven_days_of_backups_not_zero() {
    let (calls, retention, tagged) = (Calls::default(), Arc::default(), Arc::default());
    run(
        &[
            &instance_is(REPLICA, replica("available", Some(SOURCE_ARN), false, 0)),
            &no_instance("orders"),
            &promote(&calls, &retention),
            &tag(&calls, &tagged),
        ],
        None,
        json!({"standby": REPLICA, "region": "us-west-2"}),
    )
    .await
    .unwrap();
    assert_eq!(*retention.lock().unwrap(), [7]);
}

#[tokio::test]
async fn the_lag_is_read_from_replica_lag_and_becomes_the_data_loss_window() {
    let (calls, retention, tagged) = (Calls::default(), Arc::default(), Arc::default());
    let asked = Arc::default();
    let out = run(
        &[
            &instance_is(REPLICA, replica("available", Some(SOURCE_ARN), false, 3)),
            &promote(&calls, &retention),
            &tag(&calls, &tagged),
        ],
        Some(lag_of(42.0, &asked)),
        json!({"standby": REPLICA, "region": "us-west-2"}),
    )
    .await
    .unwrap();
    assert_eq!(
        *asked.lock().unwrap(),
        [format!(
            "AWS/RDS/ReplicaLag DBInstanceIdentifier={REPLICA} Maximum 60"
        )]
    );
    assert_eq!(out["data_loss_seconds"], 42);
    assert_eq!(out["lag_seconds"], 42);
}

#[tokio::test]
async fn a_lag_above_max_data_loss_seconds_is_refused_and_nothing_is_sent() {
    let asked = Arc::default();
    let err = run(
        &[&instance_is(
            REPLICA,
            replica("available", Some(SOURCE_ARN), false, 3),
        )],
        Some(lag_of(120.0, &asked)),
        json!({"standby": REPLICA, "region": "us-west-2", "max_data_loss_seconds": 60}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.name(), "DataLossAboveLimit");
    assert!(err.to_string().contains("120 s of data"), "{err}");
}

#[tokio::test]
async fn a_replica_rds_is_backing_up_is_refused_as_retryable_standby_not_ready() {
    let calls = Calls::default();
    let c = calls.clone();
    let refuse = mock!(Client::promote_read_replica)
        .match_requests(move |_| {
            c.lock().unwrap().push("PromoteReadReplica".into());
            true
        })
        .then_error(|| {
            PromoteReadReplicaError::InvalidDbInstanceStateFault(
                InvalidDbInstanceStateFault::builder()
                    .message("DB Instance is not in an available state: backing-up")
                    .build(),
            )
        });
    let err = run(
        &[
            &instance_is(REPLICA, replica("available", Some(SOURCE_ARN), false, 3)),
            &tag(&calls, &Tagged::default()),
            &refuse,
        ],
        None,
        json!({"standby": REPLICA, "region": "us-west-2"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.name(), "StandbyNotReady");
    assert!(err.is_retryable());
    // The tag stays: the retry recognises it, finds the replica still a
    // replica, and asks for the promotion again once RDS can.
    assert_eq!(
        *calls.lock().unwrap(),
        ["AddTagsToResource", "PromoteReadReplica"]
    );
}

#[tokio::test]
async fn a_replay_while_rds_still_promotes_reports_restoring_and_sends_nothing() {
    // Real RDS names the source until the promotion completes.
    let out = run(
        &[&instance_is(
            REPLICA,
            replica("modifying", Some(SOURCE_ARN), true, 7),
        )],
        None,
        json!({"standby": REPLICA, "region": "us-west-2"}),
    )
    .await
    .unwrap();
    assert_eq!(out["replayed"], true);
    assert_eq!(out["status"], "restoring");
    assert_eq!(out["endpoint"], Value::Null);
}

#[tokio::test]
async fn a_replay_after_the_promotion_completed_reports_available_with_the_endpoint() {
    let out = run(
        &[&instance_is(REPLICA, replica("available", None, true, 7))],
        None,
        json!({"standby": REPLICA, "region": "us-west-2"}),
    )
    .await
    .unwrap();
    assert_eq!(out["replayed"], true);
    assert_eq!(out["status"], "available");
    assert_eq!(
        out["endpoint"],
        "orders-replica.x.us-west-2.rds.amazonaws.com"
    );
    assert_eq!(out["port"], 5432);
}

#[tokio::test]
async fn a_dry_run_shows_the_exact_promotion_and_sends_nothing() {
    let out = run(
        &[&instance_is(
            REPLICA,
            replica("available", Some(SOURCE_ARN), false, 5),
        )],
        None,
        json!({"standby": REPLICA, "region": "us-west-2", "dry_run": true}),
    )
    .await
    .unwrap();
    assert_eq!(out["status"], "dry_run");
    assert_eq!(
        out["plan"][0]["AddTagsToResource"]["ResourceName"],
        REPLICA_ARN
    );
    assert_eq!(
        out["plan"][1],
        json!({"PromoteReadReplica": {"DBInstanceIdentifier": REPLICA, "BackupRetentionPeriod": 5}})
    );
}

fn switchover(calls: &Calls, sent: &Arc<Mutex<Vec<(String, String)>>>) -> Rule {
    let (calls, sent) = (calls.clone(), sent.clone());
    mock!(Client::switchover_global_cluster)
        .match_requests(move |r| {
            calls.lock().unwrap().push("SwitchoverGlobalCluster".into());
            sent.lock().unwrap().push((
                r.global_cluster_identifier().unwrap_or_default().into(),
                r.target_db_cluster_identifier().unwrap_or_default().into(),
            ));
            true
        })
        .then_output(|| {
            SwitchoverGlobalClusterOutput::builder()
                .global_cluster(GlobalCluster::builder().status("switching-over").build())
                .build()
        })
}

#[tokio::test]
async fn a_global_secondary_is_switched_over_by_its_arn_when_the_primary_region_answers() {
    let (calls, sent, tagged) = (Calls::default(), Arc::default(), Arc::default());
    let out = run(
        &[
            &no_instance(SECONDARY),
            &secondary_cluster(false),
            &global(false, None),
            &primary(true),
            &switchover(&calls, &sent),
            &tag(&calls, &tagged),
        ],
        None,
        json!({"standby": SECONDARY, "region": "us-west-2"}),
    )
    .await
    .unwrap();
    assert_eq!(
        *calls.lock().unwrap(),
        ["AddTagsToResource", "SwitchoverGlobalCluster"]
    );
    assert_eq!(
        *sent.lock().unwrap(),
        [(GLOBAL.to_owned(), SECONDARY_ARN.to_owned())]
    );
    assert_eq!(tagged.lock().unwrap()[0].0, SECONDARY_ARN);
    assert_eq!(out["cluster_id"], SECONDARY);
    assert_eq!(out["instance_id"], "orders-west-1");
    assert_eq!(out["status"], "restoring");
    assert_eq!(out["data_loss_seconds"], 0, "a switchover loses nothing");
}

#[tokio::test]
async fn a_primary_region_that_does_not_answer_refuses_the_switchover_and_sends_nothing() {
    let (calls, sent) = (Calls::default(), Arc::default());
    let err = run(
        &[
            &no_instance(SECONDARY),
            &secondary_cluster(false),
            &global(false, None),
            &primary_failing(),
            &switchover(&calls, &sent),
        ],
        None,
        json!({"standby": SECONDARY, "region": "us-west-2"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.name(), "PrimaryRegionUnreachable");
    assert!(
        err.to_string().contains("\"allow_data_loss\": true"),
        "{err}"
    );
    assert!(calls.lock().unwrap().is_empty());
}

/// `FailoverGlobalCluster`, recording the call and its target and flag.
fn failover(calls: &Calls, sent: &FailedOver) -> Rule {
    let (c, s) = (calls.clone(), sent.clone());
    mock!(Client::failover_global_cluster)
        .match_requests(move |r| {
            c.lock().unwrap().push("FailoverGlobalCluster".into());
            s.lock().unwrap().push((
                r.target_db_cluster_identifier().unwrap_or_default().into(),
                r.allow_data_loss(),
            ));
            true
        })
        .then_output(|| FailoverGlobalClusterOutput::builder().build())
}

#[tokio::test]
async fn allow_data_loss_fails_over_with_allow_data_loss_and_counts_the_aurora_lag() {
    let (calls, tagged) = (Calls::default(), Arc::default());
    let sent: FailedOver = Arc::default();
    let failover = failover(&calls, &sent);
    let asked = Arc::default();
    let out = run(
        &[
            &no_instance(SECONDARY),
            &secondary_cluster(false),
            &global(false, None),
            &failover,
            &tag(&calls, &tagged),
        ],
        Some(lag_of(1500.0, &asked)),
        json!({"standby": SECONDARY, "region": "us-west-2", "allow_data_loss": true}),
    )
    .await
    .unwrap();
    assert_eq!(
        *sent.lock().unwrap(),
        [(SECONDARY_ARN.to_owned(), Some(true))]
    );
    assert_eq!(
        *calls.lock().unwrap(),
        ["AddTagsToResource", "FailoverGlobalCluster"]
    );
    assert_eq!(out["data_loss_seconds"], 2, "1500 ms, rounded up");
    let asked = asked.lock().unwrap();
    assert_eq!(
        asked[..2],
        [
            format!("AWS/RDS/AuroraGlobalDBRPOLag DBClusterIdentifier={SECONDARY} Maximum 60"),
            format!(
                "AWS/RDS/AuroraGlobalDBRPOLag DBClusterIdentifier={SECONDARY},SourceRegion=us-east-1 Maximum 60"
            ),
        ]
    );
}

#[tokio::test]
async fn a_primary_region_that_refuses_the_role_is_access_denied_not_unreachable() {
    // Only silence, a 5xx or throttling count as a region down: an IAM
    // fault must not push an operator into a lossy failover.
    let denied = mock!(Client::describe_db_clusters)
        .match_requests(|r| r.db_cluster_identifier() == Some("orders"))
        .then_error(|| {
            DescribeDBClustersError::generic(
                aws_smithy_types::error::ErrorMetadata::builder()
                    .code("AccessDenied")
                    .message("not authorized to perform rds:DescribeDBClusters")
                    .build(),
            )
        });
    let (calls, sent) = (Calls::default(), Arc::default());
    let err = run(
        &[
            &no_instance(SECONDARY),
            &secondary_cluster(false),
            &global(false, None),
            &denied,
            &switchover(&calls, &sent),
        ],
        None,
        json!({"standby": SECONDARY, "region": "us-west-2"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.name(), "AccessDenied");
    assert!(calls.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_switchover_under_way_is_replayed_as_restoring_and_nothing_is_sent() {
    let state = FailoverState::builder()
        // Newer than this SDK's enum: read through its Unknown variant.
        .status(FailoverStatus::from("switching-over"))
        .to_db_cluster_arn(SECONDARY_ARN)
        .from_db_cluster_arn(PRIMARY_ARN)
        .build();
    let out = run(
        &[
            &no_instance(SECONDARY),
            &secondary_cluster(false),
            &global(false, Some(state)),
        ],
        None,
        json!({"standby": SECONDARY, "region": "us-west-2"}),
    )
    .await
    .unwrap();
    assert_eq!(out["replayed"], true);
    assert_eq!(out["status"], "restoring");
}

#[tokio::test]
async fn a_secondary_that_is_already_the_writer_is_replayed_as_available_with_its_endpoint() {
    let out = run(
        &[
            &no_instance(SECONDARY),
            &secondary_cluster(true),
            &global(true, None),
        ],
        None,
        json!({"standby": SECONDARY, "region": "us-west-2"}),
    )
    .await
    .unwrap();
    assert_eq!(out["replayed"], true);
    assert_eq!(out["status"], "available");
    assert_eq!(
        out["endpoint"],
        "orders-west.cluster-x.us-west-2.rds.amazonaws.com"
    );
    assert_eq!(out["instance_id"], "orders-west-1");
}

#[tokio::test]
async fn a_switchover_refused_for_the_global_databases_state_is_retryable_standby_not_ready() {
    // Even without a message from RDS: the refusal is the state's, not ours.
    let refuse = mock!(Client::switchover_global_cluster).then_error(|| {
        aws_sdk_rds::operation::switchover_global_cluster::SwitchoverGlobalClusterError::InvalidGlobalClusterStateFault(
            aws_sdk_rds::types::error::InvalidGlobalClusterStateFault::builder().build(),
        )
    });
    let (calls, tagged) = (Calls::default(), Tagged::default());
    let err = run(
        &[
            &no_instance(SECONDARY),
            &secondary_cluster(false),
            &global(false, None),
            &primary(true),
            &tag(&calls, &tagged),
            &refuse,
        ],
        None,
        json!({"standby": SECONDARY, "region": "us-west-2"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.name(), "StandbyNotReady");
    assert!(
        err.to_string().contains("InvalidGlobalClusterState"),
        "{err}"
    );
}

#[tokio::test]
async fn a_primary_that_answers_but_cannot_hand_over_refuses_the_switchover() {
    for (status, writer) in [("failing-over", true), ("available", false)] {
        let (calls, sent) = (Calls::default(), Arc::default());
        let err = run(
            &[
                &no_instance(SECONDARY),
                &secondary_cluster(false),
                &global(false, None),
                &primary_is(status, writer),
                &switchover(&calls, &sent),
            ],
            None,
            json!({"standby": SECONDARY, "region": "us-west-2"}),
        )
        .await
        .unwrap_err();
        assert_eq!(err.name(), "PrimaryRegionUnreachable", "{status} {writer}");
        assert!(err.to_string().contains("cannot hand over"), "{err}");
        assert!(calls.lock().unwrap().is_empty(), "{status} {writer}");
    }
}

#[tokio::test]
async fn a_replay_with_allow_data_loss_while_a_switchover_is_pending_fails_over() {
    // The switchover was asked for, then the primary went: it cannot finish.
    let pending = FailoverState::builder()
        .status(FailoverStatus::Pending)
        .to_db_cluster_arn(SECONDARY_ARN)
        .from_db_cluster_arn(PRIMARY_ARN)
        .is_data_loss_allowed(false)
        .build();
    let (calls, tagged) = (Calls::default(), Arc::default());
    let sent: FailedOver = Arc::default();
    let failover = failover(&calls, &sent);
    let out = run(
        &[
            &no_instance(SECONDARY),
            &secondary_cluster(false),
            &global(false, Some(pending)),
            &failover,
            &tag(&calls, &tagged),
        ],
        None,
        json!({"standby": SECONDARY, "region": "us-west-2", "allow_data_loss": true}),
    )
    .await
    .unwrap();
    assert_eq!(
        *sent.lock().unwrap(),
        [(SECONDARY_ARN.to_owned(), Some(true))]
    );
    assert_eq!(out["status"], "restoring");
}

#[test]
fn a_switchover_is_sent_to_the_primarys_region_and_a_failover_to_the_standbys() {
    use dr_lambdas::restore::promote::call_region;
    use dr_lambdas::restore::step::{GlobalFailover, GlobalTarget, Step};
    let target = GlobalTarget {
        global_cluster_identifier: GLOBAL.into(),
        target_db_cluster_identifier: SECONDARY_ARN.into(),
    };
    assert_eq!(
        call_region(
            &Step::Switchover(target.clone()),
            "us-west-2",
            Some("us-east-1")
        ),
        "us-east-1"
    );
    assert_eq!(
        call_region(
            &Step::Failover(GlobalFailover {
                target,
                allow_data_loss: true
            }),
            "us-west-2",
            Some("us-east-1")
        ),
        "us-west-2"
    );
}
