//! A case's page: both sides, the consents asked and given, the actions the caller's
//! side may take in its status, both firms' contacts once introduced, and its timeline.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use pyred_proto::v1 as pb;
use serde::{Deserialize, Serialize};

use super::{
    FirmOption, SideView, answer_label, event_label, firm_options, flash_message,
    organisation_names, organisation_options, refuse, side_view, status_label, status_word,
    time_text,
};
use crate::AppState;
use crate::console::Console;
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::json::{CaseStatusJson, ConsentAnswerJson};
use crate::upstream::KeyRole;

#[derive(Debug, Default, Deserialize)]
pub(super) struct CaseFlash {
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

pub(super) async fn case_page(
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
        firm_options(&state, &console).await
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

#[cfg(test)]
mod tests {
    use super::super::fixtures::{page, render, side};
    use super::*;

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
        let html = render("case.html", &page(lang, &view));
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
}
