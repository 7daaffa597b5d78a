//! The failover handler at the SDK boundary, with aws-smithy-mocks: what moto
//! cannot show (PENDING, unhealthy targets, PriorRequestNotComplete, AccessDenied).

mod common;

use std::time::Duration;

use aws_sdk_route53::Client;
use aws_sdk_route53::operation::change_resource_record_sets::ChangeResourceRecordSetsOutput;
use aws_sdk_route53::operation::get_health_check_status::GetHealthCheckStatusOutput;
use aws_sdk_route53::operation::list_resource_record_sets::ListResourceRecordSetsOutput;
use aws_sdk_route53::primitives::DateTime;
use aws_sdk_route53::types::{
    ChangeInfo, ChangeStatus, HealthCheckObservation, ResourceRecord, ResourceRecordSet, RrType,
    StatusReport,
};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use dr_lambdas::aws::SdkSettings;
use dr_lambdas::failover::FailoverHandler;
use dr_lambdas::failover::FailoverStatus;
use dr_lambdas::runtime::{Handler, Invocation};
use serde_json::json;

const NAME: &str = "shop.example.com.";

fn r53_error(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><Error><Type>Sender</Type>\
         <Code>{code}</Code><Message>{message}</Message></Error><RequestId>r</RequestId></ErrorResponse>"
    )
}

fn handler(rules: &[&Rule]) -> FailoverHandler {
    let retry = SdkSettings::default()
        .retry_config()
        .with_initial_backoff(Duration::from_millis(1));
    let client = mock_client!(
        aws_sdk_route53,
        RuleMode::MatchAny,
        rules,
        |c: aws_sdk_route53::config::Builder| c.retry_config(retry.clone())
    );
    common::dns_handler(client, common::dns_config("Z1", vec![NAME.into()]))
}

fn weighted(region: &str, weight: i64, health: Option<&str>) -> ResourceRecordSet {
    ResourceRecordSet::builder()
        .name(NAME)
        .r#type(RrType::A)
        .set_identifier(region)
        .weight(weight)
        .ttl(60)
        .set_health_check_id(health.map(str::to_owned))
        .resource_records(ResourceRecord::builder().value("10.0.0.1").build().unwrap())
        .build()
        .unwrap()
}

fn records() -> Rule {
    mock!(Client::list_resource_record_sets).then_output(|| {
        ListResourceRecordSetsOutput::builder()
            .resource_record_sets(weighted("us-east-1", 100, None))
            .resource_record_sets(weighted("us-west-2", 0, Some("hc-west")))
            .is_truncated(false)
            .max_items(100)
            .build()
            .unwrap()
    })
}

fn health(status: &'static str) -> Rule {
    mock!(Client::get_health_check_status).then_output(move || {
        let observation = |s: &str| {
            HealthCheckObservation::builder()
                .status_report(StatusReport::builder().status(s).build())
                .build()
        };
        GetHealthCheckStatusOutput::builder()
            .health_check_observations(observation(status))
            .health_check_observations(observation(status))
            .health_check_observations(observation(status))
            .build()
            .unwrap()
    })
}

fn pending() -> ChangeResourceRecordSetsOutput {
    ChangeResourceRecordSetsOutput::builder()
        .change_info(
            ChangeInfo::builder()
                .id("/change/C0PENDING123")
                .status(ChangeStatus::Pending)
                .submitted_at(DateTime::from_secs(1_747_172_880))
                .build()
                .unwrap(),
        )
        .build()
}

fn direct() -> serde_json::Value {
    json!({"primary_region": "us-east-1", "secondary_region": "us-west-2"})
}

#[tokio::test]
async fn a_pending_change_is_passed_through_with_its_bare_id() {
    let (list, healthy) = (records(), health("Success: HTTP Status Code 200, OK"));
    let change = mock!(Client::change_resource_record_sets).then_output(pending);
    let handler = handler(&[&list, &healthy, &change]);

    let result = handler
        .handle(direct(), &Invocation::new("r"))
        .await
        .unwrap();

    assert_eq!(result.status, FailoverStatus::Pending);
    assert_eq!(result.change_id.as_deref(), Some("C0PENDING123"));
    assert_eq!(result.health_checks_passed, ["hc-west"]);
    assert_eq!(change.num_calls(), 1);
}

#[tokio::test]
async fn an_unhealthy_target_is_refused_before_any_change() {
    let (list, unhealthy) = (records(), health("Failure: Connection timed out"));
    let change = mock!(Client::change_resource_record_sets).then_output(pending);
    let handler = handler(&[&list, &unhealthy, &change]);

    let err = handler
        .handle(direct(), &Invocation::new("r"))
        .await
        .unwrap_err();

    assert_eq!(err.name(), "TargetUnhealthy");
    assert!(
        err.to_string()
            .contains("health check hc-west of us-west-2 is not healthy (0 of 3")
    );
    assert_eq!(change.num_calls(), 0);
}

#[tokio::test]
async fn force_skips_the_health_preflight_and_says_so() {
    let (list, unhealthy) = (records(), health("Failure: Connection timed out"));
    let change = mock!(Client::change_resource_record_sets).then_output(pending);
    let handler = handler(&[&list, &unhealthy, &change]);

    let result = handler
        .handle(
            json!({"primary_region": "us-east-1", "secondary_region": "us-west-2", "force": true}),
            &Invocation::new("r"),
        )
        .await
        .unwrap();

    assert!(result.forced);
    assert_eq!(result.status, FailoverStatus::Pending);
    assert_eq!(unhealthy.num_calls(), 0);
    assert_eq!(change.num_calls(), 1);
}

#[tokio::test]
async fn prior_request_not_complete_is_retried_then_the_change_goes_through() {
    let (list, healthy) = (records(), health("Success: HTTP Status Code 200, OK"));
    let change = mock!(Client::change_resource_record_sets)
        .sequence()
        .http_status(
            400,
            Some(r53_error(
                "PriorRequestNotComplete",
                "The request was rejected",
            )),
        )
        .output(pending)
        .build();
    let handler = handler(&[&list, &healthy, &change]);

    let result = handler
        .handle(direct(), &Invocation::new("r"))
        .await
        .unwrap();

    assert_eq!(result.status, FailoverStatus::Pending);
    assert_eq!(change.num_calls(), 2);
}

#[tokio::test]
async fn prior_request_not_complete_that_outlasts_the_retries_is_throttled() {
    let (list, healthy) = (records(), health("Success: HTTP Status Code 200, OK"));
    let change = mock!(Client::change_resource_record_sets)
        .sequence()
        .http_status(
            400,
            Some(r53_error(
                "PriorRequestNotComplete",
                "The request was rejected",
            )),
        )
        .repeatedly()
        .build();
    let handler = handler(&[&list, &healthy, &change]);

    let err = handler
        .handle(direct(), &Invocation::new("r"))
        .await
        .unwrap_err();

    assert_eq!(err.name(), "Throttled");
    assert_eq!(err.aws_code(), Some("PriorRequestNotComplete"));
    assert_eq!(change.num_calls(), 3);
}

#[tokio::test]
async fn throttled_reads_are_throttled_and_nothing_is_submitted() {
    let list = mock!(Client::list_resource_record_sets)
        .sequence()
        .http_status(400, Some(r53_error("Throttling", "Rate exceeded")))
        .repeatedly()
        .build();
    let change = mock!(Client::change_resource_record_sets).then_output(pending);
    let handler = handler(&[&list, &change]);

    let err = handler
        .handle(direct(), &Invocation::new("r"))
        .await
        .unwrap_err();

    assert_eq!(err.name(), "Throttled");
    assert_eq!(change.num_calls(), 0);
}

#[tokio::test]
async fn access_denied_on_the_change_is_access_denied() {
    let (list, healthy) = (records(), health("Success: HTTP Status Code 200, OK"));
    let change = mock!(Client::change_resource_record_sets)
        .sequence()
        .http_status(
            403,
            Some(r53_error(
                "AccessDenied",
                "not authorized to perform: route53:ChangeResourceRecordSets",
            )),
        )
        .repeatedly()
        .build();
    let handler = handler(&[&list, &healthy, &change]);

    let err = handler
        .handle(direct(), &Invocation::new("r"))
        .await
        .unwrap_err();

    assert_eq!(err.name(), "AccessDenied");
    assert_eq!(change.num_calls(), 1);
}

#[tokio::test]
async fn an_invalid_event_makes_no_aws_call() {
    let list = records();
    let handler = handler(&[&list]);

    let err = handler
        .handle(
            json!({"primary_region": "us-east-1", "secondary_region": "us-east-1"}),
            &Invocation::new("r"),
        )
        .await
        .unwrap_err();

    assert_eq!(err.name(), "InvalidRequest");
    assert_eq!(list.num_calls(), 0);
}
