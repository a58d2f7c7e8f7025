//! The audit layer: one tower layer in front of a gRPC service writes the audit row of
//! each call, so handlers never write to the [`AuditLog`] themselves.
//!
//! The layer knows the caller (the gate put it in the request's extensions), the RPC (the
//! path) and the outcome (the `grpc-status` of the answer), but not the object, which is
//! inside the message it does not decode. So for every RPC of the service's table it
//! hands the handler an empty [`AuditNote`] in the request's extensions; the service
//! writes there the object it touched ("company/c1") when the call is one to audit, and
//! the layer records a row once the answer is ready, before it goes out. A call the
//! service left unnoted (refused before it touched anything, a read without personal
//! data) writes no row.

use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use tonic::body::Body;
use tonic::server::NamedService;

use crate::audit::AuditLog;
use crate::caller::Caller;

/// Where a handler names the object its call touched, for the audit layer.
#[derive(Debug, Clone, Default)]
pub struct AuditNote(Arc<Mutex<Option<String>>>);

impl AuditNote {
    /// The note the audit layer attached to `request`; a detached one (read by nobody)
    /// when the RPC is not audited or the service runs without the layer.
    pub fn of<T>(request: &tonic::Request<T>) -> Self {
        request
            .extensions()
            .get::<Self>()
            .cloned()
            .unwrap_or_default()
    }

    /// Names the object of the call: the call is audited with it.
    pub fn object(&self, object: impl Into<String>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(object.into());
    }

    /// The object named so far, if any.
    pub fn noted(&self) -> Option<String> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Tower layer auditing the RPCs named in its table (method names: `"UpdateCompany"`).
#[derive(Debug, Clone)]
pub struct AuditLayer {
    log: AuditLog,
    audited: &'static [&'static str],
}

impl AuditLayer {
    /// Audits into `log` the calls of the methods in `audited`.
    pub fn new(log: AuditLog, audited: &'static [&'static str]) -> Self {
        Self { log, audited }
    }
}

impl<S> tower::Layer<S> for AuditLayer {
    type Service = Audited<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Audited {
            inner,
            layer: self.clone(),
        }
    }
}

/// A gRPC service whose calls the [`AuditLayer`] records.
#[derive(Debug, Clone)]
pub struct Audited<S> {
    inner: S,
    layer: AuditLayer,
}

impl<S: NamedService> NamedService for Audited<S> {
    const NAME: &'static str = S::NAME;
}

/// The status code of an answer: a refusal carries `grpc-status` in its headers (a
/// trailers-only response), a unary success does not.
fn outcome(response: &http::Response<Body>) -> tonic::Code {
    response
        .headers()
        .get("grpc-status")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<i32>().ok())
        .map_or(tonic::Code::Ok, tonic::Code::from_i32)
}

impl<S> tower::Service<http::Request<Body>> for Audited<S>
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

    fn call(&mut self, mut request: http::Request<Body>) -> Self::Future {
        // Take the service that was polled ready; leave a fresh clone in its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let rpc = request.uri().path().trim_start_matches('/').to_owned();
        let method = rpc.rsplit('/').next().unwrap_or_default();
        if !self.layer.audited.contains(&method) {
            return Box::pin(inner.call(request));
        }
        let note = AuditNote::default();
        request.extensions_mut().insert(note.clone());
        let caller = request.extensions().get::<Caller>().cloned();
        let log = self.layer.log.clone();
        Box::pin(async move {
            let response = inner.call(request).await?;
            if let (Some(caller), Some(object)) = (caller, note.noted()) {
                log.record_code(&caller, &rpc, &object, outcome(&response))
                    .await;
            }
            Ok(response)
        })
    }
}
