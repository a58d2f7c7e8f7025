//! A partner's alert inbox through the JSON API: a firm's key reads its own alerts,
//! long-polls for the next one (answered when a matching listing is synced), marks them
//! read and sets its threshold; bad values are refused with the field named.

#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::time::Duration;

use common::World;
use pyred_proto::v1 as pb;
use serde_json::json;

fn fields(reply: &common::http::Reply) -> Vec<String> {
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
async fn a_firm_reads_long_polls_and_marks_its_alerts_through_the_api() {
    let world = World::start().await;
    let client = &world.client;
    let firm = world.demo_firm("demo-gers-01").await;
    let key = world.key(pb::Role::Firm, &[], &firm.id, "").await;
    let key = key.expose().to_owned();
    let agency = world.key(pb::Role::Agency, &[], "", "arex").await;

    // Its own alerts only, once the follower has scored the demo set.
    let mut inbox = json!(null);
    for _ in 0..60 {
        let reply = client.get_as("/api/v1/alerts?page_size=100", &key).await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        let next = reply.json();
        if next["inbox"]["unread_count"].as_i64() > Some(0)
            && next["inbox"]["unread_count"] == inbox["inbox"]["unread_count"]
        {
            inbox = next;
            break;
        }
        inbox = next;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let items = inbox["items"].as_array().unwrap();
    assert!(!items.is_empty(), "{inbox}");
    for item in items {
        assert_eq!(item["match"]["company_id"], firm.id.as_str(), "{item}");
        assert_eq!(item["read"], false);
        assert!(item["seq"].as_i64().unwrap() > 0);
    }
    let last_seq = inbox["inbox"]["last_seq"].as_i64().unwrap();

    // A long-poll from last_seq is answered by the next matching listing.
    let poll_path = format!("/api/v1/alerts?after_seq={last_seq}&wait=25");
    let poll = client.get_as(&poll_path, &key);
    let sync = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        world
            .registry()
            .sync_listings(pb::SyncListingsRequest {
                source: "arex".to_owned(),
                upserts: vec![pb::Opportunity {
                    external_id: "arex-api-alert".to_owned(),
                    kind: pb::OpportunityKind::BusinessRequest as i32,
                    title: "Distribuidor gourmet busca proveedor de foie gras y magret de pato"
                        .to_owned(),
                    description: "Tiendas delicatessen de Zaragoza buscan un fabricante \
                                  francés de foie gras entero, bloc de foie gras y magret."
                        .to_owned(),
                    language: pb::Language::Es as i32,
                    location: Some(pb::Location {
                        place_code: "50297".to_owned(),
                        ..Default::default()
                    }),
                    region: "ES-AR".to_owned(),
                    ..Default::default()
                }],
                ..Default::default()
            })
            .await
            .expect("synced")
    };
    let (polled, _) = tokio::join!(poll, sync);
    assert_eq!(polled.status, 200, "{}", polled.text());
    let polled = polled.json();
    let fresh = polled["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| {
            item["match"]["opportunity_title"]
                .as_str()
                .is_some_and(|title| title.contains("foie gras y magret"))
        })
        .unwrap_or_else(|| panic!("the long-poll returned the new alert: {polled}"))
        .clone();
    assert!(fresh["seq"].as_i64().unwrap() > last_seq);
    assert!(
        polled["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|item| item["seq"].as_i64().unwrap() > last_seq)
    );
    let unread_before = polled["inbox"]["unread_count"].as_i64().unwrap();

    // Mark it read; the inbox says one less.
    let marked = client
        .json(
            "POST",
            "/api/v1/alerts/read",
            &key,
            &json!({"seqs": [fresh["seq"]]}),
        )
        .await;
    assert_eq!(marked.status, 200, "{}", marked.text());
    assert_eq!(
        marked.json()["unread_count"].as_i64().unwrap(),
        unread_before - 1
    );
    let unread_only = client
        .get_as("/api/v1/alerts?unread_only=true&page_size=100", &key)
        .await
        .json();
    assert!(
        unread_only["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|item| item["seq"] != fresh["seq"])
    );

    // The threshold.
    let set = client
        .json(
            "PUT",
            "/api/v1/alerts/settings",
            &key,
            &json!({"min_score": 0.95}),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.text());
    assert_eq!(set.json()["min_score"], 0.95);

    // Refusals name the field; no key is 401, an agency has no inbox.
    let bad = client.get_as("/api/v1/alerts?wait=31", &key).await;
    assert_eq!(bad.status, 400);
    assert_eq!(fields(&bad), ["wait"]);
    let bad = client
        .get_as(
            &format!("/api/v1/alerts?after_seq={}&wait=5", last_seq + 1000),
            &key,
        )
        .await;
    assert_eq!(bad.status, 400, "no alert has that number yet");
    assert_eq!(fields(&bad), ["after_seq"]);
    let bad = client.get_as("/api/v1/alerts?page_size=500", &key).await;
    assert_eq!(bad.status, 400);
    assert_eq!(fields(&bad), ["page_size"]);
    let bad = client
        .json("POST", "/api/v1/alerts/read", &key, &json!({"seqs": [0]}))
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text());
    assert_eq!(fields(&bad), ["seqs[0]"]);
    let bad = client
        .json("POST", "/api/v1/alerts/read", &key, &json!({"seqs": ["x"]}))
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text());
    assert_eq!(fields(&bad), ["seqs[0]"]);
    let bad = client
        .json(
            "PUT",
            "/api/v1/alerts/settings",
            &key,
            &json!({"min_score": 2}),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text());
    assert_eq!(fields(&bad), ["min_score"]);
    assert_eq!(client.get("/api/v1/alerts", &[]).await.status, 401);
    let doc = client.get("/openapi.json", &[]).await.json();
    for (path, method) in [
        ("/api/v1/alerts", "get"),
        ("/api/v1/alerts/read", "post"),
        ("/api/v1/alerts/settings", "put"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{path} documented");
    }
    let refused = client.get_as("/api/v1/alerts", agency.expose()).await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    world.stop().await;
}
