//! The recovery workflow branches on our error names: every name it uses must
//! exist in the error contract, and every non-retryable name must be caught.

use std::collections::BTreeSet;

use dr_lambdas::error::{error_names as contract_names, retryable_error_names};
use serde_json::Value;

fn definition() -> Value {
    let text =
        std::fs::read_to_string("statemachine/recovery.asl.json").expect("read the state machine");
    serde_json::from_str(&text).expect("the state machine is JSON")
}

/// (state, "Retry" | "Catch", error name) for every name in every Retry and Catch.
fn error_names(def: &Value) -> Vec<(String, &'static str, String)> {
    let mut out = Vec::new();
    for (state, body) in def["States"].as_object().expect("States") {
        for kind in ["Retry", "Catch"] {
            for rule in body[kind].as_array().into_iter().flatten() {
                for name in rule["ErrorEquals"].as_array().expect("ErrorEquals") {
                    out.push((
                        state.clone(),
                        kind,
                        name.as_str().expect("a name").to_owned(),
                    ));
                }
            }
        }
    }
    out
}

// Names that come from Step Functions or its service integrations, not from us.
fn is_ours(name: &str) -> bool {
    !["States.", "Lambda.", "Rds.", "Route53."]
        .iter()
        .any(|prefix| name.starts_with(prefix))
}

#[test]
fn every_error_name_in_the_workflow_exists_in_the_contract() {
    let def = definition();
    for (state, kind, name) in error_names(&def) {
        if is_ours(&name) {
            assert!(
                contract_names().any(|n| n == name),
                "{state} {kind} names unknown error {name}"
            );
        }
    }
}

#[test]
fn only_retryable_names_are_retried() {
    let def = definition();
    for (state, kind, name) in error_names(&def) {
        if kind == "Retry" && is_ours(&name) {
            assert!(
                retryable_error_names().any(|n| n == name),
                "{state} retries {name}"
            );
        }
    }
}

#[test]
fn every_non_retryable_name_is_caught_somewhere() {
    let def = definition();
    let caught: BTreeSet<String> = error_names(&def)
        .into_iter()
        .filter(|(_, kind, _)| *kind == "Catch")
        .map(|(_, _, name)| name)
        .collect();
    for name in contract_names().filter(|n| !retryable_error_names().any(|r| r == *n)) {
        assert!(caught.contains(name), "no Catch names {name}");
    }
}

#[test]
fn both_lambda_tasks_retry_the_retryable_names_each_can_raise() {
    let def = definition();
    // Any AWS call may be throttled or unavailable; only a restore (a
    // standby's promotion) may find its standby not ready.
    let transient = || {
        dr_lambdas::error::CONTRACT
            .iter()
            .filter(|c| c.retryable && c.fault == dr_lambdas::error::Fault::Transient)
            .map(|c| c.name)
    };
    for (state, names) in [
        (
            "RestoreDatabase",
            retryable_error_names().collect::<Vec<_>>(),
        ),
        ("FailoverRegion", transient().collect()),
    ] {
        let retried: BTreeSet<String> = error_names(&def)
            .into_iter()
            .filter(|(s, kind, _)| s == state && *kind == "Retry")
            .map(|(_, _, name)| name)
            .collect();
        for name in names {
            assert!(retried.contains(name), "{state} does not retry {name}");
        }
    }
}

#[test]
fn every_next_names_an_existing_state() {
    let def = definition();
    let states = def["States"].as_object().expect("States");
    let mut targets = vec![def["StartAt"].as_str().expect("StartAt").to_owned()];
    for body in states.values() {
        targets.extend(body["Next"].as_str().map(str::to_owned));
        targets.extend(body["Default"].as_str().map(str::to_owned));
        for list in ["Catch", "Choices"] {
            for rule in body[list].as_array().into_iter().flatten() {
                targets.extend(rule["Next"].as_str().map(str::to_owned));
            }
        }
    }
    for target in targets {
        assert!(states.contains_key(&target), "no state named {target}");
    }
}

/// The values compared with `variable` (StringEquals, at any depth) in the
/// rules of Choice state `choice` that lead to `next`.
fn values_leading_to(def: &Value, choice: &str, variable: &str, next: &str) -> BTreeSet<String> {
    fn collect(rule: &Value, variable: &str, out: &mut BTreeSet<String>) {
        if rule["Variable"] == variable
            && let Some(value) = rule["StringEquals"].as_str()
        {
            out.insert(value.to_owned());
        }
        for key in ["And", "Or"] {
            for inner in rule[key].as_array().into_iter().flatten() {
                collect(inner, variable, out);
            }
        }
    }
    let choices = def["States"][choice]["Choices"]
        .as_array()
        .unwrap_or_else(|| panic!("{choice} has no Choices"));
    let mut out = BTreeSet::new();
    for rule in choices.iter().filter(|c| c["Next"] == next) {
        collect(rule, variable, &mut out);
    }
    out
}

fn set<'a>(names: impl Iterator<Item = &'a str>) -> BTreeSet<String> {
    names.map(str::to_owned).collect()
}

/// The states whose Next, Default or Choice rule leads to `target`.
fn into(def: &Value, target: &str) -> BTreeSet<String> {
    def["States"]
        .as_object()
        .expect("States")
        .iter()
        .filter(|(_, body)| {
            body["Next"] == target
                || body["Default"] == target
                || body["Choices"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|c| c["Next"] == target)
        })
        .map(|(name, _)| name.clone())
        .collect()
}

#[test]
fn the_workflow_branches_on_every_status_the_restore_function_reports() {
    use dr_lambdas::restore::status::RestoreStatus;
    let def = definition();
    let on = |next| values_leading_to(&def, "IsDatabaseAvailable", "$.restored.status", next);
    assert_eq!(
        on("DatabaseBroken"),
        set([RestoreStatus::Failed.as_str()].into_iter())
    );
    assert_eq!(
        on("MarkDatabaseAvailable"),
        set([RestoreStatus::Available.as_str()].into_iter())
    );
    assert_eq!(
        on("RestoreWasDryRun"),
        set([RestoreStatus::DryRun.as_str()].into_iter())
    );
    // Restoring: the default, which waits and asks again.
    assert_eq!(
        def["States"]["IsDatabaseAvailable"]["Default"],
        "WaitForDatabase"
    );
    let named: BTreeSet<String> = [
        "DatabaseBroken",
        "MarkDatabaseAvailable",
        "RestoreWasDryRun",
    ]
    .into_iter()
    .flat_map(on)
    .collect();
    let all = set(RestoreStatus::ALL.iter().map(|s| s.as_str()));
    assert_eq!(
        all.difference(&named).collect::<Vec<_>>(),
        [RestoreStatus::Restoring.as_str()]
    );
}

#[test]
fn the_workflow_reads_the_database_only_through_the_restore_function() {
    // Step Functions' SDK tasks call their own region only: a restore in
    // another region would be invisible to them.
    let def = definition();
    for (state, body) in def["States"].as_object().expect("States") {
        let resource = body["Resource"].as_str().unwrap_or_default();
        assert!(!resource.contains(":rds:"), "{state} calls RDS: {resource}");
    }
    assert_eq!(
        into(&def, "RestoreDatabase"),
        set(["StartRestore", "WaitForDatabase"].into_iter())
    );
    let cutover = &def["States"]["PointDbRecordAtRestored"]["Parameters"]["ChangeBatch"]["Changes"]
        [0]["ResourceRecordSet"]["ResourceRecords"][0];
    assert_eq!(cutover["Value.$"], "$.restored.endpoint");
}

#[test]
fn traffic_moves_only_after_the_database_name_is_in_sync() {
    let def = definition();
    let states = &def["States"];
    assert_eq!(
        states["PointDbRecordAtRestored"]["Next"],
        "StartCutoverSync"
    );
    let sync = &states["StartCutoverSync"]["Parameters"];
    assert_eq!(sync["change_id.$"], "$.cutover.change_id");
    // Route 53 answers /change/<id>; GetChange takes the bare id.
    let kept = states["PointDbRecordAtRestored"]["ResultSelector"]["change_id.$"]
        .as_str()
        .unwrap_or_default();
    assert!(
        kept.contains("States.StringSplit($.ChangeInfo.Id, '/')"),
        "{kept}"
    );
    assert_eq!(sync["then"], "FailoverRegion");
    assert_eq!(states["StartCutoverSync"]["Next"], "GetDnsChange");
    assert_eq!(
        states["GetDnsChange"]["Parameters"]["Id.$"],
        "$.dns_wait.change_id"
    );
    // Into FailoverRegion: without a cutover, or from the wait once INSYNC.
    assert_eq!(
        into(&def, "FailoverRegion"),
        set(["IsCutoverConfigured", "IsDnsInSync"].into_iter())
    );
    let leads = |variable| values_leading_to(&def, "IsDnsInSync", variable, "FailoverRegion");
    assert_eq!(leads("$.dns.status"), set(["INSYNC"].into_iter()));
    assert_eq!(
        leads("$.dns_wait.then"),
        set(["FailoverRegion"].into_iter())
    );
    let not_configured = values_leading_to(
        &def,
        "IsCutoverConfigured",
        "$.deployment.zone_id",
        "FailoverRegion",
    );
    assert_eq!(not_configured, set([""].into_iter()));
}

#[test]
fn every_way_into_the_restore_passes_the_poll_counter_and_the_defaults() {
    let def = definition();
    let states = def["States"].as_object().expect("States");
    // A recovery, or a drill once it has its inputs: both after the settings.
    assert_eq!(
        into(&def, "StartRestore"),
        set(["IsDrill", "UseDrillInputs"].into_iter())
    );
    assert_eq!(
        into(&def, "IsDrill"),
        set(["ApplyPollSettings"].into_iter())
    );
    assert!(
        states["UseDrillInputs"]["Parameters"]["config.$"] == "$.config",
        "a drill keeps the settings"
    );
    assert_eq!(
        into(&def, "MergePollSettings"),
        set(["DefaultPollSettings", "HasPollSettings"].into_iter())
    );
    // One defaults object, holding every setting the definition reads.
    let defaults = states["MergePollSettings"]["Parameters"]["defaults"]
        .as_object()
        .expect("defaults");
    let text = def.to_string();
    for setting in [
        "database_poll_seconds",
        "database_max_polls",
        "dns_poll_seconds",
        "dns_max_polls",
    ] {
        assert!(defaults.contains_key(setting), "no default for {setting}");
        assert!(
            text.contains(&format!("$.config.values.{setting}")),
            "{setting} is never read"
        );
    }
    assert_eq!(defaults.len(), 4, "a default nothing reads: {defaults:?}");
}
