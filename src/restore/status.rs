//! What an RDS status means for a restore: the one table the handler and the
//! recovery workflow share (`tests/statemachine.rs` keeps the workflow's
//! failure list equal to it).

use serde::Serialize;

/// The restore's state, as the result reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RestoreStatus {
    /// Started, or an earlier attempt's restore is still being created.
    Restoring,
    /// An earlier attempt's restore has finished.
    Available,
    /// An earlier attempt's restore ended in a state it does not leave by itself.
    Failed,
    /// Nothing was sent.
    DryRun,
}

impl RestoreStatus {
    /// Every status, as the workflow must branch on them.
    pub const ALL: [RestoreStatus; 4] = [
        RestoreStatus::Restoring,
        RestoreStatus::Available,
        RestoreStatus::Failed,
        RestoreStatus::DryRun,
    ];

    /// The name the result carries (`restoring`, `available`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            RestoreStatus::Restoring => "restoring",
            RestoreStatus::Available => "available",
            RestoreStatus::Failed => "failed",
            RestoreStatus::DryRun => "dry_run",
        }
    }
}

/// Every DB instance status RDS documents ("Viewing Amazon RDS DB instance
/// status"), with what it means for an instance a restore just created. An
/// unknown status reads as still restoring: the workflow's poll cap ends it.
pub const INSTANCE_STATUSES: &[(&str, RestoreStatus)] = &[
    ("available", RestoreStatus::Available),
    ("backing-up", RestoreStatus::Restoring),
    ("configuring-enhanced-monitoring", RestoreStatus::Restoring),
    ("configuring-iam-database-auth", RestoreStatus::Restoring),
    ("configuring-log-exports", RestoreStatus::Restoring),
    ("converting-to-vpc", RestoreStatus::Restoring),
    ("creating", RestoreStatus::Restoring),
    ("delete-precheck", RestoreStatus::Failed),
    ("deleting", RestoreStatus::Failed),
    ("failed", RestoreStatus::Failed),
    ("inaccessible-encryption-credentials", RestoreStatus::Failed),
    (
        "inaccessible-encryption-credentials-recoverable",
        RestoreStatus::Failed,
    ),
    ("incompatible-create", RestoreStatus::Failed),
    ("incompatible-network", RestoreStatus::Failed),
    ("incompatible-option-group", RestoreStatus::Failed),
    ("incompatible-parameters", RestoreStatus::Failed),
    ("incompatible-restore", RestoreStatus::Failed),
    ("insufficient-capacity", RestoreStatus::Failed),
    ("maintenance", RestoreStatus::Restoring),
    ("modifying", RestoreStatus::Restoring),
    ("moving-to-vpc", RestoreStatus::Restoring),
    ("rebooting", RestoreStatus::Restoring),
    ("renaming", RestoreStatus::Restoring),
    ("resetting-master-credentials", RestoreStatus::Restoring),
    ("restore-error", RestoreStatus::Failed),
    ("starting", RestoreStatus::Restoring),
    ("stopped", RestoreStatus::Failed),
    ("stopping", RestoreStatus::Failed),
    ("storage-config-upgrade", RestoreStatus::Restoring),
    ("storage-full", RestoreStatus::Failed),
    ("storage-initialization", RestoreStatus::Restoring),
    // Storage is being optimized after a change; the instance is usable.
    ("storage-optimization", RestoreStatus::Available),
    ("upgrade_failed", RestoreStatus::Failed),
    ("upgrading", RestoreStatus::Restoring),
];

/// Every Aurora DB cluster status RDS documents, with what it means for a
/// cluster a restore just created.
pub const CLUSTER_STATUSES: &[(&str, RestoreStatus)] = &[
    ("available", RestoreStatus::Available),
    ("backing-up", RestoreStatus::Available),
    ("backtracking", RestoreStatus::Restoring),
    ("cloning-failed", RestoreStatus::Failed),
    ("creating", RestoreStatus::Restoring),
    ("deleting", RestoreStatus::Failed),
    ("failing-over", RestoreStatus::Restoring),
    ("inaccessible-encryption-credentials", RestoreStatus::Failed),
    (
        "inaccessible-encryption-credentials-recoverable",
        RestoreStatus::Failed,
    ),
    ("maintenance", RestoreStatus::Restoring),
    ("migrating", RestoreStatus::Restoring),
    ("migration-failed", RestoreStatus::Failed),
    ("modifying", RestoreStatus::Restoring),
    ("preparing-data-migration", RestoreStatus::Restoring),
    ("promoting", RestoreStatus::Restoring),
    ("renaming", RestoreStatus::Restoring),
    ("resetting-master-credentials", RestoreStatus::Restoring),
    ("starting", RestoreStatus::Restoring),
    ("stopped", RestoreStatus::Failed),
    ("stopping", RestoreStatus::Failed),
    ("storage-optimization", RestoreStatus::Available),
    ("update-iam-db-auth", RestoreStatus::Restoring),
    ("upgrade_failed", RestoreStatus::Failed),
    ("upgrading", RestoreStatus::Restoring),
];

fn lookup(table: &[(&str, RestoreStatus)], status: &str) -> RestoreStatus {
    table
        .iter()
        .find(|(s, _)| *s == status)
        .map_or(RestoreStatus::Restoring, |(_, meaning)| *meaning)
}

fn with(
    table: &'static [(&'static str, RestoreStatus)],
    meaning: RestoreStatus,
) -> impl Iterator<Item = &'static str> {
    table
        .iter()
        .filter(move |(_, m)| *m == meaning)
        .map(|(s, _)| *s)
}

/// What a restored Aurora cluster and its writer mean together: failed if
/// either is, available when both are.
pub fn of_cluster(cluster: &str, writer: &str) -> RestoreStatus {
    match (lookup(CLUSTER_STATUSES, cluster), of_instance(writer)) {
        (RestoreStatus::Failed, _) | (_, RestoreStatus::Failed) => RestoreStatus::Failed,
        (RestoreStatus::Available, RestoreStatus::Available) => RestoreStatus::Available,
        _ => RestoreStatus::Restoring,
    }
}

/// The cluster statuses in which a restored cluster is usable.
pub fn usable_cluster_statuses() -> impl Iterator<Item = &'static str> {
    with(CLUSTER_STATUSES, RestoreStatus::Available)
}

/// The cluster statuses a restored cluster does not leave by itself.
pub fn failed_cluster_statuses() -> impl Iterator<Item = &'static str> {
    with(CLUSTER_STATUSES, RestoreStatus::Failed)
}

/// What an instance in `status` means for a restore that created it.
pub fn of_instance(status: &str) -> RestoreStatus {
    lookup(INSTANCE_STATUSES, status)
}

/// The statuses in which a restored instance is usable.
pub fn usable_instance_statuses() -> impl Iterator<Item = &'static str> {
    with(INSTANCE_STATUSES, RestoreStatus::Available)
}

/// The statuses a restored instance does not leave by itself.
pub fn failed_instance_statuses() -> impl Iterator<Item = &'static str> {
    with(INSTANCE_STATUSES, RestoreStatus::Failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restore_rds_gave_up_on_reads_as_failed() {
        for status in [
            "insufficient-capacity",
            "incompatible-create",
            "restore-error",
            "inaccessible-encryption-credentials-recoverable",
        ] {
            assert_eq!(of_instance(status), RestoreStatus::Failed, "{status}");
        }
    }

    #[test]
    fn a_cluster_restore_is_available_when_cluster_and_writer_both_are() {
        assert_eq!(
            of_cluster("available", "available"),
            RestoreStatus::Available
        );
        assert_eq!(
            of_cluster("available", "creating"),
            RestoreStatus::Restoring
        );
        assert_eq!(
            of_cluster("creating", "available"),
            RestoreStatus::Restoring
        );
        assert_eq!(
            of_cluster("migration-failed", "creating"),
            RestoreStatus::Failed
        );
        assert_eq!(
            of_cluster("available", "insufficient-capacity"),
            RestoreStatus::Failed
        );
    }

    #[test]
    fn every_status_is_listed_once_under_the_name_it_serializes_to() {
        for status in RestoreStatus::ALL {
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::json!(status.as_str())
            );
        }
        // A new variant fails to compile here until ALL lists it.
        let listed = |s: RestoreStatus| match s {
            RestoreStatus::Restoring
            | RestoreStatus::Available
            | RestoreStatus::Failed
            | RestoreStatus::DryRun => RestoreStatus::ALL.contains(&s),
        };
        assert!(RestoreStatus::ALL.into_iter().all(listed));
    }

    #[test]
    fn an_unknown_status_reads_as_still_restoring() {
        assert_eq!(of_instance("some-new-status"), RestoreStatus::Restoring);
        assert_eq!(of_instance("creating"), RestoreStatus::Restoring);
        assert_eq!(of_instance("available"), RestoreStatus::Available);
    }
}
