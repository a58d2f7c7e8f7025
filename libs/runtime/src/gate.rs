//! The gate every request passes before it reaches a service: authentication, rate
//! limits and whatever else decides whether a call may proceed.
//!
//! The runtime only knows a gate as a function from a request to that request (possibly
//! with extensions added, such as the authenticated caller) or a `Status`; the policy
//! lives in `pyred-access`. The gRPC health service is never gated: orchestrators probe
//! it without credentials.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use tonic::Status;
use tonic::body::Body;

/// Decides whether a request may proceed; may add extensions to it.
pub type Gate = Arc<
    dyn Fn(http::Request<Body>) -> BoxFuture<'static, Result<http::Request<Body>, Status>>
        + Send
        + Sync,
>;

/// A gate that lets everything through (plain servers in tests of the runtime itself).
pub fn open_gate() -> Gate {
    Arc::new(|request| Box::pin(async move { Ok(request) }))
}

/// Paths that are never gated.
fn ungated(path: &str) -> bool {
    path.starts_with("/grpc.health.v1.Health/")
}

/// Tower layer applying a [`Gate`] in front of a server's routes.
#[derive(Clone)]
pub struct GateLayer {
    gate: Gate,
}

impl GateLayer {
    /// Applies `gate`.
    pub fn new(gate: Gate) -> Self {
        Self { gate }
    }
}

impl<S> tower::Layer<S> for GateLayer {
    type Service = Gated<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Gated {
            inner,
            gate: self.gate.clone(),
        }
    }
}

/// A service behind a [`Gate`].
#[derive(Clone)]
pub struct Gated<S> {
    inner: S,
    gate: Gate,
}

impl<S> tower::Service<http::Request<Body>> for Gated<S>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<http::Response<Body>, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        // Take the service that was polled ready; leave a fresh clone in its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        if ungated(request.uri().path()) {
            return Box::pin(inner.call(request));
        }
        let gate = self.gate.clone();
        Box::pin(async move {
            match gate(request).await {
                Ok(request) => inner.call(request).await,
                Err(status) => Ok(status.into_http()),
            }
        })
    }
}
