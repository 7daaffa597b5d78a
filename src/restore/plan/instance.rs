//! The instance target: the restore of one DB instance, from a snapshot or
//! a point in time, with the source's settings and our tags.

use super::*;

pub(super) fn plan_instance(
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::restore::plan::fixtures::*;
    use crate::restore::request::Overrides;
    use crate::restore::tags::{
        TAG_PROVENANCE, TAG_RECOVERY_POINT, TAG_REQUEST_ID, TAG_RESTORED_FROM,
    };

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
}
