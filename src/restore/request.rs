//! The restore event: decoding and validation, before any AWS call.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::error::Error;
use crate::validate::{self, Globs};

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
    pub tags: BTreeMap<String, String>,
}

/// A validated restore request.
#[derive(Debug, Clone, PartialEq)]
pub struct RestoreRequest {
    /// What to create (always NEW).
    pub target: Target,
    /// What to restore from.
    pub source: Source,
    /// Target region; `None` means the function's own region.
    pub region: Option<String>,
    pub overrides: Overrides,
    pub dry_run: bool,
}

// Our own tags take part of RDS's 50-tag limit; leave room for them and the source's.
const MAX_EVENT_TAGS: usize = 20;

/// Decodes and validates a restore event. No AWS call is made.
pub fn parse(event: Value, allowlist: Option<&Globs>) -> Result<RestoreRequest, Error> {
    let raw: RawRequest = validate::decode(event)?;
    let check = |field: &str, result: Result<(), String>| {
        result.map_err(|reason| Error::invalid(field, reason))
    };

    check(
        "db_instance",
        validate::db_instance_identifier(&raw.db_instance),
    )?;
    if let Some(source) = &raw.source_db_instance {
        check(
            "source_db_instance",
            validate::db_instance_identifier(source),
        )?;
    }
    let source = match (raw.snapshot_id.as_str(), raw.source_db_instance) {
        ("latest", Some(source)) => Source::Latest { source },
        ("latest", None) => {
            return Err(Error::invalid(
                "source_db_instance",
                "is required with \"snapshot_id\": \"latest\" (whose newest snapshot?)",
            ));
        }
        (snapshot, source) => {
            check("snapshot_id", validate::snapshot_identifier(snapshot))?;
            Source::Named {
                snapshot: snapshot.to_owned(),
                source,
            }
        }
    };
    if let Some(region) = &raw.region {
        check("region", validate::region_name(region))?;
    }
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
    if let Some(allowed) = allowlist
        && !allowed.matches(&raw.db_instance)
    {
        return Err(Error::NotAllowed {
            subject: format!("db_instance '{}'", raw.db_instance),
            variable: "RESTORE_ALLOWED_INSTANCES",
            allowed: allowed.display(),
        });
    }

    Ok(RestoreRequest {
        target: Target::Instance(raw.db_instance),
        source,
        region: raw.region,
        overrides: Overrides {
            db_instance_class: raw.db_instance_class,
            db_subnet_group: raw.db_subnet_group,
            vpc_security_group_ids: raw.vpc_security_group_ids,
            db_parameter_group: raw.db_parameter_group,
            option_group: raw.option_group,
            multi_az: raw.multi_az,
            tags,
        },
        dry_run: raw.dry_run.unwrap_or(false),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn err(event: Value) -> (String, String) {
        match parse(event, None) {
            Err(Error::InvalidRequest { field, reason }) => (field, reason),
            other => panic!("expected InvalidRequest, got {other:?}"),
        }
    }

    #[test]
    fn the_documented_minimal_event_parses() {
        let req = parse(
            json!({"db_instance": "ecommerce-db-restored", "snapshot_id": "snapshot-2025-05-12"}),
            None,
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
        assert_eq!(req.region, None);
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
            None,
        )
        .unwrap();
        assert_eq!(
            req.source,
            Source::Latest {
                source: "orders".into()
            }
        );
        assert_eq!(req.region.as_deref(), Some("us-west-2"));
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
            Some(&allow),
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
            Some(&allow),
        )
        .unwrap();
        assert_eq!(req.target, Target::Instance("orders-dr".into()));
    }
}
