//! What RDS reports, reduced to what planning needs. The shell (`rds.rs`)
//! fills these in; the pure core (`plan.rs`) decides from them.

use aws_sdk_rds::primitives::DateTime;
use serde::Serialize;

/// One resource tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tag {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "Value")]
    pub value: String,
}

impl Tag {
    /// A tag from borrowed parts.
    pub fn new(key: &str, value: &str) -> Self {
        Tag {
            key: key.to_owned(),
            value: value.to_owned(),
        }
    }
}

/// What a restore gets unless it asks otherwise: the engine and storage of
/// the snapshot or backup it restores.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    pub engine: Option<String>,
    pub engine_version: Option<String>,
    pub allocated_storage: Option<i32>,
    pub storage_type: Option<String>,
    pub iops: Option<i32>,
    pub storage_throughput: Option<i32>,
}

/// A DB snapshot, or a DB cluster snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapshotFacts {
    pub id: String,
    /// The instance (or cluster) the snapshot was taken of.
    pub source_db: Option<String>,
    pub status: String,
    /// When its data is from: the original creation time of a cross-region
    /// copy; `None` while RDS has not set it.
    pub created: Option<DateTime>,
    pub baseline: Baseline,
    pub tags: Vec<(String, String)>,
    /// The KMS key of an encrypted snapshot; `None` when it is not encrypted.
    pub kms_key: Option<String>,
}

/// The times a point-in-time restore may choose from; `None` where RDS
/// did not say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    pub earliest: Option<DateTime>,
    pub latest: Option<DateTime>,
}

/// An instance's automated backups (`DescribeDBInstanceAutomatedBackups`):
/// its own, or replicated into this region from another.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackupFacts {
    /// `DBInstanceAutomatedBackupsArn`: what a restore from it names.
    pub arn: String,
    /// The instance whose backups these are.
    pub instance_id: String,
    /// `active`, `replicating`, `retained`, `creating`, ...
    pub status: String,
    pub window: Window,
    pub baseline: Baseline,
}

/// A DB instance: the source whose settings a restore copies, or an
/// existing instance with the target's name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstanceFacts {
    pub id: String,
    pub status: String,
    pub class: Option<String>,
    pub subnet_group: Option<String>,
    pub security_groups: Vec<String>,
    pub parameter_group: Option<String>,
    pub option_group: Option<String>,
    pub multi_az: Option<bool>,
    pub allocated_storage: Option<i32>,
    pub storage_type: Option<String>,
    pub iops: Option<i32>,
    pub storage_throughput: Option<i32>,
    pub deletion_protection: Option<bool>,
    pub publicly_accessible: Option<bool>,
    pub engine: Option<String>,
    pub engine_version: Option<String>,
    pub port: Option<i32>,
    pub iam_database_authentication: Option<bool>,
    pub copy_tags_to_snapshot: Option<bool>,
    pub cloudwatch_logs_exports: Vec<String>,
    pub ca_certificate: Option<String>,
    pub backup_retention_period: Option<i32>,
    pub preferred_backup_window: Option<String>,
    pub max_allocated_storage: Option<i32>,
    /// The newest time a point-in-time restore can reach.
    pub latest_restorable_time: Option<DateTime>,
    /// The Aurora cluster the instance belongs to, if any.
    pub db_cluster: Option<String>,
    /// The endpoint's address, once RDS has one.
    pub endpoint: Option<String>,
    /// When RDS created the instance (`InstanceCreateTime`); `None` while creating.
    pub created: Option<DateTime>,
    /// `DBInstanceArn`.
    pub arn: Option<String>,
    /// The instance this one is a read replica of (an identifier, or an ARN
    /// for a cross-region source); `None` when it is not a replica.
    pub replica_source: Option<String>,
    pub tags: Vec<(String, String)>,
}

impl InstanceFacts {
    /// The value of tag `key`, if the instance has it.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// What a point-in-time restore of this instance gets by default: its own
    /// engine and storage.
    pub fn baseline(&self) -> Baseline {
        Baseline {
            engine: self.engine.clone(),
            engine_version: self.engine_version.clone(),
            allocated_storage: self.allocated_storage,
            storage_type: self.storage_type.clone(),
            iops: self.iops,
            storage_throughput: self.storage_throughput,
        }
    }
}

/// An Aurora DB cluster: the source whose settings a restore copies, or an
/// existing cluster with the target's name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClusterFacts {
    pub id: String,
    pub status: String,
    pub engine: Option<String>,
    pub engine_version: Option<String>,
    pub port: Option<i32>,
    pub subnet_group: Option<String>,
    pub security_groups: Vec<String>,
    pub cluster_parameter_group: Option<String>,
    pub deletion_protection: Option<bool>,
    pub iam_database_authentication: Option<bool>,
    pub cloudwatch_logs_exports: Vec<String>,
    pub backtrack_window: Option<i64>,
    pub copy_tags_to_snapshot: Option<bool>,
    /// Aurora Serverless v2 capacity range (ACUs), when the cluster has one.
    pub serverless_v2: Option<(f64, f64)>,
    /// The writer instance's identifier.
    pub writer: Option<String>,
    pub latest_restorable_time: Option<DateTime>,
    pub earliest_restorable_time: Option<DateTime>,
    /// The writer endpoint's address.
    pub endpoint: Option<String>,
    /// When RDS created the cluster (`ClusterCreateTime`).
    pub created: Option<DateTime>,
    /// `DBClusterArn`.
    pub arn: Option<String>,
    /// The Aurora global database the cluster is a member of, if any.
    pub global_cluster: Option<String>,
    /// Its DB instances: identifier, and whether it is the cluster's writer.
    pub members: Vec<(String, bool)>,
    pub tags: Vec<(String, String)>,
}

impl ClusterFacts {
    /// The value of tag `key`, if the cluster has it.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// An Aurora global database (`DescribeGlobalClusters`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GlobalFacts {
    pub id: String,
    pub status: String,
    /// Each member cluster's ARN, and whether it is the primary (the writer).
    pub members: Vec<(String, bool)>,
    /// A switchover or failover in progress, if any.
    pub failover: Option<GlobalFailoverFacts>,
}

impl GlobalFacts {
    /// The primary (writer) cluster's ARN.
    pub fn primary(&self) -> Option<&str> {
        self.members
            .iter()
            .find(|(_, writer)| *writer)
            .map(|(arn, _)| arn.as_str())
    }
}

/// `FailoverState` of a global database: a switchover or failover under way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GlobalFailoverFacts {
    /// `pending`, `failing-over` or `cancelling`.
    pub status: String,
    /// The ARN of the cluster being promoted.
    pub to: Option<String>,
    /// True for a failover that allows data loss, false for a switchover.
    pub data_loss_allowed: bool,
}

/// How far a standby is behind its primary, from CloudWatch: the data a
/// promotion now would lose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lag {
    /// The metric read, e.g. `ReplicaLag` or `AuroraGlobalDBRPOLag`.
    pub metric: &'static str,
    /// Whole seconds, rounded up; `None` when unknown: no recent datapoint,
    /// or RDS's -1 (which means unknown, not zero).
    pub seconds: Option<i64>,
    /// When the datapoint used was measured.
    pub measured_at: Option<DateTime>,
    /// Why it is unknown, or how old it is, in words.
    pub note: String,
}

/// What a standby is, as RDS reports it.
#[derive(Debug, Clone, PartialEq)]
pub enum StandbyFacts {
    /// A DB instance; a read replica while `replica_source` is set.
    /// `source_retention` is the source's backup retention, when the source
    /// could be read.
    Instance {
        instance: InstanceFacts,
        source_retention: Option<i32>,
    },
    /// An Aurora DB cluster, and the global database it is a member of.
    Cluster {
        cluster: ClusterFacts,
        global: Option<GlobalFacts>,
    },
}
