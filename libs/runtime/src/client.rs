//! Channels from one Pyred service to another.
//!
//! Every call made through a [`ServiceChannel`] carries the caller's W3C trace context
//! (so a request crossing services stays one trace), a deadline (the configured
//! inter-service timeout unless the call set a shorter one), so no call waits forever,
//! and the credentials of its [`Connector`]: a bearer key in `authorization`, over TLS
//! when the settings enable it (the URL's scheme then becomes `https`).
//!
//! Scale-out: a service URL may list several replicas separated by commas
//! (`https://geo-a:50052,https://geo-b:50052`); calls are then balanced over them (tonic's
//! power-of-two-choices balancer, which skips replicas it cannot reach). Idempotent calls
//! (reads, searches, agency syncs and imports keyed by external id, stream set-up) that
//! fail because a replica is unreachable or answers `UNAVAILABLE` are retried on the
//! others within their deadline ([`Retrying`]), so a killed replica costs no failed call.

use std::time::Duration;

use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, ClientTlsConfig, Endpoint};

use crate::Settings;
use crate::config::Secret;
use crate::telemetry::inject_current_context;

/// Why a channel could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The address does not parse as a URI.
    #[error("invalid service address {url}: {source}")]
    InvalidUrl {
        /// The address given.
        url: String,
        /// The parse error.
        #[source]
        source: tonic::transport::Error,
    },
    /// The TLS configuration could not be loaded.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    /// The service token could not be read.
    #[error(transparent)]
    Secret(#[from] crate::secrets::SecretFileError),
    /// The address is empty.
    #[error("no service address given")]
    NoAddress,
    /// A key is not usable as a header value.
    #[error("the API key contains characters not allowed in a header")]
    BadKey,
}

/// Adds the trace context, a deadline and the credentials to every outgoing request.
#[derive(Debug, Clone)]
pub struct OutgoingContext {
    timeout: Duration,
    bearer: Option<MetadataValue<Ascii>>,
}

impl tonic::service::Interceptor for OutgoingContext {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        inject_current_context(request.metadata_mut());
        if request.metadata().get("grpc-timeout").is_none() {
            request.set_timeout(self.timeout);
        }
        if let Some(bearer) = &self.bearer
            && request.metadata().get("authorization").is_none()
        {
            request
                .metadata_mut()
                .insert("authorization", bearer.clone());
        }
        Ok(request)
    }
}

/// A channel to another service that propagates trace context and deadlines.
pub type ServiceChannel = InterceptedService<Retrying, OutgoingContext>;

/// Whether a call may be sent again after a failure that may have reached a server:
/// as declared per RPC in [`pyred_proto::idempotency`] (unknown RPCs: never).
pub fn is_idempotent(path: &str) -> bool {
    pyred_proto::idempotency::is_idempotent(path)
}

/// The deadline a request carries (`grpc-timeout`), if any.
fn deadline_of(headers: &http::HeaderMap) -> Option<std::time::Duration> {
    let value = headers.get("grpc-timeout")?.to_str().ok()?;
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount.saturating_mul(3600)),
        "M" => Duration::from_secs(amount.saturating_mul(60)),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

/// A channel that sends an idempotent call again, after a short pause, when it failed
/// before any answer (connection refused or reset) or was answered `UNAVAILABLE`, until
/// its deadline (at most 8 attempts).
#[derive(Debug, Clone)]
pub struct Retrying {
    inner: Channel,
}

impl Retrying {
    /// Wraps `inner`.
    pub fn new(inner: Channel) -> Self {
        Self { inner }
    }
}

fn unavailable(response: &http::Response<tonic::body::Body>) -> bool {
    response
        .headers()
        .get("grpc-status")
        .is_some_and(|code| code.as_bytes() == b"14")
}

impl tower::Service<http::Request<tonic::body::Body>> for Retrying {
    type Response = http::Response<tonic::body::Body>;
    type Error = tonic::transport::Error;
    type Future = futures::future::BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        tower::Service::poll_ready(&mut self.inner, cx)
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        use http_body_util::BodyExt as _;
        use tower::ServiceExt as _;
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        if !is_idempotent(request.uri().path()) {
            return Box::pin(tower::Service::call(&mut inner, request));
        }
        Box::pin(async move {
            let started = tokio::time::Instant::now();
            let budget = deadline_of(request.headers()).unwrap_or(Duration::from_secs(10));
            let (parts, body) = request.into_parts();
            // Unary requests are small: keep the bytes to send them again. A body that
            // cannot be read is never sent (an empty one would be a different request).
            let bytes = match body.collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(_) => {
                    return Ok(
                        tonic::Status::internal("the request body could not be read").into_http(),
                    );
                }
            };
            let rebuild = || {
                let mut request = http::Request::from_parts(
                    parts.clone(),
                    tonic::body::Body::new(http_body_util::Full::new(bytes.clone())),
                );
                *request.extensions_mut() = parts.extensions.clone();
                request
            };
            let mut pause = Duration::from_millis(25);
            let mut attempt = 1;
            loop {
                let outcome = inner.clone().oneshot(rebuild()).await;
                let retry = match &outcome {
                    Ok(response) => unavailable(response),
                    Err(_) => true,
                };
                let left = budget.saturating_sub(started.elapsed());
                if !retry || attempt >= 8 || left <= pause {
                    return outcome;
                }
                tracing::debug!(
                    path = parts.uri.path(),
                    attempt,
                    "retrying on another replica"
                );
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(400));
                attempt += 1;
            }
        })
    }
}

/// How to reach Pyred services: deadline, TLS and credentials.
#[derive(Debug, Clone)]
pub struct Connector {
    timeout: Duration,
    tls: Option<ClientTlsConfig>,
    bearer: Option<MetadataValue<Ascii>>,
}

impl Connector {
    /// Plaintext, no credentials (health probes of plaintext servers, tests).
    pub fn plain(timeout: Duration) -> Self {
        Self {
            timeout,
            tls: None,
            bearer: None,
        }
    }

    /// TLS as the settings say, no credentials yet.
    pub fn from_settings(settings: &Settings, timeout: Duration) -> Result<Self, ClientError> {
        Ok(Self {
            timeout,
            tls: crate::tls::client_config(settings)?,
            bearer: None,
        })
    }

    /// A service calling another: TLS as configured and the service token.
    pub fn for_service(settings: &Settings) -> Result<Self, ClientError> {
        let token = crate::secrets::service_token(settings)?;
        Self::from_settings(settings, settings.server.client_timeout())?.with_key(&token)
    }

    /// Sends `key` as `authorization: Bearer <key>` on every call.
    pub fn with_key(mut self, key: &Secret) -> Result<Self, ClientError> {
        let value = format!("Bearer {}", key.expose())
            .parse::<MetadataValue<Ascii>>()
            .map_err(|_| ClientError::BadKey)?;
        self.bearer = Some(value);
        Ok(self)
    }

    /// The same connector with another deadline.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Whether calls go over TLS.
    pub fn uses_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// A lazily connecting channel to `url`: no connection is attempted until the first
    /// call, so services can start in any order and reconnect when a peer restarts. The
    /// scheme follows TLS: `https` with it, `http` without.
    pub fn channel(&self, url: &str) -> Result<ServiceChannel, ClientError> {
        let mut endpoints = Vec::new();
        for one in url.split(',').map(str::trim).filter(|u| !u.is_empty()) {
            let one = match (
                &self.tls,
                one.strip_prefix("http://"),
                one.strip_prefix("https://"),
            ) {
                (Some(_), Some(rest), _) => format!("https://{rest}"),
                (None, _, Some(rest)) => format!("http://{rest}"),
                _ => one.to_owned(),
            };
            let invalid = |source| ClientError::InvalidUrl {
                url: one.clone(),
                source,
            };
            let mut endpoint = Endpoint::from_shared(one.clone())
                .map_err(invalid)?
                .connect_timeout(self.timeout.min(Duration::from_secs(5)))
                // Error details travel in headers: accept more than h2's 16 KB default.
                .http2_max_header_list_size(256 * 1024)
                .tcp_nodelay(true);
            if let Some(tls) = &self.tls {
                endpoint = endpoint.tls_config(tls.clone()).map_err(invalid)?;
            }
            endpoints.push(endpoint);
        }
        let channel = match endpoints.len() {
            0 => return Err(ClientError::NoAddress),
            1 => endpoints.remove(0).connect_lazy(),
            _ => Channel::balance_list(endpoints.into_iter()),
        };
        Ok(InterceptedService::new(
            Retrying::new(channel),
            OutgoingContext {
                timeout: self.timeout,
                bearer: self.bearer.clone(),
            },
        ))
    }
}

/// A lazily connecting plaintext channel without credentials; see [`Connector::channel`].
pub fn connect_lazy(url: &str, timeout: Duration) -> Result<ServiceChannel, ClientError> {
    Connector::plain(timeout).channel(url)
}

/// Asks a service's `grpc.health.v1.Health` whether `service` is SERVING.
pub async fn is_serving(channel: &ServiceChannel, service: &str) -> Result<(), String> {
    use tonic_health::pb::health_check_response::ServingStatus;
    let mut client = tonic_health::pb::health_client::HealthClient::new(channel.clone());
    let response = client
        .check(tonic_health::pb::HealthCheckRequest {
            service: service.to_owned(),
        })
        .await
        .map_err(|status| format!("{service}: {}", status.message()))?;
    if response.into_inner().status == ServingStatus::Serving as i32 {
        Ok(())
    } else {
        Err(format!("{service} is not serving"))
    }
}

/// Hands every page of a registry list to `each`, `page_size` at a time, until the last
/// page or until `each` says stop ([`pyred_proto::paging::each_page`]); `call` sends one
/// page's request with a fresh client over `channel`.
async fn each_registry_page<Request, Response, Answer>(
    channel: &ServiceChannel,
    page_size: i32,
    call: impl Fn(RegistryClient, Request) -> Answer,
    each: impl FnMut(Vec<Response::Item>) -> std::ops::ControlFlow<()>,
) -> Result<(), tonic::Status>
where
    Request: pyred_proto::paging::PagedRequest + Default,
    Response: pyred_proto::paging::PagedResponse,
    Answer: std::future::Future<Output = Result<tonic::Response<Response>, tonic::Status>>,
{
    pyred_proto::paging::each_page(
        Request::default(),
        page_size,
        |request| {
            let answer = call(RegistryClient::new(channel.clone()), request);
            async move { answer.await.map(tonic::Response::into_inner) }
        },
        each,
    )
    .await
}

type RegistryClient =
    pyred_proto::v1::company_registry_client::CompanyRegistryClient<ServiceChannel>;

/// Every page of the registry's firms the caller of `channel` may list, to `each`.
pub async fn each_company_page(
    channel: &ServiceChannel,
    page_size: i32,
    each: impl FnMut(Vec<pyred_proto::v1::Company>) -> std::ops::ControlFlow<()>,
) -> Result<(), tonic::Status> {
    let call = |mut registry: RegistryClient, request: pyred_proto::v1::ListCompaniesRequest| async move {
        registry.list_companies(request).await
    };
    each_registry_page(channel, page_size, call, each).await
}

/// Every page of the registry's listings the caller of `channel` may list, to `each`.
pub async fn each_opportunity_page(
    channel: &ServiceChannel,
    page_size: i32,
    each: impl FnMut(Vec<pyred_proto::v1::Opportunity>) -> std::ops::ControlFlow<()>,
) -> Result<(), tonic::Status> {
    let call = |mut registry: RegistryClient,
                request: pyred_proto::v1::ListOpportunitiesRequest| async move {
        registry.list_opportunities(request).await
    };
    each_registry_page(channel, page_size, call, each).await
}
