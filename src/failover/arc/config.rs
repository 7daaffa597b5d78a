//! The routing-control mode's configuration, read once at init: which
//! routing control gates each region, and the ARC cluster's endpoints.

use std::collections::BTreeMap;

use crate::config::{ConfigError, Env, require_var};
use crate::validate;

/// `ROUTING_CONTROLS` and `ARC_CLUSTER_ENDPOINTS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArcConfig {
    /// Region → the routing control whose state sends traffic there.
    pub routing_controls: BTreeMap<String, String>,
    /// Region → the ARC cluster's endpoint in that region. Hard-coded, as
    /// AWS advises: a failover never calls `DescribeCluster`.
    pub endpoints: BTreeMap<String, String>,
}

impl ArcConfig {
    /// Reads both variables; `regions` must each have a routing control.
    pub fn from_env(env: &dyn Env, regions: &[&str]) -> Result<Self, ConfigError> {
        let routing_controls = json_map(env, "ROUTING_CONTROLS", |arn| {
            validate::routing_control_arn(arn)
        })?;
        for region in regions {
            if !routing_controls.contains_key(*region) {
                return Err(ConfigError::new(
                    "ROUTING_CONTROLS",
                    format!("has no routing control for {region}"),
                ));
            }
        }
        let endpoints = json_map(env, "ARC_CLUSTER_ENDPOINTS", endpoint_url)?;
        Ok(ArcConfig {
            routing_controls,
            endpoints,
        })
    }
}

fn json_map(
    env: &dyn Env,
    name: &'static str,
    check: impl Fn(&str) -> Result<(), String>,
) -> Result<BTreeMap<String, String>, ConfigError> {
    let raw = require_var(env, name)?;
    let map: BTreeMap<String, String> = serde_json::from_str(&raw).map_err(|e| {
        ConfigError::new(
            name,
            format!("is not a JSON object of region to string ({e})"),
        )
    })?;
    if map.is_empty() {
        return Err(ConfigError::new(name, "names no region"));
    }
    for (region, value) in &map {
        validate::region_name(region).map_err(|r| ConfigError::new(name, format!("key {r}")))?;
        check(value).map_err(|r| ConfigError::new(name, format!("the value for {region} {r}")))?;
    }
    Ok(map)
}

/// An ARC cluster endpoint: `https://<id>.route53-recovery-cluster.<region>.amazonaws.com/v1`,
/// or plain HTTP on loopback (tests).
fn endpoint_url(url: &str) -> Result<(), String> {
    let loopback = ["http://127.0.0.1:", "http://localhost:"]
        .iter()
        .any(|p| url.starts_with(p));
    if url.starts_with("https://") || loopback {
        Ok(())
    } else {
        Err(format!("is not an https:// endpoint URL (got {url:?})"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RC: &str =
        "arn:aws:route53-recovery-control::123456789012:controlpanel/abc/routingcontrol/";

    #[test]
    fn both_maps_are_read_as_json() {
        let controls = format!(r#"{{"us-east-1": "{RC}east", "us-west-2": "{RC}west"}}"#);
        let env = [
            ("ROUTING_CONTROLS", controls.as_str()),
            (
                "ARC_CLUSTER_ENDPOINTS",
                r#"{"us-west-2": "https://abc.route53-recovery-cluster.us-west-2.amazonaws.com/v1"}"#,
            ),
        ];
        let c = ArcConfig::from_env(&env, &["us-east-1", "us-west-2"]).unwrap();
        assert_eq!(c.routing_controls["us-west-2"], format!("{RC}west"));
        assert_eq!(c.endpoints.len(), 1);
    }

    #[test]
    fn a_region_without_a_routing_control_is_named() {
        let controls = format!(r#"{{"us-east-1": "{RC}east"}}"#);
        let env = [
            ("ROUTING_CONTROLS", controls.as_str()),
            ("ARC_CLUSTER_ENDPOINTS", r#"{"us-west-2": "https://x/v1"}"#),
        ];
        let err = ArcConfig::from_env(&env, &["us-east-1", "us-west-2"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "configuration variable ROUTING_CONTROLS: has no routing control for us-west-2"
        );
    }

    #[test]
    fn an_endpoint_that_is_not_https_is_refused() {
        let controls = format!(r#"{{"us-east-1": "{RC}east", "us-west-2": "{RC}west"}}"#);
        let env = [
            ("ROUTING_CONTROLS", controls.as_str()),
            (
                "ARC_CLUSTER_ENDPOINTS",
                r#"{"us-west-2": "http://example.com/v1"}"#,
            ),
        ];
        assert_eq!(
            ArcConfig::from_env(&env, &["us-east-1", "us-west-2"])
                .unwrap_err()
                .name,
            "ARC_CLUSTER_ENDPOINTS"
        );
    }
}
