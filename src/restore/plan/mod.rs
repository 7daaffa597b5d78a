//! The pure core of the restore: from what AWS has to what to send.
//!
//! Nothing here calls AWS; the shell (`rds.rs`) gathers the facts and applies
//! the plan, so every decision below is unit-tested without a network. One
//! decision a file: the replay (`replay.rs`), the source (`source.rs`), the
//! instance target (`instance.rs`), the cluster target (`cluster.rs`), the
//! standby (`standby.rs`); this file joins them into a plan.

mod cluster;
#[cfg(test)]
pub(crate) mod fixtures;
mod instance;
mod replay;
mod source;
mod standby;

pub use replay::{Existing, Progress, Replay, ReplayWindow, progress};
pub use source::{
    PitrFrom, Resolved, SourceFacts, check_named, check_snapshot_age, cluster_point_in_time,
    pick_latest, resolve_point_in_time, restore_point,
};
pub use standby::{
    DEFAULT_PROMOTED_RETENTION_DAYS, PrimaryProbe, StandbyProgress, StandbyState, plan_standby,
    standby_progress,
};

use cluster::plan_cluster;
use instance::plan_instance;

use aws_sdk_rds::primitives::DateTime;

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
use super::{settings, status};
use crate::error::Error;

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
    check_snapshot_age(req, resolved, now)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::restore::plan::fixtures::*;

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
