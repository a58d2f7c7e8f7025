//! Channels from one Pyred service to another.
//!
//! Every call made through a [`ServiceChannel`] carries the caller's W3C trace context
//! (so a request crossing services stays one trace), a deadline (the configured
//! inter-service timeout unless the call set a shorter one), so no call waits forever,
//! and the credentials of its [`Connector`]: a bearer key in `authorization`, over TLS
//! when the settings enable it (the URL's scheme then becomes `https`).

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
pub type ServiceChannel = InterceptedService<Channel, OutgoingContext>;

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
        let url = match (
            &self.tls,
            url.strip_prefix("http://"),
            url.strip_prefix("https://"),
        ) {
            (Some(_), Some(rest), _) => format!("https://{rest}"),
            (None, _, Some(rest)) => format!("http://{rest}"),
            _ => url.to_owned(),
        };
        let invalid = |source| ClientError::InvalidUrl {
            url: url.clone(),
            source,
        };
        let mut endpoint = Endpoint::from_shared(url.clone())
            .map_err(invalid)?
            .connect_timeout(self.timeout.min(Duration::from_secs(5)))
            .tcp_nodelay(true);
        if let Some(tls) = &self.tls {
            endpoint = endpoint.tls_config(tls.clone()).map_err(invalid)?;
        }
        Ok(InterceptedService::new(
            endpoint.connect_lazy(),
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
