//! Joint bids (UTE, groupement) proposed for a tender, on its page, and the form that
//! opens a case with each other member of one.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use pyred_proto::v1 as pb;
use serde::{Deserialize, Serialize};

use super::{refuse, required};
use crate::AppState;
use crate::api::{ConsortiaQuery, consortia_request};
use crate::console::{Console, encode};
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::json::ConsortiumFormJson;
use crate::upstream::KeyRole;

/// One member of a proposed joint bid.
#[derive(Debug, Serialize)]
pub struct MemberView {
    company_id: String,
    company_name: String,
    region: String,
    /// How well it fits, in [0, 1] (printed as a percent).
    fit: f64,
    covers_cpv: Vec<String>,
    covers_requirements: Vec<String>,
    reason: String,
}

/// One proposed joint bid.
#[derive(Debug, Serialize)]
pub struct ConsortiumView {
    id: String,
    members: Vec<MemberView>,
    /// The bid's score in [0, 1].
    score: f64,
    /// The share of the tender's requirements covered, in [0, 1].
    coverage: f64,
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

/// A share in [0, 1] as the page shows it (the template prints the percent).
fn share(value: f64) -> f64 {
    value.clamp(0.0, 1.0)
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
                .find(|m| {
                    admin
                        || pyred_domain::region::territory_covers(
                            &console.session.territory,
                            &m.region,
                        )
                })
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
                        fit: share(m.fit),
                        covers_cpv: m.covers_cpv.clone(),
                        covers_requirements: m.covers_requirements.clone(),
                        reason: match lang {
                            Lang::Es => m.reason_es.clone(),
                            Lang::Fr | Lang::En => m.reason_fr.clone(),
                        },
                    })
                    .collect(),
                score: share(consortium.score),
                coverage: share(consortium.coverage),
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
pub(super) struct ConsortiumForm {
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

pub(super) async fn open_consortium_cases(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    Form(form): Form<ConsortiumForm>,
) -> Response {
    if !console.check_csrf(&form.csrf) {
        return console.csrf_refused(&state);
    }
    let [company_id, consortium_id] = match required(
        &state,
        &console,
        [
            ("company_id", &form.company_id),
            ("consortium_id", &form.consortium_id),
        ],
    ) {
        Ok(values) => values,
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

#[cfg(test)]
mod tests {
    use super::super::fixtures::{page, render};
    use super::*;

    #[test]
    fn joint_bids_render_on_a_tender_s_page() {
        let section = ConsortiaSection {
            items: vec![ConsortiumView {
                id: "cons_1".into(),
                members: vec![MemberView {
                    company_id: "c1".into(),
                    company_name: "F <b>".into(),
                    region: "FR-32".into(),
                    fit: share(0.72),
                    covers_cpv: vec!["18100000".into()],
                    covers_requirements: vec!["language:es".into()],
                    reason: "r".into(),
                }],
                score: share(0.5),
                coverage: share(0.9),
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
        let context = page(Lang::Es, &listing);
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
    }
}
