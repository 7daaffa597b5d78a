//! The tags a restore writes, and what they say about an existing instance.

use super::facts::Tag;
use super::request::{RestoreRequest, Source};

/// Prefix of the tags dr-lambdas writes on what it restores.
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
pub const MAX_TAGS: usize = 50;

/// dr-lambdas' own tags for a restore of `snapshot_id` (resolved) asked for by `req`.
pub fn own_tags(
    req: &RestoreRequest,
    snapshot_id: &str,
    source: &str,
    request_id: &str,
) -> Vec<Tag> {
    let mut own = vec![
        Tag::new(TAG_SNAPSHOT, snapshot_id),
        Tag::new(TAG_REQUESTED, req.source.requested_snapshot()),
        Tag::new(TAG_REQUEST_ID, request_id),
    ];
    if !source.is_empty() {
        own.push(Tag::new(TAG_SOURCE, source));
    }
    own
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

/// Whether an instance tagged `tags` is this request's earlier work; `Err`
/// says what it is instead.
pub fn same_request(
    req: &RestoreRequest,
    tag: impl Fn(&str) -> Option<String>,
) -> Result<String, String> {
    let Some(restored_from) = tag(TAG_SNAPSHOT) else {
        return Err("was not restored by dr-lambdas".to_owned());
    };
    let same = match &req.source {
        // A request may name the snapshot by ARN while RDS reports its plain identifier.
        Source::Named { snapshot, .. } => {
            &restored_from == snapshot || tag(TAG_REQUESTED).as_deref() == Some(snapshot.as_str())
        }
        Source::Latest { source } => {
            tag(TAG_REQUESTED).as_deref() == Some("latest")
                && tag(TAG_SOURCE).as_deref() == Some(source.as_str())
        }
    };
    if same {
        Ok(restored_from)
    } else {
        Err(format!(
            "was restored from snapshot '{restored_from}', not from {}",
            req.source.describe()
        ))
    }
}
