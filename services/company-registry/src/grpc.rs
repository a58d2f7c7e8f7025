//! The gRPC adapter: turns `pyred.v1.CompanyRegistry` requests into store calls.
//!
//! Each handler's first step validates the request into domain values; calls whose
//! capability is not built yet answer `Unimplemented` with the reason.

use std::pin::Pin;

use pyred_proto::v1::company_registry_server::CompanyRegistry;
use pyred_proto::v1::{self as pb};
use pyred_runtime::error::InvalidInput;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use crate::error::RegistryError;
use crate::store::{Store, StoredCompany};

/// The registry's gRPC service.
#[derive(Debug, Clone)]
pub struct RegistryApi {
    store: Store,
}

impl RegistryApi {
    /// Serves from `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

fn required_id(id: &str) -> Result<&str, InvalidInput> {
    let id = id.trim();
    if id.is_empty() {
        Err(InvalidInput::single("id", "must not be empty"))
    } else if id.len() > 128 {
        Err(InvalidInput::single("id", "must be at most 128 bytes"))
    } else {
        Ok(id)
    }
}

impl From<StoredCompany> for pb::Company {
    fn from(company: StoredCompany) -> Self {
        Self {
            id: company.id,
            source: company.source,
            external_id: company.external_id,
            name: company.name,
            country: company.country,
            region: company.region,
            version: company.version,
            ..Self::default()
        }
    }
}

type ChangeStream = Pin<Box<dyn Stream<Item = Result<pb::Change, Status>> + Send>>;

fn not_yet<T>(capability: &'static str) -> Result<Response<T>, Status> {
    Err(RegistryError::NotYetAvailable(capability).into())
}

#[tonic::async_trait]
impl CompanyRegistry for RegistryApi {
    async fn create_company(
        &self,
        _request: Request<pb::CreateCompanyRequest>,
    ) -> Result<Response<pb::Company>, Status> {
        not_yet("CreateCompany")
    }

    #[tracing::instrument(skip_all, fields(id = %request.get_ref().id))]
    async fn get_company(
        &self,
        request: Request<pb::GetCompanyRequest>,
    ) -> Result<Response<pb::Company>, Status> {
        let id = required_id(&request.get_ref().id).map_err(RegistryError::from)?;
        match self.store.company(id).await? {
            Some(company) => Ok(Response::new(company.into())),
            None => Err(RegistryError::NotFound {
                entity: "company",
                id: id.to_owned(),
            }
            .into()),
        }
    }

    async fn update_company(
        &self,
        _request: Request<pb::UpdateCompanyRequest>,
    ) -> Result<Response<pb::Company>, Status> {
        not_yet("UpdateCompany")
    }

    async fn delete_company(
        &self,
        _request: Request<pb::DeleteCompanyRequest>,
    ) -> Result<Response<pb::DeleteCompanyResponse>, Status> {
        not_yet("DeleteCompany")
    }

    async fn list_companies(
        &self,
        _request: Request<pb::ListCompaniesRequest>,
    ) -> Result<Response<pb::ListCompaniesResponse>, Status> {
        not_yet("ListCompanies")
    }

    async fn create_opportunity(
        &self,
        _request: Request<pb::CreateOpportunityRequest>,
    ) -> Result<Response<pb::Opportunity>, Status> {
        not_yet("CreateOpportunity")
    }

    async fn get_opportunity(
        &self,
        _request: Request<pb::GetOpportunityRequest>,
    ) -> Result<Response<pb::Opportunity>, Status> {
        not_yet("GetOpportunity")
    }

    async fn update_opportunity(
        &self,
        _request: Request<pb::UpdateOpportunityRequest>,
    ) -> Result<Response<pb::Opportunity>, Status> {
        not_yet("UpdateOpportunity")
    }

    async fn change_opportunity_status(
        &self,
        _request: Request<pb::ChangeOpportunityStatusRequest>,
    ) -> Result<Response<pb::Opportunity>, Status> {
        not_yet("ChangeOpportunityStatus")
    }

    async fn list_opportunities(
        &self,
        _request: Request<pb::ListOpportunitiesRequest>,
    ) -> Result<Response<pb::ListOpportunitiesResponse>, Status> {
        not_yet("ListOpportunities")
    }

    async fn sync_listings(
        &self,
        _request: Request<pb::SyncListingsRequest>,
    ) -> Result<Response<pb::SyncListingsResponse>, Status> {
        not_yet("SyncListings")
    }

    async fn import_companies(
        &self,
        _request: Request<pb::ImportCompaniesRequest>,
    ) -> Result<Response<pb::ImportCompaniesResponse>, Status> {
        not_yet("ImportCompanies")
    }

    type WatchChangesStream = ChangeStream;

    async fn watch_changes(
        &self,
        _request: Request<pb::WatchChangesRequest>,
    ) -> Result<Response<Self::WatchChangesStream>, Status> {
        not_yet("WatchChanges")
    }
}
