//! `restore-database`: restore an RDS instance from a snapshot into a NEW
//! identifier, idempotently.

pub mod plan;
pub mod rds;
pub mod request;

use aws_config::Region;
use aws_sdk_rds::Client;
use serde::Serialize;
use serde_json::Value;
use tracing::info;

use self::plan::{Replay, RestorePlan, SnapshotFacts};
use self::rds::RestoreOutcome;
use self::request::{RestoreRequest, SnapshotRef};
use crate::error::Error;
use crate::settings::{self, ConfigError, Env, SdkSettings};
use crate::validate::Globs;

/// The handler's answer. `instance_id` and `status` are the seed's contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RestoreResult {
    /// The restored (new) instance.
    pub instance_id: String,
    /// `restoring` (started, or still being created), `available` (a replay
    /// of a finished restore), `failed` (a replay of a restore RDS gave up
    /// on), or `dry_run`.
    pub status: String,
    /// The snapshot restored from, with `latest` resolved.
    pub snapshot_id: String,
    /// The region the instance is restored in.
    pub region: String,
    /// What RDS reported for the instance; `null` for a dry run.
    pub db_instance_status: Option<String>,
    /// True when an earlier attempt of the same request had already started the restore.
    pub replayed: bool,
    /// True when nothing was sent.
    pub dry_run: bool,
    /// The exact restore request, for a dry run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<RestorePlan>,
}

/// The restore handler, built once at init.
pub struct RestoreHandler {
    client: Client,
    home_region: String,
    allowlist: Option<Globs>,
}

impl RestoreHandler {
    /// A handler around an existing client (tests pass mocked ones).
    pub fn new(client: Client, home_region: impl Into<String>, allowlist: Option<Globs>) -> Self {
        RestoreHandler {
            client,
            home_region: home_region.into(),
            allowlist,
        }
    }

    /// Reads the configuration and builds the RDS client.
    pub async fn from_env(env: &dyn Env) -> Result<Self, ConfigError> {
        let sdk = SdkSettings::from_env(env)?;
        let allowlist = match env.get("RESTORE_ALLOWED_INSTANCES") {
            None => None,
            Some(list) => {
                let globs = Globs::parse(&list);
                if globs.is_empty() {
                    return Err(ConfigError::new(
                        "RESTORE_ALLOWED_INSTANCES",
                        "holds no pattern",
                    ));
                }
                Some(globs)
            }
        };
        let config = settings::load_sdk_config(&sdk).await;
        let home_region = settings::home_region(&config)?;
        Ok(RestoreHandler::new(
            Client::new(&config),
            home_region,
            allowlist,
        ))
    }

    // Same HTTP client, retries and credentials; only the region differs.
    fn client_for(&self, region: &str) -> Client {
        if region == self.home_region {
            self.client.clone()
        } else {
            Client::from_conf(
                self.client
                    .config()
                    .to_builder()
                    .region(Region::new(region.to_owned()))
                    .build(),
            )
        }
    }

    /// Handles one event: decode, validate, read, plan, apply.
    pub async fn handle(&self, event: Value, request_id: &str) -> Result<RestoreResult, Error> {
        let req = request::parse(event, self.allowlist.as_ref())?;
        let region = req
            .region
            .clone()
            .unwrap_or_else(|| self.home_region.clone());
        info!(
            db_instance = %req.db_instance,
            snapshot_id = req.snapshot.as_str(),
            source_db_instance = req.source_db_instance.as_deref(),
            region = %region,
            dry_run = req.dry_run,
            "restore requested"
        );
        let client = self.client_for(&region);

        if let Some(existing) = rds::describe_instance(&client, &req.db_instance).await? {
            let replay = plan::check_existing(&req, &existing, &region)?;
            info!(db_instance_status = %replay.db_instance_status, "instance already restored by an earlier attempt; nothing sent");
            return Ok(replayed(&req, &region, replay));
        }

        let (snapshot, source) = self.resolve(&client, &req, &region).await?;
        info!(snapshot_id = %snapshot.id, source_copied = source.is_some(), "snapshot resolved");
        let plan = plan::plan_restore(&req, &snapshot, source.as_ref(), request_id);

        if req.dry_run {
            info!("dry run: restore request planned, nothing sent");
            return Ok(RestoreResult {
                instance_id: req.db_instance.clone(),
                status: "dry_run".to_owned(),
                snapshot_id: snapshot.id,
                region,
                db_instance_status: None,
                replayed: false,
                dry_run: true,
                plan: Some(plan),
            });
        }

        match rds::restore(&client, &plan, &region).await? {
            RestoreOutcome::Started { db_instance_status } => {
                info!(db_instance_status = %db_instance_status, "restore started");
                Ok(RestoreResult {
                    instance_id: req.db_instance.clone(),
                    status: "restoring".to_owned(),
                    snapshot_id: snapshot.id,
                    region,
                    db_instance_status: Some(db_instance_status),
                    replayed: false,
                    dry_run: false,
                    plan: None,
                })
            }
            RestoreOutcome::AlreadyExists => {
                // A concurrent attempt won the race: it is ours if its tags say so.
                info!("identifier taken while restoring; checking whose instance it is");
                match rds::describe_instance(&client, &req.db_instance).await? {
                    Some(existing) => Ok(replayed(
                        &req,
                        &region,
                        plan::check_existing(&req, &existing, &region)?,
                    )),
                    None => Err(Error::InstanceAlreadyExists {
                        db_instance: req.db_instance.clone(),
                        region,
                        reason: "was reported by RDS but could not be described".to_owned(),
                    }),
                }
            }
        }
    }

    /// Finds the snapshot to restore and, when it exists here, the source instance.
    async fn resolve(
        &self,
        client: &Client,
        req: &RestoreRequest,
        region: &str,
    ) -> Result<(SnapshotFacts, Option<plan::InstanceFacts>), Error> {
        match &req.snapshot {
            SnapshotRef::Named(id) => {
                let snapshot = rds::describe_snapshot(client, id).await?.ok_or_else(|| {
                    Error::SnapshotNotFound {
                        snapshot_id: id.clone(),
                        region: region.to_owned(),
                    }
                })?;
                plan::check_named(req, &snapshot, region)?;
                let source_name = req
                    .source_db_instance
                    .as_ref()
                    .or(snapshot.source_instance.as_ref());
                let source = match source_name {
                    Some(name) => rds::describe_instance(client, name).await?,
                    None => None,
                };
                Ok((snapshot, source))
            }
            SnapshotRef::Latest => {
                // parse() guarantees a source with "latest".
                let name = req.source_db_instance.as_deref().unwrap_or_default();
                let source = rds::describe_instance(client, name).await?;
                let snapshots = rds::list_snapshots(client, name).await?;
                let snapshot =
                    plan::pick_latest(&snapshots, name, source.is_some(), region)?.clone();
                Ok((snapshot, source))
            }
        }
    }
}

fn replayed(req: &RestoreRequest, region: &str, replay: Replay) -> RestoreResult {
    // A restore that RDS gave up on, or an instance being removed, must not
    // read as "restoring" forever.
    let status = match replay.db_instance_status.as_str() {
        "available" => "available",
        "failed"
        | "restore-error"
        | "incompatible-restore"
        | "incompatible-parameters"
        | "incompatible-network"
        | "incompatible-option-group"
        | "storage-full"
        | "deleting"
        | "stopped"
        | "stopping" => "failed",
        s if s.starts_with("inaccessible-encryption-credentials") => "failed",
        _ => "restoring",
    };
    RestoreResult {
        instance_id: req.db_instance.clone(),
        status: status.to_owned(),
        snapshot_id: replay.snapshot_id,
        region: region.to_owned(),
        db_instance_status: Some(replay.db_instance_status),
        replayed: true,
        dry_run: req.dry_run,
        plan: None,
    }
}
