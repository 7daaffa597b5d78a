//! The drill's guards against production, at the SDK boundary
//! (aws-smithy-mocks: exactly what is sent, and the answers real AWS gives)
//! and against moto: the drill record is never a production record, a
//! leftover is swept only when provably an old drill's copy, one leftover
//! never stops a drill, the cleanup attempts everything, and the validation's
//! answer is bounded.
//!
//! moto deviation: moto stamps every instance's creation time "now", so a
//! leftover in moto is always young; the age rule is shown with mocks, whose
//! leftovers were created in 2020.

mod common;

use std::sync::{Arc, Mutex};

use aws_sdk_rds::Client;
use aws_sdk_rds::operation::delete_db_cluster::DeleteDBClusterError;
use aws_sdk_rds::operation::delete_db_instance::DeleteDbInstanceOutput;
use aws_sdk_rds::operation::describe_db_clusters::DescribeDbClustersOutput;
use aws_sdk_rds::operation::describe_db_instances::DescribeDbInstancesOutput;
use aws_sdk_rds::primitives::DateTime;
use aws_sdk_rds::types::{DbCluster, DbInstance, Endpoint, Tag};
use aws_sdk_route53::operation::change_resource_record_sets::ChangeResourceRecordSetsOutput;
use aws_sdk_route53::operation::list_resource_record_sets::ListResourceRecordSetsOutput;
use aws_sdk_route53::types::{ChangeInfo, ChangeStatus, ResourceRecord, ResourceRecordSet, RrType};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use dr_lambdas::drill::preflight::Records;
use dr_lambdas::drill::{DrillHandler, DrillSettings};
use dr_lambdas::runtime::{Handler, Invocation};
use serde_json::{Value, json};

const ZONE: &str = "Z0PRIVATE";
const PRODUCTION: &str = "db.orders.internal";
const DRILL_RECORD: &str = "drill.db.orders.internal";
const LEFTOVER: &str = "orders-dr-d0000beef";
const LEFTOVER_ADDRESS: &str = "orders-dr-d0000beef.abcdefgh.us-west-2.rds.amazonaws.com";
const PRODUCTION_ADDRESS: &str = "orders.abcdefgh.us-east-1.rds.amazonaws.com";
/// The copy of the drill whose cleanup the tests run (`orders-dr-d1a2b3c4e`).
const THIS_COPY: &str = "orders-dr-d1a2b3c4e.abcdefgh.us-west-2.rds.amazonaws.com";

fn settings() -> DrillSettings {
    DrillSettings {
        zone: Some(ZONE.into()),
        records: Records {
            drill: Some(DRILL_RECORD.into()),
            production: vec![PRODUCTION.into()],
        },
        ..DrillSettings::default()
    }
}

fn handler(rds: Client, route53: aws_sdk_route53::Client, settings: DrillSettings) -> DrillHandler {
    let cloudwatch = mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, []);
    DrillHandler::new(rds, route53, cloudwatch, "us-west-2", settings)
}

fn cname(name: &str, value: &str) -> ResourceRecordSet {
    ResourceRecordSet::builder()
        .name(format!("{name}."))
        .r#type(RrType::Cname)
        .ttl(60)
        .resource_records(ResourceRecord::builder().value(value).build().unwrap())
        .build()
        .unwrap()
}

/// Route 53 answering every listing with `sets`, counting the changes sent.
fn zone_with(sets: Vec<ResourceRecordSet>, changes: &Arc<Mutex<usize>>) -> aws_sdk_route53::Client {
    let changes = changes.clone();
    let list = mock!(aws_sdk_route53::Client::list_resource_record_sets).then_output(move || {
        ListResourceRecordSetsOutput::builder()
            .set_resource_record_sets(Some(sets.clone()))
            .is_truncated(false)
            .max_items(100)
            .build()
            .unwrap()
    });
    let change = mock!(aws_sdk_route53::Client::change_resource_record_sets)
        .match_requests(move |_| {
            *changes.lock().unwrap() += 1;
            true
        })
        .then_output(|| {
            ChangeResourceRecordSetsOutput::builder()
                .change_info(
                    ChangeInfo::builder()
                        .id("/change/C1")
                        .status(ChangeStatus::Pending)
                        .submitted_at(DateTime::from_secs(0))
                        .build()
                        .unwrap(),
                )
                .build()
        });
    mock_client!(aws_sdk_route53, RuleMode::MatchAny, [&list, &change])
}

fn leftover(created: i64, protected: bool) -> DbInstance {
    DbInstance::builder()
        .db_instance_identifier(LEFTOVER)
        .db_instance_arn(format!("arn:aws:rds:us-west-2:123456789012:db:{LEFTOVER}"))
        .db_instance_status("available")
        .instance_create_time(DateTime::from_secs(created))
        .deletion_protection(protected)
        .endpoint(
            Endpoint::builder()
                .address(LEFTOVER_ADDRESS)
                .port(5432)
                .build(),
        )
        .tag_list(
            Tag::builder()
                .key("dr-lambdas:drill")
                .value("old-drill")
                .build(),
        )
        .build()
}

type Sent = Arc<Mutex<Vec<String>>>;

/// RDS listing `instances` (and `clusters`), recording each delete.
fn rds_with(
    instances: Vec<DbInstance>,
    clusters: Vec<DbCluster>,
    deletes: &Sent,
    delete: Rule,
) -> Client {
    let deletes = deletes.clone();
    let by_id = instances.clone();
    let describe = mock!(Client::describe_db_instances).then_output(move || {
        DescribeDbInstancesOutput::builder()
            .set_db_instances(Some(by_id.clone()))
            .build()
    });
    let describe_clusters = mock!(Client::describe_db_clusters).then_output(move || {
        DescribeDbClustersOutput::builder()
            .set_db_clusters(Some(clusters.clone()))
            .build()
    });
    let record = mock!(Client::delete_db_cluster)
        .match_requests(move |r| {
            deletes
                .lock()
                .unwrap()
                .push(format!("cluster {}", r.db_cluster_identifier().unwrap_or_default()));
            true
        })
        .then_error(|| {
            DeleteDBClusterError::InvalidDbClusterStateFault(
                aws_sdk_rds::types::error::InvalidDbClusterStateFault::builder()
                    .message("Cluster cannot be deleted, it still contains DB instances in non-deleting state.")
                    .build(),
            )
        });
    mock_client!(
        aws_sdk_rds,
        RuleMode::MatchAny,
        [&describe, &describe_clusters, &delete, &record]
    )
}

fn deleting(deletes: &Sent) -> Rule {
    let deletes = deletes.clone();
    mock!(Client::delete_db_instance)
        .match_requests(move |r| {
            deletes.lock().unwrap().push(format!(
                "instance {}",
                r.db_instance_identifier().unwrap_or_default()
            ));
            true
        })
        .then_output(|| DeleteDbInstanceOutput::builder().build())
}

/// 2020: far older than any drill runs.
const LONG_AGO: i64 = 1_580_000_000;

async fn sweep(handler: &DrillHandler) -> Value {
    handler
        .handle(
            json!({"action": "sweep",
                   "restores": [{"db_instance": "orders-dr-d1a2b3c4e", "snapshot_id": "latest",
                               "source_db_instance": "orders", "region": "us-west-2",
                               "drill": "this-drill"}]}),
            &Invocation::new("req-1"),
        )
        .await
        .unwrap()
}

/// The sweep of one old drill instance `found`, with the production zone
/// holding `zone`: its answer, and the deletes it sent.
async fn sweep_of(found: DbInstance, zone: Vec<ResourceRecordSet>) -> (Value, Vec<String>) {
    let deletes = Sent::default();
    let rds = rds_with(vec![found], vec![], &deletes, deleting(&deletes));
    let route53 = zone_with(zone, &Arc::default());
    let out = sweep(&handler(rds, route53, settings())).await;
    let sent = deletes.lock().unwrap().clone();
    (out, sent)
}

#[tokio::test]
async fn an_old_leftover_no_production_record_points_at_is_deleted() {
    let (out, deletes) = sweep_of(
        leftover(LONG_AGO, false),
        vec![cname(PRODUCTION, PRODUCTION_ADDRESS)],
    )
    .await;

    assert_eq!(deletes, [format!("instance {LEFTOVER}")]);
    assert_eq!(out["deleted"], json!([format!("instance '{LEFTOVER}'")]));
    assert_eq!(out["kept"], json!([]));
}

#[tokio::test]
async fn a_leftover_a_production_record_points_at_is_kept_and_named() {
    // Someone repointed production at the old drill copy (upper case and a
    // trailing dot: Route 53 names compare without either).
    let pointing = cname(PRODUCTION, &format!("{}.", LEFTOVER_ADDRESS.to_uppercase()));

    let (out, deletes) = sweep_of(leftover(LONG_AGO, false), vec![pointing]).await;

    assert!(deletes.is_empty(), "nothing deleted");
    assert_eq!(out["kept"][0]["id"], LEFTOVER);
    let reason = out["kept"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("production record 'db.orders.internal' points at it"),
        "{reason}"
    );
}

#[tokio::test]
async fn when_the_production_records_cannot_be_read_every_leftover_is_kept() {
    let deletes = Sent::default();
    let rds = rds_with(
        vec![leftover(LONG_AGO, false)],
        vec![],
        &deletes,
        deleting(&deletes),
    );
    let denied = mock!(aws_sdk_route53::Client::list_resource_record_sets).then_http_response(|| {
        aws_smithy_runtime_api::http::Response::new(
            aws_smithy_runtime_api::http::StatusCode::try_from(403).unwrap(),
            aws_smithy_types::body::SdkBody::from(
                "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>denied</Message></Error></ErrorResponse>",
            ),
        )
    });
    let route53 = mock_client!(aws_sdk_route53, RuleMode::MatchAny, [&denied]);

    let out = sweep(&handler(rds, route53, settings())).await;

    assert!(deletes.lock().unwrap().is_empty());
    let reason = out["kept"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("fail closed"), "{reason}");
}

#[tokio::test]
async fn a_leftover_younger_than_a_drill_can_run_is_left_alone() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let young = now - dr_lambdas::drill::plan::LEFTOVER_AGE_SECONDS + 60;
    let (out, deletes) = sweep_of(leftover(young, false), vec![]).await;

    assert!(deletes.is_empty());
    assert_eq!(out["deleted"], json!([]));
    assert_eq!(out["kept"], json!([]), "in progress: not a leftover yet");
}

#[tokio::test]
async fn a_protected_leftover_is_kept_with_both_commands_and_the_drill_goes_on() {
    let (out, deletes) = sweep_of(leftover(LONG_AGO, true), vec![]).await;

    assert!(deletes.is_empty());
    let kept = &out["kept"][0];
    assert_eq!(kept["region"], "us-west-2");
    assert_eq!(
        kept["keep"],
        format!(
            "aws rds remove-tags-from-resource --region us-west-2 --resource-name \
             arn:aws:rds:us-west-2:123456789012:db:{LEFTOVER} --tag-keys dr-lambdas:drill"
        )
    );
    assert!(
        kept["delete"]
            .as_str()
            .unwrap()
            .starts_with(&format!("aws rds modify-db-instance --region us-west-2 --db-instance-identifier {LEFTOVER} --no-deletion-protection")),
        "{kept}"
    );
}

#[tokio::test]
async fn a_leftover_rds_refuses_to_delete_is_kept_with_rdss_reason() {
    let deletes = Sent::default();
    let refusing = {
        let deletes = deletes.clone();
        mock!(Client::delete_db_instance)
            .match_requests(move |r| {
                deletes
                    .lock()
                    .unwrap()
                    .push(format!("instance {}", r.db_instance_identifier().unwrap_or_default()));
                true
            })
            .then_http_response(|| {
                aws_smithy_runtime_api::http::Response::new(
                    aws_smithy_runtime_api::http::StatusCode::try_from(400).unwrap(),
                    aws_smithy_types::body::SdkBody::from(
                        "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidDBInstanceState</Code>\
                         <Message>Instance orders-dr-d0000beef is currently modifying</Message></Error></ErrorResponse>",
                    ),
                )
            })
    };
    let rds = rds_with(vec![leftover(LONG_AGO, false)], vec![], &deletes, refusing);
    let route53 = zone_with(vec![], &Arc::default());

    let out = sweep(&handler(rds, route53, settings())).await;

    assert_eq!(deletes.lock().unwrap().len(), 1, "tried once");
    let reason = out["kept"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("currently modifying"), "{reason}");
}

#[tokio::test]
async fn an_aurora_leftover_whose_writer_is_still_going_is_handed_to_the_cleanup_loop() {
    let deletes = Sent::default();
    let cluster = DbCluster::builder()
        .db_cluster_identifier(LEFTOVER)
        .status("available")
        .cluster_create_time(DateTime::from_secs(LONG_AGO))
        .endpoint(LEFTOVER_ADDRESS)
        .tag_list(
            Tag::builder()
                .key("dr-lambdas:drill")
                .value("old-drill")
                .build(),
        )
        .build();
    let rds = rds_with(vec![], vec![cluster], &deletes, deleting(&deletes));
    let route53 = zone_with(vec![], &Arc::default());
    let handler = handler(rds, route53, settings());

    let swept = sweep(&handler).await;
    // RDS refuses the cluster while its writer is being deleted
    // (InvalidDBClusterStateFault): the drill's cleanup tries again.
    let cleaned = cleanup(&handler, swept["pending"].clone()).await;

    assert_eq!(swept["pending"], json!([LEFTOVER]));
    assert_eq!(
        *deletes.lock().unwrap(),
        [format!("cluster {LEFTOVER}"), format!("cluster {LEFTOVER}")]
    );
    assert_eq!(cleaned["pending"], json!([format!("cluster '{LEFTOVER}'")]));
}

/// The cleanup of this drill's copy, finishing the sweep's `pending`.
async fn cleanup(handler: &DrillHandler, pending: Value) -> Value {
    handler
        .handle(
            json!({"action": "cleanup", "marker": "this-drill",
                   "restore": {"db_instance": "orders-dr-d1a2b3c4e", "region": "us-west-2"},
                   "sweep_pending": pending}),
            &Invocation::new("req-2"),
        )
        .await
        .unwrap()
}

async fn preflight(handler: &DrillHandler) -> Result<Value, dr_lambdas::Error> {
    handler
        .handle(
            json!({"action": "preflight", "execution": "drill-1",
                   "input": {"drill": true,
                             "restore": {"db_instance": "orders-dr", "snapshot_id": "latest",
                                         "source_db_instance": "orders", "region": "us-west-2"},
                             "failover": {"primary_region": "us-east-1", "secondary_region": "us-west-2"}},
                   "deployment": {"zone_id": ZONE, "record_name": PRODUCTION}}),
            &Invocation::new("req-1"),
        )
        .await
}

#[tokio::test]
async fn a_drill_record_that_points_at_production_is_refused_before_any_change() {
    let changes = Arc::new(Mutex::new(0));
    let route53 = zone_with(vec![cname(DRILL_RECORD, PRODUCTION_ADDRESS)], &changes);
    let rds = mock_client!(aws_sdk_rds, RuleMode::MatchAny, []);

    let err = preflight(&handler(rds, route53, settings()))
        .await
        .unwrap_err();

    assert_eq!(err.name(), "Misconfigured");
    assert!(
        err.to_string().contains("not a drill copy's endpoint"),
        "{err}"
    );
    assert_eq!(*changes.lock().unwrap(), 0);
}

#[tokio::test]
async fn a_drill_whose_record_is_the_production_record_is_refused() {
    let changes = Arc::new(Mutex::new(0));
    let route53 = zone_with(vec![cname(PRODUCTION, PRODUCTION_ADDRESS)], &changes);
    let rds = mock_client!(aws_sdk_rds, RuleMode::MatchAny, []);
    let same = DrillSettings {
        records: Records {
            drill: Some(PRODUCTION.into()),
            production: vec![PRODUCTION.into()],
        },
        ..settings()
    };

    let err = preflight(&handler(rds, route53, same)).await.unwrap_err();

    assert_eq!(err.name(), "Misconfigured");
    assert!(
        err.to_string().contains("is the production record"),
        "{err}"
    );
    assert_eq!(*changes.lock().unwrap(), 0);
}

#[tokio::test]
async fn a_drill_function_deployed_with_the_production_record_refuses_every_drill_but_no_recovery()
{
    let sdk = aws_config::SdkConfig::builder()
        .region(aws_config::Region::new("us-west-2"))
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    let env = [
        ("DRILL_DB_ENDPOINT_RECORD_NAME", "DB.Orders.Internal."),
        ("PRODUCTION_RECORD_NAMES", PRODUCTION),
    ];
    // It starts: it is also every recovery's pre-flight.
    let handler = DrillHandler::from_config(&env, &sdk).expect("the function starts");
    let input = |drill: bool| {
        json!({"action": "preflight", "execution": "x", "deployment": {},
               "input": {"drill": drill,
                         "restore": {"db_instance": "orders-dr", "snapshot_id": "latest",
                                     "source_db_instance": "orders", "region": "us-west-2"},
                         "failover": "none"}})
    };

    let drill = handler.handle(input(true), &Invocation::new("r1")).await;
    let recovery = handler.handle(input(false), &Invocation::new("r2")).await;

    let err = drill.unwrap_err();
    assert_eq!(err.name(), "Misconfigured");
    assert!(
        err.to_string().contains("is the production record"),
        "{err}"
    );
    assert_eq!(recovery.unwrap()["drill"], false);
}

#[tokio::test]
async fn the_cleanup_keeps_a_record_that_is_not_a_drills_and_still_deletes_the_database() {
    let changes = Arc::new(Mutex::new(0));
    // The drill record was repointed at production by hand.
    let route53 = zone_with(vec![cname(DRILL_RECORD, PRODUCTION_ADDRESS)], &changes);
    let deletes = Sent::default();
    let copy = DbInstance::builder()
        .db_instance_identifier("orders-dr-d1a2b3c4e")
        .db_instance_status("available")
        .tag_list(
            Tag::builder()
                .key("dr-lambdas:drill")
                .value("this-drill")
                .build(),
        )
        .build();
    let rds = rds_with(vec![copy], vec![], &deletes, deleting(&deletes));

    let out = cleanup(&handler(rds, route53, settings()), json!([])).await;

    assert_eq!(*changes.lock().unwrap(), 0, "the record is left as it is");
    assert_eq!(*deletes.lock().unwrap(), ["instance orders-dr-d1a2b3c4e"]);
    assert_eq!(out["failed"][0]["part"], "record");
    assert_eq!(out["failed"][0]["error"], "Misconfigured");
}

#[tokio::test]
async fn the_cleanup_deletes_the_drill_record_when_it_points_at_this_drills_copy() {
    let (out, changes) = cleanup_with_drill_record_at(THIS_COPY).await;

    assert_eq!(changes, 1);
    assert_eq!(out["deleted"], json!([format!("record '{DRILL_RECORD}.'")]));
    assert_eq!(out["failed"], json!([]));
}

#[tokio::test]
async fn the_cleanup_leaves_a_drill_record_that_points_at_another_drills_copy() {
    // A drill refused while another ran must not take the running drill's
    // record.
    let (out, changes) = cleanup_with_drill_record_at(LEFTOVER_ADDRESS).await;

    assert_eq!(changes, 0);
    assert_eq!(out["deleted"], json!([]));
    assert_eq!(out["failed"], json!([]));
}

#[tokio::test]
async fn a_300_kb_validation_answer_reaches_the_workflow_under_4_kb() {
    let huge = json!({"valid": true, "detail": "x".repeat(300 * 1024),
                      "newest_record_at": "2026-12-01T03:59:00Z"})
    .to_string();
    let invoked = mock!(aws_sdk_lambda::Client::invoke)
        .match_requests(|r| {
            r.function_name()
                == Some("arn:aws:lambda:us-west-2:123456789012:function:validate-orders")
        })
        .then_output(move || {
            aws_sdk_lambda::operation::invoke::InvokeOutput::builder()
                .status_code(200)
                .payload(aws_sdk_lambda::primitives::Blob::new(huge.clone()))
                .build()
        });
    let lambda = mock_client!(aws_sdk_lambda, RuleMode::MatchAny, [&invoked]);
    let rds = mock_client!(aws_sdk_rds, RuleMode::MatchAny, []);
    let route53 = mock_client!(aws_sdk_route53, RuleMode::MatchAny, []);
    let with_validation = DrillSettings {
        validation_function: Some(
            "arn:aws:lambda:us-west-2:123456789012:function:validate-orders".into(),
        ),
        ..settings()
    };

    let out = handler(rds, route53, with_validation)
        .with_lambda(lambda)
        .handle(
            json!({"action": "validate", "target": {"endpoint": LEFTOVER_ADDRESS, "port": 5432}}),
            &Invocation::new("req-1"),
        )
        .await
        .unwrap();

    assert!(out.to_string().len() <= 4096, "{}", out.to_string().len());
    assert_eq!(out["valid"], true);
    assert_eq!(out["detail_cut"], true);
    assert_eq!(out["newest_record_at"], "2026-12-01T03:59:00Z");
}

#[tokio::test]
async fn the_writer_of_a_leftover_cluster_production_points_at_is_never_deleted() {
    let deletes = Sent::default();
    let rds = old_aurora_leftover(&deletes);
    // Production points at the cluster's endpoint, not at the writer's.
    let route53 = zone_with(
        vec![cname(
            PRODUCTION,
            "orders-dr-d0000beef.cluster-abcdefgh.us-west-2.rds.amazonaws.com",
        )],
        &Arc::default(),
    );
    let out = sweep_cluster(&handler(rds, route53, settings())).await;

    assert_eq!(*deletes.lock().unwrap(), Vec::<String>::new(), "{out}");
    assert_eq!(out["kept"][0]["id"], LEFTOVER);
}

#[tokio::test]
async fn an_old_unpointed_leftover_cluster_loses_its_writer_first_then_waits_for_the_cleanup() {
    let deletes = Sent::default();
    let rds = old_aurora_leftover(&deletes);
    let route53 = zone_with(vec![cname(PRODUCTION, PRODUCTION_ADDRESS)], &Arc::default());
    let out = sweep_cluster(&handler(rds, route53, settings())).await;

    assert_eq!(
        *deletes.lock().unwrap(),
        [
            "instance orders-dr-writer-d0000beef".to_owned(),
            format!("cluster {LEFTOVER}")
        ]
    );
    assert_eq!(out["pending"], json!([LEFTOVER]), "{out}");
}

/// RDS with an old Aurora leftover, `LEFTOVER` and its writer, recording
/// each delete (the cluster's is refused while its writer is going).
fn old_aurora_leftover(deletes: &Sent) -> Client {
    let writer = DbInstance::builder()
        .db_instance_identifier("orders-dr-writer-d0000beef")
        .db_cluster_identifier(LEFTOVER)
        .db_instance_status("available")
        .instance_create_time(DateTime::from_secs(LONG_AGO))
        .endpoint(
            Endpoint::builder()
                .address("orders-dr-writer-d0000beef.abcdefgh.us-west-2.rds.amazonaws.com")
                .build(),
        )
        .tag_list(
            Tag::builder()
                .key("dr-lambdas:drill")
                .value("old-drill")
                .build(),
        )
        .build();
    let cluster = DbCluster::builder()
        .db_cluster_identifier(LEFTOVER)
        .status("available")
        .cluster_create_time(DateTime::from_secs(LONG_AGO))
        .endpoint("orders-dr-d0000beef.cluster-abcdefgh.us-west-2.rds.amazonaws.com")
        .tag_list(
            Tag::builder()
                .key("dr-lambdas:drill")
                .value("old-drill")
                .build(),
        )
        .build();
    rds_with(vec![writer], vec![cluster], deletes, deleting(deletes))
}

/// The sweep of an Aurora drill's restore (a cluster and its writer).
async fn sweep_cluster(handler: &DrillHandler) -> Value {
    handler
        .handle(
            json!({"action": "sweep",
                   "restores": [{"db_cluster": "orders-dr-d1a2b3c4e",
                               "writer_instance": "orders-dr-writer-d1a2b3c4e",
                               "snapshot_id": "latest", "region": "us-west-2", "drill": "this-drill"}]}),
            &Invocation::new("req-1"),
        )
        .await
        .unwrap()
}

/// The cleanup of this drill, with no copy left and the drill record
/// pointing at `value`: its answer, and how many changes it sent.
async fn cleanup_with_drill_record_at(value: &str) -> (Value, usize) {
    let changes = Arc::new(Mutex::new(0));
    let route53 = zone_with(vec![cname(DRILL_RECORD, value)], &changes);
    let rds = mock_client!(
        aws_sdk_rds,
        RuleMode::MatchAny,
        [&mock!(Client::describe_db_instances)
            .then_output(|| DescribeDbInstancesOutput::builder().build())]
    );
    let out = cleanup(&handler(rds, route53, settings()), json!([])).await;
    let sent = *changes.lock().unwrap();
    (out, sent)
}

/// A plan of one database, orders, recovered from its standby; its drill
/// record `orders.drill.internal`, its drill source its latest snapshot.
fn one_database_plan() -> dr_lambdas::plan::Plan {
    let text = json!({
        "version": 1,
        "databases": [{
            "name": "orders", "record": PRODUCTION, "drill_record": "orders.drill.internal",
            "restore": {"regional-outage": {"standby": "orders-replica", "region": "us-west-2"}},
            "drill": {"db_instance": "orders-dr", "snapshot_id": "latest",
                      "source_db_instance": "orders", "region": "us-west-2"}
        }],
        "scenarios": {"regional-outage": {"moves_traffic": true,
                      "runs_in": {"account": "123456789012", "region": "us-west-2"}}}
    });
    dr_lambdas::plan::parse(&text.to_string(), &Default::default()).expect("a valid plan")
}

async fn cleanup_of_copy(handler: &DrillHandler, record: &str) -> Value {
    handler
        .handle(
            json!({"action": "cleanup",
                   "copies": [{"database": "orders", "record": record,
                               "restore": {"db_instance": "orders-dr-d1a2b3c4e", "region": "us-west-2"}}]}),
            &Invocation::new("req-3"),
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn a_scenario_drills_cleanup_never_deletes_a_production_record_named_as_a_copys() {
    let changes = Arc::new(Mutex::new(0));
    let route53 = zone_with(vec![cname(PRODUCTION, THIS_COPY)], &changes);
    let rds = mock_client!(aws_sdk_rds, RuleMode::MatchAny, []);
    let handler = handler(rds, route53, settings()).with_plan(Ok(Some(one_database_plan())));

    let cleaned = cleanup_of_copy(&handler, PRODUCTION).await;

    assert_eq!(cleaned["failed"][0]["part"], "record");
    assert_eq!(cleaned["failed"][0]["error"], "Misconfigured");
    assert!(
        cleaned["failed"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("it is a production record"),
        "{cleaned}"
    );
    assert_eq!(*changes.lock().unwrap(), 0);
}

#[tokio::test]
async fn a_scenario_drills_cleanup_never_deletes_a_record_outside_the_plans_drill_records() {
    let changes = Arc::new(Mutex::new(0));
    let route53 = zone_with(vec![cname("billing.drill.internal", THIS_COPY)], &changes);
    let rds = mock_client!(aws_sdk_rds, RuleMode::MatchAny, []);
    let handler = handler(rds, route53, settings()).with_plan(Ok(Some(one_database_plan())));

    let cleaned = cleanup_of_copy(&handler, "billing.drill.internal").await;

    assert!(
        cleaned["failed"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("it is no drill record of the recovery plan"),
        "{cleaned}"
    );
    assert_eq!(*changes.lock().unwrap(), 0);
}

#[tokio::test]
async fn a_scenario_drill_whose_drill_record_points_at_production_is_refused_before_any_change() {
    let changes = Arc::new(Mutex::new(0));
    let route53 = zone_with(
        vec![cname("orders.drill.internal", PRODUCTION_ADDRESS)],
        &changes,
    );
    let rds = mock_client!(aws_sdk_rds, RuleMode::MatchAny, []);
    let handler = handler(rds, route53, settings()).with_plan(Ok(Some(one_database_plan())));

    let err = handler
        .handle(
            json!({"action": "preflight", "execution": "drill-2",
                   "input": {"drill": true, "rehearse": {"scenario": "regional-outage"}},
                   "deployment": {"zone_id": ZONE}}),
            &Invocation::new("req-4"),
        )
        .await
        .unwrap_err();

    assert_eq!(err.name(), "Misconfigured");
    assert!(
        err.to_string().contains(
            "gives 'orders' the drill record 'orders.drill.internal', which is not a drill's"
        ),
        "{err}"
    );
    assert_eq!(*changes.lock().unwrap(), 0);
}

#[tokio::test]
async fn a_scheduled_drill_of_a_scenario_restores_drill_copies_and_never_the_standby() {
    let route53 = zone_with(vec![], &Arc::default());
    let rds = mock_client!(aws_sdk_rds, RuleMode::MatchAny, []);
    let handler = handler(rds, route53, settings()).with_plan(Ok(Some(one_database_plan())));

    let checked = handler
        .handle(
            json!({"action": "preflight", "execution": "drill-3",
                   "input": {"drill": true, "rehearse": {"scenario": "regional-outage"}},
                   "deployment": {"zone_id": ZONE}}),
            &Invocation::new("req-5"),
        )
        .await
        .unwrap();

    assert_eq!(checked["drill"], true);
    assert_eq!(checked["traffic"], false);
    let orders = &checked["platform"]["databases"][0];
    assert_eq!(orders["record"], "orders.drill.internal");
    assert_eq!(orders["promotion_not_rehearsed"], true);
    assert_eq!(orders["restore"]["standby"], Value::Null);
    assert_eq!(orders["restore"]["drill"], "drill-3");
    let copy = orders["restore"]["db_instance"]
        .as_str()
        .unwrap_or_default();
    assert!(copy.starts_with("orders-dr-d"), "{copy}");
    assert_eq!(
        checked["prepared"]["copies"][0]["record"],
        "orders.drill.internal"
    );
    assert_eq!(checked["prepared"]["marker"], "drill-3");
}
