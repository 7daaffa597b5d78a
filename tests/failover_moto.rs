//! The failover handler against moto's Route 53, over real HTTP.

mod common;

use std::collections::BTreeMap;

use aws_sdk_route53::Client;
use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, HealthCheckConfig, HealthCheckType,
    ResourceRecord, ResourceRecordSet, RrType,
};
use dr_lambdas::failover::FailoverStatus;
use dr_lambdas::failover::dns::config::DnsConfig;
use dr_lambdas::runtime::{Handler, Invocation};
use serde_json::json;

/// A zone of its own per test, with weighted A records (values), weighted
/// alias records and a simple CNAME. Returns the zone id and the domain.
async fn seed_zone(r53: &Client) -> (String, String) {
    let domain = format!("{}.example.com.", common::unique("shop"));
    let zone = r53
        .create_hosted_zone()
        .name(&domain)
        .caller_reference(common::unique("ref"))
        .send()
        .await
        .expect("create zone");
    let zone_id = zone
        .hosted_zone()
        .unwrap()
        .id()
        .trim_start_matches("/hostedzone/")
        .to_owned();
    let health = r53
        .create_health_check()
        .caller_reference(common::unique("hc"))
        .health_check_config(
            HealthCheckConfig::builder()
                .r#type(HealthCheckType::Https)
                .fully_qualified_domain_name("shop-usw2.example.com")
                .resource_path("/health")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("create health check");
    let health_id = health.health_check().unwrap().id().to_owned();

    let weighted = |name: &str, region: &str, weight: i64, ip: &str| {
        ResourceRecordSet::builder()
            .name(format!("{name}.{domain}"))
            .r#type(RrType::A)
            .set_identifier(region)
            .weight(weight)
            .ttl(60)
            .resource_records(ResourceRecord::builder().value(ip).build().unwrap())
            .build()
            .unwrap()
    };
    let alias = |region: &str, weight: i64| {
        ResourceRecordSet::builder()
            .name(format!("api.{domain}"))
            .r#type(RrType::A)
            .set_identifier(region)
            .weight(weight)
            .alias_target(
                AliasTarget::builder()
                    .hosted_zone_id("Z35SXDOTRQ7X7K")
                    .dns_name(format!("api-{region}.elb.amazonaws.com."))
                    .evaluate_target_health(true)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    };
    let mut west = weighted("shop", "us-west-2", 0, "10.2.0.10");
    west.health_check_id = Some(health_id);
    let cname = ResourceRecordSet::builder()
        .name(format!("www.{domain}"))
        .r#type(RrType::Cname)
        .ttl(30)
        .resource_records(
            ResourceRecord::builder()
                .value("shop-use1.example.com")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let sets = [
        weighted("shop", "us-east-1", 100, "10.1.0.10"),
        west,
        weighted("shop", "eu-west-1", 0, "10.3.0.10"),
        alias("us-east-1", 100),
        alias("us-west-2", 0),
        cname,
        weighted("cart", "us-east-1", 100, "10.1.0.20"),
    ];
    let changes = sets
        .into_iter()
        .map(|s| {
            Change::builder()
                .action(ChangeAction::Create)
                .resource_record_set(s)
                .build()
                .unwrap()
        })
        .collect();
    r53.change_resource_record_sets()
        .hosted_zone_id(&zone_id)
        .change_batch(
            ChangeBatch::builder()
                .set_changes(Some(changes))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("seed records");
    (zone_id, domain)
}

fn config(zone_id: &str, domain: &str, names: &[&str]) -> DnsConfig {
    let mut config = common::dns_config(
        zone_id,
        names.iter().map(|n| format!("{n}.{domain}")).collect(),
    );
    config.region_endpoints = BTreeMap::from([
        ("us-east-1".into(), "shop-use1.example.com".into()),
        ("us-west-2".into(), "shop-usw2.example.com".into()),
    ]);
    config
}

async fn all_sets(r53: &Client, zone_id: &str) -> Vec<ResourceRecordSet> {
    common::record_sets(r53, zone_id).await
}

fn weight(sets: &[ResourceRecordSet], name: &str, region: &str) -> Option<i64> {
    sets.iter()
        .find(|s| s.name.starts_with(name) && s.set_identifier.as_deref() == Some(region))
        .and_then(|s| s.weight)
}

fn cname(sets: &[ResourceRecordSet]) -> String {
    sets.iter()
        .find(|s| s.r#type == RrType::Cname)
        .map(|s| s.resource_records()[0].value().to_owned())
        .unwrap_or_default()
}

const DIRECT: &str = r#"{"primary_region": "us-east-1", "secondary_region": "us-west-2"}"#;
const BACK: &str = r#"{"primary_region": "us-west-2", "secondary_region": "us-east-1"}"#;

fn event(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap()
}

#[tokio::test]
async fn a_failover_moves_every_record_in_one_change() {
    let url = moto_or_skip!();
    let r53 = common::route53(&url);
    let (zone, domain) = seed_zone(&r53).await;
    let handler = common::dns_handler(r53.clone(), config(&zone, &domain, &["shop", "api", "www"]));

    let result = handler
        .handle(event(DIRECT), &Invocation::new("req-1"))
        .await
        .unwrap();

    // moto answers every change with this id, already INSYNC; real Route 53 says PENDING.
    assert_eq!(result.change_id.as_deref(), Some("C2682N5HXP0BZ4"));
    assert_eq!(result.status, FailoverStatus::Insync);
    assert_eq!(result.new_region.as_deref(), Some("us-west-2"));
    assert_eq!(result.previous_region.as_deref(), Some("us-east-1"));
    assert_eq!(result.records.len(), 5);
    assert_eq!(result.health_checks_passed.len(), 1);
    let sets = all_sets(&r53, &zone).await;
    assert_eq!(weight(&sets, "shop.", "us-east-1"), Some(0));
    assert_eq!(weight(&sets, "shop.", "us-west-2"), Some(100));
    assert_eq!(
        weight(&sets, "shop.", "eu-west-1"),
        Some(0),
        "a third region is untouched"
    );
    assert_eq!(weight(&sets, "api.", "us-east-1"), Some(0));
    assert_eq!(weight(&sets, "api.", "us-west-2"), Some(100));
    assert_eq!(cname(&sets), "shop-usw2.example.com");
}

#[tokio::test]
async fn a_weighted_alias_keeps_its_target_through_the_failover() {
    let url = moto_or_skip!();
    let r53 = common::route53(&url);
    let (zone, domain) = seed_zone(&r53).await;
    // Aliases carry no health check of their own: the region's verifies them.
    let mut config = config(&zone, &domain, &["api"]);
    config.region_health_checks = common::region_health_checks(&r53).await;
    let handler = common::dns_handler(r53.clone(), config);

    handler
        .handle(event(DIRECT), &Invocation::new("r"))
        .await
        .unwrap();

    let sets = all_sets(&r53, &zone).await;
    let west = sets
        .iter()
        .find(|s| s.name.starts_with("api.") && s.set_identifier.as_deref() == Some("us-west-2"))
        .unwrap();
    assert_eq!(
        west.alias_target().unwrap().dns_name(),
        "api-us-west-2.elb.amazonaws.com."
    );
    assert_eq!(west.weight, Some(100));
}

#[tokio::test]
async fn a_failback_restores_the_original_records() {
    let url = moto_or_skip!();
    let r53 = common::route53(&url);
    let (zone, domain) = seed_zone(&r53).await;
    // Failing back verifies the primary: us-east-1's record sets have no health check.
    let mut config = config(&zone, &domain, &["shop", "api", "www"]);
    config.region_health_checks = common::region_health_checks(&r53).await;
    let handler = common::dns_handler(r53.clone(), config);
    let before = all_sets(&r53, &zone).await;
    handler
        .handle(event(DIRECT), &Invocation::new("over"))
        .await
        .unwrap();

    let back = handler
        .handle(event(BACK), &Invocation::new("back"))
        .await
        .unwrap();

    assert_eq!(back.new_region.as_deref(), Some("us-east-1"));
    assert_eq!(all_sets(&r53, &zone).await, before);
}

#[tokio::test]
async fn a_second_identical_failover_is_already_active_and_submits_nothing() {
    let url = moto_or_skip!();
    let r53 = common::route53(&url);
    let (zone, domain) = seed_zone(&r53).await;
    let handler = common::dns_handler(r53.clone(), config(&zone, &domain, &["shop", "api", "www"]));
    handler
        .handle(event(DIRECT), &Invocation::new("first"))
        .await
        .unwrap();
    let after_first = all_sets(&r53, &zone).await;

    let again = handler
        .handle(event(DIRECT), &Invocation::new("retry"))
        .await
        .unwrap();

    assert_eq!(again.status, FailoverStatus::AlreadyActive);
    assert_eq!(again.change_id, None);
    assert!(again.records.is_empty());
    assert_eq!(all_sets(&r53, &zone).await, after_first);
}

#[tokio::test]
async fn a_dry_run_plans_every_change_and_changes_nothing() {
    let url = moto_or_skip!();
    let r53 = common::route53(&url);
    let (zone, domain) = seed_zone(&r53).await;
    let handler = common::dns_handler(r53.clone(), config(&zone, &domain, &["shop", "api", "www"]));
    let before = all_sets(&r53, &zone).await;

    let result = handler
        .handle(json!({"primary_region": "us-east-1", "secondary_region": "us-west-2", "dry_run": true}), &Invocation::new("r"))
        .await
        .unwrap();

    assert_eq!(result.status, FailoverStatus::DryRun);
    assert_eq!(result.change_id, None);
    assert_eq!(result.records.len(), 5);
    assert_eq!(all_sets(&r53, &zone).await, before);
}

#[tokio::test]
async fn a_failed_preflight_changes_nothing() {
    let url = moto_or_skip!();
    let r53 = common::route53(&url);
    let (zone, domain) = seed_zone(&r53).await;
    // cart has no us-west-2 record set: the whole failover must be refused.
    let handler = common::dns_handler(
        r53.clone(),
        config(&zone, &domain, &["shop", "api", "cart"]),
    );
    let before = all_sets(&r53, &zone).await;

    let err = handler
        .handle(event(DIRECT), &Invocation::new("r"))
        .await
        .unwrap_err();

    assert_eq!(err.name(), "RecordNotFound");
    assert!(err.to_string().starts_with(&format!(
        "record 'cart.{domain}' cannot be moved: it has no weighted record set for region us-west-2"
    )));
    assert_eq!(all_sets(&r53, &zone).await, before);
}

#[tokio::test]
async fn an_alarm_back_to_ok_is_skipped_and_changes_nothing() {
    let url = moto_or_skip!();
    let r53 = common::route53(&url);
    let (zone, domain) = seed_zone(&r53).await;
    let handler = common::dns_handler(r53.clone(), config(&zone, &domain, &["shop"]));
    let before = all_sets(&r53, &zone).await;
    let ok_alarm = event(&std::fs::read_to_string("events/failover-region-alarm-ok.json").unwrap());

    let result = handler
        .handle(ok_alarm, &Invocation::new("r"))
        .await
        .unwrap();

    assert_eq!(result.status, FailoverStatus::Skipped);
    assert_eq!(result.new_region, None);
    assert!(
        result
            .reason
            .unwrap()
            .contains("never fails back by itself")
    );
    assert_eq!(all_sets(&r53, &zone).await, before);
}

#[tokio::test]
async fn a_missing_hosted_zone_is_hosted_zone_not_found() {
    let url = moto_or_skip!();
    let r53 = common::route53(&url);
    let handler = common::dns_handler(
        r53,
        config("Z0000000000NOSUCHZONE", "example.com.", &["shop"]),
    );

    let err = handler
        .handle(event(DIRECT), &Invocation::new("r"))
        .await
        .unwrap_err();

    assert_eq!(err.name(), "HostedZoneNotFound");
}
