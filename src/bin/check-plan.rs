//! `check-plan [FILE]`: checks a recovery plan (default
//! `plan/recovery-plan.json`) with the one parser every function's init
//! uses (`dr_lambdas::plan`), under the name patterns of
//! `DB_RECORD_NAME_PATTERN` and `DRILL_RECORD_NAME_PATTERN`. Prints the
//! mistake, naming its field, and exits 1; or a summary, and exits 0. Not a
//! Lambda function: the plan layer's build runs it.

use std::process::ExitCode;

use dr_lambdas::config::ProcessEnv;
use dr_lambdas::plan::{Patterns, parse};

fn main() -> ExitCode {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "plan/recovery-plan.json".to_owned());
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("recovery plan: '{path}' cannot be read: {e}");
            return ExitCode::FAILURE;
        }
    };
    match parse(&text, &Patterns::from_env(&ProcessEnv)) {
        Ok(plan) => {
            println!(
                "recovery plan {path}: {} databases, scenarios {}",
                plan.databases.len(),
                plan.scenarios
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            ExitCode::SUCCESS
        }
        Err(mistake) => {
            eprintln!("{mistake}");
            ExitCode::FAILURE
        }
    }
}
