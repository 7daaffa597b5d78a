//! The causes behind one error name: a caller branches on the name, an
//! operator reads the cause, which says what is wrong and whose fix it is.

use std::fmt;

/// Why a configured record cannot be moved (`RecordNotFound`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordProblem {
    /// The zone has no A, AAAA or CNAME record set of that name at all.
    NotInZone,
    /// A weighted record has no record set whose SetIdentifier is the region.
    NoRecordSet { region: String },
    /// A simple record, but `REGION_ENDPOINTS` has no value for the region.
    NoEndpoint { region: String },
    /// A simple record whose type cannot hold the region's endpoint value.
    TypeMismatch {
        rtype: String,
        region: String,
        value: String,
    },
    /// A simple alias record: it has no value to switch.
    SimpleAlias,
    /// Only latency, failover or geolocation record sets at this name.
    OtherRoutingPolicy,
}

impl RecordProblem {
    /// What to do about it, and whose job it is.
    pub fn remedy(&self) -> &'static str {
        match self {
            RecordProblem::NotInZone | RecordProblem::NoRecordSet { .. } => {
                "Whoever owns the zone creates the record set (weighted: SetIdentifier = the region \
                 name), or the deployer fixes RECORD_NAMES."
            }
            RecordProblem::NoEndpoint { .. } | RecordProblem::TypeMismatch { .. } => {
                "The deployer fixes REGION_ENDPOINTS (template parameter RegionEndpoints)."
            }
            RecordProblem::SimpleAlias | RecordProblem::OtherRoutingPolicy => {
                "Whoever owns the zone makes it a weighted record set per region, or the deployer \
                 removes it from RECORD_NAMES."
            }
        }
    }
}

impl fmt::Display for RecordProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordProblem::NotInZone => f.write_str("the zone has no A, AAAA or CNAME record of that name"),
            RecordProblem::NoRecordSet { region } => {
                write!(f, "it has no weighted record set for region {region}")
            }
            RecordProblem::NoEndpoint { region } => write!(
                f,
                "it is a simple record, and REGION_ENDPOINTS has no value for {region}"
            ),
            RecordProblem::TypeMismatch {
                rtype,
                region,
                value,
            } => write!(
                f,
                "it is a simple {rtype} record, which cannot hold {region}'s endpoint '{value}'"
            ),
            RecordProblem::SimpleAlias => {
                f.write_str("it is a simple alias record, which has no value to switch")
            }
            RecordProblem::OtherRoutingPolicy => f.write_str(
                "it has only latency, failover or geolocation record sets, which dr-lambdas does not move",
            ),
        }
    }
}

/// Why traffic was not moved to a region (`TargetUnhealthy`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HealthProblem {
    /// Its health checkers do not report success often enough.
    Unhealthy { id: String, detail: String },
    /// No checker has reported yet (a new health check).
    NoReports { id: String },
    /// Disabled: Route 53 treats it as healthy, so it verifies nothing.
    Disabled { id: String },
    /// A calculated or routing-control health check, whose status
    /// `GetHealthCheckStatus` does not report.
    Unreadable { id: String, kind: String },
    /// It does not exist.
    Missing { id: String },
    /// The region has no health check at all to verify.
    NoneToVerify,
}

impl HealthProblem {
    /// What to do about it, and whose job it is.
    pub fn remedy(&self) -> &'static str {
        match self {
            HealthProblem::Unhealthy { .. } => "Fix the target region first.",
            HealthProblem::NoReports { .. } => {
                "Wait a minute for Route 53's checkers to report, then invoke again."
            }
            HealthProblem::Disabled { .. } => {
                "Enable the health check (aws route53 update-health-check --health-check-id <id> \
                 --no-disabled), then invoke again."
            }
            HealthProblem::Unreadable { .. } => {
                "The deployer points REGION_HEALTH_CHECKS (template parameter RegionHealthChecks) at \
                 one of its endpoint health checks."
            }
            HealthProblem::Missing { .. } => {
                "The deployer fixes REGION_HEALTH_CHECKS, or the zone's owner the record set's health check."
            }
            HealthProblem::NoneToVerify => {
                "The deployer sets REGION_HEALTH_CHECKS (template parameter RegionHealthChecks) to \
                 {\"<region>\": \"<id of an endpoint health check of that region>\"}, or adds a health \
                 check to the region's weighted record sets."
            }
        }
    }
}

impl fmt::Display for HealthProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HealthProblem::Unhealthy { id, detail } => {
                write!(f, "its health check {id} is not healthy ({detail})")
            }
            HealthProblem::NoReports { id } => {
                write!(f, "no checker of its health check {id} has reported yet")
            }
            HealthProblem::Disabled { id } => write!(
                f,
                "its health check {id} is disabled: Route 53 treats a disabled check as healthy, so it \
                 verifies nothing"
            ),
            HealthProblem::Unreadable { id, kind } => write!(
                f,
                "its health check {id} is of type {kind}, whose status Route 53 does not report \
                 through GetHealthCheckStatus"
            ),
            HealthProblem::Missing { id } => write!(f, "its health check {id} does not exist"),
            HealthProblem::NoneToVerify => f.write_str(
                "no health check of it could be verified: its record sets carry none (aliases that rely \
                 on EvaluateTargetHealth, and simple records, cannot be checked from here)",
            ),
        }
    }
}
