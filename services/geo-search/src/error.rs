//! Geo-search's errors and their one mapping to gRPC status codes.

use crate::index::IndexError;

/// Everything a geo-search operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The capability is specified in the contract but not built yet.
    #[error("{0} is not available yet")]
    NotYetAvailable(&'static str),
    /// The index failed.
    #[error(transparent)]
    Index(#[from] IndexError),
}

impl From<SearchError> for tonic::Status {
    fn from(error: SearchError) -> Self {
        match &error {
            SearchError::NotYetAvailable(_) => tonic::Status::unimplemented(error.to_string()),
            SearchError::Index(source) => {
                tracing::error!(error = %source, "index failure");
                tonic::Status::internal("index failure")
            }
        }
    }
}
