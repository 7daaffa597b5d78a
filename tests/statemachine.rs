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

/// Every state, a Map's inner states included (as `Map/Inner`).
fn all_states(def: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (name, body) in def["States"].as_object().expect("States") {
        out.push((name.clone(), body.clone()));
        for (inner, state) in body["ItemProcessor"]["States"]
            .as_object()
            .into_iter()
            .flatten()
        {
            out.push((format!("{name}/{inner}"), state.clone()));
        }
    }
    out
}

/// (state, "Retry" | "Catch", error name) for every name in every Retry and
/// Catch, a Map's inner states' included.
fn error_names(def: &Value) -> Vec<(String, &'static str, String)> {
    let mut out = Vec::new();
    for (state, body) in all_states(def) {
        let body = &body;
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
        (
            "PlatformRestores/RestoreOne",
            retryable_error_names().collect::<Vec<_>>(),
        ),
        (
            "ResumeChanged/RestoreAgain",
            retryable_error_names().collect::<Vec<_>>(),
        ),
        (
            "PlatformDryRuns/DryRunOne",
            retryable_error_names().collect::<Vec<_>>(),
        ),
        ("FailoverRegion", transient().collect()),
        ("PlatformDryRunFailover", transient().collect()),
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
    assert_eq!(sync["then"], "DoesTrafficMove");
    assert_eq!(states["StartCutoverSync"]["Next"], "GetDnsChange");
    assert_eq!(
        states["GetDnsChange"]["Parameters"]["Id.$"],
        "$.dns_wait.change_id"
    );
    // Into the traffic's choice: without a cutover, or from the wait once
    // INSYNC; into FailoverRegion only through that choice.
    assert_eq!(
        into(&def, "DoesTrafficMove"),
        set(["IsCutoverConfigured", "IsDnsInSync"].into_iter())
    );
    assert_eq!(
        into(&def, "FailoverRegion"),
        set(["DoesTrafficMove"].into_iter())
    );
    let leads = |variable| values_leading_to(&def, "IsDnsInSync", variable, "DoesTrafficMove");
    assert_eq!(leads("$.dns.status"), set(["INSYNC"].into_iter()));
    assert_eq!(
        leads("$.dns_wait.then"),
        set(["DoesTrafficMove"].into_iter())
    );
    let not_configured = values_leading_to(
        &def,
        "IsCutoverConfigured",
        "$.deployment.zone_id",
        "DoesTrafficMove",
    );
    assert_eq!(not_configured, set([""].into_iter()));
}

#[test]
fn every_way_into_the_restore_passes_the_poll_counter_and_the_defaults() {
    let def = definition();
    let states = def["States"].as_object().expect("States");
    // A recovery, or a drill once swept: both after the settings and the
    // pre-flight's dry runs. A drill of a scenario goes to its own restores.
    assert_eq!(
        into(&def, "StartRestore"),
        set(["IsDrill", "IsPlatformDrill"].into_iter())
    );
    assert_eq!(
        into(&def, "IsPlatformDrill"),
        set(["IsDrillSkipped"].into_iter())
    );
    assert_eq!(
        into(&def, "IsDrill"),
        set([
            "DryRunFailover",
            "IsRestoreWhereTrafficIs",
            "IsServingRegionChecked"
        ]
        .into_iter())
    );
    assert_eq!(
        into(&def, "MergePollSettings"),
        set(["UseCheckedInput"].into_iter())
    );
    // The pre-flight always gives settings (an empty object at least).
    assert_eq!(
        states["UseCheckedInput"]["Parameters"]["settings.$"],
        "$.preflight.checked.settings"
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
        "platform_poll_seconds",
        "platform_max_polls",
    ] {
        assert!(defaults.contains_key(setting), "no default for {setting}");
        assert!(
            text.contains(&format!("$.config.values.{setting}")),
            "{setting} is never read"
        );
    }
    assert_eq!(defaults.len(), 6, "a default nothing reads: {defaults:?}");
}

/// Every state a state can go to next: `Next`, `Default`, each Choice
/// rule's and each Catch's. With `topic`, the branches a Choice takes only
/// when no on-call topic is configured are left out.
fn successors(body: &Value, topic: bool) -> Vec<String> {
    let mut out: Vec<String> = ["Next", "Default"]
        .iter()
        .filter_map(|k| body[*k].as_str().map(str::to_owned))
        .collect();
    for rule in body["Choices"].as_array().into_iter().flatten() {
        let no_topic = rule["Variable"]
            .as_str()
            .is_some_and(|v| v.starts_with("$.deployment.") && v.ends_with("topic_arn"))
            && rule["StringEquals"] == "";
        if !(topic && no_topic) {
            out.extend(rule["Next"].as_str().map(str::to_owned));
        }
    }
    for rule in body["Catch"].as_array().into_iter().flatten() {
        out.extend(rule["Next"].as_str().map(str::to_owned));
    }
    out
}

fn is_end(body: &Value) -> bool {
    body["Type"] == "Succeed" || body["Type"] == "Fail" || body["End"] == true
}

fn is_notify(body: &Value) -> bool {
    body["Resource"] == "arn:aws:states:::sns:publish"
}

/// The states that change something in AWS: the restore, the sweep, the
/// database name, the traffic, the cleanup; a platform's restores, resumes
/// and its one change batch.
const CHANGES: [&str; 8] = [
    "RestoreDatabase",
    "SweepLeftovers",
    "PointDbRecordAtRestored",
    "FailoverRegion",
    "CleanupDrill",
    "PlatformRestores",
    "ResumeChanged",
    "PointPlatformRecords",
];

/// The states reachable from `from` (itself included), never through `stop`.
fn reachable(def: &Value, from: &str, stop: &dyn Fn(&Value) -> bool) -> BTreeSet<String> {
    let states = &def["States"];
    let mut seen = BTreeSet::new();
    let mut todo = vec![from.to_owned()];
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        for next in successors(&states[&name], true) {
            if !stop(&states[&next]) {
                todo.push(next);
            }
        }
    }
    seen
}

#[test]
fn every_path_from_the_first_change_to_an_end_passes_a_notify_state() {
    let def = definition();
    for change in CHANGES {
        assert!(def["States"][change].is_object(), "{change} is a state");
        let without_notify = reachable(&def, change, &is_notify);
        let ends: Vec<&String> = without_notify
            .iter()
            .filter(|s| is_end(&def["States"][s.as_str()]))
            .collect();
        assert!(
            ends.is_empty(),
            "from {change}, {ends:?} end without telling on-call"
        );
    }
}

#[test]
fn every_field_a_state_reads_after_the_first_change_is_written_before_it() {
    // The pre-flight's state (UseCheckedInput) and every state's ResultPath
    // write roots; nothing after the first change reads a root outside them.
    let def = definition();
    let states = def["States"].as_object().expect("States");
    let mut written: BTreeSet<String> = states["UseCheckedInput"]["Parameters"]
        .as_object()
        .expect("UseCheckedInput builds the state")
        .keys()
        .map(|k| k.trim_end_matches(".$").to_owned())
        .collect();
    for body in states.values() {
        let catches = body["Catch"].as_array().into_iter().flatten();
        for path in std::iter::once(body)
            .chain(catches)
            .filter_map(|b| b["ResultPath"].as_str())
        {
            written.insert(root(path));
        }
    }
    let mut after = BTreeSet::new();
    for change in CHANGES {
        after.extend(reachable(&def, change, &|_| false));
    }
    for name in after {
        let mut read = Vec::new();
        paths_read(&states[&name], &mut read);
        for path in read {
            let r = root(&path);
            assert!(
                written.contains(&r),
                "{name} reads {path}, which nothing guarantees"
            );
        }
    }
}

/// `$.a.b[0]` -> `a`.
fn root(path: &str) -> String {
    path.trim_start_matches("$.")
        .split(['.', '['])
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Every state path (`$.…`, not `$$.…`) a state reads.
fn paths_read(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => {
            let mut rest = s.as_str();
            while let Some(at) = rest.find("$.") {
                let preceded = at > 0 && rest.as_bytes()[at - 1] == b'$';
                let tail = &rest[at..];
                let end = tail.find([',', ')', ' ', '\'']).unwrap_or(tail.len());
                if !preceded {
                    out.push(tail[..end].to_owned());
                }
                rest = &tail[end.max(2)..];
            }
        }
        Value::Array(items) => items.iter().for_each(|v| paths_read(v, out)),
        Value::Object(map) => {
            for (key, v) in map {
                // ResultPath and ResultSelector's values are written, or read
                // from the task's own result; a Map's item processor reads
                // its item, a scope of its own (checked by
                // `every_field_a_map_item_state_reads_is_its_items`).
                if key == "ResultPath" || key == "ResultSelector" || key == "ItemProcessor" {
                    continue;
                }
                paths_read(v, out);
            }
        }
        _ => {}
    }
}

#[test]
fn the_first_state_refuses_a_drill_flag_that_is_not_a_boolean() {
    let def = definition();
    assert_eq!(def["StartAt"], "CheckDrillFlag");
    let first = &def["States"]["CheckDrillFlag"];
    assert_eq!(
        first["Choices"][0]["And"][1]["Not"]["IsBoolean"], true,
        "{first}"
    );
    assert_eq!(first["Choices"][0]["Next"], "RefuseDrillFlag");
}

#[test]
fn the_pre_flight_runs_before_any_change() {
    // Nothing that changes is reachable from the start without passing the
    // pre-flight's checked state.
    let def = definition();
    let start = def["StartAt"].as_str().expect("StartAt").to_owned();
    assert!(
        def["States"]["UseCheckedInput"]["Comment"]
            .as_str()
            .is_some_and(|c| c.starts_with("From here on the state holds the checked input only")),
        "the pre-flight's checked state"
    );
    let before = reachable(&def, &start, &|body| {
        body["Comment"]
            .as_str()
            .is_some_and(|c| c.starts_with("From here on the state holds the checked input only"))
    });
    for change in CHANGES {
        assert!(
            !before.contains(change),
            "{change} runs before the pre-flight"
        );
    }
}

#[test]
fn every_failover_invocation_but_the_real_one_forces_dry_run() {
    let def = definition();
    let states = def["States"].as_object().expect("States");
    assert_eq!(
        states["UseCheckedInput"]["Parameters"]["constants"]["dry_run"],
        serde_json::json!({"dry_run": true})
    );
    let failovers: Vec<&String> = states
        .iter()
        .filter(|(_, b)| b["Parameters"]["FunctionName"] == "${FailoverFunctionArn}")
        .map(|(n, _)| n)
        .collect();
    assert_eq!(
        failovers,
        [
            "PlatformFindServingRegion",
            "PlatformDryRunFailover",
            "DryRunFailover",
            "FindServingRegion",
            "FailoverRegion"
        ]
    );
    assert_eq!(
        states["PlatformFindServingRegion"]["Parameters"]["Payload"]["dry_run"],
        true
    );
    assert_eq!(
        states["PlatformDryRunFailover"]["Parameters"]["Payload.$"],
        "States.JsonMerge($.failover, $.constants.dry_run, false)"
    );
    assert_eq!(
        states["DryRunFailover"]["Parameters"]["Payload.$"],
        "States.JsonMerge($.failover, $.constants.dry_run, false)"
    );
    assert_eq!(
        states["FindServingRegion"]["Parameters"]["Payload"]["dry_run"],
        true
    );
    // The real one only after the input's explicit choice to move traffic.
    let into_real: Vec<&String> = states
        .iter()
        .filter(|(_, b)| successors(b, false).iter().any(|n| n == "FailoverRegion"))
        .map(|(n, _)| n)
        .collect();
    assert_eq!(into_real, ["DoesTrafficMove"]);
    assert_eq!(
        states["DryRunRestore"]["Parameters"]["Payload.$"],
        "States.JsonMerge($.restore, $.constants.dry_run, false)"
    );
}

#[test]
fn no_task_invokes_the_users_validation_function() {
    // Its answer could exceed 256 KB: States.DataLimitExceeded, which
    // States.ALL does not catch on AWS (moto's interpreter does). The drill
    // function invokes it and answers at most 4 KB.
    let def = definition();
    let text = def.to_string();
    assert!(
        !text.contains("${DrillValidationFunctionArn}\"") || {
            // Only as a switch in the deployment settings, never as a resource.
            def["States"]
                .as_object()
                .expect("States")
                .values()
                .all(|b| {
                    !b["Parameters"]["FunctionName"]
                        .to_string()
                        .contains("Validation")
                        && b["Parameters"]["FunctionName.$"] != "$.deployment.validation_function"
                })
        }
    );
    assert_eq!(
        def["States"]["ValidateDrill"]["Parameters"]["Payload"]["action"],
        "validate"
    );
}

#[test]
fn a_drill_ends_in_a_succeed_state_unless_it_cannot_report() {
    let def = definition();
    let ends: BTreeSet<String> = reachable(&def, "ReportDrill", &|_| false)
        .into_iter()
        .filter(|s| is_end(&def["States"][s.as_str()]))
        .collect();
    for end in &ends {
        let kind = &def["States"][end.as_str()]["Type"];
        if end == "DrillNotReported" {
            assert_eq!(kind, "Fail");
        } else {
            assert_eq!(kind, "Succeed", "{end}");
        }
    }
    assert!(ends.contains("DrillFailed"), "{ends:?}");
}

#[test]
fn the_workflows_time_out_is_the_one_the_drills_leftover_age_is_built_on() {
    let def = definition();
    assert_eq!(
        def["TimeoutSeconds"].as_i64(),
        Some(dr_lambdas::drill::plan::WORKFLOW_TIMEOUT_SECONDS)
    );
    assert_eq!(
        dr_lambdas::drill::plan::LEFTOVER_AGE_SECONDS,
        dr_lambdas::drill::plan::WORKFLOW_TIMEOUT_SECONDS + 15 * 60
    );
}

/// The fields of a platform database as the helper's `watch` answers it:
/// the item of a Map without an ItemSelector.
fn watched_fields() -> BTreeSet<String> {
    let watched: dr_lambdas::drill::watch::Watched =
        serde_json::from_value(serde_json::json!({"database": "orders", "restore": {}}))
            .expect("a watched database");
    serde_json::to_value(watched)
        .expect("serializes")
        .as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect()
}

#[test]
fn every_field_a_map_item_state_reads_is_its_items() {
    let def = definition();
    let mut maps = 0;
    for (name, body) in def["States"].as_object().expect("States") {
        if body["Type"] != "Map" {
            continue;
        }
        maps += 1;
        let mut item: BTreeSet<String> = match body["ItemSelector"].as_object() {
            Some(selector) => selector
                .keys()
                .map(|k| k.trim_end_matches(".$").to_owned())
                .collect(),
            None => watched_fields(),
        };
        let inner = body["ItemProcessor"]["States"]
            .as_object()
            .expect("an inline item processor");
        for state in inner.values() {
            let catches = state["Catch"].as_array().into_iter().flatten();
            for path in std::iter::once(state)
                .chain(catches)
                .filter_map(|b| b["ResultPath"].as_str())
            {
                item.insert(root(path));
            }
        }
        for (inner_name, state) in inner {
            let mut read = Vec::new();
            paths_read(state, &mut read);
            for path in read {
                assert!(
                    item.contains(&root(&path)),
                    "{name}/{inner_name} reads {path}, which its item does not hold"
                );
            }
        }
    }
    assert_eq!(maps, 4, "the platform's Map states");
}

#[test]
fn a_quiet_platform_poll_is_nine_history_events_and_two_hours_fit_the_history() {
    let def = definition();
    let states = &def["States"];
    // The loop: the helper's poll, the choice, the wait; nothing else.
    assert_eq!(states["WatchPlatform"]["Next"], "NextPlatformStep");
    assert_eq!(states["NextPlatformStep"]["Default"], "WaitForPlatform");
    assert_eq!(states["WaitForPlatform"]["Next"], "WatchPlatform");
    // A resume round polls again at once (the database just reported is
    // acted on without a wait), and every poll counts against the maximum
    // before it may resume: no loop without a cap. A resume needs a real
    // change, or 6 polls of a usable unreported database
    // (src/drill/watch.rs), so resumes without a wait are bounded.
    assert_eq!(states["ResumeChanged"]["Next"], "WatchPlatform");
    let rules: Vec<&str> = states["NextPlatformStep"]["Choices"]
        .as_array()
        .expect("choices")
        .iter()
        .filter_map(|r| r["Next"].as_str())
        .collect();
    assert_eq!(
        rules,
        [
            "IsPlatformValidationConfigured",
            "PlatformTimedOut",
            "ResumeChanged"
        ]
    );
    let events = |state: &str| match states[state]["Type"].as_str() {
        // Entered, Scheduled, Started, Succeeded, Exited.
        Some("Task") => 5,
        // Entered, Exited.
        Some("Choice") | Some("Wait") | Some("Pass") => 2,
        other => panic!("{state}: {other:?}"),
    };
    let per_poll = events("WatchPlatform") + events("NextPlatformStep") + events("WaitForPlatform");
    assert_eq!(per_poll, 9);
    // The production defaults, never a test's settings.
    let defaults = &states["MergePollSettings"]["Parameters"]["defaults"];
    let period = defaults["platform_poll_seconds"]
        .as_u64()
        .expect("a period");
    let polls = defaults["platform_max_polls"].as_u64().expect("a maximum");
    assert_eq!(period * polls, 2 * 3600, "two hours of polls");
    assert!(period <= 5, "the workflow acts within 5 s of a change");
    // 40 databases: a dry run, a restore and a validation each (a Map
    // iteration: started, succeeded, its task's 5 and a Pass's 2), and each
    // database sent back to the restore function at most 8 times (its
    // state changing, or once in 6 polls while it is usable and not yet
    // reported): a resume round of one is the Map's 4 events, one
    // iteration of 7, then a poll's task and choice.
    let databases = 40;
    let maps = 3 * (4 + databases * 9);
    let resumes = databases * 8 * (4 + 7 + 5 + 2);
    let fixed = 120;
    let total = polls * per_poll + maps + resumes + fixed;
    assert!(total < 25_000, "{total} history events for a two-hour wait");
}
