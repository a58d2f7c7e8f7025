//! A firm's page: its profile, its leads with their workflow, and the flash of the
//! last change.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use http::StatusCode;
use serde::{Deserialize, Serialize};

use super::Console;
use super::records::{company, leads_of};
use super::views::{CompanyView, LeadView, match_view};
use crate::AppState;
use crate::cases::OrganisationOption;

/// `?ok=…&err=…` after a redirect.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct FlashQuery {
    ok: Option<String>,
    err: Option<String>,
}

/// The firm page's view.
#[derive(Debug, Serialize)]
pub struct FirmView {
    /// Organisations a case may be opened with (none: no picker).
    pub organisations: Vec<OrganisationOption>,
    /// The firm.
    pub firm: CompanyView,
    /// Its leads, best first.
    pub leads: Vec<LeadView>,
    /// The flash of a change that went through, in the page's language.
    pub ok: Option<&'static str>,
    /// The refusal of a change, as the service said it.
    pub err: Option<String>,
}

pub(crate) async fn firm_page(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    Query(flash): Query<FlashQuery>,
) -> Response {
    let company = match company(&state, console.key(), &id).await {
        Ok(company) => company,
        Err(error) => return console.error(&state, &error),
    };
    let leads = match leads_of(&state, console.key(), &id, &[], 20).await {
        Ok(leads) => leads,
        Err(error) if error.status == StatusCode::NOT_FOUND => Vec::new(),
        Err(error) => return console.error(&state, &error),
    };
    let words = console.lang.words();
    let view = FirmView {
        organisations: crate::cases::organisation_options(&state, &console).await,
        firm: CompanyView::of(&company),
        leads: leads.iter().map(|m| match_view(console.lang, m)).collect(),
        ok: flash.ok.as_deref().and_then(|k| words.get(k).copied()),
        err: flash.err,
    };
    console.render(&state, "firm.html", &view)
}
