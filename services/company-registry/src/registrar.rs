//! The registry's operations, apart from transport: each takes a `pyred.v1` request,
//! validates it into normalised records (every bad field reported at once), and writes
//! through the store's serialised, outboxed transactions.
//!
//! Sync and import are idempotent: listings are keyed by `(source, external_id)` and
//! the publisher's `source_version`; a replayed item reports `unchanged` and writes
//! nothing, an older version never overwrites a newer one, a bad item is rejected alone,
//! and items are committed in bounded transactions.

use pyred_access::{Caller, CompanyView};
use pyred_domain::{Day, Nif, Siren, Siret};
use pyred_proto::v1::{self as pb};
use pyred_runtime::error::{FieldViolations, InvalidInput};

use crate::error::RegistryError;
use crate::store::{CompanyFilter, Lifecycle, OpportunityFilter, Store, StoredOpportunity, fold};
use crate::validate::{self, MAX_BATCH, nace_prefix};

/// Items written per transaction in sync and import.
const ITEMS_PER_TRANSACTION: usize = 200;
/// Default and largest page sizes.
const DEFAULT_PAGE: usize = 20;
const MAX_PAGE: usize = 100;
/// Publisher recorded for companies created one by one without a source.
pub const DEFAULT_SOURCE: &str = "pyred";

/// The registry's operations over its store.
#[derive(Debug, Clone)]
pub struct Registrar {
    store: Store,
}

fn page(violations: &mut FieldViolations, given: Option<&pb::PageRequest>) -> (usize, String) {
    let Some(given) = given else {
        return (DEFAULT_PAGE, String::new());
    };
    let size = match usize::try_from(given.page_size) {
        Ok(0) => DEFAULT_PAGE,
        Ok(size) => size.min(MAX_PAGE),
        Err(_) => {
            violations.add("page.page_size", "must not be negative");
            DEFAULT_PAGE
        }
    };
    let after = if given.page_token.is_empty() {
        String::new()
    } else {
        match hex::decode(&given.page_token)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
        {
            Some(after) => after,
            None => {
                violations.add("page.page_token", "is not a token this service issued");
                String::new()
            }
        }
    };
    (size, after)
}

fn next_token(more: bool, last_id: Option<&str>) -> String {
    match (more, last_id) {
        (true, Some(id)) => hex::encode(id),
        _ => String::new(),
    }
}

/// The validated, normalised form of a record (`entity`), every bad field reported at once.
fn validated<T>(
    entity: &str,
    check: impl FnOnce(&mut FieldViolations) -> Option<T>,
) -> Result<T, InvalidInput> {
    let mut violations = FieldViolations::new();
    let record = check(&mut violations);
    violations.into_result()?;
    record.ok_or_else(|| InvalidInput::single(entity, "is invalid"))
}

/// `record`, or `NotFound` naming the `entity` `id` asked for.
fn found<T>(entity: &'static str, id: String, record: Option<T>) -> Result<T, RegistryError> {
    record.ok_or(RegistryError::NotFound { entity, id })
}

fn required_id(field: &str, id: &str) -> Result<String, InvalidInput> {
    let id = id.trim();
    match pyred_runtime::error::id_problem(id) {
        Some(problem) => Err(InvalidInput::single(field, problem)),
        None => Ok(id.to_owned()),
    }
}

/// A legal identifier in any usual format, as its compact canonical form.
fn compact_legal_id(value: &str) -> Result<String, InvalidInput> {
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let compact = value.chars().filter(|c| c.is_ascii_alphanumeric()).count();
    let parsed = if digits == 14 && compact == 14 {
        Siret::parse(value).map(|id| id.as_str().to_owned())
    } else if digits == 9 && compact == 9 {
        Siren::parse(value).map(|id| id.as_str().to_owned())
    } else {
        Nif::parse(value).map(|id| id.as_str().to_owned())
    };
    parsed.map_err(|error| InvalidInput::single("legal_id", error))
}

/// Company fields a mask may name.
const COMPANY_FIELDS: &[&str] = &[
    "name",
    "country",
    "legal_id",
    "activities",
    "language",
    "description",
    "offers",
    "seeks",
    "location",
    "region",
    "employees",
    "languages",
    "contact",
    "visibility",
    "service_radius_km",
    "service_radius_hours",
];

/// Opportunity fields a mask may name.
const OPPORTUNITY_FIELDS: &[&str] = &[
    "kind",
    "title",
    "description",
    "language",
    "activities",
    "cpv",
    "location",
    "region",
    "published",
    "deadline",
    "budget_eur",
    "buyer",
    "official_url",
    "procedure",
    "lots",
    "tender_stage",
    "location_approximate",
    "nuts",
    "contract_type",
];

fn mask_paths(
    violations: &mut FieldViolations,
    mask: Option<&prost_types::FieldMask>,
    allowed: &[&'static str],
) -> Vec<&'static str> {
    let paths = mask.map(|m| m.paths.as_slice()).unwrap_or_default();
    if paths.is_empty() {
        return allowed.to_vec();
    }
    let mut out = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        match allowed.iter().find(|field| **field == path.as_str()) {
            Some(field) => out.push(*field),
            None => violations.add(
                format!("update_mask.paths[{i}]"),
                format!("{path:?} is not a writable field"),
            ),
        }
    }
    out
}

/// What an update names: the given record (`entity`, required), its trimmed id and the
/// fields its mask names (all of `allowed` when it names none).
fn update_target<'a, T>(
    entity: &str,
    given: Option<&'a T>,
    id: impl Fn(&T) -> &str,
    mask: Option<&prost_types::FieldMask>,
    allowed: &[&'static str],
) -> Result<(&'a T, String, Vec<&'static str>), InvalidInput> {
    let given = given.ok_or_else(|| InvalidInput::single(entity, "is required"))?;
    let id = required_id(&format!("{entity}.id"), id(given))?;
    let mut violations = FieldViolations::new();
    let paths = mask_paths(&mut violations, mask, allowed);
    violations.into_result()?;
    Ok((given, id, paths))
}

fn merge_company(current: &mut pb::Company, given: &pb::Company, paths: &[&str]) {
    for path in paths {
        match *path {
            "name" => current.name.clone_from(&given.name),
            "country" => current.country.clone_from(&given.country),
            "legal_id" => current.legal_id.clone_from(&given.legal_id),
            "activities" => current.activities.clone_from(&given.activities),
            "language" => current.language = given.language,
            "description" => current.description.clone_from(&given.description),
            "offers" => current.offers.clone_from(&given.offers),
            "seeks" => current.seeks.clone_from(&given.seeks),
            "location" => current.location.clone_from(&given.location),
            "region" => current.region.clone_from(&given.region),
            "employees" => current.employees = given.employees,
            "languages" => current.languages.clone_from(&given.languages),
            "contact" => current.contact.clone_from(&given.contact),
            "visibility" => current.visibility = given.visibility,
            "service_radius_km" => current.service_radius_km = given.service_radius_km,
            "service_radius_hours" => current.service_radius_hours = given.service_radius_hours,
            _ => {}
        }
    }
}

fn merge_opportunity(current: &mut pb::Opportunity, given: &pb::Opportunity, paths: &[&str]) {
    for path in paths {
        match *path {
            "kind" => current.kind = given.kind,
            "title" => current.title.clone_from(&given.title),
            "description" => current.description.clone_from(&given.description),
            "language" => current.language = given.language,
            "activities" => current.activities.clone_from(&given.activities),
            "cpv" => current.cpv.clone_from(&given.cpv),
            "location" => current.location.clone_from(&given.location),
            "region" => current.region.clone_from(&given.region),
            "published" => current.published.clone_from(&given.published),
            "deadline" => current.deadline.clone_from(&given.deadline),
            "budget_eur" => current.budget_eur = given.budget_eur,
            "buyer" => current.buyer.clone_from(&given.buyer),
            "official_url" => current.official_url.clone_from(&given.official_url),
            "procedure" => current.procedure = given.procedure,
            "lots" => current.lots.clone_from(&given.lots),
            "tender_stage" => current.tender_stage = given.tender_stage,
            "location_approximate" => current.location_approximate = given.location_approximate,
            "nuts" => current.nuts.clone_from(&given.nuts),
            "contract_type" => current.contract_type = given.contract_type,
            _ => {}
        }
    }
}

/// The content of a stored opportunity that a publisher controls.
fn publisher_content(record: &pb::Opportunity) -> pb::Opportunity {
    let mut content = record.clone();
    content.id.clear();
    content.version = 0;
    content.source_version = 0;
    content.status = 0;
    content.created_at = None;
    content.updated_at = None;
    content
}

fn publisher_company_content(record: &pb::Company) -> pb::Company {
    let mut content = record.clone();
    content.id.clear();
    content.version = 0;
    content.created_at = None;
    content.updated_at = None;
    content
}

fn violations_of(invalid: &InvalidInput) -> Vec<pb::FieldViolation> {
    invalid
        .violations
        .iter()
        .map(|violation| pb::FieldViolation {
            field: violation.field.clone(),
            description: violation.description.clone(),
        })
        .collect()
}

fn rejected(external_id: &str, field: String, description: &str) -> pb::SyncItemResult {
    pb::SyncItemResult {
        external_id: external_id.to_owned(),
        outcome: pb::SyncOutcome::Rejected as i32,
        id: String::new(),
        violations: vec![pb::FieldViolation {
            field,
            description: description.to_owned(),
        }],
    }
}

fn outcome(external_id: &str, outcome: pb::SyncOutcome, id: &str) -> pb::SyncItemResult {
    pb::SyncItemResult {
        external_id: external_id.to_owned(),
        outcome: outcome as i32,
        id: id.to_owned(),
        violations: Vec::new(),
    }
}

impl Registrar {
    /// Operations over `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    // ----- companies -----

    /// Creates a company; its id is its external id when given, else a new one.
    pub async fn create_company(&self, given: &pb::Company) -> Result<pb::Company, RegistryError> {
        let (mut company, contact) = validated("company", |violations| {
            validate::company(violations, "company", given)
        })?;
        if company.source.is_empty() {
            DEFAULT_SOURCE.clone_into(&mut company.source);
        }
        if company.external_id.is_empty() {
            company.external_id = format!("cmp-{}", uuid::Uuid::new_v4().simple());
        }
        company.id.clone_from(&company.external_id);
        let mut tx = self.store.begin_write().await?;
        let legal = company.legal_id.as_ref().map(|id| id.value.clone());
        if let Some(conflict) = tx
            .company_conflict(
                &company.id,
                &company.source,
                &company.external_id,
                legal.as_deref(),
            )
            .await?
        {
            return Err(RegistryError::AlreadyExists(conflict));
        }
        let mut stored = tx.insert_company(company, contact.as_ref()).await?;
        tx.commit().await?;
        stored.contact = contact;
        Ok(stored)
    }

    /// Reads a company by id or by legal identifier.
    pub async fn get_company(
        &self,
        request: &pb::GetCompanyRequest,
    ) -> Result<pb::Company, RegistryError> {
        let id = if request.id.trim().is_empty() && !request.legal_id.trim().is_empty() {
            let legal = compact_legal_id(&request.legal_id)?;
            let id = self.store.company_id_by_legal_id(&legal).await?;
            found("company", legal, id)?
        } else {
            required_id("id", &request.id)?
        };
        self.stored_company(id).await
    }

    /// The stored company `id`; `NotFound` when there is none.
    async fn stored_company(&self, id: String) -> Result<pb::Company, RegistryError> {
        let company = self.store.company(&id).await?;
        found("company", id, company)
    }

    /// Applies the masked fields of `request.company` to the stored company.
    pub async fn update_company(
        &self,
        request: &pb::UpdateCompanyRequest,
    ) -> Result<pb::Company, RegistryError> {
        let (given, id, paths) = update_target(
            "company",
            request.company.as_ref(),
            |c| &c.id,
            request.update_mask.as_ref(),
            COMPANY_FIELDS,
        )?;
        let mut current = self.stored_company(id.clone()).await?;
        if request.expected_version != 0 && request.expected_version != current.version {
            return Err(RegistryError::VersionConflict {
                entity: "company",
                id,
            });
        }
        let read_version = current.version;
        merge_company(&mut current, given, &paths);
        let (mut company, contact) = validated("company", |violations| {
            validate::company(violations, "company", &current)
        })?;
        company.id.clone_from(&current.id);
        company.source.clone_from(&current.source);
        company.external_id.clone_from(&current.external_id);
        company.created_at = current.created_at;
        let mut tx = self.store.begin_write().await?;
        if let Some(legal) = company.legal_id.as_ref().map(|l| l.value.clone())
            && let Some(owner) = tx.legal_id_owner(&legal).await?
            && owner != id
        {
            return Err(RegistryError::AlreadyExists(format!(
                "legal id already registered for company {owner}"
            )));
        }
        let mut stored = tx
            .update_company(company, contact.as_ref(), read_version)
            .await?;
        tx.commit().await?;
        stored.contact = contact;
        Ok(stored)
    }

    /// Deletes a company; returns the sequence number announcing it.
    pub async fn delete_company(
        &self,
        request: &pb::DeleteCompanyRequest,
    ) -> Result<i64, RegistryError> {
        let id = required_id("id", &request.id)?;
        let mut tx = self.store.begin_write().await?;
        let seq = tx.delete_company(&id, request.expected_version).await?;
        tx.commit().await?;
        Ok(seq)
    }

    /// Erases a company's contact (GDPR); the firm stays.
    pub async fn erase_contact(
        &self,
        request: &pb::EraseCompanyContactRequest,
    ) -> Result<pb::Company, RegistryError> {
        let id = required_id("id", &request.id)?;
        let current = self.stored_company(id).await?;
        let mut tx = self.store.begin_write().await?;
        let erased = tx.erase_contact(current).await?;
        tx.commit().await?;
        Ok(erased)
    }

    /// A filtered page of companies.
    pub async fn list_companies(
        &self,
        request: &pb::ListCompaniesRequest,
    ) -> Result<pb::ListCompaniesResponse, RegistryError> {
        let mut violations = FieldViolations::new();
        let (size, after) = page(&mut violations, request.page.as_ref());
        let filter = CompanyFilter {
            region: Some(request.region.trim().to_ascii_uppercase()).filter(|r| !r.is_empty()),
            source: Some(request.source.trim().to_owned()).filter(|s| !s.is_empty()),
            nace: nace_prefix(&mut violations, "nace_prefix", &request.nace_prefix),
            name_prefix: Some(fold(request.name_prefix.trim())).filter(|p| !p.is_empty()),
        };
        violations.into_result()?;
        let (companies, more) = self.store.list_companies(&filter, &after, size).await?;
        let next_page_token = next_token(more, companies.last().map(|c| c.id.as_str()));
        Ok(pb::ListCompaniesResponse {
            companies,
            next_page_token,
        })
    }

    /// Imports companies idempotently by `(source, external_id)` on behalf of `caller`.
    ///
    /// An upsert is authorized against the record already stored under its key, not only
    /// against the new values: a company the caller may not change (another territory's
    /// firm) is answered as one it cannot see (`companies[i].external_id`: not found) and
    /// left exactly as it was.
    pub async fn import_companies(
        &self,
        caller: &Caller,
        request: &pb::ImportCompaniesRequest,
    ) -> Result<pb::ImportCompaniesResponse, RegistryError> {
        let source = batch_source(&request.source, request.companies.len())?;
        let mut results = Vec::with_capacity(request.companies.len());
        let mut last_seq = 0;
        for (chunk_index, chunk) in request.companies.chunks(ITEMS_PER_TRANSACTION).enumerate() {
            let mut tx = self.store.begin_write().await?;
            for (offset, given) in chunk.iter().enumerate() {
                let index = chunk_index * ITEMS_PER_TRANSACTION + offset;
                let prefix = format!("companies[{index}]");
                let external_id = given.external_id.trim().to_owned();
                let mut violations = FieldViolations::new();
                if external_id.is_empty() {
                    violations.add(format!("{prefix}.external_id"), "is required");
                }
                if !given.source.trim().is_empty() && given.source.trim() != source {
                    violations.add(format!("{prefix}.source"), "must be the batch's source");
                }
                let validated = validate::company(&mut violations, &prefix, given);
                if let Err(invalid) = violations.into_result() {
                    results.push(pb::SyncItemResult {
                        external_id,
                        outcome: pb::SyncOutcome::Rejected as i32,
                        id: String::new(),
                        violations: violations_of(&invalid),
                    });
                    continue;
                }
                let Some((mut company, contact)) = validated else {
                    continue;
                };
                company.source.clone_from(&source);
                company.external_id.clone_from(&external_id);
                company.id.clone_from(&external_id);
                let legal = company.legal_id.as_ref().map(|id| id.value.clone());
                match tx.company_by_key(&source, &external_id).await? {
                    Some((stored, _)) if !may_change(caller, &stored) => {
                        let hidden = RegistryError::NotFound {
                            entity: "company",
                            id: stored.id.clone(),
                        };
                        results.push(rejected(
                            &external_id,
                            format!("{prefix}.external_id"),
                            &hidden.to_string(),
                        ));
                    }
                    Some((stored, stored_contact)) => {
                        let mut candidate = company.clone();
                        candidate.created_at = stored.created_at;
                        if publisher_company_content(&candidate)
                            == publisher_company_content(&stored)
                            && contact == stored_contact
                        {
                            results.push(outcome(
                                &external_id,
                                pb::SyncOutcome::Unchanged,
                                &stored.id,
                            ));
                            continue;
                        }
                        if let Some(legal) = &legal
                            && let Some(owner) = tx.legal_id_owner(legal).await?
                            && owner != stored.id
                        {
                            results.push(rejected(
                                &external_id,
                                format!("{prefix}.legal_id"),
                                &format!("legal id already registered for company {owner}"),
                            ));
                            continue;
                        }
                        let updated = tx
                            .update_company(candidate, contact.as_ref(), stored.version)
                            .await?;
                        results.push(outcome(&external_id, pb::SyncOutcome::Updated, &updated.id));
                    }
                    None => {
                        if let Some(conflict) = tx
                            .company_conflict(&company.id, &source, &external_id, legal.as_deref())
                            .await?
                        {
                            let field = if conflict.starts_with("legal id") {
                                "legal_id"
                            } else {
                                "external_id"
                            };
                            results.push(rejected(
                                &external_id,
                                format!("{prefix}.{field}"),
                                &conflict,
                            ));
                            continue;
                        }
                        let created = tx.insert_company(company, contact.as_ref()).await?;
                        results.push(outcome(&external_id, pb::SyncOutcome::Created, &created.id));
                    }
                }
            }
            let committed = tx.commit().await?;
            if committed > 0 {
                last_seq = committed;
            }
        }
        Ok(pb::ImportCompaniesResponse { results, last_seq })
    }

    // ----- opportunities -----

    /// Creates (publishes, or drafts) an opportunity.
    pub async fn create_opportunity(
        &self,
        request: &pb::CreateOpportunityRequest,
    ) -> Result<pb::Opportunity, RegistryError> {
        let given = request
            .opportunity
            .as_ref()
            .ok_or_else(|| InvalidInput::single("opportunity", "is required"))?;
        let today = Day::today();
        let mut opportunity = validated("opportunity", |violations| {
            validate::opportunity(violations, "opportunity", given, today)
        })?;
        if opportunity.external_id.is_empty() {
            opportunity.external_id = format!("opp-{}", uuid::Uuid::new_v4().simple());
        }
        opportunity.id.clone_from(&opportunity.external_id);
        let mut tx = self.store.begin_write().await?;
        if tx
            .opportunity_by_key(&opportunity.source, &opportunity.external_id, today)
            .await?
            .is_some()
            || tx.opportunity_id_taken(&opportunity.id).await?
        {
            return Err(RegistryError::AlreadyExists(format!(
                "opportunity {} already exists",
                opportunity.id
            )));
        }
        let lifecycle = if request.draft {
            Lifecycle::Draft
        } else {
            Lifecycle::Published
        };
        let stored = tx.insert_opportunity(opportunity, lifecycle, today).await?;
        tx.commit().await?;
        Ok(stored)
    }

    /// Reads up to [`MAX_BATCH_GET`] opportunities, in request order (missing ones left out).
    pub async fn batch_get_opportunities(
        &self,
        ids: &[String],
    ) -> Result<Vec<pb::Opportunity>, RegistryError> {
        let ids = batch_ids(ids)?;
        let mut found: std::collections::HashMap<String, pb::Opportunity> =
            std::collections::HashMap::new();
        for chunk in ids.chunks(BATCH_GET_CHUNK) {
            for opportunity in self.store.opportunities_by_ids(chunk, Day::today()).await? {
                found.insert(opportunity.id.clone(), opportunity);
            }
        }
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    /// Reads up to [`MAX_BATCH_GET`] companies without contacts, in request order.
    pub async fn batch_get_companies(
        &self,
        ids: &[String],
    ) -> Result<Vec<pb::Company>, RegistryError> {
        let ids = batch_ids(ids)?;
        let mut found: std::collections::HashMap<String, pb::Company> =
            std::collections::HashMap::new();
        for chunk in ids.chunks(BATCH_GET_CHUNK) {
            for company in self.store.companies_by_ids(chunk).await? {
                found.insert(company.id.clone(), company);
            }
        }
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    /// Reads one opportunity.
    pub async fn get_opportunity(&self, id: &str) -> Result<pb::Opportunity, RegistryError> {
        let id = required_id("id", id)?;
        let opportunity = self.store.opportunity(&id, Day::today()).await?;
        found("opportunity", id, opportunity)
    }

    /// Applies the masked fields of `request.opportunity` to the stored one.
    pub async fn update_opportunity(
        &self,
        request: &pb::UpdateOpportunityRequest,
    ) -> Result<pb::Opportunity, RegistryError> {
        let (given, id, paths) = update_target(
            "opportunity",
            request.opportunity.as_ref(),
            |o| &o.id,
            request.update_mask.as_ref(),
            OPPORTUNITY_FIELDS,
        )?;
        let today = Day::today();
        let mut tx = self.store.begin_write().await?;
        let StoredOpportunity {
            record: mut current,
            lifecycle,
        } = tx
            .opportunity_for_update(&id, request.expected_version, today)
            .await?;
        let read_version = current.version;
        merge_opportunity(&mut current, given, &paths);
        let mut opportunity = validated("opportunity", |violations| {
            validate::opportunity(violations, "opportunity", &current, today)
        })?;
        opportunity.id.clone_from(&current.id);
        opportunity.external_id.clone_from(&current.external_id);
        opportunity.source_version = current.source_version;
        opportunity.created_at = current.created_at;
        let stored = tx
            .update_opportunity(opportunity, lifecycle, read_version, today)
            .await?;
        tx.commit().await?;
        Ok(stored)
    }

    /// Publishes, withdraws, fulfils or extends an opportunity.
    pub async fn change_status(
        &self,
        request: &pb::ChangeOpportunityStatusRequest,
    ) -> Result<pb::Opportunity, RegistryError> {
        let id = required_id("id", &request.id)?;
        let today = Day::today();
        let change = pb::StatusChange::try_from(request.change).unwrap_or_default();
        let new_deadline = match (change, request.new_deadline.as_ref()) {
            (pb::StatusChange::Extend, Some(date)) => Some(
                Day::try_from(date)
                    .map_err(|_| InvalidInput::single("new_deadline", "is not a valid date"))?,
            ),
            (pb::StatusChange::Extend, None) => {
                return Err(InvalidInput::single("new_deadline", "is required to extend").into());
            }
            (pb::StatusChange::Unspecified, _) => {
                return Err(InvalidInput::single(
                    "change",
                    "is required: publish, withdraw, fulfil or extend",
                )
                .into());
            }
            _ => None,
        };
        let mut tx = self.store.begin_write().await?;
        let StoredOpportunity {
            record: mut current,
            lifecycle,
        } = tx
            .opportunity_for_update(&id, request.expected_version, today)
            .await?;
        let read_version = current.version;
        let next = match (change, lifecycle) {
            (pb::StatusChange::Publish, Lifecycle::Draft | Lifecycle::Withdrawn) => {
                Lifecycle::Published
            }
            (pb::StatusChange::Withdraw, Lifecycle::Published | Lifecycle::Draft) => {
                Lifecycle::Withdrawn
            }
            (pb::StatusChange::Fulfil, Lifecycle::Published) => Lifecycle::Fulfilled,
            (pb::StatusChange::Extend, Lifecycle::Published | Lifecycle::Draft) => {
                let Some(deadline) = new_deadline else {
                    return Err(
                        InvalidInput::single("new_deadline", "is required to extend").into(),
                    );
                };
                if deadline < today {
                    return Err(
                        InvalidInput::single("new_deadline", "must not be in the past").into(),
                    );
                }
                current.deadline = Some(deadline.into());
                current.expires_on = Some(deadline.into());
                lifecycle
            }
            (change, lifecycle) => {
                return Err(RegistryError::InvalidTransition(format!(
                    "cannot {} an opportunity that is {}",
                    change
                        .as_str_name()
                        .trim_start_matches("STATUS_CHANGE_")
                        .to_lowercase(),
                    lifecycle.as_str()
                )));
            }
        };
        let stored = tx
            .update_opportunity(current, next, read_version, today)
            .await?;
        tx.commit().await?;
        Ok(stored)
    }

    /// A filtered page of opportunities.
    pub async fn list_opportunities(
        &self,
        request: &pb::ListOpportunitiesRequest,
    ) -> Result<pb::ListOpportunitiesResponse, RegistryError> {
        let mut violations = FieldViolations::new();
        let (size, after) = page(&mut violations, request.page.as_ref());
        let mut range =
            |field: &str, range: Option<&pb::DateRange>| -> (Option<Day>, Option<Day>) {
                let Some(range) = range else {
                    return (None, None);
                };
                let mut end = |name: &str, date: Option<&pb::Date>| {
                    date.and_then(|date| {
                        let day = Day::try_from(date).ok();
                        if day.is_none() {
                            violations.add(format!("{field}.{name}"), "is not a valid date");
                        }
                        day
                    })
                };
                (
                    end("from", range.from.as_ref()),
                    end("to", range.to.as_ref()),
                )
            };
        let published = range("published", request.published.as_ref());
        let deadline = range("deadline", request.deadline.as_ref());
        let status = match pb::OpportunityStatus::try_from(request.status) {
            Ok(pb::OpportunityStatus::Unspecified) => None,
            Ok(status) => Some(status),
            Err(_) => {
                violations.add("status", "unknown value");
                None
            }
        };
        let kind = match pb::OpportunityKind::try_from(request.kind) {
            Ok(pb::OpportunityKind::Unspecified) => None,
            Ok(kind) => Some(kind as i32),
            Err(_) => {
                violations.add("kind", "unknown value");
                None
            }
        };
        let filter = OpportunityFilter {
            source: Some(request.source.trim().to_owned()).filter(|s| !s.is_empty()),
            status,
            region: Some(request.region.trim().to_ascii_uppercase()).filter(|r| !r.is_empty()),
            kind,
            nace: nace_prefix(&mut violations, "nace_prefix", &request.nace_prefix),
            published,
            deadline,
        };
        violations.into_result()?;
        let (opportunities, more) = self
            .store
            .list_opportunities(&filter, &after, size, Day::today())
            .await?;
        let next_page_token = next_token(more, opportunities.last().map(|o| o.id.as_str()));
        Ok(pb::ListOpportunitiesResponse {
            opportunities,
            next_page_token,
        })
    }

    /// Upserts and withdraws one publisher's listings, item by item, then moves its feed
    /// cursor when the batch carries one.
    pub async fn sync_listings(
        &self,
        request: &pb::SyncListingsRequest,
    ) -> Result<pb::SyncListingsResponse, RegistryError> {
        let source = batch_source(
            &request.source,
            request.upserts.len() + request.withdrawals.len() + request.tombstones.len(),
        )?;
        let cursor = request.cursor.as_ref().map(feed_cursor).transpose()?;
        let today = Day::today();
        // Validate everything first, outside the write lock.
        let validated: Vec<Result<(pb::Opportunity, Lifecycle), InvalidInput>> = request
            .upserts
            .iter()
            .enumerate()
            .map(|(index, given)| {
                let prefix = format!("upserts[{index}]");
                let mut violations = FieldViolations::new();
                if given.external_id.trim().is_empty() {
                    violations.add(format!("{prefix}.external_id"), "is required");
                }
                if !given.source.trim().is_empty() && given.source.trim() != source {
                    violations.add(format!("{prefix}.source"), "must be the batch's source");
                }
                let wanted = publisher_lifecycle(&mut violations, &prefix, given.status);
                let mut with_source = given.clone();
                with_source.source.clone_from(&source);
                let record = validate::opportunity(&mut violations, &prefix, &with_source, today);
                violations.into_result()?;
                match (record, wanted) {
                    (Some(record), Some(wanted)) => Ok((record, wanted)),
                    _ => Err(InvalidInput::single(prefix, "is invalid")),
                }
            })
            .collect();

        let items = validated.len() + request.withdrawals.len() + request.tombstones.len();
        let mut results = Vec::with_capacity(items);
        let mut last_seq = 0;
        for (chunk_index, chunk) in validated.chunks(ITEMS_PER_TRANSACTION).enumerate() {
            let mut tx = self.store.begin_write().await?;
            // One look-up per chunk: replays, the common case, then cost one query.
            let keys: Vec<&str> = chunk
                .iter()
                .filter_map(|item| item.as_ref().ok().map(|(r, _)| r.external_id.as_str()))
                .collect();
            let mut stored = tx.opportunities_by_keys(&source, &keys, today).await?;
            let new_ids: Vec<&str> = keys
                .iter()
                .copied()
                .filter(|key| !stored.contains_key(*key))
                .collect();
            let mut taken = tx.opportunity_ids_taken(&new_ids).await?;
            let mut pending = tx.take_pending_withdrawals(&source, &new_ids).await?;
            for (offset, item) in chunk.iter().enumerate() {
                let index = chunk_index * ITEMS_PER_TRANSACTION + offset;
                let external_id = request.upserts[index].external_id.trim().to_owned();
                let (record, wanted) = match item {
                    Ok((record, wanted)) => (record.clone(), *wanted),
                    Err(invalid) => {
                        results.push(pb::SyncItemResult {
                            external_id,
                            outcome: pb::SyncOutcome::Rejected as i32,
                            id: String::new(),
                            violations: violations_of(invalid),
                        });
                        continue;
                    }
                };
                let previous = stored.remove(&record.external_id);
                let tombstone = pending.remove(&record.external_id);
                let listing = Listing {
                    record,
                    wanted,
                    tombstone,
                };
                let result =
                    Self::upsert_listing(&mut tx, listing, previous, &mut taken, index, today)
                        .await?;
                results.push(result);
            }
            let committed = tx.commit().await?;
            if committed > 0 {
                last_seq = committed;
            }
        }
        for (chunk_index, chunk) in request
            .withdrawals
            .chunks(ITEMS_PER_TRANSACTION)
            .enumerate()
        {
            let mut tx = self.store.begin_write().await?;
            for (offset, external_id) in chunk.iter().enumerate() {
                let index = chunk_index * ITEMS_PER_TRANSACTION + offset;
                let external_id = external_id.trim();
                let stored = tx.opportunity_by_key(&source, external_id, today).await?;
                let Some(StoredOpportunity { record, lifecycle }) = stored else {
                    results.push(rejected(
                        external_id,
                        format!("withdrawals[{index}]"),
                        "no listing of this source has this external id",
                    ));
                    continue;
                };
                if lifecycle == Lifecycle::Withdrawn {
                    results.push(outcome(external_id, pb::SyncOutcome::Unchanged, &record.id));
                    continue;
                }
                let version = record.version;
                let stored = tx
                    .update_opportunity(record, Lifecycle::Withdrawn, version, today)
                    .await?;
                results.push(outcome(external_id, pb::SyncOutcome::Withdrawn, &stored.id));
            }
            let committed = tx.commit().await?;
            if committed > 0 {
                last_seq = committed;
            }
        }
        for (chunk_index, chunk) in request.tombstones.chunks(ITEMS_PER_TRANSACTION).enumerate() {
            let mut tx = self.store.begin_write().await?;
            for (offset, tombstone) in chunk.iter().enumerate() {
                let index = chunk_index * ITEMS_PER_TRANSACTION + offset;
                let result =
                    Self::apply_tombstone(&mut tx, &source, tombstone, index, today).await?;
                results.push(result);
            }
            let committed = tx.commit().await?;
            if committed > 0 {
                last_seq = committed;
            }
        }
        if let Some((feed, position)) = cursor {
            let mut tx = self.store.begin_write().await?;
            tx.advance_feed_cursor(&source, &feed, &position).await?;
            tx.commit().await?;
        }
        Ok(pb::SyncListingsResponse { results, last_seq })
    }

    /// Where a publisher's feed stands: NotFound when it was never synced.
    pub async fn feed_cursor(
        &self,
        request: &pb::GetFeedCursorRequest,
    ) -> Result<pb::FeedCursor, RegistryError> {
        let source = batch_source(&request.source, 0)?;
        let feed = request.feed.trim();
        match self.store.feed_cursor(&source, feed).await? {
            Some((position, updated_at)) => Ok(pb::FeedCursor {
                feed: feed.to_owned(),
                position,
                updated_at: Some(crate::store::timestamp(updated_at)),
            }),
            None => Err(RegistryError::NotFound {
                entity: "feed cursor",
                id: format!("{source}/{feed}"),
            }),
        }
    }

    /// Withdraws the listing a tombstone names unless it is older than the stored
    /// listing; remembers it when no listing is stored yet.
    async fn apply_tombstone(
        tx: &mut crate::store::WriteTx<'_>,
        source: &str,
        tombstone: &pb::Tombstone,
        index: usize,
        today: Day,
    ) -> Result<pb::SyncItemResult, RegistryError> {
        let external_id = tombstone.external_id.trim();
        let prefix = format!("tombstones[{index}]");
        let mut violations = FieldViolations::new();
        if let Some(problem) = pyred_runtime::error::id_problem(external_id) {
            violations.add(format!("{prefix}.external_id"), problem);
        }
        let reason = validate::normalise(&tombstone.reason);
        if reason.chars().count() > 200 {
            violations.add(format!("{prefix}.reason"), "must be at most 200 characters");
        } else if reason.chars().any(char::is_control) {
            violations.add(
                format!("{prefix}.reason"),
                "must not contain control characters",
            );
        }
        if tombstone.source_version < 0 {
            violations.add(format!("{prefix}.source_version"), "must not be negative");
        }
        if let Err(invalid) = violations.into_result() {
            return Ok(pb::SyncItemResult {
                external_id: external_id.to_owned(),
                outcome: pb::SyncOutcome::Rejected as i32,
                id: String::new(),
                violations: violations_of(&invalid),
            });
        }
        let Some(StoredOpportunity {
            mut record,
            lifecycle,
        }) = tx.opportunity_by_key(source, external_id, today).await?
        else {
            tx.remember_withdrawal(source, external_id, tombstone.source_version, &reason)
                .await?;
            return Ok(outcome(external_id, pb::SyncOutcome::Unchanged, ""));
        };
        let older = tombstone.source_version < record.source_version;
        let same = lifecycle == Lifecycle::Withdrawn
            && record.withdrawal_reason == reason
            && record.source_version == tombstone.source_version;
        if older || same {
            return Ok(outcome(external_id, pb::SyncOutcome::Unchanged, &record.id));
        }
        record.withdrawal_reason = reason;
        record.source_version = tombstone.source_version;
        let version = record.version;
        let stored = tx
            .update_opportunity(record, Lifecycle::Withdrawn, version, today)
            .await?;
        Ok(outcome(external_id, pb::SyncOutcome::Withdrawn, &stored.id))
    }

    /// Upserts one validated listing given what is stored under its key. `taken` holds
    /// the ids already used (it grows as listings are created, so a batch repeating an
    /// external id creates it once and then treats the repeat as an update).
    async fn upsert_listing(
        tx: &mut crate::store::WriteTx<'_>,
        listing: Listing,
        previous: Option<StoredOpportunity>,
        taken: &mut std::collections::HashSet<String>,
        index: usize,
        today: Day,
    ) -> Result<pb::SyncItemResult, RegistryError> {
        let Listing {
            mut record,
            wanted,
            tombstone,
        } = listing;
        let external_id = record.external_id.clone();
        let previous = match previous {
            Some(previous) => Some(previous),
            // Repeated within the chunk, or an id of another source: read what is there.
            None if taken.contains(&external_id) => {
                tx.opportunity_by_key(&record.source, &external_id, today)
                    .await?
            }
            None => None,
        };
        match previous {
            None => {
                record.id.clone_from(&external_id);
                if taken.contains(&record.id) {
                    return Ok(rejected(
                        &external_id,
                        format!("upserts[{index}].external_id"),
                        "already the id of another publisher's listing",
                    ));
                }
                let mut lifecycle = wanted;
                // A withdrawal that arrived first, and is not older, still holds.
                if let Some((version, reason)) = tombstone
                    && version >= record.source_version
                {
                    lifecycle = Lifecycle::Withdrawn;
                    record.source_version = version;
                    record.withdrawal_reason = reason;
                }
                let stored = tx.insert_opportunity(record, lifecycle, today).await?;
                taken.insert(stored.id.clone());
                Ok(outcome(&external_id, pb::SyncOutcome::Created, &stored.id))
            }
            Some(StoredOpportunity {
                record: stored,
                lifecycle,
            }) => {
                let newer = record.source_version > stored.source_version;
                let older = record.source_version < stored.source_version;
                record.id.clone_from(&stored.id);
                // The same version again keeps an ending the listing already has
                // (a tombstone, an adviser's withdrawal) unless the publisher ends it itself.
                let next = match lifecycle {
                    Lifecycle::Withdrawn | Lifecycle::Fulfilled
                        if !newer && wanted == Lifecycle::Published =>
                    {
                        lifecycle
                    }
                    _ => wanted,
                };
                if next == Lifecycle::Withdrawn && record.withdrawal_reason.is_empty() {
                    record
                        .withdrawal_reason
                        .clone_from(&stored.withdrawal_reason);
                }
                if older
                    || (!newer
                        && next == lifecycle
                        && publisher_content(&record) == publisher_content(&stored))
                {
                    return Ok(outcome(
                        &external_id,
                        pb::SyncOutcome::Unchanged,
                        &stored.id,
                    ));
                }
                record.created_at = stored.created_at;
                let updated = tx
                    .update_opportunity(record, next, stored.version, today)
                    .await?;
                Ok(outcome(&external_id, pb::SyncOutcome::Updated, &updated.id))
            }
        }
    }
}

/// One validated upsert of a sync batch: the record, the lifecycle its publisher gives
/// it, and a withdrawal received before it (version, reason), if any.
struct Listing {
    record: pb::Opportunity,
    wanted: Lifecycle,
    tombstone: Option<(i64, String)>,
}

/// The lifecycle a publisher may give a listing in a sync: live, fulfilled (awarded)
/// or withdrawn (annulled); `None` (with a violation) for any other status.
fn publisher_lifecycle(
    violations: &mut FieldViolations,
    prefix: &str,
    status: i32,
) -> Option<Lifecycle> {
    match pb::OpportunityStatus::try_from(status) {
        Ok(pb::OpportunityStatus::Unspecified | pb::OpportunityStatus::Published) => {
            Some(Lifecycle::Published)
        }
        Ok(pb::OpportunityStatus::Fulfilled) => Some(Lifecycle::Fulfilled),
        Ok(pb::OpportunityStatus::Withdrawn) => Some(Lifecycle::Withdrawn),
        _ => {
            violations.add(
                format!("{prefix}.status"),
                "a sync stores a listing published, fulfilled or withdrawn (or leaves it unspecified)",
            );
            None
        }
    }
}

/// A feed cursor's (feed, position), checked.
fn feed_cursor(cursor: &pb::FeedCursor) -> Result<(String, String), InvalidInput> {
    let mut violations = FieldViolations::new();
    let feed = cursor.feed.trim();
    let position = cursor.position.trim();
    if feed.is_empty() {
        violations.add("cursor.feed", "is required");
    } else if feed.chars().count() > 500 {
        violations.add("cursor.feed", "must be at most 500 characters");
    } else if feed.chars().any(char::is_control) {
        violations.add("cursor.feed", "must not contain control characters");
    }
    if position.is_empty() {
        violations.add("cursor.position", "is required");
    } else if position.chars().count() > 100 {
        violations.add("cursor.position", "must be at most 100 characters");
    } else if position.chars().any(char::is_control) {
        violations.add("cursor.position", "must not contain control characters");
    }
    violations.into_result()?;
    Ok((feed.to_owned(), position.to_owned()))
}

/// Whether `caller` may change the stored company `stored` (its full view: an adviser of
/// its territory, the firm itself, an admin).
fn may_change(caller: &Caller, stored: &pb::Company) -> bool {
    caller.view_of_company(stored) == CompanyView::Full
}

fn batch_source(source: &str, items: usize) -> Result<String, InvalidInput> {
    let mut violations = FieldViolations::new();
    let source = source.trim();
    if source.is_empty() {
        violations.add("source", "is required");
    } else if !pyred_domain::source::is_source_code(source) {
        violations.add("source", pyred_domain::source::SOURCE_RULE);
    }
    if items > MAX_BATCH {
        violations.add("upserts", format!("at most {MAX_BATCH} items per call"));
    }
    violations.into_result()?;
    Ok(source.to_owned())
}

/// Most ids in one batch read.
pub const MAX_BATCH_GET: usize = 1000;
/// Ids per query of a batch read (bind-parameter limits stay far away).
const BATCH_GET_CHUNK: usize = 200;

/// The ids of a batch read, trimmed and de-duplicated in order; field errors for an empty
/// id or too many.
fn batch_ids(ids: &[String]) -> Result<Vec<String>, RegistryError> {
    let mut violations = FieldViolations::new();
    if ids.len() > MAX_BATCH_GET {
        violations.add("ids", format!("at most {MAX_BATCH_GET} ids per call"));
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(ids.len());
    for (index, id) in ids.iter().enumerate() {
        let id = id.trim();
        if id.is_empty() {
            violations.add(format!("ids[{index}]"), "must not be empty");
        } else if seen.insert(id.to_owned()) {
            out.push(id.to_owned());
        }
    }
    violations.into_result()?;
    Ok(out)
}
