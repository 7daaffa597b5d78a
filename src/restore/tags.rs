//! The tags a restore writes, and what they say about an existing instance.
//!
//! One tag, `dr-lambdas:provenance`, says what a restore was asked to do
//! (`snapshot:<id>`, `latest:<source>`, `pitr:<source>@<time|latest>`,
//! `standby:<id>`), so
//! that recognising a replay is one comparison whatever the source. Instances restored by earlier versions
//! carry `requested-snapshot` and `source-instance` instead; they are still
//! read.

use aws_sdk_rds::primitives::{DateTime, DateTimeFormat};

use super::facts::Tag;
use super::request::{RestoreRequest, Source, rfc3339};

/// Prefix of the tags dr-lambdas writes on what it restores (the event's
/// own tags may not use it: `validate::tag_key`).
pub const TAG_PREFIX: &str = crate::validate::OWN_TAG_PREFIX;
/// What the restore was asked to do: see [`provenance`].
pub const TAG_PROVENANCE: &str = "dr-lambdas:provenance";
/// What the data came from, `latest` resolved: `snapshot:<id>`. (A raw
/// automated snapshot name would start with `rds:`, which RDS refuses in a
/// tag value.)
pub const TAG_RESTORED_FROM: &str = "dr-lambdas:restored-from";
/// The moment the restored data is from (RFC 3339), `latest` resolved.
pub const TAG_RECOVERY_POINT: &str = "dr-lambdas:recovery-point";
/// When the restore was asked for (RFC 3339): what the data loss is counted from.
pub const TAG_REQUESTED_AT: &str = "dr-lambdas:requested-at";
/// The Lambda request id of the invocation that started the restore.
pub const TAG_REQUEST_ID: &str = "dr-lambdas:request-id";
/// Written by earlier versions: the snapshot, `latest` resolved.
pub const LEGACY_TAG_SNAPSHOT: &str = "dr-lambdas:restored-from-snapshot";
/// Written by earlier versions: the snapshot as requested, or `latest`.
pub const LEGACY_TAG_REQUESTED: &str = "dr-lambdas:requested-snapshot";
/// Written by earlier versions: the instance whose snapshot it was.
pub const LEGACY_TAG_SOURCE: &str = "dr-lambdas:source-instance";

/// RDS allows 50 tags per resource.
pub const MAX_TAGS: usize = 50;
/// RDS allows tag values of 256 characters.
pub const MAX_VALUE: usize = 256;

/// What a request asks for, as its provenance tag says it.
pub fn provenance(source: &Source) -> String {
    fit(&match source {
        Source::Named { snapshot, .. } => format!("snapshot:{snapshot}"),
        Source::Latest { source, .. } => format!("latest:{source}"),
        Source::PointInTime { source, time } => format!("pitr:{source}@{}", time.as_text()),
        Source::Standby { standby, .. } => format!("standby:{standby}"),
    })
}

/// `value`, cut to fit a tag value: a value longer than RDS allows keeps its
/// head and ends in a hash of the whole, so that two long values still
/// compare as they would uncut.
///
/// The hash follows a `+`: RDS tag values hold only letters, digits, white
/// space and `_ . : / = + - @` (a `#` would get the whole restore refused).
pub fn fit(value: &str) -> String {
    if value.chars().count() <= MAX_VALUE {
        return value.to_owned();
    }
    let hash = format!("+{:016x}", fnv1a(value.as_bytes()));
    let head: String = value.chars().take(MAX_VALUE - hash.len()).collect();
    head + &hash
}

// FNV-1a, 64 bits: stable across versions and platforms, unlike std's hasher.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// What a restore resolved its request to, as its tags record it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The snapshot restored, for a snapshot restore.
    pub snapshot_id: Option<String>,
    /// The moment the data is from, when RDS said.
    pub recovery_point: Option<DateTime>,
    /// When the restore was asked for.
    pub requested_at: Option<DateTime>,
}

/// dr-lambdas' own tags for a restore asked for by `req` and resolved to `recorded`.
pub fn own_tags(req: &RestoreRequest, recorded: &Recorded, request_id: &str) -> Vec<Tag> {
    let mut own = vec![Tag::new(TAG_PROVENANCE, &provenance(&req.source))];
    if let Some(id) = &recorded.snapshot_id {
        own.push(Tag::new(TAG_RESTORED_FROM, &fit(&format!("snapshot:{id}"))));
    }
    if let Some(point) = recorded.recovery_point {
        own.push(Tag::new(TAG_RECOVERY_POINT, &rfc3339(point)));
    }
    if let Some(at) = recorded.requested_at {
        own.push(Tag::new(TAG_REQUESTED_AT, &rfc3339(at)));
    }
    own.push(Tag::new(TAG_REQUEST_ID, &fit(request_id)));
    if let Some(marker) = &req.drill {
        own.push(Tag::new(crate::validate::DRILL_TAG, marker));
    }
    own
}

/// What an existing restore's tags record (those written before the
/// recovery-point tags existed give the snapshot only).
pub fn recorded(tag: impl Fn(&str) -> Option<String>) -> Recorded {
    let time = |key| {
        tag(key).and_then(|t| DateTime::from_str(&t, DateTimeFormat::DateTimeWithOffset).ok())
    };
    Recorded {
        snapshot_id: tag(TAG_RESTORED_FROM)
            .and_then(|v| v.strip_prefix("snapshot:").map(str::to_owned))
            .or_else(|| tag(LEGACY_TAG_SNAPSHOT)),
        recovery_point: time(TAG_RECOVERY_POINT),
        requested_at: time(TAG_REQUESTED_AT),
    }
}

/// The full tag list: the source's, then the event's, then ours.
///
/// Precedence: ours, then the event's, then the source's. The source's are
/// the ones dropped when RDS's 50-tag limit is reached. aws: tags cannot be
/// set by a caller, and the source's own dr-lambdas tags (it may be a
/// restored instance itself) would mislead a replay.
pub fn merge(copied: &[(String, String)], req: &RestoreRequest, own: Vec<Tag>) -> Vec<Tag> {
    let event = &req.overrides.tags;
    let mut tags: Vec<Tag> = copied
        .iter()
        .filter(|(key, _)| {
            !key.starts_with("aws:") && !key.starts_with(TAG_PREFIX) && !event.contains_key(key)
        })
        .map(|(key, value)| Tag::new(key, value))
        .collect();
    tags.truncate(MAX_TAGS.saturating_sub(own.len() + event.len()));
    tags.extend(event.iter().map(|(key, value)| Tag::new(key, value)));
    tags.extend(own);
    tags
}

/// The provenances an existing resource's tags stand for: one for what this
/// version writes, up to two for an earlier version's tags (the snapshot as
/// requested, and as resolved). Empty: not restored by dr-lambdas.
fn provenances_of(tag: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    if let Some(p) = tag(TAG_PROVENANCE) {
        return vec![p];
    }
    let Some(restored_from) = tag(LEGACY_TAG_SNAPSHOT) else {
        return Vec::new();
    };
    match tag(LEGACY_TAG_REQUESTED) {
        Some(requested) if requested == "latest" => {
            vec![fit(&format!(
                "latest:{}",
                tag(LEGACY_TAG_SOURCE).unwrap_or_default()
            ))]
        }
        // A request may have named the snapshot by ARN while RDS reports its
        // plain identifier: either matches.
        Some(requested) => vec![
            fit(&format!("snapshot:{requested}")),
            fit(&format!("snapshot:{restored_from}")),
        ],
        None => vec![fit(&format!("snapshot:{restored_from}"))],
    }
}

/// Whether a resource tagged so is this request's earlier work; `Err` says
/// what it is instead.
pub fn same_request(
    req: &RestoreRequest,
    tag: impl Fn(&str) -> Option<String>,
) -> Result<(), String> {
    // A drill's restore and a recovery's are never each other's replay,
    // nor two drills'.
    let drill = tag(crate::validate::DRILL_TAG);
    if drill != req.drill {
        return Err(match (drill, &req.drill) {
            (Some(other), _) => format!("was restored by drill '{other}'"),
            (None, _) => "was not restored by this drill".to_owned(),
        });
    }
    let found = provenances_of(&tag);
    let wanted = provenance(&req.source);
    match found.first() {
        None => Err("was not restored by dr-lambdas".to_owned()),
        _ if found.contains(&wanted) => Ok(()),
        Some(other) => Err(format!(
            "was restored {}, not from {}",
            describe(other),
            req.source.describe()
        )),
    }
}

/// A provenance in words, for messages.
fn describe(provenance: &str) -> String {
    match provenance.split_once(':') {
        Some(("snapshot", id)) => format!("from snapshot '{id}'"),
        Some(("latest", source)) => format!("from the latest snapshot of '{source}'"),
        Some(("pitr", what)) => match what.split_once('@') {
            Some((source, time)) => format!("to a point in time of '{source}' ({time})"),
            None => format!("as '{provenance}'"),
        },
        Some(("standby", standby)) => format!("by the promotion of standby '{standby}'"),
        _ => format!("as '{provenance}'"),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::restore::plan::fixtures::request;

    fn named(snapshot: &str) -> RestoreRequest {
        request(Source::Named {
            snapshot: snapshot.into(),
            source: None,
        })
    }

    fn tags(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |key| map.get(key).cloned()
    }

    #[test]
    fn the_provenance_says_what_was_asked_for() {
        assert_eq!(provenance(&named("snap-1").source), "snapshot:snap-1");
        let latest = Source::Latest {
            source: "orders".into(),
            max_data_loss_seconds: None,
        };
        assert_eq!(provenance(&latest), "latest:orders");
    }

    #[test]
    fn a_point_in_time_provenance_names_the_source_and_the_time() {
        use crate::restore::request::RestoreTime;
        let latest = Source::PointInTime {
            source: "orders".into(),
            time: RestoreTime::Latest,
        };
        assert_eq!(provenance(&latest), "pitr:orders@latest");
        let at = Source::PointInTime {
            source: "orders".into(),
            time: RestoreTime::At(DateTime::from_secs(1_795_253_400)),
        };
        assert_eq!(provenance(&at), "pitr:orders@2026-11-21T09:30:00Z");
        let req = request(at);
        assert_eq!(
            same_request(&req, tags(&[(TAG_PROVENANCE, "pitr:orders@latest")])),
            Err(
                "was restored to a point in time of 'orders' (latest), not from 'orders' at \
                 2026-11-21T09:30:00Z"
                    .to_owned()
            )
        );
    }

    #[test]
    fn a_value_too_long_for_a_tag_is_cut_to_256_characters_with_a_hash() {
        let long = format!(
            "snapshot:arn:aws:rds:us-east-1:123456789012:snapshot:{}",
            "a".repeat(255)
        );
        let cut = fit(&long);
        assert_eq!(cut.chars().count(), 256);
        assert_eq!(crate::validate::tag_value(&cut), Ok(()));
        assert_eq!(cut, fit(&long));
        assert_ne!(cut, fit(&format!("{long}b")));
        assert_eq!(fit("short"), "short");
    }

    #[test]
    fn the_same_provenance_is_the_same_request() {
        let req = named("snap-1");
        assert_eq!(
            same_request(&req, tags(&[(TAG_PROVENANCE, "snapshot:snap-1")])),
            Ok(())
        );
    }

    #[test]
    fn another_provenance_is_someone_elses_restore() {
        let req = named("snap-2");
        assert_eq!(
            same_request(&req, tags(&[(TAG_PROVENANCE, "snapshot:snap-1")])),
            Err("was restored from snapshot 'snap-1', not from 'snap-2'".to_owned())
        );
    }

    #[test]
    fn an_untagged_instance_is_not_ours() {
        assert_eq!(
            same_request(&named("snap-1"), tags(&[("team", "orders")])),
            Err("was not restored by dr-lambdas".to_owned())
        );
    }

    #[test]
    fn tags_of_earlier_versions_are_still_recognised() {
        let latest = request(Source::Latest {
            source: "orders".into(),
            max_data_loss_seconds: None,
        });
        let legacy_latest = tags(&[
            (LEGACY_TAG_SNAPSHOT, "snap-7"),
            (LEGACY_TAG_REQUESTED, "latest"),
            (LEGACY_TAG_SOURCE, "orders"),
        ]);
        assert_eq!(same_request(&latest, legacy_latest), Ok(()));

        let by_arn = tags(&[
            (LEGACY_TAG_SNAPSHOT, "snap-1"),
            (
                LEGACY_TAG_REQUESTED,
                "arn:aws:rds:us-east-1:123456789012:snapshot:snap-1",
            ),
        ]);
        assert_eq!(same_request(&named("snap-1"), by_arn), Ok(()));
    }
}
