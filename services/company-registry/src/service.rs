//! The registry's policy: who may do what to which record, decided here and nowhere else
//! (the rules are written out in `docs/security.md`; the visibility rules themselves live
//! in `pyred_access::Caller`).
//!
//! Each operation takes the authenticated [`Caller`], checks its role, reads the record it
//! touches to check the caller's scope (a record outside it answers `NotFound`, exactly as
//! a missing one), refuses a region outside an adviser's territory or another agency's
//! source by naming the field, shapes what it returns by the caller's [`CompanyView`]
//! (a public view carries no contact), and then lets the [`Registrar`] do the work. The
//! writes and the reads of personal data name their object in the call's [`AuditNote`],
//! which the audit layer turns into a row (`grpc::AUDITED` lists those RPCs).

use pyred_access::{AuditNote, Caller, CompanyView, Role};
use pyred_proto::v1::{self as pb};
use pyred_runtime::error::InvalidInput;
use tokio_stream::Stream;
use tokio_util::sync::CancellationToken;

use crate::error::RegistryError;
use crate::registrar::Registrar;

/// The stored record a change names, by its trimmed id (empty when the request names none).
#[derive(Debug, Clone, Copy)]
enum Target<'a> {
    Company(&'a str),
    Opportunity(&'a str),
}

/// The registry's operations on behalf of a caller.
#[derive(Debug, Clone)]
pub struct RegistryService {
    registrar: Registrar,
    metrics: pyred_metrics::Metrics,
    shutdown: CancellationToken,
}

/// The answer for an object outside the caller's scope: the same as for a missing one.
fn hidden(entity: &'static str, id: &str) -> RegistryError {
    RegistryError::NotFound {
        entity,
        id: id.to_owned(),
    }
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

/// The companies `caller` may see, each as they may see it.
fn shaped_for(caller: &Caller, companies: Vec<pb::Company>) -> Vec<pb::Company> {
    companies
        .into_iter()
        .filter_map(|company| {
            let view = caller.view_of_company(&company);
            shaped(company, view)
        })
        .collect()
}

/// Whether `caller` may read `opportunity` (its source, and whether its state is public).
fn sees(caller: &Caller, opportunity: &pb::Opportunity) -> bool {
    caller.sees_opportunity(
        &opportunity.source,
        pyred_access::is_public_status(opportunity.status),
    )
}

/// `PermissionDenied` when an adviser names in `field` a region that leaves their
/// territory. A region that is no ISO 3166-2 subdivision at all is left to validation,
/// which names it as invalid (a refusal for territory would hide the real mistake).
fn within_territory(caller: &Caller, field: &str, region: &str) -> Result<(), RegistryError> {
    let region = region.trim();
    let assigned = pyred_domain::IsoRegion::parse(region).is_ok_and(|r| r.is_assigned());
    if caller.role == Role::Adviser && assigned && !caller.territory_covers(region) {
        Err(RegistryError::PermissionDenied {
            field: field.to_owned(),
            reason: format!("{region} is outside your territory"),
        })
    } else {
        Ok(())
    }
}

/// `PermissionDenied` naming `field` unless `caller` manages `source`; `doing` says what
/// the key does ("publishes only as").
fn managed_source(
    caller: &Caller,
    field: &str,
    doing: &str,
    source: &str,
) -> Result<(), RegistryError> {
    if caller.manages_source(source) {
        Ok(())
    } else {
        Err(RegistryError::PermissionDenied {
            field: field.to_owned(),
            reason: format!("this key {doing} {:?}", caller.source),
        })
    }
}

/// Notes the object of an audited create: `kind/<the new id>`, or `kind/` when it failed.
fn created<T>(
    note: &AuditNote,
    kind: &str,
    result: Result<T, RegistryError>,
    id: impl Fn(&T) -> &str,
) -> Result<T, RegistryError> {
    let object = result.as_ref().map_or("", &id);
    note.object(format!("{kind}/{object}"));
    result
}

impl RegistryService {
    /// Serves `registrar`, counting synced listings in `metrics`; live change streams end
    /// when `shutdown` is cancelled.
    pub fn new(
        registrar: Registrar,
        metrics: pyred_metrics::Metrics,
        shutdown: CancellationToken,
    ) -> Self {
        Self {
            registrar,
            metrics,
            shutdown,
        }
    }

    /// The company `request` names as `caller` may see it; `NotFound` when hidden from
    /// them.
    async fn visible_company(
        &self,
        caller: &Caller,
        request: &pb::GetCompanyRequest,
    ) -> Result<(pb::Company, CompanyView), RegistryError> {
        let company = self.registrar.get_company(request).await?;
        match caller.view_of_company(&company) {
            CompanyView::Hidden => Err(hidden("company", &company.id)),
            view => Ok((company, view)),
        }
    }

    /// Checks that `caller` may change company `id` (a trimmed, non-empty id); `NotFound`
    /// when hidden from them or seen only in public.
    async fn writable_company(&self, caller: &Caller, id: &str) -> Result<(), RegistryError> {
        let request = pb::GetCompanyRequest {
            id: id.to_owned(),
            legal_id: String::new(),
        };
        match self.visible_company(caller, &request).await? {
            (_, CompanyView::Full) => Ok(()),
            (company, _) => Err(hidden("company", &company.id)),
        }
    }

    /// Checks that `caller` may change listing `id` (a trimmed, non-empty id); `NotFound`
    /// when not theirs.
    async fn writable_opportunity(&self, caller: &Caller, id: &str) -> Result<(), RegistryError> {
        let opportunity = self.registrar.get_opportunity(id).await?;
        if caller.manages_source(&opportunity.source) {
            Ok(())
        } else {
            Err(hidden("opportunity", id))
        }
    }

    /// The checks before a change to a stored record: the caller's role (`roles`; `what`
    /// they would do, for the refusal), the audit object, and — when the request names the
    /// record; else the registrar names the missing field — that the caller may change it.
    async fn may_change(
        &self,
        caller: &Caller,
        note: &AuditNote,
        roles: &[Role],
        what: &str,
        target: Target<'_>,
    ) -> Result<(), RegistryError> {
        caller.require(roles, what)?;
        let (entity, id) = match target {
            Target::Company(id) => ("company", id),
            Target::Opportunity(id) => ("opportunity", id),
        };
        note.object(format!("{entity}/{id}"));
        match target {
            _ if id.is_empty() => Ok(()),
            Target::Company(id) => self.writable_company(caller, id).await,
            Target::Opportunity(id) => self.writable_opportunity(caller, id).await,
        }
    }

    // ----- companies -----

    /// Creates a company: advisers, within their territory.
    pub async fn create_company(
        &self,
        caller: &Caller,
        note: &AuditNote,
        request: &pb::CreateCompanyRequest,
    ) -> Result<pb::Company, RegistryError> {
        caller.require(&[Role::Adviser], "create companies")?;
        let company = request
            .company
            .as_ref()
            .ok_or_else(|| InvalidInput::single("company", "is required"))?;
        within_territory(caller, "company.region", &company.region)?;
        let result = self.registrar.create_company(company).await;
        created(note, "company", result, |c| &c.id)
    }

    /// Reads a company as the caller may see it; a read of its contact is audited (but
    /// for services).
    pub async fn get_company(
        &self,
        caller: &Caller,
        note: &AuditNote,
        request: &pb::GetCompanyRequest,
    ) -> Result<pb::Company, RegistryError> {
        caller.require(&[Role::Adviser, Role::Firm], "read companies")?;
        let (company, view) = self.visible_company(caller, request).await?;
        let reads_contact = view == CompanyView::Full && company.contact.is_some();
        let id = company.id.clone();
        let shown = shaped(company, view).ok_or_else(|| hidden("company", &id))?;
        if reads_contact && caller.role != Role::Service {
            note.object(format!("company/{id}"));
        }
        Ok(shown)
    }

    /// Updates a company the caller may change; an adviser may not move it out of their
    /// territory.
    pub async fn update_company(
        &self,
        caller: &Caller,
        note: &AuditNote,
        request: &pb::UpdateCompanyRequest,
    ) -> Result<pb::Company, RegistryError> {
        let given = request.company.as_ref();
        let id = given.map(|c| c.id.trim()).unwrap_or_default();
        let roles = [Role::Adviser, Role::Firm];
        self.may_change(
            caller,
            note,
            &roles,
            "update companies",
            Target::Company(id),
        )
        .await?;
        if let Some(given) = given.filter(|_| !id.is_empty()) {
            let region_changes = request
                .update_mask
                .as_ref()
                .is_none_or(|m| m.paths.is_empty() || m.paths.iter().any(|p| p == "region"));
            if region_changes {
                within_territory(caller, "company.region", &given.region)?;
            }
        }
        self.registrar.update_company(request).await
    }

    /// Deletes a company the caller may change: advisers.
    pub async fn delete_company(
        &self,
        caller: &Caller,
        note: &AuditNote,
        request: &pb::DeleteCompanyRequest,
    ) -> Result<pb::DeleteCompanyResponse, RegistryError> {
        let target = Target::Company(request.id.trim());
        self.may_change(caller, note, &[Role::Adviser], "delete companies", target)
            .await?;
        let seq = self.registrar.delete_company(request).await?;
        Ok(pb::DeleteCompanyResponse { seq })
    }

    /// Erases the contact of a company the caller may change (GDPR).
    pub async fn erase_company_contact(
        &self,
        caller: &Caller,
        note: &AuditNote,
        request: &pb::EraseCompanyContactRequest,
    ) -> Result<pb::Company, RegistryError> {
        let roles = [Role::Adviser, Role::Firm];
        let target = Target::Company(request.id.trim());
        self.may_change(caller, note, &roles, "erase contacts", target)
            .await?;
        self.registrar.erase_contact(request).await
    }

    /// A page of the companies the caller may see, each as they may see it. A page may
    /// hold fewer companies than asked once hidden ones are left out; its token still
    /// continues after the last company read. A page with contacts is audited (but for
    /// services).
    pub async fn list_companies(
        &self,
        caller: &Caller,
        note: &AuditNote,
        request: &pb::ListCompaniesRequest,
    ) -> Result<pb::ListCompaniesResponse, RegistryError> {
        caller.require(&[Role::Adviser, Role::Firm], "list companies")?;
        let mut page = self.registrar.list_companies(request).await?;
        page.companies = shaped_for(caller, std::mem::take(&mut page.companies));
        let with_contacts = page.companies.iter().any(|c| c.contact.is_some());
        if with_contacts && caller.role != Role::Service {
            note.object(format!(
                "companies?region={}&source={}",
                request.region, request.source
            ));
        }
        Ok(page)
    }

    /// Reads companies by id, those the caller may see, each as they may see it.
    pub async fn batch_get_companies(
        &self,
        caller: &Caller,
        request: &pb::BatchGetRequest,
    ) -> Result<pb::BatchGetCompaniesResponse, RegistryError> {
        caller.require(&[Role::Adviser, Role::Firm], "read companies")?;
        let companies = self.registrar.batch_get_companies(&request.ids).await?;
        Ok(pb::BatchGetCompaniesResponse {
            companies: shaped_for(caller, companies),
        })
    }

    /// Imports companies: advisers, every one within their territory (the registrar then
    /// checks each against the company already stored under its key).
    pub async fn import_companies(
        &self,
        caller: &Caller,
        note: &AuditNote,
        request: &pb::ImportCompaniesRequest,
    ) -> Result<pb::ImportCompaniesResponse, RegistryError> {
        caller.require(&[Role::Adviser], "import companies")?;
        for (index, company) in request.companies.iter().enumerate() {
            within_territory(
                caller,
                &format!("companies[{index}].region"),
                &company.region,
            )?;
        }
        note.object(format!("companies/{}", request.source.trim()));
        self.registrar.import_companies(caller, request).await
    }

    // ----- opportunities -----

    /// Publishes (or drafts) a listing: agencies, as their own source.
    pub async fn create_opportunity(
        &self,
        caller: &Caller,
        note: &AuditNote,
        request: &pb::CreateOpportunityRequest,
    ) -> Result<pb::Opportunity, RegistryError> {
        caller.require(&[Role::Agency], "publish listings")?;
        let source = request.opportunity.as_ref().map(|o| o.source.trim());
        managed_source(
            caller,
            "opportunity.source",
            "publishes only as",
            source.unwrap_or_default(),
        )?;
        let result = self.registrar.create_opportunity(request).await;
        created(note, "opportunity", result, |o| &o.id)
    }

    /// Reads a listing the caller may see.
    pub async fn get_opportunity(
        &self,
        caller: &Caller,
        request: &pb::GetOpportunityRequest,
    ) -> Result<pb::Opportunity, RegistryError> {
        let opportunity = self.registrar.get_opportunity(&request.id).await?;
        if sees(caller, &opportunity) {
            Ok(opportunity)
        } else {
            Err(hidden("opportunity", &opportunity.id))
        }
    }

    /// Changes a listing of the caller's own source; it may not hand it to another.
    pub async fn update_opportunity(
        &self,
        caller: &Caller,
        note: &AuditNote,
        request: &pb::UpdateOpportunityRequest,
    ) -> Result<pb::Opportunity, RegistryError> {
        let given = request.opportunity.as_ref();
        let id = given.map(|o| o.id.trim()).unwrap_or_default();
        let target = Target::Opportunity(id);
        self.may_change(caller, note, &[Role::Agency], "change listings", target)
            .await?;
        if let Some(source) = given
            .map(|o| o.source.trim())
            .filter(|s| !id.is_empty() && !s.is_empty())
        {
            managed_source(caller, "opportunity.source", "publishes only as", source)?;
        }
        self.registrar.update_opportunity(request).await
    }

    /// Publishes, withdraws, fulfils or extends a listing of the caller's own source.
    pub async fn change_opportunity_status(
        &self,
        caller: &Caller,
        note: &AuditNote,
        request: &pb::ChangeOpportunityStatusRequest,
    ) -> Result<pb::Opportunity, RegistryError> {
        let target = Target::Opportunity(request.id.trim());
        self.may_change(caller, note, &[Role::Agency], "change listings", target)
            .await?;
        self.registrar.change_status(request).await
    }

    /// A page of the listings the caller may see; an agency's are its own source's only.
    pub async fn list_opportunities(
        &self,
        caller: &Caller,
        request: &pb::ListOpportunitiesRequest,
    ) -> Result<pb::ListOpportunitiesResponse, RegistryError> {
        let mut query = request.clone();
        if caller.role == Role::Agency {
            if !query.source.trim().is_empty() && query.source.trim() != caller.source {
                // Another publisher's listings do not exist for an agency.
                return Ok(pb::ListOpportunitiesResponse::default());
            }
            query.source.clone_from(&caller.source);
        }
        let mut page = self.registrar.list_opportunities(&query).await?;
        page.opportunities.retain(|o| sees(caller, o));
        Ok(page)
    }

    /// Reads listings by id, those the caller may see.
    pub async fn batch_get_opportunities(
        &self,
        caller: &Caller,
        request: &pb::BatchGetRequest,
    ) -> Result<pb::BatchGetOpportunitiesResponse, RegistryError> {
        let mut opportunities = self.registrar.batch_get_opportunities(&request.ids).await?;
        opportunities.retain(|o| sees(caller, o));
        Ok(pb::BatchGetOpportunitiesResponse { opportunities })
    }

    /// Syncs the listings of the caller's own source, counting those stored.
    pub async fn sync_listings(
        &self,
        caller: &Caller,
        note: &AuditNote,
        request: &pb::SyncListingsRequest,
    ) -> Result<pb::SyncListingsResponse, RegistryError> {
        caller.require(&[Role::Agency], "sync listings")?;
        let source = request.source.trim();
        managed_source(caller, "source", "syncs only the listings of", source)?;
        note.object(format!("listings/{source}"));
        let response = self.registrar.sync_listings(request).await?;
        let stored = response
            .results
            .iter()
            .filter(|item| item.outcome != pb::SyncOutcome::Rejected as i32)
            .count();
        self.metrics
            .sync_listings(source)
            .inc_by(u64::try_from(stored).unwrap_or(u64::MAX));
        Ok(response)
    }

    /// Where a feed of the caller's own source stands.
    pub async fn get_feed_cursor(
        &self,
        caller: &Caller,
        request: &pb::GetFeedCursorRequest,
    ) -> Result<pb::FeedCursor, RegistryError> {
        caller.require(&[Role::Agency], "read a feed cursor")?;
        managed_source(
            caller,
            "source",
            "reads only the feeds of",
            request.source.trim(),
        )?;
        self.registrar.feed_cursor(request).await
    }

    /// The change feed from `request.since_seq`: admins and services.
    pub fn watch_changes(
        &self,
        caller: &Caller,
        request: &pb::WatchChangesRequest,
    ) -> Result<impl Stream<Item = Result<pb::Change, RegistryError>> + Send + 'static, RegistryError>
    {
        caller.require(&[], "follow the change feed")?;
        if request.since_seq < 0 {
            return Err(InvalidInput::single("since_seq", "must not be negative").into());
        }
        Ok(self
            .registrar
            .store()
            .changes(request.since_seq, request.follow, self.shutdown.clone()))
    }
}
