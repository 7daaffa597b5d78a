"""The two seed notes made real with boto3, as a Python Lambda would run them.

The clients are created at import (init), as AWS recommends. Each function
makes the one call its seed simulated; no validation, no reads, no retries
beyond boto3's own.
"""

import os

import boto3

rds_client = boto3.client("rds")
route53_client = boto3.client("route53")


def restore_database(event, context):
    response = rds_client.restore_db_instance_from_db_snapshot(
        DBInstanceIdentifier=event["db_instance"],
        DBSnapshotIdentifier=event["snapshot_id"],
    )
    return {"instance_id": response["DBInstance"]["DBInstanceIdentifier"], "status": "restoring"}


def failover_to_secondary(event, context):
    primary, secondary = event["primary_region"], event["secondary_region"]
    name = os.environ["RECORD_NAMES"].split(",")[0]

    def weighted(region, weight, ip):
        return {
            "Action": "UPSERT",
            "ResourceRecordSet": {
                "Name": name,
                "Type": "A",
                "SetIdentifier": region,
                "Weight": weight,
                "TTL": 60,
                "ResourceRecords": [{"Value": ip}],
            },
        }

    response = route53_client.change_resource_record_sets(
        HostedZoneId=os.environ["HOSTED_ZONE_ID"],
        ChangeBatch={"Changes": [weighted(primary, 0, "10.1.0.10"), weighted(secondary, 100, "10.2.0.10")]},
    )
    return {
        "change_id": response["ChangeInfo"]["Id"],
        "status": response["ChangeInfo"]["Status"],
        "new_region": secondary,
    }
