//! The pure core of the restore: from what AWS has to what to send.
//!
//! Nothing here calls AWS; the shell (`rds.rs`) gathers the facts and applies
//! the plan, so every decision below is unit-tested without a network.

use super::facts::{InstanceFacts, SnapshotFacts};
use super::request::RestoreRequest;
use super::step::{InstanceFromSnapshot, InstanceSettings, Step};
use super::{settings, tags};
use crate::error::Error;

/// An instance that a previous attempt of the same request already restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    /// The snapshot it was restored from (from its tag).
    pub snapshot_id: String,
    /// What RDS reports now, e.g. `creating` or `available`.
    pub db_instance_status: String,
}

/// Decides what an existing instance with the target identifier means.
///
/// It is the same request's earlier work when its tags name the same
/// snapshot (or, for `latest`, the same source's latest); anything else is
/// someone else's instance and is never touched.
pub fn check_existing(
    req: &RestoreRequest,
    existing: &InstanceFacts,
    region: &str,
) -> Result<Replay, Error> {
    match tags::same_request(req, |key| existing.tag(key).map(str::to_owned)) {
        Ok(()) => Ok(Replay {
            snapshot_id: existing
                .tag(tags::TAG_SNAPSHOT)
                .unwrap_or_default()
                .to_owned(),
            db_instance_status: existing.status.clone(),
        }),
        Err(reason) => Err(Error::InstanceAlreadyExists {
            db_instance: existing.id.clone(),
            region: region.to_owned(),
            reason,
        }),
    }
}

/// Picks the newest available snapshot of `source` among `snapshots`.
///
/// `source_exists` tells a typo (no instance and no snapshot at all:
/// `SourceInstanceNotFound`) from a source whose snapshots are not ready yet
/// (`NoSnapshotAvailable`).
pub fn pick_latest<'a>(
    snapshots: &'a [SnapshotFacts],
    source: &str,
    source_exists: bool,
    region: &str,
) -> Result<&'a SnapshotFacts, Error> {
    let newest = snapshots
        .iter()
        .filter(|s| s.status == "available" && s.created.is_some())
        .max_by(|a, b| a.created.cmp(&b.created).then_with(|| a.id.cmp(&b.id)));
    match newest {
        Some(snapshot) => Ok(snapshot),
        None if snapshots.is_empty() && !source_exists => Err(Error::SourceInstanceNotFound {
            db_instance: source.to_owned(),
            region: region.to_owned(),
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
    if let (Some(stated), Some(actual)) = (req.source.source_db(), &snapshot.source_instance)
        && stated != actual
    {
        return Err(Error::invalid(
            "source_db_instance",
            format!(
                "snapshot '{}' is of instance '{actual}', not '{stated}'",
                snapshot.id
            ),
        ));
    }
    if snapshot.status != "available" {
        return Err(Error::NoSnapshotAvailable {
            db_instance: snapshot.source_instance.clone().unwrap_or_default(),
            region: region.to_owned(),
            detail: format!("snapshot '{}' is {}", snapshot.id, snapshot.status),
        });
    }
    Ok(())
}

/// What a restore will do: its calls, and the source settings it could not carry over.
#[derive(Debug, Clone, PartialEq)]
pub struct RestorePlan {
    /// The calls, in order. Empty: nothing left to do.
    pub steps: Vec<Step>,
    /// One line per source setting left to RDS, and why.
    pub notes: Vec<String>,
}

/// Builds the restore: the source's settings, then the event's overrides on
/// top, then dr-lambdas' own tags.
///
/// The tags copied are the source's; without a source here, the snapshot's
/// own (RDS copies those only into a request without tags, and ours always
/// has some).
pub fn plan_restore(
    req: &RestoreRequest,
    snapshot: &SnapshotFacts,
    source: Option<&InstanceFacts>,
    region: &str,
    request_id: &str,
) -> Result<RestorePlan, Error> {
    let settled = settings::instance(&req.overrides, snapshot, source, region)?;
    let own = tags::own_tags(req, &snapshot.id, request_id);
    let copied = source.map_or(snapshot.tags.as_slice(), |s| s.tags.as_slice());
    let settings = InstanceSettings {
        tags: tags::merge(copied, req, own),
        ..settled.settings
    };
    Ok(RestorePlan {
        steps: vec![Step::InstanceFromSnapshot(InstanceFromSnapshot {
            db_instance_identifier: req.target.instance_id().to_owned(),
            db_snapshot_identifier: snapshot.id.clone(),
            settings,
        })],
        notes: settled.notes,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::restore::request::{Overrides, Source, Target};
    use crate::restore::tags::{TAG_PROVENANCE, TAG_REQUEST_ID, TAG_SNAPSHOT};

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
            overrides: Overrides::default(),
            dry_run: false,
        }
    }

    /// The one step of an instance restore from a snapshot.
    fn only_step(steps: Vec<Step>) -> InstanceFromSnapshot {
        match <[Step; 1]>::try_from(steps) {
            Ok([Step::InstanceFromSnapshot(step)]) => step,
            Err(steps) => panic!("expected one step, got {steps:?}"),
        }
    }

    fn plan_of(
        req: &RestoreRequest,
        snap: &SnapshotFacts,
        source: Option<&InstanceFacts>,
        request_id: &str,
    ) -> InstanceFromSnapshot {
        only_step(
            plan_restore(req, snap, source, "us-east-1", request_id)
                .unwrap()
                .steps,
        )
    }

    fn snapshot(id: &str, status: &str, created: i128) -> SnapshotFacts {
        SnapshotFacts {
            id: id.into(),
            source_instance: Some("orders".into()),
            status: status.into(),
            created: Some(created),
            engine: Some("postgres".into()),
            engine_version: Some("15.4".into()),
            allocated_storage: Some(500),
            storage_type: Some("gp2".into()),
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
                (TAG_SNAPSHOT.into(), "older-snapshot".into()),
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
        assert_eq!(tags[TAG_SNAPSHOT], "snap-2");
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
        assert_eq!(tags[TAG_SNAPSHOT], "snap-1");
    }

    #[test]
    fn the_tag_list_never_exceeds_the_rds_limit() {
        let mut src = source();
        src.tags = (0..60).map(|i| (format!("k{i}"), "v".to_owned())).collect();
        let req = named("snap-1", None);
        let plan = plan_of(&req, &snapshot("snap-1", "available", 1), Some(&src), "r");
        assert_eq!(plan.settings.tags.len(), 50);
        assert_eq!(tag_map(&plan)[TAG_SNAPSHOT], "snap-1");
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
            pick_latest(&snaps, "orders", true, "us-east-1").unwrap().id,
            "new"
        );
    }

    #[test]
    fn latest_with_only_unready_snapshots_is_no_snapshot_available() {
        let snaps = [snapshot("s1", "creating", 30)];
        match pick_latest(&snaps, "orders", true, "us-east-1") {
            Err(Error::NoSnapshotAvailable { detail, .. }) => assert_eq!(detail, "s1: creating"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn latest_of_an_unknown_source_is_source_instance_not_found() {
        let err = pick_latest(&[], "ordrs", false, "us-west-2").unwrap_err();
        assert_eq!(err.name(), "SourceInstanceNotFound");
    }

    #[test]
    fn latest_of_a_source_without_snapshots_is_no_snapshot_available() {
        let err = pick_latest(&[], "orders", true, "us-west-2").unwrap_err();
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
            err.to_string()
                .contains("is of instance 'orders', not 'billing'")
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
                (TAG_SNAPSHOT, "snap-1"),
            ],
            "creating",
        );
        let replay = check_existing(&req, &existing, "us-east-1").unwrap();
        assert_eq!(
            replay,
            Replay {
                snapshot_id: "snap-1".into(),
                db_instance_status: "creating".into()
            }
        );
    }

    #[test]
    fn an_instance_restored_from_the_same_sources_latest_is_a_replay() {
        let req = latest("orders");
        let existing = restored(
            &[(TAG_SNAPSHOT, "snap-7"), (TAG_PROVENANCE, "latest:orders")],
            "available",
        );
        assert_eq!(
            check_existing(&req, &existing, "us-east-1")
                .unwrap()
                .snapshot_id,
            "snap-7"
        );
    }

    #[test]
    fn an_instance_restored_from_another_snapshot_is_left_alone() {
        let req = named("snap-2", None);
        let existing = restored(
            &[
                (TAG_PROVENANCE, "snapshot:snap-1"),
                (TAG_SNAPSHOT, "snap-1"),
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
