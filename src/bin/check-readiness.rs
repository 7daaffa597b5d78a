//! Lambda entry point of `check-readiness`; the logic lives in `dr_lambdas::readiness`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    dr_lambdas::runtime::serve::<dr_lambdas::readiness::ReadinessHandler>().await
}
