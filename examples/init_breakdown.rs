//! Times each step of a handler's init, as `src/bin/*.rs` performs them, to
//! see where a cold start goes (`cargo run --release --example init_breakdown`).
//! Reads the same environment as the functions; needs AWS_REGION and credentials.

use std::time::Instant;

use dr_lambdas::aws::{self as settings, SdkSettings};
use dr_lambdas::config::ProcessEnv;

#[tokio::main]
async fn main() {
    let t0 = Instant::now();
    let mut last = t0;
    let mut step = |name: &str| {
        let now = Instant::now();
        println!("{name:<34} {:>8.3} ms", (now - last).as_secs_f64() * 1e3);
        last = now;
    };
    lambda_runtime::tracing::init_default_subscriber();
    step("tracing subscriber");
    let sdk = SdkSettings::from_env(&ProcessEnv).expect("SDK_* variables");
    step("SDK settings from the environment");
    let config = settings::load_sdk_config(&sdk).await;
    step("aws-config load");
    let rds = aws_sdk_rds::Client::new(&config);
    step("RDS client (first client)");
    let route53 = aws_sdk_route53::Client::new(&config);
    step("Route 53 client (second client)");
    drop((rds, route53));
    println!(
        "{:<34} {:>8.3} ms",
        "total",
        t0.elapsed().as_secs_f64() * 1e3
    );
}
