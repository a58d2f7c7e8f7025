//! gRPC statuses as HTTP answers.
//!
//! One exhaustive `match` from `tonic::Code` to an HTTP status, so a new code forces a
//! decision. The JSON body carries the code, the message and, for `InvalidArgument`, the
//! field violations of the `google.rpc.BadRequest` detail; `ResourceExhausted` adds
//! `Retry-After` from the service's "retry in N ms".

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode};
use serde::Serialize;

/// One bad field.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Violation {
    /// Path of the field (`company.name`).
    pub field: String,
    /// Why it is refused.
    pub description: String,
}

/// An API error: HTTP status and JSON body.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Machine-readable code (`not_found`, `invalid_argument`, …).
    pub code: &'static str,
    /// Human-readable message.
    pub message: String,
    /// Field violations, for `invalid_argument`.
    pub violations: Vec<Violation>,
    /// Seconds to wait, for 429.
    pub retry_after_secs: Option<u64>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: &'a str,
    violations: &'a [Violation],
}

impl ApiError {
    /// A 400 with one bad field.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_argument",
            message: "invalid request".to_owned(),
            violations: vec![Violation {
                field: field.into(),
                description: description.into(),
            }],
            retry_after_secs: None,
        }
    }

    /// A plain error without violations.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            violations: Vec::new(),
            retry_after_secs: None,
        }
    }

    /// The violation for a field, if any (console forms).
    pub fn violation_for(&self, field: &str) -> Option<&str> {
        self.violations
            .iter()
            .find(|violation| violation.field == field)
            .map(|violation| violation.description.as_str())
    }
}

/// HTTP status and code name of a gRPC code.
pub fn http_status(code: tonic::Code) -> (StatusCode, &'static str) {
    use tonic::Code;
    match code {
        Code::Ok => (StatusCode::OK, "ok"),
        Code::InvalidArgument => (StatusCode::BAD_REQUEST, "invalid_argument"),
        Code::OutOfRange => (StatusCode::BAD_REQUEST, "out_of_range"),
        Code::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
        Code::PermissionDenied => (StatusCode::FORBIDDEN, "permission_denied"),
        Code::NotFound => (StatusCode::NOT_FOUND, "not_found"),
        Code::AlreadyExists => (StatusCode::CONFLICT, "already_exists"),
        Code::Aborted => (StatusCode::CONFLICT, "aborted"),
        Code::FailedPrecondition => (StatusCode::PRECONDITION_FAILED, "failed_precondition"),
        Code::ResourceExhausted => (StatusCode::TOO_MANY_REQUESTS, "resource_exhausted"),
        Code::Cancelled => (StatusCode::SERVICE_UNAVAILABLE, "cancelled"),
        Code::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        Code::DeadlineExceeded => (StatusCode::GATEWAY_TIMEOUT, "deadline_exceeded"),
        Code::Unimplemented => (StatusCode::NOT_IMPLEMENTED, "unimplemented"),
        Code::Unknown | Code::Internal | Code::DataLoss => (StatusCode::BAD_GATEWAY, "internal"),
    }
}

/// Reads "retry in N ms" from a `ResourceExhausted` message, rounded up to seconds.
fn retry_after(message: &str) -> Option<u64> {
    let rest = &message[message.find("retry in ")? + "retry in ".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let millis: u64 = digits.parse().ok()?;
    Some(millis.div_ceil(1000).max(1))
}

impl From<tonic::Status> for ApiError {
    fn from(status: tonic::Status) -> Self {
        let (http, code) = http_status(status.code());
        let violations = pyred_runtime::error::violations_of(&status)
            .into_iter()
            .map(|(field, description)| Violation { field, description })
            .collect();
        let retry_after_secs = (status.code() == tonic::Code::ResourceExhausted)
            .then(|| retry_after(status.message()).unwrap_or(1));
        if http.is_server_error() {
            tracing::warn!(code = ?status.code(), message = status.message(), "upstream error");
        }
        Self {
            status: http,
            code,
            message: status.message().to_owned(),
            violations,
            retry_after_secs,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: &self.message,
                violations: &self.violations,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_http() {
        assert_eq!(http_status(tonic::Code::NotFound).0, StatusCode::NOT_FOUND);
        assert_eq!(
            http_status(tonic::Code::FailedPrecondition).0,
            StatusCode::PRECONDITION_FAILED
        );
        let error = ApiError::from(tonic::Status::resource_exhausted(
            "rate limit exceeded, retry in 1500 ms",
        ));
        assert_eq!(error.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(error.retry_after_secs, Some(2));
    }

    #[test]
    fn field_violations_travel_to_json() {
        let status =
            pyred_runtime::error::InvalidInput::single("company.name", "must not be empty")
                .to_status();
        let error = ApiError::from(status);
        assert_eq!(error.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            error.violation_for("company.name"),
            Some("must not be empty")
        );
    }
}
