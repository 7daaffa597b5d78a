"""Checks template.yaml for what cfn-lint and checkov do not know about this
project, and prints one line per check. Any failure exits 1.

- No Allow statement grants a wildcard action.
- An alarm whose action invokes a Lambda function never treats missing data
  as breaching (it would move traffic on no data).
- An alarm on Route 53 metrics exists only in us-east-1, where Route 53
  publishes them.
- Every Lambda permission is scoped to one source (SourceArn).
- The failover subscribes to the trigger topic with an invoke permission
  scoped to that topic.
- The IAM condition on record names, evaluated for the RecordNames of
  tests/fixtures/normalized-record-names.json, gives exactly the normalized
  names of that fixture (which tests/failover_iam_names.rs checks the
  handler's change batch against).
- SnapshotKmsKeyArns accepts a list of keys, multi-Region ones included.
- ReservedConcurrentExecutions comes from a parameter, so a deploy can drop it.
- The workflow may change one record only: an UPSERT of the CNAME
  DbEndpointRecordName, whose pattern admits only normalized names.

Run with the .venv-sam Python, which has cfn-lint's template decoder.
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


def main(path):
    template, errors = decode(path)
    if errors:
        print(f"{path}: cannot decode: {errors}")
        return 1
    resources = template.get("Resources", {})
    conditions = template.get("Conditions", {})
    functions = {n for n, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}

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
        invokes = any(mentions(props.get("AlarmActions", []), f) for f in functions)
        if invokes:
            check(
                props.get("TreatMissingData") in ("missing", "notBreaching", "ignore"),
                f"{name} invokes a function and does not treat missing data as breaching",
            )
        if props.get("Namespace") == "AWS/Route53":
            check(
                condition_requires(conditions, resource.get("Condition", ""), '"us-east-1"'),
                f"{name} (Route 53 metrics) exists only in us-east-1",
            )

    for name, resource in resources.items():
        if resource["Type"] == "AWS::Lambda::Permission":
            check("SourceArn" in resource["Properties"], f"{name} is scoped to one SourceArn")

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
        s for s in statements(workflow["Statement"]) if s["Action"] == "route53:ChangeResourceRecordSets"
    ]
    only = changes[0].get("Condition", {}).get("ForAllValues:StringEquals", {}) if len(changes) == 1 else {}
    check(
        only == {
            "route53:ChangeResourceRecordSetsNormalizedRecordNames": [{"Ref": "DbEndpointRecordName"}],
            "route53:ChangeResourceRecordSetsRecordTypes": ["CNAME"],
            "route53:ChangeResourceRecordSetsActions": ["UPSERT"],
        },
        "the workflow may UPSERT the CNAME DbEndpointRecordName and nothing else",
    )
    name_pattern = template["Parameters"]["DbEndpointRecordName"]["AllowedPattern"]
    check(
        re.fullmatch(name_pattern, "db.orders.internal") is not None
        and all(re.fullmatch(name_pattern, n) is None for n in ("db.orders.internal.", "DB.orders.internal", "db")),
        "DbEndpointRecordName admits only lower-case names without the trailing dot",
    )

    print(f"template: {'FAILED' if FAILED else 'every check passed'}")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "template.yaml"))
