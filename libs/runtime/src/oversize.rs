//! Over-large requests answer `RESOURCE_EXHAUSTED`, as gRPC clients expect.
//!
//! tonic refuses a message above `server.max_message_bytes` with `OUT_OF_RANGE`
//! ("decoded message length too large"). gRPC's own status guide gives
//! `RESOURCE_EXHAUSTED` for a request over a size limit, and that is what client
//! libraries treat as "do not retry as is". The refusal comes in the response's
//! trailers (or its headers, for a trailers-only response), so this layer rewrites the
//! status there; every other status passes untouched.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures::TryFutureExt as _;
use futures::future::MapOk;
use http::{HeaderMap, HeaderValue};
use http_body::Frame;
use tonic::body::Body;

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

impl<S, Request> tower::Service<Request> for Oversize<S>
where
    S: tower::Service<Request, Response = http::Response<Body>>,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = MapOk<S::Future, fn(http::Response<Body>) -> http::Response<Body>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        self.inner.call(request).map_ok(rewrite_response)
    }
}

fn rewrite_response(mut response: http::Response<Body>) -> http::Response<Body> {
    rewrite(response.headers_mut());
    response.map(|inner| Body::new(TrailerRewrite { inner }))
}

/// Turns an over-size `OUT_OF_RANGE` in `headers` (headers or trailers) into
/// `RESOURCE_EXHAUSTED`; true when it did.
pub fn rewrite(headers: &mut HeaderMap) -> bool {
    let too_large = headers
        .get("grpc-status")
        .is_some_and(|s| s == OUT_OF_RANGE)
        && headers
            .get("grpc-message")
            .and_then(|m| m.to_str().ok())
            .is_some_and(|m| m.replace("%20", " ").contains(TOO_LARGE));
    if too_large {
        headers.insert("grpc-status", HeaderValue::from_static(RESOURCE_EXHAUSTED));
    }
    too_large
}

/// A response body whose trailers go through [`rewrite`].
struct TrailerRewrite {
    inner: Body,
}

impl http_body::Body for TrailerRewrite {
    type Data = bytes::Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx).map(|frame| {
            frame.map(|frame| {
                frame.map(|mut frame| {
                    if let Some(trailers) = frame.trailers_mut() {
                        rewrite(trailers);
                    }
                    frame
                })
            })
        })
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: &'static str, message: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("grpc-status", HeaderValue::from_static(status));
        headers.insert("grpc-message", HeaderValue::from_static(message));
        headers
    }

    #[test]
    fn only_the_size_refusal_is_rewritten() {
        let mut refused = status(
            "11",
            "Error,%20decoded%20message%20length%20too%20large:%20found%2020971651%20bytes",
        );
        assert!(rewrite(&mut refused));
        assert_eq!(refused["grpc-status"], "8");
        let mut other = status("11", "page%20token%20out%20of%20range");
        assert!(!rewrite(&mut other));
        assert_eq!(other["grpc-status"], "11");
        let mut ok = status("0", "");
        assert!(!rewrite(&mut ok));
    }
}
