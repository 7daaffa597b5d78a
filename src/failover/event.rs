//! The four event shapes that reach `failover-region`, decoded before any AWS
//! call; [`crate::trigger::SHAPES`] tells them apart.
//!
//! - direct: `{"primary_region", "secondary_region", "dry_run"?, "force"?,
//!   "safety_rules_to_override"?}`, possibly with ARC Region switch's keys;
//! - a CloudWatch alarm's direct Lambda action (`source: aws.cloudwatch`, `alarmData`);
//! - a CloudWatch alarm notification delivered through SNS (`Records[].Sns.Message`);
//! - an EventBridge `CloudWatch Alarm State Change`.
//!
//! An alarm fails over `PRIMARY_REGION` → `SECONDARY_REGION` only when its new
//! state is `ALARM`; any other state is skipped, so an alarm returning to OK
//! never fails back by itself.

use aws_lambda_events::cloudwatch_alarms::{
    CloudWatchAlarm, CloudWatchAlarmData, CloudWatchAlarmStateValue,
};
use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::sns::{CloudWatchAlarmPayload, SnsEvent};
use serde::Deserialize;
use serde_json::Value;
use tracing::debug;

use super::config::FailoverConfig;
use crate::error::Error;
use crate::trigger::{self, AlarmPath, Shape, Trigger};
use crate::validate;

/// A failover to carry out (or plan, for a dry run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailoverRequest {
    /// The region traffic moves away from.
    pub from_region: String,
    /// The region traffic moves to.
    pub to_region: String,
    pub dry_run: bool,
    /// Skip the health pre-flight of the target region (DNS mode).
    pub force: bool,
    /// ARC safety rules to override (routing-control mode; direct events only).
    pub safety_rules_to_override: Vec<String>,
    /// What asked for it.
    pub trigger: Trigger,
}

/// What the event asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    Failover(FailoverRequest),
    /// An alarm event whose state is not `ALARM`: nothing to do.
    Skip {
        trigger: Trigger,
        reason: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DirectRequest {
    primary_region: String,
    secondary_region: String,
    #[serde(default)]
    dry_run: Option<bool>,
    #[serde(default)]
    force: Option<bool>,
    #[serde(default)]
    safety_rules_to_override: Option<Vec<String>>,
}

const ALARM_STATE_CHANGE: &str = "CloudWatch Alarm State Change";

/// Decodes any of the four shapes. No AWS call is made.
pub fn parse(event: Value, config: &FailoverConfig) -> Result<Intent, Error> {
    match trigger::shape(&event)? {
        Shape::Direct => direct(event, config),
        Shape::AlarmAction => alarm_action(event, config),
        Shape::Sns => sns(event, config),
        Shape::EventBridge => eventbridge(event, config),
    }
}

fn direct(event: Value, config: &FailoverConfig) -> Result<Intent, Error> {
    let (event, trigger) = trigger::split_region_switch(event)?;
    // A Region switch step with no payload of ours (its custom action block
    // takes none, as far as its API reference shows) fails over the
    // configured regions, as an alarm does.
    if matches!(trigger, Trigger::RegionSwitch(_))
        && event.as_object().is_some_and(|m| m.is_empty())
    {
        return Ok(Intent::Failover(FailoverRequest {
            from_region: config.primary_region.clone(),
            to_region: config.secondary_region.clone(),
            dry_run: false,
            force: false,
            safety_rules_to_override: Vec::new(),
            trigger,
        }));
    }
    let req: DirectRequest = validate::decode(event)?;
    validate::region_name(&req.primary_region).map_err(|r| Error::invalid("primary_region", r))?;
    validate::region_name(&req.secondary_region)
        .map_err(|r| Error::invalid("secondary_region", r))?;
    if req.primary_region == req.secondary_region {
        return Err(Error::invalid(
            "secondary_region",
            format!(
                "must differ from primary_region (both are {})",
                req.primary_region
            ),
        ));
    }
    let safety_rules_to_override = req.safety_rules_to_override.unwrap_or_default();
    for (i, arn) in safety_rules_to_override.iter().enumerate() {
        validate::safety_rule_arn(arn)
            .map_err(|r| Error::invalid(format!("safety_rules_to_override[{i}]"), r))?;
    }
    Ok(Intent::Failover(FailoverRequest {
        from_region: req.primary_region,
        to_region: req.secondary_region,
        dry_run: req.dry_run.unwrap_or(false),
        force: req.force.unwrap_or(false),
        safety_rules_to_override,
        trigger,
    }))
}

fn alarm_action(event: Value, config: &FailoverConfig) -> Result<Intent, Error> {
    let alarm: CloudWatchAlarm = validate::decode(event)?;
    if alarm.source.as_deref() != Some("aws.cloudwatch") {
        return Err(Error::invalid(
            "source",
            "an alarm action event must come from aws.cloudwatch",
        ));
    }
    let data = alarm.alarm_data;
    let (state, at) = alarm_state(&data, "alarmData.state")?;
    decide(config, &data.alarm_name, AlarmPath::DirectAction, state, at)
}

fn eventbridge(event: Value, config: &FailoverConfig) -> Result<Intent, Error> {
    let envelope: EventBridgeEvent<CloudWatchAlarmData> = validate::decode(event)?;
    if envelope.detail_type != ALARM_STATE_CHANGE || envelope.source != "aws.cloudwatch" {
        return Err(Error::invalid(
            "detail-type",
            format!(
                "only '{ALARM_STATE_CHANGE}' events from aws.cloudwatch fail over (got '{}' from '{}')",
                envelope.detail_type, envelope.source
            ),
        ));
    }
    let data = envelope.detail;
    let (state, at) = alarm_state(&data, "detail.state")?;
    decide(config, &data.alarm_name, AlarmPath::EventBridge, state, at)
}

fn sns(event: Value, config: &FailoverConfig) -> Result<Intent, Error> {
    let envelope: SnsEvent = validate::decode(event)?;
    if envelope.records.is_empty() {
        return Err(Error::invalid("Records", "holds no record"));
    }
    let mut alarms = Vec::new();
    for (i, record) in envelope.records.iter().enumerate() {
        alarms.push(alarm_notification(
            &record.sns.message,
            &format!("Records[{i}].Sns.Message"),
        )?);
    }
    // SNS delivers one record per invocation; should there be more, any
    // ALARM among them is the one that matters.
    let chosen = alarms
        .iter()
        .find(|(_, state, _)| state == "ALARM")
        .unwrap_or(&alarms[0]);
    let state = if chosen.1 == "ALARM" {
        AlarmState::Alarm
    } else {
        AlarmState::Other(chosen.1.clone())
    };
    decide(config, &chosen.0, AlarmPath::Sns, state, chosen.2.clone())
}

/// The two fields every alarm notification has, whatever the alarm's kind.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct NotificationCore {
    alarm_name: String,
    new_state_value: String,
    #[serde(default)]
    state_change_time: Option<String>,
}

/// Reads an SNS alarm notification: (alarm name, new state, when it changed).
///
/// A metric alarm's notification decodes as `CloudWatchAlarmPayload`.
/// Composite and anomaly-detection alarms send no metric `Trigger` (or no
/// `Threshold`), which that type requires; for them the name and the new
/// state are read alone, so such an alarm still fails over.
fn alarm_notification(text: &str, field: &str) -> Result<(String, String, Option<String>), Error> {
    let mut message: Value = serde_json::from_str(text).map_err(|e| {
        Error::invalid(
            field,
            format!("is not a CloudWatch alarm notification ({e})"),
        )
    })?;
    // CloudWatch sends "AlarmDescription": null for an alarm without one,
    // which the payload type (a plain String) would refuse.
    if let Some(description) = message.get_mut("AlarmDescription")
        && description.is_null()
    {
        *description = Value::String(String::new());
    }
    let typed = validate::decode::<CloudWatchAlarmPayload>(message.clone());
    match typed {
        Ok(payload) => Ok((
            payload.alarm_name,
            payload.new_state_value,
            Some(payload.state_change_time),
        )),
        Err(typed_error) => match validate::decode::<NotificationCore>(message) {
            Ok(core) => {
                debug!(alarm = %core.alarm_name, "not a metric alarm notification; read its name and state alone");
                Ok((
                    core.alarm_name,
                    core.new_state_value,
                    core.state_change_time,
                ))
            }
            Err(_) => Err(match typed_error {
                Error::InvalidRequest {
                    field: inner,
                    reason,
                } => Error::invalid(format!("{field}.{inner}"), reason),
                other => other,
            }),
        },
    }
}

enum AlarmState {
    Alarm,
    Other(String),
}

/// The alarm's new state, and when it changed (to the second, UTC).
fn alarm_state(
    data: &CloudWatchAlarmData,
    field: &str,
) -> Result<(AlarmState, Option<String>), Error> {
    let state = data
        .state
        .as_ref()
        .ok_or_else(|| Error::invalid(field, "is missing: the alarm's new state is unknown"))?;
    let at = state.timestamp.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let value = match state.value {
        CloudWatchAlarmStateValue::Alarm => AlarmState::Alarm,
        CloudWatchAlarmStateValue::Ok => AlarmState::Other("OK".to_owned()),
        CloudWatchAlarmStateValue::InsufficientData => {
            AlarmState::Other("INSUFFICIENT_DATA".to_owned())
        }
        _ => AlarmState::Other("an unknown state".to_owned()),
    };
    Ok((value, Some(at)))
}

fn decide(
    config: &FailoverConfig,
    alarm_name: &str,
    path: AlarmPath,
    state: AlarmState,
    changed_at: Option<String>,
) -> Result<Intent, Error> {
    // CloudWatch alarm names are 1 to 255 characters; the name is echoed in
    // logs and the result, so anything else is refused here.
    if alarm_name.is_empty()
        || alarm_name.chars().count() > 255
        || alarm_name.chars().any(char::is_control)
    {
        return Err(Error::invalid(
            "alarm name",
            "must be 1 to 255 characters without control characters, as CloudWatch names are",
        ));
    }
    if let Some(allowed) = &config.allowed_alarms
        && !allowed.matches(alarm_name)
    {
        return Err(Error::NotAllowed {
            subject: format!("alarm '{alarm_name}'"),
            variable: "ALLOWED_ALARMS",
            allowed: allowed.display(),
        });
    }
    let trigger = Trigger::Alarm {
        name: alarm_name.to_owned(),
        path,
        changed_at: changed_at.filter(|at| at.len() <= 64),
    };
    Ok(match state {
        AlarmState::Alarm => Intent::Failover(FailoverRequest {
            from_region: config.primary_region.clone(),
            to_region: config.secondary_region.clone(),
            dry_run: false,
            force: false,
            safety_rules_to_override: Vec::new(),
            trigger,
        }),
        AlarmState::Other(state) => Intent::Skip {
            trigger,
            reason: format!(
                "the alarm is now {state}, not ALARM; an alarm never fails back by itself \
                 (fail back with a direct call that swaps the regions)"
            ),
        },
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::validate::Globs;

    fn config() -> FailoverConfig {
        let env: [(&str, &str); 2] = [
            ("PRIMARY_REGION", "us-east-1"),
            ("SECONDARY_REGION", "us-west-2"),
        ];
        FailoverConfig::from_env(&env).unwrap()
    }

    fn alarm_action_event(state: &str) -> Value {
        json!({
            "source": "aws.cloudwatch",
            "alarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:primary-unhealthy",
            "accountId": "123456789012",
            "time": "2025-05-13T21:48:00.000+0000",
            "region": "us-east-1",
            "alarmData": {
                "alarmName": "primary-unhealthy",
                "state": {"value": state, "reason": "Threshold Crossed", "timestamp": "2025-05-13T21:48:00.000+0000"},
                "previousState": {"value": "OK", "reason": "ok", "timestamp": "2025-05-13T20:00:00.000+0000"},
                "configuration": {"metrics": []}
            }
        })
    }

    fn eventbridge_event(state: &str) -> Value {
        json!({
            "version": "0", "id": "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92",
            "detail-type": "CloudWatch Alarm State Change", "source": "aws.cloudwatch",
            "account": "123456789012", "time": "2025-05-13T21:48:00Z", "region": "us-east-1",
            "resources": ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:primary-unhealthy"],
            "detail": {
                "alarmName": "primary-unhealthy",
                "state": {"value": state, "reason": "Threshold Crossed", "timestamp": "2025-05-13T21:48:00.000+0000"},
                "previousState": {"value": "OK", "reason": "ok", "timestamp": "2025-05-13T20:00:00.000+0000"},
                "configuration": {"metrics": []}
            }
        })
    }

    fn sns_event(state: &str, description: Value) -> Value {
        let message = json!({
            "AlarmName": "primary-unhealthy", "AlarmDescription": description, "AWSAccountId": "123456789012",
            "NewStateValue": state, "NewStateReason": "Threshold Crossed",
            "StateChangeTime": "2025-05-13T21:48:00.000+0000", "Region": "US East (N. Virginia)",
            "AlarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:primary-unhealthy", "OldStateValue": "OK",
            "Trigger": {"MetricName": "HealthCheckStatus", "Namespace": "AWS/Route53", "StatisticType": "Statistic",
                        "Statistic": "MINIMUM", "Unit": null, "Dimensions": [{"value": "abc", "name": "HealthCheckId"}],
                        "Period": 60, "EvaluationPeriods": 1, "ComparisonOperator": "LessThanThreshold",
                        "Threshold": 1.0, "TreatMissingData": "breaching", "EvaluateLowSampleCountPercentile": ""}
        });
        json!({"Records": [{
            "EventSource": "aws:sns", "EventVersion": "1.0",
            "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:dr-alarms:1",
            "Sns": {
                "Type": "Notification", "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
                "TopicArn": "arn:aws:sns:us-east-1:123456789012:dr-alarms",
                "Subject": "ALARM: primary-unhealthy", "Message": message.to_string(),
                "Timestamp": "2025-05-13T21:48:00.123Z", "SignatureVersion": "1", "Signature": "EXAMPLE",
                "SigningCertUrl": "EXAMPLE", "UnsubscribeUrl": "EXAMPLE", "MessageAttributes": {}
            }
        }]})
    }

    fn failover(intent: Intent) -> FailoverRequest {
        match intent {
            Intent::Failover(req) => req,
            other => panic!("expected a failover, got {other:?}"),
        }
    }

    #[test]
    fn a_direct_event_names_both_regions() {
        let req = failover(
            parse(json!({"primary_region": "us-east-1", "secondary_region": "us-west-2", "dry_run": true}), &config())
                .unwrap(),
        );
        assert_eq!(
            req,
            FailoverRequest {
                from_region: "us-east-1".into(),
                to_region: "us-west-2".into(),
                dry_run: true,
                force: false,
                safety_rules_to_override: Vec::new(),
                trigger: Trigger::Direct
            }
        );
    }

    #[test]
    fn a_region_switch_step_without_a_payload_fails_over_the_configured_regions() {
        let req = failover(
            parse(
                json!({"InvokedBy": "ARC Region switch", "PlanArn": "arn:aws:arc-region-switch::123456789012:plan/p",
                       "ExecutionId": "e-1", "StepName": "traffic"}),
                &config(),
            )
            .unwrap(),
        );
        assert_eq!(
            (req.from_region.as_str(), req.to_region.as_str()),
            ("us-east-1", "us-west-2")
        );
        assert!(req.trigger.to_string().starts_with("region-switch:"));
    }

    #[test]
    fn a_direct_event_may_fail_back_by_swapping_the_regions() {
        let req = failover(
            parse(
                json!({"primary_region": "us-west-2", "secondary_region": "us-east-1"}),
                &config(),
            )
            .unwrap(),
        );
        assert_eq!(
            (req.from_region.as_str(), req.to_region.as_str()),
            ("us-west-2", "us-east-1")
        );
    }

    #[test]
    fn an_alarm_action_in_alarm_fails_over_the_configured_regions() {
        let req = failover(parse(alarm_action_event("ALARM"), &config()).unwrap());
        assert_eq!(
            (req.from_region.as_str(), req.to_region.as_str()),
            ("us-east-1", "us-west-2")
        );
        assert_eq!(
            req.trigger.to_string(),
            "alarm:primary-unhealthy (direct action)"
        );
        assert!(!req.force && !req.dry_run);
    }

    #[test]
    fn an_alarm_action_back_to_ok_is_skipped() {
        match parse(alarm_action_event("OK"), &config()).unwrap() {
            Intent::Skip { reason, .. } => {
                assert!(reason.starts_with("the alarm is now OK, not ALARM"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_eventbridge_alarm_in_alarm_fails_over() {
        let req = failover(parse(eventbridge_event("ALARM"), &config()).unwrap());
        assert_eq!(
            req.trigger.to_string(),
            "alarm:primary-unhealthy (EventBridge)"
        );
        assert_eq!(req.to_region, "us-west-2");
    }

    #[test]
    fn an_eventbridge_alarm_with_insufficient_data_is_skipped() {
        assert!(matches!(
            parse(eventbridge_event("INSUFFICIENT_DATA"), &config()).unwrap(),
            Intent::Skip { .. }
        ));
    }

    #[test]
    fn an_sns_alarm_notification_in_alarm_fails_over_even_without_a_description() {
        let req = failover(parse(sns_event("ALARM", Value::Null), &config()).unwrap());
        assert_eq!(req.trigger.to_string(), "alarm:primary-unhealthy (SNS)");
    }

    #[test]
    fn an_sns_alarm_notification_back_to_ok_is_skipped() {
        assert!(matches!(
            parse(sns_event("OK", json!("primary health")), &config()).unwrap(),
            Intent::Skip { .. }
        ));
    }

    #[test]
    fn a_composite_alarm_notification_without_a_trigger_still_fails_over() {
        let mut event = sns_event("ALARM", Value::Null);
        let mut message: Value =
            serde_json::from_str(event["Records"][0]["Sns"]["Message"].as_str().unwrap()).unwrap();
        message.as_object_mut().unwrap().remove("Trigger");
        event["Records"][0]["Sns"]["Message"] = json!(message.to_string());
        let req = failover(parse(event, &config()).unwrap());
        assert_eq!(req.trigger.to_string(), "alarm:primary-unhealthy (SNS)");
    }

    #[test]
    fn an_alarm_outside_allowed_alarms_is_not_allowed() {
        let mut config = config();
        config.allowed_alarms = Some(Globs::parse("dr-*"));
        match parse(alarm_action_event("ALARM"), &config) {
            Err(Error::NotAllowed {
                subject, variable, ..
            }) => {
                assert_eq!(subject, "alarm 'primary-unhealthy'");
                assert_eq!(variable, "ALLOWED_ALARMS");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_alarm_inside_allowed_alarms_fails_over() {
        let mut config = config();
        config.allowed_alarms = Some(Globs::parse("primary-*"));
        assert!(matches!(
            parse(eventbridge_event("ALARM"), &config).unwrap(),
            Intent::Failover(_)
        ));
    }

    #[test]
    fn other_eventbridge_events_are_refused() {
        let mut event = eventbridge_event("ALARM");
        event["detail-type"] = json!("EC2 Instance State-change Notification");
        let err = parse(event, &config()).unwrap_err();
        assert_eq!(err.name(), "InvalidRequest");
        assert!(
            err.to_string()
                .starts_with("detail-type: only 'CloudWatch Alarm State Change'")
        );
    }

    #[test]
    fn bad_events_are_refused_naming_the_field() {
        let mut no_state = alarm_action_event("ALARM");
        no_state["alarmData"]
            .as_object_mut()
            .unwrap()
            .remove("state");
        let mut odd_state = alarm_action_event("ALARM");
        odd_state["alarmData"]["state"]["value"] = json!("ON_FIRE");
        let mut bad_message = sns_event("ALARM", Value::Null);
        bad_message["Records"][0]["Sns"]["Message"] = json!("not json");
        let cases = [
            (
                json!({"primary_region": "us-east-1", "secondary_region": "us-east-1"}),
                "secondary_region",
            ),
            (json!({"primary_region": "us-east-1"}), "event"),
            (
                json!({"primary_region": "us-east-1", "secondary_region": 2}),
                "secondary_region",
            ),
            (
                json!({"primary_region": "us-east-1", "secondary_region": "us-west-2", "zone": "Z9"}),
                "zone",
            ),
            (
                json!({"primary_region": "moon-1", "secondary_region": "us-west-2"}),
                "primary_region",
            ),
            (json!(["us-east-1"]), "event"),
            (no_state, "alarmData.state"),
            (odd_state, "alarmData.state.value"),
            (bad_message, "Records[0].Sns.Message"),
            (json!({"Records": []}), "Records"),
        ];
        for (event, field) in cases {
            match parse(event.clone(), &config()) {
                Err(Error::InvalidRequest { field: f, .. }) => assert_eq!(f, field, "{event}"),
                other => panic!("{event}: {other:?}"),
            }
        }
    }
}
