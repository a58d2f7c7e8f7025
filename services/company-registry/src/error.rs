//! The registry's errors and their one mapping to gRPC status codes.

use pyred_access::RoleRefused;
use pyred_runtime::error::InvalidInput;

/// Everything a registry operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The request has bad fields.
    #[error(transparent)]
    InvalidInput(#[from] InvalidInput),
    /// The record does not exist (or the caller may not know it does).
    #[error("{entity} {id} not found")]
    NotFound {
        /// `company` or `opportunity`.
        entity: &'static str,
        /// The identifier asked for.
        id: String,
    },
    /// The caller's role may not make this call at all.
    #[error(transparent)]
    RoleRefused(#[from] RoleRefused),
    /// A field names something outside the caller's scope (a region outside an adviser's
    /// territory, another agency's source).
    #[error("{field}: {reason}")]
    PermissionDenied {
        /// The field at fault (`company.region`, `source`).
        field: String,
        /// Why, in the caller's terms ("ES-Z is outside your territory").
        reason: String,
    },
    /// A record with the same identity exists.
    #[error("{0}")]
    AlreadyExists(String),
    /// The caller's version is not the stored one, or the record changed meanwhile.
    #[error("{entity} {id} was changed by someone else: read it again and retry")]
    VersionConflict {
        /// `company` or `opportunity`.
        entity: &'static str,
        /// Its id.
        id: String,
    },
    /// The transition is not allowed from the record's current state.
    #[error("{0}")]
    InvalidTransition(String),
    /// A stored record does not decode.
    #[error("corrupt stored record: {0}")]
    Corrupt(#[source] prost::DecodeError),
    /// A stored value is not one the registry writes.
    #[error("corrupt stored value: {0}")]
    CorruptValue(String),
    /// The store failed.
    #[error("storage failure: {0}")]
    Storage(#[from] sqlx::Error),
}

impl From<RegistryError> for tonic::Status {
    fn from(error: RegistryError) -> Self {
        match &error {
            RegistryError::InvalidInput(invalid) => invalid.to_status(),
            RegistryError::RoleRefused(_) | RegistryError::PermissionDenied { .. } => {
                tonic::Status::permission_denied(error.to_string())
            }
            RegistryError::NotFound { .. } => tonic::Status::not_found(error.to_string()),
            RegistryError::AlreadyExists(_) => tonic::Status::already_exists(error.to_string()),
            RegistryError::VersionConflict { .. } | RegistryError::InvalidTransition(_) => {
                tonic::Status::failed_precondition(error.to_string())
            }
            RegistryError::Corrupt(_) | RegistryError::CorruptValue(_) => {
                tracing::error!(%error, "registry data corruption");
                tonic::Status::internal("stored data is corrupt")
            }
            RegistryError::Storage(source) => {
                tracing::error!(error = %source, "registry storage failure");
                match source {
                    sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) => {
                        tonic::Status::unavailable("storage unavailable, retry later")
                    }
                    _ => tonic::Status::internal("storage failure"),
                }
            }
        }
    }
}
