//! The gRPC adapter of `pyred.v1.Matchmaking`.

use std::pin::Pin;

use pyred_proto::v1::company_registry_client::CompanyRegistryClient;
use pyred_proto::v1::matchmaking_server::Matchmaking;
use pyred_proto::v1::{self as pb};
use pyred_runtime::client::ServiceChannel;
use pyred_runtime::error::InvalidInput;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use crate::error::MatchError;
use crate::store::Store;

/// The matchmaking gRPC service.
#[derive(Debug, Clone)]
pub struct MatchmakingApi {
    #[allow(dead_code, reason = "match records are written once scoring lands")]
    store: Store,
    registry: CompanyRegistryClient<ServiceChannel>,
}

impl MatchmakingApi {
    /// Serves from `store`, reading firms and listings from the registry.
    pub fn new(store: Store, registry: ServiceChannel) -> Self {
        Self {
            store,
            registry: CompanyRegistryClient::new(registry),
        }
    }

    /// Fetches a firm from the registry; a missing firm is this call's NotFound.
    async fn company(&self, id: &str) -> Result<pb::Company, MatchError> {
        let mut registry = self.registry.clone();
        match registry
            .get_company(pb::GetCompanyRequest {
                id: id.to_owned(),
                legal_id: String::new(),
            })
            .await
        {
            Ok(response) => Ok(response.into_inner()),
            Err(status) if status.code() == tonic::Code::NotFound => Err(MatchError::NotFound {
                entity: "company",
                id: id.to_owned(),
            }),
            Err(status) => Err(MatchError::Upstream {
                service: "company-registry",
                status,
            }),
        }
    }
}

fn required(field: &'static str, value: &str) -> Result<String, InvalidInput> {
    let value = value.trim();
    if value.is_empty() {
        Err(InvalidInput::single(field, "must not be empty"))
    } else if value.len() > 128 {
        Err(InvalidInput::single(field, "must be at most 128 bytes"))
    } else {
        Ok(value.to_owned())
    }
}

fn not_yet<T>(capability: &'static str) -> Result<Response<T>, Status> {
    Err(MatchError::NotYetAvailable(capability).into())
}

type AlertStream = Pin<Box<dyn Stream<Item = Result<pb::Match, Status>> + Send>>;

#[tonic::async_trait]
impl Matchmaking for MatchmakingApi {
    #[tracing::instrument(skip_all, fields(company_id = %request.get_ref().company_id))]
    async fn list_company_matches(
        &self,
        request: Request<pb::ListCompanyMatchesRequest>,
    ) -> Result<Response<pb::ListMatchesResponse>, Status> {
        let company_id =
            required("company_id", &request.get_ref().company_id).map_err(MatchError::from)?;
        let company = self.company(&company_id).await?;
        tracing::debug!(company = %company.name, "firm found; scoring not built yet");
        not_yet("ListCompanyMatches scoring")
    }

    async fn list_opportunity_matches(
        &self,
        _request: Request<pb::ListOpportunityMatchesRequest>,
    ) -> Result<Response<pb::ListMatchesResponse>, Status> {
        not_yet("ListOpportunityMatches")
    }

    async fn get_match(
        &self,
        _request: Request<pb::GetMatchRequest>,
    ) -> Result<Response<pb::Match>, Status> {
        not_yet("GetMatch")
    }

    async fn update_match_status(
        &self,
        _request: Request<pb::UpdateMatchStatusRequest>,
    ) -> Result<Response<pb::Match>, Status> {
        not_yet("UpdateMatchStatus")
    }

    async fn add_match_note(
        &self,
        _request: Request<pb::AddMatchNoteRequest>,
    ) -> Result<Response<pb::Match>, Status> {
        not_yet("AddMatchNote")
    }

    type WatchAlertsStream = AlertStream;

    async fn watch_alerts(
        &self,
        _request: Request<pb::WatchAlertsRequest>,
    ) -> Result<Response<Self::WatchAlertsStream>, Status> {
        not_yet("WatchAlerts")
    }
}
