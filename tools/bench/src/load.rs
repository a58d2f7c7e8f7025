//! Loading the corpus into Pyred the way agencies and chambers do: firms through
//! `ImportCompanies`, listings through `SyncListings`, in batches of
//! [`BATCH`] items of one publisher, with [`IN_FLIGHT`] batches in flight.
//! Lines are parsed by the `pyred` crate's own JSON Lines parser
//! ([`pyred::import::parse_company`], [`pyred::import::parse_opportunity`]).

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead as _;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use pyred_proto::v1::company_registry_client::CompanyRegistryClient;
use pyred_proto::v1::geo_search_client::GeoSearchClient;
use pyred_proto::v1::{self as pb};
use tokio::task::JoinSet;

use crate::corpus::row_of;
use crate::pyred_stack::{BenchChannel, Service, Stack};

/// Items per call (the registry's maximum is 1000).
pub const BATCH: usize = 1000;
/// Calls in flight at once (the registry serialises writes; two overlap encoding,
/// transport and validation with the previous batch's transaction).
pub const IN_FLIGHT: usize = 2;

/// What the load measured.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PyredLoad {
    /// Firms imported.
    pub companies: u64,
    /// Listings synced.
    pub listings: u64,
    /// Items the registry refused.
    pub rejected: u64,
    /// First refusal, if any.
    pub first_rejection: Option<String>,
    /// Time for `ImportCompanies` of every firm.
    pub companies_secs: f64,
    /// Time for `SyncListings` of every listing (all acknowledged).
    pub listings_secs: f64,
    /// Listings acknowledged per second.
    pub listings_per_sec: f64,
    /// From the first call until geo-search has applied the last change (searchable).
    pub searchable_secs: f64,
    /// Documents in the index at the end.
    pub documents: i64,
}

/// Registry id → corpus row, to compare hits with PostgreSQL's rows.
pub type RowIds = HashMap<String, u32>;

struct Outcome {
    rows: Vec<(String, u32)>,
    rejected: u64,
    first_rejection: Option<String>,
    last_seq: i64,
}

fn outcome_of(results: Vec<pb::SyncItemResult>, companies: u64) -> Outcome {
    let mut out = Outcome {
        rows: Vec::with_capacity(results.len()),
        rejected: 0,
        first_rejection: None,
        last_seq: 0,
    };
    for result in results {
        if result.outcome == pb::SyncOutcome::Rejected as i32 || result.id.is_empty() {
            out.rejected += 1;
            out.first_rejection
                .get_or_insert_with(|| format!("{}: {:?}", result.external_id, result.violations));
        } else if let Some(row) = row_of(&result.external_id, companies) {
            out.rows.push((result.id, row as u32));
        }
    }
    out
}

async fn call_with_retry<T, F, Fut>(mut call: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
{
    let mut delay = Duration::from_millis(250);
    for attempt in 0.. {
        match call().await {
            Ok(response) => return Ok(response.into_inner()),
            Err(status) if status.code() == tonic::Code::Unavailable && attempt < 5 => {
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
            Err(status) => return Err(status.into()),
        }
    }
    unreachable!("the loop returns")
}

/// Loads `dir`'s two files into the stack's registry and waits until geo-search has
/// applied every change.
pub async fn load(
    stack: &Stack,
    dir: &Path,
    companies: u64,
) -> anyhow::Result<(PyredLoad, RowIds)> {
    let registry = CompanyRegistryClient::new(stack.channel(Service::Registry)?)
        .max_decoding_message_size(64 << 20)
        .max_encoding_message_size(64 << 20);
    let mut report = PyredLoad::default();
    let mut ids = RowIds::new();
    let mut last_seq = 0_i64;
    let started = Instant::now();
    let mut tasks: JoinSet<anyhow::Result<Outcome>> = JoinSet::new();
    let mut absorb = |outcome: Outcome, report: &mut PyredLoad, ids: &mut RowIds| {
        report.rejected += outcome.rejected;
        if report.first_rejection.is_none() {
            report.first_rejection = outcome.first_rejection;
        }
        last_seq = last_seq.max(outcome.last_seq);
        ids.extend(outcome.rows);
    };

    // Firms, one publisher per region.
    let mut pending: BTreeMap<String, Vec<pb::Company>> = BTreeMap::new();
    let reader = std::io::BufReader::new(std::fs::File::open(dir.join("companies.jsonl"))?);
    let send_companies =
        |tasks: &mut JoinSet<anyhow::Result<Outcome>>, source: String, batch: Vec<pb::Company>| {
            let client = registry.clone();
            tasks.spawn(async move {
                let request = pb::ImportCompaniesRequest {
                    source,
                    companies: batch,
                };
                let response = call_with_retry(|| {
                    let mut client = client.clone();
                    let request = request.clone();
                    async move { client.import_companies(request).await }
                })
                .await?;
                let mut outcome = outcome_of(response.results, companies);
                outcome.last_seq = response.last_seq;
                Ok(outcome)
            });
        };
    for (number, line) in reader.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let company = pyred::import::parse_company(&line).map_err(|invalid| {
            anyhow::anyhow!("companies.jsonl line {}: {invalid:?}", number + 1)
        })?;
        report.companies += 1;
        let source = match company.region.as_str() {
            "FR-32" => "cci-gers",
            "ES-RI" => "camara-rioja",
            _ => "camara-aragon",
        };
        let batch = pending.entry(source.to_owned()).or_default();
        batch.push(company);
        if batch.len() >= BATCH {
            let full = std::mem::take(batch);
            while tasks.len() >= IN_FLIGHT {
                if let Some(done) = tasks.join_next().await {
                    absorb(done??, &mut report, &mut ids);
                }
            }
            send_companies(&mut tasks, source.to_owned(), full);
        }
    }
    for (source, batch) in std::mem::take(&mut pending) {
        if !batch.is_empty() {
            send_companies(&mut tasks, source, batch);
        }
    }
    while let Some(done) = tasks.join_next().await {
        absorb(done??, &mut report, &mut ids);
    }
    report.companies_secs = started.elapsed().as_secs_f64();

    // Listings, batched per publisher.
    let listings_started = Instant::now();
    let mut pending: BTreeMap<String, Vec<pb::Opportunity>> = BTreeMap::new();
    let reader = std::io::BufReader::new(std::fs::File::open(dir.join("opportunities.jsonl"))?);
    let send_listings = |tasks: &mut JoinSet<anyhow::Result<Outcome>>,
                         source: String,
                         batch: Vec<pb::Opportunity>| {
        let client = registry.clone();
        tasks.spawn(async move {
            let request = pb::SyncListingsRequest {
                source,
                upserts: batch,
                withdrawals: Vec::new(),
                ..Default::default()
            };
            let response = call_with_retry(|| {
                let mut client = client.clone();
                let request = request.clone();
                async move { client.sync_listings(request).await }
            })
            .await?;
            let mut outcome = outcome_of(response.results, companies);
            outcome.last_seq = response.last_seq;
            Ok(outcome)
        });
    };
    for (number, line) in reader.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let listing = pyred::import::parse_opportunity(&line).map_err(|invalid| {
            anyhow::anyhow!("opportunities.jsonl line {}: {invalid:?}", number + 1)
        })?;
        report.listings += 1;
        let source = listing.source.clone();
        let batch = pending.entry(source.clone()).or_default();
        batch.push(listing);
        if batch.len() >= BATCH {
            let full = std::mem::take(batch);
            while tasks.len() >= IN_FLIGHT {
                if let Some(done) = tasks.join_next().await {
                    absorb(done??, &mut report, &mut ids);
                }
            }
            send_listings(&mut tasks, source, full);
        }
    }
    for (source, batch) in std::mem::take(&mut pending) {
        if !batch.is_empty() {
            send_listings(&mut tasks, source, batch);
        }
    }
    while let Some(done) = tasks.join_next().await {
        absorb(done??, &mut report, &mut ids);
    }
    report.listings_secs = listings_started.elapsed().as_secs_f64();
    report.listings_per_sec = report.listings as f64 / report.listings_secs.max(1e-9);

    // Searchable: geo-search has committed and reloaded the last change.
    let mut geo = GeoSearchClient::new(stack.channel(Service::GeoSearch)?);
    let deadline = Instant::now() + Duration::from_secs(3600);
    loop {
        let status = geo
            .get_index_status(pb::GetIndexStatusRequest {})
            .await
            .context("GetIndexStatus")?
            .into_inner();
        if status.applied_seq >= last_seq {
            report.searchable_secs = started.elapsed().as_secs_f64();
            report.documents = status.documents;
            break;
        }
        if Instant::now() > deadline {
            bail!(
                "geo-search did not catch up within an hour (applied {} of {last_seq})",
                status.applied_seq
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok((report, ids))
}

/// A geo-search client over its own connection.
pub fn geo_client(stack: &Stack) -> anyhow::Result<GeoSearchClient<BenchChannel>> {
    Ok(GeoSearchClient::new(stack.channel(Service::GeoSearch)?))
}
