//! Lambda entry point of `restore-database`: wiring only; the logic lives in
//! `dr_lambdas::restore`.

use dr_lambdas::restore::RestoreHandler;
use dr_lambdas::settings::ProcessEnv;
use dr_lambdas::validate;
use lambda_runtime::{LambdaEvent, service_fn, tracing};
use serde_json::value::RawValue;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    tracing::init_default_subscriber();
    let handler = RestoreHandler::from_env(&ProcessEnv)
        .await
        .inspect_err(|e| {
            tracing::error!(error = %e, "init failed: fix the function's configuration");
        })?;
    let handler = &handler;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<Box<RawValue>>| async move {
            let (payload, ctx) = event.into_parts();
            let work = async {
                let event = validate::event_from_raw(&payload)?;
                handler.handle(event, &ctx.request_id).await
            };
            dr_lambdas::invoke::run(&ctx, work).await
        },
    ))
    .await
}
