//! The routing-control mode: move traffic with Route 53 ARC routing controls,
//! through the ARC cluster's data plane, which has an endpoint in five
//! regions. Nothing here calls the Route 53 control plane (us-east-1 only),
//! so this mode keeps working while us-east-1 is impaired.
//!
//! Each region's records answer through a health check that the region's
//! routing control drives (set up once, ahead of time): turning the target's
//! control On and the source's Off moves the traffic. What guards against
//! moving it to a broken region here are ARC's safety rules, evaluated over
//! the whole update, and the operator's decision; Route 53 health checks are
//! not read (`GetHealthCheckStatus` is a us-east-1 call too).

pub mod cluster;
pub mod config;
pub mod plan;

use tracing::{info, warn};

use self::cluster::ArcCluster;
use self::config::ArcConfig;
use super::event::FailoverRequest;
use super::{FailoverStatus, Moved};
use crate::error::Error;
use crate::runtime::Invocation;

/// The routing-control mode: its cluster endpoints and which control gates each region.
pub struct RoutingControlMode {
    cluster: ArcCluster,
    config: ArcConfig,
}

impl RoutingControlMode {
    /// The mode around a cluster client (tests point it at an emulator).
    pub fn new(cluster: ArcCluster, config: ArcConfig) -> Self {
        RoutingControlMode { cluster, config }
    }

    /// Read both states, plan, then one update (or stop at the plan for a dry run).
    pub async fn failover(
        &self,
        req: &FailoverRequest,
        invocation: &Invocation,
    ) -> Result<Moved, Error> {
        let control = |region: &str| {
            self.config
                .routing_controls
                .get(region)
                .map(String::as_str)
                .ok_or_else(|| Error::Misconfigured {
                    variable: "ROUTING_CONTROLS",
                    reason: format!("has no routing control for {region}"),
                })
        };
        let (from, to) = (control(&req.from_region)?, control(&req.to_region)?);
        let states = self.cluster.states(&[from, to], invocation).await?;
        let changes = plan::plan(req, (from, states[0]), (to, states[1]))?;

        if changes.is_empty() {
            info!(
                "already active: the target's routing control is On and the source's Off; nothing sent"
            );
            return Ok(Moved {
                routing_controls: Vec::new(),
                ..Moved::nothing(FailoverStatus::AlreadyActive, Vec::new())
            });
        }
        if !req.safety_rules_to_override.is_empty() {
            warn!(safety_rules = ?req.safety_rules_to_override, "overriding ARC safety rules on request");
        }
        if req.dry_run {
            info!(
                changes = changes.len(),
                "dry run: routing control update planned, nothing sent"
            );
            return Ok(Moved {
                routing_controls: changes,
                ..Moved::nothing(FailoverStatus::DryRun, Vec::new())
            });
        }
        self.cluster
            .update(&changes, &req.safety_rules_to_override, invocation)
            .await?;
        info!(changes = changes.len(), "routing control states updated");
        Ok(Moved {
            routing_controls: changes,
            ..Moved::nothing(FailoverStatus::Applied, Vec::new())
        })
    }
}
