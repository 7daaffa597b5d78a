//! Configuration read once at init, and the shared AWS SDK set-up.
//!
//! A missing or invalid variable fails the function at init with a
//! [`ConfigError`] naming the variable, so a bad deploy shows up at the first
//! cold start instead of in the middle of an outage.

use std::time::Duration;

use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader, Region, SdkConfig};
use aws_sdk_rds::config::SharedHttpClient;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};

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

fn seconds(raw: &str) -> Result<Duration, String> {
    match raw.parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 900.0 => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!(
            "'{raw}' is not a number of seconds between 0 and 900"
        )),
    }
}

/// Time-outs and retries of every AWS call.
///
/// The defaults keep a whole invocation (at most five sequential calls) well
/// inside the 60-second function time-out of `template.yaml`.
#[derive(Debug, Clone, PartialEq)]
pub struct SdkSettings {
    /// One AWS operation, all its retries included (`SDK_OPERATION_TIMEOUT_SECONDS`, default 10).
    pub operation_timeout: Duration,
    /// One HTTP attempt (`SDK_ATTEMPT_TIMEOUT_SECONDS`, default 4).
    pub attempt_timeout: Duration,
    /// Opening a connection (`SDK_CONNECT_TIMEOUT_SECONDS`, default 2).
    pub connect_timeout: Duration,
    /// Attempts per operation, the first included (`SDK_MAX_ATTEMPTS`, default 3).
    pub max_attempts: u32,
}

impl Default for SdkSettings {
    fn default() -> Self {
        SdkSettings {
            operation_timeout: Duration::from_secs(10),
            attempt_timeout: Duration::from_secs(4),
            connect_timeout: Duration::from_secs(2),
            max_attempts: 3,
        }
    }
}

impl SdkSettings {
    /// Reads the `SDK_*` variables; unset ones take their defaults.
    pub fn from_env(env: &dyn Env) -> Result<Self, ConfigError> {
        let d = SdkSettings::default();
        let s = SdkSettings {
            operation_timeout: parse_var(
                env,
                "SDK_OPERATION_TIMEOUT_SECONDS",
                d.operation_timeout,
                seconds,
            )?,
            attempt_timeout: parse_var(
                env,
                "SDK_ATTEMPT_TIMEOUT_SECONDS",
                d.attempt_timeout,
                seconds,
            )?,
            connect_timeout: parse_var(
                env,
                "SDK_CONNECT_TIMEOUT_SECONDS",
                d.connect_timeout,
                seconds,
            )?,
            max_attempts: parse_var(env, "SDK_MAX_ATTEMPTS", d.max_attempts, |raw| {
                match raw.parse::<u32>() {
                    Ok(n @ 1..=10) => Ok(n),
                    _ => Err(format!("'{raw}' is not a whole number from 1 to 10")),
                }
            })?,
        };
        if s.attempt_timeout > s.operation_timeout {
            return Err(ConfigError::new(
                "SDK_ATTEMPT_TIMEOUT_SECONDS",
                "must not exceed SDK_OPERATION_TIMEOUT_SECONDS",
            ));
        }
        Ok(s)
    }

    /// Standard retry mode (exponential back-off with jitter) with our attempt count.
    pub fn retry_config(&self) -> RetryConfig {
        RetryConfig::standard().with_max_attempts(self.max_attempts)
    }

    /// The operation, attempt and connect time-outs.
    pub fn timeout_config(&self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .operation_timeout(self.operation_timeout)
            .operation_attempt_timeout(self.attempt_timeout)
            .connect_timeout(self.connect_timeout)
            .build()
    }
}

/// The shared SDK configuration loader: TLS through rustls with ring, our
/// retries and time-outs. Tests set an endpoint and credentials on it and
/// load it as production does.
///
/// Lambda puts the region and the role's credentials in the environment.
/// When they are there, they are used directly: the default chains would
/// first build profile, web-identity, ECS and IMDS providers, which cost a
/// cold start milliseconds (`examples/init_breakdown.rs`, BENCHMARKS.md)
/// and are never asked.
pub fn sdk_config_loader(settings: &SdkSettings) -> ConfigLoader {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client())
        .retry_config(settings.retry_config())
        .timeout_config(settings.timeout_config());
    if let Some(region) = ProcessEnv.get("AWS_REGION") {
        loader = loader.region(Region::new(region));
    }
    if ProcessEnv.get("AWS_ACCESS_KEY_ID").is_some()
        && ProcessEnv.get("AWS_SECRET_ACCESS_KEY").is_some()
    {
        loader = loader.credentials_provider(EnvironmentVariableCredentialsProvider::new());
    }
    loader
}

/// Loads the shared SDK configuration ([`sdk_config_loader`]).
///
/// `AWS_ENDPOINT_URL` (read by aws-config) points every client at a local
/// AWS such as moto.
pub async fn load_sdk_config(settings: &SdkSettings) -> SdkConfig {
    sdk_config_loader(settings).load().await
}

/// The HTTP client of every SDK client: hyper with rustls and ring, which
/// builds faster and smaller than the aws-lc default. It speaks plain HTTP too,
/// for a local endpoint.
pub fn http_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// The function's own region, which aws-config found at load time.
pub fn home_region(config: &SdkConfig) -> Result<String, ConfigError> {
    config
        .region()
        .map(|r| r.as_ref().to_owned())
        .ok_or_else(|| {
            ConfigError::new(
                "AWS_REGION",
                "is not set and no region was found in the AWS profile",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        assert_eq!(SdkSettings::from_env(&[]).unwrap(), SdkSettings::default());
    }

    #[test]
    fn time_outs_are_read_in_seconds() {
        let env = [
            ("SDK_OPERATION_TIMEOUT_SECONDS", "7.5"),
            ("SDK_ATTEMPT_TIMEOUT_SECONDS", "2"),
        ];
        let s = SdkSettings::from_env(&env).unwrap();
        assert_eq!(s.operation_timeout, Duration::from_millis(7500));
        assert_eq!(s.attempt_timeout, Duration::from_secs(2));
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let err = SdkSettings::from_env(&[("SDK_MAX_ATTEMPTS", "lots")]).unwrap_err();
        assert_eq!(err.name, "SDK_MAX_ATTEMPTS");
        assert_eq!(
            err.to_string(),
            "configuration variable SDK_MAX_ATTEMPTS: 'lots' is not a whole number from 1 to 10"
        );
    }

    #[test]
    fn an_attempt_longer_than_the_operation_is_refused() {
        let env = [
            ("SDK_OPERATION_TIMEOUT_SECONDS", "3"),
            ("SDK_ATTEMPT_TIMEOUT_SECONDS", "5"),
        ];
        assert_eq!(
            SdkSettings::from_env(&env).unwrap_err().name,
            "SDK_ATTEMPT_TIMEOUT_SECONDS"
        );
    }
}
