//! `restore-database`: restore an RDS instance from a snapshot into a NEW
//! identifier, idempotently.
//!
//! - `request.rs`: the event, decoded and validated (what to restore from, what to create);
//! - `facts.rs`: what RDS reports, as planning needs it;
//! - `tags.rs`: the tags a restore writes, and what they say on a replay;
//! - `plan.rs`: the pure core, from facts to steps;
//! - `settings.rs`: which source settings a restore carries over, by RDS's rules;
//! - `step.rs`: each call, in the API's field names;
//! - `status.rs`: what an RDS status means for a restore;
//! - `rds.rs`: the shell, the only code that calls RDS.

pub mod facts;
pub mod plan;
pub mod rds;
pub mod request;
pub mod settings;
pub mod status;
pub mod step;
pub mod tags;

use aws_sdk_rds::Client;
use serde::Serialize;
use serde_json::Value;
use tracing::info;

use aws_sdk_rds::primitives::DateTime;

use self::facts::InstanceFacts;
use self::plan::{Replay, Resolved};
use self::rds::Applied;
use self::request::{RestoreRequest, Scope, Source};
use self::status::RestoreStatus;
use self::step::Step;
use self::tags::Recorded;
use crate::aws::{self, RegionalClients, SdkSettings};
use crate::config::{self, ConfigError, Env};
use crate::error::{AwsFailure, Error};
use crate::runtime::{Handler, Invocation};
use crate::validate::Globs;

/// The handler's answer. `instance_id` and `status` are the seed's contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RestoreResult {
    /// The restored (new) instance.
    pub instance_id: String,
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
    /// What RDS reported for the instance; `null` for a dry run.
    pub db_instance_status: Option<String>,
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
            status,
            snapshot_id: recorded.snapshot_id.clone(),
            region: req.region.clone(),
            recovery_point: recorded.recovery_point.map(request::rfc3339),
            data_loss_seconds: recorded
                .recovery_point
                .map(|point| (requested_at.secs() - point.secs()).max(0)),
            db_instance_status: None,
            replayed: false,
            dry_run: req.dry_run,
            plan: None,
            notes: Vec::new(),
        }
    }
}

/// The restore handler, built once at init.
pub struct RestoreHandler {
    clients: RegionalClients<Client>,
    allowlist: Option<Globs>,
    regions: Option<Globs>,
}

impl Handler for RestoreHandler {
    type Output = RestoreResult;

    async fn from_env(env: &dyn Env) -> Result<Self, ConfigError> {
        let sdk = SdkSettings::from_env(env)?;
        let allowlist = config::allowlist(env, "RESTORE_ALLOWED_INSTANCES")?;
        let regions = config::allowlist(env, "RESTORE_ALLOWED_REGIONS")?;
        let config = aws::load_sdk_config(&sdk).await;
        let home_region = aws::home_region(&config)?;
        Ok(
            RestoreHandler::new(Client::new(&config), home_region, allowlist)
                .with_allowed_regions(regions),
        )
    }

    /// Handles one event: decode, validate, read, plan, apply.
    async fn handle(&self, event: Value, invocation: &Invocation) -> Result<RestoreResult, Error> {
        let now = DateTime::from(invocation.received);
        let req = request::parse(
            event,
            Scope {
                allowlist: self.allowlist.as_ref(),
                regions: self.regions.as_ref(),
                home_region: self.clients.home_region(),
                account_id: invocation.account_id.as_deref(),
                now,
            },
        )?;
        let region = req.region.clone();
        info!(
            target = req.target.instance_id(),
            requested = %req.source.requested(),
            source_db = req.source.source_db(),
            region = %region,
            dry_run = req.dry_run,
            "restore requested"
        );
        let client = self.clients.get(&region);
        let target = req.target.instance_id();

        if let Some(existing) = rds::describe_instance(&client, target).await? {
            let replay = plan::check_existing(&req, &existing, &region)?;
            info!(db_instance_status = %replay.db_instance_status, "instance already restored by an earlier attempt; nothing sent");
            return Ok(replayed(&req, replay, now));
        }

        let (resolved, source) = resolve(&client, &req).await?;
        let planned = plan::plan_restore(
            &req,
            &resolved,
            source.as_ref(),
            &invocation.request_id,
            now,
        )?;
        info!(
            snapshot_id = planned.recorded.snapshot_id.as_deref(),
            recovery_point = planned
                .recorded
                .recovery_point
                .map(request::rfc3339)
                .as_deref(),
            source_copied = source.is_some(),
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

        for step in &planned.steps {
            match rds::apply(&client, step, &region).await? {
                Applied::Started { status } => {
                    info!(status = %status, "restore started");
                    result.db_instance_status = Some(status);
                }
                Applied::AlreadyExists => {
                    // A concurrent attempt won the race: it is ours if its tags say so.
                    info!("identifier taken while restoring; checking whose instance it is");
                    return match rds::describe_instance(&client, target).await? {
                        Some(existing) => Ok(replayed(
                            &req,
                            plan::check_existing(&req, &existing, &region)?,
                            now,
                        )),
                        // RDS said it exists but cannot show it yet (its reads
                        // are eventually consistent): whose it is is unknown,
                        // and a retry will know.
                        None => Err(Error::ServiceUnavailable(AwsFailure {
                            operation: "DescribeDBInstances",
                            code: None,
                            message: format!(
                                "RDS reported '{target}' as existing, but could not describe it yet"
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

impl RestoreHandler {
    /// A handler around an existing client for `home_region` (tests pass mocked ones).
    pub fn new(client: Client, home_region: impl Into<String>, allowlist: Option<Globs>) -> Self {
        RestoreHandler {
            clients: RegionalClients::new(client, home_region, aws::rds_in_region),
            allowlist,
            regions: None,
        }
    }

    /// Restricts the regions a restore may go to (`RESTORE_ALLOWED_REGIONS`):
    /// the role may restore only there, and another region would come back
    /// as AccessDenied, blaming the role for the event's choice.
    pub fn with_allowed_regions(mut self, regions: Option<Globs>) -> Self {
        self.regions = regions;
        self
    }
}

/// Finds what to restore from and, when it exists here, the source instance.
async fn resolve(
    client: &Client,
    req: &RestoreRequest,
) -> Result<(Resolved, Option<InstanceFacts>), Error> {
    let region = req.region.as_str();
    match &req.source {
        Source::Named { snapshot: id, .. } => {
            let snapshot = rds::describe_snapshot(client, id).await?.ok_or_else(|| {
                Error::SnapshotNotFound {
                    snapshot_id: id.clone(),
                    region: region.to_owned(),
                }
            })?;
            plan::check_named(req, &snapshot, region)?;
            let source_name = req
                .source
                .source_db()
                .or(snapshot.source_instance.as_deref());
            let source = match source_name {
                Some(name) => rds::describe_instance(client, name).await?,
                None => None,
            };
            Ok((Resolved::Snapshot(snapshot), source))
        }
        Source::Latest { source: name } => {
            let source = rds::describe_instance(client, name).await?;
            let snapshots = rds::list_snapshots(client, name).await?;
            let snapshot = plan::pick_latest(&snapshots, name, source.is_some(), region)?.clone();
            Ok((Resolved::Snapshot(snapshot), source))
        }
        Source::PointInTime { source: name, .. } => {
            let source = rds::describe_instance(client, name).await?;
            let backups = rds::automated_backups(client, name).await?;
            let resolved = plan::resolve_point_in_time(name, region, source.as_ref(), &backups)?;
            Ok((resolved, source))
        }
    }
}

fn replayed(req: &RestoreRequest, replay: Replay, now: DateTime) -> RestoreResult {
    // A restore that RDS gave up on, or an instance being removed, must not
    // read as "restoring" forever.
    let status = status::of_instance(&replay.db_instance_status);
    let mut result = RestoreResult::new(req, status, &replay.recorded, now);
    result.db_instance_status = Some(replay.db_instance_status);
    result.replayed = true;
    result
}
