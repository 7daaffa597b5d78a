//! The pure core of the failover: from the record sets Route 53 has to the
//! one change batch that moves traffic. No AWS call here.
//!
//! Record sets are the SDK's own `ResourceRecordSet` values, so a planned
//! record set is the one Route 53 returned with only its weight (or its
//! value) changed: alias target, TTL, health check and every other field are
//! copied as they were.

use aws_sdk_route53::types::{ResourceRecord, ResourceRecordSet, RrType};
use serde::Serialize;

use super::config::{DnsConfig, normalize_name};
use crate::error::{Error, RecordProblem};
use crate::failover::event::FailoverRequest;

/// Route 53's largest weight.
const MAX_WEIGHT: i64 = 255;

/// One record set before and after the failover.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordChange {
    pub before: ResourceRecordSet,
    pub after: ResourceRecordSet,
}

/// Everything the failover will do.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FailoverPlan {
    /// The record sets to UPSERT, all in one batch. Empty: already active.
    pub changes: Vec<RecordChange>,
    /// Health checks of the target region's record sets, to be healthy first.
    pub health_checks: Vec<String>,
}

/// Plans the move of every configured record from `from_region` to `to_region`.
///
/// `record_sets` is what Route 53 listed for each configured name (possibly
/// with neighbouring names, which are ignored).
pub fn plan_failover(
    config: &DnsConfig,
    req: &FailoverRequest,
    record_sets: &[ResourceRecordSet],
) -> Result<FailoverPlan, Error> {
    let mut plan = FailoverPlan::default();
    for name in &config.record_names {
        let of_name: Vec<&ResourceRecordSet> = record_sets
            .iter()
            .filter(|s| normalize_name(&s.name) == *name && is_address_type(&s.r#type))
            .collect();
        if of_name.is_empty() {
            return Err(not_found(name, RecordProblem::NotInZone));
        }
        let mut types: Vec<&RrType> = Vec::new();
        for set in &of_name {
            if !types.contains(&&set.r#type) {
                types.push(&set.r#type);
            }
        }
        for rtype in types {
            let sets: Vec<&ResourceRecordSet> = of_name
                .iter()
                .copied()
                .filter(|s| &s.r#type == rtype)
                .collect();
            if sets.iter().any(|s| s.weight.is_some()) {
                plan_weighted(&mut plan, config, req, name, &sets)?;
            } else {
                plan_simple(&mut plan, config, req, name, &sets)?;
            }
        }
    }
    Ok(plan)
}

// Record types that carry traffic; others at the same name (TXT, MX...) stay as they are.
fn is_address_type(rtype: &RrType) -> bool {
    matches!(rtype, RrType::A | RrType::Aaaa | RrType::Cname)
}

fn not_found(name: &str, cause: RecordProblem) -> Error {
    Error::RecordNotFound {
        name: name.to_owned(),
        cause,
    }
}

fn plan_weighted(
    plan: &mut FailoverPlan,
    config: &DnsConfig,
    req: &FailoverRequest,
    name: &str,
    sets: &[&ResourceRecordSet],
) -> Result<(), Error> {
    let find = |region: &str| {
        sets.iter()
            .find(|s| s.weight.is_some() && s.set_identifier.as_deref() == Some(region))
            .copied()
            .ok_or_else(|| {
                not_found(
                    name,
                    RecordProblem::NoRecordSet {
                        region: region.to_owned(),
                    },
                )
            })
    };
    let from = find(&req.from_region)?;
    let to = find(&req.to_region)?;
    let from_weight = from.weight.unwrap_or(0);
    let to_weight = to.weight.unwrap_or(0);

    if from_weight == 0 && to_weight > 0 {
        return Ok(()); // already moved
    }
    let mut new_to = (to_weight + from_weight).min(MAX_WEIGHT);
    if new_to == 0 {
        new_to = config.active_weight;
    }
    if from_weight != 0 {
        plan.changes.push(with_weight(from, 0));
    }
    if new_to != to_weight {
        plan.changes.push(with_weight(to, new_to));
    }
    if let Some(id) = &to.health_check_id
        && !plan.health_checks.contains(id)
    {
        plan.health_checks.push(id.clone());
    }
    Ok(())
}

fn with_weight(set: &ResourceRecordSet, weight: i64) -> RecordChange {
    let mut after = set.clone();
    after.weight = Some(weight);
    RecordChange {
        before: set.clone(),
        after,
    }
}

fn plan_simple(
    plan: &mut FailoverPlan,
    config: &DnsConfig,
    req: &FailoverRequest,
    name: &str,
    sets: &[&ResourceRecordSet],
) -> Result<(), Error> {
    // A simple record switches to the target region's value; without a value
    // for both regions in REGION_ENDPOINTS it cannot be moved either way.
    let no_endpoint = |region: &str| {
        not_found(
            name,
            RecordProblem::NoEndpoint {
                region: region.to_owned(),
            },
        )
    };
    if !config.region_endpoints.contains_key(&req.from_region) {
        return Err(no_endpoint(&req.from_region));
    }
    let target = config
        .region_endpoints
        .get(&req.to_region)
        .ok_or_else(|| no_endpoint(&req.to_region))?;
    let mut handled = false;
    for set in sets {
        // Other routing policies (latency, failover, geo) carry a set
        // identifier but no weight: they are not ours to move.
        if set.set_identifier.is_some() {
            continue;
        }
        handled = true;
        if set.alias_target.is_some() {
            // An alias has no value to switch; only weighted aliases can move.
            return Err(not_found(name, RecordProblem::SimpleAlias));
        }
        if !fits(&set.r#type, target) {
            // Route 53 would refuse the whole batch; say so before sending it.
            return Err(not_found(
                name,
                RecordProblem::TypeMismatch {
                    rtype: set.r#type.as_str().to_owned(),
                    region: req.to_region.clone(),
                    value: target.clone(),
                },
            ));
        }
        let values: Vec<&str> = set.resource_records().iter().map(|r| r.value()).collect();
        if let [current] = values[..]
            && same_value(current, target)
        {
            continue; // already moved
        }
        let mut after = (*set).clone();
        after.resource_records = Some(vec![
            ResourceRecord::builder()
                .value(target)
                .build()
                .map_err(|e| Error::Misconfigured {
                    variable: "REGION_ENDPOINTS",
                    reason: format!("has an unusable value for {}: {e}", req.to_region),
                })?,
        ]);
        plan.changes.push(RecordChange {
            before: (*set).clone(),
            after,
        });
    }
    if !handled {
        // Only other routing policies at this name: nothing here can move,
        // which must not pass for "already active".
        return Err(not_found(name, RecordProblem::OtherRoutingPolicy));
    }
    Ok(())
}

/// Whether `value` can be the value of a record of type `rtype`.
fn fits(rtype: &RrType, value: &str) -> bool {
    match rtype {
        RrType::A => value.parse::<std::net::Ipv4Addr>().is_ok(),
        RrType::Aaaa => value.parse::<std::net::Ipv6Addr>().is_ok(),
        _ => value.parse::<std::net::IpAddr>().is_err(),
    }
}

/// DNS names compare without case and without the trailing dot.
fn same_value(a: &str, b: &str) -> bool {
    a.trim_end_matches('.')
        .eq_ignore_ascii_case(b.trim_end_matches('.'))
}

/// A record set's routing state, for the result: what a failback or an audit needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordState {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias_target: Option<String>,
}

/// One changed record set, before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordDiff {
    pub name: String,
    #[serde(rename = "type")]
    pub rtype: String,
    pub set_identifier: Option<String>,
    pub before: RecordState,
    pub after: RecordState,
}

impl RecordDiff {
    /// The audit view of one change.
    pub fn of(change: &RecordChange) -> Self {
        RecordDiff {
            name: change.before.name.clone(),
            rtype: change.before.r#type.as_str().to_owned(),
            set_identifier: change.before.set_identifier.clone(),
            before: state(&change.before),
            after: state(&change.after),
        }
    }
}

fn state(set: &ResourceRecordSet) -> RecordState {
    RecordState {
        weight: set.weight,
        values: set
            .resource_records
            .as_ref()
            .map(|rs| rs.iter().map(|r| r.value().to_owned()).collect()),
        alias_target: set.alias_target.as_ref().map(|a| a.dns_name().to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use aws_sdk_route53::types::AliasTarget;

    use super::*;
    use crate::trigger::Trigger;

    fn config(names: &[&str]) -> DnsConfig {
        DnsConfig {
            hosted_zone_id: "Z1".into(),
            record_names: names.iter().map(|n| normalize_name(n)).collect(),
            region_endpoints: BTreeMap::from([
                ("us-east-1".into(), "shop-use1.example.com".into()),
                ("us-west-2".into(), "shop-usw2.example.com".into()),
            ]),
            region_health_checks: BTreeMap::new(),
            active_weight: 100,
        }
    }

    fn request(from: &str, to: &str) -> FailoverRequest {
        FailoverRequest {
            from_region: from.into(),
            to_region: to.into(),
            dry_run: false,
            force: false,
            safety_rules_to_override: Vec::new(),
            trigger: Trigger::Direct,
        }
    }

    fn weighted(name: &str, region: &str, weight: i64) -> ResourceRecordSet {
        ResourceRecordSet::builder()
            .name(name)
            .r#type(RrType::A)
            .set_identifier(region)
            .weight(weight)
            .ttl(60)
            .resource_records(
                ResourceRecord::builder()
                    .value(format!("10.0.0.{weight}"))
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    }

    fn weights(plan: &FailoverPlan) -> Vec<(String, i64, i64)> {
        plan.changes
            .iter()
            .map(|c| {
                (
                    c.after.set_identifier.clone().unwrap_or_default(),
                    c.before.weight.unwrap_or(-1),
                    c.after.weight.unwrap_or(-1),
                )
            })
            .collect()
    }

    const SHOP: &str = "shop.example.com.";

    fn cause(err: Error) -> RecordProblem {
        match err {
            Error::RecordNotFound { cause, .. } => cause,
            other => panic!("expected RecordNotFound, got {other:?}"),
        }
    }

    #[test]
    fn weights_of_100_and_0_become_0_and_100() {
        let sets = [
            weighted(SHOP, "us-east-1", 100),
            weighted(SHOP, "us-west-2", 0),
        ];
        let plan =
            plan_failover(&config(&[SHOP]), &request("us-east-1", "us-west-2"), &sets).unwrap();
        assert_eq!(
            weights(&plan),
            [("us-east-1".into(), 100, 0), ("us-west-2".into(), 0, 100)]
        );
    }

    #[test]
    fn weights_of_50_and_50_become_0_and_100() {
        let sets = [
            weighted(SHOP, "us-east-1", 50),
            weighted(SHOP, "us-west-2", 50),
        ];
        let plan =
            plan_failover(&config(&[SHOP]), &request("us-east-1", "us-west-2"), &sets).unwrap();
        assert_eq!(
            weights(&plan),
            [("us-east-1".into(), 50, 0), ("us-west-2".into(), 50, 100)]
        );
    }

    #[test]
    fn a_third_region_is_left_untouched() {
        let sets = [
            weighted(SHOP, "us-east-1", 60),
            weighted(SHOP, "us-west-2", 20),
            weighted(SHOP, "eu-west-1", 20),
        ];
        let plan =
            plan_failover(&config(&[SHOP]), &request("us-east-1", "us-west-2"), &sets).unwrap();
        assert_eq!(
            weights(&plan),
            [("us-east-1".into(), 60, 0), ("us-west-2".into(), 20, 80)]
        );
    }

    #[test]
    fn both_weights_at_zero_give_the_target_the_active_weight() {
        let sets = [
            weighted(SHOP, "us-east-1", 0),
            weighted(SHOP, "us-west-2", 0),
        ];
        let plan =
            plan_failover(&config(&[SHOP]), &request("us-east-1", "us-west-2"), &sets).unwrap();
        assert_eq!(weights(&plan), [("us-west-2".into(), 0, 100)]);
    }

    #[test]
    fn a_weight_never_exceeds_the_route53_maximum() {
        let sets = [
            weighted(SHOP, "us-east-1", 200),
            weighted(SHOP, "us-west-2", 200),
        ];
        let plan =
            plan_failover(&config(&[SHOP]), &request("us-east-1", "us-west-2"), &sets).unwrap();
        assert_eq!(plan.changes[1].after.weight, Some(255));
    }

    #[test]
    fn a_weighted_alias_keeps_its_alias_target_and_health_check() {
        let alias = AliasTarget::builder()
            .hosted_zone_id("Z35SXDOTRQ7X7K")
            .dns_name("shop-usw2-123.us-west-2.elb.amazonaws.com.")
            .evaluate_target_health(true)
            .build()
            .unwrap();
        let to = ResourceRecordSet::builder()
            .name(SHOP)
            .r#type(RrType::A)
            .set_identifier("us-west-2")
            .weight(0)
            .alias_target(alias.clone())
            .health_check_id("hc-west")
            .build()
            .unwrap();
        let sets = [weighted(SHOP, "us-east-1", 100), to.clone()];
        let plan =
            plan_failover(&config(&[SHOP]), &request("us-east-1", "us-west-2"), &sets).unwrap();
        let after = &plan.changes[1].after;
        assert_eq!(after.alias_target, Some(alias));
        assert_eq!(after.health_check_id.as_deref(), Some("hc-west"));
        assert_eq!(after.weight, Some(100));
        let mut only_weight_changed = after.clone();
        only_weight_changed.weight = Some(0);
        assert_eq!(only_weight_changed, to);
        assert_eq!(plan.health_checks, ["hc-west"]);
    }

    #[test]
    fn a_simple_record_switches_to_the_target_regions_endpoint() {
        let cname = ResourceRecordSet::builder()
            .name("api.example.com.")
            .r#type(RrType::Cname)
            .ttl(30)
            .resource_records(
                ResourceRecord::builder()
                    .value("shop-use1.example.com")
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        let plan = plan_failover(
            &config(&["api.example.com"]),
            &request("us-east-1", "us-west-2"),
            &[cname],
        )
        .unwrap();
        let after = &plan.changes[0].after;
        assert_eq!(after.r#type, RrType::Cname);
        assert_eq!(after.ttl, Some(30));
        assert_eq!(after.resource_records()[0].value(), "shop-usw2.example.com");
    }

    #[test]
    fn a_simple_record_already_on_the_target_differing_only_in_case_and_dot_is_not_resubmitted() {
        let cname = ResourceRecordSet::builder()
            .name("api.example.com.")
            .r#type(RrType::Cname)
            .ttl(30)
            .resource_records(
                ResourceRecord::builder()
                    .value("SHOP-USW2.example.com.")
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        let plan = plan_failover(
            &config(&["api.example.com"]),
            &request("us-east-1", "us-west-2"),
            &[cname],
        )
        .unwrap();
        assert!(plan.changes.is_empty());
    }

    #[test]
    fn an_endpoint_that_does_not_fit_the_record_type_is_refused_before_sending() {
        let a = ResourceRecordSet::builder()
            .name("api.example.com.")
            .r#type(RrType::A)
            .ttl(30)
            .resource_records(ResourceRecord::builder().value("10.0.0.1").build().unwrap())
            .build()
            .unwrap();
        let err = plan_failover(
            &config(&["api.example.com"]),
            &request("us-east-1", "us-west-2"),
            &[a],
        )
        .unwrap_err();
        assert_eq!(
            cause(err),
            RecordProblem::TypeMismatch {
                rtype: "A".into(),
                region: "us-west-2".into(),
                value: "shop-usw2.example.com".into()
            }
        );
    }

    #[test]
    fn a_name_with_only_latency_records_is_not_reported_as_active() {
        let latency = ResourceRecordSet::builder()
            .name(SHOP)
            .r#type(RrType::A)
            .set_identifier("us-west-2")
            .region(aws_sdk_route53::types::ResourceRecordSetRegion::UsWest2)
            .ttl(60)
            .resource_records(ResourceRecord::builder().value("10.0.0.2").build().unwrap())
            .build()
            .unwrap();
        let err = plan_failover(
            &config(&[SHOP]),
            &request("us-east-1", "us-west-2"),
            &[latency],
        )
        .unwrap_err();
        assert_eq!(cause(err), RecordProblem::OtherRoutingPolicy);
    }

    #[test]
    fn a_wildcard_record_listed_with_an_octal_escape_is_matched() {
        let sets = [
            weighted("\\052.example.com.", "us-east-1", 100),
            weighted("\\052.example.com.", "us-west-2", 0),
        ];
        let plan = plan_failover(
            &config(&["*.example.com"]),
            &request("us-east-1", "us-west-2"),
            &sets,
        )
        .unwrap();
        assert_eq!(plan.changes.len(), 2);
    }

    #[test]
    fn an_already_active_target_gives_an_empty_plan() {
        let sets = [
            weighted(SHOP, "us-east-1", 0),
            weighted(SHOP, "us-west-2", 100),
        ];
        let plan =
            plan_failover(&config(&[SHOP]), &request("us-east-1", "us-west-2"), &sets).unwrap();
        assert_eq!(plan, FailoverPlan::default());
    }

    #[test]
    fn a_missing_region_is_record_not_found_naming_record_and_region() {
        let sets = [weighted(SHOP, "us-east-1", 100)];
        match plan_failover(&config(&[SHOP]), &request("us-east-1", "us-west-2"), &sets) {
            Err(Error::RecordNotFound { name, cause }) => {
                assert_eq!(name, SHOP);
                assert_eq!(
                    cause,
                    RecordProblem::NoRecordSet {
                        region: "us-west-2".into()
                    }
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_missing_record_is_record_not_found() {
        let sets = [
            weighted(SHOP, "us-east-1", 100),
            weighted(SHOP, "us-west-2", 0),
        ];
        let err = plan_failover(
            &config(&[SHOP, "cart.example.com"]),
            &request("us-east-1", "us-west-2"),
            &sets,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "record 'cart.example.com.' cannot be moved: the zone has no A, AAAA or CNAME record of \
             that name; nothing was changed. Whoever owns the zone creates the record set (weighted: \
             SetIdentifier = the region name), or the deployer fixes RECORD_NAMES."
        );
    }

    #[test]
    fn a_simple_alias_is_record_not_found_saying_it_has_no_value_to_switch() {
        let alias = ResourceRecordSet::builder()
            .name("api.example.com.")
            .r#type(RrType::A)
            .alias_target(
                AliasTarget::builder()
                    .hosted_zone_id("Z35SXDOTRQ7X7K")
                    .dns_name("api-1.us-east-1.elb.amazonaws.com.")
                    .evaluate_target_health(true)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        let err = plan_failover(
            &config(&["api.example.com"]),
            &request("us-east-1", "us-west-2"),
            &[alias],
        )
        .unwrap_err();
        assert_eq!(cause(err), RecordProblem::SimpleAlias);
    }

    #[test]
    fn a_simple_record_without_an_endpoint_blames_region_endpoints() {
        let cname = ResourceRecordSet::builder()
            .name("api.example.com.")
            .r#type(RrType::Cname)
            .ttl(30)
            .resource_records(
                ResourceRecord::builder()
                    .value("x.example.com")
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        let mut config = config(&["api.example.com"]);
        config.region_endpoints.remove("us-west-2");
        let err = plan_failover(&config, &request("us-east-1", "us-west-2"), &[cname]).unwrap_err();
        assert!(
            err.to_string()
                .contains("The deployer fixes REGION_ENDPOINTS"),
            "{err}"
        );
        assert_eq!(
            cause(err),
            RecordProblem::NoEndpoint {
                region: "us-west-2".into()
            }
        );
    }

    #[test]
    fn every_configured_record_moves_in_the_same_plan() {
        let api = "api.example.com.";
        let sets = [
            weighted(SHOP, "us-east-1", 100),
            weighted(SHOP, "us-west-2", 0),
            weighted(api, "us-east-1", 100),
            weighted(api, "us-west-2", 0),
        ];
        let plan = plan_failover(
            &config(&[SHOP, api]),
            &request("us-east-1", "us-west-2"),
            &sets,
        )
        .unwrap();
        assert_eq!(plan.changes.len(), 4);
    }

    #[test]
    fn failback_restores_the_original_weights() {
        let original = [
            weighted(SHOP, "us-east-1", 100),
            weighted(SHOP, "us-west-2", 0),
        ];
        let c = config(&[SHOP]);
        let over = plan_failover(&c, &request("us-east-1", "us-west-2"), &original).unwrap();
        let moved: Vec<ResourceRecordSet> =
            over.changes.iter().map(|ch| ch.after.clone()).collect();

        let back = plan_failover(&c, &request("us-west-2", "us-east-1"), &moved).unwrap();
        let restored: Vec<ResourceRecordSet> =
            back.changes.iter().map(|ch| ch.after.clone()).collect();

        let find = |sets: &[ResourceRecordSet], r: &str| {
            sets.iter()
                .find(|s| s.set_identifier.as_deref() == Some(r))
                .and_then(|s| s.weight)
        };
        assert_eq!(find(&restored, "us-east-1"), Some(100));
        assert_eq!(find(&restored, "us-west-2"), Some(0));
    }

    #[test]
    fn other_names_and_types_in_the_listing_are_ignored() {
        let txt = ResourceRecordSet::builder()
            .name(SHOP)
            .r#type(RrType::Txt)
            .ttl(60)
            .build()
            .unwrap();
        let neighbour = weighted("shop2.example.com.", "us-east-1", 100);
        let sets = [
            txt,
            neighbour,
            weighted(SHOP, "us-east-1", 100),
            weighted(SHOP, "us-west-2", 0),
        ];
        let plan =
            plan_failover(&config(&[SHOP]), &request("us-east-1", "us-west-2"), &sets).unwrap();
        assert_eq!(plan.changes.len(), 2);
    }

    #[test]
    fn the_audit_view_shows_weights_before_and_after() {
        let sets = [
            weighted(SHOP, "us-east-1", 100),
            weighted(SHOP, "us-west-2", 0),
        ];
        let plan =
            plan_failover(&config(&[SHOP]), &request("us-east-1", "us-west-2"), &sets).unwrap();
        let json = serde_json::to_value(RecordDiff::of(&plan.changes[0])).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"name": SHOP, "type": "A", "set_identifier": "us-east-1",
                               "before": {"weight": 100, "values": ["10.0.0.100"]},
                               "after": {"weight": 0, "values": ["10.0.0.100"]}})
        );
    }
}
