//! The routing-control mode against the test-only ARC cluster emulator
//! (`scripts/arc_emulator.py`, five loopback endpoints), in process and
//! through the binary under `cargo lambda watch`.
//!
//! The emulator proves the client contract (endpoint rotation, the signing
//! region of each endpoint, one batch, error mapping); it does not prove
//! ARC's quorum, real safety-rule evaluation or the DNS effect (its doc).
//! Every test resets the emulator, so they run one at a time.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_rds::config::{Credentials, Region};
use dr_lambdas::aws::{SdkSettings, sdk_config_loader};
use dr_lambdas::failover::arc::RoutingControlMode;
use dr_lambdas::failover::arc::cluster::ArcCluster;
use dr_lambdas::failover::arc::config::ArcConfig;
use dr_lambdas::failover::arc::plan::State;
use dr_lambdas::failover::{FailoverHandler, FailoverStatus, Mode};
use dr_lambdas::runtime::{Handler, Invocation};
use serde_json::{Value, json};
use tokio::sync::Mutex;

static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

const RULE: &str =
    "arn:aws:route53-recovery-control::123456789012:controlpanel/dr-panel/safetyrule/one-on";

/// The emulator's control URL, endpoints and routing controls, as scripts/test exports them.
struct Arc {
    control: String,
    endpoints: BTreeMap<String, String>,
    controls: BTreeMap<String, String>,
}

fn arc() -> Option<Arc> {
    let control = match std::env::var("ARC_EMULATOR") {
        Ok(url) if !url.is_empty() => url,
        _ if std::env::var("DR_REQUIRE_MOTO").is_ok() => {
            panic!("DR_REQUIRE_MOTO is set but ARC_EMULATOR is not")
        }
        _ => {
            eprintln!("skipped: ARC_EMULATOR is not set (run scripts/test)");
            return None;
        }
    };
    let json = |name: &str| -> BTreeMap<String, String> {
        serde_json::from_str(&std::env::var(name).expect(name)).expect(name)
    };
    Some(Arc {
        control,
        endpoints: json("ARC_CLUSTER_ENDPOINTS"),
        controls: json("ROUTING_CONTROLS"),
    })
}

impl Arc {
    /// Primary On, secondary Off; optionally the rule "at least one On".
    fn reset(&self, with_rule: bool) {
        let states: BTreeMap<&String, &str> = self
            .controls
            .iter()
            .map(|(region, arn)| (arn, if region == "us-east-1" { "On" } else { "Off" }))
            .collect();
        let rules = if with_rule {
            json!([{"arn": RULE, "controls": self.controls.values().collect::<Vec<_>>(), "min_on": 2}])
        } else {
            json!([])
        };
        common::http_post(
            &self.control,
            "/reset",
            &json!({"states": states, "rules": rules}).to_string(),
        );
    }

    fn behave(&self, behaviours: &[(&str, &str)]) {
        let map: BTreeMap<&str, &str> = behaviours.iter().copied().collect();
        common::http_post(&self.control, "/behave", &json!(map).to_string());
    }

    fn state(&self, region: &str) -> String {
        let (_, body) = common::http_get(&self.control, "/states");
        let states: Value = serde_json::from_str(&body).expect("states");
        states[&self.controls[region]]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    fn requests(&self) -> Vec<Value> {
        let (_, body) = common::http_get(&self.control, "/requests");
        serde_json::from_str(&body).expect("requests")
    }

    async fn handler(&self, attempt: Duration) -> FailoverHandler {
        let settings = SdkSettings {
            attempt_timeout: attempt,
            connect_timeout: Duration::from_millis(500),
            ..SdkSettings::default()
        };
        let sdk = sdk_config_loader(&settings)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .load()
            .await;
        let config = ArcConfig {
            routing_controls: self.controls.clone(),
            endpoints: self.endpoints.clone(),
        };
        let cluster = ArcCluster::new(&sdk, &config.endpoints, &settings);
        FailoverHandler::new(
            common::failover_config(),
            Mode::RoutingControl(RoutingControlMode::new(cluster, config)),
        )
    }
}

macro_rules! arc_or_skip {
    () => {
        match arc() {
            Some(arc) => arc,
            None => return,
        }
    };
}

fn direct() -> Value {
    json!({"primary_region": "us-east-1", "secondary_region": "us-west-2"})
}

#[tokio::test]
async fn a_failover_with_two_of_five_endpoints_down_sets_target_on_and_source_off() {
    let arc = arc_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    arc.reset(false);
    arc.behave(&[("us-east-1", "refuse"), ("eu-west-1", "unavailable")]);
    let handler = arc.handler(Duration::from_secs(2)).await;

    let result = handler
        .handle(direct(), &Invocation::new("two-down"))
        .await
        .unwrap();

    arc.behave(&[("us-east-1", "normal"), ("eu-west-1", "normal")]);
    assert_eq!(result.status, FailoverStatus::Applied);
    assert_eq!(result.change_id, None);
    assert_eq!(
        (arc.state("us-west-2"), arc.state("us-east-1")),
        ("On".into(), "Off".into())
    );
    let controls: Vec<(&str, State)> = result
        .routing_controls
        .iter()
        .map(|c| (c.region.as_str(), c.after))
        .collect();
    assert_eq!(
        controls,
        [("us-west-2", State::On), ("us-east-1", State::Off)]
    );
    let requests = arc.requests();
    // The order of the endpoints is random: an update may first reach
    // eu-west-1, which records it and answers unavailable. One was accepted.
    let accepted: Vec<&Value> = requests
        .iter()
        .filter(|r| r["target"] == "ToggleCustomerAPI.UpdateRoutingControlStates")
        .filter(|r| r["region"] != "eu-west-1")
        .collect();
    assert_eq!(accepted.len(), 1, "{requests:?}");
    for request in &requests {
        assert_eq!(request["signed_for"], request["region"], "{request}");
    }
}

#[tokio::test]
async fn an_endpoint_answering_a_bare_5xx_or_a_ruleless_conflict_is_skipped_for_the_next() {
    let arc = arc_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    arc.reset(false);
    let others = [
        "us-east-1",
        "us-west-2",
        "eu-west-1",
        "ap-northeast-1",
        "ap-southeast-2",
    ];
    let mut broken: Vec<(&str, &str)> = others.iter().map(|r| (*r, "gateway")).collect();
    broken[1].1 = "conflict";
    broken[4].1 = "normal";
    arc.behave(&broken);
    let handler = arc.handler(Duration::from_secs(2)).await;

    let result = handler
        .handle(direct(), &Invocation::new("bad-gateways"))
        .await;

    arc.behave(&others.map(|r| (r, "normal")));
    let result = result.unwrap();
    assert_eq!(result.status, FailoverStatus::Applied);
    assert_eq!(
        (arc.state("us-west-2"), arc.state("us-east-1")),
        ("On".into(), "Off".into())
    );
}

#[tokio::test]
async fn all_five_endpoints_down_is_service_unavailable_naming_them_within_the_budget() {
    let arc = arc_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    arc.reset(false);
    arc.behave(&[
        ("us-east-1", "refuse"),
        ("us-west-2", "unavailable"),
        ("eu-west-1", "hang"),
        ("ap-southeast-2", "refuse"),
        ("ap-northeast-1", "unavailable"),
    ]);
    let handler = arc.handler(Duration::from_millis(800)).await;
    let started = Instant::now();

    let err = handler
        .handle(direct(), &Invocation::new("all-down"))
        .await
        .unwrap_err();

    let elapsed = started.elapsed();
    arc.behave(&[
        ("us-east-1", "normal"),
        ("us-west-2", "normal"),
        ("eu-west-1", "normal"),
        ("ap-southeast-2", "normal"),
        ("ap-northeast-1", "normal"),
    ]);
    assert_eq!(err.name(), "ServiceUnavailable");
    for region in arc.endpoints.keys() {
        assert!(err.to_string().contains(region.as_str()), "{region}: {err}");
    }
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert_eq!(arc.state("us-east-1"), "On");
}

#[tokio::test]
async fn a_deadline_ends_the_rotation_with_the_endpoints_tried() {
    let arc = arc_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    arc.reset(false);
    let all_hang: Vec<(&str, &str)> = arc.endpoints.keys().map(|r| (r.as_str(), "hang")).collect();
    arc.behave(&all_hang);
    let handler = arc.handler(Duration::from_millis(700)).await;
    let mut invocation = Invocation::new("deadline");
    invocation.deadline =
        Some(tokio::time::Instant::now().into_std() + Duration::from_millis(1600));

    let err = handler.handle(direct(), &invocation).await.unwrap_err();

    let normal: Vec<(&str, &str)> = arc
        .endpoints
        .keys()
        .map(|r| (r.as_str(), "normal"))
        .collect();
    arc.behave(&normal);
    assert_eq!(err.name(), "ServiceUnavailable");
    assert!(err.to_string().contains("time budget ran out"), "{err}");
}

#[tokio::test]
async fn a_second_failover_is_already_active_and_sends_no_update() {
    let arc = arc_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    arc.reset(false);
    let handler = arc.handler(Duration::from_secs(2)).await;

    handler
        .handle(direct(), &Invocation::new("first"))
        .await
        .unwrap();
    let again = handler
        .handle(direct(), &Invocation::new("again"))
        .await
        .unwrap();

    assert_eq!(again.status, FailoverStatus::AlreadyActive);
    let updates = arc
        .requests()
        .iter()
        .filter(|r| r["target"] == "ToggleCustomerAPI.UpdateRoutingControlStates")
        .count();
    assert_eq!(updates, 1);
}

#[tokio::test]
async fn a_dry_run_plans_and_changes_nothing() {
    let arc = arc_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    arc.reset(false);
    let handler = arc.handler(Duration::from_secs(2)).await;
    let mut event = direct();
    event["dry_run"] = json!(true);

    let result = handler
        .handle(event, &Invocation::new("dry"))
        .await
        .unwrap();

    assert_eq!(result.status, FailoverStatus::DryRun);
    assert_eq!(result.routing_controls.len(), 2);
    assert_eq!(
        (arc.state("us-east-1"), arc.state("us-west-2")),
        ("On".into(), "Off".into())
    );
}

#[tokio::test]
async fn a_safety_rule_refusal_names_the_rule_and_an_override_gets_past_it() {
    let arc = arc_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    arc.reset(true);
    let handler = arc.handler(Duration::from_secs(2)).await;

    let err = handler
        .handle(direct(), &Invocation::new("blocked"))
        .await
        .unwrap_err();
    let mut event = direct();
    event["safety_rules_to_override"] = json!([RULE]);
    let forced = handler
        .handle(event, &Invocation::new("override"))
        .await
        .unwrap();

    assert_eq!(err.name(), "SafetyRuleViolation");
    assert!(err.to_string().contains(RULE), "{err}");
    assert_eq!(forced.status, FailoverStatus::Applied);
    assert_eq!(arc.state("us-west-2"), "On");
}

#[tokio::test]
async fn force_is_refused_in_routing_control_mode() {
    let arc = arc_or_skip!();
    let _one = ONE_AT_A_TIME.lock().await;
    arc.reset(false);
    let handler = arc.handler(Duration::from_secs(2)).await;
    let mut event = direct();
    event["force"] = json!(true);

    let err = handler
        .handle(event, &Invocation::new("force"))
        .await
        .unwrap_err();

    assert_eq!(err.name(), "InvalidRequest");
    assert!(
        err.to_string()
            .starts_with("force: does not apply in routing-control mode"),
        "{err}"
    );
}

fn lambda_arc_url() -> Option<String> {
    std::env::var("LAMBDA_ARC_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

fn invoke(url: &str, function: &str, event: &Value) -> (u16, Value) {
    let path = format!("/2015-03-31/functions/{function}/invocations");
    let (status, body) = common::http_post(url, &path, &event.to_string());
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

fn sample(file: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(format!("events/{file}")).expect(file))
        .expect(file)
}

#[tokio::test]
async fn through_the_binary_two_endpoints_down_and_an_alarm_still_fail_over() {
    let arc = arc_or_skip!();
    let Some(url) = lambda_arc_url() else { return };
    let _one = ONE_AT_A_TIME.lock().await;
    arc.reset(false);
    arc.behave(&[("us-west-2", "refuse"), ("ap-northeast-1", "hang")]);

    let (http, out) = invoke(
        &url,
        "failover-region",
        &sample("failover-region-alarm.json"),
    );

    arc.behave(&[("us-west-2", "normal"), ("ap-northeast-1", "normal")]);
    assert_eq!(http, 200, "{out}");
    assert_eq!(out["status"], "APPLIED", "{out}");
    assert_eq!(out["trigger"], "alarm:dr-primary-unhealthy (direct action)");
    assert_eq!(
        (arc.state("us-west-2"), arc.state("us-east-1")),
        ("On".into(), "Off".into())
    );
}

#[tokio::test]
async fn through_the_binary_every_alarm_shape_fails_over_in_routing_control_mode() {
    let arc = arc_or_skip!();
    let Some(url) = lambda_arc_url() else { return };
    let _one = ONE_AT_A_TIME.lock().await;
    for file in [
        "failover-region-alarm.json",
        "failover-region-sns.json",
        "failover-region-eventbridge.json",
    ] {
        arc.reset(false);
        let (http, out) = invoke(&url, "failover-region", &sample(file));
        assert_eq!(http, 200, "{file}: {out}");
        assert_eq!(out["status"], "APPLIED", "{file}: {out}");
    }
    arc.reset(false);
    let (_, ok) = invoke(
        &url,
        "failover-region",
        &sample("failover-region-alarm-ok.json"),
    );
    assert_eq!(ok["status"], "SKIPPED", "{ok}");
}

#[tokio::test]
async fn through_the_binary_a_region_switch_step_is_accepted_and_an_unknown_key_is_not() {
    let arc = arc_or_skip!();
    let Some(url) = lambda_arc_url() else { return };
    let _one = ONE_AT_A_TIME.lock().await;
    arc.reset(false);
    let event = sample("failover-region-region-switch.json");

    let (http, out) = invoke(&url, "failover-region", &event);
    let mut unknown = event.clone();
    unknown["Extra"] = json!("x");
    let (refused_http, refused) = invoke(&url, "failover-region", &unknown);

    assert_eq!(http, 200, "{out}");
    assert!(
        out["trigger"]
            .as_str()
            .unwrap_or_default()
            .starts_with("region-switch:"),
        "{out}"
    );
    assert_eq!(refused_http, 500, "{refused}");
    assert_eq!(refused["errorType"], "InvalidRequest");
    assert!(
        refused["errorMessage"]
            .as_str()
            .unwrap_or_default()
            .contains("unknown field `Extra`"),
        "{refused}"
    );
}
