//! The source: the latest snapshot, a named one, or a point in time, and
//! the moment the restored data is from.

use super::*;

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

/// Refuses a restore of the latest snapshot that would lose more than the
/// event's `max_data_loss_seconds`: the snapshot's age is the data lost. An
/// unknown age is refused too, as a standby's unknown lag is.
pub fn check_snapshot_age(
    req: &RestoreRequest,
    resolved: &Resolved,
    now: DateTime,
) -> Result<(), Error> {
    let (
        Source::Latest {
            source,
            max_data_loss_seconds: Some(limit),
        },
        Resolved::Snapshot(snapshot),
    ) = (&req.source, resolved)
    else {
        return Ok(());
    };
    let age = snapshot.created.map(|t| now.secs() - t.secs());
    match age {
        Some(age) if age <= i64::try_from(*limit).unwrap_or(i64::MAX) => Ok(()),
        _ => Err(Error::DataLossAboveLimit {
            restoring: format!(
                "restoring the latest snapshot of '{source}' ('{}')",
                snapshot.id
            ),
            lag: match age {
                Some(age) => format!("{age} s of data (the snapshot's age)"),
                None => "an unknown amount of data (RDS reports no creation time)".to_owned(),
            },
            limit: *limit,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::restore::plan::fixtures::*;

    fn bounded(limit: u64) -> RestoreRequest {
        request(Source::Latest {
            source: "orders".into(),
            max_data_loss_seconds: Some(limit),
        })
    }

    #[test]
    fn a_latest_snapshot_within_the_data_loss_bound_is_restored() {
        let fresh = Resolved::Snapshot(snapshot("s", "available", NOW - 3600));
        assert!(matches!(
            check_snapshot_age(&bounded(3600), &fresh, DateTime::from_secs(NOW)),
            Ok(())
        ));
    }

    #[test]
    fn a_latest_snapshot_older_than_the_bound_is_refused_with_its_age() {
        let old = Resolved::Snapshot(snapshot("s", "available", NOW - 3601));
        let err = check_snapshot_age(&bounded(3600), &old, DateTime::from_secs(NOW)).unwrap_err();
        assert_eq!(err.name(), "DataLossAboveLimit");
        assert!(
            err.to_string().starts_with(
                "restoring the latest snapshot of 'orders' ('s') would lose 3601 s of data"
            ),
            "{err}"
        );
    }

    #[test]
    fn a_latest_snapshot_of_unknown_age_is_refused_under_a_bound() {
        let mut unknown = snapshot("s", "available", NOW);
        unknown.created = None;
        let err = check_snapshot_age(
            &bounded(3600),
            &Resolved::Snapshot(unknown),
            DateTime::from_secs(NOW),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("an unknown amount of data"),
            "{err}"
        );
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
}
