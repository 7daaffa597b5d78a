//! What asked for an invocation, and the one table of event shapes.
//!
//! Both handlers take a direct event; `failover-region` also takes three
//! CloudWatch alarm deliveries. [`SHAPES`] tells them apart by what each
//! shape must carry, so no order of key checks decides. ARC Region switch
//! invokes a handler with a direct event plus four keys of its own, which
//! [`split_region_switch`] takes off and keeps as the trigger.

use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::error::Error;
use crate::validate;

/// What asked for an invocation; logged, and reported in the result as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// A direct invocation: an operator, a script, Step Functions.
    Direct,
    /// A step of an ARC Region switch plan.
    RegionSwitch(RegionSwitch),
    /// A CloudWatch alarm, by name, with the path it came by and when its
    /// state changed, as the alarm says (it names a recovery the alarm
    /// starts, so that a retried delivery starts the same one).
    Alarm {
        name: String,
        path: AlarmPath,
        changed_at: Option<String>,
    },
}

/// The keys ARC Region switch adds to a custom action's payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionSwitch {
    pub invoked_by: String,
    pub plan_arn: String,
    pub execution_id: String,
    pub step_name: String,
}

/// How an alarm reached the function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlarmPath {
    /// The alarm's own Lambda action.
    DirectAction,
    /// An alarm notification delivered by SNS.
    Sns,
    /// A `CloudWatch Alarm State Change` event from EventBridge.
    EventBridge,
}

impl fmt::Display for AlarmPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AlarmPath::DirectAction => "direct action",
            AlarmPath::Sns => "SNS",
            AlarmPath::EventBridge => "EventBridge",
        })
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trigger::Direct => f.write_str("direct"),
            Trigger::RegionSwitch(rs) => write!(
                f,
                "region-switch:{} (execution {}, step {})",
                rs.plan_arn, rs.execution_id, rs.step_name
            ),
            Trigger::Alarm { name, path, .. } => write!(f, "alarm:{name} ({path})"),
        }
    }
}

impl Serialize for Trigger {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The event shapes a handler may receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// The handler's own JSON (possibly from Region switch).
    Direct,
    /// A CloudWatch alarm's Lambda action.
    AlarmAction,
    /// An SNS delivery (of an alarm notification).
    Sns,
    /// An EventBridge event (a CloudWatch Alarm State Change).
    EventBridge,
}

/// Each envelope shape and what an event of it must carry. An event that
/// carries none of them is direct; one that fits two is refused.
pub const SHAPES: &[(Shape, &[&str])] = &[
    (Shape::AlarmAction, &["alarmData", "alarmArn"]),
    (Shape::Sns, &["Records"]),
    (Shape::EventBridge, &["detail-type", "detail"]),
];

/// Which shape an event is. A partial envelope (some of a shape's keys,
/// not all) is refused naming the missing key.
pub fn shape(event: &Value) -> Result<Shape, Error> {
    validate::require_object(event)?;
    let mut fits = Vec::new();
    for (shape, keys) in SHAPES {
        let present: Vec<&str> = keys
            .iter()
            .copied()
            .filter(|k| event.get(k).is_some())
            .collect();
        if present.len() == keys.len() {
            fits.push(*shape);
        } else if let Some(first) = present.first()
            && let Some(missing) = keys.iter().find(|k| event.get(*k).is_none())
        {
            return Err(Error::invalid(
                *missing,
                format!("is missing: an event with {first} must carry it too"),
            ));
        }
    }
    match fits[..] {
        [] => Ok(Shape::Direct),
        [one] => Ok(one),
        _ => Err(Error::invalid(
            "event",
            format!("fits more than one event shape ({fits:?}); send one of them"),
        )),
    }
}

/// The four keys Region switch adds, in the event as it sends them.
const REGION_SWITCH_KEYS: [&str; 4] = ["InvokedBy", "PlanArn", "ExecutionId", "StepName"];

/// Takes the Region switch keys off a direct event: the rest is the
/// handler's own payload, decoded as strictly as ever (an unknown key is
/// still refused). With none of them, the trigger is [`Trigger::Direct`].
pub fn split_region_switch(mut event: Value) -> Result<(Value, Trigger), Error> {
    let Some(map) = event.as_object_mut() else {
        return Ok((event, Trigger::Direct));
    };
    let present = REGION_SWITCH_KEYS
        .iter()
        .filter(|k| map.contains_key(**k))
        .count();
    if present == 0 {
        return Ok((event, Trigger::Direct));
    }
    let mut take = |key: &'static str| -> Result<String, Error> {
        match map.remove(key) {
            Some(Value::String(s)) if !s.is_empty() && s.len() <= 2048 => Ok(s),
            Some(_) => Err(Error::invalid(
                key,
                "must be a non-empty string (ARC Region switch sets it)",
            )),
            None => Err(Error::invalid(
                key,
                "is missing: ARC Region switch sends InvokedBy, PlanArn, ExecutionId and StepName together",
            )),
        }
    };
    let rs = RegionSwitch {
        invoked_by: take("InvokedBy")?,
        plan_arn: take("PlanArn")?,
        execution_id: take("ExecutionId")?,
        step_name: take("StepName")?,
    };
    Ok((event, Trigger::RegionSwitch(rs)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_trigger_reads_as_the_documented_text() {
        assert_eq!(Trigger::Direct.to_string(), "direct");
        let alarm = Trigger::Alarm {
            name: "dr-primary".into(),
            path: AlarmPath::Sns,
            changed_at: None,
        };
        assert_eq!(alarm.to_string(), "alarm:dr-primary (SNS)");
        assert_eq!(
            serde_json::to_value(&alarm).unwrap(),
            "alarm:dr-primary (SNS)"
        );
    }

    #[test]
    fn each_shape_is_told_by_what_it_carries() {
        assert_eq!(
            shape(&json!({"primary_region": "us-east-1"})).unwrap(),
            Shape::Direct
        );
        assert_eq!(
            shape(&json!({"alarmData": {}, "alarmArn": "a", "source": "aws.cloudwatch"})).unwrap(),
            Shape::AlarmAction
        );
        assert_eq!(shape(&json!({"Records": []})).unwrap(), Shape::Sns);
        assert_eq!(
            shape(&json!({"detail-type": "x", "detail": {}})).unwrap(),
            Shape::EventBridge
        );
    }

    #[test]
    fn an_event_that_fits_two_shapes_is_refused() {
        let err = shape(&json!({"Records": [], "detail-type": "x", "detail": {}})).unwrap_err();
        assert_eq!(err.name(), "InvalidRequest");
        assert!(
            err.to_string().contains("fits more than one event shape"),
            "{err}"
        );
    }

    #[test]
    fn half_an_envelope_is_refused_naming_the_missing_key() {
        let err = shape(&json!({"detail-type": "CloudWatch Alarm State Change"})).unwrap_err();
        assert!(err.to_string().starts_with("detail: is missing"), "{err}");
    }

    #[test]
    fn region_switch_keys_become_the_trigger_and_leave_the_payload() {
        let event = json!({"primary_region": "us-east-1", "InvokedBy": "ARC Region switch",
            "PlanArn": "arn:aws:arc-region-switch::123456789012:plan/orders", "ExecutionId": "e-1",
            "StepName": "fail over traffic"});
        let (payload, trigger) = split_region_switch(event).unwrap();
        assert_eq!(payload, json!({"primary_region": "us-east-1"}));
        assert_eq!(
            trigger.to_string(),
            "region-switch:arn:aws:arc-region-switch::123456789012:plan/orders (execution e-1, step fail over traffic)"
        );
    }

    #[test]
    fn some_region_switch_keys_without_the_others_are_refused() {
        let err = split_region_switch(json!({"PlanArn": "p", "ExecutionId": "e"})).unwrap_err();
        assert!(
            err.to_string().starts_with("InvokedBy: is missing"),
            "{err}"
        );
    }
}
