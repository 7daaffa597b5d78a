//! Logs never hold the AWS secret key or the session token, even at TRACE,
//! where the SDK and hyper log the most.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use aws_sdk_rds::config::{Credentials, Region};
use dr_lambdas::aws::{SdkSettings, sdk_config_loader};
use dr_lambdas::restore::RestoreHandler;
use dr_lambdas::runtime::{Handler, Invocation};
use lambda_runtime::tracing::subscriber::fmt::MakeWriter;
use serde_json::json;

const SECRET: &str = "SECRETKEYMARKERx9Qw2Lr7Zt5Vn1Bk3Hs8Jd4Fg6";
const TOKEN: &str = "SESSIONTOKENMARKERa1b2c3d4e5f6g7h8i9j0";

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn trace_logs_of_a_restore_hold_neither_the_secret_key_nor_the_session_token() {
    let url = moto_or_skip!();
    let capture = Capture::default();
    let subscriber = lambda_runtime::tracing::subscriber::fmt()
        .with_max_level(lambda_runtime::tracing::Level::TRACE)
        .with_writer(capture.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let config = sdk_config_loader(&SdkSettings::default())
        .endpoint_url(&url)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "AKIAMARKER",
            SECRET,
            Some(TOKEN.to_owned()),
            None,
            "test",
        ))
        .load()
        .await;
    let handler = RestoreHandler::new(aws_sdk_rds::Client::new(&config), "us-east-1", None);

    // A snapshot that does not exist: every read is made, and an error is logged too.
    let result = handler
        .handle(
            json!({"db_instance": common::unique("dr"), "snapshot_id": "no-such-snapshot"}),
            &Invocation::new("req-secret"),
        )
        .await;

    assert_eq!(result.unwrap_err().name(), "SnapshotNotFound");
    let logs = String::from_utf8_lossy(&capture.0.lock().unwrap()).into_owned();
    assert!(
        logs.contains("restore requested"),
        "the capture saw nothing"
    );
    assert!(logs.len() > 1000, "TRACE logged only {} bytes", logs.len());
    assert!(!logs.contains(SECRET), "the secret key was logged");
    assert!(!logs.contains(TOKEN), "the session token was logged");
}
