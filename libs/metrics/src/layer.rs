//! A tower layer counting and timing the gRPC calls a tonic server answers.
//!
//! For every call it records
//!
//! - `pyred_rpc_duration_seconds{service,method}`: a histogram of the time from the
//!   request reaching the layer to the **response headers** being returned by the inner
//!   service. For a unary call that is the handler's whole work (tonic encodes the
//!   message as the body is polled, which is cheap); for a server-streaming call it is
//!   the time to the first headers, not the stream's lifetime.
//! - `pyred_rpc_requests_total{service,method,code}`: one count per finished call. The
//!   code is the `grpc-status` response header when present (a trailers-only answer:
//!   how tonic returns every error of a unary call), else the `grpc-status` of the
//!   trailers once the body ends (a successful call), else `OK` for a body that ends
//!   without one. A call whose response future or body is dropped before the end (the
//!   client went away, or tonic's request timeout — which sits outside user layers —
//!   fired) is counted as `CANCELLED`; an error of the inner service as `UNKNOWN`.
//!
//! `service` and `method` come from the HTTP/2 path `/pyred.v1.GeoSearch/Search`. Paths
//! are chosen by callers, so at most [`MAX_METHODS`] distinct pairs get their own
//! series; later new ones are recorded as `other`/`other`.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::Instant;

use http::{HeaderMap, Request, Response};
use http_body::{Body, Frame, SizeHint};

use crate::registry::{Counter, Histogram, Metrics, RPC_DURATION_BUCKETS};

/// Name of the RPC counter.
pub const RPC_REQUESTS_TOTAL: &str = "pyred_rpc_requests_total";
/// Name of the RPC duration histogram.
pub const RPC_DURATION_SECONDS: &str = "pyred_rpc_duration_seconds";
/// Most distinct `service`/`method` pairs with their own series.
pub const MAX_METHODS: usize = 512;

/// Layer recording RPC counts and durations into a [`Metrics`] registry.
#[derive(Clone, Debug)]
pub struct GrpcMetricsLayer {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    metrics: Metrics,
    known: Mutex<HashSet<(String, String)>>,
}

impl GrpcMetricsLayer {
    /// A layer writing into `metrics`.
    pub fn new(metrics: Metrics) -> Self {
        Self {
            shared: Arc::new(Shared {
                metrics,
                known: Mutex::new(HashSet::new()),
            }),
        }
    }
}

impl<S> tower::Layer<S> for GrpcMetricsLayer {
    type Service = GrpcMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcMetrics {
            inner,
            shared: self.shared.clone(),
        }
    }
}

/// The service made by [`GrpcMetricsLayer`].
#[derive(Clone, Debug)]
pub struct GrpcMetrics<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl Shared {
    /// `service` and `method` of a gRPC path, capped to [`MAX_METHODS`] pairs.
    fn call_name(&self, path: &str) -> (String, String) {
        let (service, method) = path
            .strip_prefix('/')
            .and_then(|rest| rest.split_once('/'))
            .filter(|(service, method)| {
                !service.is_empty() && !method.is_empty() && !method.contains('/')
            })
            .unwrap_or(("unknown", "unknown"));
        let pair = (service.to_owned(), method.to_owned());
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        if known.contains(&pair) {
            return pair;
        }
        if known.len() < MAX_METHODS {
            known.insert(pair.clone());
            return pair;
        }
        ("other".to_owned(), "other".to_owned())
    }
}

/// What is needed to count a call once its code is known.
struct CallRecord {
    metrics: Metrics,
    service: String,
    method: String,
}

impl CallRecord {
    fn count(&self, code: &str) {
        self.requests(code).inc();
    }

    fn requests(&self, code: &str) -> Counter {
        self.metrics.counter(
            RPC_REQUESTS_TOTAL,
            "gRPC calls answered, by service, method and status code",
            &[
                ("service", &self.service),
                ("method", &self.method),
                ("code", code),
            ],
        )
    }

    fn duration(&self) -> Histogram {
        self.metrics.histogram(
            RPC_DURATION_SECONDS,
            "Time from a gRPC request to its response headers, seconds",
            &[("service", &self.service), ("method", &self.method)],
            RPC_DURATION_BUCKETS,
        )
    }
}

impl<S, ReqBody, ResBody> tower::Service<Request<ReqBody>> for GrpcMetrics<S>
where
    S: tower::Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Body,
{
    type Response = Response<MetricsBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let (service, method) = self.shared.call_name(request.uri().path());
        let record = CallRecord {
            metrics: self.shared.metrics.clone(),
            service,
            method,
        };
        ResponseFuture {
            inner: self.inner.call(request),
            pending: Some(Pending {
                record,
                start: Instant::now(),
            }),
        }
    }
}

/// A call whose response headers have not come back yet; counted as `CANCELLED` if
/// dropped in that state.
struct Pending {
    record: CallRecord,
    start: Instant,
}

impl Pending {
    fn observe(&self) {
        self.record
            .duration()
            .observe(self.start.elapsed().as_secs_f64());
    }
}

pin_project_lite::pin_project! {
    /// Future of [`GrpcMetrics`].
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        pending: Option<Pending>,
    }

    impl<F> PinnedDrop for ResponseFuture<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Some(pending) = this.pending.take() {
                pending.observe();
                pending.record.count("CANCELLED");
            }
        }
    }
}

impl<F, ResBody, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
    ResBody: Body,
{
    type Output = Result<Response<MetricsBody<ResBody>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        let Some(pending) = this.pending.take() else {
            // Polled again after completion: nothing left to record.
            return Poll::Ready(result.map(|response| response.map(MetricsBody::done)));
        };
        pending.observe();
        let record = pending.record;
        Poll::Ready(match result {
            Ok(response) => match grpc_code(response.headers()) {
                Some(code) => {
                    record.count(code);
                    Ok(response.map(MetricsBody::done))
                }
                None => Ok(response.map(|body| MetricsBody::new(body, record))),
            },
            Err(error) => {
                record.count("UNKNOWN");
                Err(error)
            }
        })
    }
}

/// Counts the call when the body's trailers (or its end, or its drop) arrive.
struct Awaiting {
    record: CallRecord,
    ended: bool,
}

impl Awaiting {
    fn finish(mut self, code: &str) {
        self.ended = true;
        self.record.count(code);
    }
}

impl Drop for Awaiting {
    fn drop(&mut self) {
        if !self.ended {
            self.record.count("CANCELLED");
        }
    }
}

pin_project_lite::pin_project! {
    /// Response body of [`GrpcMetrics`]: the inner body, watched for its trailers.
    pub struct MetricsBody<B> {
        #[pin]
        inner: B,
        awaiting: Option<Awaiting>,
    }
}

impl<B> MetricsBody<B> {
    fn new(inner: B, record: CallRecord) -> Self {
        Self {
            inner,
            awaiting: Some(Awaiting {
                record,
                ended: false,
            }),
        }
    }

    fn done(inner: B) -> Self {
        Self {
            inner,
            awaiting: None,
        }
    }
}

impl<B: Body> Body for MetricsBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let frame = ready!(this.inner.poll_frame(cx));
        match &frame {
            Some(Ok(frame)) => {
                if let Some(trailers) = frame.trailers_ref()
                    && let Some(awaiting) = this.awaiting.take()
                {
                    awaiting.finish(grpc_code(trailers).unwrap_or("OK"));
                }
            }
            Some(Err(_)) => {
                if let Some(awaiting) = this.awaiting.take() {
                    awaiting.finish("UNKNOWN");
                }
            }
            None => {
                if let Some(awaiting) = this.awaiting.take() {
                    awaiting.finish("OK");
                }
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The gRPC status code name of a `grpc-status` header, if there is one.
fn grpc_code(headers: &HeaderMap) -> Option<&'static str> {
    let value = headers.get("grpc-status")?;
    let number: u32 = value.to_str().ok()?.trim().parse().ok()?;
    Some(code_name(number))
}

/// The canonical name of a gRPC status code (`5` → `NOT_FOUND`).
pub fn code_name(code: u32) -> &'static str {
    match code {
        0 => "OK",
        1 => "CANCELLED",
        2 => "UNKNOWN",
        3 => "INVALID_ARGUMENT",
        4 => "DEADLINE_EXCEEDED",
        5 => "NOT_FOUND",
        6 => "ALREADY_EXISTS",
        7 => "PERMISSION_DENIED",
        8 => "RESOURCE_EXHAUSTED",
        9 => "FAILED_PRECONDITION",
        10 => "ABORTED",
        11 => "OUT_OF_RANGE",
        12 => "UNIMPLEMENTED",
        13 => "INTERNAL",
        14 => "UNAVAILABLE",
        15 => "DATA_LOSS",
        16 => "UNAUTHENTICATED",
        _ => "UNKNOWN",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_into_service_and_method() {
        let shared = Shared {
            metrics: Metrics::new(),
            known: Mutex::new(HashSet::new()),
        };
        assert_eq!(
            shared.call_name("/pyred.v1.GeoSearch/Search"),
            ("pyred.v1.GeoSearch".to_owned(), "Search".to_owned())
        );
        for odd in ["", "/", "/nomethod", "//x", "/a/", "/a/b/c"] {
            assert_eq!(
                shared.call_name(odd),
                ("unknown".to_owned(), "unknown".to_owned()),
                "{odd}"
            );
        }
    }

    #[test]
    fn distinct_methods_are_capped() {
        let shared = Shared {
            metrics: Metrics::new(),
            known: Mutex::new(HashSet::new()),
        };
        for i in 0..MAX_METHODS - 1 {
            let _ = shared.call_name(&format!("/s/m{i}"));
        }
        assert_eq!(shared.call_name("/s/last").1, "last");
        assert_eq!(shared.call_name("/s/beyond").1, "other");
        assert_eq!(
            shared.call_name("/s/m0").1,
            "m0",
            "known pairs keep their name"
        );
    }

    #[test]
    fn code_names_follow_grpc() {
        assert_eq!(code_name(0), "OK");
        assert_eq!(code_name(5), "NOT_FOUND");
        assert_eq!(code_name(12), "UNIMPLEMENTED");
        assert_eq!(code_name(16), "UNAUTHENTICATED");
        assert_eq!(code_name(99), "UNKNOWN");
    }
}
