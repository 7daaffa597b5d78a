//! The platform's cutover, planned: every database record of the private
//! zone in one Route 53 change batch (all names move, or none do), and only
//! when every required database is available and validated. Pure: the
//! workflow sends the batch with its own role (the only one that may UPSERT
//! a production record), and this function's role holds no such right.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// One database as the cutover judges it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Cut {
    pub database: String,
    #[serde(default = "yes")]
    pub required: bool,
    /// Its production record.
    pub record: String,
    /// Where the restored copy answers; `null` when it is not available.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// What its validation answered: `true` passed, `false` failed, `null`
    /// not run (no validation configured passes).
    #[serde(default)]
    pub validated: Option<bool>,
    /// Why it failed, when it did (its error, or the validation's detail).
    #[serde(default)]
    pub failure: Option<String>,
}

fn yes() -> bool {
    true
}

/// The cutover's decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CutoverPlan {
    /// Every required database is ready: the batch goes.
    pub go: bool,
    /// The databases whose names move.
    pub moved: Vec<String>,
    /// `database: why`, of every database that is not ready. A required one
    /// stops the cutover; an optional one is left behind.
    pub failed: Vec<String>,
    /// `ChangeResourceRecordSets`' `HostedZoneId` and `ChangeBatch`, as the
    /// workflow's `aws-sdk:route53` task sends them; `null` when not `go`.
    pub request: Option<Value>,
}

/// Whether `cut` may be pointed at: available, and not failed validation.
fn ready(cut: &Cut) -> Result<&str, String> {
    if let Some(why) = &cut.failure {
        return Err(why.clone());
    }
    if cut.validated == Some(false) {
        return Err("its validation failed".to_owned());
    }
    cut.endpoint
        .as_deref()
        .ok_or_else(|| "not available (no endpoint)".to_owned())
}

/// The one batch for `zone`: an UPSERT of each ready database's CNAME at its
/// copy, with `ttl` — or no batch at all when a required database is not
/// ready (no name moves, and nothing restored is deleted).
pub fn plan(cuts: &[Cut], zone: &str, ttl: i64, execution: &str) -> CutoverPlan {
    let mut changes = Vec::new();
    let mut moved = Vec::new();
    let mut failed = Vec::new();
    let mut go = true;
    for cut in cuts {
        match ready(cut) {
            Ok(endpoint) => {
                moved.push(cut.database.clone());
                changes.push(json!({
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": cut.record,
                        "Type": "CNAME",
                        "TTL": ttl,
                        "ResourceRecords": [{"Value": endpoint}],
                    },
                }));
            }
            Err(why) => {
                go &= !cut.required;
                failed.push(format!(
                    "{} ({}): {why}",
                    cut.database,
                    if cut.required { "required" } else { "optional" }
                ));
            }
        }
    }
    go &= !changes.is_empty();
    if !go {
        moved.clear();
    }
    CutoverPlan {
        go,
        request: go.then(|| {
            json!({
                "HostedZoneId": zone,
                "ChangeBatch": {
                    "Comment": format!("dr-lambdas {execution}: {} database names", changes.len()),
                    "Changes": changes,
                },
            })
        }),
        moved,
        failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(name: &str, required: bool, endpoint: Option<&str>) -> Cut {
        Cut {
            database: name.to_owned(),
            required,
            record: format!("{name}.db.internal"),
            endpoint: endpoint.map(str::to_owned),
            validated: Some(true),
            failure: None,
        }
    }

    #[test]
    fn every_ready_database_moves_in_one_batch() {
        let out = plan(
            &[
                cut("orders", true, Some("orders-dr.x")),
                cut("inventory", true, Some("inventory-dr.cluster-x")),
            ],
            "Z1",
            30,
            "exec-1",
        );

        assert!(out.go);
        assert_eq!(out.moved, ["orders", "inventory"]);
        let request = out.request.expect("a batch");
        assert_eq!(request["HostedZoneId"], "Z1");
        let changes = request["ChangeBatch"]["Changes"]
            .as_array()
            .expect("changes");
        assert_eq!(changes.len(), 2);
        assert_eq!(
            changes[1]["ResourceRecordSet"]["Name"],
            "inventory.db.internal"
        );
        assert_eq!(
            changes[1]["ResourceRecordSet"]["ResourceRecords"][0]["Value"],
            "inventory-dr.cluster-x"
        );
        assert_eq!(changes[0]["Action"], "UPSERT");
        assert_eq!(changes[0]["ResourceRecordSet"]["TTL"], 30);
    }

    #[test]
    fn a_required_database_that_failed_stops_every_name_and_is_named() {
        let mut broken = cut("orders", true, None);
        broken.failure = Some("SnapshotNotFound: ...".to_owned());

        let out = plan(
            &[broken, cut("inventory", true, Some("inventory-dr.x"))],
            "Z1",
            30,
            "exec-1",
        );

        assert!(!out.go);
        assert_eq!(out.request, None);
        assert_eq!(out.moved, Vec::<String>::new());
        assert_eq!(out.failed, ["orders (required): SnapshotNotFound: ..."]);
    }

    #[test]
    fn a_required_database_that_failed_validation_stops_every_name() {
        let mut invalid = cut("orders", true, Some("orders-dr.x"));
        invalid.validated = Some(false);

        let out = plan(&[invalid], "Z1", 30, "exec-1");

        assert!(!out.go);
        assert_eq!(out.failed, ["orders (required): its validation failed"]);
    }

    #[test]
    fn an_optional_database_that_failed_is_left_behind_and_the_rest_moves() {
        let out = plan(
            &[
                cut("orders", true, Some("orders-dr.x")),
                cut("search", false, None),
            ],
            "Z1",
            30,
            "exec-1",
        );

        assert!(out.go);
        assert_eq!(out.moved, ["orders"]);
        assert_eq!(
            out.failed,
            ["search (optional): not available (no endpoint)"]
        );
    }
}
