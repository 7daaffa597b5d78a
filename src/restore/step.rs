//! The calls a restore makes, in the API's own field names: what a dry run
//! shows and what the shell sends, field for field.

use serde::Serialize;

use super::facts::Tag;

/// One call that creates something. A plan is a list of them; empty means done.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Step {
    /// `RestoreDBInstanceFromDBSnapshot`.
    #[serde(rename = "RestoreDBInstanceFromDBSnapshot")]
    InstanceFromSnapshot(InstanceFromSnapshot),
    /// `RestoreDBInstanceToPointInTime`.
    #[serde(rename = "RestoreDBInstanceToPointInTime")]
    InstanceToPointInTime(InstanceToPointInTime),
    /// `RestoreDBClusterFromSnapshot`: the Aurora cluster, without instances.
    #[serde(rename = "RestoreDBClusterFromSnapshot")]
    ClusterFromSnapshot(ClusterFromSnapshot),
    /// `RestoreDBClusterToPointInTime`: the Aurora cluster, without instances.
    #[serde(rename = "RestoreDBClusterToPointInTime")]
    ClusterToPointInTime(ClusterToPointInTime),
    /// `CreateDBInstance` in the restored cluster: its writer.
    #[serde(rename = "CreateDBInstance")]
    Writer(Writer),
    /// `PromoteReadReplica`: the read replica becomes a standalone instance.
    #[serde(rename = "PromoteReadReplica")]
    Promote(Promote),
    /// `SwitchoverGlobalCluster`: the global secondary becomes the primary,
    /// without data loss, once it has caught up.
    #[serde(rename = "SwitchoverGlobalCluster")]
    Switchover(GlobalTarget),
    /// `FailoverGlobalCluster` with `AllowDataLoss`: the global secondary
    /// becomes the primary now, losing what it had not replicated.
    #[serde(rename = "FailoverGlobalCluster")]
    Failover(GlobalFailover),
    /// `AddTagsToResource` on a promoted standby: marks the promotion as
    /// ours, so that a replay recognises it.
    #[serde(rename = "AddTagsToResource")]
    TagStandby(TagStandby),
}

impl Step {
    /// The API operation, as logs and messages name it.
    pub fn operation(&self) -> &'static str {
        match self {
            Step::InstanceFromSnapshot(_) => "RestoreDBInstanceFromDBSnapshot",
            Step::InstanceToPointInTime(_) => "RestoreDBInstanceToPointInTime",
            Step::ClusterFromSnapshot(_) => "RestoreDBClusterFromSnapshot",
            Step::ClusterToPointInTime(_) => "RestoreDBClusterToPointInTime",
            Step::Writer(_) => "CreateDBInstance",
            Step::Promote(_) => "PromoteReadReplica",
            Step::Switchover(_) => "SwitchoverGlobalCluster",
            Step::Failover(_) => "FailoverGlobalCluster",
            Step::TagStandby(_) => "AddTagsToResource",
        }
    }
}

/// A `PromoteReadReplica` request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Promote {
    #[serde(rename = "DBInstanceIdentifier")]
    pub db_instance_identifier: String,
    /// Always sent, and never 0: a promoted primary without backups is a
    /// new risk (RDS's own default is 1 day).
    #[serde(rename = "BackupRetentionPeriod")]
    pub backup_retention_period: i32,
}

/// A `SwitchoverGlobalCluster` request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GlobalTarget {
    #[serde(rename = "GlobalClusterIdentifier")]
    pub global_cluster_identifier: String,
    /// The secondary's ARN: the API asks for it, so that Aurora finds the
    /// cluster in its region.
    #[serde(rename = "TargetDbClusterIdentifier")]
    pub target_db_cluster_identifier: String,
}

/// A `FailoverGlobalCluster` request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GlobalFailover {
    #[serde(flatten)]
    pub target: GlobalTarget,
    /// Always true: without it the API switches over instead.
    #[serde(rename = "AllowDataLoss")]
    pub allow_data_loss: bool,
}

/// An `AddTagsToResource` request on the promoted standby.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TagStandby {
    /// The instance's or cluster's ARN.
    #[serde(rename = "ResourceName")]
    pub resource_name: String,
    #[serde(rename = "Tags")]
    pub tags: Vec<Tag>,
}

/// A `RestoreDBClusterFromSnapshot` request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterFromSnapshot {
    #[serde(rename = "DBClusterIdentifier")]
    pub db_cluster_identifier: String,
    #[serde(rename = "SnapshotIdentifier")]
    pub snapshot_identifier: String,
    /// Required by the API: the snapshot's engine.
    #[serde(rename = "Engine")]
    pub engine: String,
    #[serde(rename = "EngineVersion", skip_serializing_if = "Option::is_none")]
    pub engine_version: Option<String>,
    #[serde(flatten)]
    pub settings: ClusterSettings,
}

/// A `RestoreDBClusterToPointInTime` request (same region: Aurora has no
/// cross-region replication of automated backups).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterToPointInTime {
    #[serde(rename = "DBClusterIdentifier")]
    pub db_cluster_identifier: String,
    #[serde(rename = "SourceDBClusterIdentifier")]
    pub source_db_cluster_identifier: String,
    /// RFC 3339; exclusive with `UseLatestRestorableTime`. (The API names it
    /// `RestoreToTime`, unlike the instance API's `RestoreTime`.)
    #[serde(rename = "RestoreToTime", skip_serializing_if = "Option::is_none")]
    pub restore_to_time: Option<String>,
    #[serde(
        rename = "UseLatestRestorableTime",
        skip_serializing_if = "Option::is_none"
    )]
    pub use_latest_restorable_time: Option<bool>,
    #[serde(flatten)]
    pub settings: ClusterSettings,
}

/// Ranges of Aurora Serverless v2 capacity, in ACUs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ServerlessV2Scaling {
    #[serde(rename = "MinCapacity")]
    pub min_capacity: f64,
    #[serde(rename = "MaxCapacity")]
    pub max_capacity: f64,
}

/// The settings both cluster restores take.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ClusterSettings {
    #[serde(rename = "DBSubnetGroupName", skip_serializing_if = "Option::is_none")]
    pub db_subnet_group_name: Option<String>,
    #[serde(rename = "VpcSecurityGroupIds", skip_serializing_if = "Vec::is_empty")]
    pub vpc_security_group_ids: Vec<String>,
    #[serde(
        rename = "DBClusterParameterGroupName",
        skip_serializing_if = "Option::is_none"
    )]
    pub db_cluster_parameter_group_name: Option<String>,
    #[serde(rename = "Port", skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    #[serde(rename = "DeletionProtection", skip_serializing_if = "Option::is_none")]
    pub deletion_protection: Option<bool>,
    #[serde(
        rename = "EnableIAMDatabaseAuthentication",
        skip_serializing_if = "Option::is_none"
    )]
    pub enable_iam_database_authentication: Option<bool>,
    #[serde(
        rename = "EnableCloudwatchLogsExports",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub enable_cloudwatch_logs_exports: Vec<String>,
    /// Aurora MySQL only.
    #[serde(rename = "BacktrackWindow", skip_serializing_if = "Option::is_none")]
    pub backtrack_window: Option<i64>,
    #[serde(rename = "CopyTagsToSnapshot", skip_serializing_if = "Option::is_none")]
    pub copy_tags_to_snapshot: Option<bool>,
    #[serde(
        rename = "ServerlessV2ScalingConfiguration",
        skip_serializing_if = "Option::is_none"
    )]
    pub serverless_v2_scaling_configuration: Option<ServerlessV2Scaling>,
    #[serde(rename = "Tags")]
    pub tags: Vec<Tag>,
}

/// The writer: a `CreateDBInstance` request into the restored cluster. The
/// cluster owns storage, network, engine version and backups; the instance
/// names only what is its own.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Writer {
    #[serde(rename = "DBInstanceIdentifier")]
    pub db_instance_identifier: String,
    #[serde(rename = "DBClusterIdentifier")]
    pub db_cluster_identifier: String,
    #[serde(rename = "Engine")]
    pub engine: String,
    /// `db.serverless` for an Aurora Serverless v2 cluster.
    #[serde(rename = "DBInstanceClass")]
    pub db_instance_class: String,
    #[serde(
        rename = "DBParameterGroupName",
        skip_serializing_if = "Option::is_none"
    )]
    pub db_parameter_group_name: Option<String>,
    #[serde(rename = "PubliclyAccessible")]
    pub publicly_accessible: bool,
    #[serde(rename = "Tags")]
    pub tags: Vec<Tag>,
}

/// A `RestoreDBInstanceToPointInTime` request: from the source instance in
/// this region, or from its automated backups replicated into it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstanceToPointInTime {
    #[serde(rename = "TargetDBInstanceIdentifier")]
    pub target_db_instance_identifier: String,
    #[serde(
        rename = "SourceDBInstanceIdentifier",
        skip_serializing_if = "Option::is_none"
    )]
    pub source_db_instance_identifier: Option<String>,
    #[serde(
        rename = "SourceDBInstanceAutomatedBackupsArn",
        skip_serializing_if = "Option::is_none"
    )]
    pub source_db_instance_automated_backups_arn: Option<String>,
    /// RFC 3339; exclusive with `UseLatestRestorableTime`.
    #[serde(rename = "RestoreTime", skip_serializing_if = "Option::is_none")]
    pub restore_time: Option<String>,
    #[serde(
        rename = "UseLatestRestorableTime",
        skip_serializing_if = "Option::is_none"
    )]
    pub use_latest_restorable_time: Option<bool>,
    /// Storage autoscaling's ceiling: this API takes it, the snapshot one does not.
    #[serde(
        rename = "MaxAllocatedStorage",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_allocated_storage: Option<i32>,
    #[serde(flatten)]
    pub settings: InstanceSettings,
}

/// A `RestoreDBInstanceFromDBSnapshot` request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstanceFromSnapshot {
    #[serde(rename = "DBInstanceIdentifier")]
    pub db_instance_identifier: String,
    #[serde(rename = "DBSnapshotIdentifier")]
    pub db_snapshot_identifier: String,
    #[serde(flatten)]
    pub settings: InstanceSettings,
}

/// The settings every instance restore takes, whatever its source.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct InstanceSettings {
    #[serde(rename = "DBInstanceClass", skip_serializing_if = "Option::is_none")]
    pub db_instance_class: Option<String>,
    #[serde(rename = "DBSubnetGroupName", skip_serializing_if = "Option::is_none")]
    pub db_subnet_group_name: Option<String>,
    #[serde(rename = "VpcSecurityGroupIds", skip_serializing_if = "Vec::is_empty")]
    pub vpc_security_group_ids: Vec<String>,
    #[serde(
        rename = "DBParameterGroupName",
        skip_serializing_if = "Option::is_none"
    )]
    pub db_parameter_group_name: Option<String>,
    #[serde(rename = "OptionGroupName", skip_serializing_if = "Option::is_none")]
    pub option_group_name: Option<String>,
    #[serde(rename = "MultiAZ", skip_serializing_if = "Option::is_none")]
    pub multi_az: Option<bool>,
    #[serde(rename = "StorageType", skip_serializing_if = "Option::is_none")]
    pub storage_type: Option<String>,
    #[serde(rename = "Iops", skip_serializing_if = "Option::is_none")]
    pub iops: Option<i32>,
    #[serde(rename = "StorageThroughput", skip_serializing_if = "Option::is_none")]
    pub storage_throughput: Option<i32>,
    #[serde(rename = "DeletionProtection", skip_serializing_if = "Option::is_none")]
    pub deletion_protection: Option<bool>,
    #[serde(rename = "PubliclyAccessible", skip_serializing_if = "Option::is_none")]
    pub publicly_accessible: Option<bool>,
    #[serde(rename = "Port", skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    #[serde(
        rename = "EnableIAMDatabaseAuthentication",
        skip_serializing_if = "Option::is_none"
    )]
    pub enable_iam_database_authentication: Option<bool>,
    #[serde(rename = "CopyTagsToSnapshot", skip_serializing_if = "Option::is_none")]
    pub copy_tags_to_snapshot: Option<bool>,
    #[serde(
        rename = "EnableCloudwatchLogsExports",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub enable_cloudwatch_logs_exports: Vec<String>,
    #[serde(
        rename = "CACertificateIdentifier",
        skip_serializing_if = "Option::is_none"
    )]
    pub ca_certificate_identifier: Option<String>,
    #[serde(
        rename = "BackupRetentionPeriod",
        skip_serializing_if = "Option::is_none"
    )]
    pub backup_retention_period: Option<i32>,
    #[serde(
        rename = "PreferredBackupWindow",
        skip_serializing_if = "Option::is_none"
    )]
    pub preferred_backup_window: Option<String>,
    #[serde(rename = "Tags")]
    pub tags: Vec<Tag>,
}
