//! `failover-region`: move customer traffic to the secondary region, from a
//! direct call or an alarm.
//!
//! - `event.rs`: the event shapes, decoded into a [`event::FailoverRequest`];
//! - `config.rs`: what every mode shares (regions, guards);
//! - `health.rs`: when a health check counts as healthy;
//! - `dns/`: the DNS mode, Route 53 record sets in one atomic change batch;
//! - `arc/`: the routing-control mode, ARC routing controls through the
//!   cluster's data plane, with no us-east-1 dependency.

pub mod arc;
pub mod config;
pub mod dns;
pub mod event;
pub mod health;

use aws_config::SdkConfig;
use serde::Serialize;
use serde_json::Value;
use tracing::info;

use self::arc::RoutingControlMode;
use self::arc::cluster::ArcCluster;
use self::arc::config::ArcConfig;
use self::arc::plan::ControlDiff;
use self::config::FailoverConfig;
use self::dns::DnsMode;
use self::dns::config::DnsConfig;
use self::dns::plan::RecordDiff;
use self::event::Intent;
use crate::aws::{self, SdkSettings};
use crate::config::{ConfigError, Env};
use crate::error::Error;
use crate::runtime::{Handler, Invocation};
use crate::trigger::Trigger;

/// Where a failover stands, as the result reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FailoverStatus {
    /// Submitted; Route 53 is propagating it.
    Pending,
    /// Submitted and already propagated.
    Insync,
    /// The traffic already goes to the target; nothing submitted.
    AlreadyActive,
    /// Planned, pre-flight included; nothing submitted.
    DryRun,
    /// An alarm in a state other than ALARM; nothing read or changed.
    Skipped,
    /// Routing-control mode: ARC has the new states. The records follow
    /// through their health checks within about a minute; there is no change
    /// to poll.
    Applied,
}

/// The handler's answer. `change_id`, `status` and `new_region` are the seed's contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailoverResult {
    /// Route 53's change id (for `GetChange`); `null` when nothing was submitted.
    pub change_id: Option<String>,
    /// See [`FailoverStatus`].
    pub status: FailoverStatus,
    /// The region that receives the traffic; `null` when skipped.
    pub new_region: Option<String>,
    /// The region the traffic moved away from; `null` when skipped.
    pub previous_region: Option<String>,
    /// Each changed record set, before and after (planned, for a dry run).
    pub records: Vec<RecordDiff>,
    /// Routing-control mode: each changed routing control, before and after.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub routing_controls: Vec<ControlDiff>,
    /// Health checks of the new region verified healthy before the change.
    pub health_checks_passed: Vec<String>,
    /// True when the health pre-flight was skipped on request.
    pub forced: bool,
    /// What asked for the failover: `direct` or `alarm:<name> (<path>)`.
    pub trigger: Trigger,
    /// Why nothing was done, when skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What a mode did (or would do, for a dry run).
#[derive(Debug, Clone, PartialEq)]
pub struct Moved {
    pub change_id: Option<String>,
    pub status: FailoverStatus,
    pub records: Vec<RecordDiff>,
    pub routing_controls: Vec<ControlDiff>,
    pub health_checks_passed: Vec<String>,
}

impl Moved {
    /// Nothing submitted, for the reason `status` gives.
    pub fn nothing(status: FailoverStatus, records: Vec<RecordDiff>) -> Self {
        Moved {
            change_id: None,
            status,
            records,
            routing_controls: Vec::new(),
            health_checks_passed: Vec::new(),
        }
    }
}

/// How traffic moves (`FAILOVER_MODE`).
pub enum Mode {
    /// Route 53 record sets (`dns/`): `dns`, the default.
    Dns(DnsMode),
    /// ARC routing controls (`arc/`): `routing-control`.
    RoutingControl(RoutingControlMode),
}

/// The failover handler, built once at init.
pub struct FailoverHandler {
    config: FailoverConfig,
    mode: Mode,
}

impl Handler for FailoverHandler {
    type Output = FailoverResult;

    async fn from_env(env: &dyn Env) -> Result<Self, ConfigError> {
        let sdk = SdkSettings::from_env(env)?;
        FailoverHandler::from_config(env, &aws::load_sdk_config(&sdk).await, &sdk)
    }

    /// Handles one event: decode, validate, read, plan, apply.
    async fn handle(&self, event: Value, invocation: &Invocation) -> Result<FailoverResult, Error> {
        self.failover(event, invocation).await
    }
}

impl FailoverHandler {
    /// The handler for `env`'s configuration, with SDK clients from
    /// `sdk_config` (check-readiness shares one configuration among
    /// handlers: each load builds an HTTP client and its TLS roots).
    pub fn from_config(
        env: &dyn Env,
        sdk_config: &SdkConfig,
        sdk: &SdkSettings,
    ) -> Result<Self, ConfigError> {
        let config = FailoverConfig::from_env(env)?;
        let mode = match env.get("FAILOVER_MODE").as_deref().map(str::trim) {
            None | Some("dns") => {
                let dns = DnsConfig::from_env(env)?;
                Mode::Dns(DnsMode::new(aws_sdk_route53::Client::new(sdk_config), dns))
            }
            Some("routing-control") => {
                let regions = [
                    config.primary_region.as_str(),
                    config.secondary_region.as_str(),
                ];
                let arc = ArcConfig::from_env(env, &regions)?;
                if config.require_healthy_target {
                    info!(
                        "REQUIRE_HEALTHY_TARGET does not apply in routing-control mode: ARC safety rules guard the change"
                    );
                }
                let cluster = ArcCluster::new(sdk_config, &arc.endpoints, sdk);
                Mode::RoutingControl(RoutingControlMode::new(cluster, arc))
            }
            Some(other) => {
                return Err(ConfigError::new(
                    "FAILOVER_MODE",
                    format!("'{other}' is neither dns nor routing-control"),
                ));
            }
        };
        Ok(FailoverHandler::new(config, mode))
    }

    /// One event: decode, validate, read, plan, apply.
    async fn failover(
        &self,
        event: Value,
        invocation: &Invocation,
    ) -> Result<FailoverResult, Error> {
        let req = match event::parse(event, &self.config)? {
            Intent::Skip { trigger, reason } => {
                info!(trigger = %trigger, reason = %reason, "skipped: nothing changed");
                return Ok(FailoverResult {
                    change_id: None,
                    status: FailoverStatus::Skipped,
                    new_region: None,
                    previous_region: None,
                    records: Vec::new(),
                    routing_controls: Vec::new(),
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
        let moved = match &self.mode {
            Mode::Dns(dns) => {
                if !req.safety_rules_to_override.is_empty() {
                    return Err(Error::invalid(
                        "safety_rules_to_override",
                        "applies in routing-control mode only (FAILOVER_MODE=routing-control); \
                         this function moves DNS records",
                    ));
                }
                dns.failover(
                    &req,
                    self.config.require_healthy_target,
                    &invocation.request_id,
                )
                .await?
            }
            Mode::RoutingControl(arc) => {
                if req.force {
                    return Err(Error::invalid(
                        "force",
                        "does not apply in routing-control mode, which reads no Route 53 health \
                         check: to get past an ARC safety rule, name it in safety_rules_to_override",
                    ));
                }
                arc.failover(&req, invocation).await?
            }
        };
        Ok(FailoverResult {
            change_id: moved.change_id,
            status: moved.status,
            new_region: Some(req.to_region),
            previous_region: Some(req.from_region),
            records: moved.records,
            routing_controls: moved.routing_controls,
            health_checks_passed: moved.health_checks_passed,
            forced: req.force,
            trigger: req.trigger,
            reason: None,
        })
    }

    /// A handler for `config`, moving traffic by `mode`.
    pub fn new(config: FailoverConfig, mode: Mode) -> Self {
        FailoverHandler { config, mode }
    }

    /// Its configuration: the regions a failover moves between.
    pub fn config(&self) -> &FailoverConfig {
        &self.config
    }
}
