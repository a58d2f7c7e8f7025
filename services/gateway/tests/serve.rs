//! Not a test: `serve_for_schemathesis` (ignored by default) starts the stack with the demo
//! data, the brokerage organisations and the gateway, writes `ready.json` (URL, CA file,
//! a CCI Gers adviser key) into
//! `$PYRED_GATEWAY_DEMO_DIR`, and serves until a `stop` file appears there (or 30 min).
//! `scripts/check-gateway.sh --schemathesis` drives it.

#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::time::Duration;

use common::World;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a server for schemathesis, run by scripts/check-gateway.sh"]
async fn serve_for_schemathesis() {
    let dir = std::path::PathBuf::from(
        std::env::var_os("PYRED_GATEWAY_DEMO_DIR").expect("PYRED_GATEWAY_DEMO_DIR"),
    );
    let world = World::start().await;
    let ca = world.test.data_dir.path().join("tls").join("ca.pem");
    let agency = world
        .key(pyred_proto::v1::Role::Agency, &[], "", "arex")
        .await;
    // The adviser works for an organisation (CCI Gers), so that the brokerage routes
    // answer it rather than refusing a key without one.
    let brokerage = world.brokerage().await;
    let ready = serde_json::json!({
        "agency_key": agency.expose(),
        "url": world.base_url.replace("127.0.0.1", "localhost"),
        "ca": ca,
        "adviser_key": brokerage.gers.expose(),
    });
    std::fs::write(dir.join("ready.json.tmp"), ready.to_string()).unwrap();
    std::fs::rename(dir.join("ready.json.tmp"), dir.join("ready.json")).unwrap();
    eprintln!("serving at {}", world.base_url);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(1800);
    while !dir.join("stop").exists() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    world.stop().await;
}
