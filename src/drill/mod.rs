//! `drill`: the recovery workflow's helper. Step Functions cannot read
//! `/opt`, subtract timestamps, bound a foreign payload, batch N status
//! reads or write EMF; these small actions do, each in a file of its own:
//!
//! - `preflight`: the workflow's input checked whole before anything
//!   changes (`preflight.rs`);
//! - `sweep`: the primary's alarm, then earlier drills' leftovers deleted
//!   where that is provably safe;
//! - `cleanup`: the project's only delete (`cleanup.rs`), of what this
//!   drill restored and of the drill record;
//! - `validate`: the user's validation function, its answer bounded
//!   (`validation.rs`);
//! - `plan`: a scenario of the recovery plan expanded into per-database
//!   restore events (`crate::plan`);
//! - `watch`: one poll of a platform's databases in batched reads, and
//!   which go back to the restore function (`watch.rs`);
//! - `cutover`: the platform's one change batch, or none (`cutover.rs`);
//! - `notice`: a platform recovery's message to on-call, bounded
//!   (`notice.rs`);
//! - `report`: the timeline, recovery time and data loss (`plan.rs`), and
//!   the metrics, as one EMF line.

pub mod cleanup;
pub mod cutover;
pub mod notice;
pub mod plan;
pub mod preflight;
pub mod validation;
pub mod watch;

use std::time::{Duration, UNIX_EPOCH};

use aws_config::SdkConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_lambda::primitives::Blob;
use serde::Deserialize;
use serde_json::{Value, json};
use tracing::{info, warn};

use crate::aws::{self, RegionalClients, SdkSettings};
use crate::config::{ConfigError, Env};
use crate::error::{Error, from_sdk};
use crate::metrics::{self, DEFAULT_NAMESPACE};
use crate::restore::request::rfc3339;
use crate::runtime::{Handler, Invocation};
use crate::validate;

/// One call of the workflow's helper.
#[derive(Debug, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
enum DrillEvent {
    /// The workflow's first check of its own input (`preflight.rs`).
    Preflight {
        /// `$$.Execution.Name`: a drill's marker and its names' suffix.
        execution: String,
        /// `$$.Execution.Input`: the input exactly as it was given.
        input: Value,
        /// The workflow's deployment settings.
        #[serde(default)]
        deployment: Value,
    },
    /// After the pre-flight: the primary's alarm, then earlier drills'
    /// leftovers deleted where that is provably safe.
    Sweep {
        /// The drill's restores, as the pre-flight made them (one, or a
        /// scenario's).
        restores: Vec<Value>,
    },
    Cleanup {
        /// Absent when the drill was refused before it restored anything.
        #[serde(default)]
        marker: Option<String>,
        #[serde(default)]
        restore: Option<Value>,
        /// A drill of a scenario: each database's copy and drill record
        /// (empty for one database's drill, whose record is the configured
        /// one).
        #[serde(default)]
        copies: Vec<cleanup::Copy>,
        /// Leftover clusters the sweep could not finish (their writer was
        /// still being deleted): this cleanup's loop finishes them.
        #[serde(default)]
        sweep_pending: Vec<String>,
    },
    /// The user's validation function, invoked here and answered bounded.
    Validate {
        target: Value,
        /// A platform's validation: the detail cut to 300 bytes.
        #[serde(default)]
        brief: bool,
    },
    /// A scenario of the deployment's recovery plan, expanded into one
    /// restore event per database (Step Functions cannot read `/opt`).
    Plan { start: crate::plan::Start },
    /// The platform's wait: every database's status in batched reads
    /// (`watch.rs`), and which the restore function must see again.
    Watch {
        databases: Vec<watch::Watched>,
        /// The restore function's answers for the databases the last poll
        /// sent back to it, merged by name.
        #[serde(default)]
        resumed: Vec<watch::Watched>,
        /// The polls so far (the workflow's loop counts through here: a
        /// counting state of its own would cost history events).
        #[serde(default)]
        polls: u64,
    },
    /// The platform's cutover, planned: one change batch, or none, and the
    /// report's summary (`cutover.rs`).
    Cutover {
        databases: Vec<watch::Watched>,
        /// The validation's answers (each database with its `validation`),
        /// merged by name; empty when no validation is configured.
        #[serde(default)]
        validated: Vec<watch::Watched>,
        zone: String,
        /// The record's TTL: a number, or its text (a template parameter).
        ttl: Value,
        execution: String,
        /// `$$.Execution.StartTime`: the recovery time's start.
        #[serde(default)]
        started_at: Option<String>,
        /// The scenario, the metrics' `Scenario` dimension.
        #[serde(default)]
        scenario: Option<String>,
        /// A drill's cutover (of its drill records): the report writes its
        /// metrics, not the recovery's.
        #[serde(default)]
        drill: bool,
    },
    /// A platform recovery's message to on-call, bounded (`notice.rs`).
    Notice {
        /// The workflow's state at its end.
        state: Value,
        succeeded: bool,
    },
    Report {
        /// `$$.Execution.StartTime`: when the drill was asked for.
        #[serde(default)]
        started_at: Option<String>,
        /// The workflow's state at its end.
        state: Value,
    },
}

/// What the drill function configures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrillSettings {
    /// `METRICS_NAMESPACE`.
    pub namespace: String,
    /// `PRIVATE_HOSTED_ZONE_ID`: the zone of the production records and of
    /// the drill record.
    pub zone: Option<String>,
    /// `DRILL_DB_ENDPOINT_RECORD_NAME` and `PRODUCTION_RECORD_NAMES`.
    pub records: preflight::Records,
    /// `PRIMARY_ALARM_NAME` (in `PRIMARY_ALARM_REGION`, default
    /// us-east-1): no drill while it is in ALARM.
    pub alarm: Option<(String, String)>,
    /// `DRILL_VALIDATION_FUNCTION_ARN`: the only function `validate` invokes.
    pub validation_function: Option<String>,
}

impl DrillSettings {
    fn from_env(env: &dyn Env) -> Result<Self, ConfigError> {
        let text = |name: &str| {
            env.get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let alarm_region = text("PRIMARY_ALARM_REGION").unwrap_or_else(|| "us-east-1".to_owned());
        validate::region_name(&alarm_region)
            .map_err(|reason| ConfigError::new("PRIMARY_ALARM_REGION", reason))?;
        let records = preflight::Records {
            drill: text("DRILL_DB_ENDPOINT_RECORD_NAME"),
            production: text("PRODUCTION_RECORD_NAMES")
                .map(|list| {
                    list.split(',')
                        .map(|n| n.trim().to_owned())
                        .filter(|n| !n.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
        };
        // Not refused here: this function is also every recovery's
        // pre-flight, which a drill's mistake must not stop. Every drill's
        // pre-flight refuses it, and the template's Rule refuses the deploy.
        Ok(DrillSettings {
            namespace: text("METRICS_NAMESPACE").unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned()),
            zone: text("PRIVATE_HOSTED_ZONE_ID"),
            records,
            alarm: text("PRIMARY_ALARM_NAME").map(|name| (name, alarm_region)),
            validation_function: text("DRILL_VALIDATION_FUNCTION_ARN"),
        })
    }
}

/// The drill handler, built once at init.
pub struct DrillHandler {
    rds: RegionalClients<aws_sdk_rds::Client>,
    route53: aws_sdk_route53::Client,
    cloudwatch: RegionalClients<aws_sdk_cloudwatch::Client>,
    lambda: aws_sdk_lambda::Client,
    settings: DrillSettings,
    /// The deployment's recovery plan (`PLAN_FILE`), if one is deployed;
    /// `Err`: its mistake, as the check command says it.
    plan: Result<Option<crate::plan::Plan>, String>,
}

impl Handler for DrillHandler {
    type Output = Value;

    async fn from_env(env: &dyn Env) -> Result<Self, ConfigError> {
        let sdk = aws::load_sdk_config(&SdkSettings::from_env(env)?).await;
        DrillHandler::from_config(env, &sdk)
    }

    async fn handle(&self, event: Value, invocation: &Invocation) -> Result<Value, Error> {
        let now = rfc3339(invocation.received.into());
        let output = match validate::decode::<DrillEvent>(event)? {
            DrillEvent::Preflight {
                execution,
                input,
                deployment,
            } => Ok(self.preflight(&execution, &input, &deployment).await?),
            DrillEvent::Sweep { restores } => {
                let epoch = invocation
                    .received
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64);
                Ok(self.sweep(&restores, epoch).await?)
            }
            DrillEvent::Cleanup {
                marker,
                restore,
                copies,
                sweep_pending,
            } => {
                let mut out = self
                    .cleanup(marker.as_deref(), restore.as_ref(), &copies, &sweep_pending)
                    .await?;
                out["cleaned_at"] = json!(now);
                Ok(out)
            }
            DrillEvent::Validate { target, brief } => {
                let answer = self.validate(&target).await?;
                Ok(if brief {
                    validation::brief(answer)
                } else {
                    answer
                })
            }
            DrillEvent::Plan { start } => Ok(self.expand(&start)?),
            DrillEvent::Watch {
                databases,
                resumed,
                polls,
            } => Ok(self.watch(databases, resumed, polls, invocation).await?),
            DrillEvent::Cutover {
                databases,
                validated,
                zone,
                ttl,
                execution,
                started_at,
                scenario,
                drill,
            } => {
                let out = cutover::decide(
                    &databases,
                    &validated,
                    &zone,
                    &ttl,
                    &execution,
                    started_at.as_deref(),
                    invocation.received,
                );
                // A drill's databases are copies: its report writes the
                // Drill* metrics, never the recovery's.
                if !drill {
                    for line in cutover::metrics(
                        &self.settings.namespace,
                        scenario.as_deref().unwrap_or("none"),
                        &out,
                        invocation.received,
                    ) {
                        println!("{line}");
                    }
                }
                Ok(out)
            }
            DrillEvent::Notice { state, succeeded } => {
                Ok(json!({"message": notice::message(&state, succeeded)}))
            }
            DrillEvent::Report { started_at, state } => {
                serde_json::to_value(self.report(started_at, state, invocation))
            }
        };
        output.map_err(|e| Error::Internal {
            detail: format!("the drill's answer could not be written: {e}"),
        })
    }
}

impl DrillHandler {
    /// The handler for `env`'s configuration, with clients from `sdk`.
    pub fn from_config(env: &dyn Env, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        let home = aws::home_region(sdk)?;
        // The validation function may take minutes (it may warm up the
        // restored storage): its own time-out, below the function's.
        let validation = Duration::from_secs(validation::TIMEOUT_SECONDS);
        let lambda = aws_sdk_lambda::Client::from_conf(
            aws_sdk_lambda::config::Builder::from(sdk)
                .timeout_config(
                    TimeoutConfig::builder()
                        .operation_timeout(validation)
                        .operation_attempt_timeout(validation)
                        .build(),
                )
                .build(),
        );
        Ok(DrillHandler::new(
            aws_sdk_rds::Client::new(sdk),
            aws_sdk_route53::Client::new(sdk),
            aws_sdk_cloudwatch::Client::new(sdk),
            home,
            DrillSettings::from_env(env)?,
        )
        .with_lambda(lambda)
        .with_plan(crate::plan::load(env).map_err(|e| {
            // Not a failed init: this function is every recovery's
            // pre-flight too, which a plan's mistake must not stop. The
            // mistake is logged here and refuses the plan action.
            tracing::error!(mistake = %e.reason, "the recovery plan is refused");
            e.reason
        })))
    }

    /// A handler around existing clients for `home_region` (tests pass
    /// moto's or mocked ones).
    pub fn new(
        rds: aws_sdk_rds::Client,
        route53: aws_sdk_route53::Client,
        cloudwatch: aws_sdk_cloudwatch::Client,
        home_region: impl Into<String>,
        settings: DrillSettings,
    ) -> Self {
        let home_region = home_region.into();
        // No validation function client until `with_lambda`: one that
        // reaches nowhere, so that a test that forgets it fails loudly.
        let lambda = aws_sdk_lambda::Client::from_conf(
            aws_sdk_lambda::Config::builder()
                .behavior_version(aws_sdk_lambda::config::BehaviorVersion::latest())
                .region(aws_sdk_lambda::config::Region::new(home_region.clone()))
                .endpoint_url("http://127.0.0.1:9")
                .build(),
        );
        DrillHandler {
            rds: RegionalClients::new(rds, home_region.clone(), aws::rds_in_region),
            route53,
            cloudwatch: RegionalClients::new(cloudwatch, home_region, aws::cloudwatch_in_region),
            lambda,
            settings,
            plan: Ok(None),
        }
    }

    /// The same handler, with the deployment's recovery plan (or its
    /// mistake).
    pub fn with_plan(mut self, plan: Result<Option<crate::plan::Plan>, String>) -> Self {
        self.plan = plan;
        self
    }

    /// The recovery plan's mistake, found at init, if it has one.
    pub fn plan_mistake(&self) -> Option<&str> {
        self.plan.as_ref().err().map(String::as_str)
    }

    /// `start`'s scenario of the plan: whether it moves traffic, its
    /// validation functions, and one restore event per database.
    fn expand(&self, start: &crate::plan::Start) -> Result<Value, Error> {
        let plan = match &self.plan {
            Ok(plan) => plan,
            Err(mistake) => {
                return Err(Error::Misconfigured {
                    variable: "PLAN_FILE",
                    reason: format!("holds a plan with a mistake ({mistake}): fix it and deploy"),
                });
            }
        };
        let Some(plan) = plan else {
            return Err(Error::Misconfigured {
                variable: "PLAN_FILE",
                reason: format!(
                    "names no recovery plan, and none is at {}: deploy the plan layer",
                    crate::plan::DEFAULT_PLAN_FILE
                ),
            });
        };
        let databases = crate::plan::expand(plan, start)?;
        let scenario = plan.scenarios.get(&start.scenario);
        info!(scenario = %start.scenario, databases = databases.len(), "scenario expanded");
        Ok(json!({
            "scenario": start.scenario,
            "moves_traffic": scenario.is_some_and(|s| s.moves_traffic),
            "validation": scenario.map(|s| s.validation.clone()).unwrap_or_default(),
            "databases": databases,
        }))
    }

    /// One poll of the platform: the answers of the databases resumed since
    /// the last merged in, every unsettled status read in batches, and
    /// each database's phase. `next` says what the workflow does: `resume`
    /// (the `resume` list goes back to the restore function), `wait`, or
    /// `settled` (every database available or failed).
    async fn watch(
        &self,
        mut databases: Vec<watch::Watched>,
        resumed: Vec<watch::Watched>,
        polls: u64,
        invocation: &Invocation,
    ) -> Result<Value, Error> {
        for answer in resumed {
            if let Some(w) = databases.iter_mut().find(|w| w.database == answer.database) {
                *w = answer;
            }
        }
        let batches = watch::batches(&databases);
        let found = watch::read(&self.rds, &batches).await?;
        let phases = watch::judge(&databases, &found, polls + 1);
        for (w, phase) in databases.iter_mut().zip(&phases) {
            if *phase == watch::Phase::Available && w.available_at.is_none() {
                w.available_at = Some(rfc3339(invocation.received.into()));
            }
            if *phase == watch::Phase::Resume {
                w.resumed_poll = Some(polls + 1);
            }
        }
        let named = |phase: watch::Phase| -> Vec<String> {
            databases
                .iter()
                .zip(&phases)
                .filter(|(_, p)| **p == phase)
                .map(|(w, _)| w.database.clone())
                .collect()
        };
        let resume: Vec<watch::Watched> = databases
            .iter()
            .zip(&phases)
            .filter(|(_, p)| **p == watch::Phase::Resume)
            .map(|(w, _)| w.clone())
            .collect();
        let next = if !resume.is_empty() {
            "resume"
        } else if phases.contains(&watch::Phase::Waiting) {
            "wait"
        } else {
            "settled"
        };
        info!(reads = batches.len(), next, "platform polled");
        Ok(json!({
            "next": next,
            "polls": polls + 1,
            "reads": batches.len(),
            "available": named(watch::Phase::Available),
            "failed": named(watch::Phase::Failed),
            "waiting": named(watch::Phase::Waiting),
            "resume": resume,
            // Only once settled: the list would double the state each poll.
            "validate": databases
                .iter()
                .zip(&phases)
                .filter(|(_, p)| next == "settled" && **p == watch::Phase::Available)
                .map(|(w, _)| w)
                .collect::<Vec<_>>(),
            "databases": databases,
        }))
    }

    /// The same handler, invoking the validation function through `lambda`.
    pub fn with_lambda(mut self, lambda: aws_sdk_lambda::Client) -> Self {
        self.lambda = lambda;
        self
    }

    fn region_of(&self, restore: &Value) -> String {
        restore
            .get("region")
            .and_then(Value::as_str)
            .unwrap_or(self.rds.home_region())
            .to_owned()
    }

    /// The pre-flight: the input checked and shaped (`preflight::check`),
    /// and, for a drill, the drill record read: it must be a drill's or
    /// absent, never someone else's record.
    async fn preflight(
        &self,
        execution: &str,
        input: &Value,
        deployment: &Value,
    ) -> Result<Value, Error> {
        if let Some(given) = input.as_object().filter(|_| preflight::is_platform(input)) {
            let (drill, body) = preflight::platform_body(given)?;
            let start = preflight::platform_start(&body)?;
            let mut expanded = self.expand(&start)?;
            let prepared = if drill {
                let prepared = preflight::drill_platform(
                    &mut expanded,
                    &self.drill_sources(),
                    execution,
                    &self.settings.records,
                )?;
                self.drill_records_are_drills(&prepared).await?;
                Some(prepared)
            } else {
                None
            };
            let mut checked = preflight::check_platform(
                &body,
                expanded,
                deployment,
                self.rds.home_region(),
                drill,
            )?;
            if let Some(prepared) = prepared {
                checked["prepared"] = prepared;
            }
            info!(scenario = %start.scenario, drill, traffic = %checked["traffic"], "platform start checked");
            return Ok(checked);
        }
        let checked = preflight::check(
            input,
            execution,
            deployment,
            &self.settings.records,
            self.rds.home_region(),
        )?;
        if let (true, Some(zone), Some(name)) = (
            checked["drill"] == true,
            &self.settings.zone,
            &self.settings.records.drill,
        ) {
            let (sets, _) = cleanup::record_sets(&self.route53, zone, name).await?;
            if let Some(problem) = preflight::drill_record_problem(name, &sets) {
                return Err(Error::Misconfigured {
                    variable: "DRILL_DB_ENDPOINT_RECORD_NAME",
                    reason: format!(
                        "names a record that is not a drill's: {problem}. A drill would \
                         overwrite it, then delete it; nothing was changed"
                    ),
                });
            }
        }
        info!(drill = %checked["drill"], traffic = %checked["traffic"], "input checked");
        Ok(checked)
    }

    /// The plan's drill source of each database that has one (`drill`).
    fn drill_sources(&self) -> std::collections::BTreeMap<String, Value> {
        match &self.plan {
            Ok(Some(plan)) => plan
                .databases
                .iter()
                .filter_map(|db| Some((db.name.clone(), db.drill.clone()?)))
                .collect(),
            _ => Default::default(),
        }
    }

    /// Every drill record of a scenario's drill must be a drill's or
    /// absent, never someone else's record: the drill would overwrite it,
    /// then delete it.
    async fn drill_records_are_drills(&self, prepared: &Value) -> Result<(), Error> {
        let Some(zone) = &self.settings.zone else {
            return Ok(());
        };
        for copy in prepared["copies"].as_array().into_iter().flatten() {
            let name = copy["record"].as_str().unwrap_or_default();
            let (sets, _) = cleanup::record_sets(&self.route53, zone, name).await?;
            if let Some(problem) = preflight::drill_record_problem(name, &sets) {
                return Err(Error::Misconfigured {
                    variable: "PLAN_FILE",
                    reason: format!(
                        "gives '{}' the drill record '{name}', which is not a drill's: \
                         {problem}. A drill would overwrite it, then delete it; nothing was \
                         changed",
                        copy["database"].as_str().unwrap_or_default()
                    ),
                });
            }
        }
        Ok(())
    }

    /// Why a scenario drill's cleanup may not delete `record`: it is a
    /// production record, or not a drill record of the plan. `None`: it may
    /// (while it points at this drill's copy).
    fn drill_record_refusal(&self, record: &str) -> Option<String> {
        let name = preflight::normalized(record);
        if self
            .production_records()
            .iter()
            .any(|p| preflight::normalized(p) == name)
        {
            return Some("it is a production record: it was left as it is".to_owned());
        }
        match &self.plan {
            Ok(Some(plan)) if plan.databases.iter().any(|db| db.drill_record == name) => None,
            _ => {
                Some("it is no drill record of the recovery plan: it was left as it is".to_owned())
            }
        }
    }

    /// Every production record a drill must never touch: the configured
    /// ones, and each of the plan's.
    fn production_records(&self) -> Vec<String> {
        let mut records = self.settings.records.production.clone();
        if let Ok(Some(plan)) = &self.plan {
            records.extend(plan.databases.iter().map(|db| db.record.clone()));
        }
        records
    }

    /// The sweep, after the pre-flight: no drill while the primary's alarm
    /// is not known quiet; else earlier drills' leftovers of the same
    /// restores, deleted where `plan::sweep_verdict` allows.
    async fn sweep(&self, restores: &[Value], now: i64) -> Result<Value, Error> {
        if let Some(reason) = self.alarm_says_no().await {
            info!(reason = %reason, "drill skipped");
            return Ok(json!({"skip": reason, "deleted": [], "kept": [], "pending": []}));
        }
        // What production points at, read once; unreadable: keep every
        // leftover (fail closed), and go on with the drill.
        let records = self.production_records();
        let production = match &self.settings.zone {
            Some(zone) if !records.is_empty() => {
                cleanup::production_values(&self.route53, zone, &records)
                    .await
                    .map_err(|e| format!("{}: {e}", e.name()))
            }
            _ => Ok(Vec::new()),
        };
        // The names without their drill suffix: what these inputs' copies
        // are called, whichever drill made them; one sweep per region.
        let base = |name: &str| {
            name.get(..name.len().saturating_sub(validate::DRILL_SUFFIX_LEN))
                .unwrap_or(name)
                .to_owned()
        };
        let mut bases: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for restore in restores {
            let (instance, cluster) = cleanup::names(restore);
            bases
                .entry(self.region_of(restore))
                .or_default()
                .extend(cluster.iter().chain(instance.iter()).map(|n| base(n)));
        }
        let first = restores.first().map(|r| self.region_of(r));
        let mut swept = cleanup::Swept::default();
        for (region, bases) in &bases {
            let client = self.rds.get(region);
            let found = cleanup::sweep(&client, region, bases, now, &production).await?;
            swept.deleted.extend(found.deleted);
            swept.kept.extend(found.kept);
            // The cleanup finishes a pending cluster in the first copy's
            // region; one elsewhere carries its region (`region:id`: an
            // identifier has no colon).
            swept.pending.extend(found.pending.into_iter().map(|id| {
                if first.as_deref() == Some(region.as_str()) {
                    id
                } else {
                    format!("{region}:{id}")
                }
            }));
        }
        if !swept.deleted.is_empty() || !swept.kept.is_empty() {
            warn!(deleted = ?swept.deleted, kept = ?swept.kept, "leftovers of earlier drills");
        }
        serde_json::to_value(&swept)
            .map(|mut v| {
                v["skip"] = Value::Null;
                v
            })
            .map_err(|e| Error::Internal {
                detail: format!("the sweep's answer could not be written: {e}"),
            })
    }

    /// The user's validation function on the drill's copy, answered bounded.
    async fn validate(&self, target: &Value) -> Result<Value, Error> {
        let Some(function) = &self.settings.validation_function else {
            return Err(Error::Misconfigured {
                variable: "DRILL_VALIDATION_FUNCTION_ARN",
                reason: "is not set, and the workflow asked for a validation".to_owned(),
            });
        };
        let out = self
            .lambda
            .invoke()
            .function_name(function)
            .payload(Blob::new(target.to_string()))
            .send()
            .await
            .map_err(|e| from_sdk("Invoke", e))?;
        let payload = out.payload().map(|p| p.as_ref()).unwrap_or_default();
        let answer = validation::bounded(payload, out.function_error());
        info!(valid = %answer["valid"], cut = %answer["detail_cut"], bytes = payload.len(), "validated");
        Ok(answer)
    }

    /// Why no drill may start now, per the primary's alarm; `None`: it may.
    /// An alarm that cannot be read counts as a no: a drill can wait.
    async fn alarm_says_no(&self) -> Option<String> {
        let (name, region) = self.settings.alarm.as_ref()?;
        let sent = self
            .cloudwatch
            .get(region)
            .describe_alarms()
            .alarm_names(name)
            .send()
            .await;
        match sent {
            Ok(out) => {
                let state = out
                    .metric_alarms()
                    .first()
                    .and_then(|a| a.state_value())
                    .map(|s| s.as_str().to_owned());
                match state.as_deref() {
                    Some("ALARM") => Some(format!(
                        "the primary's alarm '{name}' is in ALARM: a real recovery may be needed, \
                         and a drill would compete with it"
                    )),
                    Some(_) => None,
                    None => Some(format!(
                        "the primary's alarm '{name}' was not found in {region} \
                         (PRIMARY_ALARM_NAME): a drill starts only when it is known quiet"
                    )),
                }
            }
            Err(e) => {
                let error = from_sdk("DescribeAlarms", e);
                Some(format!(
                    "the primary's alarm '{name}' could not be read ({}: {error}): a drill starts \
                     only when it is known quiet",
                    error.name()
                ))
            }
        }
    }

    /// Deletes what this drill created (its database, and the drill record
    /// if it is still a drill's), and finishes the sweep's pending clusters.
    /// Every part is attempted whatever another part did: a part that fails
    /// for good is named in `failed`, and fails the drill; one that may pass
    /// on a retry fails the call, after the rest was attempted.
    async fn cleanup(
        &self,
        marker: Option<&str>,
        restore: Option<&Value>,
        copies: &[cleanup::Copy],
        sweep_pending: &[String],
    ) -> Result<Value, Error> {
        let mut cleaned = cleanup::Cleaned::default();
        let mut retry: Option<Error> = None;
        let mut failed = Vec::new();
        let mut note = |part: &str, result: Result<(), Error>| match result {
            Ok(()) => {}
            Err(e) if e.is_retryable() => {
                retry.get_or_insert(e);
            }
            Err(e) => {
                failed.push(json!({"part": part, "error": e.name(), "message": e.to_string()}))
            }
        };
        // Each copy with the record that names it: one database's drill has
        // the configured drill record, whatever the event says; a scenario's,
        // each database's drill record of the plan, and no other name.
        let pairs: Vec<(Option<String>, &Value)> = if copies.is_empty() {
            restore
                .map(|r| (self.settings.records.drill.clone(), r))
                .into_iter()
                .collect()
        } else {
            let mut pairs = Vec::new();
            for copy in copies {
                match self.drill_record_refusal(&copy.record) {
                    None => pairs.push((Some(copy.record.clone()), &copy.restore)),
                    Some(reason) => {
                        note(
                            "record",
                            Err(Error::Misconfigured {
                                variable: "PLAN_FILE",
                                reason: format!(
                                    "gives '{}' the drill record '{}', which the cleanup may \
                                     not delete: {reason}",
                                    copy.database, copy.record
                                ),
                            }),
                        );
                        pairs.push((None, &copy.restore));
                    }
                }
            }
            pairs
        };
        for (record, restore) in &pairs {
            // Only while the record points at this drill's copy (its names'
            // suffix).
            let (instance, cluster) = cleanup::names(restore);
            let suffix = cluster.clone().or(instance.clone()).and_then(|id| {
                id.get(id.len().saturating_sub(validate::DRILL_SUFFIX_LEN)..)
                    .map(str::to_owned)
            });
            if let (Some(zone), Some(name), Some(suffix)) = (
                &self.settings.zone,
                record,
                suffix.filter(|s| validate::is_drill_identifier(&format!("x{s}"))),
            ) {
                let result = cleanup::delete_record(&self.route53, zone, name, &suffix).await;
                note("record", result.map(|r| cleaned.deleted.extend(r)));
            }
            if let Some(marker) = marker {
                let region = self.region_of(restore);
                let client = self.rds.get(&region);
                let result = cleanup::delete_database(
                    &client,
                    &region,
                    instance.as_deref(),
                    cluster.as_deref(),
                    Some(marker),
                )
                .await;
                note(
                    "database",
                    result.map(|c| {
                        cleaned.deleted.extend(c.deleted);
                        cleaned.pending.extend(c.pending);
                    }),
                );
            }
        }
        if let (Some(_), Some((_, first))) = (marker, pairs.first()) {
            let home = self.region_of(first);
            for pending in sweep_pending {
                let (region, id) = match pending.split_once(':') {
                    Some((region, id)) => (region.to_owned(), id),
                    None => (home.clone(), pending.as_str()),
                };
                let client = self.rds.get(&region);
                let result = cleanup::delete_database(&client, &region, None, Some(id), None).await;
                note(
                    "leftover",
                    result.map(|c| {
                        cleaned.deleted.extend(c.deleted);
                        cleaned.pending.extend(c.pending);
                    }),
                );
            }
        }
        if let Some(e) = retry {
            return Err(e);
        }
        info!(deleted = ?cleaned.deleted, pending = ?cleaned.pending, failed = failed.len(), "drill cleaned up");
        let mut out = serde_json::to_value(cleaned).map_err(|e| Error::Internal {
            detail: format!("the cleanup's answer could not be written: {e}"),
        })?;
        out["failed"] = json!(failed);
        Ok(out)
    }

    fn report(
        &self,
        started_at: Option<String>,
        state: Value,
        invocation: &Invocation,
    ) -> plan::Report {
        // Every field is optional: whatever the state holds, on-call gets a
        // report (a state that cannot be read at all reports a failure).
        let mut parsed: plan::DrillState = serde_json::from_value(state).unwrap_or_else(|e| {
            plan::DrillState {
                failure: Some(json!({"Error": "Internal", "Cause": format!("the drill's state could not be read: {e}")})),
                ..plan::DrillState::default()
            }
        });
        if parsed.started_at.is_none() {
            parsed.started_at = started_at;
        }
        let report = plan::report(&parsed);
        if parsed.platform.as_ref().is_some_and(|p| !p.is_null()) {
            info!(outcome = ?report.outcome, recovery_time_seconds = report.recovery_time_seconds, data_loss_seconds = report.data_loss_seconds, "drill of a scenario reported");
            for line in
                plan::platform_metrics(&self.settings.namespace, &report, invocation.received)
            {
                println!("{line}");
            }
            return report;
        }
        let database = parsed
            .restored
            .as_ref()
            .and_then(|r| {
                r.get("cluster_id")
                    .filter(|c| !c.is_null())
                    .or(r.get("instance_id"))
            })
            .and_then(Value::as_str)
            .map(|id| {
                id.get(..id.len().saturating_sub(validate::DRILL_SUFFIX_LEN))
                    .unwrap_or(id)
            })
            .unwrap_or("none")
            .to_owned();
        info!(outcome = ?report.outcome, recovery_time_seconds = report.recovery_time_seconds, data_loss_seconds = report.data_loss_seconds, "drill reported");
        println!(
            "{}",
            metrics::emf_line(
                &self.settings.namespace,
                ("Database", &database),
                &plan::drill_metrics(&report),
                invocation.received,
            )
        );
        report
    }
}
