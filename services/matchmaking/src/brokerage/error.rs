//! Brokerage's errors and their one mapping to gRPC status codes.

use pyred_runtime::error::InvalidInput;

use crate::error::MatchError;

/// Everything a brokerage operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// The request has bad fields.
    #[error(transparent)]
    InvalidInput(#[from] InvalidInput),
    /// The case (or the record it names) does not exist for this caller.
    #[error("{entity} {id} not found")]
    NotFound {
        /// `case`, `company`, `opportunity`, `lead` or `organisation`.
        entity: &'static str,
        /// The identifier asked for.
        id: String,
    },
    /// The caller's role or organisation may not do this.
    #[error("{0}")]
    Denied(String),
    /// An open case already covers this lead and organisation.
    #[error("case {0} is already open for this lead and organisation")]
    AlreadyOpen(String),
    /// The case's status does not allow this.
    #[error("{0}")]
    Precondition(String),
    /// The caller's version is not the stored one.
    #[error("case {id} was changed by someone else: read it again and retry")]
    VersionConflict {
        /// The case.
        id: String,
    },
    /// The organisations directory could not be read.
    #[error("organisations unavailable: {0}")]
    Directory(tonic::Status),
    /// Matchmaking's store or a peer failed.
    #[error(transparent)]
    Match(#[from] MatchError),
    /// A stored value is not one brokerage writes.
    #[error("corrupt stored case: {0}")]
    Corrupt(String),
    /// The store failed.
    #[error("storage failure: {0}")]
    Storage(#[from] sqlx::Error),
}

impl BrokerError {
    /// As a matchmaking error, for the feed follower's retry loop.
    pub fn into_match_error(self) -> MatchError {
        match self {
            Self::Match(error) => error,
            Self::Storage(error) => MatchError::Storage(error),
            other => MatchError::CorruptValue(other.to_string()),
        }
    }
}

impl From<BrokerError> for tonic::Status {
    fn from(error: BrokerError) -> Self {
        match error {
            BrokerError::InvalidInput(invalid) => invalid.to_status(),
            BrokerError::NotFound { .. } => tonic::Status::not_found(error.to_string()),
            BrokerError::Denied(_) => tonic::Status::permission_denied(error.to_string()),
            BrokerError::AlreadyOpen(_) => tonic::Status::already_exists(error.to_string()),
            BrokerError::Precondition(_) | BrokerError::VersionConflict { .. } => {
                tonic::Status::failed_precondition(error.to_string())
            }
            BrokerError::Directory(status) => tonic::Status::unavailable(format!(
                "organisations unavailable: {}",
                status.message()
            )),
            BrokerError::Match(inner) => inner.into(),
            BrokerError::Corrupt(_) => {
                tracing::error!(%error, "brokerage data corruption");
                tonic::Status::internal("stored data is corrupt")
            }
            BrokerError::Storage(source) => {
                tracing::error!(error = %source, "brokerage storage failure");
                tonic::Status::internal("storage failure")
            }
        }
    }
}
