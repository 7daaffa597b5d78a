//! CloudWatch metrics as Embedded Metric Format (EMF) log lines: one JSON
//! line on stdout, which CloudWatch Logs turns into metrics. No
//! `PutMetricData` call, no permission, no latency on the handler's path.
//!
//! Each line carries `"level": "INFO"`: under the template's JSON
//! `LoggingConfig`, Lambda filters application logs by that key, and gives a
//! line without one INFO; saying it keeps the line's fate explicit. The
//! function's `ApplicationLogLevel` must stay INFO or finer, or the metrics
//! are dropped (scripts/check_template.py checks it).

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

/// The namespace of every function's metrics (readiness, drills) unless
/// `METRICS_NAMESPACE` says another: the template's `MetricsNamespace`
/// default.
pub const DEFAULT_NAMESPACE: &str = "dr-lambdas";

/// One metric of a line: its name, unit, and value (`None`: not emitted,
/// since EMF has no "unknown").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metric {
    pub name: &'static str,
    /// A CloudWatch unit: `Seconds`, `Count`, `None`, ...
    pub unit: &'static str,
    pub value: Option<f64>,
}

/// The EMF line of `metrics` in `namespace`, with one dimension `(name,
/// value)` and the dimension sets `[[name], []]`: the series per value, and
/// the undimensioned one an alarm can watch whatever the value.
pub fn emf_line(
    namespace: &str,
    dimension: (&str, &str),
    metrics: &[Metric],
    at: SystemTime,
) -> String {
    emf_line_with(namespace, &[dimension], metrics, at)
}

/// The EMF line of `metrics` with the dimensions `dimensions` (all of them
/// one set, e.g. `Scenario` and `Database`) and the undimensioned set `[]`,
/// which an alarm can watch whatever their values. No dimension: `[]` only.
pub fn emf_line_with(
    namespace: &str,
    dimensions: &[(&str, &str)],
    metrics: &[Metric],
    at: SystemTime,
) -> String {
    let timestamp = at
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let present: Vec<&Metric> = metrics.iter().filter(|m| m.value.is_some()).collect();
    let mut line = Map::new();
    line.insert("level".into(), json!("INFO"));
    line.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp,
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": if dimensions.is_empty() {
                    json!([[]])
                } else {
                    json!([dimensions.iter().map(|d| d.0).collect::<Vec<_>>(), []])
                },
                "Metrics": present
                    .iter()
                    .map(|m| json!({"Name": m.name, "Unit": m.unit}))
                    .collect::<Vec<Value>>(),
            }],
        }),
    );
    for (name, value) in dimensions {
        line.insert((*name).into(), json!(value));
    }
    for m in present {
        line.insert(m.name.into(), json!(m.value));
    }
    Value::Object(line).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_emf_line_declares_exactly_the_metrics_it_carries() {
        let line = emf_line(
            "dr-lambdas",
            ("Database", "ecommerce-db"),
            &[
                Metric {
                    name: "Ready",
                    unit: "None",
                    value: Some(1.0),
                },
                Metric {
                    name: "DataLossSeconds",
                    unit: "Seconds",
                    value: None,
                },
            ],
            UNIX_EPOCH + std::time::Duration::from_secs(1_795_305_600),
        );

        let parsed: Value = serde_json::from_str(&line).unwrap();
        let declared = &parsed["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(parsed["_aws"]["Timestamp"], 1_795_305_600_000_u64);
        assert_eq!(declared["Namespace"], "dr-lambdas");
        assert_eq!(declared["Dimensions"], json!([["Database"], []]));
        assert_eq!(
            declared["Metrics"],
            json!([{"Name": "Ready", "Unit": "None"}])
        );
        assert_eq!(parsed["Ready"], 1.0);
        assert_eq!(parsed["Database"], "ecommerce-db");
        assert_eq!(parsed["level"], "INFO");
        assert!(parsed.get("DataLossSeconds").is_none(), "{line}");
        assert!(!line.contains('\n'));
    }

    #[test]
    fn a_line_of_two_dimensions_declares_them_as_one_set_and_the_undimensioned_one() {
        let line = emf_line_with(
            "dr-lambdas",
            &[("Scenario", "regional-outage"), ("Database", "orders")],
            &[Metric {
                name: "Ready",
                unit: "None",
                value: Some(0.0),
            }],
            UNIX_EPOCH,
        );

        let parsed: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(
            parsed["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Scenario", "Database"], []])
        );
        assert_eq!(parsed["Scenario"], "regional-outage");
        assert_eq!(parsed["Database"], "orders");
    }
}
