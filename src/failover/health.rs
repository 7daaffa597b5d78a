//! The health rule every failover mode shares: when a health check verifies
//! that a region can take the traffic.

use crate::error::HealthProblem;

/// What Route 53 says of one health check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HealthFacts {
    /// It does not exist.
    Missing,
    /// It exists; `reports` are its checkers' status reports (empty for a
    /// disabled or unreadable check, whose status is not read).
    Found {
        disabled: bool,
        /// The type, when it is one whose status cannot be read
        /// (`CALCULATED`, `RECOVERY_CONTROL`).
        unreadable: Option<String>,
        inverted: bool,
        reports: Vec<String>,
    },
}

/// Whether health check `id` verifies its region.
///
/// Route 53 considers a check healthy when more than 18% of its checkers
/// report success (the reverse, for an inverted check); the same rule
/// applies here. A disabled check verifies nothing: Route 53 treats it as
/// healthy whatever the target does.
pub fn assess(id: &str, facts: &HealthFacts) -> Result<(), HealthProblem> {
    let id = id.to_owned();
    let (inverted, reports) = match facts {
        HealthFacts::Missing => return Err(HealthProblem::Missing { id }),
        HealthFacts::Found { disabled: true, .. } => return Err(HealthProblem::Disabled { id }),
        HealthFacts::Found {
            unreadable: Some(kind),
            ..
        } => {
            return Err(HealthProblem::Unreadable {
                id,
                kind: kind.clone(),
            });
        }
        HealthFacts::Found {
            inverted, reports, ..
        } => (*inverted, reports),
    };
    if reports.is_empty() {
        return Err(HealthProblem::NoReports { id });
    }
    let successes = reports.iter().filter(|r| r.starts_with("Success")).count();
    let passing = if inverted {
        reports.len() - successes
    } else {
        successes
    };
    if passing * 100 > reports.len() * 18 {
        return Ok(());
    }
    let sample = reports
        .iter()
        .find(|r| r.starts_with("Success") == inverted)
        .cloned()
        .unwrap_or_default();
    let detail = format!(
        "{passing} of {} checkers report it healthy{}; e.g. \"{sample}\"",
        reports.len(),
        if inverted { " (inverted)" } else { "" }
    );
    Err(HealthProblem::Unhealthy { id, detail })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(reports: &[&str]) -> HealthFacts {
        HealthFacts::Found {
            disabled: false,
            unreadable: None,
            inverted: false,
            reports: reports.iter().map(|r| (*r).to_owned()).collect(),
        }
    }

    #[test]
    fn a_check_with_most_checkers_failing_is_unhealthy() {
        let problem = assess("hc-west", &found(&["Failure: timed out"; 8])).unwrap_err();
        assert_eq!(
            problem,
            HealthProblem::Unhealthy {
                id: "hc-west".into(),
                detail: "0 of 8 checkers report it healthy; e.g. \"Failure: timed out\"".into()
            }
        );
    }

    #[test]
    fn a_check_with_enough_successful_checkers_is_healthy() {
        let mut reports = vec!["Failure: timed out"; 6];
        reports.extend(["Success: HTTP Status Code 200"; 2]);
        assert_eq!(assess("hc", &found(&reports)), Ok(()));
    }

    #[test]
    fn a_check_with_no_report_is_not_verified() {
        assert_eq!(
            assess("hc", &found(&[])),
            Err(HealthProblem::NoReports { id: "hc".into() })
        );
    }

    #[test]
    fn a_disabled_check_is_said_to_be_disabled_not_unhealthy() {
        let disabled = HealthFacts::Found {
            disabled: true,
            unreadable: None,
            inverted: false,
            reports: vec!["Success: HTTP Status Code 200".into(); 8],
        };
        assert_eq!(
            assess("hc", &disabled),
            Err(HealthProblem::Disabled { id: "hc".into() })
        );
    }

    #[test]
    fn an_inverted_check_is_healthy_when_its_checkers_fail() {
        let inverted = HealthFacts::Found {
            disabled: false,
            unreadable: None,
            inverted: true,
            reports: vec!["Failure: HTTP Status Code 503".into(); 8],
        };
        assert_eq!(assess("hc", &inverted), Ok(()));
    }

    #[test]
    fn a_calculated_or_missing_check_cannot_verify() {
        let calculated = HealthFacts::Found {
            disabled: false,
            unreadable: Some("CALCULATED".into()),
            inverted: false,
            reports: Vec::new(),
        };
        assert_eq!(
            assess("hc", &calculated),
            Err(HealthProblem::Unreadable {
                id: "hc".into(),
                kind: "CALCULATED".into()
            })
        );
        assert_eq!(
            assess("hc", &HealthFacts::Missing),
            Err(HealthProblem::Missing { id: "hc".into() })
        );
    }
}
