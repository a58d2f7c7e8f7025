//! Leads: a firm scored against the listings (or a listing against the firms) with the
//! matching model (`pyred-matching`), the best pairs recorded in the store so that the
//! advisers' workflow attaches to them, and new ones raised as alerts.
//!
//! Two paths, chosen per call by the size of the side being ranked (listings for a
//! firm, firms for a listing) as geo-search counts it:
//!
//! - **exhaustive**, at most `exhaustive_max` records (a chamber's register), or when
//!   geo-search is not configured or does not answer: every record is read from the
//!   registry's lists and scored, with corpus statistics computed over the whole
//!   register in the same pass (and shared with the other path);
//! - **candidates**, above it: geo-search proposes at most `top_n` records
//!   ([`crate::candidates`]), the registry (or the profile cache) gives them, the model
//!   ranks them with the shared register statistics; a call costs O(candidates).
//!
//! Both rank with the same model and record the best [`RECORDED_PER_PARTY`] pairs.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::Arc;

use futures::StreamExt as _;
use pyred_domain::Day;
use pyred_matching::{CompanyProfile, CorpusStats, Matcher, OpportunityProfile, Scored};
use pyred_proto::v1::company_registry_client::CompanyRegistryClient;
use pyred_proto::v1::{self as pb};
use pyred_runtime::client::ServiceChannel;

use crate::candidates::{
    Cached, Candidate, CandidateSettings, Freshness, GeoCandidates, ProfileCache, SharedStats, Side,
};
use crate::error::MatchError;
use crate::store::{ScoredPair, Store};

/// Pairs recorded per firm or listing each time it is scored.
pub const RECORDED_PER_PARTY: usize = 50;
/// Registry page size while collecting candidates.
const REGISTRY_PAGE: i32 = 100;

/// A listing and its profile.
type Listing = Cached<pb::Opportunity, OpportunityProfile>;
/// A firm and its profile.
type Firm = Cached<pb::Company, CompanyProfile>;

/// A firm ranked for a listing, with its profile and score (not recorded).
#[derive(Debug, Clone)]
pub struct RankedFirm {
    /// The firm as the registry holds it.
    pub company: Arc<pb::Company>,
    /// Its matching profile.
    pub profile: Arc<CompanyProfile>,
    /// Its score against the listing, 0..1.
    pub fit: f64,
}

/// Scores and records leads.
#[derive(Clone)]
pub struct Leads {
    matcher: Arc<Matcher>,
    registry: CompanyRegistryClient<ServiceChannel>,
    /// The channel `registry` uses, for the paged reads.
    channel: ServiceChannel,
    store: Store,
    geo: Option<GeoCandidates>,
    settings: Arc<CandidateSettings>,
    listings: Arc<ProfileCache<pb::Opportunity, OpportunityProfile>>,
    firms: Arc<ProfileCache<pb::Company, CompanyProfile>>,
    stats: Arc<SharedStats>,
}

impl std::fmt::Debug for Leads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leads").finish_non_exhaustive()
    }
}

fn upstream(status: tonic::Status) -> MatchError {
    if status.code() == tonic::Code::NotFound {
        MatchError::NotFound {
            entity: "record",
            id: status.message().to_owned(),
        }
    } else {
        MatchError::Upstream {
            service: "company-registry",
            status,
        }
    }
}

fn geo_upstream(status: tonic::Status) -> MatchError {
    MatchError::Upstream {
        service: "geo-search",
        status,
    }
}

fn pair(scored: &Scored, company: &pb::Company, opportunity: &pb::Opportunity) -> ScoredPair {
    ScoredPair {
        company_id: scored.company_id.clone(),
        opportunity_id: scored.opportunity_id.clone(),
        score: scored.score,
        explanation: pb::Match {
            reasons: scored.reasons.iter().map(pb::MatchReason::from).collect(),
            distance_km: scored.breakdown.distance_km,
            travel: scored
                .breakdown
                .travel
                .as_ref()
                .map(pyred_matching::travel_leg),
            opportunity_title: opportunity.title.clone(),
            company_name: company.name.clone(),
            ..Default::default()
        },
    }
}

impl Leads {
    /// Leads over the registry behind `registry`, recorded in `store`, always scored
    /// exhaustively (see [`Leads::with_geo_search`]).
    pub fn new(matcher: Arc<Matcher>, registry: ServiceChannel, store: Store) -> Self {
        let settings = CandidateSettings::default();
        Self {
            matcher,
            registry: CompanyRegistryClient::new(registry.clone()),
            channel: registry,
            store,
            geo: None,
            listings: Arc::new(ProfileCache::new(settings.cache_capacity)),
            firms: Arc::new(ProfileCache::new(settings.cache_capacity)),
            stats: Arc::new(SharedStats::new()),
            settings: Arc::new(settings),
        }
    }

    /// The store the leads are recorded in.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The same leads with candidates from the geo-search behind `geo_search` once a
    /// side has more than `settings.exhaustive_max` records.
    pub fn with_geo_search(
        mut self,
        geo_search: ServiceChannel,
        settings: CandidateSettings,
    ) -> Self {
        self.listings = Arc::new(ProfileCache::new(settings.cache_capacity));
        self.firms = Arc::new(ProfileCache::new(settings.cache_capacity));
        self.geo = Some(GeoCandidates::new(geo_search, settings.clone()));
        self.settings = Arc::new(settings);
        self
    }

    /// How candidates are gathered.
    pub fn settings(&self) -> &CandidateSettings {
        &self.settings
    }

    /// The register statistics shared by every call.
    pub fn shared_stats(&self) -> &SharedStats {
        &self.stats
    }

    /// Every listing of the registry.
    pub async fn opportunities(&self) -> Result<Vec<pb::Opportunity>, MatchError> {
        let mut all = Vec::new();
        self.each_opportunity_page(|page| all.extend(page)).await?;
        Ok(all)
    }

    async fn each_opportunity_page(
        &self,
        mut each: impl FnMut(Vec<pb::Opportunity>),
    ) -> Result<(), MatchError> {
        pyred_runtime::client::each_opportunity_page(&self.channel, REGISTRY_PAGE, |page| {
            each(page);
            ControlFlow::Continue(())
        })
        .await
        .map_err(upstream)
    }

    /// Every firm of the registry.
    pub async fn companies(&self) -> Result<Vec<pb::Company>, MatchError> {
        let mut all = Vec::new();
        self.each_company_page(|page| all.extend(page)).await?;
        Ok(all)
    }

    async fn each_company_page(
        &self,
        mut each: impl FnMut(Vec<pb::Company>),
    ) -> Result<(), MatchError> {
        pyred_runtime::client::each_company_page(&self.channel, REGISTRY_PAGE, |page| {
            each(page);
            ControlFlow::Continue(())
        })
        .await
        .map_err(upstream)
    }

    /// Whether `caller` may see the leads of company `company_id` — the one rule every
    /// call and the digests apply (regions looked up once per call through `regions`).
    pub async fn sees_company(
        &self,
        caller: &pyred_access::Caller,
        company_id: &str,
        regions: &mut std::collections::HashMap<String, Option<String>>,
    ) -> Result<bool, MatchError> {
        // Only an adviser's answer depends on the region: look it up for them alone.
        let region = if caller.sees_by_region() {
            match regions.get(company_id) {
                Some(region) => region.clone(),
                None => {
                    let region = match self.company(company_id).await {
                        Ok(company) => Some(company.region),
                        Err(MatchError::NotFound { .. }) => None,
                        Err(error) => return Err(error),
                    };
                    regions.insert(company_id.to_owned(), region.clone());
                    region
                }
            }
        } else {
            Some(String::new())
        };
        Ok(region.is_some_and(|region| caller.sees_company(company_id, &region)))
    }

    /// Listings by id from the registry, 200 per call; ids it does not return (gone, or
    /// not readable) are absent.
    pub async fn opportunities_by_id(
        &self,
        ids: &[String],
    ) -> Result<std::collections::HashMap<String, pb::Opportunity>, MatchError> {
        let mut found = std::collections::HashMap::new();
        for chunk in ids.chunks(200) {
            let mut registry = self.registry.clone();
            let page = registry
                .batch_get_opportunities(pb::BatchGetRequest {
                    ids: chunk.to_vec(),
                })
                .await
                .map_err(upstream)?
                .into_inner();
            found.extend(
                page.opportunities
                    .into_iter()
                    .map(|opportunity| (opportunity.id.clone(), opportunity)),
            );
        }
        Ok(found)
    }

    /// A firm from the registry.
    pub async fn company(&self, id: &str) -> Result<pb::Company, MatchError> {
        let mut registry = self.registry.clone();
        registry
            .get_company(pb::GetCompanyRequest {
                id: id.to_owned(),
                legal_id: String::new(),
            })
            .await
            .map(tonic::Response::into_inner)
            .map_err(|status| match status.code() {
                tonic::Code::NotFound => MatchError::NotFound {
                    entity: "company",
                    id: id.to_owned(),
                },
                _ => upstream(status),
            })
    }

    /// A listing from the registry.
    pub async fn opportunity(&self, id: &str) -> Result<pb::Opportunity, MatchError> {
        let mut registry = self.registry.clone();
        registry
            .get_opportunity(pb::GetOpportunityRequest { id: id.to_owned() })
            .await
            .map(tonic::Response::into_inner)
            .map_err(|status| match status.code() {
                tonic::Code::NotFound => MatchError::NotFound {
                    entity: "opportunity",
                    id: id.to_owned(),
                },
                _ => upstream(status),
            })
    }

    /// A listing with its profile, built once per version.
    fn listing(&self, record: pb::Opportunity) -> Result<Listing, MatchError> {
        if let Some(cached) = self.listings.get(&record.id, record.version)
            && cached.version == record.version
        {
            return Ok(cached);
        }
        let profile = self
            .matcher
            .opportunity(&record)
            .map_err(MatchError::Model)?;
        let cached = Cached {
            version: record.version,
            record: Arc::new(record),
            profile: Arc::new(profile),
        };
        self.listings.insert(&cached.record.id, cached.clone());
        Ok(cached)
    }

    /// A firm with its profile, built once per version.
    fn firm(&self, record: pb::Company) -> Result<Firm, MatchError> {
        if let Some(cached) = self.firms.get(&record.id, record.version)
            && cached.version == record.version
        {
            return Ok(cached);
        }
        let profile = self.matcher.company(&record).map_err(MatchError::Model)?;
        let cached = Cached {
            version: record.version,
            record: Arc::new(record),
            profile: Arc::new(profile),
        };
        self.firms.insert(&cached.record.id, cached.clone());
        Ok(cached)
    }

    /// Geo-search, when the side to rank is too large to be read whole; `None` means
    /// exhaustive (small side, no geo-search configured, or geo-search not answering).
    async fn candidates_for(&self, side: Side) -> Option<&GeoCandidates> {
        let geo = self.geo.as_ref()?;
        match geo.is_large(side).await {
            Ok(large) => large.then_some(geo),
            Err(status) => {
                tracing::warn!(%status, "geo-search does not answer: scoring exhaustively");
                None
            }
        }
    }

    /// Statistics over every firm and listing given, published as the shared ones.
    fn register_stats(
        &self,
        firms: &[Firm],
        listings: &[Listing],
        changes: u64,
    ) -> Arc<CorpusStats> {
        let mut stats = CorpusStats::new();
        for firm in firms {
            stats.add(&firm.profile.all());
        }
        for listing in listings {
            stats.add(&listing.profile.all());
        }
        let records = u64::try_from(firms.len() + listings.len()).unwrap_or(u64::MAX);
        self.stats.publish(stats, records, changes);
        self.stats
            .current()
            .map_or_else(|| Arc::new(CorpusStats::new()), |s| s.stats)
    }

    /// The shared register statistics: built if there are none (or the register grew
    /// far beyond them), rebuilt in the background when stale.
    async fn shared(&self) -> Result<Arc<CorpusStats>, MatchError> {
        match self.stats.freshness(self.settings.stats_refresh) {
            Freshness::Fresh => {}
            Freshness::Stale => {
                if self.stats.building().try_lock().is_ok() {
                    let leads = self.clone();
                    tokio::spawn(async move {
                        if let Err(error) = leads.rebuild_stats().await {
                            tracing::warn!(%error, "register statistics not rebuilt");
                        }
                    });
                }
            }
            Freshness::Missing => {
                let _building = self.stats.building().lock().await;
                if self.stats.freshness(self.settings.stats_refresh) == Freshness::Missing {
                    self.build_stats().await?;
                }
            }
        }
        self.stats
            .current()
            .map(|s| s.stats)
            .ok_or_else(|| MatchError::CorruptValue("register statistics missing".to_owned()))
    }

    async fn rebuild_stats(&self) -> Result<(), MatchError> {
        let Ok(_building) = self.stats.building().try_lock() else {
            return Ok(()); // another rebuild runs
        };
        self.build_stats().await
    }

    /// Reads the register and counts every record, or every n-th one above
    /// `stats_sample` records (IDF and typical norms are ratios: an even sample keeps
    /// them).
    async fn build_stats(&self) -> Result<(), MatchError> {
        let started = std::time::Instant::now();
        let changes = self.stats.changes();
        let estimate = match &self.geo {
            Some(geo) => {
                let firms = geo.register_size(Side::Companies).await.unwrap_or(0);
                let listings = geo.register_size(Side::Opportunities).await.unwrap_or(0);
                firms + listings
            }
            None => 0,
        };
        let stride = estimate.div_ceil(self.settings.stats_sample.max(1)).max(1);
        let mut stats = CorpusStats::new();
        let mut seen: u64 = 0;
        let mut counted: u64 = 0;
        let matcher = &self.matcher;
        let mut failed = None;
        self.each_company_page(|page| {
            for company in page {
                seen += 1;
                if seen.is_multiple_of(stride) {
                    match matcher.company(&company) {
                        Ok(profile) => {
                            stats.add(&profile.all());
                            counted += 1;
                        }
                        Err(error) => failed = Some(error),
                    }
                }
            }
        })
        .await?;
        self.each_opportunity_page(|page| {
            for opportunity in page {
                seen += 1;
                if seen.is_multiple_of(stride) {
                    match matcher.opportunity(&opportunity) {
                        Ok(profile) => {
                            stats.add(&profile.all());
                            counted += 1;
                        }
                        Err(error) => failed = Some(error),
                    }
                }
            }
        })
        .await?;
        if let Some(error) = failed {
            tracing::warn!(%error, "a record was left out of the register statistics");
        }
        self.stats.publish(stats, seen, changes);
        tracing::info!(
            records = seen,
            counted,
            elapsed_ms = started.elapsed().as_millis(),
            "register statistics built"
        );
        Ok(())
    }

    /// Profiles of `candidates`, in their order: from the cache when the indexed version
    /// is cached, else read from the registry in batches (`BatchGet…`, 200 ids per call,
    /// `fetch_concurrency` calls at a time) and profiled on the blocking pool; records
    /// deleted since they were indexed are left out.
    async fn fetch_many<T, R, Get, GetFut, Build>(
        &self,
        candidates: Vec<Candidate>,
        cached: impl Fn(&Leads, &Candidate) -> Option<T>,
        get: Get,
        build: Build,
    ) -> Result<Vec<T>, MatchError>
    where
        T: Clone + Send + 'static,
        R: Send + 'static,
        Get: Fn(Leads, Vec<String>) -> GetFut,
        GetFut: std::future::Future<Output = Result<Vec<R>, MatchError>> + Send + 'static,
        Build: Fn(&Leads, R) -> Result<(String, T), MatchError> + Send + Sync + Copy + 'static,
    {
        let mut found: HashMap<String, T> = HashMap::new();
        let mut missing = Vec::new();
        for candidate in &candidates {
            match cached(self, candidate) {
                Some(hit) => {
                    found.insert(candidate.id.clone(), hit);
                }
                None => missing.push(candidate.id.clone()),
            }
        }
        let chunks: Vec<Vec<String>> = missing.chunks(200).map(<[String]>::to_vec).collect();
        let fetched: Vec<_> = futures::stream::iter(chunks)
            .map(|ids| {
                let leads = self.clone();
                let read = get(self.clone(), ids);
                tokio::spawn(async move {
                    let records = read.await?;
                    tokio::task::spawn_blocking(move || {
                        records
                            .into_iter()
                            .map(|record| build(&leads, record))
                            .collect::<Result<Vec<_>, MatchError>>()
                    })
                    .await
                    .map_err(|error| MatchError::Upstream {
                        service: "company-registry",
                        status: tonic::Status::internal(format!("profiling stopped: {error}")),
                    })?
                })
            })
            .buffer_unordered(self.settings.fetch_concurrency.max(1))
            .collect()
            .await;
        for chunk in fetched {
            let built = chunk.map_err(|error| MatchError::Upstream {
                service: "company-registry",
                status: tonic::Status::internal(format!("candidate fetch stopped: {error}")),
            })??;
            found.extend(built);
        }
        Ok(candidates
            .iter()
            .filter_map(|candidate| found.get(&candidate.id).cloned())
            .collect())
    }

    async fn fetch_listings(&self, candidates: Vec<Candidate>) -> Result<Vec<Listing>, MatchError> {
        self.fetch_many(
            candidates,
            |leads, c| leads.listings.get(&c.id, c.version),
            |leads, ids| async move {
                let mut registry = leads.registry.clone();
                registry
                    .batch_get_opportunities(pb::BatchGetRequest { ids })
                    .await
                    .map(|r| r.into_inner().opportunities)
                    .map_err(upstream)
            },
            |leads, record: pb::Opportunity| Ok((record.id.clone(), leads.listing(record)?)),
        )
        .await
    }

    async fn fetch_firms(&self, candidates: Vec<Candidate>) -> Result<Vec<Firm>, MatchError> {
        self.fetch_many(
            candidates,
            |leads, c| leads.firms.get(&c.id, c.version),
            |leads, ids| async move {
                let mut registry = leads.registry.clone();
                registry
                    .batch_get_companies(pb::BatchGetRequest { ids })
                    .await
                    .map(|r| r.into_inner().companies)
                    .map_err(upstream)
            },
            |leads, record: pb::Company| Ok((record.id.clone(), leads.firm(record)?)),
        )
        .await
    }

    /// The ids of the listings geo-search proposes for `company` at `as_of` (at most
    /// `top_n`; none without geo-search), whatever the size of the register.
    ///
    /// # Errors
    /// [`MatchError::Upstream`] when geo-search or the registry fails.
    pub async fn listing_candidates(
        &self,
        company: &pb::Company,
        as_of: Day,
    ) -> Result<Vec<String>, MatchError> {
        let Some(geo) = &self.geo else {
            return Ok(Vec::new());
        };
        let (_, listings, _) = self.company_candidates(geo, company, as_of, true).await?;
        Ok(listings.into_iter().map(|l| l.record.id.clone()).collect())
    }

    /// A firm's candidates with their profiles, and the statistics to score them with.
    /// A caller's request waits for a lagging index (`wait_for_index`); the feed
    /// follower does not (it follows the same feed as the index, and a bulk load would
    /// make it wait on every record).
    async fn company_candidates(
        &self,
        geo: &GeoCandidates,
        company: &pb::Company,
        as_of: Day,
        wait_for_index: bool,
    ) -> Result<(Firm, Vec<Listing>, Arc<CorpusStats>), MatchError> {
        let stats = self.shared().await?;
        let firm = self.firm(company.clone())?;
        let terms =
            self.matcher
                .company_search_terms(&firm.profile, &stats, self.settings.max_concepts);
        if wait_for_index {
            geo.wait_for_index().await.map_err(geo_upstream)?;
        }
        let candidates = geo
            .listings_for(company, &terms, as_of)
            .await
            .map_err(geo_upstream)?;
        let listings = self.fetch_listings(candidates).await?;
        Ok((firm, listings, stats))
    }

    /// A listing's candidate firms with their profiles, and the statistics to score
    /// them with (see [`Leads::company_candidates`] for `wait_for_index`).
    async fn opportunity_candidates(
        &self,
        geo: &GeoCandidates,
        opportunity: &pb::Opportunity,
        as_of: Day,
        wait_for_index: bool,
    ) -> Result<(Listing, Vec<Firm>, Arc<CorpusStats>), MatchError> {
        let stats = self.shared().await?;
        let listing = self.listing(opportunity.clone())?;
        let terms = self.matcher.opportunity_search_terms(
            &listing.profile,
            &stats,
            self.settings.max_concepts,
        );
        if wait_for_index {
            geo.wait_for_index().await.map_err(geo_upstream)?;
        }
        let candidates = geo
            .companies_for(opportunity, &terms, as_of)
            .await
            .map_err(geo_upstream)?;
        let firms = self.fetch_firms(candidates).await?;
        Ok((listing, firms, stats))
    }

    /// The best pairs of `firm` among `listings`.
    fn rank_listings(
        &self,
        firm: &Firm,
        listings: &[Listing],
        stats: &CorpusStats,
        as_of: Day,
    ) -> Vec<ScoredPair> {
        let profiles: Vec<&OpportunityProfile> = listings.iter().map(|l| &*l.profile).collect();
        let by_id: HashMap<&str, &pb::Opportunity> = listings
            .iter()
            .map(|l| (l.profile.id.as_str(), &*l.record))
            .collect();
        self.matcher
            .matches_for_company(&firm.profile, &profiles, stats, as_of, RECORDED_PER_PARTY)
            .iter()
            .filter_map(|scored| {
                by_id
                    .get(scored.opportunity_id.as_str())
                    .map(|opportunity| pair(scored, &firm.record, opportunity))
            })
            .collect()
    }

    /// The best pairs of `listing` among `firms`.
    fn rank_firms(
        &self,
        listing: &Listing,
        firms: &[Firm],
        stats: &CorpusStats,
        as_of: Day,
    ) -> Vec<ScoredPair> {
        let profiles: Vec<&CompanyProfile> = firms.iter().map(|f| &*f.profile).collect();
        let by_id: HashMap<&str, &pb::Company> = firms
            .iter()
            .map(|f| (f.profile.id.as_str(), &*f.record))
            .collect();
        self.matcher
            .companies_for_opportunity(
                &listing.profile,
                &profiles,
                stats,
                as_of,
                RECORDED_PER_PARTY,
            )
            .iter()
            .filter_map(|scored| {
                by_id
                    .get(scored.company_id.as_str())
                    .map(|company| pair(scored, company, &listing.record))
            })
            .collect()
    }

    async fn record(&self, pairs: &[ScoredPair]) -> Result<Vec<String>, MatchError> {
        self.store.record_scores(pairs).await?;
        Ok(pairs
            .iter()
            .map(|p| crate::store::match_id(&p.company_id, &p.opportunity_id))
            .collect())
    }

    /// Every firm and listing of the register with their profiles, and statistics over
    /// them (published as the shared ones).
    async fn whole_register(
        &self,
    ) -> Result<(Vec<Firm>, Vec<Listing>, Arc<CorpusStats>), MatchError> {
        let changes = self.stats.changes();
        let firms = self
            .companies()
            .await?
            .into_iter()
            .map(|c| self.firm(c))
            .collect::<Result<Vec<_>, _>>()?;
        let listings = self
            .opportunities()
            .await?
            .into_iter()
            .map(|o| self.listing(o))
            .collect::<Result<Vec<_>, _>>()?;
        let stats = self.register_stats(&firms, &listings, changes);
        Ok((firms, listings, stats))
    }

    /// Scores `company` against the listings live at `as_of` (every one, or
    /// geo-search's candidates on a large register), records the best, and returns
    /// their match ids, best first.
    pub async fn score_company(
        &self,
        company: &pb::Company,
        as_of: Day,
    ) -> Result<Vec<String>, MatchError> {
        if let Some(geo) = self.candidates_for(Side::Opportunities).await {
            match self.company_candidates(geo, company, as_of, true).await {
                Ok((firm, listings, stats)) => {
                    let pairs = self.rank_listings(&firm, &listings, &stats, as_of);
                    return self.record(&pairs).await;
                }
                Err(MatchError::Upstream {
                    service: "geo-search",
                    status,
                }) => {
                    tracing::warn!(%status, "geo-search failed: scoring exhaustively");
                }
                Err(error) => return Err(error),
            }
        }
        let (_, listings, stats) = self.whole_register().await?;
        let firm = self.firm(company.clone())?;
        let pairs = self.rank_listings(&firm, &listings, &stats, as_of);
        self.record(&pairs).await
    }

    /// Scores `company` against `opportunities` with statistics over them, records the
    /// best, and returns their match ids, best first.
    pub async fn score_company_against(
        &self,
        company: &pb::Company,
        opportunities: &[pb::Opportunity],
        as_of: Day,
    ) -> Result<Vec<String>, MatchError> {
        let firm = self.firm(company.clone())?;
        let listings = opportunities
            .iter()
            .map(|o| self.listing(o.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        let mut stats = CorpusStats::new();
        stats.add(&firm.profile.all());
        for listing in &listings {
            stats.add(&listing.profile.all());
        }
        let pairs = self.rank_listings(&firm, &listings, &stats, as_of);
        self.record(&pairs).await
    }

    /// Scores `opportunity` against the firms (every one, or geo-search's candidates on
    /// a large register), records the best, and returns their match ids, best first.
    pub async fn score_opportunity(
        &self,
        opportunity: &pb::Opportunity,
        as_of: Day,
    ) -> Result<Vec<String>, MatchError> {
        if let Some(geo) = self.candidates_for(Side::Companies).await {
            match self
                .opportunity_candidates(geo, opportunity, as_of, true)
                .await
            {
                Ok((listing, firms, stats)) => {
                    let pairs = self.rank_firms(&listing, &firms, &stats, as_of);
                    return self.record(&pairs).await;
                }
                Err(MatchError::Upstream {
                    service: "geo-search",
                    status,
                }) => {
                    tracing::warn!(%status, "geo-search failed: scoring exhaustively");
                }
                Err(error) => return Err(error),
            }
        }
        let (firms, _, stats) = self.whole_register().await?;
        let listing = self.listing(opportunity.clone())?;
        let pairs = self.rank_firms(&listing, &firms, &stats, as_of);
        self.record(&pairs).await
    }

    /// The firms the model ranks best for `opportunity` at `as_of` (at most `limit`, plus
    /// `include` when it is not among them), with their profiles and scores, best first:
    /// the candidates of a joint bid. Nothing is recorded.
    ///
    /// # Errors
    /// [`MatchError::Upstream`] when geo-search or the registry fails;
    /// [`MatchError::NotFound`] when `include` does not exist.
    pub async fn ranked_firms(
        &self,
        opportunity: &pb::Opportunity,
        as_of: Day,
        limit: usize,
        include: Option<&str>,
    ) -> Result<Vec<RankedFirm>, MatchError> {
        let mut found = None;
        if let Some(geo) = self.candidates_for(Side::Companies).await {
            match self
                .opportunity_candidates(geo, opportunity, as_of, true)
                .await
            {
                Ok((listing, firms, stats)) => found = Some((listing, firms, stats)),
                Err(MatchError::Upstream {
                    service: "geo-search",
                    status,
                }) => tracing::warn!(%status, "geo-search failed: ranking exhaustively"),
                Err(error) => return Err(error),
            }
        }
        let (listing, mut firms, stats) = match found {
            Some(found) => found,
            None => {
                let (firms, _, stats) = self.whole_register().await?;
                (self.listing(opportunity.clone())?, firms, stats)
            }
        };
        if let Some(id) = include
            && !firms.iter().any(|firm| firm.record.id == id)
        {
            firms.push(self.firm(self.company(id).await?)?);
        }
        let profiles: Vec<&CompanyProfile> = firms.iter().map(|f| &*f.profile).collect();
        let by_id: HashMap<&str, &Firm> =
            firms.iter().map(|f| (f.profile.id.as_str(), f)).collect();
        let ranked = self.matcher.companies_for_opportunity(
            &listing.profile,
            &profiles,
            &stats,
            as_of,
            profiles.len(),
        );
        let mut out: Vec<RankedFirm> = Vec::new();
        for scored in &ranked {
            let Some(firm) = by_id.get(scored.company_id.as_str()) else {
                continue;
            };
            let wanted = include.is_some_and(|id| firm.record.id == id);
            if out.len() < limit || wanted {
                out.push(RankedFirm {
                    company: firm.record.clone(),
                    profile: firm.profile.clone(),
                    fit: scored.score,
                });
            }
        }
        Ok(out)
    }

    /// The matching model.
    pub fn matcher(&self) -> &Matcher {
        &self.matcher
    }

    /// Scores `opportunity` against `companies` with statistics over them, records the
    /// best, and returns their match ids, best first.
    pub async fn score_opportunity_against(
        &self,
        opportunity: &pb::Opportunity,
        companies: &[pb::Company],
        as_of: Day,
    ) -> Result<Vec<String>, MatchError> {
        let listing = self.listing(opportunity.clone())?;
        let firms = companies
            .iter()
            .map(|c| self.firm(c.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        let mut stats = CorpusStats::new();
        for firm in &firms {
            stats.add(&firm.profile.all());
        }
        stats.add(&listing.profile.all());
        let pairs = self.rank_firms(&listing, &firms, &stats, as_of);
        self.record(&pairs).await
    }

    /// Re-scores the changed firms and listings of one feed batch and records the
    /// results in one transaction. On a small register the register is read once for
    /// the batch (exact statistics); on a large side each changed record gets its
    /// candidates from geo-search and the shared statistics.
    pub async fn score_changes(
        &self,
        changed_companies: &[pb::Company],
        changed_opportunities: &[pb::Opportunity],
        as_of: Day,
    ) -> Result<usize, MatchError> {
        if changed_companies.is_empty() && changed_opportunities.is_empty() {
            return Ok(0);
        }
        self.stats.note_changes(
            u64::try_from(changed_companies.len() + changed_opportunities.len())
                .unwrap_or(u64::MAX),
        );
        let listings_geo = if changed_companies.is_empty() {
            None
        } else {
            self.candidates_for(Side::Opportunities).await
        };
        let firms_geo = if changed_opportunities.is_empty() {
            None
        } else {
            self.candidates_for(Side::Companies).await
        };
        let mut pairs = Vec::new();
        if listings_geo.is_none() && firms_geo.is_none() {
            // A small register: read it once for the batch, with exact statistics.
            let (firms, listings, stats) = self.whole_register().await?;
            let firm_at: HashMap<&str, &Firm> =
                firms.iter().map(|f| (f.record.id.as_str(), f)).collect();
            let listing_at: HashMap<&str, &Listing> =
                listings.iter().map(|l| (l.record.id.as_str(), l)).collect();
            for changed in changed_opportunities {
                // The registered version: the change may be older than the register.
                if let Some(listing) = listing_at.get(changed.id.as_str()) {
                    pairs.extend(self.rank_firms(listing, &firms, &stats, as_of));
                }
            }
            for changed in changed_companies {
                if let Some(firm) = firm_at.get(changed.id.as_str()) {
                    pairs.extend(self.rank_listings(firm, &listings, &stats, as_of));
                }
            }
            self.store.record_scores(&pairs).await?;
            return Ok(pairs.len());
        }
        let stats = self.shared().await?;
        if !changed_opportunities.is_empty() {
            let firms = match firms_geo {
                Some(_) => Vec::new(),
                None => self
                    .companies()
                    .await?
                    .into_iter()
                    .map(|c| self.firm(c))
                    .collect::<Result<Vec<_>, _>>()?,
            };
            for changed in changed_opportunities {
                match firms_geo {
                    Some(geo) => {
                        let (listing, candidates, stats) = self
                            .opportunity_candidates(geo, changed, as_of, false)
                            .await?;
                        pairs.extend(self.rank_firms(&listing, &candidates, &stats, as_of));
                    }
                    None => {
                        let listing = self.listing(changed.clone())?;
                        pairs.extend(self.rank_firms(&listing, &firms, &stats, as_of));
                    }
                }
            }
        }
        if !changed_companies.is_empty() {
            let listings = match listings_geo {
                Some(_) => Vec::new(),
                None => self
                    .opportunities()
                    .await?
                    .into_iter()
                    .map(|o| self.listing(o))
                    .collect::<Result<Vec<_>, _>>()?,
            };
            for changed in changed_companies {
                match listings_geo {
                    Some(geo) => {
                        let (firm, candidates, stats) =
                            self.company_candidates(geo, changed, as_of, false).await?;
                        pairs.extend(self.rank_listings(&firm, &candidates, &stats, as_of));
                    }
                    None => {
                        let firm = self.firm(changed.clone())?;
                        pairs.extend(self.rank_listings(&firm, &listings, &stats, as_of));
                    }
                }
            }
        }
        self.store.record_scores(&pairs).await?;
        Ok(pairs.len())
    }
}
