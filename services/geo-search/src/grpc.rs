//! The gRPC adapter of `pyred.v1.GeoSearch`: validate, run on a blocking thread, answer.
//!
//! Searches are CPU work; at most two per core run at once (the others wait for a slot),
//! so a burst of requests queues instead of multiplying threads on a few cores.
//!
//! Access: advisers and firms search (companies limited to public profiles, plus the
//! adviser's territory or the firm's own company); agencies do not search; index status
//! is for admins and services; a rebuild is an admin's act, audited.

use std::sync::Arc;

use pyred_access::{AuditLog, Caller, Role};
use pyred_proto::v1::geo_search_server::GeoSearch;
use pyred_proto::v1::{self as pb};
use pyred_runtime::error::InvalidInput;
use tokio::sync::Semaphore;
use tonic::{Request, Response, Status};

use crate::error::SearchError;
use crate::feed::Rebuilder;
use crate::index::IndexStore;
use crate::request::{PrivateScope, SearchQuery};
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
    audit: AuditLog,
}

impl GeoSearchApi {
    /// Serves searches from `engine`, status from `store`, rebuilds through `rebuilder`.
    pub fn new(
        engine: SearchEngine,
        store: Arc<IndexStore>,
        rebuilder: Rebuilder,
        audit: AuditLog,
    ) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        Self {
            engine,
            store,
            rebuilder,
            slots: Arc::new(Semaphore::new(2 * cores)),
            audit,
        }
    }
}

#[tonic::async_trait]
impl GeoSearch for GeoSearchApi {
    async fn search(
        &self,
        request: Request<pb::SearchRequest>,
    ) -> Result<Response<pb::SearchResponse>, Status> {
        let caller = Caller::of(&request)?;
        caller.require(&[Role::Adviser, Role::Firm], "search")?;
        let engine = self.engine.clone();
        let mut query =
            SearchQuery::parse(request.get_ref(), engine.glossary(), engine.gazetteer())
                .map_err(SearchError::from)?;
        query.private_scope = match caller.role {
            Role::Adviser => Some(PrivateScope {
                regions: caller.territory.clone(),
                company_id: None,
            }),
            Role::Firm => Some(PrivateScope {
                regions: Vec::new(),
                company_id: Some(caller.company_id.clone()),
            }),
            Role::Admin | Role::Service | Role::Agency => None,
        };
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
        Caller::of(&request)?;
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
        request: Request<pb::GetIndexStatusRequest>,
    ) -> Result<Response<pb::IndexStatus>, Status> {
        Caller::of(&request)?.require(&[], "read the index status")?;
        Ok(Response::new(self.store.status()))
    }

    async fn rebuild_index(
        &self,
        request: Request<pb::RebuildIndexRequest>,
    ) -> Result<Response<pb::IndexStatus>, Status> {
        let caller = Caller::of(&request)?;
        caller.require(&[], "rebuild the index")?;
        let rebuilder = self.rebuilder.clone();
        let result: Result<pb::IndexStatus, Status> = async {
            tokio::task::spawn_blocking(move || rebuilder.start())
                .await
                .map_err(SearchError::from)?
                .map_err(SearchError::from)?;
            Ok(self.store.status())
        }
        .await;
        self.audit
            .record(&caller, "pyred.v1.GeoSearch/RebuildIndex", "index", &result)
            .await;
        result.map(Response::new)
    }
}
