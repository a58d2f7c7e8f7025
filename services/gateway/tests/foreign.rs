//! The JSON API's share of the security fixes: an agency's sync cannot overwrite another
//! agency's listing, and search with `include_not_live=true` never shows an adviser or a
//! firm a draft or a withdrawn listing, in hits, totals or facets.

#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::time::Duration;

use common::World;
use pyred_proto::v1 as pb;
use serde_json::json;

/// All opportunity hits of a JSON search (one page of 100 is enough for the demo set).
fn hit_ids(reply: &serde_json::Value) -> Vec<String> {
    reply["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|hit| hit["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_syncs_and_not_live_search_leak_nothing() {
    let world = World::start().await;
    let client = &world.client;
    let mut admin = world.registry();
    let listings = admin
        .list_opportunities(pb::ListOpportunitiesRequest {
            page: Some(pb::PageRequest {
                page_size: 100,
                page_token: String::new(),
            }),
            status: pb::OpportunityStatus::Published as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .opportunities;
    let arex: Vec<&pb::Opportunity> = listings.iter().filter(|o| o.source == "arex").collect();
    assert!(arex.len() >= 2, "the demo set has arex listings");
    let victim = arex[0].clone();

    // A draft and a withdrawn listing of arex.
    let mut draft = victim.clone();
    draft.id = String::new();
    draft.external_id = "arex-draft-json".into();
    draft.title = "Borrador confidencial de suministro de maquinaria".into();
    let draft = admin
        .create_opportunity(pb::CreateOpportunityRequest {
            opportunity: Some(draft),
            draft: true,
        })
        .await
        .unwrap()
        .into_inner();
    let withdrawn = admin
        .change_opportunity_status(pb::ChangeOpportunityStatusRequest {
            id: arex[1].id.clone(),
            change: pb::StatusChange::Withdraw as i32,
            new_deadline: None,
            expected_version: 0,
        })
        .await
        .unwrap()
        .into_inner();
    let hidden = [draft.id.clone(), withdrawn.id.clone()];

    // Wait until geo-search has both (the admin sees everything).
    let admin_key = world.admin.expose().to_owned();
    let all = "/api/v1/search?entity=opportunity&include_not_live=true&page_size=100&facets=true";
    let admin_reply = pyred_runtime::testing::wait_until(
        "geo-search to index the draft and the withdrawal",
        Duration::from_secs(30),
        || async {
            let reply = client.get_as(all, &admin_key).await;
            assert_eq!(reply.status, 200, "{}", reply.text());
            let reply = reply.json();
            let ids = hit_ids(&reply);
            let withdrawn_indexed = reply["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|hit| hit["id"] == withdrawn.id.as_str() && hit["status"] == "withdrawn");
            (ids.contains(&draft.id) && withdrawn_indexed).then_some(reply)
        },
    )
    .await;
    let admin_total = admin_reply["total"].as_i64().unwrap();

    // An adviser and a firm: neither listing, and counts that do not include them.
    let firm = world.demo_firm("demo-gers-01").await;
    let firm_key = world.key(pb::Role::Firm, &[], &firm.id, "").await;
    let other_agency = world.key(pb::Role::Agency, &[], "", "ader").await;
    for (who, key) in [
        ("adviser", world.adviser.expose().to_owned()),
        ("firm", firm_key.expose().to_owned()),
    ] {
        let reply = client.get_as(all, &key).await;
        assert_eq!(reply.status, 200, "{who}: {}", reply.text());
        let reply = reply.json();
        let ids = hit_ids(&reply);
        assert!(
            hidden.iter().all(|id| !ids.contains(id)),
            "{who} sees a draft or a withdrawn listing: {ids:?}"
        );
        assert_eq!(
            reply["total"].as_i64().unwrap(),
            admin_total - 2,
            "{who}: the total counts exactly the public listings"
        );
        let kinds: i64 = reply["facets"]["kinds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|facet| facet["count"].as_i64().unwrap())
            .sum();
        assert_eq!(
            kinds,
            admin_total - 2,
            "{who}: facets count no hidden listing"
        );
        // Searching for the draft's own words finds nothing of it.
        let reply = client
            .get_as(
                "/api/v1/search?q=borrador%20confidencial&include_not_live=true",
                &key,
            )
            .await
            .json();
        assert!(!hit_ids(&reply).contains(&draft.id), "{who}: {reply}");
    }

    // Another agency syncing arex's external id, over JSON: rejected, arex's listing as it was.
    let mut item = client
        .get_as(&format!("/api/v1/opportunities/{}", victim.id), &admin_key)
        .await
        .json();
    item["source"] = json!("ader");
    item["title"] = json!("Título sustituido por otra agencia");
    item["source_version"] = json!(victim.source_version + 1000);
    let reply = client
        .json(
            "POST",
            "/api/v1/listings/sync",
            other_agency.expose(),
            &json!({
                "source": "ader",
                "upserts": [item],
                "withdrawals": [victim.external_id]
            }),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let results = reply.json()["results"].as_array().unwrap().clone();
    assert_eq!(results.len(), 2, "{results:?}");
    assert!(
        results.iter().all(|item| item["outcome"] == "rejected"),
        "{results:?}"
    );
    let reason = |i: usize| results[i]["violations"][0]["description"].to_string();
    assert!(reason(0).contains("another publisher"), "{results:?}");
    assert!(
        reason(1).contains("no listing of this source"),
        "{results:?}"
    );
    let after = admin
        .get_opportunity(pb::GetOpportunityRequest {
            id: victim.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(after.title, victim.title);
    assert_eq!(after.version, victim.version);
    assert_eq!(after.status, victim.status);
    assert_eq!(after.source, "arex");

    world.stop().await;
}
