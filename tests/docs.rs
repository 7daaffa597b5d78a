//! The docs hold the contract and must not lie: every error name is
//! documented with its retryability where Step Functions authors and
//! operators look it up, and every link, referenced file, sample, script,
//! function and test named in README.md, BENCHMARKS.md and docs/ exists.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use dr_lambdas::error::CONTRACT;

/// README.md, BENCHMARKS.md and every page of docs/, with their text.
fn pages() -> Vec<(PathBuf, String)> {
    let mut paths = vec![PathBuf::from("README.md"), PathBuf::from("BENCHMARKS.md")];
    let mut docs: Vec<PathBuf> = fs::read_dir("docs")
        .expect("docs/")
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    paths.extend(docs);
    paths
        .into_iter()
        .map(|p| {
            let text = fs::read_to_string(&p).unwrap_or_else(|_| panic!("read {}", p.display()));
            (p, text)
        })
        .collect()
}

fn errors_table() -> Vec<(String, String)> {
    let page = fs::read_to_string("docs/errors.md").expect("read docs/errors.md");
    // The contract's table is the first of the page; the workflow's own names follow it.
    let first_table: Vec<&str> = page
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .collect();
    first_table
        .iter()
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

/// GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(text: &str) -> BTreeSet<String> {
    let mut in_code = false;
    let mut out = BTreeSet::new();
    for line in text.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            out.insert(slug(line.trim_start_matches('#')));
        }
    }
    out
}

/// The targets of the Markdown links `[text](target)` of a page.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("](") {
        rest = &rest[i + 2..];
        if let Some(end) = rest.find(')') {
            out.push(rest[..end].to_owned());
        }
    }
    out
}

#[test]
fn every_link_in_the_docs_leads_to_a_file_and_heading_that_exist() {
    let mut broken = Vec::new();
    for (page, text) in pages() {
        let dir = page.parent().unwrap_or(Path::new(""));
        for link in links(&text) {
            if link.starts_with("http://") || link.starts_with("https://") {
                continue;
            }
            let (file, anchor) = link.split_once('#').unwrap_or((&link, ""));
            let target = if file.is_empty() {
                page.clone()
            } else {
                dir.join(file)
            };
            let Ok(target_text) = fs::read_to_string(&target) else {
                if !target.exists() {
                    broken.push(format!("{}: {link} (no such file)", page.display()));
                }
                continue;
            };
            if !anchor.is_empty() && !anchors(&target_text).contains(anchor) {
                broken.push(format!("{}: {link} (no such heading)", page.display()));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

/// Repository paths the docs mention (`events/x.json`, `scripts/demo`, ...).
fn mentioned_paths(text: &str) -> BTreeSet<String> {
    const ROOTS: &[&str] = &[
        "events/",
        "scripts/",
        "statemachine/",
        "src/",
        "tests/",
        "docs/",
        "bench/",
        "examples/",
    ];
    let mut out = BTreeSet::new();
    for word in text.split(|c: char| c.is_whitespace() || "`()[]<>\"',|:".contains(c)) {
        let word = word.trim_end_matches(['.', ';']);
        let word = word.strip_prefix("file://").unwrap_or(word);
        let word = word.split('#').next().unwrap_or_default();
        if ROOTS.iter().any(|root| word.starts_with(root))
            && !word.contains('*')
            && !word.contains('<')
            && word.len() > 6
        {
            out.insert(word.to_owned());
        }
    }
    out
}

#[test]
fn every_file_sample_and_script_the_docs_mention_exists() {
    let mut missing = Vec::new();
    for (page, text) in pages() {
        for path in mentioned_paths(&text) {
            if !Path::new(&path).exists() {
                missing.push(format!("{}: {path}", page.display()));
            }
        }
    }
    assert!(missing.is_empty(), "missing:\n{}", missing.join("\n"));
}

/// The lines of the ```sh blocks of a page.
fn shell_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_sh = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") {
            in_sh = !in_sh && trimmed == "```sh";
        } else if in_sh {
            out.push(trimmed.to_owned());
        }
    }
    out
}

#[test]
fn every_local_command_in_the_docs_names_a_script_function_or_resource_that_exists() {
    let template = fs::read_to_string("template.yaml").expect("read template.yaml");
    let functions = [
        "restore-database",
        "failover-region",
        "check-readiness",
        "drill",
    ];
    let mut wrong = Vec::new();
    for (page, text) in pages() {
        for line in shell_lines(&text) {
            let words: Vec<&str> = line.split_whitespace().collect();
            let Some(first) = words.first() else { continue };
            if first.starts_with("scripts/") && !is_executable(first) {
                wrong.push(format!(
                    "{}: {first} is not an executable script",
                    page.display()
                ));
            }
            if let Some(i) = line.find("cargo lambda invoke ") {
                let function = line[i + 20..].split_whitespace().next().unwrap_or_default();
                if !functions.contains(&function) {
                    wrong.push(format!("{}: no function {function}", page.display()));
                }
            }
            if let Some(i) = line.find("sam local invoke ") {
                let resource = line[i + 17..].split_whitespace().next().unwrap_or_default();
                if !template.contains(&format!("\n  {resource}:\n")) {
                    wrong.push(format!(
                        "{}: no resource {resource} in template.yaml",
                        page.display()
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[cfg(unix)]
fn is_executable(path: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &str) -> bool {
    Path::new(path).exists()
}

#[test]
fn every_test_the_promises_name_exists() {
    let promises = fs::read_to_string("docs/promises.md").expect("read docs/promises.md");
    let mut missing = Vec::new();
    for word in promises.split(|c: char| c.is_whitespace() || "`(),;".contains(c)) {
        let Some((file, name)) = word.split_once("::") else {
            continue;
        };
        let path = format!("tests/{file}.rs");
        // `module::name` of the library's unit tests, and `name::*`, are not checked here.
        let Ok(source) = fs::read_to_string(&path) else {
            continue;
        };
        let name = name.trim_end_matches(['.', ':']);
        if name != "*" && !name.contains('…') && !source.contains(&format!("fn {name}(")) {
            missing.push(format!("{path}: {name}"));
        }
    }
    assert!(missing.is_empty(), "missing:\n{}", missing.join("\n"));
}

/// `n` as the docs write it.
fn in_words(n: usize) -> &'static str {
    [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    ]
    .get(n)
    .copied()
    .unwrap_or("many")
}

#[test]
fn deploy_md_counts_the_functions_wildcard_resources_and_log_groups_the_template_has() {
    let template = fs::read_to_string("template.yaml").expect("read template.yaml");
    let deploy = fs::read_to_string("docs/deploy.md").expect("read docs/deploy.md");
    let functions = template.matches("Type: AWS::Serverless::Function").count();
    let wildcards = template.matches("Resource: \"*\"").count();
    let log_groups = template.matches("Type: AWS::Logs::LogGroup").count();
    for (what, phrase) in [
        (
            "functions",
            format!("the {} functions", in_words(functions)),
        ),
        (
            "Resource \"*\"",
            format!("{} `Resource: \"*\"` statements", in_words(wildcards)),
        ),
        ("log groups", format!("{} log groups", in_words(log_groups))),
    ] {
        assert!(
            deploy.contains(&phrase),
            "docs/deploy.md should say \"{phrase}\" ({what})"
        );
    }
    for stale in [
        "both functions",
        "two functions",
        "the one `Resource: \"*\"`",
    ] {
        for (page, text) in pages() {
            assert!(!text.contains(stale), "{} says \"{stale}\"", page.display());
        }
    }
}

/// The parameters template.yaml declares.
fn template_parameters() -> BTreeSet<String> {
    let template = fs::read_to_string("template.yaml").expect("read template.yaml");
    let head = template.split("\nRules:").next().unwrap_or_default();
    let mut names = BTreeSet::new();
    let mut lines = head.lines().peekable();
    while let Some(line) = lines.next() {
        let is_name =
            line.starts_with("  ") && !line.starts_with("   ") && line.trim_end().ends_with(':');
        if is_name
            && lines
                .peek()
                .is_some_and(|l| l.trim_start().starts_with("Type:"))
        {
            names.insert(line.trim().trim_end_matches(':').to_owned());
        }
    }
    names
}

#[test]
fn every_template_parameter_is_documented_in_deploy_md_and_every_documented_one_exists() {
    let deploy = fs::read_to_string("docs/deploy.md").expect("read docs/deploy.md");
    let mut documented = BTreeSet::new();
    for row in deploy.lines().filter(|l| l.starts_with("| `")) {
        let first = row.split('|').nth(1).unwrap_or_default();
        for name in first.split('`').skip(1).step_by(2) {
            documented.insert(name.to_owned());
        }
    }
    let declared = template_parameters();
    assert!(declared.len() > 30, "{declared:?}");
    let missing: Vec<_> = declared.difference(&documented).collect();
    let unknown: Vec<_> = documented.difference(&declared).collect();
    assert!(missing.is_empty(), "not in docs/deploy.md: {missing:?}");
    assert!(
        unknown.is_empty(),
        "documented, not in template.yaml: {unknown:?}"
    );
}

#[test]
fn the_standby_retry_the_docs_describe_is_the_workflows() {
    let definition: serde_json::Value = serde_json::from_str(
        &fs::read_to_string("statemachine/recovery.asl.json").expect("read the definition"),
    )
    .expect("JSON");
    let retry = definition["States"]["RestoreDatabase"]["Retry"]
        .as_array()
        .expect("Retry")
        .iter()
        .find(|r| r["ErrorEquals"][0] == "StandbyNotReady")
        .expect("a StandbyNotReady retry")
        .clone();
    let words = format!(
        "up to {} times, {} s apart growing {}-fold to at most {} s",
        retry["MaxAttempts"],
        retry["IntervalSeconds"],
        retry["BackoffRate"],
        retry["MaxDelaySeconds"]
    );
    for page in ["docs/errors.md", "docs/workflow.md"] {
        let text = fs::read_to_string(page)
            .expect("read")
            .replace("\n   ", " ");
        assert!(text.contains(&words), "{page} should say \"{words}\"");
    }
}
