//! Point-in-time restores at the SDK boundary, with aws-smithy-mocks.
//!
//! moto accepts both time flags at once and any time, answers
//! `DescribeDBInstanceAutomatedBackups` without an ARN or a restorable window,
//! and does not replicate backups across regions. So the request is asserted
//! here; each mock says which AWS answer it stands for.

mod common;

use std::sync::{Arc, Mutex};

use aws_sdk_rds::Client;
use aws_sdk_rds::operation::describe_db_instance_automated_backups::{
    DescribeDbInstanceAutomatedBackupsInput, DescribeDbInstanceAutomatedBackupsOutput,
};
use aws_sdk_rds::operation::describe_db_instances::{
    DescribeDBInstancesError, DescribeDbInstancesOutput,
};
use aws_sdk_rds::operation::restore_db_instance_to_point_in_time::{
    RestoreDbInstanceToPointInTimeInput, RestoreDbInstanceToPointInTimeOutput,
};
use aws_sdk_rds::primitives::DateTime;
use aws_sdk_rds::types::error::DbInstanceNotFoundFault;
use aws_sdk_rds::types::{DbInstance, DbInstanceAutomatedBackup, DbSubnetGroup, RestoreWindow};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use dr_lambdas::restore::RestoreHandler;
use dr_lambdas::restore::status::RestoreStatus;
use dr_lambdas::runtime::{Handler, Invocation};
use serde_json::json;

const TARGET: &str = "orders-pitr";
const SOURCE: &str = "orders";
/// 2026-11-22T00:00:00Z: when the requests arrive.
const NOW: i64 = 1_795_305_600;
/// The latest restorable time: five minutes before the request.
const LATEST: i64 = NOW - 300;
/// The earliest: seven days before.
const EARLIEST: i64 = NOW - 7 * 86_400;
const REPLICATED: &str = "arn:aws:rds:us-west-2:123456789012:auto-backup:ab-orders-replica";
/// The source's ARN in its own region: what a replicated backup carries as
/// `DBInstanceArn`.
const SOURCE_ARN: &str = "arn:aws:rds:us-east-1:123456789012:db:orders";

type Sent = Arc<Mutex<Vec<RestoreDbInstanceToPointInTimeInput>>>;

fn absent(id: &'static str) -> Rule {
    mock!(Client::describe_db_instances)
        .match_requests(move |r| r.db_instance_identifier() == Some(id))
        .then_error(|| {
            DescribeDBInstancesError::DbInstanceNotFoundFault(
                DbInstanceNotFoundFault::builder().build(),
            )
        })
}

/// The source in this region: RDS reports its latest restorable time.
fn source_here() -> Rule {
    mock!(Client::describe_db_instances)
        .match_requests(|r| r.db_instance_identifier() == Some(SOURCE))
        .then_output(|| {
            DescribeDbInstancesOutput::builder()
                .db_instances(
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
                        .backup_retention_period(7)
                        .max_allocated_storage(1000)
                        .latest_restorable_time(DateTime::from_secs(LATEST))
                        .build(),
                )
                .build()
        })
}

fn window() -> RestoreWindow {
    RestoreWindow::builder()
        .earliest_time(DateTime::from_secs(EARLIEST))
        .latest_time(DateTime::from_secs(LATEST))
        .build()
}

/// `DescribeDBInstanceAutomatedBackups` in the source's region: its own,
/// active backups with their window.
fn own_backups() -> Rule {
    mock!(Client::describe_db_instance_automated_backups).then_output(|| {
        DescribeDbInstanceAutomatedBackupsOutput::builder()
            .db_instance_automated_backups(
                DbInstanceAutomatedBackup::builder()
                    .db_instance_identifier(SOURCE)
                    .db_instance_automated_backups_arn(
                        "arn:aws:rds:us-east-1:123456789012:auto-backup:ab-orders",
                    )
                    .region("us-east-1")
                    .status("active")
                    .restore_window(window())
                    .build(),
            )
            .build()
    })
}

/// The same call in the recovery region, after
/// StartDBInstanceAutomatedBackupsReplication: the replica lives under the
/// source's identifier, its ARN in this region, `Region` naming the source's.
fn replicated_backups() -> Rule {
    replicated_backups_captured().0
}

/// The recovery region without replication: no backup of the source.
fn no_backups() -> Rule {
    mock!(Client::describe_db_instance_automated_backups)
        .then_output(|| DescribeDbInstanceAutomatedBackupsOutput::builder().build())
}

fn restore_captured() -> (Rule, Sent) {
    let sent: Sent = Arc::default();
    let keep = sent.clone();
    let rule =
        mock!(Client::restore_db_instance_to_point_in_time).then_compute_output(move |input| {
            keep.lock().unwrap().push(input.clone());
            RestoreDbInstanceToPointInTimeOutput::builder()
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

fn invocation() -> Invocation {
    let mut invocation = Invocation::new("req-1");
    invocation.received = std::time::UNIX_EPOCH + std::time::Duration::from_secs(NOW as u64);
    invocation.account_id = Some("123456789012".to_owned());
    invocation
}

/// The handler as the template configures it: the source runs in us-east-1
/// (`RESTORE_SOURCE_REGION`).
async fn restore(
    rules: &[&Rule],
    home: &str,
    event: serde_json::Value,
) -> Result<dr_lambdas::restore::RestoreResult, dr_lambdas::Error> {
    let client = mock_client!(aws_sdk_rds, RuleMode::MatchAny, rules);
    RestoreHandler::new(client, home, None)
        .with_source_region(Some("us-east-1".to_owned()))
        .handle(event, &invocation())
        .await
}

type Asked = Arc<Mutex<Vec<DescribeDbInstanceAutomatedBackupsInput>>>;

/// `replicated_backups`, keeping what each call asked for.
fn replicated_backups_captured() -> (Rule, Asked) {
    replicated_backups_of(SOURCE_ARN)
}

/// The backups replicated here from the source whose ARN is `source_arn`,
/// keeping what each call asked for.
fn replicated_backups_of(source_arn: &'static str) -> (Rule, Asked) {
    let asked: Asked = Arc::default();
    let keep = asked.clone();
    let rule =
        mock!(Client::describe_db_instance_automated_backups).then_compute_output(move |input| {
            keep.lock().unwrap().push(input.clone());
            DescribeDbInstanceAutomatedBackupsOutput::builder()
                .db_instance_automated_backups(replica_of(source_arn, REPLICATED))
                .build()
        });
    (rule, asked)
}

fn only(sent: &Sent) -> RestoreDbInstanceToPointInTimeInput {
    let sent = sent.lock().unwrap();
    assert_eq!(sent.len(), 1, "restore requests sent");
    sent[0].clone()
}

#[tokio::test]
async fn latest_in_the_same_region_restores_the_source_to_its_latest_restorable_time() {
    let (target, source, backups) = (absent(TARGET), source_here(), own_backups());
    let (rule, sent) = restore_captured();

    let result = restore(
        &[&target, &source, &backups, &rule],
        "us-east-1",
        json!({"db_instance": TARGET, "restore_time": "latest", "source_db_instance": SOURCE}),
    )
    .await
    .unwrap();

    let input = only(&sent);
    assert_eq!(input.target_db_instance_identifier(), Some(TARGET));
    assert_eq!(input.source_db_instance_identifier(), Some(SOURCE));
    assert_eq!(input.source_db_instance_automated_backups_arn(), None);
    assert_eq!(input.use_latest_restorable_time(), Some(true));
    assert_eq!(input.restore_time(), None);
    assert_eq!(input.db_instance_class(), Some("db.r6g.large"));
    assert_eq!(input.db_subnet_group_name(), Some("orders-subnets"));
    assert_eq!(input.max_allocated_storage(), Some(1000));
    assert_eq!(input.publicly_accessible(), Some(false));
    assert_eq!(result.status, RestoreStatus::Restoring);
    assert_eq!(result.snapshot_id, None);
    assert_eq!(
        result.recovery_point.as_deref(),
        Some("2026-11-21T23:55:00Z")
    );
    assert_eq!(result.data_loss_seconds, Some(300));
}

#[tokio::test]
async fn a_time_in_the_window_is_sent_as_restore_time_and_tagged() {
    let (target, source, backups) = (absent(TARGET), source_here(), own_backups());
    let (rule, sent) = restore_captured();

    let result = restore(
        &[&target, &source, &backups, &rule],
        "us-east-1",
        json!({"db_instance": TARGET, "restore_time": "2026-11-21T09:30:00Z",
               "source_db_instance": SOURCE}),
    )
    .await
    .unwrap();

    let input = only(&sent);
    assert_eq!(
        input.restore_time(),
        Some(&DateTime::from_secs(1_795_253_400))
    );
    assert_eq!(input.use_latest_restorable_time(), None);
    let tag = |key: &str| {
        input
            .tags()
            .iter()
            .find(|t| t.key() == Some(key))
            .and_then(|t| t.value())
            .map(str::to_owned)
    };
    assert_eq!(
        tag("dr-lambdas:provenance").as_deref(),
        Some("pitr:orders@2026-11-21T09:30:00Z")
    );
    assert_eq!(
        tag("dr-lambdas:recovery-point").as_deref(),
        Some("2026-11-21T09:30:00Z")
    );
    assert_eq!(result.data_loss_seconds, Some(52_200));
}

#[tokio::test]
async fn the_recovery_region_restores_from_the_replicated_backups_by_arn() {
    let (target, source, backups) = (absent(TARGET), absent(SOURCE), replicated_backups());
    let (rule, sent) = restore_captured();

    let result = restore(
        &[&target, &source, &backups, &rule],
        "us-east-1",
        json!({"db_instance": TARGET, "restore_time": "latest", "source_db_instance": SOURCE,
               "region": "us-west-2", "db_subnet_group": "dr-subnets"}),
    )
    .await
    .unwrap();

    let input = only(&sent);
    assert_eq!(input.source_db_instance_identifier(), None);
    assert_eq!(
        input.source_db_instance_automated_backups_arn(),
        Some(REPLICATED)
    );
    assert_eq!(input.use_latest_restorable_time(), Some(true));
    assert_eq!(input.db_subnet_group_name(), Some("dr-subnets"));
    assert_eq!(input.publicly_accessible(), Some(false));
    assert_eq!(result.region, "us-west-2");
    assert_eq!(
        result.recovery_point.as_deref(),
        Some("2026-11-21T23:55:00Z")
    );
}

#[tokio::test]
async fn the_recovery_region_without_replication_is_refused_saying_how_to_turn_it_on() {
    let (target, source, backups) = (absent(TARGET), absent(SOURCE), no_backups());
    let (rule, sent) = restore_captured();

    let err = restore(
        &[&target, &source, &backups, &rule],
        "us-east-1",
        json!({"db_instance": TARGET, "restore_time": "latest", "source_db_instance": SOURCE,
               "region": "us-west-2", "db_subnet_group": "dr-subnets"}),
    )
    .await
    .unwrap_err();

    assert_eq!(err.name(), "SourceInstanceNotFound");
    assert!(
        err.to_string()
            .contains("start-db-instance-automated-backups-replication --region us-west-2"),
        "{err}"
    );
    assert_eq!(sent.lock().unwrap().len(), 0);
}

#[tokio::test]
async fn a_time_before_the_window_is_refused_giving_the_window() {
    let (target, source, backups) = (absent(TARGET), source_here(), own_backups());
    let (rule, sent) = restore_captured();

    let err = restore(
        &[&target, &source, &backups, &rule],
        "us-east-1",
        json!({"db_instance": TARGET, "restore_time": "2026-11-01T00:00:00Z",
               "source_db_instance": SOURCE}),
    )
    .await
    .unwrap_err();

    assert_eq!(err.name(), "RestoreTimeOutOfRange");
    assert!(
        err.to_string()
            .contains("(2026-11-15T00:00:00Z to 2026-11-21T23:55:00Z)"),
        "{err}"
    );
    assert_eq!(sent.lock().unwrap().len(), 0);
}

#[tokio::test]
async fn a_dry_run_of_latest_says_how_much_data_a_restore_now_would_lose() {
    let (target, source, backups) = (absent(TARGET), source_here(), own_backups());
    let (rule, sent) = restore_captured();

    let result = restore(
        &[&target, &source, &backups, &rule],
        "us-east-1",
        json!({"db_instance": TARGET, "restore_time": "latest", "source_db_instance": SOURCE,
               "dry_run": true}),
    )
    .await
    .unwrap();

    assert_eq!(result.status, RestoreStatus::DryRun);
    assert_eq!(result.data_loss_seconds, Some(300));
    let plan = serde_json::to_value(result.plan.unwrap()).unwrap();
    assert_eq!(
        plan[0]["RestoreDBInstanceToPointInTime"]["UseLatestRestorableTime"],
        true
    );
    assert_eq!(sent.lock().unwrap().len(), 0);
}

#[tokio::test]
async fn replicated_backups_are_asked_for_by_the_sources_arn_not_listed_across_the_region() {
    let (target, source) = (absent(TARGET), absent(SOURCE));
    let (backups, asked) = replicated_backups_captured();
    let (rule, _sent) = restore_captured();

    restore(
        &[&target, &source, &backups, &rule],
        "us-west-2",
        json!({"db_instance": TARGET, "restore_time": "latest", "source_db_instance": SOURCE,
               "db_subnet_group": "dr-subnets"}),
    )
    .await
    .unwrap();

    let asked = asked.lock().unwrap();
    assert_eq!(asked.len(), 1, "one page: {asked:?}");
    // DBInstanceIdentifier must name an instance of this region, and
    // DbiResourceId needs the source's region: the filter takes the ARN.
    assert_eq!(asked[0].db_instance_identifier(), None);
    assert_eq!(asked[0].dbi_resource_id(), None);
    let filters: Vec<(Option<&str>, Vec<&str>)> = asked[0]
        .filters()
        .iter()
        .map(|f| (f.name(), f.values().iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(
        filters,
        [(
            Some("db-instance-id"),
            vec!["arn:aws:rds:us-east-1:123456789012:db:orders"]
        )]
    );
}

#[tokio::test]
async fn the_sources_own_backups_are_asked_for_by_its_identifier() {
    let (target, source) = (absent(TARGET), source_here());
    let (backups, asked) = replicated_backups_captured();
    let (rule, _sent) = restore_captured();

    restore(
        &[&target, &source, &backups, &rule],
        "us-east-1",
        json!({"db_instance": TARGET, "restore_time": "latest", "source_db_instance": SOURCE}),
    )
    .await
    .unwrap();

    let asked = asked.lock().unwrap();
    assert_eq!(asked[0].db_instance_identifier(), Some(SOURCE));
    assert!(asked[0].filters().is_empty());
}

#[tokio::test]
async fn the_events_source_region_names_the_replicated_backups() {
    let (target, source) = (absent(TARGET), absent(SOURCE));
    let (backups, asked) = replicated_backups_of("arn:aws:rds:eu-west-1:123456789012:db:orders");
    let (rule, _sent) = restore_captured();

    restore(
        &[&target, &source, &backups, &rule],
        "us-west-2",
        json!({"db_instance": TARGET, "restore_time": "latest", "source_db_instance": SOURCE,
               "source_region": "eu-west-1", "db_subnet_group": "dr-subnets"}),
    )
    .await
    .unwrap();

    assert_eq!(
        asked.lock().unwrap()[0].filters()[0].values(),
        ["arn:aws:rds:eu-west-1:123456789012:db:orders"]
    );
}

#[tokio::test]
async fn without_a_source_region_a_restore_from_replicated_backups_is_refused_saying_so() {
    let (target, source) = (absent(TARGET), absent(SOURCE));
    let (backups, asked) = replicated_backups_captured();
    let client = mock_client!(
        aws_sdk_rds,
        RuleMode::MatchAny,
        [&target, &source, &backups]
    );

    let err = RestoreHandler::new(client, "us-west-2", None)
        .handle(
            json!({"db_instance": TARGET, "restore_time": "latest", "source_db_instance": SOURCE,
                   "db_subnet_group": "dr-subnets"}),
            &invocation(),
        )
        .await
        .unwrap_err();

    assert_eq!(err.name(), "InvalidRequest");
    assert!(
        err.to_string().starts_with("source_region: is required"),
        "{err}"
    );
    assert_eq!(asked.lock().unwrap().len(), 0);
}

#[tokio::test]
async fn more_pages_of_backups_than_the_cap_are_refused_not_silently_cut() {
    let (target, source) = (absent(TARGET), absent(SOURCE));
    // Every page says there is another (a new marker each time: the SDK's
    // paginator stops by itself on a repeated one).
    let endless =
        mock!(Client::describe_db_instance_automated_backups).then_compute_output(|input| {
            DescribeDbInstanceAutomatedBackupsOutput::builder()
                .marker(format!("{}x", input.marker().unwrap_or_default()))
                .build()
        });
    let (rule, sent) = restore_captured();

    let err = restore(
        &[&target, &source, &endless, &rule],
        "us-west-2",
        json!({"db_instance": TARGET, "restore_time": "latest", "source_db_instance": SOURCE,
               "db_subnet_group": "dr-subnets"}),
    )
    .await
    .unwrap_err();

    assert_eq!(err.name(), "InvalidRequest");
    assert!(
        err.to_string().contains("more than 2000 automated backups"),
        "{err}"
    );
    assert_eq!(endless.num_calls(), 21);
    assert_eq!(sent.lock().unwrap().len(), 0);
}

#[tokio::test]
async fn outside_lambda_with_no_account_the_identifier_stands_in_for_the_arn() {
    // A local emulator's function ARN names no account: the filter, which
    // takes identifiers too, gets the name.
    let (target, source) = (absent(TARGET), absent(SOURCE));
    let (backups, asked) = replicated_backups_captured();
    let (rule, _sent) = restore_captured();
    let client = mock_client!(
        aws_sdk_rds,
        RuleMode::MatchAny,
        [&target, &source, &backups, &rule]
    );
    let mut no_account = invocation();
    no_account.account_id = None;

    RestoreHandler::new(client, "us-west-2", None)
        .with_source_region(Some("us-east-1".to_owned()))
        .handle(
            json!({"db_instance": TARGET, "restore_time": "latest", "source_db_instance": SOURCE,
                   "db_subnet_group": "dr-subnets"}),
            &no_account,
        )
        .await
        .unwrap();

    assert_eq!(asked.lock().unwrap()[0].filters()[0].values(), [SOURCE]);
}

/// A restore of the source's latest restorable time in the recovery region,
/// whose source is not there, with `backups`: the restore requests sent.
async fn latest_in_the_recovery_region(backups: &Rule) -> Sent {
    let (target, source) = (absent(TARGET), absent(SOURCE));
    let (rule, sent) = restore_captured();
    restore(
        &[&target, &source, backups, &rule],
        "us-west-2",
        json!({"db_instance": TARGET, "restore_time": "latest", "source_db_instance": SOURCE,
               "db_subnet_group": "dr-subnets"}),
    )
    .await
    .unwrap();
    sent
}

/// A replicated backup in the recovery region: its ARN there, and the ARN
/// of the source instance it replicates.
fn replica_of(source_arn: &str, backup_arn: &str) -> DbInstanceAutomatedBackup {
    DbInstanceAutomatedBackup::builder()
        .db_instance_identifier(SOURCE)
        .db_instance_automated_backups_arn(backup_arn)
        .db_instance_arn(source_arn)
        .region(source_arn.split(':').nth(3).unwrap_or_default())
        .status("replicating")
        .engine("postgres")
        .engine_version("15.4")
        .restore_window(window())
        .build()
}

#[tokio::test]
async fn a_same_named_instance_replicated_from_another_region_is_never_restored() {
    // moto and real RDS alike may list both: matched on DBInstanceArn.
    let backups = mock!(Client::describe_db_instance_automated_backups).then_output(|| {
        DescribeDbInstanceAutomatedBackupsOutput::builder()
            .db_instance_automated_backups(replica_of(
                "arn:aws:rds:eu-west-1:123456789012:db:orders",
                "arn:aws:rds:us-west-2:123456789012:auto-backup:ab-orders-from-eu",
            ))
            .db_instance_automated_backups(replica_of(SOURCE_ARN, REPLICATED))
            .build()
    });
    let sent = latest_in_the_recovery_region(&backups).await;

    assert_eq!(
        only(&sent).source_db_instance_automated_backups_arn(),
        Some(REPLICATED)
    );
}

#[tokio::test]
async fn when_the_filtered_listing_finds_nothing_the_whole_listing_is_matched_by_the_sources_arn() {
    let asked: Asked = Arc::default();
    let keep = asked.clone();
    let backups =
        mock!(Client::describe_db_instance_automated_backups).then_compute_output(move |input| {
            keep.lock().unwrap().push(input.clone());
            let out = DescribeDbInstanceAutomatedBackupsOutput::builder();
            if input.filters().is_empty() {
                out.db_instance_automated_backups(replica_of(SOURCE_ARN, REPLICATED))
                    .build()
            } else {
                out.build()
            }
        });
    let sent = latest_in_the_recovery_region(&backups).await;

    let asked = asked.lock().unwrap();
    assert_eq!(asked.len(), 2, "{asked:?}");
    assert_eq!(asked[1].filters(), []);
    assert_eq!(
        only(&sent).source_db_instance_automated_backups_arn(),
        Some(REPLICATED)
    );
}

#[tokio::test]
async fn a_time_rds_refuses_for_its_window_is_restore_time_out_of_range_with_the_window_read_again()
{
    let (target, source, backups) = (absent(TARGET), absent(SOURCE), replicated_backups());
    // The window moved on between the read and the call: RDS refuses.
    let refused = mock!(Client::restore_db_instance_to_point_in_time).then_http_response(|| {
        aws_smithy_runtime_api::http::Response::new(
            aws_smithy_runtime_api::http::StatusCode::try_from(400).unwrap(),
            aws_smithy_types::body::SdkBody::from(
                "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidRestoreFault</Code>\
                 <Message>Restore time is not within the restorable window</Message></Error></ErrorResponse>",
            ),
        )
    });

    let err = restore(
        &[&target, &source, &backups, &refused],
        "us-west-2",
        json!({"db_instance": TARGET, "restore_time": "2026-11-21T23:00:00Z",
               "source_db_instance": SOURCE, "db_subnet_group": "dr-subnets"}),
    )
    .await
    .unwrap_err();

    assert_eq!(err.name(), "RestoreTimeOutOfRange");
    let message = err.to_string();
    assert!(
        message.contains("restore_time 2026-11-21T23:00:00Z"),
        "{message}"
    );
    assert!(
        message.contains("now 2026-11-15T00:00:00Z to 2026-11-21T23:55:00Z"),
        "the window read again: {message}"
    );
    assert!(
        message.contains("RDS: Restore time is not within"),
        "{message}"
    );
}

#[test]
fn only_a_refusal_that_names_the_time_is_taken_for_the_window() {
    use dr_lambdas::restore::rds::refuses_the_time;
    assert!(refuses_the_time(Some("InvalidRestoreFault"), None));
    assert!(refuses_the_time(
        Some("InvalidParameterValue"),
        Some("The restore time must be before the latest restorable time")
    ));
    assert!(!refuses_the_time(
        Some("InvalidParameterValue"),
        Some("Invalid DB instance class")
    ));
    assert!(!refuses_the_time(
        Some("AccessDenied"),
        Some("restore time")
    ));
}
