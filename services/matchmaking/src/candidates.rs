//! Candidate generation: which records the model scores for one party.
//!
//! On a small register the model scores a firm against every listing (exact, and the
//! register is read in a few pages). On a large one it cannot: geo-search proposes the
//! candidates and the model ranks them. For a firm, several searches run at once, each
//! asking for live listings at `as_of`, ids only (`skip_snippets`):
//!
//! - **supply**: the concepts of what the firm provides, strongest (weight × IDF)
//!   first, with its `offers` as query text (stems in both languages' fields, typos);
//! - **source**: the concepts of what it wants, with its `seeks` as text;
//! - **sectors**: both sides' concepts restricted to the activity codes its
//!   counterparties are filed under (its customers from the adjacency table — requests
//!   are coded by the buyer's trade —, its own codes, its suppliers);
//!
//! within the firm's service radius when it states one. Each search has a share of the
//! `top_n` candidates; their results are interleaved rank by rank and deduplicated.
//! A listing's firms are found the same way over the indexed companies.
//!
//! The candidates' records come from the registry (`GetOpportunity`/`GetCompany`,
//! `fetch_concurrency` at a time) unless [`ProfileCache`] holds the version the index
//! returned or a newer one; profiles are built once per record version.
//!
//! [`SharedStats`] keeps the corpus statistics (IDF of concepts and stems) of the whole
//! register, so that a call costs O(candidates) instead of O(register).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use pyred_domain::Day;
use pyred_matching::{CorpusStats, SearchTerms};
use pyred_proto::v1::geo_search_client::GeoSearchClient;
use pyred_proto::v1::{self as pb};
use pyred_runtime::client::ServiceChannel;
use pyred_runtime::config::CandidatesSettings;

/// Geo-search's largest page.
const SEARCH_PAGE: usize = 100;
/// Geo-search's limit on concept ids per request.
const MAX_REQUEST_CONCEPTS: usize = 100;
/// Geo-search's limit on query words.
const MAX_QUERY_WORDS: usize = 32;
/// How long a register count is trusted.
const COUNT_TTL: Duration = Duration::from_secs(10);
/// Pause between two looks at the index while waiting for it to catch up.
const INDEX_POLL: Duration = Duration::from_millis(25);

/// How candidates are gathered: the `[matchmaking.candidates]` configuration section
/// (`libs/runtime`, compiled-in defaults, ranges checked when the configuration loads),
/// in the types the candidate path uses. Each field names its key.
#[derive(Debug, Clone, PartialEq)]
pub struct CandidateSettings {
    /// Registers with at most this many records on the side being ranked (listings
    /// for a firm, firms for a listing) are scored exhaustively (`exhaustive_max`,
    /// default 5000).
    pub exhaustive_max: u64,
    /// Candidates asked of geo-search per party (`top_n`, default 500, at most 10000).
    pub top_n: usize,
    /// Concepts per direction in a search (`search_concepts`, default 50, at most 100).
    pub max_concepts: usize,
    /// Sector searches per party (`sector_searches`, default 3).
    pub sector_searches: usize,
    /// Concurrent registry gets while fetching candidates (`fetch_concurrency`,
    /// default 16).
    pub fetch_concurrency: usize,
    /// Profiles kept per entity (`profile_cache`, default 20000).
    pub cache_capacity: usize,
    /// Age after which the register statistics are rebuilt in the background when the
    /// register changed (`stats_refresh_secs`, default 600).
    pub stats_refresh: Duration,
    /// Most records profiled when building the statistics; a larger register is
    /// sampled evenly (`stats_sample`, default 100000).
    pub stats_sample: u64,
    /// Changes the index may lag behind the registry before a call waits for it, at
    /// least (`index_lag`, default 0); the tolerance is also 1 % of the indexed
    /// documents, so that steady syncing on a large register costs no wait.
    pub index_lag: i64,
    /// Longest such wait (`index_wait_ms`, default 2000).
    pub index_wait: Duration,
    /// Whether the supply and source searches also send the party's text (`offers`,
    /// `seeks`, a listing's title) besides its concepts (`search_text`, default true).
    pub search_text: bool,
}

impl Default for CandidateSettings {
    /// The compiled-in defaults of `[matchmaking.candidates]` (a test checks they agree).
    fn default() -> Self {
        Self {
            exhaustive_max: 5000,
            top_n: 500,
            max_concepts: 50,
            sector_searches: 3,
            fetch_concurrency: 16,
            cache_capacity: 20_000,
            stats_refresh: Duration::from_secs(600),
            stats_sample: 100_000,
            index_lag: 0,
            index_wait: Duration::from_millis(2000),
            search_text: true,
        }
    }
}

impl From<&CandidatesSettings> for CandidateSettings {
    /// The configured section; its ranges were checked when the configuration loaded,
    /// so every value fits (a larger one saturates rather than wraps).
    fn from(config: &CandidatesSettings) -> Self {
        let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        Self {
            exhaustive_max: config.exhaustive_max,
            top_n: size(config.top_n),
            max_concepts: size(config.search_concepts),
            sector_searches: size(config.sector_searches),
            fetch_concurrency: size(config.fetch_concurrency),
            cache_capacity: size(config.profile_cache),
            stats_refresh: Duration::from_secs(config.stats_refresh_secs),
            stats_sample: config.stats_sample,
            index_lag: i64::try_from(config.index_lag).unwrap_or(i64::MAX),
            index_wait: Duration::from_millis(config.index_wait_ms),
            search_text: config.search_text,
        }
    }
}

/// A record the index proposed: its id and the version the index holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Registry id.
    pub id: String,
    /// Version of the record in the index.
    pub version: i64,
}

/// Which side of the register a count or a search is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// Firms.
    Companies,
    /// Listings.
    Opportunities,
}

impl Side {
    fn entity(self) -> pb::EntityKind {
        match self {
            Side::Companies => pb::EntityKind::Company,
            Side::Opportunities => pb::EntityKind::Opportunity,
        }
    }
}

/// One search of a candidate generation, with its share of the candidates.
#[derive(Debug, Clone)]
struct Planned {
    request: pb::SearchRequest,
    share: f64,
}

/// Candidate generation through geo-search.
#[derive(Clone)]
pub struct GeoCandidates {
    client: GeoSearchClient<ServiceChannel>,
    settings: Arc<CandidateSettings>,
    counts: Arc<Mutex<HashMap<Side, (u64, Instant)>>>,
}

impl std::fmt::Debug for GeoCandidates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeoCandidates")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// The first words of `text`, as many as a search reads.
fn query_text(text: &str) -> String {
    text.split_whitespace()
        .take(MAX_QUERY_WORDS)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Concepts of both directions, alternating so that each keeps its strongest.
fn both(terms: &SearchTerms) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    let longest = terms.supply.len().max(terms.source.len());
    for i in 0..longest {
        for list in [&terms.supply, &terms.source] {
            if let Some(id) = list.get(i)
                && seen.insert(*id)
            {
                out.push((*id).to_owned());
            }
        }
    }
    out.truncate(MAX_REQUEST_CONCEPTS);
    out
}

/// Interleaves ranked lists rank by rank, each taking at most its quota, without
/// duplicates, until `limit` candidates.
fn interleave(lists: Vec<(Vec<Candidate>, usize)>, limit: usize) -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let longest = lists.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    let mut taken = vec![0usize; lists.len()];
    for rank in 0..longest {
        for (i, (list, quota)) in lists.iter().enumerate() {
            if out.len() >= limit {
                return out;
            }
            if taken[i] >= *quota {
                continue;
            }
            if let Some(candidate) = list.get(rank)
                && seen.insert(candidate.id.clone())
            {
                taken[i] += 1;
                out.push(candidate.clone());
            }
        }
    }
    out
}

impl GeoCandidates {
    /// Candidates from the geo-search behind `channel`.
    pub fn new(channel: ServiceChannel, settings: CandidateSettings) -> Self {
        Self {
            client: GeoSearchClient::new(channel),
            settings: Arc::new(settings),
            counts: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// The settings in use.
    pub fn settings(&self) -> &CandidateSettings {
        &self.settings
    }

    /// Records of one side in the index, whatever their status (what an exhaustive
    /// pass would read), counted by geo-search. A count above `exhaustive_max` is
    /// trusted for a few seconds; a smaller one is asked again each time, so that a
    /// register that has just been loaded is never taken for a small one.
    ///
    /// # Errors
    /// Geo-search's status when it does not answer.
    pub async fn register_size(&self, side: Side) -> Result<u64, tonic::Status> {
        if let Ok(counts) = self.counts.lock()
            && let Some((count, at)) = counts.get(&side)
            && *count > self.settings.exhaustive_max
            && at.elapsed() < COUNT_TTL
        {
            return Ok(*count);
        }
        let mut client = self.client.clone();
        let response = client
            .search(pb::SearchRequest {
                filters: Some(pb::SearchFilters {
                    entity: side.entity() as i32,
                    include_not_live: true,
                    ..Default::default()
                }),
                skip_snippets: true,
                page: Some(pb::PageRequest {
                    page_size: 1,
                    page_token: String::new(),
                }),
                ..Default::default()
            })
            .await?
            .into_inner();
        let count = u64::try_from(response.total).unwrap_or(0);
        if let Ok(mut counts) = self.counts.lock() {
            counts.insert(side, (count, Instant::now()));
        }
        Ok(count)
    }

    /// Whether the side is large enough for candidates to come from the index.
    ///
    /// # Errors
    /// Geo-search's status when it does not answer.
    pub async fn is_large(&self, side: Side) -> Result<bool, tonic::Status> {
        Ok(self.register_size(side).await? > self.settings.exhaustive_max)
    }

    /// Waits (at most `index_wait`) while the index lags the registry by more than
    /// `index_lag` changes or 1 % of its documents, so that a call right after a bulk
    /// load sees it.
    ///
    /// # Errors
    /// Geo-search's status when it does not answer.
    pub async fn wait_for_index(&self) -> Result<(), tonic::Status> {
        let started = Instant::now();
        let mut client = self.client.clone();
        loop {
            let status = client
                .get_index_status(pb::GetIndexStatusRequest {})
                .await?
                .into_inner();
            let tolerance = self.settings.index_lag.max(status.documents / 100);
            if status.registry_seq - status.applied_seq <= tolerance
                || started.elapsed() >= self.settings.index_wait
            {
                return Ok(());
            }
            tokio::time::sleep(INDEX_POLL).await;
        }
    }

    /// Up to `want` hits of one search, best first, following its pages.
    async fn ranked(
        &self,
        mut request: pb::SearchRequest,
        want: usize,
    ) -> Result<Vec<Candidate>, tonic::Status> {
        let client = self.client.clone();
        let size = i32::try_from(want.clamp(1, SEARCH_PAGE)).unwrap_or(100);
        let mut out = Vec::with_capacity(want);
        request.page = None;
        pyred_proto::paging::each_page(
            request,
            size,
            |request| {
                let mut client = client.clone();
                async move {
                    client
                        .search(request)
                        .await
                        .map(tonic::Response::into_inner)
                }
            },
            |hits| {
                out.extend(hits.into_iter().map(|hit| Candidate {
                    id: hit.id,
                    version: hit.version,
                }));
                if out.len() < want {
                    std::ops::ControlFlow::Continue(())
                } else {
                    std::ops::ControlFlow::Break(())
                }
            },
        )
        .await?;
        out.truncate(want);
        Ok(out)
    }

    /// Runs the planned searches at once and interleaves their results.
    async fn gather(&self, planned: Vec<Planned>) -> Result<Vec<Candidate>, tonic::Status> {
        let top_n = self.settings.top_n;
        let total: f64 = planned.iter().map(|p| p.share).sum();
        if planned.is_empty() || total <= 0.0 {
            return Ok(Vec::new());
        }
        let searches = planned.into_iter().map(|p| {
            let quota = ((p.share / total) * top_n as f64).ceil() as usize;
            let quota = quota.clamp(1, top_n);
            async move { self.ranked(p.request, quota).await.map(|l| (l, quota)) }
        });
        let lists = futures::future::try_join_all(searches).await?;
        Ok(interleave(lists, top_n))
    }

    fn search(
        &self,
        side: Side,
        text: &str,
        concepts: Vec<String>,
        nace_prefix: &str,
        as_of: Day,
        geo: Option<pb::search_request::Geo>,
    ) -> pb::SearchRequest {
        self.search_codes(side, text, concepts, nace_prefix, "", as_of, geo)
    }

    #[allow(clippy::too_many_arguments)]
    fn search_codes(
        &self,
        side: Side,
        text: &str,
        concepts: Vec<String>,
        nace_prefix: &str,
        cpv_prefix: &str,
        as_of: Day,
        geo: Option<pb::search_request::Geo>,
    ) -> pb::SearchRequest {
        pb::SearchRequest {
            query: query_text(text),
            filters: Some(pb::SearchFilters {
                entity: side.entity() as i32,
                nace_prefix: nace_prefix.to_owned(),
                cpv_prefix: cpv_prefix.to_owned(),
                as_of: Some(as_of.into()),
                ..Default::default()
            }),
            geo,
            skip_snippets: true,
            concepts,
            ..Default::default()
        }
    }

    fn plan(
        &self,
        side: Side,
        terms: &SearchTerms,
        supply_text: &str,
        source_text: &str,
        as_of: Day,
        geo: Option<pb::search_request::Geo>,
    ) -> Vec<Planned> {
        let strings = |ids: &[&'static str]| -> Vec<String> {
            ids.iter()
                .take(MAX_REQUEST_CONCEPTS)
                .map(|id| (*id).to_owned())
                .collect()
        };
        let mut planned = Vec::new();
        for (concepts, text, share) in [
            (&terms.supply, supply_text, 0.4),
            (&terms.source, source_text, 0.3),
        ] {
            if concepts.is_empty() && text.trim().is_empty() {
                continue;
            }
            let text = if self.settings.search_text { text } else { "" };
            if concepts.is_empty() && text.is_empty() {
                continue;
            }
            planned.push(Planned {
                request: self.search(side, text, strings(concepts), "", as_of, geo.clone()),
                share,
            });
        }
        let concepts = both(terms);
        // The listings filed under the CPV classes the party supplies: a filter alone
        // (a French text or concept would be required to match too, and Spanish
        // tenders often share neither); the model ranks them.
        for prefix in &terms.codes {
            planned.push(Planned {
                request: self.search_codes(side, "", Vec::new(), "", prefix, as_of, geo.clone()),
                share: 0.4 / terms.codes.len() as f64,
            });
        }
        let sectors: Vec<_> = terms
            .sectors
            .iter()
            .take(self.settings.sector_searches)
            .collect();
        if !concepts.is_empty() {
            for (code, _) in &sectors {
                planned.push(Planned {
                    request: self.search(
                        side,
                        "",
                        concepts.clone(),
                        code.code(),
                        as_of,
                        geo.clone(),
                    ),
                    share: 0.3 / sectors.len() as f64,
                });
            }
        }
        planned
    }

    /// Live listings at `as_of` worth scoring for `company`, at most `top_n`: within
    /// its service radius when it states one (hours by road first: the search's travel
    /// area, on the search's day; else km as the crow flies).
    ///
    /// # Errors
    /// Geo-search's status when a search fails.
    pub async fn listings_for(
        &self,
        company: &pb::Company,
        terms: &SearchTerms,
        as_of: Day,
    ) -> Result<Vec<Candidate>, tonic::Status> {
        let geo = service_area(company);
        let supply_text = if company.offers.trim().is_empty() {
            company.description.as_str()
        } else {
            company.offers.as_str()
        };
        let planned = self.plan(
            Side::Opportunities,
            terms,
            supply_text,
            &company.seeks,
            as_of,
            geo,
        );
        self.gather(planned).await
    }

    /// Firms worth scoring for `opportunity`, at most `top_n`.
    ///
    /// # Errors
    /// Geo-search's status when a search fails.
    pub async fn companies_for(
        &self,
        opportunity: &pb::Opportunity,
        terms: &SearchTerms,
        as_of: Day,
    ) -> Result<Vec<Candidate>, tonic::Status> {
        let planned = self.plan(Side::Companies, terms, &opportunity.title, "", as_of, None);
        self.gather(planned).await
    }
}

/// A record and its profile, built once per version.
#[derive(Debug)]
pub struct Cached<R, P> {
    /// Registry version.
    pub version: i64,
    /// The record.
    pub record: Arc<R>,
    /// Its profile.
    pub profile: Arc<P>,
}

impl<R, P> Clone for Cached<R, P> {
    fn clone(&self) -> Self {
        Self {
            version: self.version,
            record: Arc::clone(&self.record),
            profile: Arc::clone(&self.profile),
        }
    }
}

/// Entries by id, each with the tick of its last use.
type Entries<R, P> = HashMap<String, (Cached<R, P>, u64)>;

/// Records and profiles by id, at most `capacity`; the least recently used go first.
#[derive(Debug)]
pub struct ProfileCache<R, P> {
    entries: Mutex<Entries<R, P>>,
    clock: AtomicU64,
    capacity: usize,
}

impl<R, P> ProfileCache<R, P> {
    /// An empty cache of at most `capacity` entries (0 keeps nothing).
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            clock: AtomicU64::new(0),
            capacity,
        }
    }

    /// The entry of `id` when it holds `version` or a newer one.
    pub fn get(&self, id: &str, version: i64) -> Option<Cached<R, P>> {
        let tick = self.clock.fetch_add(1, Ordering::Relaxed);
        let mut entries = self.entries.lock().ok()?;
        let (cached, used) = entries.get_mut(id)?;
        if cached.version < version {
            return None;
        }
        *used = tick;
        Some(cached.clone())
    }

    /// Keeps `cached` for `id` unless a newer version is held.
    pub fn insert(&self, id: &str, cached: Cached<R, P>) {
        if self.capacity == 0 {
            return;
        }
        let tick = self.clock.fetch_add(1, Ordering::Relaxed);
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if let Some((held, _)) = entries.get(id)
            && held.version > cached.version
        {
            return;
        }
        entries.insert(id.to_owned(), (cached, tick));
        if entries.len() > self.capacity {
            // Drop the least recently used tenth at once, so that eviction is rare.
            let mut ticks: Vec<u64> = entries.values().map(|(_, t)| *t).collect();
            let drop = (self.capacity / 10).max(1).min(ticks.len() - 1);
            let (_, cut, _) = ticks.select_nth_unstable(drop);
            let cut = *cut;
            entries.retain(|_, (_, t)| *t >= cut);
        }
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A snapshot of the register statistics.
#[derive(Debug, Clone)]
pub struct StatsSnapshot {
    /// The statistics.
    pub stats: Arc<CorpusStats>,
    /// Records the register held when they were counted.
    pub records: u64,
    /// When they were counted.
    pub built: Instant,
    /// The change count ([`SharedStats::note_changes`]) when they were counted.
    pub changes_at_build: u64,
}

/// The corpus statistics of the whole register, shared by every call.
///
/// Built by reading the register (evenly sampled above `stats_sample` records), or
/// published by an exhaustive pass that read it anyway. The feed follower reports how
/// many records changed; the snapshot is rebuilt in the background once it is older
/// than `stats_refresh` and something changed (or nothing was ever reported: a replica
/// whose follower is not the elected one cannot know), or when the changes reach a
/// tenth of the records counted; a caller waits for a rebuild only when there is no
/// snapshot yet or the register has more than tripled since.
#[derive(Debug, Default)]
pub struct SharedStats {
    snapshot: RwLock<Option<StatsSnapshot>>,
    changes: AtomicU64,
    building: tokio::sync::Mutex<()>,
}

/// What a caller should do with the current snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Freshness {
    /// Use it.
    Fresh,
    /// Use it, and rebuild in the background.
    Stale,
    /// Wait for a rebuild.
    Missing,
}

impl SharedStats {
    /// No statistics yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts records changed since (the feed follower calls it per batch).
    pub fn note_changes(&self, records: u64) {
        self.changes.fetch_add(records, Ordering::Relaxed);
    }

    /// The change count so far.
    pub fn changes(&self) -> u64 {
        self.changes.load(Ordering::Relaxed)
    }

    /// The current snapshot, if any.
    pub fn current(&self) -> Option<StatsSnapshot> {
        self.snapshot.read().ok().and_then(|s| s.clone())
    }

    /// Replaces the snapshot.
    pub fn publish(&self, stats: CorpusStats, records: u64, changes_at_build: u64) {
        if let Ok(mut slot) = self.snapshot.write() {
            *slot = Some(StatsSnapshot {
                stats: Arc::new(stats),
                records,
                built: Instant::now(),
                changes_at_build,
            });
        }
    }

    /// How usable the current snapshot is.
    pub fn freshness(&self, refresh: Duration) -> Freshness {
        let Some(snapshot) = self.current() else {
            return Freshness::Missing;
        };
        let changed = self.changes().saturating_sub(snapshot.changes_at_build);
        if changed > snapshot.records.saturating_mul(2) && changed > 0 {
            Freshness::Missing
        } else if (snapshot.built.elapsed() >= refresh && (changed > 0 || self.changes() == 0))
            || changed > snapshot.records / 10
        {
            Freshness::Stale
        } else {
            Freshness::Fresh
        }
    }

    /// The lock held while building, so that one build runs at a time.
    pub fn building(&self) -> &tokio::sync::Mutex<()> {
        &self.building
    }
}

/// The geographic restriction of a firm's candidate search: its radius in hours as a
/// travel area, else its radius in km; none without a position or a radius. When both
/// radii are stated the matcher applies the km one to what the travel area returns.
fn service_area(company: &pb::Company) -> Option<pb::search_request::Geo> {
    let location = company.location.as_ref()?;
    location.point()?;
    let centre = pb::Location {
        lat: location.lat,
        lon: location.lon,
        ..Default::default()
    };
    if let Some(hours) = company
        .service_radius_hours
        .filter(|h| h.is_finite() && *h > 0.0)
    {
        return Some(pb::search_request::Geo::Travel(pb::TravelArea {
            centre: Some(pb::travel_area::Centre::Point(centre)),
            max_minutes: (hours * 60.0).min(720.0),
        }));
    }
    let radius = company
        .service_radius_km
        .filter(|r| r.is_finite() && *r > 0.0)?;
    Some(pb::search_request::Geo::Radius(pb::GeoRadius {
        centre: Some(pb::geo_radius::Centre::Point(centre)),
        radius_km: radius.min(1000.0),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidates(ids: &[&str]) -> Vec<Candidate> {
        ids.iter()
            .map(|id| Candidate {
                id: (*id).to_owned(),
                version: 1,
            })
            .collect()
    }

    #[test]
    fn lists_are_interleaved_by_rank_within_quotas_and_limit() {
        let merged = interleave(
            vec![
                (candidates(&["a", "b", "c", "d"]), 3),
                (candidates(&["b", "x", "y"]), 2),
                (candidates(&["z"]), 1),
            ],
            5,
        );
        let ids: Vec<&str> = merged.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "z", "x", "c"]);
    }

    fn load(
        file: Option<&str>,
        env: &[(&str, &str)],
    ) -> Result<pyred_runtime::Settings, pyred_runtime::config::ConfigError> {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = file.map(|text| {
            let path = dir.path().join("pyred.toml");
            std::fs::write(&path, text).expect("write config");
            path
        });
        let env = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .chain([(
                "PYRED_DATA_DIR".to_owned(),
                dir.path().display().to_string(),
            )])
            .collect();
        pyred_runtime::Settings::load(&pyred_runtime::config::ConfigSources {
            file: path,
            env: Some(env),
        })
    }

    #[test]
    fn settings_come_from_the_configuration_and_bad_values_name_their_key() {
        let defaults = load(None, &[]).expect("defaults");
        assert_eq!(
            CandidateSettings::from(&defaults.matchmaking.candidates),
            CandidateSettings::default(),
            "the compiled-in defaults and CandidateSettings::default agree"
        );
        let set = load(
            Some(
                "[matchmaking.candidates]\nexhaustive_max = 0\ntop_n = 300\nsearch_text = false\n",
            ),
            &[
                ("PYRED__MATCHMAKING__CANDIDATES__TOP_N", "200"),
                ("PYRED__MATCHMAKING__CANDIDATES__INDEX_WAIT_MS", "50"),
            ],
        )
        .expect("valid");
        let set = CandidateSettings::from(&set.matchmaking.candidates);
        assert_eq!(set.exhaustive_max, 0, "from the file");
        assert!(!set.search_text, "from the file");
        assert_eq!(set.top_n, 200, "the environment wins over the file");
        assert_eq!(set.index_wait, Duration::from_millis(50));
        assert_eq!(set.max_concepts, 50, "the rest keeps its default");
        let error = load(None, &[("PYRED__MATCHMAKING__CANDIDATES__TOP_N", "0")])
            .expect_err("zero candidates")
            .to_string();
        assert!(
            error.contains("matchmaking.candidates.top_n: must be at least 1"),
            "{error}"
        );
        let error = load(
            Some("[matchmaking.candidates]\nsector_searches = -2\n"),
            &[],
        )
        .expect_err("negative")
        .to_string();
        assert!(
            error.contains("matchmaking.candidates.sector_searches"),
            "{error}"
        );
    }

    #[test]
    fn the_cache_keeps_newer_versions_and_evicts_the_least_recently_used() {
        let cache: ProfileCache<String, String> = ProfileCache::new(10);
        let entry = |version: i64| Cached {
            version,
            record: Arc::new(format!("r{version}")),
            profile: Arc::new(format!("p{version}")),
        };
        cache.insert("a", entry(2));
        assert!(cache.get("a", 2).is_some());
        assert!(
            cache.get("a", 1).is_some(),
            "a newer version serves an older hit"
        );
        assert!(cache.get("a", 3).is_none(), "an older version is refetched");
        cache.insert("a", entry(1));
        assert_eq!(cache.get("a", 0).map(|c| c.version), Some(2));
        for i in 0..20 {
            cache.insert(&format!("k{i}"), entry(1));
            let _ = cache.get("a", 0);
        }
        assert!(cache.len() <= 10);
        assert!(cache.get("a", 0).is_some(), "the entry in use stays");
    }

    #[test]
    fn statistics_are_missing_until_published_then_stale_after_many_changes() {
        let shared = SharedStats::new();
        assert_eq!(
            shared.freshness(Duration::from_secs(60)),
            Freshness::Missing
        );
        shared.publish(CorpusStats::new(), 100, shared.changes());
        assert_eq!(shared.freshness(Duration::from_secs(60)), Freshness::Fresh);
        assert_eq!(
            shared.freshness(Duration::ZERO),
            Freshness::Stale,
            "without change reports, age alone makes them stale"
        );
        shared.note_changes(5);
        assert_eq!(shared.freshness(Duration::from_secs(60)), Freshness::Fresh);
        assert_eq!(shared.freshness(Duration::ZERO), Freshness::Stale);
        shared.note_changes(20);
        assert_eq!(shared.freshness(Duration::from_secs(60)), Freshness::Stale);
        shared.note_changes(500);
        assert_eq!(
            shared.freshness(Duration::from_secs(60)),
            Freshness::Missing
        );
    }
}
