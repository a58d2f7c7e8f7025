//! Matchmaking's errors and their one mapping to gRPC status codes.

use pyred_runtime::error::InvalidInput;

/// Everything a matchmaking operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum MatchError {
    /// The request has bad fields.
    #[error(transparent)]
    InvalidInput(#[from] InvalidInput),
    /// The record does not exist.
    #[error("{entity} {id} not found")]
    NotFound {
        /// `company`, `opportunity` or `match`.
        entity: &'static str,
        /// The identifier asked for.
        id: String,
    },
    /// The caller's version is not the stored one.
    #[error("match {id} was changed by someone else: read it again and retry")]
    VersionConflict {
        /// The match.
        id: String,
    },
    /// The workflow does not allow this move.
    #[error("a {from} match cannot become {to}")]
    InvalidTransition {
        /// Current status.
        from: &'static str,
        /// Requested status.
        to: &'static str,
    },
    /// A service this one depends on failed or is unreachable.
    #[error("{service} unavailable: {status}")]
    Upstream {
        /// The peer.
        service: &'static str,
        /// What it answered.
        status: tonic::Status,
    },
    /// The matching model failed (its data did not load).
    #[error("matching model: {0}")]
    Model(#[source] pyred_matching::MatchingError),
    /// A stored record does not decode.
    #[error("corrupt stored match: {0}")]
    Corrupt(#[source] prost::DecodeError),
    /// A stored value is not one matchmaking writes.
    #[error("corrupt stored value: {0}")]
    CorruptValue(String),
    /// The store failed.
    #[error("storage failure: {0}")]
    Storage(#[from] sqlx::Error),
}

impl From<MatchError> for tonic::Status {
    fn from(error: MatchError) -> Self {
        match &error {
            MatchError::InvalidInput(invalid) => invalid.to_status(),
            MatchError::NotFound { .. } => tonic::Status::not_found(error.to_string()),
            MatchError::VersionConflict { .. } | MatchError::InvalidTransition { .. } => {
                tonic::Status::failed_precondition(error.to_string())
            }
            MatchError::Upstream { status, .. } => match status.code() {
                tonic::Code::DeadlineExceeded => {
                    tonic::Status::deadline_exceeded(error.to_string())
                }
                _ => tonic::Status::unavailable(error.to_string()),
            },
            MatchError::Model(_) => {
                tracing::error!(%error, "matching model failure");
                tonic::Status::internal("matching model failure")
            }
            MatchError::Corrupt(_) | MatchError::CorruptValue(_) => {
                tracing::error!(%error, "matchmaking data corruption");
                tonic::Status::internal("stored data is corrupt")
            }
            MatchError::Storage(source) => {
                tracing::error!(error = %source, "matchmaking storage failure");
                tonic::Status::internal("storage failure")
            }
        }
    }
}
