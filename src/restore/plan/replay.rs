//! The replay: what an earlier attempt of the same request already
//! restored, and whether it may be continued.

use super::*;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::restore::plan::fixtures::*;
    use crate::restore::tags::{TAG_PROVENANCE, TAG_RESTORED_FROM};

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
}
