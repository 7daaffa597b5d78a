"""Seeds a small e-commerce world into a local moto server, or shows its DNS.

RDS: in us-east-1 (primary) the orders database `ecommerce-db` with two
manual snapshots; in us-west-2 (recovery region) a cross-region copy of the
newest snapshot, as a DR backup plan leaves it, a cross-region read replica
`ecommerce-db-replica` (a warm standby), and the recovery VPC's DB subnet
group `ecommerce-dr-subnets` (and the primary VPC's `ecommerce-subnets` in
us-east-1, for a bad-data restore there). Also in us-east-1, the Aurora cluster
`orders-aurora` (Serverless v2) with its writer and a cluster snapshot, copied
to us-west-2 as `orders-aurora-2025-05-12-dr`; and the private zone
`orders.internal` whose CNAME `db.orders.internal` is the application's name
for the database (it points at `ecommerce-db`). In
us-west-2, the on-call SNS topic `dr-oncall` with the queue `dr-oncall-inbox`
subscribed, standing in for the pager.

The platform (tests/workflow.rs recovers it by scenario): a second warm
standby `orders-standby` of `ecommerce-db` in us-west-2, and a recovery plan
(`plan` prints its path as PLAN_FILE) of three databases whose records are
in `orders.internal`: orders (that standby; for bad data, its primary's
point in time), inventory (an Aurora cluster from `orders-aurora`'s latest
copy in us-west-2), customers (optional: `ecommerce-db`'s latest copy).

Route 53: the zone shop.example.com with the records that move together on a
failover: `shop` (weighted A records per region, each with its region's health
check), `api` (weighted aliases to each region's load balancer) and
`www` (a simple CNAME, switched through REGION_ENDPOINTS).

Used by the demo and the end-to-end tests; the sample events in events/ name
these resources. `seed` prints the failover function's configuration as JSON.
"""

import argparse
import json

import boto3

PRIMARY, SECONDARY = "us-east-1", "us-west-2"
SOURCE = "ecommerce-db"
DR_SUBNET_GROUP = "ecommerce-dr-subnets"
AURORA = "orders-aurora"
PRIVATE_ZONE = "orders.internal."
# As the template's DbEndpointRecordName takes it: lower case, no trailing dot.
DB_RECORD = "db.orders.internal"
# The drill's own name for its database: never the production one.
DRILL_RECORD = "drill.db.orders.internal"
ONCALL = "dr-oncall"
# The platform's standby: a replica of its own, so that promoting it never
# touches the single-database tests' `ecommerce-db-replica`.
PLATFORM_STANDBY = "orders-standby"
PLATFORM_RECORDS = {
    "orders": "orders.platform.orders.internal",
    "inventory": "inventory.platform.orders.internal",
    "customers": "customers.platform.orders.internal",
}


def client(service, region, endpoint):
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def private_zone_id(endpoint):
    r53 = client("route53", PRIMARY, endpoint)
    return r53.list_hosted_zones_by_name(DNSName=PRIVATE_ZONE)["HostedZones"][0]["Id"].split("/")[-1]


def seed_rds(endpoint):
    east = client("rds", PRIMARY, endpoint)
    west = client("rds", SECONDARY, endpoint)
    east.create_db_parameter_group(
        DBParameterGroupName="ecommerce-pg15",
        DBParameterGroupFamily="postgres15",
        Description="orders database parameters",
    )
    east.create_db_instance(
        DBInstanceIdentifier=SOURCE,
        Engine="postgres",
        DBInstanceClass="db.r6g.large",
        AllocatedStorage=100,
        MasterUsername="orders",
        MasterUserPassword="demo-only-password",
        DBParameterGroupName="ecommerce-pg15",
        VpcSecurityGroupIds=["sg-0a1b2c3d4e5f60718"],
        MultiAZ=True,
        StorageType="gp3",
        DeletionProtection=True,
        Tags=[{"Key": "team", "Value": "orders"}, {"Key": "env", "Value": "prod"}],
    )
    for name in ("snapshot-2025-05-11", "snapshot-2025-05-12"):
        east.create_db_snapshot(DBInstanceIdentifier=SOURCE, DBSnapshotIdentifier=name)
    arn = east.describe_db_snapshots(DBSnapshotIdentifier="snapshot-2025-05-12")["DBSnapshots"][0]["DBSnapshotArn"]
    west.copy_db_snapshot(
        SourceDBSnapshotIdentifier=arn,
        TargetDBSnapshotIdentifier="snapshot-2025-05-12-dr",
        SourceRegion=PRIMARY,
    )
    # A warm standby: a cross-region read replica of the orders database in
    # the recovery region (events/restore-database-standby.json promotes it).
    # Parameter groups are regional: the replica names one of its region
    # (moto would otherwise copy the source's name, which us-west-2 lacks).
    source_arn = east.describe_db_instances(DBInstanceIdentifier=SOURCE)["DBInstances"][0]["DBInstanceArn"]
    west.create_db_parameter_group(
        DBParameterGroupName="ecommerce-replica-pg15",
        DBParameterGroupFamily="postgres15",
        Description="orders standby parameters",
    )
    west.create_db_instance_read_replica(
        DBInstanceIdentifier=f"{SOURCE}-replica",
        SourceDBInstanceIdentifier=source_arn,
        DBInstanceClass="db.r6g.large",
        DBParameterGroupName="ecommerce-replica-pg15",
    )
    west.create_db_instance_read_replica(
        DBInstanceIdentifier=PLATFORM_STANDBY,
        SourceDBInstanceIdentifier=source_arn,
        DBInstanceClass="db.r6g.large",
        DBParameterGroupName="ecommerce-replica-pg15",
    )
    # The recovery VPC's DB subnet group: a restore where the source instance
    # does not exist must name one, or RDS would use the (public) default VPC.
    ec2 = client("ec2", SECONDARY, endpoint)
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=f"{SECONDARY}{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in enumerate("ab")
    ]
    # The application's database name (a private zone of the recovery VPC):
    # the workflow's cutover points it at the restored database.
    r53 = client("route53", PRIMARY, endpoint)
    private = r53.create_hosted_zone(
        Name=PRIVATE_ZONE,
        CallerReference="dr-lambdas-demo-private",
        HostedZoneConfig={"PrivateZone": True, "Comment": "orders database name"},
        VPC={"VPCRegion": SECONDARY, "VPCId": vpc},
    )["HostedZone"]["Id"].split("/")[-1]
    primary = east.describe_db_instances(DBInstanceIdentifier=SOURCE)["DBInstances"][0]["Endpoint"]["Address"]
    r53.change_resource_record_sets(
        HostedZoneId=private,
        ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
            "Name": name, "Type": "CNAME", "TTL": 60, "ResourceRecords": [{"Value": primary}]}}
            for name in [DB_RECORD, *PLATFORM_RECORDS.values()]]},
    )
    west.create_db_subnet_group(
        DBSubnetGroupName=DR_SUBNET_GROUP,
        DBSubnetGroupDescription="orders database in the recovery VPC",
        SubnetIds=subnets,
    )
    # The primary region's own DB subnet group, which a bad-data restore
    # there names (events/recovery-workflow-bad-data.json, the plan's).
    east_ec2 = client("ec2", PRIMARY, endpoint)
    east_vpc = east_ec2.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
    east_subnets = [
        east_ec2.create_subnet(VpcId=east_vpc, CidrBlock=f"10.10.{i}.0/24", AvailabilityZone=f"{PRIMARY}{az}")[
            "Subnet"
        ]["SubnetId"]
        for i, az in enumerate("ab")
    ]
    east.create_db_subnet_group(
        DBSubnetGroupName="ecommerce-subnets",
        DBSubnetGroupDescription="orders database in the primary VPC",
        SubnetIds=east_subnets,
    )
    # The Aurora flavour of the orders database: a Serverless v2 cluster, its
    # writer, and a cluster snapshot.
    east.create_db_cluster(
        DBClusterIdentifier=AURORA,
        Engine="aurora-postgresql",
        EngineVersion="15.4",
        MasterUsername="orders",
        MasterUserPassword="demo-only-password",
        VpcSecurityGroupIds=["sg-0a1b2c3d4e5f60718"],
        DeletionProtection=True,
        ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 16},
        Tags=[{"Key": "team", "Value": "orders"}],
    )
    east.create_db_instance(
        DBInstanceIdentifier=f"{AURORA}-1",
        DBClusterIdentifier=AURORA,
        Engine="aurora-postgresql",
        DBInstanceClass="db.serverless",
    )
    east.create_db_cluster_snapshot(DBClusterIdentifier=AURORA, DBClusterSnapshotIdentifier=f"{AURORA}-2025-05-12")
    # Its DR copy in the recovery region (events/recovery-workflow-aurora.json):
    # Aurora replicates no automated backups across regions, copies do.
    cluster_arn = east.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier=f"{AURORA}-2025-05-12")[
        "DBClusterSnapshots"
    ][0]["DBClusterSnapshotArn"]
    west.copy_db_cluster_snapshot(
        SourceDBClusterSnapshotIdentifier=cluster_arn,
        TargetDBClusterSnapshotIdentifier=f"{AURORA}-2025-05-12-dr",
        SourceRegion=PRIMARY,
    )


def platform_plan():
    """The seeded platform's recovery plan (the format of docs/plan.md)."""
    dr = {"region": SECONDARY, "db_subnet_group": DR_SUBNET_GROUP, "vpc_security_group_ids": ["sg-0f1e2d3c4b5a69788"]}
    primary = {"region": PRIMARY, "db_subnet_group": "ecommerce-subnets", "vpc_security_group_ids": ["sg-0a1b2c3d4e5f60718"]}
    runs_in = {"account": "123456789012", "region": SECONDARY}
    def forty(name):
        return {"db_instance": f"{name}-forty", "snapshot_id": "latest", "source_db_instance": SOURCE, **dr}

    shards = [
        {
            "name": f"shard-{i:02}",
            "required": False,
            "record": f"shard-{i:02}.platform.orders.internal",
            "drill_record": f"shard-{i:02}.drilling.orders.internal",
            "restore": {"forty-databases": forty(f"shard-{i:02}")},
        }
        for i in range(37)
    ]
    plan = {
        "version": 1,
        "databases": [
            {
                "name": "orders",
                "record": PLATFORM_RECORDS["orders"],
                "drill_record": "orders.drilling.orders.internal",
                "restore": {
                    "regional-outage": {"standby": PLATFORM_STANDBY, "region": SECONDARY},
                    "bad-data": {"db_instance": "orders-before-bad-data", "source_db_instance": SOURCE, **primary},
                },
                "drill": {"db_instance": "orders-drill", "snapshot_id": "latest", "source_db_instance": SOURCE, **dr},
            },
            {
                "name": "inventory",
                "record": PLATFORM_RECORDS["inventory"],
                "drill_record": "inventory.drilling.orders.internal",
                "restore": {
                    "regional-outage": {
                        "db_cluster": "inventory-platform-dr",
                        "snapshot_id": "latest",
                        "source_db_cluster": AURORA,
                        "db_instance_class": "db.serverless",
                        "serverless_v2_capacity": {"min": 0.5, "max": 16},
                        **dr,
                    },
                    "bad-data": {
                        "db_cluster": "inventory-before-bad-data",
                        "source_db_cluster": AURORA,
                        "db_instance_class": "db.serverless",
                        "serverless_v2_capacity": {"min": 0.5, "max": 16},
                        **primary,
                    },
                },
            },
            {
                "name": "customers",
                "required": False,
                "record": PLATFORM_RECORDS["customers"],
                "drill_record": "customers.drilling.orders.internal",
                "restore": {
                    "regional-outage": {
                        "db_instance": "customers-platform-dr",
                        "snapshot_id": "latest",
                        "source_db_instance": SOURCE,
                        **dr,
                    },
                },
            },
        ],
        "scenarios": {
            "regional-outage": {"moves_traffic": True, "runs_in": runs_in},
            # tests/workflow.rs's limits test: forty databases at once.
            "forty-databases": {"moves_traffic": True, "runs_in": runs_in},
            "bad-data": {"moves_traffic": False, "point_in_time": True, "runs_in": runs_in},
        },
    }
    for db in plan["databases"]:
        db["restore"]["forty-databases"] = forty(db["name"])
    plan["databases"].extend(shards)
    # scripts/bench_overhead's: one database the bench holds `creating`.
    plan["databases"].append({
        "name": "bench",
        "required": False,
        "record": "bench.platform.orders.internal",
        "drill_record": "bench.drilling.orders.internal",
        "restore": {"bench": {"db_instance": "bench-platform", "snapshot_id": "latest",
                              "source_db_instance": SOURCE, **dr}},
    })
    plan["scenarios"]["bench"] = {"moves_traffic": False, "runs_in": runs_in}
    return plan


ZONE = "shop.example.com."
RECORD_NAMES = ["shop.example.com.", "api.shop.example.com.", "www.shop.example.com."]
REGION_ENDPOINTS = {PRIMARY: "origin-use1.shop.example.com", SECONDARY: "origin-usw2.shop.example.com"}


def seed_route53(endpoint):
    r53 = client("route53", PRIMARY, endpoint)
    zone_id = r53.create_hosted_zone(Name=ZONE, CallerReference="dr-lambdas-demo")["HostedZone"]["Id"]
    zone_id = zone_id.split("/")[-1]
    # One health check per region: the failover (and the failback) verify
    # the region they move traffic to. moto reports every check healthy.
    health = {
        region: r53.create_health_check(
            CallerReference=f"dr-lambdas-demo-{region}",
            HealthCheckConfig={
                "Type": "HTTPS",
                "FullyQualifiedDomainName": REGION_ENDPOINTS[region],
                "ResourcePath": "/health",
            },
        )["HealthCheck"]["Id"]
        for region in (PRIMARY, SECONDARY)
    }

    def weighted(region, weight, ip, health_check=None):
        record = {
            "Name": "shop.example.com.",
            "Type": "A",
            "SetIdentifier": region,
            "Weight": weight,
            "TTL": 60,
            "ResourceRecords": [{"Value": ip}],
        }
        if health_check:
            record["HealthCheckId"] = health_check
        return record

    def alias(region, weight):
        return {
            "Name": "api.shop.example.com.",
            "Type": "A",
            "SetIdentifier": region,
            "Weight": weight,
            "AliasTarget": {
                "HostedZoneId": "Z35SXDOTRQ7X7K",
                "DNSName": f"dualstack.api-{region}.elb.amazonaws.com.",
                "EvaluateTargetHealth": True,
            },
        }

    records = [
        weighted(PRIMARY, 100, "10.1.0.10", health[PRIMARY]),
        weighted(SECONDARY, 0, "10.2.0.10", health[SECONDARY]),
        alias(PRIMARY, 100),
        alias(SECONDARY, 0),
        {
            "Name": "www.shop.example.com.",
            "Type": "CNAME",
            "TTL": 30,
            "ResourceRecords": [{"Value": REGION_ENDPOINTS[PRIMARY]}],
        },
    ]
    r53.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": r} for r in records]},
    )
    return zone_id, health


def seed_oncall(endpoint):
    """The on-call topic (the template's AlarmTopicArn) in the recovery region,
    with a queue subscribed where tests and the demo read what it sends."""
    sns = client("sns", SECONDARY, endpoint)
    sqs = client("sqs", SECONDARY, endpoint)
    topic = sns.create_topic(Name=ONCALL)["TopicArn"]
    queue = sqs.create_queue(QueueName=f"{ONCALL}-inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    return topic, queue


def show_dns(endpoint):
    r53 = client("route53", PRIMARY, endpoint)
    zone_id = r53.list_hosted_zones_by_name(DNSName=ZONE)["HostedZones"][0]["Id"]
    for r in r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]:
        if r["Name"] not in RECORD_NAMES or r["Type"] not in ("A", "CNAME"):
            continue
        target = r.get("AliasTarget", {}).get("DNSName") or ", ".join(v["Value"] for v in r["ResourceRecords"])
        weight = f"weight {r['Weight']:>3}" if "Weight" in r else "simple    "
        print(f"  {r['Name']:<24} {r['Type']:<6} {r.get('SetIdentifier', ''):<10} {weight}  -> {target}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["seed", "dns"], help="seed the world, or print its DNS records")
    parser.add_argument("--endpoint", required=True, help="moto URL, e.g. http://127.0.0.1:5000")
    parser.add_argument("--plan-file", help="where to write the seeded platform's recovery plan")
    args = parser.parse_args()
    if args.command == "dns":
        show_dns(args.endpoint)
        return
    seed_rds(args.endpoint)
    zone_id, health = seed_route53(args.endpoint)
    topic, queue = seed_oncall(args.endpoint)
    plan = {}
    if args.plan_file:
        with open(args.plan_file, "w") as f:
            json.dump(platform_plan(), f, indent=2)
        # Every function's: the drill function (the workflow's helper)
        # expands its scenarios, check-readiness checks them.
        plan = {"PLAN_FILE": args.plan_file}
    print(
        json.dumps(
            {
                "HOSTED_ZONE_ID": zone_id,
                "RECORD_NAMES": ",".join(RECORD_NAMES),
                "PRIMARY_REGION": PRIMARY,
                "SECONDARY_REGION": SECONDARY,
                # The restore function's: where the source of a point-in-time
                # restore runs (its replicated backups are named by it).
                "RESTORE_SOURCE_REGION": PRIMARY,
                # check-readiness's: the database name the cutover would UPSERT.
                "PRIVATE_HOSTED_ZONE_ID": private_zone_id(args.endpoint),
                "DB_ENDPOINT_RECORD_NAME": DB_RECORD,
                # The drill function's: the only record its cleanup may delete.
                "DRILL_DB_ENDPOINT_RECORD_NAME": DRILL_RECORD,
                # Every production record a drill must never touch.
                "PRODUCTION_RECORD_NAMES": DB_RECORD,
                # Answered by scripts/moto_server.py's stub validator.
                "DRILL_VALIDATION_FUNCTION_ARN": "drill-validator",
                "REGION_ENDPOINTS": json.dumps(REGION_ENDPOINTS),
                "REGION_HEALTH_CHECKS": json.dumps(health),
                # Not the failover function's, but the workflow's (see scripts/lib.sh).
                "DR_PRIVATE_ZONE_ID": private_zone_id(args.endpoint),
                "DR_DB_RECORD": DB_RECORD,
                "DR_DRILL_RECORD": DRILL_RECORD,
                # The failover function's: where an alarm under AlarmAction=page
                # (the default) tells on-call.
                "ONCALL_TOPIC_ARN": topic,
                "DR_ONCALL_TOPIC_ARN": topic,
                "DR_ONCALL_QUEUE_URL": queue,
                "DR_PLATFORM_RECORDS": json.dumps(PLATFORM_RECORDS),
                **plan,
            }
        )
    )


if __name__ == "__main__":
    main()
