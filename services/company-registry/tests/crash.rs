//! Crash safety: a real `company-registry` process is SIGKILLed in the middle of a long
//! sync, restarted on the same data, and sent the whole sync again. Every listing must
//! then exist exactly once at its latest version, and the change feed must be gap-free.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use pyred_proto::v1::company_registry_client::CompanyRegistryClient;
use pyred_proto::v1::{self as pb};
use pyred_runtime::client::{ServiceChannel, connect_lazy};
use tokio_stream::StreamExt as _;

const BINARY: &str = env!("CARGO_BIN_EXE_company-registry");
const BATCHES: usize = 20;
const PER_BATCH: usize = 500;

/// Starts the registry on a free port; returns the child and its address.
fn start_registry(data_dir: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(BINARY)
        .env("PYRED_DATA_DIR", data_dir)
        .env("PYRED__REGISTRY__PORT", "0")
        .env("PYRED__REGISTRY__METRICS_PORT", "0")
        // Crash recovery, not access control, is under test: plaintext, no keys.
        .env("PYRED__TLS__ENABLED", "false")
        .env("PYRED__SECURITY__AUTHENTICATION", "false")
        .env("PYRED__LOGGING__FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("registry starts");
    let stderr = child.stderr.take().expect("stderr piped");
    let mut lines = BufReader::new(stderr).lines();
    let address = loop {
        let line = lines
            .next()
            .expect("the registry logs before exiting")
            .expect("readable log");
        if line.contains("company-registry listening") {
            let start = line.find("\"address\":\"").expect("address field") + 11;
            let end = line[start..].find('"').expect("address end") + start;
            break format!("http://{}", &line[start..end]);
        }
    };
    // Keep draining the log so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, address)
}

fn listing(batch: usize, item: usize, version: i64) -> pb::Opportunity {
    pb::Opportunity {
        external_id: format!("arex-{batch:02}-{item:03}"),
        kind: pb::OpportunityKind::BusinessRequest as i32,
        title: format!("Busca proveedor de embalaje {batch}-{item}"),
        description: format!(
            "Industria agroalimentaria de Huesca busca envases, versión {version}"
        ),
        language: pb::Language::Es as i32,
        location: Some(pb::Location {
            place_code: "22125".to_owned(),
            ..Default::default()
        }),
        region: "ES-AR".to_owned(),
        published: Some(pb::Date {
            year: 2026,
            month: 10,
            day: 1,
        }),
        source_version: version,
        ..Default::default()
    }
}

fn batch(index: usize, version: i64) -> pb::SyncListingsRequest {
    pb::SyncListingsRequest {
        source: "arex".to_owned(),
        upserts: (0..PER_BATCH).map(|i| listing(index, i, version)).collect(),
        withdrawals: vec![],
        ..Default::default()
    }
}

async fn client(address: &str) -> CompanyRegistryClient<ServiceChannel> {
    let channel = connect_lazy(address, Duration::from_secs(60)).expect("valid address");
    CompanyRegistryClient::new(channel)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_killed_midway_and_replayed_leaves_every_listing_once_and_a_gap_free_feed() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let (mut child, address) = start_registry(data_dir.path());
    let mut registry = client(&address).await;

    // Send the first half acknowledged, then kill the process during the next batch.
    let mut acknowledged = 0;
    for index in 0..BATCHES / 2 {
        registry
            .sync_listings(batch(index, 1))
            .await
            .expect("acknowledged batch");
        acknowledged += PER_BATCH;
    }
    let mut in_flight = registry.clone();
    let doomed = tokio::spawn(async move { in_flight.sync_listings(batch(BATCHES / 2, 1)).await });
    // The pause aims the kill at the middle of the batch; nothing assumes it landed
    // there: a batch acknowledged before the kill counts among the writes that must
    // survive, one not acknowledged may or may not have been written.
    tokio::time::sleep(Duration::from_millis(40)).await;
    child.kill().expect("SIGKILL"); // std's kill is SIGKILL on Unix
    child.wait().expect("reaped");
    if doomed.await.expect("task").is_ok() {
        acknowledged += PER_BATCH;
    }

    // Restart on the same data and replay everything, as an agency would, at version 2.
    let (mut child, address) = start_registry(data_dir.path());
    let mut registry = client(&address).await;
    let mut outcomes: HashMap<i32, usize> = HashMap::new();
    for index in 0..BATCHES {
        let response = registry
            .sync_listings(batch(index, 2))
            .await
            .expect("replayed batch")
            .into_inner();
        for result in response.results {
            *outcomes.entry(result.outcome).or_default() += 1;
        }
    }
    let updated = outcomes
        .get(&(pb::SyncOutcome::Updated as i32))
        .copied()
        .unwrap_or_default();
    let created = outcomes
        .get(&(pb::SyncOutcome::Created as i32))
        .copied()
        .unwrap_or_default();
    assert_eq!(updated + created, BATCHES * PER_BATCH, "{outcomes:?}");
    assert!(
        updated >= acknowledged,
        "every acknowledged listing survived the kill"
    );

    // Every listing exactly once, at version 2.
    let mut listed: HashMap<String, pb::Opportunity> = HashMap::new();
    let mut token = String::new();
    loop {
        let page = registry
            .list_opportunities(pb::ListOpportunitiesRequest {
                page: Some(pb::PageRequest {
                    page_size: 100,
                    page_token: token.clone(),
                }),
                ..Default::default()
            })
            .await
            .expect("list")
            .into_inner();
        for opportunity in page.opportunities {
            assert!(
                listed.insert(opportunity.id.clone(), opportunity).is_none(),
                "listed twice"
            );
        }
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(listed.len(), BATCHES * PER_BATCH);
    assert!(
        listed
            .values()
            .all(|o| o.source_version == 2 && o.description.ends_with("versión 2"))
    );

    // The feed: consecutive sequence numbers, and each listing's last change carries
    // the version that is stored.
    let changes: Vec<pb::Change> = registry
        .watch_changes(pb::WatchChangesRequest {
            since_seq: 0,
            follow: false,
        })
        .await
        .expect("feed")
        .into_inner()
        .map(|change| change.expect("no error"))
        .collect()
        .await;
    let seqs: Vec<i64> = changes.iter().map(|c| c.seq).collect();
    let expected: Vec<i64> = (1..=i64::try_from(changes.len()).expect("fits")).collect();
    assert_eq!(seqs, expected, "gap-free and ordered");
    let mut last_version: HashMap<&str, i64> = HashMap::new();
    for change in &changes {
        last_version.insert(change.id.as_str(), change.version);
    }
    assert_eq!(last_version.len(), BATCHES * PER_BATCH);
    for (id, opportunity) in &listed {
        assert_eq!(
            last_version.get(id.as_str()),
            Some(&opportunity.version),
            "{id}"
        );
    }
    child.kill().expect("stop");
    child.wait().expect("reaped");
}
