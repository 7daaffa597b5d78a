//! What an alarm's action sends, at the SDK boundary (aws-smithy-mocks:
//! exactly the requests, and the answers AWS gives). moto accepts a
//! StartExecution name or an SNS subject real AWS refuses, and its
//! ExecutionAlreadyExists does not follow Step Functions' rules for a
//! running execution; these show the requests themselves.

use std::sync::{Arc, Mutex};

use aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput;
use aws_sdk_sfn::operation::list_executions::ListExecutionsOutput;
use aws_sdk_sfn::operation::start_execution::{StartExecutionError, StartExecutionOutput};
use aws_sdk_sfn::primitives::DateTime;
use aws_sdk_sfn::types::error::ExecutionAlreadyExists;
use aws_sdk_sfn::types::{ExecutionListItem, ExecutionStatus};
use aws_sdk_sns::operation::publish::PublishOutput;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use dr_lambdas::failover::alarm::{self, Started};

const MACHINE: &str = "arn:aws:states:us-west-2:123456789012:stateMachine:dr-lambdas-recovery";
const TOPIC: &str = "arn:aws:sns:eu-west-1:123456789012:dr-oncall";

type Log = Arc<Mutex<Vec<String>>>;

fn listing(log: &Log, running: Vec<ExecutionListItem>) -> Rule {
    let log = log.clone();
    mock!(aws_sdk_sfn::Client::list_executions)
        .match_requests(move |r| {
            log.lock().unwrap().push(format!(
                "ListExecutions {} {:?} {:?}",
                r.state_machine_arn().unwrap_or_default(),
                r.status_filter(),
                r.max_results()
            ));
            true
        })
        .then_output(move || {
            ListExecutionsOutput::builder()
                .set_executions(Some(running.clone()))
                .build()
                .expect("a list")
        })
}

fn running(name: &str) -> ExecutionListItem {
    ExecutionListItem::builder()
        .execution_arn(format!("{MACHINE}:{name}").replace(":stateMachine:", ":execution:"))
        .state_machine_arn(MACHINE)
        .name(name)
        .status(ExecutionStatus::Running)
        .start_date(DateTime::from_secs(1_796_354_400))
        .build()
        .expect("an execution")
}

fn starting(log: &Log) -> Rule {
    let log = log.clone();
    mock!(aws_sdk_sfn::Client::start_execution)
        .match_requests(move |r| {
            log.lock().unwrap().push(format!(
                "StartExecution {} {} {}",
                r.state_machine_arn().unwrap_or_default(),
                r.name().unwrap_or_default(),
                r.input().unwrap_or_default()
            ));
            true
        })
        .then_output(|| {
            StartExecutionOutput::builder()
                .execution_arn(
                    "arn:aws:states:us-west-2:123456789012:execution:dr-lambdas-recovery:x",
                )
                .start_date(DateTime::from_secs(1_796_354_400))
                .build()
                .expect("a start")
        })
}

#[tokio::test]
async fn recover_lists_the_running_executions_then_starts_one_named_for_the_outage() {
    let log = Log::default();
    let (list, start) = (listing(&log, vec![]), starting(&log));
    let sfn = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, [&list, &start]);

    let started = alarm::start(
        &sfn,
        MACHINE,
        "alarm-regional-outage-202505132145",
        "regional-outage",
    )
    .await
    .expect("started");

    assert!(matches!(started, Started::New(_)), "{started:?}");
    assert_eq!(
        log.lock().unwrap().clone(),
        [
            format!("ListExecutions {MACHINE} Some(Running) Some(10)"),
            format!(
                "StartExecution {MACHINE} alarm-regional-outage-202505132145 {{\"scenario\":\"regional-outage\"}}"
            ),
        ]
    );
}

#[tokio::test]
async fn a_running_recovery_means_no_start_is_sent() {
    let log = Log::default();
    let list = listing(&log, vec![running("recovery-at-3am")]);
    let describe = mock!(aws_sdk_sfn::Client::describe_execution).then_output(|| {
        DescribeExecutionOutput::builder()
            .execution_arn("a")
            .state_machine_arn(MACHINE)
            .status(ExecutionStatus::Running)
            .start_date(DateTime::from_secs(1_796_354_400))
            .input(r#"{"scenario": "regional-outage"}"#)
            .build()
            .expect("a description")
    });
    let start = starting(&log);
    let sfn = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, [&list, &describe, &start]);

    let started = alarm::start(&sfn, MACHINE, "alarm-x-1", "regional-outage")
        .await
        .expect("found running");

    assert!(matches!(started, Started::Running(_)), "{started:?}");
    assert_eq!(log.lock().unwrap().len(), 1, "only the listing: {log:?}");
}

#[tokio::test]
async fn an_existing_execution_of_the_name_is_reported_as_started_earlier() {
    let log = Log::default();
    let list = listing(&log, vec![]);
    let exists = mock!(aws_sdk_sfn::Client::start_execution).then_error(|| {
        StartExecutionError::ExecutionAlreadyExists(
            ExecutionAlreadyExists::builder()
                .message("Execution Already Exists")
                .build(),
        )
    });
    let sfn = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, [&list, &exists]);

    let started = alarm::start(&sfn, MACHINE, "alarm-x-1", "regional-outage")
        .await
        .expect("started earlier");

    assert_eq!(
        started,
        Started::Earlier(
            "arn:aws:states:us-west-2:123456789012:execution:dr-lambdas-recovery:alarm-x-1".into()
        )
    );
}

#[tokio::test]
async fn a_page_goes_to_the_topic_with_a_subject_of_at_most_100_characters() {
    let sent: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let seen = sent.clone();
    let publish = mock!(aws_sdk_sns::Client::publish)
        .match_requests(move |r| {
            seen.lock().unwrap().push((
                r.topic_arn().unwrap_or_default().to_owned(),
                r.subject().unwrap_or_default().to_owned(),
            ));
            true
        })
        .then_output(|| PublishOutput::builder().message_id("m-1").build());
    let sns = mock_client!(aws_sdk_sns, RuleMode::MatchAny, [&publish]);

    let id = alarm::publish(&sns, TOPIC, &"s".repeat(300), "the message")
        .await
        .expect("published");

    assert_eq!(id, "m-1");
    let sent = sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, TOPIC);
    assert_eq!(sent[0].1.len(), 100);
}
