//! The restore handler at the SDK boundary, with aws-smithy-mocks: the
//! faults moto cannot produce (throttling, AccessDenied, 5xx, a lost race).

use std::time::Duration;

use aws_sdk_rds::Client;
use aws_sdk_rds::operation::describe_db_instances::{
    DescribeDBInstancesError, DescribeDbInstancesOutput,
};
use aws_sdk_rds::operation::describe_db_snapshots::DescribeDbSnapshotsOutput;
use aws_sdk_rds::operation::restore_db_instance_from_db_snapshot::{
    RestoreDBInstanceFromDBSnapshotError, RestoreDbInstanceFromDbSnapshotOutput,
};
use aws_sdk_rds::types::error::{DbInstanceAlreadyExistsFault, DbInstanceNotFoundFault};
use aws_sdk_rds::types::{DbInstance, DbSnapshot, Tag};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use dr_lambdas::aws::SdkSettings;
use dr_lambdas::restore::RestoreHandler;
use dr_lambdas::restore::status::RestoreStatus;
use dr_lambdas::runtime::{Handler, Invocation};
use serde_json::json;

const TARGET: &str = "orders-dr";
const SNAPSHOT: &str = "snapshot-2025-05-12";

fn rds_error(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>\
         <RequestId>r</RequestId></ErrorResponse>"
    )
}

/// A client with the production retry policy, but millisecond back-offs.
fn client(rules: &[&Rule]) -> Client {
    let retry = SdkSettings::default()
        .retry_config()
        .with_initial_backoff(Duration::from_millis(1));
    mock_client!(
        aws_sdk_rds,
        RuleMode::MatchAny,
        rules,
        |c: aws_sdk_rds::config::Builder| c.retry_config(retry.clone())
    )
}

fn handler(rules: &[&Rule]) -> RestoreHandler {
    RestoreHandler::new(client(rules), "us-east-1", None)
}

/// The source is absent in these mocks (a recovery region), so the event names the subnet group.
fn event() -> serde_json::Value {
    json!({"db_instance": TARGET, "snapshot_id": SNAPSHOT, "db_subnet_group": "dr-subnets"})
}

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
        .match_requests(|r| r.db_instance_identifier() == Some("orders"))
        .then_error(|| {
            DescribeDBInstancesError::DbInstanceNotFoundFault(
                DbInstanceNotFoundFault::builder().build(),
            )
        })
}

fn snapshot_found() -> Rule {
    mock!(Client::describe_db_snapshots).then_output(|| {
        DescribeDbSnapshotsOutput::builder()
            .db_snapshots(
                DbSnapshot::builder()
                    .db_snapshot_identifier(SNAPSHOT)
                    .db_instance_identifier("orders")
                    .status("available")
                    .build(),
            )
            .build()
    })
}

fn restore_ok() -> Rule {
    mock!(Client::restore_db_instance_from_db_snapshot).then_output(|| {
        RestoreDbInstanceFromDbSnapshotOutput::builder()
            .db_instance(
                DbInstance::builder()
                    .db_instance_identifier(TARGET)
                    .db_instance_status("creating")
                    .build(),
            )
            .build()
    })
}

#[tokio::test]
async fn a_throttled_call_is_retried_and_the_restore_goes_on() {
    let throttled_once = mock!(Client::describe_db_instances)
        .match_requests(|r| r.db_instance_identifier() == Some(TARGET))
        .sequence()
        .http_status(400, Some(rds_error("Throttling", "Rate exceeded")))
        .error(|| {
            DescribeDBInstancesError::DbInstanceNotFoundFault(
                DbInstanceNotFoundFault::builder().build(),
            )
        })
        .build();
    let (snap, source, restore) = (snapshot_found(), source_absent(), restore_ok());
    let handler = handler(&[&throttled_once, &snap, &source, &restore]);

    let result = handler
        .handle(event(), &Invocation::new("r"))
        .await
        .unwrap();

    assert_eq!(result.status, RestoreStatus::Restoring);
    assert_eq!(result.db_instance_status.as_deref(), Some("creating"));
    assert_eq!(throttled_once.num_calls(), 2);
    assert_eq!(restore.num_calls(), 1);
}

#[tokio::test]
async fn throttling_that_outlasts_the_retries_is_throttled() {
    let always = mock!(Client::describe_db_instances)
        .sequence()
        .http_status(400, Some(rds_error("Throttling", "Rate exceeded")))
        .repeatedly()
        .build();
    let restore = restore_ok();
    let handler = handler(&[&always, &restore]);

    let err = handler
        .handle(event(), &Invocation::new("r"))
        .await
        .unwrap_err();

    assert_eq!(err.name(), "Throttled");
    assert_eq!(err.aws_code(), Some("Throttling"));
    assert_eq!(
        always.num_calls(),
        3,
        "the standard policy makes three attempts"
    );
    assert_eq!(restore.num_calls(), 0);
}

#[tokio::test]
async fn access_denied_is_reported_at_once_without_retries() {
    let denied = mock!(Client::describe_db_instances)
        .sequence()
        .http_status(
            403,
            Some(rds_error(
                "AccessDenied",
                "User is not authorized to perform: rds:DescribeDBInstances",
            )),
        )
        .repeatedly()
        .build();
    let handler = handler(&[&denied]);

    let err = handler
        .handle(event(), &Invocation::new("r"))
        .await
        .unwrap_err();

    assert_eq!(err.name(), "AccessDenied");
    assert!(err.to_string().contains("rds:DescribeDBInstances"));
    assert_eq!(denied.num_calls(), 1);
}

#[tokio::test]
async fn server_errors_that_outlast_the_retries_are_service_unavailable() {
    let down = mock!(Client::describe_db_instances)
        .sequence()
        .http_status(503, None)
        .repeatedly()
        .build();
    let handler = handler(&[&down]);

    let err = handler
        .handle(event(), &Invocation::new("r"))
        .await
        .unwrap_err();

    assert_eq!(err.name(), "ServiceUnavailable");
    assert!(err.is_retryable());
    assert_eq!(down.num_calls(), 3);
}

#[tokio::test]
async fn an_unexpected_aws_error_keeps_its_code() {
    let restore = mock!(Client::restore_db_instance_from_db_snapshot)
        .sequence()
        .http_status(
            400,
            Some(rds_error(
                "InsufficientDBInstanceCapacity",
                "No capacity in us-east-1a",
            )),
        )
        .build();
    let (target, snap, source) = (target_absent(), snapshot_found(), source_absent());
    let handler = handler(&[&target, &snap, &source, &restore]);

    let err = handler
        .handle(event(), &Invocation::new("r"))
        .await
        .unwrap_err();

    assert_eq!(err.name(), "AwsError");
    assert_eq!(err.aws_code(), Some("InsufficientDBInstanceCapacity"));
    assert!(err.to_string().contains("No capacity in us-east-1a"));
}

#[tokio::test]
async fn a_restore_that_loses_a_race_to_the_same_request_reports_the_winner() {
    let lookups = mock!(Client::describe_db_instances)
        .match_requests(|r| r.db_instance_identifier() == Some(TARGET))
        .sequence()
        .error(|| {
            DescribeDBInstancesError::DbInstanceNotFoundFault(
                DbInstanceNotFoundFault::builder().build(),
            )
        })
        .output(|| {
            DescribeDbInstancesOutput::builder()
                .db_instances(
                    DbInstance::builder()
                        .db_instance_identifier(TARGET)
                        .db_instance_status("creating")
                        .tag_list(
                            Tag::builder()
                                .key("dr-lambdas:restored-from-snapshot")
                                .value(SNAPSHOT)
                                .build(),
                        )
                        .build(),
                )
                .build()
        })
        .build();
    let lost = mock!(Client::restore_db_instance_from_db_snapshot).then_error(|| {
        RestoreDBInstanceFromDBSnapshotError::DbInstanceAlreadyExistsFault(
            DbInstanceAlreadyExistsFault::builder().build(),
        )
    });
    let (snap, source) = (snapshot_found(), source_absent());
    let handler = handler(&[&lookups, &snap, &source, &lost]);

    let result = handler
        .handle(event(), &Invocation::new("r"))
        .await
        .unwrap();

    assert!(result.replayed);
    assert_eq!(result.status, RestoreStatus::Restoring);
    assert_eq!(result.snapshot_id.as_deref(), Some(SNAPSHOT));
}

#[tokio::test]
async fn invalid_input_makes_no_aws_call() {
    let any = mock!(Client::describe_db_instances)
        .sequence()
        .http_status(500, None)
        .repeatedly()
        .build();
    let handler = handler(&[&any]);

    let err = handler
        .handle(
            json!({"db_instance": "orders--dr", "snapshot_id": SNAPSHOT}),
            &Invocation::new("r"),
        )
        .await
        .unwrap_err();

    assert_eq!(err.name(), "InvalidRequest");
    assert_eq!(any.num_calls(), 0);
}

#[tokio::test]
async fn an_unreadable_answer_is_service_unavailable() {
    let garbled = mock!(Client::describe_db_instances)
        .sequence()
        .http_status(200, Some("<html>proxy error</html".to_owned()))
        .repeatedly()
        .build();
    let handler = handler(&[&garbled]);

    let err = handler
        .handle(event(), &Invocation::new("r"))
        .await
        .unwrap_err();

    assert_eq!(err.name(), "ServiceUnavailable");
    assert!(err.is_retryable());
}
