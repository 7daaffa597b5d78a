//! The pure core of the restore: from what AWS has to what to send.
//!
//! Nothing here calls AWS; the shell (`rds.rs`) gathers the facts and applies
//! the plan, so every decision below is unit-tested without a network.

use serde::Serialize;

use super::request::{RestoreRequest, SnapshotRef};
use crate::error::Error;

/// Prefix of the tags dr-lambdas writes on the instances it restores.
pub const TAG_PREFIX: &str = "dr-lambdas:";
/// The snapshot an instance was restored from, as the request named it (or as `latest` resolved).
pub const TAG_SNAPSHOT: &str = "dr-lambdas:restored-from-snapshot";
/// What the request asked for: a snapshot name, or `latest`.
pub const TAG_REQUESTED: &str = "dr-lambdas:requested-snapshot";
/// The instance whose snapshot it was.
pub const TAG_SOURCE: &str = "dr-lambdas:source-instance";
/// The Lambda request id of the invocation that started the restore.
pub const TAG_REQUEST_ID: &str = "dr-lambdas:request-id";

/// RDS allows 50 tags per resource.
const MAX_TAGS: usize = 50;

/// What RDS reports of a snapshot, as far as planning needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotFacts {
    pub id: String,
    /// The instance the snapshot was taken of.
    pub source_instance: Option<String>,
    pub status: String,
    /// Creation time, nanoseconds since the epoch; `None` while RDS has not set it.
    pub created: Option<i128>,
}

/// What RDS reports of an instance, as far as planning needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstanceFacts {
    pub id: String,
    pub status: String,
    pub class: Option<String>,
    pub subnet_group: Option<String>,
    pub security_groups: Vec<String>,
    pub parameter_group: Option<String>,
    pub option_group: Option<String>,
    pub multi_az: Option<bool>,
    pub storage_type: Option<String>,
    pub iops: Option<i32>,
    pub storage_throughput: Option<i32>,
    pub deletion_protection: Option<bool>,
    pub publicly_accessible: Option<bool>,
    pub tags: Vec<(String, String)>,
}

impl InstanceFacts {
    fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// One resource tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tag {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "Value")]
    pub value: String,
}

/// The exact `RestoreDBInstanceFromDBSnapshot` request, in the API's own names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestorePlan {
    #[serde(rename = "DBInstanceIdentifier")]
    pub db_instance_identifier: String,
    #[serde(rename = "DBSnapshotIdentifier")]
    pub db_snapshot_identifier: String,
    #[serde(rename = "DBInstanceClass", skip_serializing_if = "Option::is_none")]
    pub db_instance_class: Option<String>,
    #[serde(rename = "DBSubnetGroupName", skip_serializing_if = "Option::is_none")]
    pub db_subnet_group_name: Option<String>,
    #[serde(rename = "VpcSecurityGroupIds", skip_serializing_if = "Vec::is_empty")]
    pub vpc_security_group_ids: Vec<String>,
    #[serde(
        rename = "DBParameterGroupName",
        skip_serializing_if = "Option::is_none"
    )]
    pub db_parameter_group_name: Option<String>,
    #[serde(rename = "OptionGroupName", skip_serializing_if = "Option::is_none")]
    pub option_group_name: Option<String>,
    #[serde(rename = "MultiAZ", skip_serializing_if = "Option::is_none")]
    pub multi_az: Option<bool>,
    #[serde(rename = "StorageType", skip_serializing_if = "Option::is_none")]
    pub storage_type: Option<String>,
    #[serde(rename = "Iops", skip_serializing_if = "Option::is_none")]
    pub iops: Option<i32>,
    #[serde(rename = "StorageThroughput", skip_serializing_if = "Option::is_none")]
    pub storage_throughput: Option<i32>,
    #[serde(rename = "DeletionProtection", skip_serializing_if = "Option::is_none")]
    pub deletion_protection: Option<bool>,
    #[serde(rename = "PubliclyAccessible", skip_serializing_if = "Option::is_none")]
    pub publicly_accessible: Option<bool>,
    #[serde(rename = "Tags")]
    pub tags: Vec<Tag>,
}

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
    let refuse = |reason: String| Error::InstanceAlreadyExists {
        db_instance: existing.id.clone(),
        region: region.to_owned(),
        reason,
    };
    let Some(restored_from) = existing.tag(TAG_SNAPSHOT) else {
        return Err(refuse("was not restored by dr-lambdas".to_owned()));
    };
    let same = match &req.snapshot {
        // A request may name the snapshot by ARN while RDS reports its plain identifier.
        SnapshotRef::Named(id) => {
            restored_from == id || existing.tag(TAG_REQUESTED) == Some(id.as_str())
        }
        SnapshotRef::Latest => {
            existing.tag(TAG_REQUESTED) == Some("latest")
                && existing.tag(TAG_SOURCE) == req.source_db_instance.as_deref()
        }
    };
    if !same {
        return Err(refuse(format!(
            "was restored from snapshot '{restored_from}', not from {}",
            describe_ref(req)
        )));
    }
    Ok(Replay {
        snapshot_id: restored_from.to_owned(),
        db_instance_status: existing.status.clone(),
    })
}

fn describe_ref(req: &RestoreRequest) -> String {
    match (&req.snapshot, &req.source_db_instance) {
        (SnapshotRef::Latest, Some(source)) => format!("the latest snapshot of '{source}'"),
        (snapshot, _) => format!("'{}'", snapshot.as_str()),
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
    if let (Some(stated), Some(actual)) = (&req.source_db_instance, &snapshot.source_instance)
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

/// Builds the restore request: the source's settings, then the event's
/// overrides on top, then dr-lambdas' own tags.
pub fn plan_restore(
    req: &RestoreRequest,
    snapshot: &SnapshotFacts,
    source: Option<&InstanceFacts>,
    request_id: &str,
) -> RestorePlan {
    let o = &req.overrides;
    let from_source = |f: fn(&InstanceFacts) -> Option<String>| source.and_then(f);

    let source_name = req
        .source_db_instance
        .clone()
        .or_else(|| snapshot.source_instance.clone())
        .unwrap_or_default();
    let mut own = vec![
        (TAG_SNAPSHOT, snapshot.id.as_str()),
        (TAG_REQUESTED, req.snapshot.as_str()),
        (TAG_REQUEST_ID, request_id),
    ];
    if !source_name.is_empty() {
        own.push((TAG_SOURCE, source_name.as_str()));
    }
    let tag = |key: &str, value: &str| Tag {
        key: key.to_owned(),
        value: value.to_owned(),
    };
    // Precedence: ours, then the event's, then the source's. The source's are
    // the ones dropped when RDS's 50-tag limit is reached. aws: tags cannot be
    // set by a caller, and the source's own dr-lambdas tags (it may be a
    // restored instance itself) would mislead a replay.
    let mut tags: Vec<Tag> = source
        .map(|s| s.tags.as_slice())
        .unwrap_or_default()
        .iter()
        .filter(|(key, _)| {
            !key.starts_with("aws:") && !key.starts_with(TAG_PREFIX) && !o.tags.contains_key(key)
        })
        .map(|(key, value)| tag(key, value))
        .collect();
    tags.truncate(MAX_TAGS.saturating_sub(own.len() + o.tags.len()));
    tags.extend(o.tags.iter().map(|(key, value)| tag(key, value)));
    tags.extend(own.iter().map(|(key, value)| tag(key, value)));

    // Default parameter and option groups are not copied: RDS picks the default
    // of the snapshot's own engine version, while the source's default may be
    // of a newer version (upgraded after the snapshot) and fail the restore.
    RestorePlan {
        db_instance_identifier: req.db_instance.clone(),
        db_snapshot_identifier: snapshot.id.clone(),
        db_instance_class: o
            .db_instance_class
            .clone()
            .or_else(|| from_source(|s| s.class.clone())),
        db_subnet_group_name: o
            .db_subnet_group
            .clone()
            .or_else(|| from_source(|s| s.subnet_group.clone())),
        vpc_security_group_ids: o.vpc_security_group_ids.clone().unwrap_or_else(|| {
            source
                .map(|s| s.security_groups.clone())
                .unwrap_or_default()
        }),
        db_parameter_group_name: o.db_parameter_group.clone().or_else(|| {
            from_source(|s| {
                s.parameter_group
                    .clone()
                    .filter(|g| !g.starts_with("default."))
            })
        }),
        option_group_name: o.option_group.clone().or_else(|| {
            from_source(|s| {
                s.option_group
                    .clone()
                    .filter(|g| !g.starts_with("default:"))
            })
        }),
        multi_az: o.multi_az.or_else(|| source.and_then(|s| s.multi_az)),
        storage_type: from_source(|s| s.storage_type.clone()),
        // io1/io2 (and gp3 above its baseline) need these with the storage type.
        iops: source.and_then(|s| s.iops),
        storage_throughput: source.and_then(|s| s.storage_throughput),
        deletion_protection: source.and_then(|s| s.deletion_protection),
        publicly_accessible: source.and_then(|s| s.publicly_accessible),
        tags,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::restore::request::Overrides;

    fn request(snapshot: SnapshotRef, source: Option<&str>) -> RestoreRequest {
        RestoreRequest {
            db_instance: "orders-dr".into(),
            snapshot,
            source_db_instance: source.map(str::to_owned),
            region: None,
            overrides: Overrides::default(),
            dry_run: false,
        }
    }

    fn snapshot(id: &str, status: &str, created: i128) -> SnapshotFacts {
        SnapshotFacts {
            id: id.into(),
            source_instance: Some("orders".into()),
            status: status.into(),
            created: Some(created),
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
            tags: vec![
                ("team".into(), "orders".into()),
                ("aws:cloudformation:stack-name".into(), "prod".into()),
                (TAG_SNAPSHOT.into(), "older-snapshot".into()),
            ],
        }
    }

    fn tag_map(plan: &RestorePlan) -> BTreeMap<&str, &str> {
        plan.tags
            .iter()
            .map(|t| (t.key.as_str(), t.value.as_str()))
            .collect()
    }

    #[test]
    fn a_restore_copies_every_setting_of_the_source() {
        let req = request(SnapshotRef::Named("snap-1".into()), None);
        let plan = plan_restore(
            &req,
            &snapshot("snap-1", "available", 1),
            Some(&source()),
            "req-1",
        );
        assert_eq!(plan.db_instance_identifier, "orders-dr");
        assert_eq!(plan.db_snapshot_identifier, "snap-1");
        assert_eq!(plan.db_instance_class.as_deref(), Some("db.r6g.large"));
        assert_eq!(plan.db_subnet_group_name.as_deref(), Some("orders-subnets"));
        assert_eq!(plan.vpc_security_group_ids, ["sg-0aaaaaaaaaaaaaaa1"]);
        assert_eq!(plan.db_parameter_group_name.as_deref(), Some("orders-pg15"));
        assert_eq!(plan.option_group_name.as_deref(), Some("orders-og"));
        assert_eq!(plan.multi_az, Some(true));
        assert_eq!(plan.storage_type.as_deref(), Some("gp3"));
        assert_eq!(plan.iops, Some(12000));
        assert_eq!(plan.storage_throughput, Some(500));
        assert_eq!(plan.deletion_protection, Some(true));
        assert_eq!(plan.publicly_accessible, Some(false));
    }

    #[test]
    fn default_groups_of_the_source_are_left_to_rds() {
        let mut src = source();
        src.parameter_group = Some("default.postgres15".into());
        src.option_group = Some("default:postgres-15".into());
        let req = request(SnapshotRef::Named("snap-1".into()), None);
        let plan = plan_restore(&req, &snapshot("snap-1", "available", 1), Some(&src), "r");
        assert_eq!(plan.db_parameter_group_name, None);
        assert_eq!(plan.option_group_name, None);
    }

    #[test]
    fn event_overrides_win_over_the_source() {
        let mut req = request(SnapshotRef::Named("snap-1".into()), None);
        req.overrides = Overrides {
            db_instance_class: Some("db.t4g.medium".into()),
            db_subnet_group: Some("dr-subnets".into()),
            vpc_security_group_ids: Some(vec!["sg-0bbbbbbbbbbbbbbb2".into()]),
            db_parameter_group: Some("dr-pg".into()),
            option_group: Some("dr-og".into()),
            multi_az: Some(false),
            tags: BTreeMap::from([("team".into(), "dr".into())]),
        };
        let plan = plan_restore(
            &req,
            &snapshot("snap-1", "available", 1),
            Some(&source()),
            "req-1",
        );
        assert_eq!(plan.db_instance_class.as_deref(), Some("db.t4g.medium"));
        assert_eq!(plan.db_subnet_group_name.as_deref(), Some("dr-subnets"));
        assert_eq!(plan.vpc_security_group_ids, ["sg-0bbbbbbbbbbbbbbb2"]);
        assert_eq!(plan.db_parameter_group_name.as_deref(), Some("dr-pg"));
        assert_eq!(plan.option_group_name.as_deref(), Some("dr-og"));
        assert_eq!(plan.multi_az, Some(false));
        assert_eq!(tag_map(&plan)["team"], "dr");
    }

    #[test]
    fn without_a_source_only_the_snapshot_and_tags_are_sent() {
        let req = request(SnapshotRef::Named("snap-1".into()), None);
        let plan = plan_restore(&req, &snapshot("snap-1", "available", 1), None, "req-1");
        let json = serde_json::to_value(&plan).unwrap();
        let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["DBInstanceIdentifier", "DBSnapshotIdentifier", "Tags"]
        );
    }

    #[test]
    fn the_plan_tags_the_instance_for_idempotent_replays() {
        let req = request(SnapshotRef::Latest, Some("orders"));
        let plan = plan_restore(
            &req,
            &snapshot("snap-2", "available", 2),
            Some(&source()),
            "req-9",
        );
        let tags = tag_map(&plan);
        assert_eq!(tags[TAG_SNAPSHOT], "snap-2");
        assert_eq!(tags[TAG_REQUESTED], "latest");
        assert_eq!(tags[TAG_SOURCE], "orders");
        assert_eq!(tags[TAG_REQUEST_ID], "req-9");
    }

    #[test]
    fn copied_tags_skip_the_aws_space() {
        let req = request(SnapshotRef::Named("snap-1".into()), None);
        let plan = plan_restore(
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
        let req = request(SnapshotRef::Named("snap-1".into()), None);
        let plan = plan_restore(&req, &snapshot("snap-1", "available", 1), Some(&src), "r");
        assert_eq!(plan.tags.len(), 50);
        assert_eq!(tag_map(&plan)[TAG_SNAPSHOT], "snap-1");
    }

    #[test]
    fn the_events_tags_survive_a_source_with_too_many_tags() {
        let mut src = source();
        src.tags = (0..60).map(|i| (format!("k{i}"), "v".to_owned())).collect();
        let mut req = request(SnapshotRef::Named("snap-1".into()), None);
        req.overrides.tags = BTreeMap::from([("incident".into(), "INC-42".into())]);
        let plan = plan_restore(&req, &snapshot("snap-1", "available", 1), Some(&src), "r");
        assert_eq!(plan.tags.len(), 50);
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
        let req = request(SnapshotRef::Named("s1".into()), None);
        let err = check_named(&req, &snapshot("s1", "creating", 1), "us-east-1").unwrap_err();
        assert_eq!(err.name(), "NoSnapshotAvailable");
    }

    #[test]
    fn a_named_snapshot_of_another_source_is_an_invalid_request() {
        let req = request(SnapshotRef::Named("s1".into()), Some("billing"));
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
        let req = request(SnapshotRef::Named("snap-1".into()), None);
        let existing = restored(&[(TAG_SNAPSHOT, "snap-1")], "creating");
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
        let req = request(SnapshotRef::Latest, Some("orders"));
        let existing = restored(
            &[
                (TAG_SNAPSHOT, "snap-7"),
                (TAG_REQUESTED, "latest"),
                (TAG_SOURCE, "orders"),
            ],
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
        let req = request(SnapshotRef::Named("snap-2".into()), None);
        let existing = restored(&[(TAG_SNAPSHOT, "snap-1")], "available");
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
        let req = request(SnapshotRef::Named("snap-1".into()), None);
        let err = check_existing(&req, &restored(&[], "available"), "us-east-1").unwrap_err();
        assert_eq!(err.name(), "InstanceAlreadyExists");
        assert!(err.to_string().contains("was not restored by dr-lambdas"));
    }
}
