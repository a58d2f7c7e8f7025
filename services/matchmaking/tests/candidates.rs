//! Candidate generation through geo-search, forced on a small register: a real
//! company-registry and geo-search started in this process (fresh SQLite, fresh
//! tantivy index, loopback gRPC), the demo set plus synthetic listings loaded through
//! `ImportCompanies` and `SyncListings`, and [`Leads`] with `exhaustive_max = 0`.
//!
//! The ignored test `latency` measures `score_company` (what `ListCompanyMatches`
//! runs) on both paths at a larger size:
//! `PYRED_BENCH_LISTINGS=20000 cargo test --release -p pyred-matchmaking --test candidates -- --ignored --nocapture`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use pyred_domain::Day;
use pyred_matchmaking::candidates::CandidateSettings;
use pyred_matchmaking::leads::Leads;
use pyred_matchmaking::store::Store;
use pyred_metrics::percentile;
use pyred_proto::service_names::{COMPANY_REGISTRY, GEO_SEARCH};
use pyred_proto::v1::company_registry_client::CompanyRegistryClient;
use pyred_proto::v1::geo_search_client::GeoSearchClient;
use pyred_proto::v1::{self as pb};
use pyred_runtime::Settings;
use pyred_runtime::client::{self, ServiceChannel};
use pyred_runtime::testing::wait_until;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../pyred/demo");

/// Registry and geo-search serving in this process.
struct Services {
    registry: ServiceChannel,
    geo_search: ServiceChannel,
    shutdown: CancellationToken,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    data: tempfile::TempDir,
}

impl Services {
    async fn start() -> Self {
        let data = tempfile::tempdir().expect("temp dir");
        let mut settings = Settings::with_data_dir(data.path()).expect("settings");
        settings.registry.port = 0;
        settings.geo_search.port = 0;
        settings.matchmaking.port = 0;
        settings.registry.metrics_port = 0;
        settings.geo_search.metrics_port = 0;
        settings.matchmaking.metrics_port = 0;
        // Candidate generation, not access control, is under test: plaintext, no keys.
        settings.tls.enabled = false;
        settings.security.authentication = false;
        let shutdown = CancellationToken::new();
        let mut tasks = Vec::new();
        let registry = pyred_registry::Registry::build(&settings)
            .await
            .expect("registry builds");
        settings.registry.url = format!("http://{}", registry.local_addr());
        let token = shutdown.clone();
        tasks.push(tokio::spawn(async move {
            if let Err(error) = registry.run_until_stopped(token).await {
                eprintln!("registry stopped: {error}");
            }
        }));
        let geo = pyred_geo_search::GeoSearchService::build(&settings)
            .await
            .expect("geo-search builds");
        settings.geo_search.url = format!("http://{}", geo.local_addr());
        let token = shutdown.clone();
        tasks.push(tokio::spawn(async move {
            if let Err(error) = geo.run_until_stopped(token).await {
                eprintln!("geo-search stopped: {error}");
            }
        }));
        let timeout = Duration::from_secs(60);
        let registry = client::connect_lazy(&settings.registry.url, timeout).expect("url");
        let geo_search = client::connect_lazy(&settings.geo_search.url, timeout).expect("url");
        wait_until(
            "the registry and geo-search to be SERVING",
            timeout,
            || async {
                (client::is_serving(&registry, COMPANY_REGISTRY)
                    .await
                    .is_ok()
                    && client::is_serving(&geo_search, GEO_SEARCH).await.is_ok())
                .then_some(())
            },
        )
        .await;
        Self {
            registry,
            geo_search,
            shutdown,
            tasks,
            data,
        }
    }

    async fn leads(&self, settings: CandidateSettings) -> Leads {
        let name = format!("matchmaking-{}", uuid_like());
        let url = pyred_runtime::db::testing::sqlite_url(self.data.path(), &name);
        let store = Store::open(&url).await.expect("store opens");
        let matcher = Arc::new(pyred_matching::Matcher::new().expect("model"));
        Leads::new(matcher, self.registry.clone(), store)
            .with_geo_search(self.geo_search.clone(), settings)
    }

    /// Waits until the index has applied every change the registry announced.
    async fn wait_indexed(&self, documents: i64) {
        let geo = GeoSearchClient::new(self.geo_search.clone());
        wait_until(
            &format!("the index to hold {documents} documents and every announced change"),
            Duration::from_secs(300),
            || {
                let mut geo = geo.clone();
                async move {
                    let status = geo
                        .get_index_status(pb::GetIndexStatusRequest {})
                        .await
                        .expect("index status")
                        .into_inner();
                    (status.documents >= documents && status.applied_seq >= status.registry_seq)
                        .then_some(())
                }
            },
        )
        .await;
    }

    async fn stop(self) {
        self.shutdown.cancel();
        for task in self.tasks {
            let _joined = task.await;
        }
    }
}

/// A name no other store of this process has.
fn uuid_like() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

fn text(object: &Value, key: &str) -> String {
    object
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn codes(object: &Value) -> Vec<pb::ActivityCode> {
    object
        .get("nace")
        .and_then(Value::as_array)
        .map(|codes| {
            codes
                .iter()
                .filter_map(Value::as_str)
                .map(|code| pb::ActivityCode {
                    given: code.to_owned(),
                    ..Default::default()
                })
                .collect()
        })
        .unwrap_or_default()
}

fn location(object: &Value) -> Option<pb::Location> {
    let at = object.get("location")?;
    Some(pb::Location {
        lat: Some(at.get("lat")?.as_f64()?),
        lon: Some(at.get("lon")?.as_f64()?),
        place_code: text(at, "code"),
        place_name: text(at, "place"),
    })
}

fn language(object: &Value) -> i32 {
    match text(object, "lang").as_str() {
        "es" => pb::Language::Es as i32,
        _ => pb::Language::Fr as i32,
    }
}

fn date(text: &str) -> Option<pb::Date> {
    Day::parse(text).ok().map(pb::Date::from)
}

fn lines(dir: &std::path::Path, file: &str) -> Vec<Value> {
    std::fs::read_to_string(dir.join(file))
        .expect("data file")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

fn strings(object: &Value, key: &str) -> Vec<String> {
    object
        .get(key)
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Firms of a data-set directory (`FORMAT.md`).
fn companies_in(dir: &std::path::Path) -> Vec<pb::Company> {
    lines(dir, "companies.jsonl")
        .iter()
        .map(|c| pb::Company {
            external_id: text(c, "id"),
            name: text(c, "name"),
            country: text(c, "country"),
            legal_id: [
                ("siret", pb::LegalIdScheme::Siret),
                ("siren", pb::LegalIdScheme::Siren),
                ("nif", pb::LegalIdScheme::Nif),
            ]
            .into_iter()
            .find(|(key, _)| !text(c, key).is_empty())
            .map(|(key, scheme)| pb::LegalId {
                scheme: scheme as i32,
                value: text(c, key),
                display: String::new(),
            }),
            activities: codes(c),
            language: language(c),
            description: text(c, "description"),
            offers: text(c, "offers"),
            seeks: text(c, "seeks"),
            location: location(c),
            region: text(c, "region"),
            employees: c
                .get("employees")
                .and_then(Value::as_i64)
                .and_then(|n| i32::try_from(n).ok()),
            languages: strings(c, "languages"),
            ..Default::default()
        })
        .collect()
}

/// Listings of a data-set directory (`FORMAT.md`).
fn listings_in(dir: &std::path::Path) -> Vec<pb::Opportunity> {
    lines(dir, "opportunities.jsonl")
        .iter()
        .map(|o| pb::Opportunity {
            external_id: text(o, "id"),
            source: text(o, "source"),
            kind: match text(o, "kind").as_str() {
                "business_offer" => pb::OpportunityKind::BusinessOffer,
                "partnership" => pb::OpportunityKind::Partnership,
                "tender" => pb::OpportunityKind::Tender,
                "technology_offer" => pb::OpportunityKind::TechnologyOffer,
                "technology_request" => pb::OpportunityKind::TechnologyRequest,
                _ => pb::OpportunityKind::BusinessRequest,
            } as i32,
            title: text(o, "title"),
            description: text(o, "description"),
            language: language(o),
            activities: codes(o),
            cpv: strings(o, "cpv"),
            location: location(o),
            region: text(o, "region"),
            published: date(&text(o, "published")),
            deadline: date(&text(o, "deadline")),
            budget_eur: o.get("budget_eur").and_then(Value::as_f64),
            ..Default::default()
        })
        .collect()
}

fn demo_companies() -> Vec<pb::Company> {
    companies_in(std::path::Path::new(DEMO))
}

fn demo_listings() -> Vec<pb::Opportunity> {
    listings_in(std::path::Path::new(DEMO))
}

/// A small deterministic generator (no dependency, same corpus on every run).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        usize::try_from(self.0 % n.max(1) as u64).unwrap_or(0)
    }
}

/// Listings on random trades: glossary terms of two or three concepts, in Spanish
/// (70 %) or French, on Aragonese and Riojan places, every kind, mostly live.
fn synthetic_listings(count: usize, seed: u64) -> Vec<pb::Opportunity> {
    let glossary = pyred_text::Glossary::embedded().expect("glossary");
    let concepts: Vec<_> = glossary.iter().collect();
    let places = [
        (41.65106, -0.87422, "50297", "ES-AR"),
        (41.35093, -1.65109, "50067", "ES-AR"),
        (40.34946, -1.10851, "44216", "ES-AR"),
        (41.52792, 0.35052, "22112", "ES-AR"),
        (41.0542, -0.12607, "44013", "ES-AR"),
    ];
    let kinds = [
        pb::OpportunityKind::BusinessRequest,
        pb::OpportunityKind::BusinessOffer,
        pb::OpportunityKind::Tender,
        pb::OpportunityKind::Partnership,
        pb::OpportunityKind::TechnologyRequest,
    ];
    let mut rng = Rng(seed | 1);
    (0..count)
        .map(|i| {
            let spanish = rng.below(10) < 7;
            let lang = if spanish {
                pyred_text::Language::Es
            } else {
                pyred_text::Language::Fr
            };
            let term = |rng: &mut Rng| {
                let concept = concepts[rng.below(concepts.len())];
                let terms = concept.terms(lang);
                terms
                    .get(rng.below(terms.len()))
                    .cloned()
                    .unwrap_or_else(|| concept.id().to_owned())
            };
            let (a, b, c) = (term(&mut rng), term(&mut rng), term(&mut rng));
            let (title, description) = if spanish {
                (
                    format!("Empresa de {a} busca {b}"),
                    format!(
                        "Empresa aragonesa del sector de {a}. Busca proveedores de {b} y de {c} para su planta. Contrato anual."
                    ),
                )
            } else {
                (
                    format!("Entreprise de {a} recherche {b}"),
                    format!(
                        "Entreprise du secteur {a}. Recherche des fournisseurs de {b} et de {c} pour son site. Contrat annuel."
                    ),
                )
            };
            let (lat, lon, code, region) = places[rng.below(places.len())];
            let expired = rng.below(10) == 0;
            pb::Opportunity {
                external_id: format!("syn-{seed}-{i:07}"),
                source: "synthetic".to_owned(),
                kind: kinds[rng.below(kinds.len())] as i32,
                title,
                description,
                language: if spanish {
                    pb::Language::Es as i32
                } else {
                    pb::Language::Fr as i32
                },
                location: Some(pb::Location {
                    lat: Some(lat),
                    lon: Some(lon),
                    place_code: code.to_owned(),
                    place_name: String::new(),
                }),
                region: region.to_owned(),
                published: date("2026-06-01"),
                deadline: date(if expired { "2026-10-01" } else { "2027-06-30" }),
                ..Default::default()
            }
        })
        .collect()
}

/// Loads the records; returns the registry id of each external id.
async fn import(
    services: &Services,
    companies: Vec<pb::Company>,
    listings: Vec<pb::Opportunity>,
) -> std::collections::HashMap<String, String> {
    let mut registry = CompanyRegistryClient::new(services.registry.clone());
    let mut ids = std::collections::HashMap::new();
    let mut keep = |results: Vec<pb::SyncItemResult>| {
        let rejected: Vec<_> = results
            .iter()
            .filter(|r| !r.violations.is_empty())
            .collect();
        assert!(rejected.is_empty(), "records rejected: {rejected:?}");
        for result in results {
            ids.insert(result.external_id, result.id);
        }
    };
    for chunk in companies.chunks(500) {
        let response = registry
            .import_companies(pb::ImportCompaniesRequest {
                source: "cci-gers".to_owned(),
                companies: chunk.to_vec(),
            })
            .await
            .expect("companies import")
            .into_inner();
        keep(response.results);
    }
    let mut by_source: std::collections::BTreeMap<String, Vec<pb::Opportunity>> =
        Default::default();
    for listing in listings {
        by_source
            .entry(listing.source.clone())
            .or_default()
            .push(listing);
    }
    for (source, listings) in by_source {
        for chunk in listings.chunks(1000) {
            let response = registry
                .sync_listings(pb::SyncListingsRequest {
                    source: source.clone(),
                    upserts: chunk.to_vec(),
                    withdrawals: vec![],
                    ..Default::default()
                })
                .await
                .expect("sync")
                .into_inner();
            keep(response.results);
        }
    }
    ids
}

async fn company_by_external_id(services: &Services, external_id: &str) -> pb::Company {
    let mut registry = CompanyRegistryClient::new(services.registry.clone());
    let page = registry
        .list_companies(pb::ListCompaniesRequest {
            page: Some(pb::PageRequest {
                page_size: 100,
                page_token: String::new(),
            }),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner();
    page.companies
        .into_iter()
        .find(|c| c.external_id == external_id)
        .expect("company registered")
}

fn as_of() -> Day {
    Day::parse("2026-12-01").expect("day")
}

fn forced(top_n: usize) -> CandidateSettings {
    CandidateSettings {
        exhaustive_max: 0,
        top_n,
        ..CandidateSettings::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_geo_search_a_firm_gets_its_listing_never_an_expired_one_and_at_most_top_n() {
    let services = Services::start().await;
    let firms = demo_companies();
    let mut listings = demo_listings();
    // The same listing, expired at the evaluation day: the best possible text match.
    let mut expired = listings
        .iter()
        .find(|o| o.external_id == "demo-arex-0101")
        .expect("demo listing")
        .clone();
    expired.external_id = "demo-arex-0101-old".to_owned();
    expired.published = date("2025-09-08");
    expired.deadline = date("2026-02-28");
    listings.push(expired);
    let total_listings = listings.len() + 600;
    listings.extend(synthetic_listings(600, 7));
    let documents = i64::try_from(firms.len() + total_listings).expect("small");
    let ids = import(&services, firms, listings).await;
    services.wait_indexed(documents).await;

    let top_n = 20;
    let leads = services.leads(forced(top_n)).await;
    let firm = company_by_external_id(&services, "demo-gers-01").await;
    let wanted = ids["demo-arex-0101"].clone();
    let old = ids["demo-arex-0101-old"].clone();

    let candidates = leads
        .listing_candidates(&firm, as_of())
        .await
        .expect("candidates");
    assert!(!candidates.is_empty());
    assert!(
        candidates.len() <= top_n,
        "{} candidates for a top-N of {top_n}",
        candidates.len()
    );
    assert!(
        candidates.contains(&wanted),
        "the foie-gras buyer is a candidate"
    );
    assert!(
        !candidates.contains(&old),
        "an expired listing is never a candidate"
    );

    let ranked = leads.score_company(&firm, as_of()).await.expect("scored");
    assert!(ranked.len() <= top_n);
    let wanted_match = pyred_matchmaking::store::match_id(&firm.id, &wanted);
    let position = ranked.iter().position(|id| *id == wanted_match);
    assert!(
        position.is_some_and(|p| p < 3),
        "the foie-gras buyer is among the three best: {ranked:?}"
    );
    let old_match = pyred_matchmaking::store::match_id(&firm.id, &old);
    assert!(
        !ranked.contains(&old_match),
        "the expired listing never comes back"
    );

    // The shared statistics were built from the whole register, not the candidates.
    let snapshot = leads.shared_stats().current().expect("statistics built");
    assert_eq!(snapshot.records, u64::try_from(documents).expect("small"));

    // And the other way: the foie-gras maker is a firm proposed for the buyer.
    let buyer = CompanyRegistryClient::new(services.registry.clone())
        .get_opportunity(pb::GetOpportunityRequest { id: wanted.clone() })
        .await
        .expect("listing")
        .into_inner();
    let firms_ranked = leads
        .score_opportunity(&buyer, as_of())
        .await
        .expect("scored");
    assert!(firms_ranked.len() <= top_n);
    assert!(
        firms_ranked.iter().take(3).any(|id| *id == wanted_match),
        "the foie-gras maker is among the buyer's three best firms: {firms_ranked:?}"
    );
    services.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exhaustive_path_and_the_candidate_path_agree_on_the_demo_set() {
    let services = Services::start().await;
    let firms = demo_companies();
    let listings = demo_listings();
    let documents = i64::try_from(firms.len() + listings.len()).expect("small");
    let _ids = import(&services, firms, listings).await;
    services.wait_indexed(documents).await;
    let exhaustive = services.leads(CandidateSettings::default()).await;
    let candidates = services.leads(forced(300)).await;
    for external in ["demo-gers-01", "demo-gers-04", "demo-gers-10"] {
        let firm = company_by_external_id(&services, external).await;
        let all = exhaustive
            .score_company(&firm, as_of())
            .await
            .expect("exhaustive");
        let found = candidates
            .score_company(&firm, as_of())
            .await
            .expect("candidates");
        assert_eq!(
            all.iter().take(5).collect::<Vec<_>>(),
            found.iter().take(5).collect::<Vec<_>>(),
            "{external}: same five best on both paths"
        );
    }
    services.stop().await;
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// nDCG@10 and recall@10 of `leads` on the judged firms of `dir`, as registered.
async fn judged(
    leads: &Leads,
    dir: &std::path::Path,
    ids: &std::collections::HashMap<String, String>,
    firms: &[pb::Company],
) -> (f64, f64) {
    let tsv = std::fs::read_to_string(dir.join("judgments.tsv")).expect("judgments");
    let judgments = pyred_matching::metrics::Judgments::parse_tsv(&tsv).expect("judgments parse");
    let external: std::collections::HashMap<&str, &str> = ids
        .iter()
        .map(|(external, id)| (id.as_str(), external.as_str()))
        .collect();
    let mut rankings = std::collections::BTreeMap::new();
    for company in judgments.evaluated_companies() {
        let Some(firm) = firms.iter().find(|f| f.external_id == company) else {
            continue;
        };
        let prefix = format!("{}~", firm.id);
        let ranked = leads.score_company(firm, as_of()).await.expect("scored");
        let ranking: Vec<String> = ranked
            .iter()
            .take(10)
            .filter_map(|m| m.strip_prefix(&prefix))
            .filter_map(|id| external.get(id).map(|e| (*e).to_owned()))
            .collect();
        rankings.insert(company.to_owned(), ranking);
    }
    let evaluation = pyred_matching::metrics::evaluate(&judgments, &rankings, 10);
    (evaluation.ndcg, evaluation.recall)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: set PYRED_BENCH_LISTINGS and run with --release --ignored --nocapture"]
async fn latency() {
    let count = env_number("PYRED_BENCH_LISTINGS", 20_000);
    let calls = env_number("PYRED_BENCH_CALLS", 40);
    let exhaustive_calls = env_number("PYRED_BENCH_EXHAUSTIVE_CALLS", 10);
    // `top_n` as configured: `PYRED__MATCHMAKING__CANDIDATES__TOP_N`, or a file.
    let top_n = CandidateSettings::from(
        &pyred_runtime::Settings::load(&pyred_runtime::config::ConfigSources::default())
            .expect("valid configuration")
            .matchmaking
            .candidates,
    )
    .top_n;
    // With PYRED_DEV_DATA (a judged data set), its records are loaded among the
    // synthetic ones and both paths are scored on its judgments.
    let dev = std::env::var("PYRED_DEV_DATA")
        .ok()
        .map(std::path::PathBuf::from);
    let services = Services::start().await;
    let (firms, mut listings) = match &dev {
        Some(dir) => (companies_in(dir), listings_in(dir)),
        None => (demo_companies(), demo_listings()),
    };
    listings.extend(synthetic_listings(count, 11));
    let documents = i64::try_from(firms.len() + listings.len()).expect("fits");
    let loading = Instant::now();
    let ids = import(&services, firms.clone(), listings).await;
    services.wait_indexed(documents).await;
    eprintln!(
        "{documents} records loaded and indexed in {:.1} s",
        loading.elapsed().as_secs_f64()
    );
    let mut registered = Vec::new();
    for firm in &firms {
        registered.push(company_by_external_id(&services, &firm.external_id).await);
    }
    let exhaustive = services
        .leads(CandidateSettings {
            exhaustive_max: u64::MAX,
            ..CandidateSettings::default()
        })
        .await;
    let candidates = services.leads(forced(top_n)).await;
    let built = Instant::now();
    candidates
        .score_company(&registered[0], as_of())
        .await
        .expect("first call");
    eprintln!(
        "first candidate call (builds the register statistics): {:.0} ms",
        built.elapsed().as_secs_f64() * 1000.0
    );
    for (name, leads, n) in [
        ("exhaustive", &exhaustive, exhaustive_calls),
        ("candidates", &candidates, calls),
    ] {
        let mut times = Vec::new();
        for i in 0..n {
            let firm = &registered[i % registered.len()];
            let started = Instant::now();
            leads.score_company(firm, as_of()).await.expect("scored");
            times.push(started.elapsed());
        }
        times.sort();
        eprintln!(
            "{name:>10} ({documents} records, top-N {top_n}): {n} calls, p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
            percentile(&times, 50.0).as_secs_f64() * 1000.0,
            percentile(&times, 99.0).as_secs_f64() * 1000.0,
            times.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
        );
    }
    if let Some(dir) = &dev {
        let judged_paths = if exhaustive_calls > 0 {
            vec![("candidates", &candidates), ("exhaustive", &exhaustive)]
        } else {
            vec![("candidates", &candidates)]
        };
        for (name, leads) in judged_paths {
            let (ndcg, recall) = judged(leads, dir, &ids, &registered).await;
            eprintln!(
                "{name:>10}: nDCG@10 {ndcg:.4}, recall@10 {recall:.4} among {count} synthetic listings"
            );
        }
    }
    services.stop().await;
}
