//! The gRPC adapter: `pyred.v1.CompanyRegistry` requests in, [`RegistryService`] calls,
//! replies and statuses out — translation only.
//!
//! Each handler takes the authenticated caller (and, for the audited RPCs, the call's
//! [`AuditNote`]) from the request and hands them with the message to the service, which
//! decides (`docs/security.md`); its errors become statuses in `error.rs`, the one
//! mapping. The audit layer in front of this service writes the rows.

use std::pin::Pin;

use pyred_access::{AuditNote, Caller};
use pyred_proto::v1::company_registry_server::CompanyRegistry;
use pyred_proto::v1::{self as pb};
use tokio_stream::{Stream, StreamExt as _};
use tonic::{Request, Response, Status};

use crate::error::RegistryError;
use crate::service::RegistryService;

/// The registry's gRPC service.
#[derive(Debug, Clone)]
pub struct RegistryApi {
    service: RegistryService,
}

impl RegistryApi {
    /// Serves `service`.
    pub fn new(service: RegistryService) -> Self {
        Self { service }
    }
}

/// A service answer as a gRPC one.
fn answer<T>(result: Result<T, RegistryError>) -> Result<Response<T>, Status> {
    result.map(Response::new).map_err(Status::from)
}

type ChangeStream = Pin<Box<dyn Stream<Item = Result<pb::Change, Status>> + Send>>;

#[tonic::async_trait]
impl CompanyRegistry for RegistryApi {
    #[tracing::instrument(skip_all)]
    async fn create_company(
        &self,
        request: Request<pb::CreateCompanyRequest>,
    ) -> Result<Response<pb::Company>, Status> {
        let caller = Caller::of(&request)?;
        let note = AuditNote::of(&request);
        answer(
            self.service
                .create_company(&caller, &note, request.get_ref())
                .await,
        )
    }

    #[tracing::instrument(skip_all, fields(id = %request.get_ref().id))]
    async fn get_company(
        &self,
        request: Request<pb::GetCompanyRequest>,
    ) -> Result<Response<pb::Company>, Status> {
        let caller = Caller::of(&request)?;
        let note = AuditNote::of(&request);
        answer(
            self.service
                .get_company(&caller, &note, request.get_ref())
                .await,
        )
    }

    #[tracing::instrument(skip_all)]
    async fn update_company(
        &self,
        request: Request<pb::UpdateCompanyRequest>,
    ) -> Result<Response<pb::Company>, Status> {
        let caller = Caller::of(&request)?;
        let note = AuditNote::of(&request);
        answer(
            self.service
                .update_company(&caller, &note, request.get_ref())
                .await,
        )
    }

    #[tracing::instrument(skip_all, fields(id = %request.get_ref().id))]
    async fn delete_company(
        &self,
        request: Request<pb::DeleteCompanyRequest>,
    ) -> Result<Response<pb::DeleteCompanyResponse>, Status> {
        let caller = Caller::of(&request)?;
        let note = AuditNote::of(&request);
        answer(
            self.service
                .delete_company(&caller, &note, request.get_ref())
                .await,
        )
    }

    #[tracing::instrument(skip_all, fields(id = %request.get_ref().id))]
    async fn erase_company_contact(
        &self,
        request: Request<pb::EraseCompanyContactRequest>,
    ) -> Result<Response<pb::Company>, Status> {
        let caller = Caller::of(&request)?;
        let note = AuditNote::of(&request);
        answer(
            self.service
                .erase_company_contact(&caller, &note, request.get_ref())
                .await,
        )
    }

    #[tracing::instrument(skip_all)]
    async fn list_companies(
        &self,
        request: Request<pb::ListCompaniesRequest>,
    ) -> Result<Response<pb::ListCompaniesResponse>, Status> {
        let caller = Caller::of(&request)?;
        let note = AuditNote::of(&request);
        answer(
            self.service
                .list_companies(&caller, &note, request.get_ref())
                .await,
        )
    }

    #[tracing::instrument(skip_all)]
    async fn create_opportunity(
        &self,
        request: Request<pb::CreateOpportunityRequest>,
    ) -> Result<Response<pb::Opportunity>, Status> {
        let caller = Caller::of(&request)?;
        let note = AuditNote::of(&request);
        answer(
            self.service
                .create_opportunity(&caller, &note, request.get_ref())
                .await,
        )
    }

    #[tracing::instrument(skip_all, fields(id = %request.get_ref().id))]
    async fn get_opportunity(
        &self,
        request: Request<pb::GetOpportunityRequest>,
    ) -> Result<Response<pb::Opportunity>, Status> {
        let caller = Caller::of(&request)?;
        answer(
            self.service
                .get_opportunity(&caller, request.get_ref())
                .await,
        )
    }

    #[tracing::instrument(skip_all)]
    async fn update_opportunity(
        &self,
        request: Request<pb::UpdateOpportunityRequest>,
    ) -> Result<Response<pb::Opportunity>, Status> {
        let caller = Caller::of(&request)?;
        let note = AuditNote::of(&request);
        answer(
            self.service
                .update_opportunity(&caller, &note, request.get_ref())
                .await,
        )
    }

    #[tracing::instrument(skip_all, fields(id = %request.get_ref().id))]
    async fn change_opportunity_status(
        &self,
        request: Request<pb::ChangeOpportunityStatusRequest>,
    ) -> Result<Response<pb::Opportunity>, Status> {
        let caller = Caller::of(&request)?;
        let note = AuditNote::of(&request);
        answer(
            self.service
                .change_opportunity_status(&caller, &note, request.get_ref())
                .await,
        )
    }

    #[tracing::instrument(skip_all)]
    async fn list_opportunities(
        &self,
        request: Request<pb::ListOpportunitiesRequest>,
    ) -> Result<Response<pb::ListOpportunitiesResponse>, Status> {
        let caller = Caller::of(&request)?;
        answer(
            self.service
                .list_opportunities(&caller, request.get_ref())
                .await,
        )
    }

    #[tracing::instrument(skip_all, fields(ids = request.get_ref().ids.len()))]
    async fn batch_get_opportunities(
        &self,
        request: Request<pb::BatchGetRequest>,
    ) -> Result<Response<pb::BatchGetOpportunitiesResponse>, Status> {
        let caller = Caller::of(&request)?;
        answer(
            self.service
                .batch_get_opportunities(&caller, request.get_ref())
                .await,
        )
    }

    #[tracing::instrument(skip_all, fields(ids = request.get_ref().ids.len()))]
    async fn batch_get_companies(
        &self,
        request: Request<pb::BatchGetRequest>,
    ) -> Result<Response<pb::BatchGetCompaniesResponse>, Status> {
        let caller = Caller::of(&request)?;
        answer(
            self.service
                .batch_get_companies(&caller, request.get_ref())
                .await,
        )
    }

    #[tracing::instrument(skip_all, fields(source = %request.get_ref().source, items = request.get_ref().upserts.len() + request.get_ref().withdrawals.len()))]
    async fn sync_listings(
        &self,
        request: Request<pb::SyncListingsRequest>,
    ) -> Result<Response<pb::SyncListingsResponse>, Status> {
        let caller = Caller::of(&request)?;
        let note = AuditNote::of(&request);
        answer(
            self.service
                .sync_listings(&caller, &note, request.get_ref())
                .await,
        )
    }

    async fn get_feed_cursor(
        &self,
        request: Request<pb::GetFeedCursorRequest>,
    ) -> Result<Response<pb::FeedCursor>, Status> {
        let caller = Caller::of(&request)?;
        answer(self.service.feed_cursor(&caller, request.get_ref()).await)
    }

    #[tracing::instrument(skip_all, fields(source = %request.get_ref().source, items = request.get_ref().companies.len()))]
    async fn import_companies(
        &self,
        request: Request<pb::ImportCompaniesRequest>,
    ) -> Result<Response<pb::ImportCompaniesResponse>, Status> {
        let caller = Caller::of(&request)?;
        let note = AuditNote::of(&request);
        answer(
            self.service
                .import_companies(&caller, &note, request.get_ref())
                .await,
        )
    }

    type WatchChangesStream = ChangeStream;

    #[tracing::instrument(skip_all, fields(since = request.get_ref().since_seq, follow = request.get_ref().follow))]
    async fn watch_changes(
        &self,
        request: Request<pb::WatchChangesRequest>,
    ) -> Result<Response<Self::WatchChangesStream>, Status> {
        let caller = Caller::of(&request)?;
        let changes = self.service.watch_changes(&caller, request.get_ref())?;
        Ok(Response::new(Box::pin(
            changes.map(|change| change.map_err(Status::from)),
        )))
    }
}
