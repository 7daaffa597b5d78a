//! What RDS reports, reduced to what planning needs. The shell (`rds.rs`)
//! fills these in; the pure core (`plan.rs`) decides from them.

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

/// A DB snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapshotFacts {
    pub id: String,
    /// The instance the snapshot was taken of.
    pub source_instance: Option<String>,
    pub status: String,
    /// Creation time, nanoseconds since the epoch; `None` while RDS has not set it.
    pub created: Option<i128>,
    /// The engine and its version at the time of the snapshot.
    pub engine: Option<String>,
    pub engine_version: Option<String>,
    /// What a restore gets unless it asks otherwise.
    pub allocated_storage: Option<i32>,
    pub storage_type: Option<String>,
    pub iops: Option<i32>,
    pub storage_throughput: Option<i32>,
    pub tags: Vec<(String, String)>,
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
}
