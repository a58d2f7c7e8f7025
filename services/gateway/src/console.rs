//! The advisers' web console: server-rendered pages over the same gRPC calls as the API.
//!
//! Pages are minijinja templates (`templates/`), French by default, Spanish or English
//! by a cookie. Every page needs a session (see [`crate::session`]); every form posts
//! its session's CSRF token; every gRPC call carries the adviser's own key, so a firm
//! outside the adviser's territory is "not found" here as in the API.

use std::collections::BTreeSet;

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use pyred_proto::v1 as pb;
use pyred_runtime::Secret;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::AppState;
use crate::api::{PlacesQuery, SearchQuery, search_request};
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::json::{
    ContractTypeJson, KindJson, MatchStatusJson, ProcedureJson, TenderStageJson, date_text,
    timestamp_text, today_plus,
};
use crate::session::{
    self, Handle, LANG_COOKIE, LOGIN_CSRF_COOKIE, Session, cookie, random_token, same_token,
    set_cookie,
};
use crate::upstream::{Bearer, KeyRole, probe_role};

/// The console's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/console") }))
        .route("/console", get(dashboard))
        .route("/console/login", get(login_page).post(login))
        .route("/console/logout", post(logout))
        .route("/console/lang/{code}", get(switch_language))
        .route("/console/firms/{id}", get(firm_page))
        .route("/console/firms/{id}/edit", get(edit_page).post(edit_firm))
        .route("/console/firms/{id}/leads.csv", get(firm_leads_csv))
        .route("/console/firms/{id}/leads.pdf", get(firm_leads_pdf))
        .route("/console/pipeline.csv", get(pipeline_csv))
        .route("/console/matches/{id}/status", post(change_match_status))
        .route("/console/matches/{id}/notes", post(add_note))
        .route("/console/opportunities/{id}", get(opportunity_page))
        .route("/console/search", get(search_page))
        .route("/console/places", get(places))
        .route("/console/map", get(map_page))
        .route("/console/map.svg", get(map_svg))
        .route("/static/console.css", get(css))
        .route("/static/console.js", get(js))
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        include_str!("../static/console.css"),
    )
        .into_response()
}

async fn js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        include_str!("../static/console.js"),
    )
        .into_response()
}

// ----- request context -----

/// The language asked for by the cookie (French by default).
fn lang_of(headers: &HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE)
        .and_then(|code| Lang::parse(&code))
        .unwrap_or_default()
}

/// A signed-in request: the session and the language.
pub struct Console {
    /// The session.
    pub session: Session,
    /// Page language.
    pub lang: Lang,
    /// The path asked, for the language links.
    pub path: String,
}

/// Sends an unsigned request to the sign-in page.
pub struct ToLogin;

impl IntoResponse for ToLogin {
    fn into_response(self) -> Response {
        Redirect::to("/console/login").into_response()
    }
}

impl FromRequestParts<AppState> for Console {
    type Rejection = ToLogin;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, ToLogin> {
        let handle = parts.extensions.get::<Handle>().ok_or(ToLogin)?;
        let session = session::signed_in(handle).await.ok_or(ToLogin)?;
        Ok(Self {
            session,
            lang: lang_of(&parts.headers),
            path: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| "/console".to_owned()),
        })
    }
}

impl Console {
    pub(crate) fn key(&self) -> &Bearer {
        &self.session.bearer
    }

    /// The context every page shares, with `extra` merged in.
    fn context(&self, extra: Value) -> Value {
        let mut context = json!({
            "t": self.lang.words(),
            "lang": self.lang.code(),
            "csrf": self.session.csrf,
            "signed_in": true,
            "key_id": self.session.key_id,
            "here": self.path,
        });
        if let (Some(base), Value::Object(extra)) = (context.as_object_mut(), extra) {
            base.extend(extra);
        }
        context
    }

    pub(crate) fn render(&self, state: &AppState, template: &str, extra: Value) -> Response {
        state.render(template, &self.context(extra))
    }

    /// An error page for a failed call (404 for other tenants' objects, as the API).
    pub(crate) fn error(&self, state: &AppState, error: &ApiError) -> Response {
        if error.status == StatusCode::UNAUTHORIZED {
            // The key was revoked or rotated meanwhile: the session is over.
            return session::ended(Redirect::to("/console/login").into_response());
        }
        let words = self.lang.words();
        let message = match error.status {
            StatusCode::NOT_FOUND => words["not_found"].to_owned(),
            StatusCode::FORBIDDEN => words["forbidden"].to_owned(),
            StatusCode::PRECONDITION_FAILED => words["version_conflict"].to_owned(),
            StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT => {
                words["service_down"].to_owned()
            }
            _ => error.message.clone(),
        };
        let mut response = self.render(
            state,
            "error.html",
            json!({ "status": error.status.as_u16(), "message": message }),
        );
        *response.status_mut() = error.status;
        response
    }

    pub(crate) fn check_csrf(&self, token: &str) -> bool {
        same_token(&self.session.csrf, token)
    }
}

impl AppState {
    /// Renders a template; a template error is logged and answers 500.
    pub fn render(&self, template: &str, context: &Value) -> Response {
        let rendered = self
            .templates
            .get_template(template)
            .and_then(|template| template.render(context));
        match rendered {
            Ok(html) => {
                let mut response = Html(html).into_response();
                let headers = response.headers_mut();
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                headers.insert(
                    "content-security-policy",
                    HeaderValue::from_static(
                        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
                    ),
                );
                headers.insert(
                    "x-content-type-options",
                    HeaderValue::from_static("nosniff"),
                );
                headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
                response
            }
            Err(error) => {
                tracing::error!(%error, template, "template failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
            }
        }
    }
}

// ----- sign-in -----

#[derive(Debug, Deserialize)]
struct LoginForm {
    key: String,
    csrf: String,
}

fn login_form(state: &AppState, lang: Lang, error: Option<&str>, status: StatusCode) -> Response {
    let token = random_token();
    let mut response = state.render(
        "login.html",
        &json!({
            "t": lang.words(),
            "lang": lang.code(),
            "csrf": token,
            "signed_in": false,
            "here": "/console/login",
            "error": error,
        }),
    );
    *response.status_mut() = status;
    if let Ok(value) = HeaderValue::from_str(&set_cookie(
        LOGIN_CSRF_COOKIE,
        &token,
        Some(3600),
        true,
        state.tls,
    )) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

async fn login_page(State(state): State<AppState>, handle: Handle, headers: HeaderMap) -> Response {
    if session::signed_in(&handle).await.is_some() {
        return Redirect::to("/console").into_response();
    }
    login_form(&state, lang_of(&headers), None, StatusCode::OK)
}

async fn login(
    State(state): State<AppState>,
    handle: Handle,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = lang_of(&headers);
    let words = lang.words();
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_token(&expected, &form.csrf) {
        return login_form(
            &state,
            lang,
            Some(words["csrf_failed"]),
            StatusCode::FORBIDDEN,
        );
    }
    let key = Secret::new(form.key.trim());
    let Some(bearer) = Bearer::new(&key) else {
        return login_form(
            &state,
            lang,
            Some(words["bad_key"]),
            StatusCode::UNAUTHORIZED,
        );
    };
    let (role, territory) = match probe_role(&state.upstream, &bearer).await {
        Ok(found) => found,
        Err(status) if status.code() == tonic::Code::Unauthenticated => {
            return login_form(
                &state,
                lang,
                Some(words["bad_key"]),
                StatusCode::UNAUTHORIZED,
            );
        }
        Err(status) => {
            tracing::warn!(code = ?status.code(), message = status.message(), "sign-in probe failed");
            return login_form(
                &state,
                lang,
                Some(words["service_down"]),
                StatusCode::SERVICE_UNAVAILABLE,
            );
        }
    };
    if role == KeyRole::Partner {
        return login_form(
            &state,
            lang,
            Some(words["not_adviser"]),
            StatusCode::FORBIDDEN,
        );
    }
    if let Err(error) = session::open(&handle, &key, role, territory).await {
        tracing::warn!(%error, "console session not opened");
        return login_form(
            &state,
            lang,
            Some(words["service_down"]),
            StatusCode::SERVICE_UNAVAILABLE,
        );
    }
    // The session layer adds the session cookie.
    let mut response = Redirect::to("/console").into_response();
    if let Ok(value) =
        HeaderValue::from_str(&set_cookie(LOGIN_CSRF_COOKIE, "", Some(0), true, state.tls))
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// Every company the key can list (at most 2,000).
async fn all_companies(state: &AppState, key: &Bearer) -> Result<Vec<pb::Company>, ApiError> {
    let mut companies = Vec::new();
    let mut token = String::new();
    loop {
        let response = state
            .upstream
            .registry()
            .list_companies(key.request(pb::ListCompaniesRequest {
                page: Some(pb::PageRequest {
                    page_size: 100,
                    page_token: token,
                }),
                ..Default::default()
            }))
            .await?
            .into_inner();
        companies.extend(response.companies);
        if response.next_page_token.is_empty() || companies.len() >= 2000 {
            return Ok(companies);
        }
        token = response.next_page_token;
    }
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(console: Console, Form(form): Form<CsrfForm>) -> Response {
    if !console.check_csrf(&form.csrf) {
        return (StatusCode::FORBIDDEN, "csrf").into_response();
    }
    // The record is deleted and the session layer clears the cookie.
    session::ended(Redirect::to("/console/login").into_response())
}

#[derive(Debug, Deserialize)]
struct BackQuery {
    back: Option<String>,
}

async fn switch_language(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(query): Query<BackQuery>,
) -> Response {
    let lang = Lang::parse(&code).unwrap_or_default();
    // Only local paths: never an open redirect.
    let back = query
        .back
        .filter(|back| back.starts_with('/') && !back.starts_with("//") && !back.contains('\\'))
        .unwrap_or_else(|| "/console".to_owned());
    let mut response = Redirect::to(&back).into_response();
    if let Ok(value) = HeaderValue::from_str(&set_cookie(
        LANG_COOKIE,
        lang.code(),
        Some(365 * 86_400),
        false,
        state.tls,
    )) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

// ----- shared views -----

fn status_word(status: i32) -> &'static str {
    MatchStatusJson::from_pb(status).map_or("proposed", MatchStatusJson::as_str)
}

/// Statuses a lead may move to from `status` (the service's forward-only rule).
fn next_statuses(status: i32) -> Vec<&'static str> {
    match MatchStatusJson::from_pb(status) {
        Some(MatchStatusJson::Proposed) | None => {
            vec!["shortlisted", "contacted", "meeting", "won", "lost"]
        }
        Some(MatchStatusJson::Shortlisted) => vec!["contacted", "meeting", "lost"],
        Some(MatchStatusJson::Contacted) => vec!["meeting", "won", "lost"],
        Some(MatchStatusJson::Meeting) => vec!["won", "lost"],
        Some(MatchStatusJson::Won | MatchStatusJson::Lost | MatchStatusJson::Dismissed) => vec![],
    }
}

fn reason_text(lang: Lang, reason: &pb::MatchReason) -> String {
    match lang {
        Lang::Es if !reason.text_es.is_empty() => reason.text_es.clone(),
        _ => reason.text_fr.clone(),
    }
}

pub(crate) fn match_view(lang: Lang, m: &pb::Match) -> Value {
    let open = next_statuses(m.status);
    json!({
        "id": m.id,
        "company_id": m.company_id,
        "company_name": m.company_name,
        "opportunity_id": m.opportunity_id,
        "title": m.opportunity_title,
        "score": format!("{:.0}", m.score * 100.0),
        "reasons": m.reasons.iter().map(|r| reason_text(lang, r)).collect::<Vec<_>>(),
        "distance": m.distance_km.map(|d| format!("{d:.0} km")),
        "travel": trip_view(lang, m.travel.as_ref()),
        "travel_closed": closed_view(lang, m.travel.as_ref()),
        "status": status_word(m.status),
        "next": open,
        "can_dismiss": !matches!(MatchStatusJson::from_pb(m.status), Some(MatchStatusJson::Won | MatchStatusJson::Lost | MatchStatusJson::Dismissed)),
        "dismiss_reason": m.dismiss_reason,
        "notes": m.notes.iter().map(|n| json!({
            "author": n.author,
            "text": n.text,
            "at": n.created_at.as_ref().map(timestamp_text),
        })).collect::<Vec<_>>(),
        "version": m.version,
    })
}

/// A lead's trip by road as its card says it (« 3 h 10 par le tunnel du Somport ·
/// 263 km »); `None` for a match scored before matches carried their trip, whose card
/// shows the straight-line distance instead.
pub(crate) fn trip_view(lang: Lang, travel: Option<&pb::TravelLeg>) -> Option<String> {
    travel.map(|t| crate::i18n::trip_text(lang, t.minutes, t.km, &t.crossing))
}

/// The warning of a trip whose best crossing was closed on the day it was scored.
pub(crate) fn closed_view(lang: Lang, travel: Option<&pb::TravelLeg>) -> Option<String> {
    travel
        .filter(|t| !t.closed_crossing.is_empty())
        .map(|t| crate::i18n::closed_crossing_text(lang, &t.closed_crossing, t.detour_minutes))
}

fn company_view(company: &pb::Company) -> Value {
    json!({
        "id": company.id,
        "name": company.name,
        "place": company.location.as_ref().map(|l| l.place_name.clone()).unwrap_or_default(),
        "place_code": company.location.as_ref().map(|l| l.place_code.clone()).unwrap_or_default(),
        "region": company.region,
        "employees": company.employees,
        "description": company.description,
        "offers": company.offers,
        "seeks": company.seeks,
        "activities": company.activities.iter().map(|a| a.given.clone()).collect::<Vec<_>>(),
        "nace": company.activities.iter().map(|a| a.nace.clone()).collect::<Vec<_>>(),
        "languages": company.languages,
        "legal_id": company.legal_id.as_ref().map(|l| l.display.clone()),
        "contact": company.contact.as_ref().map(|c| json!({"name": c.name, "email": c.email, "phone": c.phone})),
        "visibility": crate::json::VisibilityJson::from_pb(company.visibility).map(|v| v.as_str()),
        "service_radius_km": company.service_radius_km.map(|km| format!("{km} km")),
        "service_radius_hours": company.service_radius_hours.map(hours_text),
        "version": company.version,
    })
}

/// Hours of driving as an adviser reads them: `3 h 30`, `2 h`, `0 h 45`.
fn hours_text(hours: f64) -> String {
    let minutes = (hours * 60.0).round() as i64;
    match minutes % 60 {
        0 => format!("{} h", minutes / 60),
        rest => format!("{} h {rest:02}", minutes / 60),
    }
}

/// The firms an adviser follows: every listed firm of the territory (all for admins).
pub(crate) async fn my_firms(
    state: &AppState,
    session: &Session,
) -> Result<Vec<pb::Company>, ApiError> {
    let mut companies = all_companies(state, &session.bearer).await?;
    if session.role == KeyRole::Adviser {
        // A territory region covers its provinces (ES-AR covers ES-Z).
        companies.retain(|company| {
            session.territory.contains(&company.region)
                || pyred_domain::IsoRegion::parse(&company.region)
                    .ok()
                    .and_then(|region| region.parent())
                    .is_some_and(|parent| session.territory.contains(parent.as_str()))
        });
    }
    companies.sort_by_key(|company| company.name.to_lowercase());
    Ok(companies)
}

async fn leads_of(
    state: &AppState,
    key: &Bearer,
    company_id: &str,
    statuses: &[MatchStatusJson],
    page_size: i32,
) -> Result<Vec<pb::Match>, ApiError> {
    Ok(state
        .upstream
        .matchmaking()
        .list_company_matches(key.request(pb::ListCompanyMatchesRequest {
            company_id: company_id.to_owned(),
            as_of: None,
            statuses: statuses.iter().map(|s| s.to_pb()).collect(),
            page: Some(pb::PageRequest {
                page_size,
                page_token: String::new(),
            }),
        }))
        .await?
        .into_inner()
        .matches)
}

// ----- dashboard -----

async fn dashboard(State(state): State<AppState>, console: Console) -> Response {
    let firms = match my_firms(&state, &console.session).await {
        Ok(firms) => firms,
        Err(error) => return console.error(&state, &error),
    };
    let lead_lists = futures::future::join_all(firms.iter().map(|firm| {
        leads_of(
            &state,
            console.key(),
            &firm.id,
            &[MatchStatusJson::Proposed],
            10,
        )
    }))
    .await;
    // New leads are the adviser's unread alerts, persisted per key in matchmaking: one
    // call, and what was read stays read across sessions and restarts.
    let unread = match state
        .upstream
        .matchmaking()
        .list_alerts(console.key().request(pb::ListAlertsRequest {
            unread_only: true,
            page_size: 100,
            ..Default::default()
        }))
        .await
    {
        Ok(response) => response.into_inner(),
        Err(status) => return console.error(&state, &status.into()),
    };
    let mut unread_per_firm: std::collections::HashMap<&str, usize> =
        std::collections::HashMap::new();
    for alert in &unread.alerts {
        if let Some(found) = &alert.r#match {
            *unread_per_firm
                .entry(found.company_id.as_str())
                .or_default() += 1;
        }
    }
    let mut firm_rows = Vec::new();
    for (firm, leads) in firms.iter().zip(lead_lists) {
        let leads = match leads {
            Ok(leads) => leads,
            Err(error) if error.status == StatusCode::NOT_FOUND => Vec::new(),
            Err(error) => return console.error(&state, &error),
        };
        firm_rows.push(json!({
            "id": firm.id,
            "name": firm.name,
            "place": firm.location.as_ref().map(|l| l.place_name.clone()).unwrap_or_default(),
            "new": unread_per_firm.get(firm.id.as_str()).copied().unwrap_or_default(),
            "best": leads.first().map(|m| format!("{:.0}", m.score * 100.0)),
        }));
    }
    let new_leads: Vec<Value> = unread
        .alerts
        .iter()
        .filter_map(|alert| alert.r#match.as_ref())
        .take(30)
        .map(|m| match_view(console.lang, m))
        .collect();
    let inbox = unread.inbox.unwrap_or_default();
    let deadlines = state
        .upstream
        .geo_search()
        .search(console.key().request(pb::SearchRequest {
            filters: Some(pb::SearchFilters {
                entity: pb::EntityKind::Opportunity as i32,
                deadline: Some(pb::DateRange {
                    from: Some(today_plus(0)),
                    to: Some(today_plus(14)),
                }),
                ..Default::default()
            }),
            sort: pb::SortOrder::Deadline as i32,
            page: Some(pb::PageRequest {
                page_size: 50,
                page_token: String::new(),
            }),
            skip_snippets: true,
            ..Default::default()
        }))
        .await;
    let deadlines = match deadlines {
        Ok(response) => response
            .into_inner()
            .hits
            .iter()
            .map(|hit| hit_view(hit, console.lang))
            .collect::<Vec<_>>(),
        Err(status) => return console.error(&state, &status.into()),
    };
    console.render(
        &state,
        "dashboard.html",
        json!({
            "firms": firm_rows,
            "new_leads": new_leads,
            "unread_count": inbox.unread_count,
            "unread_capped": inbox.unread_count_capped,
            "deadlines": deadlines,
            "territory": console.session.territory,
            "role": console.session.role,
        }),
    )
}

fn hit_view(hit: &pb::SearchHit, lang: Lang) -> Value {
    json!({
        "travel": hit
            .travel_minutes
            .map(|minutes| crate::i18n::travel_text(lang, minutes, &hit.crossing)),
        "id": hit.id,
        "entity": if hit.entity == pb::EntityKind::Company as i32 { "company" } else { "opportunity" },
        "title": hit.title,
        "place": hit.place_name,
        "region": hit.region,
        "kind": KindJson::from_pb(hit.kind).map(|k| k.as_str()),
        "deadline": hit.deadline.as_ref().map(date_text),
        "distance": hit.distance_km.map(|d| format!("{d:.0} km")),
        "language": crate::json::LanguageJson::from_pb(hit.language).map(|l| l.as_str()),
        "snippets": hit.snippets.iter().map(snippet_segments).collect::<Vec<_>>(),
        "concepts": hit.matched_concepts,
        "buyer": (!hit.buyer_name.is_empty()).then_some(hit.buyer_name.as_str()),
    })
}

/// A snippet as `[{text, mark}]` runs, so the template escapes every piece.
fn snippet_segments(snippet: &pb::Snippet) -> Vec<Value> {
    let text = &snippet.text;
    let mut ranges: Vec<(usize, usize)> = snippet
        .highlights
        .iter()
        .filter_map(|h| Some((usize::try_from(h.start).ok()?, usize::try_from(h.end).ok()?)))
        .filter(|(s, e)| {
            s < e && *e <= text.len() && text.is_char_boundary(*s) && text.is_char_boundary(*e)
        })
        .collect();
    ranges.sort_unstable();
    let mut out = Vec::new();
    let mut at = 0;
    for (start, end) in ranges {
        if start < at {
            continue;
        }
        if start > at {
            out.push(json!({"text": &text[at..start], "mark": false}));
        }
        out.push(json!({"text": &text[start..end], "mark": true}));
        at = end;
    }
    if at < text.len() {
        out.push(json!({"text": &text[at..], "mark": false}));
    }
    out
}

// ----- firm page -----

#[derive(Debug, Default, Deserialize)]
struct FlashQuery {
    ok: Option<String>,
    err: Option<String>,
}

async fn firm_page(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    Query(flash): Query<FlashQuery>,
) -> Response {
    let company = state
        .upstream
        .registry()
        .get_company(console.key().request(pb::GetCompanyRequest {
            id: id.clone(),
            legal_id: String::new(),
        }))
        .await;
    let company = match company {
        Ok(company) => company.into_inner(),
        Err(status) => return console.error(&state, &status.into()),
    };
    let leads = match leads_of(&state, console.key(), &id, &[], 20).await {
        Ok(leads) => leads,
        Err(error) if error.status == StatusCode::NOT_FOUND => Vec::new(),
        Err(error) => return console.error(&state, &error),
    };
    let words = console.lang.words();
    let ok = flash.ok.as_deref().and_then(|k| words.get(k).copied());
    let organisations = crate::cases::organisation_options(&state, &console).await;
    console.render(
        &state,
        "firm.html",
        json!({
            "organisations": organisations,
            "firm": company_view(&company),
            "leads": leads.iter().map(|m| match_view(console.lang, m)).collect::<Vec<_>>(),
            "ok": ok,
            "err": flash.err,
        }),
    )
}

// ----- edit -----

/// The edit form's fields, named after the API's field paths (`.` → `_`).
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
struct EditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    offers: String,
    #[serde(default)]
    seeks: String,
    #[serde(default)]
    activities: String,
    #[serde(default)]
    languages: String,
    #[serde(default)]
    employees: String,
    #[serde(default)]
    location_place_code: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_email: String,
    #[serde(default)]
    contact_phone: String,
    #[serde(default)]
    visibility: String,
    #[serde(default)]
    service_radius_km: String,
    #[serde(default)]
    service_radius_hours: String,
}

impl EditForm {
    fn of(company: &pb::Company) -> Self {
        let contact = company.contact.clone().unwrap_or_default();
        Self {
            csrf: String::new(),
            version: company.version.to_string(),
            name: company.name.clone(),
            description: company.description.clone(),
            offers: company.offers.clone(),
            seeks: company.seeks.clone(),
            activities: company
                .activities
                .iter()
                .map(|a| a.given.clone())
                .collect::<Vec<_>>()
                .join(", "),
            languages: company.languages.join(", "),
            employees: company.employees.map(|e| e.to_string()).unwrap_or_default(),
            location_place_code: company
                .location
                .as_ref()
                .map(|l| l.place_code.clone())
                .unwrap_or_default(),
            contact_name: contact.name,
            contact_email: contact.email,
            contact_phone: contact.phone,
            visibility: crate::json::VisibilityJson::from_pb(company.visibility)
                .map_or("advisers_only", |v| v.as_str())
                .to_owned(),
            service_radius_km: company
                .service_radius_km
                .map(|r| r.to_string())
                .unwrap_or_default(),
            service_radius_hours: company
                .service_radius_hours
                .map(|r| r.to_string())
                .unwrap_or_default(),
        }
    }
}

/// The input a violation's field path belongs to (`company.contact.email` →
/// `contact_email`, `company.activities[2]` → `activities`, `company.location.lat` →
/// `location_place_code`).
fn input_of(field: &str) -> String {
    let field = field.strip_prefix("company.").unwrap_or(field);
    let field = field.split('[').next().unwrap_or(field);
    match field {
        "location" | "location.lat" | "location.lon" | "location.place_name" | "region" => {
            "location_place_code".to_owned()
        }
        "contact" => "contact_name".to_owned(),
        other => other.replace('.', "_"),
    }
}

fn comma_items(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn edit_page(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Response {
    match state
        .upstream
        .registry()
        .get_company(console.key().request(pb::GetCompanyRequest {
            id,
            legal_id: String::new(),
        }))
        .await
    {
        Ok(company) => {
            let company = company.into_inner();
            console.render(
                &state,
                "firm_edit.html",
                json!({ "firm": company_view(&company), "form": EditForm::of(&company), "errors": {}, "other_errors": [] }),
            )
        }
        Err(status) => console.error(&state, &status.into()),
    }
}

async fn edit_firm(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    Form(form): Form<EditForm>,
) -> Response {
    if !console.check_csrf(&form.csrf) {
        return console.error(
            &state,
            &ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf",
                console.lang.words()["csrf_failed"],
            ),
        );
    }
    // The version the form was drawn from: without it the registry's optimistic check
    // would be skipped (0), and another adviser's edit silently overwritten.
    let Some(expected_version) = form.version.trim().parse::<i64>().ok().filter(|v| *v > 0) else {
        return console.error(
            &state,
            &ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_argument",
                console.lang.words()["form_version_lost"],
            ),
        );
    };
    let current = match state
        .upstream
        .registry()
        .get_company(console.key().request(pb::GetCompanyRequest {
            id: id.clone(),
            legal_id: String::new(),
        }))
        .await
    {
        Ok(company) => company.into_inner(),
        Err(status) => return console.error(&state, &status.into()),
    };
    let mut local = Vec::new();
    let employees = match form.employees.trim() {
        "" => None,
        text => match text.parse::<i32>() {
            Ok(n) => Some(n),
            Err(_) => {
                local.push((
                    "employees".to_owned(),
                    "nombre entier attendu / número entero".to_owned(),
                ));
                None
            }
        },
    };
    let mut decimal = |input: &str, text: &str| match text.trim() {
        "" => None,
        text => match text.replace(',', ".").parse::<f64>() {
            Ok(n) => Some(n),
            Err(_) => {
                local.push((
                    input.to_owned(),
                    console.lang.words()["number_expected"].to_owned(),
                ));
                None
            }
        },
    };
    let service_radius_km = decimal("service_radius_km", &form.service_radius_km);
    let service_radius_hours = decimal("service_radius_hours", &form.service_radius_hours);
    let place_changed = current
        .location
        .as_ref()
        .is_none_or(|l| l.place_code != form.location_place_code.trim());
    let contact = (!form.contact_name.trim().is_empty()
        || !form.contact_email.trim().is_empty()
        || !form.contact_phone.trim().is_empty())
    .then(|| pb::Contact {
        name: form.contact_name.trim().to_owned(),
        email: form.contact_email.trim().to_owned(),
        phone: form.contact_phone.trim().to_owned(),
    });
    let mut paths = vec![
        "name",
        "description",
        "offers",
        "seeks",
        "activities",
        "languages",
        "employees",
        "visibility",
        "service_radius_km",
        "service_radius_hours",
    ];
    if contact.is_some() || current.contact.is_some() {
        paths.push("contact");
    }
    if place_changed {
        paths.push("location");
    }
    let company = pb::Company {
        id: id.clone(),
        name: form.name.clone(),
        description: form.description.clone(),
        offers: form.offers.clone(),
        seeks: form.seeks.clone(),
        activities: comma_items(&form.activities)
            .into_iter()
            .map(|given| pb::ActivityCode {
                nace: String::new(),
                given,
            })
            .collect(),
        languages: comma_items(&form.languages),
        employees,
        location: Some(pb::Location {
            // No point: the registry takes the new place's own.
            lat: None,
            lon: None,
            place_code: form.location_place_code.trim().to_owned(),
            place_name: String::new(),
        }),
        contact,
        visibility: crate::json::VisibilityJson::parse(&form.visibility)
            .map(|v| v.to_pb())
            .unwrap_or_default(),
        service_radius_km,
        service_radius_hours,
        ..Default::default()
    };
    let result = if local.is_empty() {
        state
            .upstream
            .registry()
            .update_company(console.key().request(pb::UpdateCompanyRequest {
                company: Some(company),
                update_mask: Some(prost_types::FieldMask {
                    paths: paths.into_iter().map(str::to_owned).collect(),
                }),
                expected_version,
            }))
            .await
            .map_err(ApiError::from)
    } else {
        Err(ApiError {
            violations: local
                .into_iter()
                .map(|(field, description)| crate::error::Violation { field, description })
                .collect(),
            ..ApiError::invalid("", "")
        })
    };
    match result {
        Ok(_) => Redirect::to(&format!("/console/firms/{id}?ok=saved")).into_response(),
        Err(error) if error.status == StatusCode::BAD_REQUEST => {
            let mut errors = serde_json::Map::new();
            let mut other = Vec::new();
            for violation in &error.violations {
                if violation.field.is_empty() {
                    continue;
                }
                let input = input_of(&violation.field);
                let known = [
                    "name",
                    "description",
                    "offers",
                    "seeks",
                    "activities",
                    "languages",
                    "employees",
                    "location_place_code",
                    "contact_name",
                    "contact_email",
                    "contact_phone",
                    "visibility",
                    "service_radius_km",
                    "service_radius_hours",
                ];
                if known.contains(&input.as_str()) {
                    errors
                        .entry(input)
                        .or_insert_with(|| Value::from(violation.description.clone()));
                } else {
                    other.push(format!("{}: {}", violation.field, violation.description));
                }
            }
            if errors.is_empty() && other.is_empty() {
                other.push(error.message.clone());
            }
            let mut response = console.render(
                &state,
                "firm_edit.html",
                json!({ "firm": company_view(&current), "form": form, "errors": errors, "other_errors": other }),
            );
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            response
        }
        Err(error) => console.error(&state, &error),
    }
}

// ----- workflow -----

#[derive(Debug, Deserialize)]
struct StatusForm {
    csrf: String,
    status: String,
    #[serde(default)]
    dismiss_reason: String,
    #[serde(default)]
    back: String,
}

fn back_to(back: &str) -> String {
    if back.starts_with("/console") && !back.contains("//") {
        back.split(['?', '#'])
            .next()
            .unwrap_or("/console")
            .to_owned()
    } else {
        "/console".to_owned()
    }
}

async fn change_match_status(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    Form(form): Form<StatusForm>,
) -> Response {
    if !console.check_csrf(&form.csrf) {
        return console.error(
            &state,
            &ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf",
                console.lang.words()["csrf_failed"],
            ),
        );
    }
    let Some(status) = MatchStatusJson::parse(&form.status) else {
        return console.error(&state, &ApiError::invalid("status", "unknown status"));
    };
    let back = back_to(&form.back);
    match state
        .upstream
        .matchmaking()
        .update_match_status(console.key().request(pb::UpdateMatchStatusRequest {
            id: id.clone(),
            status: status.to_pb(),
            dismiss_reason: form.dismiss_reason.trim().to_owned(),
            expected_version: 0,
        }))
        .await
    {
        Ok(_) => Redirect::to(&format!("{back}?ok=status_changed#lead-{id}")).into_response(),
        Err(status)
            if matches!(
                status.code(),
                tonic::Code::InvalidArgument | tonic::Code::FailedPrecondition
            ) =>
        {
            let error = ApiError::from(status);
            let message = error.violations.first().map_or(error.message.clone(), |v| {
                format!("{}: {}", v.field, v.description)
            });
            Redirect::to(&format!("{back}?err={}#lead-{id}", encode(&message))).into_response()
        }
        Err(status) => console.error(&state, &status.into()),
    }
}

#[derive(Debug, Deserialize)]
struct NoteForm {
    csrf: String,
    text: String,
    #[serde(default)]
    back: String,
}

async fn add_note(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    Form(form): Form<NoteForm>,
) -> Response {
    if !console.check_csrf(&form.csrf) {
        return console.error(
            &state,
            &ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf",
                console.lang.words()["csrf_failed"],
            ),
        );
    }
    let back = back_to(&form.back);
    match state
        .upstream
        .matchmaking()
        .add_match_note(console.key().request(pb::AddMatchNoteRequest {
            id: id.clone(),
            text: form.text,
        }))
        .await
    {
        Ok(_) => Redirect::to(&format!("{back}?ok=note_added#lead-{id}")).into_response(),
        Err(status) if status.code() == tonic::Code::InvalidArgument => {
            let error = ApiError::from(status);
            let message = error.violations.first().map_or(error.message.clone(), |v| {
                format!("{}: {}", v.field, v.description)
            });
            Redirect::to(&format!("{back}?err={}#lead-{id}", encode(&message))).into_response()
        }
        Err(status) => console.error(&state, &status.into()),
    }
}

/// Percent-encodes a query value.
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

// ----- opportunity page -----

async fn opportunity_page(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Response {
    let opportunity = match state
        .upstream
        .registry()
        .get_opportunity(
            console
                .key()
                .request(pb::GetOpportunityRequest { id: id.clone() }),
        )
        .await
    {
        Ok(opportunity) => opportunity.into_inner(),
        Err(status) => return console.error(&state, &status.into()),
    };
    let firms = state
        .upstream
        .matchmaking()
        .list_opportunity_matches(console.key().request(pb::ListOpportunityMatchesRequest {
            opportunity_id: id,
            page: Some(pb::PageRequest {
                page_size: 20,
                page_token: String::new(),
            }),
            ..Default::default()
        }))
        .await;
    let firms = match firms {
        Ok(response) => response.into_inner().matches,
        Err(status)
            if matches!(
                status.code(),
                tonic::Code::NotFound | tonic::Code::PermissionDenied
            ) =>
        {
            Vec::new()
        }
        Err(status) => return console.error(&state, &status.into()),
    };
    let language = if opportunity.language == pb::Language::Es as i32 {
        pyred_text::Language::Es
    } else {
        pyred_text::Language::Fr
    };
    let mut terms = Vec::new();
    if let Ok(glossary) = pyred_text::Glossary::embedded() {
        // A tender's lot titles say what it buys as much as its description does.
        let mut text = format!("{}\n{}", opportunity.title, opportunity.description);
        for lot in &opportunity.lots {
            text.push('\n');
            text.push_str(&lot.title);
        }
        let mut seen = BTreeSet::new();
        for hit in glossary.extract(&text, language) {
            if seen.insert(hit.concept.id().to_owned()) {
                terms.push(json!({
                    "id": hit.concept.id(),
                    "term": hit.matched(&text),
                    "fr": hit.concept.label(pyred_text::Language::Fr),
                    "es": hit.concept.label(pyred_text::Language::Es),
                }));
            }
        }
    }
    let consortia = crate::cases::consortia_section(&state, &console, &opportunity).await;
    console.render(
        &state,
        "opportunity.html",
        json!({
            "consortia": consortia,
            "o": {
                "id": opportunity.id,
                "title": opportunity.title,
                "description": opportunity.description,
                "language": language.code(),
                "kind": KindJson::from_pb(opportunity.kind).map(|k| k.as_str()),
                "status": crate::json::OpportunityStatusJson::from_pb(opportunity.status).map(|s| s.as_str()),
                "place": opportunity.location.as_ref().map(|l| l.place_name.clone()).unwrap_or_default(),
                "region": opportunity.region,
                "published": opportunity.published.as_ref().map(date_text),
                "deadline": opportunity.deadline.as_ref().map(date_text),
                "budget": opportunity.budget_eur.map(|b| format!("{b:.0} €")),
                "source": opportunity.source,
                "cpv": opportunity.cpv,
                "nace": opportunity.activities.iter().map(|a| a.nace.clone()).collect::<Vec<_>>(),
                "buyer": opportunity.buyer.as_ref().map(|b| json!({"name": b.name, "nif": b.nif, "dir3": b.dir3})),
                "official_url": safe_link(&opportunity.official_url),
                "official_host": safe_link(&opportunity.official_url).map(link_host),
                "procedure": ProcedureJson::from_pb(opportunity.procedure).map(ProcedureJson::as_str),
                "contract_type": ContractTypeJson::from_pb(opportunity.contract_type).map(ContractTypeJson::as_str),
                "tender_stage": TenderStageJson::from_pb(opportunity.tender_stage).map(TenderStageJson::as_str),
                "lots": opportunity.lots.iter().map(|lot| json!({
                    "id": lot.id,
                    "title": lot.title,
                    "cpv": lot.cpv,
                    "budget": lot.budget_eur.map(|b| format!("{b:.0} €")),
                })).collect::<Vec<_>>(),
                "nuts": opportunity.nuts,
                "location_approximate": opportunity.location_approximate,
                "withdrawal_reason": (opportunity.status == pb::OpportunityStatus::Withdrawn as i32)
                    .then_some(opportunity.withdrawal_reason.as_str())
                    .filter(|reason| !reason.is_empty()),
            },
            "terms": terms,
            "firms": firms.iter().map(|m| match_view(console.lang, m)).collect::<Vec<_>>(),
        }),
    )
}

/// `url` when it is an absolute http(s) link, for an `href`: the registry refuses other
/// schemes, and a page never links to `javascript:` or `data:` whatever it is given.
fn safe_link(url: &str) -> Option<&str> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    let host_first = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'));
    let clean = !url.chars().any(|c| c.is_whitespace() || c.is_control());
    (host_first && clean).then_some(url)
}

/// The host of a web link, as shown beside it (`contrataciondelestado.es`).
fn link_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    authority.rsplit('@').next().unwrap_or(authority)
}

// ----- search -----

async fn search_page(
    State(state): State<AppState>,
    console: Console,
    query: Result<Query<SearchQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(mut query)) = query else {
        return console.error(
            &state,
            &ApiError::invalid("query", "malformed search parameters"),
        );
    };
    query.facets = Some(true);
    // HTML forms send every field, empty ones included: empty means "any".
    for field in [
        &mut query.q,
        &mut query.language,
        &mut query.entity,
        &mut query.kinds,
        &mut query.regions,
        &mut query.nace_prefix,
        &mut query.cpv_prefix,
        &mut query.sources,
        &mut query.place,
        &mut query.travel_from,
        &mut query.sort,
        &mut query.as_of,
        &mut query.deadline_from,
        &mut query.deadline_to,
        &mut query.page_token,
    ] {
        if field.as_deref().is_some_and(|v| v.trim().is_empty()) {
            *field = None;
        }
    }
    let searched = query.q.is_some()
        || query.place.is_some()
        || query.travel_from.is_some()
        || query.entity.is_some();
    let mut results = json!(null);
    let mut errors = Vec::new();
    if searched {
        match search_request(&query) {
            Ok(request) => match state
                .upstream
                .geo_search()
                .search(console.key().request(request))
                .await
            {
                Ok(response) => {
                    let response = response.into_inner();
                    let hits: Vec<Value> = response
                        .hits
                        .iter()
                        .map(|hit| hit_view(hit, console.lang))
                        .collect();
                    let facet = |counts: &Vec<pb::FacetCount>| {
                        counts
                            .iter()
                            .map(|c| json!({"value": c.value, "count": c.count}))
                            .collect::<Vec<_>>()
                    };
                    let facets = response.facets.clone().unwrap_or_default();
                    results = json!({
                        "total": response.total,
                        "hits": hits,
                        "next": response.next_page_token,
                        "facets": {
                            "regions": facet(&facets.regions),
                            "kinds": facet(&facets.kinds),
                            "nace_divisions": facet(&facets.nace_divisions),
                            "languages": facet(&facets.languages),
                        },
                        "geo_fallback": response.geo_fallback,
                    });
                }
                Err(status) if status.code() == tonic::Code::InvalidArgument => {
                    let error = ApiError::from(status);
                    errors.extend(
                        error
                            .violations
                            .iter()
                            .map(|v| format!("{}: {}", v.field, v.description)),
                    );
                    if errors.is_empty() {
                        errors.push(error.message);
                    }
                }
                Err(status) => return console.error(&state, &status.into()),
            },
            Err(error) => errors.extend(
                error
                    .violations
                    .iter()
                    .map(|v| format!("{}: {}", v.field, v.description)),
            ),
        }
    }
    // The query string without the page token, for facet and next-page links.
    let mut base = query.clone();
    base.page_token = None;
    base.facets = None;
    let base_qs = serde_urlencoded_string(&base);
    // Facet links replace their own parameter (a repeated one would not parse).
    let mut facet_base = serde_json::Map::new();
    for param in ["regions", "kinds", "language", "nace_prefix"] {
        let mut without = base.clone();
        match param {
            "regions" => without.regions = None,
            "kinds" => without.kinds = None,
            "language" => without.language = None,
            _ => without.nace_prefix = None,
        }
        facet_base.insert(
            param.to_owned(),
            Value::from(serde_urlencoded_string(&without)),
        );
    }
    console.render(
        &state,
        "search.html",
        json!({
            "q": query,
            "results": results,
            "errors": errors,
            "base_qs": base_qs,
            "facet_base": facet_base,
            "kinds": KindJson::ALL,
        }),
    )
}

/// `key=value&…` of the set parameters of a search.
fn serde_urlencoded_string(query: &SearchQuery) -> String {
    let value = serde_json::to_value(query).unwrap_or_default();
    let mut parts = Vec::new();
    if let Some(map) = value.as_object() {
        for (key, value) in map {
            let text = match value {
                Value::Null => continue,
                Value::String(s) if s.is_empty() => continue,
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            parts.push(format!("{key}={}", encode(&text)));
        }
    }
    parts.join("&")
}

async fn places(
    State(state): State<AppState>,
    console: Console,
    Query(query): Query<PlacesQuery>,
) -> Response {
    match crate::api::places(&state, console.key(), &query).await {
        Ok(places) => Json(places).into_response(),
        Err(error) => error.into_response(),
    }
}

// ----- map -----

/// `?day=YYYY-MM-DD` of the map: the day whose crossing states it shows.
#[derive(Debug, Deserialize)]
struct MapQuery {
    #[serde(default)]
    day: Option<String>,
}

/// The map's day: the one asked for, else today (UTC); a day that is not an existing
/// `YYYY-MM-DD` is refused on the `day` parameter, in the adviser's language.
fn map_day(lang: Lang, query: &MapQuery) -> Result<pyred_travel::Day, ApiError> {
    match query.day.as_deref().map(str::trim) {
        None | Some("") => Ok(pyred_travel::Day::today()),
        Some(text) => pyred_travel::Day::parse(text).map_err(|_| {
            let message = lang.words()["bad_day"].replace("{day}", text);
            ApiError {
                message: message.clone(),
                ..ApiError::invalid("day", message)
            }
        }),
    }
}

async fn map_page(
    State(state): State<AppState>,
    console: Console,
    Query(query): Query<MapQuery>,
) -> Response {
    let day = match map_day(console.lang, &query) {
        Ok(day) => day,
        Err(error) => return console.error(&state, &error),
    };
    match map_records(&state, &console).await {
        Ok((firms, listings)) => {
            let svg = crate::map::svg(&firms, &listings, console.lang, day);
            let crossings: Vec<Value> = crate::map::crossings_on(day, console.lang)
                .into_iter()
                .map(|c| {
                    json!({
                        "number": c.number,
                        "id": c.id,
                        "name": c.name,
                        "roads": c.roads,
                        "state": c.state.as_str(),
                        "state_text": c.state_text,
                    })
                })
                .collect();
            console.render(
                &state,
                "map.html",
                json!({
                    "svg": svg,
                    "firm_count": firms.len(),
                    "listing_count": listings.len(),
                    "day": day.to_string(),
                    "day_asked": query.day.as_deref().is_some_and(|d| !d.trim().is_empty()),
                    "crossings": crossings,
                }),
            )
        }
        Err(error) => console.error(&state, &error),
    }
}

async fn map_svg(
    State(state): State<AppState>,
    console: Console,
    Query(query): Query<MapQuery>,
) -> Response {
    let day = match map_day(console.lang, &query) {
        Ok(day) => day,
        Err(error) => return error.into_response(),
    };
    let (firms, listings) = match map_records(&state, &console).await {
        Ok(records) => records,
        Err(error) => return error.into_response(),
    };
    let svg = crate::map::svg(&firms, &listings, console.lang, day);
    let mut response = (
        [
            (header::CONTENT_TYPE, "image/svg+xml; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        svg,
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&format!(
        "inline; filename=\"pyred-{}.svg\"",
        console
            .lang
            .words()
            .get("map_file")
            .copied()
            .unwrap_or("map")
    )) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// What the map shows: the adviser's own firms and the published listings their key
/// can read (at most about a thousand), exactly as the dashboard and search see them.
async fn map_records(
    state: &AppState,
    console: &Console,
) -> Result<(Vec<pb::Company>, Vec<pb::Opportunity>), ApiError> {
    let firms = my_firms(state, &console.session).await?;
    let mut listings = Vec::new();
    let mut token = String::new();
    loop {
        let response = state
            .upstream
            .registry()
            .list_opportunities(console.key().request(pb::ListOpportunitiesRequest {
                page: Some(pb::PageRequest {
                    page_size: 100,
                    page_token: token,
                }),
                status: pb::OpportunityStatus::Published as i32,
                ..Default::default()
            }))
            .await?
            .into_inner();
        listings.extend(response.opportunities);
        if response.next_page_token.is_empty() || listings.len() >= 1000 {
            break;
        }
        token = response.next_page_token;
    }
    Ok((firms, listings))
}

// ----- CSV -----

fn csv_response(filename: &str, rows: Vec<Vec<String>>) -> Response {
    let mut writer = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    for row in rows {
        if writer.write_record(&row).is_err() {
            return (StatusCode::INTERNAL_SERVER_ERROR, "csv").into_response();
        }
    }
    let Ok(bytes) = writer.into_inner() else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "csv").into_response();
    };
    let disposition = format!("attachment; filename=\"{filename}\"");
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

fn lead_row(lang: Lang, m: &pb::Match) -> Vec<String> {
    let words = lang.words();
    let travel = m.travel.as_ref();
    vec![
        m.company_id.clone(),
        m.company_name.clone(),
        m.opportunity_id.clone(),
        m.opportunity_title.clone(),
        format!("{:.3}", m.score),
        words
            .get(format!("st_{}", status_word(m.status)).as_str())
            .copied()
            .unwrap_or_default()
            .to_owned(),
        m.distance_km.map(|d| format!("{d:.1}")).unwrap_or_default(),
        travel
            .map(|t| format!("{:.0}", t.minutes))
            .unwrap_or_default(),
        travel.map(|t| format!("{:.1}", t.km)).unwrap_or_default(),
        travel
            .map(|t| crate::i18n::crossing_name(lang, &t.crossing).to_owned())
            .unwrap_or_default(),
        m.reasons
            .iter()
            .map(|r| reason_text(lang, r))
            .collect::<Vec<_>>()
            .join(" | "),
        m.dismiss_reason.clone(),
        m.notes
            .iter()
            .map(|n| n.text.clone())
            .collect::<Vec<_>>()
            .join(" | "),
        m.updated_at
            .as_ref()
            .map(timestamp_text)
            .unwrap_or_default(),
    ]
}

fn lead_header(lang: Lang) -> Vec<String> {
    let words = lang.words();
    [
        "firm",
        "firm",
        "opportunity",
        "opportunity",
        "score",
        "status",
        "distance",
        "drive_minutes",
        "road_km",
        "crossing",
        "reasons",
        "dismiss_reason",
        "notes",
        "last_visit",
    ]
    .iter()
    .enumerate()
    .map(|(i, key)| {
        let word = words[key];
        match (i, *key) {
            (0 | 2, _) => format!("{word} id"),
            (_, "last_visit") => "updated_at".to_owned(),
            _ => word.to_owned(),
        }
    })
    .collect()
}

async fn firm_leads_csv(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Response {
    let leads = match leads_of(&state, console.key(), &id, &[], 100).await {
        Ok(leads) => leads,
        Err(error) => return console.error(&state, &error),
    };
    let mut rows = vec![lead_header(console.lang)];
    rows.extend(leads.iter().map(|m| lead_row(console.lang, m)));
    csv_response(&format!("pistes-{}.csv", file_safe(&id)), rows)
}

/// `id` reduced to the characters safe in a file name.
fn file_safe(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect()
}

// ----- PDF lead sheet -----

/// The firm's lead sheet as a one-page PDF: its ten best leads as the firm page shows
/// them. The leads are asked first, as the CSV export does, so both answer the same to
/// an adviser who does not see the firm.
async fn firm_leads_pdf(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Response {
    let leads = match leads_of(
        &state,
        console.key(),
        &id,
        &[],
        i32::try_from(crate::lead_sheet::MAX_LEADS).unwrap_or(10),
    )
    .await
    {
        Ok(leads) => leads,
        Err(error) => return console.error(&state, &error),
    };
    let mut registry = state.upstream.registry();
    let mut listings_registry = state.upstream.registry();
    let company = registry.get_company(console.key().request(pb::GetCompanyRequest {
        id: id.clone(),
        legal_id: String::new(),
    }));
    let listings =
        listings_registry.batch_get_opportunities(console.key().request(pb::BatchGetRequest {
            ids: leads.iter().map(|m| m.opportunity_id.clone()).collect(),
        }));
    let (company, listings) = tokio::join!(company, listings);
    let company = match company {
        Ok(company) => company.into_inner(),
        Err(status) => return console.error(&state, &status.into()),
    };
    // A listing the key may not read (or gone meanwhile) shows without place, kind and
    // deadline, as its lead still shows on the firm page.
    let listings = match listings {
        Ok(listings) => listings.into_inner().opportunities,
        Err(status) => {
            tracing::warn!(code = ?status.code(), message = status.message(), "lead sheet listings unread");
            Vec::new()
        }
    };
    let lang = console.lang;
    let firm = sheet_firm(lang, &company);
    let sheet_leads: Vec<crate::lead_sheet::SheetLead> = leads
        .iter()
        .map(|m| {
            let listing = listings.iter().find(|o| o.id == m.opportunity_id);
            sheet_lead(lang, m, listing)
        })
        .collect();
    let bytes =
        crate::lead_sheet::lead_sheet(lang, &firm, &sheet_leads, &date_text(&today_plus(0)));
    let filename = format!("{}-{}.pdf", lang.words()["lead_sheet_file"], file_safe(&id));
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// The firm as the sheet shows it, as on its console page.
fn sheet_firm(lang: Lang, company: &pb::Company) -> crate::lead_sheet::SheetFirm {
    let location = company.location.clone().unwrap_or_default();
    let place = match (
        location.place_name.is_empty(),
        location.place_code.is_empty(),
    ) {
        (false, false) => format!(
            "{} ({}), {}",
            location.place_name, location.place_code, company.region
        ),
        (false, true) => format!("{}, {}", location.place_name, company.region),
        _ => company.region.clone(),
    };
    let nace_lang = match lang {
        Lang::Fr => pyred_domain::nace::Lang::Fr,
        Lang::Es => pyred_domain::nace::Lang::Es,
        Lang::En => pyred_domain::nace::Lang::En,
    };
    let sector = company
        .activities
        .iter()
        .map(
            |activity| match pyred_domain::NaceCode::parse(&activity.nace) {
                Ok(code) => format!("{} {}", activity.nace, code.label(nace_lang)),
                Err(_) => activity.nace.clone(),
            },
        )
        .collect::<Vec<_>>()
        .join("; ");
    crate::lead_sheet::SheetFirm {
        name: company.name.clone(),
        legal_id: company
            .legal_id
            .as_ref()
            .map(|l| l.display.clone())
            .unwrap_or_default(),
        place,
        sector,
        offers: company.offers.clone(),
        seeks: company.seeks.clone(),
    }
}

/// One lead with its listing's place, kind and deadline, in the sheet's language.
fn sheet_lead(
    lang: Lang,
    m: &pb::Match,
    listing: Option<&pb::Opportunity>,
) -> crate::lead_sheet::SheetLead {
    let words = lang.words();
    let place = listing
        .map(|o| {
            let name = o
                .location
                .as_ref()
                .map(|l| l.place_name.as_str())
                .unwrap_or_default();
            match (name.is_empty(), o.region.is_empty()) {
                (false, false) => format!("{name} ({})", o.region),
                (false, true) => name.to_owned(),
                _ => o.region.clone(),
            }
        })
        .unwrap_or_default();
    let kind = listing
        .and_then(|o| KindJson::from_pb(o.kind))
        .and_then(|kind| words.get(format!("k_{}", kind.as_str()).as_str()).copied())
        .unwrap_or_default()
        .to_owned();
    crate::lead_sheet::SheetLead {
        score: format!("{:.0} %", m.score * 100.0),
        title: m.opportunity_title.clone(),
        place,
        distance: trip_view(lang, m.travel.as_ref())
            .or_else(|| m.distance_km.map(|d| format!("{d:.0} km")))
            .unwrap_or_default(),
        closed: closed_view(lang, m.travel.as_ref()).unwrap_or_default(),
        kind,
        deadline: listing
            .and_then(|o| o.deadline.as_ref())
            .map(date_text)
            .unwrap_or_default(),
        reasons: m.reasons.iter().map(|r| reason_text(lang, r)).collect(),
    }
}

async fn pipeline_csv(State(state): State<AppState>, console: Console) -> Response {
    let firms = match my_firms(&state, &console.session).await {
        Ok(firms) => firms,
        Err(error) => return console.error(&state, &error),
    };
    let statuses = [
        MatchStatusJson::Shortlisted,
        MatchStatusJson::Contacted,
        MatchStatusJson::Meeting,
        MatchStatusJson::Won,
        MatchStatusJson::Lost,
        MatchStatusJson::Dismissed,
    ];
    let lists = futures::future::join_all(
        firms
            .iter()
            .map(|firm| leads_of(&state, console.key(), &firm.id, &statuses, 100)),
    )
    .await;
    let mut rows = vec![lead_header(console.lang)];
    for list in lists {
        match list {
            Ok(leads) => rows.extend(leads.iter().map(|m| lead_row(console.lang, m))),
            Err(error) if error.status == StatusCode::NOT_FOUND => {}
            Err(error) => return console.error(&state, &error),
        }
    }
    csv_response("suivi-pyred.csv", rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lead card as the firm, listing and dashboard pages render it.
    fn card(lang: Lang, m: &pb::Match) -> String {
        let env = crate::templates().expect("templates compile");
        env.render_str(
            "{% from \"leads.html\" import lead %}{{ lead(m, t, \"tok\", \"/console\") }}",
            json!({"m": match_view(lang, m), "t": lang.words()}),
        )
        .expect("the card renders")
    }

    #[test]
    fn a_lead_card_shows_its_trip_and_the_crossing_closed_that_day() {
        let lead = pb::Match {
            id: "m1".to_owned(),
            distance_km: Some(150.2),
            travel: Some(pb::TravelLeg {
                minutes: 250.4,
                km: 263.0,
                crossing: "somport-tunnel".to_owned(),
                closed_crossing: "portalet".to_owned(),
                detour_minutes: 25.0,
            }),
            ..Default::default()
        };
        let fr = card(Lang::Fr, &lead);
        assert!(
            fr.contains("Trajet : 4 h 10 par le tunnel du Somport · 263 km"),
            "{fr}"
        );
        assert!(
            fr.contains("le col du Pourtalet est fermé ce jour (+25 min)"),
            "{fr}"
        );
        assert!(
            !fr.contains("150 km"),
            "the trip replaces the straight line"
        );
        let es = card(Lang::Es, &lead);
        assert!(
            es.contains("Trayecto : 4 h 10 por el túnel de Somport · 263 km"),
            "{es}"
        );
        assert!(
            es.contains("el puerto del Portalet está cerrado ese día (+25 min)"),
            "{es}"
        );
        // A trip through open crossings has no warning; an old match without its trip
        // shows the straight-line distance.
        let open = pb::Match {
            travel: lead.travel.clone().map(|t| pb::TravelLeg {
                closed_crossing: String::new(),
                detour_minutes: 0.0,
                ..t
            }),
            ..lead.clone()
        };
        assert!(!card(Lang::Fr, &open).contains("travel-closed"));
        let old = pb::Match {
            travel: None,
            ..lead
        };
        let old = card(Lang::Fr, &old);
        assert!(old.contains("Distance : 150 km"), "{old}");
        assert!(!old.contains("Trajet"), "{old}");
    }

    #[test]
    fn the_leads_csv_has_the_trip_s_columns() {
        let header = lead_header(Lang::Fr);
        assert_eq!(
            &header[6..10],
            ["Distance", "Minutes de route", "Km par la route", "Passage"]
        );
        assert_eq!(header.last().map(String::as_str), Some("updated_at"));
        let lead = pb::Match {
            travel: Some(pb::TravelLeg {
                minutes: 190.4,
                km: 263.04,
                crossing: "somport-tunnel".to_owned(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let row = lead_row(Lang::Es, &lead);
        assert_eq!(row.len(), header.len());
        assert_eq!(&row[7..10], ["190", "263.0", "el túnel de Somport"]);
        let old = lead_row(Lang::Es, &pb::Match::default());
        assert_eq!(&old[7..10], ["", "", ""]);
    }

    #[test]
    fn only_web_links_are_linked() {
        assert_eq!(
            safe_link(" https://contrataciondelestado.es/x?a=1&b=2 "),
            Some("https://contrataciondelestado.es/x?a=1&b=2")
        );
        assert_eq!(
            safe_link("HTTP://ted.europa.eu/n"),
            Some("HTTP://ted.europa.eu/n")
        );
        assert_eq!(
            link_host("https://user@contrataciondelestado.es/wps?x#y"),
            "contrataciondelestado.es"
        );
        assert_eq!(link_host("http://ted.europa.eu"), "ted.europa.eu");
        for bad in [
            "",
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,<b>",
            "//evil.example",
            "https://",
            "https:///x",
            "https://a b",
            "https://a\u{0}b",
            "ftp://x",
        ] {
            assert_eq!(safe_link(bad), None, "{bad}");
        }
    }
}
