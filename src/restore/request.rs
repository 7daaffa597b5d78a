//! The restore event: decoding and validation, before any AWS call.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::error::Error;
use crate::validate::{self, Globs, SnapshotId};

/// The restore event as it arrives (`events/restore-database*.json`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequest {
    db_instance: String,
    snapshot_id: String,
    #[serde(default)]
    source_db_instance: Option<String>,
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
    dry_run: Option<bool>,
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
    Latest { source: String },
}

impl Source {
    /// The source database the event names, if any.
    pub fn source_db(&self) -> Option<&str> {
        match self {
            Source::Named { source, .. } => source.as_deref(),
            Source::Latest { source } => Some(source),
        }
    }

    /// The snapshot as the event spelled it (`latest` for the newest).
    pub fn requested_snapshot(&self) -> &str {
        match self {
            Source::Named { snapshot, .. } => snapshot,
            Source::Latest { .. } => "latest",
        }
    }

    /// How a message names this source.
    pub fn describe(&self) -> String {
        match self {
            Source::Named { snapshot, .. } => format!("'{snapshot}'"),
            Source::Latest { source } => format!("the latest snapshot of '{source}'"),
        }
    }
}

/// What the restore creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A new DB instance of this identifier.
    Instance(String),
}

impl Target {
    /// The identifier of the instance the result reports.
    pub fn instance_id(&self) -> &str {
        match self {
            Target::Instance(id) => id,
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
    pub overrides: Overrides,
    pub dry_run: bool,
}

/// What the function's configuration and invocation bound a request by.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// `RESTORE_ALLOWED_INSTANCES`.
    pub allowlist: Option<&'a Globs>,
    /// The function's own region: the default target.
    pub home_region: &'a str,
    /// The function's own account, when the runtime says it.
    pub account_id: Option<&'a str>,
}

// Our own tags take part of RDS's 50-tag limit; leave room for them and the source's.
const MAX_EVENT_TAGS: usize = 20;

/// Decodes and validates a restore event. No AWS call is made.
pub fn parse(event: Value, scope: Scope<'_>) -> Result<RestoreRequest, Error> {
    let raw: RawRequest = validate::decode(event)?;
    let check = |field: &str, result: Result<(), String>| {
        result.map_err(|reason| Error::invalid(field, reason))
    };

    // RDS stores identifiers in lower case: compare, allow and tag them so.
    check(
        "db_instance",
        validate::db_instance_identifier(&raw.db_instance),
    )?;
    let db_instance = raw.db_instance.to_ascii_lowercase();
    let source_db = match &raw.source_db_instance {
        Some(source) => {
            check(
                "source_db_instance",
                validate::db_instance_identifier(source),
            )?;
            Some(source.to_ascii_lowercase())
        }
        None => None,
    };
    if let Some(region) = &raw.region {
        check("region", validate::region_name(region))?;
    }
    let region = raw
        .region
        .clone()
        .unwrap_or_else(|| scope.home_region.to_owned());
    let source = match (raw.snapshot_id.as_str(), source_db) {
        ("latest", Some(source)) => Source::Latest { source },
        ("latest", None) => {
            return Err(Error::invalid(
                "source_db_instance",
                "is required with \"snapshot_id\": \"latest\" (whose newest snapshot?)",
            ));
        }
        (snapshot, source) => Source::Named {
            snapshot: own_snapshot(snapshot, &region, scope.account_id)?,
            source,
        },
    };
    if let Some(class) = &raw.db_instance_class {
        check("db_instance_class", validate::db_instance_class(class))?;
    }
    for (field, value) in [
        ("db_subnet_group", &raw.db_subnet_group),
        ("db_parameter_group", &raw.db_parameter_group),
        ("option_group", &raw.option_group),
    ] {
        if let Some(name) = value {
            check(field, validate::group_name(name))?;
        }
    }
    if let Some(groups) = &raw.vpc_security_group_ids {
        if groups.is_empty() {
            return Err(Error::invalid(
                "vpc_security_group_ids",
                "must not be empty; leave the field out to keep the source's groups",
            ));
        }
        for (i, id) in groups.iter().enumerate() {
            check(
                &format!("vpc_security_group_ids[{i}]"),
                validate::security_group_id(id),
            )?;
        }
    }
    let tags = raw.tags.unwrap_or_default();
    if tags.len() > MAX_EVENT_TAGS {
        return Err(Error::invalid(
            "tags",
            format!("at most {MAX_EVENT_TAGS} tags (got {})", tags.len()),
        ));
    }
    for (key, value) in &tags {
        check("tags", validate::tag_key(key))?;
        check(&format!("tags.{key}"), validate::tag_value(value))?;
        if key.starts_with(super::tags::TAG_PREFIX) {
            return Err(Error::invalid(
                "tags",
                format!("tag key {key:?} is reserved for dr-lambdas' own bookkeeping"),
            ));
        }
    }
    if let Some(allowed) = scope.allowlist
        && !allowed.matches(&db_instance)
    {
        return Err(Error::NotAllowed {
            subject: format!("db_instance '{db_instance}'"),
            variable: "RESTORE_ALLOWED_INSTANCES",
            allowed: allowed.display(),
        });
    }

    Ok(RestoreRequest {
        target: Target::Instance(db_instance),
        source,
        region,
        overrides: Overrides {
            db_instance_class: raw.db_instance_class,
            db_subnet_group: raw.db_subnet_group,
            vpc_security_group_ids: raw.vpc_security_group_ids,
            db_parameter_group: raw.db_parameter_group,
            option_group: raw.option_group,
            multi_az: raw.multi_az,
            publicly_accessible: raw.publicly_accessible,
            tags,
        },
        dry_run: raw.dry_run.unwrap_or(false),
    })
}

/// The snapshot to restore, as RDS in `region` will take it: a name, or an
/// ARN of this account in that region, which becomes its name.
///
/// A snapshot of another region cannot be restored here, and one of another
/// account is refused: the role may restore only its own account's, and RDS
/// cannot restore a shared encrypted snapshot at all.
fn own_snapshot(id: &str, region: &str, account: Option<&str>) -> Result<String, Error> {
    let snapshot =
        validate::snapshot_identifier(id).map_err(|r| Error::invalid("snapshot_id", r))?;
    match snapshot {
        SnapshotId::Name(name) => Ok(name.to_owned()),
        SnapshotId::Arn { region: other, .. } if other != region => Err(Error::invalid(
            "snapshot_id",
            format!(
                "is a snapshot in {other}, but the restore is in {region}: RDS restores only snapshots of \
                 its own region. Copy it first (aws rds copy-db-snapshot --region {region} \
                 --source-db-snapshot-identifier <ARN> --target-db-snapshot-identifier <name>), or set \
                 \"region\": \"{other}\""
            ),
        )),
        SnapshotId::Arn { account: other, .. } if account.is_some_and(|a| a != other) => {
            Err(Error::invalid(
                "snapshot_id",
                format!(
                    "is a snapshot of account {other}; this function restores only its own account's \
                     snapshots (RDS cannot restore a shared encrypted snapshot at all). Copy it into this \
                     account first (aws rds copy-db-snapshot --source-db-snapshot-identifier <ARN> \
                     --target-db-snapshot-identifier <name> --kms-key-id <your key>), then restore the copy"
                ),
            ))
        }
        // Our own account's ARN is the name in this region. With the account
        // unknown, the ARN goes to RDS as it is, which finds only our own.
        SnapshotId::Arn { name, .. } if account.is_some() => Ok(name.to_owned()),
        SnapshotId::Arn { .. } => Ok(id.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const ACCOUNT: &str = "123456789012";

    fn scope(allowlist: Option<&Globs>) -> Scope<'_> {
        Scope {
            allowlist,
            home_region: "us-east-1",
            account_id: Some(ACCOUNT),
        }
    }

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
                source: "orders".into()
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
                "event",
                "missing field `db_instance`",
            ),
            (
                json!({"db_instance": "a"}),
                "event",
                "missing field `snapshot_id`",
            ),
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
                source: "orders".into()
            }
        );
    }

    #[test]
    fn an_aws_backup_recovery_point_is_a_snapshot() {
        let req = parse(
            json!({"db_instance": "orders-dr", "snapshot_id": "awsbackup:job-be59cf2a-2343-4402-bd8b-226993d23453"}),
            scope(None),
        )
        .unwrap();
        assert_eq!(
            req.source.requested_snapshot(),
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
        assert_eq!(
            req.source.requested_snapshot(),
            "rds:orders-2026-11-21-03-10"
        );
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
        assert_eq!(req.source.requested_snapshot(), arn);
    }
}
