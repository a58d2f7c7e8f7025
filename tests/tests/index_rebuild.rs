//! The search index is never backed up: deleted, it is rebuilt from the registry's
//! change feed at the next start, and answers exactly as before.

use std::time::Duration;

use pyred_proto::v1::geo_search_client::GeoSearchClient;
use pyred_proto::v1::{self as pb};

async fn answers(stack: &pyred::stack::RunningStack) -> Vec<Vec<(String, String)>> {
    let mut geo = GeoSearchClient::new(
        stack
            .connector()
            .channel(&stack.addresses.geo_search)
            .expect("url"),
    );
    let mut all = Vec::new();
    for query in [
        "usinage aéronautique",
        "bodega",
        "emballage",
        "logística Zaragoza",
    ] {
        let hits = geo
            .search(pb::SearchRequest {
                query: query.to_owned(),
                page: Some(pb::PageRequest {
                    page_size: 20,
                    page_token: String::new(),
                }),
                ..Default::default()
            })
            .await
            .expect("search")
            .into_inner()
            .hits;
        all.push(
            hits.iter()
                .map(|h| (h.id.clone(), format!("{:.4}", h.score)))
                .collect(),
        );
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_index_is_rebuilt_from_the_registry_with_the_same_answers() {
    let data = tempfile::tempdir().expect("temp dir");
    let stack = pyred::stack::start(pyred_e2e::test_settings(data.path()))
        .await
        .expect("starts");
    stack
        .wait_healthy(Duration::from_secs(30))
        .await
        .expect("healthy");
    pyred::import::load_demo(&stack.connector(), &stack.addresses.registry)
        .await
        .expect("demo loads");
    // Wait until the index holds the whole register.
    let geo = GeoSearchClient::new(
        stack
            .connector()
            .channel(&stack.addresses.geo_search)
            .expect("url"),
    );
    pyred_e2e::wait_until(
        "the index to hold the whole register",
        Duration::from_secs(60),
        || {
            let mut geo = geo.clone();
            async move {
                let status = geo
                    .get_index_status(pb::GetIndexStatusRequest::default())
                    .await
                    .expect("status")
                    .into_inner();
                (status.documents >= 71 && status.applied_seq >= status.registry_seq).then_some(())
            }
        },
    )
    .await;
    let before = answers(&stack).await;
    assert!(before.iter().all(|hits| !hits.is_empty()), "{before:?}");
    stack.stop().await.expect("stops");

    std::fs::remove_dir_all(data.path().join("index")).expect("index deleted");
    let stack = pyred::stack::start(pyred_e2e::test_settings(data.path()))
        .await
        .expect("restarts");
    // Healthy means caught up with the feed: the rebuilt index is complete.
    stack
        .wait_healthy(Duration::from_secs(60))
        .await
        .expect("healthy");
    let after = answers(&stack).await;
    assert_eq!(before, after);
    stack.stop().await.expect("stops");
}
