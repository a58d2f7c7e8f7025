//! Every service's Prometheus endpoint over real HTTP: RPC counts by method and code
//! (refused calls included), readiness, index size, feed lag and pool use.

use std::time::Duration;

use pyred_e2e::spawn_stack;
use pyred_proto::v1::company_registry_client::CompanyRegistryClient;
use pyred_proto::v1::geo_search_client::GeoSearchClient;
use pyred_proto::v1::{self as pb};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

async fn get(url: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) = rest.split_once('/').expect("a path");
    let mut stream = tokio::net::TcpStream::connect(host)
        .await
        .expect("connects");
    stream
        .write_all(
            format!("GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .expect("request sent");
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .await
        .expect("answer read");
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("status line");
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn sample(body: &str, prefix: &str) -> Option<f64> {
    body.lines()
        .find(|line| line.starts_with(prefix))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_service_exposes_rpc_counts_readiness_index_and_feed_metrics() {
    let test = spawn_stack().await;
    let a = &test.stack.addresses;
    pyred::import::load_demo(
        &test.connector().with_timeout(Duration::from_secs(30)),
        &a.registry,
    )
    .await
    .expect("demo loads");
    let mut geo = GeoSearchClient::new(test.channel(&a.geo_search));
    geo.search(pb::SearchRequest {
        query: "usinage".into(),
        ..Default::default()
    })
    .await
    .expect("search answers");
    // A refused call (no key) is counted too.
    let keyless = pyred_runtime::client::Connector::from_settings(
        &pyred_e2e::test_settings(test.data_dir.path()),
        Duration::from_secs(5),
    )
    .expect("tls");
    let refused = CompanyRegistryClient::new(keyless.channel(&a.registry).expect("url"))
        .list_companies(pb::ListCompaniesRequest::default())
        .await;
    assert_eq!(
        refused.expect_err("no key").code(),
        tonic::Code::Unauthenticated
    );

    let urls: std::collections::HashMap<_, _> = test.stack.metrics.iter().cloned().collect();
    let (status, registry) = get(&urls["company-registry"]).await;
    assert_eq!(status, 200);
    assert!(
        registry.contains(r#"pyred_rpc_requests_total{code="UNAUTHENTICATED",method="ListCompanies",service="pyred.v1.CompanyRegistry"} 1"#),
        "{registry}"
    );
    assert!(
        registry.contains(r#"pyred_sync_listings_total{source="arex"}"#),
        "{registry}"
    );
    assert!(registry.contains(r#"pyred_db_pool_max_connections{database="registry"}"#));
    assert_eq!(sample(&registry, "pyred_ready "), Some(1.0));

    // The index holds the demo once the feed is applied; the lag then reads 0.
    let geo_url = &urls["geo-search"];
    let body = pyred_e2e::wait_until(
        "the index to hold the demo with no feed lag",
        Duration::from_secs(30),
        || async {
            let body = get(geo_url).await.1;
            (sample(&body, "pyred_index_documents ").is_some_and(|n| n >= 71.0)
                && sample(&body, r#"pyred_feed_lag_events{consumer="geo-search"}"#) == Some(0.0))
            .then_some(body)
        },
    )
    .await;
    assert!(
        sample(&body, "pyred_index_documents ").is_some_and(|n| n >= 71.0),
        "{body}"
    );
    assert_eq!(
        sample(&body, r#"pyred_feed_lag_events{consumer="geo-search"}"#),
        Some(0.0)
    );
    assert!(
        sample(&body, "pyred_index_last_commit_age_seconds ").is_some(),
        "{body}"
    );
    // Ours, plus matchmaking's candidate searches.
    assert!(
        sample(
            &body,
            r#"pyred_rpc_requests_total{code="OK",method="Search",service="pyred.v1.GeoSearch"}"#
        )
        .is_some_and(|n| n >= 1.0),
        "{body}"
    );
    let (ready, _) = get(&geo_url.replace("/metrics", "/ready")).await;
    assert_eq!(ready, 200);

    let (_, matchmaking) = get(&urls["matchmaking"]).await;
    assert!(
        matchmaking.contains(r#"pyred_feed_lag_events{consumer="matchmaking"}"#),
        "{matchmaking}"
    );
    assert!(matchmaking.contains("process_resident_memory_bytes"));
}
