//! The gRPC adapter of `pyred.v1.Matchmaking`: requests in, [`Workflow`] and [`Alerts`]
//! calls, replies and statuses out. Who may do what is decided there, not here.

use pyred_access::{AuditLog, Caller};
use pyred_proto::v1::matchmaking_server::Matchmaking;
use pyred_proto::v1::{self as pb};
use tokio_stream::StreamExt as _;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::alerts::Alerts;
use crate::leads::Leads;
use crate::store::Store;
use crate::workflow::Workflow;

/// The matchmaking gRPC service.
#[derive(Debug, Clone)]
pub struct MatchmakingApi {
    workflow: Workflow,
    alerts: Alerts,
}

impl MatchmakingApi {
    /// Serves from `store`, scoring through `leads`, auditing into `audit`; live alert
    /// streams end when `shutdown` is cancelled.
    pub fn new(store: Store, leads: Leads, audit: AuditLog, shutdown: CancellationToken) -> Self {
        Self {
            workflow: Workflow::new(store.clone(), leads.clone(), audit.clone()),
            alerts: Alerts::new(store, leads, audit, shutdown),
        }
    }
}

type AlertStream =
    std::pin::Pin<Box<dyn tokio_stream::Stream<Item = Result<pb::Match, Status>> + Send>>;

#[tonic::async_trait]
impl Matchmaking for MatchmakingApi {
    #[tracing::instrument(skip_all, fields(company_id = %request.get_ref().company_id))]
    async fn list_company_matches(
        &self,
        request: Request<pb::ListCompanyMatchesRequest>,
    ) -> Result<Response<pb::ListMatchesResponse>, Status> {
        let caller = Caller::of(&request)?;
        let page = self
            .workflow
            .company_leads(&caller, request.get_ref())
            .await?;
        Ok(Response::new(page))
    }

    #[tracing::instrument(skip_all, fields(opportunity_id = %request.get_ref().opportunity_id))]
    async fn list_opportunity_matches(
        &self,
        request: Request<pb::ListOpportunityMatchesRequest>,
    ) -> Result<Response<pb::ListMatchesResponse>, Status> {
        let caller = Caller::of(&request)?;
        let page = self
            .workflow
            .listing_firms(&caller, request.get_ref())
            .await?;
        Ok(Response::new(page))
    }

    #[tracing::instrument(skip_all, fields(id = %request.get_ref().id))]
    async fn get_match(
        &self,
        request: Request<pb::GetMatchRequest>,
    ) -> Result<Response<pb::Match>, Status> {
        let caller = Caller::of(&request)?;
        let lead = self.workflow.lead(&caller, &request.get_ref().id).await?;
        Ok(Response::new(lead))
    }

    #[tracing::instrument(skip_all, fields(id = %request.get_ref().id))]
    async fn update_match_status(
        &self,
        request: Request<pb::UpdateMatchStatusRequest>,
    ) -> Result<Response<pb::Match>, Status> {
        let caller = Caller::of(&request)?;
        let lead = self.workflow.move_lead(&caller, request.get_ref()).await?;
        Ok(Response::new(lead))
    }

    #[tracing::instrument(skip_all, fields(id = %request.get_ref().id))]
    async fn add_match_note(
        &self,
        request: Request<pb::AddMatchNoteRequest>,
    ) -> Result<Response<pb::Match>, Status> {
        let caller = Caller::of(&request)?;
        let lead = self.workflow.add_note(&caller, request.get_ref()).await?;
        Ok(Response::new(lead))
    }

    #[tracing::instrument(skip_all)]
    async fn export_judgments(
        &self,
        request: Request<pb::ExportJudgmentsRequest>,
    ) -> Result<Response<pb::ExportJudgmentsResponse>, Status> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.workflow.judgments(&caller).await?))
    }

    type WatchAlertsStream = AlertStream;

    #[tracing::instrument(skip_all)]
    async fn list_alerts(
        &self,
        request: Request<pb::ListAlertsRequest>,
    ) -> Result<Response<pb::ListAlertsResponse>, Status> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            self.alerts.list(&caller, request.get_ref()).await?,
        ))
    }

    async fn mark_alerts_read(
        &self,
        request: Request<pb::MarkAlertsReadRequest>,
    ) -> Result<Response<pb::AlertInbox>, Status> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            self.alerts.mark_read(&caller, request.get_ref()).await?,
        ))
    }

    async fn update_alert_inbox(
        &self,
        request: Request<pb::UpdateAlertInboxRequest>,
    ) -> Result<Response<pb::AlertInbox>, Status> {
        let caller = Caller::of(&request)?;
        let min_score = request.get_ref().min_score;
        Ok(Response::new(
            self.alerts.set_threshold(&caller, min_score).await?,
        ))
    }

    async fn watch_alerts(
        &self,
        request: Request<pb::WatchAlertsRequest>,
    ) -> Result<Response<Self::WatchAlertsStream>, Status> {
        let caller = Caller::of(&request)?;
        let alerts = self.alerts.watch(&caller, request.get_ref()).await?;
        Ok(Response::new(Box::pin(
            alerts.map(|item| item.map_err(Status::from)),
        )))
    }
}
