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

/// A recovery the alarm started, or found running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Started {
    /// This delivery started it.
    New(String),
    /// A recovery was already running (a second ALARM, or this delivery's
    /// retry): nothing started.
    Running(String),
}

/// The name of the execution an alarm starts: the alarm's name and when its
/// state changed, so that a retried delivery of the same change names the
/// same execution (Step Functions starts a name once). Step Functions names
/// are at most 80 characters of letters, digits, `-` and `_`.
pub fn execution_name(trigger: &Trigger, request_id: &str) -> String {
    let (name, at) = match trigger {
        Trigger::Alarm {
            name, changed_at, ..
        } => (name.as_str(), changed_at.as_deref()),
        Trigger::Direct | Trigger::RegionSwitch(_) => ("direct", None),
    };
    let keep = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let name: String = name
        .chars()
        .map(|c| if keep(c) { c } else { '-' })
        .take(40)
        .collect();
    // Without the alarm's own time, the invocation's id: a retry may then
    // start a second recovery, which the running check stops.
    let when: String = match at {
        Some(at) => at.chars().filter(char::is_ascii_digit).take(14).collect(),
        None => request_id.chars().filter(|c| keep(*c)).take(32).collect(),
    };
    format!("alarm-{name}-{when}")
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
    let start = match (state_machine, scenarios.first()) {
        (Some(arn), Some(first)) => format!(
            "To recover the platform (databases, then traffic once), start a scenario of the \
             recovery plan ({}):\n  aws stepfunctions start-execution --state-machine-arn {arn} \
             --input '{{\"scenario\": \"{first}\"}}'\n",
            scenarios.join(", ")
        ),
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
    }
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
        // This delivery's earlier attempt started it (and it may have
        // ended since): a name is started once.
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_execution_already_exists()) =>
        {
            warn!(
                name,
                "this alarm's recovery was started by an earlier delivery"
            );
            Ok(Started::Running(execution_arn(state_machine, name)))
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
            execution_name(&t, "req-1"),
            "alarm-dr-primary-unhealthy-20250513214800"
        );
        assert_eq!(execution_name(&t, "req-1"), execution_name(&t, "req-2"));
    }

    #[test]
    fn an_execution_name_fits_step_functions_limit() {
        let t = alarm(&"a".repeat(255), None);
        let name = execution_name(&t, &"f".repeat(36));
        assert!(name.len() <= 80, "{}", name.len());
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
