//! What both handlers do around their work: keep inside the invocation's
//! deadline, and log the outcome once with its stable error name.

use std::future::Future;
use std::time::{Duration, SystemTime};

use lambda_runtime::Context;
use tracing::{info, warn};

use crate::error::{Error, deadline_exceeded};

// Room left after our own time-out to post the error to the Runtime API.
const MARGIN: Duration = Duration::from_millis(500);

/// Runs `work` so that it ends with a typed error before Lambda's time-out
/// kills the process, then logs how it ended.
///
/// A deadline that is already past is ignored: local emulators such as
/// `cargo lambda watch` send one, and a real invocation never starts late.
pub async fn run<T>(
    ctx: &Context,
    work: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let remaining = ctx.deadline().duration_since(SystemTime::now()).ok();
    let result = match remaining {
        Some(left) if left > MARGIN * 2 => tokio::time::timeout(left - MARGIN, work)
            .await
            .unwrap_or_else(|elapsed| Err(deadline_exceeded("invocation", elapsed))),
        _ => work.await,
    };
    match &result {
        Ok(_) => info!("invocation succeeded"),
        Err(e) if e.is_retryable() => {
            warn!(error_type = e.name(), error = %e, "invocation failed; retryable")
        }
        Err(e) => warn!(error_type = e.name(), error = %e, "invocation refused"),
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
        ctx
    }

    #[tokio::test]
    async fn work_past_the_deadline_ends_as_service_unavailable() {
        let ctx = context(SystemTime::now() + Duration::from_millis(1200));
        let result: Result<(), Error> = run(&ctx, async {
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
        let result = run(&ctx, async { Ok::<_, Error>(7) }).await;
        assert_eq!(result.unwrap(), 7);
    }
}
