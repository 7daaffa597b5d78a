//! The pure core of the restore: from what AWS has to what to send.
//!
//! Nothing here calls AWS; the shell (`rds.rs`) gathers the facts and applies
//! the plan, so every decision below is unit-tested without a network.

use aws_sdk_rds::primitives::DateTime;

use super::cluster::ClusterOrigin;
use super::facts::{
    BackupFacts, Baseline, ClusterFacts, InstanceFacts, Lag, SnapshotFacts, StandbyFacts, Window,
};
use super::request::{RestoreRequest, RestoreTime, Source, Target, rfc3339};
use super::step::{
    ClusterFromSnapshot, ClusterSettings, ClusterToPointInTime, GlobalFailover, GlobalTarget,
    InstanceFromSnapshot, InstanceSettings, InstanceToPointInTime, Promote, Step, TagStandby,
    Writer,
};
use super::tags::{self, Recorded};
use super::{cluster, settings, status};
use crate::error::Error;

/// What a previous attempt of the same request already restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    /// What its tags record of the restore.
    pub recorded: Recorded,
    /// What RDS reports of the instance (the writer, for a cluster) now.
    pub db_instance_status: String,
    /// What RDS reports of the cluster now, for an Aurora restore.
    pub cluster_status: Option<String>,
    /// Where the application connects: the instance's endpoint, or the
    /// cluster's (writer) endpoint; `None` while RDS has none.
    pub endpoint: Option<String>,
    /// The port of that endpoint.
    pub port: Option<i32>,
    /// The engine RDS reports.
    pub engine: Option<String>,
}

/// The oldest earlier request a replay may continue: older restores under
/// the same names hold old data, and are refused rather than reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplayWindow {
    /// The earliest `requested-at` that still counts as the same request.
    pub since: DateTime,
    /// The window's length in hours, for messages (`REPLAY_WINDOW_HOURS`).
    pub hours: u64,
}

impl ReplayWindow {
    /// The window of `hours` before `now`.
    pub fn before(now: DateTime, hours: u64) -> Self {
        let secs = i64::try_from(hours.saturating_mul(3600)).unwrap_or(i64::MAX);
        ReplayWindow {
            since: DateTime::from_secs(now.secs().saturating_sub(secs)),
            hours,
        }
    }

    /// `Err` with the reason when a restore asked for at `requested` (its
    /// tag, else its creation time) is too old to be replayed.
    fn admits(&self, requested: Option<DateTime>) -> Result<(), String> {
        match requested {
            Some(at) if at < self.since => Err(format!(
                "was restored from the same source on {}, more than REPLAY_WINDOW_HOURS ({}) \
                 hours ago: its data is from then, not now. Delete it, or restore under another \
                 name",
                rfc3339(at),
                self.hours
            )),
            _ => Ok(()),
        }
    }
}

/// How far an earlier attempt of the same request got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Nothing of this request exists: every step is to do.
    Fresh,
    /// The Aurora cluster exists (ours), its writer does not: one step left.
    WriterMissing { cluster: Recorded },
    /// Everything exists: a replay, nothing to send.
    Done(Replay),
}

/// What exists under the target's names, read before planning.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Existing {
    /// The instance (the writer, for a cluster target).
    pub instance: Option<InstanceFacts>,
    /// The cluster, for a cluster target.
    pub cluster: Option<ClusterFacts>,
}

/// Decides what existing resources with the target's names mean.
///
/// They are the same request's earlier work when their provenance tag is
/// the request's, they were asked for within `window` (and a writer is in
/// the request's cluster); anything else is someone else's, or stale, and
/// is never touched.
pub fn progress(
    req: &RestoreRequest,
    existing: &Existing,
    window: ReplayWindow,
) -> Result<Progress, Error> {
    let refuse = |kind: &'static str, field: &'static str, id: &str, reason: String| {
        Error::InstanceAlreadyExists {
            kind,
            field,
            db_instance: id.to_owned(),
            region: req.region.clone(),
            reason,
        }
    };
    let (instance_field, cluster_id) = match &req.target {
        Target::Instance(_) => ("db_instance", None),
        Target::Cluster { id, .. } => ("writer_instance", Some(id.as_str())),
        Target::Standby(_) => {
            return Err(Error::Internal {
                detail: "a standby request reached the restore's replay check".to_owned(),
            });
        }
    };
    let cluster = match (&existing.cluster, cluster_id) {
        (Some(cluster), Some(_)) => {
            let tag = |key: &str| cluster.tag(key).map(str::to_owned);
            tags::same_request(req, tag)
                .and_then(|()| window.admits(tags::recorded(tag).requested_at.or(cluster.created)))
                .map_err(|reason| refuse("cluster", "db_cluster", &cluster.id, reason))?;
            Some(cluster)
        }
        _ => None,
    };
    let Some(instance) = &existing.instance else {
        return Ok(match cluster {
            // Creating the writer would only fail, or wait on a cluster that
            // never becomes available: say so now.
            Some(cluster) if status::failed_cluster_statuses().any(|s| s == cluster.status) => {
                return Err(Error::DatabaseRestoreFailed {
                    kind: "cluster",
                    id: cluster.id.clone(),
                    region: req.region.clone(),
                    status: cluster.status.clone(),
                });
            }
            Some(cluster) => Progress::WriterMissing {
                cluster: tags::recorded(|key| cluster.tag(key).map(str::to_owned)),
            },
            None => Progress::Fresh,
        });
    };
    let tag = |key: &str| instance.tag(key).map(str::to_owned);
    tags::same_request(req, tag)
        .and_then(|()| window.admits(tags::recorded(tag).requested_at.or(instance.created)))
        .map_err(|reason| refuse("instance", instance_field, &instance.id, reason))?;
    if let Some(wanted) = cluster_id
        && (cluster.is_none() || instance.db_cluster.as_deref() != Some(wanted))
    {
        return Err(refuse(
            "instance",
            instance_field,
            &instance.id,
            format!(
                "is not the writer of cluster '{wanted}' (it is in {})",
                instance.db_cluster.as_deref().unwrap_or("no cluster")
            ),
        ));
    }
    Ok(Progress::Done(Replay {
        recorded: tags::recorded(tag),
        db_instance_status: instance.status.clone(),
        cluster_status: cluster.map(|c| c.status.clone()),
        endpoint: match cluster {
            Some(c) => c.endpoint.clone(),
            None => instance.endpoint.clone(),
        },
        port: match cluster {
            Some(c) => c.port,
            None => instance.port,
        },
        engine: cluster
            .and_then(|c| c.engine.clone())
            .or_else(|| instance.engine.clone()),
    }))
}

/// Picks the newest available snapshot of `source` among `snapshots`.
///
/// `source_exists` tells a typo (no instance and no snapshot at all:
/// `SourceInstanceNotFound`) from a source whose snapshots are not ready yet
/// (`NoSnapshotAvailable`).
pub fn pick_latest<'a>(
    req: &RestoreRequest,
    snapshots: &'a [SnapshotFacts],
    source: &str,
    source_exists: bool,
) -> Result<&'a SnapshotFacts, Error> {
    let region = req.region.as_str();
    let newest = snapshots
        .iter()
        .filter(|s| s.status == "available" && s.created.is_some())
        .max_by(|a, b| a.created.cmp(&b.created).then_with(|| a.id.cmp(&b.id)));
    match newest {
        Some(snapshot) => Ok(snapshot),
        None if snapshots.is_empty() && !source_exists => Err(Error::SourceInstanceNotFound {
            field: req.target.source_field(),
            db_instance: source.to_owned(),
            region: region.to_owned(),
            missing: "neither an instance nor a snapshot".to_owned(),
            remedy: "Check the name, and that snapshots were copied to this region.".to_owned(),
        }),
        None => Err(Error::NoSnapshotAvailable {
            db_instance: source.to_owned(),
            region: region.to_owned(),
            detail: if snapshots.is_empty() {
                "it has no snapshot here".to_owned()
            } else {
                let states: Vec<String> = snapshots
                    .iter()
                    .map(|s| format!("{}: {}", s.id, s.status))
                    .collect();
                states.join(", ")
            },
        }),
    }
}

/// Checks that a named snapshot can be restored and belongs to the stated source.
pub fn check_named(
    req: &RestoreRequest,
    snapshot: &SnapshotFacts,
    region: &str,
) -> Result<(), Error> {
    if let (Some(stated), Some(actual)) = (req.source.source_db(), &snapshot.source_db)
        && stated != actual
    {
        return Err(Error::invalid(
            req.target.source_field(),
            format!(
                "snapshot '{}' is of '{actual}', not '{stated}'",
                snapshot.id
            ),
        ));
    }
    if snapshot.status != "available" {
        return Err(Error::NoSnapshotAvailable {
            db_instance: snapshot.source_db.clone().unwrap_or_default(),
            region: region.to_owned(),
            detail: format!("snapshot '{}' is {}", snapshot.id, snapshot.status),
        });
    }
    Ok(())
}

/// Where a restore's data comes from, once the shell has read it.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    /// A snapshot (or cluster snapshot), `latest` resolved.
    Snapshot(SnapshotFacts),
    /// An earlier attempt restored the Aurora cluster already: its writer is
    /// what is left, and the cluster's tags record what it was restored from.
    Resumed(Box<ClusterFacts>),
    /// A point in time of the source's automated backups.
    PointInTime {
        from: PitrFrom,
        window: Window,
        /// The engine and storage the restore gets by default.
        baseline: Baseline,
        /// The source's automated backups are off (retention 0).
        backups_off: bool,
    },
}

/// What a point-in-time restore names as its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PitrFrom {
    /// The source instance, in this region.
    Instance(String),
    /// The source's automated backups replicated into this region.
    ReplicatedBackups { arn: String },
    /// The source Aurora cluster, in this region.
    Cluster(String),
}

/// The source's settings to copy, where it is in the target region.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceFacts {
    /// The source instance; for a cluster, the source cluster's writer.
    pub instance: Option<InstanceFacts>,
    /// The source cluster, for a cluster target.
    pub cluster: Option<ClusterFacts>,
}

/// Where a point-in-time restore of `name` in `region` comes from: the
/// instance itself when it is here, else its automated backups replicated
/// into this region.
pub fn resolve_point_in_time(
    name: &str,
    region: &str,
    source: Option<&InstanceFacts>,
    backups: &[BackupFacts],
) -> Result<Resolved, Error> {
    if let Some(instance) = source {
        // Its own backups give the earliest restorable time; the instance
        // says the latest most freshly.
        let own = backups.iter().find(|b| b.status != "retained");
        return Ok(Resolved::PointInTime {
            from: PitrFrom::Instance(name.to_owned()),
            window: Window {
                earliest: own.and_then(|b| b.window.earliest),
                latest: instance
                    .latest_restorable_time
                    .or(own.and_then(|b| b.window.latest)),
            },
            baseline: instance.baseline(),
            backups_off: instance.backup_retention_period == Some(0),
        });
    }
    // A replicated backup lives in this region under the source's name.
    let replicated = backups
        .iter()
        .filter(|b| arn_region(&b.arn) == Some(region))
        .max_by_key(|b| (b.status == "replicating", b.window.latest));
    match replicated {
        Some(backup) => Ok(Resolved::PointInTime {
            from: PitrFrom::ReplicatedBackups {
                arn: backup.arn.clone(),
            },
            window: backup.window,
            baseline: backup.baseline.clone(),
            backups_off: false,
        }),
        None => Err(Error::SourceInstanceNotFound {
            field: "source_db_instance",
            db_instance: name.to_owned(),
            region: region.to_owned(),
            missing: "neither an instance nor automated backups replicated".to_owned(),
            remedy: format!(
                "A point-in-time restore in another region needs the source's automated backups \
                 replicated there, set up before the outage: aws rds \
                 start-db-instance-automated-backups-replication --region {region} \
                 --source-db-instance-arn arn:aws:rds:<source region>:<account>:db:{name} \
                 --backup-retention-period 7. Until then, restore a snapshot copied to {region}."
            ),
        }),
    }
}

/// Where a point-in-time restore of Aurora cluster `name` comes from: the
/// cluster itself, in this region. Aurora does not replicate automated
/// backups across regions.
pub fn cluster_point_in_time(
    name: &str,
    region: &str,
    source: Option<&ClusterFacts>,
) -> Result<Resolved, Error> {
    let cluster = source.ok_or_else(|| Error::SourceInstanceNotFound {
        field: "source_db_cluster",
        db_instance: name.to_owned(),
        region: region.to_owned(),
        missing: "no cluster".to_owned(),
        remedy: format!(
            "Aurora cannot restore a point in time in another region (its automated backups are \
             not replicated): restore a cluster snapshot copied to {region} (snapshot_id), or fail \
             over an Aurora Global Database."
        ),
    })?;
    Ok(Resolved::PointInTime {
        from: PitrFrom::Cluster(name.to_owned()),
        window: Window {
            earliest: cluster.earliest_restorable_time,
            latest: cluster.latest_restorable_time,
        },
        baseline: Baseline {
            engine: cluster.engine.clone(),
            engine_version: cluster.engine_version.clone(),
            ..Baseline::default()
        },
        backups_off: false,
    })
}

/// The region of an RDS ARN (`arn:aws:rds:<region>:...`).
fn arn_region(arn: &str) -> Option<&str> {
    arn.split(':').nth(3)
}

/// What a restore will do: its calls, and the source settings it could not carry over.
#[derive(Debug, Clone, PartialEq)]
pub struct RestorePlan {
    /// The calls, in order. Empty: nothing left to do.
    pub steps: Vec<Step>,
    /// One line per source setting left to RDS, and why.
    pub notes: Vec<String>,
    /// What the restore resolves to: the snapshot, the moment of the data.
    pub recorded: Recorded,
}

/// Checks a point-in-time request against the restorable window; returns
/// the moment the data will be from, when known.
pub fn restore_point(
    db_instance: &str,
    time: RestoreTime,
    window: Window,
    backups_off: bool,
) -> Result<Option<DateTime>, Error> {
    let out_of_range = |window: String| Error::RestoreTimeOutOfRange {
        db_instance: db_instance.to_owned(),
        requested: time.as_text(),
        window,
    };
    if backups_off {
        return Err(out_of_range(
            "there is none: its automated backups are off (backup retention 0); restore a snapshot"
                .to_owned(),
        ));
    }
    let show = |t: Option<DateTime>| t.map_or_else(|| "unknown".to_owned(), rfc3339);
    let words = || format!("{} to {}", show(window.earliest), show(window.latest));
    match time {
        RestoreTime::Latest => Ok(window.latest),
        RestoreTime::At(at) => {
            let early = window.earliest.is_some_and(|e| at < e);
            let late = window.latest.is_some_and(|l| at > l);
            if early || late {
                Err(out_of_range(words()))
            } else {
                Ok(Some(at))
            }
        }
    }
}

/// Builds the restore: the source's settings, then the event's overrides on
/// top, then dr-lambdas' own tags; for an Aurora cluster, also its writer.
///
/// The tags copied are the source's; without a source here, the snapshot's
/// own (RDS copies those only into a request without tags, and ours always
/// has some).
pub fn plan_restore(
    req: &RestoreRequest,
    resolved: &Resolved,
    source: &SourceFacts,
    request_id: &str,
    now: DateTime,
) -> Result<RestorePlan, Error> {
    let mut planned = plan_target(req, resolved, source, request_id, now)?;
    if req.drill.is_some() {
        as_drill(req, &mut planned);
    }
    Ok(planned)
}

/// A drill's restore is thrown away at its end: no deletion protection
/// (its cleanup must be able to delete it), Single-AZ unless the event says
/// (a drill need not double the bill), and no log exports (RDS would leave a
/// log group per drill name behind, never expiring).
fn as_drill(req: &RestoreRequest, planned: &mut RestorePlan) {
    let multi_az = req.overrides.multi_az.unwrap_or(false);
    for step in &mut planned.steps {
        match step {
            Step::InstanceFromSnapshot(s) => {
                s.settings.deletion_protection = Some(false);
                s.settings.multi_az = Some(multi_az);
                s.settings.enable_cloudwatch_logs_exports.clear();
            }
            Step::InstanceToPointInTime(s) => {
                s.settings.deletion_protection = Some(false);
                s.settings.multi_az = Some(multi_az);
                s.settings.enable_cloudwatch_logs_exports.clear();
            }
            Step::ClusterFromSnapshot(s) => {
                s.settings.deletion_protection = Some(false);
                s.settings.enable_cloudwatch_logs_exports.clear();
            }
            Step::ClusterToPointInTime(s) => {
                s.settings.deletion_protection = Some(false);
                s.settings.enable_cloudwatch_logs_exports.clear();
            }
            Step::Writer(_)
            | Step::Promote(_)
            | Step::Switchover(_)
            | Step::Failover(_)
            | Step::TagStandby(_) => {}
        }
    }
    planned.notes.push(
        "a drill: no deletion protection, no log exports, and Single-AZ unless the event says"
            .to_owned(),
    );
}

fn plan_target(
    req: &RestoreRequest,
    resolved: &Resolved,
    source: &SourceFacts,
    request_id: &str,
    now: DateTime,
) -> Result<RestorePlan, Error> {
    let recorded = recorded(req, resolved, now)?;
    match &req.target {
        Target::Instance(id) => plan_instance(req, id, resolved, source, recorded, request_id),
        Target::Cluster { id, writer } => {
            plan_cluster(req, id, writer, resolved, source, recorded, request_id)
        }
        Target::Standby(_) => Err(Error::Internal {
            detail: "a standby request reached the restore plan".to_owned(),
        }),
    }
}

/// What the restore resolves to, and when its data is from.
fn recorded(req: &RestoreRequest, resolved: &Resolved, now: DateTime) -> Result<Recorded, Error> {
    Ok(match resolved {
        Resolved::Snapshot(snapshot) => Recorded {
            snapshot_id: Some(snapshot.id.clone()),
            recovery_point: snapshot.created,
            requested_at: Some(now),
        },
        Resolved::Resumed(cluster) => tags::recorded(|key| cluster.tag(key).map(str::to_owned)),
        Resolved::PointInTime {
            window,
            backups_off,
            ..
        } => {
            let Source::PointInTime { source: name, time } = &req.source else {
                return Err(Error::Internal {
                    detail: "a point-in-time resolution for a snapshot request".to_owned(),
                });
            };
            Recorded {
                snapshot_id: None,
                recovery_point: restore_point(name, *time, *window, *backups_off)?,
                requested_at: Some(now),
            }
        }
    })
}

/// The time fields of a point-in-time request: `(UseLatestRestorableTime, RestoreTime)`.
fn time_fields(req: &RestoreRequest) -> (Option<bool>, Option<String>) {
    match &req.source {
        Source::PointInTime {
            time: RestoreTime::At(at),
            ..
        } => (None, Some(rfc3339(*at))),
        _ => (Some(true), None),
    }
}

fn plan_instance(
    req: &RestoreRequest,
    target: &str,
    resolved: &Resolved,
    source: &SourceFacts,
    recorded: Recorded,
    request_id: &str,
) -> Result<RestorePlan, Error> {
    let src = source.instance.as_ref();
    let (baseline, copied_tags) = match resolved {
        Resolved::Snapshot(snapshot) => (
            &snapshot.baseline,
            src.map_or(snapshot.tags.as_slice(), |s| s.tags.as_slice()),
        ),
        Resolved::PointInTime { baseline, .. } => {
            (baseline, src.map_or(&[][..], |s| s.tags.as_slice()))
        }
        Resolved::Resumed(_) => {
            return Err(Error::Internal {
                detail: "a resumed cluster restore for an instance target".to_owned(),
            });
        }
    };
    let settled = settings::instance(&req.overrides, baseline, src, &req.region)?;
    let own = tags::own_tags(req, &recorded, request_id);
    let settings = InstanceSettings {
        tags: tags::merge(copied_tags, req, own),
        ..settled.settings
    };
    let step = match resolved {
        Resolved::PointInTime { from, .. } => {
            let (latest, at) = time_fields(req);
            let (source_id, backups_arn) = match from {
                PitrFrom::ReplicatedBackups { arn } => (None, Some(arn.clone())),
                PitrFrom::Instance(id) | PitrFrom::Cluster(id) => (Some(id.clone()), None),
            };
            Step::InstanceToPointInTime(InstanceToPointInTime {
                target_db_instance_identifier: target.to_owned(),
                source_db_instance_identifier: source_id,
                source_db_instance_automated_backups_arn: backups_arn,
                restore_time: at,
                use_latest_restorable_time: latest,
                max_allocated_storage: src.and_then(|s| s.max_allocated_storage),
                settings,
            })
        }
        _ => Step::InstanceFromSnapshot(InstanceFromSnapshot {
            db_instance_identifier: target.to_owned(),
            db_snapshot_identifier: recorded.snapshot_id.clone().unwrap_or_default(),
            settings,
        }),
    };
    Ok(RestorePlan {
        steps: vec![step],
        notes: settled.notes,
        recorded,
    })
}

fn plan_cluster(
    req: &RestoreRequest,
    cluster_id: &str,
    writer_id: &str,
    resolved: &Resolved,
    source: &SourceFacts,
    recorded: Recorded,
    request_id: &str,
) -> Result<RestorePlan, Error> {
    let src = source.cluster.as_ref();
    let copied_tags = match resolved {
        Resolved::Snapshot(snapshot) => src.map_or(snapshot.tags.as_slice(), |s| s.tags.as_slice()),
        _ => src.map_or(&[][..], |s| s.tags.as_slice()),
    };
    let own = tags::own_tags(req, &recorded, request_id);
    let tags = tags::merge(copied_tags, req, own);
    let mut steps = Vec::new();
    let mut notes = Vec::new();
    let (engine, serverless, same_family) = match resolved {
        Resolved::Resumed(cluster) => (
            {
                let asked = req.overrides.serverless_v2_capacity.map(|c| (c.min, c.max));
                if let Some((min, max)) =
                    asked.filter(|range| cluster.serverless_v2 != Some(*range))
                {
                    notes.push(format!(
                        "cluster '{cluster_id}' exists already (an earlier attempt of this \
                         request): the event's capacity range {min}-{max} ACUs is not applied \
                         to it"
                    ));
                }
                cluster.engine.clone()
            },
            cluster.serverless_v2.is_some(),
            cluster::fits(
                src,
                &Baseline {
                    engine: cluster.engine.clone(),
                    engine_version: cluster.engine_version.clone(),
                    ..Baseline::default()
                },
            ),
        ),
        Resolved::Snapshot(snapshot) => {
            let settled = cluster::settings(&req.overrides, &snapshot.baseline, src, &req.region)?;
            let engine = snapshot
                .baseline
                .engine
                .clone()
                .ok_or_else(|| Error::Internal {
                    detail: format!(
                        "RDS reported no engine for cluster snapshot '{}'",
                        snapshot.id
                    ),
                })?;
            let serverless = settled
                .settings
                .serverless_v2_scaling_configuration
                .is_some();
            notes.extend(settled.notes);
            steps.push(Step::ClusterFromSnapshot(ClusterFromSnapshot {
                db_cluster_identifier: cluster_id.to_owned(),
                snapshot_identifier: snapshot.id.clone(),
                engine: engine.clone(),
                engine_version: settled.engine_version,
                settings: ClusterSettings {
                    tags: tags.clone(),
                    ..settled.settings
                },
            }));
            (
                Some(engine),
                serverless,
                cluster::fits(src, &snapshot.baseline),
            )
        }
        Resolved::PointInTime { from, baseline, .. } => {
            let PitrFrom::Cluster(source_cluster) = from else {
                return Err(Error::Internal {
                    detail: "an instance point in time for a cluster target".to_owned(),
                });
            };
            let settled = cluster::settings(&req.overrides, baseline, src, &req.region)?;
            let serverless = settled
                .settings
                .serverless_v2_scaling_configuration
                .is_some();
            notes.extend(settled.notes);
            let (latest, at) = time_fields(req);
            steps.push(Step::ClusterToPointInTime(ClusterToPointInTime {
                db_cluster_identifier: cluster_id.to_owned(),
                source_db_cluster_identifier: source_cluster.clone(),
                restore_to_time: at,
                use_latest_restorable_time: latest,
                settings: ClusterSettings {
                    tags: tags.clone(),
                    ..settled.settings
                },
            }));
            (baseline.engine.clone(), serverless, true)
        }
    };
    let engine = engine.ok_or_else(|| Error::Internal {
        detail: format!("no engine known for the writer of cluster '{cluster_id}'"),
    })?;
    let source_writer = source.instance.as_ref();
    let class = cluster::writer_class(&req.overrides, source_writer, serverless)?;
    let origin = match resolved {
        Resolved::Resumed(_) => ClusterOrigin::Existing(cluster_id),
        Resolved::Snapshot(_) | Resolved::PointInTime { .. } => ClusterOrigin::Planned,
    };
    cluster::capacity_guard(&class, serverless, origin)?;
    steps.push(Step::Writer(Writer {
        db_instance_identifier: writer_id.to_owned(),
        db_cluster_identifier: cluster_id.to_owned(),
        engine,
        db_instance_class: class,
        db_parameter_group_name: cluster::writer_parameter_group(
            &req.overrides,
            source_writer,
            same_family,
        ),
        // Never public unless the source writer was, or the event says so.
        publicly_accessible: req
            .overrides
            .publicly_accessible
            .or_else(|| source_writer.and_then(|w| w.publicly_accessible))
            .unwrap_or(false),
        tags,
    }));
    Ok(RestorePlan {
        steps,
        notes,
        recorded,
    })
}

/// The backup retention a promoted replica gets when neither it nor its
/// source says: RDS's own default (1 day) is short for a new primary.
pub const DEFAULT_PROMOTED_RETENTION_DAYS: i32 = 7;

/// Whether the primary region of a global database answered a short read,
/// before a switchover that needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrimaryProbe {
    /// It answered.
    Answered,
    /// It did not, within the bound: `detail` says how.
    Unreachable { region: String, detail: String },
    /// Not asked: a read replica, or a failover that does not need it.
    NotAsked,
}

/// A standby promotion as the result reports it: which instance (and
/// cluster) the database is now, and how far the promotion is.
#[derive(Debug, Clone, PartialEq)]
pub struct StandbyState {
    /// The promoted instance, or the cluster's writer (its first member
    /// while none is the writer yet).
    pub instance_id: String,
    /// The global secondary cluster, for an Aurora standby.
    pub cluster_id: Option<String>,
    pub status: status::RestoreStatus,
    pub db_instance_status: Option<String>,
    pub cluster_status: Option<String>,
    /// Where the application connects, once `status` is `available`.
    pub endpoint: Option<String>,
    pub port: Option<i32>,
    pub engine: Option<String>,
}

/// How far a standby request has got.
#[derive(Debug, Clone, PartialEq)]
pub enum StandbyProgress {
    /// An earlier attempt promoted it (its tag says so), or the global
    /// secondary is already the primary, or being made it: nothing to send.
    Done {
        state: StandbyState,
        recorded: Recorded,
    },
    /// It is still a standby: the promotion is to do.
    Standby(StandbyState),
}

/// Decides what a standby's facts mean for `req`, before the lag is read:
/// a replay, a standby to promote, or something that is not a standby.
pub fn standby_progress(
    req: &RestoreRequest,
    facts: &StandbyFacts,
) -> Result<StandbyProgress, Error> {
    let not_a_standby = |reason: String| Error::NotAStandby {
        standby: req.target.instance_id().to_owned(),
        region: req.region.clone(),
        reason,
    };
    match facts {
        StandbyFacts::Instance { instance, .. } => {
            let tag = |key: &str| instance.tag(key).map(str::to_owned);
            // The tag is written just before the promotion is asked for.
            let ours = tags::same_request(req, tag).is_ok();
            let promoted = instance.replica_source.is_none();
            let status = match (status::of_instance(&instance.status), promoted) {
                // RDS clears the replica's source when the promotion
                // completes: until then, an `available` replica is read-only.
                (status::RestoreStatus::Available, false) => status::RestoreStatus::Restoring,
                // Promoted with backups turned on, RDS takes a full backup at
                // once; the database takes writes meanwhile, and on a large
                // one the backup may outlast the workflow's wait.
                (_, true) if instance.status == "backing-up" => status::RestoreStatus::Available,
                (other, _) => other,
            };
            let state = StandbyState {
                instance_id: instance.id.clone(),
                cluster_id: None,
                status,
                db_instance_status: Some(instance.status.clone()),
                cluster_status: None,
                endpoint: instance.endpoint.clone(),
                port: instance.port,
                engine: instance.engine.clone(),
            };
            match (ours, promoted) {
                // Ours, and no longer a replica: promoted (or being).
                (true, true) => Ok(StandbyProgress::Done {
                    state,
                    recorded: tags::recorded(tag),
                }),
                // Ours and still a replica: the promotion is under way
                // (`modifying`, `rebooting`), or was refused after the tag
                // (`backing-up`): wait until RDS can promote it again.
                (true, false) if instance.status != "available" => Ok(StandbyProgress::Done {
                    state,
                    recorded: tags::recorded(tag),
                }),
                // Still an available replica: the promotion is to ask for
                // (again, when an earlier attempt died between the tag and
                // the call).
                (_, false) => Ok(StandbyProgress::Standby(state)),
                (false, true) => Err(not_a_standby(match instance.db_cluster.as_deref() {
                    Some(cluster) => format!(
                        "is an instance of Aurora cluster '{cluster}': name the cluster, the \
                         secondary of a global database"
                    ),
                    None => "is a standalone instance, not a read replica: it was promoted \
                             already (not by dr-lambdas: it carries no dr-lambdas:provenance \
                             tag of this standby), or never was a replica. If it is the database \
                             now, point the cutover at it yourself"
                        .to_owned(),
                })),
            }
        }
        StandbyFacts::Cluster { cluster, global } => {
            let Some(global) = global else {
                return Err(not_a_standby(
                    "is an Aurora cluster, but not a member of a global database".to_owned(),
                ));
            };
            let arn = cluster.arn.as_deref().ok_or_else(|| Error::Internal {
                detail: format!("RDS reported no ARN for cluster '{}'", cluster.id),
            })?;
            let writer = cluster
                .members
                .iter()
                .find(|(_, writer)| *writer)
                .or(cluster.members.first())
                .map(|(id, _)| id.clone());
            let Some(writer) = writer else {
                return Err(not_a_standby(format!(
                    "has no DB instance (a headless secondary): promoted, it would accept no \
                     connection. Add one first (aws rds create-db-instance --region {} \
                     --db-cluster-identifier {} --db-instance-identifier {}-1 --engine {} \
                     --db-instance-class <the primary writer's class>), wait for it to be \
                     available, then invoke again",
                    req.region,
                    cluster.id,
                    cluster.id,
                    cluster.engine.as_deref().unwrap_or("<engine>")
                )));
            };
            let primary = global.primary() == Some(arn);
            // A switchover RDS is cancelling is not coming: `plan_standby`
            // says so (StandbyNotReady) rather than asking for it again.
            // A switchover pending without its primary cannot finish: a
            // replay with allow_data_loss moves on to the failover.
            let lossy = matches!(
                req.source,
                Source::Standby {
                    allow_data_loss: true,
                    ..
                }
            );
            let coming = global.failover.as_ref().is_some_and(|f| {
                f.to.as_deref() == Some(arn)
                    && f.status != "cancelling"
                    && (f.data_loss_allowed || !lossy)
            });
            let usable = primary
                && global.failover.is_none()
                && status::of_cluster(&cluster.status, "available")
                    == status::RestoreStatus::Available;
            let state = StandbyState {
                instance_id: writer,
                cluster_id: Some(cluster.id.clone()),
                status: if usable {
                    status::RestoreStatus::Available
                } else {
                    status::RestoreStatus::Restoring
                },
                db_instance_status: None,
                cluster_status: Some(cluster.status.clone()),
                endpoint: cluster.endpoint.clone(),
                port: cluster.port,
                engine: cluster.engine.clone(),
            };
            if primary || coming {
                let tag = |key: &str| cluster.tag(key).map(str::to_owned);
                return Ok(StandbyProgress::Done {
                    state,
                    recorded: tags::recorded(tag),
                });
            }
            if !global.members.iter().any(|(member, _)| member == arn) {
                return Err(not_a_standby(format!(
                    "is not listed as a member of global database '{}'",
                    global.id
                )));
            }
            Ok(StandbyProgress::Standby(state))
        }
    }
}

/// The lag in words, for messages.
fn lag_words(lag: &Lag) -> String {
    match lag.seconds {
        Some(s) => format!("{s} s of data ({})", lag.note),
        None => format!("an unknown amount of data ({})", lag.note),
    }
}

/// Plans the promotion of a standby that `standby_progress` found to be
/// one: one call, then the tag that marks it ours.
pub fn plan_standby(
    req: &RestoreRequest,
    facts: &StandbyFacts,
    lag: &Lag,
    primary: &PrimaryProbe,
    request_id: &str,
    now: DateTime,
) -> Result<RestorePlan, Error> {
    let Source::Standby {
        standby,
        allow_data_loss,
        max_data_loss_seconds,
    } = &req.source
    else {
        return Err(Error::Internal {
            detail: "a standby plan for a restore request".to_owned(),
        });
    };
    let not_ready = |detail: String| Error::StandbyNotReady {
        standby: standby.clone(),
        region: req.region.clone(),
        detail,
    };
    let mut notes = Vec::new();
    // What the promotion loses: the lag, except for a lossless switchover.
    let (call, loses, resource, arn) = match facts {
        StandbyFacts::Instance {
            instance,
            source_retention,
        } => {
            if status::of_instance(&instance.status) != status::RestoreStatus::Available {
                return Err(not_ready(format!(
                    "it is {} (RDS promotes an available replica only)",
                    instance.status
                )));
            }
            let own = instance.backup_retention_period.filter(|d| *d > 0);
            let from_source = source_retention.filter(|d| *d > 0);
            let retention = own
                .or(from_source)
                .unwrap_or(DEFAULT_PROMOTED_RETENTION_DAYS);
            notes.push(match (own, from_source) {
                (Some(d), _) => format!("backups kept {d} days: the replica's own retention"),
                (None, Some(d)) => format!("backups kept {d} days: its source's retention"),
                (None, None) => format!(
                    "backups kept {retention} days: neither the replica nor its source (unreadable, \
                     or without backups) gives a retention"
                ),
            });
            (
                Step::Promote(Promote {
                    db_instance_identifier: instance.id.clone(),
                    backup_retention_period: retention,
                }),
                lag.seconds,
                "instance",
                instance.arn.clone(),
            )
        }
        StandbyFacts::Cluster { cluster, global } => {
            let Some(global) = global else {
                return Err(Error::Internal {
                    detail: "a global plan for a cluster outside a global database".to_owned(),
                });
            };
            let switchover_to_it = global.failover.as_ref().is_some_and(|f| {
                !f.data_loss_allowed
                    && f.status != "cancelling"
                    && f.to.as_deref() == cluster.arn.as_deref()
            });
            if *allow_data_loss && switchover_to_it {
                notes.push(
                    "a switchover to it was pending, which cannot finish without the primary: \
                     failing over instead"
                        .to_owned(),
                );
            } else if let Some(other) = &global.failover {
                return Err(not_ready(format!(
                    "global database '{}' is already {} to {}",
                    global.id,
                    other.status,
                    other.to.as_deref().unwrap_or("another cluster")
                )));
            }
            // A failover is for a primary region that is down, whatever the
            // global database's own status says then: RDS decides.
            let mut must_be_available = vec![("cluster", &cluster.status)];
            if !*allow_data_loss {
                must_be_available.push(("global database", &global.status));
            }
            for (what, status) in must_be_available {
                if status != "available" {
                    return Err(not_ready(format!("the {what} is {status}")));
                }
            }
            let target = GlobalTarget {
                global_cluster_identifier: global.id.clone(),
                target_db_cluster_identifier: cluster.arn.clone().unwrap_or_default(),
            };
            let (call, loses) = if *allow_data_loss {
                notes.push(
                    "allow_data_loss: a failover now, losing what the secondary had not \
                     replicated (the lag)"
                        .to_owned(),
                );
                (
                    Step::Failover(GlobalFailover {
                        target,
                        allow_data_loss: true,
                    }),
                    lag.seconds,
                )
            } else {
                match primary {
                    PrimaryProbe::Unreachable { region, detail } => {
                        return Err(Error::PrimaryRegionUnreachable {
                            global: global.id.clone(),
                            region: region.clone(),
                            detail: detail.clone(),
                            lag: lag_words(lag),
                        });
                    }
                    PrimaryProbe::Answered | PrimaryProbe::NotAsked => {
                        notes.push(
                            "a switchover: Aurora waits for the secondary to catch up, so no \
                             data is lost; the lag only delays it"
                                .to_owned(),
                        );
                        (Step::Switchover(target), Some(0))
                    }
                }
            };
            (call, loses, "cluster", cluster.arn.clone())
        }
    };
    notes.push(format!("lag: {}", lag.note));
    if let Some(limit) = max_data_loss_seconds {
        match loses {
            Some(s) if s <= i64::try_from(*limit).unwrap_or(i64::MAX) => {}
            _ => {
                return Err(Error::DataLossAboveLimit {
                    standby: standby.clone(),
                    lag: lag_words(lag),
                    limit: *limit,
                });
            }
        }
    }
    let recorded = Recorded {
        snapshot_id: None,
        recovery_point: loses.map(|s| DateTime::from_secs(now.secs() - s)),
        requested_at: Some(now),
    };
    let arn = arn.ok_or_else(|| Error::Internal {
        detail: format!("RDS reported no ARN for {resource} '{standby}'"),
    })?;
    let tag = Step::TagStandby(TagStandby {
        resource_name: arn,
        tags: tags::own_tags(req, &recorded, request_id),
    });
    // The tag first: should the invocation die right after RDS accepts the
    // call, a replay still knows the promotion as ours.
    Ok(RestorePlan {
        steps: vec![tag, call],
        notes,
        recorded,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::restore::request::{Overrides, Target};
    use crate::restore::tags::{
        TAG_PROVENANCE, TAG_RECOVERY_POINT, TAG_REQUEST_ID, TAG_RESTORED_FROM,
    };

    fn named(snapshot: &str, source: Option<&str>) -> RestoreRequest {
        request(Source::Named {
            snapshot: snapshot.into(),
            source: source.map(str::to_owned),
        })
    }

    fn latest(source: &str) -> RestoreRequest {
        request(Source::Latest {
            source: source.into(),
        })
    }

    fn request(source: Source) -> RestoreRequest {
        RestoreRequest {
            target: Target::Instance("orders-dr".into()),
            source,
            region: "us-east-1".into(),
            source_region: None,
            overrides: Overrides::default(),
            dry_run: false,
            trigger: crate::trigger::Trigger::Direct,
            drill: None,
        }
    }

    /// 2026-11-22T00:00:00Z: when the tests' requests arrive.
    const NOW: i64 = 1_795_305_600;

    fn facts(instance: Option<&InstanceFacts>) -> SourceFacts {
        SourceFacts {
            instance: instance.cloned(),
            cluster: None,
        }
    }

    /// What an existing instance means for `req`: its replay, or a refusal.
    fn check_existing(
        req: &RestoreRequest,
        existing: &InstanceFacts,
        _region: &str,
    ) -> Result<Replay, Error> {
        let existing = Existing {
            instance: Some(existing.clone()),
            cluster: None,
        };
        match progress(
            req,
            &existing,
            ReplayWindow::before(DateTime::from_secs(NOW), 24),
        )? {
            Progress::Done(replay) => Ok(replay),
            other => panic!("an existing instance gave {other:?}"),
        }
    }

    /// The one step of an instance restore from a snapshot.
    fn only_step(steps: Vec<Step>) -> InstanceFromSnapshot {
        match <[Step; 1]>::try_from(steps) {
            Ok([Step::InstanceFromSnapshot(step)]) => step,
            other => panic!("expected one snapshot restore, got {other:?}"),
        }
    }

    fn plan_of(
        req: &RestoreRequest,
        snap: &SnapshotFacts,
        source: Option<&InstanceFacts>,
        request_id: &str,
    ) -> InstanceFromSnapshot {
        let resolved = Resolved::Snapshot(snap.clone());
        only_step(
            plan_restore(
                req,
                &resolved,
                &facts(source),
                request_id,
                DateTime::from_secs(NOW),
            )
            .unwrap()
            .steps,
        )
    }

    fn snapshot(id: &str, status: &str, created: i64) -> SnapshotFacts {
        SnapshotFacts {
            id: id.into(),
            source_db: Some("orders".into()),
            status: status.into(),
            created: Some(DateTime::from_secs(created)),
            baseline: Baseline {
                engine: Some("postgres".into()),
                engine_version: Some("15.4".into()),
                allocated_storage: Some(500),
                storage_type: Some("gp2".into()),
                ..Baseline::default()
            },
            ..SnapshotFacts::default()
        }
    }

    fn source() -> InstanceFacts {
        InstanceFacts {
            id: "orders".into(),
            status: "available".into(),
            class: Some("db.r6g.large".into()),
            subnet_group: Some("orders-subnets".into()),
            security_groups: vec!["sg-0aaaaaaaaaaaaaaa1".into()],
            parameter_group: Some("orders-pg15".into()),
            option_group: Some("orders-og".into()),
            multi_az: Some(true),
            storage_type: Some("gp3".into()),
            iops: Some(12000),
            storage_throughput: Some(500),
            deletion_protection: Some(true),
            publicly_accessible: Some(false),
            engine: Some("postgres".into()),
            engine_version: Some("15.4".into()),
            tags: vec![
                ("team".into(), "orders".into()),
                ("aws:cloudformation:stack-name".into(), "prod".into()),
                (TAG_RESTORED_FROM.into(), "snapshot:older-snapshot".into()),
            ],
            ..InstanceFacts::default()
        }
    }

    fn tag_map(plan: &InstanceFromSnapshot) -> BTreeMap<&str, &str> {
        plan.settings
            .tags
            .iter()
            .map(|t| (t.key.as_str(), t.value.as_str()))
            .collect()
    }

    #[test]
    fn a_restore_copies_every_setting_of_the_source() {
        let req = named("snap-1", None);
        let plan = plan_of(
            &req,
            &snapshot("snap-1", "available", 1),
            Some(&source()),
            "req-1",
        );
        assert_eq!(plan.db_instance_identifier, "orders-dr");
        assert_eq!(plan.db_snapshot_identifier, "snap-1");
        assert_eq!(
            plan.settings.db_instance_class.as_deref(),
            Some("db.r6g.large")
        );
        assert_eq!(
            plan.settings.db_subnet_group_name.as_deref(),
            Some("orders-subnets")
        );
        assert_eq!(
            plan.settings.vpc_security_group_ids,
            ["sg-0aaaaaaaaaaaaaaa1"]
        );
        assert_eq!(
            plan.settings.db_parameter_group_name.as_deref(),
            Some("orders-pg15")
        );
        assert_eq!(
            plan.settings.option_group_name.as_deref(),
            Some("orders-og")
        );
        assert_eq!(plan.settings.multi_az, Some(true));
        assert_eq!(plan.settings.storage_type.as_deref(), Some("gp3"));
        assert_eq!(plan.settings.iops, Some(12000));
        assert_eq!(plan.settings.storage_throughput, Some(500));
        assert_eq!(plan.settings.deletion_protection, Some(true));
        assert_eq!(plan.settings.publicly_accessible, Some(false));
    }

    #[test]
    fn default_groups_of_the_source_are_left_to_rds() {
        let mut src = source();
        src.parameter_group = Some("default.postgres15".into());
        src.option_group = Some("default:postgres-15".into());
        let req = named("snap-1", None);
        let plan = plan_of(&req, &snapshot("snap-1", "available", 1), Some(&src), "r");
        assert_eq!(plan.settings.db_parameter_group_name, None);
        assert_eq!(plan.settings.option_group_name, None);
    }

    #[test]
    fn event_overrides_win_over_the_source() {
        let mut req = named("snap-1", None);
        req.overrides = Overrides {
            db_instance_class: Some("db.t4g.medium".into()),
            db_subnet_group: Some("dr-subnets".into()),
            vpc_security_group_ids: Some(vec!["sg-0bbbbbbbbbbbbbbb2".into()]),
            db_parameter_group: Some("dr-pg".into()),
            option_group: Some("dr-og".into()),
            multi_az: Some(false),
            publicly_accessible: None,
            serverless_v2_capacity: None,
            db_cluster_parameter_group: None,
            tags: BTreeMap::from([("team".into(), "dr".into())]),
        };
        let plan = plan_of(
            &req,
            &snapshot("snap-1", "available", 1),
            Some(&source()),
            "req-1",
        );
        assert_eq!(
            plan.settings.db_instance_class.as_deref(),
            Some("db.t4g.medium")
        );
        assert_eq!(
            plan.settings.db_subnet_group_name.as_deref(),
            Some("dr-subnets")
        );
        assert_eq!(
            plan.settings.vpc_security_group_ids,
            ["sg-0bbbbbbbbbbbbbbb2"]
        );
        assert_eq!(
            plan.settings.db_parameter_group_name.as_deref(),
            Some("dr-pg")
        );
        assert_eq!(plan.settings.option_group_name.as_deref(), Some("dr-og"));
        assert_eq!(plan.settings.multi_az, Some(false));
        assert_eq!(tag_map(&plan)["team"], "dr");
    }

    #[test]
    fn without_a_source_only_the_snapshot_the_events_network_and_tags_are_sent() {
        let mut req = named("snap-1", None);
        req.overrides.db_subnet_group = Some("dr-subnets".into());
        let plan = plan_of(&req, &snapshot("snap-1", "available", 1), None, "req-1");
        let json = serde_json::to_value(&plan).unwrap();
        let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "DBInstanceIdentifier",
                "DBSnapshotIdentifier",
                "DBSubnetGroupName",
                "PubliclyAccessible",
                "Tags"
            ]
        );
        assert_eq!(json["PubliclyAccessible"], false);
    }

    #[test]
    fn without_a_source_the_snapshots_own_tags_are_copied() {
        let mut req = named("snap-1", None);
        req.overrides.db_subnet_group = Some("dr-subnets".into());
        let mut snap = snapshot("snap-1", "available", 1);
        snap.tags = vec![
            ("team".into(), "orders".into()),
            ("cost-center".into(), "42".into()),
        ];
        let plan = plan_of(&req, &snap, None, "req-1");
        let tags = tag_map(&plan);
        assert_eq!(tags["team"], "orders");
        assert_eq!(tags["cost-center"], "42");
        assert_eq!(tags[TAG_PROVENANCE], "snapshot:snap-1");
    }

    #[test]
    fn the_plan_tags_the_instance_for_idempotent_replays() {
        let req = latest("orders");
        let plan = plan_of(
            &req,
            &snapshot("snap-2", "available", 2),
            Some(&source()),
            "req-9",
        );
        let tags = tag_map(&plan);
        assert_eq!(tags[TAG_RESTORED_FROM], "snapshot:snap-2");
        assert_eq!(tags[TAG_PROVENANCE], "latest:orders");
        assert_eq!(tags[TAG_REQUEST_ID], "req-9");
    }

    #[test]
    fn copied_tags_skip_the_aws_space() {
        let req = named("snap-1", None);
        let plan = plan_of(
            &req,
            &snapshot("snap-1", "available", 1),
            Some(&source()),
            "r",
        );
        let tags = tag_map(&plan);
        assert_eq!(tags["team"], "orders");
        assert!(!tags.contains_key("aws:cloudformation:stack-name"));
        assert_eq!(tags[TAG_RESTORED_FROM], "snapshot:snap-1");
    }

    #[test]
    fn the_tag_list_never_exceeds_the_rds_limit() {
        let mut src = source();
        src.tags = (0..60).map(|i| (format!("k{i}"), "v".to_owned())).collect();
        let req = named("snap-1", None);
        let plan = plan_of(&req, &snapshot("snap-1", "available", 1), Some(&src), "r");
        assert_eq!(plan.settings.tags.len(), 50);
        assert_eq!(tag_map(&plan)[TAG_RESTORED_FROM], "snapshot:snap-1");
    }

    #[test]
    fn the_events_tags_survive_a_source_with_too_many_tags() {
        let mut src = source();
        src.tags = (0..60).map(|i| (format!("k{i}"), "v".to_owned())).collect();
        let mut req = named("snap-1", None);
        req.overrides.tags = BTreeMap::from([("incident".into(), "INC-42".into())]);
        let plan = plan_of(&req, &snapshot("snap-1", "available", 1), Some(&src), "r");
        assert_eq!(plan.settings.tags.len(), 50);
        assert_eq!(tag_map(&plan)["incident"], "INC-42");
    }

    #[test]
    fn latest_picks_the_newest_available_snapshot() {
        let snaps = [
            snapshot("old", "available", 10),
            snapshot("newest-but-creating", "creating", 30),
            snapshot("new", "available", 20),
        ];
        assert_eq!(
            pick_latest(&latest("orders"), &snaps, "orders", true)
                .unwrap()
                .id,
            "new"
        );
    }

    #[test]
    fn latest_with_only_unready_snapshots_is_no_snapshot_available() {
        let snaps = [snapshot("s1", "creating", 30)];
        match pick_latest(&latest("orders"), &snaps, "orders", true) {
            Err(Error::NoSnapshotAvailable { detail, .. }) => assert_eq!(detail, "s1: creating"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn latest_of_an_unknown_source_is_source_db_not_found() {
        let err = pick_latest(&latest("orders"), &[], "ordrs", false).unwrap_err();
        assert_eq!(err.name(), "SourceInstanceNotFound");
    }

    #[test]
    fn latest_of_a_source_without_snapshots_is_no_snapshot_available() {
        let err = pick_latest(&latest("orders"), &[], "orders", true).unwrap_err();
        assert_eq!(err.name(), "NoSnapshotAvailable");
    }

    #[test]
    fn a_named_snapshot_still_being_created_cannot_be_restored() {
        let req = named("s1", None);
        let err = check_named(&req, &snapshot("s1", "creating", 1), "us-east-1").unwrap_err();
        assert_eq!(err.name(), "NoSnapshotAvailable");
    }

    #[test]
    fn a_named_snapshot_of_another_source_is_an_invalid_request() {
        let req = named("s1", Some("billing"));
        let err = check_named(&req, &snapshot("s1", "available", 1), "us-east-1").unwrap_err();
        assert_eq!(err.name(), "InvalidRequest");
        assert!(
            err.to_string().contains("is of 'orders', not 'billing'"),
            "{err}"
        );
    }

    fn restored(tags: &[(&str, &str)], status: &str) -> InstanceFacts {
        InstanceFacts {
            id: "orders-dr".into(),
            status: status.into(),
            tags: tags
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
            ..InstanceFacts::default()
        }
    }

    #[test]
    fn an_instance_restored_from_the_same_snapshot_is_a_replay() {
        let req = named("snap-1", None);
        let existing = restored(
            &[
                (TAG_PROVENANCE, "snapshot:snap-1"),
                (TAG_RESTORED_FROM, "snapshot:snap-1"),
            ],
            "creating",
        );
        let replay = check_existing(&req, &existing, "us-east-1").unwrap();
        assert_eq!(
            replay,
            Replay {
                recorded: Recorded {
                    snapshot_id: Some("snap-1".into()),
                    recovery_point: None,
                    requested_at: None
                },
                db_instance_status: "creating".into(),
                cluster_status: None,
                endpoint: None,
                port: None,
                engine: None,
            }
        );
    }

    #[test]
    fn a_replay_is_recognised_only_within_the_window() {
        let req = latest("orders");
        let existing = |requested_at: &str, created: Option<i64>| Existing {
            instance: Some(InstanceFacts {
                created: created.map(DateTime::from_secs),
                ..restored(
                    &[
                        (TAG_PROVENANCE, "latest:orders"),
                        (crate::restore::tags::TAG_REQUESTED_AT, requested_at),
                    ],
                    "available",
                )
            }),
            cluster: None,
        };
        let window = ReplayWindow::before(DateTime::from_secs(NOW), 24);
        // An hour before the request: the same recovery, replayed.
        assert!(matches!(
            progress(&req, &existing("2026-11-21T23:00:00Z", None), window),
            Ok(Progress::Done(_))
        ));
        // A month before: last month's data under today's name.
        match progress(&req, &existing("2026-10-21T23:00:00Z", None), window) {
            Err(Error::InstanceAlreadyExists { reason, .. }) => assert_eq!(
                reason,
                "was restored from the same source on 2026-10-21T23:00:00Z, more than \
                 REPLAY_WINDOW_HOURS (24) hours ago: its data is from then, not now. Delete it, \
                 or restore under another name"
            ),
            other => panic!("{other:?}"),
        }
        // No tag (an earlier version's): the creation time dates it.
        let untagged = Existing {
            instance: Some(InstanceFacts {
                created: Some(DateTime::from_secs(NOW - 3 * 86_400)),
                ..restored(&[(TAG_PROVENANCE, "latest:orders")], "available")
            }),
            cluster: None,
        };
        assert!(matches!(
            progress(&req, &untagged, window),
            Err(Error::InstanceAlreadyExists { .. })
        ));
    }

    #[test]
    fn an_instance_restored_from_the_same_sources_latest_is_a_replay() {
        let req = latest("orders");
        let existing = restored(
            &[
                (TAG_RESTORED_FROM, "snapshot:snap-7"),
                (TAG_PROVENANCE, "latest:orders"),
            ],
            "available",
        );
        assert_eq!(
            check_existing(&req, &existing, "us-east-1")
                .unwrap()
                .recorded
                .snapshot_id
                .as_deref(),
            Some("snap-7")
        );
    }

    #[test]
    fn an_instance_restored_from_another_snapshot_is_left_alone() {
        let req = named("snap-2", None);
        let existing = restored(
            &[
                (TAG_PROVENANCE, "snapshot:snap-1"),
                (TAG_RESTORED_FROM, "snapshot:snap-1"),
            ],
            "available",
        );
        match check_existing(&req, &existing, "us-east-1") {
            Err(Error::InstanceAlreadyExists { reason, .. }) => {
                assert_eq!(
                    reason,
                    "was restored from snapshot 'snap-1', not from 'snap-2'"
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_instance_not_restored_by_us_is_left_alone() {
        let req = named("snap-1", None);
        let err = check_existing(&req, &restored(&[], "available"), "us-east-1").unwrap_err();
        assert_eq!(err.name(), "InstanceAlreadyExists");
        assert!(err.to_string().contains("was not restored by dr-lambdas"));
    }

    fn pitr(time: RestoreTime) -> RestoreRequest {
        request(Source::PointInTime {
            source: "orders".into(),
            time,
        })
    }

    /// A window from 2026-11-15 to 2026-11-21T23:55:00Z.
    fn window() -> Window {
        Window {
            earliest: Some(DateTime::from_secs(1_795_219_200 - 6 * 86_400)),
            latest: Some(DateTime::from_secs(NOW - 300)),
        }
    }

    fn at_point_in_time(from: PitrFrom) -> Resolved {
        Resolved::PointInTime {
            from,
            window: window(),
            baseline: source().baseline(),
            backups_off: false,
        }
    }

    fn pitr_step(plan: RestorePlan) -> InstanceToPointInTime {
        match <[Step; 1]>::try_from(plan.steps) {
            Ok([Step::InstanceToPointInTime(step)]) => step,
            other => panic!("expected one point-in-time restore, got {other:?}"),
        }
    }

    #[test]
    fn latest_in_the_same_region_restores_the_source_to_its_latest_restorable_time() {
        let resolved = at_point_in_time(PitrFrom::Instance("orders".into()));
        let plan = plan_restore(
            &pitr(RestoreTime::Latest),
            &resolved,
            &facts(Some(&source())),
            "r",
            DateTime::from_secs(NOW),
        )
        .unwrap();
        assert_eq!(
            plan.recorded.recovery_point,
            Some(DateTime::from_secs(NOW - 300))
        );
        let step = pitr_step(plan);
        assert_eq!(step.target_db_instance_identifier, "orders-dr");
        assert_eq!(
            step.source_db_instance_identifier.as_deref(),
            Some("orders")
        );
        assert_eq!(step.source_db_instance_automated_backups_arn, None);
        assert_eq!(step.use_latest_restorable_time, Some(true));
        assert_eq!(step.restore_time, None);
        assert_eq!(
            step.settings.db_instance_class.as_deref(),
            Some("db.r6g.large")
        );
    }

    #[test]
    fn a_time_in_the_window_is_sent_as_restore_time() {
        let at = DateTime::from_secs(NOW - 3_600);
        let resolved = at_point_in_time(PitrFrom::Instance("orders".into()));
        let plan = plan_restore(
            &pitr(RestoreTime::At(at)),
            &resolved,
            &facts(Some(&source())),
            "r",
            DateTime::from_secs(NOW),
        )
        .unwrap();
        assert_eq!(plan.recorded.recovery_point, Some(at));
        let step = pitr_step(plan);
        assert_eq!(step.restore_time.as_deref(), Some("2026-11-21T23:00:00Z"));
        assert_eq!(step.use_latest_restorable_time, None);
        let tags: BTreeMap<&str, &str> = step
            .settings
            .tags
            .iter()
            .map(|t| (t.key.as_str(), t.value.as_str()))
            .collect();
        assert_eq!(tags[TAG_PROVENANCE], "pitr:orders@2026-11-21T23:00:00Z");
        assert_eq!(tags[TAG_RECOVERY_POINT], "2026-11-21T23:00:00Z");
    }

    #[test]
    fn a_recovery_region_restores_from_the_replicated_backups_by_arn() {
        let arn = "arn:aws:rds:us-west-2:123456789012:auto-backup:ab-orders";
        let resolved = at_point_in_time(PitrFrom::ReplicatedBackups { arn: arn.into() });
        let mut req = pitr(RestoreTime::Latest);
        req.overrides.db_subnet_group = Some("dr-subnets".into());
        let step = pitr_step(
            plan_restore(&req, &resolved, &facts(None), "r", DateTime::from_secs(NOW)).unwrap(),
        );
        assert_eq!(step.source_db_instance_identifier, None);
        assert_eq!(
            step.source_db_instance_automated_backups_arn.as_deref(),
            Some(arn)
        );
        assert_eq!(step.settings.publicly_accessible, Some(false));
    }

    #[test]
    fn a_time_before_the_window_is_restore_time_out_of_range_giving_the_window() {
        let err = restore_point(
            "orders",
            RestoreTime::At(DateTime::from_secs(1_790_000_000)),
            window(),
            false,
        )
        .unwrap_err();
        assert_eq!(err.name(), "RestoreTimeOutOfRange");
        assert_eq!(
            err.to_string(),
            "restore_time 2026-09-21T14:13:20Z is outside the restorable window of 'orders' \
             (2026-11-15T00:00:00Z to 2026-11-21T23:55:00Z); nothing was changed. Choose a time \
             within it, or \"latest\"."
        );
    }

    #[test]
    fn a_time_after_the_latest_restorable_time_is_out_of_range() {
        let err = restore_point(
            "orders",
            RestoreTime::At(DateTime::from_secs(NOW - 60)),
            window(),
            false,
        )
        .unwrap_err();
        assert_eq!(err.name(), "RestoreTimeOutOfRange");
    }

    #[test]
    fn a_source_without_automated_backups_has_no_window() {
        let err = restore_point("orders", RestoreTime::Latest, window(), true).unwrap_err();
        assert_eq!(err.name(), "RestoreTimeOutOfRange");
        assert!(err.to_string().contains("backup retention 0"), "{err}");
    }

    #[test]
    fn without_the_source_or_replicated_backups_here_it_says_how_to_replicate() {
        let err = resolve_point_in_time("orders", "us-west-2", None, &[]).unwrap_err();
        assert_eq!(err.name(), "SourceInstanceNotFound");
        assert!(
            err.to_string().contains(
                "aws rds start-db-instance-automated-backups-replication --region us-west-2"
            ),
            "{err}"
        );
    }

    #[test]
    fn the_replicated_backup_of_this_region_is_chosen_not_the_sources_own() {
        let backup = |arn: &str, status: &str| BackupFacts {
            arn: arn.into(),
            instance_id: "orders".into(),
            status: status.into(),
            window: window(),
            baseline: Baseline::default(),
        };
        let backups = [
            backup(
                "arn:aws:rds:us-east-1:123456789012:auto-backup:ab-own",
                "active",
            ),
            backup(
                "arn:aws:rds:us-west-2:123456789012:auto-backup:ab-copy",
                "replicating",
            ),
        ];
        match resolve_point_in_time("orders", "us-west-2", None, &backups).unwrap() {
            Resolved::PointInTime { from, .. } => assert_eq!(
                from,
                PitrFrom::ReplicatedBackups {
                    arn: "arn:aws:rds:us-west-2:123456789012:auto-backup:ab-copy".into()
                }
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_snapshot_restore_reports_the_snapshots_time_as_its_recovery_point() {
        let snap = snapshot("snap-1", "available", NOW - 86_400);
        let plan = plan_restore(
            &named("snap-1", None),
            &Resolved::Snapshot(snap),
            &facts(Some(&source())),
            "r",
            DateTime::from_secs(NOW),
        )
        .unwrap();
        assert_eq!(
            plan.recorded,
            Recorded {
                snapshot_id: Some("snap-1".into()),
                recovery_point: Some(DateTime::from_secs(NOW - 86_400)),
                requested_at: Some(DateTime::from_secs(NOW)),
            }
        );
    }
}

#[cfg(test)]
mod standby_tests {
    use super::*;
    use crate::restore::facts::{GlobalFacts, GlobalFailoverFacts, Tag};
    use crate::restore::request::Overrides;

    /// 2026-11-22T00:00:00Z.
    const NOW: i64 = 1_795_305_600;
    const SECONDARY: &str = "arn:aws:rds:us-west-2:123456789012:cluster:orders-west";
    const PRIMARY: &str = "arn:aws:rds:us-east-1:123456789012:cluster:orders";

    fn req(allow_data_loss: bool, max: Option<u64>) -> RestoreRequest {
        RestoreRequest {
            target: Target::Standby("orders-replica".into()),
            source: Source::Standby {
                standby: "orders-replica".into(),
                allow_data_loss,
                max_data_loss_seconds: max,
            },
            region: "us-west-2".into(),
            source_region: None,
            overrides: Overrides::default(),
            dry_run: false,
            trigger: crate::trigger::Trigger::Direct,
            drill: None,
        }
    }

    fn replica(retention: Option<i32>, source_retention: Option<i32>) -> StandbyFacts {
        StandbyFacts::Instance {
            instance: InstanceFacts {
                id: "orders-replica".into(),
                status: "available".into(),
                arn: Some("arn:aws:rds:us-west-2:123456789012:db:orders-replica".into()),
                replica_source: Some("arn:aws:rds:us-east-1:123456789012:db:orders".into()),
                backup_retention_period: retention,
                ..InstanceFacts::default()
            },
            source_retention,
        }
    }

    fn lag(seconds: Option<i64>) -> Lag {
        Lag {
            metric: "ReplicaLag",
            seconds,
            measured_at: None,
            note: "test".into(),
        }
    }

    fn secondary(members: &[(&str, bool)], failover: Option<GlobalFailoverFacts>) -> StandbyFacts {
        StandbyFacts::Cluster {
            cluster: ClusterFacts {
                id: "orders-replica".into(),
                status: "available".into(),
                arn: Some(SECONDARY.into()),
                engine: Some("aurora-postgresql".into()),
                members: vec![("orders-west-1".into(), false)],
                endpoint: Some("orders-west.cluster-x.us-west-2.rds.amazonaws.com".into()),
                port: Some(5432),
                ..ClusterFacts::default()
            },
            global: Some(GlobalFacts {
                id: "orders-global".into(),
                status: "available".into(),
                members: members.iter().map(|(a, w)| ((*a).to_owned(), *w)).collect(),
                failover,
            }),
        }
    }

    fn plan(
        req: &RestoreRequest,
        facts: &StandbyFacts,
        lag: &Lag,
        probe: &PrimaryProbe,
    ) -> Result<RestorePlan, Error> {
        plan_standby(req, facts, lag, probe, "req-1", DateTime::from_secs(NOW))
    }

    #[test]
    fn a_replica_is_promoted_keeping_its_sources_retention_and_then_tagged_ours() {
        let planned = plan(
            &req(false, None),
            &replica(Some(0), Some(14)),
            &lag(Some(3)),
            &PrimaryProbe::NotAsked,
        )
        .unwrap();
        assert_eq!(
            planned.steps[1],
            Step::Promote(Promote {
                db_instance_identifier: "orders-replica".into(),
                backup_retention_period: 14
            })
        );
        let Step::TagStandby(tag) = &planned.steps[0] else {
            panic!("{:?}", planned.steps)
        };
        assert_eq!(
            tag.resource_name,
            "arn:aws:rds:us-west-2:123456789012:db:orders-replica"
        );
        assert!(
            tag.tags
                .contains(&Tag::new("dr-lambdas:provenance", "standby:orders-replica"))
        );
        assert_eq!(
            planned.recorded.recovery_point,
            Some(DateTime::from_secs(NOW - 3))
        );
    }

    #[test]
    fn a_replica_with_no_retention_anywhere_keeps_backups_seven_days_never_zero() {
        let planned = plan(
            &req(false, None),
            &replica(Some(0), None),
            &lag(Some(3)),
            &PrimaryProbe::NotAsked,
        )
        .unwrap();
        let Step::Promote(promote) = &planned.steps[1] else {
            panic!()
        };
        assert_eq!(promote.backup_retention_period, 7);
    }

    #[test]
    fn a_replica_being_backed_up_is_not_ready_which_is_retryable() {
        let StandbyFacts::Instance { mut instance, .. } = replica(None, None) else {
            panic!()
        };
        instance.status = "backing-up".into();
        let facts = StandbyFacts::Instance {
            instance,
            source_retention: None,
        };
        let err = plan(
            &req(false, None),
            &facts,
            &lag(Some(3)),
            &PrimaryProbe::NotAsked,
        )
        .unwrap_err();
        assert_eq!(err.name(), "StandbyNotReady");
        assert!(err.is_retryable());
    }

    #[test]
    fn a_lag_above_the_limit_is_refused_and_so_is_an_unknown_one() {
        for lagging in [Some(120), None] {
            let err = plan(
                &req(false, Some(60)),
                &replica(None, None),
                &lag(lagging),
                &PrimaryProbe::NotAsked,
            )
            .unwrap_err();
            assert_eq!(err.name(), "DataLossAboveLimit", "{lagging:?}");
        }
        let within = plan(
            &req(false, Some(60)),
            &replica(None, None),
            &lag(Some(60)),
            &PrimaryProbe::NotAsked,
        );
        assert_eq!(within.map(|p| p.steps.len()).ok(), Some(2));
    }

    #[test]
    fn a_replica_we_promoted_is_a_replay_restoring_while_rds_still_names_its_source() {
        let StandbyFacts::Instance { mut instance, .. } = replica(None, None) else {
            panic!()
        };
        instance.status = "modifying".into();
        instance.tags = vec![(
            "dr-lambdas:provenance".into(),
            "standby:orders-replica".into(),
        )];
        let facts = StandbyFacts::Instance {
            instance: instance.clone(),
            source_retention: None,
        };
        let Ok(StandbyProgress::Done { state, .. }) = standby_progress(&req(false, None), &facts)
        else {
            panic!()
        };
        assert_eq!(state.status, status::RestoreStatus::Restoring);
        instance.replica_source = None;
        instance.status = "available".into();
        let facts = StandbyFacts::Instance {
            instance,
            source_retention: None,
        };
        let Ok(StandbyProgress::Done { state, .. }) = standby_progress(&req(false, None), &facts)
        else {
            panic!()
        };
        assert_eq!(state.status, status::RestoreStatus::Available);
    }

    #[test]
    fn a_standalone_instance_not_promoted_by_us_is_not_a_standby() {
        let StandbyFacts::Instance { mut instance, .. } = replica(None, None) else {
            panic!()
        };
        instance.replica_source = None;
        let facts = StandbyFacts::Instance {
            instance,
            source_retention: None,
        };
        let err = standby_progress(&req(false, None), &facts).unwrap_err();
        assert_eq!(err.name(), "NotAStandby");
        assert!(
            err.to_string()
                .contains("is a standalone instance, not a read replica"),
            "{err}"
        );
    }

    #[test]
    fn a_global_secondary_switches_over_losing_nothing_when_the_primary_answers() {
        let facts = secondary(&[(PRIMARY, true), (SECONDARY, false)], None);
        let planned = plan(
            &req(false, None),
            &facts,
            &lag(Some(2)),
            &PrimaryProbe::Answered,
        )
        .unwrap();
        assert_eq!(
            planned.steps[1],
            Step::Switchover(GlobalTarget {
                global_cluster_identifier: "orders-global".into(),
                target_db_cluster_identifier: SECONDARY.into()
            })
        );
        assert_eq!(
            planned.recorded.recovery_point,
            Some(DateTime::from_secs(NOW))
        );
    }

    #[test]
    fn an_unreachable_primary_refuses_the_switchover_naming_the_lag_and_allow_data_loss() {
        let facts = secondary(&[(PRIMARY, true), (SECONDARY, false)], None);
        let probe = PrimaryProbe::Unreachable {
            region: "us-east-1".into(),
            detail: "timed out".into(),
        };
        let err = plan(&req(false, None), &facts, &lag(Some(9)), &probe).unwrap_err();
        assert_eq!(err.name(), "PrimaryRegionUnreachable");
        let text = err.to_string();
        assert!(
            text.contains("9 s of data") && text.contains("\"allow_data_loss\": true"),
            "{text}"
        );
    }

    #[test]
    fn allow_data_loss_fails_over_with_allow_data_loss_and_records_the_lag() {
        let facts = secondary(&[(PRIMARY, true), (SECONDARY, false)], None);
        let planned = plan(
            &req(true, None),
            &facts,
            &lag(Some(9)),
            &PrimaryProbe::NotAsked,
        )
        .unwrap();
        assert_eq!(
            planned.steps[1],
            Step::Failover(GlobalFailover {
                target: GlobalTarget {
                    global_cluster_identifier: "orders-global".into(),
                    target_db_cluster_identifier: SECONDARY.into()
                },
                allow_data_loss: true
            })
        );
        assert_eq!(
            planned.recorded.recovery_point,
            Some(DateTime::from_secs(NOW - 9))
        );
    }

    #[test]
    fn a_secondary_that_is_already_the_writer_is_a_replay_and_available() {
        let facts = secondary(&[(PRIMARY, false), (SECONDARY, true)], None);
        let Ok(StandbyProgress::Done { state, .. }) = standby_progress(&req(false, None), &facts)
        else {
            panic!()
        };
        assert_eq!(state.status, status::RestoreStatus::Available);
        assert_eq!(state.cluster_id.as_deref(), Some("orders-replica"));
        assert_eq!(state.instance_id, "orders-west-1");
    }

    #[test]
    fn a_switchover_to_the_secondary_under_way_is_a_replay_still_restoring() {
        let switching = GlobalFailoverFacts {
            status: "switching-over".into(),
            to: Some(SECONDARY.into()),
            data_loss_allowed: false,
        };
        let facts = secondary(&[(PRIMARY, true), (SECONDARY, false)], Some(switching));
        let Ok(StandbyProgress::Done { state, .. }) = standby_progress(&req(false, None), &facts)
        else {
            panic!()
        };
        assert_eq!(state.status, status::RestoreStatus::Restoring);
    }

    #[test]
    fn a_headless_secondary_is_refused_with_the_command_that_adds_an_instance() {
        let StandbyFacts::Cluster {
            mut cluster,
            global,
        } = secondary(&[(PRIMARY, true), (SECONDARY, false)], None)
        else {
            panic!()
        };
        cluster.members.clear();
        let err = standby_progress(
            &req(false, None),
            &StandbyFacts::Cluster { cluster, global },
        )
        .unwrap_err();
        assert_eq!(err.name(), "NotAStandby");
        assert!(
            err.to_string().contains("aws rds create-db-instance"),
            "{err}"
        );
    }

    #[test]
    fn an_available_replica_tagged_ours_is_promoted_again_as_an_earlier_attempt_died_between() {
        let StandbyFacts::Instance { mut instance, .. } = replica(None, None) else {
            panic!()
        };
        instance.tags = vec![(
            "dr-lambdas:provenance".into(),
            "standby:orders-replica".into(),
        )];
        let facts = StandbyFacts::Instance {
            instance,
            source_retention: None,
        };
        assert!(matches!(
            standby_progress(&req(false, None), &facts),
            Ok(StandbyProgress::Standby(_))
        ));
    }

    #[test]
    fn a_promoted_replica_taking_its_first_backup_is_available() {
        let StandbyFacts::Instance { mut instance, .. } = replica(None, None) else {
            panic!()
        };
        instance.status = "backing-up".into();
        instance.replica_source = None;
        instance.tags = vec![(
            "dr-lambdas:provenance".into(),
            "standby:orders-replica".into(),
        )];
        let facts = StandbyFacts::Instance {
            instance,
            source_retention: None,
        };
        let Ok(StandbyProgress::Done { state, .. }) = standby_progress(&req(false, None), &facts)
        else {
            panic!()
        };
        assert_eq!(state.status, status::RestoreStatus::Available);
    }

    #[test]
    fn a_switchover_rds_is_cancelling_is_not_a_replay_and_is_not_asked_for_again() {
        let cancelling = GlobalFailoverFacts {
            status: "cancelling".into(),
            to: Some(SECONDARY.into()),
            data_loss_allowed: false,
        };
        let facts = secondary(&[(PRIMARY, true), (SECONDARY, false)], Some(cancelling));
        assert!(matches!(
            standby_progress(&req(false, None), &facts),
            Ok(StandbyProgress::Standby(_))
        ));
        let err = plan(
            &req(false, None),
            &facts,
            &lag(Some(1)),
            &PrimaryProbe::Answered,
        )
        .unwrap_err();
        assert_eq!(err.name(), "StandbyNotReady");
        assert!(err.to_string().contains("cancelling"), "{err}");
    }
}
