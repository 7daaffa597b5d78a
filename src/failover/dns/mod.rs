//! The DNS mode: move traffic by rewriting Route 53 record sets, every
//! configured record in one atomic change batch.
//!
//! Every call here goes to the Route 53 control plane, which runs in
//! us-east-1 only.

pub mod config;
pub mod plan;
pub mod route53;

use aws_sdk_route53::Client;
use tracing::{info, warn};

use self::config::DnsConfig;
use self::plan::RecordDiff;
use super::event::FailoverRequest;
use super::health;
use super::{FailoverStatus, Moved};
use crate::error::{Error, HealthProblem, shorten};

/// The DNS mode: its Route 53 client and what it may change.
pub struct DnsMode {
    client: Client,
    config: DnsConfig,
}

impl DnsMode {
    /// The mode around a Route 53 client (tests pass mocked ones).
    pub fn new(client: Client, config: DnsConfig) -> Self {
        DnsMode { client, config }
    }

    /// Read, plan, pre-flight, then submit (or stop at the plan for a dry run).
    pub async fn failover(
        &self,
        req: &FailoverRequest,
        require_healthy_target: bool,
        request_id: &str,
    ) -> Result<Moved, Error> {
        let zone = &self.config.hosted_zone_id;
        let mut record_sets = Vec::new();
        for name in &self.config.record_names {
            record_sets.extend(route53::list_record_sets(&self.client, zone, name).await?);
        }
        let plan = plan::plan_failover(&self.config, req, &record_sets)?;
        let records: Vec<RecordDiff> = plan.changes.iter().map(RecordDiff::of).collect();

        if plan.changes.is_empty() {
            info!(
                "already active: every record already sends traffic to the target; nothing submitted"
            );
            return Ok(Moved::nothing(FailoverStatus::AlreadyActive, records));
        }

        let mut health_checks = plan.health_checks.clone();
        if let Some(id) = self.config.region_health_checks.get(&req.to_region)
            && !health_checks.contains(id)
        {
            health_checks.push(id.clone());
        }
        let checked = if req.force {
            warn!(health_checks = ?health_checks, "force: health pre-flight skipped on request");
            Vec::new()
        } else if require_healthy_target {
            self.preflight_health(req, &health_checks).await?
        } else {
            Vec::new()
        };

        if req.dry_run {
            info!(
                changes = records.len(),
                "dry run: change batch planned, nothing submitted"
            );
            return Ok(Moved {
                health_checks_passed: checked,
                ..Moved::nothing(FailoverStatus::DryRun, records)
            });
        }

        // Route 53 takes a comment of 256 characters at most; an alarm name alone may have 255.
        let comment = shorten(
            format!(
                "dr-lambdas failover {} -> {} ({}; request {request_id})",
                req.from_region, req.to_region, req.trigger
            ),
            255,
        );
        let submitted = route53::submit(&self.client, zone, &plan.changes, &comment).await?;
        info!(change_id = %submitted.change_id, status = ?submitted.status, changes = records.len(), "change batch submitted");
        Ok(Moved {
            change_id: Some(submitted.change_id),
            status: submitted.status,
            records,
            routing_controls: Vec::new(),
            health_checks_passed: checked,
        })
    }

    /// Every health check of the target (its record sets' and
    /// `REGION_HEALTH_CHECKS`') must verify it, and there must be one.
    async fn preflight_health(
        &self,
        req: &FailoverRequest,
        ids: &[String],
    ) -> Result<Vec<String>, Error> {
        let refuse = |problem| Error::TargetUnhealthy {
            region: req.to_region.clone(),
            problem,
        };
        if ids.is_empty() {
            return Err(refuse(HealthProblem::NoneToVerify));
        }
        for id in ids {
            let facts = route53::health_facts(&self.client, id).await?;
            health::assess(id, &facts).map_err(refuse)?;
            info!(health_check_id = %id, "target health check is healthy");
        }
        Ok(ids.to_vec())
    }
}
