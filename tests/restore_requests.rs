//! What a restore sends, captured at the SDK boundary with aws-smithy-mocks.
//!
//! moto accepts any restore request: IOPS below gp3's threshold, parameter
//! groups of another engine family, no subnet group at all. Real RDS refuses
//! the first two and, for the last, puts the database in the default VPC.
//! So these tests assert the request itself. Each mock stands for what RDS
//! answers: `DescribeDBInstances` (the target absent, the source as given),
//! `DescribeDBSnapshots` (the snapshot as given), and the restore's answer.

mod common;

use std::sync::{Arc, Mutex};

use aws_sdk_rds::Client;
use aws_sdk_rds::operation::describe_db_instances::{
    DescribeDBInstancesError, DescribeDbInstancesOutput,
};
use aws_sdk_rds::operation::describe_db_snapshots::DescribeDbSnapshotsOutput;
use aws_sdk_rds::operation::restore_db_instance_from_db_snapshot::{
    RestoreDBInstanceFromDBSnapshotError, RestoreDbInstanceFromDbSnapshotInput,
    RestoreDbInstanceFromDbSnapshotOutput,
};
use aws_sdk_rds::types::error::{DbInstanceAlreadyExistsFault, DbInstanceNotFoundFault};
use aws_sdk_rds::types::{
    DbInstance, DbParameterGroupStatus, DbSnapshot, DbSubnetGroup, Endpoint, OptionGroupMembership,
    Tag, VpcSecurityGroupMembership,
};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use dr_lambdas::restore::RestoreHandler;
use dr_lambdas::runtime::{Handler, Invocation};
use serde_json::{Value, json};

const TARGET: &str = "orders-dr";
const SOURCE: &str = "orders";
const SNAPSHOT: &str = "orders-2026-11-21";

type Sent = Arc<Mutex<Vec<RestoreDbInstanceFromDbSnapshotInput>>>;

fn target_absent() -> Rule {
    mock!(Client::describe_db_instances)
        .match_requests(|r| r.db_instance_identifier() == Some(TARGET))
        .then_error(|| {
            DescribeDBInstancesError::DbInstanceNotFoundFault(
                DbInstanceNotFoundFault::builder().build(),
            )
        })
}

fn source_absent() -> Rule {
    mock!(Client::describe_db_instances)
        .match_requests(|r| r.db_instance_identifier() == Some(SOURCE))
        .then_error(|| {
            DescribeDBInstancesError::DbInstanceNotFoundFault(
                DbInstanceNotFoundFault::builder().build(),
            )
        })
}

fn source_present(source: DbInstance) -> Rule {
    mock!(Client::describe_db_instances)
        .match_requests(|r| r.db_instance_identifier() == Some(SOURCE))
        .then_output(move || {
            DescribeDbInstancesOutput::builder()
                .db_instances(source.clone())
                .build()
        })
}

/// The source: PostgreSQL 15.4 on gp3 at its baseline, private, with the
/// settings a restore resets.
fn postgres_source() -> aws_sdk_rds::types::builders::DbInstanceBuilder {
    DbInstance::builder()
        .db_instance_identifier(SOURCE)
        .db_instance_status("available")
        .engine("postgres")
        .engine_version("15.4")
        .db_instance_class("db.r6g.large")
        .db_subnet_group(
            DbSubnetGroup::builder()
                .db_subnet_group_name("orders-subnets")
                .build(),
        )
        .vpc_security_groups(
            VpcSecurityGroupMembership::builder()
                .vpc_security_group_id("sg-0aaaaaaaaaaaaaaa1")
                .build(),
        )
        .db_parameter_groups(
            DbParameterGroupStatus::builder()
                .db_parameter_group_name("orders-pg15")
                .build(),
        )
        .option_group_memberships(
            OptionGroupMembership::builder()
                .option_group_name("default:postgres-15")
                .build(),
        )
        .storage_type("gp3")
        .iops(3000)
        .storage_throughput(125)
        .publicly_accessible(false)
        .endpoint(Endpoint::builder().port(6432).build())
        .iam_database_authentication_enabled(true)
        .copy_tags_to_snapshot(true)
        .enabled_cloudwatch_logs_exports("postgresql")
        .ca_certificate_identifier("rds-ca-rsa2048-g1")
        .backup_retention_period(14)
        .preferred_backup_window("03:00-04:00")
        .tag_list(Tag::builder().key("team").value("orders").build())
}

/// The snapshot: 100 GiB of gp3 at its baseline, PostgreSQL 15.4.
fn postgres_snapshot() -> aws_sdk_rds::types::builders::DbSnapshotBuilder {
    DbSnapshot::builder()
        .db_snapshot_identifier(SNAPSHOT)
        .db_instance_identifier(SOURCE)
        .status("available")
        .engine("postgres")
        .engine_version("15.4")
        .allocated_storage(100)
        .storage_type("gp3")
        .iops(3000)
        .storage_throughput(125)
}

fn snapshot_found(snapshot: DbSnapshot) -> Rule {
    mock!(Client::describe_db_snapshots).then_output(move || {
        DescribeDbSnapshotsOutput::builder()
            .db_snapshots(snapshot.clone())
            .build()
    })
}

/// The restore, answering "creating" and keeping what it was sent.
fn restore_captured() -> (Rule, Sent) {
    let sent: Sent = Arc::default();
    let keep = sent.clone();
    let rule =
        mock!(Client::restore_db_instance_from_db_snapshot).then_compute_output(move |input| {
            keep.lock().unwrap().push(input.clone());
            RestoreDbInstanceFromDbSnapshotOutput::builder()
                .db_instance(
                    DbInstance::builder()
                        .db_instance_identifier(TARGET)
                        .db_instance_status("creating")
                        .build(),
                )
                .build()
        });
    (rule, sent)
}

fn handler(rules: &[&Rule]) -> RestoreHandler {
    let client = mock_client!(aws_sdk_rds, RuleMode::MatchAny, rules);
    RestoreHandler::new(client, "us-east-1", None)
}

async fn restore(rules: &[&Rule], event: Value) -> Result<Value, dr_lambdas::Error> {
    handler(rules)
        .handle(event, &Invocation::new("req-1"))
        .await
        .map(|r| serde_json::to_value(r).unwrap())
}

fn only(sent: &Sent) -> RestoreDbInstanceFromDbSnapshotInput {
    let sent = sent.lock().unwrap();
    assert_eq!(sent.len(), 1, "restore requests sent");
    sent[0].clone()
}

fn tag<'a>(input: &'a RestoreDbInstanceFromDbSnapshotInput, key: &str) -> Option<&'a str> {
    input
        .tags()
        .iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value())
}

#[tokio::test]
async fn a_restore_without_a_source_here_is_sent_private_in_the_events_subnet_group() {
    let (target, source) = (target_absent(), source_absent());
    let snap = snapshot_found(postgres_snapshot().build());
    let (restore_rule, sent) = restore_captured();

    restore(
        &[&target, &source, &snap, &restore_rule],
        json!({"db_instance": TARGET, "snapshot_id": SNAPSHOT, "db_subnet_group": "dr-subnets"}),
    )
    .await
    .unwrap();

    let input = only(&sent);
    assert_eq!(input.publicly_accessible(), Some(false));
    assert_eq!(input.db_subnet_group_name(), Some("dr-subnets"));
}

#[tokio::test]
async fn a_restore_without_a_source_or_a_subnet_group_sends_nothing() {
    let (target, source) = (target_absent(), source_absent());
    let snap = snapshot_found(postgres_snapshot().build());
    let (restore_rule, sent) = restore_captured();

    let err = restore(
        &[&target, &source, &snap, &restore_rule],
        json!({"db_instance": TARGET, "snapshot_id": SNAPSHOT}),
    )
    .await
    .unwrap_err();

    assert_eq!(err.name(), "InvalidRequest");
    assert!(err.to_string().starts_with("db_subnet_group: "), "{err}");
    assert_eq!(sent.lock().unwrap().len(), 0);
}

#[tokio::test]
async fn gp3_at_its_baseline_below_400_gib_is_sent_without_iops_or_throughput() {
    let target = target_absent();
    let source = source_present(postgres_source().build());
    let snap = snapshot_found(postgres_snapshot().build());
    let (restore_rule, sent) = restore_captured();

    restore(
        &[&target, &source, &snap, &restore_rule],
        json!({"db_instance": TARGET, "snapshot_id": SNAPSHOT}),
    )
    .await
    .unwrap();

    let input = only(&sent);
    assert_eq!(input.storage_type(), None);
    assert_eq!(input.iops(), None);
    assert_eq!(input.storage_throughput(), None);
}

#[tokio::test]
async fn a_source_upgraded_after_the_snapshot_keeps_its_groups_out_and_says_so() {
    let target = target_absent();
    let source = source_present(postgres_source().engine_version("16.2").build());
    let snap = snapshot_found(postgres_snapshot().build());
    let (restore_rule, sent) = restore_captured();

    let result = restore(
        &[&target, &source, &snap, &restore_rule],
        json!({"db_instance": TARGET, "snapshot_id": SNAPSHOT}),
    )
    .await
    .unwrap();

    let input = only(&sent);
    assert_eq!(input.db_parameter_group_name(), None);
    assert!(input.enable_cloudwatch_logs_exports().is_empty());
    assert_eq!(
        result["notes"][0],
        "parameter group 'orders-pg15' of the source is for postgres 16.2, the snapshot is postgres 15.4: \
         left to RDS (the default group of the snapshot's engine version); pass db_parameter_group to choose one"
    );
}

#[tokio::test]
async fn the_settings_a_restore_resets_are_sent_from_the_source() {
    let target = target_absent();
    let source = source_present(postgres_source().build());
    let snap = snapshot_found(postgres_snapshot().build());
    let (restore_rule, sent) = restore_captured();

    restore(
        &[&target, &source, &snap, &restore_rule],
        json!({"db_instance": TARGET, "snapshot_id": SNAPSHOT}),
    )
    .await
    .unwrap();

    let input = only(&sent);
    assert_eq!(input.db_parameter_group_name(), Some("orders-pg15"));
    // A default option group is left to RDS: the default of the snapshot's version.
    assert_eq!(input.option_group_name(), None);
    assert_eq!(input.port(), Some(6432));
    assert_eq!(input.enable_iam_database_authentication(), Some(true));
    assert_eq!(input.copy_tags_to_snapshot(), Some(true));
    assert_eq!(input.enable_cloudwatch_logs_exports(), ["postgresql"]);
    assert_eq!(input.ca_certificate_identifier(), Some("rds-ca-rsa2048-g1"));
    assert_eq!(input.backup_retention_period(), Some(14));
    assert_eq!(input.preferred_backup_window(), Some("03:00-04:00"));
    assert_eq!(input.publicly_accessible(), Some(false));
    assert_eq!(tag(&input, "team"), Some("orders"));
}

#[tokio::test]
async fn without_a_source_the_snapshots_tags_are_sent() {
    let (target, source) = (target_absent(), source_absent());
    let snap = snapshot_found(
        postgres_snapshot()
            .tag_list(Tag::builder().key("team").value("orders").build())
            .tag_list(Tag::builder().key("cost-center").value("42").build())
            .build(),
    );
    let (restore_rule, sent) = restore_captured();

    restore(
        &[&target, &source, &snap, &restore_rule],
        json!({"db_instance": TARGET, "snapshot_id": SNAPSHOT, "db_subnet_group": "dr-subnets"}),
    )
    .await
    .unwrap();

    let input = only(&sent);
    assert_eq!(tag(&input, "team"), Some("orders"));
    assert_eq!(tag(&input, "cost-center"), Some("42"));
    assert_eq!(
        tag(&input, "dr-lambdas:provenance"),
        Some("snapshot:orders-2026-11-21")
    );
}

#[tokio::test]
async fn identifiers_in_upper_case_are_sent_in_lower_case() {
    let target = target_absent();
    let source = source_present(postgres_source().build());
    let snap = snapshot_found(postgres_snapshot().build());
    let (restore_rule, sent) = restore_captured();

    restore(
        &[&target, &source, &snap, &restore_rule],
        json!({"db_instance": "Orders-DR", "snapshot_id": SNAPSHOT, "source_db_instance": "ORDERS"}),
    )
    .await
    .unwrap();

    assert_eq!(only(&sent).db_instance_identifier(), Some(TARGET));
}

#[tokio::test]
async fn an_aws_backup_recovery_point_is_restored_by_its_name() {
    const POINT: &str = "awsbackup:job-be59cf2a-2343-4402-bd8b-226993d23453";
    let target = target_absent();
    let source = source_present(postgres_source().build());
    let snap = snapshot_found(postgres_snapshot().db_snapshot_identifier(POINT).build());
    let (restore_rule, sent) = restore_captured();

    restore(
        &[&target, &source, &snap, &restore_rule],
        json!({"db_instance": TARGET, "snapshot_id": POINT}),
    )
    .await
    .unwrap();

    assert_eq!(only(&sent).db_snapshot_identifier(), Some(POINT));
}

#[tokio::test]
async fn an_automated_snapshot_is_described_as_automated_and_tagged_without_the_rds_prefix() {
    // RDS finds an automated snapshot by name only with SnapshotType=automated,
    // and refuses tag values starting with "rds:".
    const AUTOMATED: &str = "rds:orders-2026-11-21-03-10";
    let target = target_absent();
    let source = source_present(postgres_source().build());
    let snap = mock!(Client::describe_db_snapshots)
        .match_requests(|r| {
            r.db_snapshot_identifier() == Some(AUTOMATED) && r.snapshot_type() == Some("automated")
        })
        .then_output(|| {
            DescribeDbSnapshotsOutput::builder()
                .db_snapshots(
                    postgres_snapshot()
                        .db_snapshot_identifier(AUTOMATED)
                        .build(),
                )
                .build()
        });
    let (restore_rule, sent) = restore_captured();

    restore(
        &[&target, &source, &snap, &restore_rule],
        json!({"db_instance": TARGET, "snapshot_id": AUTOMATED}),
    )
    .await
    .unwrap();

    let input = only(&sent);
    assert_eq!(input.db_snapshot_identifier(), Some(AUTOMATED));
    assert_eq!(
        tag(&input, "dr-lambdas:restored-from"),
        Some("snapshot:rds:orders-2026-11-21-03-10")
    );
    assert!(
        input
            .tags()
            .iter()
            .all(|t| !t.value().unwrap_or_default().starts_with("rds:")),
        "{:?}",
        input.tags()
    );
}

#[tokio::test]
async fn a_lost_race_whose_winner_cannot_be_described_yet_is_retryable() {
    // RDS answers DBInstanceAlreadyExists, then (eventual consistency) cannot
    // show the instance yet: whose it is is unknown, so nothing is claimed.
    let target = mock!(Client::describe_db_instances)
        .match_requests(|r| r.db_instance_identifier() == Some(TARGET))
        .then_error(|| {
            DescribeDBInstancesError::DbInstanceNotFoundFault(
                DbInstanceNotFoundFault::builder().build(),
            )
        });
    let source = source_present(postgres_source().build());
    let snap = snapshot_found(postgres_snapshot().build());
    let taken = mock!(Client::restore_db_instance_from_db_snapshot).then_error(|| {
        RestoreDBInstanceFromDBSnapshotError::DbInstanceAlreadyExistsFault(
            DbInstanceAlreadyExistsFault::builder().build(),
        )
    });

    let err = restore(
        &[&target, &source, &snap, &taken],
        json!({"db_instance": TARGET, "snapshot_id": SNAPSHOT}),
    )
    .await
    .unwrap_err();

    assert_eq!(err.name(), "ServiceUnavailable");
    assert!(err.is_retryable());
    assert_eq!(target.num_calls(), 2);
}

#[tokio::test]
async fn a_snapshot_of_another_account_is_refused_before_any_call() {
    let (restore_rule, sent) = restore_captured();
    let handler = handler(&[&restore_rule]);
    let mut invocation = Invocation::new("req-1");
    invocation.account_id = Some("123456789012".into());

    let err = handler
        .handle(
            json!({"db_instance": TARGET,
                   "snapshot_id": "arn:aws:rds:us-east-1:210987654321:snapshot:shared-orders"}),
            &invocation,
        )
        .await
        .unwrap_err();

    assert_eq!(err.name(), "InvalidRequest");
    assert!(err.to_string().contains("account 210987654321"), "{err}");
    assert_eq!(sent.lock().unwrap().len(), 0);
}

#[tokio::test]
async fn every_tag_value_in_the_dry_run_plan_of_a_long_snapshot_name_is_one_rds_accepts() {
    // 250 characters: "snapshot:" + the name is longer than RDS's 256, so
    // the restored-from tag is cut and ends in a hash.
    let long = format!("orders-{}", "a".repeat(243));
    let (target, source) = (target_absent(), source_absent());
    let snap = snapshot_found(postgres_snapshot().db_snapshot_identifier(&long).build());

    let out = restore(
        &[&target, &source, &snap],
        json!({"db_instance": TARGET, "snapshot_id": long, "db_subnet_group": "dr-subnets",
               "dry_run": true}),
    )
    .await
    .unwrap();

    let tags = out["plan"][0]["RestoreDBInstanceFromDBSnapshot"]["Tags"]
        .as_array()
        .expect("the planned tags")
        .clone();
    let restored_from = tags
        .iter()
        .find(|t| t["Key"] == "dr-lambdas:restored-from")
        .expect("the restored-from tag");
    assert_eq!(
        restored_from["Value"].as_str().map(|v| v.chars().count()),
        Some(256)
    );
    for tag in &tags {
        let value = tag["Value"].as_str().unwrap_or_default();
        assert_eq!(
            dr_lambdas::validate::tag_value(value),
            Ok(()),
            "{}: {value}",
            tag["Key"]
        );
    }
}

/// The target as an earlier restore of the same event left it: available,
/// with the tags a restore writes, `requested_at` as given.
fn target_restored(requested_at: Option<&'static str>, created: i64) -> Rule {
    mock!(Client::describe_db_instances)
        .match_requests(|r| r.db_instance_identifier() == Some(TARGET))
        .then_output(move || {
            let mut db = DbInstance::builder()
                .db_instance_identifier(TARGET)
                .db_instance_status("available")
                .instance_create_time(aws_sdk_rds::primitives::DateTime::from_secs(created))
                .endpoint(
                    Endpoint::builder()
                        .address("orders-dr.abc.us-east-1.rds.amazonaws.com")
                        .port(5432)
                        .build(),
                )
                .tag_list(
                    Tag::builder()
                        .key("dr-lambdas:provenance")
                        .value(format!("latest:{SOURCE}"))
                        .build(),
                );
            if let Some(at) = requested_at {
                db = db.tag_list(
                    Tag::builder()
                        .key("dr-lambdas:requested-at")
                        .value(at)
                        .build(),
                );
            }
            DescribeDbInstancesOutput::builder()
                .db_instances(db.build())
                .build()
        })
}

fn an_hour_ago() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        - 3600
}

#[tokio::test]
async fn a_replay_within_the_window_reports_the_endpoint_and_sends_nothing() {
    let target = target_restored(None, an_hour_ago());

    let out = restore(
        &[&target],
        json!({"db_instance": TARGET, "snapshot_id": "latest", "source_db_instance": SOURCE}),
    )
    .await
    .unwrap();

    assert_eq!(out["replayed"], true);
    assert_eq!(out["status"], "available");
    assert_eq!(out["endpoint"], "orders-dr.abc.us-east-1.rds.amazonaws.com");
    assert_eq!(out["port"], 5432);
}

#[tokio::test]
async fn a_replay_asked_for_before_the_window_is_refused_and_nothing_is_sent() {
    // Restored from the same source's latest snapshot, a month ago: replaying
    // it would cut over to a month-old database.
    let target = target_restored(Some("2026-10-01T03:00:00Z"), an_hour_ago());
    let snap = snapshot_found(postgres_snapshot().build());
    let (restore_rule, sent) = restore_captured();

    let err = restore(
        &[&target, &snap, &restore_rule],
        json!({"db_instance": TARGET, "snapshot_id": "latest", "source_db_instance": SOURCE}),
    )
    .await
    .unwrap_err();

    assert_eq!(err.name(), "InstanceAlreadyExists");
    assert!(
        err.to_string()
            .contains("on 2026-10-01T03:00:00Z, more than REPLAY_WINDOW_HOURS (24)"),
        "{err}"
    );
    assert_eq!(sent.lock().unwrap().len(), 0);
    assert_eq!(snap.num_calls(), 0);
}

#[tokio::test]
async fn without_a_request_time_tag_the_instances_creation_time_dates_the_replay() {
    let target = target_restored(None, an_hour_ago() - 3 * 86_400);

    let err = restore(
        &[&target],
        json!({"db_instance": TARGET, "snapshot_id": "latest", "source_db_instance": SOURCE}),
    )
    .await
    .unwrap_err();

    assert_eq!(err.name(), "InstanceAlreadyExists");
}

#[tokio::test]
async fn a_longer_window_replays_an_older_restore() {
    let target = target_restored(None, an_hour_ago() - 3 * 86_400);
    let client = mock_client!(aws_sdk_rds, RuleMode::MatchAny, [&target]);

    let out = RestoreHandler::new(client, "us-east-1", None)
        .with_replay_window_hours(24 * 7)
        .handle(
            json!({"db_instance": TARGET, "snapshot_id": "latest", "source_db_instance": SOURCE}),
            &Invocation::new("req-1"),
        )
        .await
        .unwrap();

    assert!(out.replayed);
}
