//! The restore handler against moto, over real HTTP.

mod common;

use aws_sdk_rds::Client;
use aws_sdk_rds::types::Tag;
use dr_lambdas::restore::RestoreHandler;
use dr_lambdas::restore::status::RestoreStatus;
use dr_lambdas::runtime::{Handler, Invocation};
use serde_json::json;

const HOME: &str = "us-east-1";

/// Creates a source instance with non-default settings and one snapshot of it.
async fn seed_source(rds: &Client, name: &str, snapshot: &str) {
    let pg = format!("{name}-pg");
    rds.create_db_parameter_group()
        .db_parameter_group_name(&pg)
        .db_parameter_group_family("postgres15")
        .description("orders parameters")
        .send()
        .await
        .expect("create parameter group");
    rds.create_db_instance()
        .db_instance_identifier(name)
        .engine("postgres")
        .db_instance_class("db.r6g.large")
        .allocated_storage(20)
        .master_username("orders")
        .master_user_password("not-a-secret-1")
        .db_parameter_group_name(&pg)
        .vpc_security_group_ids("sg-0aaaaaaaaaaaaaaa1")
        .multi_az(true)
        .storage_type("gp3")
        .deletion_protection(true)
        .publicly_accessible(false)
        .tags(Tag::builder().key("team").value("orders").build())
        .send()
        .await
        .expect("create source instance");
    rds.create_db_snapshot()
        .db_instance_identifier(name)
        .db_snapshot_identifier(snapshot)
        .send()
        .await
        .expect("create snapshot");
}

async fn describe(rds: &Client, id: &str) -> aws_sdk_rds::types::DbInstance {
    rds.describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await
        .expect("describe instance")
        .db_instances()[0]
        .clone()
}

/// The instance as described, less what moto recomputes on every call.
async fn snapshot_of(rds: &Client, id: &str) -> aws_sdk_rds::types::DbInstance {
    let mut db = describe(rds, id).await;
    db.latest_restorable_time = None;
    db
}

fn tag<'a>(db: &'a aws_sdk_rds::types::DbInstance, key: &str) -> Option<&'a str> {
    db.tag_list()
        .iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value())
}

#[tokio::test]
async fn a_named_snapshot_is_restored_into_a_new_instance() {
    let url = moto_or_skip!();
    let rds = common::rds(&url, HOME);
    let (source, snap, target) = (
        common::unique("orders"),
        common::unique("snap"),
        common::unique("orders-dr"),
    );
    seed_source(&rds, &source, &snap).await;
    let handler = RestoreHandler::new(rds.clone(), HOME, None);

    let result = handler
        .handle(
            json!({"db_instance": target, "snapshot_id": snap}),
            &Invocation::new("req-1"),
        )
        .await
        .unwrap();

    assert_eq!(result.instance_id, target);
    assert_eq!(result.status, RestoreStatus::Restoring);
    assert_eq!(result.snapshot_id.as_deref(), Some(snap.as_ref()));
    assert_eq!(result.region, HOME);
    assert!(!result.replayed);
    let restored = describe(&rds, &target).await;
    assert_eq!(
        tag(&restored, "dr-lambdas:restored-from"),
        Some(format!("snapshot:{snap}").as_str())
    );
    assert_eq!(tag(&restored, "dr-lambdas:request-id"), Some("req-1"));
}

#[tokio::test]
async fn latest_restores_the_newest_snapshot_of_the_source() {
    let url = moto_or_skip!();
    let rds = common::rds(&url, HOME);
    let (source, old, target) = (
        common::unique("orders"),
        common::unique("snap-old"),
        common::unique("dr"),
    );
    seed_source(&rds, &source, &old).await;
    let newest = common::unique("snap-new");
    rds.create_db_snapshot()
        .db_instance_identifier(&source)
        .db_snapshot_identifier(&newest)
        .send()
        .await
        .unwrap();
    let handler = RestoreHandler::new(rds.clone(), HOME, None);

    let result = handler
        .handle(
            json!({"db_instance": target, "snapshot_id": "latest", "source_db_instance": source}),
            &Invocation::new("r"),
        )
        .await
        .unwrap();

    assert_eq!(result.snapshot_id.as_deref(), Some(newest.as_ref()));
    assert_eq!(result.status, RestoreStatus::Restoring);
    let restored = describe(&rds, &target).await;
    assert_eq!(
        tag(&restored, "dr-lambdas:provenance"),
        Some(format!("latest:{source}").as_str())
    );
}

#[tokio::test]
async fn the_restored_instance_copies_the_settings_of_the_source() {
    let url = moto_or_skip!();
    let rds = common::rds(&url, HOME);
    let (source, snap, target) = (
        common::unique("orders"),
        common::unique("snap"),
        common::unique("dr"),
    );
    seed_source(&rds, &source, &snap).await;
    let handler = RestoreHandler::new(rds.clone(), HOME, None);

    handler
        .handle(
            json!({"db_instance": target, "snapshot_id": snap}),
            &Invocation::new("r"),
        )
        .await
        .unwrap();

    let restored = describe(&rds, &target).await;
    assert_eq!(restored.db_instance_class(), Some("db.r6g.large"));
    assert_eq!(restored.multi_az(), Some(true));
    assert_eq!(restored.storage_type(), Some("gp3"));
    assert_eq!(restored.deletion_protection(), Some(true));
    assert_eq!(restored.publicly_accessible(), Some(false));
    assert_eq!(
        restored.db_parameter_groups()[0].db_parameter_group_name(),
        Some(format!("{source}-pg").as_str())
    );
    let groups: Vec<_> = restored
        .vpc_security_groups()
        .iter()
        .filter_map(|g| g.vpc_security_group_id())
        .collect();
    assert_eq!(groups, ["sg-0aaaaaaaaaaaaaaa1"]);
    assert_eq!(tag(&restored, "team"), Some("orders"));
}

#[tokio::test]
async fn event_overrides_win_over_the_source_settings() {
    let url = moto_or_skip!();
    let rds = common::rds(&url, HOME);
    let (source, snap, target) = (
        common::unique("orders"),
        common::unique("snap"),
        common::unique("dr"),
    );
    seed_source(&rds, &source, &snap).await;
    let handler = RestoreHandler::new(rds.clone(), HOME, None);

    handler
        .handle(
            json!({"db_instance": target, "snapshot_id": snap, "db_instance_class": "db.t4g.medium",
                   "tags": {"team": "dr"}}),
            &Invocation::new("r"),
        )
        .await
        .unwrap();

    let restored = describe(&rds, &target).await;
    // (moto ignores MultiAZ on a restore; the unit tests cover that override.)
    assert_eq!(restored.db_instance_class(), Some("db.t4g.medium"));
    assert_eq!(tag(&restored, "team"), Some("dr"));
}

#[tokio::test]
async fn a_replay_of_the_same_request_does_not_restore_twice() {
    let url = moto_or_skip!();
    let rds = common::rds(&url, HOME);
    let (source, snap, target) = (
        common::unique("orders"),
        common::unique("snap"),
        common::unique("dr"),
    );
    seed_source(&rds, &source, &snap).await;
    let handler = RestoreHandler::new(rds.clone(), HOME, None);
    let event = json!({"db_instance": target, "snapshot_id": snap});

    let first = handler
        .handle(event.clone(), &Invocation::new("attempt-1"))
        .await
        .unwrap();
    let second = handler
        .handle(event, &Invocation::new("attempt-2"))
        .await
        .unwrap();

    assert!(!first.replayed);
    assert!(second.replayed);
    assert_eq!(second.instance_id, target);
    assert_eq!(second.snapshot_id.as_deref(), Some(snap.as_ref()));
    // moto makes restored instances available at once; real RDS reports "restoring" first.
    assert_eq!(second.status, RestoreStatus::Available);
    let restored = describe(&rds, &target).await;
    assert_eq!(tag(&restored, "dr-lambdas:request-id"), Some("attempt-1"));
    let endpoint = restored.endpoint().expect("moto gives an endpoint");
    assert_eq!(second.endpoint.as_deref(), endpoint.address());
    assert_eq!(second.port, endpoint.port());
    assert_eq!(first.endpoint, None, "not available yet when it starts");
}

#[tokio::test]
async fn an_existing_instance_of_the_same_name_is_left_untouched() {
    let url = moto_or_skip!();
    let rds = common::rds(&url, HOME);
    let (source, snap, other) = (
        common::unique("orders"),
        common::unique("snap"),
        common::unique("billing"),
    );
    seed_source(&rds, &source, &snap).await;
    seed_source(&rds, &other, &common::unique("snap")).await;
    let before = snapshot_of(&rds, &other).await;
    let handler = RestoreHandler::new(rds.clone(), HOME, None);

    let err = handler
        .handle(
            json!({"db_instance": other, "snapshot_id": snap}),
            &Invocation::new("r"),
        )
        .await
        .unwrap_err();

    assert_eq!(err.name(), "InstanceAlreadyExists");
    assert!(err.to_string().contains("was not restored by dr-lambdas"));
    assert_eq!(snapshot_of(&rds, &other).await, before);
}

#[tokio::test]
async fn the_source_instance_is_never_modified() {
    let url = moto_or_skip!();
    let rds = common::rds(&url, HOME);
    let (source, snap, target) = (
        common::unique("orders"),
        common::unique("snap"),
        common::unique("dr"),
    );
    seed_source(&rds, &source, &snap).await;
    let before = snapshot_of(&rds, &source).await;
    let handler = RestoreHandler::new(rds.clone(), HOME, None);

    handler
        .handle(
            json!({"db_instance": target, "snapshot_id": snap}),
            &Invocation::new("r"),
        )
        .await
        .unwrap();

    assert_eq!(snapshot_of(&rds, &source).await, before);
}

#[tokio::test]
async fn a_missing_snapshot_is_snapshot_not_found() {
    let url = moto_or_skip!();
    let rds = common::rds(&url, HOME);
    let handler = RestoreHandler::new(rds.clone(), HOME, None);
    let target = common::unique("dr");

    let err = handler
        .handle(
            json!({"db_instance": target, "snapshot_id": "no-such-snapshot"}),
            &Invocation::new("r"),
        )
        .await
        .unwrap_err();

    assert_eq!(err.name(), "SnapshotNotFound");
    assert!(
        err.to_string()
            .contains("'no-such-snapshot' was not found in us-east-1")
    );
}

#[tokio::test]
async fn a_dry_run_returns_the_plan_and_creates_nothing() {
    let url = moto_or_skip!();
    let rds = common::rds(&url, HOME);
    let (source, snap, target) = (
        common::unique("orders"),
        common::unique("snap"),
        common::unique("dr"),
    );
    seed_source(&rds, &source, &snap).await;
    let handler = RestoreHandler::new(rds.clone(), HOME, None);

    let result = handler
        .handle(
            json!({"db_instance": target, "snapshot_id": snap, "dry_run": true}),
            &Invocation::new("r"),
        )
        .await
        .unwrap();

    assert_eq!(result.status, RestoreStatus::DryRun);
    let plan = serde_json::to_value(result.plan.unwrap()).unwrap();
    let restore = &plan[0]["RestoreDBInstanceFromDBSnapshot"];
    assert_eq!(restore["DBInstanceIdentifier"], target.as_str());
    assert_eq!(restore["DBInstanceClass"], "db.r6g.large");
    let lookup = rds
        .describe_db_instances()
        .db_instance_identifier(&target)
        .send()
        .await;
    assert_eq!(
        lookup.unwrap_err().into_service_error().meta().code(),
        Some("DBInstanceNotFound")
    );
}

#[tokio::test]
async fn a_restore_into_another_region_happens_in_that_region_only() {
    let url = moto_or_skip!();
    let west = common::rds(&url, "us-west-2");
    let (source, snap, target) = (
        common::unique("orders"),
        common::unique("snap"),
        common::unique("dr"),
    );
    // A snapshot copied to the recovery region, as a cross-region backup leaves it.
    seed_source(&west, &source, &snap).await;
    let handler = RestoreHandler::new(common::rds(&url, HOME), HOME, None);

    let result = handler
        .handle(
            json!({"db_instance": target, "snapshot_id": snap, "region": "us-west-2"}),
            &Invocation::new("r"),
        )
        .await
        .unwrap();

    assert_eq!(result.region, "us-west-2");
    assert_eq!(
        describe(&west, &target).await.db_instance_identifier(),
        Some(target.as_str())
    );
    let east = common::rds(&url, HOME)
        .describe_db_instances()
        .db_instance_identifier(&target)
        .send()
        .await;
    assert!(east.is_err(), "nothing may be restored in the home region");
}

// moto 5.2.5 implements same-region point-in-time restore loosely (any time,
// both flags, settings it should reset); the requests are proven in
// tests/restore_pitr.rs. Here: one instance, tagged, and a recognised replay.
#[tokio::test]
async fn a_point_in_time_restore_creates_one_tagged_instance_and_its_replay_sends_nothing() {
    let url = moto_or_skip!();
    let rds = common::rds(&url, HOME);
    let (source, target) = (common::unique("orders"), common::unique("pitr"));
    seed_source(&rds, &source, &common::unique("snap")).await;
    let handler = RestoreHandler::new(rds.clone(), HOME, None);
    let event =
        json!({"db_instance": target, "restore_time": "latest", "source_db_instance": source});

    let first = handler
        .handle(event.clone(), &Invocation::new("pitr-1"))
        .await
        .unwrap();
    let second = handler
        .handle(event, &Invocation::new("pitr-2"))
        .await
        .unwrap();

    assert!(!first.replayed);
    assert_eq!(first.snapshot_id, None);
    assert!(first.recovery_point.is_some(), "{first:?}");
    assert!(second.replayed);
    assert_eq!(second.recovery_point, first.recovery_point);
    let restored = describe(&rds, &target).await;
    assert_eq!(
        tag(&restored, "dr-lambdas:provenance"),
        Some(format!("pitr:{source}@latest").as_str())
    );
    assert_eq!(tag(&restored, "dr-lambdas:request-id"), Some("pitr-1"));
    assert_eq!(restored.db_instance_class(), Some("db.r6g.large"));
}

#[tokio::test]
async fn a_point_in_time_dry_run_creates_nothing() {
    let url = moto_or_skip!();
    let rds = common::rds(&url, HOME);
    let (source, target) = (common::unique("orders"), common::unique("pitr"));
    seed_source(&rds, &source, &common::unique("snap")).await;
    let handler = RestoreHandler::new(rds.clone(), HOME, None);

    let result = handler
        .handle(
            json!({"db_instance": target, "restore_time": "latest", "source_db_instance": source,
                   "dry_run": true}),
            &Invocation::new("r"),
        )
        .await
        .unwrap();

    assert_eq!(result.status, RestoreStatus::DryRun);
    let plan = serde_json::to_value(result.plan.unwrap()).unwrap();
    assert_eq!(
        plan[0]["RestoreDBInstanceToPointInTime"]["SourceDBInstanceIdentifier"],
        source.as_str()
    );
    let lookup = rds
        .describe_db_instances()
        .db_instance_identifier(&target)
        .send()
        .await;
    assert_eq!(
        lookup.unwrap_err().into_service_error().meta().code(),
        Some("DBInstanceNotFound")
    );
}

#[tokio::test]
async fn a_replay_of_a_restore_older_than_the_window_is_refused_with_its_date() {
    let url = moto_or_skip!();
    let rds = common::rds(&url, HOME);
    let (source, snap, target) = (
        common::unique("orders"),
        common::unique("snap"),
        common::unique("orders-stale"),
    );
    seed_source(&rds, &source, &snap).await;
    let handler = RestoreHandler::new(rds.clone(), HOME, None);
    let event =
        json!({"db_instance": target, "snapshot_id": "latest", "source_db_instance": source});
    handler
        .handle(event.clone(), &Invocation::new("last-month"))
        .await
        .unwrap();
    // Last month's restore, under the same name and from the same source: its
    // request time aged through the tag (moto's creation time is now).
    let arn = describe(&rds, &target)
        .await
        .db_instance_arn()
        .expect("an ARN")
        .to_owned();
    rds.add_tags_to_resource()
        .resource_name(arn)
        .tags(
            Tag::builder()
                .key("dr-lambdas:requested-at")
                .value("2026-10-01T03:00:00Z")
                .build(),
        )
        .send()
        .await
        .expect("age the request");

    let err = handler
        .handle(event, &Invocation::new("today"))
        .await
        .unwrap_err();

    assert_eq!(err.name(), "InstanceAlreadyExists");
    let message = err.to_string();
    assert!(
        message.contains("was restored from the same source on 2026-10-01T03:00:00Z"),
        "{message}"
    );
    assert!(message.contains("REPLAY_WINDOW_HOURS (24)"), "{message}");
    assert_eq!(
        tag(&describe(&rds, &target).await, "dr-lambdas:request-id"),
        Some("last-month")
    );
}

#[tokio::test]
async fn a_read_replica_is_promoted_tagged_ours_and_the_replay_reports_it_available() {
    // moto 5.2.5 keeps a promoted replica's source, which real RDS clears;
    // scripts/moto_server.py clears it (its correction 4). Without that, the
    // replay would read "restoring" forever; tests/restore_standby.rs shows
    // both states as real RDS reports them.
    let Some(url) = common::moto_url() else {
        return;
    };
    let rds = common::rds(&url, HOME);
    let primary = common::unique("standby-src");
    let replica = common::unique("standby");
    common::seed_replica(&rds, &primary, &replica).await;
    let handler = RestoreHandler::new(rds.clone(), HOME, None);
    let event = json!({"standby": replica});

    let first = handler
        .handle(event.clone(), &Invocation::new("req-1"))
        .await
        .expect("the promotion starts");
    let replay = handler
        .handle(event, &Invocation::new("req-2"))
        .await
        .expect("the replay answers");

    assert_eq!(first.status, RestoreStatus::Restoring);
    assert!(!first.replayed);
    assert_eq!(first.instance_id, replica);
    assert_eq!(replay.status, RestoreStatus::Available);
    assert!(replay.replayed);
    assert!(replay.endpoint.is_some(), "{replay:?}");
    let promoted = rds
        .describe_db_instances()
        .db_instance_identifier(&replica)
        .send()
        .await
        .expect("describe the promoted replica");
    let db = &promoted.db_instances()[0];
    assert_eq!(db.read_replica_source_db_instance_identifier(), None);
    assert_eq!(
        db.backup_retention_period(),
        Some(9),
        "the source's retention"
    );
    assert!(
        db.tag_list()
            .iter()
            .any(|t| t.key() == Some("dr-lambdas:provenance")
                && t.value() == Some(format!("standby:{replica}").as_str())),
        "{:?}",
        db.tag_list()
    );
}

#[tokio::test]
async fn a_limit_on_data_loss_with_no_lag_metric_is_refused_and_the_replica_stays_one() {
    // moto publishes no ReplicaLag, and moto 5.2.5 does not even serve the
    // CBOR protocol this CloudWatch SDK speaks (GetMetricData answers 404):
    // either way the lag is unknown, which a limit refuses. The request real
    // CloudWatch gets is proven in tests/restore_standby.rs.
    let Some(url) = common::moto_url() else {
        return;
    };
    let rds = common::rds(&url, HOME);
    let primary = common::unique("standby-src");
    let replica = common::unique("standby");
    common::seed_replica(&rds, &primary, &replica).await;
    let handler = RestoreHandler::new(rds.clone(), HOME, None)
        .with_cloudwatch(common::cloudwatch(&url, HOME));

    let err = handler
        .handle(
            json!({"standby": replica, "max_data_loss_seconds": 60}),
            &Invocation::new("req-1"),
        )
        .await
        .unwrap_err();

    assert_eq!(err.name(), "DataLossAboveLimit");
    assert!(
        err.to_string()
            .contains("would lose an unknown amount of data"),
        "{err}"
    );
    let still = rds
        .describe_db_instances()
        .db_instance_identifier(&replica)
        .send()
        .await
        .expect("describe the replica");
    assert_eq!(
        still.db_instances()[0].read_replica_source_db_instance_identifier(),
        Some(primary.as_str())
    );
}
