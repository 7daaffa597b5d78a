//! The imperative shell of the restore: the only code that talks to RDS.
//!
//! Only `Describe*` calls and the restore steps (each creating a new
//! resource) are made; no call here can delete anything. The one documented
//! exception to "never modify": a standby's promotion (`PromoteReadReplica`,
//! `SwitchoverGlobalCluster`, `FailoverGlobalCluster`, and the tag that marks
//! it ours), which changes that standby by design.

use aws_sdk_rds::Client;
use aws_sdk_rds::error::ProvideErrorMetadata;
use aws_sdk_rds::operation::create_db_instance::CreateDBInstanceError;
use aws_sdk_rds::operation::describe_db_cluster_snapshots::DescribeDBClusterSnapshotsError;
use aws_sdk_rds::operation::describe_db_clusters::DescribeDBClustersError;
use aws_sdk_rds::operation::describe_db_instances::DescribeDBInstancesError;
use aws_sdk_rds::operation::describe_db_snapshots::DescribeDBSnapshotsError;
use aws_sdk_rds::operation::describe_global_clusters::DescribeGlobalClustersError;
use aws_sdk_rds::operation::failover_global_cluster::FailoverGlobalClusterError;
use aws_sdk_rds::operation::promote_read_replica::PromoteReadReplicaError;
use aws_sdk_rds::operation::restore_db_cluster_from_snapshot::RestoreDBClusterFromSnapshotError;
use aws_sdk_rds::operation::restore_db_cluster_to_point_in_time::RestoreDBClusterToPointInTimeError;
use aws_sdk_rds::operation::restore_db_instance_from_db_snapshot::RestoreDBInstanceFromDBSnapshotError;
use aws_sdk_rds::operation::restore_db_instance_to_point_in_time::RestoreDBInstanceToPointInTimeError;
use aws_sdk_rds::operation::switchover_global_cluster::SwitchoverGlobalClusterError;
use aws_sdk_rds::primitives::{DateTime, DateTimeFormat};
use aws_sdk_rds::types::{
    DbCluster, DbClusterSnapshot, DbInstance, DbInstanceAutomatedBackup, DbSnapshot, Filter,
    ServerlessV2ScalingConfiguration, Tag,
};

use super::facts::{
    BackupFacts, Baseline, ClusterFacts, GlobalFacts, GlobalFailoverFacts, InstanceFacts,
    SnapshotFacts, Window,
};
use super::step::{GlobalTarget, Step};
use crate::error::{Error, from_sdk};

/// What a step's call answered.
#[derive(Debug)]
pub enum Applied {
    /// RDS accepted it; the status it reported for what it creates.
    Started { status: String },
    /// The identifier was taken between our read and our call (a concurrent invocation).
    AlreadyExists,
    /// The cluster cannot take its writer yet (`InvalidDBClusterState`, e.g.
    /// still `creating`): the same request, sent again later, creates it.
    ClusterNotReady { detail: String },
}

/// Reads instance facts; `None` when the instance does not exist.
pub async fn describe_instance(client: &Client, id: &str) -> Result<Option<InstanceFacts>, Error> {
    match client
        .describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await
    {
        Ok(out) => Ok(out.db_instances().first().map(instance_facts)),
        Err(e)
            if matches!(
                e.as_service_error(),
                Some(DescribeDBInstancesError::DbInstanceNotFoundFault(_))
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(from_sdk("DescribeDBInstances", e)),
    }
}

/// Reads one snapshot by identifier or ARN; `None` when it does not exist.
pub async fn describe_snapshot(client: &Client, id: &str) -> Result<Option<SnapshotFacts>, Error> {
    // RDS finds an automated or AWS Backup snapshot by identifier only when
    // asked for that type (the default covers manual and automated listings,
    // not an automated one named alone).
    let name = id.rsplit(":snapshot:").next().unwrap_or(id);
    let snapshot_type = if name.starts_with("rds:") {
        Some("automated")
    } else if name.starts_with("awsbackup:") {
        Some("awsbackup")
    } else {
        None
    };
    match client
        .describe_db_snapshots()
        .db_snapshot_identifier(id)
        .set_snapshot_type(snapshot_type.map(str::to_owned))
        .send()
        .await
    {
        Ok(out) => Ok(out.db_snapshots().first().map(snapshot_facts)),
        Err(e)
            if matches!(
                e.as_service_error(),
                Some(DescribeDBSnapshotsError::DbSnapshotNotFoundFault(_))
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(from_sdk("DescribeDBSnapshots", e)),
    }
}

/// Pages of snapshots read at most for `latest`: 100 snapshots a page.
const MAX_SNAPSHOT_PAGES: usize = 50;

/// At most this many pages of 100 are read of a region's databases.
const MAX_LISTING_PAGES: usize = 20;

/// One database of a region's listing: what the drill's sweep, and
/// readiness's name and leftover checks, judge it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// `instance` or `cluster`.
    pub kind: &'static str,
    pub id: String,
    pub arn: Option<String>,
    /// An instance's Aurora cluster.
    pub cluster: Option<String>,
    /// `InstanceCreateTime` / `ClusterCreateTime` (epoch seconds); none
    /// while it is being created.
    pub created: Option<i64>,
    /// `DeletionProtection`.
    pub protected: bool,
    /// Every address a record could point at it by: an instance's endpoint;
    /// a cluster's writer, reader and custom endpoints.
    pub addresses: Vec<String>,
    /// The value of its drill tag, if it has one.
    pub drill_tag: Option<String>,
}

/// Every instance, then every cluster, of the client's region: two paged
/// reads (100 a page) however many databases a plan has.
pub async fn list_databases(client: &Client) -> Result<Vec<Listed>, Error> {
    let drill_tag = |tags: &[aws_sdk_rds::types::Tag]| {
        tags.iter()
            .find(|t| t.key() == Some(crate::validate::DRILL_TAG))
            .and_then(|t| t.value())
            .map(str::to_owned)
    };
    let mut found = Vec::new();
    let mut marker: Option<String> = None;
    for _ in 0..MAX_LISTING_PAGES {
        let out = client
            .describe_db_instances()
            .set_marker(marker.clone())
            .max_records(100)
            .send()
            .await
            .map_err(|e| from_sdk("DescribeDBInstances", e))?;
        for db in out.db_instances() {
            found.push(Listed {
                kind: "instance",
                id: db.db_instance_identifier().unwrap_or_default().to_owned(),
                arn: db.db_instance_arn().map(str::to_owned),
                cluster: db.db_cluster_identifier().map(str::to_owned),
                created: db.instance_create_time().map(|t| t.secs()),
                protected: db.deletion_protection().unwrap_or(false),
                addresses: db
                    .endpoint()
                    .and_then(|e| e.address())
                    .map(str::to_owned)
                    .into_iter()
                    .collect(),
                drill_tag: drill_tag(db.tag_list()),
            });
        }
        marker = out.marker().map(str::to_owned);
        if marker.is_none() {
            break;
        }
    }
    let mut marker: Option<String> = None;
    for _ in 0..MAX_LISTING_PAGES {
        let out = client
            .describe_db_clusters()
            .set_marker(marker.clone())
            .max_records(100)
            .send()
            .await
            .map_err(|e| from_sdk("DescribeDBClusters", e))?;
        for c in out.db_clusters() {
            let mut addresses: Vec<String> = [c.endpoint(), c.reader_endpoint()]
                .into_iter()
                .flatten()
                .map(str::to_owned)
                .collect();
            addresses.extend(c.custom_endpoints().iter().cloned());
            found.push(Listed {
                kind: "cluster",
                id: c.db_cluster_identifier().unwrap_or_default().to_owned(),
                arn: c.db_cluster_arn().map(str::to_owned),
                cluster: None,
                created: c.cluster_create_time().map(|t| t.secs()),
                protected: c.deletion_protection().unwrap_or(false),
                addresses,
                drill_tag: drill_tag(c.tag_list()),
            });
        }
        marker = out.marker().map(str::to_owned);
        if marker.is_none() {
            break;
        }
    }
    Ok(found)
}

/// Lists every snapshot (manual and automated) of `source`, all pages.
pub async fn list_snapshots(client: &Client, source: &str) -> Result<Vec<SnapshotFacts>, Error> {
    let mut pages = client
        .describe_db_snapshots()
        .db_instance_identifier(source)
        .max_records(100)
        .into_paginator()
        .send();
    let mut snapshots = Vec::new();
    let mut read = 0;
    while let Some(page) = pages.next().await {
        read += 1;
        if read > MAX_SNAPSHOT_PAGES {
            return Err(too_many_snapshots(source));
        }
        let page = page.map_err(|e| from_sdk("DescribeDBSnapshots", e))?;
        snapshots.extend(page.db_snapshots().iter().map(snapshot_facts));
    }
    Ok(snapshots)
}

/// Sets every field of [`InstanceSettings`](super::step::InstanceSettings)
/// on a restore builder: both instance restore APIs take the same names.
macro_rules! with_instance_settings {
    ($builder:expr, $s:expr) => {{
        let s = $s;
        $builder
            .set_db_instance_class(s.db_instance_class.clone())
            .set_db_subnet_group_name(s.db_subnet_group_name.clone())
            .set_vpc_security_group_ids(
                (!s.vpc_security_group_ids.is_empty()).then(|| s.vpc_security_group_ids.clone()),
            )
            .set_db_parameter_group_name(s.db_parameter_group_name.clone())
            .set_option_group_name(s.option_group_name.clone())
            .set_multi_az(s.multi_az)
            .set_storage_type(s.storage_type.clone())
            .set_iops(s.iops)
            .set_storage_throughput(s.storage_throughput)
            .set_deletion_protection(s.deletion_protection)
            .set_publicly_accessible(s.publicly_accessible)
            .set_port(s.port)
            .set_enable_iam_database_authentication(s.enable_iam_database_authentication)
            .set_copy_tags_to_snapshot(s.copy_tags_to_snapshot)
            .set_enable_cloudwatch_logs_exports(
                (!s.enable_cloudwatch_logs_exports.is_empty())
                    .then(|| s.enable_cloudwatch_logs_exports.clone()),
            )
            .set_ca_certificate_identifier(s.ca_certificate_identifier.clone())
            .set_backup_retention_period(s.backup_retention_period)
            .set_preferred_backup_window(s.preferred_backup_window.clone())
            .set_tags(Some(sdk_tags(&s.tags)))
    }};
}

/// Sets every field of [`ClusterSettings`](super::step::ClusterSettings) on a
/// cluster restore builder: both cluster restore APIs take the same names.
macro_rules! with_cluster_settings {
    ($builder:expr, $s:expr) => {{
        let s = $s;
        $builder
            .set_db_subnet_group_name(s.db_subnet_group_name.clone())
            .set_vpc_security_group_ids(
                (!s.vpc_security_group_ids.is_empty()).then(|| s.vpc_security_group_ids.clone()),
            )
            .set_db_cluster_parameter_group_name(s.db_cluster_parameter_group_name.clone())
            .set_port(s.port)
            .set_deletion_protection(s.deletion_protection)
            .set_enable_iam_database_authentication(s.enable_iam_database_authentication)
            .set_enable_cloudwatch_logs_exports(
                (!s.enable_cloudwatch_logs_exports.is_empty())
                    .then(|| s.enable_cloudwatch_logs_exports.clone()),
            )
            .set_backtrack_window(s.backtrack_window)
            .set_copy_tags_to_snapshot(s.copy_tags_to_snapshot)
            .set_serverless_v2_scaling_configuration(s.serverless_v2_scaling_configuration.map(
                |c| {
                    ServerlessV2ScalingConfiguration::builder()
                        .min_capacity(c.min_capacity)
                        .max_capacity(c.max_capacity)
                        .build()
                },
            ))
            .set_tags(Some(sdk_tags(&s.tags)))
    }};
}

/// A planned RFC 3339 time, back to the SDK's type.
fn planned_time(text: Option<&str>) -> Result<Option<DateTime>, Error> {
    text.map(|t| DateTime::from_str(t, DateTimeFormat::DateTimeWithOffset))
        .transpose()
        .map_err(|e| Error::Internal {
            detail: format!("a planned restore time is not a time: {e}"),
        })
}

/// Whether RDS refused a point-in-time restore for its time: outside the
/// window, or the window moved on between our read and the call. RDS says
/// `InvalidRestoreFault`, or an `InvalidParameterValue` /
/// `InvalidParameterCombination` that names the restore time.
pub fn refuses_the_time(code: Option<&str>, message: Option<&str>) -> bool {
    let names_the_time = || {
        message.is_some_and(|m| {
            let m = m.to_ascii_lowercase();
            m.contains("restore time")
                || m.contains("restoretime")
                || m.contains("restore_time")
                || m.contains("restorable")
        })
    };
    match code {
        Some("InvalidRestoreFault" | "InvalidRestore") => true,
        Some("InvalidParameterValue" | "InvalidParameterCombination") => names_the_time(),
        _ => false,
    }
}

fn shown(time: Option<DateTime>) -> String {
    time.and_then(|t| t.fmt(DateTimeFormat::DateTime).ok())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The restorable window of an instance restore's source, read again after
/// RDS refused the time: from its replicated backups, or from the source.
async fn instance_window_now(client: &Client, r: &super::step::InstanceToPointInTime) -> String {
    if let Some(arn) = &r.source_db_instance_automated_backups_arn {
        let read = client
            .describe_db_instance_automated_backups()
            .db_instance_automated_backups_arn(arn)
            .send()
            .await;
        return match read
            .ok()
            .as_ref()
            .and_then(|o| o.db_instance_automated_backups().first())
        {
            Some(b) => format!(
                "now {} to {}",
                shown(b.restore_window().and_then(|w| w.earliest_time()).copied()),
                shown(b.restore_window().and_then(|w| w.latest_time()).copied())
            ),
            None => "the window could not be read again".to_owned(),
        };
    }
    match &r.source_db_instance_identifier {
        Some(id) => match describe_instance(client, id).await {
            Ok(Some(db)) => format!("now up to {}", shown(db.latest_restorable_time)),
            _ => "the window could not be read again".to_owned(),
        },
        None => "the window could not be read again".to_owned(),
    }
}

fn started_cluster(cluster: Option<&DbCluster>) -> Applied {
    Applied::Started {
        status: cluster
            .and_then(DbCluster::status)
            .unwrap_or("creating")
            .to_owned(),
    }
}

/// A switchover's or failover's answer: refused for the state of the global
/// database or the cluster is `StandbyNotReady` (a retry later may
/// succeed), with or without RDS's message. The two operations have their
/// own error enums, of the same shape: hence a macro.
macro_rules! global_answer {
    ($sent:expr, $error:ident, $operation:literal, $target:expr, $region:expr) => {
        match $sent {
            Ok(out) => Ok(started_global(out.global_cluster())),
            Err(e) => match e.as_service_error() {
                Some($error::InvalidGlobalClusterStateFault(fault)) => Err(global_not_ready(
                    $target,
                    $region,
                    $operation,
                    fault.message().unwrap_or("InvalidGlobalClusterState"),
                )),
                Some($error::InvalidDbClusterStateFault(fault)) => Err(global_not_ready(
                    $target,
                    $region,
                    $operation,
                    fault.message().unwrap_or("InvalidDBClusterState"),
                )),
                _ => Err(from_sdk($operation, e)),
            },
        }
    };
}

/// Sends one step: the only calls here that change anything, each creating
/// a NEW resource.
pub async fn apply(client: &Client, step: &Step, region: &str) -> Result<Applied, Error> {
    let started = |instance: Option<&DbInstance>| Applied::Started {
        status: instance
            .and_then(DbInstance::db_instance_status)
            .unwrap_or("creating")
            .to_owned(),
    };
    match step {
        Step::InstanceFromSnapshot(r) => {
            let request = client
                .restore_db_instance_from_db_snapshot()
                .db_instance_identifier(&r.db_instance_identifier)
                .db_snapshot_identifier(&r.db_snapshot_identifier);
            match with_instance_settings!(request, &r.settings).send().await {
                Ok(out) => Ok(started(out.db_instance())),
                Err(e) => match e.as_service_error() {
                    Some(RestoreDBInstanceFromDBSnapshotError::DbInstanceAlreadyExistsFault(_)) => {
                        Ok(Applied::AlreadyExists)
                    }
                    // The snapshot vanished between our read and the restore (deleted, or expired automated).
                    Some(RestoreDBInstanceFromDBSnapshotError::DbSnapshotNotFoundFault(_)) => {
                        Err(Error::SnapshotNotFound {
                            snapshot_id: r.db_snapshot_identifier.clone(),
                            region: region.to_owned(),
                        })
                    }
                    _ => Err(from_sdk("RestoreDBInstanceFromDBSnapshot", e)),
                },
            }
        }
        Step::InstanceToPointInTime(r) => {
            let restore_time = planned_time(r.restore_time.as_deref())?;
            let request = client
                .restore_db_instance_to_point_in_time()
                .target_db_instance_identifier(&r.target_db_instance_identifier)
                .set_source_db_instance_identifier(r.source_db_instance_identifier.clone())
                .set_source_db_instance_automated_backups_arn(
                    r.source_db_instance_automated_backups_arn.clone(),
                )
                .set_restore_time(restore_time)
                .set_use_latest_restorable_time(r.use_latest_restorable_time)
                .set_max_allocated_storage(r.max_allocated_storage);
            match with_instance_settings!(request, &r.settings).send().await {
                Ok(out) => Ok(started(out.db_instance())),
                Err(e) => match e.as_service_error() {
                    Some(RestoreDBInstanceToPointInTimeError::DbInstanceAlreadyExistsFault(_)) => {
                        Ok(Applied::AlreadyExists)
                    }
                    _ if refuses_the_time(e.code(), e.message()) => {
                        let source = r
                            .source_db_instance_identifier
                            .clone()
                            .or_else(|| r.source_db_instance_automated_backups_arn.clone())
                            .unwrap_or_default();
                        Err(Error::RestoreTimeOutOfRange {
                            window: format!(
                                "{}; RDS: {}",
                                instance_window_now(client, r).await,
                                e.message().unwrap_or("refused the time")
                            ),
                            db_instance: source,
                            requested: r.restore_time.clone().unwrap_or_else(|| "latest".into()),
                        })
                    }
                    _ => Err(from_sdk("RestoreDBInstanceToPointInTime", e)),
                },
            }
        }
        Step::ClusterFromSnapshot(r) => {
            let request = client
                .restore_db_cluster_from_snapshot()
                .db_cluster_identifier(&r.db_cluster_identifier)
                .snapshot_identifier(&r.snapshot_identifier)
                .engine(&r.engine)
                .set_engine_version(r.engine_version.clone());
            let sent = with_cluster_settings!(request, &r.settings).send().await;
            match sent {
                Ok(out) => Ok(started_cluster(out.db_cluster())),
                Err(e) => match e.as_service_error() {
                    Some(RestoreDBClusterFromSnapshotError::DbClusterAlreadyExistsFault(_)) => {
                        Ok(Applied::AlreadyExists)
                    }
                    Some(RestoreDBClusterFromSnapshotError::DbClusterSnapshotNotFoundFault(_)) => {
                        Err(Error::SnapshotNotFound {
                            snapshot_id: r.snapshot_identifier.clone(),
                            region: region.to_owned(),
                        })
                    }
                    _ => Err(from_sdk("RestoreDBClusterFromSnapshot", e)),
                },
            }
        }
        Step::ClusterToPointInTime(r) => {
            let restore_to_time = planned_time(r.restore_to_time.as_deref())?;
            let request = client
                .restore_db_cluster_to_point_in_time()
                .db_cluster_identifier(&r.db_cluster_identifier)
                .source_db_cluster_identifier(&r.source_db_cluster_identifier)
                .set_restore_to_time(restore_to_time)
                .set_use_latest_restorable_time(r.use_latest_restorable_time);
            let sent = with_cluster_settings!(request, &r.settings).send().await;
            match sent {
                Ok(out) => Ok(started_cluster(out.db_cluster())),
                Err(e) => match e.as_service_error() {
                    Some(RestoreDBClusterToPointInTimeError::DbClusterAlreadyExistsFault(_)) => {
                        Ok(Applied::AlreadyExists)
                    }
                    _ if refuses_the_time(e.code(), e.message()) => {
                        let window =
                            match describe_cluster(client, &r.source_db_cluster_identifier).await {
                                Ok(Some(c)) => format!(
                                    "now {} to {}",
                                    shown(c.earliest_restorable_time),
                                    shown(c.latest_restorable_time)
                                ),
                                _ => "the window could not be read again".to_owned(),
                            };
                        Err(Error::RestoreTimeOutOfRange {
                            db_instance: r.source_db_cluster_identifier.clone(),
                            requested: r.restore_to_time.clone().unwrap_or_else(|| "latest".into()),
                            window: format!(
                                "{window}; RDS: {}",
                                e.message().unwrap_or("refused the time")
                            ),
                        })
                    }
                    _ => Err(from_sdk("RestoreDBClusterToPointInTime", e)),
                },
            }
        }
        Step::Writer(w) => {
            let sent = client
                .create_db_instance()
                .db_instance_identifier(&w.db_instance_identifier)
                .db_cluster_identifier(&w.db_cluster_identifier)
                .engine(&w.engine)
                .db_instance_class(&w.db_instance_class)
                .set_db_parameter_group_name(w.db_parameter_group_name.clone())
                .publicly_accessible(w.publicly_accessible)
                .set_tags(Some(sdk_tags(&w.tags)))
                .send()
                .await;
            match sent {
                Ok(out) => Ok(started(out.db_instance())),
                Err(e) => match e.as_service_error() {
                    Some(CreateDBInstanceError::DbInstanceAlreadyExistsFault(_)) => {
                        Ok(Applied::AlreadyExists)
                    }
                    Some(CreateDBInstanceError::InvalidDbClusterStateFault(fault)) => {
                        Ok(Applied::ClusterNotReady {
                            detail: fault.message().unwrap_or("not ready").to_owned(),
                        })
                    }
                    _ => Err(from_sdk("CreateDBInstance", e)),
                },
            }
        }
        Step::Promote(p) => {
            let sent = client
                .promote_read_replica()
                .db_instance_identifier(&p.db_instance_identifier)
                .backup_retention_period(p.backup_retention_period)
                .send()
                .await;
            match sent {
                Ok(out) => Ok(started(out.db_instance())),
                Err(e) => match e.as_service_error() {
                    // e.g. `backing-up`: RDS promotes an available replica only.
                    Some(PromoteReadReplicaError::InvalidDbInstanceStateFault(fault)) => {
                        Err(Error::StandbyNotReady {
                            standby: p.db_instance_identifier.clone(),
                            region: region.to_owned(),
                            detail: format!(
                                "RDS refused PromoteReadReplica: {}",
                                fault.message().unwrap_or("InvalidDBInstanceState")
                            ),
                        })
                    }
                    _ => Err(from_sdk("PromoteReadReplica", e)),
                },
            }
        }
        Step::Switchover(t) => {
            let sent = client
                .switchover_global_cluster()
                .global_cluster_identifier(&t.global_cluster_identifier)
                .target_db_cluster_identifier(&t.target_db_cluster_identifier)
                .send()
                .await;
            global_answer!(
                sent,
                SwitchoverGlobalClusterError,
                "SwitchoverGlobalCluster",
                t,
                region
            )
        }
        Step::Failover(f) => {
            let t = &f.target;
            let sent = client
                .failover_global_cluster()
                .global_cluster_identifier(&t.global_cluster_identifier)
                .target_db_cluster_identifier(&t.target_db_cluster_identifier)
                .allow_data_loss(f.allow_data_loss)
                .send()
                .await;
            global_answer!(
                sent,
                FailoverGlobalClusterError,
                "FailoverGlobalCluster",
                t,
                region
            )
        }
        Step::TagStandby(t) => {
            client
                .add_tags_to_resource()
                .resource_name(&t.resource_name)
                .set_tags(Some(sdk_tags(&t.tags)))
                .send()
                .await
                .map_err(|e| from_sdk("AddTagsToResource", e))?;
            Ok(Applied::Started {
                status: "tagged".to_owned(),
            })
        }
    }
}

fn started_global(global: Option<&aws_sdk_rds::types::GlobalCluster>) -> Applied {
    Applied::Started {
        status: global
            .and_then(|g| g.status())
            .unwrap_or("switching-over")
            .to_owned(),
    }
}

/// A switchover or failover RDS refused for the state of the global
/// database or the cluster: a retry later may succeed.
fn global_not_ready(t: &GlobalTarget, region: &str, operation: &str, message: &str) -> Error {
    Error::StandbyNotReady {
        standby: t
            .target_db_cluster_identifier
            .rsplit(':')
            .next()
            .unwrap_or(&t.target_db_cluster_identifier)
            .to_owned(),
        region: region.to_owned(),
        detail: format!(
            "RDS refused {operation} on global database '{}': {message}",
            t.global_cluster_identifier
        ),
    }
}

/// Reads an Aurora global database; `None` when it does not exist.
pub async fn describe_global_cluster(
    client: &Client,
    id: &str,
) -> Result<Option<GlobalFacts>, Error> {
    match client
        .describe_global_clusters()
        .global_cluster_identifier(id)
        .send()
        .await
    {
        Ok(out) => Ok(out.global_clusters().first().map(|g| GlobalFacts {
            id: g.global_cluster_identifier().unwrap_or(id).to_owned(),
            status: g.status().unwrap_or("unknown").to_owned(),
            members: g
                .global_cluster_members()
                .iter()
                .filter_map(|m| Some((m.db_cluster_arn()?.to_owned(), m.is_writer() == Some(true))))
                .collect(),
            // The API documents FailoverState as empty unless a switchover
            // or failover was asked for: one without a status is none.
            failover: g
                .failover_state()
                .filter(|f| f.status().is_some())
                .map(|f| GlobalFailoverFacts {
                    status: f
                        .status()
                        .map_or_else(|| "unknown".to_owned(), |s| s.as_str().to_owned()),
                    to: f.to_db_cluster_arn().map(str::to_owned),
                    data_loss_allowed: f.is_data_loss_allowed() == Some(true),
                }),
        })),
        Err(e)
            if matches!(
                e.as_service_error(),
                Some(DescribeGlobalClustersError::GlobalClusterNotFoundFault(_))
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(from_sdk("DescribeGlobalClusters", e)),
    }
}

/// The global database cluster `arn` is a member of, found among the
/// account's global databases (first page: up to 100), for a cluster whose
/// description does not name it.
pub async fn global_cluster_of(client: &Client, arn: &str) -> Result<Option<String>, Error> {
    let out = client
        .describe_global_clusters()
        .max_records(100)
        .send()
        .await
        .map_err(|e| from_sdk("DescribeGlobalClusters", e))?;
    Ok(out
        .global_clusters()
        .iter()
        .find(|g| {
            g.global_cluster_members()
                .iter()
                .any(|m| m.db_cluster_arn() == Some(arn))
        })
        .and_then(|g| g.global_cluster_identifier())
        .map(str::to_owned))
}

/// Reads a cluster's facts; `None` when it does not exist.
pub async fn describe_cluster(client: &Client, id: &str) -> Result<Option<ClusterFacts>, Error> {
    match client
        .describe_db_clusters()
        .db_cluster_identifier(id)
        .send()
        .await
    {
        Ok(out) => Ok(out.db_clusters().first().map(cluster_facts)),
        Err(e)
            if matches!(
                e.as_service_error(),
                Some(DescribeDBClustersError::DbClusterNotFoundFault(_))
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(from_sdk("DescribeDBClusters", e)),
    }
}

/// Reads one cluster snapshot by identifier or ARN; `None` when it does not exist.
pub async fn describe_cluster_snapshot(
    client: &Client,
    id: &str,
) -> Result<Option<SnapshotFacts>, Error> {
    let name = id.rsplit(":cluster-snapshot:").next().unwrap_or(id);
    match client
        .describe_db_cluster_snapshots()
        .db_cluster_snapshot_identifier(id)
        .set_snapshot_type(name.starts_with("rds:").then(|| "automated".to_owned()))
        .send()
        .await
    {
        Ok(out) => Ok(out
            .db_cluster_snapshots()
            .first()
            .map(cluster_snapshot_facts)),
        Err(e)
            if matches!(
                e.as_service_error(),
                Some(DescribeDBClusterSnapshotsError::DbClusterSnapshotNotFoundFault(_))
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(from_sdk("DescribeDBClusterSnapshots", e)),
    }
}

/// Lists every cluster snapshot (manual and automated) of `cluster`, at most
/// [`MAX_SNAPSHOT_PAGES`] pages.
pub async fn list_cluster_snapshots(
    client: &Client,
    cluster: &str,
) -> Result<Vec<SnapshotFacts>, Error> {
    let mut pages = client
        .describe_db_cluster_snapshots()
        .db_cluster_identifier(cluster)
        .max_records(100)
        .into_paginator()
        .send();
    let mut snapshots = Vec::new();
    let mut read = 0;
    while let Some(page) = pages.next().await {
        read += 1;
        if read > MAX_SNAPSHOT_PAGES {
            return Err(too_many_snapshots(cluster));
        }
        let page = page.map_err(|e| from_sdk("DescribeDBClusterSnapshots", e))?;
        snapshots.extend(
            page.db_cluster_snapshots()
                .iter()
                .map(cluster_snapshot_facts),
        );
    }
    Ok(snapshots)
}

fn too_many_snapshots(source: &str) -> Error {
    // The newest can be on any page: without them all, "latest" is a guess.
    Error::invalid(
        "snapshot_id",
        format!(
            "\"latest\" cannot be resolved: '{source}' has more than {} snapshots here; name the \
             snapshot to restore",
            MAX_SNAPSHOT_PAGES * 100
        ),
    )
}

fn cluster_facts(c: &DbCluster) -> ClusterFacts {
    ClusterFacts {
        id: c.db_cluster_identifier().unwrap_or_default().to_owned(),
        status: c.status().unwrap_or("unknown").to_owned(),
        engine: c.engine().map(str::to_owned),
        engine_version: c.engine_version().map(str::to_owned),
        port: c.port(),
        subnet_group: c.db_subnet_group().map(str::to_owned),
        security_groups: c
            .vpc_security_groups()
            .iter()
            .filter_map(|g| g.vpc_security_group_id())
            .map(str::to_owned)
            .collect(),
        cluster_parameter_group: c.db_cluster_parameter_group().map(str::to_owned),
        deletion_protection: c.deletion_protection(),
        iam_database_authentication: c.iam_database_authentication_enabled(),
        cloudwatch_logs_exports: c.enabled_cloudwatch_logs_exports().to_vec(),
        backtrack_window: c.backtrack_window(),
        copy_tags_to_snapshot: c.copy_tags_to_snapshot(),
        serverless_v2: c
            .serverless_v2_scaling_configuration()
            .and_then(|s| Some((s.min_capacity()?, s.max_capacity()?))),
        writer: c
            .db_cluster_members()
            .iter()
            .find(|m| m.is_cluster_writer() == Some(true))
            .and_then(|m| m.db_instance_identifier())
            .map(str::to_owned),
        latest_restorable_time: c.latest_restorable_time().copied(),
        earliest_restorable_time: c.earliest_restorable_time().copied(),
        endpoint: c.endpoint().map(str::to_owned),
        created: c.cluster_create_time().copied(),
        arn: c.db_cluster_arn().map(str::to_owned),
        // An identifier; moto gives the ARN, whose last part is the identifier.
        global_cluster: c
            .global_cluster_identifier()
            .and_then(|g| g.rsplit(':').next())
            .filter(|g| !g.is_empty())
            .map(str::to_owned),
        members: c
            .db_cluster_members()
            .iter()
            .filter_map(|m| {
                Some((
                    m.db_instance_identifier()?.to_owned(),
                    m.is_cluster_writer() == Some(true),
                ))
            })
            .collect(),
        tags: tag_pairs(c.tag_list()),
    }
}

fn cluster_snapshot_facts(s: &DbClusterSnapshot) -> SnapshotFacts {
    SnapshotFacts {
        id: s
            .db_cluster_snapshot_identifier()
            .unwrap_or_default()
            .to_owned(),
        source_db: s.db_cluster_identifier().map(str::to_owned),
        status: s.status().unwrap_or("unknown").to_owned(),
        created: s.snapshot_create_time().copied(),
        baseline: Baseline {
            engine: s.engine().map(str::to_owned),
            engine_version: s.engine_version().map(str::to_owned),
            allocated_storage: s.allocated_storage(),
            storage_type: s.storage_type().map(str::to_owned),
            iops: None,
            storage_throughput: s.storage_throughput(),
        },
        tags: tag_pairs(s.tag_list()),
        kms_key: s
            .storage_encrypted()
            .unwrap_or(false)
            .then(|| s.kms_key_id().map(str::to_owned))
            .flatten(),
    }
}

/// Pages of automated backups read at most for one source.
const MAX_BACKUP_PAGES: usize = 20;

/// The automated backups of `instance` in this region: its own, asked for by
/// its identifier (it is here), or those replicated into this region, asked
/// for by `source_arn`, the source's ARN in its own region.
///
/// A replicated backup cannot be asked for by `DBInstanceIdentifier` (that
/// must name an instance of this region) nor by `DbiResourceId` (reading it
/// needs the source's region, which may be down): the `db-instance-id`
/// filter takes the source's ARN. A replicated backup carries that ARN as
/// its `DBInstanceArn` (and the source's region in `Region`), so it is
/// matched on it, never on the identifier alone: two source regions can
/// replicate instances of the same name here. Should the filtered call find
/// nothing, the unfiltered listing is read and matched the same way.
pub async fn automated_backups(
    client: &Client,
    instance: &str,
    source_arn: Option<&str>,
) -> Result<Vec<BackupFacts>, Error> {
    let Some(arn) = source_arn else {
        let request = client
            .describe_db_instance_automated_backups()
            .db_instance_identifier(instance);
        return read_backups(request, instance, &|b| {
            b.db_instance_identifier() == Some(instance)
        })
        .await;
    };
    // Outside Lambda the account is unknown, and the identifier stands in
    // for the ARN (`source_arn` in mod.rs): then only the identifier can
    // match.
    let is_the_sources = |b: &DbInstanceAutomatedBackup| {
        if arn.starts_with("arn:") {
            b.db_instance_arn() == Some(arn)
        } else {
            b.db_instance_identifier() == Some(arn)
        }
    };
    let filtered = client
        .describe_db_instance_automated_backups()
        .filters(Filter::builder().name("db-instance-id").values(arn).build());
    let found = read_backups(filtered, instance, &is_the_sources).await?;
    if !found.is_empty() {
        return Ok(found);
    }
    read_backups(
        client.describe_db_instance_automated_backups(),
        instance,
        &is_the_sources,
    )
    .await
}

/// The backups `request` lists that are the source's (`is_the_sources`), at
/// most `MAX_BACKUP_PAGES` pages of 100.
async fn read_backups(
    request: aws_sdk_rds::operation::describe_db_instance_automated_backups::builders::DescribeDBInstanceAutomatedBackupsFluentBuilder,
    instance: &str,
    is_the_sources: &(dyn Fn(&DbInstanceAutomatedBackup) -> bool + Sync),
) -> Result<Vec<BackupFacts>, Error> {
    let mut pages = request.max_records(100).into_paginator().send();
    let mut backups = Vec::new();
    let mut read = 0;
    while let Some(page) = pages.next().await {
        read += 1;
        if read > MAX_BACKUP_PAGES {
            // The newest may be on a page not read: refuse rather than guess.
            return Err(Error::invalid(
                "source_db_instance",
                format!(
                    "'{instance}' has more than {} automated backups here; restore a snapshot \
                     instead",
                    MAX_BACKUP_PAGES * 100
                ),
            ));
        }
        let page = page.map_err(|e| from_sdk("DescribeDBInstanceAutomatedBackups", e))?;
        // Matched here too: moto ignores the filter.
        backups.extend(
            page.db_instance_automated_backups()
                .iter()
                .filter(|b| is_the_sources(b))
                .map(backup_facts),
        );
    }
    Ok(backups)
}

fn backup_facts(b: &DbInstanceAutomatedBackup) -> BackupFacts {
    BackupFacts {
        arn: b
            .db_instance_automated_backups_arn()
            .unwrap_or_default()
            .to_owned(),
        instance_id: b.db_instance_identifier().unwrap_or_default().to_owned(),
        status: b.status().unwrap_or("unknown").to_owned(),
        window: Window {
            earliest: b.restore_window().and_then(|w| w.earliest_time()).copied(),
            latest: b.restore_window().and_then(|w| w.latest_time()).copied(),
        },
        baseline: Baseline {
            engine: b.engine().map(str::to_owned),
            engine_version: b.engine_version().map(str::to_owned),
            allocated_storage: b.allocated_storage(),
            storage_type: b.storage_type().map(str::to_owned),
            iops: b.iops(),
            storage_throughput: b.storage_throughput(),
        },
    }
}

fn sdk_tags(tags: &[super::facts::Tag]) -> Vec<Tag> {
    tags.iter()
        .map(|t| Tag::builder().key(&t.key).value(&t.value).build())
        .collect()
}

fn instance_facts(db: &DbInstance) -> InstanceFacts {
    InstanceFacts {
        id: db.db_instance_identifier().unwrap_or_default().to_owned(),
        status: db.db_instance_status().unwrap_or("unknown").to_owned(),
        class: db.db_instance_class().map(str::to_owned),
        subnet_group: db
            .db_subnet_group()
            .and_then(|g| g.db_subnet_group_name())
            .map(str::to_owned),
        security_groups: db
            .vpc_security_groups()
            .iter()
            .filter_map(|g| g.vpc_security_group_id())
            .map(str::to_owned)
            .collect(),
        parameter_group: db
            .db_parameter_groups()
            .first()
            .and_then(|g| g.db_parameter_group_name())
            .map(str::to_owned),
        option_group: db
            .option_group_memberships()
            .first()
            .and_then(|g| g.option_group_name())
            .map(str::to_owned),
        multi_az: db.multi_az(),
        allocated_storage: db.allocated_storage(),
        storage_type: db.storage_type().map(str::to_owned),
        iops: db.iops(),
        storage_throughput: db.storage_throughput(),
        deletion_protection: db.deletion_protection(),
        publicly_accessible: db.publicly_accessible(),
        engine: db.engine().map(str::to_owned),
        engine_version: db.engine_version().map(str::to_owned),
        port: db
            .endpoint()
            .and_then(|e| e.port())
            .or(db.db_instance_port().filter(|p| *p > 0)),
        iam_database_authentication: db.iam_database_authentication_enabled(),
        copy_tags_to_snapshot: db.copy_tags_to_snapshot(),
        cloudwatch_logs_exports: db.enabled_cloudwatch_logs_exports().to_vec(),
        ca_certificate: db.ca_certificate_identifier().map(str::to_owned),
        backup_retention_period: db.backup_retention_period(),
        preferred_backup_window: db.preferred_backup_window().map(str::to_owned),
        max_allocated_storage: db.max_allocated_storage(),
        latest_restorable_time: db.latest_restorable_time().copied(),
        db_cluster: db.db_cluster_identifier().map(str::to_owned),
        endpoint: db.endpoint().and_then(|e| e.address()).map(str::to_owned),
        created: db.instance_create_time().copied(),
        arn: db.db_instance_arn().map(str::to_owned),
        replica_source: db
            .read_replica_source_db_instance_identifier()
            .map(str::to_owned),
        tags: tag_pairs(db.tag_list()),
    }
}

fn tag_pairs(tags: &[Tag]) -> Vec<(String, String)> {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_owned(),
                t.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect()
}

fn snapshot_facts(s: &DbSnapshot) -> SnapshotFacts {
    SnapshotFacts {
        id: s.db_snapshot_identifier().unwrap_or_default().to_owned(),
        source_db: s.db_instance_identifier().map(str::to_owned),
        status: s.status().unwrap_or("unknown").to_owned(),
        // A cross-region copy's SnapshotCreateTime is when it was copied; the
        // original time says how recent its data is.
        created: s
            .original_snapshot_create_time()
            .or(s.snapshot_create_time())
            .copied(),
        baseline: Baseline {
            engine: s.engine().map(str::to_owned),
            engine_version: s.engine_version().map(str::to_owned),
            allocated_storage: s.allocated_storage(),
            storage_type: s.storage_type().map(str::to_owned),
            iops: s.iops(),
            storage_throughput: s.storage_throughput(),
        },
        tags: tag_pairs(s.tag_list()),
        kms_key: s
            .encrypted()
            .unwrap_or(false)
            .then(|| s.kms_key_id().map(str::to_owned))
            .flatten(),
    }
}
