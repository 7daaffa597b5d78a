//! Pure checks on event fields, run before any AWS call.
//!
//! Each check returns the reason as text; the caller names the field.

use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::Error;

/// Decodes a JSON event into `T`, naming the field at fault on failure.
pub fn decode<T: DeserializeOwned>(event: Value) -> Result<T, Error> {
    // serde would also accept a struct from an array, by position; refuse that
    // shape here so the message says what is wrong.
    require_object(&event)?;
    serde_path_to_error::deserialize(event).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." {
            "event".to_owned()
        } else {
            path
        };
        Error::invalid(field, without_type_names(&e.into_inner().to_string()))
    })
}

/// serde names the Rust type it expected ("expected struct SnsMessage"); an
/// operator needs the JSON shape instead.
fn without_type_names(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest
        .find("expected struct ")
        .or_else(|| rest.find("expected enum "))
    {
        let (head, tail) = rest.split_at(at);
        out.push_str(head);
        let after_kind = tail.splitn(3, ' ').nth(2).unwrap_or_default();
        let ident_len = after_kind
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(after_kind.len());
        out.push_str(if tail.starts_with("expected struct") {
            "expected a JSON object"
        } else {
            "expected one of the documented values"
        });
        rest = &after_kind[ident_len..];
    }
    out.push_str(rest);
    out
}

/// Parses the raw payload. serde_json refuses nesting deeper than 128 levels
/// here, as our error rather than the runtime's.
pub fn event_from_raw(raw: &RawValue) -> Result<Value, Error> {
    serde_json::from_str(raw.get())
        .map_err(|e| Error::invalid("event", format!("is not usable JSON ({e})")))
}

/// Refuses an event that is not a JSON object, saying what it is instead.
pub fn require_object(event: &Value) -> Result<(), Error> {
    let kind = match event {
        Value::Object(_) => return Ok(()),
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
    };
    Err(Error::invalid(
        "event",
        format!("must be a JSON object, got {kind}"),
    ))
}

/// An RDS DB instance identifier: 1–63 letters, digits or hyphens; the first
/// a letter; no trailing hyphen and no two hyphens in a row.
pub fn db_instance_identifier(id: &str) -> Result<(), String> {
    rds_name(id, 63)
}

/// A valid snapshot reference, as the event gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotId<'a> {
    /// A name in the target region: manual, automated (`rds:`) or AWS Backup (`awsbackup:`).
    Name(&'a str),
    /// A snapshot ARN, whose region and account may not be the function's.
    Arn {
        /// `snapshot`, or `cluster-snapshot` for an Aurora cluster's.
        kind: &'a str,
        region: &'a str,
        account: &'a str,
        /// The snapshot's name, as [`SnapshotId::Name`] would hold it.
        name: &'a str,
    },
}

/// A snapshot reference: a manual snapshot identifier (up to 255 characters,
/// the instance identifier rules otherwise), an automated `rds:` name, an AWS
/// Backup recovery point (`awsbackup:job-...`), or a snapshot (or cluster
/// snapshot) ARN of any of them.
pub fn snapshot_identifier(id: &str) -> Result<SnapshotId<'_>, String> {
    if let Some(rest) = id.strip_prefix("arn:") {
        return snapshot_arn(rest);
    }
    snapshot_name(id)?;
    Ok(SnapshotId::Name(id))
}

fn snapshot_name(name: &str) -> Result<(), String> {
    let bare = name
        .strip_prefix("rds:")
        .or_else(|| name.strip_prefix("awsbackup:"))
        .unwrap_or(name);
    rds_name(bare, 255)
}

fn snapshot_arn(rest: &str) -> Result<SnapshotId<'_>, String> {
    // arn:<partition>:rds:<region>:<account>:snapshot:<name> (or cluster-snapshot)
    let parts: Vec<&str> = rest.splitn(6, ':').collect();
    let [partition, service, region, account, kind, name] = parts[..] else {
        return Err("is not a snapshot ARN (arn:aws:rds:REGION:ACCOUNT:snapshot:NAME)".to_owned());
    };
    if !partition.starts_with("aws")
        || service != "rds"
        || !matches!(kind, "snapshot" | "cluster-snapshot")
    {
        return Err(
            "is not an RDS snapshot ARN (arn:aws:rds:REGION:ACCOUNT:snapshot:NAME)".to_owned(),
        );
    }
    region_name(region).map_err(|r| format!("has a region that {r}"))?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err("has an account id that is not 12 digits".to_owned());
    }
    snapshot_name(name).map_err(|r| format!("has a snapshot name that {r}"))?;
    Ok(SnapshotId::Arn {
        kind,
        region,
        account,
        name,
    })
}

fn rds_name(id: &str, max: usize) -> Result<(), String> {
    if id.is_empty() {
        return Err("must not be empty".to_owned());
    }
    if id.len() > max {
        return Err(format!(
            "must be at most {max} characters (got {})",
            id.chars().count()
        ));
    }
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Err(format!(
            "may hold only letters, digits and hyphens (found {c:?})"
        ));
    }
    if !id.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err("must start with a letter".to_owned());
    }
    if id.ends_with('-') {
        return Err("must not end with a hyphen".to_owned());
    }
    if id.contains("--") {
        return Err("must not contain two hyphens in a row".to_owned());
    }
    Ok(())
}

/// An AWS region name such as `us-east-1` or `us-gov-west-1`.
pub fn region_name(region: &str) -> Result<(), String> {
    let parts: Vec<&str> = region.split('-').collect();
    let ok = parts.len() >= 3
        && region.len() <= 32
        && (2..=4).contains(&parts[0].len())
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1]
            .parse::<u8>()
            .is_ok_and(|n| n > 0 && !parts[parts.len() - 1].starts_with('0'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "is not an AWS region name like us-east-1 (got {region:?})"
        ))
    }
}

/// A Route 53 health check id: a UUID such as `abcdef01-2345-6789-abcd-ef0123456789`.
pub fn health_check_id(id: &str) -> Result<(), String> {
    let groups: Vec<&str> = id.split('-').collect();
    let shape = [8, 4, 4, 4, 12];
    if groups.len() == shape.len()
        && groups.iter().zip(shape).all(|(g, n)| {
            g.len() == n
                && g.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
    {
        Ok(())
    } else {
        Err(format!(
            "is not a health check id like abcdef01-2345-6789-abcd-ef0123456789 (got {id:?})"
        ))
    }
}

/// An ARN of Route 53 ARC's control configuration: a safety rule
/// (`.../safetyrule/<id>`) or a routing control (`.../routingcontrol/<id>`).
fn recovery_control_arn(arn: &str, kind: &str) -> Result<(), String> {
    // arn:aws:route53-recovery-control::123456789012:controlpanel/<id>/<kind>/<id>
    let ok = arn.len() <= 255
        && arn.starts_with("arn:aws")
        && arn.split(':').nth(2) == Some("route53-recovery-control")
        && arn.contains(&format!("/{kind}/"))
        && arn
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/:._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "is not a {kind} ARN like arn:aws:route53-recovery-control::123456789012:controlpanel/<id>/{kind}/<id> (got {arn:?})"
        ))
    }
}

/// An ARC safety rule ARN.
pub fn safety_rule_arn(arn: &str) -> Result<(), String> {
    recovery_control_arn(arn, "safetyrule")
}

/// An ARC routing control ARN.
pub fn routing_control_arn(arn: &str) -> Result<(), String> {
    recovery_control_arn(arn, "routingcontrol")
}

/// A DB instance class such as `db.r6g.large`, or Aurora Serverless v2's
/// `db.serverless` (the one class of two parts).
pub fn db_instance_class(class: &str) -> Result<(), String> {
    let ok = class.len() <= 64
        && class.starts_with("db.")
        && (class.split('.').count() >= 3 || class == "db.serverless")
        && class
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "is not a DB instance class like db.r6g.large (got {class:?})"
        ))
    }
}

/// A VPC security group id such as `sg-0123456789abcdef0`.
pub fn security_group_id(id: &str) -> Result<(), String> {
    let hex = id.strip_prefix("sg-").unwrap_or("");
    if (8..=17).contains(&hex.len())
        && hex
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        Ok(())
    } else {
        Err(format!(
            "is not a security group id like sg-0123456789abcdef0 (got {id:?})"
        ))
    }
}

/// The name of a DB subnet group, parameter group or option group
/// (default option groups hold a colon: `default:postgres-15`).
pub fn group_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 255 {
        return Err("must be 1 to 255 characters".to_owned());
    }
    match name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')))
    {
        Some(c) => Err(format!(
            "may hold only letters, digits, '-', '_', '.' and ':' (found {c:?})"
        )),
        None => Ok(()),
    }
}

/// The prefix of the tags dr-lambdas writes for its own bookkeeping
/// (`restore::tags`): an event may not set them.
pub const OWN_TAG_PREFIX: &str = "dr-lambdas:";

/// The tag that marks what a drill created; its value is the drill's marker
/// (its execution's name, in RDS's tag characters). The drill's cleanup
/// deletes only what carries it.
pub const DRILL_TAG: &str = "dr-lambdas:drill";

/// The length of a drill's identifier suffix: `-d` and 8 lower-case hex digits.
pub const DRILL_SUFFIX_LEN: usize = 10;

/// Whether `id` is a drill's identifier: it ends in `-d` and 8 lower-case
/// hex digits (`orders-dr-d1a2b3c4e`), a shape production names do not take
/// by accident, and the one the drill's IAM delete right is limited to.
pub fn is_drill_identifier(id: &str) -> bool {
    let Some(at) = id.len().checked_sub(DRILL_SUFFIX_LEN) else {
        return false;
    };
    let Some(suffix) = id.get(at..) else {
        return false;
    };
    at > 0
        && suffix.starts_with("-d")
        && suffix[2..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A drill's marker: 1–80 characters (an execution's name, at most), RDS's
/// tag characters.
pub fn drill_marker(marker: &str) -> Result<(), String> {
    if marker.is_empty() || marker.chars().count() > 80 {
        return Err("must be 1 to 80 characters".to_owned());
    }
    tag_value(marker)
}

/// A resource tag key an event may set: 1–128 characters, not in the
/// reserved `aws:` and `rds:` spaces, nor in dr-lambdas' own.
pub fn tag_key(key: &str) -> Result<(), String> {
    if key.is_empty() || key.chars().count() > 128 {
        return Err("a tag key must be 1 to 128 characters".to_owned());
    }
    let lower = key.to_ascii_lowercase();
    if lower.starts_with("aws:") || lower.starts_with("rds:") {
        return Err(format!(
            "tag key {key:?} is in a reserved space (aws:, rds:)"
        ));
    }
    if key.starts_with(OWN_TAG_PREFIX) {
        return Err(format!(
            "tag key {key:?} is reserved for dr-lambdas' own bookkeeping"
        ));
    }
    tag_chars(key)
}

/// A resource tag value: at most 256 characters, not starting with `aws:` or
/// `rds:` (RDS refuses both).
pub fn tag_value(value: &str) -> Result<(), String> {
    if value.chars().count() > 256 {
        return Err("a tag value must be at most 256 characters".to_owned());
    }
    let lower = value.to_ascii_lowercase();
    if lower.starts_with("aws:") || lower.starts_with("rds:") {
        return Err(format!(
            "tag value {value:?} starts with aws: or rds:, which RDS refuses"
        ));
    }
    tag_chars(value)
}

fn tag_chars(text: &str) -> Result<(), String> {
    // The character set RDS accepts in tags: letters, digits, spaces and _ . : / = + - @
    match text.chars().find(|c| {
        !(c.is_alphanumeric() || matches!(c, ' ' | '_' | '.' | ':' | '/' | '=' | '+' | '-' | '@'))
    }) {
        Some(c) => Err(format!(
            "tags may hold only letters, digits, spaces and _ . : / = + - @ (found {c:?})"
        )),
        None => Ok(()),
    }
}

/// A list of glob patterns (`*` any run, `?` one character), e.g. from an
/// allowlist variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Globs(Vec<String>);

impl Globs {
    /// Parses a comma-separated list; blanks between commas are dropped.
    pub fn parse(list: &str) -> Self {
        Globs(
            list.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
        )
    }

    /// Whether any pattern matches all of `text`.
    pub fn matches(&self, text: &str) -> bool {
        self.0
            .iter()
            .any(|p| glob_match(p.as_bytes(), text.as_bytes()))
    }

    /// Whether the list holds no pattern at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The patterns, comma-separated, for messages.
    pub fn display(&self) -> String {
        self.0.join(",")
    }
}

// Iterative matcher with one back-track point: linear in practice, no recursion.
fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_nested_past_the_limit_is_an_invalid_request() {
        let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        let raw = RawValue::from_string(deep).unwrap();
        let err = event_from_raw(&raw).unwrap_err();
        assert_eq!(err.name(), "InvalidRequest");
        assert!(
            err.to_string().contains("recursion limit exceeded"),
            "{err}"
        );
    }

    #[test]
    fn decode_errors_name_json_shapes_not_rust_types() {
        assert_eq!(
            without_type_names("invalid type: integer `1`, expected struct CloudWatchAlarmData"),
            "invalid type: integer `1`, expected a JSON object"
        );
        assert_eq!(
            without_type_names("invalid type: null, expected enum Kind at line 1"),
            "invalid type: null, expected one of the documented values at line 1"
        );
        assert_eq!(without_type_names("missing field `x`"), "missing field `x`");
    }

    #[test]
    fn good_instance_identifiers_pass() {
        for id in [
            "a",
            "ecommerce-db",
            "orders-db-restored-2025",
            &format!("a{}", "b".repeat(62)),
        ] {
            assert_eq!(db_instance_identifier(id), Ok(()), "{id}");
        }
    }

    #[test]
    fn bad_instance_identifiers_say_why() {
        let cases = [
            ("", "must not be empty"),
            ("1db", "must start with a letter"),
            ("db-", "must not end with a hyphen"),
            ("db--x", "must not contain two hyphens in a row"),
            (
                "db x",
                "may hold only letters, digits and hyphens (found ' ')",
            ),
            (
                "db;rm",
                "may hold only letters, digits and hyphens (found ';')",
            ),
            (
                "dbé",
                "may hold only letters, digits and hyphens (found 'é')",
            ),
        ];
        for (id, why) in cases {
            assert_eq!(db_instance_identifier(id), Err(why.to_owned()), "{id}");
        }
        assert_eq!(
            db_instance_identifier(&"a".repeat(64)),
            Err("must be at most 63 characters (got 64)".to_owned())
        );
    }

    #[test]
    fn snapshot_names_of_every_kind_pass() {
        for id in [
            "snapshot-2025-05-12",
            "rds:ecommerce-db-2025-05-12-03-10",
            "awsbackup:job-be59cf2a-2343-4402-bd8b-226993d23453",
        ] {
            assert_eq!(snapshot_identifier(id), Ok(SnapshotId::Name(id)), "{id}");
        }
    }

    #[test]
    fn snapshot_arns_give_their_region_account_and_name() {
        for name in [
            "snapshot-2025-05-12",
            "rds:ecommerce-db-2025-05-12-03-10",
            "awsbackup:job-be59cf2a-2343-4402-bd8b-226993d23453",
        ] {
            let arn = format!("arn:aws:rds:us-west-2:123456789012:snapshot:{name}");
            assert_eq!(
                snapshot_identifier(&arn),
                Ok(SnapshotId::Arn {
                    kind: "snapshot",
                    region: "us-west-2",
                    account: "123456789012",
                    name
                }),
                "{arn}"
            );
        }
    }

    #[test]
    fn malformed_snapshot_references_fail() {
        for id in [
            "",
            "rds:",
            "9snap",
            "arn:aws:s3:::bucket",
            "arn:aws:rds:us-east-1:123:snapshot:s",
            "arn:aws:rds:us-east-1:123456789012:db:s",
        ] {
            assert!(snapshot_identifier(id).is_err(), "{id}");
        }
    }

    #[test]
    fn region_names_follow_the_aws_shape() {
        for ok in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "ap-southeast-4",
            "eusc-de-east-1",
        ] {
            assert_eq!(region_name(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "us-east",
            "US-EAST-1",
            "us_east_1",
            "useast1",
            "us-east-01",
            "us-east-0",
            "u-east-1",
        ] {
            assert!(region_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn security_group_ids_are_sg_and_lowercase_hex() {
        assert_eq!(security_group_id("sg-0123456789abcdef0"), Ok(()));
        assert_eq!(security_group_id("sg-1234abcd"), Ok(()));
        assert!(security_group_id("sg-XYZ").is_err());
        assert!(security_group_id("0123456789abcdef0").is_err());
    }

    #[test]
    fn instance_classes_start_with_db() {
        assert_eq!(db_instance_class("db.r6g.large"), Ok(()));
        assert_eq!(db_instance_class("db.serverless"), Ok(()));
        assert!(db_instance_class("db.r6g").is_err());
        assert!(db_instance_class("r6g.large").is_err());
        assert!(db_instance_class("db..large").is_err());
    }

    #[test]
    fn tag_keys_and_values_in_the_reserved_spaces_are_refused() {
        assert!(tag_key("aws:cloudformation:stack-name").is_err());
        assert!(tag_key("rds:x").is_err());
        assert_eq!(
            tag_key("dr-lambdas:provenance"),
            Err(
                "tag key \"dr-lambdas:provenance\" is reserved for dr-lambdas' own bookkeeping"
                    .into()
            )
        );
        assert_eq!(tag_key("team"), Ok(()));
        assert!(tag_value("a;b").is_err());
        assert!(tag_value("rds:orders-2026-11-21").is_err());
        assert_eq!(tag_value("snapshot:rds:orders-2026-11-21"), Ok(()));
    }

    #[test]
    fn globs_match_whole_identifiers() {
        let g = Globs::parse("orders-*, ecommerce-db-restored ,db-?");
        assert!(g.matches("orders-restored"));
        assert!(g.matches("ecommerce-db-restored"));
        assert!(g.matches("db-1"));
        assert!(!g.matches("db-12"));
        assert!(!g.matches("my-orders-x"));
        assert!(!g.matches("ecommerce-db-restored-2"));
    }

    #[test]
    fn an_empty_glob_list_matches_nothing() {
        let g = Globs::parse(" , ");
        assert!(g.is_empty());
        assert!(!g.matches("anything"));
    }
}
