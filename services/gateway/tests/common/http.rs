//! A minimal HTTP/1.1 client (one request per connection), over TLS when given a CA.

use std::net::SocketAddr;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Clone)]
pub struct Client {
    pub addr: SocketAddr,
    tls: Option<tokio_rustls::TlsConnector>,
}

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

impl Client {
    pub fn new(addr: SocketAddr, ca_pem: Option<&[u8]>) -> Self {
        let tls = ca_pem.map(|pem| {
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(pem) {
                roots.add(cert.expect("CA pem")).expect("CA added");
            }
            let config = rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .expect("protocols")
            .with_root_certificates(roots)
            .with_no_client_auth();
            tokio_rustls::TlsConnector::from(Arc::new(config))
        });
        Self { addr, tls }
    }

    pub async fn get(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        self.send("GET", path, headers, None).await
    }

    pub async fn json(
        &self,
        method: &str,
        path: &str,
        key: &str,
        body: &serde_json::Value,
    ) -> Reply {
        let auth = format!("Bearer {key}");
        self.send(
            method,
            path,
            &[("authorization", &auth)],
            Some(("application/json", body.to_string().into_bytes())),
        )
        .await
    }

    pub async fn get_as(&self, path: &str, key: &str) -> Reply {
        let auth = format!("Bearer {key}");
        self.send("GET", path, &[("authorization", &auth)], None)
            .await
    }

    /// A console form POST with the session `cookie` (urlencoded `body`).
    pub async fn post_form(&self, path: &str, cookie: &str, body: impl Into<String>) -> Reply {
        self.send(
            "POST",
            path,
            &[("cookie", cookie)],
            Some((
                "application/x-www-form-urlencoded",
                body.into().into_bytes(),
            )),
        )
        .await
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, Vec<u8>)>,
    ) -> Reply {
        let tcp = TcpStream::connect(self.addr).await.expect("connect");
        match &self.tls {
            Some(connector) => {
                let name = ServerName::try_from("localhost").expect("name");
                let stream = connector.connect(name, tcp).await.expect("TLS handshake");
                exchange(stream, &self.addr, method, path, headers, body).await
            }
            None => exchange(tcp, &self.addr, method, path, headers, body).await,
        }
    }
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    addr: &SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<(&str, Vec<u8>)>,
) -> Reply {
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    let body = match body {
        Some((content_type, bytes)) => {
            request.push_str(&format!(
                "content-type: {content_type}\r\ncontent-length: {}\r\n",
                bytes.len()
            ));
            bytes
        }
        None => {
            if method != "GET" && method != "DELETE" {
                request.push_str("content-length: 0\r\n");
            }
            Vec::new()
        }
    };
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    // A server may answer before reading the whole body (413 over the limit) and close:
    // a failed write of the body is not the test's failure, the reply says what happened.
    if stream.write_all(&body).await.is_ok() {
        let _ = stream.flush().await;
    }
    // Read until the body is complete by Content-Length or the last chunk, or the peer
    // closes (some servers keep the connection open despite `Connection: close`).
    let mut raw = Vec::new();
    let mut buffer = [0_u8; 16384];
    loop {
        if complete(&raw) {
            break;
        }
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => raw.extend_from_slice(&buffer[..n]),
        }
    }
    parse(&raw)
}

fn complete(raw: &[u8]) -> bool {
    let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let body = &raw[split + 4..];
    if let Some(length) = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse::<usize>().ok())
    {
        return body.len() >= length;
    }
    if head.contains("transfer-encoding: chunked") {
        return body.ends_with(b"0\r\n\r\n");
    }
    let status_line = head.lines().next().unwrap_or_default();
    status_line.contains(" 204 ") || status_line.contains(" 304 ")
}

fn parse(raw: &[u8]) -> Reply {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        let mut out = Vec::new();
        let mut rest = body.as_slice();
        while let Some(end) = rest.windows(2).position(|w| w == b"\r\n") {
            let size_text = String::from_utf8_lossy(&rest[..end]);
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16)
                .unwrap_or(0);
            if size == 0 {
                break;
            }
            let start = end + 2;
            out.extend_from_slice(&rest[start..start + size]);
            rest = &rest[start + size + 2..];
        }
        body = out;
    }
    Reply {
        status,
        headers,
        body,
    }
}
