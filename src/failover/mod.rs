//! `failover-region`: move customer traffic to the secondary region through
//! Route 53, in one atomic change batch, from a direct call or an alarm.

pub mod config;
pub mod event;
pub mod plan;
pub mod route53;

use aws_sdk_route53::Client;
use serde::Serialize;
use serde_json::Value;
use tracing::{info, warn};

use self::config::FailoverConfig;
use self::event::{FailoverRequest, Intent};
use self::plan::RecordDiff;
use crate::aws::{self, SdkSettings};
use crate::config::{ConfigError, Env};
use crate::error::Error;
use crate::runtime::{Handler, Invocation};

/// The handler's answer. `change_id`, `status` and `new_region` are the seed's contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailoverResult {
    /// Route 53's change id (for `GetChange`); `null` when nothing was submitted.
    pub change_id: Option<String>,
    /// `PENDING` / `INSYNC` (Route 53's own), `ALREADY_ACTIVE`, `DRY_RUN` or `SKIPPED`.
    pub status: String,
    /// The region that receives the traffic; `null` when skipped.
    pub new_region: Option<String>,
    /// The region the traffic moved away from; `null` when skipped.
    pub previous_region: Option<String>,
    /// Each changed record set, before and after (planned, for a dry run).
    pub records: Vec<RecordDiff>,
    /// Health checks of the new region verified healthy before the change.
    pub health_checks_passed: Vec<String>,
    /// True when the health pre-flight was skipped on request.
    pub forced: bool,
    /// What asked for the failover: `direct` or `alarm:<name> (<path>)`.
    pub trigger: String,
    /// Why nothing was done, when skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The failover handler, built once at init.
pub struct FailoverHandler {
    client: Client,
    config: FailoverConfig,
}

impl Handler for FailoverHandler {
    type Output = FailoverResult;

    async fn from_env(env: &dyn Env) -> Result<Self, ConfigError> {
        let config = FailoverConfig::from_env(env)?;
        let sdk = SdkSettings::from_env(env)?;
        let sdk_config = aws::load_sdk_config(&sdk).await;
        Ok(FailoverHandler::new(Client::new(&sdk_config), config))
    }

    async fn handle(&self, event: Value, invocation: &Invocation) -> Result<FailoverResult, Error> {
        FailoverHandler::handle(self, event, invocation).await
    }
}

impl FailoverHandler {
    /// A handler around an existing client (tests pass mocked ones).
    pub fn new(client: Client, config: FailoverConfig) -> Self {
        FailoverHandler { client, config }
    }

    /// Handles one event: decode, validate, read, plan, pre-flight, apply.
    pub async fn handle(
        &self,
        event: Value,
        invocation: &Invocation,
    ) -> Result<FailoverResult, Error> {
        let req = match event::parse(event, &self.config)? {
            Intent::Skip { trigger, reason } => {
                info!(trigger = %trigger, reason = %reason, "skipped: nothing changed");
                return Ok(FailoverResult {
                    change_id: None,
                    status: "SKIPPED".to_owned(),
                    new_region: None,
                    previous_region: None,
                    records: Vec::new(),
                    health_checks_passed: Vec::new(),
                    forced: false,
                    trigger,
                    reason: Some(reason),
                });
            }
            Intent::Failover(req) => req,
        };
        info!(
            from_region = %req.from_region,
            to_region = %req.to_region,
            trigger = %req.trigger,
            dry_run = req.dry_run,
            force = req.force,
            "failover requested"
        );

        self.attempt(&req, &invocation.request_id).await
    }

    /// Read, plan, pre-flight, then submit (or stop at the plan for a dry run).
    async fn attempt(
        &self,
        req: &FailoverRequest,
        request_id: &str,
    ) -> Result<FailoverResult, Error> {
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
            return Ok(result(req, "ALREADY_ACTIVE", None, records, Vec::new()));
        }

        let checked = self.preflight_health(req, &plan.health_checks).await?;

        if req.dry_run {
            info!(
                changes = records.len(),
                "dry run: change batch planned, nothing submitted"
            );
            return Ok(result(req, "DRY_RUN", None, records, checked));
        }

        let comment = format!(
            "dr-lambdas failover {} -> {} ({}; request {request_id})",
            req.from_region, req.to_region, req.trigger
        );
        let submitted = route53::submit(&self.client, zone, &plan.changes, &comment).await?;
        info!(change_id = %submitted.change_id, status = %submitted.status, changes = records.len(), "change batch submitted");
        Ok(result(
            req,
            &submitted.status,
            Some(submitted.change_id),
            records,
            checked,
        ))
    }

    /// Every health check of the target's record sets must be healthy, unless
    /// the event says `force` or `REQUIRE_HEALTHY_TARGET` is false.
    async fn preflight_health(
        &self,
        req: &FailoverRequest,
        ids: &[String],
    ) -> Result<Vec<String>, Error> {
        if req.force {
            warn!(health_checks = ?ids, "force: health pre-flight skipped on request");
            return Ok(Vec::new());
        }
        if !self.config.require_healthy_target {
            return Ok(Vec::new());
        }
        for id in ids {
            let reports = route53::health_reports(&self.client, id, &req.to_region).await?;
            plan::assess_health(id, &req.to_region, &reports)?;
            info!(health_check_id = %id, checkers = reports.len(), "target health check is healthy");
        }
        Ok(ids.to_vec())
    }
}

fn result(
    req: &FailoverRequest,
    status: &str,
    change_id: Option<String>,
    records: Vec<RecordDiff>,
    health_checks_passed: Vec<String>,
) -> FailoverResult {
    FailoverResult {
        change_id,
        status: status.to_owned(),
        new_region: Some(req.to_region.clone()),
        previous_region: Some(req.from_region.clone()),
        records,
        health_checks_passed,
        forced: req.force,
        trigger: req.trigger.clone(),
        reason: None,
    }
}
