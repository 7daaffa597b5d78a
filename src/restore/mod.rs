//! `restore-database`: restore an RDS instance, or an Aurora cluster and its
//! writer, from a snapshot or a point in time, into NEW identifiers,
//! idempotently.
//!
//! - `request/`: the event, decoded and validated: what to create
//!   (`target.rs`), what to restore from (`source.rs`), the event's settings
//!   (`overrides.rs`);
//! - `cluster.rs`: the Aurora path: cluster settings and its writer;
//! - `facts.rs`: what RDS reports, as planning needs it;
//! - `tags.rs`: the tags a restore writes, and what they say on a replay;
//! - `plan.rs`: the pure core, from facts to steps;
//! - `settings.rs`: which source settings a restore carries over, by RDS's rules;
//! - `step.rs`: each call, in the API's field names;
//! - `status.rs`: what an RDS status means for a restore;
//! - `rds.rs`: the shell, the only code that calls RDS;
//! - `lag.rs`: a standby's replication lag, from CloudWatch;
//! - `promote.rs`: the standby path: read it, plan, promote it in place.

pub mod cluster;
pub mod facts;
pub mod lag;
pub mod plan;
pub mod promote;
pub mod rds;
pub mod request;
pub mod settings;
pub mod status;
pub mod step;
pub mod tags;

use aws_config::SdkConfig;
use aws_sdk_rds::Client;
use serde::Serialize;
use serde_json::Value;
use tracing::{info, warn};

use aws_sdk_rds::primitives::DateTime;

use self::plan::{Existing, Progress, Replay, ReplayWindow, Resolved, SourceFacts};
use self::rds::Applied;
use self::request::{RestoreRequest, Scope, Source, Target};
use self::status::RestoreStatus;
use self::step::Step;
use self::tags::Recorded;
use crate::aws::{self, RegionalClients, SdkSettings};
use crate::config::{self, ConfigError, Env};
use crate::error::{AwsFailure, Error};
use crate::runtime::{Handler, Invocation};
use crate::trigger::Trigger;
use crate::validate::{self, Globs};

/// The handler's answer. `instance_id` and `status` are the seed's contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RestoreResult {
    /// The restored (new) instance; for an Aurora cluster, its writer.
    pub instance_id: String,
    /// The restored (new) Aurora cluster; `null` for an instance restore.
    /// Always present: the workflow's ResultSelector reads it.
    pub cluster_id: Option<String>,
    /// `restoring` (started, or still being created), `available` (a replay
    /// of a finished restore), `failed` (a replay of a restore RDS gave up
    /// on), or `dry_run`.
    pub status: RestoreStatus,
    /// The snapshot restored from, with `latest` resolved; `null` for a
    /// point-in-time restore.
    pub snapshot_id: Option<String>,
    /// The region the instance is restored in.
    pub region: String,
    /// When the restored data is from (RFC 3339): the snapshot's creation
    /// time (the original one, for a cross-region copy), or the restore time.
    pub recovery_point: Option<String>,
    /// Seconds between `recovery_point` and the moment of the request: the
    /// data this recovery loses.
    pub data_loss_seconds: Option<i64>,
    /// What RDS reported for the instance (the writer); `null` for a dry run.
    pub db_instance_status: Option<String>,
    /// What RDS reported for the Aurora cluster; absent for an instance restore.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_status: Option<String>,
    /// Where the application connects (the instance's endpoint, or the
    /// Aurora cluster's writer endpoint): `null` until `status` is
    /// `available`. Always present: the workflow's cutover reads it.
    pub endpoint: Option<String>,
    /// The port of `endpoint`; `null` with it.
    pub port: Option<i32>,
    /// The engine (`postgres`, `aurora-mysql`, ...), once RDS reports the
    /// database; `null` before. Always present: the drill's validation
    /// function gets it.
    pub engine: Option<String>,
    /// A standby's replication lag when it was read, in seconds (absent
    /// when unknown, or for a restore): what a promotion without a lossless
    /// switchover loses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag_seconds: Option<i64>,
    /// Calls not made yet (e.g. `CreateDBInstance` while the cluster is still
    /// being created): the same event, sent again, makes them. Empty when
    /// everything was sent. Always present: the workflow branches on it.
    pub pending: Vec<String>,
    /// True when an earlier attempt of the same request had already started the restore.
    pub replayed: bool,
    /// True when nothing was sent.
    pub dry_run: bool,
    /// The exact requests, for a dry run: one object per call, keyed by the API operation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<Vec<Step>>,
    /// Settings of the source that were not carried over, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// What asked for the restore: `direct`, or `region-switch:<plan> (...)`.
    pub trigger: Trigger,
}

impl RestoreResult {
    /// A result for `req` in `status`, from what the restore resolved to.
    fn new(
        req: &RestoreRequest,
        status: RestoreStatus,
        recorded: &Recorded,
        now: DateTime,
    ) -> Self {
        let requested_at = recorded.requested_at.unwrap_or(now);
        RestoreResult {
            instance_id: req.target.instance_id().to_owned(),
            cluster_id: req.target.cluster_id().map(str::to_owned),
            status,
            snapshot_id: recorded.snapshot_id.clone(),
            region: req.region.clone(),
            recovery_point: recorded.recovery_point.map(request::rfc3339),
            data_loss_seconds: recorded
                .recovery_point
                .map(|point| (requested_at.secs() - point.secs()).max(0)),
            db_instance_status: None,
            cluster_status: None,
            endpoint: None,
            port: None,
            engine: None,
            lag_seconds: None,
            pending: Vec::new(),
            replayed: false,
            dry_run: req.dry_run,
            plan: None,
            notes: Vec::new(),
            trigger: req.trigger.clone(),
        }
    }
}

/// How long after a restore was asked for the same event still replays it
/// (`REPLAY_WINDOW_HOURS`), unless configured otherwise.
pub const DEFAULT_REPLAY_WINDOW_HOURS: u64 = 24;

/// The restore handler, built once at init.
pub struct RestoreHandler {
    clients: RegionalClients<Client>,
    /// Reads a standby's lag; set by `from_config` (`with_cloudwatch`).
    cloudwatch: Option<RegionalClients<aws_sdk_cloudwatch::Client>>,
    allowlist: Option<Globs>,
    standbys: Option<Globs>,
    regions: Option<Globs>,
    region_switch_restore: Option<Value>,
    source_region: Option<String>,
    replay_window_hours: u64,
}

impl Handler for RestoreHandler {
    type Output = RestoreResult;

    async fn from_env(env: &dyn Env) -> Result<Self, ConfigError> {
        let sdk = SdkSettings::from_env(env)?;
        RestoreHandler::from_config(env, &aws::load_sdk_config(&sdk).await)
    }

    /// Handles one event: decode, validate, read, plan, apply.
    async fn handle(&self, event: Value, invocation: &Invocation) -> Result<RestoreResult, Error> {
        let now = DateTime::from(invocation.received);
        let req = self.request(event, invocation)?;
        let window = ReplayWindow::before(now, self.replay_window_hours);
        let region = req.region.clone();
        info!(
            target = req.target.instance_id(),
            requested = %req.source.requested(),
            source_db = req.source.source_db(),
            region = %region,
            dry_run = req.dry_run,
            trigger = %req.trigger,
            "restore requested"
        );
        if let Source::Standby { .. } = req.source {
            return promote::promote(
                &self.clients,
                self.cloudwatch.as_ref(),
                &req,
                invocation,
                now,
            )
            .await;
        }
        let client = self.clients.get(&region);

        let existing = read_target(&client, &req).await?;
        let resume = match plan::progress(&req, &existing, window)? {
            Progress::Done(replay) => {
                info!(db_instance_status = %replay.db_instance_status, cluster_status = replay.cluster_status.as_deref(), "already restored by an earlier attempt; nothing sent");
                return Ok(replayed(&req, replay, now));
            }
            Progress::WriterMissing { .. } => existing.cluster,
            Progress::Fresh => None,
        };

        let (resolved, source) = match resume {
            // The cluster of an earlier attempt exists: only its writer is left.
            Some(cluster) => {
                info!("the cluster exists from an earlier attempt; its writer is left to create");
                (
                    Resolved::Resumed(Box::new(cluster)),
                    read_source_writer(&client, &req).await?,
                )
            }
            None => resolve(&client, &req, invocation.account_id.as_deref()).await?,
        };
        let planned = plan::plan_restore(&req, &resolved, &source, &invocation.request_id, now)?;
        info!(
            snapshot_id = planned.recorded.snapshot_id.as_deref(),
            recovery_point = planned
                .recorded
                .recovery_point
                .map(request::rfc3339)
                .as_deref(),
            source_copied = source.instance.is_some() || source.cluster.is_some(),
            steps = planned.steps.len(),
            "restore resolved"
        );
        for note in &planned.notes {
            info!(note = %note, "a source setting is not carried over");
        }
        let mut result = RestoreResult::new(&req, RestoreStatus::Restoring, &planned.recorded, now);
        result.notes = planned.notes.clone();

        if req.dry_run {
            info!(
                steps = planned.steps.len(),
                "dry run: restore planned, nothing sent"
            );
            result.status = RestoreStatus::DryRun;
            result.plan = Some(planned.steps);
            return Ok(result);
        }

        for (i, step) in planned.steps.iter().enumerate() {
            match rds::apply(&client, step, &region).await? {
                Applied::Started { status } => {
                    info!(operation = step.operation(), status = %status, "step started");
                    match step {
                        Step::ClusterFromSnapshot(_) | Step::ClusterToPointInTime(_) => {
                            result.cluster_status = Some(status);
                        }
                        _ => result.db_instance_status = Some(status),
                    }
                }
                Applied::ClusterNotReady { detail } => {
                    // The same request, sent again later, creates the writer:
                    // the cluster is ours now. The workflow repeats it.
                    info!(detail = %detail, "the cluster cannot take its writer yet; left for the next invocation");
                    result.pending = planned.steps[i..]
                        .iter()
                        .map(|s| s.operation().to_owned())
                        .collect();
                    result.notes.push(format!(
                        "the cluster cannot take its writer yet ({detail}): invoke again with the same \
                         event to create it (the recovery workflow does)"
                    ));
                    return Ok(result);
                }
                Applied::AlreadyExists => {
                    // A concurrent attempt won the race: it is ours if its tags say so.
                    info!(
                        operation = step.operation(),
                        "identifier taken; checking whose it is"
                    );
                    let existing = read_target(&client, &req).await?;
                    return match plan::progress(&req, &existing, window)? {
                        Progress::Done(replay) => Ok(replayed(&req, replay, now)),
                        // RDS said it exists but cannot show it yet (its reads
                        // are eventually consistent), or the winner is still
                        // between its two steps: a retry will know.
                        _ => Err(Error::ServiceUnavailable(AwsFailure {
                            operation: step.operation(),
                            code: None,
                            message: format!(
                                "RDS reported the target of {} as existing, but it cannot be read \
                                 as a finished restore yet",
                                step.operation()
                            ),
                            source: "eventual consistency".into(),
                        })),
                    };
                }
            }
        }
        Ok(result)
    }
}

/// What exists under the target's names: the instance; for a cluster, the
/// cluster and its writer.
async fn read_target(client: &Client, req: &RestoreRequest) -> Result<Existing, Error> {
    Ok(Existing {
        instance: rds::describe_instance(client, req.target.instance_id()).await?,
        cluster: match req.target.cluster_id() {
            Some(id) => rds::describe_cluster(client, id).await?,
            None => None,
        },
    })
}

/// For a cluster whose restore is resumed: the source cluster and its
/// writer, to copy the writer's class and tags from. The same source the
/// first attempt read: the event's, else the named snapshot's own.
async fn read_source_writer(client: &Client, req: &RestoreRequest) -> Result<SourceFacts, Error> {
    let name = match (&req.source, req.source.source_db()) {
        (_, Some(name)) => Some(name.to_owned()),
        (Source::Named { snapshot: id, .. }, None) => rds::describe_cluster_snapshot(client, id)
            .await?
            .and_then(|snapshot| snapshot.source_db),
        _ => None,
    };
    match name {
        Some(name) => read_source_cluster(client, &name).await,
        None => Ok(SourceFacts::default()),
    }
}

/// The source cluster and its writer, where they are in this region.
async fn read_source_cluster(client: &Client, name: &str) -> Result<SourceFacts, Error> {
    let cluster = rds::describe_cluster(client, name).await?;
    let instance = match cluster.as_ref().and_then(|c| c.writer.as_deref()) {
        Some(writer) => rds::describe_instance(client, writer).await?,
        None => None,
    };
    Ok(SourceFacts { instance, cluster })
}

impl RestoreHandler {
    /// A handler around an existing client for `home_region` (tests pass
    /// mocked ones). Without `with_cloudwatch`, a standby's lag is unknown.
    pub fn new(client: Client, home_region: impl Into<String>, allowlist: Option<Globs>) -> Self {
        RestoreHandler {
            cloudwatch: None,
            clients: RegionalClients::new(client, home_region, aws::rds_in_region),
            allowlist,
            standbys: None,
            regions: None,
            region_switch_restore: None,
            source_region: None,
            replay_window_hours: DEFAULT_REPLAY_WINDOW_HOURS,
        }
    }

    /// The handler for `env`'s configuration, with SDK clients from
    /// `config` (check-readiness shares one configuration among handlers:
    /// each load builds an HTTP client and its TLS roots, the bulk of init).
    pub fn from_config(env: &dyn Env, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        let allowlist = config::allowlist(env, "RESTORE_ALLOWED_INSTANCES")?;
        let regions = config::allowlist(env, "RESTORE_ALLOWED_REGIONS")?;
        let standbys = config::allowlist(env, "RESTORE_ALLOWED_STANDBYS")?;
        let region_switch_restore = match env.get("REGION_SWITCH_RESTORE") {
            None => None,
            Some(raw) => Some(serde_json::from_str::<Value>(&raw).map_err(|e| {
                ConfigError::new(
                    "REGION_SWITCH_RESTORE",
                    format!("is not a JSON restore event ({e})"),
                )
            })?),
        };
        let source_region = config::parse_var(env, "RESTORE_SOURCE_REGION", None, |raw| {
            validate::region_name(raw).map(|()| Some(raw.to_owned()))
        })?;
        let replay_window_hours = config::parse_var(
            env,
            "REPLAY_WINDOW_HOURS",
            DEFAULT_REPLAY_WINDOW_HOURS,
            |raw| match raw.parse::<u64>() {
                Ok(hours) if (1..=8760).contains(&hours) => Ok(hours),
                _ => Err(format!("'{raw}' is not a number of hours from 1 to 8760")),
            },
        )?;
        let home_region = aws::home_region(sdk)?;
        let mut handler = RestoreHandler::new(Client::new(sdk), home_region, allowlist)
            .with_cloudwatch(aws_sdk_cloudwatch::Client::new(sdk))
            .with_allowed_regions(regions)
            .with_source_region(source_region)
            .with_replay_window_hours(replay_window_hours);
        handler.region_switch_restore = region_switch_restore;
        handler.standbys = standbys;
        Ok(handler)
    }

    /// The event decoded and validated as this function's configuration
    /// bounds it: what `handle` would restore. No AWS call is made.
    pub fn request(&self, event: Value, invocation: &Invocation) -> Result<RestoreRequest, Error> {
        request::parse(
            event,
            Scope {
                allowlist: self.allowlist.as_ref(),
                standbys: self.standbys.as_ref(),
                regions: self.regions.as_ref(),
                home_region: self.clients.home_region(),
                account_id: invocation.account_id.as_deref(),
                now: DateTime::from(invocation.received),
                region_switch_restore: self.region_switch_restore.as_ref(),
                source_region: self.source_region.as_deref(),
            },
        )
    }

    /// The CloudWatch client, for the home region, that reads a standby's
    /// lag (other regions' clients derive from it).
    pub fn with_cloudwatch(mut self, client: aws_sdk_cloudwatch::Client) -> Self {
        self.cloudwatch = Some(RegionalClients::new(
            client,
            self.clients.home_region().to_owned(),
            aws::cloudwatch_in_region,
        ));
        self
    }

    /// Where the source of a point-in-time restore runs unless the event
    /// says (`RESTORE_SOURCE_REGION`).
    pub fn with_source_region(mut self, region: Option<String>) -> Self {
        self.source_region = region;
        self
    }

    /// How long after a restore was asked for the same event replays it
    /// (`REPLAY_WINDOW_HOURS`); an older one is refused.
    pub fn with_replay_window_hours(mut self, hours: u64) -> Self {
        self.replay_window_hours = hours;
        self
    }

    /// Restricts the regions a restore may go to (`RESTORE_ALLOWED_REGIONS`):
    /// the role may restore only there, and another region would come back
    /// as AccessDenied, blaming the role for the event's choice.
    pub fn with_allowed_regions(mut self, regions: Option<Globs>) -> Self {
        self.regions = regions;
        self
    }
}

/// Finds what to restore from and, when it is here, the source (instance,
/// or cluster and its writer). `account` is the function's own, which names
/// a source in another region.
async fn resolve(
    client: &Client,
    req: &RestoreRequest,
    account: Option<&str>,
) -> Result<(Resolved, SourceFacts), Error> {
    match &req.target {
        Target::Instance(_) => resolve_for_instance(client, req, account).await,
        Target::Cluster { .. } => resolve_for_cluster(client, req).await,
        Target::Standby(_) => Err(standby_elsewhere()),
    }
}

async fn resolve_for_instance(
    client: &Client,
    req: &RestoreRequest,
    account: Option<&str>,
) -> Result<(Resolved, SourceFacts), Error> {
    let region = req.region.as_str();
    let read = |name: Option<String>| async move {
        Ok::<_, Error>(SourceFacts {
            instance: match name {
                Some(name) => rds::describe_instance(client, &name).await?,
                None => None,
            },
            cluster: None,
        })
    };
    match &req.source {
        Source::Named { snapshot: id, .. } => {
            let snapshot = rds::describe_snapshot(client, id)
                .await?
                .ok_or_else(|| snapshot_not_found(id, region))?;
            plan::check_named(req, &snapshot, region)?;
            let name = req.source.source_db().or(snapshot.source_db.as_deref());
            let source = read(name.map(str::to_owned)).await?;
            Ok((Resolved::Snapshot(snapshot), source))
        }
        Source::Latest { source: name, .. } => {
            let source = read(Some(name.clone())).await?;
            let snapshots = rds::list_snapshots(client, name).await?;
            let snapshot =
                plan::pick_latest(req, &snapshots, name, source.instance.is_some())?.clone();
            Ok((Resolved::Snapshot(snapshot), source))
        }
        Source::PointInTime { source: name, .. } => {
            let source = read(Some(name.clone())).await?;
            let source_arn = match source.instance {
                Some(_) => None,
                None => Some(source_arn(req, name, account)?),
            };
            let backups = rds::automated_backups(client, name, source_arn.as_deref()).await?;
            let resolved =
                plan::resolve_point_in_time(name, region, source.instance.as_ref(), &backups)?;
            Ok((resolved, source))
        }
        Source::Standby { .. } => Err(standby_elsewhere()),
    }
}

async fn resolve_for_cluster(
    client: &Client,
    req: &RestoreRequest,
) -> Result<(Resolved, SourceFacts), Error> {
    let region = req.region.as_str();
    match &req.source {
        Source::Named { snapshot: id, .. } => {
            let snapshot = rds::describe_cluster_snapshot(client, id)
                .await?
                .ok_or_else(|| snapshot_not_found(id, region))?;
            plan::check_named(req, &snapshot, region)?;
            let source = match req.source.source_db().or(snapshot.source_db.as_deref()) {
                Some(name) => read_source_cluster(client, name).await?,
                None => SourceFacts::default(),
            };
            Ok((Resolved::Snapshot(snapshot), source))
        }
        Source::Latest { source: name, .. } => {
            let source = read_source_cluster(client, name).await?;
            let snapshots = rds::list_cluster_snapshots(client, name).await?;
            let snapshot =
                plan::pick_latest(req, &snapshots, name, source.cluster.is_some())?.clone();
            Ok((Resolved::Snapshot(snapshot), source))
        }
        Source::PointInTime { source: name, .. } => {
            let source = read_source_cluster(client, name).await?;
            let resolved = plan::cluster_point_in_time(name, region, source.cluster.as_ref())?;
            Ok((resolved, source))
        }
        Source::Standby { .. } => Err(standby_elsewhere()),
    }
}

/// The ARN of source instance `name` in the region it runs in: what finds
/// its automated backups replicated into the restore's region.
///
/// Outside Lambda (a local emulator whose function ARN names no account)
/// the identifier stands in for the ARN: the `db-instance-id` filter takes
/// both, and only the ARN is certain to match a replica.
fn source_arn(req: &RestoreRequest, name: &str, account: Option<&str>) -> Result<String, Error> {
    let region = req.source_region.as_deref().ok_or_else(|| {
        Error::invalid(
            "source_region",
            format!(
                "is required: '{name}' is not in {}, and its automated backups replicated there \
                 are found by its ARN, which names the region it runs in (e.g. \"source_region\": \
                 \"us-east-1\"; or set RESTORE_SOURCE_REGION)",
                req.region
            ),
        )
    })?;
    let Some(account) = account else {
        warn!(
            source = name,
            "the function's account is unknown (no account in the function ARN): the replicated \
             backups are asked for by the source's identifier, not its ARN"
        );
        return Ok(name.to_owned());
    };
    Ok(format!(
        "arn:{}:rds:{region}:{account}:db:{name}",
        aws::partition(region)
    ))
}

fn snapshot_not_found(id: &str, region: &str) -> Error {
    Error::SnapshotNotFound {
        snapshot_id: id.to_owned(),
        region: region.to_owned(),
    }
}

fn replayed(req: &RestoreRequest, replay: Replay, now: DateTime) -> RestoreResult {
    // A restore that RDS gave up on, or an instance being removed, must not
    // read as "restoring" forever.
    let status = match &replay.cluster_status {
        Some(cluster) => status::of_cluster(cluster, &replay.db_instance_status),
        None => status::of_instance(&replay.db_instance_status),
    };
    let mut result = RestoreResult::new(req, status, &replay.recorded, now);
    result.db_instance_status = Some(replay.db_instance_status);
    result.cluster_status = replay.cluster_status;
    // Only a usable database has an address worth cutting over to.
    if status == RestoreStatus::Available {
        result.endpoint = replay.endpoint;
        result.port = replay.port;
    }
    result.engine = replay.engine;
    result.replayed = true;
    result
}

/// A standby reached a restore-only path: `handle` sends it to `promote`.
fn standby_elsewhere() -> Error {
    Error::Internal {
        detail: "a standby request reached the snapshot restore path".to_owned(),
    }
}
