//! The health rule every failover mode shares: when a health check counts as healthy.

use crate::error::Error;

/// How Route 53's health checkers see a health check.
///
/// Route 53 itself considers a check healthy when more than 18% of its
/// checkers report success; the same rule applies here.
pub fn assess_health(health_check_id: &str, region: &str, reports: &[String]) -> Result<(), Error> {
    let healthy = reports.iter().filter(|r| r.starts_with("Success")).count();
    if !reports.is_empty() && healthy * 100 > reports.len() * 18 {
        return Ok(());
    }
    let detail = if reports.is_empty() {
        "no health checker has reported".to_owned()
    } else {
        let sample = reports
            .iter()
            .find(|r| !r.starts_with("Success"))
            .cloned()
            .unwrap_or_default();
        format!(
            "{healthy} of {} checkers report success; e.g. \"{sample}\"",
            reports.len()
        )
    };
    Err(Error::TargetUnhealthy {
        region: region.to_owned(),
        health_check_id: health_check_id.to_owned(),
        detail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_with_most_checkers_failing_is_unhealthy() {
        let reports = vec!["Failure: timed out".to_owned(); 8];
        let err = assess_health("hc-west", "us-west-2", &reports).unwrap_err();
        assert_eq!(err.name(), "TargetUnhealthy");
        assert!(err.to_string().contains("0 of 8 checkers report success"));
    }

    #[test]
    fn a_check_with_enough_successful_checkers_is_healthy() {
        let mut reports = vec!["Failure: timed out".to_owned(); 6];
        reports.extend(vec!["Success: HTTP Status Code 200".to_owned(); 2]);
        assert!(assess_health("hc", "us-west-2", &reports).is_ok());
    }

    #[test]
    fn a_check_with_no_report_is_unhealthy() {
        assert_eq!(
            assess_health("hc", "us-west-2", &[]).unwrap_err().name(),
            "TargetUnhealthy"
        );
    }
}
