//! Brokerage cases, consents, contacts, consortia and the organisations' directory through
//! the JSON API, over the real stack: every route, the 400s naming their field, and
//! foreign access (an adviser of a third organisation gets 404 on a case; a firm cannot
//! read cases).
//!
//! The input checks answer before any service is asked, so the first test runs on any
//! stack; the others need `pyred.v1.Brokerage` and the organisations (issue 19).

#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::World;
use serde_json::{Value, json};

/// The violations' field names of an error answer.
fn violation_fields(reply: &common::http::Reply) -> Vec<String> {
    reply.json()["error"]["violations"]
        .as_array()
        .map(|violations| {
            violations
                .iter()
                .filter_map(|v| v["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn assert_bad(reply: &common::http::Reply, field: &str) {
    assert_eq!(reply.status, 400, "{field}: {}", reply.text());
    assert_eq!(reply.json()["error"]["code"], "invalid_argument");
    assert!(
        violation_fields(reply).iter().any(|f| f == field),
        "{field} not named: {}",
        reply.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_routes_name_the_bad_field() {
    let world = World::start().await;
    let client = &world.client;
    let key = world.adviser.expose().to_owned();
    let post = |path: &'static str, body: Value| {
        let key = key.clone();
        async move { client.json("POST", path, &key, &body).await }
    };

    // Opening a case.
    assert_bad(
        &post("/api/v1/cases", json!({"opportunity_id": "o"})).await,
        "company_id",
    );
    assert_bad(
        &post(
            "/api/v1/cases",
            json!({"company_id": "c", "opportunity_id": "  "}),
        )
        .await,
        "opportunity_id",
    );
    assert_bad(
        &post("/api/v1/cases", json!({"company_id": 3})).await,
        "company_id",
    );
    assert_bad(
        &post(
            "/api/v1/cases",
            json!({"company_id": "c", "opportunity_id": "o", "colour": "red"}),
        )
        .await,
        "colour",
    );
    let not_json = client
        .send(
            "POST",
            "/api/v1/cases",
            &[("authorization", &format!("Bearer {key}"))],
            Some(("application/json", b"{".to_vec())),
        )
        .await;
    assert_bad(&not_json, "body");

    // The list's filters.
    for (query, field) in [
        ("status=proposed,bogus", "status"),
        ("side=c", "side"),
        ("page_size=500", "page_size"),
        ("page_size=many", "query"),
    ] {
        assert_bad(
            &client.get_as(&format!("/api/v1/cases?{query}"), &key).await,
            field,
        );
    }

    // The case's actions: the version as read is required, never taken as 0.
    assert_bad(
        &post("/api/v1/cases/case_x/accept", json!({})).await,
        "version",
    );
    assert_bad(
        &post("/api/v1/cases/case_x/accept", json!({"version": 0})).await,
        "version",
    );
    assert_bad(
        &post("/api/v1/cases/case_x/accept", json!({"version": "2"})).await,
        "version",
    );
    assert_bad(
        &post("/api/v1/cases/case_x/decline", json!({"version": 2})).await,
        "reason",
    );
    assert_bad(
        &post(
            "/api/v1/cases/case_x/decline",
            json!({"reason": "no", "version": -1}),
        )
        .await,
        "version",
    );
    assert_bad(
        &post("/api/v1/cases/case_x/ask-consents", json!({})).await,
        "version",
    );
    assert_bad(
        &post(
            "/api/v1/cases/case_x/status",
            json!({"status": "introduced", "version": 2}),
        )
        .await,
        "status",
    );
    assert_bad(
        &post("/api/v1/cases/case_x/status", json!({"version": 2})).await,
        "status",
    );
    assert_bad(
        &post(
            "/api/v1/cases/case_x/status",
            json!({"status": "dropped", "version": 2}),
        )
        .await,
        "reason",
    );
    assert_bad(
        &post("/api/v1/cases/case_x/status", json!({"status": "won"})).await,
        "version",
    );
    assert_bad(
        &post("/api/v1/cases/case_x/notes", json!({"text": " "})).await,
        "text",
    );
    assert_bad(
        &post(
            "/api/v1/cases/case_x/consent",
            json!({"company_id": "c", "answer": "maybe"}),
        )
        .await,
        "answer",
    );
    assert_bad(
        &post(
            "/api/v1/cases/case_x/consent",
            json!({"company_id": "c", "answer": "pending"}),
        )
        .await,
        "answer",
    );
    assert_bad(
        &post("/api/v1/cases/case_x/consent", json!({"answer": "yes"})).await,
        "company_id",
    );
    assert_bad(
        &client
            .get_as("/api/v1/consents?pending_only=perhaps", &key)
            .await,
        "query",
    );

    // Consortia.
    assert_bad(
        &client
            .get_as("/api/v1/opportunities/o/consortia?limit=50", &key)
            .await,
        "limit",
    );
    assert_bad(
        &client
            .get_as("/api/v1/opportunities/o/consortia?as_of=tomorrow", &key)
            .await,
        "as_of",
    );
    assert_bad(
        &post(
            "/api/v1/opportunities/o/consortia/cases",
            json!({"company_id": "c"}),
        )
        .await,
        "member_company_ids",
    );
    assert_bad(
        &post(
            "/api/v1/opportunities/o/consortia/cases",
            json!({"company_id": "c", "member_company_ids": [" "]}),
        )
        .await,
        "member_company_ids",
    );
    assert_bad(
        &post(
            "/api/v1/opportunities/o/consortia/cases",
            json!({"member_company_ids": ["d"]}),
        )
        .await,
        "company_id",
    );
    assert_bad(
        &post(
            "/api/v1/opportunities/o/consortia/cases",
            json!({"company_id": "c", "member_company_ids": ["d"]}),
        )
        .await,
        "consortium_id",
    );

    // No key: 401 before anything else.
    let anonymous = client.get("/api/v1/cases", &[]).await;
    assert_eq!(anonymous.status, 401);

    // Every route is in the OpenAPI document, with its body schema.
    let document = client.get("/openapi.json", &[]).await.json();
    for path in [
        "/api/v1/cases",
        "/api/v1/cases/{id}",
        "/api/v1/cases/{id}/accept",
        "/api/v1/cases/{id}/decline",
        "/api/v1/cases/{id}/ask-consents",
        "/api/v1/cases/{id}/status",
        "/api/v1/cases/{id}/notes",
        "/api/v1/cases/{id}/contacts",
        "/api/v1/cases/{id}/consent",
        "/api/v1/consents",
        "/api/v1/opportunities/{id}/consortia",
        "/api/v1/opportunities/{id}/consortia/cases",
        "/api/v1/organisations",
    ] {
        assert!(document["paths"][path].is_object(), "{path} undocumented");
    }
    assert_eq!(
        document["components"]["schemas"]["Case"]["properties"]["status"]["enum"],
        json!([
            "proposed",
            "accepted",
            "consents_asked",
            "introduced",
            "meeting",
            "won",
            "lost",
            "dropped",
            "declined",
            "refused",
            "expired"
        ])
    );
    world.stop().await;
}

fn case_status(reply: &common::http::Reply) -> String {
    reply.json()["status"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_goes_from_a_lead_to_an_introduction_through_the_json_api() {
    let world = World::start().await;
    let client = &world.client;
    let b = world.brokerage().await;
    let gers = b.gers.expose();
    let arex = b.arex.expose();
    let ader = b.ader.expose();

    // The directory.
    let organisations = client.get_as("/api/v1/organisations", gers).await;
    assert_eq!(organisations.status, 200, "{}", organisations.text());
    let ids: Vec<String> = organisations.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(ids, ["ader", "arex", "cci-gers"]);

    // Side A opens the case from its firm's lead: side B is arex, which follows the listing.
    let opened = client
        .json(
            "POST",
            "/api/v1/cases",
            gers,
            &json!({"company_id": b.firm_a.id, "opportunity_id": b.lead.opportunity_id, "note": "Cliente interesado en el mercado aragonés."}),
        )
        .await;
    assert_eq!(opened.status, 201, "{}", opened.text());
    let case = opened.json();
    let id = case["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("case_"), "{id}");
    assert_eq!(case["status"], "proposed");
    assert_eq!(case["side_a"]["organisation"], "cci-gers");
    assert_eq!(case["side_b"]["organisation"], "arex");
    assert_eq!(case["side_b"]["company_id"], "");
    assert_eq!(case["events"][0]["kind"], "opened");

    // Read and list, with filters, by both sides.
    let read = client.get_as(&format!("/api/v1/cases/{id}"), arex).await;
    assert_eq!(read.status, 200, "{}", read.text());
    assert_eq!(read.json()["id"], id.as_str());
    let listed = client
        .get_as("/api/v1/cases?status=proposed&side=a", gers)
        .await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    assert!(
        listed.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == id.as_str())
    );
    let listed_b = client
        .get_as(
            &format!("/api/v1/cases?side=b&company_id={}", b.firm_a.id),
            arex,
        )
        .await;
    assert!(
        listed_b.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == id.as_str())
    );
    let other_side = client.get_as("/api/v1/cases?side=b", gers).await;
    assert!(
        !other_side.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == id.as_str())
    );
    let won_only = client.get_as("/api/v1/cases?status=won", gers).await;
    assert!(won_only.json()["items"].as_array().unwrap().is_empty());

    // Foreign access: a third organisation's adviser sees nothing; a firm cannot read cases.
    assert_eq!(
        client
            .get_as(&format!("/api/v1/cases/{id}"), ader)
            .await
            .status,
        404
    );
    assert!(
        !client.get_as("/api/v1/cases", ader).await.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == id.as_str())
    );
    let firm_read = client
        .get_as(&format!("/api/v1/cases/{id}"), b.firm_a_key.expose())
        .await;
    assert!(
        matches!(firm_read.status, 403 | 404),
        "{}",
        firm_read.text()
    );
    let firm_list = client.get_as("/api/v1/cases", b.firm_a_key.expose()).await;
    assert!(
        matches!(firm_list.status, 403 | 404),
        "{}",
        firm_list.text()
    );
    let foreign_accept = client
        .json(
            "POST",
            &format!("/api/v1/cases/{id}/accept"),
            ader,
            &json!({"counterpart_company_id": b.firm_b.id, "version": case["version"]}),
        )
        .await;
    assert_eq!(foreign_accept.status, 404, "{}", foreign_accept.text());

    // Side B accepts, naming its firm; an old version is a conflict.
    let version = case["version"].as_i64().unwrap();
    let accepted = client
        .json("POST", &format!("/api/v1/cases/{id}/accept"), arex, &json!({"counterpart_company_id": b.firm_b.id, "note": "La conservera busca proveedor de pato.", "version": version}))
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.text());
    assert_eq!(case_status(&accepted), "accepted");
    assert_eq!(
        accepted.json()["side_b"]["company_id"],
        b.firm_b.id.as_str()
    );
    let stale = client
        .json(
            "POST",
            &format!("/api/v1/cases/{id}/ask-consents"),
            gers,
            &json!({"version": version}),
        )
        .await;
    assert!(matches!(stale.status, 409 | 412), "{}", stale.text());
    // Not introduced yet: no contacts for anyone.
    assert!(matches!(
        client
            .get_as(&format!("/api/v1/cases/{id}/contacts"), gers)
            .await
            .status,
        404 | 412 | 403
    ));

    // Consents: side A's firm answers itself, side B's adviser records its firm's yes.
    let asked = client
        .json(
            "POST",
            &format!("/api/v1/cases/{id}/ask-consents"),
            gers,
            &json!({"version": accepted.json()["version"]}),
        )
        .await;
    assert_eq!(asked.status, 200, "{}", asked.text());
    assert_eq!(case_status(&asked), "consents_asked");
    assert_eq!(asked.json()["consents"].as_array().unwrap().len(), 2);
    let mine = client
        .get_as("/api/v1/consents?pending_only=true", b.firm_a_key.expose())
        .await;
    assert_eq!(mine.status, 200, "{}", mine.text());
    let request = mine.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["case_id"] == id.as_str())
        .cloned()
        .unwrap();
    assert_eq!(request["consent"]["answer"], "pending");
    assert!(
        !request.to_string().contains("lucia@"),
        "no contact of the other side: {request}"
    );
    let firm_yes = client
        .json(
            "POST",
            &format!("/api/v1/cases/{id}/consent"),
            b.firm_a_key.expose(),
            &json!({"company_id": b.firm_a.id, "answer": "yes"}),
        )
        .await;
    assert_eq!(firm_yes.status, 200, "{}", firm_yes.text());
    let via = client
        .json(
            "POST",
            &format!("/api/v1/cases/{id}/consent"),
            arex,
            &json!({"company_id": b.firm_b.id, "answer": "yes"}),
        )
        .await;
    assert_eq!(via.status, 200, "{}", via.text());
    let introduced = via.json();
    assert_eq!(introduced["status"], "introduced");
    let consent_b = introduced["consents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["company_id"] == b.firm_b.id.as_str())
        .cloned()
        .unwrap();
    assert_eq!(consent_b["answer"], "yes");
    assert!(
        !consent_b["answered_via_adviser"]
            .as_str()
            .unwrap()
            .is_empty(),
        "{consent_b}"
    );
    let consent_a = introduced["consents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["company_id"] == b.firm_a.id.as_str())
        .cloned()
        .unwrap();
    assert_eq!(consent_a["answered_via_adviser"], "");

    // Contacts, to the advisers of the two organisations only.
    let contacts = client
        .get_as(&format!("/api/v1/cases/{id}/contacts"), gers)
        .await;
    assert_eq!(contacts.status, 200, "{}", contacts.text());
    assert_eq!(
        contacts.json()["side_b"]["contact"]["email"],
        "lucia@conservas-moncayo.example"
    );
    assert_eq!(
        client
            .get_as(&format!("/api/v1/cases/{id}/contacts"), ader)
            .await
            .status,
        404
    );
    let firm_contacts = client
        .get_as(
            &format!("/api/v1/cases/{id}/contacts"),
            b.firm_a_key.expose(),
        )
        .await;
    assert!(matches!(firm_contacts.status, 403 | 404));

    // Onwards: a meeting, a note, then won.
    let meeting = client
        .json(
            "POST",
            &format!("/api/v1/cases/{id}/status"),
            arex,
            &json!({"status": "meeting", "version": introduced["version"]}),
        )
        .await;
    assert_eq!(meeting.status, 200, "{}", meeting.text());
    assert_eq!(case_status(&meeting), "meeting");
    let noted = client
        .json(
            "POST",
            &format!("/api/v1/cases/{id}/notes"),
            gers,
            &json!({"text": "Rendez-vous au salon Alimentaria."}),
        )
        .await;
    assert_eq!(noted.status, 200, "{}", noted.text());
    let last = noted.json()["events"]
        .as_array()
        .unwrap()
        .last()
        .cloned()
        .unwrap();
    assert_eq!(last["kind"], "note");
    assert_eq!(last["text"], "Rendez-vous au salon Alimentaria.");
    let won = client
        .json(
            "POST",
            &format!("/api/v1/cases/{id}/status"),
            gers,
            &json!({"status": "won", "version": noted.json()["version"]}),
        )
        .await;
    assert_eq!(won.status, 200, "{}", won.text());
    assert_eq!(case_status(&won), "won");

    // A joint bid on a tender: one case per member followed by another organisation,
    // side B's firm named from the start. Proposals themselves may not be served yet.
    let tender = world
        .registry()
        .create_opportunity(pyred_proto::v1::CreateOpportunityRequest {
            opportunity: Some(common::tender("consortium-cases-json")),
            draft: false,
        })
        .await
        .unwrap()
        .into_inner();
    let proposals = client
        .get_as(
            &format!("/api/v1/opportunities/{}/consortia", tender.id),
            gers,
        )
        .await;
    assert!(
        matches!(proposals.status, 200 | 501),
        "{}",
        proposals.text()
    );
    let joint = client
        .json(
            "POST",
            &format!("/api/v1/opportunities/{}/consortia/cases", tender.id),
            gers,
            &json!({"company_id": b.firm_a.id, "member_company_ids": [b.firm_b.id], "consortium_id": "cons_gateway_test", "note": "Candidature groupée"}),
        )
        .await;
    assert_eq!(joint.status, 201, "{}", joint.text());
    let joint = joint.json();
    let joint_cases = joint["items"].as_array().unwrap();
    assert_eq!(joint_cases.len(), 1, "{joint}");
    assert_eq!(joint_cases[0]["consortium_id"], "cons_gateway_test");
    assert_eq!(joint_cases[0]["side_b"]["organisation"], "arex");
    assert_eq!(joint_cases[0]["side_b"]["company_id"], b.firm_b.id.as_str());
    assert_eq!(joint_cases[0]["status"], "proposed");
    let foreign_joint = client
        .json(
            "POST",
            &format!("/api/v1/opportunities/{}/consortia/cases", tender.id),
            b.firm_a_key.expose(),
            &json!({"company_id": b.firm_a.id, "member_company_ids": [b.firm_b.id], "consortium_id": "cons_x"}),
        )
        .await;
    assert!(
        matches!(foreign_joint.status, 403 | 404),
        "{}",
        foreign_joint.text()
    );

    // A second case, declined by side B with its reason.
    let second = client
        .json("POST", "/api/v1/cases", gers, &json!({"company_id": b.firm_a.id, "opportunity_id": b.lead.opportunity_id, "to_organisation": "arex"}))
        .await;
    if second.status == 201 {
        let second = second.json();
        let declined = client
            .json(
                "POST",
                &format!("/api/v1/cases/{}/decline", second["id"].as_str().unwrap()),
                arex,
                &json!({"reason": "Sin empresa adecuada en Aragón.", "version": second["version"]}),
            )
            .await;
        assert_eq!(declined.status, 200, "{}", declined.text());
        assert_eq!(case_status(&declined), "declined");
    } else {
        // One open case per lead and organisation: the service may refuse a duplicate.
        assert!(matches!(second.status, 409 | 412), "{}", second.text());
    }
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consortia_for_a_tender_through_the_json_api() {
    let world = World::start().await;
    let client = &world.client;
    let b = world.brokerage().await;
    let gers = b.gers.expose();
    let found = world.tenders_with_proposals(gers).await;
    assert!(!found.is_empty(), "some demo tender gets a joint bid");
    let (tender, body) = &found[0];
    let items = body["items"].as_array().unwrap();
    assert!(items.len() <= 3);
    for consortium in items {
        assert!(
            matches!(consortium["form"].as_str(), Some("ute" | "groupement")),
            "{consortium}"
        );
        assert!(consortium["id"].as_str().unwrap().starts_with("cons_"));
        let members = consortium["members"].as_array().unwrap();
        assert!((2..=4).contains(&members.len()), "{consortium}");
        for member in members {
            assert!((0.0..=1.0).contains(&member["fit"].as_f64().unwrap()));
            assert!(member["covers_cpv"].is_array() && member["covers_requirements"].is_array());
        }
        assert!(consortium["uncovered"].is_array());
    }
    // Opening a proposal's cases: the Gers member leads, the others follow.
    let first = &items[0];
    let members: Vec<String> = first["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["company_id"].as_str().map(str::to_owned))
        .collect();
    let lead = first["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["region"] == "FR-32")
        .and_then(|m| m["company_id"].as_str())
        .map(str::to_owned);
    if let Some(lead) = lead {
        let others: Vec<&String> = members.iter().filter(|m| **m != lead).collect();
        let opened = client
            .json(
                "POST",
                &format!("/api/v1/opportunities/{tender}/consortia/cases"),
                gers,
                &json!({"company_id": lead, "member_company_ids": others, "consortium_id": first["id"]}),
            )
            .await;
        assert_eq!(opened.status, 201, "{}", opened.text());
        for case in opened.json()["items"].as_array().unwrap() {
            assert_eq!(case["consortium_id"], first["id"]);
            assert_eq!(case["side_a"]["company_id"], lead.as_str());
        }
    }
    // A firm may not ask; an unknown tender is not found; a listing that is not a tender
    // is refused.
    let firm = client
        .get_as(
            &format!("/api/v1/opportunities/{tender}/consortia"),
            b.firm_a_key.expose(),
        )
        .await;
    assert!(matches!(firm.status, 403 | 404), "{}", firm.text());
    assert_eq!(
        client
            .get_as("/api/v1/opportunities/no-such-tender/consortia", gers)
            .await
            .status,
        404
    );
    let not_tender = client
        .get_as(
            &format!("/api/v1/opportunities/{}/consortia", b.lead.opportunity_id),
            gers,
        )
        .await;
    assert!(
        matches!(not_tender.status, 400 | 412),
        "{}",
        not_tender.text()
    );
    world.stop().await;
}
