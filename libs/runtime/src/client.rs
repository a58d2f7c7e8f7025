//! Channels from one Pyred service to another.
//!
//! Every call made through a [`ServiceChannel`] carries the caller's W3C trace context
//! (so a request crossing services stays one trace) and a deadline (the configured
//! inter-service timeout unless the call set a shorter one), so no call waits forever.

use std::time::Duration;

use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

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
}

/// Adds the trace context and a deadline to every outgoing request.
#[derive(Debug, Clone, Copy)]
pub struct OutgoingContext {
    timeout: Duration,
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
        Ok(request)
    }
}

/// A channel to another service that propagates trace context and deadlines.
pub type ServiceChannel = InterceptedService<Channel, OutgoingContext>;

/// A lazily connecting channel to `url`: no connection is attempted until the first call,
/// so services can start in any order and reconnect when a peer restarts.
pub fn connect_lazy(url: &str, timeout: Duration) -> Result<ServiceChannel, ClientError> {
    let endpoint = Endpoint::from_shared(url.to_owned())
        .map_err(|source| ClientError::InvalidUrl {
            url: url.to_owned(),
            source,
        })?
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .tcp_nodelay(true);
    Ok(InterceptedService::new(
        endpoint.connect_lazy(),
        OutgoingContext { timeout },
    ))
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
