"""Checks the two templates for what cfn-lint and checkov do not know about
this project, and prints one line per check. Any failure exits 1.

Both templates (template.yaml, in the recovery region; template-us-east-1.yaml,
the primary's alarm):
- No Allow statement grants a wildcard action.
- An alarm whose action invokes a Lambda function, or notifies the failover
  trigger topic, never treats missing data as breaching (it would move
  traffic on no data).
- An alarm on Route 53 metrics exists only in us-east-1, where Route 53
  publishes them (a condition on the resource, or a rule on the stack).
- Every Lambda permission is scoped to one source (SourceArn).

template.yaml:
- The failover subscribes to the trigger topic with an invoke permission
  scoped to that topic.
- The IAM condition on record names, evaluated for the RecordNames of
  tests/fixtures/normalized-record-names.json, gives exactly the normalized
  names of that fixture (which tests/failover_iam_names.rs checks the
  handler's change batch against).
- SnapshotKmsKeyArns accepts a list of keys, multi-Region ones included.
- ReservedConcurrentExecutions comes from a parameter, so a deploy can drop it.
- The workflow may change one record only: an UPSERT of the CNAME
  DbEndpointRecordName, whose pattern admits only normalized names; and it
  has no RDS access (it asks the restore function).
- The Aurora writer's CreateDBInstance may use the option and subnet groups
  RDS authorises, as the instance restores may.
- RestoreInstanceNamePattern admits lower case only.
- A scheduled run is always a drill (its Input wraps DrillInput); a Rule
  keeps the drill record apart from the production record, and both
  patterns admit normalized names only; the drill function knows every
  production record; the validation function is the drill function's to
  invoke, not the workflow's; a failed drill pages; the recovery plan is a
  layer whose build runs its check.
- check-readiness's role only reads; it logs at INFO or finer (its EMF
  lines are INFO); the Ready alarm breaches on missing data and only pages;
  a rule keeps AlarmTopicArn apart from FailoverTriggerTopicArn, and
  AllowedAlarmNames defaults to the us-east-1 alarm.

template-us-east-1.yaml:
- The trigger topic may be published to only by the alarm of AlarmName, and
  is the stack's FailoverTriggerTopicArn output.

Run with the .venv-sam Python, which has cfn-lint's template decoder:
python scripts/check_template.py template.yaml template-us-east-1.yaml
"""

import json
import re
import sys
from pathlib import Path

from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parent.parent
FAILED = []


def check(ok, what):
    print(f"{'ok  ' if ok else 'FAIL'} {what}")
    if not ok:
        FAILED.append(what)


def record_change(statement):
    """A Route 53 change statement's rule: how its names match (StringEquals
    or StringLike), the one parameter they come from, its types and actions.
    Anything else (a second name, a missing condition) shows as itself."""
    condition = statement.get("Condition", {})
    equals = condition.get("ForAllValues:StringEquals", {})
    like = condition.get("ForAllValues:StringLike", {})
    key = "route53:ChangeResourceRecordSetsNormalizedRecordNames"
    match, names = ("StringLike", like[key]) if key in like else ("StringEquals", equals.get(key))
    name = names[0].get("Ref") if isinstance(names, list) and len(names) == 1 and isinstance(names[0], dict) else json.dumps(names)
    return (
        match,
        name,
        equals.get("route53:ChangeResourceRecordSetsRecordTypes"),
        equals.get("route53:ChangeResourceRecordSetsActions"),
    )


def statements(node):
    """Yields every statement dict, looking through lists and Fn::If."""
    if isinstance(node, list):
        for item in node:
            yield from statements(item)
    elif isinstance(node, dict):
        if "Fn::If" in node:
            for branch in node["Fn::If"][1:]:
                yield from statements(branch)
        elif "Effect" in node:
            yield node


def evaluate(node, params):
    """Evaluates the intrinsic functions a condition value uses."""
    if isinstance(node, list):
        return [evaluate(n, params) for n in node]
    if not isinstance(node, dict) or len(node) != 1:
        return node
    (fn, arg), = node.items()
    if fn == "Ref":
        return params[arg]
    if fn == "Fn::Split":
        return evaluate(arg[1], params).split(arg[0])
    if fn == "Fn::Join":
        return arg[0].join(evaluate(arg[1], params))
    raise ValueError(f"cannot evaluate {fn}")


def mentions(node, needle):
    return needle in json.dumps(node)


def condition_requires(conditions, name, needle):
    """Whether condition `name` (following Condition references) contains `needle`."""
    body = conditions.get(name, {})
    if mentions(body, needle):
        return True
    return any(
        condition_requires(conditions, ref, needle)
        for ref in re.findall(r'"Condition": "([A-Za-z0-9]+)"', json.dumps(body))
    )


def stack_only_in_us_east_1(template):
    """Whether an unconditional rule of the template asserts us-east-1."""
    return any(
        "RuleCondition" not in rule
        and any(
            a.get("Assert") == {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}
            for a in rule.get("Assertions", [])
        )
        for rule in template.get("Rules", {}).values()
    )


def main(paths):
    for path in paths:
        template, errors = decode(path)
        if errors:
            print(f"{path}: cannot decode: {errors}")
            return 1
        print(f"-- {path}")
        common_checks(template)
        resources = template.get("Resources", {})
        if "RecoveryWorkflowRole" in resources:
            main_template_checks(template)
            readiness_checks(template)
            drill_checks(template)
            alarm_action_checks(template)
        if "FailoverTriggerTopic" in resources:
            alarm_template_checks(template)
    print(f"template: {'FAILED' if FAILED else 'every check passed'}")
    return 1 if FAILED else 0


def alarm_template_checks(template):
    resources = template["Resources"]
    topic = {"Ref": "FailoverTriggerTopic"}
    policies = [
        r for r in resources.values()
        if r["Type"] == "AWS::SNS::TopicPolicy" and topic in r["Properties"]["Topics"]
    ]
    allowed = [s for p in policies for s in statements(p["Properties"]["PolicyDocument"]["Statement"])]
    check(
        len(allowed) == 1
        and allowed[0]["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
        and allowed[0]["Action"] == "sns:Publish"
        and mentions(allowed[0]["Condition"]["ArnLike"]["aws:SourceArn"], "alarm:${AlarmName}"),
        "only the alarm of AlarmName may publish to the trigger topic",
    )
    check(
        template.get("Outputs", {}).get("FailoverTriggerTopicArn", {}).get("Value") == topic,
        "the trigger topic is the FailoverTriggerTopicArn output",
    )


def common_checks(template):
    resources = template.get("Resources", {})
    conditions = template.get("Conditions", {})
    functions = {n for n, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}
    triggers = functions | {"FailoverTriggerTopic", "FailoverTriggerTopicArn"}

    wildcards = []
    for name, resource in resources.items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        for policy in resource["Properties"].get("Policies", []):
            for statement in statements(policy["PolicyDocument"]["Statement"]):
                if statement["Effect"] != "Allow":
                    continue
                actions = statement["Action"]
                for action in actions if isinstance(actions, list) else [actions]:
                    if "*" in str(action):
                        wildcards.append(f"{name}: {statement.get('Sid', '?')}: {action}")
    check(not wildcards, f"no wildcard action in any Allow statement {wildcards or ''}")

    for name, resource in resources.items():
        if resource["Type"] != "AWS::CloudWatch::Alarm":
            continue
        props = resource["Properties"]
        invokes = any(mentions(props.get("AlarmActions", []), f'"{f}"') for f in triggers)
        if invokes:
            check(
                props.get("TreatMissingData") in ("missing", "notBreaching", "ignore"),
                f"{name} moves traffic and does not treat missing data as breaching",
            )
        if props.get("Namespace") == "AWS/Route53":
            check(
                condition_requires(conditions, resource.get("Condition", ""), '"us-east-1"')
                or stack_only_in_us_east_1(template),
                f"{name} (Route 53 metrics) exists only in us-east-1",
            )

    for name, resource in resources.items():
        if resource["Type"] == "AWS::Lambda::Permission":
            check("SourceArn" in resource["Properties"], f"{name} is scoped to one SourceArn")


def main_template_checks(template):
    resources = template["Resources"]

    subscriptions = [
        r for r in resources.values()
        if r["Type"] == "AWS::SNS::Subscription" and r["Properties"].get("Protocol") == "lambda"
    ]
    topic = {"Ref": "FailoverTriggerTopicArn"}
    sns_permissions = [
        r for r in resources.values()
        if r["Type"] == "AWS::Lambda::Permission"
        and r["Properties"].get("Principal") == "sns.amazonaws.com"
        and r["Properties"].get("SourceArn") == topic
    ]
    check(
        any(s["Properties"].get("TopicArn") == topic for s in subscriptions) and len(sns_permissions) == 1,
        "the failover subscribes to FailoverTriggerTopicArn, invocable by that topic only",
    )

    fixture = json.loads((ROOT / "tests/fixtures/normalized-record-names.json").read_text())
    role = resources["FailoverRegionRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    names = None
    for statement in statements(role["Statement"]):
        condition = statement.get("Condition", {}).get("ForAllValues:StringEquals", {})
        if "route53:ChangeResourceRecordSetsNormalizedRecordNames" in condition:
            names = evaluate(
                condition["route53:ChangeResourceRecordSetsNormalizedRecordNames"],
                {"RecordNames": fixture["RecordNames"]},
            )
    check(
        names == fixture["normalized"],
        f"RecordNames {fixture['RecordNames']!r} become the IAM names {fixture['normalized']} (got {names})",
    )

    pattern = template["Parameters"]["SnapshotKmsKeyArns"]["AllowedPattern"]
    keys = (
        "arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab,"
        "arn:aws:kms:us-west-2:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab,"
        "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    )
    check(re.fullmatch(pattern, keys) is not None, "SnapshotKmsKeyArns takes several keys, mrk- ones too")

    reserved = resources["FailoverRegionFunction"]["Properties"].get("ReservedConcurrentExecutions")
    check(
        isinstance(reserved, dict) and mentions(reserved, "FailoverReservedConcurrency"),
        "ReservedConcurrentExecutions comes from FailoverReservedConcurrency",
    )

    workflow = resources["RecoveryWorkflowRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    changes = [
        record_change(s)
        for s in statements(workflow["Statement"])
        if s["Action"] == "route53:ChangeResourceRecordSets"
    ]
    upsert = lambda record, match="StringEquals": (match, record, ["CNAME"], ["UPSERT"])
    check(
        sorted(changes) == sorted([
            upsert("DbEndpointRecordName"),
            upsert("DrillDbEndpointRecordName"),
            upsert("DbRecordNamePattern", "StringLike"),
            upsert("DrillRecordNamePattern", "StringLike"),
        ]),
        "the workflow may UPSERT the CNAME DbEndpointRecordName (a recovery) or DrillDbEndpointRecordName "
        "(a drill), or a CNAME of the plan's patterns (DbRecordNamePattern, DrillRecordNamePattern), nothing else",
    )
    name_pattern = template["Parameters"]["DbEndpointRecordName"]["AllowedPattern"]
    check(
        re.fullmatch(name_pattern, "db.orders.internal") is not None
        and all(re.fullmatch(name_pattern, n) is None for n in ("db.orders.internal.", "DB.orders.internal", "db")),
        "DbEndpointRecordName admits only lower-case names without the trailing dot",
    )

    restore = resources["RestoreDatabaseRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    by_sid = {s.get("Sid"): s for s in statements(restore["Statement"])}
    kinds = lambda sid: {
        re.search(r":([a-z-]+):[^:]*$", r["Fn::Sub"]).group(1) for r in by_sid[sid]["Resource"]
    }
    check(
        {"og", "subgrp"} <= kinds("CreateWritersInRestoredClustersOnly")
        and kinds("CreateWritersInRestoredClustersOnly") >= kinds("RestoreFromTheseSnapshotsAndGroups") - {"snapshot"},
        "the Aurora writer's CreateDBInstance may use the groups RDS authorises (pg, og, subgrp), as the instance restores may",
    )
    restore_pattern = template["Parameters"]["RestoreInstanceNamePattern"]["AllowedPattern"]
    check(
        all(re.fullmatch(restore_pattern, p) for p in ("*", "ecommerce-db-*", "orders-dr-?"))
        and all(re.fullmatch(restore_pattern, p) is None for p in ("Orders-*", "ecommerce-DB-*", "1orders")),
        "RestoreInstanceNamePattern admits lower case only (RDS stores identifiers so; IAM and the globs are case-sensitive)",
    )

    check(
        not [s for s in statements(workflow["Statement"]) if mentions(s["Action"], "rds:")],
        "the workflow's role has no RDS access (it asks the restore function)",
    )

    # A standby's promotion is the one documented change to an existing
    # resource: only when StandbyNamePattern is set, only on that pattern
    # (and the global database whose roles a switchover swaps).
    promoting = ("rds:PromoteReadReplica", "rds:SwitchoverGlobalCluster", "rds:FailoverGlobalCluster")
    gated = [
        s for s in restore["Statement"]
        if isinstance(s, dict) and "Fn::If" in s and s["Fn::If"][0] == "HasStandby"
    ]
    gated_statements = [s for g in gated for s in statements(g)]
    ungated = [
        s for s in statements([x for x in restore["Statement"] if x not in gated])
        if any(mentions(s["Action"], a) for a in promoting)
    ]
    def on_pattern(statement):
        for r in statement["Resource"]:
            arn = r["Fn::Sub"]
            if ":global-cluster:" in arn or "${PrimaryRegion}:${AWS::AccountId}:cluster:*" in arn:
                continue
            if not arn.endswith("${StandbyNamePattern}"):
                return False
        return True
    check(
        not ungated
        and all(on_pattern(s) for s in gated_statements if any(mentions(s["Action"], a) for a in promoting)),
        "promotion rights exist only with StandbyNamePattern, on that pattern's standbys (and the global database)",
    )
    check(
        not [s for s in statements(restore["Statement"]) if mentions(s["Action"], "rds:Delete") or mentions(s["Action"], "rds:Modify")],
        "the restore role can neither delete nor modify a database",
    )
    metrics = [s for s in statements(restore["Statement"]) if mentions(s["Action"], "cloudwatch:")]
    check(
        [s["Action"] for s in metrics] == ["cloudwatch:GetMetricData"],
        "the restore role reads CloudWatch (a standby's lag) and writes nothing there",
    )


def drill_checks(template):
    resources = template["Resources"]
    allows = [
        (name, s)
        for name, r in resources.items()
        if r["Type"] == "AWS::IAM::Role"
        for policy in r["Properties"].get("Policies", [])
        for s in statements(policy["PolicyDocument"]["Statement"])
        if s.get("Effect") == "Allow"
    ]
    deletes = [(name, s) for name, s in allows if "rds:Delete" in json.dumps(s["Action"])]
    check(
        bool(deletes) and all(name == "DrillRole" for name, _ in deletes),
        "only the drill's role may delete a database (the project's only delete)",
    )
    check(
        all(
            s.get("Condition") == {"Null": {"aws:ResourceTag/dr-lambdas:drill": "false"}}
            and all(r["Fn::Sub"].endswith("-d????????") for r in s["Resource"])
            for _, s in deletes
        ),
        "every rds:Delete* needs the dr-lambdas:drill tag and a drill name (-d and 8 hex digits)",
    )
    drill = [s for name, s in allows if name == "DrillRole"]
    check(
        not [s for s in drill if "Tag" in json.dumps(s["Action"])],
        "the drill's role holds no tagging right (a tag must never become a delete)",
    )
    record_changes = sorted(
        record_change(s)
        for s in drill
        if s["Action"] == "route53:ChangeResourceRecordSets"
    )
    check(
        record_changes == sorted([
            ("StringEquals", "DrillDbEndpointRecordName", ["CNAME"], ["DELETE"]),
            ("StringLike", "DrillRecordNamePattern", ["CNAME"], ["DELETE"]),
        ]),
        "the drill's role may DELETE the drill record, or a CNAME of the plan's drill pattern, only",
    )
    schedule = resources.get("DrillScheduleEntry", {})
    check(
        schedule.get("Condition") == "HasDrillSchedule"
        and schedule["Properties"]["Target"]["Input"]
        == {"Fn::Sub": '{"drill": true, "rehearse": ${DrillInput}}'}
        and template["Conditions"]["HasDrillSchedule"] == {"Fn::And": [
            {"Fn::Not": [{"Fn::Equals": [{"Ref": "DrillSchedule"}, ""]}]},
            {"Fn::Not": [{"Fn::Equals": [{"Ref": "DrillInput"}, ""]}]},
        ]},
        "the drill runs on DrillSchedule with DrillInput wrapped as a drill's rehearsal "
        "(a scheduled run is always a drill), and not at all when either is empty",
    )
    # The drill record is never the production record: a Rule compares the
    # two strings, which is name equality only while both patterns refuse
    # upper case and a trailing dot.
    params = template["Parameters"]
    rule = template["Rules"].get("DrillRecordIsNotProduction", {})
    check(
        rule.get("RuleCondition") == {"Fn::Not": [{"Fn::Equals": [{"Ref": "DrillDbEndpointRecordName"}, ""]}]}
        and rule["Assertions"][0]["Assert"] == {"Fn::Not": [{"Fn::Equals": [
            {"Ref": "DrillDbEndpointRecordName"}, {"Ref": "DbEndpointRecordName"}]}]},
        "a Rule refuses DrillDbEndpointRecordName equal to DbEndpointRecordName",
    )
    for name in ("DrillDbEndpointRecordName", "DbEndpointRecordName"):
        pattern = params[name]["AllowedPattern"]
        check(
            re.fullmatch(pattern, "db.orders.internal") is not None
            and all(re.fullmatch(pattern, v) is None for v in
                    ("DB.orders.internal", "db.Orders.internal", "db.orders.internal.")),
            f"{name} admits only normalized names (no upper case, no trailing dot)",
        )
    env = resources["DrillFunction"]["Properties"]["Environment"]["Variables"]
    check(
        env.get("PRODUCTION_RECORD_NAMES") == {"Fn::If": ["HasDbCutover", {"Ref": "DbEndpointRecordName"}, {"Ref": "AWS::NoValue"}]}
        and env.get("PRIVATE_HOSTED_ZONE_ID", {}).get("Fn::If", [None])[0] == "HasDbCutover",
        "the drill function knows every production record whenever a cutover is configured",
    )
    reads = [s for s in drill if s["Action"] == "route53:ListResourceRecordSets"]
    check(
        len(reads) == 1,
        "the drill's role may read the zone's records (is the drill record a drill's? does production point at a leftover?)",
    )
    workflow = [s for name, s in allows if name == "RecoveryWorkflowRole"]
    invokes = [s for s in drill if s["Action"] == "lambda:InvokeFunction"]
    check(
        invokes and all(s["Resource"] == {"Ref": "DrillValidationFunctionArn"} for s in invokes)
        and not any("DrillValidationFunctionArn" in json.dumps(s) for s in workflow),
        "the validation function is the drill function's to invoke, never the workflow's",
    )
    layer = resources.get("RecoveryPlanLayer", {})
    check(
        layer.get("Metadata", {}).get("BuildMethod") == "makefile"
        and layer["Properties"]["ContentUri"] == "plan/"
        and "check-plan" in (ROOT / "plan" / "Makefile").read_text()
        and resources["DrillFunction"]["Properties"].get("Layers") == [{"Ref": "RecoveryPlanLayer"}]
        and env.get("PLAN_FILE") == "/opt/recovery-plan.json",
        "the recovery plan is a layer whose build runs the plan's check, read by the drill function at /opt",
    )
    failed = resources.get("DrillFailedAlarm", {}).get("Properties", {})
    check(
        failed.get("MetricName") == "DrillSucceeded"
        and failed.get("Statistic") == "Minimum"
        and failed.get("ComparisonOperator") == "LessThanThreshold"
        and failed.get("Threshold") == 1
        and failed.get("TreatMissingData") == "notBreaching",
        "a failed drill (DrillSucceeded 0) pages on the drill's topic, no drill pages nothing",
    )
    alarm = resources.get("DrillMaxAgeAlarm", {}).get("Properties", {})
    days = template["Parameters"]["DrillMaxAgeDays"]
    check(
        alarm.get("MetricName") == "DrillSucceeded"
        and alarm.get("TreatMissingData") == "breaching"
        and alarm.get("Period") == 86400
        and alarm.get("EvaluationPeriods") == {"Ref": "DrillMaxAgeDays"}
        and days.get("MaxValue") == 7,
        "the drill alarm fires when no drill succeeded in DrillMaxAgeDays (at most 7) days, missing data breaching",
    )


def readiness_checks(template):
    resources = template["Resources"]
    role = resources["CheckReadinessRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    writes = []
    for statement in statements(role["Statement"]):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        for action in actions:
            verb = action.split(":", 1)[1]
            if not (verb.startswith(("Describe", "List", "Get")) or action in ("logs:CreateLogStream", "logs:PutLogEvents")):
                writes.append(action)
    check(not writes, f"check-readiness's role only reads {writes or ''}")
    level = resources["CheckReadinessFunction"]["Properties"]["LoggingConfig"]["ApplicationLogLevel"]
    check(
        level in ("TRACE", "DEBUG", "INFO"),
        "check-readiness logs at INFO or finer, so Lambda keeps its EMF metric lines (INFO)",
    )
    ready = resources["ReadinessNotReadyAlarm"]["Properties"]
    check(
        ready["TreatMissingData"] == "breaching" and ready["AlarmActions"] == [{"Ref": "AlarmTopicArn"}],
        "the Ready alarm breaches on missing data (no check ran) and only pages",
    )
    expression = [m for m in ready.get("Metrics", []) if m.get("ReturnData")]
    check(
        len(expression) == 1
        and expression[0].get("Expression") == "IF(FILL(running, 0) > 0, 1, FILL(ready, 0))"
        and {m["Id"]: m["MetricStat"]["Metric"]["MetricName"] for m in ready["Metrics"] if "MetricStat" in m}
        == {"ready": "Ready", "running": "RecoveryRunning"},
        "the Ready alarm is paused (1) while a recovery runs (RecoveryRunning), and is Ready otherwise",
    )
    periods = template["Mappings"]["ReadinessPeriods"]
    check(
        set(periods) == {str(v) for v in template["Parameters"]["ReadinessIntervalMinutes"]["AllowedValues"]}
        and all(
            p["Rate"] == f"rate({m} {'minute' if m == '1' else 'minutes'})" and p["Seconds"] == 60 * int(m)
            for m, p in periods.items()
        ),
        "every readiness interval has its period and a rate expression (singular unit for 1)",
    )
    rule = template["Rules"]["OurAlarmsNeverFailOver"]["Assertions"][0]["Assert"]
    check(
        rule == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmTopicArn"}, {"Ref": "FailoverTriggerTopicArn"}]}]},
        "a rule refuses AlarmTopicArn equal to FailoverTriggerTopicArn: our alarms never move traffic",
    )
    check(
        template["Parameters"]["AllowedAlarmNames"]["Default"] == "dr-primary-unhealthy",
        "AllowedAlarmNames defaults to the us-east-1 template's alarm",
    )


def alarm_action_checks(template):
    """What the primary-unhealthy alarm may do (issue 27): page by default; a
    recovery only of this stack's workflow; never bad data; never a page to
    nobody."""
    params = template["Parameters"]
    resources = template["Resources"]
    action = params.get("AlarmAction", {})
    check(action.get("Default") == "page", "AlarmAction defaults to page: an alarm moves nothing by itself")
    pattern = action.get("AllowedPattern", "")
    check(
        all(re.fullmatch(pattern, v) for v in ("page", "traffic", "recover:regional-outage"))
        and not any(re.fullmatch(pattern, v) for v in ("", "move", "recover:", "recover:Bad Data")),
        "AlarmAction takes page, traffic or recover:<scenario> only",
    )
    rules = template.get("Rules", {})
    bad_data = rules.get("AnAlarmNeverRecoversBadData", {})
    check(
        bad_data.get("RuleCondition") == {"Fn::Equals": [{"Ref": "AlarmAction"}, "recover:bad-data"]}
        and bad_data.get("Assertions", [{}])[0].get("Assert") == {"Fn::Equals": [{"Ref": "AlarmAction"}, "page"]},
        "a rule refuses AlarmAction recover:bad-data",
    )
    oncall = rules.get("AnAlarmNeedsOnCall", {})
    check(
        mentions(oncall.get("RuleCondition"), "PrimaryHealthCheckId")
        and mentions(oncall.get("RuleCondition"), "FailoverTriggerTopicArn")
        and not mentions(oncall.get("RuleCondition"), "AlarmAction")
        and oncall.get("Assertions", [{}])[0].get("Assert")
        == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmTopicArn"}, ""]}]},
        "a rule refuses an alarm that reaches the function without AlarmTopicArn, whatever AlarmAction",
    )
    readiness = resources["CheckReadinessFunction"]["Properties"]["Environment"]["Variables"]
    check(
        readiness.get("ALARM_ACTION") == {"Ref": "AlarmAction"}
        and readiness.get("ALARM_MAY_MOVE_TRAFFIC_ALONE") == {"Ref": "AlarmMayMoveTrafficAlone"},
        "check-readiness judges the deployed AlarmAction (alarm_action), not its default",
    )
    function = resources["FailoverRegionFunction"]["Properties"]
    env = function["Environment"]["Variables"]
    machine = {"Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:${AWS::StackName}-recovery"}
    check(
        env.get("ALARM_ACTION") == {"Ref": "AlarmAction"}
        and env.get("ONCALL_TOPIC_ARN") == {"Ref": "AlarmTopicArn"}
        and env.get("RECOVERY_STATE_MACHINE_ARN") == machine
        and function.get("Layers") == [{"Ref": "RecoveryPlanLayer"}],
        "the failover function reads AlarmAction, the plan layer, on-call's topic and the workflow's ARN (built from the stack's name)",
    )
    role = resources["FailoverRegionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    states = []
    for item in role:
        for statement in statements(item):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if any(a.startswith("states:") for a in actions):
                condition = item["Fn::If"][0] if isinstance(item, dict) and "Fn::If" in item else None
                states.append((condition, sorted(actions), statement["Resource"]))
    check(
        states == [
            ("AlarmRecovers", ["states:ListExecutions", "states:StartExecution"], machine),
            ("AlarmRecovers", ["states:DescribeExecution"],
             {"Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:${AWS::StackName}-recovery:*"}),
        ],
        f"the failover role starts only this stack's recovery, and only under recover:<scenario> {states}",
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["template.yaml", "template-us-east-1.yaml"]))
