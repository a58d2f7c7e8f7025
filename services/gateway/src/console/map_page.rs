//! The map page and its SVG download: the adviser's firms and the published listings
//! on the real outlines, with the Pyrenean crossings in their state on the day asked.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, header};
use pyred_proto::v1 as pb;
use serde::{Deserialize, Serialize};

use super::Console;
use super::records::map_records;
use crate::AppState;
use crate::error::ApiError;
use crate::i18n::Lang;

/// `?day=YYYY-MM-DD` of the map: the day whose crossing states it shows.
#[derive(Debug, Deserialize)]
pub(crate) struct MapQuery {
    #[serde(default)]
    day: Option<String>,
}

/// A crossing in the table under the map.
#[derive(Debug, Serialize)]
pub struct CrossingView {
    /// Its number on the map.
    pub number: usize,
    /// Its id.
    pub id: String,
    /// Its name in the page's language.
    pub name: String,
    /// Its roads.
    pub roads: String,
    /// Its state word (`open`, `closed`, …).
    pub state: &'static str,
    /// Every state that applies, in words.
    pub state_text: String,
}

/// The map page's view.
#[derive(Debug, Serialize)]
pub struct MapView {
    /// The SVG, inlined.
    pub svg: String,
    /// Firms drawn.
    pub firm_count: usize,
    /// Listings drawn.
    pub listing_count: usize,
    /// The day shown, `YYYY-MM-DD`.
    pub day: String,
    /// Whether that day was asked for (else it is today).
    pub day_asked: bool,
    /// The crossings in their state that day.
    pub crossings: Vec<CrossingView>,
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

/// The map's day and records, or why they cannot be shown.
async fn day_and_records(
    state: &AppState,
    console: &Console,
    query: &MapQuery,
) -> Result<(pyred_travel::Day, Vec<pb::Company>, Vec<pb::Opportunity>), ApiError> {
    let day = map_day(console.lang, query)?;
    let (firms, listings) = map_records(state, console).await?;
    Ok((day, firms, listings))
}

pub(crate) async fn map_page(
    State(state): State<AppState>,
    console: Console,
    Query(query): Query<MapQuery>,
) -> Response {
    let (day, firms, listings) = match day_and_records(&state, &console, &query).await {
        Ok(found) => found,
        Err(error) => return console.error(&state, &error),
    };
    let view = MapView {
        svg: crate::map::svg(&firms, &listings, console.lang, day),
        firm_count: firms.len(),
        listing_count: listings.len(),
        day: day.to_string(),
        day_asked: query.day.as_deref().is_some_and(|d| !d.trim().is_empty()),
        crossings: crate::map::crossings_on(day, console.lang)
            .into_iter()
            .map(|c| CrossingView {
                number: c.number,
                id: c.id,
                name: c.name,
                roads: c.roads,
                state: c.state.as_str(),
                state_text: c.state_text,
            })
            .collect(),
    };
    console.render(&state, "map.html", &view)
}

pub(crate) async fn map_svg(
    State(state): State<AppState>,
    console: Console,
    Query(query): Query<MapQuery>,
) -> Response {
    let (day, firms, listings) = match day_and_records(&state, &console, &query).await {
        Ok(found) => found,
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
