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

/// The audit note argument of an audited RPC's operation.
macro_rules! audit_note {
    (audited $request:ident) => {
        &AuditNote::of(&$request)
    };
}

/// The gRPC method name of an audited RPC.
macro_rules! audited_name {
    (audited $name:ident) => {
        stringify!($name)
    };
}

/// Writes the `CompanyRegistry` implementation, and [`AUDITED`], from a table: a line per
/// RPC with its gRPC method, its request and reply messages — the [`RegistryService`]
/// operation of the same name takes the caller and the message — and `audited` when it
/// goes to the audit log (the operation then also takes the call's [`AuditNote`]).
/// `$request` names the request in the RPCs' tracing fields.
macro_rules! translate {
    ($request:ident => $(
        $(#[$attr:meta])*
        $name:ident: $rpc:ident($message:ident) -> $reply:ident $(, $audited:ident)?;
    )*) => {
        /// The `pyred.v1.CompanyRegistry` methods the audit layer records, when the call
        /// notes an object: every write, and the reads that may return contacts.
        pub const AUDITED: &[&str] = &[$($(audited_name!($audited $name),)?)*];

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
                        .$rpc(&caller, $(audit_note!($audited $request),)? $request.get_ref())
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
    CreateCompany: create_company(CreateCompanyRequest) -> Company, audited;
    #[tracing::instrument(skip_all, fields(id = %request.get_ref().id))]
    GetCompany: get_company(GetCompanyRequest) -> Company, audited;
    #[tracing::instrument(skip_all)]
    UpdateCompany: update_company(UpdateCompanyRequest) -> Company, audited;
    #[tracing::instrument(skip_all, fields(id = %request.get_ref().id))]
    DeleteCompany: delete_company(DeleteCompanyRequest) -> DeleteCompanyResponse, audited;
    #[tracing::instrument(skip_all, fields(id = %request.get_ref().id))]
    EraseCompanyContact: erase_company_contact(EraseCompanyContactRequest) -> Company, audited;
    #[tracing::instrument(skip_all)]
    ListCompanies: list_companies(ListCompaniesRequest) -> ListCompaniesResponse, audited;
    #[tracing::instrument(skip_all, fields(ids = request.get_ref().ids.len()))]
    BatchGetCompanies: batch_get_companies(BatchGetRequest) -> BatchGetCompaniesResponse;
    #[tracing::instrument(skip_all, fields(source = %request.get_ref().source, items = request.get_ref().companies.len()))]
    ImportCompanies: import_companies(ImportCompaniesRequest) -> ImportCompaniesResponse, audited;
    #[tracing::instrument(skip_all)]
    CreateOpportunity: create_opportunity(CreateOpportunityRequest) -> Opportunity, audited;
    #[tracing::instrument(skip_all, fields(id = %request.get_ref().id))]
    GetOpportunity: get_opportunity(GetOpportunityRequest) -> Opportunity;
    #[tracing::instrument(skip_all)]
    UpdateOpportunity: update_opportunity(UpdateOpportunityRequest) -> Opportunity, audited;
    #[tracing::instrument(skip_all, fields(id = %request.get_ref().id))]
    ChangeOpportunityStatus: change_opportunity_status(ChangeOpportunityStatusRequest) -> Opportunity, audited;
    #[tracing::instrument(skip_all)]
    ListOpportunities: list_opportunities(ListOpportunitiesRequest) -> ListOpportunitiesResponse;
    #[tracing::instrument(skip_all, fields(ids = request.get_ref().ids.len()))]
    BatchGetOpportunities: batch_get_opportunities(BatchGetRequest) -> BatchGetOpportunitiesResponse;
    #[tracing::instrument(skip_all, fields(source = %request.get_ref().source, items = request.get_ref().upserts.len() + request.get_ref().withdrawals.len()))]
    SyncListings: sync_listings(SyncListingsRequest) -> SyncListingsResponse, audited;
    GetFeedCursor: get_feed_cursor(GetFeedCursorRequest) -> FeedCursor;
}
