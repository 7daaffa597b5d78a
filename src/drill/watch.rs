//! The platform's wait: one read of every database's status a poll, in
//! batches (one `DescribeDBInstances` and one `DescribeDBClusters` per
//! region, 20 identifiers a filter), and which databases the restore
//! function must see again: only those whose state changed, to resume what
//! is pending (an Aurora writer) or to report.
//!
//! The pure part ([`batches`], [`judge`]) decides; [`read`] is the only
//! code that calls AWS.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, from_sdk};

/// At most this many identifiers in one `db-instance-id` or `db-cluster-id`
/// filter. AWS documents no maximum for a filter's values; 20 keeps each
/// request small, and 40 databases take 2 reads of each kind a region.
pub const FILTER_CHUNK: usize = 20;

/// One database of the platform as the workflow holds it between polls.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Watched {
    pub database: String,
    #[serde(default = "yes")]
    pub required: bool,
    /// Its production record (the cutover's).
    #[serde(default)]
    pub record: String,
    /// The restore-database event.
    #[serde(default)]
    pub restore: Value,
    /// The restore function's last answer (`null` before its first).
    #[serde(default)]
    pub result: Option<Value>,
    /// Its refusal (`{"Error", "Cause"}` from the workflow's Catch).
    #[serde(default)]
    pub error: Option<Value>,
    /// The validation's bounded answer (`{valid, detail, ...}`), once run.
    #[serde(default)]
    pub validation: Option<Value>,
    /// When a poll first found it available (RFC 3339).
    #[serde(default)]
    pub available_at: Option<String>,
    /// The poll that last sent it back to the restore function.
    #[serde(default)]
    pub resumed_poll: Option<u64>,
}

/// A database RDS shows usable while the restore function still answers
/// `restoring` (a promotion finishing: its tag, a switchover's last step)
/// is sent back at most once in this many polls (30 s at 5 s), as the
/// single-database loop asks: not every poll, which would cost history
/// events and RDS reads for minutes.
pub const USABLE_EVERY: u64 = 6;

fn yes() -> bool {
    true
}

/// Where a database stands after a poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Being created; nothing to do until its state changes.
    Waiting,
    /// Its state changed, or a call is pending: the restore function runs
    /// for it again.
    Resume,
    /// Available, with an endpoint: ready for validation.
    Available,
    /// Refused, or in a state it will not leave by itself.
    Failed,
}

/// One read to make: the identifiers of one kind in one region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub region: String,
    /// `instance` or `cluster`.
    pub kind: &'static str,
    pub ids: Vec<String>,
}

/// What a database's last answer names: `(region, instance, cluster)`.
fn names(w: &Watched) -> Option<(String, Option<String>, Option<String>)> {
    let result = w.result.as_ref()?;
    let text = |key: &str| result.get(key).and_then(Value::as_str).map(str::to_owned);
    Some((text("region")?, text("instance_id"), text("cluster_id")))
}

/// The status an answer reports for `kind` (`db_instance_status`, `cluster_status`).
fn reported(w: &Watched, key: &str) -> Option<String> {
    w.result
        .as_ref()?
        .get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Whether `w` is finished (available with an endpoint, or failed): it is
/// read no more.
fn settled(w: &Watched) -> Option<Phase> {
    if w.error.is_some() {
        return Some(Phase::Failed);
    }
    let result = w.result.as_ref()?;
    match result.get("status").and_then(Value::as_str) {
        Some("available")
            if result.get("endpoint").and_then(Value::as_str).is_some()
                && result
                    .get("pending")
                    .and_then(Value::as_array)
                    .is_none_or(Vec::is_empty) =>
        {
            Some(Phase::Available)
        }
        Some("failed") => Some(Phase::Failed),
        _ => None,
    }
}

/// The reads a poll makes: per region and kind, the unsettled databases'
/// identifiers in chunks of [`FILTER_CHUNK`].
pub fn batches(watched: &[Watched]) -> Vec<Batch> {
    let mut wanted: BTreeMap<(String, &'static str), BTreeSet<String>> = BTreeMap::new();
    for w in watched.iter().filter(|w| settled(w).is_none()) {
        let Some((region, instance, cluster)) = names(w) else {
            continue;
        };
        if let Some(id) = instance {
            wanted
                .entry((region.clone(), "instance"))
                .or_default()
                .insert(id);
        }
        if let Some(id) = cluster {
            wanted.entry((region, "cluster")).or_default().insert(id);
        }
    }
    let mut out = Vec::new();
    for ((region, kind), ids) in wanted {
        let ids: Vec<String> = ids.into_iter().collect();
        for chunk in ids.chunks(FILTER_CHUNK) {
            out.push(Batch {
                region: region.clone(),
                kind,
                ids: chunk.to_vec(),
            });
        }
    }
    out
}

/// What the reads found: `(region, kind, id)` → status. An identifier not
/// found is absent.
pub type Found = BTreeMap<(String, &'static str, String), String>;

/// RDS statuses a restored database does not leave by itself.
const STUCK: [&str; 8] = [
    "failed",
    "incompatible-restore",
    "incompatible-parameters",
    "incompatible-network",
    "incompatible-option-group",
    "storage-full",
    "inaccessible-encryption-credentials",
    "stopped",
];

/// Each database's phase after a poll that found `found`: a changed status
/// (or a pending call whose cluster is now available) sends it back to the
/// restore function, which reports or resumes; an unchanged one waits.
pub fn judge(watched: &[Watched], found: &Found, poll: u64) -> Vec<Phase> {
    watched
        .iter()
        .map(|w| {
            if let Some(phase) = settled(w) {
                return phase;
            }
            let Some((region, instance, cluster)) = names(w) else {
                // No answer yet (its first call failed and was caught, or
                // never ran): the restore function runs for it.
                return Phase::Resume;
            };
            let now = |kind: &'static str, id: &Option<String>| {
                id.as_ref()
                    .and_then(|id| found.get(&(region.clone(), kind, id.clone())))
                    .cloned()
            };
            let instance_now = now("instance", &instance);
            let cluster_now = now("cluster", &cluster);
            if [&instance_now, &cluster_now]
                .iter()
                .any(|s| s.as_deref().is_some_and(|s| STUCK.contains(&s)))
            {
                // The restore function says which, and why, in its answer.
                return Phase::Resume;
            }
            let pending = w
                .result
                .as_ref()
                .and_then(|r| r.get("pending"))
                .and_then(Value::as_array)
                .is_some_and(|p| !p.is_empty());
            if pending && cluster_now.as_deref() == Some("available") {
                return Phase::Resume;
            }
            // What the restore function did not report (a cluster's status
            // is not kept by the workflow; a promotion names its writer
            // without a status) is unknown, not a change.
            let differs = |now: &Option<String>, key: &str| match reported(w, key) {
                Some(before) => now.as_deref() != Some(before.as_str()),
                None => false,
            };
            let changed = (instance.is_some() && differs(&instance_now, "db_instance_status"))
                || (cluster.is_some() && differs(&cluster_now, "cluster_status"));
            // Usable now, and the restore function has not said so yet: it
            // runs again and reports, at most once in USABLE_EVERY polls.
            let usable = !pending
                && instance.is_some()
                && instance_now.as_deref() == Some("available")
                && (cluster.is_none() || cluster_now.as_deref() == Some("available"))
                && w.resumed_poll
                    .is_none_or(|last| poll >= last + USABLE_EVERY);
            if changed || usable {
                Phase::Resume
            } else {
                Phase::Waiting
            }
        })
        .collect()
}

/// Reads the statuses `batches` ask for: one call a batch, in its region.
pub async fn read(
    rds: &crate::aws::RegionalClients<aws_sdk_rds::Client>,
    batches: &[Batch],
) -> Result<Found, Error> {
    let mut found = Found::new();
    for batch in batches {
        let client = rds.get(&batch.region);
        let filter = |name: &str| {
            aws_sdk_rds::types::Filter::builder()
                .name(name)
                .set_values(Some(batch.ids.clone()))
                .build()
        };
        if batch.kind == "instance" {
            let out = client
                .describe_db_instances()
                .filters(filter("db-instance-id"))
                .send()
                .await
                .map_err(|e| from_sdk("DescribeDBInstances", e))?;
            for db in out.db_instances() {
                if let (Some(id), Some(status)) =
                    (db.db_instance_identifier(), db.db_instance_status())
                {
                    found.insert(
                        (batch.region.clone(), "instance", id.to_owned()),
                        status.to_owned(),
                    );
                }
            }
        } else {
            let out = client
                .describe_db_clusters()
                .filters(filter("db-cluster-id"))
                .send()
                .await
                .map_err(|e| from_sdk("DescribeDBClusters", e))?;
            for c in out.db_clusters() {
                if let (Some(id), Some(status)) = (c.db_cluster_identifier(), c.status()) {
                    found.insert(
                        (batch.region.clone(), "cluster", id.to_owned()),
                        status.to_owned(),
                    );
                }
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn watched(name: &str, result: Value) -> Watched {
        Watched {
            database: name.to_owned(),
            required: true,
            record: format!("{name}.db.internal"),
            restore: json!({}),
            result: Some(result),
            error: None,
            validation: None,
            available_at: None,
            resumed_poll: None,
        }
    }

    fn restoring(name: &str, region: &str) -> Watched {
        watched(
            name,
            json!({"instance_id": format!("{name}-dr"), "cluster_id": null, "region": region,
                   "status": "restoring", "db_instance_status": "creating", "pending": []}),
        )
    }

    #[test]
    fn forty_databases_in_one_region_are_read_in_two_batches_of_twenty() {
        let all: Vec<Watched> = (0..40)
            .map(|i| restoring(&format!("db{i:02}"), "us-west-2"))
            .collect();

        let out = batches(&all);

        assert_eq!(out.len(), 2);
        assert!(
            out.iter()
                .all(|b| b.kind == "instance" && b.ids.len() == 20)
        );
        assert_eq!(out[0].ids[0], "db00-dr");
    }

    #[test]
    fn instances_and_clusters_are_read_per_region_and_kind() {
        let cluster = watched(
            "inventory",
            json!({"instance_id": "inventory-dr-writer", "cluster_id": "inventory-dr",
                   "region": "us-west-2", "status": "restoring", "pending": ["CreateDBInstance"],
                   "cluster_status": "creating"}),
        );
        let out = batches(&[restoring("orders", "us-east-1"), cluster]);

        let kinds: Vec<(&str, &str)> = out.iter().map(|b| (b.region.as_str(), b.kind)).collect();
        assert_eq!(
            kinds,
            [
                ("us-east-1", "instance"),
                ("us-west-2", "cluster"),
                ("us-west-2", "instance")
            ]
        );
    }

    #[test]
    fn a_settled_database_is_read_no_more() {
        let done = watched(
            "orders",
            json!({"instance_id": "orders-dr", "region": "us-west-2", "status": "available",
                   "endpoint": "orders-dr.x.rds.amazonaws.com", "pending": []}),
        );
        assert_eq!(batches(std::slice::from_ref(&done)), []);
        assert_eq!(judge(&[done], &Found::new(), 1), [Phase::Available]);
    }

    #[test]
    fn an_unchanged_status_waits_and_a_changed_one_resumes() {
        let w = restoring("orders", "us-west-2");
        let mut found = Found::new();
        found.insert(
            ("us-west-2".into(), "instance", "orders-dr".into()),
            "creating".into(),
        );
        assert_eq!(judge(std::slice::from_ref(&w), &found, 1), [Phase::Waiting]);

        found.insert(
            ("us-west-2".into(), "instance", "orders-dr".into()),
            "available".into(),
        );
        assert_eq!(judge(&[w], &found, 1), [Phase::Resume]);
    }

    #[test]
    fn a_cluster_whose_writer_is_pending_resumes_once_the_cluster_is_available() {
        let w = watched(
            "inventory",
            json!({"instance_id": "inventory-dr-writer", "cluster_id": "inventory-dr",
                   "region": "us-west-2", "status": "restoring", "pending": ["CreateDBInstance"],
                   "db_instance_status": null, "cluster_status": "creating"}),
        );
        let mut found = Found::new();
        found.insert(
            ("us-west-2".into(), "cluster", "inventory-dr".into()),
            "available".into(),
        );

        assert_eq!(judge(&[w], &found, 1), [Phase::Resume]);
    }

    #[test]
    fn a_refused_database_has_failed_and_one_without_an_answer_resumes() {
        let mut refused = restoring("orders", "us-west-2");
        refused.error = Some(json!({"Error": "SnapshotNotFound", "Cause": "..."}));
        let mut unanswered = restoring("search", "us-west-2");
        unanswered.result = None;

        assert_eq!(
            judge(&[refused, unanswered], &Found::new(), 1),
            [Phase::Failed, Phase::Resume]
        );
    }

    #[test]
    fn an_available_database_the_restore_function_has_not_reported_resumes() {
        // The last answer saw it available, with the promotion's tag still
        // to come: unchanged, but usable.
        let w = watched(
            "orders",
            json!({"instance_id": "orders-standby", "cluster_id": null, "region": "us-west-2",
                   "status": "restoring", "db_instance_status": "available", "pending": []}),
        );
        let mut found = Found::new();
        found.insert(
            ("us-west-2".into(), "instance", "orders-standby".into()),
            "available".into(),
        );

        assert_eq!(judge(&[w], &found, 1), [Phase::Resume]);
    }

    #[test]
    fn a_usable_database_is_sent_back_at_most_once_in_six_polls() {
        let mut w = watched(
            "orders",
            json!({"instance_id": "orders-standby", "cluster_id": null, "region": "us-west-2",
                   "status": "restoring", "db_instance_status": "available", "pending": []}),
        );
        w.resumed_poll = Some(10);
        let mut found = Found::new();
        found.insert(
            ("us-west-2".into(), "instance", "orders-standby".into()),
            "available".into(),
        );

        assert_eq!(
            judge(std::slice::from_ref(&w), &found, 15),
            [Phase::Waiting]
        );
        assert_eq!(judge(&[w], &found, 16), [Phase::Resume]);
    }

    #[test]
    fn a_status_the_restore_function_did_not_report_is_unknown_not_a_change() {
        // The workflow keeps no cluster status: a creating cluster waits.
        let w = watched(
            "inventory",
            json!({"instance_id": "inventory-dr-writer", "cluster_id": "inventory-dr",
                   "region": "us-west-2", "status": "restoring", "pending": [],
                   "db_instance_status": "creating"}),
        );
        let mut found = Found::new();
        found.insert(
            ("us-west-2".into(), "cluster", "inventory-dr".into()),
            "creating".into(),
        );
        found.insert(
            ("us-west-2".into(), "instance", "inventory-dr-writer".into()),
            "creating".into(),
        );

        assert_eq!(judge(&[w], &found, 3), [Phase::Waiting]);
    }

    #[test]
    fn a_stuck_status_goes_back_to_the_restore_function_which_says_why() {
        let w = restoring("orders", "us-west-2");
        let mut found = Found::new();
        found.insert(
            ("us-west-2".into(), "instance", "orders-dr".into()),
            "incompatible-restore".into(),
        );

        assert_eq!(judge(&[w], &found, 1), [Phase::Resume]);
    }
}
