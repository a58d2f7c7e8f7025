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

type ChangeStream = Pin<Box<dyn Stream<Item = Result<pb::Change, Status>> + Send>>;

/// Writes the `CompanyRegistry` implementation from a table, a line per RPC: its request
/// and reply messages and the [`RegistryService`] operation it calls with the caller
/// (`with AuditNote`: and the call's audit note). `$request` names the request in the
/// RPCs' tracing fields.
macro_rules! translate {
    ($request:ident => $(
        $(#[$attr:meta])*
        $rpc:ident($message:ident) -> $reply:ident: $operation:ident $(with $note:ident)?;
    )*) => {
        #[tonic::async_trait]
        impl CompanyRegistry for RegistryApi {
            $(
                $(#[$attr])*
                async fn $rpc(
                    &self,
                    $request: Request<pb::$message>,
                ) -> Result<Response<pb::$reply>, Status> {
                    let caller = Caller::of(&$request)?;
                    self.service
                        .$operation(&caller, $(&$note::of(&$request),)? $request.get_ref())
                        .await
                        .map(Response::new)
                        .map_err(Status::from)
                }
            )*

            type WatchChangesStream = ChangeStream;

            #[tracing::instrument(skip_all, fields(since = $request.get_ref().since_seq, follow = $request.get_ref().follow))]
            async fn watch_changes(
                &self,
                $request: Request<pb::WatchChangesRequest>,
            ) -> Result<Response<Self::WatchChangesStream>, Status> {
                let caller = Caller::of(&$request)?;
                let changes = self.service.watch_changes(&caller, $request.get_ref())?;
                Ok(Response::new(Box::pin(
                    changes.map(|change| change.map_err(Status::from)),
                )))
            }
        }
    };
}

translate! { request =>
    #[tracing::instrument(skip_all)]
    create_company(CreateCompanyRequest) -> Company: create_company with AuditNote;
    #[tracing::instrument(skip_all, fields(id = %request.get_ref().id))]
    get_company(GetCompanyRequest) -> Company: get_company with AuditNote;
    #[tracing::instrument(skip_all)]
    update_company(UpdateCompanyRequest) -> Company: update_company with AuditNote;
    #[tracing::instrument(skip_all, fields(id = %request.get_ref().id))]
    delete_company(DeleteCompanyRequest) -> DeleteCompanyResponse: delete_company with AuditNote;
    #[tracing::instrument(skip_all, fields(id = %request.get_ref().id))]
    erase_company_contact(EraseCompanyContactRequest) -> Company: erase_company_contact with AuditNote;
    #[tracing::instrument(skip_all)]
    list_companies(ListCompaniesRequest) -> ListCompaniesResponse: list_companies with AuditNote;
    #[tracing::instrument(skip_all, fields(ids = request.get_ref().ids.len()))]
    batch_get_companies(BatchGetRequest) -> BatchGetCompaniesResponse: batch_get_companies;
    #[tracing::instrument(skip_all, fields(source = %request.get_ref().source, items = request.get_ref().companies.len()))]
    import_companies(ImportCompaniesRequest) -> ImportCompaniesResponse: import_companies with AuditNote;
    #[tracing::instrument(skip_all)]
    create_opportunity(CreateOpportunityRequest) -> Opportunity: create_opportunity with AuditNote;
    #[tracing::instrument(skip_all, fields(id = %request.get_ref().id))]
    get_opportunity(GetOpportunityRequest) -> Opportunity: get_opportunity;
    #[tracing::instrument(skip_all)]
    update_opportunity(UpdateOpportunityRequest) -> Opportunity: update_opportunity with AuditNote;
    #[tracing::instrument(skip_all, fields(id = %request.get_ref().id))]
    change_opportunity_status(ChangeOpportunityStatusRequest) -> Opportunity: change_opportunity_status with AuditNote;
    #[tracing::instrument(skip_all)]
    list_opportunities(ListOpportunitiesRequest) -> ListOpportunitiesResponse: list_opportunities;
    #[tracing::instrument(skip_all, fields(ids = request.get_ref().ids.len()))]
    batch_get_opportunities(BatchGetRequest) -> BatchGetOpportunitiesResponse: batch_get_opportunities;
    #[tracing::instrument(skip_all, fields(source = %request.get_ref().source, items = request.get_ref().upserts.len() + request.get_ref().withdrawals.len()))]
    sync_listings(SyncListingsRequest) -> SyncListingsResponse: sync_listings with AuditNote;
    get_feed_cursor(GetFeedCursorRequest) -> FeedCursor: feed_cursor;
}
