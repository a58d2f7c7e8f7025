//! Fetching feed pages over HTTP/1.1 (`https://`, and `http://` for loopback tests).
//!
//! A [`Fetcher`] GETs one URL at a time with hyper's client connection API, one request
//! per connection (the sync loop polls every 15 minutes, so pooling buys nothing). It
//! follows redirects, retries what may succeed later (connection errors, timeouts, 5xx,
//! 429) with exponential backoff, and refuses bodies over a size limit while streaming them,
//! never buffering more than the limit.
//!
//! Conditional requests keep polling cheap: pass the [`Validators`] of the previous answer
//! and an unchanged page comes back as [`Fetched::NotModified`]. A body comes back with the
//! URL finally fetched, against which the feed's relative `next` links are [`resolve`]d.
//!
//! TLS uses rustls with the ring provider, given explicitly, and the Mozilla roots of
//! `webpki-roots`. Only the identity content coding is understood, so no `Accept-Encoding`
//! is sent and a compressed answer is an error.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use rustls::RootCertStore;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio::time::{Instant, sleep, timeout, timeout_at};
use tokio_rustls::TlsConnector;
use tracing::{debug, warn};

/// The `Accept` header: Atom first, then any XML, then anything.
pub const ACCEPT: &str = "application/atom+xml, application/xml;q=0.9, */*;q=0.1";

/// The default `User-Agent`: `pyred-feed-sync/<version>`.
pub const USER_AGENT: &str = concat!("pyred-feed-sync/", env!("CARGO_PKG_VERSION"));

/// Why a fetch failed. Messages name the URL and are meant for users.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The URL (or a redirect target) cannot be parsed or resolved.
    #[error("invalid url {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The URL is neither `http://` nor `https://`.
    #[error("cannot fetch {url}: unsupported scheme {scheme:?} (only http and https)")]
    UnsupportedScheme {
        /// The URL.
        url: String,
        /// Its scheme.
        scheme: String,
    },
    /// The TLS client could not be set up.
    #[error("cannot set up tls: {source}")]
    TlsSetup {
        /// The rustls error.
        #[source]
        source: rustls::Error,
    },
    /// The TCP connection failed (including name resolution).
    #[error("cannot connect to {url}: {source}")]
    Connect {
        /// The URL.
        url: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The TLS handshake failed (certificate refused, protocol error, reset).
    #[error("tls handshake with {url} failed: {source}")]
    Tls {
        /// The URL.
        url: String,
        /// The I/O error wrapping the rustls error.
        #[source]
        source: std::io::Error,
    },
    /// Connecting (TCP and TLS) took longer than the connect timeout.
    #[error("connecting to {url} timed out after {after:?}")]
    ConnectTimeout {
        /// The URL.
        url: String,
        /// The connect timeout.
        after: Duration,
    },
    /// The whole exchange took longer than the timeout per attempt.
    #[error("fetching {url} timed out after {after:?}")]
    Timeout {
        /// The URL.
        url: String,
        /// The timeout per attempt.
        after: Duration,
    },
    /// The HTTP exchange failed before a response head was received.
    #[error("http request to {url} failed: {source}")]
    Http {
        /// The URL.
        url: String,
        /// The hyper error.
        #[source]
        source: hyper::Error,
    },
    /// The response body could not be read to its end (connection closed early…).
    #[error("reading the body of {url} failed: {source}")]
    Body {
        /// The URL.
        url: String,
        /// The hyper error.
        #[source]
        source: hyper::Error,
    },
    /// The server answered with a status that is not a success.
    #[error("{url} answered {status}")]
    Status {
        /// The URL.
        url: String,
        /// The status.
        status: StatusCode,
    },
    /// The body is larger than the limit; reading stopped at the limit.
    #[error("{url} is larger than the {max_bytes}-byte limit")]
    TooLarge {
        /// The URL.
        url: String,
        /// The limit in force.
        max_bytes: usize,
    },
    /// The body is compressed with a coding this client does not decode.
    #[error("{url} sent content-encoding {encoding:?}, which is not supported (only identity)")]
    UnsupportedEncoding {
        /// The URL.
        url: String,
        /// The `Content-Encoding` value.
        encoding: String,
    },
    /// A redirect answer has no usable `Location` header.
    #[error("{url} answered {status} without a usable location header")]
    BadRedirect {
        /// The URL.
        url: String,
        /// The redirect status.
        status: StatusCode,
    },
    /// The redirect chain is longer than allowed.
    #[error("{url} redirected more than {max} times")]
    TooManyRedirects {
        /// The URL first asked for.
        url: String,
        /// The most redirects followed.
        max: usize,
    },
}

impl FetchError {
    /// Whether trying again later may succeed: connection failures, timeouts, truncated
    /// bodies, 5xx and 429 answers. Other 4xx, size and URL errors are final.
    pub fn is_retryable(&self) -> bool {
        match self {
            FetchError::Connect { .. }
            | FetchError::ConnectTimeout { .. }
            | FetchError::Timeout { .. }
            | FetchError::Body { .. } => true,
            // rustls reports a refused certificate or a protocol error as InvalidData; a
            // reset or an early close during the handshake is worth another try.
            FetchError::Tls { source, .. } => source.kind() != std::io::ErrorKind::InvalidData,
            // A response that cannot be parsed will not parse better next time.
            FetchError::Http { source, .. } => !source.is_parse() && !source.is_user(),
            FetchError::Status { status, .. } => {
                status.is_server_error() || *status == StatusCode::TOO_MANY_REQUESTS
            }
            FetchError::InvalidUrl { .. }
            | FetchError::UnsupportedScheme { .. }
            | FetchError::TlsSetup { .. }
            | FetchError::TooLarge { .. }
            | FetchError::UnsupportedEncoding { .. }
            | FetchError::BadRedirect { .. }
            | FetchError::TooManyRedirects { .. } => false,
        }
    }
}

/// How a [`Fetcher`] connects, retries and bounds what it reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchOptions {
    /// Deadline for one attempt, from connecting to the last body byte (default 120 s).
    pub timeout: Duration,
    /// Deadline for the TCP connection and TLS handshake together (default 10 s).
    pub connect_timeout: Duration,
    /// Largest accepted body in bytes (default 64 MiB, the parser's own limit).
    pub max_bytes: usize,
    /// Attempts per URL, the first included (default 4; 0 is taken as 1).
    pub attempts: u32,
    /// Delay before the first retry (default 1 s); each further retry doubles it.
    pub backoff_initial: Duration,
    /// Longest delay between attempts, also the cap on `Retry-After` (default 30 s).
    pub backoff_max: Duration,
    /// Most redirects followed for one fetch (default 5).
    pub max_redirects: usize,
    /// The `User-Agent` header (default [`USER_AGENT`]).
    pub user_agent: String,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(10),
            max_bytes: 64 * 1024 * 1024,
            attempts: 4,
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(30),
            max_redirects: 5,
            user_agent: USER_AGENT.to_owned(),
        }
    }
}

impl FetchOptions {
    /// The delay after failed attempt number `attempt` (1-based): doubling, capped.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.backoff_initial
            .saturating_mul(factor)
            .min(self.backoff_max)
    }
}

/// The cache validators of a page, sent back to ask "has it changed since?".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// The `ETag` answered, sent back as `If-None-Match`.
    pub etag: Option<String>,
    /// The `Last-Modified` answered, sent back as `If-Modified-Since`.
    pub last_modified: Option<String>,
}

impl Validators {
    /// Whether there is nothing to send.
    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }

    fn from_headers(headers: &HeaderMap) -> Validators {
        let text = |name| {
            headers
                .get(name)
                .and_then(|value: &HeaderValue| value.to_str().ok())
                .map(str::to_owned)
        };
        Validators {
            etag: text(header::ETAG),
            last_modified: text(header::LAST_MODIFIED),
        }
    }
}

/// The outcome of a successful fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// 304: the page has not changed since the validators were given.
    NotModified,
    /// A 2xx answer, read whole.
    Body {
        /// The body, at most `max_bytes`.
        body: Bytes,
        /// The validators to send next time (empty when the server gives none).
        validators: Validators,
        /// The URL finally fetched, after redirects: the base for relative links.
        final_url: String,
    },
}

/// An HTTP/1.1 client for feed pages. Cheap to clone: clones share their configuration.
#[derive(Clone)]
pub struct Fetcher {
    inner: Arc<Inner>,
}

struct Inner {
    options: FetchOptions,
    tls: TlsConnector,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher")
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

impl Fetcher {
    /// A fetcher that trusts the Mozilla roots of `webpki-roots`.
    pub fn new(options: FetchOptions) -> Result<Fetcher, FetchError> {
        let roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        Fetcher::with_root_certificates(options, roots)
    }

    /// A fetcher that trusts only `roots` (a private authority, or a test certificate).
    pub fn with_root_certificates(
        options: FetchOptions,
        roots: RootCertStore,
    ) -> Result<Fetcher, FetchError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|source| FetchError::TlsSetup { source })?
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Fetcher {
            inner: Arc::new(Inner {
                options,
                tls: TlsConnector::from(Arc::new(config)),
            }),
        })
    }

    /// The options in force.
    pub fn options(&self) -> &FetchOptions {
        &self.inner.options
    }

    /// GETs `url`, conditionally when `validators` are given, following redirects and
    /// retrying transient failures; after the last attempt, the last error.
    pub async fn get(
        &self,
        url: &str,
        validators: Option<&Validators>,
    ) -> Result<Fetched, FetchError> {
        let options = &self.inner.options;
        let validators = validators.filter(|v| !v.is_empty());
        let mut current = url.trim().to_owned();
        let mut redirects = 0;
        loop {
            match self.get_with_retries(&current, validators).await? {
                Hop::Done(fetched) => return Ok(fetched),
                Hop::Redirect { status, location } => {
                    if redirects == options.max_redirects {
                        return Err(FetchError::TooManyRedirects {
                            url: url.to_owned(),
                            max: options.max_redirects,
                        });
                    }
                    redirects += 1;
                    let next = resolve(&current, &location)?;
                    debug!(from = %current, to = %next, status = status.as_u16(), "feed fetch redirected");
                    current = next;
                }
            }
        }
    }

    /// One URL, retried; redirects are returned, not followed.
    async fn get_with_retries(
        &self,
        url: &str,
        validators: Option<&Validators>,
    ) -> Result<Hop, FetchError> {
        let options = &self.inner.options;
        let target = Target::parse(url)?;
        let attempts = options.attempts.max(1);
        let mut attempt = 1;
        loop {
            let outcome = match timeout(options.timeout, self.exchange(&target, validators)).await {
                Ok(outcome) => outcome,
                Err(_) => Err(Failure::from(FetchError::Timeout {
                    url: target.url.clone(),
                    after: options.timeout,
                })),
            };
            let failure = match outcome {
                Ok(hop) => return Ok(hop),
                Err(failure) => failure,
            };
            if attempt >= attempts || !failure.error.is_retryable() {
                return Err(failure.error);
            }
            let delay = failure
                .retry_after
                .map_or_else(|| options.backoff(attempt), |d| d.min(options.backoff_max));
            warn!(
                url = %target.url,
                attempt,
                attempts,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                error = %failure.error,
                "feed fetch failed, retrying"
            );
            sleep(delay).await;
            attempt += 1;
        }
    }

    /// One attempt: connect, send, read the head and, for a 2xx, the body.
    async fn exchange(
        &self,
        target: &Target,
        validators: Option<&Validators>,
    ) -> Result<Hop, Failure> {
        let options = &self.inner.options;
        let deadline = Instant::now() + options.connect_timeout;
        let connect_timeout = || FetchError::ConnectTimeout {
            url: target.url.clone(),
            after: options.connect_timeout,
        };
        let tcp = timeout_at(
            deadline,
            TcpStream::connect((target.host.as_str(), target.port)),
        )
        .await
        .map_err(|_| connect_timeout())?
        .map_err(|source| FetchError::Connect {
            url: target.url.clone(),
            source,
        })?;
        // Only a latency nicety for the request head; failing to set it changes nothing.
        let _ = tcp.set_nodelay(true);
        match &target.tls_name {
            None => self.send(TokioIo::new(tcp), target, validators).await,
            Some(name) => {
                let tls = timeout_at(deadline, self.inner.tls.connect(name.clone(), tcp))
                    .await
                    .map_err(|_| connect_timeout())?
                    .map_err(|source| FetchError::Tls {
                        url: target.url.clone(),
                        source,
                    })?;
                self.send(TokioIo::new(tls), target, validators).await
            }
        }
    }

    async fn send<I>(
        &self,
        io: I,
        target: &Target,
        validators: Option<&Validators>,
    ) -> Result<Hop, Failure>
    where
        I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    {
        let options = &self.inner.options;
        let http_error = |source| FetchError::Http {
            url: target.url.clone(),
            source,
        };
        let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
            .await
            .map_err(http_error)?;
        let driver = AbortOnDrop(tokio::spawn(async move {
            if let Err(error) = connection.await {
                debug!(%error, "feed connection ended with an error");
            }
        }));
        let request = target.request(&options.user_agent, validators)?;
        let response = sender.send_request(request).await.map_err(http_error)?;
        let status = response.status();
        debug!(url = %target.url, status = status.as_u16(), "feed fetch answered");

        if is_redirect(status) {
            let location = response
                .headers()
                .get(header::LOCATION)
                .and_then(|value| value.to_str().ok())
                .map(str::trim)
                .filter(|location| !location.is_empty())
                .ok_or_else(|| FetchError::BadRedirect {
                    url: target.url.clone(),
                    status,
                })?;
            return Ok(Hop::Redirect {
                status,
                location: location.to_owned(),
            });
        }
        if status == StatusCode::NOT_MODIFIED && validators.is_some() {
            return Ok(Hop::Done(Fetched::NotModified));
        }
        if !status.is_success() {
            let retry_after = if status == StatusCode::TOO_MANY_REQUESTS
                || status == StatusCode::SERVICE_UNAVAILABLE
            {
                retry_after(response.headers())
            } else {
                None
            };
            return Err(Failure {
                error: FetchError::Status {
                    url: target.url.clone(),
                    status,
                },
                retry_after,
            });
        }

        check_identity_encoding(response.headers(), &target.url)?;
        let too_large = || FetchError::TooLarge {
            url: target.url.clone(),
            max_bytes: options.max_bytes,
        };
        let declared = content_length(response.headers());
        if declared.is_some_and(|length| length > options.max_bytes as u64) {
            return Err(too_large().into());
        }
        let validators = Validators::from_headers(response.headers());
        // Reserve what is announced, but not more than a few MiB on the server's word.
        let capacity = declared
            .and_then(|length| usize::try_from(length).ok())
            .unwrap_or(0)
            .min(options.max_bytes)
            .min(8 * 1024 * 1024);
        let mut buffer = BytesMut::with_capacity(capacity);
        let mut body = response.into_body();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|source| FetchError::Body {
                url: target.url.clone(),
                source,
            })?;
            if let Ok(data) = frame.into_data() {
                if buffer.len() + data.len() > options.max_bytes {
                    return Err(too_large().into());
                }
                buffer.extend_from_slice(&data);
            }
        }
        drop(driver);
        Ok(Hop::Done(Fetched::Body {
            body: buffer.freeze(),
            validators,
            final_url: target.url.clone(),
        }))
    }
}

/// What one request gave: a final outcome, or a redirect to follow.
enum Hop {
    Done(Fetched),
    Redirect {
        status: StatusCode,
        location: String,
    },
}

/// A failed attempt, with the server's `Retry-After` when it gave one.
struct Failure {
    error: FetchError,
    retry_after: Option<Duration>,
}

impl From<FetchError> for Failure {
    fn from(error: FetchError) -> Self {
        Failure {
            error,
            retry_after: None,
        }
    }
}

/// Stops the connection task when the exchange ends or is abandoned (timeout).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A URL ready to be fetched.
struct Target {
    /// The URL without its fragment, unsafe characters percent-encoded.
    url: String,
    /// The host to connect to (IPv6 without brackets).
    host: String,
    port: u16,
    /// The `Host` header.
    authority: String,
    /// The request target in origin form.
    path_and_query: String,
    /// The TLS server name, for `https`.
    tls_name: Option<ServerName<'static>>,
}

impl Target {
    fn parse(url: &str) -> Result<Target, FetchError> {
        let invalid = |reason: &str| FetchError::InvalidUrl {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let without_fragment = url.split_once('#').map_or(url, |(before, _)| before);
        let encoded = encode_unsafe(without_fragment);
        let uri: Uri = encoded
            .parse()
            .map_err(|error: http::uri::InvalidUri| invalid(&error.to_string()))?;
        let scheme = uri
            .scheme_str()
            .ok_or_else(|| invalid("not an absolute url"))?
            .to_ascii_lowercase();
        let https = match scheme.as_str() {
            "https" => true,
            "http" => false,
            _ => {
                return Err(FetchError::UnsupportedScheme {
                    url: url.to_owned(),
                    scheme,
                });
            }
        };
        let authority = uri.authority().ok_or_else(|| invalid("no host"))?;
        if authority.as_str().contains('@') {
            return Err(invalid(
                "user names and passwords in urls are not supported",
            ));
        }
        let bracketed = authority.host();
        if bracketed.is_empty() {
            return Err(invalid("no host"));
        }
        let host = bracketed
            .strip_prefix('[')
            .and_then(|inner| inner.strip_suffix(']'))
            .unwrap_or(bracketed)
            .to_owned();
        let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
        let tls_name = if https {
            let name = ServerName::try_from(host.clone())
                .map_err(|error| invalid(&format!("bad tls server name: {error}")))?;
            Some(name)
        } else {
            None
        };
        let path_and_query = uri
            .path_and_query()
            .map_or("/", |pq| pq.as_str())
            .to_owned();
        let path_and_query = if path_and_query.starts_with('/') {
            path_and_query
        } else {
            format!("/{path_and_query}")
        };
        Ok(Target {
            url: encoded.into_owned(),
            host,
            port,
            authority: authority.as_str().to_owned(),
            path_and_query,
            tls_name,
        })
    }

    fn request(
        &self,
        user_agent: &str,
        validators: Option<&Validators>,
    ) -> Result<Request<Empty<Bytes>>, FetchError> {
        let mut builder = Request::builder()
            .method(Method::GET)
            .uri(self.path_and_query.as_str())
            .header(header::HOST, self.authority.as_str())
            .header(header::USER_AGENT, user_agent)
            .header(header::ACCEPT, ACCEPT)
            .header(header::CONNECTION, "close");
        if let Some(validators) = validators {
            // Validators come from earlier response headers; one that is not a valid
            // header value any more is dropped, which only makes the request unconditional.
            let valid = |value: &Option<String>| {
                value
                    .as_deref()
                    .and_then(|value| HeaderValue::from_str(value).ok())
            };
            if let Some(etag) = valid(&validators.etag) {
                builder = builder.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(date) = valid(&validators.last_modified) {
                builder = builder.header(header::IF_MODIFIED_SINCE, date);
            }
        }
        builder
            .body(Empty::new())
            .map_err(|error| FetchError::InvalidUrl {
                url: self.url.clone(),
                reason: error.to_string(),
            })
    }
}

fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// `Retry-After` in seconds; the HTTP-date form is ignored (the backoff applies).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Refuses any `Content-Encoding` other than `identity`.
fn check_identity_encoding(headers: &HeaderMap, url: &str) -> Result<(), FetchError> {
    for value in headers.get_all(header::CONTENT_ENCODING) {
        let text = String::from_utf8_lossy(value.as_bytes());
        let supported = text
            .split(',')
            .map(str::trim)
            .all(|coding| coding.is_empty() || coding.eq_ignore_ascii_case("identity"));
        if !supported {
            return Err(FetchError::UnsupportedEncoding {
                url: url.to_owned(),
                encoding: text.into_owned(),
            });
        }
    }
    Ok(())
}

/// Percent-encodes the bytes a URL may not carry raw (spaces, non-ASCII, `"<>\^`{|}`), as
/// browsers do with links found in documents.
fn encode_unsafe(url: &str) -> Cow<'_, str> {
    let unsafe_byte = |b: u8| {
        b <= b' '
            || b >= 0x7f
            || matches!(
                b,
                b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}'
            )
    };
    if !url.bytes().any(unsafe_byte) {
        return Cow::Borrowed(url);
    }
    let mut encoded = String::with_capacity(url.len() + 16);
    for byte in url.bytes() {
        if unsafe_byte(byte) {
            encoded.push_str(&format!("%{byte:02X}"));
        } else {
            encoded.push(char::from(byte));
        }
    }
    Cow::Owned(encoded)
}

/// Resolves `reference` (a link or a `Location`) against the absolute URL `base`, as RFC 3986
/// section 5.2 says: absolute, scheme-relative `//host/path`, absolute-path `/x`, relative
/// `x`, query-only `?q` and fragment-only `#f` forms, with `.` and `..` segments removed.
pub fn resolve(base: &str, reference: &str) -> Result<String, FetchError> {
    let base_parts = UrlParts::split(base.trim());
    let Some(base_scheme) = base_parts.scheme else {
        return Err(FetchError::InvalidUrl {
            url: base.to_owned(),
            reason: "a base url must be absolute".to_owned(),
        });
    };
    let r = UrlParts::split(reference.trim());
    let target = if let Some(scheme) = r.scheme {
        UrlParts {
            scheme: Some(scheme),
            authority: r.authority,
            path: remove_dot_segments(&r.path).into(),
            query: r.query,
            fragment: r.fragment,
        }
    } else if r.authority.is_some() {
        UrlParts {
            scheme: Some(base_scheme),
            authority: r.authority,
            path: remove_dot_segments(&r.path).into(),
            query: r.query,
            fragment: r.fragment,
        }
    } else if r.path.is_empty() {
        UrlParts {
            scheme: Some(base_scheme),
            authority: base_parts.authority,
            path: base_parts.path,
            query: r.query.or(base_parts.query),
            fragment: r.fragment,
        }
    } else {
        let path = if r.path.starts_with('/') {
            remove_dot_segments(&r.path)
        } else {
            remove_dot_segments(&merge(&base_parts, &r.path))
        };
        UrlParts {
            scheme: Some(base_scheme),
            authority: base_parts.authority,
            path: path.into(),
            query: r.query,
            fragment: r.fragment,
        }
    };
    Ok(target.recompose())
}

/// The five components of a URI reference (RFC 3986 appendix B).
struct UrlParts<'a> {
    scheme: Option<&'a str>,
    authority: Option<&'a str>,
    path: Cow<'a, str>,
    query: Option<&'a str>,
    fragment: Option<&'a str>,
}

impl<'a> UrlParts<'a> {
    fn split(text: &'a str) -> UrlParts<'a> {
        let (rest, fragment) = match text.split_once('#') {
            Some((rest, fragment)) => (rest, Some(fragment)),
            None => (text, None),
        };
        let (rest, query) = match rest.split_once('?') {
            Some((rest, query)) => (rest, Some(query)),
            None => (rest, None),
        };
        let (scheme, rest) = match rest.split_once(':') {
            Some((scheme, after)) if is_scheme(scheme) => (Some(scheme), after),
            _ => (None, rest),
        };
        let (authority, path) = match rest.strip_prefix("//") {
            Some(after) => {
                let end = after.find('/').unwrap_or(after.len());
                (Some(&after[..end]), &after[end..])
            }
            None => (None, rest),
        };
        UrlParts {
            scheme,
            authority,
            path: Cow::Borrowed(path),
            query,
            fragment,
        }
    }

    fn recompose(&self) -> String {
        let mut out = String::new();
        if let Some(scheme) = self.scheme {
            out.push_str(scheme);
            out.push(':');
        }
        if let Some(authority) = self.authority {
            out.push_str("//");
            out.push_str(authority);
        }
        out.push_str(&self.path);
        if let Some(query) = self.query {
            out.push('?');
            out.push_str(query);
        }
        if let Some(fragment) = self.fragment {
            out.push('#');
            out.push_str(fragment);
        }
        out
    }
}

/// RFC 3986: `scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`.
fn is_scheme(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// RFC 3986 section 5.2.3.
fn merge(base: &UrlParts<'_>, reference_path: &str) -> String {
    if base.authority.is_some() && base.path.is_empty() {
        return format!("/{reference_path}");
    }
    match base.path.rfind('/') {
        Some(slash) => format!("{}{reference_path}", &base.path[..=slash]),
        None => reference_path.to_owned(),
    }
}

/// RFC 3986 section 5.2.4.
fn remove_dot_segments(path: &str) -> String {
    let mut input = path;
    let mut output = String::with_capacity(path.len());
    let pop_segment = |output: &mut String| match output.rfind('/') {
        Some(slash) => output.truncate(slash),
        None => output.clear(),
    };
    while !input.is_empty() {
        if let Some(rest) = input.strip_prefix("../") {
            input = rest;
        } else if let Some(rest) = input.strip_prefix("./") {
            input = rest;
        } else if input.starts_with("/./") {
            input = &input[2..];
        } else if input == "/." {
            input = "/";
        } else if input.starts_with("/../") {
            input = &input[3..];
            pop_segment(&mut output);
        } else if input == "/.." {
            input = "/";
            pop_segment(&mut output);
        } else if input == "." || input == ".." {
            input = "";
        } else {
            let start = usize::from(input.starts_with('/'));
            let end = input[start..].find('/').map_or(input.len(), |i| i + start);
            output.push_str(&input[..end]);
            input = &input[end..];
        }
    }
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let options = FetchOptions::default();
        let delays: Vec<u64> = (1..=7).map(|n| options.backoff(n).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(options.backoff(u32::MAX), Duration::from_secs(30));
    }

    #[test]
    fn targets_split_host_port_and_origin_form() -> Result<(), FetchError> {
        let target = Target::parse("https://contrataciondelestado.es/sindicacion/x.atom#top")?;
        assert_eq!(target.host, "contrataciondelestado.es");
        assert_eq!(target.port, 443);
        assert_eq!(target.path_and_query, "/sindicacion/x.atom");
        assert_eq!(
            target.url,
            "https://contrataciondelestado.es/sindicacion/x.atom"
        );
        assert!(target.tls_name.is_some());

        let target = Target::parse("http://[::1]:8080?page=2")?;
        assert_eq!(target.host, "::1");
        assert_eq!(target.port, 8080);
        assert_eq!(target.authority, "[::1]:8080");
        assert_eq!(target.path_and_query, "/?page=2");

        let target = Target::parse("http://127.0.0.1/a b/ñ.atom")?;
        assert_eq!(target.path_and_query, "/a%20b/%C3%B1.atom");

        assert!(matches!(
            Target::parse("ftp://example.org/x"),
            Err(FetchError::UnsupportedScheme { .. })
        ));
        assert!(matches!(
            Target::parse("http://user:secret@example.org/x"),
            Err(FetchError::InvalidUrl { .. })
        ));
        assert!(matches!(
            Target::parse("/relative"),
            Err(FetchError::InvalidUrl { .. })
        ));
        Ok(())
    }

    #[test]
    fn only_identity_encoding_is_accepted() {
        let mut headers = HeaderMap::new();
        assert!(check_identity_encoding(&headers, "u").is_ok());
        headers.insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_static("Identity"),
        );
        assert!(check_identity_encoding(&headers, "u").is_ok());
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        assert!(matches!(
            check_identity_encoding(&headers, "u"),
            Err(FetchError::UnsupportedEncoding { .. })
        ));
    }
}
