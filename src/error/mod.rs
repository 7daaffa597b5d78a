//! The one error contract of both handlers.
//!
//! Every refusal is a variant of [`Error`]. The table in [`contract!`] gives
//! each variant its stable `errorType` name, whether a retry may succeed, and
//! whose move it is. Step Functions `Retry`/`Catch` blocks match on those
//! names, so renaming one is a breaking change.

mod aws;
mod detail;

use lambda_runtime::Diagnostic;
use serde::Serialize;

pub use self::aws::{AwsFailure, deadline_exceeded, from_sdk};
pub use self::detail::{HealthProblem, RecordProblem};

/// Everything a handler can refuse or fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The event is malformed; nothing was changed (the event's own checks
    /// run before any AWS call).
    #[error("{field}: {reason}. Correct the event and invoke again; nothing was changed.")]
    InvalidRequest { field: String, reason: String },

    /// The request names something outside an allowlist of the configuration.
    #[error(
        "{subject} is not in {variable} ({allowed}); nothing was changed. \
         Use an allowed one, or change {variable} through a deploy."
    )]
    NotAllowed {
        /// What was refused, e.g. `db_instance 'billing-db'`.
        subject: String,
        /// The configuration variable holding the allowlist.
        variable: &'static str,
        /// The allowlist's patterns.
        allowed: String,
    },

    /// The named snapshot does not exist in the target region.
    #[error(
        "snapshot '{snapshot_id}' was not found in {region}; nothing was changed. Check the name with \
         `aws rds describe-db-snapshots --region {region}`, or pass \"snapshot_id\": \"latest\" with source_db_instance."
    )]
    SnapshotNotFound { snapshot_id: String, region: String },

    /// The source has nothing in the region to restore from: no instance, no
    /// snapshot, no replicated backups. `remedy` says what to check or set up.
    #[error("{field} '{db_instance}' has {missing} in {region}; nothing was changed. {remedy}")]
    SourceInstanceNotFound {
        /// `source_db_instance` or `source_db_cluster`.
        field: &'static str,
        db_instance: String,
        region: String,
        /// What is not there, e.g. "neither an instance nor a snapshot".
        missing: String,
        remedy: String,
    },

    /// The requested point in time is outside what the backups can restore.
    #[error(
        "restore_time {requested} is outside the restorable window of '{db_instance}' ({window}); \
         nothing was changed. Choose a time within it, or \"latest\"."
    )]
    RestoreTimeOutOfRange {
        db_instance: String,
        /// The time asked for (RFC 3339), or `latest`.
        requested: String,
        /// The window in words: "2026-11-14T03:00:00Z to 2026-11-21T23:55:00Z",
        /// or why there is none.
        window: String,
    },

    /// No snapshot that can be restored now.
    #[error(
        "no available snapshot of '{db_instance}' in {region} ({detail}); nothing was changed. \
         Wait for a snapshot in progress to become available, or name an older snapshot explicitly."
    )]
    NoSnapshotAvailable {
        db_instance: String,
        region: String,
        detail: String,
    },

    /// The target identifier (an instance, or an Aurora cluster or its
    /// writer) is taken by something this request did not create.
    #[error(
        "{kind} '{db_instance}' already exists in {region} and {reason}; it was left untouched. \
         Choose another {field}, or retire that {kind} yourself first."
    )]
    InstanceAlreadyExists {
        /// `instance` or `cluster`.
        kind: &'static str,
        db_instance: String,
        region: String,
        reason: String,
        /// The event field that names it.
        field: &'static str,
    },

    /// A restore an earlier attempt started has failed in RDS: what it
    /// created is in a status RDS does not leave by itself.
    #[error(
        "{kind} '{id}' in {region}, restored by an earlier attempt, is {status}, a status RDS does not \
         leave by itself; nothing more was sent. Read its events (`aws rds describe-events --region \
         {region} --source-type db-{kind} --source-identifier {id} --duration 1440`) and fix the \
         cause (for inaccessible-encryption-credentials: the KMS key or its grant), then restore \
         under another name, or delete '{id}' and invoke again."
    )]
    DatabaseRestoreFailed {
        /// `cluster` or `instance`.
        kind: &'static str,
        id: String,
        region: String,
        status: String,
    },

    /// The standby named is neither a read replica nor the secondary of an
    /// Aurora global database (any more).
    #[error(
        "standby '{standby}' in {region} {reason}; nothing was changed. Name a read replica (aws rds \
         describe-db-instances --region {region}) or the secondary cluster of an Aurora global \
         database (aws rds describe-global-clusters), or restore a snapshot instead."
    )]
    NotAStandby {
        standby: String,
        region: String,
        /// What it is instead, and what to do about it.
        reason: String,
    },

    /// The standby cannot be promoted at the moment (RDS is backing it up,
    /// or another switchover is under way); a retry may succeed.
    #[error(
        "standby '{standby}' in {region} cannot be promoted now: {detail}; it was not promoted \
         (at most tagged, for the retry). Retry in a few minutes (a retry is safe); if it stays \
         so, restore a snapshot instead."
    )]
    StandbyNotReady {
        standby: String,
        region: String,
        detail: String,
    },

    /// The data a promotion (the standby's lag) or a restore of the latest
    /// snapshot (its age) would lose is above the event's
    /// `max_data_loss_seconds`, or unknown.
    #[error(
        "{restoring} would lose {lag}, more than max_data_loss_seconds allows ({limit} s); \
         nothing was changed. Wait for a fresher copy (the lag to fall, or the next snapshot) and \
         invoke again; or raise or drop max_data_loss_seconds if you accept the loss; or restore \
         a point in time instead."
    )]
    DataLossAboveLimit {
        /// What would lose it: `promoting standby 'x'`, or `restoring the
        /// latest snapshot of 'y' ('snap')`.
        restoring: String,
        /// The lag in words: `42 s of data (ReplicaLag ...)`, or why it is unknown.
        lag: String,
        limit: u64,
    },

    /// A lossless switchover needs the primary region, which did not answer.
    #[error(
        "the switchover of Aurora global database '{global}' needs its primary region {region}, \
         which did not answer ({detail}); nothing was changed. A switchover loses no data but \
         cannot run without the primary. To fail over now instead, losing what the secondary has \
         not replicated ({lag}), invoke again with \"allow_data_loss\": true."
    )]
    PrimaryRegionUnreachable {
        global: String,
        region: String,
        detail: String,
        /// The secondary's lag in words: what a failover would lose.
        lag: String,
    },

    /// A drill's cleanup found something it may not delete: not a drill
    /// identifier, or without this drill's tag. Nothing was deleted.
    #[error(
        "the drill's cleanup refused to delete {kind} '{id}' in {region}: {reason}; nothing was \
         deleted. It is not this drill's: if it is a leftover of yours, delete it yourself \
         (aws rds delete-db-{kind} --region {region} ...); otherwise, look at who created it."
    )]
    DrillCleanupRefused {
        /// `instance` or `cluster`.
        kind: &'static str,
        id: String,
        region: String,
        reason: String,
    },

    /// The configured hosted zone does not exist.
    #[error(
        "hosted zone '{zone_id}' does not exist; nothing was changed. Fix HOSTED_ZONE_ID in the function's configuration."
    )]
    HostedZoneNotFound { zone_id: String },

    /// A configured record cannot be moved as configured; `cause` says why.
    #[error("record '{name}' cannot be moved: {cause}; nothing was changed. {}", cause.remedy())]
    RecordNotFound { name: String, cause: RecordProblem },

    /// Traffic was not moved to a region whose health could not be verified.
    #[error(
        "traffic was not moved to {region}: {problem}; nothing was changed. {} Or, if you accept \
         sending traffic there unverified, invoke directly with \"force\": true.",
        problem.remedy()
    )]
    TargetUnhealthy {
        region: String,
        problem: HealthProblem,
    },

    /// An ARC safety rule refused the routing control change.
    #[error(
        "ARC refused the routing control change: safety rule {} ({message}); nothing was changed. \
         Check the other routing controls the rule watches; or, if you accept what the rule guards \
         against, invoke directly with \"safety_rules_to_override\": [the rule's ARN].",
        rules.join(", ")
    )]
    SafetyRuleViolation {
        /// The rules ARC named.
        rules: Vec<String>,
        /// ARC's message.
        message: String,
    },

    /// The function's configuration cannot do what the request needs.
    #[error(
        "the function's configuration is unusable: {variable} {reason}; nothing was changed. Fix \
         {variable} through a deploy; a retry will not help."
    )]
    Misconfigured {
        /// The configuration variable at fault.
        variable: &'static str,
        reason: String,
    },

    /// dr-lambdas itself failed: a bug, not the caller's or AWS's doing.
    #[error(
        "dr-lambdas failed internally: {detail}; nothing was changed. This is a bug: report it with \
         this message."
    )]
    Internal { detail: String },

    /// AWS refused the function's credentials or role.
    #[error(
        "AWS denied the call: {0}. The function's role lacks this permission: add it to the role \
         (template.yaml lists what each function needs); a retry will not help."
    )]
    AccessDenied(AwsFailure),

    /// AWS throttled the call and the SDK's retries ran out.
    #[error(
        "AWS throttled the call after the SDK's retries: {0}. Retry after a back-off; the handler is idempotent, so a retry is safe."
    )]
    Throttled(AwsFailure),

    /// AWS did not answer in time, could not be reached, or answered with a server error.
    #[error(
        "AWS did not answer usefully: {0}. Retry after a back-off; the handler is idempotent, so a retry is safe."
    )]
    ServiceUnavailable(AwsFailure),

    /// Any other AWS error; the AWS code is in the message.
    #[error(
        "AWS rejected the call: {0}. Read the AWS message; the same request will fail again until that is fixed."
    )]
    AwsError(AwsFailure),
}

/// Who has to act before the same request can succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// The event: whoever sent it corrects it.
    Event,
    /// The function's configuration or role: fixed by a deploy.
    Configuration,
    /// The AWS resources named: they are missing, not ready, or someone else's.
    Resources,
    /// AWS or the network, for now: a retry with back-off is the answer.
    Transient,
    /// A bug in dr-lambdas: report it.
    Internal,
}

/// One row of the error contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Contract {
    /// The stable `errorType`.
    pub name: &'static str,
    /// Whether the same request may succeed when retried later.
    pub retryable: bool,
    /// Who has to act.
    pub fault: Fault,
}

/// The contract table: one row per variant, in documentation order. The
/// matches it generates have no `_` arm, so a new variant that is not in the
/// table does not compile, and cannot miss its name, the docs
/// (`tests/docs.rs`) or the workflow's Catch (`tests/statemachine.rs`).
macro_rules! contract {
    ($($variant:ident => retryable: $retryable:literal, fault: $fault:ident;)+) => {
        impl Error {
            /// This error's row of the contract.
            pub fn contract(&self) -> Contract {
                match self {
                    $(Error::$variant { .. } => Contract {
                        name: stringify!($variant),
                        retryable: $retryable,
                        fault: Fault::$fault,
                    },)+
                }
            }
        }

        /// Every row of the contract, in documentation order.
        pub const CONTRACT: &[Contract] = &[$(Contract {
            name: stringify!($variant),
            retryable: $retryable,
            fault: Fault::$fault,
        }),+];
    };
}

contract! {
    InvalidRequest => retryable: false, fault: Event;
    NotAllowed => retryable: false, fault: Event;
    SnapshotNotFound => retryable: false, fault: Resources;
    SourceInstanceNotFound => retryable: false, fault: Resources;
    RestoreTimeOutOfRange => retryable: false, fault: Event;
    NoSnapshotAvailable => retryable: false, fault: Resources;
    InstanceAlreadyExists => retryable: false, fault: Resources;
    DatabaseRestoreFailed => retryable: false, fault: Resources;
    NotAStandby => retryable: false, fault: Resources;
    StandbyNotReady => retryable: true, fault: Resources;
    DataLossAboveLimit => retryable: false, fault: Resources;
    PrimaryRegionUnreachable => retryable: false, fault: Resources;
    DrillCleanupRefused => retryable: false, fault: Resources;
    HostedZoneNotFound => retryable: false, fault: Configuration;
    RecordNotFound => retryable: false, fault: Configuration;
    TargetUnhealthy => retryable: false, fault: Resources;
    SafetyRuleViolation => retryable: false, fault: Resources;
    Misconfigured => retryable: false, fault: Configuration;
    Internal => retryable: false, fault: Internal;
    AccessDenied => retryable: false, fault: Configuration;
    Throttled => retryable: true, fault: Transient;
    ServiceUnavailable => retryable: true, fault: Transient;
    AwsError => retryable: false, fault: Resources;
}

/// Every `errorType` name of the contract, in documentation order.
pub fn error_names() -> impl Iterator<Item = &'static str> {
    CONTRACT.iter().map(|c| c.name)
}

/// The names a caller may retry with back-off (Step Functions `Retry`).
pub fn retryable_error_names() -> impl Iterator<Item = &'static str> {
    CONTRACT.iter().filter(|c| c.retryable).map(|c| c.name)
}

impl Error {
    /// The stable `errorType` name of this error.
    pub fn name(&self) -> &'static str {
        self.contract().name
    }

    /// Whether the same request may succeed when retried later.
    pub fn is_retryable(&self) -> bool {
        self.contract().retryable
    }

    /// The AWS error code behind this error, if AWS sent one.
    pub fn aws_code(&self) -> Option<&str> {
        match self {
            Error::AccessDenied(f)
            | Error::Throttled(f)
            | Error::ServiceUnavailable(f)
            | Error::AwsError(f) => f.code.as_deref(),
            _ => None,
        }
    }

    /// Shorthand for an [`Error::InvalidRequest`].
    ///
    /// Field and reason are cut to a readable length: both may echo the event,
    /// and a 64 KiB value must not come back as a 64 KiB error message.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidRequest {
            field: shorten(field.into(), 120),
            reason: shorten(reason.into(), 400),
        }
    }
}

/// `text` cut to at most `max` characters, marked with an ellipsis when cut.
pub fn shorten(text: String, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text,
        Some((at, _)) => format!("{}…", &text[..at]),
    }
}

impl From<Error> for Diagnostic {
    fn from(error: Error) -> Self {
        Diagnostic {
            error_type: error.name().to_string(),
            error_message: error.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: &str) -> AwsFailure {
        AwsFailure {
            operation: "DescribeDBInstances",
            code: Some(code.to_owned()),
            message: "m".to_owned(),
            source: "boom".into(),
        }
    }

    fn one_of_each() -> Vec<Error> {
        vec![
            Error::invalid("db_instance", "must start with a letter"),
            Error::NotAllowed {
                subject: "db_instance 'x'".into(),
                variable: "RESTORE_ALLOWED_INSTANCES",
                allowed: "orders-*".into(),
            },
            Error::SnapshotNotFound {
                snapshot_id: "s".into(),
                region: "us-east-1".into(),
            },
            Error::SourceInstanceNotFound {
                field: "source_db_instance",
                db_instance: "x".into(),
                region: "us-east-1".into(),
                missing: "neither an instance nor a snapshot".into(),
                remedy: "Check the name.".into(),
            },
            Error::RestoreTimeOutOfRange {
                db_instance: "x".into(),
                requested: "2026-11-01T00:00:00Z".into(),
                window: "2026-11-14T03:00:00Z to 2026-11-21T23:55:00Z".into(),
            },
            Error::NoSnapshotAvailable {
                db_instance: "x".into(),
                region: "us-east-1".into(),
                detail: "1 creating".into(),
            },
            Error::InstanceAlreadyExists {
                kind: "instance",
                field: "db_instance",
                db_instance: "x".into(),
                region: "us-east-1".into(),
                reason: "was not restored by dr-lambdas".into(),
            },
            Error::DatabaseRestoreFailed {
                kind: "cluster",
                id: "x".into(),
                region: "us-east-1".into(),
                status: "inaccessible-encryption-credentials".into(),
            },
            Error::NotAStandby {
                standby: "r".into(),
                region: "us-west-2".into(),
                reason: "is a standalone instance".into(),
            },
            Error::StandbyNotReady {
                standby: "r".into(),
                region: "us-west-2".into(),
                detail: "it is backing-up".into(),
            },
            Error::DataLossAboveLimit {
                restoring: "promoting standby 'r'".into(),
                lag: "120 s of data".into(),
                limit: 60,
            },
            Error::PrimaryRegionUnreachable {
                global: "g".into(),
                region: "us-east-1".into(),
                detail: "timed out".into(),
                lag: "2 s of data".into(),
            },
            Error::DrillCleanupRefused {
                kind: "instance",
                id: "ecommerce-db".into(),
                region: "us-west-2".into(),
                reason: "its name is not a drill identifier".into(),
            },
            Error::HostedZoneNotFound {
                zone_id: "Z1".into(),
            },
            Error::RecordNotFound {
                name: "shop.example.com.".into(),
                cause: RecordProblem::NoRecordSet {
                    region: "us-west-2".into(),
                },
            },
            Error::TargetUnhealthy {
                region: "us-west-2".into(),
                problem: HealthProblem::Unhealthy {
                    id: "hc".into(),
                    detail: "2 of 3 checkers report Failure".into(),
                },
            },
            Error::SafetyRuleViolation {
                rules: vec![
                    "arn:aws:route53-recovery-control::1:controlpanel/c/safetyrule/r".into(),
                ],
                message: "blocked".into(),
            },
            Error::Misconfigured {
                variable: "REGION_ENDPOINTS",
                reason: "has an unusable value for us-west-2".into(),
            },
            Error::Internal {
                detail: "a change could not be built".into(),
            },
            Error::AccessDenied(failure("AccessDenied")),
            Error::Throttled(failure("Throttling")),
            Error::ServiceUnavailable(failure("InternalFailure")),
            Error::AwsError(failure("InvalidParameterCombination")),
        ]
    }

    #[test]
    fn every_variant_has_its_row_of_the_contract_in_order() {
        let rows: Vec<Contract> = one_of_each().iter().map(Error::contract).collect();
        assert_eq!(rows, CONTRACT);
    }

    #[test]
    fn a_diagnostic_carries_the_stable_name_and_the_message() {
        let d = Diagnostic::from(Error::invalid("snapshot_id", "must not be empty"));
        assert_eq!(d.error_type, "InvalidRequest");
        assert_eq!(
            d.error_message,
            "snapshot_id: must not be empty. Correct the event and invoke again; nothing was changed."
        );
    }

    #[test]
    fn a_diagnostic_serializes_to_the_lambda_error_shape() {
        let d = Diagnostic::from(Error::HostedZoneNotFound {
            zone_id: "Z9".into(),
        });
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["errorType"], "HostedZoneNotFound");
        assert!(
            json["errorMessage"]
                .as_str()
                .unwrap()
                .contains("HOSTED_ZONE_ID")
        );
    }

    #[test]
    fn an_aws_error_keeps_the_aws_code_in_the_message() {
        let e = Error::AwsError(failure("InvalidParameterCombination"));
        assert_eq!(e.aws_code(), Some("InvalidParameterCombination"));
        assert!(
            e.to_string()
                .contains("DescribeDBInstances failed with InvalidParameterCombination: m")
        );
    }

    #[test]
    fn a_huge_echoed_value_is_cut_in_the_message() {
        let e = Error::invalid("region", format!("got {:?}", "x".repeat(65536)));
        assert!(e.to_string().len() < 600, "{}", e.to_string().len());
        assert!(e.to_string().contains("xxx…"));
    }

    #[test]
    fn a_standby_not_ready_throttling_and_unavailability_are_the_retryable_ones() {
        let retryable: Vec<&str> = one_of_each()
            .iter()
            .filter(|e| e.is_retryable())
            .map(Error::name)
            .collect();
        assert_eq!(
            retryable,
            ["StandbyNotReady", "Throttled", "ServiceUnavailable"]
        );
    }

    #[test]
    fn no_message_names_a_rust_type() {
        // A Rust path is `name::Name`; an ARN's empty region field (`...control::123...`) is not.
        let rust_path = |text: &str| {
            text.match_indices("::").any(|(at, _)| {
                text[at + 2..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic())
            })
        };
        for e in one_of_each() {
            let d = Diagnostic::from(e);
            assert!(!rust_path(&d.error_type), "{}", d.error_type);
            assert!(!rust_path(&d.error_message), "{}", d.error_message);
        }
    }
}
