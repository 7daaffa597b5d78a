//! The shared AWS SDK set-up: time-outs and retries, the rustls HTTP client
//! and the roots it trusts ([`http`]), and SDK clients built once per region.

pub mod http;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader, Region, SdkConfig};
use aws_sdk_rds::config::SharedHttpClient;

pub use self::http::TrustRoots;

use crate::config::{ConfigError, Env, ProcessEnv, parse_var};

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
    /// The roots TLS trusts (`TLS_TRUST_ROOTS`, default `mozilla`).
    pub trust_roots: TrustRoots,
}

impl Default for SdkSettings {
    fn default() -> Self {
        SdkSettings {
            operation_timeout: Duration::from_secs(10),
            attempt_timeout: Duration::from_secs(4),
            connect_timeout: Duration::from_secs(2),
            max_attempts: 3,
            trust_roots: TrustRoots::default(),
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
            trust_roots: parse_var(env, "TLS_TRUST_ROOTS", d.trust_roots, TrustRoots::parse)?,
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
        .http_client(http::client(settings.trust_roots))
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

/// The HTTP client with the default trust ([`http::client`]), for tests.
/// It speaks plain HTTP too, for a local endpoint.
pub fn http_client() -> SharedHttpClient {
    http::client(TrustRoots::default())
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

/// The ARN partition of `region`: `aws-cn` for China, `aws-us-gov` for
/// GovCloud, `aws` elsewhere.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// SDK clients of one kind, built once per region and kept for the life of
/// the execution environment: a cross-region restore must not pay for a new
/// client (and its connection pool) on every invocation.
pub struct RegionalClients<C> {
    home_region: String,
    home: C,
    others: Mutex<HashMap<String, C>>,
    derive: fn(&C, &str) -> C,
}

impl<C: Clone> RegionalClients<C> {
    /// `home` serves `home_region`; `derive` makes a client for another
    /// region from it (same HTTP client, retries and credentials).
    pub fn new(home: C, home_region: impl Into<String>, derive: fn(&C, &str) -> C) -> Self {
        RegionalClients {
            home_region: home_region.into(),
            home,
            others: Mutex::new(HashMap::new()),
            derive,
        }
    }

    /// The function's own region.
    pub fn home_region(&self) -> &str {
        &self.home_region
    }

    /// The client for `region`, built on first use.
    pub fn get(&self, region: &str) -> C {
        if region == self.home_region {
            return self.home.clone();
        }
        // A poisoned lock only means another invocation panicked while
        // inserting; the map itself is still usable.
        let mut others = self
            .others
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        others
            .entry(region.to_owned())
            .or_insert_with(|| (self.derive)(&self.home, region))
            .clone()
    }
}

/// Defines `$name(client, region)`: a client of SDK crate `$sdk` for
/// another region, sharing everything else with `client`.
macro_rules! client_in_region {
    ($(#[$doc:meta])* $name:ident, $sdk:ident) => {
        $(#[$doc])*
        pub fn $name(client: &$sdk::Client, region: &str) -> $sdk::Client {
            $sdk::Client::from_conf(
                client
                    .config()
                    .to_builder()
                    .region(Region::new(region.to_owned()))
                    .build(),
            )
        }
    };
}

client_in_region!(
    /// An RDS client for another region, sharing everything else with `client`.
    rds_in_region,
    aws_sdk_rds
);
client_in_region!(
    /// An EC2 client for another region (readiness: security groups).
    ec2_in_region,
    aws_sdk_ec2
);
client_in_region!(
    /// A KMS client for another region (readiness: the keys of snapshots and backups).
    kms_in_region,
    aws_sdk_kms
);
client_in_region!(
    /// A CloudWatch client for another region (a standby's replication lag).
    cloudwatch_in_region,
    aws_sdk_cloudwatch
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_per_region_is_built_once_and_reused() {
        fn derive(home: &String, region: &str) -> String {
            format!("{home}>{region}")
        }
        let clients = RegionalClients::new("home".to_owned(), "us-east-1", derive);
        assert_eq!(clients.get("us-east-1"), "home");
        assert_eq!(clients.get("us-west-2"), "home>us-west-2");
        assert_eq!(clients.get("us-west-2"), "home>us-west-2");
        assert_eq!(clients.others.lock().unwrap().len(), 1);
    }

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
    fn the_system_bundle_is_a_setting_and_the_compiled_in_roots_the_default() {
        let system = SdkSettings::from_env(&[("TLS_TRUST_ROOTS", "system")]).unwrap();
        assert_eq!(system.trust_roots, TrustRoots::System);
        assert_eq!(SdkSettings::default().trust_roots, TrustRoots::Mozilla);
        let err = SdkSettings::from_env(&[("TLS_TRUST_ROOTS", "os")]).unwrap_err();
        assert_eq!(err.name, "TLS_TRUST_ROOTS");
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
