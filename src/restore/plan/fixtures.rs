//! What the plan's tests share: requests, facts and snapshots, and the
//! plans of them. Compiled for tests only: `#[cfg(test)] mod fixtures;` in
//! mod.rs, so its unwraps are on no event's path.

use std::collections::BTreeMap;

use super::*;
use crate::restore::request::{Overrides, Target};
use crate::restore::tags::TAG_RESTORED_FROM;

pub(super) fn named(snapshot: &str, source: Option<&str>) -> RestoreRequest {
    request(Source::Named {
        snapshot: snapshot.into(),
        source: source.map(str::to_owned),
    })
}

pub(super) fn latest(source: &str) -> RestoreRequest {
    request(Source::Latest {
        source: source.into(),
        max_data_loss_seconds: None,
    })
}

pub(crate) fn request(source: Source) -> RestoreRequest {
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
pub(super) const NOW: i64 = 1_795_305_600;

pub(super) fn facts(instance: Option<&InstanceFacts>) -> SourceFacts {
    SourceFacts {
        instance: instance.cloned(),
        cluster: None,
    }
}

/// What an existing instance means for `req`: its replay, or a refusal.
pub(super) fn check_existing(
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
pub(super) fn only_step(steps: Vec<Step>) -> InstanceFromSnapshot {
    match <[Step; 1]>::try_from(steps) {
        Ok([Step::InstanceFromSnapshot(step)]) => step,
        other => panic!("expected one snapshot restore, got {other:?}"),
    }
}

pub(super) fn plan_of(
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

pub(super) fn snapshot(id: &str, status: &str, created: i64) -> SnapshotFacts {
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

pub(super) fn source() -> InstanceFacts {
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

pub(super) fn tag_map(plan: &InstanceFromSnapshot) -> BTreeMap<&str, &str> {
    plan.settings
        .tags
        .iter()
        .map(|t| (t.key.as_str(), t.value.as_str()))
        .collect()
}

pub(super) fn pitr(time: RestoreTime) -> RestoreRequest {
    request(Source::PointInTime {
        source: "orders".into(),
        time,
    })
}

/// A window from 2026-11-15 to 2026-11-21T23:55:00Z.
pub(super) fn window() -> Window {
    Window {
        earliest: Some(DateTime::from_secs(1_795_219_200 - 6 * 86_400)),
        latest: Some(DateTime::from_secs(NOW - 300)),
    }
}

pub(super) fn at_point_in_time(from: PitrFrom) -> Resolved {
    Resolved::PointInTime {
        from,
        window: window(),
        baseline: source().baseline(),
        backups_off: false,
    }
}

pub(super) fn pitr_step(plan: RestorePlan) -> InstanceToPointInTime {
    match <[Step; 1]>::try_from(plan.steps) {
        Ok([Step::InstanceToPointInTime(step)]) => step,
        other => panic!("expected one point-in-time restore, got {other:?}"),
    }
}
