//! The list of cases the caller's organisation is part of, filtered by status, side
//! and firm, a page at a time.

use axum::extract::{Query, State};
use axum::response::Response;
use pyred_proto::v1 as pb;
use serde::{Deserialize, Serialize};

use super::{
    FirmOption, SideView, firm_options, flash_message, organisation_names, organisation_options,
    refuse, side_view, status_label, status_word, time_text,
};
use crate::AppState;
use crate::api::{case_side, case_statuses};
use crate::console::Console;
use crate::json::CaseStatusJson;

/// The list's filters, as the form sends them (empty: any).
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub(super) struct ListFilters {
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

#[derive(Debug, Serialize)]
struct StatusOption {
    value: &'static str,
    label: String,
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

pub(super) async fn case_list(
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
    let firms = firm_options(&state, &console).await;
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

#[cfg(test)]
mod tests {
    use super::super::fixtures::{page, render, side};
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn the_case_list_renders() {
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
        let html = render("cases.html", &page(Lang::Fr, &view));
        assert!(html.contains("Mis en relation") && !html.contains("<b>"));
        assert!(html.contains("Dossiers du groupement ouverts."));
    }
}
