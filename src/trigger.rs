//! What asked for an invocation: a person or workflow, or an alarm.

use std::fmt;

use serde::{Serialize, Serializer};

/// What asked for a failover; logged, and reported in the result as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// A direct invocation: an operator, a script, Step Functions.
    Direct,
    /// A CloudWatch alarm, by name, with the path it came by.
    Alarm { name: String, path: AlarmPath },
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
            Trigger::Alarm { name, path } => write!(f, "alarm:{name} ({path})"),
        }
    }
}

impl Serialize for Trigger {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trigger_reads_as_the_documented_text() {
        assert_eq!(Trigger::Direct.to_string(), "direct");
        let alarm = Trigger::Alarm {
            name: "dr-primary".into(),
            path: AlarmPath::Sns,
        };
        assert_eq!(alarm.to_string(), "alarm:dr-primary (SNS)");
        assert_eq!(
            serde_json::to_value(&alarm).unwrap(),
            "alarm:dr-primary (SNS)"
        );
    }
}
