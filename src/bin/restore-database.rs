//! Lambda entry point of `restore-database`; the logic lives in `dr_lambdas::restore`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    dr_lambdas::runtime::serve::<dr_lambdas::restore::RestoreHandler>().await
}
