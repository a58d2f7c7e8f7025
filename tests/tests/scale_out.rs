//! Scale-out on PostgreSQL, as separate processes: two registry replicas on one
//! database, two geo-search replicas each following the feed into its own index, two
//! matchmaking replicas on one database. Clients balance over the replicas. Agencies sync
//! while searches run steadily; one geo-search replica is SIGKILLed mid-run and
//! restarted. No client call may fail, and once caught up both geo-search replicas hold
//! the registry's last sequence number and answer the same query identically.
//!
//! Needs `PYRED_TEST_DATABASE_URL` (CI sets it); skipped with a message otherwise. The
//! service binaries come from the same target directory (`cargo test --workspace`
//! builds them).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use pyred_e2e::wait_until;
use pyred_proto::v1::company_registry_client::CompanyRegistryClient;
use pyred_proto::v1::geo_search_client::GeoSearchClient;
use pyred_proto::v1::matchmaking_client::MatchmakingClient;
use pyred_proto::v1::{self as pb};
use pyred_runtime::client::{Connector, ServiceChannel};

fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} not built: run `cargo build --workspace` (cargo test --workspace builds it)",
        path.display()
    );
    path
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// One replica: its binary, environment and the process while it runs.
struct Replica {
    name: String,
    binary: PathBuf,
    env: Vec<(String, String)>,
    port: u16,
    child: Option<Child>,
}

impl Replica {
    fn start(&mut self) {
        let log = std::fs::File::create(std::env::temp_dir().join(format!(
            "pyred-scale-out-{}-{}.log",
            std::process::id(),
            self.name
        )))
        .expect("log file");
        let child = Command::new(&self.binary)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("replica starts");
        self.child = Some(child);
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _killed = child.kill(); // SIGKILL
            let _reaped = child.wait();
        }
    }

    fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn wait_serving(connector: &Connector, replica: &Replica, service: &str) {
    let channel = connector.channel(&replica.url()).expect("url");
    wait_until(
        &format!("{} to be SERVING", replica.name),
        Duration::from_secs(60),
        || async {
            pyred_runtime::client::is_serving(&channel, service)
                .await
                .ok()
        },
    )
    .await;
}

fn listings(round: usize) -> Vec<(String, Vec<pb::Opportunity>)> {
    let mut by_source: std::collections::BTreeMap<String, Vec<pb::Opportunity>> =
        std::collections::BTreeMap::new();
    for line in pyred::import::DEMO_OPPORTUNITIES.lines() {
        let Ok(mut listing) = pyred::import::parse_opportunity(line) else {
            continue;
        };
        listing.external_id = format!("{}-r{round}", listing.external_id);
        listing.title = format!("{} ({round})", listing.title);
        by_source
            .entry(listing.source.clone())
            .or_default()
            .push(listing);
    }
    by_source.into_iter().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_the_load_survive_a_sigkill_and_agree() {
    let Some(registry_db) = pyred_runtime::db::testing::fresh_postgres("scale_out_registry").await
    else {
        return;
    };
    let Some(matchmaking_db) =
        pyred_runtime::db::testing::fresh_postgres("scale_out_matchmaking").await
    else {
        return;
    };
    let data = tempfile::tempdir().expect("temp dir");
    let data_dir = data.path().display().to_string();
    let (_, admin_key) = pyred_access::keys::generate().expect("randomness");
    let registry_ports = [free_port(), free_port()];
    let geo_ports = [free_port(), free_port()];
    let matchmaking_ports = [free_port(), free_port()];
    let list = |ports: &[u16]| {
        ports
            .iter()
            .map(|p| format!("https://127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let common = vec![
        ("PYRED_DATA_DIR".to_owned(), data_dir.clone()),
        ("PYRED__LOGGING__FORMAT".to_owned(), "json".to_owned()),
        ("PYRED__REGISTRY__URL".to_owned(), list(&registry_ports)),
        ("PYRED__GEO_SEARCH__URL".to_owned(), list(&geo_ports)),
        (
            "PYRED__MATCHMAKING__URL".to_owned(),
            list(&matchmaking_ports),
        ),
        (
            "PYRED__REGISTRY__DATABASE_URL".to_owned(),
            registry_db.expose().to_owned(),
        ),
        (
            "PYRED__MATCHMAKING__DATABASE_URL".to_owned(),
            matchmaking_db.expose().to_owned(),
        ),
        (
            "PYRED__SECURITY__BOOTSTRAP_ADMIN_KEY".to_owned(),
            admin_key.expose().to_owned(),
        ),
        (
            "PYRED__SERVER__SHUTDOWN_GRACE_SECS".to_owned(),
            "2".to_owned(),
        ),
    ];
    let replica = |name: &str, bin: &str, section: &str, port: u16, extra: &[(&str, String)]| {
        let mut env = common.clone();
        env.push((format!("PYRED__{section}__PORT"), port.to_string()));
        env.push((format!("PYRED__{section}__METRICS_PORT"), "0".to_owned()));
        env.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        Replica {
            name: name.to_owned(),
            binary: binary(bin),
            env,
            port,
            child: None,
        }
    };
    let mut registries: Vec<Replica> = registry_ports
        .iter()
        .enumerate()
        .map(|(i, &p)| {
            replica(
                &format!("registry-{i}"),
                "company-registry",
                "REGISTRY",
                p,
                &[],
            )
        })
        .collect();
    let mut geos: Vec<Replica> = geo_ports
        .iter()
        .enumerate()
        .map(|(i, &p)| {
            let index = data.path().join(format!("index-{i}")).display().to_string();
            let audit = format!(
                "sqlite://{}/geo-search-{i}.db?mode=rwc",
                data.path().display()
            );
            replica(
                &format!("geo-search-{i}"),
                "geo-search",
                "GEO_SEARCH",
                p,
                &[
                    ("PYRED__GEO_SEARCH__INDEX_DIR", index),
                    ("PYRED__GEO_SEARCH__DATABASE_URL", audit),
                ],
            )
        })
        .collect();
    let mut matchmakers: Vec<Replica> = matchmaking_ports
        .iter()
        .enumerate()
        .map(|(i, &p)| {
            replica(
                &format!("matchmaking-{i}"),
                "matchmaking",
                "MATCHMAKING",
                p,
                &[],
            )
        })
        .collect();

    // The registry first (it creates the development CA and shared secrets), then the rest.
    registries[0].start();
    let settings = pyred_runtime::Settings::with_data_dir(data.path()).expect("settings");
    // Wait for the CA the first replica creates.
    wait_until(
        "the CA the first replica creates",
        Duration::from_secs(30),
        || async { data.path().join("tls/ca.pem").exists().then_some(()) },
    )
    .await;
    let connector = Connector::from_settings(&settings, Duration::from_secs(10))
        .and_then(|c| c.with_key(&admin_key))
        .expect("connector");
    wait_serving(&connector, &registries[0], "pyred.v1.CompanyRegistry").await;
    registries[1].start();
    for geo in &mut geos {
        geo.start();
    }
    for matchmaker in &mut matchmakers {
        matchmaker.start();
    }
    wait_serving(&connector, &registries[1], "pyred.v1.CompanyRegistry").await;
    for geo in &geos {
        wait_serving(&connector, geo, "pyred.v1.GeoSearch").await;
    }
    for matchmaker in &matchmakers {
        wait_serving(&connector, matchmaker, "pyred.v1.Matchmaking").await;
    }

    let registry: ServiceChannel = connector.channel(&list(&registry_ports)).expect("url");
    let geo_balanced: ServiceChannel = connector.channel(&list(&geo_ports)).expect("url");
    let stop = Arc::new(AtomicBool::new(false));
    let searches = Arc::new(AtomicU64::new(0));
    let failed_searches = Arc::new(AtomicU64::new(0));

    // Steady query load over both geo-search replicas.
    let load = {
        let (stop, searches, failed) = (stop.clone(), searches.clone(), failed_searches.clone());
        let mut geo = GeoSearchClient::new(geo_balanced.clone());
        tokio::spawn(async move {
            let queries = [
                "usinage",
                "bodega",
                "logística",
                "acero inoxidable",
                "emballage",
            ];
            let mut i = 0;
            while !stop.load(Ordering::Acquire) {
                let mut request = tonic::Request::new(pb::SearchRequest {
                    query: queries[i % queries.len()].to_owned(),
                    ..Default::default()
                });
                request.set_timeout(Duration::from_secs(5));
                match geo.search(request).await {
                    Ok(_) => {}
                    Err(status) => {
                        eprintln!("search failed: {status:?}");
                        failed.fetch_add(1, Ordering::AcqRel);
                    }
                }
                searches.fetch_add(1, Ordering::AcqRel);
                i += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };

    // Agencies sync in rounds through both registry replicas; one geo-search replica is
    // SIGKILLed after the second round and restarted after the fourth.
    let mut client = CompanyRegistryClient::new(registry.clone());
    let mut last_seq = 0;
    let mut synced = 0;
    for round in 0..6 {
        for (source, batch) in listings(round) {
            let response = client
                .sync_listings(pb::SyncListingsRequest {
                    source,
                    upserts: batch,
                    withdrawals: vec![],
                    ..Default::default()
                })
                .await
                .expect("a sync never fails")
                .into_inner();
            assert!(
                response
                    .results
                    .iter()
                    .all(|r| r.outcome != pb::SyncOutcome::Rejected as i32),
                "{response:?}"
            );
            synced += response.results.len();
            last_seq = last_seq.max(response.last_seq);
        }
        if round == 1 {
            geos[0].kill();
        }
        if round == 3 {
            geos[0].start();
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // Let the load run on while the restarted replica catches up.
    wait_serving(&connector, &geos[0], "pyred.v1.GeoSearch").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Release);
    load.await.expect("load task");
    let total = searches.load(Ordering::Acquire);
    eprintln!(
        "scale-out: {total} searches, {synced} listings synced, one geo-search replica SIGKILLed and restarted"
    );
    assert!(total > 20, "the load ran: {total} searches");
    assert_eq!(
        failed_searches.load(Ordering::Acquire),
        0,
        "of {total} searches"
    );
    assert_eq!(synced, 6 * 50);

    // Both replicas reach the registry's last sequence number and agree.
    let mut answers = Vec::new();
    for geo in &geos {
        let mut one = GeoSearchClient::new(connector.channel(&geo.url()).expect("url"));
        wait_until(
            &format!("{} to apply seq {last_seq}", geo.name),
            Duration::from_secs(60),
            || {
                let mut one = one.clone();
                async move {
                    let status = one
                        .get_index_status(pb::GetIndexStatusRequest::default())
                        .await
                        .expect("status")
                        .into_inner();
                    (status.applied_seq >= last_seq).then_some(())
                }
            },
        )
        .await;
        let hits = one
            .search(pb::SearchRequest {
                query: "bodega depósitos".into(),
                page: Some(pb::PageRequest {
                    page_size: 50,
                    page_token: String::new(),
                }),
                ..Default::default()
            })
            .await
            .expect("search")
            .into_inner()
            .hits;
        answers.push(
            hits.iter()
                .map(|h| (h.id.clone(), format!("{:.4}", h.score)))
                .collect::<Vec<_>>(),
        );
    }
    assert!(!answers[0].is_empty());
    assert_eq!(answers[0], answers[1], "both replicas answer alike");

    // Matchmaking answers through either replica (one follows the feed, one stands by).
    let mut matchmaking =
        MatchmakingClient::new(connector.channel(&list(&matchmaking_ports)).expect("url"));
    let companies = CompanyRegistryClient::new(registry)
        .list_companies(pb::ListCompaniesRequest::default())
        .await
        .expect("companies")
        .into_inner();
    assert!(
        companies.companies.is_empty(),
        "no firm was loaded in this test"
    );
    let missing = matchmaking
        .list_company_matches(pb::ListCompanyMatchesRequest {
            company_id: "no-such-firm".into(),
            ..Default::default()
        })
        .await
        .expect_err("unknown firm");
    assert_eq!(missing.code(), tonic::Code::NotFound);
    drop(registries);
    drop(matchmakers);
}
