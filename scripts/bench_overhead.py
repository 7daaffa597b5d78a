"""The workflow's overhead, measured (run by scripts/bench_overhead).

For each sample, a database is held `creating` until a time T (moto's
$DR_HOLD, scripts/moto_server.py 7.), T at a random phase of the poll; the
workflow's first action on it is the state it enters once it has seen it
usable: `MarkDatabaseAvailable` for one database, `IsPlatformValidationConfigured`
(the platform settled) for a scenario. The overhead is that state's entry
time minus T, from the execution's history.
"""

import argparse
import json
import os
import random
import statistics
import threading
import time

import boto3

import run_workflow

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REGION = "us-west-2"
LOCK = threading.Lock()


def client(service):
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=os.environ["MOTO_URL"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def hold(name, until):
    path = os.environ["DR_HOLD"]
    with LOCK:
        with open(path) as f:
            held = json.load(f)
        held[name] = until
        with open(path, "w") as f:
            json.dump(held, f)


def state_machine(sfn):
    """The definition as the demo deploys it (scripts/run_workflow.py)."""
    return sfn.create_state_machine(
        name=f"bench-{os.getpid()}",
        definition=run_workflow.deployed_definition(ROOT),
        roleArn="arn:aws:iam::123456789012:role/bench",
    )["stateMachineArn"]


def run(sfn, machine, name, given):
    arn = sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps(given))["executionArn"]
    while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
        time.sleep(0.25)
    status = sfn.describe_execution(executionArn=arn)["status"]
    events, token = [], None
    while True:
        page = sfn.get_execution_history(executionArn=arn, maxResults=1000, **({"nextToken": token} if token else {}))
        events += page["events"]
        token = page.get("nextToken")
        if not token:
            return status, events


def entered(events, state):
    for e in events:
        if e.get("stateEnteredEventDetails", {}).get("name") == state:
            return e["timestamp"].timestamp()
    return None


def single(sfn, machine, i, out):
    name = f"bench-single-{os.getpid()}-{i}"
    with open(os.path.join(ROOT, "events/recovery-workflow.json")) as f:
        given = json.load(f)
    given["restore"]["db_instance"] = name
    given["settings"] = {"dns_poll_seconds": 1}
    until = time.time() + 3 + random.uniform(0, 30)
    hold(name, until)
    status, events = run(sfn, machine, f"{name}-x", given)
    acted = entered(events, "MarkDatabaseAvailable")
    if status == "SUCCEEDED" and acted is not None:
        out.append(acted - until)
    else:
        print(f"single sample {i}: {status}, no MarkDatabaseAvailable")


def platform(sfn, machine, i, out):
    until = time.time() + 3 + random.uniform(0, 5)
    hold("bench-platform", until)
    status, events = run(sfn, machine, f"bench-platform-{os.getpid()}-{i}", {"scenario": "bench"})
    acted = entered(events, "IsPlatformValidationConfigured")
    if status == "SUCCEEDED" and acted is not None:
        out.append(acted - until)
    else:
        print(f"platform sample {i}: {status}, never settled")


def summary(values):
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]
    return statistics.median(values), p95, values[0], values[-1]


def write(rows, samples):
    path = os.path.join(ROOT, "BENCHMARKS.md")
    with open(path) as f:
        text = f.read()
    begin, end = "<!-- overhead:begin -->", "<!-- overhead:end -->"
    table = [
        begin,
        f"Measured by `scripts/bench_overhead {samples}` on {time.strftime('%Y-%m-%d')}: "
        "(first action - T), in seconds, over the samples that succeeded.",
        "",
        "| loop | poll | samples | median | p95 | min | max |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for loop, poll, values in rows:
        median, p95, low, high = summary(values)
        table.append(f"| {loop} | {poll} | {len(values)} | {median:.1f} | {p95:.1f} | {low:.1f} | {high:.1f} |")
    table.append(end)
    block = "\n".join(table)
    if begin in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    with open(path, "w") as f:
        f.write(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args()
    sfn = client("stepfunctions")
    machine = state_machine(sfn)
    singles, platforms = [], []
    # One database: ten executions at a time, each its own database.
    for start in range(0, args.samples, 10):
        threads = [
            threading.Thread(target=single, args=(sfn, machine, i, singles))
            for i in range(start, min(start + 10, args.samples))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    # A platform: one at a time (its database has one name).
    for i in range(args.samples):
        platform(sfn, machine, i, platforms)
    rows = [("one database (today's loop)", "30 s", singles), ("a platform (the platform loop)", "5 s", platforms)]
    for loop, poll, values in rows:
        if values:
            median, p95, low, high = summary(values)
            print(f"{loop}: {len(values)} samples, median {median:.1f} s, p95 {p95:.1f} s (min {low:.1f}, max {high:.1f})")
    write([r for r in rows if r[2]], args.samples)


if __name__ == "__main__":
    main()
