//! Configuration read once at init, from the environment.
//!
//! A missing or invalid variable fails the function at init with a
//! [`ConfigError`] naming the variable, so a bad deploy shows up at the first
//! cold start instead of in the middle of an outage.

use crate::validate::Globs;

/// A configuration variable that is missing or invalid.
#[derive(Debug, thiserror::Error)]
#[error("configuration variable {name}: {reason}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub name: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

impl ConfigError {
    /// A new error about variable `name`.
    pub fn new(name: &'static str, reason: impl Into<String>) -> Self {
        ConfigError {
            name,
            reason: reason.into(),
        }
    }
}

/// Reads a variable by name; `std::env::var` in production, a map in tests.
pub trait Env {
    /// The value of `name`, or `None` when unset. Empty counts as unset.
    fn get(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }
}

impl<const N: usize> Env for [(&str, &str); N] {
    fn get(&self, name: &str) -> Option<String> {
        self.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
            .filter(|v| !v.trim().is_empty())
    }
}

/// Parses an optional variable with `parse`, or returns `default`.
pub fn parse_var<T>(
    env: &dyn Env,
    name: &'static str,
    default: T,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<T, ConfigError> {
    match env.get(name) {
        None => Ok(default),
        Some(raw) => parse(raw.trim()).map_err(|reason| ConfigError::new(name, reason)),
    }
}

/// A required variable.
pub fn require_var(env: &dyn Env, name: &'static str) -> Result<String, ConfigError> {
    env.get(name)
        .map(|v| v.trim().to_owned())
        .ok_or_else(|| ConfigError::new(name, "is required but not set"))
}

/// An optional allowlist variable: comma-separated globs; unset means any.
pub fn allowlist(env: &dyn Env, name: &'static str) -> Result<Option<Globs>, ConfigError> {
    match env.get(name) {
        None => Ok(None),
        Some(list) => {
            let globs = Globs::parse(&list);
            if globs.is_empty() {
                return Err(ConfigError::new(name, "holds no pattern"));
            }
            Ok(Some(globs))
        }
    }
}

/// A `true`/`false` variable (also `1`/`0`, `yes`/`no`).
pub fn flag(env: &dyn Env, name: &'static str, default: bool) -> Result<bool, ConfigError> {
    parse_var(env, name, default, |raw| {
        match raw.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(true),
            "false" | "0" | "no" => Ok(false),
            _ => Err(format!("'{raw}' is not true or false")),
        }
    })
}
