//! Property tests over the event decoders: whatever JSON arrives, decoding
//! ends in a request or a typed refusal, never a panic. Bounded (256 cases
//! per property) so that CI stays fast.

mod common;

use dr_lambdas::failover::config::FailoverConfig;
use dr_lambdas::failover::event;
use dr_lambdas::restore::request;
use dr_lambdas::validate;
use proptest::prelude::*;
use serde_json::{Value, json};

/// Any JSON value, at most a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        prop_oneof![
            Just("ALARM"),
            Just("OK"),
            Just("latest"),
            Just("us-east-1"),
            Just("aws.cloudwatch")
        ]
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(field_name(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Field names the decoders know, mixed with arbitrary ones, so that the
/// generated objects reach past the first check.
fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "db_instance",
            "snapshot_id",
            "source_db_instance",
            "region",
            "tags",
            "dry_run",
            "force",
            "multi_az",
            "vpc_security_group_ids",
            "primary_region",
            "secondary_region",
            "source",
            "alarmData",
            "alarmName",
            "state",
            "value",
            "detail-type",
            "detail",
            "Records",
            "Sns",
            "Message",
            "time",
        ])
        .prop_map(str::to_owned),
        "[a-zA-Z_-]{1,12}",
    ]
}

fn config() -> FailoverConfig {
    common::failover_config()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_restore_decoder_accepts_or_refuses_with_invalid_request(event in any_json()) {
        if let Err(e) = request::parse(event, common::restore_scope()) {
            prop_assert_eq!(e.name(), "InvalidRequest");
        }
    }

    #[test]
    fn the_failover_decoder_accepts_or_refuses_with_invalid_request(event in any_json()) {
        if let Err(e) = event::parse(event, &config()) {
            prop_assert_eq!(e.name(), "InvalidRequest");
        }
    }

    #[test]
    fn a_near_valid_restore_event_is_accepted_or_refused_naming_a_field(
        db_instance in ".{0,70}",
        snapshot_id in ".{0,70}",
        region in proptest::option::of("[a-z]{2}-[a-z]{3,9}-[0-9]{1,2}|.{0,12}"),
    ) {
        let mut event = json!({"db_instance": db_instance, "snapshot_id": snapshot_id});
        if let Some(r) = region { event["region"] = json!(r); }
        match request::parse(event, common::restore_scope()) {
            Ok(req) => prop_assert!(validate::db_instance_identifier(req.target.instance_id()).is_ok()),
            Err(dr_lambdas::Error::InvalidRequest { field, .. }) => {
                prop_assert!(["db_instance", "snapshot_id", "source_db_instance", "region"].contains(&field.as_str()), "{}", field)
            }
            Err(other) => prop_assert!(false, "unexpected {}", other.name()),
        }
    }

    #[test]
    fn raw_payloads_of_any_text_never_panic(text in ".{0,200}") {
        if let Ok(raw) = serde_json::value::RawValue::from_string(text) {
            let _ = validate::event_from_raw(&raw);
        }
    }
}
