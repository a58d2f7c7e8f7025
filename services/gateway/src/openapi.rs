//! The OpenAPI 3 document of the partner API, served at `/openapi.json`.
//!
//! Written by hand beside the handlers (`api.rs`) and the JSON shapes (`json.rs`); the
//! gateway's tests and schemathesis check that answers conform to it.

use serde_json::{Value, json};

use crate::json::{
    CaseStatusJson, ConsentAnswerJson, ConsortiumFormJson, ContractTypeJson, EntityJson, KindJson,
    LanguageJson, MatchStatusJson, OpportunityStatusJson, ProcedureJson, SchemeJson,
    StatusChangeJson, TenderStageJson, VisibilityJson,
};

fn string_enum(values: &[&str]) -> Value {
    json!({ "type": "string", "enum": values })
}

/// An enum that may be `null` on input (absent, or cleared in a PATCH); never `null` in
/// an answer, where an unset value is left out.
fn nullable_enum(values: &[&str], description: &str) -> Value {
    json!({ "type": "string", "enum": values, "nullable": true, "description": description })
}

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn page_of(item: &str) -> Value {
    json!({
        "type": "object",
        "required": ["items", "next_page_token"],
        "properties": {
            "items": { "type": "array", "items": reference(item) },
            "next_page_token": { "type": "string", "description": "token of the next page; empty on the last one" }
        }
    })
}

fn query(name: &str, schema: Value, description: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "schema": schema, "description": description })
}

fn path_id(description: &str) -> Value {
    json!({ "name": "id", "in": "path", "required": true,
        "schema": { "type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.~:-]{0,199}$" }, "description": description })
}

/// A comma-separated list parameter (`a,b,c`).
fn list_param(name: &str, items: Value, description: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "style": "form", "explode": false,
        "schema": { "type": "array", "items": items }, "description": description })
}

fn paging() -> Vec<Value> {
    vec![
        query(
            "page_size",
            json!({"type": "integer", "format": "int32", "minimum": 0, "maximum": 100}),
            "at most this many items: 0 means the default (20, ten best for leads), at most 100",
        ),
        query(
            "page_token",
            json!({"type": "string"}),
            "next_page_token of the previous page",
        ),
    ]
}

fn errors(codes: &[&str]) -> serde_json::Map<String, Value> {
    codes
        .iter()
        .map(|code| {
            (
                (*code).to_owned(),
                json!({ "$ref": format!("#/components/responses/E{code}") }),
            )
        })
        .collect()
}

fn operation(
    summary: &str,
    parameters: Vec<Value>,
    body: Option<&str>,
    ok: (&str, &str),
    error_codes: &[&str],
) -> Value {
    let mut responses = errors(error_codes);
    responses.insert(
        ok.0.to_owned(),
        json!({ "description": "success", "content": { "application/json": { "schema": reference(ok.1) } } }),
    );
    let mut op = json!({
        "summary": summary,
        "parameters": parameters,
        "responses": responses,
    });
    if let Some(body) = body {
        op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": reference(body) } } });
    }
    op
}

/// The writable part of an object's schema, at least one field: a PATCH body.
fn patch_of(schema: &Value, writable: &[&str]) -> Value {
    let properties: serde_json::Map<String, Value> = writable
        .iter()
        .filter_map(|name| Some(((*name).to_owned(), schema["properties"].get(*name)?.clone())))
        .collect();
    json!({
        "type": "object", "additionalProperties": false, "minProperties": 1,
        "description": "the fields to change (the update mask is the set of fields present); output-only fields are refused",
        "properties": properties
    })
}

const READ: &[&str] = &["400", "401", "403", "404", "429", "503"];
/// A read that the object's state can refuse (412): contacts before both consents, joint
/// bids for a listing that is not a tender.
const READ_IN_STATE: &[&str] = &["400", "401", "403", "404", "412", "429", "503"];
const WRITE: &[&str] = &[
    "400", "401", "403", "404", "409", "412", "413", "429", "503",
];

fn with(mut params: Vec<Value>, more: Vec<Value>) -> Vec<Value> {
    params.extend(more);
    params
}

/// The document.
pub fn document() -> Value {
    let mut document = base_document();
    add_brokerage(&mut document);
    document
}

fn version_field() -> Value {
    json!({ "type": "integer", "format": "int64", "minimum": 1, "description": "the case's version as read (required: 412 when the case changed meanwhile)" })
}

/// An optional text of a request body: absent, null and empty all mean "none".
fn text_field(max: u32, description: &str) -> Value {
    json!({ "type": "string", "nullable": true, "maxLength": max, "description": format!("{description} (absent, null or empty: none)") })
}

fn required_text_field(max: u32, description: &str) -> Value {
    json!({ "type": "string", "minLength": 1, "maxLength": max, "pattern": "\\S", "description": description })
}

/// The brokerage routes (`pyred.v1.Brokerage`) and the organisations' directory.
fn add_brokerage(document: &mut Value) {
    let case_id = path_id("case id (case_…)");
    let listing_id = path_id("registry id of the tender");
    let paths = json!({
        "/api/v1/cases": {
            "get": operation("The cases involving the caller's organisation (all for an admin), newest first (advisers)", with(paging(), vec![
                list_param("status", string_enum(CaseStatusJson::ALL), "comma-separated case statuses; empty means all"),
                query("side", string_enum(&["a", "b"]), "a: proposed by the caller's organisation; b: proposed to it"),
                query("company_id", json!({"type": "string"}), "only cases about this firm (either side)")
            ]), None, ("200", "CasePage"), READ),
            "post": operation("Open a case from a lead of a firm of the caller's territory (advisers with an organisation)", vec![], Some("OpenCase"), ("201", "Case"), WRITE)
        },
        "/api/v1/cases/{id}": {
            "get": operation("One case with its timeline and consents (advisers of either side; admins)", vec![case_id.clone()], None, ("200", "Case"), READ)
        },
        "/api/v1/cases/{id}/accept": {
            "post": operation("Side B takes the case, naming its firm when the case names none", vec![case_id.clone()], Some("AcceptCase"), ("200", "Case"), WRITE)
        },
        "/api/v1/cases/{id}/decline": {
            "post": operation("Side B turns the case down (final)", vec![case_id.clone()], Some("DeclineCase"), ("200", "Case"), WRITE)
        },
        "/api/v1/cases/{id}/ask-consents": {
            "post": operation("Ask both firms for their consent to be introduced", vec![case_id.clone()], Some("CaseVersion"), ("200", "Case"), WRITE)
        },
        "/api/v1/cases/{id}/status": {
            "post": operation("Move an introduced case on (meeting, won, lost) or drop it with a reason", vec![case_id.clone()], Some("CaseStatusChange"), ("200", "Case"), WRITE)
        },
        "/api/v1/cases/{id}/notes": {
            "post": operation("Add a note to the case's timeline", vec![case_id.clone()], Some("Note"), ("200", "Case"), WRITE)
        },
        "/api/v1/cases/{id}/contacts": {
            "get": operation("Both firms' contacts once both consented (advisers of the case's two organisations; every read is audited)", vec![case_id.clone()], None, ("200", "CaseContacts"), READ_IN_STATE)
        },
        "/api/v1/cases/{id}/consent": {
            "post": operation("A firm's answer (its firm key), or an adviser recording it on the firm's behalf", vec![case_id], Some("ConsentAnswer"), ("200", "Case"), WRITE)
        },
        "/api/v1/consents": {
            "get": operation("The consent requests addressed to the calling firm (firm keys), newest first", vec![
                query("pending_only", json!({"type": "boolean"}), "only requests not answered yet")
            ], None, ("200", "ConsentRequests"), READ)
        },
        "/api/v1/opportunities/{id}/consortia": {
            "get": operation("Groups of two to four firms that together cover a tender, best first (advisers, admins)", vec![
                listing_id.clone(),
                query("lot_id", json!({"type": "string"}), "one lot of the tender; absent: the whole tender"),
                query("anchor_company_id", json!({"type": "string"}), "a firm every group must include"),
                query("limit", json!({"type": "integer", "format": "int32", "minimum": 0, "maximum": 20}), "how many (0: 5; at most 20)"),
                query("as_of", json!({"type": "string", "format": "date"}), "the day the tender is read on (deadline); absent: today")
            ], None, ("200", "Consortia"), READ_IN_STATE)
        },
        "/api/v1/opportunities/{id}/consortia/cases": {
            "post": operation("Open the cases of a consortium: the lead firm with each member followed by another organisation", vec![listing_id], Some("OpenConsortiumCases"), ("201", "Cases"), WRITE)
        },
        "/api/v1/organisations": {
            "get": operation("The organisations' directory (any key)", vec![], None, ("200", "Organisations"), READ)
        }
    });
    let side = json!({
        "type": "object", "required": ["organisation", "company_id", "company_name"],
        "properties": {
            "organisation": { "type": "string" },
            "company_id": { "type": "string", "description": "empty on side B until named" },
            "company_name": { "type": "string" }
        }
    });
    let consent = json!({
        "type": "object", "required": ["company_id", "asked_by", "answered_by", "answered_via_adviser"],
        "properties": {
            "company_id": { "type": "string" },
            "answer": string_enum(ConsentAnswerJson::ALL),
            "asked_by": { "type": "string" },
            "asked_at": { "type": "string", "format": "date-time" },
            "due_at": { "type": "string", "format": "date-time" },
            "answered_by": { "type": "string" },
            "answered_via_adviser": { "type": "string", "description": "the adviser's key id when an adviser recorded the answer; empty when the firm answered" },
            "answered_at": { "type": "string", "format": "date-time" }
        }
    });
    let event = json!({
        "type": "object", "required": ["n", "actor", "actor_organisation", "kind", "company_id", "text"],
        "properties": {
            "n": { "type": "integer", "format": "int64", "minimum": 1 },
            "at": { "type": "string", "format": "date-time" },
            "actor": { "type": "string", "description": "a key id, or system" },
            "actor_organisation": { "type": "string" },
            "kind": { "type": "string", "description": "opened, accepted, declined, consents_asked, consent_yes, consent_no, consent_withdrawn, consent_expired, introduced, status, note, contacts_read" },
            "status": string_enum(CaseStatusJson::ALL),
            "company_id": { "type": "string" },
            "text": { "type": "string" }
        }
    });
    let case = json!({
        "type": "object",
        "required": ["id", "opportunity_id", "opportunity_title", "match_id", "opened_by", "consents", "events", "consortium_id", "version"],
        "properties": {
            "id": { "type": "string" },
            "status": string_enum(CaseStatusJson::ALL),
            "opportunity_id": { "type": "string" },
            "opportunity_title": { "type": "string" },
            "match_id": { "type": "string" },
            "side_a": reference("CaseSide"),
            "side_b": reference("CaseSide"),
            "opened_by": { "type": "string" },
            "consents": { "type": "array", "items": reference("Consent") },
            "events": { "type": "array", "items": reference("CaseEvent"), "description": "oldest first; empty in lists" },
            "consortium_id": { "type": "string" },
            "version": { "type": "integer", "format": "int64" },
            "created_at": { "type": "string", "format": "date-time" },
            "updated_at": { "type": "string", "format": "date-time" }
        }
    });
    let contact = json!({
        "type": "object", "required": ["company_id", "company_name", "contact"],
        "properties": {
            "company_id": { "type": "string" },
            "company_name": { "type": "string" },
            "contact": { "type": "object", "properties": { "name": { "type": "string" }, "email": { "type": "string" }, "phone": { "type": "string" } } }
        }
    });
    let member = json!({
        "type": "object",
        "required": ["company_id", "company_name", "region", "fit", "covers_cpv", "covers_requirements", "reason_fr", "reason_es"],
        "properties": {
            "company_id": { "type": "string" },
            "company_name": { "type": "string" },
            "region": { "type": "string" },
            "fit": { "type": "number", "minimum": 0, "maximum": 1 },
            "covers_cpv": { "type": "array", "items": { "type": "string" } },
            "covers_requirements": { "type": "array", "items": { "type": "string" } },
            "reason_fr": { "type": "string" },
            "reason_es": { "type": "string" }
        }
    });
    let consortium = json!({
        "type": "object",
        "required": ["id", "members", "score", "coverage", "uncovered", "cross_border", "summary_fr", "summary_es"],
        "properties": {
            "id": { "type": "string" },
            "members": { "type": "array", "items": reference("ConsortiumMember") },
            "score": { "type": "number", "minimum": 0, "maximum": 1 },
            "coverage": { "type": "number", "minimum": 0, "maximum": 1 },
            "uncovered": { "type": "array", "items": { "type": "string" } },
            "form": string_enum(ConsortiumFormJson::ALL),
            "cross_border": { "type": "boolean" },
            "summary_fr": { "type": "string" },
            "summary_es": { "type": "string" }
        }
    });
    let organisation = json!({
        "type": "object", "required": ["id", "name", "country", "territory", "sources", "language", "email", "version"],
        "properties": {
            "id": { "type": "string" }, "name": { "type": "string" }, "country": { "type": "string" },
            "territory": { "type": "array", "items": { "type": "string" } },
            "sources": { "type": "array", "items": { "type": "string" } },
            "language": { "type": "string" }, "email": { "type": "string" },
            "version": { "type": "integer", "format": "int64" }
        }
    });
    let schemas = json!({
        "Case": case,
        "CaseSide": side,
        "Consent": consent,
        "CaseEvent": event,
        "CasePage": page_of("Case"),
        "Cases": { "type": "object", "required": ["items"], "properties": { "items": { "type": "array", "items": reference("Case") } } },
        "CaseContact": contact,
        "CaseContacts": { "type": "object", "properties": { "side_a": reference("CaseContact"), "side_b": reference("CaseContact") } },
        "ConsortiumMember": member,
        "Consortium": consortium,
        "Consortia": { "type": "object", "required": ["items", "requirements"], "properties": {
            "items": { "type": "array", "items": reference("Consortium") },
            "requirements": { "type": "array", "items": { "type": "string" } }
        } },
        "Organisation": organisation,
        "Organisations": { "type": "object", "required": ["items"], "properties": { "items": { "type": "array", "items": reference("Organisation") } } },
        "ConsentRequests": { "type": "object", "required": ["items"], "properties": { "items": { "type": "array", "items": {
            "type": "object", "required": ["case_id", "opportunity_id", "opportunity_title", "other_company_name", "organisation_a", "organisation_b"],
            "properties": {
                "case_id": { "type": "string" }, "opportunity_id": { "type": "string" }, "opportunity_title": { "type": "string" },
                "other_company_name": { "type": "string" }, "organisation_a": { "type": "string" }, "organisation_b": { "type": "string" },
                "consent": reference("Consent"), "status": string_enum(CaseStatusJson::ALL)
            }
        } } } },
        "OpenCase": { "type": "object", "additionalProperties": false, "required": ["company_id", "opportunity_id"], "properties": {
            "company_id": required_text_field(200, "side A's firm, in the caller's territory"),
            "opportunity_id": required_text_field(200, "the listing of the lead"),
            "to_organisation": text_field(32, "side B's organisation; empty: the one that follows the listing's source, else the one whose territory holds its region"),
            "counterpart_company_id": text_field(200, "side B's firm when already known"),
            "note": text_field(4000, "a first note to side B")
        } },
        "AcceptCase": { "type": "object", "additionalProperties": false, "required": ["version"], "properties": {
            "counterpart_company_id": text_field(200, "side B's firm, in the caller's territory; required when the case names none"),
            "note": text_field(4000, "a note"),
            "version": version_field()
        } },
        "DeclineCase": { "type": "object", "additionalProperties": false, "required": ["reason", "version"], "properties": {
            "reason": required_text_field(4000, "why"),
            "version": version_field()
        } },
        "CaseVersion": { "type": "object", "additionalProperties": false, "required": ["version"], "properties": { "version": version_field() } },
        "CaseStatusChange": { "type": "object", "additionalProperties": false, "required": ["status", "version"], "properties": {
            "status": string_enum(crate::api::CASE_MOVES),
            "reason": text_field(4000, "why (required for dropped)"),
            "version": version_field()
        } },
        "ConsentAnswer": { "type": "object", "additionalProperties": false, "required": ["company_id", "answer"], "properties": {
            "company_id": required_text_field(200, "the firm answering: the firm key's own company, or a firm of the case the adviser follows"),
            "answer": string_enum(&["yes", "no"])
        } },
        "OpenConsortiumCases": { "type": "object", "additionalProperties": false, "required": ["company_id", "member_company_ids", "consortium_id"], "properties": {
            "company_id": required_text_field(200, "the firm of the caller's territory that leads the bid"),
            "member_company_ids": { "type": "array", "minItems": 1, "maxItems": 3, "items": { "type": "string" } },
            "consortium_id": required_text_field(200, "the consortium's id as proposed (recorded on each case)"),
            "note": text_field(4000, "a note for every case")
        } }
    });
    if let (Some(all), Value::Object(more)) = (document["paths"].as_object_mut(), paths) {
        all.extend(more);
    }
    if let (Some(all), Value::Object(more)) =
        (document["components"]["schemas"].as_object_mut(), schemas)
    {
        all.extend(more);
    }
}

fn base_document() -> Value {
    let location = json!({
        "type": "object", "additionalProperties": false,
        "properties": {
            "lat": { "type": "number", "minimum": -90, "maximum": 90 },
            "lon": { "type": "number", "minimum": -180, "maximum": 180 },
            "place_code": { "type": "string", "description": "INSEE commune or INE municipality code" },
            "place_name": { "type": "string" }
        }
    });
    let company = json!({
        "type": "object", "additionalProperties": false,
        "description": "A firm. Output-only fields (id, nace, version, created_at, updated_at) are ignored on input.",
        "properties": {
            "id": { "type": "string", "readOnly": true },
            "source": { "type": "string" },
            "external_id": { "type": "string" },
            "name": { "type": "string" },
            "country": { "type": "string", "description": "ISO 3166-1 alpha-2" },
            "legal_id": {
                "type": "object", "additionalProperties": false, "required": ["value"],
                "properties": {
                    "scheme": string_enum(SchemeJson::ALL),
                    "value": { "type": "string" },
                    "display": { "type": "string", "readOnly": true }
                }
            },
            "activities": { "type": "array", "items": { "type": "string" }, "description": "NACE, NAF or CNAE codes" },
            "nace": { "type": "array", "items": { "type": "string" }, "readOnly": true },
            "language": string_enum(LanguageJson::ALL),
            "description": { "type": "string" },
            "offers": { "type": "string" },
            "seeks": { "type": "string" },
            "location": location,
            "region": { "type": "string", "description": "ISO 3166-2" },
            "employees": { "type": "integer", "format": "int32" },
            "languages": { "type": "array", "items": { "type": "string" } },
            "contact": {
                "type": "object", "additionalProperties": false,
                "properties": { "name": { "type": "string" }, "email": { "type": "string" }, "phone": { "type": "string" } }
            },
            "visibility": string_enum(VisibilityJson::ALL),
            "service_radius_km": { "type": "number", "exclusiveMinimum": true, "minimum": 0, "maximum": 20000, "description": "matches farther away as the crow flies are not proposed" },
            "service_radius_hours": { "type": "number", "exclusiveMinimum": true, "minimum": 0, "maximum": 24, "description": "hours of driving (typical speeds, through the Pyrenean crossings open that day); matches farther away by road are not proposed" },
            "version": { "type": "integer", "format": "int64", "readOnly": true },
            "created_at": { "type": "string", "format": "date-time", "readOnly": true },
            "updated_at": { "type": "string", "format": "date-time", "readOnly": true }
        }
    });
    let opportunity = json!({
        "type": "object", "additionalProperties": false,
        "description": "A listing. Output-only fields (id, nace, status, withdrawal_reason, version, timestamps, expires_on) are ignored on input. The tender fields (buyer … contract_type) describe public tenders read from official feeds; other listings leave them out or empty.",
        "properties": {
            "id": { "type": "string", "readOnly": true },
            "source": { "type": "string" },
            "external_id": { "type": "string" },
            "kind": string_enum(KindJson::ALL),
            "title": { "type": "string" },
            "description": { "type": "string" },
            "language": string_enum(LanguageJson::ALL),
            "activities": { "type": "array", "items": { "type": "string" } },
            "nace": { "type": "array", "items": { "type": "string" }, "readOnly": true },
            "cpv": { "type": "array", "items": { "type": "string" } },
            "location": location,
            "region": { "type": "string" },
            "published": { "type": "string", "format": "date" },
            "deadline": { "type": "string", "format": "date" },
            "budget_eur": { "type": "number" },
            "status": { "allOf": [string_enum(OpportunityStatusJson::ALL)], "readOnly": true },
            "source_version": { "type": "integer", "format": "int64" },
            "version": { "type": "integer", "format": "int64", "readOnly": true },
            "created_at": { "type": "string", "format": "date-time", "readOnly": true },
            "updated_at": { "type": "string", "format": "date-time", "readOnly": true },
            "expires_on": { "type": "string", "format": "date", "readOnly": true },
            "buyer": {
                "type": "object", "additionalProperties": false, "nullable": true,
                "description": "the contracting body of a tender (who buys); absent for other listings; null or all fields empty clears it",
                "properties": {
                    "name": { "type": "string", "description": "name (\"Ayuntamiento de Zaragoza\"); at most 300 characters" },
                    "nif": { "type": "string", "description": "Spanish tax id (NIF) or other national registration number; letters and digits (spaces, dots and dashes dropped), at most 20" },
                    "dir3": { "type": "string", "description": "DIR3 code of the Spanish administration directory (\"L01502973\"); at most 20 letters and digits" }
                }
            },
            "official_url": { "type": "string", "description": "link to the official notice: an absolute http:// or https:// address without spaces, at most 2000 characters; empty when none" },
            "procedure": nullable_enum(ProcedureJson::ALL, "procedure type of a tender; absent when unknown or not a tender"),
            "lots": { "type": "array", "items": reference("Lot"), "description": "the lots of a tender, in the notice's order; at most 500, ids unique" },
            "tender_stage": nullable_enum(TenderStageJson::ALL, "where a tender stands in its publisher's workflow; absent for other listings"),
            "withdrawal_reason": { "type": "string", "readOnly": true, "description": "why the publisher withdrew the listing (\"ANULADA\"), when it said; empty otherwise" },
            "location_approximate": { "type": "boolean", "description": "the location is the province's capital standing for a municipality the notice did not name" },
            "nuts": { "type": "string", "description": "NUTS code of the place of performance (\"ES243\"): two letters then up to three letters or digits; empty when none" },
            "contract_type": nullable_enum(ContractTypeJson::ALL, "contract type of a tender; absent when unknown or not a tender")
        }
    });
    let lot = json!({
        "type": "object", "additionalProperties": false, "required": ["id"],
        "description": "one lot of a tender",
        "properties": {
            "id": { "type": "string", "description": "lot number or identifier as published (\"1\", \"LOT-0001\"); 1 to 50 characters" },
            "title": { "type": "string", "description": "at most 300 characters" },
            "cpv": { "type": "array", "items": { "type": "string" }, "description": "CPV codes, 8 digits with an optional check digit (\"45233140-2\"); at most 20" },
            "budget_eur": { "type": "number", "nullable": true, "description": "budget without taxes in euros, 0 to 10^12; absent when unknown" }
        }
    });
    let matched = json!({
        "type": "object",
        "required": ["id", "company_id", "opportunity_id", "score", "reasons", "notes", "version"],
        "properties": {
            "id": { "type": "string" },
            "company_id": { "type": "string" },
            "opportunity_id": { "type": "string" },
            "score": { "type": "number", "minimum": 0, "maximum": 1 },
            "reasons": { "type": "array", "items": {
                "type": "object",
                "properties": {
                    "feature": { "type": "string" }, "contribution": { "type": "number" },
                    "text_fr": { "type": "string" }, "text_es": { "type": "string" }
                }
            } },
            "status": string_enum(MatchStatusJson::ALL),
            "dismiss_reason": { "type": "string" },
            "notes": { "type": "array", "items": {
                "type": "object",
                "properties": { "author": { "type": "string" }, "text": { "type": "string" }, "created_at": { "type": "string", "format": "date-time" } }
            } },
            "distance_km": { "type": "number" },
            "travel": {
                "type": "object",
                "description": "the trip by road on the day the match was scored, through the Pyrenean crossings open that day (typical speeds, no traffic); absent when a place is unknown",
                "required": ["minutes", "km", "crossing", "closed_crossing", "detour_minutes"],
                "additionalProperties": false,
                "properties": {
                    "minutes": { "type": "number", "minimum": 0, "description": "driving time" },
                    "km": { "type": "number", "minimum": 0, "description": "road distance" },
                    "crossing": { "type": "string", "description": "the crossing used (somport-tunnel, portalet, irun…); empty when the trip stays in one country" },
                    "closed_crossing": { "type": "string", "description": "the fastest crossing when it was closed that day; else empty" },
                    "detour_minutes": { "type": "number", "minimum": 0, "description": "extra minutes of the detour around closed_crossing; else 0" }
                }
            },
            "opportunity_title": { "type": "string" },
            "company_name": { "type": "string" },
            "version": { "type": "integer", "format": "int64" },
            "updated_at": { "type": "string", "format": "date-time" }
        }
    });
    let facet_list = json!({ "type": "array", "items": { "type": "object", "properties": { "value": { "type": "string" }, "count": { "type": "integer" } } } });
    let search = json!({
        "type": "object",
        "required": ["items", "next_page_token", "total"],
        "properties": {
            "items": { "type": "array", "items": {
                "type": "object",
                "required": ["id", "title"],
                "properties": {
                    "entity": string_enum(EntityJson::ALL),
                    "id": { "type": "string" }, "score": { "type": "number" },
                    "distance_km": { "type": "number" }, "title": { "type": "string" },
                    "travel_minutes": { "type": "number", "description": "driving time from the travel centre (travel searches)" },
                    "crossing": { "type": "string", "description": "Pyrenean crossing of that route, when it changes country (somport-tunnel, portalet…)" },
                    "language": string_enum(LanguageJson::ALL),
                    "snippets": { "type": "array", "items": { "type": "object", "properties": {
                        "field": { "type": "string", "description": "title, description, offers, seeks, lots (a tender's lot titles) or buyer (its contracting body)" },
                        "text": { "type": "string" },
                        "highlights": { "type": "array", "items": { "type": "array", "items": { "type": "integer" }, "minItems": 2, "maxItems": 2 } }
                    } } },
                    "place_name": { "type": "string" }, "region": { "type": "string" },
                    "kind": string_enum(KindJson::ALL),
                    "deadline": { "type": "string", "format": "date" },
                    "published": { "type": "string", "format": "date" },
                    "status": string_enum(OpportunityStatusJson::ALL),
                    "matched_concepts": { "type": "array", "items": { "type": "string" } },
                    "source": { "type": "string" },
                    "buyer_name": { "type": "string", "description": "the contracting body (tenders)" },
                    "official_url": { "type": "string", "description": "the publisher's own page for the listing" },
                    "tender_stage": string_enum(TenderStageJson::ALL)
                }
            } },
            "next_page_token": { "type": "string" },
            "total": { "type": "integer" },
            "facets": { "type": "object", "properties": {
                "regions": facet_list, "kinds": facet_list, "nace_divisions": facet_list, "languages": facet_list
            } },
            "query_language": string_enum(LanguageJson::ALL),
            "geo_fallback": { "type": "string" }
        }
    });
    let error = json!({
        "type": "object", "required": ["error"],
        "properties": { "error": {
            "type": "object", "required": ["code", "message", "violations"],
            "properties": {
                "code": { "type": "string", "description": "not_found, invalid_argument, permission_denied, …" },
                "message": { "type": "string" },
                "violations": { "type": "array", "items": {
                    "type": "object", "required": ["field", "description"],
                    "properties": { "field": { "type": "string" }, "description": { "type": "string" } }
                } }
            }
        } }
    });
    let error_response = |description: &str| json!({ "description": description, "content": { "application/json": { "schema": reference("Error") } } });
    let mut retry = error_response("too many requests for this key");
    retry["headers"] = json!({ "Retry-After": { "schema": { "type": "integer" }, "description": "seconds to wait" } });

    let company_filters = with(
        paging(),
        vec![
            query("region", json!({"type": "string"}), "ISO 3166-2 region"),
            query("source", json!({"type": "string"}), "publisher"),
            query(
                "nace_prefix",
                json!({"type": "string"}),
                "NACE code at any level",
            ),
            query(
                "name_prefix",
                json!({"type": "string"}),
                "name starts with (case and accents ignored)",
            ),
        ],
    );
    let opportunity_filters = with(
        paging(),
        vec![
            query("source", json!({"type": "string"}), "publisher"),
            query("status", string_enum(OpportunityStatusJson::ALL), "status"),
            query("region", json!({"type": "string"}), "ISO 3166-2 region"),
            query("kind", string_enum(KindJson::ALL), "kind"),
            query(
                "nace_prefix",
                json!({"type": "string"}),
                "NACE code at any level",
            ),
            query(
                "published_from",
                json!({"type": "string", "format": "date"}),
                "first publication day",
            ),
            query(
                "published_to",
                json!({"type": "string", "format": "date"}),
                "last publication day",
            ),
            query(
                "deadline_from",
                json!({"type": "string", "format": "date"}),
                "first deadline day",
            ),
            query(
                "deadline_to",
                json!({"type": "string", "format": "date"}),
                "last deadline day",
            ),
        ],
    );
    let version = query(
        "expected_version",
        json!({"type": "integer", "format": "int64", "minimum": 0}),
        "the version read; absent or 0 skips the check (412 on conflict)",
    );
    let statuses = query(
        "statuses",
        json!({"type": "string"}),
        "comma-separated match statuses; empty means all but dismissed",
    );
    let search_params = with(
        paging(),
        vec![
            query(
                "q",
                json!({"type": "string"}),
                "free text in French or Spanish",
            ),
            query(
                "language",
                string_enum(LanguageJson::ALL),
                "language of q; identified when absent",
            ),
            query(
                "entity",
                string_enum(EntityJson::ALL),
                "companies or opportunities only",
            ),
            query(
                "kinds",
                json!({"type": "string"}),
                "comma-separated opportunity kinds",
            ),
            query(
                "regions",
                json!({"type": "string"}),
                "comma-separated ISO 3166-2 regions or provinces",
            ),
            query("nace_prefix", json!({"type": "string"}), "NACE prefix"),
            query("cpv_prefix", json!({"type": "string"}), "CPV prefix"),
            query(
                "sources",
                json!({"type": "string"}),
                "comma-separated publishers",
            ),
            query(
                "place",
                json!({"type": "string"}),
                "centre of the radius: a gazetteer place name or code",
            ),
            query(
                "lat",
                json!({"type": "number", "minimum": -90, "maximum": 90}),
                "centre latitude (without place)",
            ),
            query(
                "lon",
                json!({"type": "number", "minimum": -180, "maximum": 180}),
                "centre longitude (without place)",
            ),
            query(
                "radius_km",
                json!({"type": "number", "exclusiveMinimum": true, "minimum": 0, "maximum": 1000}),
                "radius, km (0 < r ≤ 1000)",
            ),
            query(
                "travel_from",
                json!({"type": "string"}),
                "centre of a travel area: a gazetteer place name or code (with max_minutes; or lat and lon); not with radius_km",
            ),
            query(
                "max_minutes",
                json!({"type": "number", "exclusiveMinimum": true, "minimum": 0, "maximum": 720}),
                "driving time of the travel area, minutes (0 < m ≤ 720), by road through the Pyrenean crossings open on as_of (else today)",
            ),
            query(
                "sort",
                string_enum(&[
                    "relevance",
                    "distance",
                    "deadline",
                    "published",
                    "travel_time",
                ]),
                "order; distance and travel_time need a centre (radius_km or max_minutes)",
            ),
            query("facets", json!({"type": "boolean"}), "compute facet counts"),
            query(
                "include_not_live",
                json!({"type": "boolean"}),
                "include expired, withdrawn, fulfilled and draft listings",
            ),
            query(
                "public_only",
                json!({"type": "boolean"}),
                "only public company profiles",
            ),
            query(
                "as_of",
                json!({"type": "string", "format": "date"}),
                "liveness as of this day",
            ),
            query(
                "deadline_from",
                json!({"type": "string", "format": "date"}),
                "first deadline day",
            ),
            query(
                "deadline_to",
                json!({"type": "string", "format": "date"}),
                "last deadline day",
            ),
            query(
                "min_employees",
                json!({"type": "integer", "format": "int32", "minimum": 0}),
                "minimum headcount",
            ),
            query(
                "max_employees",
                json!({"type": "integer", "format": "int32", "minimum": 0}),
                "maximum headcount",
            ),
        ],
    );

    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Pyred partner API",
            "version": "1.0.0",
            "description": "JSON over HTTPS in front of Pyred's gRPC services. Every call needs `Authorization: Bearer pyred_…` (the same keys, roles and object rules as gRPC: an object outside the key's scope answers 404). Invalid input answers 400 with one violation per bad field."
        },
        "servers": [ { "url": "/" } ],
        "security": [ { "bearer": [] } ],
        "paths": {
            "/api/v1/companies": {
                "get": operation("List companies (ordered by id)", company_filters, None, ("200", "CompanyPage"), READ),
                "post": operation("Create a company", vec![], Some("Company"), ("201", "Company"), WRITE)
            },
            "/api/v1/companies/{id}": {
                "get": operation("Read a company", vec![path_id("registry id")], None, ("200", "Company"), READ),
                "patch": operation("Update the fields present in the body", vec![path_id("registry id"), version.clone()], Some("CompanyPatch"), ("200", "Company"), WRITE),
                "delete": operation("Delete a company", vec![path_id("registry id"), version.clone()], None, ("200", "Deleted"), WRITE)
            },
            "/api/v1/companies/{id}/contact": {
                "delete": operation("Erase a company's contact (GDPR)", vec![path_id("registry id")], None, ("200", "Company"), WRITE)
            },
            "/api/v1/companies/{id}/matches": {
                "get": operation("A firm's best leads, scored and explained", with(paging(), vec![path_id("registry id of the firm"), statuses.clone(), query("as_of", json!({"type": "string", "format": "date"}), "liveness and deadlines as of this day")]), None, ("200", "MatchPage"), READ)
            },
            "/api/v1/opportunities": {
                "get": operation("List opportunities (ordered by id)", opportunity_filters, None, ("200", "OpportunityPage"), READ),
                "post": operation("Create an opportunity", vec![query("draft", json!({"type": "boolean"}), "create as a draft")], Some("Opportunity"), ("201", "Opportunity"), WRITE)
            },
            "/api/v1/opportunities/{id}": {
                "get": operation("Read an opportunity", vec![path_id("registry id")], None, ("200", "Opportunity"), READ),
                "patch": operation("Update the fields present in the body", vec![path_id("registry id"), version], Some("OpportunityPatch"), ("200", "Opportunity"), WRITE)
            },
            "/api/v1/opportunities/{id}/status": {
                "post": operation("Publish, withdraw, fulfil or extend", vec![path_id("registry id")], Some("StatusChange"), ("200", "Opportunity"), WRITE)
            },
            "/api/v1/opportunities/{id}/matches": {
                "get": operation("The firms to call about a listing (advisers)", with(paging(), vec![path_id("registry id of the listing"), statuses, list_param("regions", json!({"type": "string", "pattern": "^[A-Z]{2}-[A-Z0-9]{1,3}$"}), "comma-separated regions of the firms")]), None, ("200", "MatchPage"), READ)
            },
            "/api/v1/listings/sync": {
                "post": operation("Upsert and withdraw a batch of one publisher's listings (agencies)", vec![], Some("SyncRequest"), ("200", "SyncResponse"), WRITE)
            },
            "/api/v1/matches/{id}": {
                "get": operation("One lead with its history", vec![path_id("match id")], None, ("200", "Match"), READ)
            },
            "/api/v1/matches/{id}/status": {
                "post": operation("Move a lead through the workflow (advisers)", vec![path_id("match id")], Some("MatchStatusChange"), ("200", "Match"), WRITE)
            },
            "/api/v1/matches/{id}/notes": {
                "post": operation("Add a note to a lead (advisers)", vec![path_id("match id")], Some("Note"), ("200", "Match"), WRITE)
            },
            "/api/v1/alerts": {
                "get": operation("The caller's alert inbox, newest first (advisers: their territory's firms; firms: their own), with a long-poll", vec![
                    query("unread_only", json!({"type": "boolean"}), "only unread alerts"),
                    query("page_size", json!({"type": "integer", "format": "int32", "minimum": 0, "maximum": 100}), "at most this many (0: 20)"),
                    query("before_seq", json!({"type": "integer", "format": "int64", "minimum": 0}), "only alerts older than this (next_before_seq of the previous page)"),
                    query("after_seq", json!({"type": "integer", "format": "int64", "minimum": 0}), "only alerts newer than this (the inbox's last_seq of an earlier answer; never above the newest alert)"),
                    query("wait", json!({"type": "integer", "format": "int64", "minimum": 0, "maximum": 30}), "with after_seq: when nothing is newer yet, wait up to this many seconds for the next alert")
                ], None, ("200", "Alerts"), READ)
            },
            "/api/v1/alerts/read": {
                "post": operation("Mark alerts of the caller's inbox read", Vec::new(), Some("AlertsRead"), ("200", "AlertInbox"), WRITE)
            },
            "/api/v1/alerts/settings": {
                "put": operation("Set the caller's alert threshold", Vec::new(), Some("AlertSettings"), ("200", "AlertInbox"), WRITE)
            },
            "/api/v1/search": {
                "get": operation("Bilingual text and geographic search", search_params, None, ("200", "SearchResponse"), READ)
            },
            "/api/v1/places": {
                "get": operation("Place autocomplete from the gazetteer", vec![
                    query("prefix", json!({"type": "string"}), "beginning of a name or code"),
                    query("limit", json!({"type": "integer", "format": "int32", "minimum": 0, "maximum": 50}), "at most this many (0: 10; at most 50)")
                ], None, ("200", "Places"), READ)
            }
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "description": "a Pyred API key, pyred_<id>_<secret>" } },
            "schemas": {
                "CompanyPatch": patch_of(&company, crate::api::COMPANY_WRITABLE),
                "OpportunityPatch": patch_of(&opportunity, crate::api::OPPORTUNITY_WRITABLE),
                "Company": company,
                "Opportunity": opportunity,
                "Lot": lot,
                "Match": matched,
                "CompanyPage": page_of("Company"),
                "OpportunityPage": page_of("Opportunity"),
                "MatchPage": page_of("Match"),
                "SearchResponse": search,
                "Deleted": { "type": "object", "required": ["seq"], "properties": { "seq": { "type": "integer", "format": "int64" } } },
                "StatusChange": {
                    "type": "object", "additionalProperties": false, "required": ["change"],
                    "properties": {
                        "change": string_enum(StatusChangeJson::ALL),
                        "new_deadline": { "type": "string", "format": "date" },
                        "expected_version": { "type": "integer", "format": "int64", "minimum": 0, "nullable": true, "description": "the version read; 0, null or absent skips the check" }
                    }
                },
                "MatchStatusChange": {
                    "description": "a forward move of the workflow (shortlisted → contacted → meeting → won/lost), or a dismissal with its reason; a move the workflow does not allow from the lead's current status is refused with 412",
                    "oneOf": [
                        {
                            "type": "object", "additionalProperties": false, "required": ["status"],
                            "properties": {
                                "status": string_enum(&["shortlisted", "contacted", "meeting", "won", "lost"]),
                                "expected_version": { "type": "integer", "format": "int64", "minimum": 0, "nullable": true, "description": "the version read; 0, null or absent skips the check" }
                            }
                        },
                        {
                            "type": "object", "additionalProperties": false, "required": ["status", "dismiss_reason"],
                            "properties": {
                                "status": string_enum(&["dismissed"]),
                                "dismiss_reason": { "type": "string", "minLength": 1, "maxLength": 4000, "pattern": "\\S" },
                                "expected_version": { "type": "integer", "format": "int64", "minimum": 0, "nullable": true, "description": "the version read; 0, null or absent skips the check" }
                            }
                        }
                    ]
                },
                "AlertInbox": {
                    "type": "object", "required": ["min_score", "unread_count", "unread_count_capped", "last_seq"],
                    "properties": {
                        "min_score": { "type": "number", "minimum": 0, "maximum": 1 },
                        "unread_count": { "type": "integer", "format": "int64", "minimum": 0, "maximum": 1000 },
                        "unread_count_capped": { "type": "boolean" },
                        "last_seq": { "type": "integer", "format": "int64", "minimum": 0 }
                    }
                },
                "Alerts": {
                    "type": "object", "required": ["items", "inbox", "next_before_seq"],
                    "properties": {
                        "items": { "type": "array", "items": {
                            "type": "object", "required": ["seq", "read", "match"],
                            "properties": {
                                "seq": { "type": "integer", "format": "int64", "minimum": 1 },
                                "read": { "type": "boolean" },
                                "raised_at": { "type": "string", "format": "date-time" },
                                "match": reference("Match")
                            }
                        } },
                        "inbox": reference("AlertInbox"),
                        "next_before_seq": { "type": "integer", "format": "int64", "minimum": 0 }
                    }
                },
                "AlertsRead": {
                    "type": "object", "additionalProperties": false,
                    "properties": {
                        "seqs": { "type": "array", "maxItems": 1000, "items": { "type": "integer", "format": "int64", "minimum": 1 } },
                        "through_seq": { "type": "integer", "format": "int64", "minimum": 0 }
                    }
                },
                "AlertSettings": {
                    "type": "object", "additionalProperties": false, "required": ["min_score"],
                    "properties": { "min_score": { "type": "number", "minimum": 0, "maximum": 1 } }
                },
                "Note": { "type": "object", "additionalProperties": false, "required": ["text"], "properties": { "text": { "type": "string", "minLength": 1, "maxLength": 4000, "pattern": "\\S" } } },
                "SyncRequest": {
                    "type": "object", "additionalProperties": false, "required": ["source"],
                    "properties": {
                        "source": { "type": "string" },
                        "upserts": { "type": "array", "items": reference("Opportunity"), "maxItems": 1000 },
                        "withdrawals": { "type": "array", "items": { "type": "string" } }
                    }
                },
                "SyncResponse": {
                    "type": "object", "required": ["results", "last_seq"],
                    "properties": {
                        "results": { "type": "array", "items": { "type": "object", "properties": {
                            "external_id": { "type": "string" },
                            "outcome": string_enum(&["created", "updated", "unchanged", "withdrawn", "rejected", "unspecified"]),
                            "id": { "type": "string" },
                            "violations": { "type": "array", "items": { "type": "object", "properties": { "field": { "type": "string" }, "description": { "type": "string" } } } }
                        } } },
                        "last_seq": { "type": "integer", "format": "int64" }
                    }
                },
                "Places": {
                    "type": "object", "required": ["items"],
                    "properties": { "items": { "type": "array", "items": { "type": "object", "required": ["code", "name", "region", "approximate"], "properties": {
                        "code": { "type": "string" }, "name": { "type": "string" }, "region": { "type": "string" },
                        "lat": { "type": "number" }, "lon": { "type": "number" }, "approximate": { "type": "boolean" }
                    } } } }
                },
                "Error": error
            },
            "responses": {
                "E400": error_response("invalid request: one violation per bad field"),
                "E401": error_response("no key, or an unknown or revoked key"),
                "E403": error_response("the key's role may not do this"),
                "E404": error_response("no such object, or outside the key's scope"),
                "E409": error_response("already exists"),
                "E412": error_response("version conflict (expected_version)"),
                "E413": error_response("the request body is over the size limit"),
                "E429": retry,
                "E503": error_response("a Pyred service is unavailable")
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_opportunity_schema_describes_every_field_the_api_writes() {
        use crate::json::OpportunityJson;
        use pyred_proto::v1 as pb;
        let document = document();
        let schema = &document["components"]["schemas"]["Opportunity"];
        let tender = pb::Opportunity {
            buyer: Some(pb::ContractingBody::default()),
            procedure: pb::ProcedureType::Minor as i32,
            tender_stage: pb::TenderStage::Awarded as i32,
            contract_type: pb::ContractType::Combined as i32,
            lots: vec![pb::Lot {
                budget_eur: Some(1.0),
                ..Default::default()
            }],
            published: Some(pb::Date::default()),
            deadline: Some(pb::Date::default()),
            expires_on: Some(pb::Date::default()),
            budget_eur: Some(1.0),
            location: Some(pb::Location::default()),
            ..Default::default()
        };
        let json = serde_json::to_value(OpportunityJson::from(&tender)).expect("json");
        for key in json.as_object().expect("object").keys() {
            assert!(schema["properties"][key].is_object(), "{key} undocumented");
        }
        for key in json["lots"][0].as_object().expect("lot").keys() {
            assert!(
                document["components"]["schemas"]["Lot"]["properties"][key].is_object(),
                "lot {key} undocumented"
            );
        }
        assert_eq!(
            schema["properties"]["procedure"]["enum"]
                .as_array()
                .map(Vec::len),
            Some(14)
        );
        assert_eq!(
            schema["properties"]["tender_stage"]["enum"]
                .as_array()
                .map(Vec::len),
            Some(6)
        );
        assert_eq!(
            schema["properties"]["contract_type"]["enum"]
                .as_array()
                .map(Vec::len),
            Some(7)
        );
        // The PATCH body offers exactly the writable fields, the tender ones included.
        let patch = &document["components"]["schemas"]["OpportunityPatch"]["properties"];
        for field in crate::api::OPPORTUNITY_WRITABLE {
            assert!(
                patch[*field].is_object(),
                "{field} not patchable in the schema"
            );
        }
        assert!(patch["withdrawal_reason"].is_null(), "output only");
    }

    #[test]
    fn the_match_schema_describes_its_trip_by_road() {
        use crate::json::MatchJson;
        use pyred_proto::v1 as pb;
        let document = document();
        let schema = &document["components"]["schemas"]["Match"];
        let lead = pb::Match {
            distance_km: Some(150.0),
            travel: Some(pb::TravelLeg {
                minutes: 250.5,
                km: 231.0,
                crossing: "somport-tunnel".to_owned(),
                closed_crossing: "bielsa-tunnel".to_owned(),
                detour_minutes: 80.0,
            }),
            updated_at: Some(prost_types::Timestamp::default()),
            ..Default::default()
        };
        let json = serde_json::to_value(MatchJson::from(&lead)).expect("json");
        for key in json.as_object().expect("object").keys() {
            assert!(schema["properties"][key].is_object(), "{key} undocumented");
        }
        let travel = &schema["properties"]["travel"];
        assert!(
            !schema["required"].to_string().contains("travel"),
            "optional"
        );
        let keys: Vec<&String> = json["travel"].as_object().expect("travel").keys().collect();
        let required: Vec<&str> = travel["required"]
            .as_array()
            .expect("required")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(keys.len(), required.len());
        for key in keys {
            assert!(required.contains(&key.as_str()), "{key}");
            assert!(travel["properties"][key].is_object(), "travel {key}");
        }
        assert_eq!(json["travel"]["crossing"], "somport-tunnel");
        assert_eq!(json["travel"]["detour_minutes"], 80.0);
        // An old match, scored before matches carried their trip: no `travel` at all.
        let old = serde_json::to_value(MatchJson::from(&pb::Match::default())).expect("json");
        assert!(old.get("travel").is_none(), "{old}");
    }

    #[test]
    fn every_reference_resolves() {
        let document = document();
        let text = document.to_string();
        for piece in text.split("\"$ref\":\"").skip(1) {
            let target = piece.split('"').next().unwrap_or_default();
            let mut node = &document;
            for part in target.trim_start_matches("#/").split('/') {
                node = &node[part];
            }
            assert!(!node.is_null(), "dangling reference {target}");
        }
    }
}
