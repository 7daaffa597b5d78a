//! A corpus of malformed events for both handlers: each gets a typed refusal
//! naming the field, no AWS request is sent, and nothing panics.

mod common;

use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use dr_lambdas::failover::config::FailoverConfig;
use dr_lambdas::failover::dns::DnsMode;
use dr_lambdas::failover::{FailoverHandler, Mode};
use dr_lambdas::restore::RestoreHandler;
use dr_lambdas::runtime::{Handler, Invocation};
use dr_lambdas::validate::Globs;
use serde_json::{Value, json};

/// One malformed event: why it is malformed, the event, and the field the
/// refusal must name (`None`: any field; the name is then checked alone).
struct Case {
    why: String,
    event: Value,
    field: Option<&'static str>,
    error: &'static str,
}

fn case(why: impl Into<String>, event: Value, field: &'static str) -> Case {
    Case {
        why: why.into(),
        event,
        field: Some(field),
        error: "InvalidRequest",
    }
}

fn big() -> String {
    "a".repeat(64 * 1024)
}

/// `[[[...]]]`, `depth` levels.
fn nested(depth: usize) -> Value {
    let mut v = json!("x");
    for _ in 0..depth {
        v = json!([v]);
    }
    v
}

fn with(base: &Value, key: &str, value: Value) -> Value {
    let mut event = base.clone();
    event[key] = value;
    event
}

fn without(base: &Value, key: &str) -> Value {
    let mut event = base.clone();
    event.as_object_mut().map(|o| o.remove(key));
    event
}

const BAD_IDENTIFIERS: &[(&str, &str)] = &[
    ("a leading digit", "1ecommerce-db"),
    ("two hyphens", "ecommerce--db"),
    ("a trailing hyphen", "ecommerce-db-"),
    ("an underscore", "ecommerce_db"),
    ("a space", "ecommerce db"),
    ("unicode", "ecommerce-dé"),
    ("cyrillic", "база"),
    ("a semicolon", "db;rm -rf /"),
    ("a command substitution", "db$(reboot)"),
    ("backticks", "db`id`"),
    ("a pipe", "db|cat"),
    ("a newline", "db\nx"),
    ("a path", "../../etc/passwd"),
];

const BAD_REGIONS: &[&str] = &[
    "",
    "us-east",
    "US-EAST-1",
    "us_east_1",
    "moon-1",
    "us-east-01",
    "us-east-0",
    "../us-east-1",
    "us-east-1 ",
];

/// An Aurora restore event of `orders-restored`, with `fields`.
fn cluster(fields: Value) -> Value {
    let mut event = json!({"db_cluster": "orders-restored"});
    for (key, value) in fields.as_object().expect("fields are an object") {
        event[key] = value.clone();
    }
    event
}

/// A point-in-time restore event of `ecommerce-db` at `time`.
fn pitr(time: Value) -> Value {
    json!({"db_instance": "ecommerce-db-pitr", "source_db_instance": "ecommerce-db",
           "restore_time": time})
}

fn restore_cases() -> Vec<Case> {
    let base =
        json!({"db_instance": "ecommerce-db-restored", "snapshot_id": "snapshot-2025-05-12"});
    let mut cases = vec![
        case("an empty object", json!({}), "db_instance"),
        case(
            "no snapshot_id",
            without(&base, "snapshot_id"),
            "snapshot_id",
        ),
        case(
            "no db_instance",
            without(&base, "db_instance"),
            "db_instance",
        ),
        case("null", json!(null), "event"),
        case("an array", json!([base.clone()]), "event"),
        case("a number", json!(42), "event"),
        case("a string", json!("ecommerce-db"), "event"),
        case("a boolean", json!(true), "event"),
        case(
            "latest without a source",
            with(&base, "snapshot_id", json!("latest")),
            "source_db_instance",
        ),
        case(
            "both db_instance and db_cluster",
            with(&base, "db_cluster", json!("orders-restored")),
            "db_cluster",
        ),
        case(
            "a cluster with source_db_instance",
            cluster(json!({"snapshot_id": "latest", "source_db_instance": "orders"})),
            "source_db_instance",
        ),
        case(
            "a cluster's latest without a source",
            cluster(json!({"snapshot_id": "latest"})),
            "source_db_cluster",
        ),
        case(
            "a cluster with multi_az",
            cluster(json!({"snapshot_id": "s", "multi_az": true})),
            "multi_az",
        ),
        case(
            "a cluster with an option group",
            cluster(json!({"snapshot_id": "s", "option_group": "og"})),
            "option_group",
        ),
        case(
            "a cluster whose writer is the cluster",
            cluster(json!({"snapshot_id": "s", "writer_instance": "orders-restored"})),
            "writer_instance",
        ),
        case(
            "a cluster with a bad writer name",
            cluster(json!({"snapshot_id": "s", "writer_instance": "1-writer"})),
            "writer_instance",
        ),
        case(
            "a cluster name too long for its default writer",
            json!({"db_cluster": format!("a{}", "b".repeat(60)), "snapshot_id": "s"}),
            "writer_instance",
        ),
        case(
            "a writer for an instance restore",
            with(&base, "writer_instance", json!("w")),
            "writer_instance",
        ),
        case(
            "a cluster parameter group for an instance restore",
            with(&base, "db_cluster_parameter_group", json!("pg")),
            "db_cluster_parameter_group",
        ),
        case(
            "a snapshot ARN for a cluster",
            cluster(json!({"snapshot_id": "arn:aws:rds:us-east-1:123456789012:snapshot:s"})),
            "snapshot_id",
        ),
        case(
            "both snapshot_id and restore_time",
            with(
                &with(&base, "restore_time", json!("latest")),
                "source_db_instance",
                json!("ecommerce-db"),
            ),
            "restore_time",
        ),
        case(
            "neither snapshot_id nor restore_time",
            with(
                &without(&base, "snapshot_id"),
                "source_db_instance",
                json!("ecommerce-db"),
            ),
            "snapshot_id",
        ),
        case(
            "a restore_time without a source",
            with(
                &without(&base, "snapshot_id"),
                "restore_time",
                json!("latest"),
            ),
            "source_db_instance",
        ),
        case(
            "a restore_time that is no time",
            pitr(json!("last tuesday")),
            "restore_time",
        ),
        case(
            "a restore_time without a zone",
            pitr(json!("2026-11-21T09:30:00")),
            "restore_time",
        ),
        case(
            "a restore_time as a number",
            pitr(json!(1_795_253_400)),
            "restore_time",
        ),
        case(
            "a restore_time in the future",
            pitr(json!("2999-01-01T00:00:00Z")),
            "restore_time",
        ),
        case(
            "a restore_time of an impossible date",
            pitr(json!("2026-02-30T00:00:00Z")),
            "restore_time",
        ),
        case(
            "an empty security group list",
            with(&base, "vpc_security_group_ids", json!([])),
            "vpc_security_group_ids",
        ),
        case(
            "a bad security group",
            with(&base, "vpc_security_group_ids", json!(["sg-12"])),
            "vpc_security_group_ids[0]",
        ),
        case(
            "too many tags",
            with(
                &base,
                "tags",
                json!(
                    (0..21)
                        .map(|i| (format!("k{i}"), json!("v")))
                        .collect::<serde_json::Map<_, _>>()
                ),
            ),
            "tags",
        ),
        case(
            "a reserved aws: tag",
            with(&base, "tags", json!({"aws:owner": "x"})),
            "tags",
        ),
        case(
            "a reserved dr-lambdas: tag",
            with(&base, "tags", json!({"dr-lambdas:request-id": "x"})),
            "tags",
        ),
        case(
            "an empty tag key",
            with(&base, "tags", json!({"": "v"})),
            "tags",
        ),
        case(
            "a tag value of 64 KiB",
            with(&base, "tags", json!({"k": big()})),
            "tags.k",
        ),
        case(
            "a db_instance of 64 KiB",
            with(&base, "db_instance", json!(big())),
            "db_instance",
        ),
        case(
            "a snapshot_id of 64 KiB",
            with(&base, "snapshot_id", json!(big())),
            "snapshot_id",
        ),
        case(
            "a region of 64 KiB",
            with(&base, "region", json!(big())),
            "region",
        ),
        case(
            "a subnet group of 64 KiB",
            with(&base, "db_subnet_group", json!(big())),
            "db_subnet_group",
        ),
        case(
            "an instance class without db.",
            with(&base, "db_instance_class", json!("r6g.large")),
            "db_instance_class",
        ),
        case(
            "deeply nested db_instance",
            with(&base, "db_instance", nested(100)),
            "db_instance",
        ),
        case(
            "deeply nested unknown field",
            with(&base, "extra", nested(100)),
            "extra",
        ),
        case(
            "an unknown field (typo)",
            with(&base, "vpc_security_group_id", json!(["sg-12345678"])),
            "vpc_security_group_id",
        ),
        case(
            "an API-style field name",
            with(&base, "DBInstanceIdentifier", json!("x")),
            "DBInstanceIdentifier",
        ),
        case(
            "dryrun misspelt",
            with(&base, "dryrun", json!(true)),
            "dryrun",
        ),
        case(
            "a 64-character identifier",
            with(&base, "db_instance", json!(format!("a{}", "b".repeat(63)))),
            "db_instance",
        ),
        case(
            "an empty db_instance",
            with(&base, "db_instance", json!("")),
            "db_instance",
        ),
        case(
            "an empty snapshot_id",
            with(&base, "snapshot_id", json!("")),
            "snapshot_id",
        ),
        case(
            "an empty source",
            with(&base, "source_db_instance", json!("")),
            "source_db_instance",
        ),
        case(
            "an empty subnet group",
            with(&base, "db_subnet_group", json!("")),
            "db_subnet_group",
        ),
        case(
            "an ARN of another service",
            with(&base, "snapshot_id", json!("arn:aws:s3:::bucket")),
            "snapshot_id",
        ),
        case(
            "a snapshot ARN with a short account",
            with(
                &base,
                "snapshot_id",
                json!("arn:aws:rds:us-east-1:123:snapshot:s"),
            ),
            "snapshot_id",
        ),
    ];
    for (field, wrong) in [
        ("db_instance", json!(5)),
        ("db_instance", json!(null)),
        ("db_instance", json!(["a"])),
        ("db_instance", json!({"a": 1})),
        ("snapshot_id", json!(5)),
        ("snapshot_id", json!(null)),
        ("source_db_instance", json!(5)),
        ("region", json!(5)),
        ("db_instance_class", json!(5)),
        ("db_subnet_group", json!(5)),
        ("vpc_security_group_ids", json!("sg-12345678")),
        ("vpc_security_group_ids", json!([5])),
        ("db_parameter_group", json!(5)),
        ("option_group", json!(false)),
        ("multi_az", json!("yes")),
        ("multi_az", json!(1)),
        ("tags", json!([])),
        ("tags", json!("team=orders")),
        ("tags", json!({"k": 5})),
        ("tags", json!({"k": null})),
        ("dry_run", json!("true")),
        ("dry_run", json!(1)),
    ] {
        let expected: &'static str = match (field, &wrong) {
            ("tags", Value::Object(_)) => "tags.k",
            ("vpc_security_group_ids", Value::Array(_)) => "vpc_security_group_ids[0]",
            _ => field,
        };
        cases.push(case(
            format!("{field} = {wrong}"),
            with(&base, field, wrong),
            expected,
        ));
    }
    for (why, id) in BAD_IDENTIFIERS {
        cases.push(case(
            format!("db_instance with {why}"),
            with(&base, "db_instance", json!(id)),
            "db_instance",
        ));
        cases.push(case(
            format!("source with {why}"),
            with(&base, "source_db_instance", json!(id)),
            "source_db_instance",
        ));
    }
    for region in BAD_REGIONS {
        cases.push(case(
            format!("region {region:?}"),
            with(&base, "region", json!(region)),
            "region",
        ));
    }
    cases
}

fn failover_cases() -> Vec<Case> {
    let base = json!({"primary_region": "us-east-1", "secondary_region": "us-west-2"});
    let alarm: Value =
        serde_json::from_str(include_str!("../events/failover-region-alarm.json")).unwrap();
    let bridge: Value =
        serde_json::from_str(include_str!("../events/failover-region-eventbridge.json")).unwrap();
    let sns: Value =
        serde_json::from_str(include_str!("../events/failover-region-sns.json")).unwrap();
    let sns_message = |message: Value| {
        let mut e = sns.clone();
        e["Records"][0]["Sns"]["Message"] = message;
        e
    };
    let alarm_data = |key: &str, value: Value| {
        let mut e = alarm.clone();
        e["alarmData"][key] = value;
        e
    };
    let mut cases = vec![
        case("an empty object", json!({}), "event"),
        case(
            "no secondary_region",
            without(&base, "secondary_region"),
            "event",
        ),
        case(
            "no primary_region",
            without(&base, "primary_region"),
            "event",
        ),
        case("null", json!(null), "event"),
        case("an array", json!([base.clone()]), "event"),
        case("a number", json!(7), "event"),
        case("a string", json!("us-west-2"), "event"),
        case("a boolean", json!(false), "event"),
        case(
            "primary = secondary",
            with(&base, "secondary_region", json!("us-east-1")),
            "secondary_region",
        ),
        case(
            "a 64 KiB region",
            with(&base, "primary_region", json!(big())),
            "primary_region",
        ),
        case(
            "deeply nested region",
            with(&base, "primary_region", nested(100)),
            "primary_region",
        ),
        case(
            "a hosted zone in the event",
            with(&base, "hosted_zone_id", json!("Z999")),
            "hosted_zone_id",
        ),
        case(
            "record names in the event",
            with(&base, "record_names", json!(["evil.example.com"])),
            "record_names",
        ),
        case(
            "an API-style zone field",
            with(&base, "HostedZoneId", json!("Z999")),
            "HostedZoneId",
        ),
        case(
            "force as a string",
            with(&base, "force", json!("true")),
            "force",
        ),
        case("force as a number", with(&base, "force", json!(1)), "force"),
        case(
            "dry_run as a string",
            with(&base, "dry_run", json!("yes")),
            "dry_run",
        ),
        case(
            "an alarm from another source",
            with(&alarm, "source", json!("aws.ec2")),
            "source",
        ),
        case(
            "an alarm without a source",
            without(&alarm, "source"),
            "source",
        ),
        case(
            "an alarm without a state",
            {
                let mut e = alarm.clone();
                e["alarmData"].as_object_mut().unwrap().remove("state");
                e
            },
            "alarmData.state",
        ),
        case(
            "an alarm in an unknown state",
            {
                let mut e = alarm.clone();
                e["alarmData"]["state"]["value"] = json!("ON_FIRE");
                e
            },
            "alarmData.state.value",
        ),
        case(
            "an alarm state as a number",
            {
                let mut e = alarm.clone();
                e["alarmData"]["state"]["value"] = json!(1);
                e
            },
            "alarmData.state.value",
        ),
        case(
            "alarmData as a number",
            with(&alarm, "alarmData", json!(1)),
            "alarmData",
        ),
        case(
            "alarmData as null",
            with(&alarm, "alarmData", json!(null)),
            "alarmData",
        ),
        case(
            "an alarm without a name",
            {
                let mut e = alarm.clone();
                e["alarmData"].as_object_mut().unwrap().remove("alarmName");
                e
            },
            "alarmData",
        ),
        case(
            "an alarm name as a number",
            alarm_data("alarmName", json!(5)),
            "alarmData.alarmName",
        ),
        case(
            "an empty alarm name",
            alarm_data("alarmName", json!("")),
            "alarm name",
        ),
        case(
            "an alarm name of 64 KiB",
            alarm_data("alarmName", json!(big())),
            "alarm name",
        ),
        case(
            "an alarm name with a newline",
            alarm_data("alarmName", json!("dr\nalarm")),
            "alarm name",
        ),
        case(
            "an alarm with a bad time",
            with(&alarm, "time", json!("yesterday")),
            "time",
        ),
        case(
            "an EventBridge event of another kind",
            with(
                &bridge,
                "detail-type",
                json!("EC2 Instance State-change Notification"),
            ),
            "detail-type",
        ),
        case(
            "an EventBridge event from another source",
            with(&bridge, "source", json!("aws.health")),
            "detail-type",
        ),
        case(
            "an EventBridge event without detail",
            without(&bridge, "detail"),
            "detail",
        ),
        case(
            "an EventBridge detail of null",
            with(&bridge, "detail", json!(null)),
            "detail",
        ),
        case(
            "an EventBridge detail-type of null",
            with(&bridge, "detail-type", json!(null)),
            "detail-type",
        ),
        case(
            "an EventBridge alarm without a state",
            {
                let mut e = bridge.clone();
                e["detail"].as_object_mut().unwrap().remove("state");
                e
            },
            "detail.state",
        ),
        case(
            "an EventBridge alarm in state ON",
            {
                let mut e = bridge.clone();
                e["detail"]["state"]["value"] = json!("ON");
                e
            },
            "detail.state.value",
        ),
        case(
            "SNS Records not an array",
            with(&sns, "Records", json!({})),
            "Records",
        ),
        case(
            "SNS with no record",
            with(&sns, "Records", json!([])),
            "Records",
        ),
        case(
            "SNS with a number for a record",
            with(&sns, "Records", json!([1])),
            "Records[0]",
        ),
        case(
            "SNS record without Sns",
            {
                let mut e = sns.clone();
                e["Records"][0].as_object_mut().unwrap().remove("Sns");
                e
            },
            "Records[0]",
        ),
        case(
            "SNS message that is not JSON",
            sns_message(json!("ALARM!")),
            "Records[0].Sns.Message",
        ),
        case(
            "SNS message that is a JSON array",
            sns_message(json!("[1,2]")),
            "Records[0].Sns.Message.event",
        ),
        case(
            "SNS message as a number",
            sns_message(json!(5)),
            "Records[0].Sns.Message",
        ),
        case(
            "SNS message without NewStateValue",
            sns_message(json!(r#"{"AlarmName": "dr"}"#)),
            "Records[0].Sns.Message.event",
        ),
        case(
            "SNS message of 64 KiB",
            sns_message(json!(big())),
            "Records[0].Sns.Message",
        ),
        case(
            "SNS alarm name of 64 KiB",
            sns_message(json!(
                json!({"AlarmName": big(), "NewStateValue": "ALARM"}).to_string()
            )),
            "alarm name",
        ),
    ];
    for (field, wrong) in [
        ("primary_region", json!(5)),
        ("primary_region", json!(null)),
        ("primary_region", json!(["us-east-1"])),
        ("secondary_region", json!({"region": "us-west-2"})),
        ("secondary_region", json!(true)),
        ("secondary_region", json!(2.5)),
    ] {
        cases.push(case(
            format!("{field} = {wrong}"),
            with(&base, field, wrong),
            field,
        ));
    }
    for region in BAD_REGIONS {
        cases.push(case(
            format!("primary {region:?}"),
            with(&base, "primary_region", json!(region)),
            "primary_region",
        ));
        cases.push(case(
            format!("secondary {region:?}"),
            with(&base, "secondary_region", json!(region)),
            "secondary_region",
        ));
    }
    cases
}

fn restore_rules() -> Vec<Rule> {
    use aws_sdk_rds::Client;
    vec![
        mock!(Client::describe_db_instances)
            .sequence()
            .http_status(500, None)
            .repeatedly()
            .build(),
        mock!(Client::describe_db_snapshots)
            .sequence()
            .http_status(500, None)
            .repeatedly()
            .build(),
        mock!(Client::restore_db_instance_from_db_snapshot)
            .sequence()
            .http_status(500, None)
            .repeatedly()
            .build(),
    ]
}

fn failover_rules() -> Vec<Rule> {
    use aws_sdk_route53::Client;
    vec![
        mock!(Client::list_resource_record_sets)
            .sequence()
            .http_status(500, None)
            .repeatedly()
            .build(),
        mock!(Client::get_health_check_status)
            .sequence()
            .http_status(500, None)
            .repeatedly()
            .build(),
        mock!(Client::change_resource_record_sets)
            .sequence()
            .http_status(500, None)
            .repeatedly()
            .build(),
    ]
}

fn check(handler_name: &str, case: &Case, result: Result<Value, dr_lambdas::Error>) {
    let err = match result {
        Ok(out) => panic!("{handler_name}: {} was accepted: {out}", case.why),
        Err(e) => e,
    };
    assert_eq!(
        err.name(),
        case.error,
        "{handler_name}: {}: {err}",
        case.why
    );
    if let (Some(field), dr_lambdas::Error::InvalidRequest { field: got, .. }) = (case.field, &err)
    {
        assert_eq!(got, field, "{handler_name}: {}: {err}", case.why);
    }
    let message = err.to_string();
    assert!(
        message.len() < 1200,
        "{handler_name}: {}: a {}-byte message",
        case.why,
        message.len()
    );
    assert!(
        !message.contains("::"),
        "{handler_name}: {}: {message}",
        case.why
    );
}

#[tokio::test]
async fn every_malformed_restore_event_is_refused_without_an_aws_call() {
    let rules = restore_rules();
    let refs: Vec<&Rule> = rules.iter().collect();
    let client = mock_client!(aws_sdk_rds, RuleMode::MatchAny, &refs);
    let handler = RestoreHandler::new(client, "us-east-1", None);
    let cases = restore_cases();
    assert!(cases.len() >= 60, "only {} restore cases", cases.len());

    for case in &cases {
        let result = handler
            .handle(case.event.clone(), &Invocation::new("r"))
            .await;
        check(
            "restore",
            case,
            result.map(|r| serde_json::to_value(r).unwrap_or_default()),
        );
    }
    assert_eq!(
        rules.iter().map(Rule::num_calls).sum::<usize>(),
        0,
        "an AWS request was sent"
    );
}

#[tokio::test]
async fn a_restore_outside_the_allowlist_is_not_allowed_without_an_aws_call() {
    let rules = restore_rules();
    let refs: Vec<&Rule> = rules.iter().collect();
    let client = mock_client!(aws_sdk_rds, RuleMode::MatchAny, &refs);
    let handler = RestoreHandler::new(client, "us-east-1", Some(Globs::parse("ecommerce-db-*")));

    let result = handler
        .handle(
            json!({"db_instance": "billing-db", "snapshot_id": "snapshot-2025-05-12"}),
            &Invocation::new("r"),
        )
        .await;

    assert_eq!(result.unwrap_err().name(), "NotAllowed");
    assert_eq!(rules.iter().map(Rule::num_calls).sum::<usize>(), 0);
}

fn failover_handler(client: aws_sdk_route53::Client, config: FailoverConfig) -> FailoverHandler {
    let dns = common::dns_config("Z1", vec!["shop.example.com.".into()]);
    FailoverHandler::new(config, Mode::Dns(DnsMode::new(client, dns)))
}

#[tokio::test]
async fn every_malformed_failover_event_is_refused_without_an_aws_call() {
    let rules = failover_rules();
    let refs: Vec<&Rule> = rules.iter().collect();
    let client = mock_client!(aws_sdk_route53, RuleMode::MatchAny, &refs);
    let handler = failover_handler(client, common::failover_config());
    let cases = failover_cases();
    assert!(cases.len() >= 60, "only {} failover cases", cases.len());

    for case in &cases {
        let result = handler
            .handle(case.event.clone(), &Invocation::new("r"))
            .await;
        check(
            "failover",
            case,
            result.map(|r| serde_json::to_value(r).unwrap_or_default()),
        );
    }
    assert_eq!(
        rules.iter().map(Rule::num_calls).sum::<usize>(),
        0,
        "an AWS request was sent"
    );
}

#[tokio::test]
async fn an_alarm_outside_allowed_alarms_is_not_allowed_without_an_aws_call() {
    let rules = failover_rules();
    let refs: Vec<&Rule> = rules.iter().collect();
    let client = mock_client!(aws_sdk_route53, RuleMode::MatchAny, &refs);
    let mut config = common::failover_config();
    config.allowed_alarms = Some(Globs::parse("orders-*"));
    let handler = failover_handler(client, config);
    let alarm: Value =
        serde_json::from_str(include_str!("../events/failover-region-alarm.json")).unwrap();

    let err = handler
        .handle(alarm, &Invocation::new("r"))
        .await
        .unwrap_err();

    assert_eq!(err.name(), "NotAllowed");
    assert_eq!(rules.iter().map(Rule::num_calls).sum::<usize>(), 0);
}
