//! The functions' HTTP client over real TLS, against a local endpoint whose
//! certificate a throwaway CA signed (tests/fixtures/tls: `localhost` and
//! 127.0.0.1, valid for a century; the CA's key was deleted once the server
//! certificate was signed).
//!
//! The compiled-in Mozilla roots refuse that CA, so verification is on; the
//! test-only client that also trusts it completes the handshake and the call.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_rds::config::{BehaviorVersion, Credentials, Region, SharedHttpClient};
use aws_sdk_rds::error::DisplayErrorContext;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const CA: &[u8] = include_bytes!("fixtures/tls/ca.pem");
const CERT: &[u8] = include_bytes!("fixtures/tls/server.pem");
const KEY: &[u8] = include_bytes!("fixtures/tls/server-key.pem");

const ANSWER: &str = "<DescribeDBInstancesResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\">\
    <DescribeDBInstancesResult><DBInstances/></DescribeDBInstancesResult>\
    <ResponseMetadata><RequestId>tls</RequestId></ResponseMetadata></DescribeDBInstancesResponse>";

/// An HTTPS endpoint on loopback that answers every request with an empty
/// DescribeDBInstances result. Returns its URL.
async fn https_endpoint() -> String {
    let cert = CertificateDer::from_pem_slice(CERT).expect("the fixture certificate");
    let key = PrivateKeyDer::from_pem_slice(KEY).expect("the fixture key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .expect("the server certificate");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A refused handshake is what one of the tests expects.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while let Ok(n) = tls.read(&mut buf).await {
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&buf[..n]);
                    if complete(&request) {
                        break;
                    }
                }
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{ANSWER}",
                    ANSWER.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    format!("https://localhost:{port}")
}

/// Whether `request` holds its headers and the body they announce.
fn complete(request: &[u8]) -> bool {
    let text = String::from_utf8_lossy(request);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    let length = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    body.len() >= length
}

fn rds(endpoint: &str, http: SharedHttpClient) -> aws_sdk_rds::Client {
    rds_with(endpoint, http, Duration::from_secs(2))
}

fn rds_with(endpoint: &str, http: SharedHttpClient, connect: Duration) -> aws_sdk_rds::Client {
    let config = aws_sdk_rds::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .http_client(http)
        .timeout_config(
            aws_sdk_rds::config::timeout::TimeoutConfig::builder()
                .operation_timeout(Duration::from_secs(5))
                .connect_timeout(connect)
                .build(),
        )
        .retry_config(aws_sdk_rds::config::retry::RetryConfig::standard().with_max_attempts(1))
        .build();
    aws_sdk_rds::Client::from_conf(config)
}

#[tokio::test]
async fn the_compiled_in_roots_refuse_a_certificate_of_an_unknown_ca() {
    let endpoint = https_endpoint().await;

    let err = rds(&endpoint, dr_lambdas::aws::http_client())
        .describe_db_instances()
        .send()
        .await
        .unwrap_err();

    let text = DisplayErrorContext(&err).to_string();
    assert!(text.contains("UnknownIssuer"), "{text}");
}

#[tokio::test]
async fn with_the_test_ca_added_the_call_completes_over_tls() {
    let endpoint = https_endpoint().await;
    let http = dr_lambdas::aws::http::client_trusting_also(CA).expect("the test CA");

    let answer = rds(&endpoint, http)
        .describe_db_instances()
        .send()
        .await
        .map_err(|e| DisplayErrorContext(e).to_string())
        .unwrap();

    assert_eq!(answer.db_instances().len(), 0);
}

#[tokio::test]
async fn a_tls_handshake_that_never_comes_ends_within_the_connect_timeout() {
    // Accepts TCP connections and never says a word: the handshake hangs.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((tcp, _)) = listener.accept().await {
            held.push(tcp);
        }
    });
    let client = rds_with(
        &format!("https://localhost:{port}"),
        dr_lambdas::aws::http_client(),
        Duration::from_millis(300),
    );
    let started = std::time::Instant::now();

    let err = client.describe_db_instances().send().await.unwrap_err();

    let elapsed = started.elapsed();
    let text = DisplayErrorContext(&err).to_string();
    assert!(
        text.contains("no connection within the connect time-out of 300ms"),
        "{text}"
    );
    assert!(
        elapsed < Duration::from_secs(2),
        "took {elapsed:?}, not about the 300 ms connect time-out"
    );
    match &err {
        aws_sdk_rds::error::SdkError::DispatchFailure(failure) => {
            assert!(failure.is_timeout(), "{text}")
        }
        other => panic!("not a dispatch failure: {other:?}"),
    }
}
