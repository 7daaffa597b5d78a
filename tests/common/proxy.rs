//! A fault-injecting HTTP proxy on loopback, in front of moto: requests whose
//! first line contains `fault_on` get a 503 (or, with `drop`, a closed
//! connection); all others are forwarded. Every request is recorded.
//! [`answering`] instead answers the requests whose text contains a marker
//! with a fixed 200 body: an operation moto does not implement.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The running proxy: its URL, how many requests it failed, and every
/// request it received (head and body, as text).
pub struct FaultProxy {
    pub url: String,
    pub faults: Arc<AtomicUsize>,
    pub requests: Arc<Mutex<Vec<String>>>,
}

/// A proxy that fails nothing: it only records.
pub async fn recording(upstream: &str) -> FaultProxy {
    start(upstream, "\u{0}never", false).await
}

/// A proxy that answers every request containing `marker` (its action,
/// e.g. `Action=DescribeAccountAttributes`) with `body` (XML), counted in
/// `faults`; all others are forwarded.
pub async fn answering(upstream: &str, marker: &'static str, body: &'static str) -> FaultProxy {
    launch(upstream, "\u{0}never", false, Some((marker, body))).await
}

/// Starts the proxy on a free loopback port; it runs until the test's runtime ends.
pub async fn start(upstream: &str, fault_on: &'static str, drop: bool) -> FaultProxy {
    launch(upstream, fault_on, drop, None).await
}

async fn launch(
    upstream: &str,
    fault_on: &'static str,
    drop: bool,
    answer: Option<(&'static str, &'static str)>,
) -> FaultProxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
    let url = format!("http://{}", listener.local_addr().expect("proxy address"));
    let upstream = upstream
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let faults = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let (counter, seen) = (faults.clone(), requests.clone());
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let (upstream, counter, seen) = (upstream.clone(), counter.clone(), seen.clone());
            tokio::spawn(async move {
                let _ = serve(client, &upstream, fault_on, drop, answer, &counter, &seen).await;
            });
        }
    });
    FaultProxy {
        url,
        faults,
        requests,
    }
}

async fn serve(
    mut client: TcpStream,
    upstream: &str,
    fault_on: &str,
    drop: bool,
    answer: Option<(&str, &str)>,
    faults: &AtomicUsize,
    seen: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let request = read_request(&mut client).await?;
    let text = String::from_utf8_lossy(&request).into_owned();
    seen.lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .push(text.clone());
    if let Some((_, body)) = answer.filter(|(marker, _)| text.contains(marker)) {
        faults.fetch_add(1, Ordering::SeqCst);
        client
            .write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            )
            .await?;
        return client.shutdown().await;
    }
    let head_end = request
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(request.len());
    let head = String::from_utf8_lossy(&request[..head_end]).into_owned();
    let first_line = head.lines().next().unwrap_or_default().to_owned();
    if first_line.contains(fault_on) {
        faults.fetch_add(1, Ordering::SeqCst);
        if !drop {
            client
                .write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .await?;
        }
        return Ok(());
    }
    // One request per upstream connection: ask moto to close after answering.
    let mut rewritten: Vec<u8> = Vec::with_capacity(request.len() + 32);
    for line in head.split("\r\n") {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            rewritten.extend_from_slice(line.as_bytes());
            rewritten.extend_from_slice(b"\r\n");
        }
    }
    rewritten.extend_from_slice(b"Connection: close\r\n\r\n");
    rewritten.extend_from_slice(&request[(head_end + 4).min(request.len())..]);
    let mut server = TcpStream::connect(upstream).await?;
    server.write_all(&rewritten).await?;
    let mut response = Vec::new();
    server.read_to_end(&mut response).await?;
    client.write_all(&response).await?;
    client.shutdown().await
}

/// Reads one request: the head, then as many body bytes as Content-Length says.
async fn read_request(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(buf);
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + length {
                let n = stream.read(&mut chunk).await?;
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Ok(buf);
        }
    }
}
