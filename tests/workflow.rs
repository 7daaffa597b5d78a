//! statemachine/recovery.asl.json, executed: moto's Step Functions
//! interpreter runs the definition, its Lambda tasks invoke our binaries under
//! `cargo lambda watch`, and its `aws-sdk:` tasks call moto (see
//! scripts/moto_server.py for what the launcher corrects in moto 5.2.5).
//!
//! Each scenario asserts the execution's status, its path through the states
//! and the world afterwards. They share the seeded zone, the on-call queue
//! and the injection file, so they run one at a time; each starts with
//! traffic on the primary region.
//!
//! What moto cannot show, and is not covered here: a database that stays
//! `creating` for a while (moto answers `available` at once, so the poll loop
//! runs one round; its counting and time-out are checked statically in
//! tests/statemachine.rs), a DNS change that stays PENDING (moto answers
//! INSYNC, so each DNS wait reads once), and an Aurora cluster that cannot
//! take its writer yet (moto creates it at once; tests/restore_cluster.rs
//! covers it at the SDK boundary).

mod common;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::{Mutex, OnceCell};

static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());
static STATE_MACHINE: OnceCell<String> = OnceCell::const_new();
static STATE_MACHINE_US_EAST_1: OnceCell<String> = OnceCell::const_new();

/// The region the workflow is deployed in: the recovery region, where the
/// samples restore.
const REGION: &str = "us-west-2";

/// What scripts/test exported: moto, the functions, the seeded names.
struct World {
    moto: String,
    lambda: String,
    private_zone: String,
    db_record: String,
    topic: String,
    queue: String,
    drill_record: String,
    inject: String,
}

fn world() -> Option<World> {
    let lambda = match std::env::var("LAMBDA_URL") {
        Ok(url) if !url.is_empty() => url,
        _ if std::env::var("DR_REQUIRE_MOTO").is_ok() => {
            panic!("DR_REQUIRE_MOTO is set but LAMBDA_URL is not")
        }
        _ => {
            eprintln!("skipped: LAMBDA_URL is not set (run scripts/test)");
            return None;
        }
    };
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"));
    Some(World {
        moto: common::moto_url()?,
        lambda,
        private_zone: var("DR_PRIVATE_ZONE_ID"),
        db_record: var("DR_DB_RECORD"),
        topic: var("DR_ONCALL_TOPIC_ARN"),
        queue: var("DR_ONCALL_QUEUE_URL"),
        drill_record: var("DR_DRILL_RECORD"),
        inject: var("DR_LAMBDA_INJECT"),
    })
}

macro_rules! world_or_skip {
    () => {
        match world() {
            Some(world) => world,
            None => return,
        }
    };
}

/// One call of an AWS JSON-protocol API on moto, signed for `REGION` in name
/// only (moto reads the region from the credential scope, and checks no
/// signature).
fn aws_json(world: &World, service: &str, target: &str, body: &Value) -> Value {
    aws_json_in(world, REGION, service, target, body)
}

/// `aws_json`, in `region`.
fn aws_json_in(world: &World, region: &str, service: &str, target: &str, body: &Value) -> Value {
    common::aws_json(&world.moto, region, service, target, body)
}

/// One Step Functions call in `region`.
fn sfn(world: &World, region: &str, action: &str, body: Value) -> Value {
    aws_json_in(
        world,
        region,
        "states",
        &format!("AWSStepFunctions.{action}"),
        &body,
    )
}

/// The definition as the template deploys it in `region`: the function
/// names stand for their ARNs (cargo lambda knows the functions by name).
async fn state_machine(world: &World, region: &str) -> String {
    let cell = if region == REGION {
        &STATE_MACHINE
    } else {
        &STATE_MACHINE_US_EAST_1
    };
    cell.get_or_init(|| async {
        let mut definition =
            std::fs::read_to_string("statemachine/recovery.asl.json").expect("read the definition");
        for (key, value) in [
            ("RestoreFunctionArn", "restore-database"),
            ("FailoverFunctionArn", "failover-region"),
            ("PrivateHostedZoneId", &world.private_zone),
            ("DbEndpointRecordName", &world.db_record),
            ("DbEndpointTtl", "30"),
            // The seeded topic is in us-west-2, and a deployment's topic is
            // in its own region: the us-east-1 workflow is deployed without one.
            (
                "AlarmTopicArn",
                if region == REGION { &world.topic } else { "" },
            ),
            ("DrillFunctionArn", "drill"),
            (
                "DrillTopicArn",
                if region == REGION { &world.topic } else { "" },
            ),
            ("PrimaryRegion", "us-east-1"),
            ("SecondaryRegion", "us-west-2"),
            // Answered by scripts/moto_server.py's stub validator.
            ("DrillValidationFunctionArn", "drill-validator"),
        ] {
            definition = definition.replace(&format!("${{{key}}}"), value);
        }
        let created = sfn(
            world,
            region,
            "CreateStateMachine",
            json!({
                "name": common::unique("recovery"),
                "definition": definition,
                "roleArn": "arn:aws:iam::123456789012:role/recovery-workflow",
            }),
        );
        created["stateMachineArn"]
            .as_str()
            .expect("stateMachineArn")
            .to_owned()
    })
    .await
    .clone()
}

/// How an execution ended.
#[derive(Debug)]
struct Execution {
    arn: String,
    status: String,
    output: Value,
    error: Option<String>,
    cause: Option<String>,
    /// The states entered, in order.
    path: Vec<String>,
    /// (error, cause) of every failed Lambda task attempt.
    task_failures: Vec<(String, String)>,
    /// How many history events the execution wrote.
    events: usize,
}

/// The sample input with a fresh database name, polling every second.
fn input(db_instance: &str) -> Value {
    sample("events/recovery-workflow.json", "db_instance", db_instance)
}

/// A sample input whose restore creates `name` (its `field`), polling every second.
fn sample(file: &str, field: &str, name: &str) -> Value {
    let text = std::fs::read_to_string(file).expect("read the sample");
    let mut input: Value = serde_json::from_str(&text).expect("the sample is JSON");
    input["restore"][field] = json!(name);
    input["settings"] = json!({
        "database_poll_seconds": 1,
        "dns_poll_seconds": 1,
    });
    input
}

async fn run(world: &World, input: &Value) -> Execution {
    run_in(world, REGION, input).await
}

/// Runs the workflow deployed in `region` on `input`, to its end.
async fn run_in(world: &World, region: &str, input: &Value) -> Execution {
    let arn = start_in(world, region, input).await;
    wait_for(world, region, arn).await
}

/// Starts the workflow deployed in `region` on `input`; its execution ARN.
async fn start_in(world: &World, region: &str, input: &Value) -> String {
    let machine = state_machine(world, region).await;
    let started = sfn(
        world,
        region,
        "StartExecution",
        // Named: moto 5.2.5 does not make up a name when none is given (it
        // names every such execution "None", and refuses the second).
        json!({
            "stateMachineArn": machine,
            "name": common::unique("execution"),
            "input": input.to_string(),
        }),
    );
    started["executionArn"]
        .as_str()
        .expect("executionArn")
        .to_owned()
}

/// Waits for execution `arn` to end; how it ended.
async fn wait_for(world: &World, region: &str, arn: String) -> Execution {
    let begun = Instant::now();
    let described = loop {
        let described = sfn(
            world,
            region,
            "DescribeExecution",
            json!({"executionArn": arn}),
        );
        if described["status"] != "RUNNING" {
            break described;
        }
        assert!(
            begun.elapsed() < Duration::from_secs(120),
            "{arn} still running"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    // Every page: a platform of 40 databases passes 1,000 events.
    let mut events = Vec::new();
    let mut token = Value::Null;
    loop {
        let mut ask = json!({"executionArn": arn, "maxResults": 1000});
        if !token.is_null() {
            ask["nextToken"] = token.clone();
        }
        let page = sfn(world, region, "GetExecutionHistory", ask);
        events.extend(page["events"].as_array().cloned().unwrap_or_default());
        token = page["nextToken"].clone();
        if token.is_null() {
            break;
        }
    }
    let path = events
        .iter()
        .filter_map(|e| e["stateEnteredEventDetails"]["name"].as_str())
        .map(str::to_owned)
        .collect();
    let task_failures = events
        .iter()
        .filter(|e| e["type"] == "TaskFailed")
        .map(|e| {
            let details = &e["taskFailedEventDetails"];
            let text = |key: &str| details[key].as_str().unwrap_or_default().to_owned();
            (text("error"), text("cause"))
        })
        .collect();
    let text = |key: &str| described[key].as_str().map(str::to_owned);
    Execution {
        arn,
        status: text("status").unwrap_or_default(),
        output: text("output")
            .and_then(|o| serde_json::from_str(&o).ok())
            .unwrap_or(Value::Null),
        error: text("error"),
        cause: text("cause"),
        path,
        task_failures,
        events: events.len(),
    }
}

fn invoke(world: &World, function: &str, event: &Value) -> Value {
    let path = format!("/2015-03-31/functions/{function}/invocations");
    let (status, body) = common::http_post(&world.lambda, &path, &event.to_string());
    assert_eq!(status, 200, "{function}: {body}");
    serde_json::from_str(&body).expect("JSON")
}

/// Traffic back on the primary region, as the seeded world has it.
fn traffic_on_primary(world: &World) {
    let out = invoke(
        world,
        "failover-region",
        &json!({"primary_region": "us-west-2", "secondary_region": "us-east-1"}),
    );
    assert!(
        out["status"] == "INSYNC" || out["status"] == "ALREADY_ACTIVE",
        "{out}"
    );
}

/// The subjects and messages the on-call topic delivered since the last call.
fn oncall_messages(world: &World) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    loop {
        let got = aws_json(
            world,
            "sqs",
            "AmazonSQS.ReceiveMessage",
            &json!({"QueueUrl": world.queue, "MaxNumberOfMessages": 10, "VisibilityTimeout": 300}),
        );
        let messages = got["Messages"].as_array().cloned().unwrap_or_default();
        if messages.is_empty() {
            return out;
        }
        for message in messages {
            aws_json(
                world,
                "sqs",
                "AmazonSQS.DeleteMessage",
                &json!({"QueueUrl": world.queue, "ReceiptHandle": message["ReceiptHandle"]}),
            );
            let envelope: Value =
                serde_json::from_str(message["Body"].as_str().unwrap_or_default())
                    .expect("an SNS envelope");
            let body = serde_json::from_str(envelope["Message"].as_str().unwrap_or_default())
                .unwrap_or(Value::Null);
            out.push((
                envelope["Subject"].as_str().unwrap_or_default().to_owned(),
                body,
            ));
        }
    }
}

/// The value of the application's database name now.
async fn db_record(world: &World) -> String {
    let r53 = common::route53(&world.moto);
    let sets = r53
        .list_resource_record_sets()
        .hosted_zone_id(&world.private_zone)
        .send()
        .await
        .expect("list the private zone");
    let wanted = format!("{}.", world.db_record.trim_end_matches('.'));
    let values: Vec<String> = sets
        .resource_record_sets()
        .iter()
        .filter(|r| r.name() == wanted && r.r#type().as_str() == "CNAME")
        .flat_map(|r| r.resource_records().iter().map(|v| v.value().to_owned()))
        .collect();
    assert_eq!(values.len(), 1, "one CNAME {wanted}: {values:?}");
    values[0].clone()
}

/// The endpoint address of `instance` in the recovery region.
async fn endpoint(world: &World, instance: &str) -> String {
    let rds = common::rds(&world.moto, REGION);
    let described = rds
        .describe_db_instances()
        .db_instance_identifier(instance)
        .send()
        .await
        .expect("describe the restored instance");
    described.db_instances()[0]
        .endpoint()
        .and_then(|e| e.address())
        .expect("an endpoint")
        .to_owned()
}

/// The endpoint address of `cluster` (its writer's) in the recovery region.
async fn cluster_endpoint(world: &World, cluster: &str) -> String {
    let rds = common::rds(&world.moto, REGION);
    let described = rds
        .describe_db_clusters()
        .db_cluster_identifier(cluster)
        .send()
        .await
        .expect("describe the restored cluster");
    described.db_clusters()[0]
        .endpoint()
        .expect("an endpoint")
        .to_owned()
}

/// Which weighted `shop` record carries the traffic: the region of weight > 0.
async fn traffic_region(world: &World) -> String {
    let r53 = common::route53(&world.moto);
    let zones = r53
        .list_hosted_zones_by_name()
        .dns_name("shop.example.com.")
        .send()
        .await
        .expect("find the seeded zone");
    let zone = zones.hosted_zones()[0].id().to_owned();
    let sets = r53
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .send()
        .await
        .expect("list the zone");
    sets.resource_record_sets()
        .iter()
        .find(|r| r.name() == "shop.example.com." && r.weight().unwrap_or(0) > 0)
        .and_then(|r| r.set_identifier())
        .expect("a weighted shop record with traffic")
        .to_owned()
}

fn states(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

/// The path of a restore that succeeds with the cutover and the report on:
/// the restore starts, the function is asked again (moto makes the database
/// available at once; real RDS takes many rounds), the database name is
/// pointed at it and its change waited for, then the traffic moves.
fn succeeded_path() -> Vec<String> {
    let mut path = recovery_start();
    path.extend(states(&[
        "RestoreDatabase",
        "CountRestorePoll",
        "IsDatabaseAvailable",
        "WaitForDatabase",
    ]));
    path.extend(replayed_path().into_iter().skip(recovery_start().len()));
    path
}

/// The path of every recovery up to its restore: the input checked whole,
/// then both dry runs, before the first change.
fn recovery_start() -> Vec<String> {
    states(&[
        "CheckDrillFlag",
        "Settings",
        "PreFlight",
        "UseCheckedInput",
        "MergePollSettings",
        "ApplyPollSettings",
        "IsPlatform",
        "DryRunRestore",
        "IsTrafficMoved",
        "DryRunFailover",
        "IsDrill",
        "StartRestore",
    ])
}

/// The path of an execution whose restore was done already: its first
/// answer is `available`.
fn replayed_path() -> Vec<String> {
    let mut path = recovery_start();
    path.extend(states(&[
        "RestoreDatabase",
        "CountRestorePoll",
        "IsDatabaseAvailable",
        "MarkDatabaseAvailable",
        "IsCutoverConfigured",
        "ReadCurrentDbRecord",
        "IsCurrentRecordTheName",
        "PointDbRecordAtRestored",
        // The traffic waits for the database name's change. moto reports
        // every change INSYNC at once: one read, no wait.
        "StartCutoverSync",
        "GetDnsChange",
        "CountDnsPoll",
        "IsDnsInSync",
        "DoesTrafficMove",
        "FailoverRegion",
        "IsDnsChangePending",
        "ReportSuccess",
        "NotifySuccess",
        "Recovered",
    ]));
    path
}

#[tokio::test]
async fn the_happy_path_restores_points_the_database_name_moves_traffic_and_reports() {
    let world = world_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    traffic_on_primary(&world);
    oncall_messages(&world);
    let before = db_record(&world).await;
    let db = common::unique("wf-happy");

    let execution = run(&world, &input(&db)).await;

    assert_eq!(execution.status, "SUCCEEDED", "{execution:?}");
    assert_eq!(execution.path, succeeded_path());
    let restored = endpoint(&world, &db).await;
    assert_eq!(db_record(&world).await, restored);
    let out = &execution.output;
    assert_eq!(out["restored"]["instance_id"], db);
    assert_eq!(out["restored"]["endpoint"], restored);
    assert!(out["restored"]["port"].is_number(), "{out}");
    // The last DNS wait was the database name's (moto's failover answers
    // INSYNC, so the traffic's needs none), and it read INSYNC.
    assert_eq!(out["dns_wait"]["change_id"], out["cutover"]["change_id"]);
    assert_eq!(out["dns"]["status"], "INSYNC");
    assert_eq!(
        out["cutover_before"]["record_sets"][0]["ResourceRecords"][0]["Value"],
        before
    );
    assert_eq!(out["failed_over"]["status"], "INSYNC");
    assert_eq!(traffic_region(&world).await, "us-west-2");
    let messages = oncall_messages(&world);
    assert_eq!(messages.len(), 1, "{messages:?}");
    let (subject, report) = &messages[0];
    assert_eq!(subject, "dr-lambdas: recovery succeeded");
    assert_eq!(report["deployment"]["execution_arn"], execution.arn);
    assert_eq!(report["restored"]["instance_id"], db);
    assert!(
        report["restored"]["data_loss_seconds"].is_number(),
        "{report}"
    );
    assert_eq!(report["failed_over"]["status"], "INSYNC");
}

#[tokio::test]
async fn a_replayed_execution_restores_nothing_more_and_finds_traffic_already_moved() {
    let world = world_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    traffic_on_primary(&world);
    let db = common::unique("wf-replay");
    let first = run(&world, &input(&db)).await;
    assert_eq!(first.status, "SUCCEEDED", "{first:?}");

    let again = run(&world, &input(&db)).await;

    assert_eq!(again.status, "SUCCEEDED", "{again:?}");
    assert_eq!(again.path, replayed_path());
    assert_eq!(again.output["restored"]["instance_id"], db);
    assert_eq!(again.output["failed_over"]["status"], "ALREADY_ACTIVE");
    assert_eq!(again.output["failed_over"]["change_id"], Value::Null);
    let rds = common::rds(&world.moto, REGION);
    let instances = rds
        .describe_db_instances()
        .send()
        .await
        .expect("list instances");
    let named: Vec<&str> = instances
        .db_instances()
        .iter()
        .filter_map(|i| i.db_instance_identifier())
        .filter(|id| id.starts_with(&db))
        .collect();
    assert_eq!(named, [db.as_str()]);
    assert_eq!(db_record(&world).await, endpoint(&world, &db).await);
}

#[tokio::test]
async fn a_refused_restore_fails_with_its_error_and_cause_and_changes_no_dns() {
    let world = world_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    traffic_on_primary(&world);
    oncall_messages(&world);
    let before = db_record(&world).await;
    let mut refused = input(&common::unique("wf-refused"));
    refused["restore"]["snapshot_id"] = json!("ecommerce-db-no-such-snapshot");

    let execution = run(&world, &refused).await;

    assert_eq!(execution.status, "FAILED", "{execution:?}");
    assert_eq!(
        execution.error.as_deref(),
        Some("SnapshotNotFound"),
        "{execution:?}"
    );
    let cause: Value = serde_json::from_str(execution.cause.as_deref().unwrap_or_default())
        .expect("the Lambda error as JSON");
    assert_eq!(cause["errorType"], "SnapshotNotFound");
    assert!(
        cause["errorMessage"]
            .as_str()
            .unwrap_or_default()
            .starts_with("snapshot 'ecommerce-db-no-such-snapshot' was not found in us-west-2"),
        "{cause}"
    );
    // Refused by the pre-flight's dry run: nothing was started.
    let mut path = recovery_start()[..8].to_vec();
    path.extend(states(&["ReportFailure", "NotifyFailure", "Failed"]));
    assert_eq!(execution.path, path);
    assert_eq!(db_record(&world).await, before);
    assert_eq!(traffic_region(&world).await, "us-east-1");
    let messages = oncall_messages(&world);
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0].0, "dr-lambdas: recovery FAILED");
    assert_eq!(messages[0].1["failure"]["Error"], "SnapshotNotFound");
    assert_eq!(messages[0].1["deployment"]["execution_arn"], execution.arn);
}

#[tokio::test]
async fn a_throttled_restore_is_retried_and_the_recovery_succeeds() {
    let world = world_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    traffic_on_primary(&world);
    std::fs::write(&world.inject, r#"{"restore-database": ["Throttled"]}"#)
        .expect("queue one Throttled");
    let db = common::unique("wf-throttled");

    let execution = run(&world, &input(&db)).await;

    let left = std::fs::read_to_string(&world.inject).unwrap_or_default();
    std::fs::remove_file(&world.inject).ok();
    assert_eq!(
        left, r#"{"restore-database": []}"#,
        "the error was consumed"
    );
    assert_eq!(execution.status, "SUCCEEDED", "{execution:?}");
    let errors: Vec<&str> = execution
        .task_failures
        .iter()
        .map(|(error, _)| error.as_str())
        .collect();
    assert_eq!(errors, ["Throttled"]);
    assert_eq!(execution.output["restored"]["instance_id"], db);
    assert_eq!(execution.output["failed_over"]["status"], "INSYNC");
}

#[tokio::test]
async fn a_database_that_ends_stopped_stops_the_workflow_before_any_failover() {
    let world = world_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    traffic_on_primary(&world);
    let before = db_record(&world).await;
    let db = common::unique("wf-stopped");
    let workflow_input = input(&db);
    // moto's restores are `available` at once: the restore runs first, then
    // the instance is stopped through moto's API, so that the workflow's
    // (idempotent) restore step finds it in a status RDS does not leave by
    // itself.
    let restored = invoke(&world, "restore-database", &workflow_input["restore"]);
    assert_eq!(restored["instance_id"], db, "{restored}");
    common::rds(&world.moto, REGION)
        .stop_db_instance()
        .db_instance_identifier(&db)
        .send()
        .await
        .expect("stop the restored instance");

    let execution = run(&world, &workflow_input).await;

    assert_eq!(execution.status, "FAILED", "{execution:?}");
    assert_eq!(execution.error.as_deref(), Some("DatabaseRestoreFailed"));
    assert!(
        !execution.path.iter().any(|s| s == "FailoverRegion"),
        "{:?}",
        execution.path
    );
    assert_eq!(
        execution.path.iter().rev().take(4).collect::<Vec<_>>(),
        ["Failed", "NotifyFailure", "ReportFailure", "DatabaseBroken"]
    );
    assert_eq!(traffic_region(&world).await, "us-east-1");
    assert_eq!(db_record(&world).await, before);
}

#[tokio::test]
async fn an_aurora_recovery_restores_the_cluster_and_its_writer_and_points_the_name_at_the_cluster()
{
    let world = world_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    traffic_on_primary(&world);
    oncall_messages(&world);
    let cluster = common::unique("wf-aurora");
    let writer = format!("{cluster}-writer");
    let workflow_input = sample(
        "events/recovery-workflow-aurora.json",
        "db_cluster",
        &cluster,
    );

    let execution = run(&world, &workflow_input).await;

    assert_eq!(execution.status, "SUCCEEDED", "{execution:?}");
    assert_eq!(execution.path, succeeded_path());
    let out = &execution.output;
    assert_eq!(out["restored"]["cluster_id"], cluster);
    assert_eq!(out["restored"]["instance_id"], writer);
    assert_eq!(
        out["restored"]["snapshot_id"],
        "orders-aurora-2025-05-12-dr"
    );
    assert_eq!(
        db_record(&world).await,
        cluster_endpoint(&world, &cluster).await
    );
    assert_eq!(traffic_region(&world).await, "us-west-2");
    let rds = common::rds(&world.moto, REGION);
    let described = rds
        .describe_db_instances()
        .db_instance_identifier(&writer)
        .send()
        .await
        .expect("describe the writer");
    let created = &described.db_instances()[0];
    assert_eq!(created.db_cluster_identifier(), Some(cluster.as_str()));
    assert_eq!(created.db_instance_class(), Some("db.serverless"));
    let messages = oncall_messages(&world);
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0].0, "dr-lambdas: recovery succeeded");
    assert_eq!(messages[0].1["restored"]["cluster_id"], cluster);
}

#[tokio::test]
async fn a_workflow_in_us_east_1_recovers_a_database_restored_in_us_west_2() {
    // The stack in one region, the restore in another: the common case of a
    // point-in-time recovery from bad data, whose restore runs beside the
    // source. Step Functions' SDK tasks reach only their own region; the
    // restore function reaches the restore's.
    let world = world_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    traffic_on_primary(&world);
    let db = common::unique("wf-elsewhere");
    let workflow_input = input(&db);
    assert_eq!(workflow_input["restore"]["region"], REGION);

    let execution = run_in(&world, "us-east-1", &workflow_input).await;

    assert_eq!(execution.status, "SUCCEEDED", "{execution:?}");
    // Deployed without an on-call topic (see `state_machine`): no notify.
    let mut path = succeeded_path();
    path.retain(|s| s != "NotifySuccess");
    assert_eq!(execution.path, path);
    assert!(
        execution.arn.contains(":us-east-1:"),
        "the execution runs in us-east-1: {}",
        execution.arn
    );
    let restored = endpoint(&world, &db).await;
    assert_eq!(execution.output["restored"]["region"], REGION);
    assert_eq!(execution.output["restored"]["endpoint"], restored);
    assert_eq!(db_record(&world).await, restored);
    assert_eq!(traffic_region(&world).await, "us-west-2");
    // No on-call message is asserted: the seeded topic is in us-west-2, and
    // moto's interpreter publishes in the state machine's own region (a
    // deployed stack's AlarmTopicArn is in its own region).
}

#[tokio::test]
async fn a_recovery_from_a_read_replica_promotes_it_points_the_name_at_it_and_moves_traffic() {
    // moto promotes at once, and scripts/moto_server.py clears the promoted
    // replica's source as RDS does (its correction 4): the wait reads once.
    let world = world_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    traffic_on_primary(&world);
    oncall_messages(&world);
    let rds = common::rds(&world.moto, REGION);
    let primary = common::unique("wf-primary");
    let replica = common::unique("wf-standby");
    common::seed_replica(&rds, &primary, &replica).await;
    let mut workflow_input = input("unused");
    workflow_input["restore"] = json!({"standby": replica, "region": REGION});

    let execution = run(&world, &workflow_input).await;

    assert_eq!(execution.status, "SUCCEEDED", "{execution:?}");
    assert_eq!(execution.path, succeeded_path());
    assert_eq!(execution.output["restored"]["instance_id"], replica);
    assert_eq!(db_record(&world).await, endpoint(&world, &replica).await);
    assert_eq!(traffic_region(&world).await, "us-west-2");
    let promoted = rds
        .describe_db_instances()
        .db_instance_identifier(&replica)
        .send()
        .await
        .expect("describe the promoted replica");
    assert_eq!(
        promoted.db_instances()[0].read_replica_source_db_instance_identifier(),
        None
    );
    let source = rds
        .describe_db_instances()
        .db_instance_identifier(&primary)
        .send()
        .await
        .expect("describe the primary");
    assert_eq!(
        source.db_instances()[0].db_instance_status(),
        Some("available"),
        "the primary is untouched"
    );
    let messages = oncall_messages(&world);
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0].0, "dr-lambdas: recovery succeeded");
}

/// The drill sample, polling every second.
fn drill_input() -> Value {
    let text = std::fs::read_to_string("events/recovery-drill.json").expect("read the sample");
    let mut input: Value = serde_json::from_str(&text).expect("the sample is JSON");
    input["settings"] = json!({"database_poll_seconds": 1, "dns_poll_seconds": 1});
    input
}

/// The drill record's CNAME values (none once a drill is cleaned up).
async fn drill_record(world: &World) -> Vec<String> {
    let r53 = common::route53(&world.moto);
    let sets = r53
        .list_resource_record_sets()
        .hosted_zone_id(&world.private_zone)
        .send()
        .await
        .expect("list the private zone");
    let wanted = format!("{}.", world.drill_record.trim_end_matches('.'));
    sets.resource_record_sets()
        .iter()
        .filter(|r| r.name() == wanted)
        .flat_map(|r| r.resource_records().iter().map(|v| v.value().to_owned()))
        .collect()
}

/// The instances in `REGION` whose names start with `prefix`.
async fn instances_named(world: &World, prefix: &str) -> Vec<String> {
    let rds = common::rds(&world.moto, REGION);
    let out = rds
        .describe_db_instances()
        .send()
        .await
        .expect("describe instances");
    out.db_instances()
        .iter()
        .filter_map(|d| d.db_instance_identifier())
        .filter(|id| id.starts_with(prefix))
        .map(str::to_owned)
        .collect()
}

/// Asserts that no drill copy of the sample is left in `REGION`.
async fn no_drill_copy_left(world: &World) {
    assert_eq!(
        instances_named(world, "ecommerce-db-recovered-d").await,
        Vec::<String>::new(),
        "a drill copy is left"
    );
}

/// The path every drill that restores takes up to its restore.
fn drill_start() -> Vec<String> {
    states(&[
        "CheckDrillFlag",
        "Settings",
        "PreFlight",
        "UseCheckedInput",
        "MergePollSettings",
        "ApplyPollSettings",
        "IsPlatform",
        "DryRunRestore",
        "IsTrafficMoved",
        "DryRunFailover",
        "IsDrill",
        "ListRunningExecutions",
        "IsAnotherExecutionRunning",
        "SweepLeftovers",
        "IsDrillSkipped",
        "IsPlatformDrill",
        "StartRestore",
        "RestoreDatabase",
    ])
}

fn ends_with(path: &[String], tail: &[&str]) -> bool {
    path.len() >= tail.len() && path[path.len() - tail.len()..] == states(tail)[..]
}

#[tokio::test]
async fn a_drill_restores_cuts_over_its_own_record_validates_reports_and_leaves_nothing_behind() {
    let world = world_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    traffic_on_primary(&world);
    oncall_messages(&world);
    let production_record = db_record(&world).await;

    let execution = run(&world, &drill_input()).await;

    assert_eq!(execution.status, "SUCCEEDED", "{execution:?}");
    assert_eq!(
        execution.path[..drill_start().len()],
        drill_start()[..],
        "{:?}",
        execution.path
    );
    assert!(
        ends_with(
            &execution.path,
            &[
                "FailoverRegion",
                "IsDnsChangePending",
                "ReportSuccess",
                "MarkCutoverInSync",
                "IsValidationConfigured",
                "ValidateDrill",
                "MarkValidated",
                "CleanupDrill",
                "IsCleanupDone",
                "ReportDrill",
                "IsDrillNotified",
                "NotifyDrill",
                "DrillOutcome",
                "DrillSucceeded",
            ]
        ),
        "{:?}",
        execution.path
    );
    let restored = execution.output["restored"]["instance_id"]
        .as_str()
        .expect("the drill's instance");
    assert!(
        restored.starts_with("ecommerce-db-recovered-d"),
        "{restored}"
    );
    assert_eq!(execution.output["failed_over"]["status"], "DRY_RUN");
    // Nothing left: no drill database, no drill record; production as it was.
    no_drill_copy_left(&world).await;
    assert_eq!(drill_record(&world).await, Vec::<String>::new());
    assert_eq!(db_record(&world).await, production_record);
    assert_eq!(
        traffic_region(&world).await,
        "us-east-1",
        "a dry run moves nothing"
    );
    let messages = oncall_messages(&world);
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0].0, "dr-lambdas: drill succeeded");
    let report = &messages[0].1;
    assert_eq!(report["outcome"], "succeeded");
    for step in [
        "requested",
        "database_available",
        "cutover_in_sync",
        "validated",
        "cleaned_up",
    ] {
        assert!(report["timeline"][step].is_string(), "{step}: {report}");
    }
    assert!(report["recovery_time_seconds"].is_u64(), "{report}");
    // The stub validator's newest record is 90 s old at its answer.
    let loss = report["data_loss_seconds"].as_i64().expect("a data loss");
    assert!((60..=180).contains(&loss), "{report}");
    assert_eq!(
        report["steps"]["cleanup"]["deleted"],
        json!([
            format!("record '{}.'", world.drill_record),
            format!("instance '{restored}'")
        ])
    );
    assert_eq!(report["steps"]["cleanup"]["failed"], json!([]));
}

#[tokio::test]
async fn a_drill_whose_validation_fails_is_failed_and_still_cleaned_up() {
    let world = world_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    traffic_on_primary(&world);
    oncall_messages(&world);
    std::fs::write(&world.inject, r#"{"drill-validator": ["Invalid"]}"#).expect("inject");

    let execution = run(&world, &drill_input()).await;

    // A failed drill is reported, not a failed execution: the workflow's
    // failure alarm counts recoveries only.
    assert_eq!(execution.status, "SUCCEEDED", "{execution:?}");
    assert!(
        ends_with(
            &execution.path,
            &[
                "ValidateDrill",
                "MarkValidated",
                "CleanupDrill",
                "IsCleanupDone",
                "ReportDrill",
                "IsDrillNotified",
                "NotifyDrill",
                "DrillOutcome",
                "DrillFailed"
            ]
        ),
        "{:?}",
        execution.path
    );
    no_drill_copy_left(&world).await;
    assert_eq!(drill_record(&world).await, Vec::<String>::new());
    let messages = oncall_messages(&world);
    assert_eq!(messages[0].0, "dr-lambdas: drill FAILED");
    assert_eq!(messages[0].1["steps"]["validation"]["valid"], false);
}

#[tokio::test]
async fn a_drill_whose_restore_fails_is_failed_and_cleans_up_what_there_is() {
    let world = world_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    traffic_on_primary(&world);
    oncall_messages(&world);
    // The first call is the pre-flight's dry run; the second, the restore.
    std::fs::write(&world.inject, r#"{"restore-database": [null, "AwsError"]}"#).expect("inject");

    let execution = run(&world, &drill_input()).await;

    assert_eq!(execution.status, "SUCCEEDED", "{execution:?}");
    assert!(
        ends_with(
            &execution.path,
            &[
                "RestoreDatabase",
                "ReportFailure",
                "IsDrillPrepared",
                "CleanupDrill",
                "IsCleanupDone",
                "ReportDrill",
                "IsDrillNotified",
                "NotifyDrill",
                "DrillOutcome",
                "DrillFailed"
            ]
        ),
        "{:?}",
        execution.path
    );
    no_drill_copy_left(&world).await;
    let messages = oncall_messages(&world);
    assert_eq!(messages[0].0, "dr-lambdas: drill FAILED");
    assert_eq!(messages[0].1["steps"]["failure"]["Error"], "AwsError");
}

#[tokio::test]
async fn a_drill_of_the_production_instance_restores_a_copy_and_never_touches_production() {
    let world = world_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    traffic_on_primary(&world);
    oncall_messages(&world);
    let rds = common::rds(&world.moto, "us-east-1");
    let before = rds
        .describe_db_instances()
        .db_instance_identifier("ecommerce-db")
        .send()
        .await
        .expect("production exists");
    let mut input = drill_input();
    // The production instance's own name, in its own region.
    input["restore"] = json!({"db_instance": "ecommerce-db", "snapshot_id": "latest",
                              "source_db_instance": "ecommerce-db", "region": "us-east-1"});

    let execution = run(&world, &input).await;

    assert_eq!(execution.status, "SUCCEEDED", "{execution:?}");
    let restored = execution.output["restored"]["instance_id"]
        .as_str()
        .expect("restored");
    assert!(restored.starts_with("ecommerce-db-d"), "{restored}");
    let after = rds
        .describe_db_instances()
        .db_instance_identifier("ecommerce-db")
        .send()
        .await
        .expect("production still exists");
    // Everything but latest_restorable_time, which moto computes as "now".
    let facts = |d: &aws_sdk_rds::types::DbInstance| {
        format!(
            "{:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
            d.db_instance_status(),
            d.instance_create_time(),
            d.deletion_protection(),
            d.multi_az(),
            d.db_instance_class(),
            d.endpoint(),
            d.tag_list(),
            d.backup_retention_period()
        )
    };
    assert_eq!(
        facts(&before.db_instances()[0]),
        facts(&after.db_instances()[0]),
        "production untouched"
    );
    let left = rds.describe_db_instances().send().await.expect("describe");
    assert!(
        !left
            .db_instances()
            .iter()
            .any(|d| d.db_instance_identifier() == Some(restored)),
        "the copy is gone"
    );
    oncall_messages(&world);
}

#[tokio::test]
async fn a_drill_of_a_standby_is_refused_and_the_replica_is_still_a_replica() {
    let world = world_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    traffic_on_primary(&world);
    oncall_messages(&world);
    let rds = common::rds(&world.moto, REGION);
    let primary = common::unique("drill-primary");
    let replica = common::unique("drill-standby");
    common::seed_replica(&rds, &primary, &replica).await;
    let mut input = drill_input();
    input["restore"] = json!({"standby": replica, "region": REGION});

    let execution = run(&world, &input).await;

    assert_eq!(execution.status, "SUCCEEDED", "{execution:?}");
    assert!(
        ends_with(
            &execution.path,
            &[
                "PreFlight",
                "InputRefused",
                "DrillInputRefused",
                "ReportDrill",
                "IsDrillNotified",
                "NotifyDrill",
                "DrillOutcome",
                "DrillFailed"
            ]
        ),
        "{:?}",
        execution.path
    );
    let still = rds
        .describe_db_instances()
        .db_instance_identifier(&replica)
        .send()
        .await
        .expect("describe the replica");
    assert_eq!(
        still.db_instances()[0].read_replica_source_db_instance_identifier(),
        Some(primary.as_str())
    );
    let messages = oncall_messages(&world);
    assert_eq!(messages[0].0, "dr-lambdas: drill FAILED");
    assert_eq!(messages[0].1["steps"]["failure"]["Error"], "InvalidRequest");
}

#[tokio::test]
async fn two_drills_in_a_row_each_restore_a_fresh_database() {
    let world = world_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    traffic_on_primary(&world);

    let first = run(&world, &drill_input()).await;
    let second = run(&world, &drill_input()).await;

    assert_eq!(first.status, "SUCCEEDED", "{first:?}");
    assert_eq!(second.status, "SUCCEEDED", "{second:?}");
    let name = |e: &Execution| {
        e.output["restored"]["instance_id"]
            .as_str()
            .map(str::to_owned)
    };
    assert_ne!(name(&first), name(&second));
    assert_eq!(
        second.output["restored"]["replayed"],
        Value::Null,
        "selected out"
    );
    no_drill_copy_left(&world).await;
    oncall_messages(&world);
}

#[tokio::test]
async fn a_drill_while_a_recovery_runs_is_skipped_and_the_recovery_goes_on() {
    let world = world_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    traffic_on_primary(&world);
    oncall_messages(&world);
    let mut recovery = input(&common::unique("wf-during-drill"));
    // Its first answer is "restoring": it waits 5 s before asking again.
    recovery["settings"]["database_poll_seconds"] = json!(5);
    let running = start_in(&world, REGION, &recovery).await;

    let drill = run(&world, &drill_input()).await;
    let recovered = wait_for(&world, REGION, running).await;

    assert_eq!(drill.status, "SUCCEEDED", "{drill:?}");
    assert!(
        ends_with(
            &drill.path,
            &[
                "IsAnotherExecutionRunning",
                "SkipDrillForRunningExecution",
                "ReportDrill",
                "IsDrillNotified",
                "NotifyDrill",
                "DrillOutcome",
                "DrillSkipped"
            ]
        ),
        "{:?}",
        drill.path
    );
    assert_eq!(recovered.status, "SUCCEEDED", "{recovered:?}");
    let messages = oncall_messages(&world);
    let subjects: Vec<&str> = messages.iter().map(|(s, _)| s.as_str()).collect();
    assert!(
        subjects.contains(&"dr-lambdas: drill skipped"),
        "{subjects:?}"
    );
    assert!(
        subjects.contains(&"dr-lambdas: recovery succeeded"),
        "{subjects:?}"
    );
}

/// The schedule's `Target.Input` as template.yaml renders it for
/// `drill_input` (the DrillInput parameter, inserted verbatim by Fn::Sub).
fn scheduled_input(drill_input: &Value) -> Value {
    let template = std::fs::read_to_string("template.yaml").expect("read the template");
    let line = template
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("Input: !Sub '"))
        .expect("the schedule's Input");
    let body = line
        .trim_start_matches("Input: !Sub '")
        .trim_end_matches('\'');
    let rendered = body.replace("${DrillInput}", &drill_input.to_string());
    serde_json::from_str(&rendered).expect("the rendered input is JSON")
}

#[tokio::test]
async fn a_scheduled_drill_is_a_drill_whatever_drill_input_says_and_production_is_untouched() {
    let world = world_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    traffic_on_primary(&world);
    oncall_messages(&world);
    let production = db_record(&world).await;
    for drill in [None, Some(json!(false)), Some(json!("true"))] {
        let mut given = drill_input();
        match &drill {
            Some(value) => given["drill"] = value.clone(),
            None => {
                given.as_object_mut().expect("an object").remove("drill");
            }
        }

        let execution = run(&world, &scheduled_input(&given)).await;

        assert_eq!(execution.status, "SUCCEEDED", "{drill:?}: {execution:?}");
        assert!(
            execution.path.contains(&"SweepLeftovers".to_owned()),
            "{drill:?}: {:?}",
            execution.path
        );
        let restored = execution.output["restored"]["instance_id"]
            .as_str()
            .unwrap_or_default();
        assert!(
            restored.starts_with("ecommerce-db-recovered-d"),
            "{drill:?}: {restored}"
        );
        assert_eq!(execution.output["drill_report"]["outcome"], "succeeded");
        assert_eq!(db_record(&world).await, production, "{drill:?}");
        assert_eq!(traffic_region(&world).await, "us-east-1", "{drill:?}");
        no_drill_copy_left(&world).await;
    }
    oncall_messages(&world);
}

#[tokio::test]
async fn a_drill_flag_that_is_not_a_boolean_is_refused_by_the_first_state() {
    let world = world_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    oncall_messages(&world);
    let mut given = drill_input();
    given["drill"] = json!("true");

    let execution = run(&world, &given).await;

    assert_eq!(execution.status, "FAILED", "{execution:?}");
    assert_eq!(execution.error.as_deref(), Some("InvalidRequest"));
    assert_eq!(
        execution.path,
        states(&[
            "CheckDrillFlag",
            "RefuseDrillFlag",
            "ReportRefusal",
            "NotifyFailure",
            "Failed"
        ])
    );
    assert_eq!(oncall_messages(&world)[0].0, "dr-lambdas: recovery FAILED");
}

/// Traffic on the secondary region, as after a regional failover.
fn traffic_on_secondary(world: &World) {
    let out = invoke(
        world,
        "failover-region",
        &json!({"primary_region": "us-east-1", "secondary_region": "us-west-2"}),
    );
    assert!(
        out["status"] == "INSYNC" || out["status"] == "ALREADY_ACTIVE",
        "{out}"
    );
}

#[tokio::test]
async fn failover_none_restores_and_repoints_the_database_name_and_moves_no_traffic() {
    let world = world_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    // Bad data after a regional failover: traffic and the restore in
    // us-west-2.
    traffic_on_secondary(&world);
    oncall_messages(&world);
    let db = common::unique("wf-bad-data");
    let mut given = input(&db);
    given["failover"] = json!("none");

    let execution = run(&world, &given).await;

    assert_eq!(execution.status, "SUCCEEDED", "{execution:?}");
    assert!(
        !execution
            .path
            .iter()
            .any(|s| s == "DryRunFailover" || s == "FailoverRegion"),
        "{:?}",
        execution.path
    );
    assert!(execution.path.contains(&"FindServingRegion".to_owned()));
    assert_eq!(db_record(&world).await, endpoint(&world, &db).await);
    assert_eq!(traffic_region(&world).await, "us-west-2");
    let messages = oncall_messages(&world);
    assert_eq!(messages[0].0, "dr-lambdas: recovery succeeded");
    assert_eq!(messages[0].1["traffic"], false);
    traffic_on_primary(&world);
}

#[tokio::test]
async fn failover_none_in_a_region_that_serves_no_traffic_is_refused_before_any_change() {
    let world = world_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    traffic_on_primary(&world);
    oncall_messages(&world);
    let before = db_record(&world).await;
    let db = common::unique("wf-bad-data-elsewhere");
    let mut given = input(&db);
    given["failover"] = json!("none");
    assert_eq!(given["restore"]["region"], "us-west-2");

    let execution = run(&world, &given).await;

    assert_eq!(execution.status, "FAILED", "{execution:?}");
    assert_eq!(execution.error.as_deref(), Some("InvalidRequest"));
    assert!(
        ends_with(
            &execution.path,
            &[
                "FindServingRegion",
                "IsRestoreWhereTrafficIs",
                "RestoreNotWhereTrafficIs",
                "ReportFailure",
                "NotifyFailure",
                "Failed"
            ]
        ),
        "{:?}",
        execution.path
    );
    let cause = execution.cause.unwrap_or_default();
    assert!(
        cause.starts_with("restore.region: us-west-2 is not where traffic is served now"),
        "{cause}"
    );
    assert_eq!(instances_named(&world, &db).await, Vec::<String>::new());
    assert_eq!(db_record(&world).await, before);
    oncall_messages(&world);
}

#[tokio::test]
async fn an_input_without_failover_is_refused_restores_nothing_and_tells_oncall() {
    let world = world_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    traffic_on_primary(&world);
    oncall_messages(&world);
    let before = db_record(&world).await;
    let db = common::unique("wf-no-failover");
    let mut given = input(&db);
    given.as_object_mut().expect("an object").remove("failover");

    let execution = run(&world, &given).await;

    assert_eq!(execution.status, "FAILED", "{execution:?}");
    assert_eq!(execution.error.as_deref(), Some("InvalidRequest"));
    assert!(
        ends_with(
            &execution.path,
            &[
                "PreFlight",
                "InputRefused",
                "RecoveryInputRefused",
                "ReportRefusal",
                "NotifyFailure",
                "Failed"
            ]
        ),
        "{:?}",
        execution.path
    );
    assert_eq!(instances_named(&world, &db).await, Vec::<String>::new());
    assert_eq!(db_record(&world).await, before);
    let messages = oncall_messages(&world);
    assert_eq!(messages[0].0, "dr-lambdas: recovery FAILED");
    let cause = messages[0].1["failure"]["Cause"]
        .as_str()
        .unwrap_or_default();
    assert!(
        cause.contains("failover: must say whether traffic moves"),
        "{cause}"
    );
}

#[tokio::test]
async fn a_refused_failover_dry_run_starts_no_restore() {
    let world = world_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    traffic_on_primary(&world);
    oncall_messages(&world);
    let db = common::unique("wf-failover-refused");
    std::fs::write(
        &world.inject,
        r#"{"failover-region": ["SafetyRuleViolation"]}"#,
    )
    .expect("inject");

    let execution = run(&world, &input(&db)).await;

    std::fs::remove_file(&world.inject).ok();
    assert_eq!(execution.status, "FAILED", "{execution:?}");
    assert_eq!(execution.error.as_deref(), Some("SafetyRuleViolation"));
    assert!(
        ends_with(
            &execution.path,
            &["DryRunFailover", "ReportFailure", "NotifyFailure", "Failed"]
        ),
        "{:?}",
        execution.path
    );
    assert_eq!(instances_named(&world, &db).await, Vec::<String>::new());
    assert_eq!(traffic_region(&world).await, "us-east-1");
    oncall_messages(&world);
}

#[tokio::test]
async fn a_300_kb_validation_answer_still_reaches_the_cleanup_and_the_report() {
    let world = world_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    traffic_on_primary(&world);
    oncall_messages(&world);
    std::fs::write(&world.inject, r#"{"drill-validator": ["Huge"]}"#).expect("inject");

    let execution = run(&world, &drill_input()).await;

    std::fs::remove_file(&world.inject).ok();
    assert_eq!(execution.status, "SUCCEEDED", "{execution:?}");
    for state in [
        "ValidateDrill",
        "MarkValidated",
        "CleanupDrill",
        "ReportDrill",
    ] {
        assert!(
            execution.path.contains(&state.to_owned()),
            "{state}: {:?}",
            execution.path
        );
    }
    assert_eq!(
        execution.output["validation_raw"]["answer"]["detail_cut"],
        true
    );
    assert_eq!(execution.output["drill_report"]["outcome"], "succeeded");
    no_drill_copy_left(&world).await;
    oncall_messages(&world);
}

/// The value of CNAME `name` in the private zone now.
async fn record(world: &World, name: &str) -> String {
    let r53 = common::route53(&world.moto);
    let sets = r53
        .list_resource_record_sets()
        .hosted_zone_id(&world.private_zone)
        .send()
        .await
        .expect("list the private zone");
    let wanted = format!("{}.", name.trim_end_matches('.'));
    sets.resource_record_sets()
        .iter()
        .filter(|r| r.name() == wanted && r.r#type().as_str() == "CNAME")
        .flat_map(|r| r.resource_records().iter().map(|v| v.value().to_owned()))
        .next()
        .unwrap_or_else(|| panic!("no CNAME {wanted}"))
}

/// The seeded platform's records (scripts/seed_world.py), by database.
fn platform_records() -> std::collections::BTreeMap<String, String> {
    let text = std::env::var("DR_PLATFORM_RECORDS").expect("DR_PLATFORM_RECORDS is set");
    serde_json::from_str(&text).expect("the platform's records")
}

/// A scenario's start, polling every second.
fn scenario(start: Value) -> Value {
    let mut input = start;
    input["settings"] = json!({"platform_poll_seconds": 1, "dns_poll_seconds": 1});
    input
}

fn count(path: &[String], state: &str) -> usize {
    path.iter().filter(|s| *s == state).count()
}

#[tokio::test]
async fn a_regional_outage_recovers_every_database_cuts_over_in_one_batch_and_moves_traffic_once() {
    let world = world_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    traffic_on_primary(&world);
    oncall_messages(&world);
    let records = platform_records();

    let execution = run(&world, &scenario(json!({"scenario": "regional-outage"}))).await;

    assert_eq!(execution.status, "SUCCEEDED", "{execution:?}");
    for state in [
        "PlatformDryRuns",
        "PlatformDryRunFailover",
        "PlatformRestores",
        "ValidatePlatform",
        "PlanPlatformCutover",
        "PointPlatformRecords",
        "FailoverRegion",
    ] {
        assert_eq!(
            count(&execution.path, state),
            1,
            "{state}: {:?}",
            execution.path
        );
    }
    // The single-database states never ran.
    assert_eq!(count(&execution.path, "RestoreDatabase"), 0);
    // Every name moved, at its own copy.
    assert_eq!(
        record(&world, &records["orders"]).await,
        endpoint(&world, "orders-standby").await
    );
    assert_eq!(
        record(&world, &records["inventory"]).await,
        cluster_endpoint(&world, "inventory-platform-dr").await
    );
    assert_eq!(
        record(&world, &records["customers"]).await,
        endpoint(&world, "customers-platform-dr").await
    );
    assert_eq!(traffic_region(&world).await, "us-west-2");
    let messages = oncall_messages(&world);
    assert_eq!(messages.len(), 1, "{messages:?}");
    let (subject, report) = &messages[0];
    assert_eq!(subject, "dr-lambdas: recovery succeeded");
    // The helper's bounded message (src/drill/notice.rs).
    assert_eq!(report["outcome"], "succeeded");
    assert_eq!(report["scenario"], "regional-outage");
    assert_eq!(report["execution_arn"], execution.arn);
    assert_eq!(report["moved"], json!(["orders", "inventory", "customers"]));
    let databases = report["databases"]
        .as_array()
        .expect("a report per database");
    assert_eq!(databases.len(), 3);
    assert!(databases.iter().all(|d| d["ok"] == true), "{report}");
    assert!(report["recovery_seconds"].is_number(), "{report}");
    assert_eq!(report["traffic"], "INSYNC");
    assert!(
        report.to_string().len() <= dr_lambdas::drill::notice::MAX_MESSAGE_BYTES,
        "{report}"
    );
}

#[tokio::test]
async fn a_skipped_optional_database_is_left_out_and_the_rest_recovers() {
    let world = world_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    traffic_on_primary(&world);
    oncall_messages(&world);

    let execution = run(
        &world,
        &scenario(json!({"scenario": "regional-outage", "skip": ["customers"]})),
    )
    .await;

    assert_eq!(execution.status, "SUCCEEDED", "{execution:?}");
    assert_eq!(
        execution.output["fleet"]["moved"],
        json!(["orders", "inventory"])
    );
    oncall_messages(&world);
}

#[tokio::test]
async fn a_required_database_that_fails_moves_no_name_and_no_traffic_and_the_report_names_it() {
    let world = world_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    traffic_on_primary(&world);
    oncall_messages(&world);
    let records = platform_records();
    let before = record(&world, &records["orders"]).await;
    // Bad data in both required databases: two dry runs pass, then the
    // first restore to run is refused (an AWS error, not retried).
    std::fs::write(
        &world.inject,
        r#"{"restore-database": [null, null, "AwsError"]}"#,
    )
    .expect("inject");

    let before_the_damage = just_before_now();
    let execution = run(
        &world,
        &scenario(
            json!({"scenario": "bad-data", "databases": ["orders", "inventory"],
                          "restore_time": before_the_damage}),
        ),
    )
    .await;
    std::fs::remove_file(&world.inject).ok();

    assert_eq!(execution.status, "FAILED", "{execution:?}");
    assert_eq!(
        execution.error.as_deref(),
        Some("PlatformNotRecovered"),
        "{execution:?}"
    );
    assert_eq!(count(&execution.path, "PointPlatformRecords"), 0);
    assert_eq!(count(&execution.path, "FailoverRegion"), 0);
    assert_eq!(record(&world, &records["orders"]).await, before);
    assert_eq!(traffic_region(&world).await, "us-east-1");
    let cause = execution.cause.unwrap_or_default();
    assert!(cause.contains("(required): AwsError"), "{cause}");
    let messages = oncall_messages(&world);
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0].0, "dr-lambdas: recovery FAILED");
    assert_eq!(messages[0].1["failure"]["Error"], "PlatformNotRecovered");
    assert_eq!(messages[0].1["outcome"], "failed");
}

#[tokio::test]
async fn a_scenario_start_naming_no_database_of_the_plan_is_refused_before_any_change() {
    let world = world_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    oncall_messages(&world);

    let execution = run(
        &world,
        &scenario(json!({"scenario": "regional-outage", "skip": ["payments"]})),
    )
    .await;

    assert_eq!(execution.status, "FAILED", "{execution:?}");
    assert_eq!(execution.error.as_deref(), Some("InvalidRequest"));
    assert_eq!(count(&execution.path, "PlatformRestores"), 0);
    oncall_messages(&world);
}

/// One moto recorder call (`/moto-api/recorder/<action>`).
fn recorder(world: &World, action: &str) -> String {
    let (status, body) =
        common::http_post(&world.moto, &format!("/moto-api/recorder/{action}"), "");
    assert_eq!(status, 200, "{action}: {body}");
    body
}

/// The recorded requests as (service, region, method, path, body).
fn recorded(world: &World) -> Vec<(String, String, String, String, String)> {
    let (status, text) = common::http_get(&world.moto, "/moto-api/recorder/download-recording");
    assert_eq!(status, 200);
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let entry: Value = serde_json::from_str(line).expect("a recorded request");
            let scope = entry["headers"]["Authorization"]
                .as_str()
                .unwrap_or_default()
                .split("Credential=")
                .nth(1)
                .and_then(|c| c.split(',').next())
                .unwrap_or_default()
                .to_owned();
            let parts: Vec<&str> = scope.split('/').collect();
            let body = match (entry["body"].as_str(), entry["body_encoded"].as_bool()) {
                (Some(b), Some(true)) => String::from_utf8_lossy(
                    &aws_smithy_types::base64::decode(b).unwrap_or_default(),
                )
                .into_owned(),
                (Some(b), _) => b.to_owned(),
                _ => String::new(),
            };
            (
                parts.get(3).copied().unwrap_or_default().to_owned(),
                parts.get(2).copied().unwrap_or_default().to_owned(),
                entry["method"].as_str().unwrap_or_default().to_owned(),
                entry["url"].as_str().unwrap_or_default().to_owned(),
                body,
            )
        })
        .collect()
}

#[tokio::test]
async fn forty_databases_recover_in_one_batch_with_one_failover_and_a_few_rds_reads_a_poll() {
    let world = world_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    traffic_on_primary(&world);
    oncall_messages(&world);

    recorder(&world, "reset-recording");
    recorder(&world, "start-recording");
    let execution = run(&world, &scenario(json!({"scenario": "forty-databases"}))).await;
    recorder(&world, "stop-recording");
    let requests = recorded(&world);

    assert_eq!(execution.status, "SUCCEEDED", "{:?}", execution.error);
    assert_eq!(
        execution.output["fleet"]["moved"].as_array().map(Vec::len),
        Some(40)
    );
    // The traffic moved once; the dry run once.
    assert_eq!(count(&execution.path, "FailoverRegion"), 1);
    assert_eq!(count(&execution.path, "PlatformDryRunFailover"), 1);
    // One change batch for the private zone (and the failover's own change
    // of the public zone, once).
    let changes = |zone: &str| {
        requests
            .iter()
            .filter(|(service, _, method, url, _)| {
                service == "route53"
                    && method == "POST"
                    && url.contains(&format!("/hostedzone/{zone}/rrset"))
            })
            .count()
    };
    assert_eq!(changes(&world.private_zone), 1);
    // Nothing deleted, ever.
    let rds: Vec<&(String, String, String, String, String)> =
        requests.iter().filter(|r| r.0 == "rds").collect();
    assert!(
        !rds.iter().any(|r| r.4.contains("Action=Delete")),
        "an RDS Delete* was sent"
    );
    // The platform's polls: batched reads (a db-instance-id or db-cluster-id
    // filter), at most 2 a kind for 40 databases in one region.
    let polls = count(&execution.path, "WatchPlatform");
    let batched = rds
        .iter()
        .filter(|r| r.4.contains("db-instance-id") || r.4.contains("db-cluster-id"))
        .count();
    assert!(polls >= 1);
    assert!(
        batched <= polls * 4,
        "{batched} batched reads in {polls} polls"
    );
    // At the production period (5 s), a poll's reads are under 1 a second.
    let per_second = batched as f64 / polls as f64 / 5.0;
    assert!(per_second <= 1.0, "{per_second} RDS reads a second");
    eprintln!(
        "40 databases: {} RDS requests in all (dry runs, restores, resumes, polls), {batched} batched \
         status reads in {polls} polls, {} history events",
        rds.len(),
        execution.events
    );
    assert!(execution.events < 25_000);
    oncall_messages(&world);
}

/// The endpoint address of `instance` in `region`.
async fn endpoint_in(world: &World, region: &str, instance: &str) -> String {
    let rds = common::rds(&world.moto, region);
    let described = rds
        .describe_db_instances()
        .db_instance_identifier(instance)
        .send()
        .await
        .expect("describe the restored instance");
    described.db_instances()[0]
        .endpoint()
        .and_then(|e| e.address())
        .expect("an endpoint")
        .to_owned()
}

/// A restore time after the seeded databases' creation (moto's restorable
/// window starts then, and ends now), the same for every bad-data test of
/// the run: a second test's restore of the same database is then the same
/// event, a replay, not a refused name.
fn just_before_now() -> String {
    static TIME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TIME.get_or_init(|| {
        dr_lambdas::restore::request::rfc3339(
            (std::time::SystemTime::now() - Duration::from_secs(2)).into(),
        )
    })
    .clone()
}

#[tokio::test]
async fn bad_data_in_one_database_restores_and_repoints_only_it_and_moves_no_traffic() {
    let world = world_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    traffic_on_primary(&world);
    oncall_messages(&world);
    let records = platform_records();
    let inventory_before = record(&world, &records["inventory"]).await;

    let execution = run(
        &world,
        &scenario(json!({"scenario": "bad-data", "databases": ["orders"],
                          "restore_time": just_before_now()})),
    )
    .await;

    assert_eq!(execution.status, "SUCCEEDED", "{execution:?}");
    assert_eq!(execution.output["fleet"]["moved"], json!(["orders"]));
    assert_eq!(
        record(&world, &records["orders"]).await,
        endpoint_in(&world, "us-east-1", "orders-before-bad-data").await
    );
    assert_eq!(
        record(&world, &records["inventory"]).await,
        inventory_before
    );
    assert_eq!(count(&execution.path, "FailoverRegion"), 0);
    assert_eq!(traffic_region(&world).await, "us-east-1");
    oncall_messages(&world);
}

#[tokio::test]
async fn a_required_database_that_fails_validation_moves_no_name_and_no_traffic() {
    let world = world_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    traffic_on_primary(&world);
    oncall_messages(&world);
    let records = platform_records();
    let before = record(&world, &records["inventory"]).await;
    // Both databases are required: whichever is validated first fails.
    std::fs::write(&world.inject, r#"{"drill-validator": ["Invalid"]}"#).expect("inject");

    let execution = run(
        &world,
        &scenario(
            json!({"scenario": "bad-data", "databases": ["orders", "inventory"],
                          "restore_time": just_before_now()}),
        ),
    )
    .await;
    std::fs::remove_file(&world.inject).ok();

    assert_eq!(execution.status, "FAILED", "{execution:?}");
    assert_eq!(execution.error.as_deref(), Some("PlatformNotRecovered"));
    let cause = execution.cause.unwrap_or_default();
    assert!(cause.contains("its validation failed"), "{cause}");
    assert_eq!(count(&execution.path, "PointPlatformRecords"), 0);
    assert_eq!(record(&world, &records["inventory"]).await, before);
    let messages = oncall_messages(&world);
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0].0, "dr-lambdas: recovery FAILED");
}

#[tokio::test]
async fn bad_data_where_traffic_is_not_served_is_refused_before_any_change() {
    let world = world_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    // Traffic on us-west-2: a bad-data restore in us-east-1 would repoint
    // names the application does not use there.
    traffic_on_secondary(&world);
    oncall_messages(&world);
    let records = platform_records();
    let before = record(&world, &records["orders"]).await;

    let execution = run(
        &world,
        &scenario(json!({"scenario": "bad-data", "databases": ["orders"],
                          "restore_time": just_before_now()})),
    )
    .await;

    assert_eq!(execution.status, "FAILED", "{execution:?}");
    assert_eq!(execution.error.as_deref(), Some("InvalidRequest"));
    assert!(
        execution
            .cause
            .as_deref()
            .is_some_and(|c| c.contains("is not where traffic is served now")),
        "{execution:?}"
    );
    assert_eq!(count(&execution.path, "PlatformRestores"), 0);
    assert_eq!(record(&world, &records["orders"]).await, before);
    oncall_messages(&world);
    traffic_on_primary(&world);
}

/// A scheduled drill of the seeded plan's regional outage (orders from its
/// standby, inventory an Aurora cluster, customers an instance), as the
/// schedule renders `DrillInput`, polling every second.
fn plan_drill() -> Value {
    scheduled_input(&json!({
        "scenario": "regional-outage",
        "settings": {"platform_poll_seconds": 1, "dns_poll_seconds": 1},
    }))
}

/// The clusters in `REGION` whose names start with `prefix`.
async fn clusters_named(world: &World, prefix: &str) -> Vec<String> {
    let rds = common::rds(&world.moto, REGION);
    let out = rds
        .describe_db_clusters()
        .send()
        .await
        .expect("describe clusters");
    out.db_clusters()
        .iter()
        .filter_map(|c| c.db_cluster_identifier())
        .filter(|id| id.starts_with(prefix))
        .map(str::to_owned)
        .collect()
}

/// Each production record of the seeded plan, with its CNAME value.
async fn platform_values(world: &World) -> Vec<(String, String)> {
    let mut values = Vec::new();
    for name in platform_records().into_values() {
        let value = record(world, &name).await;
        values.push((name, value));
    }
    values
}

#[tokio::test]
async fn a_drill_of_the_plan_restores_validates_and_points_every_drill_record_then_cleans_up() {
    let world = world_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    traffic_on_primary(&world);
    oncall_messages(&world);
    let production = platform_values(&world).await;

    let execution = run(&world, &plan_drill()).await;

    assert_eq!(execution.status, "SUCCEEDED", "{execution:?}");
    let report = &execution.output["drill_report"]["report"];
    assert_eq!(report["outcome"], "succeeded", "{report}");
    for state in [
        "PlatformDryRuns",
        "SweepLeftovers",
        "PlatformRestores",
        "ValidatePlatform",
        "PointPlatformRecords",
        "CleanupDrill",
        "DrillSucceeded",
    ] {
        assert_eq!(
            count(&execution.path, state),
            1,
            "{state}: {:?}",
            execution.path
        );
    }
    for never in [
        "PlatformDryRunFailover",
        "FailoverRegion",
        "RestoreDatabase",
    ] {
        assert_eq!(
            count(&execution.path, never),
            0,
            "{never}: {:?}",
            execution.path
        );
    }
    let databases = report["steps"]["databases"]
        .as_array()
        .expect("per database");
    let names: Vec<&str> = databases
        .iter()
        .filter_map(|d| d["database"].as_str())
        .collect();
    assert_eq!(names, ["orders", "inventory", "customers"]);
    for db in databases {
        assert_eq!(db["ok"], true, "{db}");
        assert_eq!(db["drill_record_moved"], true, "{db}");
        assert!(db["seconds_to_validated"].is_i64(), "{db}");
    }
    assert!(report["recovery_time_seconds"].is_i64(), "{report}");
    // Each drill record pointed at its own copy until the cleanup deleted it
    // (delete_record deletes a record only while it names this drill's copy).
    let deleted: Vec<&str> = report["steps"]["cleanup"]["deleted"]
        .as_array()
        .expect("deleted")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for name in ["orders", "inventory", "customers"] {
        let record = format!("record '{name}.drilling.orders.internal.'");
        assert!(deleted.contains(&record.as_str()), "{record}: {deleted:?}");
    }
    assert_eq!(
        deleted.len(),
        3 + 4,
        "three records; two instances, and a cluster with its writer: {deleted:?}"
    );
    assert_eq!(report["steps"]["cleanup"]["failed"], json!([]));
    // Nothing left, production untouched, no traffic moved.
    assert_eq!(
        instances_named(&world, "orders-drill-d").await,
        Vec::<String>::new()
    );
    assert_eq!(
        instances_named(&world, "customers-platform-dr-d").await,
        Vec::<String>::new()
    );
    assert_eq!(
        clusters_named(&world, "inventory-platform-dr-d").await,
        Vec::<String>::new()
    );
    assert_eq!(platform_values(&world).await, production);
    assert_eq!(traffic_region(&world).await, "us-east-1");
    let messages = oncall_messages(&world);
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(
        messages[0].0,
        "dr-lambdas: drill of regional-outage succeeded"
    );
}

#[tokio::test]
async fn a_drill_of_a_plan_whose_orders_database_is_a_standby_leaves_it_a_replica_and_says_so() {
    let world = world_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    traffic_on_primary(&world);
    oncall_messages(&world);
    // On demand, as events/recovery-drill-plan.json starts it.
    let text = std::fs::read_to_string("events/recovery-drill-plan.json").expect("the sample");
    let mut input: Value = serde_json::from_str(&text).expect("the sample is JSON");
    input["settings"] = json!({"platform_poll_seconds": 1, "dns_poll_seconds": 1});

    let execution = run(&world, &input).await;

    assert_eq!(execution.status, "SUCCEEDED", "{execution:?}");
    let standby = common::rds(&world.moto, REGION)
        .describe_db_instances()
        .db_instance_identifier("orders-standby")
        .send()
        .await
        .expect("describe the standby");
    assert!(
        standby.db_instances()[0]
            .read_replica_source_db_instance_identifier()
            .is_some(),
        "the standby was promoted"
    );
    let steps = &execution.output["drill_report"]["report"]["steps"];
    let orders = &steps["databases"][0];
    assert_eq!(orders["database"], "orders");
    assert_eq!(orders["promotion_not_rehearsed"], true);
    assert_eq!(steps["databases"][1]["promotion_not_rehearsed"], false);
    let notes = steps["not_rehearsed"].as_array().expect("notes");
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0]
            .as_str()
            .unwrap_or_default()
            .starts_with("orders: the promotion of its standby was not rehearsed"),
        "{notes:?}"
    );
    oncall_messages(&world);
}
