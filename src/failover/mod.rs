//! `failover-region`: move customer traffic to the secondary region, from a
//! direct call or an alarm.
//!
//! - `event.rs`: the event shapes, decoded into a [`event::FailoverRequest`];
//! - `alarm.rs`: what an alarm does by `AlarmAction` (page, start a
//!   scenario's recovery, or move traffic here);
//! - `config.rs`: what every mode shares (regions, guards);
//! - `health.rs`: when a health check counts as healthy;
//! - `dns/`: the DNS mode, Route 53 record sets in one atomic change batch;
//! - `arc/`: the routing-control mode, ARC routing controls through the
//!   cluster's data plane, with no us-east-1 dependency.

pub mod alarm;
pub mod arc;
pub mod config;
pub mod dns;
pub mod event;
pub mod health;

use aws_config::SdkConfig;
use serde::Serialize;
use serde_json::Value;
use tracing::{error, info, warn};

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
use crate::plan::Plan;
use crate::plan::alarm::AlarmAction;
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
    /// An alarm under `AlarmAction=page`: on-call told; nothing moved.
    Paged,
    /// An alarm under `AlarmAction=recover:<scenario>` started its recovery.
    RecoveryStarted,
    /// An alarm under `recover:<scenario>` found a recovery running, and
    /// started nothing.
    RecoveryRunning,
    /// An alarm under `recover:<scenario>` found that an alarm of the same
    /// quarter hour (or this delivery's earlier attempt) had started the
    /// recovery, which may have ended since; nothing started.
    RecoveryAlreadyStarted,
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
    /// Why nothing was done, when skipped or paged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// An alarm's `AlarmAction`, when an alarm asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alarm_action: Option<String>,
    /// The recovery an alarm started, or found running.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_arn: Option<String>,
    /// The SNS message id of the page to on-call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paged: Option<String>,
}

impl FailoverResult {
    /// Nothing moved, for `reason`.
    fn unmoved(status: FailoverStatus, trigger: Trigger, reason: String) -> Self {
        FailoverResult {
            change_id: None,
            status,
            new_region: None,
            previous_region: None,
            records: Vec::new(),
            routing_controls: Vec::new(),
            health_checks_passed: Vec::new(),
            forced: false,
            trigger,
            reason: Some(reason),
            alarm_action: None,
            execution_arn: None,
            paged: None,
        }
    }
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
    /// The deployment's recovery plan, which an alarm's action is judged
    /// by; `Err`: its mistake.
    plan: Result<Option<Plan>, String>,
    /// On-call's topic (`ONCALL_TOPIC_ARN`).
    sns: aws_sdk_sns::Client,
    /// The recovery workflow (`RECOVERY_STATE_MACHINE_ARN`).
    sfn: aws_sdk_sfn::Client,
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
        let plan = crate::plan::load(env).map_err(|e| {
            // Not a failed init: a direct failover needs no plan.
            error!(mistake = %e.reason, "the recovery plan is refused");
            e.reason
        });
        Ok(FailoverHandler::new(config, mode)
            .with_alarm_clients(
                aws_sdk_sns::Client::new(sdk_config),
                aws_sdk_sfn::Client::new(sdk_config),
            )
            .with_plan(plan))
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
                return Ok(FailoverResult::unmoved(
                    FailoverStatus::Skipped,
                    trigger,
                    reason,
                ));
            }
            Intent::Failover(req) => req,
        };
        let alarm_action = if matches!(req.trigger, Trigger::Alarm { .. }) {
            let decided = match &self.config.alarm_action {
                Ok(AlarmAction::Page) => return self.page(req.trigger).await,
                Ok(AlarmAction::Recover(scenario)) => {
                    self.recover(req.trigger.clone(), scenario, invocation)
                        .await
                }
                Ok(AlarmAction::Traffic) => self.traffic_may_move_alone().map(|()| None),
                Err(reason) => Err(Error::Misconfigured {
                    variable: "ALARM_ACTION",
                    reason: format!("{reason}; nothing was moved or started"),
                }),
            };
            match decided {
                Ok(Some(result)) => return Ok(result),
                Ok(None) => {}
                Err(e) => {
                    // A refusal the retries cannot change: on-call hears it
                    // now, not when the failure queue's alarm fires.
                    if !e.is_retryable() {
                        self.page_refusal(&req.trigger, &e).await;
                    }
                    return Err(e);
                }
            }
            Some(AlarmAction::Traffic.to_string())
        } else {
            None
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
            alarm_action,
            execution_arn: None,
            paged: None,
        })
    }

    /// The deployment's plan, or the refusal that names its absence.
    fn plan(&self) -> Result<&Plan, Error> {
        match &self.plan {
            Ok(Some(plan)) => Ok(plan),
            Ok(None) => Err(Error::Misconfigured {
                variable: "PLAN_FILE",
                reason: format!(
                    "names no recovery plan, and none is at {}: deploy the plan layer; nothing \
                     was moved or started",
                    crate::plan::DEFAULT_PLAN_FILE
                ),
            }),
            Err(mistake) => Err(Error::Misconfigured {
                variable: "PLAN_FILE",
                reason: format!(
                    "holds a plan with a mistake ({mistake}); nothing was moved or started"
                ),
            }),
        }
    }

    /// `AlarmAction=traffic`: refused when the plan recovers databases whose
    /// writer is in the primary region, unless the deploy allows it.
    fn traffic_may_move_alone(&self) -> Result<(), Error> {
        let plan = match &self.plan {
            Ok(plan) => plan.as_ref(),
            Err(_) => Some(self.plan()?),
        };
        match crate::plan::alarm::traffic_alone_refusal(
            plan,
            &self.config.secondary_region,
            self.config.alarm_may_move_traffic_alone,
        ) {
            Some(refusal) => Err(Error::Misconfigured {
                variable: "ALARM_ACTION",
                reason: format!("{refusal}. Nothing was moved"),
            }),
            None => Ok(()),
        }
    }

    /// `AlarmAction=page`: on-call is told; nothing moves.
    async fn page(&self, trigger: Trigger) -> Result<FailoverResult, Error> {
        let Some(topic) = &self.config.oncall_topic else {
            return Err(Error::Misconfigured {
                variable: "ONCALL_TOPIC_ARN",
                reason: format!(
                    "is empty, and AlarmAction is page: {trigger} is in ALARM and nobody could \
                     be told (nothing was moved). Deploy with AlarmTopicArn"
                ),
            });
        };
        let scenarios: Vec<String> = match &self.plan {
            Ok(Some(plan)) => plan
                .scenarios
                .iter()
                .filter(|(_, s)| s.moves_traffic)
                .map(|(name, _)| name.clone())
                .collect(),
            _ => Vec::new(),
        };
        let message = alarm::page_message(
            &trigger,
            self.config.recovery_state_machine.as_deref(),
            &scenarios,
        );
        let subject = format!("{trigger} in ALARM: nothing moved, decide");
        let id = alarm::publish(&self.sns, topic, &subject, &message).await?;
        info!(trigger = %trigger, message_id = %id, "paged: nothing moved");
        let mut result = FailoverResult::unmoved(
            FailoverStatus::Paged,
            trigger,
            "AlarmAction is page: on-call is told, nothing moved".to_owned(),
        );
        result.alarm_action = Some(AlarmAction::Page.to_string());
        result.paged = Some(id);
        Ok(result)
    }

    /// `AlarmAction=recover:<scenario>`: starts that scenario's recovery,
    /// unless one runs; then tells on-call.
    async fn recover(
        &self,
        trigger: Trigger,
        scenario: &str,
        invocation: &Invocation,
    ) -> Result<Option<FailoverResult>, Error> {
        let plan = self.plan()?;
        crate::plan::alarm::may_start(plan, scenario).map_err(|reason| Error::Misconfigured {
            variable: "ALARM_ACTION",
            reason: format!("is recover:{scenario}, and {reason}; nothing was started"),
        })?;
        let Some(state_machine) = &self.config.recovery_state_machine else {
            return Err(Error::Misconfigured {
                variable: "RECOVERY_STATE_MACHINE_ARN",
                reason: "is empty, and AlarmAction starts a recovery; nothing was started"
                    .to_owned(),
            });
        };
        let name = alarm::execution_name(&trigger, scenario, &invocation.request_id);
        let started = alarm::start(&self.sfn, state_machine, &name, scenario).await?;
        let (status, arn) = match &started {
            alarm::Started::New(arn) => (FailoverStatus::RecoveryStarted, arn.clone()),
            alarm::Started::Running(arn) => (FailoverStatus::RecoveryRunning, arn.clone()),
            alarm::Started::Earlier(arn) => (FailoverStatus::RecoveryAlreadyStarted, arn.clone()),
        };
        info!(trigger = %trigger, scenario, execution = %arn, status = ?status, "alarm's recovery");
        // The recovery runs whether or not on-call hears of it now: a page
        // that fails is logged, and the workflow reports its end anyway.
        let paged = match &self.config.oncall_topic {
            Some(topic) => {
                let message = alarm::started_message(&trigger, scenario, &started);
                let subject = format!("{trigger}: recovery of {scenario}");
                match alarm::publish(&self.sns, topic, &subject, &message).await {
                    Ok(id) => Some(id),
                    Err(e) => {
                        error!(error = %e, "on-call could not be told of the recovery");
                        None
                    }
                }
            }
            None => {
                warn!("ONCALL_TOPIC_ARN is empty: on-call is not told of the recovery");
                None
            }
        };
        let mut result = FailoverResult::unmoved(
            status,
            trigger,
            format!(
                "AlarmAction is recover:{scenario}: the workflow recovers the databases, then \
                 moves traffic once"
            ),
        );
        result.alarm_action = Some(format!("recover:{scenario}"));
        result.execution_arn = Some(arn);
        result.paged = paged;
        Ok(Some(result))
    }

    /// Tells on-call that the alarm's action was refused, and why; nothing
    /// moved or started. Best effort: the refusal is the invocation's error
    /// whatever happens here (the failure queue keeps it).
    async fn page_refusal(&self, trigger: &Trigger, refusal: &Error) {
        let Some(topic) = &self.config.oncall_topic else {
            return;
        };
        let message = alarm::refusal_message(
            trigger,
            refusal,
            self.config.recovery_state_machine.as_deref(),
        );
        let subject = format!("{trigger} in ALARM: its action was refused, decide");
        if let Err(e) = alarm::publish(&self.sns, topic, &subject, &message).await {
            error!(error = %e, "on-call could not be told of the refusal");
        }
    }

    /// A handler for `config`, moving traffic by `mode`. Its on-call and
    /// workflow clients reach nowhere until `with_alarm_clients`, so that a
    /// test that forgets them fails loudly.
    pub fn new(config: FailoverConfig, mode: Mode) -> Self {
        let region = config.secondary_region.clone();
        FailoverHandler {
            config,
            mode,
            plan: Ok(None),
            sns: aws_sdk_sns::Client::from_conf(
                aws_sdk_sns::Config::builder()
                    .behavior_version(aws_sdk_sns::config::BehaviorVersion::latest())
                    .region(aws_sdk_sns::config::Region::new(region.clone()))
                    .endpoint_url("http://127.0.0.1:9")
                    .build(),
            ),
            sfn: aws_sdk_sfn::Client::from_conf(
                aws_sdk_sfn::Config::builder()
                    .behavior_version(aws_sdk_sfn::config::BehaviorVersion::latest())
                    .region(aws_sdk_sfn::config::Region::new(region))
                    .endpoint_url("http://127.0.0.1:9")
                    .build(),
            ),
        }
    }

    /// The same handler, with the clients an alarm's action uses.
    pub fn with_alarm_clients(
        mut self,
        sns: aws_sdk_sns::Client,
        sfn: aws_sdk_sfn::Client,
    ) -> Self {
        self.sns = sns;
        self.sfn = sfn;
        self
    }

    /// The same handler, with the deployment's recovery plan (or its
    /// mistake).
    pub fn with_plan(mut self, plan: Result<Option<Plan>, String>) -> Self {
        self.plan = plan;
        self
    }

    /// Its configuration: the regions a failover moves between.
    pub fn config(&self) -> &FailoverConfig {
        &self.config
    }
}
