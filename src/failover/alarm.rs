//! What an alarm in ALARM does, by the deploy's `AlarmAction`
//! (`crate::plan::alarm`): tell on-call, start a scenario's recovery, or
//! move traffic (the failover itself, in `mod.rs`). The pure part names the
//! recovery and words the messages; the shell publishes to on-call's topic
//! and starts the workflow.

use aws_sdk_sfn::types::ExecutionStatus;
use serde_json::{Value, json};
use tracing::{info, warn};

use crate::error::{Error, from_sdk};
use crate::trigger::Trigger;

/// A recovery the alarm started, or found started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Started {
    /// This delivery started it.
    New(String),
    /// A recovery was running (a second ALARM, or another alarm): nothing
    /// started.
    Running(String),
    /// An execution of this name exists: an alarm of the same quarter hour,
    /// or this delivery's earlier attempt, started it; it may have ended.
    /// Nothing started.
    Earlier(String),
}

/// How long the alarms that start one scenario's recovery are taken for one
/// outage: a retried delivery, a second alarm on the same outage (the
/// stack's own, and one on the trigger topic), or a flap within it, name
/// the same execution, which Step Functions starts once. `ListExecutions`,
/// checked first, is eventually consistent: the name is what holds.
pub const SAME_OUTAGE_MINUTES: u32 = 15;

/// The name of the execution an alarm starts for `scenario`: the scenario
/// and the quarter hour of the alarm's state change
/// (`alarm-regional-outage-202505132145`). Step Functions names are at most
/// 80 characters of letters, digits, `-` and `_`.
pub fn execution_name(trigger: &Trigger, scenario: &str, request_id: &str) -> String {
    let at = match trigger {
        Trigger::Alarm { changed_at, .. } => changed_at.as_deref(),
        Trigger::Direct | Trigger::RegionSwitch(_) => None,
    };
    let keep = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let scenario: String = scenario.chars().filter(|c| keep(*c)).take(40).collect();
    let digits: String = at
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .take(12)
        .collect();
    let minute = digits.get(10..12).and_then(|m| m.parse::<u32>().ok());
    let when = match (digits.get(..10), minute) {
        (Some(hour), Some(minute)) => {
            format!("{hour}{:02}", minute - minute % SAME_OUTAGE_MINUTES)
        }
        // Without the alarm's own time, the invocation's id: a retry may
        // then start a second recovery, which the running check stops.
        _ => request_id.chars().filter(|c| keep(*c)).take(32).collect(),
    };
    format!("alarm-{scenario}-{when}")
}

/// The workflow's input for `scenario`, as on-call would start it.
pub fn recovery_input(scenario: &str) -> Value {
    json!({ "scenario": scenario })
}

/// Whether a running execution's input is a drill's (which a real recovery
/// does not wait for).
pub fn is_drill_input(input: &str) -> bool {
    serde_json::from_str::<Value>(input)
        .is_ok_and(|v| v.get("drill") == Some(&Value::Bool(true)) || v.get("rehearse").is_some())
}

/// The page under `AlarmAction=page`: what fired, that nothing moved, and
/// the two commands that decide.
pub fn page_message(
    trigger: &Trigger,
    state_machine: Option<&str>,
    scenarios: &[String],
) -> String {
    let start = match state_machine {
        Some(arn) if !scenarios.is_empty() => {
            // The workflow's own region, so that the command works from any
            // shell.
            let region = arn.split(':').nth(3).unwrap_or_default();
            let commands: Vec<String> = scenarios
                .iter()
                .map(|scenario| {
                    format!(
                        "  aws stepfunctions start-execution --region {region} \
                         --state-machine-arn {arn} --input '{{\"scenario\": \"{scenario}\"}}'"
                    )
                })
                .collect();
            format!(
                "To recover the platform (databases, then traffic once), start the scenario \
                 of the recovery plan that fits (README runbook, step 2):\n{}\n",
                commands.join("\n")
            )
        }
        _ => "To recover, follow the README's runbook.\n".to_owned(),
    };
    format!(
        "{trigger} is in ALARM. Nothing was moved: this deployment's AlarmAction is page, so \
         that an automatic, data-losing recovery is a person's decision.\n\n{start}\nIf it is a \
         false alarm (a flapping health check), nothing is to be done."
    )
}

/// The page when an alarm started a recovery, or found one running.
pub fn started_message(trigger: &Trigger, scenario: &str, started: &Started) -> String {
    match started {
        Started::New(arn) => format!(
            "{trigger} is in ALARM: AlarmAction recover:{scenario} started the recovery of \
             scenario '{scenario}'.\nExecution: {arn}\nIts end is reported on this topic. To \
             stop it: aws stepfunctions stop-execution --execution-arn {arn}"
        ),
        Started::Running(arn) => format!(
            "{trigger} is in ALARM again; a recovery is already running ({arn}): nothing \
             started."
        ),
        Started::Earlier(arn) => format!(
            "{trigger} is in ALARM; an alarm of the same quarter hour already started the \
             recovery of scenario '{scenario}' ({arn}), which may have ended: nothing started. \
             Look at it (aws stepfunctions describe-execution --execution-arn {arn}); if it \
             failed, decide, and start the next one by hand."
        ),
    }
}

/// The page when the alarm's action was refused: what fired, why nothing
/// moved or started, and how to decide.
pub fn refusal_message(trigger: &Trigger, refusal: &Error, state_machine: Option<&str>) -> String {
    let start = match state_machine {
        Some(arn) => format!(
            "To recover by hand: aws stepfunctions start-execution --state-machine-arn {arn} \
             --input '{{\"scenario\": \"<scenario>\"}}'"
        ),
        None => "To recover by hand, follow the README's runbook.".to_owned(),
    };
    format!(
        "{trigger} is in ALARM, and its action was refused: nothing was moved or started.\n\n\
         {}: {refusal}\n\n{start}",
        refusal.name()
    )
}

/// Publishes `message` to on-call's topic (in the topic's own region).
pub async fn publish(
    sns: &aws_sdk_sns::Client,
    topic: &str,
    subject: &str,
    message: &str,
) -> Result<String, Error> {
    let region = topic.split(':').nth(3).unwrap_or_default().to_owned();
    let out = sns
        .publish()
        .topic_arn(topic)
        .subject(subject.chars().take(100).collect::<String>())
        .message(message)
        .customize()
        .config_override(
            aws_sdk_sns::config::Builder::default()
                .region(aws_sdk_sns::config::Region::new(region)),
        )
        .send()
        .await
        .map_err(|e| from_sdk("Publish", e))?;
    Ok(out.message_id().unwrap_or_default().to_owned())
}

/// Starts the recovery of `scenario`, unless one runs already (a drill does
/// not count: an outage is not kept waiting by a rehearsal).
pub async fn start(
    sfn: &aws_sdk_sfn::Client,
    state_machine: &str,
    name: &str,
    scenario: &str,
) -> Result<Started, Error> {
    let running = sfn
        .list_executions()
        .state_machine_arn(state_machine)
        .status_filter(ExecutionStatus::Running)
        .max_results(10)
        .send()
        .await
        .map_err(|e| from_sdk("ListExecutions", e))?;
    for execution in running.executions() {
        let described = sfn
            .describe_execution()
            .execution_arn(execution.execution_arn())
            .send()
            .await
            .map_err(|e| from_sdk("DescribeExecution", e))?;
        if !described.input().is_some_and(is_drill_input) {
            info!(running = %execution.execution_arn(), "a recovery runs: nothing started");
            return Ok(Started::Running(execution.execution_arn().to_owned()));
        }
    }
    let started = sfn
        .start_execution()
        .state_machine_arn(state_machine)
        .name(name)
        .input(recovery_input(scenario).to_string())
        .send()
        .await;
    match started {
        Ok(out) => Ok(Started::New(out.execution_arn().to_owned())),
        // An earlier alarm of this outage, or this delivery's earlier
        // attempt, started it (it may have ended since): a name is started
        // once.
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_execution_already_exists()) =>
        {
            warn!(name, "this outage's recovery was started already");
            Ok(Started::Earlier(execution_arn(state_machine, name)))
        }
        Err(e) => Err(from_sdk("StartExecution", e)),
    }
}

/// The ARN of execution `name` of `state_machine`.
fn execution_arn(state_machine: &str, name: &str) -> String {
    format!(
        "{}:{name}",
        state_machine.replacen(":stateMachine:", ":execution:", 1)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trigger::AlarmPath;

    fn alarm(name: &str, at: Option<&str>) -> Trigger {
        Trigger::Alarm {
            name: name.into(),
            path: AlarmPath::Sns,
            changed_at: at.map(str::to_owned),
        }
    }

    #[test]
    fn a_retried_delivery_names_the_same_execution() {
        let t = alarm("dr primary/unhealthy", Some("2025-05-13T21:48:00.000+0000"));
        assert_eq!(
            execution_name(&t, "regional-outage", "req-1"),
            "alarm-regional-outage-202505132145"
        );
        assert_eq!(
            execution_name(&t, "regional-outage", "req-1"),
            execution_name(&t, "regional-outage", "req-2")
        );
    }

    #[test]
    fn two_alarms_of_the_same_quarter_hour_name_the_same_execution() {
        let first = alarm("dr-primary-unhealthy", Some("2025-05-13T21:45:10Z"));
        let second = alarm("dr-trigger", Some("2025-05-13T21:59:59.000+0000"));
        let later = alarm("dr-trigger", Some("2025-05-13T22:00:00.000+0000"));
        assert_eq!(
            execution_name(&first, "regional-outage", "a"),
            execution_name(&second, "regional-outage", "b")
        );
        assert_eq!(
            execution_name(&later, "regional-outage", "c"),
            "alarm-regional-outage-202505132200"
        );
    }

    #[test]
    fn an_execution_name_fits_step_functions_limit() {
        let t = alarm(&"a".repeat(255), None);
        let name = execution_name(&t, &"s".repeat(40), &"f".repeat(36));
        assert!(name.len() <= 80, "{}", name.len());
    }

    #[test]
    fn a_refusal_page_says_nothing_moved_and_why() {
        let refusal = Error::Misconfigured {
            variable: "ALARM_ACTION",
            reason: "is recover:bad-data".into(),
        };
        let text = refusal_message(&alarm("dr-primary", None), &refusal, None);
        assert!(
            text.starts_with("alarm:dr-primary (SNS) is in ALARM, and its action was refused"),
            "{text}"
        );
        assert!(
            text.contains("Misconfigured: the function's configuration"),
            "{text}"
        );
    }

    #[test]
    fn a_drill_is_told_by_its_input() {
        assert!(is_drill_input(r#"{"drill": true, "restore": {}}"#));
        assert!(is_drill_input(r#"{"drill": true, "rehearse": {}}"#));
        assert!(!is_drill_input(r#"{"scenario": "regional-outage"}"#));
        assert!(!is_drill_input("not json"));
    }

    #[test]
    fn the_page_says_nothing_moved_and_how_to_start_a_recovery() {
        let text = page_message(
            &alarm("dr-primary", None),
            Some("arn:aws:states:us-west-2:123456789012:stateMachine:dr-recovery"),
            &["regional-outage".to_owned()],
        );
        assert!(text.starts_with("alarm:dr-primary (SNS) is in ALARM. Nothing was moved"));
        assert!(
            text.contains("--input '{\"scenario\": \"regional-outage\"}'"),
            "{text}"
        );
    }

    #[test]
    fn an_execution_arn_is_its_state_machines_with_the_name() {
        assert_eq!(
            execution_arn(
                "arn:aws:states:us-west-2:123456789012:stateMachine:dr-recovery",
                "alarm-x-1"
            ),
            "arn:aws:states:us-west-2:123456789012:execution:dr-recovery:alarm-x-1"
        );
    }
}
