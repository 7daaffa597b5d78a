//! The HTTP client of every SDK client, and the roots its TLS trusts.
//!
//! By default TLS trusts Mozilla's root program, compiled into the binary
//! (`webpki-roots`, what most rustls clients and browsers trust). Nothing is
//! read or parsed at start: the system bundle of 144 PEM roots took about
//! 3 ms of a 6 ms cold start to read and parse (BENCHMARKS.md). With
//! `TLS_TRUST_ROOTS=system` the system bundle is read instead, as
//! `rustls-native-certs` finds it (`SSL_CERT_FILE`, `SSL_CERT_DIR`).
//!
//! `aws-smithy-http-client` takes trust roots only as the system's or as PEM,
//! so this is a connector of our own, on the stack that crate itself uses
//! (hyper-util's client, hyper-rustls, rustls with ring), with what the SDK
//! relies on from it: a connect time-out over DNS, TCP and TLS together, a
//! read time-out, errors sorted into time-outs and I/O errors (both retried)
//! and the rest, and connections the SDK can poison after a transient error
//! so that a retry opens a new one.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use aws_smithy_runtime_api::client::connection::{CaptureSmithyConnection, ConnectionMetadata};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::ErrorKind;
use hyper::Uri;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{CaptureConnection, HttpConnector as TcpConnector};
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls::pki_types::CertificateDer;

type BoxError = Box<dyn StdError + Send + Sync>;

/// The roots TLS trusts (`TLS_TRUST_ROOTS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TrustRoots {
    /// Mozilla's root program, compiled in (`mozilla`, the default).
    #[default]
    Mozilla,
    /// The system's CA bundle, read and parsed when the client is built
    /// (`system`); honours `SSL_CERT_FILE` and `SSL_CERT_DIR`.
    System,
}

impl TrustRoots {
    /// Reads a `TLS_TRUST_ROOTS` value.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "mozilla" => Ok(TrustRoots::Mozilla),
            "system" => Ok(TrustRoots::System),
            _ => Err(format!("'{raw}' is neither mozilla nor system")),
        }
    }
}

/// The HTTP client for `trust`. It speaks plain HTTP too, for a local
/// endpoint such as moto.
pub fn client(trust: TrustRoots) -> SharedHttpClient {
    #[cfg(feature = "bench-extra-root")]
    if let (TrustRoots::Mozilla, Some(client)) = (trust, bench_client()) {
        return client;
    }
    let mut roots = rustls::RootCertStore::empty();
    match trust {
        TrustRoots::Mozilla => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        TrustRoots::System => {
            let found = rustls_native_certs::load_native_certs();
            for error in &found.errors {
                tracing::warn!(error = %error, "a system CA certificate could not be loaded");
            }
            let (added, _) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                // Every HTTPS call will fail, naming the certificate; say why now.
                tracing::warn!("TLS_TRUST_ROOTS=system found no usable CA certificate");
            }
        }
    }
    SharedHttpClient::new(RustlsClient::new(roots))
}

/// Test and benchmark only: the compiled-in roots plus the one PEM root
/// given, for a local TLS endpoint with a throwaway CA. Nothing in the
/// functions calls it; it is here so that tests and `scripts/bench` measure
/// the client the functions ship with, over TLS.
#[doc(hidden)]
pub fn client_trusting_also(extra_root_pem: &[u8]) -> Result<SharedHttpClient, String> {
    use rustls::pki_types::pem::PemObject;
    let root = CertificateDer::pem_slice_iter(extra_root_pem)
        .next()
        .ok_or("no certificate in the PEM")?
        .map_err(|e| format!("unreadable PEM: {e}"))?;
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    roots.add(root).map_err(|e| format!("unusable root: {e}"))?;
    Ok(SharedHttpClient::new(RustlsClient::new(roots)))
}

/// BENCHMARK BUILDS ONLY (cargo feature `bench-extra-root`, off by default and
/// never in a release the template deploys): the compiled-in roots plus the
/// PEM root at `$DR_BENCH_EXTRA_ROOT`, so that `scripts/bench` can measure the
/// first invocation over TLS against its own throwaway CA.
#[cfg(feature = "bench-extra-root")]
fn bench_client() -> Option<SharedHttpClient> {
    let pem = std::fs::read(std::env::var_os("DR_BENCH_EXTRA_ROOT")?).ok()?;
    client_trusting_also(&pem).ok()
}

/// Connectors per (connect, read) time-out, as the SDK asks for them.
type Connectors = HashMap<(Option<Duration>, Option<Duration>), SharedHttpConnector>;

/// An [`HttpClient`] whose TLS trusts the given roots.
struct RustlsClient {
    /// `None` only if ring lacked the default protocol versions, which it
    /// does not; every call then fails as a configuration error.
    tls: Option<rustls::ClientConfig>,
    connectors: Mutex<Connectors>,
}

impl fmt::Debug for RustlsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RustlsClient")
    }
}

impl RustlsClient {
    fn new(roots: rustls::RootCertStore) -> Self {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .ok()
            .map(|builder| builder.with_root_certificates(roots).with_no_client_auth());
        RustlsClient {
            tls,
            connectors: Mutex::new(HashMap::new()),
        }
    }
}

impl HttpClient for RustlsClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        let key = (settings.connect_timeout(), settings.read_timeout());
        // A poisoned lock only means another thread panicked while inserting.
        let mut connectors = self
            .connectors
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        connectors
            .entry(key)
            .or_insert_with(|| match &self.tls {
                Some(tls) => SharedHttpConnector::new(Connector::new(tls, key.0, key.1)),
                None => SharedHttpConnector::new(Unusable),
            })
            .clone()
    }
}

/// The connector when no TLS configuration could be built.
#[derive(Debug)]
struct Unusable;

impl HttpConnector for Unusable {
    fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
        HttpConnectorFuture::ready(Err(ConnectorError::other(
            "no TLS configuration could be built with ring".into(),
            None,
        )))
    }
}

type HttpsConnector = hyper_rustls::HttpsConnector<TcpConnector>;

/// One pool of connections, with the SDK's connect and read time-outs.
struct Connector {
    client: Client<ConnectTimeout<HttpsConnector>, SdkBody>,
    read_timeout: Option<Duration>,
}

impl fmt::Debug for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connector")
            .field("read_timeout", &self.read_timeout)
            .finish()
    }
}

impl Connector {
    fn new(
        tls: &rustls::ClientConfig,
        connect_timeout: Option<Duration>,
        read_timeout: Option<Duration>,
    ) -> Self {
        let mut tcp = TcpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        // hyper-rustls asserts that the configuration has no ALPN protocols
        // of its own: enable_http1 sets them.
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls.clone())
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp);
        let client = Client::builder(TokioExecutor::new())
            // The timer makes the pool's idle time-out work; 90 s as the SDK's.
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .build(ConnectTimeout {
                inner: https,
                limit: connect_timeout,
            });
        Connector {
            client,
            read_timeout,
        }
    }
}

impl HttpConnector for Connector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let mut request = match request.try_into_http1x() {
            Ok(request) => request,
            Err(err) => return HttpConnectorFuture::ready(Err(ConnectorError::user(err.into()))),
        };
        // Lets the SDK close this connection after a transient error, so
        // that the retry does not reuse it.
        let captured = hyper_util::client::legacy::connect::capture_connection(&mut request);
        if let Some(smithy) = request.extensions().get::<CaptureSmithyConnection>() {
            smithy.set_connection_retriever(move || connection_metadata(&captured));
        }
        let response = self.client.request(request);
        let read_timeout = self.read_timeout;
        HttpConnectorFuture::new(async move {
            let answered = match read_timeout {
                Some(limit) => match tokio::time::timeout(limit, response).await {
                    Ok(answered) => answered,
                    Err(_) => {
                        return Err(ConnectorError::timeout(
                            format!("no response within the read time-out of {limit:?}").into(),
                        ));
                    }
                },
                None => response.await,
            };
            match answered {
                Ok(response) => HttpResponse::try_from(response.map(SdkBody::from_body_1_x))
                    .map_err(|err| ConnectorError::other(err.into(), None)),
                Err(err) => Err(sort(err)),
            }
        })
    }
}

/// The SDK's view of the connection a request went out on: poisoning it
/// keeps it out of the pool.
fn connection_metadata(captured: &CaptureConnection) -> Option<ConnectionMetadata> {
    captured.connection_metadata().as_ref()?;
    let captured = captured.clone();
    Some(
        ConnectionMetadata::builder()
            .proxied(false)
            .poison_fn(move || {
                if let Some(connection) = captured.connection_metadata().as_ref() {
                    connection.poison();
                }
            })
            .build(),
    )
}

/// A connect time-out over the whole connection set-up: DNS, TCP and the TLS
/// handshake (hyper-util's own covers TCP only, split across the addresses).
#[derive(Clone)]
struct ConnectTimeout<C> {
    inner: C,
    limit: Option<Duration>,
}

/// The connection was not set up within the connect time-out.
#[derive(Debug)]
struct ConnectTimedOut(Duration);

impl fmt::Display for ConnectTimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no connection within the connect time-out of {:?}",
            self.0
        )
    }
}

impl StdError for ConnectTimedOut {}

impl<C> tower_service::Service<Uri> for ConnectTimeout<C>
where
    C: tower_service::Service<Uri>,
    C::Error: Into<BoxError>,
    C::Future: Send + 'static,
{
    type Response = C::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<C::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let connecting = self.inner.call(uri);
        let limit = self.limit;
        Box::pin(async move {
            match limit {
                Some(limit) => match tokio::time::timeout(limit, connecting).await {
                    Ok(connected) => connected.map_err(Into::into),
                    Err(_) => Err(Box::new(ConnectTimedOut(limit)) as BoxError),
                },
                None => connecting.await.map_err(Into::into),
            }
        })
    }
}

/// Sorts a hyper error as `aws-smithy-http-client` does: time-outs and I/O
/// errors are retried by the SDK, a user error is not, and an incomplete
/// answer is transient.
fn sort(err: hyper_util::client::legacy::Error) -> ConnectorError {
    let timed_out = chain(&err).any(|e| {
        e.is::<ConnectTimedOut>()
            || e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
    });
    if timed_out {
        return ConnectorError::timeout(err.into());
    }
    if err.is_connect() {
        return ConnectorError::io(err.into());
    }
    let hyper_error = chain(&err).find_map(|e| e.downcast_ref::<hyper::Error>());
    if let Some(h) = hyper_error {
        if h.is_timeout() {
            return ConnectorError::timeout(err.into());
        }
        if h.is_user() {
            return ConnectorError::user(err.into());
        }
        if h.is_incomplete_message() {
            return ConnectorError::other(err.into(), Some(ErrorKind::TransientError));
        }
        if h.is_closed() || h.is_canceled() {
            return ConnectorError::io(err.into());
        }
    }
    if chain(&err).any(|e| e.is::<std::io::Error>()) {
        return ConnectorError::io(err.into());
    }
    ConnectorError::other(err.into(), None)
}

/// `err` and each error after it in its chain.
fn chain<'a>(
    err: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(err), |&e| e.source())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_roots_are_read_from_their_two_names() {
        assert_eq!(TrustRoots::parse("mozilla"), Ok(TrustRoots::Mozilla));
        assert_eq!(TrustRoots::parse("system"), Ok(TrustRoots::System));
        assert_eq!(
            TrustRoots::parse("Mozilla"),
            Err("'Mozilla' is neither mozilla nor system".to_owned())
        );
    }
}
