//! Bad input through the JSON API, table-driven: each malformed company or listing
//! answers 400 naming the JSON path of the value the caller got wrong (with the type
//! expected for a type error), an over-large body 413, and nothing is stored — the
//! registry's change feed does not move.

#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::World;
use pyred_proto::v1 as pb;
use pyred_proto::v1::company_registry_client::CompanyRegistryClient;
use serde_json::{Value, json};

fn company() -> Value {
    json!({
        "name": "Chais de Condom",
        "country": "FR",
        "region": "FR-32",
        "language": "fr",
        "description": "Négociant en armagnac et floc de Gascogne.",
        "offers": "Armagnac, floc",
        "location": {"place_code": "32107"},
        "languages": ["fr", "es"],
        "employees": 12,
        "contact": {"name": "Marie Dupuy", "email": "marie@chais-condom.fr"}
    })
}

fn with(mut base: Value, path: &[&str], value: Value) -> Value {
    let mut slot = &mut base;
    for key in &path[..path.len() - 1] {
        slot = &mut slot[*key];
    }
    slot[path[path.len() - 1]] = value;
    base
}

fn violations(reply: &common::http::Reply) -> Vec<(String, String)> {
    reply.json()["error"]["violations"]
        .as_array()
        .map(|violations| {
            violations
                .iter()
                .map(|v| {
                    (
                        v["field"].as_str().unwrap_or_default().to_owned(),
                        v["description"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_bodies_name_their_path_and_store_nothing() {
    let world = World::start().await;
    let client = &world.client;
    let adviser = world.adviser.expose().to_owned();
    let mut registry =
        CompanyRegistryClient::new(world.test.channel(&world.test.stack.addresses.registry));
    let before = pyred_e2e::registry_last_seq(&mut registry).await;

    // (case, body, field, a word the description must hold)
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "language as a number",
            with(company(), &["language"], json!(0)),
            "company.language",
            "expected",
        ),
        (
            "unknown visibility",
            with(company(), &["visibility"], json!("secret")),
            "company.visibility",
            "unknown variant",
        ),
        (
            "employees as a word",
            with(company(), &["employees"], json!("ten")),
            "company.employees",
            "i32",
        ),
        (
            "employees over i32",
            with(company(), &["employees"], json!(2_147_483_648_i64)),
            "company.employees",
            "i32",
        ),
        (
            "unknown legal id scheme",
            with(
                company(),
                &["legal_id"],
                json!({"scheme": "ssn", "value": "1"}),
            ),
            "company.legal_id.scheme",
            "unknown variant",
        ),
        (
            "unknown contact field",
            with(company(), &["contact", "fax"], json!("05 62")),
            "company.contact.fax",
            "unknown field",
        ),
        (
            "NUL in the e-mail",
            with(
                company(),
                &["contact", "email"],
                json!("marie@chais\u{0}.fr"),
            ),
            "company.contact.email",
            "control",
        ),
        (
            "not a language",
            with(company(), &["languages"], json!(["xx"])),
            "company.languages[0]",
            "ISO 639-1",
        ),
        (
            "unassigned country",
            with(company(), &["country"], json!("XX")),
            "company.country",
            "ISO 3166-1",
        ),
        (
            "unassigned subdivision",
            with(company(), &["region"], json!("FR-99")),
            "company.region",
            "ISO 3166-2",
        ),
        (
            "(0, 0) with a Gers place",
            with(
                company(),
                &["location"],
                json!({"lat": 0.0, "lon": 0.0, "place_code": "32107"}),
            ),
            "company.location.lat",
            "km",
        ),
        (
            "a radius in hours as text",
            with(company(), &["service_radius_hours"], json!("3 h")),
            "company.service_radius_hours",
            "f64",
        ),
        (
            "a radius of more than a day's driving",
            with(company(), &["service_radius_hours"], json!(24.5)),
            "company.service_radius_hours",
            "24 hours",
        ),
        (
            "a radius of no time at all",
            with(company(), &["service_radius_hours"], json!(0)),
            "company.service_radius_hours",
            "more than 0",
        ),
        (
            "a latitude as text",
            with(company(), &["location", "lat"], json!("43.9")),
            "company.location.lat",
            "f64",
        ),
    ];
    for (case, body, field, word) in cases {
        let reply = client
            .json("POST", "/api/v1/companies", &adviser, &body)
            .await;
        assert_eq!(reply.status, 400, "{case}: {}", reply.text());
        assert_eq!(reply.json()["error"]["code"], "invalid_argument", "{case}");
        let found = violations(&reply);
        let (first, description) = found.first().cloned().unwrap_or_default();
        assert_eq!(first, field, "{case}: {found:?}");
        assert!(
            description.contains(word),
            "{case}: {description:?} lacks {word:?}"
        );
    }
    // The base body is valid, so each refusal above was its edit's.
    let created = client
        .json("POST", "/api/v1/companies", &adviser, &company())
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let after_company = pyred_e2e::registry_last_seq(&mut registry).await;
    assert_eq!(
        after_company,
        before + 1,
        "only the valid company was stored"
    );

    // A sync batch: type errors named by their path in the batch.
    let agency = world.key(pb::Role::Agency, &[], "", "arex").await;
    let tender = json!({
        "external_id": "bad-json-1", "kind": "tender",
        "title": "Obras de renovación del alumbrado público",
        "description": "Luminarias LED.", "language": "es",
        "location": {"place_code": "50297"}, "region": "ES-AR",
        "published": "2026-11-20", "deadline": "2030-01-31"
    });
    for (case, upsert, field) in [
        (
            "unknown kind",
            with(tender.clone(), &["kind"], json!("auction")),
            "upserts[0].kind",
        ),
        (
            "budget as text",
            with(tender.clone(), &["budget_eur"], json!("a lot")),
            "upserts[0].budget_eur",
        ),
        (
            "lot id as a number",
            with(tender.clone(), &["lots"], json!([{"id": 1}])),
            "upserts[0].lots[0].id",
        ),
    ] {
        let reply = client
            .json(
                "POST",
                "/api/v1/listings/sync",
                agency.expose(),
                &json!({"source": "arex", "upserts": [upsert]}),
            )
            .await;
        assert_eq!(reply.status, 400, "{case}: {}", reply.text());
        let found = violations(&reply);
        assert_eq!(
            found.first().map(|f| f.0.as_str()),
            Some(field),
            "{case}: {found:?}"
        );
    }
    assert_eq!(
        pyred_e2e::registry_last_seq(&mut registry).await,
        after_company
    );

    // Over the body limit: 413, in the API's error shape; still nothing stored.
    let mut huge = company();
    huge["description"] = json!("x".repeat(20 * 1024 * 1024));
    let reply = client
        .json("POST", "/api/v1/companies", &adviser, &huge)
        .await;
    assert_eq!(
        reply.status,
        413,
        "{}",
        &reply.text()[..reply.text().len().min(300)]
    );
    assert_eq!(reply.json()["error"]["code"], "payload_too_large");
    assert_eq!(
        pyred_e2e::registry_last_seq(&mut registry).await,
        after_company
    );

    // The Bearer scheme is case-insensitive (RFC 9110 §11.1).
    let lower = client
        .send(
            "GET",
            "/api/v1/companies",
            &[("authorization", &format!("bearer {adviser}"))],
            None,
        )
        .await;
    assert_eq!(lower.status, 200, "{}", lower.text());
    let upper = client
        .send(
            "GET",
            "/api/v1/companies",
            &[("authorization", &format!("BEARER {adviser}"))],
            None,
        )
        .await;
    assert_eq!(upper.status, 200, "{}", upper.text());
}
