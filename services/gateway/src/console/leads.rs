//! The lead workflow's forms on the lead cards: moving a lead to its next status (or
//! dismissing it) and adding a note; both redirect back to the page they came from.
//!
//! The status forms post the lead's version as read: a lost or garbled version is
//! refused (400) before anything is written, never taken as 0 (which would skip
//! matchmaking's optimistic check).

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use pyred_proto::v1 as pb;
use serde::Deserialize;

use super::{Console, encode, posted_version};
use crate::AppState;
use crate::error::ApiError;
use crate::json::MatchStatusJson;

#[derive(Debug, Deserialize)]
pub(crate) struct StatusForm {
    csrf: String,
    status: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    dismiss_reason: String,
    #[serde(default)]
    back: String,
}

/// The console page a form returns to, without its query or fragment.
fn back_to(back: &str) -> String {
    if back.starts_with("/console") && !back.contains("//") {
        back.split(['?', '#'])
            .next()
            .unwrap_or("/console")
            .to_owned()
    } else {
        "/console".to_owned()
    }
}

/// Back to `back` with the refusal of `status` as its flash.
fn refused(back: &str, id: &str, status: tonic::Status) -> Response {
    let error = ApiError::from(status);
    let message = error.violations.first().map_or(error.message.clone(), |v| {
        format!("{}: {}", v.field, v.description)
    });
    Redirect::to(&format!("{back}?err={}#lead-{id}", encode(&message))).into_response()
}

pub(crate) async fn change_match_status(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    Form(form): Form<StatusForm>,
) -> Response {
    if !console.check_csrf(&form.csrf) {
        return console.csrf_refused(&state);
    }
    let Some(expected_version) = posted_version(&form.version) else {
        return console.version_lost(&state, "lead_version_lost");
    };
    let Some(status) = MatchStatusJson::parse(&form.status) else {
        return console.error(&state, &ApiError::invalid("status", "unknown status"));
    };
    let back = back_to(&form.back);
    match state
        .upstream
        .matchmaking()
        .update_match_status(console.key().request(pb::UpdateMatchStatusRequest {
            id: id.clone(),
            status: status.to_pb(),
            dismiss_reason: form.dismiss_reason.trim().to_owned(),
            expected_version,
        }))
        .await
    {
        Ok(_) => Redirect::to(&format!("{back}?ok=status_changed#lead-{id}")).into_response(),
        Err(status)
            if matches!(
                status.code(),
                tonic::Code::InvalidArgument | tonic::Code::FailedPrecondition
            ) =>
        {
            refused(&back, &id, status)
        }
        Err(status) => console.error(&state, &status.into()),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct NoteForm {
    csrf: String,
    text: String,
    #[serde(default)]
    back: String,
}

pub(crate) async fn add_note(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    Form(form): Form<NoteForm>,
) -> Response {
    if !console.check_csrf(&form.csrf) {
        return console.csrf_refused(&state);
    }
    let back = back_to(&form.back);
    match state
        .upstream
        .matchmaking()
        .add_match_note(console.key().request(pb::AddMatchNoteRequest {
            id: id.clone(),
            text: form.text,
        }))
        .await
    {
        Ok(_) => Redirect::to(&format!("{back}?ok=note_added#lead-{id}")).into_response(),
        Err(status) if status.code() == tonic::Code::InvalidArgument => refused(&back, &id, status),
        Err(status) => console.error(&state, &status.into()),
    }
}
