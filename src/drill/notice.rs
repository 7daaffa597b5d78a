//! A platform recovery's message to on-call, built and bounded here:
//! `States.JsonToString($)` of a platform's state holds every database's
//! working record, and a message must stay far under SNS's 256 KB.

use serde_json::{Value, json};

/// The most a message may take, as JSON: far under SNS's 256 KB.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// The most of a failure's cause that is kept.
const CAUSE_CHARS: usize = 2000;

fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let kept: String = text.chars().take(max).collect();
    format!("{kept} [cut]")
}

/// On-call's message for the workflow's `state` at its end: the execution,
/// the scenario, the outcome and failure, what moved and what did not, and
/// the per-database report (the cutover's, or each database's status when
/// the workflow ended before it). At most [`MAX_MESSAGE_BYTES`]: past it,
/// the per-database list gives way to its counts.
pub fn message(state: &Value, succeeded: bool) -> String {
    let fleet = &state["fleet"];
    let failure = state.get("failure").filter(|f| !f.is_null()).map(|f| {
        json!({
            "Error": f["Error"],
            "Cause": cut(f["Cause"].as_str().unwrap_or_default(), CAUSE_CHARS),
        })
    });
    let databases: Vec<Value> = match fleet["report"]["databases"].as_array() {
        Some(report) => report.clone(),
        None => fleet["databases"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|w| {
                json!({
                    "database": w["database"],
                    "required": w["required"],
                    "status": w["result"]["status"],
                    "error": w["error"]["Error"],
                })
            })
            .collect(),
    };
    let mut out = json!({
        "outcome": if succeeded { "succeeded" } else { "failed" },
        "execution_arn": state["deployment"]["execution_arn"],
        "scenario": state["platform"]["scenario"],
        "failure": failure,
        "moved": fleet["moved"],
        "failed": fleet["failed"],
        "recovery_seconds": fleet["report"]["recovery_seconds"],
        "data_loss_seconds": fleet["report"]["data_loss_seconds"],
        "cutover_change_id": state["cutover"]["change_id"],
        "traffic": state["failed_over"]["status"],
        "databases": databases,
    });
    if out.to_string().len() > MAX_MESSAGE_BYTES {
        let ok = databases.iter().filter(|d| d["ok"] == true).count();
        out["databases"] = json!({
            "count": databases.len(),
            "ok": ok,
            "note": "the per-database report is in the execution's output",
        });
    }
    out.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_success_message_carries_the_cutovers_report() {
        let state = json!({"deployment": {"execution_arn": "arn:x"},
                           "platform": {"scenario": "regional-outage"},
                           "fleet": {"moved": ["orders"], "failed": [],
                                     "report": {"databases": [{"database": "orders", "ok": true}],
                                                "recovery_seconds": 600, "data_loss_seconds": 30}},
                           "cutover": {"change_id": "C1"}, "failed_over": {"status": "INSYNC"}});

        let message: Value = serde_json::from_str(&message(&state, true)).unwrap();

        assert_eq!(message["outcome"], "succeeded");
        assert_eq!(message["scenario"], "regional-outage");
        assert_eq!(message["moved"], json!(["orders"]));
        assert_eq!(message["recovery_seconds"], 600);
        assert_eq!(message["databases"][0]["database"], "orders");
        assert_eq!(message["traffic"], "INSYNC");
    }

    #[test]
    fn a_failure_before_the_cutover_lists_each_databases_status_and_error() {
        let state = json!({"platform": {"scenario": "bad-data"},
                           "failure": {"Error": "PlatformNotAvailableInTime", "Cause": "x".repeat(5000)},
                           "fleet": {"databases": [
                               {"database": "orders", "required": true, "result": {"status": "restoring"}, "error": null},
                               {"database": "inventory", "required": true, "result": null,
                                "error": {"Error": "AwsError", "Cause": "..."}}]}});

        let message: Value = serde_json::from_str(&message(&state, false)).unwrap();

        assert_eq!(message["outcome"], "failed");
        assert_eq!(message["failure"]["Error"], "PlatformNotAvailableInTime");
        assert!(message["failure"]["Cause"].as_str().unwrap().len() < 2100);
        assert_eq!(message["databases"][0]["status"], "restoring");
        assert_eq!(message["databases"][1]["error"], "AwsError");
    }

    #[test]
    fn a_message_for_forty_databases_with_huge_fields_stays_under_64_kb() {
        let databases: Vec<Value> = (0..40)
            .map(
                |i| json!({"database": format!("db{i}"), "ok": false, "failure": "y".repeat(3000)}),
            )
            .collect();
        let state = json!({"fleet": {"report": {"databases": databases}}});

        let text = message(&state, false);

        assert!(text.len() <= MAX_MESSAGE_BYTES, "{} bytes", text.len());
        let message: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(message["databases"]["count"], 40);
    }
}
