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

/// What an instance in `status` means for a restore that created it.
pub fn of_instance(status: &str) -> RestoreStatus {
    INSTANCE_STATUSES
        .iter()
        .find(|(s, _)| *s == status)
        .map_or(RestoreStatus::Restoring, |(_, meaning)| *meaning)
}

/// The statuses in which a restored instance is usable.
pub fn usable_instance_statuses() -> impl Iterator<Item = &'static str> {
    INSTANCE_STATUSES
        .iter()
        .filter(|(_, m)| *m == RestoreStatus::Available)
        .map(|(s, _)| *s)
}

/// The statuses a restored instance does not leave by itself.
pub fn failed_instance_statuses() -> impl Iterator<Item = &'static str> {
    INSTANCE_STATUSES
        .iter()
        .filter(|(_, m)| *m == RestoreStatus::Failed)
        .map(|(s, _)| *s)
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
    fn an_unknown_status_reads_as_still_restoring() {
        assert_eq!(of_instance("some-new-status"), RestoreStatus::Restoring);
        assert_eq!(of_instance("creating"), RestoreStatus::Restoring);
        assert_eq!(of_instance("available"), RestoreStatus::Available);
    }
}
