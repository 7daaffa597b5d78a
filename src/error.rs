//! The one error contract of both handlers.
//!
//! Every refusal is a variant of [`Error`]. Each variant maps to one stable
//! `errorType` name (see [`Error::name`]); Step Functions `Retry`/`Catch`
//! blocks match on those names, so renaming one is a breaking change.

use std::error::Error as StdError;
use std::fmt;

use aws_sdk_rds::config::http::HttpResponse;
use aws_sdk_rds::error::{ProvideErrorMetadata, SdkError};
use lambda_runtime::Diagnostic;

/// A failed AWS call, with the AWS error code kept as AWS sent it.
#[derive(Debug)]
pub struct AwsFailure {
    /// The SDK operation, e.g. `RestoreDBInstanceFromDBSnapshot`.
    pub operation: &'static str,
    /// The AWS error code (`ThrottlingException`, `AccessDenied`, ...), when AWS sent one.
    pub code: Option<String>,
    /// The AWS error message, or what went wrong on the way to AWS.
    pub message: String,
    /// The original SDK error, kept for the log's error chain.
    pub source: Box<dyn StdError + Send + Sync>,
}

impl fmt::Display for AwsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(
                f,
                "{} failed with {}: {}",
                self.operation, code, self.message
            ),
            None => write!(f, "{} failed: {}", self.operation, self.message),
        }
    }
}

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

    /// Neither the source instance nor any snapshot of it exists in the region.
    #[error(
        "source_db_instance '{db_instance}' has neither an instance nor a snapshot in {region}; nothing was changed. \
         Check the name, and that snapshots were copied to this region."
    )]
    SourceInstanceNotFound { db_instance: String, region: String },

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

    /// The target identifier is taken by an instance this request did not create.
    #[error(
        "instance '{db_instance}' already exists in {region} and {reason}; it was left untouched. \
         Choose another db_instance, or retire that instance yourself first."
    )]
    InstanceAlreadyExists {
        db_instance: String,
        region: String,
        reason: String,
    },

    /// The configured hosted zone does not exist.
    #[error(
        "hosted zone '{zone_id}' does not exist; nothing was changed. Fix HOSTED_ZONE_ID in the function's configuration."
    )]
    HostedZoneNotFound { zone_id: String },

    /// A configured record has no record set for a region.
    #[error(
        "record '{name}' has no record set for region {region} in the hosted zone; nothing was changed. \
         Create it (weighted: SetIdentifier = region name), or fix RECORD_NAMES / REGION_ENDPOINTS."
    )]
    RecordNotFound { name: String, region: String },

    /// The secondary region's health check does not report healthy.
    #[error(
        "the health check {health_check_id} of {region} is not healthy ({detail}); nothing was changed. \
         Fix the target first, or invoke again with \"force\": true if you accept sending traffic to it."
    )]
    TargetUnhealthy {
        region: String,
        health_check_id: String,
        detail: String,
    },

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

impl Error {
    /// The stable `errorType` name of this error.
    ///
    /// Exhaustive on purpose: adding a variant must force a decision about its name.
    pub fn name(&self) -> &'static str {
        match self {
            Error::InvalidRequest { .. } => "InvalidRequest",
            Error::NotAllowed { .. } => "NotAllowed",
            Error::SnapshotNotFound { .. } => "SnapshotNotFound",
            Error::SourceInstanceNotFound { .. } => "SourceInstanceNotFound",
            Error::NoSnapshotAvailable { .. } => "NoSnapshotAvailable",
            Error::InstanceAlreadyExists { .. } => "InstanceAlreadyExists",
            Error::HostedZoneNotFound { .. } => "HostedZoneNotFound",
            Error::RecordNotFound { .. } => "RecordNotFound",
            Error::TargetUnhealthy { .. } => "TargetUnhealthy",
            Error::AccessDenied(_) => "AccessDenied",
            Error::Throttled(_) => "Throttled",
            Error::ServiceUnavailable(_) => "ServiceUnavailable",
            Error::AwsError(_) => "AwsError",
        }
    }

    /// Whether the same request may succeed when retried later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Throttled(_) | Error::ServiceUnavailable(_))
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

/// Every `errorType` name of the contract, in documentation order.
pub const ERROR_NAMES: &[&str] = &[
    "InvalidRequest",
    "NotAllowed",
    "SnapshotNotFound",
    "SourceInstanceNotFound",
    "NoSnapshotAvailable",
    "InstanceAlreadyExists",
    "HostedZoneNotFound",
    "RecordNotFound",
    "TargetUnhealthy",
    "AccessDenied",
    "Throttled",
    "ServiceUnavailable",
    "AwsError",
];

/// The names a caller may retry with back-off (Step Functions `Retry`).
pub const RETRYABLE_ERROR_NAMES: &[&str] = &["Throttled", "ServiceUnavailable"];

impl From<Error> for Diagnostic {
    fn from(error: Error) -> Self {
        Diagnostic {
            error_type: error.name().to_string(),
            error_message: error.to_string(),
        }
    }
}

// AWS codes that mean "slow down". PriorRequestNotComplete is Route 53's answer
// to a change submitted while the previous one for the same zone is in flight.
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "PriorRequestNotComplete",
    "SlowDown",
];

const ACCESS_DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "NotAuthorized",
    "UnauthorizedOperation",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
];

const UNAVAILABLE_CODES: &[&str] = &[
    "InternalFailure",
    "InternalError",
    "InternalServerError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
];

/// Classifies an SDK error that the caller did not map to a specific variant.
///
/// The caller handles operation-specific faults (a missing snapshot, an
/// existing instance) first; this sorts the rest into the four generic names.
pub fn from_sdk<E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> Error
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    let status = err.raw_response().map(|r| r.status().as_u16());
    let code = err.code().map(str::to_owned);
    let message = match (&err, err.message()) {
        (_, Some(m)) => m.to_owned(),
        (SdkError::TimeoutError(_), None) => "the operation time-out elapsed".to_owned(),
        (SdkError::DispatchFailure(d), None) if d.is_timeout() => {
            "the attempt time-out elapsed".to_owned()
        }
        (SdkError::DispatchFailure(d), None) if d.is_io() => {
            "AWS could not be reached (connection failed)".to_owned()
        }
        (_, None) => match status {
            Some(s) => format!("HTTP status {s}"),
            None => err_chain(&err),
        },
    };
    // No usable answer from AWS: a time-out, no connection, or a response that
    // could not be read (the call may or may not have taken effect; both
    // handlers are idempotent, so a retry is safe).
    let no_answer = matches!(
        err,
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_)
    ) || (code.is_none() && status.is_some_and(|s| (200..300).contains(&s)));
    let failure = AwsFailure {
        operation,
        code: code.clone(),
        message,
        source: Box::new(err),
    };
    match code.as_deref() {
        Some(c) if THROTTLING_CODES.contains(&c) => Error::Throttled(failure),
        Some(c) if ACCESS_DENIED_CODES.contains(&c) => Error::AccessDenied(failure),
        Some(c) if UNAVAILABLE_CODES.contains(&c) => Error::ServiceUnavailable(failure),
        // A status decides only when AWS sent no code: OptInRequired, say, is
        // a 403 that no role change fixes.
        None if status == Some(429) => Error::Throttled(failure),
        None if status == Some(403) => Error::AccessDenied(failure),
        _ if no_answer || status.is_some_and(|s| s >= 500) => Error::ServiceUnavailable(failure),
        _ => Error::AwsError(failure),
    }
}

/// The invocation ran out of time before AWS answered.
pub fn deadline_exceeded(operation: &'static str, source: tokio::time::error::Elapsed) -> Error {
    Error::ServiceUnavailable(AwsFailure {
        operation,
        code: None,
        message: "the invocation's time budget ran out before AWS answered".to_owned(),
        source: Box::new(source),
    })
}

fn err_chain(err: &dyn StdError) -> String {
    let mut text = err.to_string();
    let mut cur = err.source();
    while let Some(e) = cur {
        text.push_str(": ");
        text.push_str(&e.to_string());
        cur = e.source();
    }
    text
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
                db_instance: "x".into(),
                region: "us-east-1".into(),
            },
            Error::NoSnapshotAvailable {
                db_instance: "x".into(),
                region: "us-east-1".into(),
                detail: "1 creating".into(),
            },
            Error::InstanceAlreadyExists {
                db_instance: "x".into(),
                region: "us-east-1".into(),
                reason: "was not restored by dr-lambdas".into(),
            },
            Error::HostedZoneNotFound {
                zone_id: "Z1".into(),
            },
            Error::RecordNotFound {
                name: "shop.example.com.".into(),
                region: "us-west-2".into(),
            },
            Error::TargetUnhealthy {
                region: "us-west-2".into(),
                health_check_id: "hc".into(),
                detail: "2 of 3 checkers report Failure".into(),
            },
            Error::AccessDenied(failure("AccessDenied")),
            Error::Throttled(failure("Throttling")),
            Error::ServiceUnavailable(failure("InternalFailure")),
            Error::AwsError(failure("InvalidParameterCombination")),
        ]
    }

    #[test]
    fn every_variant_has_a_documented_name_in_order() {
        let names: Vec<&str> = one_of_each().iter().map(Error::name).collect();
        assert_eq!(names, ERROR_NAMES);
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
    fn only_throttled_and_service_unavailable_are_retryable() {
        let retryable: Vec<&str> = one_of_each()
            .iter()
            .filter(|e| e.is_retryable())
            .map(Error::name)
            .collect();
        assert_eq!(retryable, RETRYABLE_ERROR_NAMES);
    }

    #[test]
    fn no_message_names_a_rust_type() {
        for e in one_of_each() {
            let d = Diagnostic::from(e);
            assert!(!d.error_type.contains("::"), "{}", d.error_type);
            assert!(!d.error_message.contains("::"), "{}", d.error_message);
        }
    }
}
