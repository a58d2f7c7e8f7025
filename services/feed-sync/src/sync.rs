//! Applying feed documents to the registry: parse, keep what is in the territory, map,
//! send through `SyncListings`, count, and move the feed's cursor.
//!
//! Order does not matter for correctness: every listing and tombstone carries its feed
//! version, and the registry never lets an older version overwrite a newer state (see
//! `docs/decisions/0011-feed-order-and-versions.md`). So a URL feed is walked from its
//! newest page back through `next` links, each page applied as it arrives (memory holds
//! one page), until a page reaches the stored cursor; the cursor moves only once the
//! whole walk is applied. A crash mid-walk leaves the cursor where it was, and the next
//! run replays pages that change nothing.

use std::time::Duration;

use indicatif::ProgressBar;
use pyred_domain::Gazetteer;
use pyred_feeds::{Limits, Notice, Problem, ProcedureType, Source, Territory};
use pyred_proto::sync::SyncCounts;
use pyred_proto::v1 as pb;
use pyred_proto::v1::company_registry_client::CompanyRegistryClient;
use pyred_runtime::client::ServiceChannel;
use serde::Serialize;

use crate::fetch::{FetchError, Fetched, Fetcher, Validators, resolve};
use crate::mapping::{self, Mapped};
use crate::source::{SourceError, SourceSpec};

/// Items per `SyncListings` call (the registry takes at most 1000).
const BATCH_ITEMS: usize = 500;

/// Which feed format a source speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// PLACSP ATOM pages with CODICE entries.
    Placsp,
    /// TED eForms notices, one per document.
    Ted,
}

impl Format {
    /// The feed the format comes from.
    pub fn source(self) -> Source {
        match self {
            Format::Placsp => Source::Placsp,
            Format::Ted => Source::Ted,
        }
    }
}

/// How a sync runs.
#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// The format of the documents.
    pub format: Format,
    /// The registry source the listings belong to (`placsp`, `ted`).
    pub source: String,
    /// Which notices are ours.
    pub territory: Territory,
    /// Whether minor contracts (contratos menores) become listings.
    pub include_minor: bool,
    /// Parser limits (bytes, depth, elements) per document.
    pub limits: Limits,
    /// Most pages one URL walk follows back.
    pub max_pages: usize,
}

impl SyncConfig {
    /// The defaults for a format: its own source name, the default territory, minor
    /// contracts included, default limits, 200 pages.
    pub fn new(format: Format) -> Self {
        Self {
            format,
            source: format.source().slug().to_owned(),
            territory: Territory::default(),
            include_minor: true,
            limits: Limits::default(),
            max_pages: 200,
        }
    }
}

/// One entry or document that did not go in, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reject {
    /// The document (path, archive entry or URL).
    pub document: String,
    /// The entry's id in the feed, when known.
    pub entry: String,
    /// The field at fault.
    pub field: String,
    /// The reason.
    pub reason: String,
}

/// What a sync did, counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Documents (pages, notices) read.
    pub documents: u64,
    /// Documents that could not be read at all.
    pub failed_documents: u64,
    /// URL pages answered 304 Not Modified.
    pub not_modified: u64,
    /// Notices read.
    pub entries: u64,
    /// Deleted-entry tombstones read.
    pub tombstones: u64,
    /// Notices outside the territory (counted, not errors).
    pub out_of_territory: u64,
    /// Minor contracts left out by the configuration.
    pub excluded_minor: u64,
    /// Entries and tombstones stored or confirmed, by outcome.
    pub stored: SyncCounts,
    /// Entries or tombstones rejected (see `rejects`).
    pub rejected: u64,
    /// Non-fatal adjustments made while mapping (approximate places, dropped fields).
    pub warnings: u64,
    /// The rejected items.
    pub rejects: Vec<Reject>,
    /// The newest feed version applied (RFC 3339 UTC), when any.
    pub newest: Option<String>,
    /// The feed cursor after the sync, for a URL.
    pub cursor: Option<String>,
}

impl Summary {
    /// Entries and tombstones applied (created, updated, unchanged, withdrawn).
    pub fn applied(&self) -> u64 {
        self.stored.total()
    }

    /// Adds another run's counts.
    pub fn absorb(&mut self, other: Summary) {
        self.documents += other.documents;
        self.failed_documents += other.failed_documents;
        self.not_modified += other.not_modified;
        self.entries += other.entries;
        self.tombstones += other.tombstones;
        self.out_of_territory += other.out_of_territory;
        self.excluded_minor += other.excluded_minor;
        self.stored.absorb(other.stored);
        self.rejected += other.rejected;
        self.warnings += other.warnings;
        self.rejects.extend(other.rejects);
        self.newest = newest(self.newest.take(), other.newest);
        if other.cursor.is_some() {
            self.cursor = other.cursor;
        }
    }

    /// One line for an adviser, in French.
    pub fn line(&self) -> String {
        format!(
            "{} document(s), {} avis lus : {} créés, {} mis à jour, {} inchangés, {} retirés ; {} hors territoire, {} contrats mineurs écartés, {} rejetés, {} avertissements{}",
            self.documents,
            self.entries + self.tombstones,
            self.stored.created,
            self.stored.updated,
            self.stored.unchanged,
            self.stored.withdrawn,
            self.out_of_territory,
            self.excluded_minor,
            self.rejected,
            self.warnings,
            if self.failed_documents > 0 {
                format!(" ; {} document(s) illisible(s)", self.failed_documents)
            } else {
                String::new()
            }
        )
    }
}

fn newest(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b > a { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// Why a sync stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The source cannot be read.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// A page could not be fetched.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// A page of a URL walk could not be parsed (the walk cannot go on without it).
    #[error("{url}: {reason}")]
    Page {
        /// The page.
        url: String,
        /// Why.
        reason: String,
    },
    /// The registry refused or failed a call.
    #[error("the registry answered {}: {}", .0.code(), .0.message())]
    Registry(#[from] tonic::Status),
    /// A URL walk was asked of a local source, or the reverse.
    #[error("{0}")]
    Usage(String),
}

/// What a document held besides its entries: the links to go on with.
#[derive(Debug, Default)]
struct Applied {
    /// The oldest version met (RFC 3339 UTC).
    oldest: Option<String>,
    /// The `next` link, as written.
    next: Option<String>,
}

/// Applies feed documents to one registry.
#[derive(Debug, Clone)]
pub struct Syncer {
    registry: CompanyRegistryClient<ServiceChannel>,
    config: SyncConfig,
    /// Counts the documents applied (hidden unless given by `with_progress`).
    progress: ProgressBar,
}

impl Syncer {
    /// A syncer sending to the registry behind `channel`.
    pub fn new(channel: ServiceChannel, config: SyncConfig) -> Self {
        Self {
            registry: CompanyRegistryClient::new(channel),
            config,
            progress: ProgressBar::hidden(),
        }
    }

    /// Advances `progress` by one for each document (file, zip entry, feed page) applied.
    pub fn with_progress(mut self, progress: ProgressBar) -> Self {
        self.progress = progress;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &SyncConfig {
        &self.config
    }

    /// Applies every document of a local source (file, directory, zip), in the
    /// source's order. A document that cannot be read is counted and skipped.
    pub async fn sync_local(&self, spec: &SourceSpec) -> Result<Summary, SyncError> {
        if spec.is_url() {
            return Err(SyncError::Usage(format!(
                "{spec} is a URL, not a local source"
            )));
        }
        let mut summary = Summary::default();
        for document in spec.local_documents(self.config.limits.max_bytes)? {
            match document {
                Ok(document) => {
                    if let Err(error) = self
                        .apply_document(&document.name, &document.bytes, &mut summary)
                        .await
                    {
                        match error {
                            DocumentError::Unreadable(reason) => {
                                summary.failed_documents += 1;
                                summary.rejects.push(Reject {
                                    document: document.name.clone(),
                                    entry: String::new(),
                                    field: "document".to_owned(),
                                    reason,
                                });
                            }
                            DocumentError::Registry(status) => return Err(status.into()),
                        }
                    }
                }
                Err(error) => {
                    summary.failed_documents += 1;
                    summary.rejects.push(Reject {
                        document: spec.to_string(),
                        entry: String::new(),
                        field: "document".to_owned(),
                        reason: error.to_string(),
                    });
                }
            }
        }
        Ok(summary)
    }

    /// Walks a feed URL from its newest page back through `next` links until a page
    /// reaches the stored cursor (or no page is left, or `max_pages`), applying each
    /// page, then moves the cursor to the newest version applied. `head` are the head
    /// page's validators from the previous poll: when the server answers 304 nothing is
    /// walked. Returns the summary and the head's new validators.
    pub async fn sync_url(
        &self,
        fetcher: &Fetcher,
        url: &str,
        head: Option<&Validators>,
    ) -> Result<(Summary, Option<Validators>), SyncError> {
        let feed = url.trim().to_owned();
        let cursor = self.cursor(&feed).await?;
        let mut summary = Summary::default();
        let mut head_validators = None;
        let mut page_url = feed.clone();
        let mut pages = 0;
        loop {
            let conditional = if pages == 0 { head } else { None };
            let (body, validators, final_url) = match fetcher.get(&page_url, conditional).await? {
                Fetched::NotModified => {
                    summary.not_modified += 1;
                    summary.cursor = cursor;
                    return Ok((summary, head.cloned()));
                }
                Fetched::Body {
                    body,
                    validators,
                    final_url,
                } => (body, validators, final_url),
            };
            if pages == 0 {
                head_validators = Some(validators);
            }
            pages += 1;
            let applied = match self.apply_document(&page_url, &body, &mut summary).await {
                Ok(applied) => applied,
                Err(DocumentError::Unreadable(reason)) => {
                    return Err(SyncError::Page {
                        url: page_url,
                        reason,
                    });
                }
                Err(DocumentError::Registry(status)) => return Err(status.into()),
            };
            let reached = match (&cursor, &applied.oldest) {
                (Some(cursor), Some(oldest)) => oldest <= cursor,
                _ => false,
            };
            let next = match applied.next {
                Some(next) if !reached && self.config.format == Format::Placsp => next,
                _ => break,
            };
            if pages >= self.config.max_pages {
                tracing::warn!(
                    feed = %feed,
                    pages,
                    "the walk stopped at the page limit before reaching the cursor"
                );
                break;
            }
            let next = resolve(&final_url, &next)?;
            if next == page_url || next == final_url {
                break;
            }
            page_url = next;
        }
        // Every page is applied: the cursor may move.
        let position = newest(cursor.clone(), summary.newest.clone());
        if let Some(position) = position.as_ref().filter(|p| Some(*p) != cursor.as_ref()) {
            self.send(
                pb::SyncListingsRequest {
                    source: self.config.source.clone(),
                    cursor: Some(pb::FeedCursor {
                        feed: feed.clone(),
                        position: position.clone(),
                        updated_at: None,
                    }),
                    ..Default::default()
                },
                &feed,
                &mut summary,
                &[],
            )
            .await?;
        }
        summary.cursor = position;
        Ok((summary, head_validators))
    }

    /// The stored cursor of `feed`, `None` when it was never synced.
    pub async fn cursor(&self, feed: &str) -> Result<Option<String>, SyncError> {
        let mut registry = self.registry.clone();
        match registry
            .get_feed_cursor(pb::GetFeedCursorRequest {
                source: self.config.source.clone(),
                feed: feed.to_owned(),
            })
            .await
        {
            Ok(cursor) => Ok(Some(cursor.into_inner().position)),
            Err(status) if status.code() == tonic::Code::NotFound => Ok(None),
            Err(status) => Err(status.into()),
        }
    }

    /// Parses one document, maps what is ours and sends it.
    async fn apply_document(
        &self,
        name: &str,
        bytes: &[u8],
        summary: &mut Summary,
    ) -> Result<Applied, DocumentError> {
        self.progress.inc(1);
        let source = self.config.format.source();
        let (notices, tombstones, rejected, next) = match self.config.format {
            Format::Placsp => {
                let page = pyred_feeds::placsp::parse_page(bytes, &self.config.limits)
                    .map_err(|e| DocumentError::Unreadable(e.to_string()))?;
                (page.notices, page.tombstones, page.rejected, page.next_link)
            }
            Format::Ted => match pyred_feeds::ted::parse_notice(bytes, &self.config.limits)
                .map_err(|e| DocumentError::Unreadable(e.to_string()))?
            {
                pyred_feeds::ParsedNotice::Notice(notice) => (vec![notice], vec![], vec![], None),
                pyred_feeds::ParsedNotice::Rejected(rejected) => {
                    (vec![], vec![], vec![rejected], None)
                }
            },
        };
        summary.documents += 1;
        let mut applied = Applied { oldest: None, next };
        let note_version = |utc: &str, applied: &mut Applied, summary: &mut Summary| {
            summary.newest = newest(summary.newest.take(), Some(utc.to_owned()));
            if applied.oldest.as_deref().is_none_or(|o| utc < o) {
                applied.oldest = Some(utc.to_owned());
            }
        };
        for reject in rejected {
            summary.entries += 1;
            reject_problems(
                summary,
                name,
                reject.entry_id.as_deref().unwrap_or(""),
                &reject.problems,
            );
        }
        let mut upserts = Vec::new();
        let mut entry_ids = Vec::new();
        for notice in &notices {
            summary.entries += 1;
            note_version(&notice.version.utc, &mut applied, summary);
            if self.config.territory.check(notice).is_none() {
                summary.out_of_territory += 1;
                continue;
            }
            if !self.config.include_minor && is_minor(notice) {
                summary.excluded_minor += 1;
                continue;
            }
            match mapping::listing(notice, Gazetteer::embedded()) {
                Mapped::Listing { listing, warnings } => {
                    summary.warnings += warnings.len() as u64;
                    let mut listing = *listing;
                    listing.source.clone_from(&self.config.source);
                    entry_ids.push(notice.external_id.clone());
                    upserts.push(listing);
                }
                Mapped::Rejected(problems) => {
                    reject_problems(summary, name, &notice.external_id, &problems);
                }
            }
        }
        let mut withdrawals = Vec::new();
        let mut tombstone_ids = Vec::new();
        for tombstone in &tombstones {
            summary.tombstones += 1;
            if let Some(when) = &tombstone.when {
                note_version(&when.utc, &mut applied, summary);
            }
            match mapping::tombstone(source, tombstone) {
                Ok(withdrawal) => {
                    tombstone_ids.push(tombstone.reference.clone());
                    withdrawals.push(withdrawal);
                }
                Err(problem) => {
                    reject_problems(summary, name, &tombstone.reference, &[problem]);
                }
            }
        }
        // Batches of upserts, then of tombstones, each with the entries' feed ids for
        // the rejects.
        for (chunk, ids) in upserts
            .chunks(BATCH_ITEMS)
            .zip(entry_ids.chunks(BATCH_ITEMS))
        {
            let request = pb::SyncListingsRequest {
                source: self.config.source.clone(),
                upserts: chunk.to_vec(),
                ..Default::default()
            };
            self.send(request, name, summary, ids)
                .await
                .map_err(DocumentError::Registry)?;
        }
        for (chunk, ids) in withdrawals
            .chunks(BATCH_ITEMS)
            .zip(tombstone_ids.chunks(BATCH_ITEMS))
        {
            let request = pb::SyncListingsRequest {
                source: self.config.source.clone(),
                tombstones: chunk.to_vec(),
                ..Default::default()
            };
            self.send(request, name, summary, ids)
                .await
                .map_err(DocumentError::Registry)?;
        }
        Ok(applied)
    }

    /// One `SyncListings` call; counts the outcomes (`ids` are the feed ids of the items,
    /// in order, for the rejects). An unavailable registry is the channel's to retry
    /// (`pyred_runtime::client::Retrying`, one policy for every client); only a refusal
    /// for the agency's rate limit is waited out here, as no layer below knows of it.
    async fn send(
        &self,
        request: pb::SyncListingsRequest,
        document: &str,
        summary: &mut Summary,
        ids: &[String],
    ) -> Result<(), tonic::Status> {
        let mut delay = Duration::from_millis(200);
        let mut attempt = 0;
        let response = loop {
            let mut registry = self.registry.clone();
            match registry.sync_listings(request.clone()).await {
                Ok(response) => break response.into_inner(),
                Err(status) if attempt < 5 && status.code() == tonic::Code::ResourceExhausted => {
                    attempt += 1;
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(10));
                }
                Err(status) => return Err(status),
            }
        };
        for (i, result) in response.results.iter().enumerate() {
            if summary.stored.count(result.outcome).is_err() {
                let entry = ids
                    .get(i)
                    .cloned()
                    .unwrap_or_else(|| result.external_id.clone());
                let problems: Vec<Problem> = result
                    .violations
                    .iter()
                    .map(|v| Problem {
                        field: v.field.clone(),
                        reason: v.description.clone(),
                    })
                    .collect();
                reject_problems(summary, document, &entry, &problems);
            }
        }
        Ok(())
    }
}

/// A document that failed: unreadable (counted, the rest goes on) or a registry failure
/// (the sync stops).
enum DocumentError {
    Unreadable(String),
    Registry(tonic::Status),
}

fn reject_problems(summary: &mut Summary, document: &str, entry: &str, problems: &[Problem]) {
    summary.rejected += 1;
    if problems.is_empty() {
        summary.rejects.push(Reject {
            document: document.to_owned(),
            entry: entry.to_owned(),
            field: String::new(),
            reason: "rejected".to_owned(),
        });
    }
    for problem in problems {
        summary.rejects.push(Reject {
            document: document.to_owned(),
            entry: entry.to_owned(),
            field: problem.field.clone(),
            reason: problem.reason.clone(),
        });
    }
}

fn is_minor(notice: &Notice) -> bool {
    notice.procedure == Some(ProcedureType::Minor)
}

/// Writes the rejects as TSV (document, entry, field, reason), with a header line.
pub fn write_rejects(path: &std::path::Path, rejects: &[Reject]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "document\tentry\tfield\treason")?;
    let cell = |s: &str| s.replace(['\t', '\n', '\r'], " ");
    for r in rejects {
        writeln!(
            out,
            "{}\t{}\t{}\t{}",
            cell(&r.document),
            cell(&r.entry),
            cell(&r.field),
            cell(&r.reason)
        )?;
    }
    out.flush()
}
