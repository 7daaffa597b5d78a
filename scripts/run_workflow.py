"""Runs statemachine/recovery.asl.json once on moto, for scripts/demo.

Creates the state machine in the recovery region with the substitutions the
template makes (the function names stand for their ARNs), starts one
execution of the given input with one-second polls, waits for it, and
prints the states it passed through, its result, the database name's value
and the on-call message. Exits 1 if the execution did not succeed.

Needs the moto launcher (scripts/moto_server.py) and the DR_ variables that
scripts/lib.sh's seed_world exports.
"""

import argparse
import json
import os
import sys
import time

import boto3

REGION = "us-west-2"


def client(service, endpoint):
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def deployed_definition(root="."):
    """The definition as the template deploys it against the seeded world:
    the function names stand for their ARNs (cargo lambda knows the functions
    by name), the rest from scripts/seed_world.py's DR_* variables."""
    with open(os.path.join(root, "statemachine/recovery.asl.json")) as f:
        definition = f.read()
    for key, value in {
        "RestoreFunctionArn": "restore-database",
        "FailoverFunctionArn": "failover-region",
        "PrivateHostedZoneId": os.environ["DR_PRIVATE_ZONE_ID"],
        "DbEndpointRecordName": os.environ["DR_DB_RECORD"],
        "DbEndpointTtl": "30",
        "AlarmTopicArn": os.environ["DR_ONCALL_TOPIC_ARN"],
        "DrillFunctionArn": "drill",
        "DrillTopicArn": os.environ["DR_ONCALL_TOPIC_ARN"],
        "DrillValidationFunctionArn": "drill-validator",
        "PrimaryRegion": "us-east-1",
        "SecondaryRegion": "us-west-2",
    }.items():
        definition = definition.replace("${" + key + "}", value)
    return definition


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("input", help="the execution input, e.g. events/recovery-workflow.json")
    parser.add_argument("--endpoint", required=True, help="moto URL")
    args = parser.parse_args()

    definition = deployed_definition()
    sfn = client("stepfunctions", args.endpoint)
    machine = sfn.create_state_machine(
        name="recovery", definition=definition, roleArn="arn:aws:iam::123456789012:role/recovery-workflow"
    )["stateMachineArn"]

    workflow_input = json.load(open(args.input))
    workflow_input["settings"] = {"database_poll_seconds": 1, "dns_poll_seconds": 1}
    execution = sfn.start_execution(
        stateMachineArn=machine, name="demo", input=json.dumps(workflow_input)
    )["executionArn"]
    started = time.monotonic()
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        time.sleep(0.25)
    seconds = time.monotonic() - started

    events = sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
    path = [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]
    print(f"  {described['status']} in {seconds:.1f} s, through {len(path)} states:")
    for i in range(0, len(path), 6):
        print("    " + " > ".join(path[i : i + 6]))
    if described["status"] != "SUCCEEDED":
        print(f"  error: {described.get('error')}: {described.get('cause')}")
        return 1

    output = json.loads(described["output"])
    restored, moved = output["restored"], output["failed_over"]
    print(f"  restored: {restored['instance_id']} in {restored['region']} from {restored['snapshot_id']}"
          f" (data loss {restored['data_loss_seconds']} s)")
    before = output.get("cutover_before", {}).get("record_sets", [{}])[0].get("ResourceRecords", [{}])[0]
    r53 = client("route53", args.endpoint)
    now = r53.list_resource_record_sets(
        HostedZoneId=os.environ["DR_PRIVATE_ZONE_ID"], StartRecordName=os.environ["DR_DB_RECORD"],
        StartRecordType="CNAME", MaxItems="1",
    )["ResourceRecordSets"][0]["ResourceRecords"][0]["Value"]
    print(f"  {os.environ['DR_DB_RECORD']}: {before.get('Value')} -> {now}")
    rds = client("rds", args.endpoint)
    status = rds.describe_db_instances(DBInstanceIdentifier=restored["instance_id"])["DBInstances"][0]
    print(f"  {restored['instance_id']}: {status['DBInstanceStatus']}, at {status['Endpoint']['Address']}")
    print(f"  traffic: {moved['status']} to {moved['new_region']} (change {moved['change_id']})")

    sqs = client("sqs", args.endpoint)
    queue = os.environ["DR_ONCALL_QUEUE_URL"]
    for message in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
        print(f"  on-call topic: \"{json.loads(message['Body'])['Subject']}\"")
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
