//! The forms that open a case (from a lead card) and move it: accept, decline, ask
//! the consents, record a firm's answer, change its status, drop it, add a note.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use pyred_proto::v1 as pb;
use serde::Deserialize;

use super::{refusal, refuse, required, some_text};
use crate::AppState;
use crate::api::{case_move, case_version, consent_answer};
use crate::console::{Console, encode};
use crate::error::ApiError;
use http::StatusCode;

/// Every case form's fields; each action reads its own. All default to empty so a
/// missing field is this page's 400, not a generic form rejection.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    counterpart_company_id: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    company_id: String,
    #[serde(default)]
    answer: String,
    #[serde(default)]
    text: String,
}

/// The version a form posted: digits only, at least 1; anything else is a 400 (a lost
/// version is never taken as "skip the check").
fn form_version(text: &str) -> Result<i64, ApiError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ApiError::invalid("version", "is required"));
    }
    let version = text
        .parse::<i64>()
        .map_err(|_| ApiError::invalid("version", "is not a number"))?;
    case_version(Some(version))
}

pub(super) async fn case_action(
    State(state): State<AppState>,
    console: Console,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<ActionForm>,
) -> Response {
    if !console.check_csrf(&form.csrf) {
        return console.csrf_refused(&state);
    }
    let mut brokerage = state.upstream.brokerage();
    let key = console.key();
    let (ok, outcome) = match action.as_str() {
        "accept" => {
            let version = match form_version(&form.version) {
                Ok(version) => version,
                Err(error) => return refuse(&state, &console, error),
            };
            let request = pb::AcceptCaseRequest {
                id: id.clone(),
                counterpart_company_id: form.counterpart_company_id.trim().to_owned(),
                note: form.note.trim().to_owned(),
                version,
            };
            (
                "accepted",
                brokerage.accept_case(key.request(request)).await,
            )
        }
        "decline" => {
            let version = match form_version(&form.version) {
                Ok(version) => version,
                Err(error) => return refuse(&state, &console, error),
            };
            let [reason] = match required(&state, &console, [("reason", &form.reason)]) {
                Ok(values) => values,
                Err(refused) => return *refused,
            };
            let request = pb::DeclineCaseRequest {
                id: id.clone(),
                reason,
                version,
            };
            (
                "declined",
                brokerage.decline_case(key.request(request)).await,
            )
        }
        "ask-consents" => {
            let version = match form_version(&form.version) {
                Ok(version) => version,
                Err(error) => return refuse(&state, &console, error),
            };
            let request = pb::AskConsentsRequest {
                id: id.clone(),
                version,
            };
            (
                "consents_asked",
                brokerage.ask_consents(key.request(request)).await,
            )
        }
        "consent" => {
            let answer = match consent_answer(Some(&form.answer)) {
                Ok(answer) => answer,
                Err(error) => return refuse(&state, &console, error),
            };
            let [company_id] = match required(&state, &console, [("company_id", &form.company_id)])
            {
                Ok(values) => values,
                Err(refused) => return *refused,
            };
            let request = pb::AnswerConsentRequest {
                id: id.clone(),
                company_id,
                answer: answer.to_pb(),
            };
            (
                "consent_recorded",
                brokerage.answer_consent(key.request(request)).await,
            )
        }
        "status" => {
            // The version first: a lost version is a 400 whatever else the form says.
            if let Err(error) = form_version(&form.version) {
                return refuse(&state, &console, error);
            }
            let request = match case_move(
                id.clone(),
                Some(&form.status),
                some_text(&form.reason),
                form.version.trim().parse().ok(),
            ) {
                Ok(request) => request,
                Err(error) => return refuse(&state, &console, error),
            };
            (
                "status_changed",
                brokerage.update_case_status(key.request(request)).await,
            )
        }
        "notes" => {
            let [text] = match required(&state, &console, [("text", &form.text)]) {
                Ok(values) => values,
                Err(refused) => return *refused,
            };
            let request = pb::AddCaseNoteRequest {
                id: id.clone(),
                text,
            };
            (
                "note_added",
                brokerage.add_case_note(key.request(request)).await,
            )
        }
        _ => {
            return console.error(
                &state,
                &ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such action"),
            );
        }
    };
    let page = format!("/console/cases/{}", encode(&id));
    match outcome {
        Ok(_) => Redirect::to(&format!("{page}?ok={ok}")).into_response(),
        Err(status)
            if matches!(
                status.code(),
                tonic::Code::InvalidArgument
                    | tonic::Code::FailedPrecondition
                    | tonic::Code::Aborted
            ) =>
        {
            Redirect::to(&format!("{page}?err={}", encode(&refusal(status)))).into_response()
        }
        Err(status) => console.error(&state, &status.into()),
    }
}

// ----- opening a case from a lead -----

#[derive(Debug, Default, Deserialize)]
pub(super) struct OpenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    company_id: String,
    #[serde(default)]
    opportunity_id: String,
    #[serde(default)]
    to_organisation: String,
    #[serde(default)]
    note: String,
}

pub(super) async fn open_case(
    State(state): State<AppState>,
    console: Console,
    Form(form): Form<OpenForm>,
) -> Response {
    if !console.check_csrf(&form.csrf) {
        return console.csrf_refused(&state);
    }
    let [company_id, opportunity_id] = match required(
        &state,
        &console,
        [
            ("company_id", &form.company_id),
            ("opportunity_id", &form.opportunity_id),
        ],
    ) {
        Ok(values) => values,
        Err(refused) => return *refused,
    };
    let firm_page = format!("/console/firms/{}", encode(&company_id));
    match state
        .upstream
        .brokerage()
        .open_case(console.key().request(pb::OpenCaseRequest {
            company_id,
            opportunity_id,
            to_organisation: form.to_organisation.trim().to_owned(),
            counterpart_company_id: String::new(),
            note: form.note.trim().to_owned(),
        }))
        .await
    {
        Ok(case) => Redirect::to(&format!(
            "/console/cases/{}?ok=opened",
            encode(&case.into_inner().id)
        ))
        .into_response(),
        Err(status)
            if matches!(
                status.code(),
                tonic::Code::InvalidArgument
                    | tonic::Code::FailedPrecondition
                    | tonic::Code::AlreadyExists
            ) =>
        {
            Redirect::to(&format!("{firm_page}?err={}", encode(&refusal(status)))).into_response()
        }
        Err(status) => console.error(&state, &status.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;

    #[test]
    fn a_lost_or_garbled_version_is_refused_never_zero() {
        for text in ["", "  ", "abc", "1.5", "0", "-3", "9999999999999999999999"] {
            let error = form_version(text).expect_err(text);
            assert_eq!(error.status, StatusCode::BAD_REQUEST, "{text}");
            assert!(error.violation_for("version").is_some(), "{text}");
        }
        assert_eq!(form_version(" 7 ").ok(), Some(7));
    }
}
