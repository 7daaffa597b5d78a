//! `check-readiness`: would a recovery started now work, and how much data
//! would it lose? Run on a schedule, it tells on-call on a quiet afternoon
//! what would otherwise surface in the worst hour.
//!
//! It composes, it does not copy: the restore's and the failover's own dry
//! runs (the same code paths as a recovery), then the reads a dry run does
//! not make (`read.rs`), each turned into a named check by the pure core
//! (`checks.rs`). It never writes: only Describe, List and Get calls.
//! A failed check is a result (`ready: false`), not an error; errors are for
//! a bad event or configuration only.

pub mod checks;
pub mod platform;
pub mod read;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tracing::info;

use self::checks::Check;
use crate::aws::{self, RegionalClients, SdkSettings};
use crate::config::{self, ConfigError, Env};
use crate::error::Error;
use crate::failover::FailoverHandler;
use crate::metrics::{self, Metric};
use crate::restore::request::{RestoreRequest, Target};
use crate::restore::{RestoreHandler, RestoreResult, rds};
use crate::runtime::{Handler, Invocation};
use crate::validate;

/// The namespace of the readiness metrics unless `METRICS_NAMESPACE` says.
pub use crate::metrics::DEFAULT_NAMESPACE;

/// The readiness input: the recovery workflow's input, either half optional
/// (its `settings` are the workflow's, and ignored here).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    #[serde(default)]
    restore: Option<Value>,
    #[serde(default)]
    failover: Option<Value>,
    #[serde(default)]
    #[allow(dead_code)]
    settings: Option<Value>,
}

/// The answer: one restore's (and failover's), or the plan's.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Answer {
    One(Readiness),
    Plan(platform::PlanReadiness),
}

/// The answer: ready or not, the data-loss window, and every check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Readiness {
    /// True when every check passed.
    pub ready: bool,
    /// When the checks ran (RFC 3339).
    pub checked_at: String,
    /// The data a recovery started now would lose; `null` when unknown.
    pub data_loss_seconds: Option<i64>,
    /// When the data a recovery now would restore is from; `null` when unknown.
    pub recovery_point: Option<String>,
    pub checks: Vec<Check>,
}

/// What the deployment configures beyond the two handlers'.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadinessSettings {
    /// `RPO_TARGET_SECONDS`: the data-loss window that fails the check.
    pub rpo_target_seconds: Option<i64>,
    /// `METRICS_NAMESPACE`.
    pub namespace: String,
    /// `PRIVATE_HOSTED_ZONE_ID` and `DB_ENDPOINT_RECORD_NAME`: the database
    /// name the workflow's cutover would UPSERT.
    pub cutover: Option<(String, String)>,
    /// `PRIVATE_HOSTED_ZONE_ID`: the zone of the plan's database records.
    pub zone: Option<String>,
    /// `READINESS_INTERVAL_SECONDS` (default 300): the seconds between two
    /// checks, which is also each region's RDS read budget (1 a second).
    pub interval_seconds: u64,
    /// `RECOVERY_STATE_MACHINE_ARN`: while an execution of it runs, the
    /// plan's check reads no RDS.
    pub recovery_state_machine: Option<String>,
}

/// The interval unless `READINESS_INTERVAL_SECONDS` says: the template's
/// default of 5 minutes.
pub const DEFAULT_INTERVAL_SECONDS: u64 = 300;

impl Default for ReadinessSettings {
    fn default() -> Self {
        ReadinessSettings {
            rpo_target_seconds: None,
            namespace: DEFAULT_NAMESPACE.to_owned(),
            cutover: None,
            zone: None,
            interval_seconds: DEFAULT_INTERVAL_SECONDS,
            recovery_state_machine: None,
        }
    }
}

impl ReadinessSettings {
    fn from_env(env: &dyn Env) -> Result<Self, ConfigError> {
        let rpo_target_seconds =
            config::parse_var(env, "RPO_TARGET_SECONDS", None, |raw| {
                match raw.parse::<i64>() {
                    Ok(s) if s > 0 => Ok(Some(s)),
                    _ => Err(format!("'{raw}' is not a positive number of seconds")),
                }
            })?;
        let namespace = env
            .get("METRICS_NAMESPACE")
            .map_or_else(|| DEFAULT_NAMESPACE.to_owned(), |n| n.trim().to_owned());
        let zone = env
            .get("PRIVATE_HOSTED_ZONE_ID")
            .map(|z| z.trim().to_owned())
            .filter(|z| !z.is_empty());
        let cutover = match (&zone, env.get("DB_ENDPOINT_RECORD_NAME")) {
            (Some(zone), Some(name)) if !name.trim().is_empty() => {
                Some((zone.clone(), name.trim().to_owned()))
            }
            _ => None,
        };
        let interval_seconds = config::parse_var(
            env,
            "READINESS_INTERVAL_SECONDS",
            DEFAULT_INTERVAL_SECONDS,
            |raw| match raw.parse::<u64>() {
                Ok(s) if s >= 60 => Ok(s),
                _ => Err(format!("'{raw}' is not a number of seconds of 60 or more")),
            },
        )?;
        let recovery_state_machine = env
            .get("RECOVERY_STATE_MACHINE_ARN")
            .map(|a| a.trim().to_owned())
            .filter(|a| !a.is_empty());
        Ok(ReadinessSettings {
            rpo_target_seconds,
            namespace,
            cutover,
            zone,
            interval_seconds,
            recovery_state_machine,
        })
    }
}

/// The clients of the reads the checks add.
pub struct Clients {
    pub rds: aws_sdk_rds::Client,
    pub ec2: aws_sdk_ec2::Client,
    pub kms: aws_sdk_kms::Client,
    pub route53: aws_sdk_route53::Client,
    /// Whether a recovery runs (`None`: not asked).
    pub sfn: Option<aws_sdk_sfn::Client>,
}

/// The readiness handler, built once at init.
pub struct ReadinessHandler {
    restore: RestoreHandler,
    failover: Option<FailoverHandler>,
    rds: RegionalClients<aws_sdk_rds::Client>,
    ec2: RegionalClients<aws_sdk_ec2::Client>,
    kms: RegionalClients<aws_sdk_kms::Client>,
    route53: aws_sdk_route53::Client,
    sfn: Option<aws_sdk_sfn::Client>,
    home_region: String,
    settings: ReadinessSettings,
    /// The deployment's recovery plan (`PLAN_FILE`), or its mistake: only
    /// the plan's check refuses on it.
    plan: Result<Option<crate::plan::Plan>, String>,
    /// Within one invocation, whether a group exists, by `(region, kind,
    /// name)`: a platform's databases often share their groups, and each is
    /// read once. Cleared at each invocation (Lambda runs one at a time).
    groups_seen: std::sync::Mutex<BTreeMap<(String, &'static str, String), bool>>,
}

impl Handler for ReadinessHandler {
    type Output = Answer;

    async fn from_env(env: &dyn Env) -> Result<Self, ConfigError> {
        // One SDK configuration for every client: each load builds an HTTP
        // client and its TLS roots, the bulk of a cold start.
        let settings_sdk = SdkSettings::from_env(env)?;
        let sdk = aws::load_sdk_config(&settings_sdk).await;
        let restore = RestoreHandler::from_config(env, &sdk)?;
        // The failover half needs the failover's own configuration; without
        // it, only the restore half can be checked.
        let failover = match env.get("PRIMARY_REGION") {
            Some(_) => Some(FailoverHandler::from_config(env, &sdk, &settings_sdk)?),
            None => None,
        };
        let settings = ReadinessSettings::from_env(env)?;
        let home_region = aws::home_region(&sdk)?;
        let clients = Clients {
            rds: aws_sdk_rds::Client::new(&sdk),
            ec2: aws_sdk_ec2::Client::new(&sdk),
            kms: aws_sdk_kms::Client::new(&sdk),
            route53: aws_sdk_route53::Client::new(&sdk),
            sfn: Some(aws_sdk_sfn::Client::new(&sdk)),
        };
        let plan = crate::plan::load(env).map_err(|e| {
            tracing::error!(mistake = %e.reason, "the recovery plan is refused");
            e.reason
        });
        Ok(
            ReadinessHandler::new(restore, failover, clients, home_region, settings)
                .with_plan(plan),
        )
    }

    async fn handle(&self, event: Value, invocation: &Invocation) -> Result<Answer, Error> {
        self.remembered().clear();
        if event.get("plan").is_some() {
            let input: platform::PlanInput = validate::decode(event)?;
            return self
                .plan_readiness(input, invocation)
                .await
                .map(Answer::Plan);
        }
        self.one(event, invocation).await.map(Answer::One)
    }
}

impl ReadinessHandler {
    /// One restore's (and one failover's) readiness: the input is the
    /// recovery workflow's.
    async fn one(&self, event: Value, invocation: &Invocation) -> Result<Readiness, Error> {
        let input: Input = validate::decode(event)?;
        if input.restore.is_none() && input.failover.is_none() {
            return Err(Error::invalid(
                "restore",
                "give the restore half, the failover half, or both (the recovery workflow's input)",
            ));
        }
        let mut checks = Vec::new();
        let mut restored: Option<RestoreResult> = None;
        let mut database = "none".to_owned();
        if let Some(restore) = input.restore {
            let req = self.restore.request(restore.clone(), invocation)?;
            database = req
                .source
                .source_db()
                .or(req.target.cluster_id())
                .unwrap_or(req.target.instance_id())
                .to_owned();
            // A standby's checks are its promotion's dry run: no listing.
            let (listing, production) =
                if matches!(req.source, crate::restore::request::Source::Standby { .. }) {
                    (Ok(Vec::new()), Ok(Vec::new()))
                } else {
                    (
                        rds::list_databases(&self.rds.get(&req.region)).await,
                        self.production_values().await,
                    )
                };
            let now = invocation
                .received
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            let (found, result) = self
                .restore_checks(
                    &req,
                    restore,
                    invocation,
                    listing.as_ref().map(Vec::as_slice),
                    &production,
                    now,
                )
                .await;
            checks.extend(found);
            restored = result;
            checks.push(checks::data_loss(
                restored.as_ref().and_then(window),
                self.settings.rpo_target_seconds,
            ));
        }
        if let Some(failover) = input.failover {
            checks.push(self.failover_check(failover, invocation).await?);
        }
        if let Some((zone, name)) = &self.settings.cutover {
            checks.push(match read::cname(&self.route53, zone, name).await {
                Ok(value) => checks::cutover_record(zone, name, value.as_deref()),
                Err(e) => Check::error("cutover_record", &e),
            });
        }
        let readiness = Readiness {
            ready: checks.iter().all(|c| c.ok),
            checked_at: crate::restore::request::rfc3339(invocation.received.into()),
            data_loss_seconds: restored.as_ref().and_then(window),
            recovery_point: restored.and_then(|r| r.recovery_point),
            checks,
        };
        let failed = readiness.checks.iter().filter(|c| !c.ok).count();
        info!(
            ready = readiness.ready,
            checks_failed = failed,
            data_loss_seconds = readiness.data_loss_seconds,
            failed = ?readiness.checks.iter().filter(|c| !c.ok).map(|c| c.check).collect::<Vec<_>>(),
            "readiness checked"
        );
        // The metrics, as an EMF line on stdout.
        println!(
            "{}",
            metrics::emf_line(
                &self.settings.namespace,
                ("Database", &database),
                &[
                    Metric {
                        name: "Ready",
                        unit: "None",
                        value: Some(if readiness.ready { 1.0 } else { 0.0 }),
                    },
                    Metric {
                        name: "ChecksFailed",
                        unit: "Count",
                        value: Some(failed as f64),
                    },
                    Metric {
                        name: "DataLossSeconds",
                        unit: "Seconds",
                        value: readiness.data_loss_seconds.map(|s| s as f64),
                    },
                ],
                invocation.received,
            )
        );
        Ok(readiness)
    }

    /// A handler around existing handlers and clients (tests pass moto's or mocked ones).
    pub fn new(
        restore: RestoreHandler,
        failover: Option<FailoverHandler>,
        clients: Clients,
        home_region: impl Into<String>,
        settings: ReadinessSettings,
    ) -> Self {
        let home_region = home_region.into();
        ReadinessHandler {
            restore,
            failover,
            rds: RegionalClients::new(clients.rds, home_region.clone(), aws::rds_in_region),
            ec2: RegionalClients::new(clients.ec2, home_region.clone(), aws::ec2_in_region),
            kms: RegionalClients::new(clients.kms, home_region.clone(), aws::kms_in_region),
            route53: clients.route53,
            sfn: clients.sfn,
            home_region: home_region.clone(),
            settings,
            plan: Ok(None),
            groups_seen: std::sync::Mutex::default(),
        }
    }

    fn remembered(
        &self,
    ) -> std::sync::MutexGuard<'_, BTreeMap<(String, &'static str, String), bool>> {
        self.groups_seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether the group of `kind` named `name` exists in `region`: read
    /// once an invocation.
    async fn group_exists(
        &self,
        region: &str,
        kind: &'static str,
        name: &str,
    ) -> Result<bool, Error> {
        let key = (region.to_owned(), kind, name.to_owned());
        if let Some(known) = self.remembered().get(&key) {
            return Ok(*known);
        }
        let client = self.rds.get(region);
        let exists = match kind {
            "subnet group" => read::subnet_group_exists(&client, name).await?,
            _ => read::group_exists(&client, kind, name).await?,
        };
        self.remembered().insert(key, exists);
        Ok(exists)
    }

    /// The same handler, with the deployment's recovery plan (or its
    /// mistake).
    pub fn with_plan(mut self, plan: Result<Option<crate::plan::Plan>, String>) -> Self {
        self.plan = plan;
        self
    }

    /// What the production record points at, as the drill's sweep reads
    /// it; none configured: nothing.
    async fn production_values(&self) -> Result<Vec<(String, String)>, String> {
        match &self.settings.cutover {
            Some((zone, name)) => crate::drill::cleanup::production_values(
                &self.route53,
                zone,
                std::slice::from_ref(name),
            )
            .await
            .map_err(|e| format!("{}: {e}", e.name())),
            None => Ok(Vec::new()),
        }
    }

    /// The restore half: the target's names, the dry run, and what its plan
    /// would attach and read.
    async fn restore_checks(
        &self,
        req: &RestoreRequest,
        event: Value,
        invocation: &Invocation,
        listing: Result<&[rds::Listed], &Error>,
        production: &Result<Vec<(String, String)>, String>,
        now: i64,
    ) -> (Vec<Check>, Option<RestoreResult>) {
        let region = req.region.as_str();
        // A standby is promoted in place: its checks are the promotion's
        // dry run (still a standby? how far behind?), nothing to create.
        if let crate::restore::request::Source::Standby { .. } = req.source {
            return match self.restore.handle(dry_run(event), invocation).await {
                Ok(result) => (vec![checks::standby(&result)], Some(result)),
                Err(e) => (vec![Check::error("standby", &e)], None),
            };
        }
        // The region's one listing serves both name checks.
        let mut found = match listing {
            Ok(listing) => vec![
                target_free(listing, req),
                drill_leftovers(listing, req, now, production),
            ],
            Err(e) => vec![
                Check::error("target_name_free", e),
                Check::error("drill_leftovers", e),
            ],
        };
        let name = checks::source_check(&req.source);
        let result = match self.restore.handle(dry_run(event), invocation).await {
            Ok(result) => result,
            // The event parsed: what the dry run refused is a fact of the
            // world (no snapshot, no backups, ...), a failed check.
            Err(e) => {
                found.push(Check::error(name, &e));
                return (found, None);
            }
        };
        found.push(checks::restore_source(name, &result));
        let Some(steps) = &result.plan else {
            return (found, Some(result));
        };
        let attached = checks::attached(steps);
        found.push(match &attached.subnet_group {
            None => checks::subnet_group(region, None, false),
            Some(group) => match self.group_exists(region, "subnet group", group).await {
                Ok(exists) => checks::subnet_group(region, Some(group), exists),
                Err(e) => Check::error("subnet_group", &e),
            },
        });
        found.push(if attached.security_groups.is_empty() {
            checks::security_groups(region, &[], &[])
        } else {
            match read::security_groups_found(&self.ec2.get(region), &attached.security_groups)
                .await
            {
                Ok(existing) => {
                    checks::security_groups(region, &attached.security_groups, &existing)
                }
                Err(e) => Check::error("security_groups", &e),
            }
        });
        found.push(self.groups_check(region, &attached.groups).await);
        found.push(
            self.key_check(req, &result, attached.backups_arn.as_deref())
                .await,
        );
        (found, Some(result))
    }

    /// Whether each group a restore would attach exists.
    async fn groups_check(&self, region: &str, wanted: &[(&'static str, String)]) -> Check {
        let mut missing = Vec::new();
        for (kind, name) in wanted {
            match self.group_exists(region, kind, name).await {
                Ok(true) => {}
                Ok(false) => missing.push((*kind, name.clone())),
                Err(e) => return Check::error("groups", &e),
            }
        }
        checks::groups(region, wanted, &missing)
    }

    /// The encryption key of what the restore would read, usable where it restores.
    async fn key_check(
        &self,
        req: &RestoreRequest,
        result: &RestoreResult,
        backups_arn: Option<&str>,
    ) -> Check {
        let region = req.region.as_str();
        let rds_client = self.rds.get(region);
        let read = match (&result.snapshot_id, backups_arn) {
            (Some(snapshot), _) => {
                let facts = match req.target {
                    Target::Instance(_) => rds::describe_snapshot(&rds_client, snapshot).await,
                    Target::Cluster { .. } => {
                        rds::describe_cluster_snapshot(&rds_client, snapshot).await
                    }
                    Target::Standby(_) => Ok(None),
                };
                facts.map(|f| (format!("snapshot '{snapshot}'"), f.and_then(|f| f.kms_key)))
            }
            (None, Some(arn)) => read::backups_key(&rds_client, arn)
                .await
                .map(|key| (format!("replicated backups {arn}"), key)),
            (None, None) => {
                return Check::pass(
                    "encryption_key",
                    "the source runs in the restore's region: its key is in use",
                );
            }
        };
        let (of, key) = match read {
            Ok(found) => found,
            Err(e) => return Check::error("encryption_key", &e),
        };
        match key {
            None => checks::encryption_key(region, &of, None),
            Some(id) => match read::key_state(&self.kms.get(region), &id).await {
                Ok(state) => checks::encryption_key(region, &of, Some((&id, &state))),
                Err(e) => Check::error("encryption_key", &e),
            },
        }
    }

    /// The failover half: its own dry run, health pre-flight included.
    async fn failover_check(&self, event: Value, invocation: &Invocation) -> Result<Check, Error> {
        let Some(failover) = &self.failover else {
            return Err(Error::Misconfigured {
                variable: "PRIMARY_REGION",
                reason: "is not set, so the failover half of the readiness input cannot be \
                         checked: give this function the failover's configuration"
                    .to_owned(),
            });
        };
        match failover.handle(dry_run(event), invocation).await {
            Ok(result) => Ok(checks::failover(&result)),
            Err(e @ (Error::InvalidRequest { .. } | Error::NotAllowed { .. })) => Err(e),
            Err(e) => Ok(Check::error("failover_plan", &e)),
        }
    }
}

/// `event` as a dry run: a readiness check never sends a change.
fn dry_run(mut event: Value) -> Value {
    if let Some(map) = event.as_object_mut() {
        map.insert("dry_run".into(), Value::Bool(true));
    }
    event
}

/// Whether the names a recovery would create are free.
/// The data a recovery now would lose: a standby's lag (a switchover would
/// lose none, but an outage of the primary region leaves a failover, which
/// loses the lag), else the restore's own window.
fn window(result: &RestoreResult) -> Option<i64> {
    if result.plan.as_ref().is_some_and(|steps| {
        steps.iter().any(|s| {
            matches!(
                s,
                crate::restore::step::Step::Switchover(_)
                    | crate::restore::step::Step::Promote(_)
                    | crate::restore::step::Step::Failover(_)
            )
        })
    }) {
        return result.lag_seconds;
    }
    result.data_loss_seconds
}

/// What earlier drills of this restore left behind, judged on the
/// region's listing.
fn drill_leftovers(
    listing: &[rds::Listed],
    req: &RestoreRequest,
    now: i64,
    production: &Result<Vec<(String, String)>, String>,
) -> Check {
    let mut bases = vec![req.target.instance_id()];
    bases.extend(req.target.cluster_id());
    let mut found = Vec::new();
    for base in bases {
        found.extend(crate::drill::cleanup::leftovers_in(
            listing,
            &crate::drill::plan::drill_base(base),
        ));
    }
    found.sort_by(|a, b| (a.kind, &a.id).cmp(&(b.kind, &b.id)));
    found.dedup_by(|a, b| a.kind == b.kind && a.id == b.id);
    checks::drill_leftovers(&req.region, &found, now, production)
}

/// Whether the names the restore would create are free, judged on the
/// region's listing.
fn target_free(listing: &[rds::Listed], req: &RestoreRequest) -> Check {
    let mut names = vec![req.target.instance_id()];
    let mut taken = Vec::new();
    let listed = |kind: &str, id: &str| listing.iter().any(|d| d.kind == kind && d.id == id);
    if listed("instance", req.target.instance_id()) {
        taken.push(("instance", req.target.instance_id().to_owned()));
    }
    if let Some(cluster) = req.target.cluster_id() {
        names.insert(0, cluster);
        if listed("cluster", cluster) {
            taken.insert(0, ("cluster", cluster.to_owned()));
        }
    }
    checks::target_free(&req.region, &names, &taken)
}
