//! The benchmark run: one machine, one run, Pyred against PostgreSQL.
//!
//! Phases, in order (each system measured while the other is idle):
//! 1. generate the corpus (or reuse `--corpus DIR`) and the queries from the seed;
//! 2. start company-registry and geo-search as child processes, load the corpus through
//!    `ImportCompanies`/`SyncListings`, wait until geo-search has applied the last
//!    change (searchable);
//! 3. load the same rows into a fresh PostgreSQL database (COPY), build its indexes;
//! 4. warm both up, then run the queries at each client count for a fixed duration,
//!    against geo-search over gRPC and against PostgreSQL;
//! 5. compare their top 10 on the monolingual queries;
//! 6. read RSS (per process) and disk (data directory; database size);
//! 7. start matchmaking and time `ListCompanyMatches` for a sample of firms;
//! 8. stop the services and run the same queries in-process on the index directory
//!    geo-search wrote (opened after geo-search stopped — the same index, not a copy),
//!    admitted 2 × cores at a time as the service admits them: the floor;
//! 9. drop the database and the data (unless `--keep`), print the report.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use pyred_geo_search::request::SearchQuery;
use pyred_geo_search::{IndexStore, SearchEngine};
use pyred_proto::v1::geo_search_client::GeoSearchClient;
use pyred_proto::v1::matchmaking_client::MatchmakingClient;
use pyred_proto::v1::{self as pb};
use serde::Serialize;
use sqlx::postgres::PgPool;

use crate::corpus::{base_day, write_corpus};
use crate::driver::{Target, run_level};
use crate::load::{PyredLoad, RowIds};
use crate::pg::{Pg, PgLoad, PgSize};
use crate::pyred_stack::{BenchChannel, Memory, Service, Stack};
use crate::queries::{self, Query};
use crate::stats::{Summary, percentile};

/// How a run is configured.
#[derive(Debug, Clone)]
pub struct Options {
    /// Records in total (firms + listings).
    pub size: u64,
    /// Firms among them (default a tenth).
    pub companies: Option<u64>,
    /// Seed of the corpus and the queries.
    pub seed: u64,
    /// Measured time per level and system.
    pub duration: Duration,
    /// Client counts.
    pub clients: Vec<usize>,
    /// Distinct queries generated (cycled).
    pub queries: usize,
    /// Keep the data directory and the database.
    pub keep: bool,
    /// Where to write the JSON report.
    pub json: Option<PathBuf>,
    /// Use this corpus directory instead of generating one.
    pub corpus: Option<PathBuf>,
    /// Working directory (default: a fresh one under the system temp dir).
    pub work_dir: Option<PathBuf>,
    /// PostgreSQL server (a database is created and dropped there).
    pub pg_url: String,
    /// Where the service binaries are.
    pub bin_dir: PathBuf,
    /// Firms sampled for ListCompanyMatches.
    pub match_sample: usize,
    /// Deadline of one ListCompanyMatches call.
    pub match_timeout: Duration,
    /// Upper bound of the whole matchmaking phase.
    pub match_budget: Duration,
    /// Ask geo-search for snippets (PostgreSQL computes none).
    pub snippets: bool,
    /// Bearer key for the services, once they require one.
    pub api_key: Option<String>,
    /// Turn TLS and authentication off in the services.
    pub plaintext: bool,
    /// PostgreSQL: B-trees on lat and lon instead of earthdistance's GiST.
    pub pg_btree_geo: bool,
    /// Extra environment for every service process.
    pub service_env: Vec<(String, String)>,
    /// Smoke mode (labels the report; checks are always made).
    pub smoke: bool,
}

/// One client count: the three measurements and their ratios.
#[derive(Debug, Clone, Serialize)]
pub struct Level {
    /// Concurrent clients.
    pub clients: usize,
    /// geo-search over gRPC.
    pub pyred: Summary,
    /// PostgreSQL.
    pub postgres: Summary,
    /// geo-search in-process (filled in at the end).
    pub floor: Option<Summary>,
    /// Pyred p50 / PostgreSQL p50.
    pub p50_ratio: f64,
    /// Pyred p99 / PostgreSQL p99.
    pub p99_ratio: f64,
    /// Pyred q/s / PostgreSQL q/s.
    pub qps_ratio: f64,
}

/// Agreement of the two top 10s.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Overlap {
    /// Monolingual queries compared.
    pub queries: usize,
    /// Both returned something.
    pub both_nonempty: usize,
    /// Mean |P ∩ G| / min(|P|, |G|) over those.
    pub mean_overlap: f64,
    /// Mean |P ∩ G| / 10 over those.
    pub mean_overlap_at_10: f64,
    /// Pyred found something, PostgreSQL nothing.
    pub pyred_only: usize,
    /// PostgreSQL found something, Pyred nothing.
    pub postgres_only: usize,
    /// Neither.
    pub both_empty: usize,
    /// Pyred hits whose id the load did not report.
    pub unknown_ids: usize,
}

/// Memory and disk of both systems.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Footprint {
    /// company-registry.
    pub registry: Memory,
    /// geo-search.
    pub geo_search: Memory,
    /// matchmaking (after its phase).
    pub matchmaking: Memory,
    /// The whole PostgreSQL server (all its processes).
    pub postgres: Memory,
    /// How many postgres processes that sums.
    pub postgres_processes: usize,
    /// registry.db and its WAL, MB.
    pub registry_disk_mb: f64,
    /// The tantivy index directory, MB.
    pub index_disk_mb: f64,
    /// matchmaking.db, MB.
    pub matchmaking_disk_mb: f64,
    /// PostgreSQL sizes.
    pub postgres_disk: PgSize,
}

/// The matchmaking phase.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Matchmaking {
    /// Firms asked about.
    pub sampled: usize,
    /// Calls that answered.
    pub ok: usize,
    /// Calls that failed or timed out.
    pub failed: usize,
    /// First failure.
    pub first_error: Option<String>,
    /// Median, ms.
    pub p50_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Largest, ms.
    pub max_ms: f64,
    /// Mean matches returned.
    pub mean_matches: f64,
    /// Time until matchmaking reported SERVING, s.
    pub start_secs: f64,
}

/// Everything a run measured.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Smoke run.
    pub smoke: bool,
    /// Logical CPUs.
    pub cores: usize,
    /// Load average at start and at the end.
    pub loadavg_start: String,
    /// At the end.
    pub loadavg_end: String,
    /// When.
    pub started_at: String,
    /// Seed.
    pub seed: u64,
    /// Firms.
    pub companies: u64,
    /// Listings.
    pub opportunities: u64,
    /// Distinct queries, monolingual among them.
    pub queries: usize,
    /// Monolingual queries.
    pub monolingual_queries: usize,
    /// Seconds per level.
    pub duration_secs: f64,
    /// Snippets requested from geo-search.
    pub snippets: bool,
    /// How the benchmark talks to the services (TLS or not, key or not).
    pub security: String,
    /// Corpus generation, s.
    pub corpus_secs: f64,
    /// Corpus files, MB.
    pub corpus_mb: f64,
    /// Pyred load.
    pub pyred_load: PyredLoad,
    /// PostgreSQL load.
    pub postgres_load: PgLoad,
    /// Per client count.
    pub levels: Vec<Level>,
    /// Top-10 agreement.
    pub overlap: Overlap,
    /// Memory and disk.
    pub footprint: Footprint,
    /// ListCompanyMatches.
    pub matchmaking: Matchmaking,
    /// Problems that make the harness's result meaningless.
    pub failures: Vec<String>,
}

struct GrpcTarget {
    client: GeoSearchClient<BenchChannel>,
    requests: Arc<Vec<pb::SearchRequest>>,
}

impl Target for GrpcTarget {
    async fn run(&mut self, i: usize) -> Result<usize, String> {
        self.client
            .search(self.requests[i].clone())
            .await
            .map(|r| r.into_inner().hits.len())
            .map_err(|s| format!("{:?}: {}", s.code(), s.message()))
    }
}

struct PgTarget {
    pg: Arc<Pg>,
    pool: PgPool,
    queries: Arc<Vec<Query>>,
    as_of: Arc<str>,
}

impl Target for PgTarget {
    async fn run(&mut self, i: usize) -> Result<usize, String> {
        self.pg
            .search(&self.pool, &self.queries[i], &self.as_of)
            .await
            .map(|rows| rows.len())
            .map_err(|e| e.to_string())
    }
}

#[derive(Clone)]
struct FloorTarget {
    engine: SearchEngine,
    requests: Arc<Vec<pb::SearchRequest>>,
    /// The service's admission bound (2 × cores searches at a time, as in geo-search's
    /// gRPC adapter), so that at N clients the floor queues as the service does.
    slots: Arc<tokio::sync::Semaphore>,
}

impl Target for FloorTarget {
    async fn run(&mut self, i: usize) -> Result<usize, String> {
        let engine = self.engine.clone();
        let requests = self.requests.clone();
        let slot = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| e.to_string())?;
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            let query = SearchQuery::parse(&requests[i], engine.glossary(), engine.gazetteer())
                .map_err(|e| format!("{e:?}"))?;
            engine
                .search(&query)
                .map(|r| r.hits.len())
                .map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| e.to_string())?
    }
}

fn dir_size(path: &Path) -> u64 {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => m.len(),
        Ok(m) if m.is_dir() => std::fs::read_dir(path)
            .map(|entries| entries.flatten().map(|e| dir_size(&e.path())).sum())
            .unwrap_or(0),
        _ => 0,
    }
}

fn files_size(dir: &Path, prefix: &str) -> f64 {
    let bytes: u64 = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
                .map(|e| dir_size(&e.path()))
                .sum()
        })
        .unwrap_or(0);
    bytes as f64 / 1_048_576.0
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// Now, UTC, as `YYYY-MM-DDTHH:MM:SSZ`.
fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    pyred_domain::utc_text(i64::try_from(secs).unwrap_or_default()).unwrap_or_default()
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { f64::NAN }
}

fn step(message: &str) {
    eprintln!("[pyred-bench {:>7.1}s] {message}", elapsed_since_start());
}

static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();

fn elapsed_since_start() -> f64 {
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}

/// Runs the whole benchmark.
pub async fn run(options: Options) -> anyhow::Result<Report> {
    START.get_or_init(Instant::now);
    let companies = options
        .companies
        .unwrap_or(options.size / 10)
        .min(options.size);
    let opportunities = options.size - companies;
    let mut report = Report {
        smoke: options.smoke,
        cores: std::thread::available_parallelism().map_or(1, usize::from),
        loadavg_start: loadavg(),
        started_at: utc_now(),
        seed: options.seed,
        companies,
        opportunities,
        duration_secs: options.duration.as_secs_f64(),
        snippets: options.snippets,
        ..Default::default()
    };
    let work = match &options.work_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            tempfile::Builder::new()
                .prefix("pyred-bench-")
                .tempdir_in(dir)?
        }
        None => tempfile::Builder::new().prefix("pyred-bench-").tempdir()?,
    };
    let work_path = work.path().to_path_buf();
    step(&format!("working in {}", work_path.display()));

    // 1. Corpus and queries.
    let corpus_dir = match &options.corpus {
        Some(dir) => dir.clone(),
        None => {
            let dir = work_path.join("corpus");
            step(&format!(
                "generating {companies} firms and {opportunities} listings (seed {})",
                options.seed
            ));
            let started = Instant::now();
            write_corpus(&dir, options.seed, companies, opportunities)?;
            report.corpus_secs = started.elapsed().as_secs_f64();
            dir
        }
    };
    report.corpus_mb = files_size(&corpus_dir, "");
    let vocabulary = crate::corpus::Vocabulary::new(options.seed)?;
    let queries = Arc::new(queries::generate(
        &vocabulary,
        options.seed,
        options.queries,
    ));
    report.queries = queries.len();
    report.monolingual_queries = queries.iter().filter(|q| q.monolingual).count();
    let as_of = base_day();
    let as_of_text: Arc<str> = format!(
        "{:04}-{:02}-{:02}",
        as_of.year(),
        as_of.month(),
        as_of.day()
    )
    .into();
    let requests = Arc::new(
        queries
            .iter()
            .map(|q| q.to_request(as_of, 10, options.snippets))
            .collect::<Vec<_>>(),
    );

    // The database first: a server that is not there fails the run before the long load.
    let pg = Arc::new(Pg::create(&options.pg_url, !options.pg_btree_geo).await?);
    let data_dir = work_path.join("pyred-data");
    let mut stack = match Stack::new(
        &options.bin_dir,
        &data_dir,
        options.api_key.as_deref(),
        options.plaintext,
        options.service_env.clone(),
    ) {
        Ok(stack) => Some(stack),
        Err(error) => {
            step(&format!("{error:#}"));
            None
        }
    };
    let outcome = match stack.as_mut() {
        Some(stack) => {
            phases(
                &options,
                &mut report,
                stack,
                &pg,
                &corpus_dir,
                &queries,
                &requests,
                &as_of_text,
                companies,
            )
            .await
        }
        None => Err(anyhow::anyhow!("the services cannot be started")),
    };
    // Always drop the database, even after a failure.
    let pg = Arc::try_unwrap(pg).map_err(|_| anyhow::anyhow!("database still in use"))?;
    if options.keep {
        step(&format!(
            "keeping database {} and {}",
            pg.name(),
            work_path.display()
        ));
    } else if let Err(error) = pg.drop_database().await {
        step(&format!("could not drop the benchmark database: {error}"));
    }
    drop(stack);
    if options.keep {
        let _ = work.keep();
    }
    outcome?;
    report.loadavg_end = loadavg();
    check(&mut report);
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
async fn phases(
    options: &Options,
    report: &mut Report,
    stack: &mut Stack,
    pg: &Arc<Pg>,
    corpus_dir: &Path,
    queries: &Arc<Vec<Query>>,
    requests: &Arc<Vec<pb::SearchRequest>>,
    as_of: &Arc<str>,
    companies: u64,
) -> anyhow::Result<()> {
    // 2. Pyred.
    step("starting company-registry and geo-search");
    stack
        .start(Service::Registry, Duration::from_secs(120))
        .await?;
    stack
        .start(Service::GeoSearch, Duration::from_secs(120))
        .await?;
    report.security = stack.security();
    step(&format!("services up ({})", report.security));
    step("loading into Pyred (ImportCompanies, SyncListings)");
    let (pyred_load, ids) = crate::load::load(stack, corpus_dir, companies).await?;
    let ids = &ids;
    step(&format!(
        "Pyred: {} listings in {:.1} s ({:.0}/s), all searchable after {:.1} s",
        pyred_load.listings,
        pyred_load.listings_secs,
        pyred_load.listings_per_sec,
        pyred_load.searchable_secs
    ));
    report.pyred_load = pyred_load;

    // 3. PostgreSQL.
    step("loading into PostgreSQL (COPY, then indexes)");
    report.postgres_load = pg.load(corpus_dir, companies).await?;
    step(&format!(
        "PostgreSQL: {} rows copied in {:.1} s, indexed in {:.1} s ({})",
        report.postgres_load.rows,
        report.postgres_load.load_secs,
        report.postgres_load.index_secs,
        report.postgres_load.geo_index
    ));

    // 4. Warm-up, then the levels.
    let warm = queries.len().min(200);
    {
        let mut client = crate::load::geo_client(stack)?;
        let pool = pg.pool(1).await?;
        for i in 0..warm {
            let _ = client.search(requests[i].clone()).await;
            let _ = pg.search(&pool, &queries[i], as_of).await;
        }
        pool.close().await;
    }
    for &clients in &options.clients {
        step(&format!("{clients} client(s): geo-search over gRPC"));
        let targets = (0..clients)
            .map(|_| {
                Ok(GrpcTarget {
                    client: crate::load::geo_client(stack)?,
                    requests: requests.clone(),
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let pyred = run_level(targets, requests.len(), options.duration).await;
        step(&format!("{clients} client(s): PostgreSQL"));
        let pool = pg.pool(u32::try_from(clients).unwrap_or(16)).await?;
        let targets = (0..clients)
            .map(|_| PgTarget {
                pg: pg.clone(),
                pool: pool.clone(),
                queries: queries.clone(),
                as_of: as_of.clone(),
            })
            .collect();
        let postgres = run_level(targets, queries.len(), options.duration).await;
        if clients == *options.clients.iter().max().unwrap_or(&clients) {
            let (memory, processes) = crate::pg::server_memory();
            report.footprint.postgres = memory;
            report.footprint.postgres_processes = processes;
        }
        pool.close().await;
        report.levels.push(Level {
            clients,
            p50_ratio: ratio(pyred.p50_ms, postgres.p50_ms),
            p99_ratio: ratio(pyred.p99_ms, postgres.p99_ms),
            qps_ratio: ratio(pyred.qps, postgres.qps),
            pyred,
            postgres,
            floor: None,
        });
    }

    // 5. Overlap on the monolingual queries.
    step("comparing top 10s");
    report.overlap = overlap(stack, pg, queries, requests, as_of, ids).await?;

    // 6. Memory and disk.
    for (service, slot) in [
        (Service::Registry, &mut report.footprint.registry),
        (Service::GeoSearch, &mut report.footprint.geo_search),
    ] {
        if let Some(pid) = stack.pid(service) {
            *slot = crate::pyred_stack::memory(pid);
        }
    }
    report.footprint.postgres_disk = pg.size().await?;

    // 7. Matchmaking.
    step("starting matchmaking, ListCompanyMatches for a sample of firms");
    report.matchmaking = matchmaking(options, stack, ids, companies).await;
    if let Some(pid) = stack.pid(Service::Matchmaking) {
        report.footprint.matchmaking = crate::pyred_stack::memory(pid);
    }
    stack
        .stop(Service::Matchmaking, Duration::from_secs(30))
        .await?;
    stack
        .stop(Service::GeoSearch, Duration::from_secs(120))
        .await?;
    let data_dir = stack.data_dir().to_path_buf();
    report.footprint.registry_disk_mb = files_size(&data_dir, "registry.db");
    report.footprint.index_disk_mb = files_size(&data_dir, "index");
    report.footprint.matchmaking_disk_mb = files_size(&data_dir, "matchmaking.db");

    // 8. The floor: the same queries in-process on the index geo-search wrote.
    step("in-process floor on geo-search's index directory");
    let index_dir = data_dir.join("index");
    let store = Arc::new(tokio::task::spawn_blocking(move || IndexStore::open(&index_dir)).await??);
    let engine = SearchEngine::new(
        store,
        pyred_text::Glossary::embedded()?,
        pyred_domain::Gazetteer::embedded(),
    );
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let floor = FloorTarget {
        engine,
        requests: requests.clone(),
        slots: Arc::new(tokio::sync::Semaphore::new(2 * cores)),
    };
    {
        let mut warmup = floor.clone();
        for i in 0..requests.len().min(200) {
            let _ = warmup.run(i).await;
        }
    }
    for level in &mut report.levels {
        step(&format!("{} client(s): in-process", level.clients));
        let targets = vec![floor.clone(); level.clients];
        level.floor = Some(run_level(targets, requests.len(), options.duration).await);
    }
    stack
        .stop(Service::Registry, Duration::from_secs(30))
        .await?;
    Ok(())
}

async fn overlap(
    stack: &Stack,
    pg: &Arc<Pg>,
    queries: &[Query],
    requests: &[pb::SearchRequest],
    as_of: &str,
    ids: &RowIds,
) -> anyhow::Result<Overlap> {
    let mut client = crate::load::geo_client(stack)?;
    let pool = pg.pool(1).await?;
    let mut out = Overlap::default();
    let (mut sum, mut sum10) = (0.0, 0.0);
    for (query, request) in queries
        .iter()
        .zip(requests)
        .filter(|(q, _)| q.monolingual)
        .take(300)
    {
        out.queries += 1;
        let hits = client
            .search(request.clone())
            .await
            .context("geo-search")?
            .into_inner()
            .hits;
        let pyred: Vec<u32> = hits
            .iter()
            .map(|h| {
                ids.get(&h.id).copied().unwrap_or_else(|| {
                    out.unknown_ids += 1;
                    u32::MAX
                })
            })
            .collect();
        let postgres = pg.search(&pool, query, as_of).await.context("postgres")?;
        match (pyred.is_empty(), postgres.is_empty()) {
            (true, true) => out.both_empty += 1,
            (false, true) => out.pyred_only += 1,
            (true, false) => out.postgres_only += 1,
            (false, false) => {
                out.both_nonempty += 1;
                let common = pyred.iter().filter(|r| postgres.contains(r)).count() as f64;
                sum += common / pyred.len().min(postgres.len()) as f64;
                sum10 += common / 10.0;
            }
        }
    }
    pool.close().await;
    if out.both_nonempty > 0 {
        out.mean_overlap = sum / out.both_nonempty as f64;
        out.mean_overlap_at_10 = sum10 / out.both_nonempty as f64;
    }
    Ok(out)
}

async fn matchmaking(
    options: &Options,
    stack: &mut Stack,
    ids: &RowIds,
    companies: u64,
) -> Matchmaking {
    let mut out = Matchmaking::default();
    let started = Instant::now();
    match stack
        .start(Service::Matchmaking, Duration::from_secs(300))
        .await
    {
        Ok(took) => out.start_secs = took.as_secs_f64(),
        Err(error) => {
            out.first_error = Some(error.to_string());
            out.failed = 1;
            return out;
        }
    }
    let sample = options.match_sample.min(companies as usize);
    let wanted: std::collections::HashSet<u32> = (0..sample)
        .map(|i| (i as u64 * companies / sample.max(1) as u64) as u32)
        .collect();
    let mut firms: Vec<(u32, &String)> = ids
        .iter()
        .filter(|(_, row)| wanted.contains(row))
        .map(|(id, row)| (*row, id))
        .collect();
    firms.sort();
    let channel = match stack.channel(Service::Matchmaking) {
        Ok(channel) => channel,
        Err(error) => {
            out.first_error = Some(error.to_string());
            return out;
        }
    };
    let mut client = MatchmakingClient::new(channel).max_decoding_message_size(64 << 20);
    let as_of = base_day();
    let mut latencies = Vec::new();
    let mut matches = 0_usize;
    for (_, id) in &firms {
        if started.elapsed() > options.match_budget {
            break;
        }
        out.sampled += 1;
        let mut request = tonic::Request::new(pb::ListCompanyMatchesRequest {
            company_id: (*id).clone(),
            as_of: Some(pb::Date {
                year: as_of.year(),
                month: as_of.month() as i32,
                day: as_of.day() as i32,
            }),
            statuses: Vec::new(),
            page: Some(pb::PageRequest {
                page_size: 10,
                page_token: String::new(),
            }),
        });
        request.set_timeout(options.match_timeout);
        let t0 = Instant::now();
        match client.list_company_matches(request).await {
            Ok(response) => {
                latencies.push(t0.elapsed());
                matches += response.into_inner().matches.len();
                out.ok += 1;
            }
            Err(status) => {
                out.failed += 1;
                out.first_error
                    .get_or_insert_with(|| format!("{:?}: {}", status.code(), status.message()));
            }
        }
    }
    latencies.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    out.p50_ms = ms(percentile(&latencies, 50.0));
    out.p99_ms = ms(percentile(&latencies, 99.0));
    out.max_ms = ms(latencies.last().copied().unwrap_or_default());
    out.mean_matches = if out.ok > 0 {
        matches as f64 / out.ok as f64
    } else {
        0.0
    };
    out
}

/// The harness checks: what makes a run's figures meaningless.
fn check(report: &mut Report) {
    let mut failures = Vec::new();
    let expected = report.companies + report.opportunities;
    if report.pyred_load.rejected > 0 {
        failures.push(format!(
            "the registry rejected {} records: {}",
            report.pyred_load.rejected,
            report
                .pyred_load
                .first_rejection
                .clone()
                .unwrap_or_default()
        ));
    }
    if report.pyred_load.documents as u64 != expected {
        failures.push(format!(
            "index holds {} documents, expected {expected}",
            report.pyred_load.documents
        ));
    }
    if report.postgres_load.rows != expected {
        failures.push(format!(
            "PostgreSQL holds {} rows, expected {expected}",
            report.postgres_load.rows
        ));
    }
    if report.levels.is_empty() {
        failures.push("no level measured".to_owned());
    }
    for level in &report.levels {
        for (name, s) in [
            ("geo-search", Some(&level.pyred)),
            ("PostgreSQL", Some(&level.postgres)),
            ("in-process", level.floor.as_ref()),
        ] {
            let Some(s) = s else {
                failures.push(format!("{} clients: {name} not measured", level.clients));
                continue;
            };
            if s.errors > 0 {
                failures.push(format!(
                    "{} clients: {name} had {} failed requests ({})",
                    level.clients,
                    s.errors,
                    s.first_error.clone().unwrap_or_default()
                ));
            }
            if s.requests == 0 {
                failures.push(format!(
                    "{} clients: {name} completed no request",
                    level.clients
                ));
            } else if s.empty == s.requests {
                failures.push(format!(
                    "{} clients: every {name} answer was empty",
                    level.clients
                ));
            }
        }
    }
    if report.overlap.both_nonempty == 0 {
        failures.push("overlap not computed: no monolingual query answered by both".to_owned());
    }
    if report.overlap.unknown_ids > 0 {
        failures.push(format!(
            "{} Pyred hits with ids the load did not report",
            report.overlap.unknown_ids
        ));
    }
    // At full size a slow ListCompanyMatches is a measurement (capped by its deadline),
    // not a broken harness; in the smoke run it must answer.
    if report.smoke && report.matchmaking.ok == 0 {
        failures.push(format!(
            "ListCompanyMatches never answered: {}",
            report.matchmaking.first_error.clone().unwrap_or_default()
        ));
    }
    report.failures = failures;
}

/// The human-readable report (Markdown tables).
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let push = |out: &mut String, line: String| {
        out.push_str(&line);
        out.push('\n');
    };
    push(
        &mut out,
        format!(
            "# pyred-bench {} — {} firms + {} listings, seed {}, {} cores, load average {} → {}",
            if report.smoke { "(smoke)" } else { "" },
            report.companies,
            report.opportunities,
            report.seed,
            report.cores,
            report.loadavg_start,
            report.loadavg_end
        ),
    );
    push(
        &mut out,
        format!(
            "queries: {} distinct ({} monolingual), {:.0} s per level, snippets {}; services over {}",
            report.queries,
            report.monolingual_queries,
            report.duration_secs,
            if report.snippets { "on" } else { "off" },
            report.security
        ),
    );
    push(
        &mut out,
        format!(
            "corpus: generated in {:.1} s, {:.0} MB of JSON Lines",
            report.corpus_secs, report.corpus_mb
        ),
    );
    push(&mut out, String::new());
    push(&mut out, "## Load".to_owned());
    push(
        &mut out,
        "| system | load | index | total to searchable | rate |".to_owned(),
    );
    push(&mut out, "|---|---|---|---|---|".to_owned());
    let p = &report.pyred_load;
    push(
        &mut out,
        format!(
            "| Pyred (sync API) | firms {:.1} s + listings {:.1} s | follows the feed during the load | {:.1} s | {:.0} listings/s acknowledged |",
            p.companies_secs, p.listings_secs, p.searchable_secs, p.listings_per_sec
        ),
    );
    let g = &report.postgres_load;
    push(
        &mut out,
        format!(
            "| PostgreSQL (COPY) | {:.1} s | {:.1} s | {:.1} s | {:.0} rows/s (load + index) |",
            g.load_secs,
            g.index_secs,
            g.load_secs + g.index_secs,
            g.rows as f64 / (g.load_secs + g.index_secs).max(1e-9)
        ),
    );
    push(&mut out, String::new());
    push(&mut out, "## Queries".to_owned());
    push(&mut out, "| clients | Pyred gRPC p50 / p99 / q/s | PostgreSQL p50 / p99 / q/s | in-process p50 / p99 / q/s | p50 ratio | p99 ratio | q/s ratio | empty answers P / G |".to_owned());
    push(&mut out, "|---|---|---|---|---|---|---|---|".to_owned());
    for l in &report.levels {
        let f = l.floor.as_ref().map_or_else(
            || "—".to_owned(),
            |f| format!("{:.2} / {:.2} ms / {:.0}", f.p50_ms, f.p99_ms, f.qps),
        );
        push(
            &mut out,
            format!(
                "| {} | {:.2} / {:.2} ms / {:.0} | {:.2} / {:.2} ms / {:.0} | {} | {:.3} | {:.3} | {:.1}× | {:.0} % / {:.0} % |",
                l.clients,
                l.pyred.p50_ms,
                l.pyred.p99_ms,
                l.pyred.qps,
                l.postgres.p50_ms,
                l.postgres.p99_ms,
                l.postgres.qps,
                f,
                l.p50_ratio,
                l.p99_ratio,
                l.qps_ratio,
                100.0 * l.pyred.empty as f64 / l.pyred.requests.max(1) as f64,
                100.0 * l.postgres.empty as f64 / l.postgres.requests.max(1) as f64,
            ),
        );
    }
    push(&mut out, String::new());
    let o = &report.overlap;
    push(
        &mut out,
        format!(
            "## Agreement (monolingual queries)\n{} compared: both answered {}, mean overlap {:.2} of the shorter list ({:.2} of 10); Pyred only {}, PostgreSQL only {}, neither {}",
            o.queries,
            o.both_nonempty,
            o.mean_overlap,
            o.mean_overlap_at_10,
            o.pyred_only,
            o.postgres_only,
            o.both_empty
        ),
    );
    push(&mut out, String::new());
    let fp = &report.footprint;
    push(&mut out, "## Footprint".to_owned());
    push(&mut out, "| | RSS | peak RSS | PSS | disk |".to_owned());
    push(&mut out, "|---|---|---|---|---|".to_owned());
    push(
        &mut out,
        format!(
            "| company-registry | {:.0} MB | {:.0} MB | {:.0} MB | {:.0} MB (registry.db) |",
            fp.registry.rss_mb, fp.registry.peak_rss_mb, fp.registry.pss_mb, fp.registry_disk_mb
        ),
    );
    push(
        &mut out,
        format!(
            "| geo-search | {:.0} MB | {:.0} MB | {:.0} MB | {:.0} MB (index) |",
            fp.geo_search.rss_mb, fp.geo_search.peak_rss_mb, fp.geo_search.pss_mb, fp.index_disk_mb
        ),
    );
    push(
        &mut out,
        format!(
            "| matchmaking | {:.0} MB | {:.0} MB | {:.0} MB | {:.0} MB (matchmaking.db) |",
            fp.matchmaking.rss_mb,
            fp.matchmaking.peak_rss_mb,
            fp.matchmaking.pss_mb,
            fp.matchmaking_disk_mb
        ),
    );
    push(
        &mut out,
        format!(
            "| PostgreSQL server ({} processes) | {:.0} MB (sum) | {:.0} MB (sum) | {:.0} MB | {:.0} MB database (table {:.0} MB, indexes {:.0} MB) |",
            fp.postgres_processes,
            fp.postgres.rss_mb,
            fp.postgres.peak_rss_mb,
            fp.postgres.pss_mb,
            fp.postgres_disk.database_mb,
            fp.postgres_disk.table_mb,
            fp.postgres_disk.indexes_mb
        ),
    );
    push(&mut out, String::new());
    let m = &report.matchmaking;
    push(
        &mut out,
        format!(
            "## ListCompanyMatches\n{} firms asked: {} answered, {} failed; p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms; {:.1} matches each; matchmaking SERVING after {:.1} s{}",
            m.sampled,
            m.ok,
            m.failed,
            m.p50_ms,
            m.p99_ms,
            m.max_ms,
            m.mean_matches,
            m.start_secs,
            m.first_error
                .as_ref()
                .map_or_else(String::new, |e| format!("; first failure: {e}"))
        ),
    );
    if !report.failures.is_empty() {
        push(&mut out, String::new());
        push(&mut out, "## HARNESS FAILURES".to_owned());
        for f in &report.failures {
            push(&mut out, format!("- {f}"));
        }
    }
    out
}
