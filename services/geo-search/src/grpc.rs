//! The gRPC adapter of `pyred.v1.GeoSearch`.

use pyred_proto::v1::geo_search_server::GeoSearch;
use pyred_proto::v1::{self as pb};
use tonic::{Request, Response, Status};

use crate::error::SearchError;
use crate::index::SearchIndex;

/// The geo-search gRPC service.
#[derive(Debug, Clone)]
pub struct GeoSearchApi {
    index: SearchIndex,
}

impl GeoSearchApi {
    /// Serves from `index`.
    pub fn new(index: SearchIndex) -> Self {
        Self { index }
    }
}

fn not_yet<T>(capability: &'static str) -> Result<Response<T>, Status> {
    Err(SearchError::NotYetAvailable(capability).into())
}

#[tonic::async_trait]
impl GeoSearch for GeoSearchApi {
    async fn search(
        &self,
        _request: Request<pb::SearchRequest>,
    ) -> Result<Response<pb::SearchResponse>, Status> {
        not_yet("Search")
    }

    async fn suggest_places(
        &self,
        _request: Request<pb::SuggestPlacesRequest>,
    ) -> Result<Response<pb::SuggestPlacesResponse>, Status> {
        not_yet("SuggestPlaces")
    }

    async fn get_index_status(
        &self,
        _request: Request<pb::GetIndexStatusRequest>,
    ) -> Result<Response<pb::IndexStatus>, Status> {
        let applied_seq = self.index.applied_seq().map_err(SearchError::from)?;
        Ok(Response::new(pb::IndexStatus {
            applied_seq,
            registry_seq: 0,
            documents: i64::try_from(self.index.documents()).unwrap_or(i64::MAX),
            rebuilding: false,
        }))
    }

    async fn rebuild_index(
        &self,
        _request: Request<pb::RebuildIndexRequest>,
    ) -> Result<Response<pb::IndexStatus>, Status> {
        not_yet("RebuildIndex")
    }
}
