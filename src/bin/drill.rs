//! Lambda entry point of `drill`; the logic lives in `dr_lambdas::drill`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    dr_lambdas::runtime::serve::<dr_lambdas::drill::DrillHandler>().await
}
