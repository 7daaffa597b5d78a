//! Lambda entry point of `failover-region`; the logic lives in `dr_lambdas::failover`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    dr_lambdas::runtime::serve::<dr_lambdas::failover::FailoverHandler>().await
}
