//! A minimal HTTP/1.1 endpoint for Prometheus and probes, in plaintext on its own port:
//!
//! - `GET /metrics`: the exposition (text format 0.0.4);
//! - `GET /ready`: 200 while the service says it is ready ([`Metrics::set_ready`],
//!   mirrored from its gRPC health status), 503 otherwise. Kubernetes' `grpc:` probes
//!   cannot speak TLS, so when the gRPC port is TLS-only this is the readiness probe;
//! - `GET /live`: 200 while the process answers at all (a liveness probe);
//! - anything else: 404 (405 for methods other than GET and HEAD).
//!
//! Hand-rolled on tokio rather than on hyper: it reads one request head (at most
//! [`MAX_HEAD_BYTES`], within [`READ_TIMEOUT`]), answers with `Connection: close`, and
//! closes. Prometheus opens a connection per scrape without complaint, and the endpoint
//! then needs no keep-alive, chunking or pipelining logic.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::registry::{CONTENT_TYPE, Metrics};

/// Largest request head read before answering 431.
pub const MAX_HEAD_BYTES: usize = 8 * 1024;
/// Time a client has to send its request head.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once; further ones wait in the accept backlog.
pub const MAX_CONNECTIONS: usize = 32;

/// Serves `GET /metrics`, `/ready` and `/live` (and `HEAD`) on `listener` until
/// `shutdown` is cancelled; other paths answer 404, other methods 405. Returns when the token is cancelled, or
/// with the error of a failing listener.
pub async fn serve(
    listener: TcpListener,
    metrics: Metrics,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let permits = std::sync::Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let permit = tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => return Ok(()),
            },
        };
        let (stream, peer) = tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) if transient(&error) => {
                    tracing::warn!(%error, "metrics endpoint: accept failed");
                    continue;
                }
                Err(error) => return Err(error),
            },
        };
        let metrics = metrics.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = shutdown.cancelled() => {}
                result = answer(stream, &metrics) => {
                    if let Err(error) = result {
                        tracing::debug!(%error, %peer, "metrics endpoint: connection failed");
                    }
                }
            }
            drop(permit);
        });
    }
}

/// Accept errors that concern one connection (or a passing shortage), not the listener.
fn transient(error: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionReset, Interrupted, WouldBlock};
    matches!(
        error.kind(),
        ConnectionAborted | ConnectionReset | Interrupted | WouldBlock
    ) || error.raw_os_error() == Some(24) // EMFILE: too many open files, for now
}

async fn answer(mut stream: TcpStream, metrics: &Metrics) -> std::io::Result<()> {
    let head = match tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream)).await {
        Ok(head) => head?,
        Err(_elapsed) => return Ok(()),
    };
    let response = match head {
        Head::TooLarge => reply(
            "431 Request Header Fields Too Large",
            "text/plain",
            b"",
            true,
        ),
        Head::Closed => return Ok(()),
        Head::Complete(head) => route(&head, metrics),
    };
    stream.write_all(&response).await?;
    stream.shutdown().await
}

enum Head {
    Complete(Vec<u8>),
    TooLarge,
    Closed,
}

async fn read_head(stream: &mut TcpStream) -> std::io::Result<Head> {
    let mut head = Vec::with_capacity(1024);
    let mut buffer = [0u8; 1024];
    loop {
        let read = stream.read(&mut buffer).await?;
        if read == 0 {
            return Ok(Head::Closed);
        }
        head.extend_from_slice(&buffer[..read]);
        if let Some(end) = find(&head, b"\r\n\r\n").or_else(|| find(&head, b"\n\n")) {
            head.truncate(end);
            return Ok(Head::Complete(head));
        }
        if head.len() > MAX_HEAD_BYTES {
            return Ok(Head::TooLarge);
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn route(head: &[u8], metrics: &Metrics) -> Vec<u8> {
    let text = String::from_utf8_lossy(head);
    let request_line = text.lines().next().unwrap_or_default();
    let mut parts = request_line.split_ascii_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    match (method, path) {
        ("GET" | "HEAD", "/metrics") => {
            let body = metrics.render();
            reply("200 OK", CONTENT_TYPE, body.as_bytes(), method == "GET")
        }
        ("GET" | "HEAD", "/ready") if metrics.is_ready() => reply(
            "200 OK",
            "text/plain; charset=utf-8",
            b"ready\n",
            method == "GET",
        ),
        ("GET" | "HEAD", "/ready") => reply(
            "503 Service Unavailable",
            "text/plain; charset=utf-8",
            b"not ready\n",
            method == "GET",
        ),
        ("GET" | "HEAD", "/live") => reply(
            "200 OK",
            "text/plain; charset=utf-8",
            b"alive\n",
            method == "GET",
        ),
        ("GET" | "HEAD", _) => reply(
            "404 Not Found",
            "text/plain; charset=utf-8",
            b"not found: try /metrics, /ready or /live\n",
            method == "GET",
        ),
        _ => reply(
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            b"method not allowed\n",
            true,
        ),
    }
}

fn reply(status: &str, content_type: &str, body: &[u8], with_body: bool) -> Vec<u8> {
    let mut response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if status.starts_with("405") {
        response.push_str("Allow: GET, HEAD\r\n");
    }
    response.push_str("\r\n");
    let mut response = response.into_bytes();
    if with_body {
        response.extend_from_slice(body);
    }
    response
}
