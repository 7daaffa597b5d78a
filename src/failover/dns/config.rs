//! The DNS mode's configuration, read once at init. The hosted zone and the
//! record names come only from here, never from an event.

use std::collections::BTreeMap;

use crate::config::{ConfigError, Env, parse_var, require_var};
use crate::validate;

/// Which records move, and how.
#[derive(Debug, Clone, PartialEq)]
pub struct DnsConfig {
    /// `HOSTED_ZONE_ID`, without any `/hostedzone/` prefix.
    pub hosted_zone_id: String,
    /// `RECORD_NAMES`: fully qualified, lower case, with the trailing dot.
    pub record_names: Vec<String>,
    /// `REGION_ENDPOINTS`: region → record value, for simple (non-weighted) records.
    pub region_endpoints: BTreeMap<String, String>,
    /// `REGION_HEALTH_CHECKS`: region → Route 53 health check id that tells
    /// whether the region can take traffic, checked with the record sets'
    /// own (which aliases and simple records do not have).
    pub region_health_checks: BTreeMap<String, String>,
    /// `ACTIVE_WEIGHT` (default 100): the weight given to the new region when
    /// moving the old region's weight would leave it at 0.
    pub active_weight: i64,
}

impl DnsConfig {
    /// Reads and checks every variable.
    pub fn from_env(env: &dyn Env) -> Result<Self, ConfigError> {
        let zone = require_var(env, "HOSTED_ZONE_ID")?;
        let hosted_zone_id = zone.trim_start_matches("/hostedzone/").to_owned();
        if hosted_zone_id.is_empty()
            || hosted_zone_id.len() > 32
            || !hosted_zone_id
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return Err(ConfigError::new(
                "HOSTED_ZONE_ID",
                format!("'{zone}' is not a hosted zone id like Z0123456789ABCDEFGHIJ"),
            ));
        }

        let names = require_var(env, "RECORD_NAMES")?;
        let mut record_names = Vec::new();
        for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let fqdn = normalize_name(name);
            if !valid_dns_name(&fqdn) {
                return Err(ConfigError::new(
                    "RECORD_NAMES",
                    format!("'{name}' is not a DNS name"),
                ));
            }
            if !record_names.contains(&fqdn) {
                record_names.push(fqdn);
            }
        }
        if record_names.is_empty() {
            return Err(ConfigError::new("RECORD_NAMES", "names no record"));
        }

        let region_endpoints = parse_var(env, "REGION_ENDPOINTS", BTreeMap::new(), |raw| {
            let map: BTreeMap<String, String> = serde_json::from_str(raw)
                .map_err(|e| format!("is not a JSON object of region to record value ({e})"))?;
            for (region, value) in &map {
                validate::region_name(region).map_err(|r| format!("key {r}"))?;
                if value.trim().is_empty() {
                    return Err(format!("the value for {region} is empty"));
                }
            }
            Ok(map)
        })?;
        let region_health_checks =
            parse_var(env, "REGION_HEALTH_CHECKS", BTreeMap::new(), |raw| {
                let map: BTreeMap<String, String> = serde_json::from_str(raw).map_err(|e| {
                    format!("is not a JSON object of region to health check id ({e})")
                })?;
                for (region, id) in &map {
                    validate::region_name(region).map_err(|r| format!("key {r}"))?;
                    validate::health_check_id(id)
                        .map_err(|r| format!("the value for {region} {r}"))?;
                }
                Ok(map)
            })?;
        let active_weight = parse_var(env, "ACTIVE_WEIGHT", 100, |raw| match raw.parse::<i64>() {
            Ok(w @ 1..=255) => Ok(w),
            _ => Err(format!("'{raw}' is not a Route 53 weight from 1 to 255")),
        })?;

        Ok(DnsConfig {
            hosted_zone_id,
            record_names,
            region_endpoints,
            region_health_checks,
            active_weight,
        })
    }
}

/// Lower case with the trailing dot, as Route 53 returns names.
///
/// Route 53 returns characters outside `a-z0-9-_.` as octal escapes (`*` as
/// `\052`); they are decoded so that a configured `*.example.com` matches.
pub fn normalize_name(name: &str) -> String {
    let mut lower = unescape_octal(name.trim()).to_ascii_lowercase();
    if !lower.ends_with('.') {
        lower.push('.');
    }
    lower
}

/// A record name as IAM's `route53:ChangeResourceRecordSetsNormalizedRecordNames`
/// compares it: lower case, no trailing dot, and every character other than
/// `a-z`, `0-9`, `-`, `_` and `.` as a three-digit octal escape (`*` is
/// `\052`). The template's condition must list the configured names so.
pub fn iam_normalized(name: &str) -> String {
    let plain = normalize_name(name);
    let mut out = String::with_capacity(plain.len());
    for c in plain.trim_end_matches('.').chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.') {
            out.push(c);
        } else {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\{b:03o}"));
            }
        }
    }
    out
}

fn unescape_octal(name: &str) -> String {
    let bytes = name.as_bytes();
    let mut out = String::with_capacity(name.len());
    let mut i = 0;
    while i < bytes.len() {
        let code = bytes
            .get(i + 1..i + 4)
            .filter(|d| bytes[i] == b'\\' && d.iter().all(|b| (b'0'..=b'7').contains(b)))
            .and_then(|d| u8::from_str_radix(std::str::from_utf8(d).ok()?, 8).ok());
        match code {
            Some(c) => {
                out.push(char::from(c));
                i += 4;
            }
            None => {
                // Not an escape: copy one whole UTF-8 character.
                let ch = name[i..].chars().next().unwrap_or('?');
                out.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    out
}

fn valid_dns_name(fqdn: &str) -> bool {
    let body = fqdn.trim_end_matches('.');
    fqdn.len() <= 255
        && !body.is_empty()
        && body.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'*')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: [(&str, &str); 2] = [
        ("HOSTED_ZONE_ID", "/hostedzone/Z0123456789ABC"),
        ("RECORD_NAMES", "Shop.Example.com, api.example.com."),
    ];

    fn with(extra: (&'static str, &'static str)) -> [(&'static str, &'static str); 3] {
        [BASE[0], BASE[1], extra]
    }

    #[test]
    fn a_minimal_configuration_takes_the_defaults() {
        let c = DnsConfig::from_env(&BASE).unwrap();
        assert_eq!(c.hosted_zone_id, "Z0123456789ABC");
        assert_eq!(c.record_names, ["shop.example.com.", "api.example.com."]);
        assert_eq!(c.active_weight, 100);
        assert!(c.region_endpoints.is_empty());
    }

    #[test]
    fn route53_octal_escapes_are_decoded() {
        assert_eq!(normalize_name("\\052.Example.com."), "*.example.com.");
        assert_eq!(normalize_name("shop.example.com"), "shop.example.com.");
        assert_eq!(normalize_name("\\05x.example.com"), "\\05x.example.com.");
    }

    #[test]
    fn region_health_checks_are_read_as_json() {
        let c = DnsConfig::from_env(&with((
            "REGION_HEALTH_CHECKS",
            r#"{"us-west-2": "abcdef01-2345-6789-abcd-ef0123456789"}"#,
        )))
        .unwrap();
        assert_eq!(
            c.region_health_checks["us-west-2"],
            "abcdef01-2345-6789-abcd-ef0123456789"
        );
    }

    #[test]
    fn iam_compares_names_lower_case_without_the_dot_and_with_octal_escapes() {
        assert_eq!(
            iam_normalized("*.Shop.example.com."),
            "\\052.shop.example.com"
        );
        assert_eq!(
            iam_normalized("\\052.shop.example.com."),
            "\\052.shop.example.com"
        );
        assert_eq!(iam_normalized("api_1.example.com"), "api_1.example.com");
    }

    #[test]
    fn region_endpoints_are_read_as_json() {
        let c = DnsConfig::from_env(&with((
            "REGION_ENDPOINTS",
            r#"{"us-east-1": "shop-use1.example.com", "us-west-2": "shop-usw2.example.com"}"#,
        )))
        .unwrap();
        assert_eq!(c.region_endpoints["us-west-2"], "shop-usw2.example.com");
    }

    #[test]
    fn each_bad_variable_is_named() {
        let cases: [((&str, &str), &str); 5] = [
            (("REGION_ENDPOINTS", "[1]"), "REGION_ENDPOINTS"),
            (("REGION_HEALTH_CHECKS", "[1]"), "REGION_HEALTH_CHECKS"),
            (
                ("REGION_HEALTH_CHECKS", r#"{"us-west-2": "not an id"}"#),
                "REGION_HEALTH_CHECKS",
            ),
            (("ACTIVE_WEIGHT", "0"), "ACTIVE_WEIGHT"),
            (("ACTIVE_WEIGHT", "256"), "ACTIVE_WEIGHT"),
        ];
        for (extra, name) in cases {
            assert_eq!(
                DnsConfig::from_env(&with(extra)).unwrap_err().name,
                name,
                "{extra:?}"
            );
        }
    }

    #[test]
    fn a_missing_zone_is_named() {
        let env = [BASE[1]];
        let err = DnsConfig::from_env(&env).unwrap_err();
        assert_eq!(
            err.to_string(),
            "configuration variable HOSTED_ZONE_ID: is required but not set"
        );
    }

    #[test]
    fn a_zone_id_of_the_wrong_shape_is_refused() {
        let env = [("HOSTED_ZONE_ID", "zone; rm -rf"), BASE[1]];
        assert_eq!(
            DnsConfig::from_env(&env).unwrap_err().name,
            "HOSTED_ZONE_ID"
        );
    }
}
