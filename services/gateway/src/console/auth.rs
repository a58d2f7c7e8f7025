//! Signing in with an API key, signing out, and the language switch.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use pyred_runtime::Secret;
use serde::{Deserialize, Serialize};

use super::{Console, Page, lang_of};
use crate::AppState;
use crate::i18n::Lang;
use crate::session::{
    self, Handle, LANG_COOKIE, LOGIN_CSRF_COOKIE, cookie, random_token, same_token, set_cookie,
};
use crate::upstream::{Bearer, KeyRole, probe_role};

#[derive(Debug, Deserialize)]
pub(crate) struct LoginForm {
    key: String,
    csrf: String,
}

/// The sign-in page's view: why the last try failed, if it did.
#[derive(Debug, Serialize)]
pub struct LoginView<'a> {
    /// The refusal, in the page's language.
    pub error: Option<&'a str>,
}

/// The sign-in page's frame: no session yet, its token is the login cookie's.
pub fn login_page_frame<'a>(
    lang: Lang,
    token: &'a str,
    view: &'a LoginView<'a>,
) -> Page<'a, LoginView<'a>> {
    Page {
        t: lang.words(),
        lang: lang.code(),
        csrf: token,
        signed_in: false,
        key_id: "",
        here: "/console/login",
        view,
    }
}

fn login_form(state: &AppState, lang: Lang, error: Option<&str>, status: StatusCode) -> Response {
    let token = random_token();
    let view = LoginView { error };
    let mut response = state.render("login.html", &login_page_frame(lang, &token, &view));
    *response.status_mut() = status;
    if let Ok(value) = HeaderValue::from_str(&set_cookie(
        LOGIN_CSRF_COOKIE,
        &token,
        Some(3600),
        true,
        state.tls,
    )) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

pub(crate) async fn login_page(
    State(state): State<AppState>,
    handle: Handle,
    headers: HeaderMap,
) -> Response {
    if session::signed_in(&handle).await.is_some() {
        return Redirect::to("/console").into_response();
    }
    login_form(&state, lang_of(&headers), None, StatusCode::OK)
}

pub(crate) async fn login(
    State(state): State<AppState>,
    handle: Handle,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = lang_of(&headers);
    let words = lang.words();
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_token(&expected, &form.csrf) {
        return login_form(
            &state,
            lang,
            Some(words["csrf_failed"]),
            StatusCode::FORBIDDEN,
        );
    }
    let key = Secret::new(form.key.trim());
    let Some(bearer) = Bearer::new(&key) else {
        return login_form(
            &state,
            lang,
            Some(words["bad_key"]),
            StatusCode::UNAUTHORIZED,
        );
    };
    let (role, territory) = match probe_role(&state.upstream, &bearer).await {
        Ok(found) => found,
        Err(status) if status.code() == tonic::Code::Unauthenticated => {
            return login_form(
                &state,
                lang,
                Some(words["bad_key"]),
                StatusCode::UNAUTHORIZED,
            );
        }
        Err(status) => {
            tracing::warn!(code = ?status.code(), message = status.message(), "sign-in probe failed");
            return login_form(
                &state,
                lang,
                Some(words["service_down"]),
                StatusCode::SERVICE_UNAVAILABLE,
            );
        }
    };
    if role == KeyRole::Partner {
        return login_form(
            &state,
            lang,
            Some(words["not_adviser"]),
            StatusCode::FORBIDDEN,
        );
    }
    if let Err(error) = session::open(&handle, &key, role, territory).await {
        tracing::warn!(%error, "console session not opened");
        return login_form(
            &state,
            lang,
            Some(words["service_down"]),
            StatusCode::SERVICE_UNAVAILABLE,
        );
    }
    // The session layer adds the session cookie.
    let mut response = Redirect::to("/console").into_response();
    if let Ok(value) =
        HeaderValue::from_str(&set_cookie(LOGIN_CSRF_COOKIE, "", Some(0), true, state.tls))
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

#[derive(Debug, Deserialize)]
pub(crate) struct CsrfForm {
    csrf: String,
}

pub(crate) async fn logout(console: Console, Form(form): Form<CsrfForm>) -> Response {
    if !console.check_csrf(&form.csrf) {
        return (StatusCode::FORBIDDEN, "csrf").into_response();
    }
    // The record is deleted and the session layer clears the cookie.
    session::ended(Redirect::to("/console/login").into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct BackQuery {
    back: Option<String>,
}

pub(crate) async fn switch_language(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(query): Query<BackQuery>,
) -> Response {
    let lang = Lang::parse(&code).unwrap_or_default();
    // Only local paths: never an open redirect.
    let back = query
        .back
        .filter(|back| back.starts_with('/') && !back.starts_with("//") && !back.contains('\\'))
        .unwrap_or_else(|| "/console".to_owned());
    let mut response = Redirect::to(&back).into_response();
    if let Ok(value) = HeaderValue::from_str(&set_cookie(
        LANG_COOKIE,
        lang.code(),
        Some(365 * 86_400),
        false,
        state.tls,
    )) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}
