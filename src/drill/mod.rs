//! `drill`: the recovery workflow's drill mode (`"drill": true`), in three
//! small actions the workflow calls, because Step Functions cannot subtract
//! timestamps, write EMF, or reach another region:
//!
//! - `prepare`: the preconditions this function can see (the primary's
//!   alarm), the restore and failover the drill runs instead of the input's
//!   (fresh `-d<8 hex>` names, tagged with the drill's marker; the failover
//!   a dry run), the drill record as the cutover's name, and the leftovers
//!   of earlier drills deleted;
//! - `cleanup`: the project's only delete (`cleanup.rs`), of what this
//!   drill restored and of the drill record;
//! - `report`: the timeline, recovery time and data loss (`plan.rs`), and
//!   the metrics, as one EMF line.

pub mod cleanup;
pub mod plan;

use aws_config::SdkConfig;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tracing::{info, warn};

use crate::aws::{self, RegionalClients, SdkSettings};
use crate::config::{ConfigError, Env};
use crate::error::{Error, from_sdk};
use crate::metrics::{self, Metric};
use crate::readiness::DEFAULT_NAMESPACE;
use crate::restore::request::rfc3339;
use crate::runtime::{Handler, Invocation};
use crate::validate;

/// One call of the workflow's drill steps.
#[derive(Debug, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
enum DrillEvent {
    Prepare {
        /// `$$.Execution.Name`: the drill's marker and its names' suffix.
        execution: String,
        restore: Value,
        #[serde(default)]
        failover: Value,
        /// The workflow's deployment settings, whose cutover name the drill
        /// replaces with the drill record.
        #[serde(default)]
        deployment: Value,
    },
    Cleanup {
        /// Absent when the drill was refused before it restored anything.
        #[serde(default)]
        marker: Option<String>,
        #[serde(default)]
        restore: Option<Value>,
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
    /// `PRIVATE_HOSTED_ZONE_ID` and `DRILL_DB_ENDPOINT_RECORD_NAME`: the
    /// only record the cleanup may delete.
    pub record: Option<(String, String)>,
    /// `PRIMARY_ALARM_NAME` (in `PRIMARY_ALARM_REGION`, default
    /// us-east-1): no drill while it is in ALARM.
    pub alarm: Option<(String, String)>,
}

impl DrillSettings {
    fn from_env(env: &dyn Env) -> Result<Self, ConfigError> {
        let record = match (
            env.get("PRIVATE_HOSTED_ZONE_ID"),
            env.get("DRILL_DB_ENDPOINT_RECORD_NAME"),
        ) {
            (Some(zone), Some(name)) => Some((zone.trim().to_owned(), name.trim().to_owned())),
            _ => None,
        };
        let alarm_region = env
            .get("PRIMARY_ALARM_REGION")
            .unwrap_or_else(|| "us-east-1".to_owned());
        validate::region_name(&alarm_region)
            .map_err(|reason| ConfigError::new("PRIMARY_ALARM_REGION", reason))?;
        Ok(DrillSettings {
            namespace: env
                .get("METRICS_NAMESPACE")
                .map_or_else(|| DEFAULT_NAMESPACE.to_owned(), |n| n.trim().to_owned()),
            record,
            alarm: env
                .get("PRIMARY_ALARM_NAME")
                .map(|name| (name.trim().to_owned(), alarm_region)),
        })
    }
}

/// The drill handler, built once at init.
pub struct DrillHandler {
    rds: RegionalClients<aws_sdk_rds::Client>,
    route53: aws_sdk_route53::Client,
    cloudwatch: RegionalClients<aws_sdk_cloudwatch::Client>,
    settings: DrillSettings,
}

/// `prepare`'s answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prepared {
    /// The drill's marker (`dr-lambdas:drill`).
    pub marker: String,
    /// The restore event the drill runs.
    pub restore: Value,
    /// The failover event: a dry run.
    pub failover: Value,
    /// The workflow's deployment, its cutover name the drill record.
    pub deployment: Value,
    /// Leftovers of earlier drills, deleted before this one starts.
    pub leftovers_deleted: Vec<String>,
    /// Why the drill does not run, if it does not.
    pub skip: Option<String>,
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
            DrillEvent::Prepare {
                execution,
                restore,
                failover,
                deployment,
            } => serde_json::to_value(
                self.prepare(&execution, &restore, &failover, deployment)
                    .await?,
            ),
            DrillEvent::Cleanup { marker, restore } => {
                let mut out = self.cleanup(marker.as_deref(), restore.as_ref()).await?;
                out["cleaned_at"] = json!(now);
                Ok(out)
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
        Ok(DrillHandler::new(
            aws_sdk_rds::Client::new(sdk),
            aws_sdk_route53::Client::new(sdk),
            aws_sdk_cloudwatch::Client::new(sdk),
            home,
            DrillSettings::from_env(env)?,
        ))
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
        DrillHandler {
            rds: RegionalClients::new(rds, home_region.clone(), aws::rds_in_region),
            route53,
            cloudwatch: RegionalClients::new(cloudwatch, home_region, aws::cloudwatch_in_region),
            settings,
        }
    }

    fn region_of(&self, restore: &Value) -> String {
        restore
            .get("region")
            .and_then(Value::as_str)
            .unwrap_or(self.rds.home_region())
            .to_owned()
    }

    async fn prepare(
        &self,
        execution: &str,
        restore: &Value,
        failover: &Value,
        deployment: Value,
    ) -> Result<Prepared, Error> {
        let (drill_restore, drill_failover) = plan::drill_inputs(restore, failover, execution)?;
        let marker = plan::marker(execution);
        let mut deployment = match deployment {
            Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        // The cutover names the drill record, never the production name; no
        // drill record configured: no cutover at all.
        let record = self
            .settings
            .record
            .as_ref()
            .map_or("", |(_, name)| name.as_str());
        deployment.insert("record_name".into(), json!(record));
        deployment.insert("record_fqdn".into(), json!(format!("{record}.")));
        let mut prepared = Prepared {
            marker,
            restore: drill_restore,
            failover: drill_failover,
            deployment: Value::Object(deployment),
            leftovers_deleted: Vec::new(),
            skip: None,
        };
        if let Some(reason) = self.alarm_says_no().await {
            info!(reason = %reason, "drill skipped");
            prepared.skip = Some(reason);
            return Ok(prepared);
        }
        let region = self.region_of(restore);
        let client = self.rds.get(&region);
        let (instance, cluster) = cleanup::names(restore);
        let bases: Vec<String> = match (cluster, instance) {
            (Some(cluster), writer) => vec![
                plan::drill_base(&cluster),
                plan::drill_base(&writer.unwrap_or_else(|| format!("{cluster}-writer"))),
            ],
            (None, Some(instance)) => vec![plan::drill_base(&instance)],
            (None, None) => Vec::new(),
        };
        for base in bases {
            let swept = cleanup::sweep(&client, &region, &base).await?;
            prepared.leftovers_deleted.extend(swept.deleted);
        }
        if !prepared.leftovers_deleted.is_empty() {
            warn!(deleted = ?prepared.leftovers_deleted, "leftovers of earlier drills deleted");
        }
        Ok(prepared)
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

    async fn cleanup(&self, marker: Option<&str>, restore: Option<&Value>) -> Result<Value, Error> {
        // The record first: it is independent of the database, and must go
        // even when the database's deletion fails. Only the configured drill
        // record, whatever the event says.
        let record = match &self.settings.record {
            Some((zone, name)) => cleanup::delete_record(&self.route53, zone, name).await?,
            None => None,
        };
        let mut cleaned = cleanup::Cleaned::default();
        if let (Some(marker), Some(restore)) = (marker, restore) {
            let region = self.region_of(restore);
            let (instance, cluster) = cleanup::names(restore);
            cleaned = cleanup::delete_database(
                &self.rds.get(&region),
                &region,
                instance.as_deref(),
                cluster.as_deref(),
                Some(marker),
            )
            .await?;
        }
        cleaned.deleted.extend(record);
        info!(deleted = ?cleaned.deleted, pending = ?cleaned.pending, "drill cleaned up");
        serde_json::to_value(cleaned).map_err(|e| Error::Internal {
            detail: format!("the cleanup's answer could not be written: {e}"),
        })
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
        // A skipped drill proves nothing either way: no DrillSucceeded.
        let succeeded = match report.outcome {
            plan::Outcome::Succeeded => Some(1.0),
            plan::Outcome::Failed => Some(0.0),
            plan::Outcome::Skipped => None,
        };
        println!(
            "{}",
            metrics::emf_line(
                &self.settings.namespace,
                ("Database", &database),
                &[
                    Metric {
                        name: "DrillSucceeded",
                        unit: "None",
                        value: succeeded,
                    },
                    Metric {
                        name: "DrillRecoveryTimeSeconds",
                        unit: "Seconds",
                        value: report.recovery_time_seconds.map(|s| s as f64),
                    },
                    Metric {
                        name: "DrillDataLossSeconds",
                        unit: "Seconds",
                        value: report.data_loss_seconds.map(|s| s as f64),
                    },
                ],
                invocation.received,
            )
        );
        report
    }
}
