//! Aurora restores against moto, over real HTTP: the cluster and its writer
//! exist afterwards, the writer is in the cluster, a replay makes nothing new,
//! and a retry after a crash between the two steps completes the writer.
//!
//! moto 5.2.5 makes a restored cluster `available` at once and accepts a
//! writer at any time; what a real `creating` cluster does is covered at the
//! SDK boundary (tests/restore_cluster.rs).

mod common;

use aws_sdk_rds::Client;
use aws_sdk_rds::types::{ServerlessV2ScalingConfiguration, Tag};
use dr_lambdas::restore::status::RestoreStatus;
use dr_lambdas::restore::{RestoreHandler, rds};
use dr_lambdas::runtime::{Handler, Invocation};
use serde_json::json;

const HOME: &str = "us-east-1";

/// An Aurora PostgreSQL Serverless v2 cluster with its writer and one snapshot.
async fn seed_cluster(rds: &Client, name: &str, snapshot: &str) {
    rds.create_db_cluster()
        .db_cluster_identifier(name)
        .engine("aurora-postgresql")
        .engine_version("15.4")
        .master_username("orders")
        .master_user_password("not-a-secret-1")
        .vpc_security_group_ids("sg-0aaaaaaaaaaaaaaa1")
        .deletion_protection(true)
        .serverless_v2_scaling_configuration(
            ServerlessV2ScalingConfiguration::builder()
                .min_capacity(0.5)
                .max_capacity(8.0)
                .build(),
        )
        .tags(Tag::builder().key("team").value("orders").build())
        .send()
        .await
        .expect("create source cluster");
    rds.create_db_instance()
        .db_instance_identifier(format!("{name}-1"))
        .db_cluster_identifier(name)
        .engine("aurora-postgresql")
        .db_instance_class("db.serverless")
        .send()
        .await
        .expect("create source writer");
    rds.create_db_cluster_snapshot()
        .db_cluster_identifier(name)
        .db_cluster_snapshot_identifier(snapshot)
        .send()
        .await
        .expect("create cluster snapshot");
}

async fn cluster(rds: &Client, id: &str) -> aws_sdk_rds::types::DbCluster {
    rds.describe_db_clusters()
        .db_cluster_identifier(id)
        .send()
        .await
        .expect("describe cluster")
        .db_clusters()[0]
        .clone()
}

async fn instances_in(rds: &Client, cluster: &str) -> Vec<String> {
    let all = rds
        .describe_db_instances()
        .send()
        .await
        .expect("describe instances");
    all.db_instances()
        .iter()
        .filter(|i| i.db_cluster_identifier() == Some(cluster))
        .filter_map(|i| i.db_instance_identifier())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn a_cluster_snapshot_is_restored_into_a_cluster_and_its_writer() {
    let url = moto_or_skip!();
    let rds = common::rds(&url, HOME);
    let (source, snap, target) = (
        common::unique("orders"),
        common::unique("csnap"),
        common::unique("restored"),
    );
    seed_cluster(&rds, &source, &snap).await;
    let handler = RestoreHandler::new(rds.clone(), HOME, None);
    let event = json!({"db_cluster": target, "snapshot_id": snap, "source_db_cluster": source});

    let first = handler
        .handle(event.clone(), &Invocation::new("c-1"))
        .await
        .unwrap();
    let second = handler
        .handle(event, &Invocation::new("c-2"))
        .await
        .unwrap();

    let writer = format!("{target}-writer");
    assert_eq!(first.cluster_id.as_deref(), Some(target.as_str()));
    assert_eq!(first.instance_id, writer);
    assert_eq!(first.status, RestoreStatus::Restoring);
    assert!(second.replayed);
    assert_eq!(
        instances_in(&rds, &target).await,
        std::slice::from_ref(&writer)
    );
    let restored = cluster(&rds, &target).await;
    assert_eq!(restored.deletion_protection(), Some(true));
    let scaling = restored.serverless_v2_scaling_configuration().unwrap();
    assert_eq!(
        (scaling.min_capacity(), scaling.max_capacity()),
        (Some(0.5), Some(8.0))
    );
    let tag = |key: &str| {
        restored
            .tag_list()
            .iter()
            .find(|t| t.key() == Some(key))
            .and_then(|t| t.value())
            .map(str::to_owned)
    };
    assert_eq!(tag("team").as_deref(), Some("orders"));
    assert_eq!(
        tag("dr-lambdas:provenance"),
        Some(format!("snapshot:{snap}"))
    );
    assert_eq!(
        restored.db_cluster_members()[0].db_instance_identifier(),
        Some(writer.as_str())
    );
}

#[tokio::test]
async fn a_retry_after_a_crash_between_the_two_steps_completes_the_writer() {
    let url = moto_or_skip!();
    let rds = common::rds(&url, HOME);
    let (source, snap, target) = (
        common::unique("orders"),
        common::unique("csnap"),
        common::unique("restored"),
    );
    seed_cluster(&rds, &source, &snap).await;
    let handler = RestoreHandler::new(rds.clone(), HOME, None);
    let event = json!({"db_cluster": target, "snapshot_id": "latest", "source_db_cluster": source});
    // The "crash": the first step of the planned restore, and nothing after it.
    let mut dry = event.clone();
    dry["dry_run"] = json!(true);
    let planned = handler
        .handle(dry, &Invocation::new("crashed"))
        .await
        .unwrap()
        .plan
        .unwrap();
    assert_eq!(planned.len(), 2);
    rds::apply(&rds, &planned[0], HOME).await.unwrap();
    assert_eq!(instances_in(&rds, &target).await, Vec::<String>::new());

    let retried = handler
        .handle(event, &Invocation::new("retry"))
        .await
        .unwrap();

    assert!(!retried.replayed);
    assert_eq!(
        instances_in(&rds, &target).await,
        [format!("{target}-writer")]
    );
}

#[tokio::test]
async fn a_cluster_point_in_time_restore_creates_the_cluster_and_its_writer() {
    let url = moto_or_skip!();
    let rds = common::rds(&url, HOME);
    let (source, target) = (common::unique("orders"), common::unique("pitr"));
    seed_cluster(&rds, &source, &common::unique("csnap")).await;
    let handler = RestoreHandler::new(rds.clone(), HOME, None);

    let result = handler
        .handle(
            json!({"db_cluster": target, "restore_time": "latest", "source_db_cluster": source}),
            &Invocation::new("r"),
        )
        .await
        .unwrap();

    assert_eq!(result.snapshot_id, None);
    assert_eq!(
        instances_in(&rds, &target).await,
        [format!("{target}-writer")]
    );
}
