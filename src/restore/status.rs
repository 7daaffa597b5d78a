//! What an RDS status means for a restore: the one table the handler and the
//! recovery workflow share.

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

/// What an instance in `status` means for a restore that created it.
pub fn of_instance(status: &str) -> RestoreStatus {
    match status {
        "available" => RestoreStatus::Available,
        "failed"
        | "restore-error"
        | "incompatible-restore"
        | "incompatible-parameters"
        | "incompatible-network"
        | "incompatible-option-group"
        | "storage-full"
        | "deleting"
        | "stopped"
        | "stopping" => RestoreStatus::Failed,
        s if s.starts_with("inaccessible-encryption-credentials") => RestoreStatus::Failed,
        _ => RestoreStatus::Restoring,
    }
}
