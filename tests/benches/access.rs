//! Cost of access control on a call: `cargo bench -p pyred-e2e --bench access`.
//!
//! Starts two in-process stacks on loopback — one as shipped (TLS, API keys, rate limits,
//! introspection cached for 500 ms), one with `tls.enabled = false` and
//! `security.authentication = false` — and times the cheapest geo-search call
//! (`SuggestPlaces`) on each: sequentially, and with 8 concurrent clients, for
//! `PYRED_BENCH_SECS` seconds each (default 5). Also times the first call of a new key
//! (a cache miss: introspection at the registry).

use std::time::{Duration, Instant};

use pyred_metrics::percentile;
use pyred_proto::v1::access_client::AccessClient;
use pyred_proto::v1::geo_search_client::GeoSearchClient;
use pyred_proto::v1::{self as pb};
use pyred_runtime::Secret;

async fn run(label: &str, secure: bool, seconds: u64) {
    let data = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut settings = pyred_e2e::test_settings(data.path());
    settings.tls.enabled = secure;
    settings.security.authentication = secure;
    settings.security.rate_limit_per_second = 1e9;
    settings.security.rate_limit_burst = u32::MAX;
    let stack = pyred::stack::start(settings)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    stack
        .wait_healthy(Duration::from_secs(30))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let channel = stack
        .connector()
        .channel(&stack.addresses.geo_search)
        .unwrap_or_else(|e| panic!("{e}"));
    let request = || pb::SuggestPlacesRequest {
        prefix: "Zarag".into(),
        limit: 5,
    };
    // Warm up (connection, TLS handshake, key cache).
    let mut geo = GeoSearchClient::new(channel.clone());
    for _ in 0..200 {
        geo.suggest_places(request())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    for clients in [1_usize, 8] {
        let until = Instant::now() + Duration::from_secs(seconds);
        let mut tasks = Vec::new();
        for _ in 0..clients {
            let mut geo = GeoSearchClient::new(channel.clone());
            tasks.push(tokio::spawn(async move {
                let mut times = Vec::new();
                while Instant::now() < until {
                    let started = Instant::now();
                    geo.suggest_places(request())
                        .await
                        .unwrap_or_else(|e| panic!("{e}"));
                    times.push(started.elapsed());
                }
                times
            }));
        }
        let mut times = Vec::new();
        for task in tasks {
            times.extend(task.await.unwrap_or_else(|e| panic!("{e}")));
        }
        times.sort();
        println!(
            "{label:<28} {clients:>2} clients: p50 {:>7.3} ms  p99 {:>7.3} ms  {:>7.0} calls/s",
            percentile(&times, 50.0).as_secs_f64() * 1e3,
            percentile(&times, 99.0).as_secs_f64() * 1e3,
            times.len() as f64 / seconds as f64
        );
    }
    if secure {
        // First calls of fresh keys: introspection at the registry, then cached.
        let mut access = AccessClient::new(
            stack
                .connector()
                .channel(&stack.addresses.registry)
                .unwrap_or_else(|e| panic!("{e}")),
        );
        let mut cold = Vec::new();
        for _ in 0..50 {
            let key = access
                .create_key(pb::CreateKeyRequest {
                    role: pb::Role::Adviser as i32,
                    territory: vec!["FR-32".into()],
                    ..Default::default()
                })
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .into_inner()
                .secret;
            let channel = stack
                .connector()
                .with_key(&Secret::new(key))
                .and_then(|c| c.channel(&stack.addresses.geo_search))
                .unwrap_or_else(|e| panic!("{e}"));
            let mut geo = GeoSearchClient::new(channel);
            geo.suggest_places(request())
                .await
                .unwrap_or_else(|e| panic!("{e}")); // connection + handshake
            tokio::time::sleep(Duration::from_millis(600)).await; // let the cache entry expire
            let started = Instant::now();
            geo.suggest_places(request())
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            cold.push(started.elapsed());
        }
        cold.sort();
        println!(
            "{label:<28} key not cached: p50 {:>7.3} ms  p99 {:>7.3} ms (introspection at the registry)",
            percentile(&cold, 50.0).as_secs_f64() * 1e3,
            percentile(&cold, 99.0).as_secs_f64() * 1e3
        );
    }
    stack.stop().await.unwrap_or_else(|e| panic!("{e}"));
}

fn main() {
    let seconds = std::env::var("PYRED_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    println!("access control cost, SuggestPlaces over loopback, {cores} cores");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    runtime.block_on(async {
        run("plaintext, no keys", false, seconds).await;
        run("TLS + API key (as shipped)", true, seconds).await;
    });
}
