//! `pyred-bench`: Pyred against PostgreSQL full-text search, one machine, one run.
//! See `docs/BENCHMARKS.md`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use pyred_bench::bench::{Options, render, run};

/// Loads a generated corpus into Pyred and PostgreSQL, runs the same adviser queries
/// against both at several concurrencies, and reports latency, throughput, agreement,
/// memory and disk, the in-process floor and ListCompanyMatches.
#[derive(Debug, Parser)]
#[command(name = "pyred-bench")]
struct Args {
    /// Records in total (firms + listings); 10000 for the smoke, 1000000 for the benchmark.
    #[arg(long, default_value_t = 1_000_000)]
    size: u64,
    /// Firms among them (default: a tenth).
    #[arg(long)]
    companies: Option<u64>,
    /// Seed of the corpus and the queries.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Seconds measured per level and system.
    #[arg(long, default_value_t = 20.0)]
    duration: f64,
    /// Concurrent clients, comma-separated.
    #[arg(long, default_value = "1,4,16", value_delimiter = ',')]
    clients: Vec<usize>,
    /// Distinct queries generated (cycled by the clients).
    #[arg(long, default_value_t = 2_000)]
    queries: usize,
    /// Keep the working directory and the database.
    #[arg(long)]
    keep: bool,
    /// Write the full report as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Smoke check of the harness: 10,000 records, 2 s per level, 3 firms matched
    /// (explicit flags still win). Never a timing check.
    #[arg(long)]
    smoke: bool,
    /// Reuse a corpus directory (as written by pyred-corpus) instead of generating one.
    #[arg(long)]
    corpus: Option<PathBuf>,
    /// Parent of the working directory (default: the system temp dir).
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// PostgreSQL server; a database pyred_bench_<pid> is created and dropped there.
    #[arg(
        long,
        env = "PYRED_BENCH_PG_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pg_url: String,
    /// Directory of the service binaries (default: this binary's directory).
    #[arg(long)]
    bin_dir: Option<PathBuf>,
    /// Firms sampled for ListCompanyMatches.
    #[arg(long)]
    match_sample: Option<usize>,
    /// Deadline of one ListCompanyMatches call, seconds.
    #[arg(long, default_value_t = 120)]
    match_timeout: u64,
    /// Upper bound of the matchmaking phase, seconds.
    #[arg(long, default_value_t = 300)]
    match_budget: u64,
    /// Ask geo-search for snippets too (PostgreSQL computes none).
    #[arg(long)]
    snippets: bool,
    /// Bearer key sent in `authorization` to every service.
    #[arg(long, env = "PYRED_BENCH_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// PostgreSQL: B-trees on lat and lon (bounding box + haversine in SQL) even when
    /// earthdistance is available.
    #[arg(long)]
    pg_btree_geo: bool,
    /// Run the services without TLS and without authentication (to measure their cost).
    #[arg(long)]
    plaintext: bool,
    /// KEY=VALUE given to every service process (repeatable).
    #[arg(long = "service-env")]
    service_env: Vec<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let explicit_size = std::env::args().any(|a| a.starts_with("--size"));
    let explicit_duration = std::env::args().any(|a| a.starts_with("--duration"));
    let bin_dir = args.bin_dir.clone().unwrap_or_else(|| {
        std::env::current_exe()
            .ok()
            .and_then(|p| p.parent().map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("."))
    });
    let mut service_env = Vec::new();
    for pair in &args.service_env {
        match pair.split_once('=') {
            Some((k, v)) => service_env.push((k.to_owned(), v.to_owned())),
            None => {
                eprintln!("pyred-bench: --service-env wants KEY=VALUE, got {pair:?}");
                return ExitCode::from(2);
            }
        }
    }
    let options = Options {
        size: if args.smoke && !explicit_size {
            10_000
        } else {
            args.size
        },
        companies: args.companies,
        seed: args.seed,
        duration: Duration::from_secs_f64(if args.smoke && !explicit_duration {
            2.0
        } else {
            args.duration
        }),
        clients: args.clients.clone(),
        queries: args.queries,
        keep: args.keep,
        json: args.json.clone(),
        corpus: args.corpus.clone(),
        work_dir: args.work_dir.clone(),
        pg_url: args.pg_url.clone(),
        bin_dir,
        match_sample: args.match_sample.unwrap_or(if args.smoke { 3 } else { 20 }),
        match_timeout: Duration::from_secs(args.match_timeout),
        match_budget: Duration::from_secs(args.match_budget),
        snippets: args.snippets,
        api_key: args.api_key.clone(),
        plaintext: args.plaintext,
        pg_btree_geo: args.pg_btree_geo,
        service_env,
        smoke: args.smoke,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("pyred-bench: {error}");
            return ExitCode::FAILURE;
        }
    };
    let report = match runtime.block_on(run(options.clone())) {
        Ok(report) => report,
        Err(error) => {
            eprintln!("pyred-bench: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", render(&report));
    if let Some(path) = &options.json {
        match serde_json::to_string_pretty(&report) {
            Ok(text) => {
                if let Err(error) = std::fs::write(path, text) {
                    eprintln!("pyred-bench: cannot write {}: {error}", path.display());
                    return ExitCode::FAILURE;
                }
            }
            Err(error) => {
                eprintln!("pyred-bench: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    if report.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!("pyred-bench: {} harness failure(s)", report.failures.len());
        ExitCode::FAILURE
    }
}
