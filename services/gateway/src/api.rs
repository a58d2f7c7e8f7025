//! The JSON partner API, `/api/v1/…`: REST resources over the gRPC services.
//!
//! Every handler turns its path, query and body into one gRPC request, sends it with the
//! caller's own key (`Authorization: Bearer pyred_…`, forwarded unchanged), and turns the
//! answer or the status back into JSON. Authorization is the services': an object of
//! another tenant answers 404 here exactly as `NotFound` there.

use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http::StatusCode;
use http::request::Parts;
use pyred_proto::v1 as pb;
use pyred_runtime::Secret;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::AppState;
use crate::error::ApiError;
use crate::json::{
    CaseContactsJson, CaseJson, CaseStatusJson, CompanyJson, ConsentAnswerJson, ConsentRequestJson,
    ConsortiumJson, EntityJson, FacetsJson, HitJson, KindJson, LanguageJson, MatchJson,
    MatchStatusJson, OpportunityJson, OpportunityStatusJson, OrganisationJson, StatusChangeJson,
    parse_date,
};
use crate::upstream::Bearer;

/// The API's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/companies",
            get(list_companies).post(create_company),
        )
        .route(
            "/api/v1/companies/{id}",
            get(get_company)
                .patch(update_company)
                .delete(delete_company),
        )
        .route(
            "/api/v1/companies/{id}/contact",
            axum::routing::delete(erase_contact),
        )
        .route("/api/v1/companies/{id}/matches", get(company_matches))
        .route(
            "/api/v1/opportunities",
            get(list_opportunities).post(create_opportunity),
        )
        .route(
            "/api/v1/opportunities/{id}",
            get(get_opportunity).patch(update_opportunity),
        )
        .route("/api/v1/opportunities/{id}/status", post(change_status))
        .route(
            "/api/v1/opportunities/{id}/matches",
            get(opportunity_matches),
        )
        .route("/api/v1/listings/sync", post(sync_listings))
        .route("/api/v1/matches/{id}", get(get_match))
        .route("/api/v1/matches/{id}/status", post(update_match_status))
        .route("/api/v1/matches/{id}/notes", post(add_match_note))
        .route("/api/v1/search", get(search))
        .route("/api/v1/places", get(suggest_places))
        .route("/api/v1/cases", get(list_cases).post(open_case))
        .route("/api/v1/cases/{id}", get(get_case))
        .route("/api/v1/cases/{id}/accept", post(accept_case))
        .route("/api/v1/cases/{id}/decline", post(decline_case))
        .route("/api/v1/cases/{id}/ask-consents", post(ask_consents))
        .route("/api/v1/cases/{id}/status", post(update_case_status))
        .route("/api/v1/cases/{id}/notes", post(add_case_note))
        .route("/api/v1/cases/{id}/contacts", get(case_contacts))
        .route("/api/v1/cases/{id}/consent", post(answer_consent))
        .route("/api/v1/consents", get(my_consents))
        .route(
            "/api/v1/opportunities/{id}/consortia",
            get(propose_consortia),
        )
        .route(
            "/api/v1/opportunities/{id}/consortia/cases",
            post(open_consortium_cases),
        )
        .route("/api/v1/organisations", get(list_organisations))
        .route("/openapi.json", get(openapi))
        .route("/api/{*rest}", axum::routing::any(api_not_found))
}

async fn openapi() -> Response {
    (
        [(http::header::CACHE_CONTROL, "no-cache")],
        Json(crate::openapi::document()),
    )
        .into_response()
}

async fn api_not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such resource")
}

// ----- extractors -----

/// The caller's key from `Authorization: Bearer …`.
pub struct ApiKey(pub Bearer);

impl<S: Send + Sync> FromRequestParts<S> for ApiKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let unauthenticated = || {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "an API key is required: Authorization: Bearer pyred_…",
            )
        };
        let value = parts
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .ok_or_else(unauthenticated)?;
        let key = pyred_runtime::secrets::bearer_token(value).ok_or_else(unauthenticated)?;
        Bearer::new(&Secret::new(key))
            .map(ApiKey)
            .ok_or_else(unauthenticated)
    }
}

/// A JSON body whose rejection is in the API's error shape: 413 over the body limit;
/// 400 otherwise, naming the JSON path of the value that does not fit
/// (`upserts[0].kind`) and the type expected, or `body` for malformed JSON.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = request
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .map(str::trim)
            .is_some_and(|mime| {
                mime.eq_ignore_ascii_case("application/json") || mime.ends_with("+json")
            });
        if !json {
            return Err(ApiError::invalid(
                "body",
                "expected a JSON body with Content-Type: application/json",
            ));
        }
        let bytes = match axum::body::Bytes::from_request(request, state).await {
            Ok(bytes) => bytes,
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "the request body is over the size limit",
                ));
            }
            Err(rejection) => return Err(ApiError::invalid("body", rejection.body_text())),
        };
        from_json_bytes(&bytes).map(Self)
    }
}

/// Reads `bytes` as `T`, naming the JSON path of a value that does not fit.
fn from_json_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|error| json_error("", &error.path().to_string(), error.inner()))?;
    deserializer
        .end()
        .map_err(|error| json_error("", ".", &error))?;
    Ok(value)
}

/// The violation for a JSON value that does not fit: its path under `prefix`, or
/// `body` for malformed JSON.
fn json_error(prefix: &str, path: &str, error: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    let at_root = path == "." || path.is_empty();
    if matches!(
        error.classify(),
        Category::Syntax | Category::Eof | Category::Io
    ) || (at_root && prefix.is_empty())
    {
        return ApiError::invalid("body", error.to_string());
    }
    let field = match (prefix.is_empty(), at_root) {
        (true, _) => path.to_owned(),
        (false, true) => prefix.to_owned(),
        (false, false) => format!("{prefix}.{path}"),
    };
    ApiError::invalid(field, error.to_string())
}

/// Query parameters whose rejection is a 400 in the API's error shape.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError::invalid("query", rejection.body_text())),
        }
    }
}

// ----- shared shapes -----

/// Reads an optional query value from its text; an empty value is absent (HTML forms
/// send empty fields).
pub fn opt_from_str<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let text: Option<String> = Option::deserialize(deserializer)?;
    match text.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => text.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

pub(crate) fn page(
    page_size: Option<i32>,
    page_token: Option<&str>,
) -> Result<Option<pb::PageRequest>, ApiError> {
    let page_size = page_size.unwrap_or_default();
    if !(0..=100).contains(&page_size) {
        return Err(ApiError::invalid("page_size", "must be between 0 and 100"));
    }
    Ok(Some(pb::PageRequest {
        page_size,
        page_token: page_token.unwrap_or_default().to_owned(),
    }))
}

fn checked_version(expected: Option<i64>) -> Result<i64, ApiError> {
    match expected {
        Some(version) if version < 0 => Err(ApiError::invalid(
            "expected_version",
            "must not be negative",
        )),
        Some(version) => Ok(version),
        None => Ok(0),
    }
}

/// A page of items.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Token of the next page; empty on the last one.
    pub next_page_token: String,
}

fn list<T: Serialize>(items: Vec<T>, next_page_token: String) -> Json<Page<T>> {
    Json(Page {
        items,
        next_page_token,
    })
}

/// Optimistic concurrency: `?expected_version=N`.
#[derive(Debug, Default, Deserialize)]
pub struct VersionQuery {
    /// The version read; 0 or absent skips the check.
    pub expected_version: Option<i64>,
}

/// Writable fields named by a PATCH body (read-only ones are ignored).
fn mask_of(body: &Map<String, Value>, writable: &[&str]) -> Result<Vec<String>, ApiError> {
    if let Some(key) = body.keys().find(|key| !writable.contains(&key.as_str())) {
        return Err(ApiError::invalid(
            format!("body.{key}"),
            "is not a writable field (output-only or unknown)",
        ));
    }
    let paths: Vec<String> = body
        .keys()
        .filter(|key| writable.contains(&key.as_str()))
        .cloned()
        .collect();
    if paths.is_empty() {
        return Err(ApiError::invalid(
            "body",
            format!("names no writable field (one of {})", writable.join(", ")),
        ));
    }
    Ok(paths)
}

/// Fields of a company a PATCH may change.
pub const COMPANY_WRITABLE: &[&str] = &[
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

/// Fields of a listing a PATCH may change.
pub const OPPORTUNITY_WRITABLE: &[&str] = &[
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

/// Reads a JSON object as `T`; a value that does not fit (wrong type, number out of
/// range, unknown word, unknown field) is named by its JSON path under `prefix` — the
/// path the services use (`company.employees`, `company.contact.email`) — with the
/// type or the words expected.
fn parse_body<T: DeserializeOwned>(body: Map<String, Value>, prefix: &str) -> Result<T, ApiError> {
    let body = Value::Object(body);
    serde_path_to_error::deserialize(&body)
        .map_err(|error| json_error(prefix, &error.path().to_string(), error.inner()))
}

fn comma_list(text: Option<&str>) -> Vec<String> {
    text.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

fn date_param(field: &str, text: Option<&String>) -> Result<Option<pb::Date>, ApiError> {
    match text.map(|t| t.trim()) {
        None => Ok(None),
        Some(text) => parse_date(text)
            .map(Some)
            .ok_or_else(|| ApiError::invalid(field, "is not a YYYY-MM-DD date")),
    }
}

fn range(
    from_field: &str,
    from: Option<&String>,
    to_field: &str,
    to: Option<&String>,
) -> Result<Option<pb::DateRange>, ApiError> {
    let from = date_param(from_field, from)?;
    let to = date_param(to_field, to)?;
    Ok((from.is_some() || to.is_some()).then_some(pb::DateRange { from, to }))
}

fn enum_param<E>(
    field: &str,
    text: Option<&String>,
    parse: fn(&str) -> Option<E>,
    all: &[&str],
) -> Result<Option<E>, ApiError> {
    match text.map(|t| t.trim()) {
        None => Ok(None),
        Some(text) => parse(text)
            .map(Some)
            .ok_or_else(|| ApiError::invalid(field, format!("must be one of {}", all.join(", ")))),
    }
}

// ----- companies -----

/// Filters of the company list.
#[derive(Debug, Default, Deserialize)]
pub struct CompanyListQuery {
    page_size: Option<i32>,
    page_token: Option<String>,
    region: Option<String>,
    source: Option<String>,
    nace_prefix: Option<String>,
    name_prefix: Option<String>,
}

async fn list_companies(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    ApiQuery(query): ApiQuery<CompanyListQuery>,
) -> Result<Json<Page<CompanyJson>>, ApiError> {
    let response = state
        .upstream
        .registry()
        .list_companies(key.request(pb::ListCompaniesRequest {
            page: page(query.page_size, query.page_token.as_deref())?,
            region: query.region.unwrap_or_default(),
            source: query.source.unwrap_or_default(),
            nace_prefix: query.nace_prefix.unwrap_or_default(),
            name_prefix: query.name_prefix.unwrap_or_default(),
        }))
        .await?
        .into_inner();
    Ok(list(
        response.companies.iter().map(CompanyJson::from).collect(),
        response.next_page_token,
    ))
}

async fn create_company(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<(StatusCode, Json<CompanyJson>), ApiError> {
    let company: CompanyJson = parse_body(body, "company")?;
    let created = state
        .upstream
        .registry()
        .create_company(key.request(pb::CreateCompanyRequest {
            company: Some(company.to_pb()),
        }))
        .await?
        .into_inner();
    Ok((StatusCode::CREATED, Json(CompanyJson::from(&created))))
}

async fn get_company(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
) -> Result<Json<CompanyJson>, ApiError> {
    let company = state
        .upstream
        .registry()
        .get_company(key.request(pb::GetCompanyRequest {
            id,
            legal_id: String::new(),
        }))
        .await?
        .into_inner();
    Ok(Json(CompanyJson::from(&company)))
}

async fn update_company(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
    ApiQuery(version): ApiQuery<VersionQuery>,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<Json<CompanyJson>, ApiError> {
    let paths = mask_of(&body, COMPANY_WRITABLE)?;
    let given: CompanyJson = parse_body(body, "company")?;
    let mut company = given.to_pb();
    company.id = id;
    let updated = state
        .upstream
        .registry()
        .update_company(key.request(pb::UpdateCompanyRequest {
            company: Some(company),
            update_mask: Some(prost_types::FieldMask { paths }),
            expected_version: checked_version(version.expected_version)?,
        }))
        .await?
        .into_inner();
    Ok(Json(CompanyJson::from(&updated)))
}

/// Answer of a deletion.
#[derive(Debug, Serialize)]
pub struct Deleted {
    /// Sequence number of the change that announced it.
    pub seq: i64,
}

async fn delete_company(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
    ApiQuery(version): ApiQuery<VersionQuery>,
) -> Result<Json<Deleted>, ApiError> {
    let response = state
        .upstream
        .registry()
        .delete_company(key.request(pb::DeleteCompanyRequest {
            id,
            expected_version: checked_version(version.expected_version)?,
        }))
        .await?
        .into_inner();
    Ok(Json(Deleted { seq: response.seq }))
}

async fn erase_contact(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
) -> Result<Json<CompanyJson>, ApiError> {
    let company = state
        .upstream
        .registry()
        .erase_company_contact(key.request(pb::EraseCompanyContactRequest { id }))
        .await?
        .into_inner();
    Ok(Json(CompanyJson::from(&company)))
}

/// Filters of a firm's leads.
#[derive(Debug, Default, Deserialize)]
pub struct CompanyMatchesQuery {
    page_size: Option<i32>,
    page_token: Option<String>,
    statuses: Option<String>,
    as_of: Option<String>,
}

fn match_statuses(text: Option<&str>) -> Result<Vec<i32>, ApiError> {
    comma_list(text)
        .iter()
        .map(|status| {
            MatchStatusJson::parse(status)
                .map(MatchStatusJson::to_pb)
                .ok_or_else(|| {
                    ApiError::invalid(
                        "statuses",
                        format!("must be among {}", MatchStatusJson::ALL.join(", ")),
                    )
                })
        })
        .collect()
}

async fn company_matches(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<CompanyMatchesQuery>,
) -> Result<Json<Page<MatchJson>>, ApiError> {
    let response = state
        .upstream
        .matchmaking()
        .list_company_matches(key.request(pb::ListCompanyMatchesRequest {
            company_id: id,
            as_of: date_param("as_of", query.as_of.as_ref())?,
            statuses: match_statuses(query.statuses.as_deref())?,
            page: page(query.page_size, query.page_token.as_deref())?,
        }))
        .await?
        .into_inner();
    Ok(list(
        response.matches.iter().map(MatchJson::from).collect(),
        response.next_page_token,
    ))
}

// ----- opportunities -----

/// Filters of the listing list.
#[derive(Debug, Default, Deserialize)]
pub struct OpportunityListQuery {
    page_size: Option<i32>,
    page_token: Option<String>,
    source: Option<String>,
    status: Option<String>,
    region: Option<String>,
    kind: Option<String>,
    nace_prefix: Option<String>,
    published_from: Option<String>,
    published_to: Option<String>,
    deadline_from: Option<String>,
    deadline_to: Option<String>,
}

async fn list_opportunities(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    ApiQuery(query): ApiQuery<OpportunityListQuery>,
) -> Result<Json<Page<OpportunityJson>>, ApiError> {
    let status = enum_param(
        "status",
        query.status.as_ref(),
        OpportunityStatusJson::parse,
        OpportunityStatusJson::ALL,
    )?;
    let kind = enum_param("kind", query.kind.as_ref(), KindJson::parse, KindJson::ALL)?;
    let response = state
        .upstream
        .registry()
        .list_opportunities(key.request(pb::ListOpportunitiesRequest {
            page: page(query.page_size, query.page_token.as_deref())?,
            source: query.source.unwrap_or_default(),
            status: status.map(OpportunityStatusJson::to_pb).unwrap_or_default(),
            region: query.region.unwrap_or_default(),
            kind: kind.map(KindJson::to_pb).unwrap_or_default(),
            nace_prefix: query.nace_prefix.unwrap_or_default(),
            published: range(
                "published_from",
                query.published_from.as_ref(),
                "published_to",
                query.published_to.as_ref(),
            )?,
            deadline: range(
                "deadline_from",
                query.deadline_from.as_ref(),
                "deadline_to",
                query.deadline_to.as_ref(),
            )?,
        }))
        .await?
        .into_inner();
    Ok(list(
        response
            .opportunities
            .iter()
            .map(OpportunityJson::from)
            .collect(),
        response.next_page_token,
    ))
}

/// `?draft=true` creates a draft.
#[derive(Debug, Default, Deserialize)]
pub struct DraftQuery {
    draft: Option<bool>,
}

async fn create_opportunity(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    ApiQuery(query): ApiQuery<DraftQuery>,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<(StatusCode, Json<OpportunityJson>), ApiError> {
    let given: OpportunityJson = parse_body(body, "opportunity")?;
    let created = state
        .upstream
        .registry()
        .create_opportunity(key.request(pb::CreateOpportunityRequest {
            opportunity: Some(given.to_pb("opportunity")?),
            draft: query.draft.unwrap_or(false),
        }))
        .await?
        .into_inner();
    Ok((StatusCode::CREATED, Json(OpportunityJson::from(&created))))
}

async fn get_opportunity(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
) -> Result<Json<OpportunityJson>, ApiError> {
    let opportunity = state
        .upstream
        .registry()
        .get_opportunity(key.request(pb::GetOpportunityRequest { id }))
        .await?
        .into_inner();
    Ok(Json(OpportunityJson::from(&opportunity)))
}

async fn update_opportunity(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
    ApiQuery(version): ApiQuery<VersionQuery>,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<Json<OpportunityJson>, ApiError> {
    let paths = mask_of(&body, OPPORTUNITY_WRITABLE)?;
    let given: OpportunityJson = parse_body(body, "opportunity")?;
    let mut opportunity = given.to_pb("opportunity")?;
    opportunity.id = id;
    let updated = state
        .upstream
        .registry()
        .update_opportunity(key.request(pb::UpdateOpportunityRequest {
            opportunity: Some(opportunity),
            update_mask: Some(prost_types::FieldMask { paths }),
            expected_version: checked_version(version.expected_version)?,
        }))
        .await?
        .into_inner();
    Ok(Json(OpportunityJson::from(&updated)))
}

/// Body of a lifecycle transition.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusChangeBody {
    change: StatusChangeJson,
    #[serde(default)]
    new_deadline: Option<String>,
    #[serde(default)]
    expected_version: Option<i64>,
}

async fn change_status(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<StatusChangeBody>,
) -> Result<Json<OpportunityJson>, ApiError> {
    let changed = state
        .upstream
        .registry()
        .change_opportunity_status(key.request(pb::ChangeOpportunityStatusRequest {
            id,
            change: body.change.to_pb(),
            new_deadline: date_param("new_deadline", body.new_deadline.as_ref())?,
            expected_version: checked_version(body.expected_version)?,
        }))
        .await?
        .into_inner();
    Ok(Json(OpportunityJson::from(&changed)))
}

/// Filters of a listing's firms.
#[derive(Debug, Default, Deserialize)]
pub struct OpportunityMatchesQuery {
    page_size: Option<i32>,
    page_token: Option<String>,
    statuses: Option<String>,
    regions: Option<String>,
}

async fn opportunity_matches(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<OpportunityMatchesQuery>,
) -> Result<Json<Page<MatchJson>>, ApiError> {
    let response = state
        .upstream
        .matchmaking()
        .list_opportunity_matches(key.request(pb::ListOpportunityMatchesRequest {
            opportunity_id: id,
            statuses: match_statuses(query.statuses.as_deref())?,
            page: page(query.page_size, query.page_token.as_deref())?,
            regions: comma_list(query.regions.as_deref()),
        }))
        .await?
        .into_inner();
    Ok(list(
        response.matches.iter().map(MatchJson::from).collect(),
        response.next_page_token,
    ))
}

/// Body of a sync batch.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncBody {
    source: String,
    #[serde(default)]
    upserts: Vec<OpportunityJson>,
    #[serde(default)]
    withdrawals: Vec<String>,
}

/// One item's outcome.
#[derive(Debug, Serialize)]
pub struct SyncItemJson {
    external_id: String,
    outcome: &'static str,
    id: String,
    violations: Vec<crate::error::Violation>,
}

/// Answer of a sync batch.
#[derive(Debug, Serialize)]
pub struct SyncJson {
    results: Vec<SyncItemJson>,
    last_seq: i64,
}

async fn sync_listings(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    ApiJson(body): ApiJson<SyncBody>,
) -> Result<Json<SyncJson>, ApiError> {
    let upserts = body
        .upserts
        .iter()
        .enumerate()
        .map(|(i, item)| item.to_pb(&format!("upserts[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let response = state
        .upstream
        .registry()
        .sync_listings(key.request(pb::SyncListingsRequest {
            source: body.source,
            upserts,
            withdrawals: body.withdrawals,
            ..Default::default()
        }))
        .await?
        .into_inner();
    let results = response
        .results
        .into_iter()
        .map(|item| SyncItemJson {
            outcome: pb::SyncOutcome::slug_of(item.outcome),
            external_id: item.external_id,
            id: item.id,
            violations: item
                .violations
                .into_iter()
                .map(|v| crate::error::Violation {
                    field: v.field,
                    description: v.description,
                })
                .collect(),
        })
        .collect();
    Ok(Json(SyncJson {
        results,
        last_seq: response.last_seq,
    }))
}

// ----- matches -----

async fn get_match(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
) -> Result<Json<MatchJson>, ApiError> {
    let found = state
        .upstream
        .matchmaking()
        .get_match(key.request(pb::GetMatchRequest { id }))
        .await?
        .into_inner();
    Ok(Json(MatchJson::from(&found)))
}

/// Body of a workflow step.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchStatusBody {
    status: MatchStatusJson,
    #[serde(default)]
    dismiss_reason: Option<String>,
    #[serde(default)]
    expected_version: Option<i64>,
}

async fn update_match_status(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<MatchStatusBody>,
) -> Result<Json<MatchJson>, ApiError> {
    if body.status == MatchStatusJson::Proposed {
        return Err(ApiError::invalid(
            "status",
            "a lead cannot be moved back to proposed",
        ));
    }
    if body.status != MatchStatusJson::Dismissed && body.dismiss_reason.is_some() {
        return Err(ApiError::invalid(
            "dismiss_reason",
            "is only for status dismissed",
        ));
    }
    let updated = state
        .upstream
        .matchmaking()
        .update_match_status(key.request(pb::UpdateMatchStatusRequest {
            id,
            status: body.status.to_pb(),
            dismiss_reason: body.dismiss_reason.unwrap_or_default(),
            expected_version: checked_version(body.expected_version)?,
        }))
        .await?
        .into_inner();
    Ok(Json(MatchJson::from(&updated)))
}

/// Body of a note.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    text: String,
}

async fn add_match_note(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NoteBody>,
) -> Result<Json<MatchJson>, ApiError> {
    let updated = state
        .upstream
        .matchmaking()
        .add_match_note(key.request(pb::AddMatchNoteRequest {
            id,
            text: body.text,
        }))
        .await?
        .into_inner();
    Ok(Json(MatchJson::from(&updated)))
}

// ----- search -----

/// Parameters of a search.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct SearchQuery {
    /// Parameter `page_size`.
    #[serde(default, deserialize_with = "opt_from_str")]
    pub page_size: Option<i32>,
    /// Parameter `page_token`.
    pub page_token: Option<String>,
    /// Parameter `q`.
    pub q: Option<String>,
    /// Parameter `language`.
    pub language: Option<String>,
    /// Parameter `entity`.
    pub entity: Option<String>,
    /// Parameter `kinds`.
    pub kinds: Option<String>,
    /// Parameter `regions`.
    pub regions: Option<String>,
    /// Parameter `nace_prefix`.
    pub nace_prefix: Option<String>,
    /// Parameter `cpv_prefix`.
    pub cpv_prefix: Option<String>,
    /// Parameter `sources`.
    pub sources: Option<String>,
    /// Parameter `place`.
    pub place: Option<String>,
    /// Parameter `lat`.
    #[serde(default, deserialize_with = "opt_from_str")]
    pub lat: Option<f64>,
    /// Parameter `lon`.
    #[serde(default, deserialize_with = "opt_from_str")]
    pub lon: Option<f64>,
    /// Parameter `radius_km`.
    #[serde(default, deserialize_with = "opt_from_str")]
    pub radius_km: Option<f64>,
    /// Parameter `travel_from`: the centre of a travel area, a gazetteer place.
    pub travel_from: Option<String>,
    /// Parameter `max_minutes`: the driving time of a travel area.
    #[serde(default, deserialize_with = "opt_from_str")]
    pub max_minutes: Option<f64>,
    /// Parameter `sort`.
    pub sort: Option<String>,
    /// Parameter `facets`.
    #[serde(default, deserialize_with = "opt_from_str")]
    pub facets: Option<bool>,
    /// Parameter `include_not_live`.
    #[serde(default, deserialize_with = "opt_from_str")]
    pub include_not_live: Option<bool>,
    /// Parameter `public_only`.
    #[serde(default, deserialize_with = "opt_from_str")]
    pub public_only: Option<bool>,
    /// Parameter `as_of`.
    pub as_of: Option<String>,
    /// Parameter `deadline_from`.
    pub deadline_from: Option<String>,
    /// Parameter `deadline_to`.
    pub deadline_to: Option<String>,
    /// Parameter `min_employees`.
    #[serde(default, deserialize_with = "opt_from_str")]
    pub min_employees: Option<i32>,
    /// Parameter `max_employees`.
    #[serde(default, deserialize_with = "opt_from_str")]
    pub max_employees: Option<i32>,
}

/// Answer of a search.
#[derive(Debug, Serialize)]
pub struct SearchJson {
    /// Hits of this page.
    pub items: Vec<HitJson>,
    /// Token of the next page.
    pub next_page_token: String,
    /// Total number of matching records.
    pub total: i64,
    /// Facet counts, when asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facets: Option<FacetsJson>,
    /// Language the query was read in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_language: Option<LanguageJson>,
    /// Set when a place had only its province's point.
    pub geo_fallback: String,
}

/// Builds the gRPC search request of the API's (and the console's) parameters.
pub fn search_request(query: &SearchQuery) -> Result<pb::SearchRequest, ApiError> {
    let language = enum_param(
        "language",
        query.language.as_ref(),
        LanguageJson::parse,
        LanguageJson::ALL,
    )?;
    let entity = enum_param(
        "entity",
        query.entity.as_ref(),
        EntityJson::parse,
        EntityJson::ALL,
    )?;
    let kinds = comma_list(query.kinds.as_deref())
        .iter()
        .map(|kind| {
            KindJson::parse(kind).map(KindJson::to_pb).ok_or_else(|| {
                ApiError::invalid(
                    "kinds",
                    format!("must be among {}", KindJson::ALL.join(", ")),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let sort = match query.sort.as_deref().map(str::trim) {
        None | Some("relevance") => pb::SortOrder::Relevance,
        Some("distance") => pb::SortOrder::Distance,
        Some("deadline") => pb::SortOrder::Deadline,
        Some("published") => pb::SortOrder::Published,
        Some("travel_time") => pb::SortOrder::TravelTime,
        Some(_) => {
            return Err(ApiError::invalid(
                "sort",
                "must be one of relevance, distance, deadline, published, travel_time",
            ));
        }
    };
    if query.lat.is_some_and(|lat| !(-90.0..=90.0).contains(&lat)) {
        return Err(ApiError::invalid("lat", "must be between -90 and 90"));
    }
    if query
        .lon
        .is_some_and(|lon| !(-180.0..=180.0).contains(&lon))
    {
        return Err(ApiError::invalid("lon", "must be between -180 and 180"));
    }
    let place = query
        .place
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    let travel_from = query
        .travel_from
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    if let Some(geo) = travel_area(travel_from, query)? {
        return with_geo(query, Some(geo), sort, language, entity, kinds);
    }
    let geo = match (place, query.lat, query.lon, query.radius_km) {
        (_, _, _, None) => None,
        (Some(place), _, _, Some(radius_km)) => {
            Some(pb::search_request::Geo::Radius(pb::GeoRadius {
                centre: Some(pb::geo_radius::Centre::Place(place.to_owned())),
                radius_km,
            }))
        }
        (None, Some(lat), Some(lon), Some(radius_km)) => {
            Some(pb::search_request::Geo::Radius(pb::GeoRadius {
                centre: Some(pb::geo_radius::Centre::Point(pb::Location {
                    lat: Some(lat),
                    lon: Some(lon),
                    ..Default::default()
                })),
                radius_km,
            }))
        }
        (None, _, _, Some(_)) => {
            return Err(ApiError::invalid(
                "radius_km",
                "needs a place, or lat and lon",
            ));
        }
    };
    with_geo(query, geo, sort, language, entity, kinds)
}

/// The travel area of `travel_from` (or `lat`/`lon`) and `max_minutes`, when asked.
/// Its bounds (0 < minutes ≤ 720) and the place are checked by geo-search, which names
/// `travel.max_minutes` and `travel.place`.
fn travel_area(
    travel_from: Option<&str>,
    query: &SearchQuery,
) -> Result<Option<pb::search_request::Geo>, ApiError> {
    let Some(max_minutes) = query.max_minutes else {
        if travel_from.is_some() {
            return Err(ApiError::invalid(
                "max_minutes",
                "travel_from needs max_minutes, the driving time",
            ));
        }
        return Ok(None);
    };
    if query.radius_km.is_some() {
        return Err(ApiError::invalid(
            "max_minutes",
            "give either radius_km or max_minutes, not both",
        ));
    }
    let centre = match (travel_from, query.lat, query.lon) {
        (Some(place), _, _) => pb::travel_area::Centre::Place(place.to_owned()),
        (None, Some(lat), Some(lon)) => pb::travel_area::Centre::Point(pb::Location {
            lat: Some(lat),
            lon: Some(lon),
            ..Default::default()
        }),
        (None, _, _) => {
            return Err(ApiError::invalid(
                "max_minutes",
                "needs travel_from, or lat and lon",
            ));
        }
    };
    Ok(Some(pb::search_request::Geo::Travel(pb::TravelArea {
        centre: Some(centre),
        max_minutes,
    })))
}

fn with_geo(
    query: &SearchQuery,
    geo: Option<pb::search_request::Geo>,
    sort: pb::SortOrder,
    language: Option<LanguageJson>,
    entity: Option<EntityJson>,
    kinds: Vec<i32>,
) -> Result<pb::SearchRequest, ApiError> {
    Ok(pb::SearchRequest {
        query: query.q.clone().unwrap_or_default(),
        language: language.map(LanguageJson::to_pb).unwrap_or_default(),
        filters: Some(pb::SearchFilters {
            entity: entity.map(EntityJson::to_pb).unwrap_or_default(),
            kinds,
            regions: comma_list(query.regions.as_deref()),
            nace_prefix: query.nace_prefix.clone().unwrap_or_default(),
            cpv_prefix: query.cpv_prefix.clone().unwrap_or_default(),
            include_not_live: query.include_not_live.unwrap_or(false),
            as_of: date_param("as_of", query.as_of.as_ref())?,
            published: None,
            deadline: range(
                "deadline_from",
                query.deadline_from.as_ref(),
                "deadline_to",
                query.deadline_to.as_ref(),
            )?,
            min_employees: query.min_employees,
            max_employees: query.max_employees,
            sources: comma_list(query.sources.as_deref()),
            public_only: query.public_only.unwrap_or(false),
        }),
        geo,
        sort: sort as i32,
        page: page(query.page_size, query.page_token.as_deref())?,
        facets: query.facets.unwrap_or(false),
        skip_snippets: false,
        concepts: Vec::new(),
    })
}

/// The JSON answer of a search response.
pub fn search_json(response: &pb::SearchResponse) -> SearchJson {
    SearchJson {
        items: response.hits.iter().map(HitJson::from).collect(),
        next_page_token: response.next_page_token.clone(),
        total: response.total,
        facets: response.facets.as_ref().map(FacetsJson::from),
        query_language: LanguageJson::from_pb(response.query_language),
        geo_fallback: response.geo_fallback.clone(),
    }
}

async fn search(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> Result<Json<SearchJson>, ApiError> {
    let request = search_request(&query)?;
    let response = state
        .upstream
        .geo_search()
        .search(key.request(request))
        .await?
        .into_inner();
    Ok(Json(search_json(&response)))
}

/// Parameters of place suggestions.
#[derive(Debug, Default, Deserialize)]
pub struct PlacesQuery {
    /// Beginning of a name or code.
    pub prefix: Option<String>,
    /// At most this many (0: 10; at most 50).
    pub limit: Option<i32>,
}

/// A suggested place.
#[derive(Debug, Serialize)]
pub struct PlaceJson {
    /// INSEE/INE code.
    pub code: String,
    /// Name as displayed.
    pub name: String,
    /// Region.
    pub region: String,
    /// Latitude.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    /// Longitude.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    /// The point is the province's centre.
    pub approximate: bool,
}

/// Suggested places.
#[derive(Debug, Serialize)]
pub struct PlacesJson {
    /// Best first.
    pub items: Vec<PlaceJson>,
}

/// Asks geo-search for places starting with `prefix`.
pub async fn places(
    state: &AppState,
    key: &Bearer,
    query: &PlacesQuery,
) -> Result<PlacesJson, ApiError> {
    if query.limit.is_some_and(|limit| !(0..=50).contains(&limit)) {
        return Err(ApiError::invalid("limit", "must be between 0 and 50"));
    }
    let response = state
        .upstream
        .geo_search()
        .suggest_places(key.request(pb::SuggestPlacesRequest {
            prefix: query.prefix.clone().unwrap_or_default(),
            limit: query.limit.unwrap_or_default(),
        }))
        .await?
        .into_inner();
    Ok(PlacesJson {
        items: response
            .places
            .into_iter()
            .map(|place| PlaceJson {
                name: if place.display_name.is_empty() {
                    place.name
                } else {
                    place.display_name
                },
                code: place.code,
                region: place.region,
                lat: place.lat,
                lon: place.lon,
                approximate: place.approximate,
            })
            .collect(),
    })
}

async fn suggest_places(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    ApiQuery(query): ApiQuery<PlacesQuery>,
) -> Result<Json<PlacesJson>, ApiError> {
    Ok(Json(places(&state, &key, &query).await?))
}

// ----- brokerage cases -----

/// Filters of the case list.
#[derive(Debug, Default, Deserialize)]
pub struct CaseListQuery {
    #[serde(default, deserialize_with = "opt_from_str")]
    page_size: Option<i32>,
    page_token: Option<String>,
    /// Comma-separated statuses.
    status: Option<String>,
    /// `a` or `b`.
    side: Option<String>,
    company_id: Option<String>,
}

/// The statuses of a comma-separated `status` filter, named `field` when one is unknown.
pub fn case_statuses(field: &str, text: Option<&str>) -> Result<Vec<i32>, ApiError> {
    comma_list(text)
        .iter()
        .map(|word| {
            CaseStatusJson::parse(word)
                .map(CaseStatusJson::to_pb)
                .ok_or_else(|| {
                    ApiError::invalid(
                        field,
                        format!("must be among {}", CaseStatusJson::ALL.join(", ")),
                    )
                })
        })
        .collect()
}

/// A `side` filter: `a`, `b` or empty.
pub fn case_side(text: Option<&str>) -> Result<String, ApiError> {
    match text.map(str::trim).unwrap_or_default() {
        side @ ("" | "a" | "b") => Ok(side.to_owned()),
        _ => Err(ApiError::invalid("side", "must be a or b")),
    }
}

/// The case version a body carries: required (the version as read), never negative.
pub fn case_version(version: Option<i64>) -> Result<i64, ApiError> {
    match version {
        None => Err(ApiError::invalid(
            "version",
            "is required: the case's version as read",
        )),
        Some(version) if version < 1 => Err(ApiError::invalid("version", "must be at least 1")),
        Some(version) => Ok(version),
    }
}

/// `text` trimmed, or a 400 naming `field` when blank.
fn required_text(field: &str, text: Option<String>) -> Result<String, ApiError> {
    match text.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => Ok(text.to_owned()),
        _ => Err(ApiError::invalid(field, "is required")),
    }
}

fn optional_text(text: Option<String>) -> String {
    text.as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_owned()
}

async fn list_cases(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    ApiQuery(query): ApiQuery<CaseListQuery>,
) -> Result<Json<Page<CaseJson>>, ApiError> {
    let response = state
        .upstream
        .brokerage()
        .list_cases(key.request(pb::ListCasesRequest {
            statuses: case_statuses("status", query.status.as_deref())?,
            side: case_side(query.side.as_deref())?,
            company_id: optional_text(query.company_id),
            page: page(query.page_size, query.page_token.as_deref())?,
        }))
        .await?
        .into_inner();
    Ok(list(
        response.cases.iter().map(CaseJson::from).collect(),
        response.next_page_token,
    ))
}

/// Body of `POST /api/v1/cases`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenCaseBody {
    #[serde(default)]
    company_id: Option<String>,
    #[serde(default)]
    opportunity_id: Option<String>,
    #[serde(default)]
    to_organisation: Option<String>,
    #[serde(default)]
    counterpart_company_id: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

async fn open_case(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    ApiJson(body): ApiJson<OpenCaseBody>,
) -> Result<(StatusCode, Json<CaseJson>), ApiError> {
    let request = pb::OpenCaseRequest {
        company_id: required_text("company_id", body.company_id)?,
        opportunity_id: required_text("opportunity_id", body.opportunity_id)?,
        to_organisation: optional_text(body.to_organisation),
        counterpart_company_id: optional_text(body.counterpart_company_id),
        note: optional_text(body.note),
    };
    let case = state
        .upstream
        .brokerage()
        .open_case(key.request(request))
        .await?
        .into_inner();
    Ok((StatusCode::CREATED, Json(CaseJson::from(&case))))
}

async fn get_case(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
) -> Result<Json<CaseJson>, ApiError> {
    let case = state
        .upstream
        .brokerage()
        .get_case(key.request(pb::GetCaseRequest { id }))
        .await?
        .into_inner();
    Ok(Json(CaseJson::from(&case)))
}

/// Body of `accept`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptCaseBody {
    #[serde(default)]
    counterpart_company_id: Option<String>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    version: Option<i64>,
}

async fn accept_case(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AcceptCaseBody>,
) -> Result<Json<CaseJson>, ApiError> {
    let request = pb::AcceptCaseRequest {
        id,
        counterpart_company_id: optional_text(body.counterpart_company_id),
        note: optional_text(body.note),
        version: case_version(body.version)?,
    };
    let case = state
        .upstream
        .brokerage()
        .accept_case(key.request(request))
        .await?
        .into_inner();
    Ok(Json(CaseJson::from(&case)))
}

/// Body of `decline`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclineCaseBody {
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    version: Option<i64>,
}

async fn decline_case(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DeclineCaseBody>,
) -> Result<Json<CaseJson>, ApiError> {
    let request = pb::DeclineCaseRequest {
        id,
        reason: required_text("reason", body.reason)?,
        version: case_version(body.version)?,
    };
    let case = state
        .upstream
        .brokerage()
        .decline_case(key.request(request))
        .await?
        .into_inner();
    Ok(Json(CaseJson::from(&case)))
}

/// Body of `ask-consents`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionBody {
    #[serde(default)]
    version: Option<i64>,
}

async fn ask_consents(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<VersionBody>,
) -> Result<Json<CaseJson>, ApiError> {
    let request = pb::AskConsentsRequest {
        id,
        version: case_version(body.version)?,
    };
    let case = state
        .upstream
        .brokerage()
        .ask_consents(key.request(request))
        .await?
        .into_inner();
    Ok(Json(CaseJson::from(&case)))
}

/// The statuses an adviser may move a case to.
pub const CASE_MOVES: &[&str] = &["meeting", "won", "lost", "dropped"];

/// Body of `status`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseStatusBody {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    version: Option<i64>,
}

/// The gRPC request of a case move, checked: `status` one of [`CASE_MOVES`], a reason
/// for `dropped` only.
pub fn case_move(
    id: String,
    status: Option<&str>,
    reason: Option<String>,
    version: Option<i64>,
) -> Result<pb::UpdateCaseStatusRequest, ApiError> {
    let status = status
        .map(str::trim)
        .filter(|s| CASE_MOVES.contains(s))
        .and_then(CaseStatusJson::parse)
        .ok_or_else(|| {
            ApiError::invalid(
                "status",
                format!("must be one of {}", CASE_MOVES.join(", ")),
            )
        })?;
    let reason = if status == CaseStatusJson::Dropped {
        required_text("reason", reason)?
    } else {
        optional_text(reason)
    };
    Ok(pb::UpdateCaseStatusRequest {
        id,
        status: status.to_pb(),
        reason,
        version: case_version(version)?,
    })
}

async fn update_case_status(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CaseStatusBody>,
) -> Result<Json<CaseJson>, ApiError> {
    let request = case_move(id, body.status.as_deref(), body.reason, body.version)?;
    let case = state
        .upstream
        .brokerage()
        .update_case_status(key.request(request))
        .await?
        .into_inner();
    Ok(Json(CaseJson::from(&case)))
}

/// Body of a case note.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseNoteBody {
    #[serde(default)]
    text: Option<String>,
}

async fn add_case_note(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CaseNoteBody>,
) -> Result<Json<CaseJson>, ApiError> {
    let text = required_text("text", body.text)?;
    let case = state
        .upstream
        .brokerage()
        .add_case_note(key.request(pb::AddCaseNoteRequest { id, text }))
        .await?
        .into_inner();
    Ok(Json(CaseJson::from(&case)))
}

async fn case_contacts(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
) -> Result<Json<CaseContactsJson>, ApiError> {
    let contacts = state
        .upstream
        .brokerage()
        .get_case_contacts(key.request(pb::GetCaseContactsRequest { id }))
        .await?
        .into_inner();
    Ok(Json(CaseContactsJson::from(&contacts)))
}

/// Body of a consent answer.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentBody {
    #[serde(default)]
    company_id: Option<String>,
    #[serde(default)]
    answer: Option<String>,
}

/// A consent answer's word: `yes` or `no`.
pub fn consent_answer(text: Option<&str>) -> Result<ConsentAnswerJson, ApiError> {
    match text.map(str::trim).and_then(ConsentAnswerJson::parse) {
        Some(answer @ (ConsentAnswerJson::Yes | ConsentAnswerJson::No)) => Ok(answer),
        _ => Err(ApiError::invalid("answer", "must be yes or no")),
    }
}

async fn answer_consent(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ConsentBody>,
) -> Result<Json<CaseJson>, ApiError> {
    let request = pb::AnswerConsentRequest {
        id,
        company_id: required_text("company_id", body.company_id)?,
        answer: consent_answer(body.answer.as_deref())?.to_pb(),
    };
    let case = state
        .upstream
        .brokerage()
        .answer_consent(key.request(request))
        .await?
        .into_inner();
    Ok(Json(CaseJson::from(&case)))
}

/// Filters of a firm's consent requests.
#[derive(Debug, Default, Deserialize)]
pub struct ConsentsQuery {
    #[serde(default, deserialize_with = "opt_from_str")]
    pending_only: Option<bool>,
}

/// A firm's consent requests.
#[derive(Debug, Serialize)]
pub struct ConsentsJson {
    /// Newest first.
    pub items: Vec<ConsentRequestJson>,
}

async fn my_consents(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    ApiQuery(query): ApiQuery<ConsentsQuery>,
) -> Result<Json<ConsentsJson>, ApiError> {
    let response = state
        .upstream
        .brokerage()
        .list_my_consents(key.request(pb::ListMyConsentsRequest {
            pending_only: query.pending_only.unwrap_or(false),
        }))
        .await?
        .into_inner();
    Ok(Json(ConsentsJson {
        items: response
            .requests
            .iter()
            .map(ConsentRequestJson::from)
            .collect(),
    }))
}

/// Parameters of consortium proposals.
#[derive(Debug, Default, Deserialize)]
pub struct ConsortiaQuery {
    /// One lot of the tender.
    pub lot_id: Option<String>,
    /// A firm the group must include.
    pub anchor_company_id: Option<String>,
    /// How many (0: 5; at most 20).
    #[serde(default, deserialize_with = "opt_from_str")]
    pub limit: Option<i32>,
    /// The day the tender is read on.
    pub as_of: Option<String>,
}

/// Consortium proposals for a tender.
#[derive(Debug, Serialize)]
pub struct ConsortiaJson {
    /// Best first.
    pub items: Vec<ConsortiumJson>,
    /// The requirements read from the tender.
    pub requirements: Vec<String>,
}

/// The gRPC request of consortium proposals, checked.
pub fn consortia_request(
    opportunity_id: String,
    query: &ConsortiaQuery,
) -> Result<pb::ProposeConsortiaRequest, ApiError> {
    let limit = query.limit.unwrap_or_default();
    if !(0..=20).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 0 and 20"));
    }
    Ok(pb::ProposeConsortiaRequest {
        opportunity_id,
        lot_id: query.lot_id.clone().unwrap_or_default(),
        anchor_company_id: query.anchor_company_id.clone().unwrap_or_default(),
        limit,
        as_of: date_param("as_of", query.as_of.as_ref())?,
    })
}

async fn propose_consortia(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<ConsortiaQuery>,
) -> Result<Json<ConsortiaJson>, ApiError> {
    let request = consortia_request(id, &query)?;
    let response = state
        .upstream
        .brokerage()
        .propose_consortia(key.request(request))
        .await?
        .into_inner();
    Ok(Json(ConsortiaJson {
        items: response
            .consortia
            .iter()
            .map(ConsortiumJson::from)
            .collect(),
        requirements: response.requirements,
    }))
}

/// Body of `POST /api/v1/opportunities/{id}/consortia/cases`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsortiumCasesBody {
    #[serde(default)]
    company_id: Option<String>,
    #[serde(default)]
    member_company_ids: Option<Vec<String>>,
    #[serde(default)]
    consortium_id: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

/// The cases opened for a consortium.
#[derive(Debug, Serialize)]
pub struct CasesJson {
    /// One per member followed by another organisation.
    pub items: Vec<CaseJson>,
}

async fn open_consortium_cases(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ConsortiumCasesBody>,
) -> Result<(StatusCode, Json<CasesJson>), ApiError> {
    let members: Vec<String> = body
        .member_company_ids
        .unwrap_or_default()
        .into_iter()
        .map(|m| m.trim().to_owned())
        .filter(|m| !m.is_empty())
        .collect();
    if members.is_empty() {
        return Err(ApiError::invalid(
            "member_company_ids",
            "names at least one other member",
        ));
    }
    let request = pb::OpenConsortiumCasesRequest {
        opportunity_id: id,
        company_id: required_text("company_id", body.company_id)?,
        member_company_ids: members,
        consortium_id: required_text("consortium_id", body.consortium_id)?,
        note: optional_text(body.note),
    };
    let response = state
        .upstream
        .brokerage()
        .open_consortium_cases(key.request(request))
        .await?
        .into_inner();
    Ok((
        StatusCode::CREATED,
        Json(CasesJson {
            items: response.cases.iter().map(CaseJson::from).collect(),
        }),
    ))
}

/// The organisations' directory.
#[derive(Debug, Serialize)]
pub struct OrganisationsJson {
    /// By id.
    pub items: Vec<OrganisationJson>,
}

async fn list_organisations(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
) -> Result<Json<OrganisationsJson>, ApiError> {
    let response = state
        .upstream
        .access()
        .list_organisations(key.request(pb::ListOrganisationsRequest {}))
        .await?
        .into_inner();
    Ok(Json(OrganisationsJson {
        items: response
            .organisations
            .iter()
            .map(OrganisationJson::from)
            .collect(),
    }))
}
