//! The dashboard: the adviser's firms with their unread leads and best score, the
//! deadlines of the next two weeks, and the unread leads themselves.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::Response;
use http::StatusCode;
use pyred_proto::v1 as pb;
use serde::Serialize;

use super::Console;
use super::records::{leads_of, my_firms};
use super::views::{HitView, LeadView, match_view};
use crate::AppState;
use crate::json::today_plus;
use crate::upstream::KeyRole;

/// A row of the firms' table.
#[derive(Debug, Serialize)]
pub struct FirmRow {
    /// The firm.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its place.
    pub place: String,
    /// Its unread leads.
    pub new: usize,
    /// Its best proposed lead's score in [0, 1], if any.
    pub best: Option<f64>,
}

/// The dashboard's view.
#[derive(Debug, Serialize)]
pub struct DashboardView<'a> {
    /// The firms followed, by name.
    pub firms: Vec<FirmRow>,
    /// Unread leads (at most 30).
    pub new_leads: Vec<LeadView>,
    /// Unread alerts in all.
    pub unread_count: i64,
    /// Whether that count stopped at its cap.
    pub unread_capped: bool,
    /// Listings closing within two weeks.
    pub deadlines: Vec<HitView>,
    /// The adviser's territory.
    pub territory: &'a std::collections::BTreeSet<String>,
    /// The key's role.
    pub role: KeyRole,
}

pub(crate) async fn dashboard(State(state): State<AppState>, console: Console) -> Response {
    let firms = match my_firms(&state, &console.session).await {
        Ok(firms) => firms,
        Err(error) => return console.error(&state, &error),
    };
    let lead_lists = futures::future::join_all(firms.iter().map(|firm| {
        leads_of(
            &state,
            console.key(),
            &firm.id,
            &[pb::MatchStatus::Proposed],
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
    let mut unread_per_firm: HashMap<&str, usize> = HashMap::new();
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
        firm_rows.push(FirmRow {
            id: firm.id.clone(),
            name: firm.name.clone(),
            place: firm
                .location
                .as_ref()
                .map(|l| l.place_name.clone())
                .unwrap_or_default(),
            new: unread_per_firm
                .get(firm.id.as_str())
                .copied()
                .unwrap_or_default(),
            best: leads.first().map(|m| m.score),
        });
    }
    let new_leads = unread
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
            .map(|hit| HitView::of(hit, console.lang))
            .collect(),
        Err(status) => return console.error(&state, &status.into()),
    };
    let view = DashboardView {
        firms: firm_rows,
        new_leads,
        unread_count: inbox.unread_count,
        unread_capped: inbox.unread_count_capped,
        deadlines,
        territory: &console.session.territory,
        role: console.session.role,
    };
    console.render(&state, "dashboard.html", &view)
}
