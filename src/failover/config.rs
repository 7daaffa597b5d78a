//! The failover's configuration, read once at init: which regions an alarm
//! moves traffic between, and the guards around it. What moves (DNS records,
//! routing controls) is the mode's own configuration (`dns/config.rs`).

use crate::config::{ConfigError, Env, allowlist, flag, require_var};
use crate::plan::alarm::AlarmAction;
use crate::validate::{self, Globs};

/// What every failover mode shares.
#[derive(Debug, Clone, PartialEq)]
pub struct FailoverConfig {
    /// `PRIMARY_REGION`: where an alarm moves traffic from.
    pub primary_region: String,
    /// `SECONDARY_REGION`: where an alarm moves traffic to.
    pub secondary_region: String,
    /// `REQUIRE_HEALTHY_TARGET` (default true): refuse to move traffic to a
    /// region whose health check is not healthy, unless the event says `force`.
    pub require_healthy_target: bool,
    /// `ALLOWED_ALARMS` (default: any): globs of the alarm names that may
    /// trigger a failover, so that a stray alarm on a shared topic cannot.
    pub allowed_alarms: Option<Globs>,
    /// `ALARM_ACTION` (default `page`): what an alarm in ALARM does. `Err`:
    /// the value's mistake, which refuses every alarm (never a failed init:
    /// this function is also the workflow's and on-call's failover).
    pub alarm_action: Result<AlarmAction, String>,
    /// `ALARM_MAY_MOVE_TRAFFIC_ALONE` (default false): `traffic` may move
    /// traffic although the plan recovers databases whose writer is in the
    /// primary region.
    pub alarm_may_move_traffic_alone: bool,
    /// `ONCALL_TOPIC_ARN`: where an alarm's page goes.
    pub oncall_topic: Option<String>,
    /// `RECOVERY_STATE_MACHINE_ARN`: the workflow `recover:<scenario>` starts.
    pub recovery_state_machine: Option<String>,
}

impl FailoverConfig {
    /// Reads and checks every variable.
    pub fn from_env(env: &dyn Env) -> Result<Self, ConfigError> {
        let region = |name: &'static str| -> Result<String, ConfigError> {
            let value = require_var(env, name)?;
            validate::region_name(&value).map_err(|r| ConfigError::new(name, r))?;
            Ok(value)
        };
        let primary_region = region("PRIMARY_REGION")?;
        let secondary_region = region("SECONDARY_REGION")?;
        if primary_region == secondary_region {
            return Err(ConfigError::new(
                "SECONDARY_REGION",
                "must differ from PRIMARY_REGION",
            ));
        }
        Ok(FailoverConfig {
            primary_region,
            secondary_region,
            require_healthy_target: flag(env, "REQUIRE_HEALTHY_TARGET", true)?,
            allowed_alarms: allowlist(env, "ALLOWED_ALARMS")?,
            alarm_action: AlarmAction::parse(&env.get("ALARM_ACTION").unwrap_or_default()),
            alarm_may_move_traffic_alone: flag(env, "ALARM_MAY_MOVE_TRAFFIC_ALONE", false)?,
            oncall_topic: text(env, "ONCALL_TOPIC_ARN"),
            recovery_state_machine: text(env, "RECOVERY_STATE_MACHINE_ARN"),
        })
    }
}

/// A variable's value, trimmed; `None` when unset or empty.
fn text(env: &dyn Env, name: &str) -> Option<String> {
    env.get(name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: [(&str, &str); 2] = [
        ("PRIMARY_REGION", "us-east-1"),
        ("SECONDARY_REGION", "us-west-2"),
    ];

    #[test]
    fn a_minimal_configuration_takes_the_defaults() {
        let c = FailoverConfig::from_env(&BASE).unwrap();
        assert_eq!(c.primary_region, "us-east-1");
        assert!(c.require_healthy_target);
        assert_eq!(c.allowed_alarms, None);
        assert_eq!(c.alarm_action, Ok(AlarmAction::Page));
        assert!(!c.alarm_may_move_traffic_alone);
    }

    #[test]
    fn a_bad_flag_is_named() {
        let env = [BASE[0], BASE[1], ("REQUIRE_HEALTHY_TARGET", "maybe")];
        assert_eq!(
            FailoverConfig::from_env(&env).unwrap_err().name,
            "REQUIRE_HEALTHY_TARGET"
        );
    }

    #[test]
    fn the_same_region_twice_is_refused() {
        let env = [BASE[0], ("SECONDARY_REGION", "us-east-1")];
        assert_eq!(
            FailoverConfig::from_env(&env).unwrap_err().name,
            "SECONDARY_REGION"
        );
    }
}
