//! Shared set-up of the tests that talk real HTTP to a moto server.
//!
//! `scripts/test` starts moto and sets `MOTO_URL`; it also sets
//! `DR_REQUIRE_MOTO=1`, which turns a missing server into a failure instead
//! of a skip.

#![allow(dead_code)]

pub mod proxy;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU32, Ordering};

use aws_sdk_rds::config::{BehaviorVersion, Credentials, Region};

/// The moto endpoint, or `None` (with a note on stderr) when the test should be skipped.
pub fn moto_url() -> Option<String> {
    match std::env::var("MOTO_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("DR_REQUIRE_MOTO").is_ok() => {
            panic!("DR_REQUIRE_MOTO is set but MOTO_URL is not")
        }
        _ => {
            eprintln!("skipped: MOTO_URL is not set (run scripts/test)");
            None
        }
    }
}

/// Returns the moto URL or ends the test early when there is none.
#[macro_export]
macro_rules! moto_or_skip {
    () => {
        match common::moto_url() {
            Some(url) => url,
            None => return,
        }
    };
}

fn credentials() -> Credentials {
    Credentials::new("testing", "testing", None, None, "moto")
}

/// An RDS client for `region` that talks to moto.
pub fn rds(url: &str, region: &str) -> aws_sdk_rds::Client {
    let config = aws_sdk_rds::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(url)
        .credentials_provider(credentials())
        .http_client(dr_lambdas::aws::http_client())
        .build();
    aws_sdk_rds::Client::from_conf(config)
}

/// A CloudWatch client for `region` that talks to moto.
pub fn cloudwatch(url: &str, region: &str) -> aws_sdk_cloudwatch::Client {
    let config = aws_sdk_cloudwatch::Config::builder()
        .behavior_version(aws_sdk_cloudwatch::config::BehaviorVersion::latest())
        .region(aws_sdk_cloudwatch::config::Region::new(region.to_owned()))
        .endpoint_url(url)
        .credentials_provider(credentials())
        .http_client(dr_lambdas::aws::http_client())
        .build();
    aws_sdk_cloudwatch::Client::from_conf(config)
}

/// A Route 53 client that talks to moto.
pub fn route53(url: &str) -> aws_sdk_route53::Client {
    let config = aws_sdk_route53::Config::builder()
        .behavior_version(aws_sdk_route53::config::BehaviorVersion::latest())
        .region(aws_sdk_route53::config::Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(credentials())
        .http_client(dr_lambdas::aws::http_client())
        .build();
    aws_sdk_route53::Client::from_conf(config)
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A name no other test in this run uses: tests share one moto server.
pub fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{}-{n}", std::process::id())
}

/// A minimal HTTP/1.1 POST over loopback, for the Lambda Runtime API emulator.
/// Returns the status code and the body.
pub fn http_post(url: &str, path: &str, body: &str) -> (u16, String) {
    http("POST", url, path, body)
}

/// A minimal HTTP/1.1 GET over loopback.
pub fn http_get(url: &str, path: &str) -> (u16, String) {
    http("GET", url, path, "")
}

/// A state machine named `name` whose one state waits an hour: an
/// execution of it stays RUNNING for the test (moto's interpreter runs it),
/// as a recovery would. Its ARN.
pub async fn waiting_state_machine(sfn: &aws_sdk_sfn::Client, name: &str) -> String {
    sfn.create_state_machine()
        .name(name)
        .definition(r#"{"StartAt": "Recovering", "States": {"Recovering": {"Type": "Wait", "Seconds": 3600, "End": true}}}"#)
        .role_arn("arn:aws:iam::123456789012:role/recovery")
        .send()
        .await
        .expect("create a state machine")
        .state_machine_arn()
        .to_owned()
}

/// One AWS JSON-protocol call to moto at `url` (`target` is the
/// `X-Amz-Target`, e.g. `AmazonSQS.ReceiveMessage`), for a service we have
/// no SDK crate for, or a call a test makes outside the code under test.
pub fn aws_json(
    url: &str,
    region: &str,
    service: &str,
    target: &str,
    body: &serde_json::Value,
) -> serde_json::Value {
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential=testing/20261122/{region}/{service}/aws4_request, \
         SignedHeaders=host, Signature=0"
    );
    let (status, text) = http_with(
        "POST",
        url,
        "/",
        &[
            ("Content-Type", "application/x-amz-json-1.0"),
            ("X-Amz-Target", target),
            ("Authorization", &authorization),
        ],
        &body.to_string(),
    );
    assert_eq!(status, 200, "{target}: {text}");
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("{target} answered non-JSON: {text}"))
}

fn http(method: &str, url: &str, path: &str, body: &str) -> (u16, String) {
    http_with(
        method,
        url,
        path,
        &[("Content-Type", "application/json")],
        body,
    )
}

/// A minimal HTTP/1.1 request over loopback with the given headers (an AWS
/// JSON-protocol call to moto, for a service we have no SDK crate for).
pub fn http_with(
    method: &str,
    url: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(host).expect("connect to local server");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(600)))
        .expect("set read timeout");
    let headers: String = headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("send request");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("read response");
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    (status, body)
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || tail.len() < n {
            break;
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
    out
}

/// A hosted zone of its own, with weighted A records (us-east-1 100,
/// us-west-2 0) for each of `names` under a unique domain. Returns the zone
/// id and the domain (with its trailing dot).
pub async fn seed_weighted_zone(r53: &aws_sdk_route53::Client, names: &[&str]) -> (String, String) {
    use aws_sdk_route53::types::{
        Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
    };
    let domain = format!("{}.example.com.", unique("zone"));
    let zone = r53
        .create_hosted_zone()
        .name(&domain)
        .caller_reference(unique("ref"))
        .send()
        .await
        .expect("create zone");
    let zone_id = zone
        .hosted_zone()
        .expect("zone")
        .id()
        .trim_start_matches("/hostedzone/")
        .to_owned();
    let mut changes = Vec::new();
    for name in names {
        for (region, weight) in [("us-east-1", 100), ("us-west-2", 0)] {
            let set = ResourceRecordSet::builder()
                .name(format!("{name}.{domain}"))
                .r#type(RrType::A)
                .set_identifier(region)
                .weight(weight)
                .ttl(60)
                .resource_records(
                    ResourceRecord::builder()
                        .value("10.0.0.1")
                        .build()
                        .expect("record"),
                )
                .build()
                .expect("record set");
            changes.push(
                Change::builder()
                    .action(ChangeAction::Create)
                    .resource_record_set(set)
                    .build()
                    .expect("change"),
            );
        }
    }
    r53.change_resource_record_sets()
        .hosted_zone_id(&zone_id)
        .change_batch(
            ChangeBatch::builder()
                .set_changes(Some(changes))
                .build()
                .expect("batch"),
        )
        .send()
        .await
        .expect("seed records");
    (zone_id, domain)
}

/// An HTTPS health check per region (us-east-1, us-west-2), for
/// `REGION_HEALTH_CHECKS`. moto reports every health check healthy.
pub async fn region_health_checks(
    r53: &aws_sdk_route53::Client,
) -> std::collections::BTreeMap<String, String> {
    use aws_sdk_route53::types::{HealthCheckConfig, HealthCheckType};
    let mut checks = std::collections::BTreeMap::new();
    for region in ["us-east-1", "us-west-2"] {
        let created = r53
            .create_health_check()
            .caller_reference(unique("hc"))
            .health_check_config(
                HealthCheckConfig::builder()
                    .r#type(HealthCheckType::Https)
                    .fully_qualified_domain_name(format!("shop-{region}.example.com"))
                    .resource_path("/health")
                    .build()
                    .expect("health check config"),
            )
            .send()
            .await
            .expect("create health check");
        let id = created.health_check().expect("health check").id();
        checks.insert(region.to_owned(), id.to_owned());
    }
    checks
}

/// Every record set of the zone, as Route 53 lists them.
pub async fn record_sets(
    r53: &aws_sdk_route53::Client,
    zone_id: &str,
) -> Vec<aws_sdk_route53::types::ResourceRecordSet> {
    r53.list_resource_record_sets()
        .hosted_zone_id(zone_id)
        .send()
        .await
        .expect("list record sets")
        .resource_record_sets()
        .to_vec()
}

/// The failover configuration of the tests: us-east-1 → us-west-2, health
/// checks required, any alarm; an alarm moves traffic (`AlarmAction=traffic`,
/// with no plan deployed), which is what these tests exercise. The other
/// actions are tests/alarm_action.rs's.
pub fn failover_config() -> dr_lambdas::failover::config::FailoverConfig {
    dr_lambdas::failover::config::FailoverConfig {
        primary_region: "us-east-1".into(),
        secondary_region: "us-west-2".into(),
        require_healthy_target: true,
        allowed_alarms: None,
        alarm_action: Ok(dr_lambdas::plan::alarm::AlarmAction::Traffic),
        alarm_may_move_traffic_alone: false,
        oncall_topic: None,
        recovery_state_machine: None,
    }
}

/// A DNS-mode configuration for the given zone and names, with no endpoints.
pub fn dns_config(
    zone_id: &str,
    record_names: Vec<String>,
) -> dr_lambdas::failover::dns::config::DnsConfig {
    dr_lambdas::failover::dns::config::DnsConfig {
        hosted_zone_id: zone_id.to_owned(),
        record_names,
        region_endpoints: Default::default(),
        region_health_checks: Default::default(),
        active_weight: 100,
    }
}

/// A DNS-mode failover handler with [`failover_config`].
pub fn dns_handler(
    client: aws_sdk_route53::Client,
    dns: dr_lambdas::failover::dns::config::DnsConfig,
) -> dr_lambdas::failover::FailoverHandler {
    use dr_lambdas::failover::{FailoverHandler, Mode, dns::DnsMode};
    FailoverHandler::new(failover_config(), Mode::Dns(DnsMode::new(client, dns)))
}

/// The scope of the tests' restore function: us-east-1, moto's account, any name.
pub fn restore_scope() -> dr_lambdas::restore::request::Scope<'static> {
    dr_lambdas::restore::request::Scope {
        allowlist: None,
        standbys: None,
        regions: None,
        home_region: "us-east-1",
        account_id: Some("123456789012"),
        now: std::time::SystemTime::now().into(),
        region_switch_restore: None,
        source_region: None,
    }
}

/// A primary instance (backups kept 9 days) and its read replica, in
/// `rds`'s region: a warm standby for the standby and drill tests.
pub async fn seed_replica(rds: &aws_sdk_rds::Client, primary: &str, replica: &str) {
    rds.create_db_instance()
        .db_instance_identifier(primary)
        .engine("postgres")
        .db_instance_class("db.t4g.micro")
        .allocated_storage(20)
        .master_username("orders")
        .master_user_password("not-a-secret-1")
        .backup_retention_period(9)
        .send()
        .await
        .expect("create the primary");
    rds.create_db_instance_read_replica()
        .db_instance_identifier(replica)
        .source_db_instance_identifier(primary)
        .send()
        .await
        .expect("create the read replica");
}
