//! Geo-search's errors and their one mapping to gRPC status codes.

use pyred_runtime::error::InvalidInput;

use crate::index::IndexError;

/// Everything a geo-search request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The request has bad fields.
    #[error(transparent)]
    InvalidInput(#[from] InvalidInput),
    /// The index failed.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// tantivy failed while searching.
    #[error("search failed: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// The blocking task running the search failed.
    #[error("search task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// The search slots are closed (the service is stopping).
    #[error("geo-search is shutting down")]
    ShuttingDown(#[from] tokio::sync::AcquireError),
}

impl From<SearchError> for tonic::Status {
    fn from(error: SearchError) -> Self {
        match &error {
            SearchError::InvalidInput(invalid) => invalid.to_status(),
            SearchError::Index(source) => {
                tracing::error!(error = %source, "index failure");
                tonic::Status::internal("index failure")
            }
            SearchError::Tantivy(source) => {
                tracing::error!(error = %source, "search failure");
                tonic::Status::internal("search failure")
            }
            SearchError::Task(source) => {
                tracing::error!(error = %source, "search task failure");
                tonic::Status::internal("search failure")
            }
            SearchError::ShuttingDown(_) => tonic::Status::unavailable(error.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_has_its_code() {
        let invalid: tonic::Status = SearchError::InvalidInput(InvalidInput::single(
            "radius.radius_km",
            "must be more than 0",
        ))
        .into();
        assert_eq!(invalid.code(), tonic::Code::InvalidArgument);
        let index: tonic::Status = SearchError::Index(IndexError::Closed(3)).into();
        assert_eq!(index.code(), tonic::Code::Internal);
        assert!(!index.message().contains("generation"), "no internals leak");
    }
}
