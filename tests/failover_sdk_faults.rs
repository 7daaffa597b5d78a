//! The failover handler at the SDK boundary, with aws-smithy-mocks: what moto
//! cannot show (PENDING, unhealthy targets, PriorRequestNotComplete, AccessDenied).

mod common;

use std::time::Duration;

use aws_sdk_route53::Client;
use aws_sdk_route53::operation::change_resource_record_sets::ChangeResourceRecordSetsOutput;
use aws_sdk_route53::operation::get_health_check::GetHealthCheckOutput;
use aws_sdk_route53::operation::get_health_check_status::GetHealthCheckStatusOutput;
use aws_sdk_route53::operation::list_resource_record_sets::ListResourceRecordSetsOutput;
use aws_sdk_route53::primitives::DateTime;
use aws_sdk_route53::types::builders::HealthCheckConfigBuilder;
use aws_sdk_route53::types::{
    AliasTarget, ChangeInfo, ChangeStatus, HealthCheck, HealthCheckConfig, HealthCheckObservation,
    HealthCheckType, ResourceRecord, ResourceRecordSet, RrType, StatusReport,
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

/// `GetHealthCheck` of an enabled HTTPS health check, as most are.
fn endpoint_check() -> Rule {
    check_config(|c| c)
}

fn check_config(
    shape: impl Fn(HealthCheckConfigBuilder) -> HealthCheckConfigBuilder + Send + Sync + 'static,
) -> Rule {
    mock!(Client::get_health_check).then_compute_output(move |input| {
        let config = shape(
            HealthCheckConfig::builder()
                .r#type(HealthCheckType::Https)
                .fully_qualified_domain_name("shop-usw2.example.com"),
        );
        GetHealthCheckOutput::builder()
            .health_check(
                HealthCheck::builder()
                    .id(input.health_check_id().unwrap_or_default())
                    .caller_reference("ref")
                    .health_check_config(config.build().unwrap())
                    .health_check_version(1)
                    .build()
                    .unwrap(),
            )
            .build()
    })
}

fn client(rules: &[&Rule]) -> Client {
    let retry = SdkSettings::default()
        .retry_config()
        .with_initial_backoff(Duration::from_millis(1));
    mock_client!(
        aws_sdk_route53,
        RuleMode::MatchAny,
        rules,
        |c: aws_sdk_route53::config::Builder| c.retry_config(retry.clone())
    )
}

/// A handler whose health checks are enabled HTTPS checks, with `rules` for the rest.
fn handler(rules: &[&Rule]) -> FailoverHandler {
    let check = endpoint_check();
    let mut all = rules.to_vec();
    all.push(&check);
    common::dns_handler(client(&all), common::dns_config("Z1", vec![NAME.into()]))
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
        err.to_string().starts_with(
            "traffic was not moved to us-west-2: its health check hc-west is not healthy (0 of 3"
        ),
        "{err}"
    );
    assert_eq!(change.num_calls(), 0);
}

fn weighted_alias(region: &str, weight: i64) -> ResourceRecordSet {
    ResourceRecordSet::builder()
        .name(NAME)
        .r#type(RrType::A)
        .set_identifier(region)
        .weight(weight)
        .alias_target(
            AliasTarget::builder()
                .hosted_zone_id("Z35SXDOTRQ7X7K")
                .dns_name(format!("shop-{region}.elb.amazonaws.com."))
                .evaluate_target_health(true)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}

fn alias_records() -> Rule {
    mock!(Client::list_resource_record_sets).then_output(|| {
        ListResourceRecordSetsOutput::builder()
            .resource_record_sets(weighted_alias("us-east-1", 100))
            .resource_record_sets(weighted_alias("us-west-2", 0))
            .is_truncated(false)
            .max_items(100)
            .build()
            .unwrap()
    })
}

#[tokio::test]
async fn a_target_with_no_health_check_to_verify_is_refused_saying_how_to_add_one() {
    let list = alias_records();
    let change = mock!(Client::change_resource_record_sets).then_output(pending);
    let handler = handler(&[&list, &change]);

    let err = handler
        .handle(direct(), &Invocation::new("r"))
        .await
        .unwrap_err();

    assert_eq!(err.name(), "TargetUnhealthy");
    assert!(
        err.to_string()
            .contains("no health check of it could be verified"),
        "{err}"
    );
    assert!(err.to_string().contains("REGION_HEALTH_CHECKS"), "{err}");
    assert_eq!(change.num_calls(), 0);
}

#[tokio::test]
async fn a_region_health_check_of_the_configuration_verifies_an_alias_target() {
    let (list, healthy) = (alias_records(), health("Success: HTTP Status Code 200, OK"));
    let change = mock!(Client::change_resource_record_sets).then_output(pending);
    let check = endpoint_check();
    let mut dns = common::dns_config("Z1", vec![NAME.into()]);
    dns.region_health_checks.insert(
        "us-west-2".into(),
        "abcdef01-2345-6789-abcd-ef0123456789".into(),
    );
    let handler = common::dns_handler(client(&[&list, &healthy, &change, &check]), dns);

    let result = handler
        .handle(direct(), &Invocation::new("r"))
        .await
        .unwrap();

    assert_eq!(
        result.health_checks_passed,
        ["abcdef01-2345-6789-abcd-ef0123456789"]
    );
    assert_eq!(healthy.num_calls(), 1);
    assert_eq!(change.num_calls(), 1);
}

#[tokio::test]
async fn a_disabled_health_check_is_refused_as_disabled_without_reading_its_status() {
    let (list, healthy) = (records(), health("Success: HTTP Status Code 200, OK"));
    let change = mock!(Client::change_resource_record_sets).then_output(pending);
    let disabled = check_config(|c| c.disabled(true));
    let handler = common::dns_handler(
        client(&[&list, &healthy, &change, &disabled]),
        common::dns_config("Z1", vec![NAME.into()]),
    );

    let err = handler
        .handle(direct(), &Invocation::new("r"))
        .await
        .unwrap_err();

    assert_eq!(err.name(), "TargetUnhealthy");
    assert!(
        err.to_string().contains(
            "its health check hc-west is disabled: Route 53 treats a disabled check as healthy"
        ),
        "{err}"
    );
    assert_eq!(healthy.num_calls(), 0);
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
