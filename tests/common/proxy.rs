//! A fault-injecting HTTP proxy on loopback, in front of moto: requests whose
//! first line contains `fault_on` get a 503 (or, with `drop`, a closed
//! connection); all others are forwarded.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The running proxy: its URL and how many requests it failed.
pub struct FaultProxy {
    pub url: String,
    pub faults: Arc<AtomicUsize>,
}

/// Starts the proxy on a free loopback port; it runs until the test's runtime ends.
pub async fn start(upstream: &str, fault_on: &'static str, drop: bool) -> FaultProxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
    let url = format!("http://{}", listener.local_addr().expect("proxy address"));
    let upstream = upstream
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let faults = Arc::new(AtomicUsize::new(0));
    let counter = faults.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let (upstream, counter) = (upstream.clone(), counter.clone());
            tokio::spawn(async move {
                let _ = serve(client, &upstream, fault_on, drop, &counter).await;
            });
        }
    });
    FaultProxy { url, faults }
}

async fn serve(
    mut client: TcpStream,
    upstream: &str,
    fault_on: &str,
    drop: bool,
    faults: &AtomicUsize,
) -> std::io::Result<()> {
    let request = read_request(&mut client).await?;
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
