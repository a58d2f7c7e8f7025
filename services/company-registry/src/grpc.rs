//! The gRPC adapter: `pyred.v1.CompanyRegistry` requests in, [`Registrar`] calls, replies
//! and statuses out. The change feed is streamed from here.
//!
//! Every handler authorizes the caller against the object it touches (the policy is
//! written out in `docs/security.md`): advisers see the firms of their territory with
//! contacts and public profiles elsewhere without them; a firm sees and edits its own
//! company; an agency publishes and reads only its own source's listings. An object
//! outside the caller's scope answers `NotFound`, exactly as a missing one. Writes and
//! reads of personal data (contacts) go to the audit log.

use std::pin::Pin;
use std::time::Duration;

use pyred_access::{AuditLog, Caller, CompanyView, Role};
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
    audit: AuditLog,
    metrics: pyred_metrics::Metrics,
    shutdown: CancellationToken,
}

impl RegistryApi {
    /// Serves `registrar`, auditing into `audit`; live change streams end when `shutdown`
    /// is cancelled.
    pub fn new(
        registrar: Registrar,
        audit: AuditLog,
        metrics: pyred_metrics::Metrics,
        shutdown: CancellationToken,
    ) -> Self {
        Self {
            registrar,
            audit,
            metrics,
            shutdown,
        }
    }

    /// The company `id` as `caller` may see it; `NotFound` when hidden from them.
    async fn visible_company(
        &self,
        caller: &Caller,
        request: &pb::GetCompanyRequest,
    ) -> Result<(pb::Company, CompanyView), Status> {
        let company = self
            .registrar
            .get_company(request)
            .await
            .map_err(Status::from)?;
        match view_of(caller, &company) {
            CompanyView::Hidden => Err(hidden("company", &company.id)),
            view => Ok((company, view)),
        }
    }

    /// The company `id` if `caller` may change it; `NotFound` when hidden from them.
    async fn writable_company(&self, caller: &Caller, id: &str) -> Result<pb::Company, Status> {
        let request = pb::GetCompanyRequest {
            id: id.to_owned(),
            legal_id: String::new(),
        };
        match self.visible_company(caller, &request).await? {
            (company, CompanyView::Full) => Ok(company),
            (company, _) => Err(hidden("company", &company.id)),
        }
    }

    /// The listing `id` if `caller` may change it; `NotFound` when not theirs.
    async fn writable_opportunity(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<pb::Opportunity, Status> {
        let opportunity = self
            .registrar
            .get_opportunity(id)
            .await
            .map_err(Status::from)?;
        if caller.manages_source(&opportunity.source) {
            Ok(opportunity)
        } else {
            Err(hidden("opportunity", id))
        }
    }
}

/// The answer for an object outside the caller's scope: the same as for a missing one.
fn hidden(entity: &'static str, id: &str) -> Status {
    Status::from(RegistryError::NotFound {
        entity,
        id: id.to_owned(),
    })
}

fn view_of(caller: &Caller, company: &pb::Company) -> CompanyView {
    let public = company.visibility == pb::Visibility::Public as i32;
    caller.company_view(&company.id, &company.region, public)
}

/// The company as seen with `view`: a public view carries no contact.
fn shaped(mut company: pb::Company, view: CompanyView) -> Option<pb::Company> {
    match view {
        CompanyView::Full => Some(company),
        CompanyView::Public => {
            company.contact = None;
            Some(company)
        }
        CompanyView::Hidden => None,
    }
}

/// Listings anyone authenticated may read (`pyred_access::PUBLIC_OPPORTUNITY_STATUSES`).
fn is_public(opportunity: &pb::Opportunity) -> bool {
    pyred_access::is_public_status(opportunity.status)
}

/// Whether `region` leaves an adviser's territory. A region that is no ISO 3166-2
/// subdivision at all is left to validation, which names it as invalid (a refusal for
/// territory would hide the real mistake).
fn leaves_territory(caller: &Caller, region: &str) -> bool {
    let assigned = pyred_domain::IsoRegion::parse(region).is_ok_and(|r| r.is_assigned());
    assigned && !caller.territory_covers(region)
}

/// `PermissionDenied` naming the field that leaves the caller's territory.
fn outside_territory(field: &str, region: &str) -> Status {
    Status::permission_denied(format!("{field}: {region} is outside your territory"))
}

const RPC: &str = "pyred.v1.CompanyRegistry/";

type ChangeStream = Pin<Box<dyn Stream<Item = Result<pb::Change, Status>> + Send>>;

#[tonic::async_trait]
impl CompanyRegistry for RegistryApi {
    #[tracing::instrument(skip_all)]
    async fn create_company(
        &self,
        request: Request<pb::CreateCompanyRequest>,
    ) -> Result<Response<pb::Company>, Status> {
        let caller = Caller::of(&request)?;
        caller.require(&[Role::Adviser], "create companies")?;
        let Some(company) = request.get_ref().company.as_ref() else {
            return Err(InvalidInput::single("company", "is required").to_status());
        };
        if caller.role == Role::Adviser && leaves_territory(&caller, company.region.trim()) {
            return Err(outside_territory("company.region", company.region.trim()));
        }
        let result = self
            .registrar
            .create_company(company)
            .await
            .map_err(Status::from);
        let object = result
            .as_ref()
            .map_or_else(|_| "company/".into(), |c| format!("company/{}", c.id));
        self.audit
            .record(&caller, &format!("{RPC}CreateCompany"), &object, &result)
            .await;
        result.map(Response::new)
    }

    #[tracing::instrument(skip_all, fields(id = %request.get_ref().id))]
    async fn get_company(
        &self,
        request: Request<pb::GetCompanyRequest>,
    ) -> Result<Response<pb::Company>, Status> {
        let caller = Caller::of(&request)?;
        caller.require(&[Role::Adviser, Role::Firm], "read companies")?;
        let (company, view) = self.visible_company(&caller, request.get_ref()).await?;
        let reads_contact = view == CompanyView::Full && company.contact.is_some();
        let id = company.id.clone();
        let shown = shaped(company, view).ok_or_else(|| hidden("company", &id));
        if reads_contact && caller.role != Role::Service {
            self.audit
                .record(
                    &caller,
                    &format!("{RPC}GetCompany"),
                    &format!("company/{id}"),
                    &shown,
                )
                .await;
        }
        shown.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn update_company(
        &self,
        request: Request<pb::UpdateCompanyRequest>,
    ) -> Result<Response<pb::Company>, Status> {
        let caller = Caller::of(&request)?;
        caller.require(&[Role::Adviser, Role::Firm], "update companies")?;
        let id = request
            .get_ref()
            .company
            .as_ref()
            .map(|c| c.id.trim().to_owned())
            .unwrap_or_default();
        let result = async {
            if id.is_empty() {
                // Let the registrar name the missing field.
                return self
                    .registrar
                    .update_company(request.get_ref())
                    .await
                    .map_err(Status::from);
            }
            self.writable_company(&caller, &id).await?;
            if caller.role == Role::Adviser
                && let Some(given) = request.get_ref().company.as_ref()
            {
                let mask = request.get_ref().update_mask.as_ref();
                let region_changes = mask
                    .is_none_or(|m| m.paths.is_empty() || m.paths.iter().any(|p| p == "region"));
                if region_changes && leaves_territory(&caller, given.region.trim()) {
                    return Err(outside_territory("company.region", given.region.trim()));
                }
            }
            self.registrar
                .update_company(request.get_ref())
                .await
                .map_err(Status::from)
        }
        .await;
        self.audit
            .record(
                &caller,
                &format!("{RPC}UpdateCompany"),
                &format!("company/{id}"),
                &result,
            )
            .await;
        result.map(Response::new)
    }

    #[tracing::instrument(skip_all, fields(id = %request.get_ref().id))]
    async fn delete_company(
        &self,
        request: Request<pb::DeleteCompanyRequest>,
    ) -> Result<Response<pb::DeleteCompanyResponse>, Status> {
        let caller = Caller::of(&request)?;
        caller.require(&[Role::Adviser], "delete companies")?;
        let id = request.get_ref().id.trim().to_owned();
        let result = async {
            if !id.is_empty() {
                self.writable_company(&caller, &id).await?;
            }
            self.registrar
                .delete_company(request.get_ref())
                .await
                .map(|seq| pb::DeleteCompanyResponse { seq })
                .map_err(Status::from)
        }
        .await;
        self.audit
            .record(
                &caller,
                &format!("{RPC}DeleteCompany"),
                &format!("company/{id}"),
                &result,
            )
            .await;
        result.map(Response::new)
    }

    #[tracing::instrument(skip_all, fields(id = %request.get_ref().id))]
    async fn erase_company_contact(
        &self,
        request: Request<pb::EraseCompanyContactRequest>,
    ) -> Result<Response<pb::Company>, Status> {
        let caller = Caller::of(&request)?;
        caller.require(&[Role::Adviser, Role::Firm], "erase contacts")?;
        let id = request.get_ref().id.trim().to_owned();
        let result = async {
            if !id.is_empty() {
                self.writable_company(&caller, &id).await?;
            }
            self.registrar
                .erase_contact(request.get_ref())
                .await
                .map_err(Status::from)
        }
        .await;
        self.audit
            .record(
                &caller,
                &format!("{RPC}EraseCompanyContact"),
                &format!("company/{id}"),
                &result,
            )
            .await;
        result.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn list_companies(
        &self,
        request: Request<pb::ListCompaniesRequest>,
    ) -> Result<Response<pb::ListCompaniesResponse>, Status> {
        let caller = Caller::of(&request)?;
        caller.require(&[Role::Adviser, Role::Firm], "list companies")?;
        let mut page = self
            .registrar
            .list_companies(request.get_ref())
            .await
            .map_err(Status::from)?;
        // A page may hold fewer companies than asked once hidden ones are left out; the
        // page token still continues after the last company read.
        let companies = std::mem::take(&mut page.companies);
        page.companies = companies
            .into_iter()
            .filter_map(|company| {
                let view = view_of(&caller, &company);
                shaped(company, view)
            })
            .collect();
        let with_contacts = page
            .companies
            .iter()
            .filter(|c| c.contact.is_some())
            .count();
        if with_contacts > 0 && caller.role != Role::Service {
            let object = format!(
                "companies?region={}&source={}",
                request.get_ref().region,
                request.get_ref().source
            );
            self.audit
                .record(
                    &caller,
                    &format!("{RPC}ListCompanies"),
                    &object,
                    &Ok::<(), Status>(()),
                )
                .await;
        }
        Ok(Response::new(page))
    }

    #[tracing::instrument(skip_all)]
    async fn create_opportunity(
        &self,
        request: Request<pb::CreateOpportunityRequest>,
    ) -> Result<Response<pb::Opportunity>, Status> {
        let caller = Caller::of(&request)?;
        caller.require(&[Role::Agency], "publish listings")?;
        let source = request
            .get_ref()
            .opportunity
            .as_ref()
            .map(|o| o.source.trim().to_owned())
            .unwrap_or_default();
        if !caller.manages_source(&source) {
            return Err(Status::permission_denied(format!(
                "opportunity.source: this key publishes only as {:?}",
                caller.source
            )));
        }
        let result = self
            .registrar
            .create_opportunity(request.get_ref())
            .await
            .map_err(Status::from);
        let object = result.as_ref().map_or_else(
            |_| "opportunity/".into(),
            |o| format!("opportunity/{}", o.id),
        );
        self.audit
            .record(
                &caller,
                &format!("{RPC}CreateOpportunity"),
                &object,
                &result,
            )
            .await;
        result.map(Response::new)
    }

    #[tracing::instrument(skip_all, fields(id = %request.get_ref().id))]
    async fn get_opportunity(
        &self,
        request: Request<pb::GetOpportunityRequest>,
    ) -> Result<Response<pb::Opportunity>, Status> {
        let caller = Caller::of(&request)?;
        let opportunity = self
            .registrar
            .get_opportunity(&request.get_ref().id)
            .await
            .map_err(Status::from)?;
        if caller.sees_opportunity(&opportunity.source, is_public(&opportunity)) {
            Ok(Response::new(opportunity))
        } else {
            Err(hidden("opportunity", &opportunity.id))
        }
    }

    #[tracing::instrument(skip_all)]
    async fn update_opportunity(
        &self,
        request: Request<pb::UpdateOpportunityRequest>,
    ) -> Result<Response<pb::Opportunity>, Status> {
        let caller = Caller::of(&request)?;
        caller.require(&[Role::Agency], "change listings")?;
        let given = request.get_ref().opportunity.as_ref();
        let id = given.map(|o| o.id.trim().to_owned()).unwrap_or_default();
        let result = async {
            if !id.is_empty() {
                self.writable_opportunity(&caller, &id).await?;
                if let Some(source) = given.map(|o| o.source.trim()).filter(|s| !s.is_empty())
                    && !caller.manages_source(source)
                {
                    return Err(Status::permission_denied(format!(
                        "opportunity.source: this key publishes only as {:?}",
                        caller.source
                    )));
                }
            }
            self.registrar
                .update_opportunity(request.get_ref())
                .await
                .map_err(Status::from)
        }
        .await;
        self.audit
            .record(
                &caller,
                &format!("{RPC}UpdateOpportunity"),
                &format!("opportunity/{id}"),
                &result,
            )
            .await;
        result.map(Response::new)
    }

    #[tracing::instrument(skip_all, fields(id = %request.get_ref().id))]
    async fn change_opportunity_status(
        &self,
        request: Request<pb::ChangeOpportunityStatusRequest>,
    ) -> Result<Response<pb::Opportunity>, Status> {
        let caller = Caller::of(&request)?;
        caller.require(&[Role::Agency], "change listings")?;
        let id = request.get_ref().id.trim().to_owned();
        let result = async {
            if !id.is_empty() {
                self.writable_opportunity(&caller, &id).await?;
            }
            self.registrar
                .change_status(request.get_ref())
                .await
                .map_err(Status::from)
        }
        .await;
        self.audit
            .record(
                &caller,
                &format!("{RPC}ChangeOpportunityStatus"),
                &format!("opportunity/{id}"),
                &result,
            )
            .await;
        result.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn list_opportunities(
        &self,
        request: Request<pb::ListOpportunitiesRequest>,
    ) -> Result<Response<pb::ListOpportunitiesResponse>, Status> {
        let caller = Caller::of(&request)?;
        let mut query = request.into_inner();
        if caller.role == Role::Agency {
            if !query.source.trim().is_empty() && query.source.trim() != caller.source {
                // Another publisher's listings do not exist for an agency.
                return Ok(Response::new(pb::ListOpportunitiesResponse::default()));
            }
            query.source.clone_from(&caller.source);
        }
        let mut page = self
            .registrar
            .list_opportunities(&query)
            .await
            .map_err(Status::from)?;
        if !caller.is_unrestricted() {
            page.opportunities
                .retain(|o| caller.sees_opportunity(&o.source, is_public(o)));
        }
        Ok(Response::new(page))
    }

    #[tracing::instrument(skip_all, fields(ids = request.get_ref().ids.len()))]
    async fn batch_get_opportunities(
        &self,
        request: Request<pb::BatchGetRequest>,
    ) -> Result<Response<pb::BatchGetOpportunitiesResponse>, Status> {
        let caller = Caller::of(&request)?;
        let mut opportunities = self
            .registrar
            .batch_get_opportunities(&request.get_ref().ids)
            .await
            .map_err(Status::from)?;
        opportunities.retain(|o| caller.sees_opportunity(&o.source, is_public(o)));
        Ok(Response::new(pb::BatchGetOpportunitiesResponse {
            opportunities,
        }))
    }

    #[tracing::instrument(skip_all, fields(ids = request.get_ref().ids.len()))]
    async fn batch_get_companies(
        &self,
        request: Request<pb::BatchGetRequest>,
    ) -> Result<Response<pb::BatchGetCompaniesResponse>, Status> {
        let caller = Caller::of(&request)?;
        caller.require(&[Role::Adviser, Role::Firm], "read companies")?;
        let companies = self
            .registrar
            .batch_get_companies(&request.get_ref().ids)
            .await
            .map_err(Status::from)?
            .into_iter()
            .filter_map(|company| {
                let view = view_of(&caller, &company);
                shaped(company, view)
            })
            .collect();
        Ok(Response::new(pb::BatchGetCompaniesResponse { companies }))
    }

    #[tracing::instrument(skip_all, fields(source = %request.get_ref().source, items = request.get_ref().upserts.len() + request.get_ref().withdrawals.len()))]
    async fn sync_listings(
        &self,
        request: Request<pb::SyncListingsRequest>,
    ) -> Result<Response<pb::SyncListingsResponse>, Status> {
        let caller = Caller::of(&request)?;
        caller.require(&[Role::Agency], "sync listings")?;
        let source = request.get_ref().source.trim().to_owned();
        if !caller.manages_source(&source) {
            return Err(Status::permission_denied(format!(
                "source: this key syncs only the listings of {:?}",
                caller.source
            )));
        }
        let result = self
            .registrar
            .sync_listings(request.get_ref())
            .await
            .map_err(Status::from);
        if let Ok(response) = &result {
            let stored = response
                .results
                .iter()
                .filter(|item| item.outcome != pb::SyncOutcome::Rejected as i32)
                .count();
            self.metrics
                .sync_listings(&source)
                .inc_by(u64::try_from(stored).unwrap_or(u64::MAX));
        }
        self.audit
            .record(
                &caller,
                &format!("{RPC}SyncListings"),
                &format!("listings/{source}"),
                &result,
            )
            .await;
        result.map(Response::new)
    }

    async fn get_feed_cursor(
        &self,
        request: Request<pb::GetFeedCursorRequest>,
    ) -> Result<Response<pb::FeedCursor>, Status> {
        let caller = Caller::of(&request)?;
        caller.require(&[Role::Agency], "read a feed cursor")?;
        let source = request.get_ref().source.trim();
        if !caller.manages_source(source) {
            return Err(Status::permission_denied(format!(
                "source: this key reads only the feeds of {:?}",
                caller.source
            )));
        }
        self.registrar
            .feed_cursor(request.get_ref())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }

    #[tracing::instrument(skip_all, fields(source = %request.get_ref().source, items = request.get_ref().companies.len()))]
    async fn import_companies(
        &self,
        request: Request<pb::ImportCompaniesRequest>,
    ) -> Result<Response<pb::ImportCompaniesResponse>, Status> {
        let caller = Caller::of(&request)?;
        caller.require(&[Role::Adviser], "import companies")?;
        if caller.role == Role::Adviser
            && let Some((index, company)) = request
                .get_ref()
                .companies
                .iter()
                .enumerate()
                .find(|(_, c)| leaves_territory(&caller, c.region.trim()))
        {
            return Err(outside_territory(
                &format!("companies[{index}].region"),
                company.region.trim(),
            ));
        }
        let source = request.get_ref().source.trim().to_owned();
        let result = self
            .registrar
            .import_companies(&caller, request.get_ref())
            .await
            .map_err(Status::from);
        self.audit
            .record(
                &caller,
                &format!("{RPC}ImportCompanies"),
                &format!("companies/{source}"),
                &result,
            )
            .await;
        result.map(Response::new)
    }

    type WatchChangesStream = ChangeStream;

    #[tracing::instrument(skip_all, fields(since = request.get_ref().since_seq, follow = request.get_ref().follow))]
    async fn watch_changes(
        &self,
        request: Request<pb::WatchChangesRequest>,
    ) -> Result<Response<Self::WatchChangesStream>, Status> {
        let caller = Caller::of(&request)?;
        caller.require(&[], "follow the change feed")?;
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
                let head = match store.last_seq().await {
                    Ok(head) => head,
                    Err(error) => {
                        let _closed = sender.send(Err(Status::from(error))).await;
                        return;
                    }
                };
                for change in batch {
                    cursor = change.seq;
                    let message = change
                        .to_pb()
                        .map(|mut message| {
                            message.head_seq = head.max(message.seq);
                            message
                        })
                        .map_err(Status::from);
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
