//! A real `geo-search` process, SIGKILLed while the registry (in this process) keeps
//! writing, then restarted on the same index: it resumes from the sequence number of its
//! last commit and ends up holding exactly the registry's records — the live ones found
//! by default, the others on request, none twice.

use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pyred_proto::v1::company_registry_client::CompanyRegistryClient;
use pyred_proto::v1::geo_search_client::GeoSearchClient;
use pyred_proto::v1::{self as pb};
use pyred_runtime::Settings;
use pyred_runtime::client::{self, ServiceChannel};
use tokio_util::sync::CancellationToken;

const BINARY: &str = env!("CARGO_BIN_EXE_geo-search");

/// A `geo-search` process and the address it listens on.
struct Process {
    child: Child,
    url: String,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _killed = self.child.kill();
        let _reaped = self.child.wait();
    }
}

/// Starts the binary on `data_dir`, following `registry`, and reads its address from
/// its first log lines (JSON logs on stderr).
fn start(data_dir: &std::path::Path, registry: &str) -> Process {
    let mut child = Command::new(BINARY)
        .env("PYRED_DATA_DIR", data_dir)
        .env("PYRED__REGISTRY__URL", registry)
        .env("PYRED__GEO_SEARCH__PORT", "0")
        .env("PYRED__GEO_SEARCH__METRICS_PORT", "0")
        // Crash recovery, not access control, is under test: plaintext, no keys.
        .env("PYRED__TLS__ENABLED", "false")
        .env("PYRED__SECURITY__AUTHENTICATION", "false")
        .env("PYRED__LOGGING__FORMAT", "json")
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("geo-search starts");
    let stderr = child.stderr.take().expect("piped stderr");
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if !sent
                && line.contains("geo-search listening")
                && let Some(rest) = line.split("\"address\":\"").nth(1)
                && let Some(address) = rest.split('"').next()
            {
                let _ = sender.send(format!("http://{address}"));
                sent = true;
            }
        }
    });
    let url = receiver
        .recv_timeout(Duration::from_secs(60))
        .expect("geo-search logs its address");
    Process { child, url }
}

fn listing(external_id: &str, n: usize) -> pb::Opportunity {
    let places = [("26089", "ES-RI"), ("50297", "ES-AR"), ("22125", "ES-AR")];
    let (code, region) = places[n % places.len()];
    pb::Opportunity {
        external_id: external_id.to_owned(),
        kind: pb::OpportunityKind::BusinessRequest as i32,
        title: format!("Bodega {n} busca depósitos de acero inoxidable"),
        description: format!(
            "Bodega número {n} busca proveedor de depósitos de inox para vinificación y crianza"
        ),
        language: pb::Language::Es as i32,
        location: Some(pb::Location {
            place_code: code.to_owned(),
            ..Default::default()
        }),
        region: region.to_owned(),
        published: Some(pb::Date {
            year: 2026,
            month: 11,
            day: 20,
        }),
        deadline: Some(pb::Date {
            year: 2099,
            month: 1,
            day: 31,
        }),
        source_version: 1,
        ..Default::default()
    }
}

fn company(n: usize) -> pb::Company {
    pb::Company {
        external_id: format!("gers-{n:04}"),
        name: format!("Chais {n}"),
        country: "FR".to_owned(),
        language: pb::Language::Fr as i32,
        description: format!("Chai numéro {n}, vins de Gascogne et armagnac"),
        location: Some(pb::Location {
            place_code: "32107".to_owned(),
            ..Default::default()
        }),
        region: "FR-32".to_owned(),
        ..Default::default()
    }
}

async fn status(geo: &mut GeoSearchClient<ServiceChannel>) -> Option<pb::IndexStatus> {
    geo.get_index_status(pb::GetIndexStatusRequest {})
        .await
        .ok()
        .map(tonic::Response::into_inner)
}

async fn last_seq(registry: &mut CompanyRegistryClient<ServiceChannel>) -> i64 {
    let mut stream = registry
        .watch_changes(pb::WatchChangesRequest {
            since_seq: 0,
            follow: false,
        })
        .await
        .expect("feed")
        .into_inner();
    let mut last = 0;
    while let Some(change) = stream.message().await.expect("feed item") {
        last = change.seq;
    }
    last
}

/// Every id a search returns, following page tokens.
async fn all_ids(geo: &mut GeoSearchClient<ServiceChannel>, include_not_live: bool) -> Vec<String> {
    let mut ids = Vec::new();
    let mut token = String::new();
    loop {
        let response = geo
            .search(pb::SearchRequest {
                filters: Some(pb::SearchFilters {
                    include_not_live,
                    ..Default::default()
                }),
                page: Some(pb::PageRequest {
                    page_size: 100,
                    page_token: token,
                }),
                skip_snippets: true,
                ..Default::default()
            })
            .await
            .expect("search")
            .into_inner();
        ids.extend(response.hits.into_iter().map(|h| h.id));
        if response.next_page_token.is_empty() {
            return ids;
        }
        token = response.next_page_token;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_sigkill_the_index_resumes_to_exactly_the_registry_state() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings::with_data_dir(dir.path()).expect("settings");
    settings.registry.port = 0;
    settings.registry.metrics_port = 0;
    settings.tls.enabled = false;
    settings.security.authentication = false;
    let registry_service = pyred_registry::Registry::build(&settings)
        .await
        .expect("registry builds");
    let registry_url = format!("http://{}", registry_service.local_addr());
    let stop = CancellationToken::new();
    let serving = tokio::spawn(registry_service.run_until_stopped(stop.clone()));
    let channel = |url: &str| client::connect_lazy(url, Duration::from_secs(10)).expect("url");
    let mut registry = CompanyRegistryClient::new(channel(&registry_url));

    let first = start(dir.path(), &registry_url);
    let mut geo = GeoSearchClient::new(channel(&first.url));

    // Writes keep coming in batches while geo-search follows them.
    let writer = {
        let mut registry = registry.clone();
        tokio::spawn(async move {
            for batch in 0..24 {
                let upserts = (0..50)
                    .map(|i| {
                        let n = batch * 50 + i;
                        listing(&format!("ader-{n:05}"), n)
                    })
                    .collect();
                let withdrawals = if batch > 0 {
                    vec![format!("ader-{:05}", batch * 50 - 7)]
                } else {
                    Vec::new()
                };
                let response = registry
                    .sync_listings(pb::SyncListingsRequest {
                        source: "ader".to_owned(),
                        upserts,
                        withdrawals,
                        ..Default::default()
                    })
                    .await
                    .expect("sync")
                    .into_inner();
                assert!(
                    response
                        .results
                        .iter()
                        .all(|r| r.outcome != pb::SyncOutcome::Rejected as i32),
                    "{response:?}"
                );
                let imported = registry
                    .import_companies(pb::ImportCompaniesRequest {
                        source: "cci-gers".to_owned(),
                        companies: vec![company(batch)],
                    })
                    .await
                    .expect("import")
                    .into_inner();
                assert!(
                    imported
                        .results
                        .iter()
                        .all(|r| r.outcome != pb::SyncOutcome::Rejected as i32),
                    "{imported:?}"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };

    // Kill it once it has committed part of the stream, in the middle of the writes.
    let deadline = Instant::now() + Duration::from_secs(60);
    let applied_at_kill = loop {
        if let Some(status) = status(&mut geo).await
            && status.applied_seq >= 300
        {
            break status.applied_seq;
        }
        assert!(
            Instant::now() < deadline,
            "geo-search never caught up to seq 300"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let mut first = first;
    first.child.kill().expect("SIGKILL");
    first.child.wait().expect("reaped");
    drop(first);

    writer.await.expect("writes done");
    // More changes while geo-search is down: a deletion and an update.
    let companies = registry
        .list_companies(pb::ListCompaniesRequest {
            page: Some(pb::PageRequest {
                page_size: 100,
                page_token: String::new(),
            }),
            ..Default::default()
        })
        .await
        .expect("companies")
        .into_inner()
        .companies;
    let deleted = companies[0].id.clone();
    registry
        .delete_company(pb::DeleteCompanyRequest {
            id: deleted.clone(),
            expected_version: 0,
        })
        .await
        .expect("deleted");
    let final_seq = last_seq(&mut registry).await;
    assert!(
        final_seq > applied_at_kill + 100,
        "{final_seq} vs {applied_at_kill}: the kill happened mid-stream"
    );

    let second = start(dir.path(), &registry_url);
    let mut geo = GeoSearchClient::new(channel(&second.url));
    let caught_up = pyred_runtime::testing::wait_until(
        &format!("the restarted index to catch up with seq {final_seq}"),
        Duration::from_secs(120),
        || {
            let mut geo = geo.clone();
            async move {
                status(&mut geo)
                    .await
                    .filter(|status| status.applied_seq == final_seq)
            }
        },
    )
    .await;

    // Exactly the registry's records: every listing and company once.
    let mut expected_all = BTreeSet::new();
    let mut expected_live = BTreeSet::new();
    let mut token = String::new();
    loop {
        let page = registry
            .list_opportunities(pb::ListOpportunitiesRequest {
                page: Some(pb::PageRequest {
                    page_size: 100,
                    page_token: token,
                }),
                ..Default::default()
            })
            .await
            .expect("listed")
            .into_inner();
        for o in page.opportunities {
            if o.status == pb::OpportunityStatus::Published as i32 {
                expected_live.insert(o.id.clone());
            }
            expected_all.insert(o.id);
        }
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let remaining_companies: BTreeSet<String> = companies
        .into_iter()
        .map(|c| c.id)
        .filter(|id| *id != deleted)
        .collect();
    expected_all.extend(remaining_companies.iter().cloned());
    expected_live.extend(remaining_companies);
    assert_eq!(expected_all.len(), 24 * 50 + 23);
    assert_eq!(expected_live.len(), 24 * 50 - 23 + 23);
    assert_eq!(
        caught_up.documents,
        expected_all.len() as i64,
        "no record twice, none missing"
    );

    let live = all_ids(&mut geo, false).await;
    assert_eq!(live.len(), expected_live.len(), "no duplicate hits");
    assert_eq!(live.into_iter().collect::<BTreeSet<_>>(), expected_live);
    let all = all_ids(&mut geo, true).await;
    assert_eq!(all.into_iter().collect::<BTreeSet<_>>(), expected_all);

    drop(second);
    stop.cancel();
    serving
        .await
        .expect("registry task")
        .expect("registry stops");
}
