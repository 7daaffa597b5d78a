//! What both handlers share around their work: the Lambda runtime loop, the
//! invocation's context, the deadline guard, and one outcome log line with the
//! stable error name.

use std::future::Future;
use std::time::{Duration, Instant, SystemTime};

use lambda_runtime::{Context, LambdaEvent, service_fn};
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;
use tracing::{info, warn};

use crate::config::{ConfigError, Env, ProcessEnv};
use crate::error::{Error, deadline_exceeded};
use crate::validate;

/// Room left after our own time-out to post the error to the Runtime API.
const MARGIN: Duration = Duration::from_millis(500);

/// One handler: built once at init, then asked once per invocation.
pub trait Handler: Sized + Sync + 'static {
    /// The result object the caller receives.
    type Output: Serialize + Send;

    /// Reads the configuration and builds the SDK clients.
    fn from_env(env: &dyn Env) -> impl Future<Output = Result<Self, ConfigError>>;

    /// Handles one event.
    fn handle(
        &self,
        event: Value,
        invocation: &Invocation,
    ) -> impl Future<Output = Result<Self::Output, Error>> + Send;
}

/// What the runtime tells us about one invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// The Lambda request id, written into tags and change comments.
    pub request_id: String,
    /// When the invocation must have answered; `None` when the runtime gave
    /// no usable deadline.
    pub deadline: Option<Instant>,
    /// When the request arrived: the "now" of every plan.
    pub received: SystemTime,
    /// The function's own account, from its ARN.
    pub account_id: Option<String>,
}

impl Invocation {
    /// An invocation with no deadline and no known account (tests, tools).
    pub fn new(request_id: impl Into<String>) -> Self {
        Invocation {
            request_id: request_id.into(),
            deadline: None,
            received: SystemTime::now(),
            account_id: None,
        }
    }

    /// The invocation the Runtime API describes.
    ///
    /// A deadline that is already past is ignored: local emulators such as
    /// `cargo lambda watch` send one, and a real invocation never starts late.
    pub fn from_context(ctx: &Context) -> Self {
        let received = SystemTime::now();
        let deadline = ctx
            .deadline()
            .duration_since(received)
            .ok()
            .filter(|left| *left > MARGIN * 2)
            .map(|left| Instant::now() + left - MARGIN);
        // arn:aws:lambda:REGION:ACCOUNT:function:NAME
        let account_id = ctx
            .invoked_function_arn
            .split(':')
            .nth(4)
            .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
            .map(str::to_owned);
        Invocation {
            request_id: ctx.request_id.clone(),
            deadline,
            received,
            account_id,
        }
    }

    /// Time left before our own deadline, if there is one.
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }
}

/// Runs a handler under the Lambda runtime: the whole of each `main`.
pub async fn serve<H: Handler>() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let handler = H::from_env(&ProcessEnv).await.inspect_err(|e| {
        tracing::error!(error = %e, "init failed: fix the function's configuration");
    })?;
    let handler = &handler;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<Box<RawValue>>| async move {
            let (payload, ctx) = event.into_parts();
            let invocation = Invocation::from_context(&ctx);
            let work = async {
                // The payload arrives raw, so that JSON nested past serde's
                // recursion limit is our InvalidRequest, not the runtime's.
                let event = validate::event_from_raw(&payload)?;
                // Boxed: the handlers' futures nest deep enough to overflow
                // the compiler's layout recursion limit in `main` otherwise.
                Box::pin(handler.handle(event, &invocation)).await
            };
            run(&invocation, work).await
        },
    ))
    .await
}

/// Runs `work` so that it ends with a typed error before Lambda's time-out
/// kills the process, then logs how it ended.
pub async fn run<T>(
    invocation: &Invocation,
    work: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let result = match invocation.remaining() {
        Some(left) => tokio::time::timeout(left, work)
            .await
            .unwrap_or_else(|elapsed| Err(deadline_exceeded("invocation", elapsed))),
        None => work.await,
    };
    match &result {
        Ok(_) => info!("invocation succeeded"),
        Err(e) if e.is_retryable() => {
            warn!(error_type = e.name(), error = %e, "invocation failed; retryable")
        }
        Err(e) => {
            warn!(error_type = e.name(), fault = ?e.contract().fault, error = %e, "invocation refused")
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(deadline: SystemTime) -> Context {
        let mut ctx = Context::default();
        ctx.deadline = deadline
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis() as u64;
        ctx.invoked_function_arn =
            "arn:aws:lambda:us-west-2:123456789012:function:restore-database".into();
        ctx
    }

    #[tokio::test]
    async fn work_past_the_deadline_ends_as_service_unavailable() {
        let ctx = context(SystemTime::now() + Duration::from_millis(1200));
        let result: Result<(), Error> = run(&Invocation::from_context(&ctx), async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            Ok(())
        })
        .await;
        let err = result.unwrap_err();
        assert_eq!(err.name(), "ServiceUnavailable");
        assert!(err.to_string().contains("time budget ran out"));
    }

    #[tokio::test]
    async fn a_deadline_in_the_past_is_ignored() {
        let ctx = context(SystemTime::UNIX_EPOCH + Duration::from_secs(3));
        let invocation = Invocation::from_context(&ctx);
        assert_eq!(invocation.deadline, None);
        let result = run(&invocation, async { Ok::<_, Error>(7) }).await;
        assert_eq!(result.unwrap(), 7);
    }

    #[test]
    fn the_account_comes_from_the_function_arn() {
        let ctx = context(SystemTime::now());
        assert_eq!(
            Invocation::from_context(&ctx).account_id.as_deref(),
            Some("123456789012")
        );
        assert_eq!(
            Invocation::from_context(&Context::default()).account_id,
            None
        );
    }
}
