//! Aurora restores at the SDK boundary, with aws-smithy-mocks: the two
//! requests (cluster, then writer), and what moto does not model (a cluster
//! still `creating` when its writer is asked for, capacity faults, a snapshot
//! of another engine version). Each mock says which AWS answer it stands for.

mod common;

use std::sync::{Arc, Mutex};

use aws_sdk_rds::Client;
use aws_sdk_rds::operation::create_db_instance::{
    CreateDBInstanceError, CreateDbInstanceInput, CreateDbInstanceOutput,
};
use aws_sdk_rds::operation::describe_db_cluster_snapshots::DescribeDbClusterSnapshotsOutput;
use aws_sdk_rds::operation::describe_db_clusters::{
    DescribeDBClustersError, DescribeDbClustersOutput,
};
use aws_sdk_rds::operation::describe_db_instances::{
    DescribeDBInstancesError, DescribeDbInstancesOutput,
};
use aws_sdk_rds::operation::restore_db_cluster_from_snapshot::{
    RestoreDbClusterFromSnapshotInput, RestoreDbClusterFromSnapshotOutput,
};
use aws_sdk_rds::primitives::DateTime;
use aws_sdk_rds::types::error::{
    DbClusterNotFoundFault, DbInstanceNotFoundFault, InvalidDbClusterStateFault,
};
use aws_sdk_rds::types::{
    DbCluster, DbClusterMember, DbClusterSnapshot, DbInstance,
    ServerlessV2ScalingConfigurationInfo, Tag, VpcSecurityGroupMembership,
};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use dr_lambdas::restore::status::RestoreStatus;
use dr_lambdas::restore::{RestoreHandler, RestoreResult};
use dr_lambdas::runtime::{Handler, Invocation};
use serde_json::{Value, json};

const CLUSTER: &str = "orders-restored";
const WRITER: &str = "orders-restored-writer";
const SOURCE: &str = "orders";
const SOURCE_WRITER: &str = "orders-1";
const SNAPSHOT: &str = "orders-cluster-2026-11-21";

type Sent<T> = Arc<Mutex<Vec<T>>>;

fn event() -> Value {
    json!({"db_cluster": CLUSTER, "snapshot_id": SNAPSHOT, "source_db_cluster": SOURCE})
}

fn cluster_absent(id: &'static str) -> Rule {
    mock!(Client::describe_db_clusters)
        .match_requests(move |r| r.db_cluster_identifier() == Some(id))
        .then_error(|| {
            DescribeDBClustersError::DbClusterNotFoundFault(
                DbClusterNotFoundFault::builder().build(),
            )
        })
}

fn instance_absent(id: &'static str) -> Rule {
    mock!(Client::describe_db_instances)
        .match_requests(move |r| r.db_instance_identifier() == Some(id))
        .then_error(|| {
            DescribeDBInstancesError::DbInstanceNotFoundFault(
                DbInstanceNotFoundFault::builder().build(),
            )
        })
}

/// The source: Aurora PostgreSQL 15.4, Serverless v2, private writer.
fn source_cluster() -> Rule {
    mock!(Client::describe_db_clusters)
        .match_requests(|r| r.db_cluster_identifier() == Some(SOURCE))
        .then_output(|| {
            DescribeDbClustersOutput::builder()
                .db_clusters(
                    DbCluster::builder()
                        .db_cluster_identifier(SOURCE)
                        .status("available")
                        .engine("aurora-postgresql")
                        .engine_version("15.4")
                        .port(5432)
                        .db_subnet_group("orders-subnets")
                        .vpc_security_groups(
                            VpcSecurityGroupMembership::builder()
                                .vpc_security_group_id("sg-0aaaaaaaaaaaaaaa1")
                                .build(),
                        )
                        .db_cluster_parameter_group("orders-cluster-pg")
                        .deletion_protection(true)
                        .iam_database_authentication_enabled(true)
                        .enabled_cloudwatch_logs_exports("postgresql")
                        .serverless_v2_scaling_configuration(
                            ServerlessV2ScalingConfigurationInfo::builder()
                                .min_capacity(0.5)
                                .max_capacity(16.0)
                                .build(),
                        )
                        .db_cluster_members(
                            DbClusterMember::builder()
                                .db_instance_identifier(SOURCE_WRITER)
                                .is_cluster_writer(true)
                                .build(),
                        )
                        .tag_list(Tag::builder().key("team").value("orders").build())
                        .build(),
                )
                .build()
        })
}

fn source_writer() -> Rule {
    mock!(Client::describe_db_instances)
        .match_requests(|r| r.db_instance_identifier() == Some(SOURCE_WRITER))
        .then_output(|| {
            DescribeDbInstancesOutput::builder()
                .db_instances(
                    DbInstance::builder()
                        .db_instance_identifier(SOURCE_WRITER)
                        .db_instance_status("available")
                        .db_instance_class("db.serverless")
                        .db_cluster_identifier(SOURCE)
                        .publicly_accessible(false)
                        .build(),
                )
                .build()
        })
}

fn snapshot(version: &'static str) -> Rule {
    mock!(Client::describe_db_cluster_snapshots).then_output(move || {
        DescribeDbClusterSnapshotsOutput::builder()
            .db_cluster_snapshots(
                DbClusterSnapshot::builder()
                    .db_cluster_snapshot_identifier(SNAPSHOT)
                    .db_cluster_identifier(SOURCE)
                    .status("available")
                    .engine("aurora-postgresql")
                    .engine_version(version)
                    .snapshot_create_time(DateTime::from_secs(1_795_219_200))
                    .build(),
            )
            .build()
    })
}

/// RestoreDBClusterFromSnapshot: the cluster is `creating`, as on real RDS.
fn cluster_restore() -> (Rule, Sent<RestoreDbClusterFromSnapshotInput>) {
    let sent: Sent<_> = Arc::default();
    let keep = sent.clone();
    let rule = mock!(Client::restore_db_cluster_from_snapshot).then_compute_output(move |input| {
        keep.lock().unwrap().push(input.clone());
        RestoreDbClusterFromSnapshotOutput::builder()
            .db_cluster(
                DbCluster::builder()
                    .db_cluster_identifier(CLUSTER)
                    .status("creating")
                    .build(),
            )
            .build()
    });
    (rule, sent)
}

fn writer_created() -> (Rule, Sent<CreateDbInstanceInput>) {
    let sent: Sent<_> = Arc::default();
    let keep = sent.clone();
    let rule = mock!(Client::create_db_instance).then_compute_output(move |input| {
        keep.lock().unwrap().push(input.clone());
        CreateDbInstanceOutput::builder()
            .db_instance(
                DbInstance::builder()
                    .db_instance_identifier(WRITER)
                    .db_instance_status("creating")
                    .build(),
            )
            .build()
    });
    (rule, sent)
}

async fn restore(rules: &[&Rule], event: Value) -> Result<RestoreResult, dr_lambdas::Error> {
    let client = mock_client!(aws_sdk_rds, RuleMode::MatchAny, rules);
    RestoreHandler::new(client, "us-east-1", None)
        .handle(event, &Invocation::new("req-1"))
        .await
}

fn tag_value(tags: &[Tag], key: &str) -> Option<String> {
    tags.iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value())
        .map(str::to_owned)
}

#[tokio::test]
async fn a_cluster_is_restored_with_the_sources_settings_then_its_writer_created() {
    let (no_cluster, no_writer) = (cluster_absent(CLUSTER), instance_absent(WRITER));
    let (src, src_writer, snap) = (source_cluster(), source_writer(), snapshot("15.4"));
    let (restore_rule, clusters) = cluster_restore();
    let (writer_rule, writers) = writer_created();

    let result = restore(
        &[
            &no_cluster,
            &no_writer,
            &src,
            &src_writer,
            &snap,
            &restore_rule,
            &writer_rule,
        ],
        event(),
    )
    .await
    .unwrap();

    let cluster = clusters.lock().unwrap()[0].clone();
    assert_eq!(cluster.db_cluster_identifier(), Some(CLUSTER));
    assert_eq!(cluster.snapshot_identifier(), Some(SNAPSHOT));
    assert_eq!(cluster.engine(), Some("aurora-postgresql"));
    assert_eq!(cluster.engine_version(), Some("15.4"));
    assert_eq!(cluster.db_subnet_group_name(), Some("orders-subnets"));
    assert_eq!(cluster.vpc_security_group_ids(), ["sg-0aaaaaaaaaaaaaaa1"]);
    assert_eq!(
        cluster.db_cluster_parameter_group_name(),
        Some("orders-cluster-pg")
    );
    assert_eq!(cluster.port(), Some(5432));
    assert_eq!(cluster.deletion_protection(), Some(true));
    assert_eq!(cluster.enable_iam_database_authentication(), Some(true));
    assert_eq!(cluster.enable_cloudwatch_logs_exports(), ["postgresql"]);
    let scaling = cluster.serverless_v2_scaling_configuration().unwrap();
    assert_eq!(
        (scaling.min_capacity(), scaling.max_capacity()),
        (Some(0.5), Some(16.0))
    );
    assert_eq!(tag_value(cluster.tags(), "team").as_deref(), Some("orders"));
    assert_eq!(
        tag_value(cluster.tags(), "dr-lambdas:provenance").as_deref(),
        Some("snapshot:orders-cluster-2026-11-21")
    );
    // Aurora's PubliclyAccessible is per instance: not on the cluster.
    assert_eq!(cluster.publicly_accessible(), None);

    let writer = writers.lock().unwrap()[0].clone();
    assert_eq!(writer.db_instance_identifier(), Some(WRITER));
    assert_eq!(writer.db_cluster_identifier(), Some(CLUSTER));
    assert_eq!(writer.engine(), Some("aurora-postgresql"));
    assert_eq!(writer.db_instance_class(), Some("db.serverless"));
    assert_eq!(writer.publicly_accessible(), Some(false));
    assert_eq!(
        tag_value(writer.tags(), "dr-lambdas:provenance").as_deref(),
        Some("snapshot:orders-cluster-2026-11-21")
    );

    assert_eq!(result.status, RestoreStatus::Restoring);
    assert_eq!(result.instance_id, WRITER);
    assert_eq!(result.cluster_id.as_deref(), Some(CLUSTER));
    assert_eq!(result.cluster_status.as_deref(), Some("creating"));
    assert_eq!(
        result.recovery_point.as_deref(),
        Some("2026-11-21T00:00:00Z")
    );
    assert!(result.pending.is_empty());
}

#[tokio::test]
async fn a_cluster_still_creating_leaves_its_writer_to_the_next_invocation() {
    // RDS answers InvalidDBClusterStateFault while the cluster cannot take an
    // instance yet: the restore reports the writer as pending, not as a failure.
    let (no_cluster, no_writer) = (cluster_absent(CLUSTER), instance_absent(WRITER));
    let (src, src_writer, snap) = (source_cluster(), source_writer(), snapshot("15.4"));
    let (restore_rule, clusters) = cluster_restore();
    let not_ready = mock!(Client::create_db_instance).then_error(|| {
        CreateDBInstanceError::InvalidDbClusterStateFault(
            InvalidDbClusterStateFault::builder()
                .message("DB cluster orders-restored is not in an available state")
                .build(),
        )
    });

    let result = restore(
        &[
            &no_cluster,
            &no_writer,
            &src,
            &src_writer,
            &snap,
            &restore_rule,
            &not_ready,
        ],
        event(),
    )
    .await
    .unwrap();

    assert_eq!(clusters.lock().unwrap().len(), 1);
    assert_eq!(result.status, RestoreStatus::Restoring);
    assert_eq!(result.pending, ["CreateDBInstance"]);
    assert_eq!(result.db_instance_status, None);
}

/// The cluster an earlier attempt of the same request restored, still creating.
fn our_cluster() -> Rule {
    our_cluster_in("creating")
}

/// The cluster an earlier attempt of the same request restored, in `status`.
fn our_cluster_in(status: &'static str) -> Rule {
    our_cluster_with(status, Some((0.5, 16.0)))
}

/// The cluster an earlier attempt of the same request restored, in `status`,
/// with this Serverless v2 capacity range, if any.
fn our_cluster_with(status: &'static str, range: Option<(f64, f64)>) -> Rule {
    mock!(Client::describe_db_clusters)
        .match_requests(|r| r.db_cluster_identifier() == Some(CLUSTER))
        .then_output(move || {
            DescribeDbClustersOutput::builder()
                .db_clusters(
                    DbCluster::builder()
                        .db_cluster_identifier(CLUSTER)
                        .status(status)
                        .engine("aurora-postgresql")
                        .engine_version("15.4")
                        .set_serverless_v2_scaling_configuration(range.map(|(min, max)| {
                            ServerlessV2ScalingConfigurationInfo::builder()
                                .min_capacity(min)
                                .max_capacity(max)
                                .build()
                        }))
                        .tag_list(
                            Tag::builder()
                                .key("dr-lambdas:provenance")
                                .value("snapshot:orders-cluster-2026-11-21")
                                .build(),
                        )
                        .tag_list(
                            Tag::builder()
                                .key("dr-lambdas:recovery-point")
                                .value("2026-11-21T00:00:00Z")
                                .build(),
                        )
                        .build(),
                )
                .build()
        })
}

#[tokio::test]
async fn a_retry_after_the_cluster_was_restored_creates_only_the_writer() {
    let (cluster, no_writer) = (our_cluster(), instance_absent(WRITER));
    let (src, src_writer, snap) = (source_cluster(), source_writer(), snapshot("15.4"));
    let (restore_rule, clusters) = cluster_restore();
    let (writer_rule, writers) = writer_created();

    let result = restore(
        &[
            &cluster,
            &no_writer,
            &src,
            &src_writer,
            &snap,
            &restore_rule,
            &writer_rule,
        ],
        event(),
    )
    .await
    .unwrap();

    assert_eq!(clusters.lock().unwrap().len(), 0);
    assert_eq!(snap.num_calls(), 0);
    let writer = writers.lock().unwrap()[0].clone();
    assert_eq!(writer.db_cluster_identifier(), Some(CLUSTER));
    assert_eq!(writer.db_instance_class(), Some("db.serverless"));
    assert!(!result.replayed);
    assert_eq!(
        result.recovery_point.as_deref(),
        Some("2026-11-21T00:00:00Z")
    );
}

#[tokio::test]
async fn a_resumed_restore_without_source_db_cluster_takes_the_writer_class_from_the_snapshots_source()
 {
    let (cluster, no_writer) = (our_cluster(), instance_absent(WRITER));
    let (src, src_writer, snap) = (source_cluster(), source_writer(), snapshot("15.4"));
    let (writer_rule, writers) = writer_created();

    restore(
        &[&cluster, &no_writer, &src, &src_writer, &snap, &writer_rule],
        json!({"db_cluster": CLUSTER, "snapshot_id": SNAPSHOT}),
    )
    .await
    .unwrap();

    let writer = writers.lock().unwrap()[0].clone();
    assert_eq!(writer.db_instance_class(), Some("db.serverless"));
    assert_eq!(tag_value(writer.tags(), "team").as_deref(), Some("orders"));
}

#[tokio::test]
async fn a_resumed_restore_whose_cluster_failed_says_so_and_sends_nothing() {
    let (cluster, no_writer) = (
        our_cluster_in("inaccessible-encryption-credentials"),
        instance_absent(WRITER),
    );
    let (src, src_writer, snap) = (source_cluster(), source_writer(), snapshot("15.4"));
    let (writer_rule, writers) = writer_created();

    let err = restore(
        &[&cluster, &no_writer, &src, &src_writer, &snap, &writer_rule],
        event(),
    )
    .await
    .unwrap_err();

    assert_eq!(err.name(), "DatabaseRestoreFailed");
    assert!(
        err.to_string().starts_with(
            "cluster 'orders-restored' in us-east-1, restored by an earlier attempt, is \
             inaccessible-encryption-credentials"
        ),
        "{err}"
    );
    assert_eq!(writers.lock().unwrap().len(), 0);
}

#[tokio::test]
async fn a_cluster_of_that_name_not_restored_by_us_is_left_untouched() {
    let someone_elses = mock!(Client::describe_db_clusters)
        .match_requests(|r| r.db_cluster_identifier() == Some(CLUSTER))
        .then_output(|| {
            DescribeDbClustersOutput::builder()
                .db_clusters(
                    DbCluster::builder()
                        .db_cluster_identifier(CLUSTER)
                        .status("available")
                        .build(),
                )
                .build()
        });
    let no_writer = instance_absent(WRITER);
    let (restore_rule, clusters) = cluster_restore();
    let (writer_rule, writers) = writer_created();

    let err = restore(
        &[&someone_elses, &no_writer, &restore_rule, &writer_rule],
        event(),
    )
    .await
    .unwrap_err();

    assert_eq!(err.name(), "InstanceAlreadyExists");
    assert!(
        err.to_string()
            .starts_with("cluster 'orders-restored' already exists in us-east-1 and was not restored by dr-lambdas"),
        "{err}"
    );
    assert_eq!(clusters.lock().unwrap().len(), 0);
    assert_eq!(writers.lock().unwrap().len(), 0);
}

#[tokio::test]
async fn insufficient_cluster_capacity_keeps_its_aws_code() {
    let (no_cluster, no_writer) = (cluster_absent(CLUSTER), instance_absent(WRITER));
    let (src, src_writer, snap) = (source_cluster(), source_writer(), snapshot("15.4"));
    // As RDS sends it: an HTTP 403 with the fault's code.
    let no_capacity = mock!(Client::restore_db_cluster_from_snapshot)
        .sequence()
        .http_status(
            403,
            Some(
                "<ErrorResponse><Error><Type>Sender</Type><Code>InsufficientDBClusterCapacityFault\
                 </Code><Message>not enough capacity in us-east-1a</Message></Error>\
                 <RequestId>r</RequestId></ErrorResponse>"
                    .to_owned(),
            ),
        )
        .build();
    let (writer_rule, writers) = writer_created();

    let err = restore(
        &[
            &no_cluster,
            &no_writer,
            &src,
            &src_writer,
            &snap,
            &no_capacity,
            &writer_rule,
        ],
        event(),
    )
    .await
    .unwrap_err();

    assert_eq!(err.name(), "AwsError");
    assert_eq!(err.aws_code(), Some("InsufficientDBClusterCapacityFault"));
    assert_eq!(writers.lock().unwrap().len(), 0);
}

#[tokio::test]
async fn a_cluster_snapshot_of_another_major_is_restored_at_its_own_version() {
    let (no_cluster, no_writer) = (cluster_absent(CLUSTER), instance_absent(WRITER));
    let (src, src_writer, snap) = (source_cluster(), source_writer(), snapshot("14.9"));
    let (restore_rule, clusters) = cluster_restore();
    let (writer_rule, _) = writer_created();

    let result = restore(
        &[
            &no_cluster,
            &no_writer,
            &src,
            &src_writer,
            &snap,
            &restore_rule,
            &writer_rule,
        ],
        event(),
    )
    .await
    .unwrap();

    let cluster = clusters.lock().unwrap()[0].clone();
    assert_eq!(cluster.engine_version(), Some("14.9"));
    assert_eq!(cluster.db_cluster_parameter_group_name(), None);
    assert!(
        result.notes[0].contains("the snapshot aurora-postgresql 14.9"),
        "{:?}",
        result.notes
    );
}

/// The DR case: the source cluster is in another region, so there is no
/// capacity range to copy; the event asks for a db.serverless writer, with
/// `capacity` if given. Returns the result and the requests sent.
async fn restore_serverless_elsewhere(
    capacity: Option<Value>,
) -> (
    Result<RestoreResult, dr_lambdas::Error>,
    Vec<RestoreDbClusterFromSnapshotInput>,
    Vec<CreateDbInstanceInput>,
) {
    let mut event = json!({
        "db_cluster": CLUSTER, "snapshot_id": SNAPSHOT, "source_db_cluster": SOURCE,
        "db_subnet_group": "dr-subnets", "db_instance_class": "db.serverless",
    });
    if let Some(capacity) = capacity {
        event["serverless_v2_capacity"] = capacity;
    }
    let (no_cluster, no_writer) = (cluster_absent(CLUSTER), instance_absent(WRITER));
    let (no_source, snap) = (cluster_absent(SOURCE), snapshot("15.4"));
    let (restore_rule, clusters) = cluster_restore();
    let (writer_rule, writers) = writer_created();
    let rules = [
        &no_cluster,
        &no_writer,
        &no_source,
        &snap,
        &restore_rule,
        &writer_rule,
    ];
    let result = restore(&rules, event).await;
    let clusters = clusters.lock().unwrap().clone();
    let writers = writers.lock().unwrap().clone();
    (result, clusters, writers)
}

#[tokio::test]
async fn a_serverless_restore_without_its_source_sends_the_events_capacity_range() {
    let (result, clusters, writers) =
        restore_serverless_elsewhere(Some(json!({"min": 1, "max": 32}))).await;

    assert_eq!(result.unwrap().status, RestoreStatus::Restoring);
    let scaling = clusters[0].serverless_v2_scaling_configuration().unwrap();
    assert_eq!(
        (scaling.min_capacity(), scaling.max_capacity()),
        (Some(1.0), Some(32.0))
    );
    assert_eq!(writers[0].db_instance_class(), Some("db.serverless"));
}

#[tokio::test]
async fn a_serverless_writer_without_a_capacity_range_is_refused_before_the_cluster_is_restored() {
    // Real RDS would restore the cluster, then refuse the db.serverless writer
    // in a cluster without a capacity range: a half-done restore.
    let (result, clusters, writers) = restore_serverless_elsewhere(None).await;

    let err = result.unwrap_err();
    assert_eq!(err.name(), "InvalidRequest");
    assert!(
        err.to_string()
            .starts_with("serverless_v2_capacity: is required for a db.serverless writer"),
        "{err}"
    );
    assert_eq!((clusters.len(), writers.len()), (0, 0));
}

#[tokio::test]
async fn a_retry_into_a_cluster_without_a_capacity_range_says_how_to_give_it_one_and_sends_nothing()
{
    // Only a cluster restored before serverless_v2_capacity existed can be
    // in this state; RDS would refuse its db.serverless writer.
    let (cluster, no_writer) = (our_cluster_with("available", None), instance_absent(WRITER));
    let (no_source, snap) = (cluster_absent(SOURCE), snapshot("15.4"));
    let (writer_rule, writers) = writer_created();

    let err = restore(
        &[&cluster, &no_writer, &no_source, &snap, &writer_rule],
        json!({"db_cluster": CLUSTER, "snapshot_id": SNAPSHOT, "source_db_cluster": SOURCE,
               "db_subnet_group": "dr-subnets", "db_instance_class": "db.serverless",
               "serverless_v2_capacity": {"min": 0.5, "max": 16}}),
    )
    .await
    .unwrap_err();

    assert_eq!(err.name(), "InvalidRequest");
    assert!(
        err.to_string().contains(
            "aws rds modify-db-cluster --db-cluster-identifier orders-restored \
             --serverless-v2-scaling-configuration"
        ),
        "{err}"
    );
    assert_eq!(writers.lock().unwrap().len(), 0);
}
