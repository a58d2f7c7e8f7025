//! Geo-search benchmark: `cargo bench -p pyred-geo-search` (release, no harness).
//!
//! 1. **Search latency.** Builds an index of `PYRED_BENCH_DOCS` synthetic listings and
//!    firms (default 100,000) made of glossary terms in French and Spanish, placed on
//!    random gazetteer places, then runs a mix of queries in-process (text in either
//!    language, typos, filters, 30 km radius around a place, empty query sorted by
//!    deadline, facets) with 1, 4 and 16 concurrent clients: p50/p99 latency and
//!    queries per second. Also reports indexing speed, index size and RSS.
//! 2. **Freshness.** Starts a registry and geo-search in-process over loopback gRPC,
//!    syncs batches of listings at a steady rate for `PYRED_BENCH_FRESHNESS_SECS`
//!    (default 20) and measures, per batch, the time from the registry's
//!    acknowledgement to the moment geo-search has committed and reloaded it (its
//!    applied sequence number reaches the batch's), p50/p99.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use pyred_domain::{Gazetteer, Place};
use pyred_geo_search::request::SearchQuery;
use pyred_geo_search::{IndexStore, SearchEngine};
use pyred_metrics::percentile;
use pyred_proto::v1::company_registry_client::CompanyRegistryClient;
use pyred_proto::v1::geo_search_client::GeoSearchClient;
use pyred_proto::v1::{self as pb, change::Record, search_request::Geo};
use pyred_text::{Glossary, Language};

/// xorshift64*: deterministic, so runs are comparable.
struct Random(u64);

impl Random {
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn dir_size(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() {
                        dir_size(&p)
                    } else {
                        e.metadata().map_or(0, |m| m.len())
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Trade vocabulary: (French terms, Spanish terms) of every glossary concept.
struct Vocabulary {
    fr: Vec<String>,
    es: Vec<String>,
}

impl Vocabulary {
    fn new(glossary: &Glossary) -> Self {
        let mut fr = Vec::new();
        let mut es = Vec::new();
        for concept in glossary.iter() {
            fr.extend(concept.terms(Language::Fr).iter().cloned());
            es.extend(concept.terms(Language::Es).iter().cloned());
        }
        Self { fr, es }
    }

    fn terms(&self, language: Language) -> &[String] {
        match language {
            Language::Es => &self.es,
            _ => &self.fr,
        }
    }
}

const FILLER_FR: &[&str] = &[
    "Entreprise familiale",
    "recherche des partenaires",
    "pour des séries moyennes",
    "livraison rapide",
    "certifiée ISO 9001",
    "clients en Espagne et en France",
];
const FILLER_ES: &[&str] = &[
    "Empresa familiar",
    "busca socios comerciales",
    "para series medianas",
    "entrega rápida",
    "certificada ISO 9001",
    "clientes en Francia y España",
];
const NACE: &[&str] = &[
    "25.62", "11.02", "10.12", "46.34", "01.13", "35.11", "49.41", "16.23", "62.01", "28.30",
    "20.15", "10.71", "72.19", "41.20", "47.29",
];
const KINDS: &[pb::OpportunityKind] = &[
    pb::OpportunityKind::BusinessOffer,
    pb::OpportunityKind::BusinessRequest,
    pb::OpportunityKind::Partnership,
    pb::OpportunityKind::Tender,
    pb::OpportunityKind::TechnologyOffer,
    pb::OpportunityKind::TechnologyRequest,
];

fn sentence(
    random: &mut Random,
    vocabulary: &Vocabulary,
    language: Language,
    terms: usize,
) -> String {
    let filler = if language == Language::Es {
        FILLER_ES
    } else {
        FILLER_FR
    };
    let joiner = if language == Language::Es {
        " y "
    } else {
        " et "
    };
    let words: Vec<String> = (0..terms)
        .map(|_| random.pick(vocabulary.terms(language)).clone())
        .collect();
    format!(
        "{} {}, {}.",
        random.pick(filler),
        words.join(joiner),
        random.pick(filler)
    )
}

fn location(place: &Place) -> pb::Location {
    let point = place.point();
    pb::Location {
        lat: Some(point.map_or(0.0, |p| p.lat())),
        lon: Some(point.map_or(0.0, |p| p.lon())),
        place_code: place.code().as_str().to_owned(),
        place_name: place.name().to_owned(),
    }
}

fn date(days: i64) -> Option<pb::Date> {
    let day = pyred_domain::Day::from_days_since_epoch(days).ok()?;
    Some(pb::Date {
        year: day.year(),
        month: day.month() as i32,
        day: day.day() as i32,
    })
}

fn synthetic_change(
    seq: i64,
    random: &mut Random,
    vocabulary: &Vocabulary,
    places: &[&Place],
) -> pb::Change {
    let place = *random.pick(places);
    let language = if random.below(10) < 6 {
        Language::Es
    } else {
        Language::Fr
    };
    let today = pyred_domain::Day::today().days_since_epoch();
    let activities = vec![pb::ActivityCode {
        nace: (*random.pick(NACE)).to_owned(),
        given: String::new(),
    }];
    let lang = if language == Language::Es {
        pb::Language::Es
    } else {
        pb::Language::Fr
    };
    let description = (0..3)
        .map(|_| {
            let n = 1 + random.below(3);
            sentence(random, vocabulary, language, n)
        })
        .collect::<Vec<_>>()
        .join(" ");
    if random.below(10) == 0 {
        let id = format!("cmp_{seq}");
        return pb::Change {
            seq,
            entity: pb::EntityKind::Company as i32,
            id: id.clone(),
            op: pb::ChangeOp::Upsert as i32,
            version: 1,
            record: Some(Record::Company(pb::Company {
                id,
                source: "bench".to_owned(),
                name: format!("{} {}", random.pick(vocabulary.terms(language)), seq),
                language: lang as i32,
                description,
                offers: sentence(random, vocabulary, language, 2),
                seeks: sentence(random, vocabulary, language, 2),
                activities,
                location: Some(location(place)),
                region: place.region().as_str().to_owned(),
                employees: Some(random.below(500) as i32),
                visibility: pb::Visibility::Public as i32,
                ..Default::default()
            })),
            ..Default::default()
        };
    }
    let id = format!("opp_{seq}");
    let published = today - random.below(300) as i64;
    let deadline = published + 30 + random.below(300) as i64;
    let status = if random.below(10) == 0 {
        pb::OpportunityStatus::Withdrawn
    } else {
        pb::OpportunityStatus::Published
    };
    pb::Change {
        seq,
        entity: pb::EntityKind::Opportunity as i32,
        id: id.clone(),
        op: pb::ChangeOp::Upsert as i32,
        version: 1,
        record: Some(Record::Opportunity(pb::Opportunity {
            id,
            source: "bench".to_owned(),
            kind: *random.pick(KINDS) as i32,
            title: sentence(random, vocabulary, language, 2),
            description,
            language: lang as i32,
            activities,
            location: Some(location(place)),
            region: place.region().as_str().to_owned(),
            published: date(published),
            deadline: date(deadline),
            expires_on: date(deadline),
            status: status as i32,
            ..Default::default()
        })),
        ..Default::default()
    }
}

fn queries(
    random: &mut Random,
    vocabulary: &Vocabulary,
    places: &[&Place],
) -> Vec<(&'static str, pb::SearchRequest)> {
    let mut out = Vec::new();
    for i in 0..450 {
        let language = if i % 2 == 0 {
            Language::Fr
        } else {
            Language::Es
        };
        let mut text = random.pick(vocabulary.terms(language)).clone();
        if i % 3 == 0 {
            text = format!("{text} {}", random.pick(vocabulary.terms(language)));
        }
        let mut request = pb::SearchRequest {
            query: text.clone(),
            ..Default::default()
        };
        let label = match i % 9 {
            0 => "text",
            1 => {
                request.skip_snippets = true;
                "text, no snippets"
            }
            2 => {
                // A typo: the third letter doubled.
                let mut chars: Vec<char> = text.chars().collect();
                if chars.len() > 5 {
                    chars.insert(3, chars[2]);
                }
                request.query = chars.into_iter().collect();
                "text with a typo"
            }
            3 => {
                request.filters = Some(pb::SearchFilters {
                    regions: vec!["ES-AR".to_owned()],
                    kinds: vec![pb::OpportunityKind::BusinessRequest as i32],
                    ..Default::default()
                });
                "text + region + kind"
            }
            4 => {
                let place = random.pick(places);
                request.geo = Some(Geo::Radius(pb::GeoRadius {
                    centre: Some(pb::geo_radius::Centre::Place(
                        place.code().as_str().to_owned(),
                    )),
                    radius_km: 30.0,
                }));
                "text + 30 km radius"
            }
            5 => {
                request.query.clear();
                let place = random.pick(places);
                request.geo = Some(Geo::Radius(pb::GeoRadius {
                    centre: Some(pb::geo_radius::Centre::Place(
                        place.code().as_str().to_owned(),
                    )),
                    radius_km: 30.0,
                }));
                request.sort = pb::SortOrder::Distance as i32;
                "30 km radius by distance"
            }
            6 => {
                request.query.clear();
                request.sort = pb::SortOrder::Deadline as i32;
                request.filters = Some(pb::SearchFilters {
                    nace_prefix: "25".to_owned(),
                    ..Default::default()
                });
                "empty + NACE division by deadline"
            }
            _ => {
                request.facets = true;
                "text + facets"
            }
        };
        out.push((label, request));
    }
    out
}

fn run_clients(
    engine: &SearchEngine,
    queries: &[(&'static str, pb::SearchRequest)],
    clients: usize,
    per_client: usize,
) -> (
    Vec<Duration>,
    Duration,
    BTreeMap<&'static str, Vec<Duration>>,
) {
    let started = Instant::now();
    let results: Vec<Vec<(&'static str, Duration)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..clients)
            .map(|client| {
                scope.spawn(move || {
                    let mut times = Vec::with_capacity(per_client);
                    for i in 0..per_client {
                        let (label, request) = &queries[(client * 7919 + i) % queries.len()];
                        let t = Instant::now();
                        let query =
                            SearchQuery::parse(request, engine.glossary(), engine.gazetteer())
                                .unwrap_or_else(|e| panic!("valid bench query: {e}"));
                        let response = engine
                            .search(&query)
                            .unwrap_or_else(|e| panic!("search: {e}"));
                        std::hint::black_box(response);
                        times.push((*label, t.elapsed()));
                    }
                    times
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let wall = started.elapsed();
    let mut all = Vec::new();
    let mut by_label: BTreeMap<&'static str, Vec<Duration>> = BTreeMap::new();
    for (label, time) in results.into_iter().flatten() {
        all.push(time);
        by_label.entry(label).or_default().push(time);
    }
    all.sort();
    for times in by_label.values_mut() {
        times.sort();
    }
    (all, wall, by_label)
}

fn search_benchmark() {
    let docs = env_usize("PYRED_BENCH_DOCS", 100_000);
    let glossary = Glossary::embedded().unwrap_or_else(|e| panic!("glossary: {e}"));
    let gazetteer = Gazetteer::embedded();
    let vocabulary = Vocabulary::new(glossary);
    let places: Vec<&Place> = gazetteer
        .places()
        .iter()
        .filter(|p| p.point().is_some())
        .collect();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let store = Arc::new(IndexStore::open(dir.path()).unwrap_or_else(|e| panic!("index: {e}")));
    let generation = store.current();
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    println!(
        "## search: {docs} documents, {} cores",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let started = Instant::now();
    let mut seq = 0;
    while seq < docs as i64 {
        let chunk: Vec<pb::Change> = (0..5_000.min(docs as i64 - seq))
            .map(|i| synthetic_change(seq + i + 1, &mut random, &vocabulary, &places))
            .collect();
        seq += chunk.len() as i64;
        generation
            .apply(&chunk)
            .unwrap_or_else(|e| panic!("apply: {e}"));
    }
    generation
        .commit(seq)
        .unwrap_or_else(|e| panic!("commit: {e}"));
    let indexing = started.elapsed();
    println!(
        "indexing: {:.1} s, {:.0} documents/s (one writer thread, concept extraction included)",
        indexing.as_secs_f64(),
        docs as f64 / indexing.as_secs_f64()
    );
    println!(
        "index size: {:.1} MB ({:.0} bytes/document), {} segments; RSS after indexing {:.0} MB",
        dir_size(dir.path()) as f64 / 1e6,
        dir_size(dir.path()) as f64 / docs as f64,
        generation.searcher().segment_readers().len(),
        rss_mb()
    );
    let engine = SearchEngine::new(store.clone(), glossary, gazetteer);
    let queries = queries(&mut random, &vocabulary, &places);
    // Warm up caches once.
    let _warm = run_clients(&engine, &queries, 1, queries.len());
    println!("| clients | queries | p50 | p99 | queries/s |");
    println!("|---|---|---|---|---|");
    let mut last_by_label = BTreeMap::new();
    for clients in [1, 4, 16] {
        let per_client = (1_600 / clients).max(100);
        let (all, wall, by_label) = run_clients(&engine, &queries, clients, per_client);
        println!(
            "| {clients} | {} | {} | {} | {:.0} |",
            all.len(),
            ms(percentile(&all, 50.0)),
            ms(percentile(&all, 99.0)),
            all.len() as f64 / wall.as_secs_f64()
        );
        if clients == 1 {
            last_by_label = by_label;
        }
    }
    println!("\nper query type, 1 client:\n| query | p50 | p99 |\n|---|---|---|");
    for (label, times) in &last_by_label {
        println!(
            "| {label} | {} | {} |",
            ms(percentile(times, 50.0)),
            ms(percentile(times, 99.0))
        );
    }
    println!("RSS after searching: {:.0} MB", rss_mb());
    travel_versus_radius(&engine, &mut random, &places);
}

/// Travel areas against radius searches around the same places of the same index, one
/// client, empty query text (every document of the circle is a candidate, the worst
/// case for the per-candidate route).
fn travel_versus_radius(engine: &SearchEngine, random: &mut Random, places: &[&Place]) {
    let centre = |place: &Place| place.code().as_str().to_owned();
    let mut queries: Vec<(&'static str, pb::SearchRequest)> = Vec::new();
    for _ in 0..40 {
        let place = *random.pick(places);
        let radius = |radius_km| {
            Some(Geo::Radius(pb::GeoRadius {
                centre: Some(pb::geo_radius::Centre::Place(centre(place))),
                radius_km,
            }))
        };
        let travel = |max_minutes| {
            Some(Geo::Travel(pb::TravelArea {
                centre: Some(pb::travel_area::Centre::Place(centre(place))),
                max_minutes,
            }))
        };
        let base = pb::SearchRequest {
            skip_snippets: true,
            ..Default::default()
        };
        for (label, geo, sort) in [
            (
                "radius 50 km by distance",
                radius(50.0),
                pb::SortOrder::Distance,
            ),
            (
                "travel 45 min by travel time",
                travel(45.0),
                pb::SortOrder::TravelTime,
            ),
            (
                "radius 150 km by distance",
                radius(150.0),
                pb::SortOrder::Distance,
            ),
            (
                "radius 150 km by travel time",
                radius(150.0),
                pb::SortOrder::TravelTime,
            ),
            (
                "travel 2 h by travel time",
                travel(120.0),
                pb::SortOrder::TravelTime,
            ),
            (
                "travel 2 h by relevance",
                travel(120.0),
                pb::SortOrder::Relevance,
            ),
        ] {
            queries.push((
                label,
                pb::SearchRequest {
                    geo,
                    sort: sort as i32,
                    ..base.clone()
                },
            ));
        }
    }
    let _warm = run_clients(engine, &queries, 1, queries.len());
    let (_, _, by_label) = run_clients(engine, &queries, 1, queries.len() * 3);
    let mut totals: BTreeMap<&'static str, (i64, usize)> = BTreeMap::new();
    for (label, request) in &queries {
        let query = SearchQuery::parse(request, engine.glossary(), engine.gazetteer())
            .unwrap_or_else(|e| panic!("valid bench query: {e}"));
        let total = engine
            .search(&query)
            .unwrap_or_else(|e| panic!("search: {e}"))
            .total;
        let entry = totals.entry(label).or_default();
        entry.0 += total;
        entry.1 += 1;
    }
    println!(
        "\ntravel areas vs radius searches, same places, empty text, 1 client:\n| query | mean results | p50 | p99 |\n|---|---|---|---|"
    );
    for (label, times) in &by_label {
        let (sum, n) = totals.get(label).copied().unwrap_or((0, 1));
        println!(
            "| {label} | {:.0} | {} | {} |",
            sum as f64 / n.max(1) as f64,
            ms(percentile(times, 50.0)),
            ms(percentile(times, 99.0))
        );
    }
}

fn freshness_benchmark() {
    let seconds = env_usize("PYRED_BENCH_FRESHNESS_SECS", 20) as u64;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    runtime.block_on(async move {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
        let mut settings = pyred_runtime::Settings::with_data_dir(dir.path()).unwrap_or_else(|e| panic!("settings: {e}"));
        settings.registry.port = 0;
        settings.geo_search.port = 0;
        settings.registry.metrics_port = 0;
        settings.geo_search.metrics_port = 0;
        // Index freshness, not access control, is measured: plaintext, no keys.
        settings.tls.enabled = false;
        settings.security.authentication = false;
        let stop = tokio_util::sync::CancellationToken::new();
        let registry = pyred_registry::Registry::build(&settings).await.unwrap_or_else(|e| panic!("registry: {e}"));
        settings.registry.url = format!("http://{}", registry.local_addr());
        let registry_task = tokio::spawn(registry.run_until_stopped(stop.clone()));
        let geo = pyred_geo_search::GeoSearchService::build(&settings).await.unwrap_or_else(|e| panic!("geo-search: {e}"));
        let geo_url = format!("http://{}", geo.local_addr());
        let geo_task = tokio::spawn(geo.run_until_stopped(stop.clone()));
        let channel = |url: &str| pyred_runtime::client::connect_lazy(url, Duration::from_secs(10)).unwrap_or_else(|e| panic!("{e}"));
        let mut registry = CompanyRegistryClient::new(channel(&settings.registry.url));
        let mut geo = GeoSearchClient::new(channel(&geo_url));

        // A poller records when each applied sequence number is first seen.
        let seen: Arc<std::sync::Mutex<Vec<(i64, Instant)>>> = Arc::default();
        let polling = Arc::new(AtomicBool::new(true));
        let poller = {
            let seen = seen.clone();
            let polling = polling.clone();
            let mut geo = geo.clone();
            tokio::spawn(async move {
                let mut last = -1;
                while polling.load(Ordering::Relaxed) {
                    if let Ok(status) = geo.get_index_status(pb::GetIndexStatusRequest {}).await {
                        let applied = status.into_inner().applied_seq;
                        if applied != last {
                            last = applied;
                            if let Ok(mut seen) = seen.lock() {
                                seen.push((applied, Instant::now()));
                            }
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            })
        };

        let places: Vec<&Place> = Gazetteer::embedded()
            .places()
            .iter()
            .filter(|p| p.region().as_str() != "FR-32" && p.point().is_some() && !p.is_approximate())
            .collect();
        let vocabulary = Vocabulary::new(Glossary::embedded().unwrap_or_else(|e| panic!("{e}")));
        let mut random = Random(42);
        let mut n = 0;
        let mut listing = |random: &mut Random| {
            n += 1;
            let place = *random.pick(&places);
            pb::Opportunity {
                external_id: format!("bench-{n:07}"),
                kind: pb::OpportunityKind::BusinessRequest as i32,
                title: sentence(random, &vocabulary, Language::Es, 2),
                description: sentence(random, &vocabulary, Language::Es, 3),
                language: pb::Language::Es as i32,
                location: Some(pb::Location {
                    place_code: place.code().as_str().to_owned(),
                    ..Default::default()
                }),
                region: place.region().as_str().to_owned(),
                deadline: date(pyred_domain::Day::today().days_since_epoch() + 90),
                source_version: 1,
                ..Default::default()
            }
        };
        // Idle: one listing at a time, half a second apart.
        let mut idle: Vec<(i64, Instant)> = Vec::new();
        for _ in 0..20 {
            let response = registry
                .sync_listings(pb::SyncListingsRequest {
                    source: "bench".to_owned(),
                    upserts: vec![listing(&mut random)],
                    withdrawals: vec![],
                    ..Default::default()
                })
                .await
                .unwrap_or_else(|e| panic!("sync: {e}"))
                .into_inner();
            idle.push((response.last_seq, Instant::now()));
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let mut acks: Vec<(i64, Instant)> = Vec::new();
        let batch_size = 20;
        let period = Duration::from_millis(100);
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(seconds) {
            let tick = Instant::now();
            let upserts = (0..batch_size).map(|_| listing(&mut random)).collect();
            let response = registry
                .sync_listings(pb::SyncListingsRequest {
                    source: "bench".to_owned(),
                    upserts,
                    withdrawals: vec![],
                    ..Default::default()
                })
                .await
                .unwrap_or_else(|e| panic!("sync: {e}"))
                .into_inner();
            acks.push((response.last_seq, Instant::now()));
            if let Some(rest) = period.checked_sub(tick.elapsed()) {
                tokio::time::sleep(rest).await;
            }
        }
        let last = acks.last().map_or(0, |(seq, _)| *seq);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let applied = geo.get_index_status(pb::GetIndexStatusRequest {}).await.map(|s| s.into_inner().applied_seq).unwrap_or(0);
            if applied >= last {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        polling.store(false, Ordering::Relaxed);
        let _ = poller.await;
        let seen = seen.lock().map(|s| s.clone()).unwrap_or_default();
        let delays_of = |acks: &[(i64, Instant)]| {
            let mut delays: Vec<Duration> = acks
                .iter()
                .filter_map(|(seq, acked)| {
                    let (_, at) = seen.iter().find(|(applied, _)| applied >= seq)?;
                    Some(at.saturating_duration_since(*acked))
                })
                .collect();
            delays.sort();
            delays
        };
        let idle = delays_of(&idle);
        println!(
            "\n## freshness, idle feed: one listing every 500 ms: ack → searchable p50 {}, max {} ({} measured)",
            ms(percentile(&idle, 50.0)),
            ms(idle.last().copied().unwrap_or_default()),
            idle.len()
        );
        let delays = delays_of(&acks);
        println!(
            "\n## freshness, steady sync: {} batches of {batch_size} listings every {} ms for {seconds} s ({} listings/s)",
            acks.len(),
            period.as_millis(),
            batch_size as u128 * 1000 / period.as_millis()
        );
        println!(
            "registry ack → searchable: p50 {}, p99 {}, max {} ({} of {} batches measured)",
            ms(percentile(&delays, 50.0)),
            ms(percentile(&delays, 99.0)),
            ms(delays.last().copied().unwrap_or_default()),
            delays.len(),
            acks.len()
        );
        stop.cancel();
        let _ = geo_task.await;
        let _ = registry_task.await;
    });
}

fn main() {
    // `cargo bench` passes `--bench`; a name filter selects one part.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let wants = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));
    if wants("search") {
        search_benchmark();
    }
    if wants("freshness") {
        freshness_benchmark();
    }
}
