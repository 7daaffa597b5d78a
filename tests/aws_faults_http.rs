//! AWS faults over real HTTP, through the production SDK set-up
//! (`settings::sdk_config_loader`): refused connections, answers slower than
//! the time-outs, and a fault-injecting proxy in front of moto.

mod common;

use std::time::{Duration, Instant};

use aws_sdk_rds::config::{Credentials, Region};
use dr_lambdas::aws::{SdkSettings, sdk_config_loader};
use dr_lambdas::failover::dns::DnsMode;
use dr_lambdas::failover::{FailoverHandler, Mode};
use dr_lambdas::restore::RestoreHandler;
use dr_lambdas::runtime::{Handler, Invocation};
use serde_json::json;
use tokio::net::TcpListener;

/// Tight budgets, so that the tests are quick: 1.5 s per operation.
fn settings() -> SdkSettings {
    SdkSettings {
        operation_timeout: Duration::from_millis(1500),
        attempt_timeout: Duration::from_millis(500),
        connect_timeout: Duration::from_millis(300),
        max_attempts: 3,
        ..SdkSettings::default()
    }
}

async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    sdk_config_with(endpoint, settings()).await
}

async fn sdk_config_with(endpoint: &str, settings: SdkSettings) -> aws_config::SdkConfig {
    sdk_config_loader(&settings)
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .load()
        .await
}

fn restore_event() -> serde_json::Value {
    json!({"db_instance": "orders-dr", "snapshot_id": "snapshot-2025-05-12"})
}

#[tokio::test]
async fn a_refused_connection_is_service_unavailable_within_the_budget() {
    // Bind, learn the port, close: nothing listens there any more.
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = sdk_config(&format!("http://127.0.0.1:{port}")).await;
    let handler = RestoreHandler::new(aws_sdk_rds::Client::new(&config), "us-east-1", None);

    let started = Instant::now();
    let err = handler
        .handle(restore_event(), &Invocation::new("r"))
        .await
        .unwrap_err();

    assert_eq!(err.name(), "ServiceUnavailable");
    assert!(
        started.elapsed() < Duration::from_millis(3000),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_answer_slower_than_the_time_outs_is_service_unavailable_within_the_budget() {
    // Accepts connections and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let config = sdk_config(&url).await;
    let handler = RestoreHandler::new(aws_sdk_rds::Client::new(&config), "us-east-1", None);

    let started = Instant::now();
    let err = handler
        .handle(restore_event(), &Invocation::new("r"))
        .await
        .unwrap_err();

    assert_eq!(err.name(), "ServiceUnavailable");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(400),
        "gave up too early: {took:?}"
    );
    assert!(
        took < Duration::from_millis(3000),
        "took {took:?}, over the 1.5 s operation budget"
    );
}

async fn failover_through_proxy(fault_on: &'static str, drop: bool) -> (String, usize, bool) {
    let url = common::moto_url().expect("checked by the caller");
    let direct = common::route53(&url);
    let (zone_id, domain) = common::seed_weighted_zone(&direct, &["shop"]).await;
    let before = common::record_sets(&direct, &zone_id).await;
    let proxy = common::proxy::start(&url, fault_on, drop).await;
    // Room for all three attempts and their back-offs: these tests count attempts.
    let roomy = SdkSettings {
        operation_timeout: Duration::from_secs(20),
        ..SdkSettings::default()
    };
    let config = sdk_config_with(&proxy.url, roomy).await;
    let mut failover = common::failover_config();
    failover.require_healthy_target = false;
    let dns = common::dns_config(&zone_id, vec![format!("shop.{domain}")]);
    let client = aws_sdk_route53::Client::new(&config);
    let handler = FailoverHandler::new(failover, Mode::Dns(DnsMode::new(client, dns)));

    let err = handler
        .handle(
            json!({"primary_region": "us-east-1", "secondary_region": "us-west-2"}),
            &Invocation::new("r"),
        )
        .await
        .unwrap_err();

    let unchanged = common::record_sets(&direct, &zone_id).await == before;
    (
        err.name().to_owned(),
        proxy.faults.load(std::sync::atomic::Ordering::SeqCst),
        unchanged,
    )
}

#[tokio::test]
async fn a_failover_whose_change_gets_503s_leaves_dns_exactly_as_it_was() {
    let _ = moto_or_skip!();

    let (error, faults, unchanged) =
        failover_through_proxy("POST /2013-04-01/hostedzone/", false).await;

    assert_eq!(error, "ServiceUnavailable");
    assert_eq!(faults, 3, "the change is attempted three times");
    assert!(unchanged);
}

#[tokio::test]
async fn a_failover_whose_change_loses_its_connection_leaves_dns_exactly_as_it_was() {
    let _ = moto_or_skip!();

    let (error, faults, unchanged) =
        failover_through_proxy("POST /2013-04-01/hostedzone/", true).await;

    assert_eq!(error, "ServiceUnavailable");
    assert!(faults >= 1);
    assert!(unchanged);
}

#[tokio::test]
async fn a_failover_whose_reads_fail_leaves_dns_exactly_as_it_was() {
    let _ = moto_or_skip!();

    let (error, faults, unchanged) =
        failover_through_proxy("GET /2013-04-01/hostedzone/", false).await;

    assert_eq!(error, "ServiceUnavailable");
    assert_eq!(faults, 3);
    assert!(unchanged);
}
