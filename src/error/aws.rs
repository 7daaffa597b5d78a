//! AWS errors: the failed call as AWS reported it, and its sorting into the
//! four generic names of the contract.

use std::error::Error as StdError;
use std::fmt;

use aws_sdk_rds::config::http::HttpResponse;
use aws_sdk_rds::error::{ProvideErrorMetadata, SdkError};

use super::Error;

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
    // ARC: "There was a conflict with this request. Try again." (a safety
    // rule's refusal, which names the rule, is told apart before this).
    "ConflictException",
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
