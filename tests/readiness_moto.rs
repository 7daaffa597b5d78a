//! check-readiness against moto, over real HTTP: each check failing on its
//! own, a healthy world, and proof that it only reads.
//!
//! moto is lenient where it matters little here: every health check is
//! healthy and every restore available at once. What the checks read
//! (subnet groups, security groups, parameter groups, snapshots, KMS keys,
//! record sets) moto keeps as AWS does.

mod common;

use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_rds::config::{Credentials, Region};
use dr_lambdas::aws::{SdkSettings, sdk_config_loader};
use dr_lambdas::failover::FailoverHandler;
use dr_lambdas::readiness::{Answer, Clients, Readiness, ReadinessHandler, ReadinessSettings};
use dr_lambdas::restore::RestoreHandler;
use dr_lambdas::runtime::{Handler, Invocation};
use serde_json::{Value, json};

const WEST: &str = "us-west-2";

async fn sdk(url: &str) -> SdkConfig {
    sdk_config_loader(&SdkSettings::default())
        .endpoint_url(url)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
        .load()
        .await
}

/// A recovery region of its own: a VPC with a DB subnet group and a
/// security group, and a source instance there with one snapshot.
struct World {
    source: String,
    target: String,
    subnet_group: String,
    security_group: String,
}

async fn world(sdk: &SdkConfig, encrypted_with: Option<&str>) -> World {
    let rds = aws_sdk_rds::Client::from_conf(
        aws_sdk_rds::config::Builder::from(sdk)
            .region(Region::new(WEST))
            .build(),
    );
    let ec2 = aws_sdk_ec2::Client::from_conf(
        aws_sdk_ec2::config::Builder::from(sdk)
            .region(Region::new(WEST))
            .build(),
    );
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.30.0.0/16")
        .send()
        .await
        .expect("create a VPC")
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("a VPC id")
        .to_owned();
    let mut subnets = Vec::new();
    for (i, az) in ["a", "b"].iter().enumerate() {
        let subnet = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(format!("10.30.{i}.0/24"))
            .availability_zone(format!("{WEST}{az}"))
            .send()
            .await
            .expect("create a subnet");
        subnets.push(
            subnet
                .subnet()
                .and_then(|s| s.subnet_id())
                .expect("a subnet id")
                .to_owned(),
        );
    }
    let subnet_group = common::unique("dr-subnets");
    rds.create_db_subnet_group()
        .db_subnet_group_name(&subnet_group)
        .db_subnet_group_description("recovery VPC")
        .set_subnet_ids(Some(subnets))
        .send()
        .await
        .expect("create the subnet group");
    let security_group = ec2
        .create_security_group()
        .group_name(common::unique("orders-db"))
        .description("orders database")
        .vpc_id(&vpc)
        .send()
        .await
        .expect("create a security group")
        .group_id()
        .expect("a group id")
        .to_owned();
    let source = common::unique("orders");
    let mut create = rds
        .create_db_instance()
        .db_instance_identifier(&source)
        .engine("postgres")
        .db_instance_class("db.t4g.micro")
        .allocated_storage(20)
        .master_username("orders")
        .master_user_password("not-a-secret-1");
    if let Some(key) = encrypted_with {
        create = create.storage_encrypted(true).kms_key_id(key);
    }
    create.send().await.expect("create the source");
    rds.create_db_snapshot()
        .db_instance_identifier(&source)
        .db_snapshot_identifier(common::unique("snap"))
        .send()
        .await
        .expect("snapshot the source");
    World {
        target: format!("{source}-dr"),
        source,
        subnet_group,
        security_group,
    }
}

/// The readiness input of `world`: its newest snapshot restored in the recovery region.
fn input(world: &World) -> Value {
    json!({"restore": {
        "db_instance": world.target,
        "snapshot_id": "latest",
        "source_db_instance": world.source,
        "region": WEST,
        "db_subnet_group": world.subnet_group,
        "vpc_security_group_ids": [world.security_group],
    }})
}

fn handler(
    sdk: &SdkConfig,
    settings: ReadinessSettings,
    failover: Option<FailoverHandler>,
) -> ReadinessHandler {
    let restore = RestoreHandler::new(aws_sdk_rds::Client::new(sdk), "us-east-1", None);
    ReadinessHandler::new(
        restore,
        failover,
        Clients {
            rds: aws_sdk_rds::Client::new(sdk),
            ec2: aws_sdk_ec2::Client::new(sdk),
            kms: aws_sdk_kms::Client::new(sdk),
            route53: aws_sdk_route53::Client::new(sdk),
            sfn: None,
        },
        "us-east-1",
        settings,
    )
}

fn settings() -> ReadinessSettings {
    ReadinessSettings {
        namespace: "dr-lambdas".into(),
        ..ReadinessSettings::default()
    }
}

fn invocation() -> Invocation {
    let mut invocation = Invocation::new("readiness");
    invocation.account_id = Some("123456789012".into());
    invocation
}

async fn check(handler: &ReadinessHandler, input: Value) -> Readiness {
    one(handler.handle(input, &invocation()).await.unwrap())
}

/// One restore's answer (the plan's is another test's).
fn one(answer: Answer) -> Readiness {
    match answer {
        Answer::One(readiness) => readiness,
        Answer::Plan(plan) => panic!("a plan's answer: {plan:#?}"),
    }
}

/// The one failed check of `readiness`, by name; every other passed.
fn only_failure<'a>(
    readiness: &'a Readiness,
    name: &str,
) -> &'a dr_lambdas::readiness::checks::Check {
    let failed: Vec<&str> = readiness
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| c.check)
        .collect();
    assert_eq!(failed, [name], "{readiness:#?}");
    assert!(!readiness.ready);
    readiness
        .checks
        .iter()
        .find(|c| c.check == name)
        .expect("the check")
}

/// The readiness of a fresh world, its input changed by `edit`.
async fn readiness_of(url: &str, edit: impl FnOnce(&World, &mut Value)) -> Readiness {
    let sdk = sdk(url).await;
    let world = world(&sdk, None).await;
    let mut event = input(&world);
    edit(&world, &mut event);
    check(&handler(&sdk, settings(), None), event).await
}

/// A DNS-mode failover of `names` (under a zone of its own, with healthy
/// region health checks), and that zone's id.
async fn failover(r53: &aws_sdk_route53::Client, names: &[&str]) -> (FailoverHandler, String) {
    let (zone, domain) = common::seed_weighted_zone(r53, &["shop"]).await;
    let names = names.iter().map(|n| format!("{n}.{domain}")).collect();
    let mut dns = common::dns_config(&zone, names);
    dns.region_health_checks = common::region_health_checks(r53).await;
    (common::dns_handler(r53.clone(), dns), zone)
}

fn failover_half() -> Value {
    json!({"primary_region": "us-east-1", "secondary_region": "us-west-2"})
}

#[tokio::test]
async fn a_healthy_world_is_ready_with_a_data_loss_window() {
    let url = moto_or_skip!();
    let sdk = sdk(&url).await;
    let world = world(&sdk, None).await;

    let readiness = check(&handler(&sdk, settings(), None), input(&world)).await;

    assert!(readiness.ready, "{readiness:#?}");
    let names: Vec<&str> = readiness.checks.iter().map(|c| c.check).collect();
    assert_eq!(
        names,
        [
            "target_name_free",
            "drill_leftovers",
            "latest_snapshot",
            "subnet_group",
            "security_groups",
            "groups",
            "encryption_key",
            "data_loss"
        ]
    );
    assert!(readiness.data_loss_seconds.is_some_and(|s| s >= 0));
    assert!(readiness.recovery_point.is_some());
}

#[tokio::test]
async fn a_subnet_group_missing_in_the_recovery_region_fails_its_check_naming_it() {
    let url = moto_or_skip!();

    let readiness = readiness_of(&url, |_, event| {
        event["restore"]["db_subnet_group"] = json!("deleted-subnets");
    })
    .await;

    let failed = only_failure(&readiness, "subnet_group");
    assert_eq!(
        failed.detail,
        "DB subnet group 'deleted-subnets' does not exist in us-west-2"
    );
}

#[tokio::test]
async fn a_security_group_missing_there_fails_its_check_naming_it() {
    let url = moto_or_skip!();

    let readiness = readiness_of(&url, |world, event| {
        event["restore"]["vpc_security_group_ids"] =
            json!([world.security_group, "sg-0123456789abcdef0"]);
    })
    .await;

    let failed = only_failure(&readiness, "security_groups");
    assert_eq!(
        failed.detail,
        "security group sg-0123456789abcdef0 does not exist in us-west-2"
    );
}

#[tokio::test]
async fn a_source_without_a_snapshot_fails_the_snapshot_and_the_data_loss_checks() {
    let url = moto_or_skip!();

    let readiness = readiness_of(&url, |_, event| {
        event["restore"]["source_db_instance"] = json!(common::unique("never-snapshotted"));
    })
    .await;

    let failed: Vec<&str> = readiness
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| c.check)
        .collect();
    assert_eq!(failed, ["latest_snapshot", "data_loss"]);
    let snapshot = readiness
        .checks
        .iter()
        .find(|c| c.check == "latest_snapshot")
        .expect("the snapshot check");
    assert!(
        snapshot.detail.starts_with("SourceInstanceNotFound: "),
        "{}",
        snapshot.detail
    );
    assert_eq!(readiness.data_loss_seconds, None);
}

#[tokio::test]
async fn a_target_name_already_taken_fails_its_check() {
    let url = moto_or_skip!();
    let sdk = sdk(&url).await;
    let world = world(&sdk, None).await;
    common::rds(&url, WEST)
        .create_db_instance()
        .db_instance_identifier(&world.target)
        .engine("postgres")
        .db_instance_class("db.t4g.micro")
        .allocated_storage(20)
        .master_username("x")
        .master_user_password("not-a-secret-1")
        .send()
        .await
        .expect("take the name");

    let readiness = check(&handler(&sdk, settings(), None), input(&world)).await;

    let taken = readiness
        .checks
        .iter()
        .find(|c| c.check == "target_name_free")
        .expect("the check");
    assert!(!taken.ok);
    assert_eq!(
        taken.detail,
        format!(
            "instance '{}' already exists in us-west-2: a recovery would replay it or be refused",
            world.target
        )
    );
    assert!(!readiness.ready);
}

#[tokio::test]
async fn a_disabled_kms_key_fails_the_encryption_check() {
    let url = moto_or_skip!();
    let sdk = sdk(&url).await;
    let kms = aws_sdk_kms::Client::from_conf(
        aws_sdk_kms::config::Builder::from(&sdk)
            .region(Region::new(WEST))
            .build(),
    );
    let key = kms
        .create_key()
        .description("orders snapshots")
        .send()
        .await
        .expect("create a key")
        .key_metadata()
        .map(|m| m.key_id().to_owned())
        .expect("a key id");
    let world = world(&sdk, Some(&key)).await;
    kms.disable_key()
        .key_id(&key)
        .send()
        .await
        .expect("disable the key");

    let readiness = check(&handler(&sdk, settings(), None), input(&world)).await;

    let failed = only_failure(&readiness, "encryption_key");
    assert!(
        failed.detail.contains("which is Disabled in us-west-2"),
        "{}",
        failed.detail
    );
}

#[tokio::test]
async fn a_data_loss_window_above_the_target_fails_its_check() {
    let url = moto_or_skip!();
    let sdk = sdk(&url).await;
    let world = world(&sdk, None).await;
    let strict = ReadinessSettings {
        rpo_target_seconds: Some(60),
        ..settings()
    };
    // Checked an hour after the snapshot: moto's snapshots are taken now.
    let mut later = invocation();
    later.received += Duration::from_secs(3600);

    let readiness = one(handler(&sdk, strict, None)
        .handle(input(&world), &later)
        .await
        .unwrap());

    let failed = only_failure(&readiness, "data_loss");
    assert!(
        failed.detail.ends_with("above RPO_TARGET_SECONDS (60 s)"),
        "{}",
        failed.detail
    );
    assert!(readiness.data_loss_seconds.is_some_and(|s| s >= 3600));
}

#[tokio::test]
async fn a_failover_record_that_does_not_exist_fails_the_failover_check() {
    let url = moto_or_skip!();
    let sdk = sdk(&url).await;
    let (failover, _) = failover(&common::route53(&url), &["missing"]).await;

    let readiness = check(
        &handler(&sdk, settings(), Some(failover)),
        json!({"failover": failover_half()}),
    )
    .await;

    let failed = only_failure(&readiness, "failover_plan");
    assert!(
        failed
            .detail
            .starts_with("RecordNotFound: record 'missing."),
        "{}",
        failed.detail
    );
}

#[tokio::test]
async fn a_readable_failover_with_a_healthy_target_passes_and_changes_nothing() {
    let url = moto_or_skip!();
    let sdk = sdk(&url).await;
    let r53 = common::route53(&url);
    let (failover, zone) = failover(&r53, &["shop"]).await;
    let before = common::record_sets(&r53, &zone).await;

    let readiness = check(
        &handler(&sdk, settings(), Some(failover)),
        json!({"failover": failover_half()}),
    )
    .await;

    assert!(readiness.ready, "{readiness:#?}");
    assert_eq!(readiness.checks[0].check, "failover_plan");
    assert_eq!(common::record_sets(&r53, &zone).await, before);
}

#[tokio::test]
async fn the_check_only_describes_lists_and_gets() {
    let url = moto_or_skip!();
    let proxy = common::proxy::recording(&url).await;
    let sdk = sdk(&proxy.url).await;
    let world = world(&sdk, None).await;
    proxy.requests.lock().unwrap().clear();
    let (failover, _) = failover(&common::route53(&proxy.url), &["shop"]).await;
    let mut event = input(&world);
    event["failover"] = failover_half();
    let handler = handler(&sdk, settings(), Some(failover));
    proxy.requests.lock().unwrap().clear();

    let readiness = check(&handler, event).await;

    assert!(readiness.ready, "{readiness:#?}");
    let requests = proxy.requests.lock().unwrap().clone();
    assert!(requests.len() >= 8, "{}", requests.len());
    for request in &requests {
        let action = action(request);
        assert!(
            ["Describe", "List", "Get"]
                .iter()
                .any(|verb| action.starts_with(verb)),
            "a call that is not a read: {action}"
        );
    }
}

/// The API action of a raw request: the query protocol's `Action=` (RDS,
/// EC2), the JSON protocol's `X-Amz-Target` (KMS), or for Route 53's REST
/// protocol, `Get`/`List` from the method and path.
fn action(request: &str) -> String {
    if let Some(at) = request.find("Action=") {
        return request[at + 7..]
            .split('&')
            .next()
            .unwrap_or_default()
            .to_owned();
    }
    if let Some(target) = request.lines().find_map(|l| {
        l.to_ascii_lowercase()
            .starts_with("x-amz-target:")
            .then(|| l.to_owned())
    }) {
        return target
            .rsplit('.')
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
    }
    let first = request.lines().next().unwrap_or_default();
    match first.split(' ').next() {
        Some("GET") if first.contains("/rrset") => "ListResourceRecordSets".into(),
        Some("GET") => format!("Get {first}"),
        _ => format!("not a read: {first}"),
    }
}

#[tokio::test]
async fn an_input_without_either_half_is_an_invalid_request() {
    let url = moto_or_skip!();
    let sdk = sdk(&url).await;

    let err = handler(&sdk, settings(), None)
        .handle(json!({"settings": {}}), &invocation())
        .await
        .unwrap_err();

    assert_eq!(err.name(), "InvalidRequest");
    assert!(
        err.to_string()
            .starts_with("restore: give the restore half, the failover half, or both"),
        "{err}"
    );
}

#[tokio::test]
async fn a_malformed_restore_half_is_an_invalid_request_not_a_failed_check() {
    let url = moto_or_skip!();
    let sdk = sdk(&url).await;

    let err = handler(&sdk, settings(), None)
        .handle(
            json!({"restore": {"db_instance": "Not_Valid", "snapshot_id": "latest"}}),
            &invocation(),
        )
        .await
        .unwrap_err();

    assert_eq!(err.name(), "InvalidRequest");
}

/// A drill's copy `id` in us-west-2, tagged with the drill `marker`.
async fn drill_copy(url: &str, id: &str, marker: &str) {
    common::rds(url, WEST)
        .create_db_instance()
        .db_instance_identifier(id)
        .engine("postgres")
        .db_instance_class("db.t4g.micro")
        .allocated_storage(20)
        .master_username("x")
        .master_user_password("not-a-secret-1")
        .tags(
            aws_sdk_rds::types::Tag::builder()
                .key("dr-lambdas:drill")
                .value(marker)
                .build(),
        )
        .send()
        .await
        .expect("a drill's copy");
}

#[tokio::test]
async fn a_database_an_earlier_drill_left_behind_fails_the_leftover_check_naming_it() {
    let url = moto_or_skip!();
    let sdk = sdk(&url).await;
    let world = world(&sdk, None).await;
    let leftover = format!("{}-d0000beef", world.target);
    drill_copy(&url, &leftover, "drill-1").await;

    // moto stamps the leftover's creation "now": checked five hours later,
    // it is older than any drill can run.
    let mut later = invocation();
    later.received = std::time::SystemTime::now() + std::time::Duration::from_secs(5 * 3600);
    let readiness = one(handler(&sdk, settings(), None)
        .handle(input(&world), &later)
        .await
        .unwrap());

    let check = only_failure(&readiness, "drill_leftovers");
    assert!(
        check.detail.contains(&format!("instance '{leftover}'")),
        "{}",
        check.detail
    );
}

#[tokio::test]
async fn a_drill_copy_younger_than_a_drill_can_run_is_a_drill_in_progress_not_a_failure() {
    let url = moto_or_skip!();
    let sdk = sdk(&url).await;
    let world = world(&sdk, None).await;
    let copy = format!("{}-d0000cafe", world.target);
    drill_copy(&url, &copy, "drill-running").await;

    let readiness = check(&handler(&sdk, settings(), None), input(&world)).await;

    let check = readiness
        .checks
        .iter()
        .find(|c| c.check == "drill_leftovers")
        .expect("the check");
    assert!(check.ok, "{check:?}");
    assert!(
        check.detail.starts_with("drill in progress"),
        "{}",
        check.detail
    );
}
