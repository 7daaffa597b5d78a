//! What the primary-unhealthy alarm does, by `AlarmAction`, through the
//! three alarm deliveries (its direct Lambda action, SNS, EventBridge: the
//! events/ samples), against moto's Route 53, SNS, SQS and Step Functions
//! over HTTP.
//!
//! moto deviations relied on: its Step Functions runs the test's one-state
//! workflow (a long Wait), so an execution stays RUNNING for the test; its
//! SNS delivers to an SQS subscription at once.

mod common;

use aws_config::SdkConfig;
use dr_lambdas::aws::{SdkSettings, sdk_config_loader};
use dr_lambdas::failover::dns::DnsMode;
use dr_lambdas::failover::{FailoverHandler, Mode};
use dr_lambdas::plan::alarm::AlarmAction;
use dr_lambdas::plan::{Patterns, Plan, parse};
use dr_lambdas::runtime::{Handler, Invocation};
use serde_json::{Value, json};

const REGION: &str = "us-west-2";

async fn sdk(url: &str) -> SdkConfig {
    sdk_config_loader(&SdkSettings::default())
        .endpoint_url(url)
        .region(aws_config::Region::new(REGION))
        .credentials_provider(aws_sdk_sfn::config::Credentials::new(
            "testing", "testing", None, None, "moto",
        ))
        .load()
        .await
}

/// A sample event of events/.
fn sample(file: &str) -> Value {
    let text = std::fs::read_to_string(format!("events/{file}")).expect("a sample event");
    serde_json::from_str(&text).expect("JSON")
}

/// The three alarm deliveries of an ALARM, as the samples have them.
const IN_ALARM: [&str; 3] = [
    "failover-region-alarm.json",
    "failover-region-sns.json",
    "failover-region-eventbridge.json",
];

/// A plan of three databases, each recovered in us-west-2 (their writers
/// are in us-east-1); `regional-outage` bounded on every one.
fn plan() -> Plan {
    let dr = |db: &str| {
        json!({"db_instance": format!("{db}-dr"), "snapshot_id": "latest",
               "source_db_instance": db, "region": REGION, "max_data_loss_seconds": 86400})
    };
    let databases: Vec<Value> = ["orders", "inventory", "customers"]
        .iter()
        .map(|db| {
            json!({"name": db, "record": format!("{db}.db.internal"),
                   "drill_record": format!("{db}.drill.internal"),
                   "restore": {"regional-outage": dr(db),
                               "bad-data": {"db_instance": format!("{db}-before"), "source_db_instance": db,
                                            "region": "us-east-1"}}})
        })
        .collect();
    let runs_in = json!({"account": "123456789012", "region": REGION});
    let text = json!({
        "version": 1,
        "databases": databases,
        "scenarios": {
            "regional-outage": {"moves_traffic": true, "runs_in": runs_in},
            "bad-data": {"moves_traffic": false, "point_in_time": true, "runs_in": runs_in},
        },
    });
    parse(&text.to_string(), &Patterns::default()).expect("a valid plan")
}

/// What a test looks at: the zone's records, on-call's queue, the workflow.
struct World {
    url: String,
    sdk: SdkConfig,
    r53: aws_sdk_route53::Client,
    zone: String,
    domain: String,
    topic: String,
    queue: String,
    machine: String,
}

async fn world(url: &str) -> World {
    let sdk = sdk(url).await;
    let r53 = common::route53(url);
    let (zone, domain) = common::seed_weighted_zone(&r53, &["shop"]).await;
    let sns = aws_sdk_sns::Client::new(&sdk);
    let topic = sns
        .create_topic()
        .name(common::unique("oncall"))
        .send()
        .await
        .expect("create a topic")
        .topic_arn()
        .unwrap_or_default()
        .to_owned();
    let queue = common::aws_json(
        url,
        REGION,
        "sqs",
        "AmazonSQS.CreateQueue",
        &json!({"QueueName": common::unique("oncall-inbox")}),
    )["QueueUrl"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let queue_arn = format!(
        "arn:aws:sqs:{REGION}:123456789012:{}",
        queue.rsplit('/').next().unwrap_or_default()
    );
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(queue_arn)
        .send()
        .await
        .expect("subscribe the queue");
    let machine = common::waiting_state_machine(
        &aws_sdk_sfn::Client::new(&sdk),
        &format!("{}-recovery", common::unique("stack")),
    )
    .await;
    World {
        url: url.to_owned(),
        sdk,
        r53,
        zone,
        domain,
        topic,
        queue,
        machine,
    }
}

impl World {
    /// The failover function of this world, with `action` and the plan.
    fn handler(&self, action: AlarmAction, plan: Option<Plan>) -> FailoverHandler {
        let mut config = common::failover_config();
        config.alarm_action = Ok(action);
        config.oncall_topic = Some(self.topic.clone());
        config.recovery_state_machine = Some(self.machine.clone());
        let dns = common::dns_config(&self.zone, vec![format!("shop.{}", self.domain)]);
        FailoverHandler::new(config, Mode::Dns(DnsMode::new(self.r53.clone(), dns)))
            .with_alarm_clients(
                aws_sdk_sns::Client::new(&self.sdk),
                aws_sdk_sfn::Client::new(&self.sdk),
            )
            .with_plan(Ok(plan))
    }

    /// The messages on-call's topic delivered since the last call.
    fn pages(&self) -> Vec<String> {
        let got = common::aws_json(
            &self.url,
            REGION,
            "sqs",
            "AmazonSQS.ReceiveMessage",
            &json!({"QueueUrl": self.queue, "MaxNumberOfMessages": 10, "VisibilityTimeout": 300}),
        );
        got["Messages"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| {
                let envelope: Value = serde_json::from_str(m["Body"].as_str().unwrap_or_default())
                    .unwrap_or_default();
                envelope["Message"].as_str().unwrap_or_default().to_owned()
            })
            .collect()
    }

    /// The workflow's executions: (status, input).
    async fn executions(&self) -> Vec<(String, Value)> {
        let sfn = aws_sdk_sfn::Client::new(&self.sdk);
        let listed = sfn
            .list_executions()
            .state_machine_arn(&self.machine)
            .send()
            .await
            .expect("list executions");
        let mut out = Vec::new();
        for e in listed.executions() {
            let described = sfn
                .describe_execution()
                .execution_arn(e.execution_arn())
                .send()
                .await
                .expect("describe an execution");
            out.push((
                e.status().as_str().to_owned(),
                serde_json::from_str(described.input().unwrap_or("null")).unwrap_or_default(),
            ));
        }
        out
    }

    /// Ends every running execution (moto would keep its thread waiting).
    async fn stop(&self) {
        let sfn = aws_sdk_sfn::Client::new(&self.sdk);
        if let Ok(listed) = sfn
            .list_executions()
            .state_machine_arn(&self.machine)
            .send()
            .await
        {
            for e in listed.executions() {
                let _ = sfn
                    .stop_execution()
                    .execution_arn(e.execution_arn())
                    .send()
                    .await;
            }
        }
    }

    async fn records(&self) -> Vec<aws_sdk_route53::types::ResourceRecordSet> {
        common::record_sets(&self.r53, &self.zone).await
    }
}

#[tokio::test]
async fn page_tells_on_call_and_moves_nothing_from_every_alarm_delivery() {
    let url = moto_or_skip!();
    let world = world(&url).await;
    let handler = world.handler(AlarmAction::Page, Some(plan()));
    let before = world.records().await;

    for file in IN_ALARM {
        let out = handler
            .handle(sample(file), &Invocation::new(file))
            .await
            .expect("paged");
        let out = serde_json::to_value(out).expect("JSON");
        assert_eq!(out["status"], "PAGED", "{file}: {out}");
        assert_eq!(out["change_id"], Value::Null, "{file}");
        let pages = world.pages();
        assert_eq!(pages.len(), 1, "{file}: {pages:?}");
        assert!(
            pages[0].contains("is in ALARM. Nothing was moved"),
            "{file}: {}",
            pages[0]
        );
        assert!(
            pages[0].contains(r#"--input '{"scenario": "regional-outage"}'"#),
            "{}",
            pages[0]
        );
    }
    assert_eq!(world.records().await, before);
    assert!(world.executions().await.is_empty());
}

#[tokio::test]
async fn recover_starts_one_execution_of_the_scenario_and_a_second_alarm_starts_nothing() {
    let url = moto_or_skip!();
    let world = world(&url).await;
    let handler = world.handler(AlarmAction::Recover("regional-outage".into()), Some(plan()));
    let before = world.records().await;

    let first = handler
        .handle(sample(IN_ALARM[0]), &Invocation::new("first"))
        .await
        .expect("started");
    let first = serde_json::to_value(first).expect("JSON");
    let again = handler
        .handle(sample(IN_ALARM[1]), &Invocation::new("again"))
        .await
        .expect("found running");
    let again = serde_json::to_value(again).expect("JSON");
    let ok = handler
        .handle(
            sample("failover-region-alarm-ok.json"),
            &Invocation::new("ok"),
        )
        .await
        .expect("skipped");
    let executions = world.executions().await;
    world.stop().await;

    assert_eq!(first["status"], "RECOVERY_STARTED", "{first}");
    assert_eq!(again["status"], "RECOVERY_RUNNING", "{again}");
    assert_eq!(again["execution_arn"], first["execution_arn"]);
    assert_eq!(serde_json::to_value(ok).expect("JSON")["status"], "SKIPPED");
    assert_eq!(
        executions,
        [("RUNNING".to_owned(), json!({"scenario": "regional-outage"}))]
    );
    assert_eq!(
        world.records().await,
        before,
        "the workflow moves traffic, not the alarm"
    );
    let pages = world.pages();
    assert!(
        pages
            .iter()
            .any(|p| p.contains("started the recovery of scenario 'regional-outage'")),
        "{pages:?}"
    );
}

#[tokio::test]
async fn a_running_drill_does_not_keep_an_alarm_from_starting_the_recovery() {
    let url = moto_or_skip!();
    let world = world(&url).await;
    aws_sdk_sfn::Client::new(&world.sdk)
        .start_execution()
        .state_machine_arn(&world.machine)
        .input(r#"{"drill": true, "rehearse": {}}"#)
        .send()
        .await
        .expect("start a drill");
    let handler = world.handler(AlarmAction::Recover("regional-outage".into()), Some(plan()));

    let out = handler
        .handle(sample(IN_ALARM[2]), &Invocation::new("outage"))
        .await
        .expect("started");
    let executions = world.executions().await;
    world.stop().await;

    assert_eq!(
        serde_json::to_value(out).expect("JSON")["status"],
        "RECOVERY_STARTED"
    );
    assert_eq!(executions.len(), 2, "{executions:?}");
}

#[tokio::test]
async fn recover_of_an_unbounded_scenario_is_refused_and_starts_nothing() {
    let url = moto_or_skip!();
    let world = world(&url).await;
    let handler = world.handler(AlarmAction::Recover("bad-data".into()), Some(plan()));

    let err = handler
        .handle(sample(IN_ALARM[0]), &Invocation::new("bad"))
        .await
        .unwrap_err();

    assert_eq!(err.name(), "Misconfigured");
    assert!(
        err.to_string().contains("an alarm never starts it"),
        "{err}"
    );
    assert!(world.executions().await.is_empty());
    let pages = world.pages();
    assert_eq!(pages.len(), 1, "{pages:?}");
    assert!(pages[0].contains("its action was refused"), "{}", pages[0]);
}

#[tokio::test]
async fn traffic_with_primary_homed_databases_is_refused_at_the_alarm_and_moves_nothing() {
    let url = moto_or_skip!();
    let world = world(&url).await;
    let handler = world.handler(AlarmAction::Traffic, Some(plan()));
    let before = world.records().await;

    for file in IN_ALARM {
        let err = handler
            .handle(sample(file), &Invocation::new(file))
            .await
            .unwrap_err();
        assert_eq!(err.name(), "Misconfigured", "{file}");
        assert!(
            err.to_string().contains(
                "databases orders, inventory, customers have their writer in the primary region"
            ),
            "{file}: {err}"
        );
    }
    assert_eq!(world.records().await, before);
    // Each refusal is paged at once, not only once the failure queue fills.
    assert_eq!(world.pages().len(), IN_ALARM.len());
}
