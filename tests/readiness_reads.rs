//! The two reads readiness of the plan adds, at the SDK boundary
//! (aws-smithy-mocks: exactly what is sent, and the answers AWS gives):
//! moto has no RDS `DescribeAccountAttributes`, and its `ListExecutions`
//! would accept a request real Step Functions refuses.

use std::sync::{Arc, Mutex};

use aws_sdk_rds::operation::describe_account_attributes::DescribeAccountAttributesOutput;
use aws_sdk_rds::types::AccountQuota;
use aws_sdk_sfn::operation::list_executions::ListExecutionsOutput;
use aws_sdk_sfn::primitives::DateTime;
use aws_sdk_sfn::types::{ExecutionListItem, ExecutionStatus};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use dr_lambdas::readiness::read;

/// A ListExecutions request: the state machine, the status filter, the most results.
type Sent = (Option<String>, Option<ExecutionStatus>, Option<i32>);

const MACHINE: &str = "arn:aws:states:us-west-2:123456789012:stateMachine:dr-lambdas-recovery";

#[tokio::test]
async fn whether_a_recovery_runs_is_one_list_of_at_most_one_running_execution_of_the_workflow() {
    let sent: Arc<Mutex<Vec<Sent>>> = Arc::default();
    let seen = sent.clone();
    let list = mock!(aws_sdk_sfn::Client::list_executions)
        .match_requests(move |r| {
            seen.lock().unwrap().push((
                r.state_machine_arn().map(str::to_owned),
                r.status_filter().cloned(),
                r.max_results(),
            ));
            true
        })
        .then_output(|| {
            ListExecutionsOutput::builder()
                .executions(
                    ExecutionListItem::builder()
                        .execution_arn(format!("{MACHINE}:recovery-at-3am"))
                        .state_machine_arn(MACHINE)
                        .name("recovery-at-3am")
                        .status(ExecutionStatus::Running)
                        .start_date(DateTime::from_secs(1_796_354_400))
                        .build()
                        .expect("an execution"),
                )
                .build()
                .expect("a list")
        });
    let sfn = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, [&list]);

    let running = read::running_execution(&sfn, MACHINE)
        .await
        .expect("a read");

    assert_eq!(running.as_deref(), Some("recovery-at-3am"));
    assert_eq!(
        sent.lock().unwrap().clone(),
        [(
            Some(MACHINE.to_owned()),
            Some(ExecutionStatus::Running),
            Some(1)
        )]
    );
}

#[tokio::test]
async fn the_quotas_are_read_by_name_with_their_maximum_and_use() {
    let calls = Arc::new(Mutex::new(0));
    let seen = calls.clone();
    let attributes = mock!(aws_sdk_rds::Client::describe_account_attributes)
        .match_requests(move |_| {
            *seen.lock().unwrap() += 1;
            true
        })
        .then_output(|| {
            DescribeAccountAttributesOutput::builder()
                .account_quotas(
                    AccountQuota::builder()
                        .account_quota_name("DBInstances")
                        .used(37)
                        .max(40)
                        .build(),
                )
                .account_quotas(
                    AccountQuota::builder()
                        .account_quota_name("DBClusters")
                        .used(2)
                        .max(40)
                        .build(),
                )
                .build()
        });
    let rds = mock_client!(aws_sdk_rds, RuleMode::MatchAny, [&attributes]);

    let quotas = read::quotas(&rds).await.expect("a read");

    assert_eq!(quotas.get("DBInstances"), Some(&(40, 37)));
    assert_eq!(quotas.get("DBClusters"), Some(&(40, 2)));
    assert_eq!(*calls.lock().unwrap(), 1);
}
