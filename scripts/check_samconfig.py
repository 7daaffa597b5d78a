"""Reads docs/samconfig.example.toml the way `sam deploy` does, with SAM
CLI's own config reader and parameter-overrides parser, and checks it
against template.yaml. Prints one line per check; any failure exits 1.

- every override names a parameter of template.yaml, and its value passes
  that parameter's AllowedPattern / AllowedValues;
- every value that starts with { is JSON once SAM CLI has unquoted it;
- ReadinessInput and DrillInput are events/check-readiness.json and
  events/recovery-drill.json;
- the drill schedule's Input, rendered with that DrillInput as the
  template's Fn::Sub renders it, is JSON.

Run with the .venv-sam Python: python scripts/check_samconfig.py
"""

import json
import re
import sys

from cfnlint.decode import decode
from samcli.cli.types import CfnParameterOverridesType
from samcli.lib.config.samconfig import SamConfig

# The same one-line-a-check report as the template's checks.
from check_template import FAILED, ROOT, check


def main():
    template, errors = decode(str(ROOT / "template.yaml"))
    if errors:
        print(errors)
        return 1
    params = template["Parameters"]
    config = SamConfig(str(ROOT / "docs"), "samconfig.example.toml").get_all(["deploy"], "parameters")
    overrides = CfnParameterOverridesType().convert(tuple(config["parameter_overrides"]), None, None)
    check(len(overrides) == len(config["parameter_overrides"]), f"SAM CLI reads every override ({len(overrides)})")
    for key, value in overrides.items():
        spec = params.get(key)
        check(spec is not None, f"{key} is a parameter of template.yaml")
        if spec is None:
            continue
        pattern = spec.get("AllowedPattern")
        if pattern:
            check(re.fullmatch(pattern, value) is not None, f"{key} passes its AllowedPattern")
        if "AllowedValues" in spec:
            check(value in [str(v) for v in spec["AllowedValues"]], f"{key} is one of its AllowedValues")
        if value.startswith("{"):
            try:
                json.loads(value)
                check(True, f"{key} is JSON as SAM CLI passes it")
            except ValueError as e:
                check(False, f"{key} is JSON as SAM CLI passes it ({e})")
    for key, sample in (("ReadinessInput", "check-readiness.json"), ("DrillInput", "recovery-drill.json")):
        given = json.loads(overrides.get(key, "null"))
        check(given == json.loads((ROOT / "events" / sample).read_text()), f"{key} is events/{sample}")
    wrap = template["Resources"]["DrillScheduleEntry"]["Properties"]["Target"]["Input"]["Fn::Sub"]
    rendered = wrap.replace("${DrillInput}", overrides["DrillInput"])
    try:
        scheduled = json.loads(rendered)
        check(scheduled["drill"] is True, "the schedule's rendered Input is JSON, and a drill")
    except ValueError as e:
        check(False, f"the schedule's rendered Input is JSON ({e})")
    print("samconfig example: " + ("every check passed" if not FAILED else f"{len(FAILED)} FAILED"))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
