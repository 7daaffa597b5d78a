"""Fails when an Allow statement in template.yaml grants a wildcard action.

Walks every IAM role's inline policies (through Fn::If branches) and prints
each Allow statement's actions; any action holding '*' fails the check.
Run with the .venv-sam Python, which has cfn-lint's template decoder.
"""

import sys

from cfnlint.decode import decode


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


def main(path):
    template, errors = decode(path)
    if errors:
        print(f"{path}: cannot decode: {errors}")
        return 1
    bad = []
    for name, resource in template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::IAM::Role":
            continue
        for policy in resource.get("Properties", {}).get("Policies", []):
            for statement in statements(policy["PolicyDocument"]["Statement"]):
                if statement["Effect"] != "Allow":
                    continue
                actions = statement["Action"]
                actions = actions if isinstance(actions, list) else [actions]
                for action in actions:
                    if "*" in str(action):
                        bad.append(f"{name}: {statement.get('Sid', '?')}: {action}")
    for line in bad:
        print(f"wildcard action: {line}")
    print(f"IAM: {'FAILED' if bad else 'no wildcard action in any Allow statement'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "template.yaml"))
