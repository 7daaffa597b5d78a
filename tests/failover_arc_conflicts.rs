//! ARC's `ConflictException` at the SDK boundary, with aws-smithy-mocks.
//!
//! The exception carries `resourceId` and `resourceType` beside its message;
//! ARC documents the rule's ARN in the message. The emulator
//! (scripts/arc_emulator.py) answers a safety rule that way only, and cannot
//! show a refusal whose message names the rule without its ARN while
//! `resourceId` holds it: these mocks stand for both shapes (the field
//! values are this project's assumption, not a captured ARC answer).

use aws_sdk_route53recoverycluster::Client;
use aws_sdk_route53recoverycluster::operation::update_routing_control_states::{
    UpdateRoutingControlStatesError, UpdateRoutingControlStatesOutput,
};
use aws_sdk_route53recoverycluster::types::error::ConflictException;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use dr_lambdas::Error;
use dr_lambdas::failover::arc::cluster::ArcCluster;
use dr_lambdas::failover::arc::plan::{ControlDiff, State};
use dr_lambdas::runtime::Invocation;

const RULE: &str =
    "arn:aws:route53-recovery-control::123456789012:controlpanel/dr-panel/safetyrule/one-on";

/// Five endpoints, each a mocked client answering with `rule`.
fn cluster(rule: &Rule) -> ArcCluster {
    let regions = [
        "us-east-1",
        "us-west-2",
        "eu-west-1",
        "ap-southeast-2",
        "ap-northeast-1",
    ];
    ArcCluster::from_clients(
        regions
            .iter()
            .map(|region| {
                let client =
                    mock_client!(aws_sdk_route53recoverycluster, RuleMode::MatchAny, [rule]);
                (
                    (*region).to_owned(),
                    format!("https://host-{region}.example"),
                    client,
                )
            })
            .collect(),
    )
}

fn conflict(message: &'static str, id: &'static str, kind: &'static str) -> Rule {
    mock!(Client::update_routing_control_states).then_error(move || {
        UpdateRoutingControlStatesError::ConflictException(
            ConflictException::builder()
                .message(message)
                .resource_id(id)
                .resource_type(kind)
                .build()
                .expect("a conflict"),
        )
    })
}

fn changes() -> Vec<ControlDiff> {
    vec![
        ControlDiff {
            region: "us-west-2".into(),
            routing_control_arn: "arn:aws:route53-recovery-control::123456789012:controlpanel/dr-panel/routingcontrol/usw2".into(),
            before: State::Off,
            after: State::On,
        },
        ControlDiff {
            region: "us-east-1".into(),
            routing_control_arn: "arn:aws:route53-recovery-control::123456789012:controlpanel/dr-panel/routingcontrol/use1".into(),
            before: State::On,
            after: State::Off,
        },
    ]
}

async fn update(rule: &Rule) -> Result<(), Error> {
    cluster(rule)
        .update(&changes(), &[], &Invocation::new("req-1"))
        .await
}

#[tokio::test]
async fn a_conflict_whose_resource_is_the_rule_is_a_safety_rule_violation_at_the_first_endpoint() {
    // The message names the rule by its name only: no ARN to read out of it.
    let rule = conflict(
        "The update would violate safety rule one-on.",
        RULE,
        "SafetyRule",
    );

    let err = update(&rule).await.unwrap_err();

    assert_eq!(err.name(), "SafetyRuleViolation");
    match &err {
        Error::SafetyRuleViolation { rules, message } => {
            assert_eq!(rules, &[RULE]);
            assert_eq!(message, "The update would violate safety rule one-on.");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(rule.num_calls(), 1, "a permanent refusal is not retried");
}

#[tokio::test]
async fn a_conflict_that_names_the_rule_only_in_its_message_is_still_a_violation() {
    let rule = conflict(
        "The update would violate safety rule arn:aws:route53-recovery-control::123456789012:controlpanel/dr-panel/safetyrule/one-on: at least 1 routing control must be On.",
        "arn:aws:route53-recovery-control::123456789012:controlpanel/dr-panel/routingcontrol/use1",
        "RoutingControl",
    );

    let err = update(&rule).await.unwrap_err();

    match &err {
        Error::SafetyRuleViolation { rules, .. } => assert_eq!(rules, &[RULE]),
        other => panic!("{other:?}"),
    }
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn a_conflict_that_names_no_rule_tries_every_endpoint_then_is_retryable() {
    let rule = conflict(
        "There was a conflict with this request. Try again.",
        "arn:aws:route53-recovery-control::123456789012:controlpanel/dr-panel/routingcontrol/use1",
        "RoutingControl",
    );

    let err = update(&rule).await.unwrap_err();

    assert_eq!(err.name(), "ServiceUnavailable");
    assert_eq!(rule.num_calls(), 5);
}

#[tokio::test]
async fn an_accepted_update_is_sent_once() {
    let rule = mock!(Client::update_routing_control_states)
        .then_output(|| UpdateRoutingControlStatesOutput::builder().build());

    update(&rule).await.unwrap();

    assert_eq!(rule.num_calls(), 1);
}
