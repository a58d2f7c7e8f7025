//! The console's brokerage pages: cases between two organisations (list, case page with
//! its timeline, consents, actions and, once introduced, both firms' contacts), the
//! "open a case" form of a firm's lead cards, joint-bid (consortium) proposals on a
//! tender's page and the page explaining UTEs and groupements.
//!
//! Every call carries the adviser's own key (`pyred.v1.Brokerage` on the matchmaking
//! address): a case of two other organisations is "not found" here as in the API. Every
//! form posts the session's CSRF token; the case actions also post the case's version as
//! read, and a missing or unparsable version is refused (400), never taken as 0.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use http::StatusCode;
use pyred_proto::v1 as pb;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::api::{
    ConsortiaQuery, case_move, case_side, case_statuses, case_version, consent_answer,
    consortia_request,
};
use crate::console::{Console, encode, my_firms};
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::json::{CaseStatusJson, ConsentAnswerJson, ConsortiumFormJson, timestamp_text};
use crate::upstream::KeyRole;

/// The brokerage pages' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/cases", get(case_list).post(open_case))
        .route("/console/cases/{id}", get(case_page))
        .route("/console/cases/{id}/{action}", post(case_action))
        .route(
            "/console/opportunities/{id}/consortia/cases",
            post(open_consortium_cases),
        )
        .route("/console/help/joint-bids", get(joint_bids_help))
}

// ----- shared views -----

/// An organisation in a picker.
#[derive(Debug, Clone, Serialize)]
pub struct OrganisationOption {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// The organisations' directory for a picker, by id; empty when it cannot be read
/// (organisations not served yet, service down): the page then shows no picker.
pub async fn organisation_options(state: &AppState, console: &Console) -> Vec<OrganisationOption> {
    match state
        .upstream
        .access()
        .list_organisations(console.key().request(pb::ListOrganisationsRequest {}))
        .await
    {
        Ok(response) => response
            .into_inner()
            .organisations
            .into_iter()
            .map(|o| OrganisationOption {
                name: if o.name.is_empty() {
                    o.id.clone()
                } else {
                    o.name
                },
                id: o.id,
            })
            .collect(),
        Err(status) => {
            tracing::debug!(code = ?status.code(), "organisations not available");
            Vec::new()
        }
    }
}

fn organisation_names(options: &[OrganisationOption]) -> BTreeMap<String, String> {
    options
        .iter()
        .map(|o| (o.id.clone(), o.name.clone()))
        .collect()
}

fn time_text(timestamp: Option<&prost_types::Timestamp>) -> String {
    timestamp.map(timestamp_text).unwrap_or_default()
}

/// The status word (`consents_asked`) of a case status number.
fn status_word(status: i32) -> &'static str {
    CaseStatusJson::from_pb(status).map_or("", CaseStatusJson::as_str)
}

/// A status as the adviser reads it.
fn status_label(lang: Lang, status: i32) -> String {
    let words = lang.words();
    let word = status_word(status);
    words
        .get(format!("cs_{word}").as_str())
        .map_or_else(|| word.to_owned(), |label| (*label).to_owned())
}

/// An event kind as the adviser reads it; an unknown kind as given.
fn event_label(lang: Lang, kind: &str) -> String {
    lang.words()
        .get(format!("ev_{kind}").as_str())
        .map_or_else(|| kind.to_owned(), |label| (*label).to_owned())
}

fn answer_label(lang: Lang, answer: i32) -> (String, String) {
    let word = ConsentAnswerJson::from_pb(answer).map_or("", ConsentAnswerJson::as_str);
    let label = lang
        .words()
        .get(format!("ca_{word}").as_str())
        .map_or_else(|| word.to_owned(), |label| (*label).to_owned());
    (word.to_owned(), label)
}

fn flash_message(lang: Lang, ok: Option<&str>) -> Option<String> {
    let words = lang.words();
    ok.and_then(|key| {
        words
            .get(format!("case_ok_{key}").as_str())
            .map(|w| (*w).to_owned())
    })
}

fn csrf_refused(console: &Console) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "csrf",
        console.lang.words()["csrf_failed"],
    )
}

/// The message of a refused action, for the page's flash: the first violation, else the
/// service's message.
fn refusal(status: tonic::Status) -> String {
    let error = ApiError::from(status);
    error.violations.first().map_or(error.message.clone(), |v| {
        format!("{}: {}", v.field, v.description)
    })
}

/// The error page of refused input: its message names the fields (`version: is
/// required`), as the API's violations do.
fn refuse(state: &AppState, console: &Console, mut error: ApiError) -> Response {
    if !error.violations.is_empty() {
        error.message = error
            .violations
            .iter()
            .map(|v| format!("{}: {}", v.field, v.description))
            .collect::<Vec<_>>()
            .join("; ");
    }
    console.error(state, &error)
}

// ----- case list -----

/// The list's filters, as the form sends them (empty: any).
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
struct ListFilters {
    #[serde(default)]
    status: String,
    #[serde(default)]
    side: String,
    #[serde(default)]
    company_id: String,
    #[serde(default)]
    page_token: String,
    /// A flash after a redirect (`consortium_opened`); not a filter.
    #[serde(default, skip_serializing)]
    ok: String,
}

#[derive(Debug, Serialize)]
struct CaseRow {
    id: String,
    status: &'static str,
    status_label: String,
    opportunity_id: String,
    opportunity_title: String,
    side_a: SideView,
    side_b: SideView,
    updated_at: String,
}

#[derive(Debug, Clone, Serialize)]
struct SideView {
    organisation: String,
    organisation_name: String,
    company_id: String,
    company_name: String,
}

fn side_view(side: Option<&pb::CaseSide>, names: &BTreeMap<String, String>) -> SideView {
    let side = side.cloned().unwrap_or_default();
    SideView {
        organisation_name: names
            .get(&side.organisation)
            .cloned()
            .unwrap_or_else(|| side.organisation.clone()),
        organisation: side.organisation,
        company_name: if side.company_name.is_empty() {
            side.company_id.clone()
        } else {
            side.company_name
        },
        company_id: side.company_id,
    }
}

#[derive(Debug, Serialize)]
struct StatusOption {
    value: &'static str,
    label: String,
}

#[derive(Debug, Serialize)]
struct FirmOption {
    id: String,
    name: String,
}

#[derive(Debug, Serialize)]
struct CaseListView {
    cases: Vec<CaseRow>,
    filters: ListFilters,
    statuses: Vec<StatusOption>,
    firms: Vec<FirmOption>,
    next_page: Option<String>,
    ok: Option<String>,
}

async fn case_list(
    State(state): State<AppState>,
    console: Console,
    Query(filters): Query<ListFilters>,
) -> Response {
    let statuses = match case_statuses("status", Some(&filters.status)) {
        Ok(statuses) => statuses,
        Err(error) => return refuse(&state, &console, error),
    };
    let side = match case_side(Some(&filters.side)) {
        Ok(side) => side,
        Err(error) => return refuse(&state, &console, error),
    };
    let response = state
        .upstream
        .brokerage()
        .list_cases(console.key().request(pb::ListCasesRequest {
            statuses,
            side,
            company_id: filters.company_id.trim().to_owned(),
            page: Some(pb::PageRequest {
                page_size: 50,
                page_token: filters.page_token.clone(),
            }),
        }))
        .await;
    let response = match response {
        Ok(response) => response.into_inner(),
        Err(status) => return console.error(&state, &status.into()),
    };
    let names = organisation_names(&organisation_options(&state, &console).await);
    let firms = my_firms(&state, &console.session)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|c| FirmOption {
            id: c.id,
            name: c.name,
        })
        .collect();
    let next_page = (!response.next_page_token.is_empty()).then(|| {
        let mut next = filters.clone();
        next.page_token = response.next_page_token.clone();
        filters_query(&next)
    });
    let ok = flash_message(console.lang, Some(filters.ok.as_str()));
    let view = CaseListView {
        ok,
        cases: response
            .cases
            .iter()
            .map(|case| CaseRow {
                id: case.id.clone(),
                status: status_word(case.status),
                status_label: status_label(console.lang, case.status),
                opportunity_id: case.opportunity_id.clone(),
                opportunity_title: case.opportunity_title.clone(),
                side_a: side_view(case.side_a.as_ref(), &names),
                side_b: side_view(case.side_b.as_ref(), &names),
                updated_at: time_text(case.updated_at.as_ref().or(case.created_at.as_ref())),
            })
            .collect(),
        filters,
        statuses: CaseStatusJson::ALL
            .iter()
            .map(|word| StatusOption {
                value: word,
                label: console
                    .lang
                    .words()
                    .get(format!("cs_{word}").as_str())
                    .map_or_else(|| (*word).to_owned(), |w| (*w).to_owned()),
            })
            .collect(),
        firms,
        next_page,
    };
    console.render(&state, "cases.html", &view)
}

/// The list's query string with its set filters only (`status=introduced&page_token=…`).
fn filters_query(filters: &ListFilters) -> String {
    let set: Vec<(&str, &str)> = [
        ("status", &filters.status),
        ("side", &filters.side),
        ("company_id", &filters.company_id),
        ("page_token", &filters.page_token),
    ]
    .into_iter()
    .filter(|(_, value)| !value.is_empty())
    .map(|(key, value)| (key, value.as_str()))
    .collect();
    serde_urlencoded::to_string(set).unwrap_or_default()
}

// ----- case page -----

#[derive(Debug, Default, Deserialize)]
struct CaseFlash {
    ok: Option<String>,
    err: Option<String>,
}

#[derive(Debug, Serialize)]
struct EventView {
    n: i64,
    at: String,
    actor: String,
    system: bool,
    actor_organisation: String,
    kind: String,
    kind_label: String,
    status: &'static str,
    status_label: String,
    company_name: String,
    text: String,
}

#[derive(Debug, Serialize)]
struct ConsentView {
    company_id: String,
    company_name: String,
    answer: String,
    answer_label: String,
    asked_by: String,
    asked_at: String,
    due_at: String,
    answered_by: String,
    answered_via_adviser: String,
    answered_at: String,
    /// Whether the caller may record this firm's answer on its behalf.
    can_answer: bool,
}

#[derive(Debug, Serialize)]
struct ContactView {
    company_name: String,
    name: String,
    email: String,
    phone: String,
}

#[derive(Debug, Default, Serialize)]
struct Actions {
    accept: bool,
    /// Side B's firm must be chosen when accepting.
    pick_firm: bool,
    decline: bool,
    ask_consents: bool,
    moves: Vec<MoveView>,
    drop: bool,
}

#[derive(Debug, Serialize)]
struct MoveView {
    status: &'static str,
    label: String,
}

#[derive(Debug, Serialize)]
struct CaseView {
    id: String,
    status: &'static str,
    status_label: String,
    opportunity_id: String,
    opportunity_title: String,
    consortium_id: String,
    version: i64,
    side_a: SideView,
    side_b: SideView,
    opened_by: String,
    created_at: String,
    events: Vec<EventView>,
    consents: Vec<ConsentView>,
}

#[derive(Debug, Serialize)]
struct CasePageView {
    case: CaseView,
    actions: Actions,
    firms: Vec<FirmOption>,
    contacts: Option<Vec<ContactView>>,
    contacts_unavailable: bool,
    ok: Option<String>,
    err: Option<String>,
}

/// Which side the caller's organisation is on: `(a, b)`; both for an admin.
fn sides_of(role: KeyRole, organisation: &str, case: &pb::Case) -> (bool, bool) {
    if role == KeyRole::Admin {
        return (true, true);
    }
    let on = |side: Option<&pb::CaseSide>| {
        !organisation.is_empty() && side.is_some_and(|s| s.organisation == organisation)
    };
    (on(case.side_a.as_ref()), on(case.side_b.as_ref()))
}

fn actions_of(
    lang: Lang,
    status: Option<CaseStatusJson>,
    a: bool,
    b: bool,
    b_named: bool,
) -> Actions {
    let words = lang.words();
    let moves = |targets: &[&'static str]| {
        targets
            .iter()
            .map(|status| MoveView {
                status,
                label: words
                    .get(format!("case_do_{status}").as_str())
                    .map_or_else(|| (*status).to_owned(), |w| (*w).to_owned()),
            })
            .collect()
    };
    let either = a || b;
    match status {
        Some(CaseStatusJson::Proposed) => Actions {
            accept: b,
            pick_firm: b && !b_named,
            decline: b,
            drop: a,
            ..Actions::default()
        },
        Some(CaseStatusJson::Accepted) => Actions {
            ask_consents: either,
            drop: either,
            ..Actions::default()
        },
        Some(CaseStatusJson::ConsentsAsked) => Actions {
            drop: either,
            ..Actions::default()
        },
        Some(CaseStatusJson::Introduced) => Actions {
            moves: if either {
                moves(&["meeting", "won", "lost"])
            } else {
                Vec::new()
            },
            drop: either,
            ..Actions::default()
        },
        Some(CaseStatusJson::Meeting) => Actions {
            moves: if either {
                moves(&["won", "lost"])
            } else {
                Vec::new()
            },
            drop: either,
            ..Actions::default()
        },
        _ => Actions::default(),
    }
}

/// The caller's organisation (empty for an admin or a key without one).
async fn caller_organisation(state: &AppState, console: &Console) -> Result<String, ApiError> {
    Ok(state
        .upstream
        .access()
        .who_am_i(console.key().request(pb::WhoAmIRequest {}))
        .await?
        .into_inner()
        .key
        .map(|key| key.organisation)
        .unwrap_or_default())
}

async fn case_page(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    Query(flash): Query<CaseFlash>,
) -> Response {
    let case = match state
        .upstream
        .brokerage()
        .get_case(console.key().request(pb::GetCaseRequest { id: id.clone() }))
        .await
    {
        Ok(case) => case.into_inner(),
        Err(status) => return console.error(&state, &status.into()),
    };
    let organisation = match caller_organisation(&state, &console).await {
        Ok(organisation) => organisation,
        Err(error) => return refuse(&state, &console, error),
    };
    let names = organisation_names(&organisation_options(&state, &console).await);
    let lang = console.lang;
    let status = CaseStatusJson::from_pb(case.status);
    let (on_a, on_b) = sides_of(console.session.role, &organisation, &case);
    let side_a = side_view(case.side_a.as_ref(), &names);
    let side_b = side_view(case.side_b.as_ref(), &names);
    let actions = actions_of(lang, status, on_a, on_b, !side_b.company_id.is_empty());
    let firms = if actions.pick_firm {
        my_firms(&state, &console.session)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|c| FirmOption {
                id: c.id,
                name: c.name,
            })
            .collect()
    } else {
        Vec::new()
    };
    let firm_name = |company_id: &str| {
        [&side_a, &side_b]
            .iter()
            .find(|side| !company_id.is_empty() && side.company_id == company_id)
            .map_or_else(|| company_id.to_owned(), |side| side.company_name.clone())
    };
    let consents = case
        .consents
        .iter()
        .map(|consent| {
            let (answer, label) = answer_label(lang, consent.answer);
            let ours = (on_a && consent.company_id == side_a.company_id)
                || (on_b && consent.company_id == side_b.company_id);
            ConsentView {
                company_id: consent.company_id.clone(),
                company_name: firm_name(&consent.company_id),
                can_answer: ours
                    && status == Some(CaseStatusJson::ConsentsAsked)
                    && answer == ConsentAnswerJson::Pending.as_str(),
                answer,
                answer_label: label,
                asked_by: consent.asked_by.clone(),
                asked_at: time_text(consent.asked_at.as_ref()),
                due_at: time_text(consent.due_at.as_ref()),
                answered_by: consent.answered_by.clone(),
                answered_via_adviser: consent.answered_via_adviser.clone(),
                answered_at: time_text(consent.answered_at.as_ref()),
            }
        })
        .collect();
    let events = case
        .events
        .iter()
        .map(|event| EventView {
            n: event.n,
            at: time_text(event.at.as_ref()),
            system: event.actor == "system",
            actor: if event.actor == "system" {
                lang.words()["case_system"].to_owned()
            } else {
                event.actor.clone()
            },
            actor_organisation: names
                .get(&event.actor_organisation)
                .cloned()
                .unwrap_or_else(|| event.actor_organisation.clone()),
            kind: event.kind.clone(),
            kind_label: event_label(lang, &event.kind),
            status: status_word(event.status),
            status_label: status_label(lang, event.status),
            company_name: firm_name(&event.company_id),
            text: event.text.clone(),
        })
        .collect();
    let introduced = matches!(
        status,
        Some(
            CaseStatusJson::Introduced
                | CaseStatusJson::Meeting
                | CaseStatusJson::Won
                | CaseStatusJson::Lost
        )
    );
    let (contacts, contacts_unavailable) = if introduced {
        match state
            .upstream
            .brokerage()
            .get_case_contacts(console.key().request(pb::GetCaseContactsRequest {
                id: case.id.clone(),
            }))
            .await
        {
            Ok(contacts) => {
                let contacts = contacts.into_inner();
                let view = [contacts.side_a, contacts.side_b]
                    .into_iter()
                    .flatten()
                    .map(|c| {
                        let contact = c.contact.unwrap_or_default();
                        ContactView {
                            company_name: c.company_name,
                            name: contact.name,
                            email: contact.email,
                            phone: contact.phone,
                        }
                    })
                    .collect();
                (Some(view), false)
            }
            Err(status) => {
                tracing::debug!(code = ?status.code(), "case contacts not shown");
                (None, true)
            }
        }
    } else {
        (None, false)
    };
    let view = CasePageView {
        case: CaseView {
            id: case.id.clone(),
            status: status_word(case.status),
            status_label: status_label(lang, case.status),
            opportunity_id: case.opportunity_id.clone(),
            opportunity_title: case.opportunity_title.clone(),
            consortium_id: case.consortium_id.clone(),
            version: case.version,
            side_a: side_a.clone(),
            side_b: side_b.clone(),
            opened_by: case.opened_by.clone(),
            created_at: time_text(case.created_at.as_ref()),
            events,
            consents,
        },
        actions,
        firms,
        contacts,
        contacts_unavailable,
        ok: flash_message(lang, flash.ok.as_deref()),
        err: flash.err,
    };
    console.render(&state, "case.html", &view)
}

// ----- case actions -----

/// Every case form's fields; each action reads its own. All default to empty so a
/// missing field is this page's 400, not a generic form rejection.
#[derive(Debug, Default, Deserialize)]
struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    counterpart_company_id: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    company_id: String,
    #[serde(default)]
    answer: String,
    #[serde(default)]
    text: String,
}

/// The version a form posted: digits only, at least 1; anything else is a 400 (a lost
/// version is never taken as "skip the check").
fn form_version(text: &str) -> Result<i64, ApiError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ApiError::invalid("version", "is required"));
    }
    let version = text
        .parse::<i64>()
        .map_err(|_| ApiError::invalid("version", "is not a number"))?;
    case_version(Some(version))
}

fn some_text(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// The trimmed value of a required form field, or the page refusing it by name.
fn required(
    state: &AppState,
    console: &Console,
    field: &str,
    text: &str,
) -> Result<String, Box<Response>> {
    some_text(text).ok_or_else(|| {
        Box::new(refuse(
            state,
            console,
            ApiError::invalid(field, "is required"),
        ))
    })
}

async fn case_action(
    State(state): State<AppState>,
    console: Console,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<ActionForm>,
) -> Response {
    if !console.check_csrf(&form.csrf) {
        return console.error(&state, &csrf_refused(&console));
    }
    let mut brokerage = state.upstream.brokerage();
    let key = console.key();
    let (ok, outcome) = match action.as_str() {
        "accept" => {
            let version = match form_version(&form.version) {
                Ok(version) => version,
                Err(error) => return refuse(&state, &console, error),
            };
            let request = pb::AcceptCaseRequest {
                id: id.clone(),
                counterpart_company_id: form.counterpart_company_id.trim().to_owned(),
                note: form.note.trim().to_owned(),
                version,
            };
            (
                "accepted",
                brokerage.accept_case(key.request(request)).await,
            )
        }
        "decline" => {
            let version = match form_version(&form.version) {
                Ok(version) => version,
                Err(error) => return refuse(&state, &console, error),
            };
            let reason = match required(&state, &console, "reason", &form.reason) {
                Ok(value) => value,
                Err(refused) => return *refused,
            };
            let request = pb::DeclineCaseRequest {
                id: id.clone(),
                reason,
                version,
            };
            (
                "declined",
                brokerage.decline_case(key.request(request)).await,
            )
        }
        "ask-consents" => {
            let version = match form_version(&form.version) {
                Ok(version) => version,
                Err(error) => return refuse(&state, &console, error),
            };
            let request = pb::AskConsentsRequest {
                id: id.clone(),
                version,
            };
            (
                "consents_asked",
                brokerage.ask_consents(key.request(request)).await,
            )
        }
        "consent" => {
            let answer = match consent_answer(Some(&form.answer)) {
                Ok(answer) => answer,
                Err(error) => return refuse(&state, &console, error),
            };
            let company_id = match required(&state, &console, "company_id", &form.company_id) {
                Ok(value) => value,
                Err(refused) => return *refused,
            };
            let request = pb::AnswerConsentRequest {
                id: id.clone(),
                company_id,
                answer: answer.to_pb(),
            };
            (
                "consent_recorded",
                brokerage.answer_consent(key.request(request)).await,
            )
        }
        "status" => {
            // The version first: a lost version is a 400 whatever else the form says.
            if let Err(error) = form_version(&form.version) {
                return refuse(&state, &console, error);
            }
            let request = match case_move(
                id.clone(),
                Some(&form.status),
                some_text(&form.reason),
                form.version.trim().parse().ok(),
            ) {
                Ok(request) => request,
                Err(error) => return refuse(&state, &console, error),
            };
            (
                "status_changed",
                brokerage.update_case_status(key.request(request)).await,
            )
        }
        "notes" => {
            let text = match required(&state, &console, "text", &form.text) {
                Ok(value) => value,
                Err(refused) => return *refused,
            };
            let request = pb::AddCaseNoteRequest {
                id: id.clone(),
                text,
            };
            (
                "note_added",
                brokerage.add_case_note(key.request(request)).await,
            )
        }
        _ => {
            return console.error(
                &state,
                &ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such action"),
            );
        }
    };
    let page = format!("/console/cases/{}", encode(&id));
    match outcome {
        Ok(_) => Redirect::to(&format!("{page}?ok={ok}")).into_response(),
        Err(status)
            if matches!(
                status.code(),
                tonic::Code::InvalidArgument
                    | tonic::Code::FailedPrecondition
                    | tonic::Code::Aborted
            ) =>
        {
            Redirect::to(&format!("{page}?err={}", encode(&refusal(status)))).into_response()
        }
        Err(status) => console.error(&state, &status.into()),
    }
}

// ----- opening a case from a lead -----

#[derive(Debug, Default, Deserialize)]
struct OpenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    company_id: String,
    #[serde(default)]
    opportunity_id: String,
    #[serde(default)]
    to_organisation: String,
    #[serde(default)]
    note: String,
}

async fn open_case(
    State(state): State<AppState>,
    console: Console,
    Form(form): Form<OpenForm>,
) -> Response {
    if !console.check_csrf(&form.csrf) {
        return console.error(&state, &csrf_refused(&console));
    }
    let company_id = match required(&state, &console, "company_id", &form.company_id) {
        Ok(value) => value,
        Err(refused) => return *refused,
    };
    let opportunity_id = match required(&state, &console, "opportunity_id", &form.opportunity_id) {
        Ok(value) => value,
        Err(refused) => return *refused,
    };
    let firm_page = format!("/console/firms/{}", encode(&company_id));
    match state
        .upstream
        .brokerage()
        .open_case(console.key().request(pb::OpenCaseRequest {
            company_id,
            opportunity_id,
            to_organisation: form.to_organisation.trim().to_owned(),
            counterpart_company_id: String::new(),
            note: form.note.trim().to_owned(),
        }))
        .await
    {
        Ok(case) => Redirect::to(&format!(
            "/console/cases/{}?ok=opened",
            encode(&case.into_inner().id)
        ))
        .into_response(),
        Err(status)
            if matches!(
                status.code(),
                tonic::Code::InvalidArgument
                    | tonic::Code::FailedPrecondition
                    | tonic::Code::AlreadyExists
            ) =>
        {
            Redirect::to(&format!("{firm_page}?err={}", encode(&refusal(status)))).into_response()
        }
        Err(status) => console.error(&state, &status.into()),
    }
}

// ----- consortia on a tender's page -----

/// One member of a proposed joint bid.
#[derive(Debug, Serialize)]
pub struct MemberView {
    company_id: String,
    company_name: String,
    region: String,
    fit: String,
    covers_cpv: Vec<String>,
    covers_requirements: Vec<String>,
    reason: String,
}

/// One proposed joint bid.
#[derive(Debug, Serialize)]
pub struct ConsortiumView {
    id: String,
    members: Vec<MemberView>,
    score: String,
    coverage: String,
    uncovered: Vec<String>,
    form: &'static str,
    form_label: String,
    cross_border: bool,
    summary: String,
    /// The firm of the caller's territory that leads the bid, when there is one.
    lead_company_id: String,
    /// The other members, comma-separated (the form's hidden field).
    other_members: String,
}

/// The "joint bids" section of a tender's page.
#[derive(Debug, Serialize)]
pub struct ConsortiaSection {
    items: Vec<ConsortiumView>,
    requirements: Vec<String>,
    /// Set when proposals could not be read (service down or not served yet).
    unavailable: bool,
}

fn in_territory(territory: &std::collections::BTreeSet<String>, region: &str) -> bool {
    territory.contains(region)
        || pyred_domain::IsoRegion::parse(region)
            .ok()
            .and_then(|region| region.parent())
            .is_some_and(|parent| territory.contains(parent.as_str()))
}

fn percent(value: f64) -> String {
    format!("{:.0} %", (value * 100.0).clamp(0.0, 100.0))
}

/// Joint-bid proposals for a tender, for its page: `None` for a listing that is not a
/// tender.
pub async fn consortia_section(
    state: &AppState,
    console: &Console,
    opportunity: &pb::Opportunity,
) -> Option<ConsortiaSection> {
    if opportunity.kind != pb::OpportunityKind::Tender as i32 {
        return None;
    }
    let request = consortia_request(opportunity.id.clone(), &ConsortiaQuery::default()).ok()?;
    let response = match state
        .upstream
        .brokerage()
        .propose_consortia(console.key().request(request))
        .await
    {
        Ok(response) => response.into_inner(),
        Err(status) => {
            tracing::debug!(code = ?status.code(), "consortia not available");
            return Some(ConsortiaSection {
                items: Vec::new(),
                requirements: Vec::new(),
                unavailable: true,
            });
        }
    };
    let lang = console.lang;
    let words = lang.words();
    let admin = console.session.role == KeyRole::Admin;
    let items = response
        .consortia
        .iter()
        .map(|consortium| {
            let lead = consortium
                .members
                .iter()
                .find(|m| admin || in_territory(&console.session.territory, &m.region))
                .map(|m| m.company_id.clone())
                .unwrap_or_default();
            let form = ConsortiumFormJson::from_pb(consortium.form).map_or("", |f| f.as_str());
            ConsortiumView {
                id: consortium.id.clone(),
                members: consortium
                    .members
                    .iter()
                    .map(|m| MemberView {
                        company_id: m.company_id.clone(),
                        company_name: m.company_name.clone(),
                        region: m.region.clone(),
                        fit: percent(m.fit),
                        covers_cpv: m.covers_cpv.clone(),
                        covers_requirements: m.covers_requirements.clone(),
                        reason: match lang {
                            Lang::Es => m.reason_es.clone(),
                            Lang::Fr | Lang::En => m.reason_fr.clone(),
                        },
                    })
                    .collect(),
                score: percent(consortium.score),
                coverage: percent(consortium.coverage),
                uncovered: consortium.uncovered.clone(),
                form,
                form_label: words
                    .get(format!("form_{form}").as_str())
                    .map_or_else(|| form.to_owned(), |w| (*w).to_owned()),
                cross_border: consortium.cross_border,
                summary: match lang {
                    Lang::Es => consortium.summary_es.clone(),
                    Lang::Fr | Lang::En => consortium.summary_fr.clone(),
                },
                other_members: consortium
                    .members
                    .iter()
                    .filter(|m| m.company_id != lead)
                    .map(|m| m.company_id.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
                lead_company_id: lead,
            }
        })
        .collect();
    Some(ConsortiaSection {
        items,
        requirements: response.requirements,
        unavailable: false,
    })
}

#[derive(Debug, Default, Deserialize)]
struct ConsortiumForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    company_id: String,
    #[serde(default)]
    members: String,
    #[serde(default)]
    consortium_id: String,
    #[serde(default)]
    note: String,
}

async fn open_consortium_cases(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    Form(form): Form<ConsortiumForm>,
) -> Response {
    if !console.check_csrf(&form.csrf) {
        return console.error(&state, &csrf_refused(&console));
    }
    let company_id = match required(&state, &console, "company_id", &form.company_id) {
        Ok(value) => value,
        Err(refused) => return *refused,
    };
    let consortium_id = match required(&state, &console, "consortium_id", &form.consortium_id) {
        Ok(value) => value,
        Err(refused) => return *refused,
    };
    let members: Vec<String> = form
        .members
        .split(',')
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_owned)
        .collect();
    if members.is_empty() {
        return refuse(
            &state,
            &console,
            ApiError::invalid("members", "names at least one other member"),
        );
    }
    match state
        .upstream
        .brokerage()
        .open_consortium_cases(console.key().request(pb::OpenConsortiumCasesRequest {
            opportunity_id: id,
            company_id,
            member_company_ids: members,
            consortium_id,
            note: form.note.trim().to_owned(),
        }))
        .await
    {
        Ok(_) => Redirect::to(&format!(
            "/console/cases?ok=consortium_opened&company_id={}",
            encode(form.company_id.trim())
        ))
        .into_response(),
        Err(status) => console.error(&state, &status.into()),
    }
}

// ----- help -----

#[derive(Debug, Serialize)]
struct HelpView {}

async fn joint_bids_help(State(state): State<AppState>, console: Console) -> Response {
    console.render(&state, "joint_bids.html", &HelpView {})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_or_garbled_version_is_refused_never_zero() {
        for text in ["", "  ", "abc", "1.5", "0", "-3", "9999999999999999999999"] {
            let error = form_version(text).expect_err(text);
            assert_eq!(error.status, StatusCode::BAD_REQUEST, "{text}");
            assert!(error.violation_for("version").is_some(), "{text}");
        }
        assert_eq!(form_version(" 7 ").ok(), Some(7));
    }

    #[test]
    fn actions_follow_the_status_and_the_side() {
        let proposed = actions_of(Lang::Fr, Some(CaseStatusJson::Proposed), false, true, false);
        assert!(proposed.accept && proposed.pick_firm && proposed.decline && !proposed.drop);
        let proposed_a = actions_of(Lang::Fr, Some(CaseStatusJson::Proposed), true, false, false);
        assert!(!proposed_a.accept && !proposed_a.decline && proposed_a.drop);
        let named = actions_of(Lang::Fr, Some(CaseStatusJson::Proposed), false, true, true);
        assert!(named.accept && !named.pick_firm);
        let introduced = actions_of(
            Lang::Es,
            Some(CaseStatusJson::Introduced),
            true,
            false,
            true,
        );
        assert_eq!(introduced.moves.len(), 3);
        assert_eq!(introduced.moves[0].label, "Reunión concertada");
        let won = actions_of(Lang::Fr, Some(CaseStatusJson::Won), true, true, true);
        assert!(!won.drop && won.moves.is_empty() && !won.ask_consents);
        let outsider = actions_of(Lang::Fr, Some(CaseStatusJson::Accepted), false, false, true);
        assert!(!outsider.ask_consents && !outsider.drop);
    }

    #[test]
    fn every_status_event_and_answer_has_its_words() {
        for lang in [Lang::Fr, Lang::Es, Lang::En] {
            let words = lang.words();
            for status in CaseStatusJson::ALL {
                assert!(
                    words.contains_key(format!("cs_{status}").as_str()),
                    "cs_{status}"
                );
            }
            for answer in ConsentAnswerJson::ALL {
                assert!(
                    words.contains_key(format!("ca_{answer}").as_str()),
                    "ca_{answer}"
                );
            }
            for form in ConsortiumFormJson::ALL {
                assert!(
                    words.contains_key(format!("form_{form}").as_str()),
                    "form_{form}"
                );
            }
            for kind in [
                "opened",
                "accepted",
                "declined",
                "consents_asked",
                "consent_yes",
                "consent_no",
                "consent_withdrawn",
                "consent_expired",
                "introduced",
                "status",
                "note",
                "contacts_read",
            ] {
                assert!(
                    words.contains_key(format!("ev_{kind}").as_str()),
                    "ev_{kind}"
                );
            }
        }
        assert_eq!(
            event_label(Lang::Es, "consent_expired"),
            "Consentimiento caducado"
        );
        assert_eq!(event_label(Lang::Fr, "something_new"), "something_new");
        assert_eq!(
            status_label(Lang::Fr, pb::CaseStatus::ConsentsAsked as i32),
            "Consentements demandés"
        );
    }

    fn page(lang: Lang, view: serde_json::Value) -> serde_json::Value {
        let mut context = serde_json::json!({
            "t": lang.words(), "lang": lang.code(), "csrf": "tok", "signed_in": true,
            "key_id": "abc", "here": "/console/cases",
        });
        if let (Some(map), serde_json::Value::Object(extra)) = (context.as_object_mut(), view) {
            map.extend(extra);
        }
        context
    }

    fn render(name: &str, context: &serde_json::Value) -> String {
        crate::templates()
            .expect("templates compile")
            .get_template(name)
            .and_then(|template| template.render(context))
            .unwrap_or_else(|error| panic!("{name}: {error:#}"))
    }

    fn side(org: &str, id: &str, name: &str) -> SideView {
        SideView {
            organisation: org.to_owned(),
            organisation_name: format!("{org} <b>"),
            company_id: id.to_owned(),
            company_name: name.to_owned(),
        }
    }

    #[test]
    fn the_case_page_shows_sides_consents_actions_contacts_and_timeline() {
        let lang = Lang::Es;
        let view = CasePageView {
            case: CaseView {
                id: "case_1".into(),
                status: "consents_asked",
                status_label: status_label(lang, pb::CaseStatus::ConsentsAsked as i32),
                opportunity_id: "o1".into(),
                opportunity_title: "Pato <b>".into(),
                consortium_id: String::new(),
                version: 4,
                side_a: side("cci-gers", "c1", "Foies <b>"),
                side_b: side("arex", "", ""),
                opened_by: "k1".into(),
                created_at: "2026-12-07T10:00:00Z".into(),
                events: vec![EventView {
                    n: 1,
                    at: "2026-12-07T10:00:00Z".into(),
                    actor: "k1".into(),
                    system: false,
                    actor_organisation: "CCI Gers".into(),
                    kind: "opened".into(),
                    kind_label: event_label(lang, "opened"),
                    status: "proposed",
                    status_label: status_label(lang, pb::CaseStatus::Proposed as i32),
                    company_name: String::new(),
                    text: "Note <b> « telle quelle »".into(),
                }],
                consents: vec![ConsentView {
                    company_id: "c1".into(),
                    company_name: "Foies".into(),
                    answer: "pending".into(),
                    answer_label: answer_label(lang, pb::ConsentAnswer::Pending as i32).1,
                    asked_by: "k1".into(),
                    asked_at: "2026-12-07T10:00:00Z".into(),
                    due_at: "2026-12-21T10:00:00Z".into(),
                    answered_by: String::new(),
                    answered_via_adviser: String::new(),
                    answered_at: String::new(),
                    can_answer: true,
                }],
            },
            actions: actions_of(lang, Some(CaseStatusJson::Proposed), false, true, false),
            firms: vec![FirmOption {
                id: "c9".into(),
                name: "Conservas".into(),
            }],
            contacts: Some(vec![ContactView {
                company_name: "Conservas".into(),
                name: "Lucía".into(),
                email: "lucia@example.es".into(),
                phone: "+34".into(),
            }]),
            contacts_unavailable: false,
            ok: flash_message(lang, Some("accepted")),
            err: None,
        };
        let html = render(
            "case.html",
            &page(lang, serde_json::to_value(&view).expect("json")),
        );
        assert!(!html.contains("<b>"), "text is escaped");
        for expected in [
            "Consentimientos solicitados",
            "empresa por designar",
            "Datos de contacto",
            "lucia@example.es",
            "Expediente abierto",
            "Note &lt;b&gt; « telle quelle »",
            "name=\"version\" value=\"4\"",
            "id=\"accept-firm\"",
            "Rechazar el expediente",
            "Registrar: sí",
            "Pendiente",
            "Expediente aceptado.",
        ] {
            assert!(html.contains(expected), "{expected} missing in:\n{html}");
        }
    }

    #[test]
    fn the_list_the_help_the_lead_card_and_the_consortia_render() {
        let view = CaseListView {
            cases: vec![CaseRow {
                id: "case_1".into(),
                status: "introduced",
                status_label: status_label(Lang::Fr, pb::CaseStatus::Introduced as i32),
                opportunity_id: "o1".into(),
                opportunity_title: "T <b>".into(),
                side_a: side("cci-gers", "c1", "F"),
                side_b: side("arex", "c2", "G"),
                updated_at: "2026-12-07T10:00:00Z".into(),
            }],
            filters: ListFilters::default(),
            statuses: Vec::new(),
            firms: Vec::new(),
            next_page: Some("page_token=x".into()),
            ok: flash_message(Lang::Fr, Some("consortium_opened")),
        };
        let html = render(
            "cases.html",
            &page(Lang::Fr, serde_json::to_value(&view).expect("json")),
        );
        assert!(html.contains("Mis en relation") && !html.contains("<b>"));
        assert!(html.contains("Dossiers du groupement ouverts."));
        for (lang, title) in [
            (Lang::Fr, "Candidatures groupées : UTE et groupements"),
            (Lang::Es, "Ofertas conjuntas: UTE y groupements"),
            (Lang::En, "Joint bids: UTEs and groupements"),
        ] {
            let html = render("joint_bids.html", &page(lang, serde_json::json!({})));
            assert!(html.contains(title), "{title}");
            assert!(html.contains("R2142-19") && html.contains("art. 69"));
        }
        let section = ConsortiaSection {
            items: vec![ConsortiumView {
                id: "cons_1".into(),
                members: vec![MemberView {
                    company_id: "c1".into(),
                    company_name: "F <b>".into(),
                    region: "FR-32".into(),
                    fit: percent(0.72),
                    covers_cpv: vec!["18100000".into()],
                    covers_requirements: vec!["language:es".into()],
                    reason: "r".into(),
                }],
                score: percent(0.5),
                coverage: percent(0.9),
                uncovered: vec!["certification:en9100".into()],
                form: "ute",
                form_label: Lang::Es.words()["form_ute"].to_owned(),
                cross_border: true,
                summary: "s".into(),
                lead_company_id: "c1".into(),
                other_members: "c2,c3".into(),
            }],
            requirements: vec!["presence:es".into()],
            unavailable: false,
        };
        let listing = crate::console::listing::ListingView {
            consortia: Some(section),
            o: crate::console::listing::OpportunityView::of(
                &pb::Opportunity {
                    id: "o1".into(),
                    title: "T".into(),
                    kind: pb::OpportunityKind::Tender as i32,
                    status: pb::OpportunityStatus::Published as i32,
                    region: "ES-AR".into(),
                    ..Default::default()
                },
                pyred_text::Language::Es,
            ),
            terms: Vec::new(),
            firms: Vec::new(),
        };
        let context = page(Lang::Es, serde_json::to_value(&listing).expect("json"));
        let html = render("opportunity.html", &context);
        for expected in [
            "Ofertas conjuntas",
            "UTE (España)",
            "72 %",
            "18100000, language:es",
            "Sin cubrir : certification:en9100",
            "/console/help/joint-bids#ute",
            "value=\"c2,c3\"",
            "Abrir los expedientes de esta agrupación",
        ] {
            assert!(html.contains(expected), "{expected} missing");
        }
        assert!(!html.contains("<b>"));
        let firm = crate::console::firms::FirmView {
            organisations: vec![OrganisationOption {
                id: "arex".into(),
                name: "Aragón Exterior".into(),
            }],
            firm: crate::console::views::CompanyView::of(&pb::Company {
                id: "c1".into(),
                name: "F".into(),
                region: "FR-32".into(),
                ..Default::default()
            }),
            leads: vec![crate::console::match_view(
                Lang::Es,
                &pb::Match {
                    id: "m1".into(),
                    company_id: "c1".into(),
                    opportunity_id: "o1".into(),
                    score: 0.7,
                    ..Default::default()
                },
            )],
            ok: None,
            err: None,
        };
        let html = render(
            "firm.html",
            &page(Lang::Es, serde_json::to_value(&firm).expect("json")),
        );
        assert!(
            html.contains("Abrir un expediente") && html.contains("value=\"arex\">Aragón Exterior")
        );
    }
}
