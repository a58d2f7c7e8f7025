//! The gRPC adapter of `pyred.v1.GeoSearch`: validate, run on a blocking thread, answer.
//!
//! Searches are CPU work; at most two per core run at once (the others wait for a slot),
//! so a burst of requests queues instead of multiplying threads on a few cores.

use std::sync::Arc;

use pyred_proto::v1::geo_search_server::GeoSearch;
use pyred_proto::v1::{self as pb};
use pyred_runtime::error::InvalidInput;
use tokio::sync::Semaphore;
use tonic::{Request, Response, Status};

use crate::error::SearchError;
use crate::feed::Rebuilder;
use crate::index::IndexStore;
use crate::request::SearchQuery;
use crate::search::SearchEngine;

/// Suggestions when the request gives no limit.
const DEFAULT_SUGGESTIONS: usize = 10;
/// Most suggestions per request.
const MAX_SUGGESTIONS: usize = 50;

/// The geo-search gRPC service.
#[derive(Debug, Clone)]
pub struct GeoSearchApi {
    engine: SearchEngine,
    store: Arc<IndexStore>,
    rebuilder: Rebuilder,
    slots: Arc<Semaphore>,
}

impl GeoSearchApi {
    /// Serves searches from `engine`, status from `store`, rebuilds through `rebuilder`.
    pub fn new(engine: SearchEngine, store: Arc<IndexStore>, rebuilder: Rebuilder) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        Self {
            engine,
            store,
            rebuilder,
            slots: Arc::new(Semaphore::new(2 * cores)),
        }
    }
}

#[tonic::async_trait]
impl GeoSearch for GeoSearchApi {
    async fn search(
        &self,
        request: Request<pb::SearchRequest>,
    ) -> Result<Response<pb::SearchResponse>, Status> {
        let engine = self.engine.clone();
        let query = SearchQuery::parse(request.get_ref(), engine.glossary(), engine.gazetteer())
            .map_err(SearchError::from)?;
        let slot = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .map_err(SearchError::from)?;
        let response = tokio::task::spawn_blocking(move || {
            let _slot = slot;
            engine.search(&query)
        })
        .await
        .map_err(SearchError::from)??;
        Ok(Response::new(response))
    }

    async fn suggest_places(
        &self,
        request: Request<pb::SuggestPlacesRequest>,
    ) -> Result<Response<pb::SuggestPlacesResponse>, Status> {
        let request = request.into_inner();
        let limit = match usize::try_from(request.limit) {
            Ok(0) => DEFAULT_SUGGESTIONS,
            Ok(n) => n.min(MAX_SUGGESTIONS),
            Err(_) => {
                return Err(SearchError::from(InvalidInput::single(
                    "limit",
                    "must not be negative",
                ))
                .into());
            }
        };
        Ok(Response::new(pb::SuggestPlacesResponse {
            places: self.engine.suggest_places(&request.prefix, limit),
        }))
    }

    async fn get_index_status(
        &self,
        _request: Request<pb::GetIndexStatusRequest>,
    ) -> Result<Response<pb::IndexStatus>, Status> {
        Ok(Response::new(self.store.status()))
    }

    async fn rebuild_index(
        &self,
        _request: Request<pb::RebuildIndexRequest>,
    ) -> Result<Response<pb::IndexStatus>, Status> {
        let rebuilder = self.rebuilder.clone();
        tokio::task::spawn_blocking(move || rebuilder.start())
            .await
            .map_err(SearchError::from)?
            .map_err(SearchError::from)?;
        Ok(Response::new(self.store.status()))
    }
}
