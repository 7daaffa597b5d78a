//! The restore event: decoding and validation, before any AWS call.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use aws_sdk_rds::primitives::{DateTime, DateTimeFormat};

use crate::error::Error;
use crate::trigger::{self, Trigger};
use crate::validate::{self, Globs};

mod overrides;
mod source;
mod standby;
mod target;

/// The restore event as it arrives (`events/restore-database*.json`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRequest {
    #[serde(default)]
    db_instance: Option<String>,
    #[serde(default)]
    db_cluster: Option<String>,
    #[serde(default)]
    writer_instance: Option<String>,
    #[serde(default)]
    snapshot_id: Option<String>,
    #[serde(default)]
    restore_time: Option<String>,
    #[serde(default)]
    source_db_instance: Option<String>,
    #[serde(default)]
    source_db_cluster: Option<String>,
    #[serde(default)]
    source_region: Option<String>,
    #[serde(default)]
    db_cluster_parameter_group: Option<String>,
    #[serde(default)]
    serverless_v2_capacity: Option<Capacity>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    db_instance_class: Option<String>,
    #[serde(default)]
    db_subnet_group: Option<String>,
    #[serde(default)]
    vpc_security_group_ids: Option<Vec<String>>,
    #[serde(default)]
    db_parameter_group: Option<String>,
    #[serde(default)]
    option_group: Option<String>,
    #[serde(default)]
    multi_az: Option<bool>,
    #[serde(default)]
    publicly_accessible: Option<bool>,
    #[serde(default)]
    tags: Option<BTreeMap<String, String>>,
    #[serde(default)]
    drill: Option<String>,
    #[serde(default)]
    standby: Option<String>,
    #[serde(default)]
    allow_data_loss: Option<bool>,
    #[serde(default)]
    max_data_loss_seconds: Option<u64>,
    #[serde(default)]
    dry_run: Option<bool>,
}

/// An Aurora Serverless v2 capacity range, in ACUs.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capacity {
    pub min: f64,
    pub max: f64,
}

/// What the restored data comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A snapshot identifier, `rds:` automated name or ARN; `source` is the
    /// instance the event says it is of, if it says.
    Named {
        snapshot: String,
        source: Option<String>,
    },
    /// The newest available snapshot of `source`.
    Latest {
        source: String,
        /// Refuse a snapshot older than this (its age is the data lost).
        max_data_loss_seconds: Option<u64>,
    },
    /// `source`'s data as it was at `time`, from its automated backups.
    PointInTime { source: String, time: RestoreTime },
    /// A warm standby, promoted in place: a read replica, or the secondary
    /// cluster of an Aurora global database.
    Standby {
        standby: String,
        /// `FailoverGlobalCluster` with `AllowDataLoss` when the primary
        /// region does not answer; never by default.
        allow_data_loss: bool,
        /// Refuse a promotion whose lag is above this, or unknown.
        max_data_loss_seconds: Option<u64>,
    },
}

/// The moment a point-in-time restore goes back to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoreTime {
    /// The latest restorable time: typically a few minutes ago.
    Latest,
    /// This moment, within the restorable window.
    At(DateTime),
}

impl RestoreTime {
    /// RFC 3339, or `latest`.
    pub fn as_text(&self) -> String {
        match self {
            RestoreTime::Latest => "latest".to_owned(),
            RestoreTime::At(t) => rfc3339(*t),
        }
    }
}

/// A time as RFC 3339 in UTC (`2026-11-21T09:30:00Z`).
pub fn rfc3339(time: DateTime) -> String {
    time.fmt(DateTimeFormat::DateTime)
        .unwrap_or_else(|_| time.secs().to_string())
}

impl Source {
    /// The source database the event names, if any.
    pub fn source_db(&self) -> Option<&str> {
        match self {
            Source::Named { source, .. } => source.as_deref(),
            Source::Latest { source, .. } | Source::PointInTime { source, .. } => Some(source),
            Source::Standby { standby, .. } => Some(standby),
        }
    }

    /// What the event asked for, for the log: a snapshot, `latest`, or the time.
    pub fn requested(&self) -> String {
        match self {
            Source::Named { snapshot, .. } => snapshot.clone(),
            Source::Latest { .. } => "latest".to_owned(),
            Source::PointInTime { time, .. } => format!("restore_time {}", time.as_text()),
            Source::Standby { .. } => "standby".to_owned(),
        }
    }

    /// How a message names this source.
    pub fn describe(&self) -> String {
        match self {
            Source::Named { snapshot, .. } => format!("'{snapshot}'"),
            Source::Latest { source, .. } => format!("the latest snapshot of '{source}'"),
            Source::PointInTime { source, time } => {
                format!("'{source}' at {}", time.as_text())
            }
            Source::Standby { standby, .. } => format!("the promotion of standby '{standby}'"),
        }
    }
}

/// What the restore creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A new DB instance of this identifier.
    Instance(String),
    /// A new Aurora DB cluster, and its writer instance (without which the
    /// cluster accepts no connection).
    Cluster { id: String, writer: String },
    /// Nothing new: the standby (a read replica, or a global secondary
    /// cluster) becomes the database. Which one it is, RDS says.
    Standby(String),
}

impl Target {
    /// The identifier of the instance the result reports: the instance, or
    /// the cluster's writer.
    pub fn instance_id(&self) -> &str {
        match self {
            Target::Instance(id) | Target::Standby(id) => id,
            Target::Cluster { writer, .. } => writer,
        }
    }

    /// The cluster, for an Aurora target.
    pub fn cluster_id(&self) -> Option<&str> {
        match self {
            Target::Instance(_) | Target::Standby(_) => None,
            Target::Cluster { id, .. } => Some(id),
        }
    }

    /// The event field that names the source database.
    pub fn source_field(&self) -> &'static str {
        match self {
            Target::Instance(_) => "source_db_instance",
            Target::Cluster { .. } => "source_db_cluster",
            Target::Standby(_) => "standby",
        }
    }
}

/// Settings given in the event; each wins over the source instance's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    pub db_instance_class: Option<String>,
    pub db_subnet_group: Option<String>,
    pub vpc_security_group_ids: Option<Vec<String>>,
    pub db_parameter_group: Option<String>,
    pub option_group: Option<String>,
    pub multi_az: Option<bool>,
    pub publicly_accessible: Option<bool>,
    /// Aurora only: the cluster's parameter group.
    pub db_cluster_parameter_group: Option<String>,
    /// Aurora only: the Serverless v2 capacity range, which a cluster needs
    /// before it can take a `db.serverless` writer.
    pub serverless_v2_capacity: Option<Capacity>,
    pub tags: BTreeMap<String, String>,
}

/// A validated restore request.
#[derive(Debug, Clone, PartialEq)]
pub struct RestoreRequest {
    /// What to create (always NEW).
    pub target: Target,
    /// What to restore from.
    pub source: Source,
    /// Where to restore: the event's region, or the function's own.
    pub region: String,
    /// Where the source instance of a point-in-time restore runs (the
    /// event's `source_region`, else `RESTORE_SOURCE_REGION`): what names its
    /// automated backups replicated into another region.
    pub source_region: Option<String>,
    pub overrides: Overrides,
    pub dry_run: bool,
    /// What asked for it: direct, or an ARC Region switch step.
    pub trigger: Trigger,
    /// A drill's marker (`dr-lambdas:drill`): what the drill restores is
    /// tagged with it, without deletion protection, Single-AZ unless the
    /// event says; and it is part of the replay identity.
    pub drill: Option<String>,
}

/// What the function's configuration and invocation bound a request by.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// `RESTORE_ALLOWED_INSTANCES`.
    pub allowlist: Option<&'a Globs>,
    /// `RESTORE_ALLOWED_STANDBYS`: the standbys a promotion may name.
    pub standbys: Option<&'a Globs>,
    /// `RESTORE_ALLOWED_REGIONS`: where the role may restore.
    pub regions: Option<&'a Globs>,
    /// The function's own region: the default target.
    pub home_region: &'a str,
    /// The function's own account, when the runtime says it.
    pub account_id: Option<&'a str>,
    /// When the request arrived: no restore time may be later.
    pub now: DateTime,
    /// `REGION_SWITCH_RESTORE`: the restore a Region switch step without a
    /// payload of ours runs.
    pub region_switch_restore: Option<&'a Value>,
    /// `RESTORE_SOURCE_REGION`: where the source of a point-in-time restore
    /// runs, unless the event says.
    pub source_region: Option<&'a str>,
}

/// Decodes and validates a restore event, one decision at a time: what to
/// create, where, from what, with which overrides, within which allowlists.
/// No AWS call is made.
pub fn parse(event: Value, scope: Scope<'_>) -> Result<RestoreRequest, Error> {
    validate::require_object(&event)?;
    let (mut event, trigger) = trigger::split_region_switch(event)?;
    // A Region switch step passes no payload of ours (as far as its API
    // reference shows): the restore comes from the configuration then.
    if matches!(trigger, Trigger::RegionSwitch(_))
        && event.as_object().is_some_and(|m| m.is_empty())
    {
        event = scope
            .region_switch_restore
            .cloned()
            .ok_or_else(|| Error::Misconfigured {
                variable: "REGION_SWITCH_RESTORE",
                reason: "is not set, and the Region switch step passed no restore: set it to the \
                         restore event such a step runs"
                    .to_owned(),
            })?;
    }
    let raw: RawRequest = validate::decode(event)?;
    let region = region(&raw, &scope)?;
    if let Some(marker) = &raw.drill {
        check("drill", validate::drill_marker(marker))?;
        if raw.standby.is_some() {
            return Err(Error::invalid(
                "drill",
                "cannot be given with standby: a drill of a standby would promote production's \
                 replica. Drill a snapshot or point-in-time restore instead",
            ));
        }
    }
    if let Some((target, source)) = standby::decide(&raw)? {
        names_allowed(&target, &scope)?;
        return Ok(RestoreRequest {
            target,
            source,
            region,
            source_region: None,
            overrides: Overrides::default(),
            dry_run: raw.dry_run.unwrap_or(false),
            trigger,
            drill: None,
        });
    }
    let (target, source_db) = target::decide(&raw)?;
    let source = source::decide(&raw, source_db, &target, &region, &scope)?;
    let source_region = source::source_region(&raw, &source, &target, &scope)?;
    let overrides = overrides::decide(&raw)?;
    names_allowed(&target, &scope)?;
    if raw.drill.is_some() {
        drill_names(&target)?;
    }
    Ok(RestoreRequest {
        target,
        source,
        region,
        source_region,
        overrides,
        dry_run: raw.dry_run.unwrap_or(false),
        trigger,
        drill: raw.drill,
    })
}

/// A drill creates only drill identifiers (`-d` and 8 hex digits): the only
/// names its cleanup may delete, so that a drill event can never take a
/// production name.
fn drill_names(target: &Target) -> Result<(), Error> {
    let created = match target {
        Target::Instance(id) => vec![("db_instance", id)],
        Target::Cluster { id, writer } => vec![("db_cluster", id), ("writer_instance", writer)],
        Target::Standby(_) => Vec::new(),
    };
    match created
        .into_iter()
        .find(|(_, id)| !validate::is_drill_identifier(id))
    {
        Some((field, id)) => Err(Error::invalid(
            field,
            format!(
                "'{id}' is not a drill identifier (it must end in -d and 8 hex digits): a drill \
                 restores only under the names the recovery workflow's \"drill\": true derives"
            ),
        )),
        None => Ok(()),
    }
}

/// Where to restore: the event's region, or the function's own; within
/// `RESTORE_ALLOWED_REGIONS`.
fn region(raw: &RawRequest, scope: &Scope<'_>) -> Result<String, Error> {
    if let Some(region) = &raw.region {
        check("region", validate::region_name(region))?;
    }
    let region = raw
        .region
        .clone()
        .unwrap_or_else(|| scope.home_region.to_owned());
    if let Some(allowed) = scope.regions
        && !allowed.matches(&region)
    {
        return Err(Error::NotAllowed {
            subject: format!("region '{region}'"),
            variable: "RESTORE_ALLOWED_REGIONS",
            allowed: allowed.display(),
        });
    }
    Ok(region)
}

/// Every identifier the restore creates is within `RESTORE_ALLOWED_INSTANCES`;
/// a standby it promotes, within `RESTORE_ALLOWED_STANDBYS`.
fn names_allowed(target: &Target, scope: &Scope<'_>) -> Result<(), Error> {
    if let Target::Standby(id) = target {
        return match scope.standbys {
            Some(allowed) if !allowed.matches(id) => Err(Error::NotAllowed {
                subject: format!("standby '{id}'"),
                variable: "RESTORE_ALLOWED_STANDBYS",
                allowed: allowed.display(),
            }),
            _ => Ok(()),
        };
    }
    if let Some(allowed) = scope.allowlist {
        let created = match target {
            Target::Instance(id) => vec![("db_instance", id)],
            Target::Cluster { id, writer } => vec![("db_cluster", id), ("writer_instance", writer)],
            Target::Standby(_) => Vec::new(),
        };
        if let Some((field, id)) = created.into_iter().find(|(_, id)| !allowed.matches(id)) {
            return Err(Error::NotAllowed {
                subject: format!("{field} '{id}'"),
                variable: "RESTORE_ALLOWED_INSTANCES",
                allowed: allowed.display(),
            });
        }
    }
    Ok(())
}

/// `result`'s reason as an `InvalidRequest` on `field`.
pub(super) fn check(field: &str, result: Result<(), String>) -> Result<(), Error> {
    result.map_err(|reason| Error::invalid(field, reason))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const ACCOUNT: &str = "123456789012";

    fn scope(allowlist: Option<&Globs>) -> Scope<'_> {
        Scope {
            allowlist,
            standbys: None,
            regions: None,
            home_region: "us-east-1",
            account_id: Some(ACCOUNT),
            now: DateTime::from_secs(NOW),
            region_switch_restore: None,
            source_region: None,
        }
    }

    /// 2026-11-22T00:00:00Z
    const NOW: i64 = 1_795_305_600;

    fn err(event: Value) -> (String, String) {
        match parse(event, scope(None)) {
            Err(Error::InvalidRequest { field, reason }) => (field, reason),
            other => panic!("expected InvalidRequest, got {other:?}"),
        }
    }

    #[test]
    fn the_documented_minimal_event_parses() {
        let req = parse(
            json!({"db_instance": "ecommerce-db-restored", "snapshot_id": "snapshot-2025-05-12"}),
            scope(None),
        )
        .unwrap();
        assert_eq!(req.target, Target::Instance("ecommerce-db-restored".into()));
        assert_eq!(
            req.source,
            Source::Named {
                snapshot: "snapshot-2025-05-12".into(),
                source: None
            }
        );
        assert_eq!(req.region, "us-east-1");
        assert!(!req.dry_run);
        assert_eq!(req.overrides, Overrides::default());
    }

    #[test]
    fn every_optional_field_is_carried_over() {
        let req = parse(
            json!({
                "db_instance": "orders-dr", "snapshot_id": "latest", "source_db_instance": "orders",
                "region": "us-west-2", "db_instance_class": "db.r6g.large", "db_subnet_group": "dr-subnets",
                "vpc_security_group_ids": ["sg-0123456789abcdef0"], "db_parameter_group": "orders-pg15",
                "option_group": "default:postgres-15", "multi_az": true, "tags": {"team": "orders"},
                "dry_run": true
            }),
            scope(None),
        )
        .unwrap();
        assert_eq!(
            req.source,
            Source::Latest {
                source: "orders".into(),
                max_data_loss_seconds: None,
            }
        );
        assert_eq!(req.region, "us-west-2");
        assert_eq!(req.overrides.multi_az, Some(true));
        assert_eq!(
            req.overrides.option_group.as_deref(),
            Some("default:postgres-15")
        );
        assert_eq!(
            req.overrides.tags.get("team").map(String::as_str),
            Some("orders")
        );
        assert!(req.dry_run);
    }

    #[test]
    fn bad_inputs_are_refused_naming_the_field() {
        let cases = [
            (
                json!({"snapshot_id": "s"}),
                "db_instance",
                "is required (or db_cluster",
            ),
            (json!({"db_instance": "a"}), "snapshot_id", "is required"),
            (
                json!({"db_instance": 5, "snapshot_id": "s"}),
                "db_instance",
                "invalid type",
            ),
            (
                json!({"db_instance": "1a", "snapshot_id": "s"}),
                "db_instance",
                "must start with a letter",
            ),
            (
                json!({"db_instance": "a", "snapshot_id": "s--x"}),
                "snapshot_id",
                "two hyphens",
            ),
            (
                json!({"db_instance": "a", "snapshot_id": "latest"}),
                "source_db_instance",
                "is required",
            ),
            (
                json!({"db_instance": "a", "snapshot_id": "s", "region": "mars-1"}),
                "region",
                "region name",
            ),
            (
                json!({"db_instance": "a", "snapshot_id": "s", "multi_az": "yes"}),
                "multi_az",
                "invalid type",
            ),
            (
                json!({"db_instance": "a", "snapshot_id": "s", "tags": {"k": 1}}),
                "tags.k",
                "invalid type",
            ),
            (
                json!({"db_instance": "a", "snapshot_id": "s", "vpc_security_group_ids": ["sg-1", "x"]}),
                "vpc_security_group_ids[0]",
                "security group",
            ),
            (
                json!({"db_instance": "a", "snapshot_id": "s", "vpc_security_group_id": ["sg-12345678"]}),
                "vpc_security_group_id",
                "unknown field `vpc_security_group_id`",
            ),
            (
                json!({"db_instance": "a", "snapshot_id": "s", "tags": {"dr-lambdas:x": "y"}}),
                "tags",
                "reserved",
            ),
            (json!(null), "event", "must be a JSON object, got null"),
            (
                json!([1, 2]),
                "event",
                "must be a JSON object, got an array",
            ),
            (
                json!("ecommerce-db"),
                "event",
                "must be a JSON object, got a string",
            ),
        ];
        for (event, field, reason) in cases {
            let (f, r) = err(event.clone());
            assert_eq!(f, field, "{event}");
            assert!(r.contains(reason), "{event}: {r}");
        }
    }

    #[test]
    fn an_identifier_outside_the_allowlist_is_not_allowed() {
        let allow = Globs::parse("orders-*");
        let result = parse(
            json!({"db_instance": "billing-db", "snapshot_id": "s"}),
            scope(Some(&allow)),
        );
        match result {
            Err(Error::NotAllowed {
                subject,
                variable,
                allowed,
            }) => {
                assert_eq!(subject, "db_instance 'billing-db'");
                assert_eq!(variable, "RESTORE_ALLOWED_INSTANCES");
                assert_eq!(allowed, "orders-*");
            }
            other => panic!("expected NotAllowed, got {other:?}"),
        }
    }

    #[test]
    fn an_identifier_inside_the_allowlist_passes() {
        let allow = Globs::parse("orders-*");
        let req = parse(
            json!({"db_instance": "orders-dr", "snapshot_id": "s"}),
            scope(Some(&allow)),
        )
        .unwrap();
        assert_eq!(req.target, Target::Instance("orders-dr".into()));
    }

    #[test]
    fn identifiers_are_lowercased_as_rds_stores_them() {
        let allow = Globs::parse("orders-*");
        let req = parse(
            json!({"db_instance": "Orders-DR", "snapshot_id": "latest", "source_db_instance": "Orders"}),
            scope(Some(&allow)),
        )
        .unwrap();
        assert_eq!(req.target, Target::Instance("orders-dr".into()));
        assert_eq!(
            req.source,
            Source::Latest {
                source: "orders".into(),
                max_data_loss_seconds: None,
            }
        );
    }

    #[test]
    fn a_region_the_role_cannot_restore_in_is_not_allowed() {
        let regions = Globs::parse("us-east-1,us-west-2");
        let result = parse(
            json!({"db_instance": "orders-dr", "snapshot_id": "s", "region": "eu-west-1"}),
            Scope {
                regions: Some(&regions),
                ..scope(None)
            },
        );
        match result {
            Err(Error::NotAllowed {
                subject, variable, ..
            }) => {
                assert_eq!(subject, "region 'eu-west-1'");
                assert_eq!(variable, "RESTORE_ALLOWED_REGIONS");
            }
            other => panic!("expected NotAllowed, got {other:?}"),
        }
    }

    #[test]
    fn snapshot_names_are_lowercased_as_rds_stores_them() {
        let req = parse(
            json!({"db_instance": "orders-dr", "snapshot_id": "Orders-Snap-1"}),
            scope(None),
        )
        .unwrap();
        assert_eq!(req.source.requested(), "orders-snap-1");
    }

    #[test]
    fn an_aws_backup_recovery_point_is_a_snapshot() {
        let req = parse(
            json!({"db_instance": "orders-dr", "snapshot_id": "awsbackup:job-be59cf2a-2343-4402-bd8b-226993d23453"}),
            scope(None),
        )
        .unwrap();
        assert_eq!(
            req.source.requested(),
            "awsbackup:job-be59cf2a-2343-4402-bd8b-226993d23453"
        );
    }

    #[test]
    fn an_arn_of_this_account_and_region_becomes_its_name() {
        let arn = format!("arn:aws:rds:us-east-1:{ACCOUNT}:snapshot:rds:orders-2026-11-21-03-10");
        let req = parse(
            json!({"db_instance": "orders-dr", "snapshot_id": arn}),
            scope(None),
        )
        .unwrap();
        assert_eq!(req.source.requested(), "rds:orders-2026-11-21-03-10");
    }

    #[test]
    fn an_arn_of_another_account_is_refused_saying_to_copy_it() {
        let (field, reason) = err(json!({"db_instance": "orders-dr",
            "snapshot_id": "arn:aws:rds:us-east-1:210987654321:snapshot:shared-orders"}));
        assert_eq!(field, "snapshot_id");
        assert!(
            reason.starts_with("is a snapshot of account 210987654321; this function restores only its own account's"),
            "{reason}"
        );
        assert!(reason.contains("aws rds copy-db-snapshot"), "{reason}");
    }

    #[test]
    fn an_arn_of_another_region_is_refused_saying_to_copy_it_or_set_the_region() {
        let (field, reason) = err(json!({"db_instance": "orders-dr",
            "snapshot_id": format!("arn:aws:rds:eu-west-1:{ACCOUNT}:snapshot:orders-1")}));
        assert_eq!(field, "snapshot_id");
        assert!(
            reason.starts_with("is a snapshot in eu-west-1, but the restore is in us-east-1"),
            "{reason}"
        );
    }

    #[test]
    fn with_the_account_unknown_an_arn_is_passed_to_rds_as_it_is() {
        let arn = "arn:aws:rds:us-east-1:210987654321:snapshot:orders-1";
        let unknown = Scope {
            account_id: None,
            ..scope(None)
        };
        let req = parse(
            json!({"db_instance": "orders-dr", "snapshot_id": arn}),
            unknown,
        )
        .unwrap();
        assert_eq!(req.source.requested(), arn);
    }

    #[test]
    fn a_restore_time_asks_for_a_point_in_time_restore() {
        let req = parse(
            json!({"db_instance": "orders-pitr", "restore_time": "2026-11-21T09:30:00Z",
                   "source_db_instance": "orders"}),
            scope(None),
        )
        .unwrap();
        assert_eq!(
            req.source,
            Source::PointInTime {
                source: "orders".into(),
                time: RestoreTime::At(DateTime::from_secs(1_795_253_400))
            }
        );
    }

    #[test]
    fn a_restore_time_with_an_offset_is_read_in_utc() {
        let req = parse(
            json!({"db_instance": "orders-pitr", "restore_time": "2026-11-21T10:30:00+01:00",
                   "source_db_instance": "orders"}),
            scope(None),
        )
        .unwrap();
        assert_eq!(req.source.requested(), "restore_time 2026-11-21T09:30:00Z");
    }

    #[test]
    fn latest_as_restore_time_is_the_latest_restorable_time() {
        let req = parse(
            json!({"db_instance": "orders-pitr", "restore_time": "latest", "source_db_instance": "orders"}),
            scope(None),
        )
        .unwrap();
        assert_eq!(
            req.source,
            Source::PointInTime {
                source: "orders".into(),
                time: RestoreTime::Latest
            }
        );
    }

    #[test]
    fn bad_point_in_time_events_are_refused_naming_the_field() {
        let cases = [
            (
                json!({"db_instance": "a", "snapshot_id": "s", "restore_time": "latest", "source_db_instance": "o"}),
                "restore_time",
                "cannot be given with snapshot_id",
            ),
            (
                json!({"db_instance": "a", "source_db_instance": "o"}),
                "snapshot_id",
                "unless restore_time asks for a point-in-time restore",
            ),
            (
                json!({"db_instance": "a", "restore_time": "latest"}),
                "source_db_instance",
                "is required with restore_time",
            ),
            (
                json!({"db_instance": "a", "restore_time": "yesterday", "source_db_instance": "o"}),
                "restore_time",
                "is not an RFC 3339 time",
            ),
            (
                json!({"db_instance": "a", "restore_time": "2026-11-21 09:30", "source_db_instance": "o"}),
                "restore_time",
                "is not an RFC 3339 time",
            ),
            (
                json!({"db_instance": "a", "restore_time": "2027-01-01T00:00:00Z", "source_db_instance": "o"}),
                "restore_time",
                "is in the future (2027-01-01T00:00:00Z, now is 2026-11-22T00:00:00Z)",
            ),
            (
                json!({"db_instance": "a", "restore_time": 1795253400, "source_db_instance": "o"}),
                "restore_time",
                "invalid type",
            ),
        ];
        for (event, field, reason) in cases {
            let (f, r) = err(event.clone());
            assert_eq!(f, field, "{event}");
            assert!(r.contains(reason), "{event}: {r}");
        }
    }

    #[test]
    fn a_cluster_target_names_the_cluster_and_its_writer() {
        let req = parse(
            json!({"db_cluster": "Orders-Restored", "snapshot_id": "orders-cluster-2026-11-21",
                   "source_db_cluster": "orders"}),
            scope(None),
        )
        .unwrap();
        assert_eq!(
            req.target,
            Target::Cluster {
                id: "orders-restored".into(),
                writer: "orders-restored-writer".into()
            }
        );
        assert_eq!(req.source.source_db(), Some("orders"));
    }

    #[test]
    fn a_cluster_point_in_time_takes_a_named_writer() {
        let req = parse(
            json!({"db_cluster": "orders-pitr", "restore_time": "latest",
                   "source_db_cluster": "orders", "writer_instance": "orders-pitr-1"}),
            scope(None),
        )
        .unwrap();
        assert_eq!(req.target.instance_id(), "orders-pitr-1");
        assert_eq!(req.target.cluster_id(), Some("orders-pitr"));
    }

    #[test]
    fn bad_cluster_events_are_refused_naming_the_field() {
        let cases = [
            (
                json!({"db_instance": "a", "db_cluster": "b", "snapshot_id": "s"}),
                "db_cluster",
                "cannot be given with db_instance",
            ),
            (
                json!({"db_cluster": "b", "snapshot_id": "latest", "source_db_instance": "o"}),
                "source_db_instance",
                "does not apply to an Aurora cluster",
            ),
            (
                json!({"db_cluster": "b", "snapshot_id": "latest"}),
                "source_db_cluster",
                "is required",
            ),
            (
                json!({"db_instance": "a", "snapshot_id": "s", "source_db_cluster": "o"}),
                "source_db_cluster",
                "applies to an Aurora cluster only",
            ),
            (
                json!({"db_instance": "a", "snapshot_id": "s", "writer_instance": "w"}),
                "writer_instance",
                "applies to an Aurora cluster only",
            ),
            (
                json!({"db_cluster": "b", "snapshot_id": "s", "multi_az": true}),
                "multi_az",
                "does not apply to an Aurora cluster",
            ),
            (
                json!({"db_cluster": "b", "snapshot_id": "s", "writer_instance": "b"}),
                "writer_instance",
                "must differ from db_cluster",
            ),
            (
                json!({"db_cluster": format!("a{}", "b".repeat(60)), "snapshot_id": "s"}),
                "writer_instance",
                "is longer than 63 characters",
            ),
            (
                json!({"db_cluster": "b",
                       "snapshot_id": "arn:aws:rds:us-east-1:123456789012:snapshot:s"}),
                "snapshot_id",
                "is a snapshot ARN, but db_cluster restores from a cluster-snapshot",
            ),
        ];
        for (event, field, reason) in cases {
            let (f, r) = err(event.clone());
            assert_eq!(f, field, "{event}");
            assert!(r.contains(reason), "{event}: {r}");
        }
    }

    #[test]
    fn a_serverless_v2_capacity_range_is_carried_for_a_cluster() {
        let req = parse(
            json!({"db_cluster": "orders-dr", "snapshot_id": "s", "db_subnet_group": "dr",
                   "serverless_v2_capacity": {"min": 0.5, "max": 16}}),
            scope(None),
        )
        .unwrap();
        assert_eq!(
            req.overrides.serverless_v2_capacity,
            Some(Capacity {
                min: 0.5,
                max: 16.0
            })
        );
    }

    #[test]
    fn a_serverless_v2_capacity_range_rds_would_refuse_is_refused_naming_the_field() {
        let cases = [
            (json!({"min": 4, "max": 2}), "needs 0 <= min <= max"),
            (json!({"min": 0, "max": 0.5}), "max from 1 to 256"),
            (json!({"min": 1, "max": 512}), "max from 1 to 256"),
            (json!({"min": -1, "max": 8}), "needs 0 <= min <= max"),
            (json!({"min": 0.3, "max": 8}), "in steps of 0.5"),
            (json!({"min": 1}), "missing field `max`"),
            (
                json!({"min": 1, "max": 2, "step": 1}),
                "unknown field `step`",
            ),
        ];
        for (capacity, reason) in cases {
            let event = json!({"db_cluster": "b", "snapshot_id": "s",
                               "serverless_v2_capacity": capacity});
            let (field, r) = err(event.clone());
            assert!(
                field.starts_with("serverless_v2_capacity"),
                "{event}: {field}"
            );
            assert!(r.contains(reason), "{event}: {r}");
        }
    }

    #[test]
    fn a_serverless_v2_capacity_range_is_refused_for_an_instance() {
        let (field, reason) = err(json!({"db_instance": "a", "snapshot_id": "s",
                                         "serverless_v2_capacity": {"min": 0.5, "max": 16}}));
        assert_eq!(field, "serverless_v2_capacity");
        assert!(
            reason.contains("applies to an Aurora cluster only"),
            "{reason}"
        );
    }

    #[test]
    fn the_allowlist_holds_for_the_cluster_and_its_writer() {
        let allow = Globs::parse("orders-*");
        let result = parse(
            json!({"db_cluster": "orders-dr", "snapshot_id": "s", "writer_instance": "billing-1"}),
            scope(Some(&allow)),
        );
        match result {
            Err(Error::NotAllowed { subject, .. }) => {
                assert_eq!(subject, "writer_instance 'billing-1'")
            }
            other => panic!("expected NotAllowed, got {other:?}"),
        }
    }

    #[test]
    fn a_region_switch_step_without_a_payload_runs_the_configured_restore() {
        let configured = json!({"db_instance": "orders-dr", "snapshot_id": "latest", "source_db_instance": "orders"});
        let step = json!({"InvokedBy": "ARC Region switch", "PlanArn": "p", "ExecutionId": "e", "StepName": "s"});
        let req = parse(
            step.clone(),
            Scope {
                region_switch_restore: Some(&configured),
                ..scope(None)
            },
        )
        .unwrap();
        assert_eq!(req.target, Target::Instance("orders-dr".into()));
        assert!(req.trigger.to_string().starts_with("region-switch:p"));
        let unset = parse(step, scope(None)).unwrap_err();
        assert_eq!(unset.name(), "Misconfigured");
    }

    #[test]
    fn a_standby_event_names_the_standby_and_its_limits() {
        let req = parse(
            json!({"standby": "Orders-Replica", "region": "us-west-2", "allow_data_loss": true,
                   "max_data_loss_seconds": 60}),
            scope(None),
        )
        .unwrap();
        assert_eq!(req.target, Target::Standby("orders-replica".into()));
        assert_eq!(
            req.source,
            Source::Standby {
                standby: "orders-replica".into(),
                allow_data_loss: true,
                max_data_loss_seconds: Some(60)
            }
        );
        assert_eq!(req.region, "us-west-2");
    }

    #[test]
    fn a_latest_snapshot_restore_takes_a_data_loss_bound() {
        let req = parse(
            json!({"db_instance": "orders-dr", "snapshot_id": "latest",
                   "source_db_instance": "orders", "max_data_loss_seconds": 86400}),
            scope(None),
        )
        .unwrap();
        assert_eq!(
            req.source,
            Source::Latest {
                source: "orders".into(),
                max_data_loss_seconds: Some(86400)
            }
        );
    }

    #[test]
    fn bad_standby_events_are_refused_naming_the_field() {
        let cases = [
            (
                json!({"standby": "r", "snapshot_id": "latest"}),
                "snapshot_id",
                "cannot be given with standby",
            ),
            (
                json!({"standby": "r", "db_instance": "a"}),
                "db_instance",
                "cannot be given with standby",
            ),
            (
                json!({"standby": "r", "max_data_loss_seconds": 60000000}),
                "max_data_loss_seconds",
                "give seconds, not milliseconds",
            ),
            (
                json!({"db_instance": "a", "snapshot_id": "s", "allow_data_loss": true}),
                "allow_data_loss",
                "applies to a standby promotion only",
            ),
            (
                json!({"db_instance": "a", "snapshot_id": "s", "max_data_loss_seconds": 60}),
                "max_data_loss_seconds",
                "or to the latest snapshot",
            ),
            (
                json!({"db_instance": "a", "snapshot_id": "latest", "source_db_instance": "o",
                       "max_data_loss_seconds": 60000000}),
                "max_data_loss_seconds",
                "give seconds, not milliseconds",
            ),
            (
                json!({"standby": "1r"}),
                "standby",
                "must start with a letter",
            ),
            (
                json!({"standby": "r", "max_data_loss_seconds": -1}),
                "max_data_loss_seconds",
                "invalid value",
            ),
        ];
        for (event, field, reason) in cases {
            let (f, r) = err(event.clone());
            assert_eq!(f, field, "{event}");
            assert!(r.contains(reason), "{event}: {r}");
        }
    }
}
