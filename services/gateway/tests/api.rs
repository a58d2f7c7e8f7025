//! The JSON partner API against the real services (TLS, keys, the demo dataset): the
//! same roles, the same refusals and the same field-level errors as gRPC.

#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::World;
use pyred_gateway::error::http_status;
use pyred_proto::v1 as pb;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_mirrors_grpc_roles_errors_and_paging() {
    let world = World::start().await;
    let client = &world.client;
    let adviser = world.adviser.expose().to_owned();
    let firm_a = world.demo_firm("demo-gers-01").await;
    let firm_b = world.demo_firm("demo-gers-02").await;
    let key_a = world.key(pb::Role::Firm, &[], &firm_a.id, "").await;
    let agency = world.key(pb::Role::Agency, &[], "", "arex").await;

    // The OpenAPI document.
    let doc = client.get("/openapi.json", &[]).await;
    assert_eq!(doc.status, 200);
    assert_eq!(doc.json()["openapi"], "3.0.3");
    assert!(doc.json()["paths"]["/api/v1/companies/{id}"]["patch"].is_object());

    // No key, or an unknown one: 401, as gRPC's Unauthenticated.
    let none = client.get("/api/v1/companies", &[]).await;
    assert_eq!(none.status, 401);
    assert_eq!(none.json()["error"]["code"], "unauthenticated");
    let bogus = client
        .get_as("/api/v1/companies", "pyred_000000000000_nope")
        .await;
    assert_eq!(bogus.status, 401, "{}", bogus.text());

    // Paging: two disjoint pages in id order.
    let first = client
        .get_as("/api/v1/companies?page_size=5", &adviser)
        .await;
    assert_eq!(first.status, 200, "{}", first.text());
    let first = first.json();
    assert_eq!(first["items"].as_array().unwrap().len(), 5);
    let token = first["next_page_token"].as_str().unwrap();
    assert!(!token.is_empty());
    let second = client
        .get_as(
            &format!("/api/v1/companies?page_size=5&page_token={token}"),
            &adviser,
        )
        .await
        .json();
    let ids = |page: &serde_json::Value| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let (a, b) = (ids(&first), ids(&second));
    assert!(a.iter().all(|id| !b.contains(id)));
    assert!(a.last() < b.first(), "ordered by id across pages");

    // Other tenants' objects: the HTTP status is exactly the gRPC code's.
    let grpc_matches_b = world
        .matchmaking_as(&key_a)
        .list_company_matches(pb::ListCompanyMatchesRequest {
            company_id: firm_b.id.clone(),
            ..Default::default()
        })
        .await
        .expect_err("firm A may not read firm B's leads");
    let http_matches_b = client
        .get_as(
            &format!("/api/v1/companies/{}/matches", firm_b.id),
            key_a.expose(),
        )
        .await;
    assert_eq!(grpc_matches_b.code(), tonic::Code::NotFound);
    assert_eq!(
        http_matches_b.status,
        http_status(grpc_matches_b.code()).0.as_u16()
    );

    let grpc_update_b = world
        .registry_as(&key_a)
        .update_company(pb::UpdateCompanyRequest {
            company: Some(pb::Company {
                id: firm_b.id.clone(),
                offers: "x".into(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["offers".into()],
            }),
            expected_version: 0,
        })
        .await
        .expect_err("firm A may not update firm B");
    let http_update_b = client
        .json(
            "PATCH",
            &format!("/api/v1/companies/{}", firm_b.id),
            key_a.expose(),
            &json!({"offers": "x"}),
        )
        .await;
    assert_eq!(
        http_update_b.status,
        http_status(grpc_update_b.code()).0.as_u16(),
        "{}",
        http_update_b.text()
    );
    assert!(matches!(http_update_b.status, 403 | 404));

    let grpc_agency = world
        .registry_as(&agency)
        .list_companies(pb::ListCompaniesRequest::default())
        .await
        .expect_err("agencies do not list companies");
    let http_agency = client.get_as("/api/v1/companies", agency.expose()).await;
    assert_eq!(grpc_agency.code(), tonic::Code::PermissionDenied);
    assert_eq!(http_agency.status, 403);
    assert_eq!(http_agency.json()["error"]["code"], "permission_denied");

    // Another agency's listing is not found for "arex" (ader's listings are public to
    // advisers, invisible to another agency), exactly as over gRPC.
    let ader_listing = world
        .registry()
        .list_opportunities(pb::ListOpportunitiesRequest {
            source: "ader".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .opportunities
        .remove(0);
    let grpc_other = world
        .registry_as(&agency)
        .get_opportunity(pb::GetOpportunityRequest {
            id: ader_listing.id.clone(),
        })
        .await
        .expect_err("another agency's listing");
    let http_other = client
        .get_as(
            &format!("/api/v1/opportunities/{}", ader_listing.id),
            agency.expose(),
        )
        .await;
    assert_eq!(http_other.status, http_status(grpc_other.code()).0.as_u16());
    let http_own = client
        .get_as(
            "/api/v1/opportunities?source=arex&page_size=3",
            agency.expose(),
        )
        .await;
    assert_eq!(http_own.status, 200, "{}", http_own.text());
    assert_eq!(http_own.json()["items"].as_array().unwrap().len(), 3);

    // The firm reads its own profile and its own leads.
    let own = client
        .get_as(&format!("/api/v1/companies/{}", firm_a.id), key_a.expose())
        .await;
    assert_eq!(own.status, 200);
    assert_eq!(own.json()["name"], firm_a.name.as_str());
    assert_eq!(own.json()["language"], "fr");

    // Field-level errors: the same violations as gRPC, as JSON.
    let bad = json!({"name": "", "employees": -3, "location": {"place_code": "99999"}});
    let http_bad = client
        .json(
            "PATCH",
            &format!("/api/v1/companies/{}", firm_a.id),
            &adviser,
            &bad,
        )
        .await;
    assert_eq!(http_bad.status, 400, "{}", http_bad.text());
    let mut http_fields: Vec<(String, String)> = http_bad.json()["error"]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["field"].as_str().unwrap().to_owned(),
                v["description"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let adviser_key = world.adviser.clone();
    let grpc_bad = world
        .registry_as(&adviser_key)
        .update_company(pb::UpdateCompanyRequest {
            company: Some(pb::Company {
                id: firm_a.id.clone(),
                name: String::new(),
                employees: Some(-3),
                location: Some(pb::Location {
                    place_code: "99999".into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["name".into(), "employees".into(), "location".into()],
            }),
            expected_version: 0,
        })
        .await
        .expect_err("invalid");
    let mut grpc_fields = pyred_runtime::error::violations_of(&grpc_bad);
    http_fields.sort();
    grpc_fields.sort();
    assert_eq!(http_fields, grpc_fields);
    let names: Vec<&str> = http_fields.iter().map(|(f, _)| f.as_str()).collect();
    assert!(
        names.contains(&"company.name") && names.contains(&"company.employees"),
        "{names:?}"
    );

    // Malformed JSON and unknown fields: 400 in the same error shape.
    let malformed = client
        .send(
            "POST",
            "/api/v1/companies",
            &[("authorization", &format!("Bearer {adviser}"))],
            Some(("application/json", b"{".to_vec())),
        )
        .await;
    assert_eq!(malformed.status, 400);
    assert_eq!(malformed.json()["error"]["code"], "invalid_argument");
    let unknown = client
        .json(
            "PATCH",
            &format!("/api/v1/companies/{}", firm_a.id),
            &adviser,
            &json!({"colour": "red"}),
        )
        .await;
    assert_eq!(unknown.status, 400);

    // A stale version: 412, as FailedPrecondition.
    let stale = client
        .json(
            "PATCH",
            &format!("/api/v1/companies/{}?expected_version=999", firm_a.id),
            &adviser,
            &json!({"offers": "Foie gras"}),
        )
        .await;
    assert_eq!(stale.status, 412, "{}", stale.text());

    // A valid update persists (seen through gRPC).
    let updated = client
        .json(
            "PATCH",
            &format!("/api/v1/companies/{}", firm_a.id),
            &adviser,
            &json!({"employees": 31}),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text());
    let stored = world
        .registry()
        .get_company(pb::GetCompanyRequest {
            id: firm_a.id.clone(),
            legal_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stored.employees, Some(31));
    assert_eq!(
        stored.name, firm_a.name,
        "fields absent from the body are untouched"
    );

    // Leads and their workflow: the adviser moves one, the firm may only read.
    let leads = client
        .get_as(
            &format!("/api/v1/companies/{}/matches", firm_a.id),
            &adviser,
        )
        .await;
    assert_eq!(leads.status, 200, "{}", leads.text());
    let lead = leads.json()["items"][0].clone();
    let lead_id = lead["id"].as_str().unwrap().to_owned();
    assert!(lead["reasons"].as_array().is_some_and(|r| !r.is_empty()));
    let moved = client
        .json(
            "POST",
            &format!("/api/v1/matches/{lead_id}/status"),
            &adviser,
            &json!({"status": "shortlisted"}),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.text());
    let seen = world
        .matchmaking()
        .get_match(pb::GetMatchRequest {
            id: lead_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(seen.status, pb::MatchStatus::Shortlisted as i32);
    let by_firm = client
        .json(
            "POST",
            &format!("/api/v1/matches/{lead_id}/status"),
            key_a.expose(),
            &json!({"status": "contacted"}),
        )
        .await;
    assert_eq!(by_firm.status, 403, "{}", by_firm.text());
    let no_reason = client
        .json(
            "POST",
            &format!("/api/v1/matches/{lead_id}/status"),
            &adviser,
            &json!({"status": "dismissed"}),
        )
        .await;
    assert_eq!(
        no_reason.status,
        400,
        "dismissal needs a reason: {}",
        no_reason.text()
    );

    // Search with facets, and a bad radius named as a field.
    let found = client
        .get_as("/api/v1/search?q=foie%20gras&facets=true", &adviser)
        .await;
    assert_eq!(found.status, 200, "{}", found.text());
    assert!(found.json()["total"].as_i64().unwrap() > 0);
    assert!(found.json()["facets"]["regions"].is_array());
    let far = client
        .get_as("/api/v1/search?q=bois&place=Auch&radius_km=5000", &adviser)
        .await;
    assert_eq!(far.status, 400);
    assert!(far.text().contains("radius"), "{}", far.text());
    // Within 6 h of driving from Auch, nearest by road first: every hit carries its
    // time, within the limit and in order, and its crossing when it changes country.
    let travel = client
        .get_as(
            "/api/v1/search?travel_from=Auch&max_minutes=360&sort=travel_time&entity=opportunity&page_size=50",
            &adviser,
        )
        .await;
    assert_eq!(travel.status, 200, "{}", travel.text());
    let body = travel.json();
    let items = body["items"].as_array().unwrap();
    let minutes: Vec<f64> = items
        .iter()
        .map(|i| i["travel_minutes"].as_f64().unwrap())
        .collect();
    assert!(!minutes.is_empty(), "{body}");
    assert!(
        minutes.iter().all(|&m| m > 0.0 && m <= 360.0),
        "{minutes:?}"
    );
    assert!(minutes.windows(2).all(|w| w[0] <= w[1]), "{minutes:?}");
    assert!(
        items
            .iter()
            .any(|i| i["crossing"].as_str().is_some_and(|c| !c.is_empty())),
        "{body}"
    );
    let wider = client
        .get_as(
            "/api/v1/search?travel_from=Auch&max_minutes=720&entity=opportunity",
            &adviser,
        )
        .await
        .json();
    assert!(wider["total"].as_i64().unwrap() >= body["total"].as_i64().unwrap());
    // Bad travel parameters are named as fields.
    for (path, field) in [
        (
            "/api/v1/search?travel_from=Auch&max_minutes=0",
            "travel.max_minutes",
        ),
        (
            "/api/v1/search?travel_from=Auch&max_minutes=721",
            "travel.max_minutes",
        ),
        (
            "/api/v1/search?travel_from=Atlantide&max_minutes=60",
            "travel.place",
        ),
        ("/api/v1/search?travel_from=Auch", "max_minutes"),
        (
            "/api/v1/search?travel_from=Auch&max_minutes=60&place=Auch&radius_km=10",
            "max_minutes",
        ),
        ("/api/v1/search?q=bois&sort=travel_time", "sort"),
    ] {
        let refused = client.get_as(path, &adviser).await;
        assert_eq!(refused.status, 400, "{path}: {}", refused.text());
        assert_eq!(violation_fields(&refused), [field], "{path}");
    }
    let places = client
        .get_as("/api/v1/places?prefix=Auch", &adviser)
        .await
        .json();
    assert_eq!(places["items"][0]["name"], "Auch");

    // Unknown resources answer the API's 404 shape.
    let missing = client.get_as("/api/v1/nothing", &adviser).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["error"]["code"], "not_found");

    world.stop().await;
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenders_travel_through_the_json_api_both_ways() {
    let world = World::start().await;
    let client = &world.client;
    let adviser = world.adviser.expose().to_owned();
    let agency = world.key(pb::Role::Agency, &[], "", "arex").await;
    let agency = agency.expose();
    let published = pyred_gateway::json::date_text(&pyred_gateway::json::today_plus(-1));
    let deadline = pyred_gateway::json::date_text(&pyred_gateway::json::today_plus(60));
    let tender = |external_id: &str| {
        json!({
            "source": "arex", "external_id": external_id, "kind": "tender",
            "title": "Obras de renovación del alumbrado público",
            "description": "Renovación del alumbrado público con luminarias LED en el casco urbano.",
            "language": "es", "location": {"place_code": "50297"}, "region": "ES-AR",
            "published": published, "deadline": deadline,
            "buyer": {"name": "Ayuntamiento de Cariñena", "nif": "P-5007100-C", "dir3": "L01500716"},
            "official_url": "https://contrataciondelestado.es/wps/poc?uri=deeplink:detalle_licitacion&idEvl=x1",
            "procedure": "negotiated_without_publication",
            "tender_stage": "open",
            "contract_type": "works",
            "lots": [
                {"id": "1", "title": "Luminarias del casco antiguo", "cpv": ["34928500"], "budget_eur": 80000.0},
                {"id": "2", "title": "Cuadros de mando", "cpv": ["31682210"]}
            ],
            "location_approximate": true,
            "nuts": "es243"
        })
    };

    // Created through the API: every field comes back in JSON and is stored as such.
    let created = client
        .json(
            "POST",
            "/api/v1/opportunities",
            agency,
            &tender("api-tender-1"),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let body = created.json();
    assert_eq!(body["buyer"]["name"], "Ayuntamiento de Cariñena");
    assert_eq!(
        body["buyer"]["nif"], "P5007100C",
        "the registry's compact form"
    );
    assert_eq!(body["procedure"], "negotiated_without_publication");
    assert_eq!(body["tender_stage"], "open");
    assert_eq!(body["contract_type"], "works");
    assert_eq!(body["lots"][0]["budget_eur"], 80000.0);
    assert!(body["lots"][1].get("budget_eur").is_none());
    assert_eq!(body["nuts"], "ES243");
    assert_eq!(body["location_approximate"], true);
    assert_eq!(body["withdrawal_reason"], "");
    let id = body["id"].as_str().unwrap().to_owned();
    let stored = world
        .registry()
        .get_opportunity(pb::GetOpportunityRequest { id: id.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        stored.procedure,
        pb::ProcedureType::NegotiatedWithoutPublication as i32
    );
    assert_eq!(stored.tender_stage, pb::TenderStage::Open as i32);
    assert_eq!(stored.contract_type, pb::ContractType::Works as i32);
    assert_eq!(stored.lots.len(), 2);
    assert_eq!(stored.lots[0].cpv.len(), 1);
    assert!(stored.location_approximate);
    let read = client
        .get_as(&format!("/api/v1/opportunities/{id}"), &adviser)
        .await;
    assert_eq!(read.status, 200, "{}", read.text());
    assert_eq!(
        read.json()["official_url"],
        "https://contrataciondelestado.es/wps/poc?uri=deeplink:detalle_licitacion&idEvl=x1"
    );

    // A PATCH changes the tender fields it names, and only those.
    let patched = client
        .json(
            "PATCH",
            &format!("/api/v1/opportunities/{id}"),
            agency,
            &json!({"procedure": "restricted", "tender_stage": "evaluation",
                "lots": [{"id": "A", "title": "Lote único", "cpv": ["34928500"]}]}),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    let stored = world
        .registry()
        .get_opportunity(pb::GetOpportunityRequest { id: id.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stored.procedure, pb::ProcedureType::Restricted as i32);
    assert_eq!(stored.tender_stage, pb::TenderStage::Evaluation as i32);
    assert_eq!(
        stored
            .lots
            .iter()
            .map(|l| l.id.as_str())
            .collect::<Vec<_>>(),
        ["A"]
    );
    assert_eq!(
        stored.contract_type,
        pb::ContractType::Works as i32,
        "untouched"
    );
    assert_eq!(
        stored.buyer.as_ref().map(|b| b.name.as_str()),
        Some("Ayuntamiento de Cariñena")
    );
    // null clears an enum.
    let cleared = client
        .json(
            "PATCH",
            &format!("/api/v1/opportunities/{id}"),
            agency,
            &json!({"contract_type": null}),
        )
        .await;
    assert_eq!(cleared.status, 200, "{}", cleared.text());
    assert!(cleared.json().get("contract_type").is_none());
    // The withdrawal reason is output only.
    let reason = client
        .json(
            "PATCH",
            &format!("/api/v1/opportunities/{id}"),
            agency,
            &json!({"withdrawal_reason": "x"}),
        )
        .await;
    assert_eq!(reason.status, 400);
    assert_eq!(violation_fields(&reason), ["body.withdrawal_reason"]);

    // Bad input: 400 naming the field, never a 5xx.
    let bad = |patch: serde_json::Value| {
        let mut body = tender("api-tender-bad");
        for (key, value) in patch.as_object().unwrap() {
            body[key] = value.clone();
        }
        body
    };
    for (patch, field) in [
        (json!({"procedure": "sealed_bids"}), "opportunity.procedure"),
        (json!({"tender_stage": 3}), "opportunity.tender_stage"),
        (
            json!({"contract_type": "WORKS"}),
            "opportunity.contract_type",
        ),
        (json!({"lots": [{"title": "no id"}]}), "opportunity.lots[0]"),
        (
            json!({"lots": [{"id": "1", "colour": "red"}]}),
            "opportunity.lots[0].colour",
        ),
        (
            json!({"buyer": {"name": "x", "vat": "y"}}),
            "opportunity.buyer.vat",
        ),
        (
            json!({"location_approximate": "yes"}),
            "opportunity.location_approximate",
        ),
        (
            json!({"official_url": "javascript:alert(1)"}),
            "opportunity.official_url",
        ),
        (
            json!({"official_url": "https://a b"}),
            "opportunity.official_url",
        ),
        (json!({"nuts": "243"}), "opportunity.nuts"),
        (
            json!({"buyer": {"dir3": "L0150071-6$"}}),
            "opportunity.buyer.dir3",
        ),
        (
            json!({"lots": [{"id": "1", "budget_eur": -5}]}),
            "opportunity.lots[0].budget_eur",
        ),
        (
            json!({"lots": [{"id": "1", "cpv": ["1234"]}]}),
            "opportunity.lots[0].cpv[0]",
        ),
        (
            json!({"lots": [{"id": "1"}, {"id": "1"}]}),
            "opportunity.lots[1].id",
        ),
    ] {
        let reply = client
            .json("POST", "/api/v1/opportunities", agency, &bad(patch.clone()))
            .await;
        assert_eq!(reply.status, 400, "{patch}: {}", reply.text());
        assert!(
            violation_fields(&reply).iter().any(|f| f == field),
            "{patch}: {field} not named in {}",
            reply.text()
        );
    }

    // A sync batch carries them too; the index finds the tender by its buyer, by a lot's
    // title, and under a lot's CPV code.
    let synced = client
        .json(
            "POST",
            "/api/v1/listings/sync",
            agency,
            &json!({"source": "arex", "upserts": [tender("api-tender-2")]}),
        )
        .await;
    assert_eq!(synced.status, 200, "{}", synced.text());
    assert_eq!(
        synced.json()["results"][0]["outcome"],
        "created",
        "{}",
        synced.text()
    );
    let synced_id = synced.json()["results"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bad_sync = client
        .json(
            "POST",
            "/api/v1/listings/sync",
            agency,
            &json!({"source": "arex", "upserts": [bad(json!({"procedure": "sealed"}))]}),
        )
        .await;
    assert_eq!(bad_sync.status, 400, "{}", bad_sync.text());
    // Waits until `path` finds `want` (the index follows the registry within a second).
    let finds = |path: &'static str, want: String| {
        let adviser = adviser.clone();
        async move {
            pyred_runtime::testing::wait_until(
                &format!("{path} to find {want}"),
                std::time::Duration::from_secs(30),
                || async {
                    let reply = client.get_as(path, &adviser).await;
                    assert_eq!(reply.status, 200, "{path}: {}", reply.text());
                    let ids: Vec<String> = reply.json()["items"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter_map(|hit| hit["id"].as_str().map(str::to_owned))
                        .collect();
                    ids.contains(&want).then_some(ids)
                },
            )
            .await
        }
    };
    // The buyer's name finds both tenders; the first one's lots were replaced above, so
    // only the synced one still has the "cuadros de mando" lot and its CPV code.
    let by_buyer = finds(
        "/api/v1/search?q=Ayuntamiento%20de%20Cari%C3%B1ena&entity=opportunity",
        synced_id.clone(),
    )
    .await;
    assert!(
        by_buyer.contains(&id) && by_buyer.contains(&synced_id),
        "{by_buyer:?}"
    );
    // A hit carries the buyer, the official link and the stage, so a results list
    // needs no second call to show them.
    let reply = client
        .get_as(
            "/api/v1/search?q=Ayuntamiento%20de%20Cari%C3%B1ena&entity=opportunity",
            &adviser,
        )
        .await;
    let body = reply.json();
    let hit = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|hit| hit["id"] == synced_id.as_str())
        .cloned()
        .unwrap_or_default();
    assert_eq!(hit["buyer_name"], "Ayuntamiento de Cariñena", "{hit}");
    assert_eq!(hit["tender_stage"], "open", "{hit}");
    assert!(
        hit["official_url"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://contrataciondelestado.es/")),
        "{hit}"
    );
    for path in [
        "/api/v1/search?q=cuadros%20de%20mando&entity=opportunity",
        "/api/v1/search?cpv_prefix=31682210&entity=opportunity",
    ] {
        let ids = finds(path, synced_id.clone()).await;
        assert!(
            ids.contains(&synced_id) && !ids.contains(&id),
            "{path}: {ids:?}"
        );
    }

    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_firms_service_radius_in_hours_round_trips_through_the_json_api() {
    let world = World::start().await;
    let client = &world.client;
    let adviser = world.adviser.expose().to_owned();
    let firm = world.demo_firm("demo-gers-03").await;
    let path = format!("/api/v1/companies/{}", firm.id);

    // The schema states the registry's bounds, and a PATCH may name the field.
    let doc = client.get("/openapi.json", &[]).await.json();
    let schema = &doc["components"]["schemas"]["Company"]["properties"]["service_radius_hours"];
    assert_eq!(schema["type"], "number", "{schema}");
    assert_eq!(schema["exclusiveMinimum"], true);
    assert_eq!(schema["minimum"], 0);
    assert_eq!(schema["maximum"], 24);
    assert!(
        doc["components"]["schemas"]["CompanyPatch"]["properties"]["service_radius_hours"]
            .is_object(),
        "writable by PATCH"
    );

    let patched = client
        .json(
            "PATCH",
            &path,
            &adviser,
            &json!({"service_radius_hours": 3.5}),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    assert_eq!(patched.json()["service_radius_hours"], 3.5);
    let read = client.get_as(&path, &adviser).await;
    assert_eq!(read.json()["service_radius_hours"], 3.5);
    let stored = world
        .registry()
        .get_company(pb::GetCompanyRequest {
            id: firm.id.clone(),
            legal_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stored.service_radius_hours, Some(3.5));
    assert_eq!(
        stored.service_radius_km, firm.service_radius_km,
        "km untouched"
    );
    assert_eq!(stored.offers, firm.offers, "other fields untouched");

    // Out of range: 400 naming the field; the stored value stays.
    let refused = client
        .json(
            "PATCH",
            &path,
            &adviser,
            &json!({"service_radius_hours": 25}),
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.text());
    let fields: Vec<String> = refused.json()["error"]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, ["company.service_radius_hours"]);
    let read = client.get_as(&path, &adviser).await;
    assert_eq!(read.json()["service_radius_hours"], 3.5);

    world.stop().await;
}

/// The `travel` object the API must give for `route`.
fn travel_json(route: &pyred_travel::Route) -> serde_json::Value {
    json!({
        "minutes": route.minutes,
        "km": route.km,
        "crossing": route.crossing.as_ref().map(|c| c.as_str()).unwrap_or_default(),
        "closed_crossing": route.closed_detour.as_ref().map(|(c, _)| c.as_str()).unwrap_or_default(),
        "detour_minutes": route.closed_detour.as_ref().map_or(0.0, |(_, m)| *m),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_s_trip_by_road_and_a_closed_crossing_in_the_json_api() {
    let world = World::start().await;
    let client = &world.client;
    let adviser = world.adviser.expose().to_owned();
    // A Gers maker of stainless vats (Condom) and a winery in Aínsa, just south of the
    // Bielsa tunnel, closed for avalanche risk on 18–19 January 2026
    // (libs/travel/data/crossings.csv).
    let firm = world.demo_firm("demo-gers-10").await;
    let mut ainsa = pyred_e2e::rioja_tender("api-ainsa-1");
    ainsa.title = "Suministro de depósitos de acero inoxidable para bodega".to_owned();
    ainsa.description =
        "Bodega de Aínsa licita depósitos de inox para vinificación y almacenamiento".to_owned();
    ainsa.location = Some(pb::Location {
        place_code: "22907".to_owned(),
        ..Default::default()
    });
    ainsa.region = "ES-AR".to_owned();
    ainsa.source = "arex".to_owned();
    ainsa.published = Some(pb::Date {
        year: 2025,
        month: 12,
        day: 1,
    });
    let listing = world
        .registry()
        .create_opportunity(pb::CreateOpportunityRequest {
            opportunity: Some(ainsa),
            draft: false,
        })
        .await
        .unwrap()
        .into_inner();

    // The lead on a given day: matchmaking scores on `as_of` (the index follows the
    // registry within a second).
    let lead_on = |day: &'static str| {
        let path = format!(
            "/api/v1/companies/{}/matches?as_of={day}&page_size=50",
            firm.id
        );
        let (client, adviser, listing_id) = (client, adviser.clone(), listing.id.clone());
        async move {
            pyred_runtime::testing::wait_until(
                &format!("the Aínsa listing to become a lead on {day}"),
                std::time::Duration::from_secs(30),
                || async {
                    let reply = client.get_as(&path, &adviser).await;
                    assert_eq!(reply.status, 200, "{}", reply.text());
                    reply.json()["items"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|m| m["opportunity_id"] == listing_id.as_str())
                        .cloned()
                },
            )
            .await
        }
    };
    let january = |day: &str| pyred_travel::Day::parse(day).unwrap();
    let open = common::expected_trip(&firm, &listing, january("2026-01-20"));
    let closed = common::expected_trip(&firm, &listing, january("2026-01-18"));
    assert!(open.closed_detour.is_none(), "{open:?}");
    assert_eq!(
        closed.closed_detour.as_ref().map(|(c, _)| c.as_str()),
        Some("bielsa-tunnel"),
        "the model's closure that day: {closed:?}"
    );

    let lead = lead_on("2026-01-20").await;
    assert_eq!(lead["travel"], travel_json(&open), "{lead}");
    assert!(lead["distance_km"].as_f64().unwrap() < open.km, "{lead}");
    let lead = lead_on("2026-01-18").await;
    assert_eq!(lead["travel"], travel_json(&closed), "{lead}");
    assert_eq!(lead["travel"]["closed_crossing"], "bielsa-tunnel");
    assert!(lead["travel"]["detour_minutes"].as_f64().unwrap() > 0.0);
    // One lead, as GET /matches/{id} reads it: the same object.
    let one = client
        .get_as(
            &format!("/api/v1/matches/{}", lead["id"].as_str().unwrap()),
            &adviser,
        )
        .await;
    assert_eq!(one.status, 200, "{}", one.text());
    assert!(one.json()["travel"].is_object(), "{}", one.text());

    // The schema documents it, optional.
    let doc = client.get("/openapi.json", &[]).await.json();
    let schema = &doc["components"]["schemas"]["Match"];
    assert_eq!(schema["properties"]["travel"]["type"], "object");
    assert!(
        !schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "travel")
    );

    world.stop().await;
}
