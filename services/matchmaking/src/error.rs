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
    /// The caller's role may not do this (`PermissionDenied`, "a firm key may not …").
    #[error(transparent)]
    Refused(#[from] pyred_access::RoleRefused),
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

impl MatchError {
    /// The role check of an operation: `roles` may do `what` (admin and service always
    /// may), others are refused naming their role.
    pub fn require(
        caller: &pyred_access::Caller,
        roles: &[pyred_access::Role],
        what: &str,
    ) -> Result<(), Self> {
        Ok(caller.require(roles, what)?)
    }

    /// The gRPC code this error answers with.
    pub fn code(&self) -> tonic::Code {
        use tonic::Code;
        match self {
            Self::InvalidInput(_) => Code::InvalidArgument,
            Self::NotFound { .. } => Code::NotFound,
            Self::Refused(_) => Code::PermissionDenied,
            Self::VersionConflict { .. } | Self::InvalidTransition { .. } => {
                Code::FailedPrecondition
            }
            Self::Upstream { status, .. } => match status.code() {
                Code::DeadlineExceeded => Code::DeadlineExceeded,
                _ => Code::Unavailable,
            },
            Self::Model(_) | Self::Corrupt(_) | Self::CorruptValue(_) | Self::Storage(_) => {
                Code::Internal
            }
        }
    }
}

impl From<MatchError> for tonic::Status {
    fn from(error: MatchError) -> Self {
        let message = match &error {
            MatchError::InvalidInput(invalid) => return invalid.to_status(),
            MatchError::Model(_) => {
                tracing::error!(%error, "matching model failure");
                "matching model failure".to_owned()
            }
            MatchError::Corrupt(_) | MatchError::CorruptValue(_) => {
                tracing::error!(%error, "matchmaking data corruption");
                "stored data is corrupt".to_owned()
            }
            MatchError::Storage(source) => {
                tracing::error!(error = %source, "matchmaking storage failure");
                "storage failure".to_owned()
            }
            _ => error.to_string(),
        };
        tonic::Status::new(error.code(), message)
    }
}
