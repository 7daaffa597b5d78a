//! The drill's cleanup, the project's only delete: what it sends (at the SDK
//! boundary, aws-smithy-mocks) and what it refuses (against moto, and
//! mocked); and the primary alarm's precondition.

mod common;

use std::sync::{Arc, Mutex};

use aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput;
use aws_sdk_cloudwatch::types::{MetricAlarm, StateValue};
use aws_sdk_rds::Client;
use aws_sdk_rds::operation::delete_db_instance::DeleteDbInstanceOutput;
use aws_sdk_rds::operation::describe_db_instances::DescribeDbInstancesOutput;
use aws_sdk_rds::types::{DbInstance, Tag};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use dr_lambdas::drill::{DrillHandler, DrillSettings};
use dr_lambdas::runtime::{Handler, Invocation};
use serde_json::{Value, json};

const DRILL_DB: &str = "orders-dr-d1a2b3c4e";

fn instance(id: &str, drill_tag: Option<&str>) -> DbInstance {
    let mut db = DbInstance::builder()
        .db_instance_identifier(id)
        .db_instance_status("available");
    if let Some(marker) = drill_tag {
        db = db.tag_list(Tag::builder().key("dr-lambdas:drill").value(marker).build());
    }
    db.build()
}

fn described(db: DbInstance) -> Rule {
    mock!(Client::describe_db_instances).then_output(move || {
        DescribeDbInstancesOutput::builder()
            .db_instances(db.clone())
            .build()
    })
}

type Deletes = Arc<Mutex<Vec<(String, Option<bool>, Option<bool>)>>>;

fn delete(sent: &Deletes) -> Rule {
    let sent = sent.clone();
    mock!(Client::delete_db_instance)
        .match_requests(move |r| {
            sent.lock().unwrap().push((
                r.db_instance_identifier().unwrap_or_default().to_owned(),
                r.skip_final_snapshot(),
                r.delete_automated_backups(),
            ));
            true
        })
        .then_output(|| DeleteDbInstanceOutput::builder().build())
}

fn handler(
    rds: Client,
    cloudwatch: aws_sdk_cloudwatch::Client,
    settings: DrillSettings,
) -> DrillHandler {
    let route53 = mock_client!(aws_sdk_route53, RuleMode::MatchAny, []);
    DrillHandler::new(rds, route53, cloudwatch, "us-west-2", settings)
}

fn no_cloudwatch() -> aws_sdk_cloudwatch::Client {
    mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [])
}

async fn cleanup(
    handler: &DrillHandler,
    marker: &str,
    db: &str,
) -> Result<Value, dr_lambdas::Error> {
    handler
        .handle(
            json!({"action": "cleanup", "marker": marker,
                   "restore": {"db_instance": db, "snapshot_id": "latest", "region": "us-west-2"}}),
            &Invocation::new("req-1"),
        )
        .await
}

#[tokio::test]
async fn the_drills_own_database_is_deleted_without_a_final_snapshot_or_its_backups() {
    let sent = Deletes::default();
    let rds = mock_client!(
        aws_sdk_rds,
        RuleMode::MatchAny,
        [
            &described(instance(DRILL_DB, Some("drill-1"))),
            &delete(&sent)
        ]
    );
    let out = cleanup(
        &handler(rds, no_cloudwatch(), DrillSettings::default()),
        "drill-1",
        DRILL_DB,
    )
    .await
    .unwrap();
    assert_eq!(
        *sent.lock().unwrap(),
        [(DRILL_DB.to_owned(), Some(true), Some(true))]
    );
    assert_eq!(out["deleted"], json!([format!("instance '{DRILL_DB}'")]));
}

#[tokio::test]
async fn a_database_without_this_drills_tag_is_refused_and_nothing_is_deleted() {
    for tag in [None, Some("another-drill")] {
        let sent = Deletes::default();
        let rds = mock_client!(
            aws_sdk_rds,
            RuleMode::MatchAny,
            [&described(instance(DRILL_DB, tag)), &delete(&sent)]
        );
        let out = cleanup(
            &handler(rds, no_cloudwatch(), DrillSettings::default()),
            "drill-1",
            DRILL_DB,
        )
        .await
        .unwrap();
        assert_eq!(out["failed"][0]["error"], "DrillCleanupRefused", "{tag:?}");
        assert!(sent.lock().unwrap().is_empty(), "{tag:?}");
    }
}

#[tokio::test]
async fn a_production_name_is_refused_even_with_the_drills_tag() {
    // Someone tagged production (the restore role may tag): the name pattern
    // still holds, in code as in IAM.
    let sent = Deletes::default();
    let rds = mock_client!(
        aws_sdk_rds,
        RuleMode::MatchAny,
        [
            &described(instance("ecommerce-db", Some("drill-1"))),
            &delete(&sent)
        ]
    );
    let out = cleanup(
        &handler(rds, no_cloudwatch(), DrillSettings::default()),
        "drill-1",
        "ecommerce-db",
    )
    .await
    .unwrap();
    assert_eq!(out["failed"][0]["error"], "DrillCleanupRefused");
    let message = out["failed"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("not a drill identifier"), "{message}");
    assert!(sent.lock().unwrap().is_empty());
}

#[tokio::test]
async fn against_moto_an_untagged_lookalike_survives_the_cleanup() {
    let Some(url) = common::moto_url() else {
        return;
    };
    let rds = common::rds(&url, "us-west-2");
    let lookalike = format!("{}-d0000beef", common::unique("lookalike"));
    rds.create_db_instance()
        .db_instance_identifier(&lookalike)
        .engine("postgres")
        .db_instance_class("db.t4g.micro")
        .allocated_storage(20)
        .master_username("orders")
        .master_user_password("not-a-secret-1")
        .send()
        .await
        .expect("create the lookalike");
    let handler = handler(rds.clone(), no_cloudwatch(), DrillSettings::default());

    let out = cleanup(&handler, "drill-1", &lookalike).await.unwrap();

    assert_eq!(out["failed"][0]["error"], "DrillCleanupRefused");
    let still = rds
        .describe_db_instances()
        .db_instance_identifier(&lookalike)
        .send()
        .await
        .expect("still there");
    assert_eq!(
        still.db_instances()[0].db_instance_status(),
        Some("available")
    );
}

fn alarm_in(state: StateValue) -> aws_sdk_cloudwatch::Client {
    let rule = mock!(aws_sdk_cloudwatch::Client::describe_alarms)
        .match_requests(|r| r.alarm_names() == ["dr-primary-unhealthy"])
        .then_output(move || {
            DescribeAlarmsOutput::builder()
                .metric_alarms(
                    MetricAlarm::builder()
                        .alarm_name("dr-primary-unhealthy")
                        .state_value(state.clone())
                        .build(),
                )
                .build()
        });
    mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [&rule])
}

async fn sweep(cloudwatch: aws_sdk_cloudwatch::Client) -> Value {
    let rds = mock_client!(
        aws_sdk_rds,
        RuleMode::MatchAny,
        [
            &mock!(Client::describe_db_instances)
                .then_output(|| DescribeDbInstancesOutput::builder().build()),
            &mock!(Client::describe_db_clusters).then_output(|| {
                aws_sdk_rds::operation::describe_db_clusters::DescribeDbClustersOutput::builder()
                    .build()
            })
        ]
    );
    let settings = DrillSettings {
        alarm: Some(("dr-primary-unhealthy".into(), "us-east-1".into())),
        ..DrillSettings::default()
    };
    handler(rds, cloudwatch, settings)
        .handle(
            json!({"action": "sweep",
                   "restores": [{"db_instance": "orders-dr-d1a2b3c4e", "snapshot_id": "latest",
                               "source_db_instance": "orders", "region": "us-west-2",
                               "drill": "drill-1"}]}),
            &Invocation::new("req-1"),
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn a_drill_is_skipped_while_the_primarys_alarm_is_in_alarm() {
    let out = sweep(alarm_in(StateValue::Alarm)).await;
    assert!(
        out["skip"]
            .as_str()
            .unwrap_or_default()
            .contains("is in ALARM"),
        "{out}"
    );
}

#[tokio::test]
async fn a_drill_sweeps_when_the_primarys_alarm_is_quiet() {
    let out = sweep(alarm_in(StateValue::Ok)).await;
    assert_eq!(out["skip"], Value::Null, "{out}");
    assert_eq!(out["deleted"], json!([]));
}
