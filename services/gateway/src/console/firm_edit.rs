//! A firm's edit form: drawn from the registry's record with its version, posted back
//! as a masked update; the registry's field violations show beside their inputs.
//!
//! The form posts the version it was drawn from; a lost or garbled version is refused
//! (400), never taken as 0, which would skip the registry's optimistic check.

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::StatusCode;
use pyred_proto::v1 as pb;
use serde::{Deserialize, Serialize};

use super::records::company;
use super::views::CompanyView;
use super::{Console, posted_version};
use crate::AppState;
use crate::error::{ApiError, Violation};
use crate::json::VisibilityJson;

/// The edit form's fields, named after the API's field paths (`.` → `_`).
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct EditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    offers: String,
    #[serde(default)]
    seeks: String,
    #[serde(default)]
    activities: String,
    #[serde(default)]
    languages: String,
    #[serde(default)]
    employees: String,
    #[serde(default)]
    location_place_code: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_email: String,
    #[serde(default)]
    contact_phone: String,
    #[serde(default)]
    visibility: String,
    #[serde(default)]
    service_radius_km: String,
    #[serde(default)]
    service_radius_hours: String,
}

/// The fields every save writes (the update mask), each an input of the form.
const MASKED: [&str; 10] = [
    "name",
    "description",
    "offers",
    "seeks",
    "activities",
    "languages",
    "employees",
    "visibility",
    "service_radius_km",
    "service_radius_hours",
];

/// The form's other inputs (the place and the contact, masked only when set).
const OTHER_INPUTS: [&str; 4] = [
    "location_place_code",
    "contact_name",
    "contact_email",
    "contact_phone",
];

impl EditForm {
    pub(crate) fn of(company: &pb::Company) -> Self {
        let contact = company.contact.clone().unwrap_or_default();
        let text = |value: Option<f64>| value.map(|v| v.to_string()).unwrap_or_default();
        Self {
            csrf: String::new(),
            version: company.version.to_string(),
            name: company.name.clone(),
            description: company.description.clone(),
            offers: company.offers.clone(),
            seeks: company.seeks.clone(),
            activities: company
                .activities
                .iter()
                .map(|a| a.given.clone())
                .collect::<Vec<_>>()
                .join(", "),
            languages: company.languages.join(", "),
            employees: company.employees.map(|e| e.to_string()).unwrap_or_default(),
            location_place_code: company
                .location
                .as_ref()
                .map(|l| l.place_code.clone())
                .unwrap_or_default(),
            contact_name: contact.name,
            contact_email: contact.email,
            contact_phone: contact.phone,
            visibility: VisibilityJson::from_pb(company.visibility)
                .map_or("advisers_only", |v| v.as_str())
                .to_owned(),
            service_radius_km: text(company.service_radius_km),
            service_radius_hours: text(company.service_radius_hours),
        }
    }
}

/// The edit page's view.
#[derive(Debug, Serialize)]
pub struct FirmEditView {
    /// The firm as stored.
    pub firm: CompanyView,
    /// The form's values (as stored, or as posted after a refusal).
    pub form: EditForm,
    /// A message per input refused.
    pub errors: BTreeMap<String, String>,
    /// Refusals no input shows.
    pub other_errors: Vec<String>,
}

/// The input a violation's field path belongs to (`company.contact.email` →
/// `contact_email`, `company.activities[2]` → `activities`, `company.location.lat` →
/// `location_place_code`).
fn input_of(field: &str) -> String {
    let field = field.strip_prefix("company.").unwrap_or(field);
    let field = field.split('[').next().unwrap_or(field);
    match field {
        "location" | "location.lat" | "location.lon" | "location.place_name" | "region" => {
            "location_place_code".to_owned()
        }
        "contact" => "contact_name".to_owned(),
        other => other.replace('.', "_"),
    }
}

fn comma_items(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

pub(crate) async fn edit_page(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Response {
    match company(&state, console.key(), &id).await {
        Ok(company) => {
            let view = FirmEditView {
                firm: CompanyView::of(&company),
                form: EditForm::of(&company),
                errors: BTreeMap::new(),
                other_errors: Vec::new(),
            };
            console.render(&state, "firm_edit.html", &view)
        }
        Err(error) => console.error(&state, &error),
    }
}

pub(crate) async fn edit_firm(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    Form(form): Form<EditForm>,
) -> Response {
    if !console.check_csrf(&form.csrf) {
        return console.csrf_refused(&state);
    }
    // The version the form was drawn from: without it the registry's optimistic check
    // would be skipped (0), and another adviser's edit silently overwritten.
    let Some(expected_version) = posted_version(&form.version) else {
        return console.version_lost(&state, "form_version_lost");
    };
    let words = console.lang.words();
    let current = match company(&state, console.key(), &id).await {
        Ok(company) => company,
        Err(error) => return console.error(&state, &error),
    };
    let mut local = Vec::new();
    let employees = match form.employees.trim() {
        "" => None,
        text => match text.parse::<i32>() {
            Ok(n) => Some(n),
            Err(_) => {
                local.push(("employees".to_owned(), words["integer_expected"].to_owned()));
                None
            }
        },
    };
    let mut decimal = |input: &str, text: &str| match text.trim() {
        "" => None,
        text => match text.replace(',', ".").parse::<f64>() {
            Ok(n) => Some(n),
            Err(_) => {
                local.push((input.to_owned(), words["number_expected"].to_owned()));
                None
            }
        },
    };
    let service_radius_km = decimal("service_radius_km", &form.service_radius_km);
    let service_radius_hours = decimal("service_radius_hours", &form.service_radius_hours);
    let place_changed = current
        .location
        .as_ref()
        .is_none_or(|l| l.place_code != form.location_place_code.trim());
    let contact = (!form.contact_name.trim().is_empty()
        || !form.contact_email.trim().is_empty()
        || !form.contact_phone.trim().is_empty())
    .then(|| pb::Contact {
        name: form.contact_name.trim().to_owned(),
        email: form.contact_email.trim().to_owned(),
        phone: form.contact_phone.trim().to_owned(),
    });
    let mut paths = MASKED.to_vec();
    if contact.is_some() || current.contact.is_some() {
        paths.push("contact");
    }
    if place_changed {
        paths.push("location");
    }
    let company = pb::Company {
        id: id.clone(),
        name: form.name.clone(),
        description: form.description.clone(),
        offers: form.offers.clone(),
        seeks: form.seeks.clone(),
        activities: comma_items(&form.activities)
            .into_iter()
            .map(|given| pb::ActivityCode {
                nace: String::new(),
                given,
            })
            .collect(),
        languages: comma_items(&form.languages),
        employees,
        location: Some(pb::Location {
            // No point: the registry takes the new place's own.
            lat: None,
            lon: None,
            place_code: form.location_place_code.trim().to_owned(),
            place_name: String::new(),
        }),
        contact,
        visibility: VisibilityJson::parse(&form.visibility)
            .map(|v| v.to_pb())
            .unwrap_or_default(),
        service_radius_km,
        service_radius_hours,
        ..Default::default()
    };
    let result = if local.is_empty() {
        state
            .upstream
            .registry()
            .update_company(console.key().request(pb::UpdateCompanyRequest {
                company: Some(company),
                update_mask: Some(prost_types::FieldMask {
                    paths: paths.into_iter().map(str::to_owned).collect(),
                }),
                expected_version,
            }))
            .await
            .map_err(ApiError::from)
    } else {
        Err(ApiError {
            violations: local
                .into_iter()
                .map(|(field, description)| Violation { field, description })
                .collect(),
            ..ApiError::invalid("", "")
        })
    };
    match result {
        Ok(_) => Redirect::to(&format!("/console/firms/{id}?ok=saved")).into_response(),
        Err(error) if error.status == StatusCode::BAD_REQUEST => {
            let mut errors = BTreeMap::new();
            let mut other = Vec::new();
            for violation in &error.violations {
                if violation.field.is_empty() {
                    continue;
                }
                let input = input_of(&violation.field);
                if MASKED.contains(&input.as_str()) || OTHER_INPUTS.contains(&input.as_str()) {
                    errors
                        .entry(input)
                        .or_insert_with(|| violation.description.clone());
                } else {
                    other.push(format!("{}: {}", violation.field, violation.description));
                }
            }
            if errors.is_empty() && other.is_empty() {
                other.push(error.message.clone());
            }
            let view = FirmEditView {
                firm: CompanyView::of(&current),
                form,
                errors,
                other_errors: other,
            };
            let mut response = console.render(&state, "firm_edit.html", &view);
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            response
        }
        Err(error) => console.error(&state, &error),
    }
}
