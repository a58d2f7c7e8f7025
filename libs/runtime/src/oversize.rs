//! Over-large requests answer `RESOURCE_EXHAUSTED`, as gRPC clients expect.
//!
//! tonic refuses a message above `server.max_message_bytes` with `OUT_OF_RANGE`
//! ("decoded message length too large"). gRPC's own status guide gives
//! `RESOURCE_EXHAUSTED` for a request over a size limit, and that is what client
//! libraries treat as "do not retry as is". The refusal is a trailers-only response
//! (the status is in the headers), so this layer rewrites those headers; every other
//! response passes untouched.

use std::task::{Context, Poll};

use futures::TryFutureExt as _;
use futures::future::MapOk;
use http::HeaderValue;

const OUT_OF_RANGE: &str = "11";
const RESOURCE_EXHAUSTED: &str = "8";
const TOO_LARGE: &str = "decoded message length too large";

/// Layer of [`Oversize`].
#[derive(Clone, Copy, Debug, Default)]
pub struct OversizeLayer;

impl<S> tower::Layer<S> for OversizeLayer {
    type Service = Oversize<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Oversize { inner }
    }
}

/// Rewrites tonic's size refusal to `RESOURCE_EXHAUSTED`.
#[derive(Clone, Debug)]
pub struct Oversize<S> {
    inner: S,
}

impl<S, Request, B> tower::Service<Request> for Oversize<S>
where
    S: tower::Service<Request, Response = http::Response<B>>,
{
    type Response = http::Response<B>;
    type Error = S::Error;
    type Future = MapOk<S::Future, fn(http::Response<B>) -> http::Response<B>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        self.inner.call(request).map_ok(rewrite::<B>)
    }
}

/// The response with an over-size `OUT_OF_RANGE` turned into `RESOURCE_EXHAUSTED`.
pub fn rewrite<B>(mut response: http::Response<B>) -> http::Response<B> {
    let headers = response.headers_mut();
    let too_large = headers
        .get("grpc-status")
        .is_some_and(|s| s == OUT_OF_RANGE)
        && headers
            .get("grpc-message")
            .and_then(|m| m.to_str().ok())
            .is_some_and(|m| m.starts_with(TOO_LARGE) || m.starts_with("decoded%20message"));
    if too_large {
        headers.insert("grpc-status", HeaderValue::from_static(RESOURCE_EXHAUSTED));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: &str, message: &str) -> http::Response<()> {
        let mut response = http::Response::new(());
        response.headers_mut().insert(
            "grpc-status",
            HeaderValue::from_str(status).unwrap_or(HeaderValue::from_static("0")),
        );
        response.headers_mut().insert(
            "grpc-message",
            HeaderValue::from_str(message).unwrap_or(HeaderValue::from_static("")),
        );
        response
    }

    #[test]
    fn only_the_size_refusal_is_rewritten() {
        let rewritten = rewrite(response(
            "11",
            "decoded message length too large: found 20971520 bytes, the limit is: 16777216 bytes",
        ));
        assert_eq!(rewritten.headers()["grpc-status"], "8");
        let other = rewrite(response("11", "page token out of range"));
        assert_eq!(other.headers()["grpc-status"], "11");
        let ok = rewrite(response("0", ""));
        assert_eq!(ok.headers()["grpc-status"], "0");
    }
}
