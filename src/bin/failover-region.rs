//! Lambda entry point of `failover-region`: wiring only; the logic lives in
//! `dr_lambdas::failover`.

use dr_lambdas::failover::FailoverHandler;
use dr_lambdas::settings::ProcessEnv;
use lambda_runtime::{LambdaEvent, service_fn, tracing};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    tracing::init_default_subscriber();
    let handler = FailoverHandler::from_env(&ProcessEnv)
        .await
        .inspect_err(|e| {
            tracing::error!(error = %e, "init failed: fix the function's configuration");
        })?;
    let handler = &handler;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let (payload, ctx) = event.into_parts();
        dr_lambdas::invoke::run(&ctx, handler.handle(payload, &ctx.request_id)).await
    }))
    .await
}
