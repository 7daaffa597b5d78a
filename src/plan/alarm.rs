//! What the primary-unhealthy alarm may do (`AlarmAction`), judged against
//! the recovery plan: the failover function reads it when the alarm fires,
//! readiness on every run, so that a choice the plan makes unsafe surfaces
//! on a quiet afternoon, not during the incident. Pure: nothing here calls
//! AWS.

use std::fmt;

use serde_json::Value;

use super::Plan;

/// The deploy's choice of what an alarm in ALARM does (`ALARM_ACTION`, the
/// template's `AlarmAction`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlarmAction {
    /// On-call is told; nothing moves. The default.
    Page,
    /// Start this scenario of the recovery plan (the recovery workflow).
    Recover(String),
    /// Move customer traffic only, for a data layer that fails over by
    /// itself.
    Traffic,
}

impl AlarmAction {
    /// `page`, `traffic` or `recover:<scenario>`; empty is `page`.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim() {
            "" | "page" => Ok(AlarmAction::Page),
            "traffic" => Ok(AlarmAction::Traffic),
            other => match other.strip_prefix("recover:") {
                Some(scenario) if super::is_name(scenario) => {
                    Ok(AlarmAction::Recover(scenario.to_owned()))
                }
                Some(scenario) => Err(format!(
                    "'{scenario}' is not a scenario name (1 to 40 lower-case letters, digits \
                     and hyphens)"
                )),
                None => Err(format!(
                    "'{other}' is none of page, traffic, recover:<scenario>"
                )),
            },
        }
    }
}

impl fmt::Display for AlarmAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AlarmAction::Page => f.write_str("page"),
            AlarmAction::Recover(scenario) => write!(f, "recover:{scenario}"),
            AlarmAction::Traffic => f.write_str("traffic"),
        }
    }
}

/// The scenario an alarm never starts: bad data is found by people, at a
/// time they choose.
pub const NEVER_BY_ALARM: &str = "bad-data";

/// Whether an alarm may start `scenario`: it exists, it is not a
/// point-in-time (bad data) scenario, and every one of its databases has a
/// data-loss bound (`max_data_loss_seconds`), so that what an automatic
/// recovery may lose was decided in advance. `Err` says why not.
pub fn may_start(plan: &Plan, scenario: &str) -> Result<(), String> {
    let Some(spec) = plan.scenarios.get(scenario) else {
        return Err(format!(
            "'{scenario}' is not a scenario of the recovery plan (its scenarios: {})",
            plan.scenarios
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    };
    if scenario == NEVER_BY_ALARM || spec.point_in_time {
        return Err(format!(
            "'{scenario}' restores a point in time that a person chooses (bad data): an alarm \
             never starts it"
        ));
    }
    let unbounded: Vec<&str> = plan
        .databases
        .iter()
        .filter(|db| {
            db.restore
                .get(scenario)
                .is_some_and(|event| event.get("max_data_loss_seconds").is_none())
        })
        .map(|db| db.name.as_str())
        .collect();
    if !unbounded.is_empty() {
        return Err(format!(
            "'{scenario}' has no data-loss bound for {}: give each of them \
             max_data_loss_seconds (a standby, or \"snapshot_id\": \"latest\") in the plan, so \
             that what an automatic recovery may lose is decided in advance",
            unbounded.join(", ")
        ));
    }
    if !plan
        .databases
        .iter()
        .any(|db| db.restore.contains_key(scenario))
    {
        return Err(format!("'{scenario}' recovers no database"));
    }
    Ok(())
}

/// The plan's databases whose writer is in the primary region: each is
/// recovered in `secondary_region` by a scenario that moves traffic. Moving
/// traffic alone would send customers to a region with no writable copy of
/// them.
pub fn primary_homed(plan: &Plan, secondary_region: &str) -> Vec<String> {
    plan.databases
        .iter()
        .filter(|db| {
            db.restore.iter().any(|(scenario, event)| {
                plan.scenarios.get(scenario).is_some_and(|spec| {
                    spec.moves_traffic
                        && event
                            .get("region")
                            .and_then(Value::as_str)
                            .unwrap_or(&spec.runs_in.region)
                            == secondary_region
                })
            })
        })
        .map(|db| db.name.clone())
        .collect()
}

/// Why `traffic` must not run on this plan, or `None` when it may: no plan,
/// no primary-homed database, or the deploy allows it explicitly
/// (`ALARM_MAY_MOVE_TRAFFIC_ALONE`).
pub fn traffic_alone_refusal(
    plan: Option<&Plan>,
    secondary_region: &str,
    allowed_alone: bool,
) -> Option<String> {
    let homed = primary_homed(plan?, secondary_region);
    if homed.is_empty() || allowed_alone {
        return None;
    }
    let scenarios: Vec<&str> = plan
        .into_iter()
        .flat_map(|p| p.scenarios.iter())
        .filter(|(_, s)| s.moves_traffic)
        .map(|(name, _)| name.as_str())
        .collect();
    Some(format!(
        "is traffic, and the recovery plan's databases {} have their writer in the primary \
         region: moving traffic to {secondary_region} alone sends customers to no writable \
         database. Set AlarmAction to page, or to recover:<scenario> ({}); set \
         AlarmMayMoveTrafficAlone=true only if these databases fail over by themselves",
        homed.join(", "),
        scenarios.join(", ")
    ))
}

/// What readiness says of the deploy's `AlarmAction` against the plan:
/// `Err` is a failed check's detail.
pub fn judge(
    action: &AlarmAction,
    plan: Option<&Plan>,
    secondary_region: &str,
    allowed_alone: bool,
) -> Result<String, String> {
    match action {
        AlarmAction::Page => Ok("page: on-call is told; nothing moves".to_owned()),
        AlarmAction::Recover(scenario) => {
            let plan = plan.ok_or_else(|| {
                format!("recover:{scenario} needs the recovery plan, and none is deployed")
            })?;
            may_start(plan, scenario)?;
            Ok(format!(
                "recover:{scenario}: the alarm starts that scenario's recovery"
            ))
        }
        AlarmAction::Traffic => {
            match traffic_alone_refusal(plan, secondary_region, allowed_alone) {
                Some(refusal) => Err(format!("AlarmAction {refusal}")),
                None => Ok("traffic: the alarm moves traffic only".to_owned()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Patterns, parse};

    fn example() -> Plan {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/plan/recovery-plan.json"
        ))
        .expect("the example plan");
        parse(&text, &Patterns::default()).expect("a valid plan")
    }

    #[test]
    fn alarm_actions_read_as_the_template_writes_them() {
        assert_eq!(AlarmAction::parse("page"), Ok(AlarmAction::Page));
        assert_eq!(AlarmAction::parse(""), Ok(AlarmAction::Page));
        assert_eq!(AlarmAction::parse("traffic"), Ok(AlarmAction::Traffic));
        assert_eq!(
            AlarmAction::parse("recover:regional-outage"),
            Ok(AlarmAction::Recover("regional-outage".into()))
        );
        assert_eq!(
            AlarmAction::Recover("regional-outage".into()).to_string(),
            "recover:regional-outage"
        );
    }

    #[test]
    fn an_unknown_alarm_action_is_refused_naming_the_choices() {
        let err = AlarmAction::parse("failover").unwrap_err();
        assert!(
            err.contains("none of page, traffic, recover:<scenario>"),
            "{err}"
        );
        let err = AlarmAction::parse("recover:Regional Outage").unwrap_err();
        assert!(err.contains("is not a scenario name"), "{err}");
    }

    #[test]
    fn a_scenario_with_an_unbounded_database_is_not_started_by_an_alarm() {
        let err = may_start(&example(), "regional-outage").unwrap_err();
        assert!(
            err.contains("no data-loss bound for inventory, customers"),
            "{err}"
        );
    }

    #[test]
    fn a_scenario_bounded_on_every_database_may_be_started_by_an_alarm() {
        let mut plan = example();
        for db in &mut plan.databases {
            if let Some(event) = db.restore.get_mut("regional-outage") {
                event["max_data_loss_seconds"] = Value::from(900);
            }
        }
        assert_eq!(may_start(&plan, "regional-outage"), Ok(()));
    }

    #[test]
    fn bad_data_is_never_started_by_an_alarm() {
        let err = may_start(&example(), "bad-data").unwrap_err();
        assert!(err.contains("an alarm never starts it"), "{err}");
    }

    #[test]
    fn an_unknown_scenario_is_named_with_the_plans_own() {
        let err = may_start(&example(), "outage").unwrap_err();
        assert!(
            err.contains("its scenarios: bad-data, regional-outage"),
            "{err}"
        );
    }

    #[test]
    fn databases_recovered_in_the_secondary_region_have_their_writer_in_the_primary() {
        assert_eq!(
            primary_homed(&example(), "us-west-2"),
            ["orders", "inventory", "customers"]
        );
        assert!(primary_homed(&example(), "eu-west-1").is_empty());
    }

    #[test]
    fn traffic_alone_is_refused_for_primary_homed_databases_unless_allowed() {
        let plan = example();
        let refusal = traffic_alone_refusal(Some(&plan), "us-west-2", false).unwrap();
        assert!(
            refusal.contains("databases orders, inventory, customers have their writer"),
            "{refusal}"
        );
        assert_eq!(traffic_alone_refusal(Some(&plan), "us-west-2", true), None);
        assert_eq!(traffic_alone_refusal(None, "us-west-2", false), None);
    }

    #[test]
    fn readiness_fails_traffic_alone_on_a_plan_with_primary_homed_databases() {
        let err = judge(&AlarmAction::Traffic, Some(&example()), "us-west-2", false).unwrap_err();
        assert!(err.starts_with("AlarmAction is traffic"), "{err}");
        assert_eq!(
            judge(&AlarmAction::Page, Some(&example()), "us-west-2", false),
            Ok("page: on-call is told; nothing moves".to_owned())
        );
    }
}
