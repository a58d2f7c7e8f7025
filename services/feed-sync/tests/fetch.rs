//! The fetcher against a real loopback HTTP/1.1 server (plain and TLS) written here: a
//! scripted answer per request, every request recorded, port 0, tiny backoffs.

use std::error::Error;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use pyred_feed_sync::fetch::{
    ACCEPT, FetchError, FetchOptions, Fetched, Fetcher, Validators, resolve,
};
use rustls::RootCertStore;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

type TestResult = Result<(), Box<dyn Error>>;

// --- the test server ---------------------------------------------------------------------

/// A request as the server read it: the request target and the headers (names lowercase).
#[derive(Debug, Clone)]
struct Recorded {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
}

impl Recorded {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(found, _)| found == name)
            .map(|(_, value)| value.as_str())
    }
}

/// What the server does with one request.
enum Reply {
    /// Writes these bytes, then closes the connection.
    Send(Vec<u8>),
    /// Answers nothing for a long time.
    Stall,
    /// Streams chunks forever (until the client goes away).
    EndlessChunks,
}

type Script = dyn Fn(usize, &Recorded) -> Reply + Send + Sync;

struct Server {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    /// Serves plain HTTP; `script(n, request)` answers the `n`-th request (0-based).
    async fn start(
        script: impl Fn(usize, &Recorded) -> Reply + Send + Sync + 'static,
    ) -> Result<Server, Box<dyn Error>> {
        Server::start_with(None, Arc::new(script)).await
    }

    async fn start_with(
        tls: Option<tokio_rustls::TlsAcceptor>,
        script: Arc<Script>,
    ) -> Result<Server, Box<dyn Error>> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&requests);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let script = Arc::clone(&script);
                let recorded = Arc::clone(&recorded);
                let tls = tls.clone();
                tokio::spawn(async move {
                    match tls {
                        None => handle(stream, &*script, &recorded).await,
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(stream).await {
                                handle(stream, &*script, &recorded).await;
                            }
                        }
                    }
                });
            }
        });
        Ok(Server {
            addr,
            requests,
            task,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn requests(&self) -> Vec<Recorded> {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn count(&self) -> usize {
        self.requests().len()
    }
}

async fn handle<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    script: &Script,
    recorded: &Mutex<Vec<Recorded>>,
) {
    let Some(request) = read_head(&mut stream).await else {
        return;
    };
    let reply = {
        let mut all = recorded.lock().unwrap_or_else(PoisonError::into_inner);
        all.push(request.clone());
        script(all.len() - 1, &request)
    };
    match reply {
        Reply::Send(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.flush().await;
            let _ = stream.shutdown().await;
        }
        Reply::Stall => tokio::time::sleep(Duration::from_secs(10)).await,
        Reply::EndlessChunks => {
            let head = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n";
            if stream.write_all(head).await.is_err() {
                return;
            }
            let chunk = [b"400\r\n".as_slice(), &[b'x'; 0x400], b"\r\n"].concat();
            // Bounded anyway, so a fetcher that buffers everything fails instead of hanging.
            for _ in 0..100_000 {
                if stream.write_all(&chunk).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Reads a request head (request line and headers); a GET has no body.
async fn read_head<S: AsyncRead + Unpin>(stream: &mut S) -> Option<Recorded> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 64 * 1024 || stream.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8(head).ok()?;
    let mut lines = text.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let target = request_line.next()?.to_owned();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    Some(Recorded {
        method,
        target,
        headers,
    })
}

/// A response with a `content-length` body.
fn response(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut out = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\n", body.len());
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    Reply::Send(bytes)
}

/// A response with a chunked body, one chunk per slice.
fn chunked(status: &str, chunks: &[&[u8]]) -> Reply {
    let mut bytes = format!("HTTP/1.1 {status}\r\ntransfer-encoding: chunked\r\n\r\n").into_bytes();
    for chunk in chunks {
        bytes.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        bytes.extend_from_slice(chunk);
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(b"0\r\n\r\n");
    Reply::Send(bytes)
}

fn redirect(status: &str, location: &str) -> Reply {
    response(status, &[("location", location)], b"")
}

/// Options that keep every test well under a second.
fn fast() -> FetchOptions {
    FetchOptions {
        timeout: Duration::from_secs(2),
        connect_timeout: Duration::from_secs(1),
        backoff_initial: Duration::from_millis(1),
        backoff_max: Duration::from_millis(5),
        ..FetchOptions::default()
    }
}

fn fetcher(options: FetchOptions) -> Result<Fetcher, FetchError> {
    Fetcher::new(options)
}

fn body_of(fetched: Fetched) -> Result<(Vec<u8>, Validators, String), Box<dyn Error>> {
    match fetched {
        Fetched::Body {
            body,
            validators,
            final_url,
        } => Ok((body.to_vec(), validators, final_url)),
        Fetched::NotModified => Err("expected a body, got not modified".into()),
    }
}

// --- tests ---------------------------------------------------------------------------------

#[tokio::test]
async fn a_200_gives_the_body_and_its_validators() -> TestResult {
    let server = Server::start(|_, _| {
        response(
            "200 OK",
            &[
                ("content-type", "application/atom+xml"),
                ("etag", "\"v1-abc\""),
                ("last-modified", "Tue, 03 Mar 2026 10:00:00 GMT"),
            ],
            b"<feed>notices</feed>",
        )
    })
    .await?;
    let url = server.url("/sindicacion/feed.atom?page=1");
    let (body, validators, final_url) = body_of(fetcher(fast())?.get(&url, None).await?)?;
    assert_eq!(body, b"<feed>notices</feed>");
    assert_eq!(
        validators,
        Validators {
            etag: Some("\"v1-abc\"".into()),
            last_modified: Some("Tue, 03 Mar 2026 10:00:00 GMT".into()),
        }
    );
    assert_eq!(final_url, url);

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "GET");
    assert_eq!(request.target, "/sindicacion/feed.atom?page=1");
    assert_eq!(
        request.header("host"),
        Some(server.addr.to_string().as_str())
    );
    assert_eq!(request.header("accept"), Some(ACCEPT));
    let agent = request.header("user-agent").unwrap_or_default();
    assert!(agent.starts_with("pyred-feed-sync/"), "{agent}");
    assert_eq!(request.header("accept-encoding"), None);
    assert_eq!(request.header("if-none-match"), None);
    assert_eq!(request.header("if-modified-since"), None);
    Ok(())
}

#[tokio::test]
async fn a_chunked_body_is_assembled() -> TestResult {
    let server =
        Server::start(|_, _| chunked("200 OK", &[b"<feed>", b"two chunks", b"</feed>"])).await?;
    let (body, validators, _) = body_of(fetcher(fast())?.get(&server.url("/"), None).await?)?;
    assert_eq!(body, b"<feed>two chunks</feed>");
    assert!(validators.is_empty());
    Ok(())
}

#[tokio::test]
async fn a_conditional_request_sends_the_validators_and_a_304_is_not_modified() -> TestResult {
    let server = Server::start(|_, request| {
        if request.header("if-none-match") == Some("\"v1\"") {
            response("304 Not Modified", &[("etag", "\"v1\"")], b"")
        } else {
            response("200 OK", &[], b"changed")
        }
    })
    .await?;
    let validators = Validators {
        etag: Some("\"v1\"".into()),
        last_modified: Some("Tue, 03 Mar 2026 10:00:00 GMT".into()),
    };
    let fetched = fetcher(fast())?
        .get(&server.url("/feed"), Some(&validators))
        .await?;
    assert_eq!(fetched, Fetched::NotModified);
    let requests = server.requests();
    assert_eq!(requests[0].header("if-none-match"), Some("\"v1\""));
    assert_eq!(
        requests[0].header("if-modified-since"),
        Some("Tue, 03 Mar 2026 10:00:00 GMT")
    );

    // Empty validators make an unconditional request.
    let (body, _, _) = body_of(
        fetcher(fast())?
            .get(&server.url("/feed"), Some(&Validators::default()))
            .await?,
    )?;
    assert_eq!(body, b"changed");
    assert_eq!(server.requests()[1].header("if-none-match"), None);
    Ok(())
}

#[tokio::test]
async fn a_304_to_an_unconditional_request_is_an_error() -> TestResult {
    let server = Server::start(|_, _| response("304 Not Modified", &[], b"")).await?;
    let result = fetcher(fast())?.get(&server.url("/feed"), None).await;
    assert!(matches!(result, Err(FetchError::Status { status, .. }) if status == 304));
    Ok(())
}

#[tokio::test]
async fn redirects_are_followed_and_the_final_url_reported() -> TestResult {
    let server = Server::start(|_, request| {
        // Every Location form: relative, absolute-path, scheme-relative, dot segments, absolute.
        match request.target.as_str() {
            "/a" => redirect("301 Moved Permanently", "b"),
            "/b" => redirect("302 Found", "/dir/c"),
            "/dir/c" => {
                let host = request.header("host").unwrap_or_default();
                redirect("303 See Other", &format!("//{host}/dir/sub/d?x=1"))
            }
            "/dir/sub/d?x=1" => redirect("307 Temporary Redirect", "../e"),
            "/dir/e" => {
                let host = request.header("host").unwrap_or_default();
                redirect(
                    "308 Permanent Redirect",
                    &format!("http://{host}/final.atom?y=2"),
                )
            }
            "/final.atom?y=2" => response("200 OK", &[], b"arrived"),
            _ => response("404 Not Found", &[], b""),
        }
    })
    .await?;
    let (body, _, final_url) = body_of(fetcher(fast())?.get(&server.url("/a"), None).await?)?;
    assert_eq!(body, b"arrived");
    assert_eq!(final_url, server.url("/final.atom?y=2"));
    let targets: Vec<String> = server.requests().into_iter().map(|r| r.target).collect();
    assert_eq!(
        targets,
        [
            "/a",
            "/b",
            "/dir/c",
            "/dir/sub/d?x=1",
            "/dir/e",
            "/final.atom?y=2"
        ]
    );
    Ok(())
}

#[tokio::test]
async fn more_than_five_redirects_are_refused() -> TestResult {
    let server = Server::start(|n, _| redirect("302 Found", &format!("/r{}", n + 1))).await?;
    let url = server.url("/r0");
    let result = fetcher(fast())?.get(&url, None).await;
    match result {
        Err(error @ FetchError::TooManyRedirects { .. }) => {
            assert_eq!(
                error.to_string(),
                format!("{url} redirected more than 5 times")
            );
        }
        other => return Err(format!("expected too many redirects, got {other:?}").into()),
    }
    // The original request and five redirects followed; the sixth is not.
    assert_eq!(server.count(), 6);
    Ok(())
}

#[tokio::test]
async fn a_redirect_without_location_is_an_error() -> TestResult {
    let server = Server::start(|_, _| response("302 Found", &[], b"")).await?;
    let result = fetcher(fast())?.get(&server.url("/"), None).await;
    assert!(
        matches!(result, Err(FetchError::BadRedirect { .. })),
        "{result:?}"
    );
    assert_eq!(server.count(), 1);
    Ok(())
}

#[tokio::test]
async fn server_errors_are_retried() -> TestResult {
    let server = Server::start(|n, _| {
        if n < 2 {
            response("503 Service Unavailable", &[], b"busy")
        } else {
            response("200 OK", &[], b"at last")
        }
    })
    .await?;
    let (body, _, _) = body_of(fetcher(fast())?.get(&server.url("/"), None).await?)?;
    assert_eq!(body, b"at last");
    assert_eq!(server.count(), 3);
    Ok(())
}

#[tokio::test]
async fn after_the_last_attempt_the_last_error_is_returned() -> TestResult {
    let server = Server::start(|n, _| {
        if n < 3 {
            response("503 Service Unavailable", &[], b"")
        } else {
            response("500 Internal Server Error", &[], b"")
        }
    })
    .await?;
    let url = server.url("/feed");
    let result = fetcher(fast())?.get(&url, None).await;
    match result {
        Err(error @ FetchError::Status { .. }) => {
            assert_eq!(
                error.to_string(),
                format!("{url} answered 500 Internal Server Error")
            );
        }
        other => return Err(format!("expected a 500, got {other:?}").into()),
    }
    assert_eq!(server.count(), 4);
    Ok(())
}

#[tokio::test]
async fn a_404_is_not_retried() -> TestResult {
    let server = Server::start(|_, _| response("404 Not Found", &[], b"no such feed")).await?;
    let url = server.url("/missing.atom");
    let result = fetcher(fast())?.get(&url, None).await;
    match result {
        Err(error @ FetchError::Status { status, .. }) => {
            assert_eq!(status, 404);
            assert!(!error.is_retryable());
            assert_eq!(error.to_string(), format!("{url} answered 404 Not Found"));
        }
        other => return Err(format!("expected a 404, got {other:?}").into()),
    }
    assert_eq!(server.count(), 1);
    Ok(())
}

#[tokio::test]
async fn a_429_waits_for_retry_after_instead_of_the_backoff() -> TestResult {
    let server = Server::start(|n, _| {
        if n == 0 {
            response("429 Too Many Requests", &[("retry-after", "0")], b"")
        } else {
            response("200 OK", &[], b"ok")
        }
    })
    .await?;
    // A backoff of a minute: only Retry-After: 0 lets the test finish in time.
    let options = FetchOptions {
        backoff_initial: Duration::from_secs(60),
        backoff_max: Duration::from_secs(60),
        ..fast()
    };
    let fetch = fetcher(options)?;
    let result =
        tokio::time::timeout(Duration::from_secs(2), fetch.get(&server.url("/"), None)).await?;
    let (body, _, _) = body_of(result?)?;
    assert_eq!(body, b"ok");
    assert_eq!(server.count(), 2);
    Ok(())
}

#[tokio::test]
async fn retry_after_is_capped_by_the_backoff_cap() -> TestResult {
    let server = Server::start(|n, _| {
        if n == 0 {
            response("429 Too Many Requests", &[("retry-after", "3600")], b"")
        } else {
            response("200 OK", &[], b"ok")
        }
    })
    .await?;
    let started = Instant::now();
    let (body, _, _) = body_of(fetcher(fast())?.get(&server.url("/"), None).await?)?;
    assert_eq!(body, b"ok");
    assert!(started.elapsed() < Duration::from_secs(1));
    Ok(())
}

#[tokio::test]
async fn a_body_announced_over_the_limit_is_refused_unread() -> TestResult {
    let big = vec![b'x'; 5000];
    let server = Server::start(move |_, _| response("200 OK", &[], &big)).await?;
    let url = server.url("/big.atom");
    let options = FetchOptions {
        max_bytes: 1000,
        ..fast()
    };
    let result = fetcher(options)?.get(&url, None).await;
    match result {
        Err(error @ FetchError::TooLarge { .. }) => {
            assert_eq!(
                error.to_string(),
                format!("{url} is larger than the 1000-byte limit")
            );
        }
        other => return Err(format!("expected too large, got {other:?}").into()),
    }
    assert_eq!(server.count(), 1);
    Ok(())
}

#[tokio::test]
async fn an_endless_chunked_body_is_cut_at_the_limit() -> TestResult {
    let server = Server::start(|_, _| Reply::EndlessChunks).await?;
    let options = FetchOptions {
        max_bytes: 100_000,
        ..fast()
    };
    let result = fetcher(options)?.get(&server.url("/stream"), None).await;
    assert!(
        matches!(
            result,
            Err(FetchError::TooLarge {
                max_bytes: 100_000,
                ..
            })
        ),
        "{result:?}"
    );
    assert_eq!(server.count(), 1);
    Ok(())
}

#[tokio::test]
async fn a_body_exactly_at_the_limit_is_accepted() -> TestResult {
    let server = Server::start(|_, _| chunked("200 OK", &[&[b'a'; 600], &[b'b'; 400]])).await?;
    let options = FetchOptions {
        max_bytes: 1000,
        ..fast()
    };
    let (body, _, _) = body_of(fetcher(options)?.get(&server.url("/"), None).await?)?;
    assert_eq!(body.len(), 1000);
    Ok(())
}

#[tokio::test]
async fn a_connection_closed_mid_body_is_retried_then_reported() -> TestResult {
    let server = Server::start(|_, _| {
        let mut bytes = b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n".to_vec();
        bytes.extend_from_slice(b"only ten b");
        Reply::Send(bytes)
    })
    .await?;
    let options = FetchOptions {
        attempts: 3,
        ..fast()
    };
    let result = fetcher(options)?.get(&server.url("/cut"), None).await;
    assert!(matches!(result, Err(FetchError::Body { .. })), "{result:?}");
    assert_eq!(server.count(), 3);
    Ok(())
}

#[tokio::test]
async fn a_silent_server_times_out_each_attempt() -> TestResult {
    let server = Server::start(|_, _| Reply::Stall).await?;
    let options = FetchOptions {
        timeout: Duration::from_millis(100),
        attempts: 2,
        ..fast()
    };
    let started = Instant::now();
    let result = fetcher(options)?.get(&server.url("/slow"), None).await;
    assert!(
        matches!(&result, Err(FetchError::Timeout { after, .. }) if *after == Duration::from_millis(100)),
        "{result:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(server.count(), 2);
    Ok(())
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_reported() -> TestResult {
    // A port that was just free: nothing listens on it any more.
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    drop(listener);
    let url = format!("http://{addr}/feed");
    let result = fetcher(fast())?.get(&url, None).await;
    match result {
        Err(error @ FetchError::Connect { .. }) => {
            assert!(error.is_retryable());
            assert!(
                error
                    .to_string()
                    .starts_with(&format!("cannot connect to {url}: "))
            );
        }
        other => return Err(format!("expected a connect error, got {other:?}").into()),
    }
    Ok(())
}

#[tokio::test]
async fn a_compressed_body_is_refused() -> TestResult {
    let server =
        Server::start(|_, _| response("200 OK", &[("content-encoding", "gzip")], b"\x1f\x8b"))
            .await?;
    let result = fetcher(fast())?.get(&server.url("/"), None).await;
    match result {
        Err(error @ FetchError::UnsupportedEncoding { .. }) => {
            assert!(error.to_string().contains("\"gzip\""), "{error}");
        }
        other => return Err(format!("expected unsupported encoding, got {other:?}").into()),
    }
    assert_eq!(server.count(), 1);
    Ok(())
}

#[tokio::test]
async fn unsupported_urls_fail_before_connecting() -> TestResult {
    let fetch = fetcher(fast())?;
    assert!(matches!(
        fetch.get("ftp://ted.europa.eu/feed", None).await,
        Err(FetchError::UnsupportedScheme { .. })
    ));
    assert!(matches!(
        fetch.get("not a url", None).await,
        Err(FetchError::InvalidUrl { .. })
    ));
    Ok(())
}

// --- https -----------------------------------------------------------------------------------

/// A TLS acceptor with a fresh self-signed certificate for 127.0.0.1, and that certificate.
fn tls_acceptor() -> Result<(tokio_rustls::TlsAcceptor, CertificateDer<'static>), Box<dyn Error>> {
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()])?;
    let cert = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)?;
    Ok((tokio_rustls::TlsAcceptor::from(Arc::new(config)), cert))
}

#[tokio::test]
async fn https_is_fetched_over_rustls() -> TestResult {
    let (acceptor, cert) = tls_acceptor()?;
    let script: Arc<Script> =
        Arc::new(|_, _| response("200 OK", &[("etag", "\"tls\"")], b"<feed/>"));
    let server = Server::start_with(Some(acceptor), script).await?;
    let url = format!("https://{}/feed.atom", server.addr);

    let mut roots = RootCertStore::empty();
    roots.add(cert)?;
    let fetch = Fetcher::with_root_certificates(fast(), roots)?;
    let (body, validators, final_url) = body_of(fetch.get(&url, None).await?)?;
    assert_eq!(body, b"<feed/>");
    assert_eq!(validators.etag.as_deref(), Some("\"tls\""));
    assert_eq!(final_url, url);

    // The public roots do not trust a self-signed certificate, and retrying will not help.
    let result = fetcher(fast())?.get(&url, None).await;
    match result {
        Err(error @ FetchError::Tls { .. }) => assert!(!error.is_retryable(), "{error}"),
        other => return Err(format!("expected a tls error, got {other:?}").into()),
    }
    assert_eq!(server.count(), 1);
    Ok(())
}

// --- resolve --------------------------------------------------------------------------------

#[test]
fn references_resolve_as_rfc_3986_says() -> TestResult {
    // RFC 3986 section 5.4, normal and abnormal examples.
    let base = "http://a/b/c/d;p?q";
    let cases = [
        ("g:h", "g:h"),
        ("g", "http://a/b/c/g"),
        ("./g", "http://a/b/c/g"),
        ("g/", "http://a/b/c/g/"),
        ("/g", "http://a/g"),
        ("//g", "http://g"),
        ("?y", "http://a/b/c/d;p?y"),
        ("g?y", "http://a/b/c/g?y"),
        ("#s", "http://a/b/c/d;p?q#s"),
        ("g#s", "http://a/b/c/g#s"),
        ("g?y#s", "http://a/b/c/g?y#s"),
        (";x", "http://a/b/c/;x"),
        ("g;x", "http://a/b/c/g;x"),
        ("g;x?y#s", "http://a/b/c/g;x?y#s"),
        ("", "http://a/b/c/d;p?q"),
        (".", "http://a/b/c/"),
        ("./", "http://a/b/c/"),
        ("..", "http://a/b/"),
        ("../", "http://a/b/"),
        ("../g", "http://a/b/g"),
        ("../..", "http://a/"),
        ("../../", "http://a/"),
        ("../../g", "http://a/g"),
        ("../../../g", "http://a/g"),
        ("../../../../g", "http://a/g"),
        ("/./g", "http://a/g"),
        ("/../g", "http://a/g"),
        ("g.", "http://a/b/c/g."),
        (".g", "http://a/b/c/.g"),
        ("g..", "http://a/b/c/g.."),
        ("..g", "http://a/b/c/..g"),
        ("./../g", "http://a/b/g"),
        ("./g/.", "http://a/b/c/g/"),
        ("g/./h", "http://a/b/c/g/h"),
        ("g/../h", "http://a/b/c/h"),
        ("g;x=1/./y", "http://a/b/c/g;x=1/y"),
        ("g;x=1/../y", "http://a/b/c/y"),
        ("g?y/./x", "http://a/b/c/g?y/./x"),
        ("g?y/../x", "http://a/b/c/g?y/../x"),
        ("g#s/./x", "http://a/b/c/g#s/./x"),
        ("g#s/../x", "http://a/b/c/g#s/../x"),
        ("http:g", "http:g"),
    ];
    for (reference, expected) in cases {
        assert_eq!(
            resolve(base, reference)?,
            expected,
            "reference {reference:?}"
        );
    }

    // The shapes feeds and servers use.
    let page = "https://contrataciondelestado.es/sindicacion/sindicacion_643/licitacionesPerfilesContratanteCompleto3.atom";
    assert_eq!(
        resolve(
            page,
            "licitacionesPerfilesContratanteCompleto3_20260303_101500.atom"
        )?,
        "https://contrataciondelestado.es/sindicacion/sindicacion_643/licitacionesPerfilesContratanteCompleto3_20260303_101500.atom"
    );
    assert_eq!(
        resolve("https://ted.europa.eu", "feed?page=2")?,
        "https://ted.europa.eu/feed?page=2"
    );
    assert_eq!(
        resolve("https://h.example/a/b", " https://other.example/x ")?,
        "https://other.example/x"
    );
    assert!(matches!(
        resolve("/relative/base", "x"),
        Err(FetchError::InvalidUrl { .. })
    ));
    Ok(())
}
