//! The console's brokerage pages: cases between two organisations (list, case page with
//! its timeline, consents, actions and, once introduced, both firms' contacts), the
//! "open a case" form of a firm's lead cards, joint-bid (consortium) proposals on a
//! tender's page and the page explaining UTEs and groupements.
//!
//! Every call carries the adviser's own key (`pyred.v1.Brokerage` on the matchmaking
//! address): a case of two other organisations is "not found" here as in the API. Every
//! form posts the session's CSRF token; the case actions also post the case's version as
//! read, and a missing or unparsable version is refused (400), never taken as 0.
//!
//! [`list`] is the list of cases, [`page`] a case's page, [`actions`] the forms that
//! open and move cases, [`consortia`] the joint bids of a tender's page; this module
//! holds the routes, the help page and the labels and refusals they share.

pub mod actions;
pub mod consortia;
pub mod list;
pub mod page;

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use pyred_proto::v1 as pb;
use serde::Serialize;

use crate::AppState;
use crate::console::Console;
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::json::{CaseStatusJson, ConsentAnswerJson, timestamp_text};

pub use consortia::{ConsortiaSection, ConsortiumView, MemberView, consortia_section};

/// The brokerage pages' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/console/cases",
            get(list::case_list).post(actions::open_case),
        )
        .route("/console/cases/{id}", get(page::case_page))
        .route("/console/cases/{id}/{action}", post(actions::case_action))
        .route(
            "/console/opportunities/{id}/consortia/cases",
            post(consortia::open_consortium_cases),
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
struct FirmOption {
    id: String,
    name: String,
}

/// The caller's firms for a picker (none when they cannot be read: no picker then).
async fn firm_options(state: &AppState, console: &Console) -> Vec<FirmOption> {
    crate::console::my_firms(state, &console.session)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|c| FirmOption {
            id: c.id,
            name: c.name,
        })
        .collect()
}

fn some_text(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// The trimmed values of a form's required fields, in the order asked, or the page
/// refusing the first one missing by name.
fn required<const N: usize>(
    state: &AppState,
    console: &Console,
    fields: [(&str, &str); N],
) -> Result<[String; N], Box<Response>> {
    let mut values = [const { String::new() }; N];
    for (value, (field, text)) in values.iter_mut().zip(fields) {
        *value = some_text(text).ok_or_else(|| {
            Box::new(refuse(
                state,
                console,
                ApiError::invalid(field, "is required"),
            ))
        })?;
    }
    Ok(values)
}

// ----- help -----

#[derive(Debug, Serialize)]
struct HelpView {}

async fn joint_bids_help(State(state): State<AppState>, console: Console) -> Response {
    console.render(&state, "joint_bids.html", &HelpView {})
}

#[cfg(test)]
pub(super) mod fixtures {
    //! What the pages' tests share: a page frame and a render.

    use serde::Serialize;

    use super::SideView;
    use crate::console::Page;
    use crate::i18n::Lang;

    pub(in crate::console::cases) fn page<V: Serialize>(lang: Lang, view: &V) -> Page<'_, V> {
        Page::for_test(lang, "/console/cases", view)
    }

    pub(in crate::console::cases) use crate::console::templates::render;

    pub(in crate::console::cases) fn side(org: &str, id: &str, name: &str) -> SideView {
        SideView {
            organisation: org.to_owned(),
            organisation_name: format!("{org} <b>"),
            company_id: id.to_owned(),
            company_name: name.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{page, render};
    use super::*;
    use crate::json::ConsortiumFormJson;

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

    #[test]
    fn the_help_and_a_firm_s_open_case_form_render() {
        for (lang, title) in [
            (Lang::Fr, "Candidatures groupées : UTE et groupements"),
            (Lang::Es, "Ofertas conjuntas: UTE y groupements"),
            (Lang::En, "Joint bids: UTEs and groupements"),
        ] {
            let html = render("joint_bids.html", &page(lang, &HelpView {}));
            assert!(html.contains(title), "{title}");
            assert!(html.contains("R2142-19") && html.contains("art. 69"));
        }
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
        let html = render("firm.html", &page(Lang::Es, &firm));
        assert!(
            html.contains("Abrir un expediente") && html.contains("value=\"arex\">Aragón Exterior")
        );
    }
}
