"""Seeds a small e-commerce world into a local moto server.

us-east-1 (primary): the orders database `ecommerce-db` with two manual
snapshots; us-west-2 (recovery region): a cross-region copy of the newest
snapshot, as a DR backup plan leaves it. Used by the demo and the end-to-end
tests; the sample events in events/ name these resources.
"""

import argparse
import json

import boto3

PRIMARY, SECONDARY = "us-east-1", "us-west-2"
SOURCE = "ecommerce-db"


def client(service, region, endpoint):
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


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


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoint", required=True, help="moto URL, e.g. http://127.0.0.1:5000")
    args = parser.parse_args()
    seed_rds(args.endpoint)
    print(json.dumps({"seeded": {"rds": [PRIMARY, SECONDARY]}}))


if __name__ == "__main__":
    main()
