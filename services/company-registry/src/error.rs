//! The registry's errors and their one mapping to gRPC status codes.

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
    /// The capability is specified in the contract but not built yet.
    #[error("{0} is not available yet")]
    NotYetAvailable(&'static str),
    /// The store failed.
    #[error("storage failure: {0}")]
    Storage(#[from] sqlx::Error),
}

impl From<RegistryError> for tonic::Status {
    fn from(error: RegistryError) -> Self {
        match &error {
            RegistryError::InvalidInput(invalid) => invalid.to_status(),
            RegistryError::NotFound { .. } => tonic::Status::not_found(error.to_string()),
            RegistryError::NotYetAvailable(_) => tonic::Status::unimplemented(error.to_string()),
            RegistryError::Storage(source) => {
                tracing::error!(error = %source, "registry storage failure");
                tonic::Status::internal("storage failure")
            }
        }
    }
}
