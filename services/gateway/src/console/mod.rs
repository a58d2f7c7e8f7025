//! The advisers' web console: server-rendered pages over the same gRPC calls as the API.
//!
//! Pages are minijinja templates (`templates/`), French by default, Spanish or English
//! by a cookie. Every page needs a session (see [`crate::session`]); every form posts
//! its session's CSRF token; every gRPC call carries the adviser's own key, so a firm
//! outside the adviser's territory is "not found" here as in the API.
//!
//! One module a page, each rendering its template from a `#[derive(Serialize)]` view:
//! [`auth`] (sign-in, sign-out, language), [`dashboard`], [`firms`] (a firm's page),
//! [`firm_edit`], [`leads`] (the lead workflow's forms), [`listing`], [`search`],
//! [`map_page`], [`exports`] (CSV and PDF) and [`cases`] (the brokerage pages).
//! [`views`] holds the views several pages share (a lead card, a firm, a search hit),
//! [`records`] what several pages read, [`templates`] the compiled templates.
//! This module holds the router, the signed-in [`Console`] extractor and the page
//! frame every template gets ([`Page`]).

pub mod auth;
pub mod cases;
pub mod dashboard;
pub mod exports;
pub mod firm_edit;
pub mod firms;
pub mod leads;
pub mod listing;
pub mod map_page;
pub mod records;
pub mod search;
pub mod templates;
pub mod views;

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::Serialize;

use crate::AppState;
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::session::{self, Handle, LANG_COOKIE, Session, cookie, same_token};
use crate::upstream::Bearer;

pub use records::my_firms;
pub use views::{closed_view, match_view, trip_view};

/// The console's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/console") }))
        .route("/console", get(dashboard::dashboard))
        .route("/console/login", get(auth::login_page).post(auth::login))
        .route("/console/logout", post(auth::logout))
        .route("/console/lang/{code}", get(auth::switch_language))
        .route("/console/firms/{id}", get(firms::firm_page))
        .route(
            "/console/firms/{id}/edit",
            get(firm_edit::edit_page).post(firm_edit::edit_firm),
        )
        .route(
            "/console/firms/{id}/leads.csv",
            get(exports::firm_leads_csv),
        )
        .route(
            "/console/firms/{id}/leads.pdf",
            get(exports::firm_leads_pdf),
        )
        .route("/console/pipeline.csv", get(exports::pipeline_csv))
        .route(
            "/console/matches/{id}/status",
            post(leads::change_match_status),
        )
        .route("/console/matches/{id}/notes", post(leads::add_note))
        .route(
            "/console/opportunities/{id}",
            get(listing::opportunity_page),
        )
        .route("/console/search", get(search::search_page))
        .route("/console/places", get(search::places))
        .route("/console/map", get(map_page::map_page))
        .route("/console/map.svg", get(map_page::map_svg))
        .route("/static/console.css", get(css))
        .route("/static/console.js", get(js))
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        include_str!("../../static/console.css"),
    )
        .into_response()
}

async fn js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        include_str!("../../static/console.js"),
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

/// A query value percent-encoded (`application/x-www-form-urlencoded`), for links and
/// redirects.
pub(crate) fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The version a form posted: digits, at least 1; anything else (a lost hidden field
/// included) is `None`, never 0.
pub(crate) fn posted_version(text: &str) -> Option<i64> {
    text.trim().parse::<i64>().ok().filter(|v| *v > 0)
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

/// What every template gets: the words, the language, the session's CSRF token and
/// key, the path asked (for the language links), and the page's own `view` beside them.
#[derive(Debug, Serialize)]
pub struct Page<'a, V> {
    /// The words of the page's language (`t.key`).
    pub t: BTreeMap<&'static str, &'static str>,
    /// The language code.
    pub lang: &'static str,
    /// The CSRF token forms post.
    pub csrf: &'a str,
    /// Whether a session is open (the navigation shows then).
    pub signed_in: bool,
    /// The session key's id, in the footer.
    pub key_id: &'a str,
    /// The path asked.
    pub here: &'a str,
    /// The page's own fields.
    #[serde(flatten)]
    pub view: &'a V,
}

#[cfg(test)]
impl<'a, V> Page<'a, V> {
    /// The frame a session of key `abc` with CSRF token `tok` gives a page at `here`.
    pub(crate) fn for_test(lang: Lang, here: &'a str, view: &'a V) -> Self {
        Page {
            t: lang.words(),
            lang: lang.code(),
            csrf: "tok",
            signed_in: true,
            key_id: "abc",
            here,
            view,
        }
    }
}

/// The error page's view.
#[derive(Debug, Serialize)]
pub struct ErrorView {
    /// The HTTP status.
    pub status: u16,
    /// The message, in the page's language when it is a known case.
    pub message: String,
}

impl Console {
    pub(crate) fn key(&self) -> &Bearer {
        &self.session.bearer
    }

    /// The page frame of this session around `view`.
    pub fn page<'a, V: Serialize>(&'a self, view: &'a V) -> Page<'a, V> {
        Page {
            t: self.lang.words(),
            lang: self.lang.code(),
            csrf: &self.session.csrf,
            signed_in: true,
            key_id: &self.session.key_id,
            here: &self.path,
            view,
        }
    }

    /// Renders `template` with `view` in this session's page frame.
    pub(crate) fn render(
        &self,
        state: &AppState,
        template: &str,
        view: &impl Serialize,
    ) -> Response {
        state.render(template, &self.page(view))
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
        let view = ErrorView {
            status: error.status.as_u16(),
            message,
        };
        let mut response = self.render(state, "error.html", &view);
        *response.status_mut() = error.status;
        response
    }

    /// The error page of a form posted without this session's token (403).
    pub(crate) fn csrf_refused(&self, state: &AppState) -> Response {
        self.error(
            state,
            &ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf",
                self.lang.words()["csrf_failed"],
            ),
        )
    }

    /// The error page of a form that lost the version it was drawn from (400): the
    /// write is not attempted, as version 0 would skip the optimistic check. `word`
    /// names the message.
    pub(crate) fn version_lost(&self, state: &AppState, word: &str) -> Response {
        let message = self.lang.words().get(word).copied().unwrap_or(word);
        self.error(
            state,
            &ApiError::new(StatusCode::BAD_REQUEST, "invalid_argument", message),
        )
    }

    pub(crate) fn check_csrf(&self, token: &str) -> bool {
        same_token(&self.session.csrf, token)
    }
}

impl AppState {
    /// Renders a template; a template error is logged and answers 500.
    pub fn render(&self, template: &str, context: &impl Serialize) -> Response {
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
