//! Retries and concurrency against moto: the same event many times, or many
//! at once, never restores twice, never alters an instance, and leaves DNS
//! in the right final state.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_sdk_rds::types::Tag;
use dr_lambdas::failover::FailoverStatus;
use dr_lambdas::failover::dns::config::DnsConfig;
use dr_lambdas::restore::RestoreHandler;
use dr_lambdas::runtime::{Handler, Invocation};
use serde_json::json;

const HOME: &str = "us-east-1";

async fn seed_snapshot(rds: &aws_sdk_rds::Client) -> String {
    let (source, snapshot) = (common::unique("orders"), common::unique("snap"));
    rds.create_db_instance()
        .db_instance_identifier(&source)
        .engine("postgres")
        .db_instance_class("db.t4g.medium")
        .allocated_storage(20)
        .master_username("orders")
        .master_user_password("not-a-secret-1")
        .tags(Tag::builder().key("team").value("orders").build())
        .send()
        .await
        .unwrap();
    rds.create_db_snapshot()
        .db_instance_identifier(&source)
        .db_snapshot_identifier(&snapshot)
        .send()
        .await
        .unwrap();
    snapshot
}

/// How many instances carry this exact identifier (describe-all, so that a
/// duplicate would show).
async fn instances_named(
    rds: &aws_sdk_rds::Client,
    id: &str,
) -> Vec<aws_sdk_rds::types::DbInstance> {
    rds.describe_db_instances()
        .send()
        .await
        .unwrap()
        .db_instances()
        .iter()
        .filter(|d| d.db_instance_identifier() == Some(id))
        .cloned()
        .collect()
}

#[tokio::test]
async fn the_same_restore_event_three_times_makes_one_instance() {
    let url = moto_or_skip!();
    let rds = common::rds(&url, HOME);
    let snapshot = seed_snapshot(&rds).await;
    let target = common::unique("dr");
    let handler = RestoreHandler::new(rds.clone(), HOME, None);
    let event = json!({"db_instance": target, "snapshot_id": snapshot});

    let mut replayed = Vec::new();
    for attempt in 0..3 {
        let result = handler
            .handle(
                event.clone(),
                &Invocation::new(format!("attempt-{attempt}")),
            )
            .await
            .unwrap();
        assert_eq!(result.instance_id, target);
        replayed.push(result.replayed);
    }

    assert_eq!(replayed, [false, true, true]);
    assert_eq!(instances_named(&rds, &target).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_concurrent_identical_restores_make_exactly_one_instance() {
    let url = moto_or_skip!();
    let rds = common::rds(&url, HOME);
    let snapshot = seed_snapshot(&rds).await;
    let target = common::unique("dr");
    let handler = RestoreHandler::new(rds.clone(), HOME, None);
    let event = json!({"db_instance": target, "snapshot_id": snapshot});

    let handler = Arc::new(handler);
    let results = ten_at_once(|i| {
        let (handler, event) = (handler.clone(), event.clone());
        async move {
            handler
                .handle(event, &Invocation::new(format!("concurrent-{i}")))
                .await
        }
    })
    .await;

    let mut started = 0;
    for result in &results {
        match result {
            Ok(r) if !r.replayed => started += 1,
            Ok(r) => assert_eq!(r.instance_id, target),
            Err(e) => assert_eq!(e.name(), "InstanceAlreadyExists", "{e}"),
        }
    }
    assert_eq!(started, 1, "exactly one invocation restores");
    let instances = instances_named(&rds, &target).await;
    assert_eq!(instances.len(), 1);
    let tags: BTreeMap<_, _> = instances[0]
        .tag_list()
        .iter()
        .map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default()))
        .collect();
    assert_eq!(
        tags["dr-lambdas:restored-from"],
        format!("snapshot:{snapshot}").as_str()
    );
}

/// Runs `handle` ten times at once, on several worker threads.
async fn ten_at_once<T, F, Fut>(handle: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let mut set = tokio::task::JoinSet::new();
    for i in 0..10 {
        set.spawn(handle(i));
    }
    set.join_all().await
}

async fn config(r53: &aws_sdk_route53::Client, zone_id: &str, domain: &str) -> DnsConfig {
    let mut config = common::dns_config(
        zone_id,
        vec![format!("shop.{domain}"), format!("api.{domain}")],
    );
    config.region_health_checks = common::region_health_checks(r53).await;
    config
}

async fn weights(r53: &aws_sdk_route53::Client, zone_id: &str) -> BTreeMap<(String, String), i64> {
    common::record_sets(r53, zone_id)
        .await
        .iter()
        .filter_map(|s| Some(((s.name.clone(), s.set_identifier.clone()?), s.weight?)))
        .collect()
}

fn all_moved(weights: &BTreeMap<(String, String), i64>) -> bool {
    weights.len() == 4
        && weights.iter().all(|((_, region), w)| {
            if region == "us-west-2" {
                *w == 100
            } else {
                *w == 0
            }
        })
}

#[tokio::test]
async fn the_same_failover_event_three_times_makes_one_change_then_already_active() {
    let url = moto_or_skip!();
    let r53 = common::route53(&url);
    let (zone_id, domain) = common::seed_weighted_zone(&r53, &["shop", "api"]).await;
    let handler = common::dns_handler(r53.clone(), config(&r53, &zone_id, &domain).await);
    let event = json!({"primary_region": "us-east-1", "secondary_region": "us-west-2"});

    let mut statuses = Vec::new();
    for attempt in 0..3 {
        statuses.push(
            handler
                .handle(event.clone(), &Invocation::new(format!("a{attempt}")))
                .await
                .unwrap()
                .status,
        );
    }

    assert_eq!(
        statuses,
        [
            FailoverStatus::Insync,
            FailoverStatus::AlreadyActive,
            FailoverStatus::AlreadyActive
        ]
    );
    assert!(all_moved(&weights(&r53, &zone_id).await));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_concurrent_failovers_leave_dns_in_the_right_final_state() {
    let url = moto_or_skip!();
    let r53 = common::route53(&url);
    let (zone_id, domain) = common::seed_weighted_zone(&r53, &["shop", "api"]).await;
    let handler = common::dns_handler(r53.clone(), config(&r53, &zone_id, &domain).await);
    let event = json!({"primary_region": "us-east-1", "secondary_region": "us-west-2"});

    let handler = Arc::new(handler);
    let results = ten_at_once(|i| {
        let (handler, event) = (handler.clone(), event.clone());
        async move {
            handler
                .handle(event, &Invocation::new(format!("c{i}")))
                .await
        }
    })
    .await;

    for result in &results {
        let status = &result.as_ref().expect("no failover fails").status;
        assert!(
            matches!(
                status,
                FailoverStatus::Insync | FailoverStatus::AlreadyActive
            ),
            "{status:?}"
        );
    }
    assert!(
        all_moved(&weights(&r53, &zone_id).await),
        "{:?}",
        weights(&r53, &zone_id).await
    );
}
