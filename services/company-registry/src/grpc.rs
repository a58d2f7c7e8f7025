//! The gRPC adapter: `pyred.v1.CompanyRegistry` requests in, [`Registrar`] calls, replies
//! and statuses out. The change feed is streamed from here.

use std::pin::Pin;
use std::time::Duration;

use pyred_proto::v1::company_registry_server::CompanyRegistry;
use pyred_proto::v1::{self as pb};
use pyred_runtime::error::InvalidInput;
use tokio_stream::Stream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::error::RegistryError;
use crate::registrar::Registrar;

/// Changes read from the store per query while streaming.
const FEED_BATCH: i64 = 500;
/// How often a live stream looks for changes committed by other registry replicas.
const FEED_POLL: Duration = Duration::from_millis(200);

/// The registry's gRPC service.
#[derive(Debug, Clone)]
pub struct RegistryApi {
    registrar: Registrar,
    shutdown: CancellationToken,
}

impl RegistryApi {
    /// Serves `registrar`; live change streams end when `shutdown` is cancelled.
    pub fn new(registrar: Registrar, shutdown: CancellationToken) -> Self {
        Self {
            registrar,
            shutdown,
        }
    }
}

type ChangeStream = Pin<Box<dyn Stream<Item = Result<pb::Change, Status>> + Send>>;

fn ok<T>(result: Result<T, RegistryError>) -> Result<Response<T>, Status> {
    result.map(Response::new).map_err(Status::from)
}

#[tonic::async_trait]
impl CompanyRegistry for RegistryApi {
    #[tracing::instrument(skip_all)]
    async fn create_company(
        &self,
        request: Request<pb::CreateCompanyRequest>,
    ) -> Result<Response<pb::Company>, Status> {
        let Some(company) = request.get_ref().company.as_ref() else {
            return Err(InvalidInput::single("company", "is required").to_status());
        };
        ok(self.registrar.create_company(company).await)
    }

    #[tracing::instrument(skip_all, fields(id = %request.get_ref().id))]
    async fn get_company(
        &self,
        request: Request<pb::GetCompanyRequest>,
    ) -> Result<Response<pb::Company>, Status> {
        ok(self.registrar.get_company(request.get_ref()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn update_company(
        &self,
        request: Request<pb::UpdateCompanyRequest>,
    ) -> Result<Response<pb::Company>, Status> {
        ok(self.registrar.update_company(request.get_ref()).await)
    }

    #[tracing::instrument(skip_all, fields(id = %request.get_ref().id))]
    async fn delete_company(
        &self,
        request: Request<pb::DeleteCompanyRequest>,
    ) -> Result<Response<pb::DeleteCompanyResponse>, Status> {
        ok(self
            .registrar
            .delete_company(request.get_ref())
            .await
            .map(|seq| pb::DeleteCompanyResponse { seq }))
    }

    #[tracing::instrument(skip_all, fields(id = %request.get_ref().id))]
    async fn erase_company_contact(
        &self,
        request: Request<pb::EraseCompanyContactRequest>,
    ) -> Result<Response<pb::Company>, Status> {
        ok(self.registrar.erase_contact(request.get_ref()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn list_companies(
        &self,
        request: Request<pb::ListCompaniesRequest>,
    ) -> Result<Response<pb::ListCompaniesResponse>, Status> {
        ok(self.registrar.list_companies(request.get_ref()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn create_opportunity(
        &self,
        request: Request<pb::CreateOpportunityRequest>,
    ) -> Result<Response<pb::Opportunity>, Status> {
        ok(self.registrar.create_opportunity(request.get_ref()).await)
    }

    #[tracing::instrument(skip_all, fields(id = %request.get_ref().id))]
    async fn get_opportunity(
        &self,
        request: Request<pb::GetOpportunityRequest>,
    ) -> Result<Response<pb::Opportunity>, Status> {
        ok(self.registrar.get_opportunity(&request.get_ref().id).await)
    }

    #[tracing::instrument(skip_all)]
    async fn update_opportunity(
        &self,
        request: Request<pb::UpdateOpportunityRequest>,
    ) -> Result<Response<pb::Opportunity>, Status> {
        ok(self.registrar.update_opportunity(request.get_ref()).await)
    }

    #[tracing::instrument(skip_all, fields(id = %request.get_ref().id))]
    async fn change_opportunity_status(
        &self,
        request: Request<pb::ChangeOpportunityStatusRequest>,
    ) -> Result<Response<pb::Opportunity>, Status> {
        ok(self.registrar.change_status(request.get_ref()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn list_opportunities(
        &self,
        request: Request<pb::ListOpportunitiesRequest>,
    ) -> Result<Response<pb::ListOpportunitiesResponse>, Status> {
        ok(self.registrar.list_opportunities(request.get_ref()).await)
    }

    #[tracing::instrument(skip_all, fields(source = %request.get_ref().source, items = request.get_ref().upserts.len() + request.get_ref().withdrawals.len()))]
    async fn sync_listings(
        &self,
        request: Request<pb::SyncListingsRequest>,
    ) -> Result<Response<pb::SyncListingsResponse>, Status> {
        ok(self.registrar.sync_listings(request.get_ref()).await)
    }

    #[tracing::instrument(skip_all, fields(source = %request.get_ref().source, items = request.get_ref().companies.len()))]
    async fn import_companies(
        &self,
        request: Request<pb::ImportCompaniesRequest>,
    ) -> Result<Response<pb::ImportCompaniesResponse>, Status> {
        ok(self.registrar.import_companies(request.get_ref()).await)
    }

    type WatchChangesStream = ChangeStream;

    #[tracing::instrument(skip_all, fields(since = request.get_ref().since_seq, follow = request.get_ref().follow))]
    async fn watch_changes(
        &self,
        request: Request<pb::WatchChangesRequest>,
    ) -> Result<Response<Self::WatchChangesStream>, Status> {
        let request = request.into_inner();
        if request.since_seq < 0 {
            return Err(InvalidInput::single("since_seq", "must not be negative").to_status());
        }
        let store = self.registrar.store().clone();
        let shutdown = self.shutdown.clone();
        let (sender, receiver) = tokio::sync::mpsc::channel(FEED_BATCH as usize);
        tokio::spawn(async move {
            let mut committed = store.subscribe();
            let mut cursor = request.since_seq;
            loop {
                let batch = match store.changes_after(cursor, FEED_BATCH).await {
                    Ok(batch) => batch,
                    Err(error) => {
                        let _closed = sender.send(Err(Status::from(error))).await;
                        return;
                    }
                };
                let caught_up = (batch.len() as i64) < FEED_BATCH;
                for change in batch {
                    cursor = change.seq;
                    let message = change.to_pb().map_err(Status::from);
                    if sender.send(message).await.is_err() {
                        return; // the consumer went away
                    }
                }
                if !caught_up {
                    continue;
                }
                if !request.follow {
                    return;
                }
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = sender.closed() => return,
                    _ = committed.changed() => {}
                    () = tokio::time::sleep(FEED_POLL) => {}
                }
            }
        });
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(receiver),
        )))
    }
}
