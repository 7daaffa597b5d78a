//! The pure core of the routing-control mode: from the states ARC reports to
//! the one update that moves traffic.

use serde::Serialize;

use crate::error::Error;
use crate::failover::event::FailoverRequest;

/// A routing control's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum State {
    On,
    Off,
}

/// One routing control in the result: before and after (planned, for a dry run).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ControlDiff {
    pub region: String,
    pub routing_control_arn: String,
    pub before: State,
    pub after: State,
}

/// The states to set, all in one `UpdateRoutingControlStates` call so that
/// ARC's safety rules judge them together. Empty: already in place.
pub fn plan(
    req: &FailoverRequest,
    from: (&str, State),
    to: (&str, State),
) -> Result<Vec<ControlDiff>, Error> {
    let (from_arn, from_state) = from;
    let (to_arn, to_state) = to;
    if from_arn == to_arn {
        return Err(Error::Misconfigured {
            variable: "ROUTING_CONTROLS",
            reason: format!(
                "names the same routing control for {} and {}",
                req.from_region, req.to_region
            ),
        });
    }
    let mut changes = Vec::new();
    if to_state != State::On {
        changes.push(ControlDiff {
            region: req.to_region.clone(),
            routing_control_arn: to_arn.to_owned(),
            before: to_state,
            after: State::On,
        });
    }
    if from_state != State::Off {
        changes.push(ControlDiff {
            region: req.from_region.clone(),
            routing_control_arn: from_arn.to_owned(),
            before: from_state,
            after: State::Off,
        });
    }
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trigger::Trigger;

    fn request() -> FailoverRequest {
        FailoverRequest {
            from_region: "us-east-1".into(),
            to_region: "us-west-2".into(),
            dry_run: false,
            force: false,
            safety_rules_to_override: Vec::new(),
            trigger: Trigger::Direct,
        }
    }

    fn after(changes: &[ControlDiff]) -> Vec<(&str, State)> {
        changes
            .iter()
            .map(|c| (c.region.as_str(), c.after))
            .collect()
    }

    #[test]
    fn the_target_goes_on_and_the_source_off_in_one_plan() {
        let changes = plan(&request(), ("rc-east", State::On), ("rc-west", State::Off)).unwrap();
        assert_eq!(
            after(&changes),
            [("us-west-2", State::On), ("us-east-1", State::Off)]
        );
    }

    #[test]
    fn target_on_and_source_off_is_already_in_place() {
        let changes = plan(&request(), ("rc-east", State::Off), ("rc-west", State::On)).unwrap();
        assert!(changes.is_empty());
    }

    #[test]
    fn only_the_control_out_of_place_is_changed() {
        let changes = plan(&request(), ("rc-east", State::On), ("rc-west", State::On)).unwrap();
        assert_eq!(after(&changes), [("us-east-1", State::Off)]);
    }

    #[test]
    fn one_routing_control_for_both_regions_is_a_configuration_fault() {
        let err = plan(&request(), ("rc", State::On), ("rc", State::Off)).unwrap_err();
        assert_eq!(err.name(), "Misconfigured");
    }
}
