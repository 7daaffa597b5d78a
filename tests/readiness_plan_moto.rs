//! check-readiness of a three-database recovery plan against moto, over
//! real HTTP: ready per scenario, one failing database failing only its
//! scenario, the RDS reads of an interval counted by moto's own request
//! recorder, and none at all while a recovery runs.
//!
//! Three moto deviations, worked around here and said so:
//! - moto has no CloudWatch for this SDK (its CBOR protocol), so a
//!   standby's lag, its data-loss window, is unknown there: orders recovers
//!   from its replica's latest snapshot in this plan, and a standby's
//!   readiness is tested with mocks (tests/restore_standby.rs);
//! - moto has no RDS `DescribeAccountAttributes`: a proxy in front of moto
//!   answers it (the instance quota), and forwards everything else;
//! - moto's recorder is one switch for the whole server, so the tests of
//!   this file take turns (`TURN`), and it is started and stopped through
//!   its API (`/moto-api/recorder/*`) around the one check it counts,
//!   rather than with `MOTO_ENABLE_RECORDING` for the whole run.

mod common;

use std::collections::BTreeMap;

use aws_config::SdkConfig;
use aws_sdk_rds::config::{Credentials, Region};
use dr_lambdas::aws::{SdkSettings, sdk_config_loader};
use dr_lambdas::readiness::platform::{
    PlanReadiness, RDS_READS_PER_DATABASE, RDS_READS_PER_REGION, ScenarioReadiness,
};
use dr_lambdas::readiness::{Answer, Clients, ReadinessHandler, ReadinessSettings};
use dr_lambdas::restore::RestoreHandler;
use dr_lambdas::runtime::{Handler, Invocation};
use serde_json::{Value, json};

const EAST: &str = "us-east-1";
const WEST: &str = "us-west-2";

/// The tests of this file take turns: moto's recorder is server-wide.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// What `DescribeAccountAttributes` answers through the proxy: 3 of 40
/// instances used, 1 of 40 clusters.
const QUOTA: &str = "<DescribeAccountAttributesResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\">\
<DescribeAccountAttributesResult><AccountQuotas><AccountQuota>\
<AccountQuotaName>DBInstances</AccountQuotaName><Used>3</Used><Max>40</Max>\
</AccountQuota><AccountQuota>\
<AccountQuotaName>DBClusters</AccountQuotaName><Used>1</Used><Max>40</Max>\
</AccountQuota></AccountQuotas></DescribeAccountAttributesResult>\
<ResponseMetadata><RequestId>quota</RequestId></ResponseMetadata>\
</DescribeAccountAttributesResponse>";

async fn sdk(url: &str) -> SdkConfig {
    sdk_config_loader(&SdkSettings::default())
        .endpoint_url(url)
        .region(Region::new(EAST))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
        .load()
        .await
}

/// The platform: orders (its replica's latest snapshot in the recovery
/// region, and its primary's backups for bad data), inventory (an Aurora cluster restored
/// from its latest snapshot), customers (an instance restored from its
/// latest snapshot, optional), with subnet groups in both regions.
struct Platform {
    plan: Value,
}

/// A VPC in `region` with a DB subnet group and a security group: their names.
async fn subnet_group(sdk: &SdkConfig, region: &str, cidr: u8) -> (String, String) {
    let ec2 = aws_sdk_ec2::Client::from_conf(
        aws_sdk_ec2::config::Builder::from(sdk)
            .region(Region::new(region.to_owned()))
            .build(),
    );
    let vpc = ec2
        .create_vpc()
        .cidr_block(format!("10.{cidr}.0.0/16"))
        .send()
        .await
        .expect("create a VPC")
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("a VPC id")
        .to_owned();
    let mut subnets = Vec::new();
    for (i, az) in ["a", "b"].iter().enumerate() {
        let out = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(format!("10.{cidr}.{i}.0/24"))
            .availability_zone(format!("{region}{az}"))
            .send()
            .await
            .expect("create a subnet");
        subnets.push(
            out.subnet()
                .and_then(|s| s.subnet_id())
                .expect("a subnet id")
                .to_owned(),
        );
    }
    let name = common::unique("platform-subnets");
    common::rds(&sdk_url(sdk), region)
        .create_db_subnet_group()
        .db_subnet_group_name(&name)
        .db_subnet_group_description("platform")
        .set_subnet_ids(Some(subnets))
        .send()
        .await
        .expect("create the subnet group");
    let group = ec2
        .create_security_group()
        .group_name(common::unique("platform-db"))
        .description("platform databases")
        .vpc_id(&vpc)
        .send()
        .await
        .expect("create a security group")
        .group_id()
        .expect("a group id")
        .to_owned();
    (name, group)
}

fn sdk_url(sdk: &SdkConfig) -> String {
    sdk.endpoint_url().unwrap_or_default().to_owned()
}

async fn platform(sdk: &SdkConfig) -> Platform {
    let url = sdk_url(sdk);
    let (east, west) = (common::rds(&url, EAST), common::rds(&url, WEST));
    let (east_subnets, east_group) = subnet_group(sdk, EAST, 41).await;
    let (west_subnets, west_group) = subnet_group(sdk, WEST, 42).await;

    // orders: a primary in us-east-1 (backups kept) and its replica in us-west-2.
    let orders = common::unique("orders");
    let replica = format!("{orders}-west");
    east.create_db_instance()
        .db_instance_identifier(&orders)
        .engine("postgres")
        .db_instance_class("db.t4g.micro")
        .allocated_storage(20)
        .master_username("orders")
        .master_user_password("not-a-secret-1")
        .backup_retention_period(7)
        .send()
        .await
        .expect("create orders");
    let orders_arn = east
        .describe_db_instances()
        .db_instance_identifier(&orders)
        .send()
        .await
        .expect("describe orders")
        .db_instances()
        .first()
        .and_then(|d| d.db_instance_arn())
        .expect("orders' ARN")
        .to_owned();
    west.create_db_instance_read_replica()
        .db_instance_identifier(&replica)
        .source_db_instance_identifier(&orders_arn)
        .send()
        .await
        .expect("create the replica");
    west.create_db_snapshot()
        .db_instance_identifier(&replica)
        .db_snapshot_identifier(common::unique("orders-snap"))
        .send()
        .await
        .expect("snapshot the replica");

    // inventory: an Aurora cluster in us-west-2 with a snapshot.
    let inventory = common::unique("inventory");
    west.create_db_cluster()
        .db_cluster_identifier(&inventory)
        .engine("aurora-postgresql")
        .master_username("inventory")
        .master_user_password("not-a-secret-1")
        .send()
        .await
        .expect("create inventory");
    west.create_db_cluster_snapshot()
        .db_cluster_identifier(&inventory)
        .db_cluster_snapshot_identifier(common::unique("inventory-snap"))
        .send()
        .await
        .expect("snapshot inventory");

    // customers: an instance in us-west-2 with a snapshot.
    let customers = common::unique("customers");
    west.create_db_instance()
        .db_instance_identifier(&customers)
        .engine("postgres")
        .db_instance_class("db.t4g.micro")
        .allocated_storage(20)
        .master_username("customers")
        .master_user_password("not-a-secret-1")
        .send()
        .await
        .expect("create customers");
    west.create_db_snapshot()
        .db_instance_identifier(&customers)
        .db_snapshot_identifier(common::unique("customers-snap"))
        .send()
        .await
        .expect("snapshot customers");

    let runs_in = json!({"account": "123456789012", "region": EAST});
    Platform {
        plan: json!({
            "version": 1,
            "databases": [
                {"name": "orders", "record": "orders.db.internal",
                 "drill_record": "orders.drill.internal",
                 "restore": {
                     "regional-outage": {"db_instance": format!("{orders}-dr"),
                                         "snapshot_id": "latest",
                                         "source_db_instance": replica, "region": WEST,
                                         "db_subnet_group": west_subnets,
                                         "vpc_security_group_ids": [west_group]},
                     "bad-data": {"db_instance": format!("{orders}-before"),
                                  "source_db_instance": orders, "region": EAST,
                                  "db_subnet_group": east_subnets,
                                  "vpc_security_group_ids": [east_group]}}},
                {"name": "inventory", "record": "inventory.db.internal",
                 "drill_record": "inventory.drill.internal",
                 "restore": {
                     "regional-outage": {"db_cluster": format!("{inventory}-dr"),
                                         "snapshot_id": "latest",
                                         "source_db_cluster": inventory, "region": WEST,
                                         "db_subnet_group": west_subnets,
                                         "db_instance_class": "db.r6g.large"}}},
                {"name": "customers", "required": false, "record": "customers.db.internal",
                 "drill_record": "customers.drill.internal",
                 "restore": {
                     "regional-outage": {"db_instance": format!("{customers}-dr"),
                                         "snapshot_id": "latest",
                                         "source_db_instance": customers, "region": WEST,
                                         "db_subnet_group": west_subnets,
                                         "vpc_security_group_ids": [west_group]}}}
            ],
            "scenarios": {
                "regional-outage": {"moves_traffic": false, "runs_in": runs_in},
                "bad-data": {"moves_traffic": false, "point_in_time": true, "runs_in": runs_in}
            }
        }),
    }
}

fn handler(sdk: &SdkConfig, plan: &Value, settings: ReadinessSettings) -> ReadinessHandler {
    let plan = dr_lambdas::plan::parse(&plan.to_string(), &Default::default())
        .expect("the test's plan is a valid plan");
    ReadinessHandler::new(
        RestoreHandler::new(aws_sdk_rds::Client::new(sdk), EAST, None),
        None,
        Clients {
            rds: aws_sdk_rds::Client::new(sdk),
            ec2: aws_sdk_ec2::Client::new(sdk),
            kms: aws_sdk_kms::Client::new(sdk),
            route53: aws_sdk_route53::Client::new(sdk),
            sfn: Some(aws_sdk_sfn::Client::new(sdk)),
        },
        EAST,
        settings,
    )
    .with_plan(Ok(Some(plan)))
}

fn invocation() -> Invocation {
    let mut invocation = Invocation::new("readiness-plan");
    invocation.account_id = Some("123456789012".into());
    invocation
}

/// The sample input, events/check-readiness-plan.json: every scenario this
/// deployment runs.
fn sample() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string("events/check-readiness-plan.json").expect("the sample"),
    )
    .expect("the sample is JSON")
}

async fn check(handler: &ReadinessHandler) -> PlanReadiness {
    match handler
        .handle(sample(), &invocation())
        .await
        .expect("the plan's readiness")
    {
        Answer::Plan(readiness) => readiness,
        Answer::One(one) => panic!("one restore's answer: {one:#?}"),
    }
}

fn scenario<'a>(readiness: &'a PlanReadiness, name: &str) -> &'a ScenarioReadiness {
    readiness
        .scenarios
        .iter()
        .find(|s| s.scenario == name)
        .unwrap_or_else(|| panic!("no scenario {name}: {readiness:#?}"))
}

/// `(scenario, database, failed checks)` of every database with a failed check.
fn failures(readiness: &PlanReadiness) -> Vec<(String, String, Vec<&'static str>)> {
    readiness
        .scenarios
        .iter()
        .flat_map(|s| {
            s.databases
                .iter()
                .filter(|d| !d.ready)
                .map(|d| {
                    (
                        s.scenario.clone(),
                        d.database.clone(),
                        d.checks.iter().filter(|c| !c.ok).map(|c| c.check).collect(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

#[tokio::test]
async fn a_healthy_three_database_plan_is_ready_in_each_scenario_it_runs() {
    let url = moto_or_skip!();
    let _turn = TURN.lock().await;
    let proxy = common::proxy::answering(&url, "Action=DescribeAccountAttributes", QUOTA).await;
    let sdk = sdk(&proxy.url).await;
    let platform = platform(&sdk).await;

    let readiness = check(&handler(&sdk, &platform.plan, ReadinessSettings::default())).await;

    assert_eq!(failures(&readiness), [], "{readiness:#?}");
    let outage = scenario(&readiness, "regional-outage");
    assert!(outage.ready, "{outage:#?}");
    let names: Vec<&str> = outage
        .databases
        .iter()
        .map(|d| d.database.as_str())
        .collect();
    assert_eq!(names, ["orders", "inventory", "customers"]);
    let capacity = outage
        .checks
        .iter()
        .find(|c| c.check == "capacity")
        .expect("a capacity check");
    // orders' and customers' instances, and inventory's cluster and writer.
    assert_eq!(
        capacity.detail,
        "in us-west-2, writers included: 3 DBInstances: 37 free of 40; 1 DBClusters: 39 free of 40"
    );
    let bad_data = scenario(&readiness, "bad-data");
    assert!(bad_data.ready, "{bad_data:#?}");
    let names: Vec<&str> = bad_data
        .databases
        .iter()
        .map(|d| d.database.as_str())
        .collect();
    assert_eq!(names, ["orders"]);
    assert_eq!(readiness.ready, Some(true));
}

#[tokio::test]
async fn one_failing_database_fails_only_its_own_scenario() {
    let url = moto_or_skip!();
    let _turn = TURN.lock().await;
    let proxy = common::proxy::answering(&url, "Action=DescribeAccountAttributes", QUOTA).await;
    let sdk = sdk(&proxy.url).await;
    let mut platform = platform(&sdk).await;
    // inventory's recovery names a subnet group that does not exist.
    platform.plan["databases"][1]["restore"]["regional-outage"]["db_subnet_group"] =
        json!("no-such-subnets");

    let readiness = check(&handler(&sdk, &platform.plan, ReadinessSettings::default())).await;

    assert_eq!(
        failures(&readiness),
        [(
            "regional-outage".to_owned(),
            "inventory".to_owned(),
            vec!["subnet_group"]
        )]
    );
    assert!(!scenario(&readiness, "regional-outage").ready);
    assert!(scenario(&readiness, "bad-data").ready);
    assert_eq!(readiness.ready, Some(false));
}

#[tokio::test]
async fn an_optional_database_failing_is_reported_and_leaves_its_scenario_ready() {
    let url = moto_or_skip!();
    let _turn = TURN.lock().await;
    let proxy = common::proxy::answering(&url, "Action=DescribeAccountAttributes", QUOTA).await;
    let sdk = sdk(&proxy.url).await;
    let mut platform = platform(&sdk).await;
    // customers (required: false) names a subnet group that does not exist.
    platform.plan["databases"][2]["restore"]["regional-outage"]["db_subnet_group"] =
        json!("no-such-subnets");

    let readiness = check(&handler(&sdk, &platform.plan, ReadinessSettings::default())).await;

    assert_eq!(
        failures(&readiness),
        [(
            "regional-outage".to_owned(),
            "customers".to_owned(),
            vec!["subnet_group"]
        )]
    );
    assert!(scenario(&readiness, "regional-outage").ready);
}

/// The RDS requests moto recorded, per region (from each request's
/// credential scope, `Credential=<key>/<date>/<region>/rds/aws4_request`).
fn rds_reads_by_region(recording: &str) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for line in recording.lines().filter(|l| !l.trim().is_empty()) {
        let entry: Value = serde_json::from_str(line).expect("a recorded request");
        let authorization = entry["headers"]["Authorization"]
            .as_str()
            .unwrap_or_default();
        let Some(scope) = authorization
            .split("Credential=")
            .nth(1)
            .and_then(|c| c.split(',').next())
        else {
            continue;
        };
        let parts: Vec<&str> = scope.split('/').collect();
        if let [_, _, region, "rds", _] = parts.as_slice() {
            *out.entry((*region).to_owned()).or_default() += 1;
        }
    }
    out
}

fn recorder(url: &str, action: &str) -> String {
    let (status, body) = common::http_post(url, &format!("/moto-api/recorder/{action}"), "");
    assert_eq!(status, 200, "{action}: {body}");
    body
}

#[tokio::test]
async fn an_interval_reads_rds_within_one_read_a_second_per_region() {
    let url = moto_or_skip!();
    let _turn = TURN.lock().await;
    let proxy = common::proxy::answering(&url, "Action=DescribeAccountAttributes", QUOTA).await;
    let sdk = sdk(&proxy.url).await;
    let platform = platform(&sdk).await;
    let handler = handler(&sdk, &platform.plan, ReadinessSettings::default());

    recorder(&url, "reset-recording");
    recorder(&url, "start-recording");
    let readiness = check(&handler).await;
    recorder(&url, "stop-recording");
    let (status, recording) = common::http_get(&url, "/moto-api/recorder/download-recording");
    assert_eq!(status, 200);

    assert_eq!(readiness.ready, Some(true), "{readiness:#?}");
    let mut reads = rds_reads_by_region(&recording);
    // The quota reads the proxy answered never reached moto: one a region.
    for region in [EAST, WEST] {
        *reads.entry(region.to_owned()).or_default() += 1;
    }
    let interval = ReadinessSettings::default().interval_seconds;
    // Databases checked per region: us-west-2 restores three, us-east-1 one
    // (orders' bad data).
    for (region, databases) in [(WEST, 3), (EAST, 1)] {
        let n = reads.get(region).copied().unwrap_or_default();
        assert!(
            n <= RDS_READS_PER_REGION + databases * RDS_READS_PER_DATABASE,
            "{n} RDS reads in {region} for {databases} databases: {reads:?}"
        );
        assert!(
            n <= interval,
            "{n} reads in {region} in a {interval} s interval"
        );
    }
    eprintln!("RDS reads of one interval, per region: {reads:?}");
}

#[tokio::test]
async fn nothing_is_read_from_rds_while_a_recovery_runs() {
    let url = moto_or_skip!();
    let _turn = TURN.lock().await;
    let sdk = sdk(&url).await;
    let platform = platform(&sdk).await;
    let sfn = aws_sdk_sfn::Client::new(&sdk);
    let machine = common::waiting_state_machine(&sfn, &common::unique("recovery")).await;
    let execution = sfn
        .start_execution()
        .state_machine_arn(&machine)
        .name("recovery-at-3am")
        .send()
        .await
        .expect("start an execution")
        .execution_arn()
        .to_owned();
    let settings = ReadinessSettings {
        recovery_state_machine: Some(machine),
        ..ReadinessSettings::default()
    };
    let handler = handler(&sdk, &platform.plan, settings);

    recorder(&url, "reset-recording");
    recorder(&url, "start-recording");
    let readiness = check(&handler).await;
    recorder(&url, "stop-recording");
    let (_, recording) = common::http_get(&url, "/moto-api/recorder/download-recording");
    let _ = sfn.stop_execution().execution_arn(&execution).send().await;

    assert_eq!(rds_reads_by_region(&recording), BTreeMap::new());
    assert_eq!(readiness.ready, None);
    assert_eq!(readiness.scenarios, []);
    assert!(
        readiness
            .skipped
            .as_deref()
            .is_some_and(|s| s.contains("'recovery-at-3am'")),
        "{readiness:#?}"
    );
}

#[tokio::test]
async fn a_scenario_that_runs_in_another_deployment_is_refused_by_name_before_any_call() {
    // Nothing listens there: the refusal comes before any AWS call.
    let sdk = sdk("http://127.0.0.1:9").await;
    let plan = json!({
        "version": 1,
        "databases": [{"name": "orders", "record": "orders.db.internal",
                       "drill_record": "orders.drill.internal",
                       "restore": {"regional-outage": {"db_instance": "orders-dr",
                                   "snapshot_id": "latest", "source_db_instance": "orders"}}}],
        "scenarios": {"regional-outage": {"moves_traffic": false,
                      "runs_in": {"account": "123456789012", "region": WEST}}}
    });
    let handler = handler(&sdk, &plan, ReadinessSettings::default());

    let err = handler
        .handle(
            json!({"plan": true, "scenarios": ["regional-outage"]}),
            &invocation(),
        )
        .await
        .expect_err("refused");

    assert_eq!(err.name(), "InvalidRequest");
    assert_eq!(
        err.to_string(),
        "scenarios: 'regional-outage' runs in us-west-2 of account 123456789012, not in this \
         deployment: check it there. Correct the event and invoke again; nothing was changed."
    );
}
