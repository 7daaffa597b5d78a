//! The docs hold the contract: every error name, with its retryability, is
//! documented where Step Functions authors and operators look it up.

use dr_lambdas::error::CONTRACT;

fn errors_table() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string("README.md").expect("read README.md");
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with("Errors\n"))
        .expect("README.md has an Errors section");
    section
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let name = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            let retry = cells.get(2)?;
            (*retry == "no" || *retry == "**yes**").then(|| (name.to_owned(), (*retry).to_owned()))
        })
        .collect()
}

#[test]
fn every_error_name_is_documented_with_its_retryability_in_contract_order() {
    let documented = errors_table();
    let expected: Vec<(String, String)> = CONTRACT
        .iter()
        .map(|c| {
            let retry = if c.retryable { "**yes**" } else { "no" };
            (c.name.to_owned(), retry.to_owned())
        })
        .collect();
    assert_eq!(documented, expected);
}
