//! The search page: the same query parameters as the API's search, results with their
//! highlighted snippets, facet links that replace their own parameter, and the place
//! suggestions of its inputs.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use pyred_proto::v1 as pb;
use serde::Serialize;

use super::Console;
use super::views::HitView;
use crate::AppState;
use crate::api::{PlacesQuery, SearchQuery, search_request};
use crate::error::ApiError;
use crate::json::KindJson;

/// A facet value and how many results have it.
#[derive(Debug, Serialize)]
pub struct FacetView {
    /// The value (`ES-AR`).
    pub value: String,
    /// The count.
    pub count: i64,
}

/// The facets of a search, by name.
#[derive(Debug, Serialize)]
pub struct FacetsView {
    /// By region.
    pub regions: Vec<FacetView>,
    /// By listing kind.
    pub kinds: Vec<FacetView>,
    /// By NACE division.
    pub nace_divisions: Vec<FacetView>,
    /// By language.
    pub languages: Vec<FacetView>,
}

/// The results of a search.
#[derive(Debug, Serialize)]
pub struct ResultsView {
    /// How many in all.
    pub total: i64,
    /// This page's hits.
    pub hits: Vec<HitView>,
    /// The next page's token (empty on the last).
    pub next: String,
    /// The facets.
    pub facets: FacetsView,
    /// Why the geographic filter was relaxed, if it was.
    pub geo_fallback: String,
}

/// The search page's view.
#[derive(Debug, Serialize)]
pub struct SearchView {
    /// The query as asked (the form's values).
    pub q: SearchQuery,
    /// The results, once something was searched.
    pub results: Option<ResultsView>,
    /// Refused parameters.
    pub errors: Vec<String>,
    /// The query string without its page token, for the next-page link.
    pub base_qs: String,
    /// Per facet parameter, the query string without that parameter.
    pub facet_base: BTreeMap<&'static str, String>,
    /// The listing kinds of the kind picker.
    pub kinds: &'static [&'static str],
}

fn facets(counts: &[pb::FacetCount]) -> Vec<FacetView> {
    counts
        .iter()
        .map(|c| FacetView {
            value: c.value.clone(),
            count: c.count,
        })
        .collect()
}

fn violations(error: &ApiError) -> impl Iterator<Item = String> + '_ {
    error
        .violations
        .iter()
        .map(|v| format!("{}: {}", v.field, v.description))
}

/// `key=value&…` of the set parameters of a search.
fn query_string(query: &SearchQuery) -> String {
    serde_urlencoded::to_string(query).unwrap_or_default()
}

pub(crate) async fn search_page(
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
    let mut results = None;
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
                    let found = response.facets.unwrap_or_default();
                    results = Some(ResultsView {
                        total: response.total,
                        hits: response
                            .hits
                            .iter()
                            .map(|hit| HitView::of(hit, console.lang))
                            .collect(),
                        next: response.next_page_token,
                        facets: FacetsView {
                            regions: facets(&found.regions),
                            kinds: facets(&found.kinds),
                            nace_divisions: facets(&found.nace_divisions),
                            languages: facets(&found.languages),
                        },
                        geo_fallback: response.geo_fallback,
                    });
                }
                Err(status) if status.code() == tonic::Code::InvalidArgument => {
                    let error = ApiError::from(status);
                    errors.extend(violations(&error));
                    if errors.is_empty() {
                        errors.push(error.message);
                    }
                }
                Err(status) => return console.error(&state, &status.into()),
            },
            Err(error) => errors.extend(violations(&error)),
        }
    }
    // The query string without the page token, for facet and next-page links.
    let mut base = query.clone();
    base.page_token = None;
    base.facets = None;
    // Facet links replace their own parameter (a repeated one would not parse).
    let mut facet_base = BTreeMap::new();
    for param in ["regions", "kinds", "language", "nace_prefix"] {
        let mut without = base.clone();
        match param {
            "regions" => without.regions = None,
            "kinds" => without.kinds = None,
            "language" => without.language = None,
            _ => without.nace_prefix = None,
        }
        facet_base.insert(param, query_string(&without));
    }
    let view = SearchView {
        base_qs: query_string(&base),
        q: query,
        results,
        errors,
        facet_base,
        kinds: KindJson::ALL,
    };
    console.render(&state, "search.html", &view)
}

pub(crate) async fn places(
    State(state): State<AppState>,
    console: Console,
    Query(query): Query<PlacesQuery>,
) -> Response {
    match crate::api::places(&state, console.key(), &query).await {
        Ok(places) => Json(places).into_response(),
        Err(error) => error.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_s_query_string_keeps_only_the_set_parameters() {
        let query = SearchQuery {
            q: Some("usinage aéronautique & co".to_owned()),
            radius_km: Some(80.0),
            public_only: Some(true),
            ..SearchQuery::default()
        };
        let text = query_string(&query);
        assert_eq!(
            text,
            "q=usinage+a%C3%A9ronautique+%26+co&radius_km=80.0&public_only=true"
        );
        let back: SearchQuery = serde_urlencoded::from_str(&text).expect("parses back");
        assert_eq!(back.q, query.q);
        assert_eq!(back.radius_km, Some(80.0));
        assert_eq!(query_string(&SearchQuery::default()), "");
    }
}
