//! The record names in the change batch, as IAM compares them, are exactly
//! the names the template's policy allows.
//!
//! `tests/fixtures/normalized-record-names.json` holds a RecordNames value
//! (with a wildcard) and the names IAM's
//! `route53:ChangeResourceRecordSetsNormalizedRecordNames` sees for it.
//! `scripts/check_template.py` evaluates the template's condition for that
//! value and must get those names; this test sends a failover of the same
//! names (Route 53 lists the wildcard as `\052`) and must produce them.

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use aws_sdk_route53::Client;
use aws_sdk_route53::operation::change_resource_record_sets::ChangeResourceRecordSetsOutput;
use aws_sdk_route53::operation::list_resource_record_sets::ListResourceRecordSetsOutput;
use aws_sdk_route53::primitives::DateTime;
use aws_sdk_route53::types::{ChangeInfo, ChangeStatus, ResourceRecord, ResourceRecordSet, RrType};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use dr_lambdas::failover::dns::config::{iam_normalized, normalize_name};
use dr_lambdas::failover::{FailoverHandler, Mode, dns::DnsMode};
use dr_lambdas::runtime::{Handler, Invocation};
use serde_json::{Value, json};

fn fixture() -> Value {
    let text = std::fs::read_to_string("tests/fixtures/normalized-record-names.json")
        .expect("read the fixture");
    serde_json::from_str(&text).expect("the fixture is JSON")
}

/// A weighted A record set as Route 53 lists it: `*` as `\052`.
fn listed(name: &str, region: &str, weight: i64) -> ResourceRecordSet {
    ResourceRecordSet::builder()
        .name(normalize_name(name).replace('*', "\\052"))
        .r#type(RrType::A)
        .set_identifier(region)
        .weight(weight)
        .ttl(60)
        .resource_records(ResourceRecord::builder().value("10.0.0.1").build().unwrap())
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_change_batch_carries_exactly_the_names_the_policy_allows() {
    let fixture = fixture();
    let names: Vec<String> = fixture["RecordNames"]
        .as_str()
        .unwrap()
        .split(',')
        .map(str::to_owned)
        .collect();
    let allowed: BTreeSet<String> = fixture["normalized"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_owned())
        .collect();

    let listing = names.clone();
    let list = mock!(Client::list_resource_record_sets).then_compute_output(move |input| {
        let wanted = normalize_name(input.start_record_name().unwrap_or_default());
        let mut out = ListResourceRecordSetsOutput::builder()
            .is_truncated(false)
            .max_items(100);
        for name in listing.iter().filter(|n| normalize_name(n) == wanted) {
            out = out
                .resource_record_sets(listed(name, "us-east-1", 100))
                .resource_record_sets(listed(name, "us-west-2", 0));
        }
        out.build().unwrap()
    });
    let sent = Arc::new(Mutex::new(Vec::new()));
    let keep = sent.clone();
    let change = mock!(Client::change_resource_record_sets).then_compute_output(move |input| {
        for c in input
            .change_batch()
            .map(|b| b.changes())
            .unwrap_or_default()
        {
            keep.lock().unwrap().push(
                c.resource_record_set()
                    .map(|s| s.name().to_owned())
                    .unwrap_or_default(),
            );
        }
        ChangeResourceRecordSetsOutput::builder()
            .change_info(
                ChangeInfo::builder()
                    .id("/change/C1")
                    .status(ChangeStatus::Pending)
                    .submitted_at(DateTime::from_secs(0))
                    .build()
                    .unwrap(),
            )
            .build()
    });
    let client = mock_client!(aws_sdk_route53, RuleMode::MatchAny, &[&list, &change]);
    let mut config = common::failover_config();
    config.require_healthy_target = false; // health is not the subject here
    let dns = common::dns_config("Z1", names.iter().map(|n| normalize_name(n)).collect());
    let handler = FailoverHandler::new(config, Mode::Dns(DnsMode::new(client, dns)));

    handler
        .handle(
            json!({"primary_region": "us-east-1", "secondary_region": "us-west-2"}),
            &Invocation::new("r"),
        )
        .await
        .unwrap();

    let normalized: BTreeSet<String> = sent
        .lock()
        .unwrap()
        .iter()
        .map(|n| iam_normalized(n))
        .collect();
    assert_eq!(normalized, allowed);
}
