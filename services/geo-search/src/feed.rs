//! Following the registry's change feed into the index, and rebuilding from sequence 0.
//!
//! [`Feed::run`] is the one writer of the generation in service. It opens
//! `WatchChanges(since = committed seq, follow)` and buffers changes; it commits when
//! changes are pending and at least [`COMMIT_INTERVAL`] has passed since the previous
//! commit (so at most ~5 commits a second, each followed by a reader reload), applying
//! big backlogs to the writer in chunks in between. The commit payload is the last
//! applied sequence number: after a crash the feed resumes right after it, and an upsert
//! applied twice is still one document. When the stream breaks, it reconnects from the
//! committed sequence number with exponential backoff.
//!
//! [`Rebuilder::start`] fills a new generation from sequence 0 in the background
//! (non-following stream), then hands it to the feed, which pauses, brings it up to the
//! registry's latest change, installs it ([`IndexStore::install`]) and resumes following
//! on it — so no change is missed or applied to the wrong generation.

use std::sync::Arc;
use std::time::Duration;

use pyred_proto::v1::company_registry_client::CompanyRegistryClient;
use pyred_proto::v1::{self as pb};
use pyred_runtime::client::ServiceChannel;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::index::{Generation, IndexError, IndexStore};

/// Shortest time between two commits while changes keep arriving.
pub const COMMIT_INTERVAL: Duration = Duration::from_millis(200);
/// How long a first change waits for the rest of its burst before a commit.
const COALESCE: Duration = Duration::from_millis(5);
/// Changes buffered before they are handed to the writer (uncommitted).
const MAX_PENDING: usize = 2_000;
/// Changes a rebuild or catch-up applies between two commits, at most.
const CATCH_UP_COMMIT_EVERY: usize = 20_000;
const BACKOFF_MIN: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// Deadline announced for a feed stream: streams are long-lived by design.
const STREAM_DEADLINE: Duration = Duration::from_secs(7 * 24 * 3600);

/// Why following or rebuilding stopped (then retried).
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// The registry refused or broke the stream.
    #[error("registry change feed: {0}")]
    Registry(#[from] Box<tonic::Status>),
    /// A following stream ended.
    #[error("the registry closed the change feed")]
    Ended,
    /// The index failed.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// An indexing task panicked.
    #[error("indexing task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    /// The service is shutting down.
    #[error("shutting down")]
    Stopped,
}

impl From<tonic::Status> for FeedError {
    fn from(status: tonic::Status) -> Self {
        FeedError::Registry(Box::new(status))
    }
}

enum Next {
    Stop,
    Install(Arc<Generation>),
}

/// Reads the registry's change feed into the index.
#[derive(Clone)]
pub struct Feed {
    store: Arc<IndexStore>,
    registry: ServiceChannel,
    max_message_bytes: usize,
    shutdown: CancellationToken,
}

impl std::fmt::Debug for Feed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Feed").finish_non_exhaustive()
    }
}

/// Applies changes on a blocking thread (analysis and indexing are CPU work).
async fn apply(generation: &Arc<Generation>, changes: Vec<pb::Change>) -> Result<(), FeedError> {
    let generation = generation.clone();
    tokio::task::spawn_blocking(move || generation.apply(&changes)).await??;
    Ok(())
}

async fn commit(generation: &Arc<Generation>, seq: i64) -> Result<(), FeedError> {
    let generation = generation.clone();
    tokio::task::spawn_blocking(move || generation.commit(seq)).await??;
    Ok(())
}

/// Changes received but not committed yet, and the sequence number they reach.
struct Pending {
    changes: Vec<pb::Change>,
    /// Last sequence number received (applied or buffered).
    last_seq: i64,
    /// Whether the writer holds applied, uncommitted changes.
    applied: bool,
    since: Option<Instant>,
}

impl Pending {
    fn new(seq: i64) -> Self {
        Self {
            changes: Vec::new(),
            last_seq: seq,
            applied: false,
            since: None,
        }
    }

    fn is_empty(&self) -> bool {
        self.changes.is_empty() && !self.applied
    }

    /// Takes `change` unless it was already received; says whether it was new.
    fn push(&mut self, change: pb::Change) -> bool {
        if change.seq <= self.last_seq {
            return false;
        }
        if change.seq != self.last_seq + 1 {
            tracing::warn!(
                expected = self.last_seq + 1,
                got = change.seq,
                "gap in the change feed"
            );
        }
        self.last_seq = change.seq;
        self.since.get_or_insert_with(Instant::now);
        self.changes.push(change);
        true
    }

    /// Hands the buffered changes to the writer without committing.
    async fn apply(&mut self, generation: &Arc<Generation>) -> Result<(), FeedError> {
        if !self.changes.is_empty() {
            apply(generation, std::mem::take(&mut self.changes)).await?;
            self.applied = true;
        }
        Ok(())
    }

    /// Applies and commits everything received.
    async fn commit(&mut self, generation: &Arc<Generation>) -> Result<(), FeedError> {
        if self.is_empty() {
            return Ok(());
        }
        self.apply(generation).await?;
        commit(generation, self.last_seq).await?;
        self.applied = false;
        self.since = None;
        Ok(())
    }
}

impl Feed {
    /// A feed from `registry` into `store`, stopping when `shutdown` is cancelled.
    pub fn new(
        store: Arc<IndexStore>,
        registry: ServiceChannel,
        max_message_bytes: usize,
        shutdown: CancellationToken,
    ) -> Self {
        Self {
            store,
            registry,
            max_message_bytes,
            shutdown,
        }
    }

    async fn watch(
        &self,
        since: i64,
        follow: bool,
    ) -> Result<tonic::Streaming<pb::Change>, FeedError> {
        let mut client = CompanyRegistryClient::new(self.registry.clone())
            .max_decoding_message_size(self.max_message_bytes);
        let mut request = tonic::Request::new(pb::WatchChangesRequest {
            since_seq: since,
            follow,
        });
        request.set_timeout(STREAM_DEADLINE);
        Ok(client.watch_changes(request).await?.into_inner())
    }

    /// Follows the feed until shutdown, reconnecting with backoff, and installs the
    /// generations the rebuilder sends.
    pub async fn run(self, mut installs: mpsc::Receiver<Arc<Generation>>) {
        let mut backoff = BACKOFF_MIN;
        let mut waiting: Option<Arc<Generation>> = None;
        loop {
            if let Some(ready) = waiting.take() {
                match self.install(&ready).await {
                    Ok(()) => backoff = BACKOFF_MIN,
                    Err(FeedError::Stopped) => {
                        waiting = Some(ready);
                        break;
                    }
                    Err(error) => {
                        tracing::warn!(%error, "cannot install the rebuilt index yet; retrying");
                        waiting = Some(ready);
                        if self.pause(&mut backoff).await {
                            break;
                        }
                        continue;
                    }
                }
            }
            let before = self.store.current().applied_seq();
            match self.follow(&mut installs).await {
                Ok(Next::Stop) | Err(FeedError::Stopped) => break,
                Ok(Next::Install(ready)) => waiting = Some(ready),
                Err(error) => {
                    if self.store.current().applied_seq() > before {
                        backoff = BACKOFF_MIN;
                    }
                    if let FeedError::Index(_) | FeedError::Join(_) = error {
                        tracing::error!(%error, "indexing failed; resuming from the last commit");
                        self.store.current().rollback();
                    } else {
                        tracing::warn!(%error, retry_in_ms = backoff.as_millis() as u64, "change feed interrupted; reconnecting");
                    }
                    if self.pause(&mut backoff).await {
                        break;
                    }
                }
            }
        }
        if let Some(abandoned) = waiting {
            self.store.discard(abandoned);
            self.store.end_rebuild();
        }
        tracing::info!(
            applied_seq = self.store.current().applied_seq(),
            "change feed stopped"
        );
    }

    /// Sleeps for the backoff, then doubles it; true when shutting down instead.
    async fn pause(&self, backoff: &mut Duration) -> bool {
        let wait = *backoff;
        *backoff = (*backoff * 2).min(BACKOFF_MAX);
        tokio::select! {
            () = self.shutdown.cancelled() => true,
            () = tokio::time::sleep(wait) => false,
        }
    }

    async fn follow(
        &self,
        installs: &mut mpsc::Receiver<Arc<Generation>>,
    ) -> Result<Next, FeedError> {
        let generation = self.store.current();
        let mut pending = Pending::new(generation.applied_seq());
        let mut stream = tokio::select! {
            () = self.shutdown.cancelled() => return Ok(Next::Stop),
            stream = self.watch(pending.last_seq, true) => stream?,
        };
        tracing::info!(
            since = pending.last_seq,
            generation = generation.number(),
            "following the registry's change feed"
        );
        let mut last_commit = Instant::now()
            .checked_sub(COMMIT_INTERVAL)
            .unwrap_or_else(Instant::now);
        loop {
            let due = (last_commit + COMMIT_INTERVAL)
                .max(pending.since.unwrap_or_else(Instant::now) + COALESCE);
            tokio::select! {
                biased;
                () = self.shutdown.cancelled() => {
                    pending.commit(&generation).await?;
                    return Ok(Next::Stop);
                }
                Some(ready) = installs.recv() => {
                    pending.commit(&generation).await?;
                    return Ok(Next::Install(ready));
                }
                () = tokio::time::sleep_until(due), if !pending.is_empty() => {
                    pending.commit(&generation).await?;
                    last_commit = Instant::now();
                }
                message = stream.message() => match message {
                    Ok(Some(change)) => {
                        self.store.saw_registry_seq(change.seq.max(change.head_seq));
                        if pending.push(change) && pending.changes.len() >= MAX_PENDING {
                            pending.apply(&generation).await?;
                        }
                    }
                    Ok(None) => {
                        pending.commit(&generation).await?;
                        return Err(FeedError::Ended);
                    }
                    Err(status) => {
                        pending.commit(&generation).await?;
                        return Err(status.into());
                    }
                },
            }
        }
    }

    /// Brings `generation` up to the registry's latest change (non-following stream),
    /// committing along the way; `progress` hears of each commit.
    async fn catch_up(
        &self,
        generation: &Arc<Generation>,
        progress: &(dyn Fn(i64) + Send + Sync),
    ) -> Result<(), FeedError> {
        let mut pending = Pending::new(generation.applied_seq());
        let mut stream = self.watch(pending.last_seq, false).await?;
        let mut since_commit = 0;
        loop {
            let message = tokio::select! {
                () = self.shutdown.cancelled() => return Err(FeedError::Stopped),
                message = stream.message() => message?,
            };
            let Some(change) = message else { break };
            self.store.saw_registry_seq(change.seq.max(change.head_seq));
            if pending.push(change) {
                since_commit += 1;
            }
            if pending.changes.len() >= MAX_PENDING {
                pending.apply(generation).await?;
            }
            if since_commit >= CATCH_UP_COMMIT_EVERY {
                pending.commit(generation).await?;
                progress(pending.last_seq);
                since_commit = 0;
            }
        }
        pending.commit(generation).await?;
        progress(generation.applied_seq());
        Ok(())
    }

    /// Brings a rebuilt generation up to date and puts it in service.
    async fn install(&self, ready: &Arc<Generation>) -> Result<(), FeedError> {
        let store = self.store.clone();
        self.catch_up(ready, &move |seq| store.rebuild_progress(seq))
            .await?;
        self.store.install(ready.clone())?;
        self.store.end_rebuild();
        tracing::info!(
            generation = ready.number(),
            applied_seq = ready.applied_seq(),
            documents = ready.documents(),
            "rebuilt index in service"
        );
        Ok(())
    }
}

/// Starts rebuilds: one at a time, each into a fresh generation.
#[derive(Clone)]
pub struct Rebuilder {
    feed: Feed,
    installs: mpsc::Sender<Arc<Generation>>,
}

impl std::fmt::Debug for Rebuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rebuilder").finish_non_exhaustive()
    }
}

impl Rebuilder {
    /// A rebuilder handing its generations to the feed through `installs`.
    pub fn new(feed: Feed, installs: mpsc::Sender<Arc<Generation>>) -> Self {
        Self { feed, installs }
    }

    /// Starts a rebuild unless one runs; returns whether this call started it.
    pub fn start(&self) -> Result<bool, IndexError> {
        let store = &self.feed.store;
        if !store.begin_rebuild() {
            return Ok(false);
        }
        let generation = match store.create_generation() {
            Ok(generation) => generation,
            Err(error) => {
                store.end_rebuild();
                return Err(error);
            }
        };
        tracing::info!(generation = generation.number(), "index rebuild started");
        let this = self.clone();
        tokio::spawn(async move { this.fill(generation).await });
        Ok(true)
    }

    async fn fill(self, generation: Arc<Generation>) {
        let store = self.feed.store.clone();
        let mut backoff = BACKOFF_MIN;
        loop {
            let progress_store = store.clone();
            let progress = move |seq| progress_store.rebuild_progress(seq);
            match self.feed.catch_up(&generation, &progress).await {
                Ok(()) => break,
                Err(FeedError::Stopped) => {
                    store.discard(generation);
                    store.end_rebuild();
                    return;
                }
                Err(error) => {
                    tracing::warn!(%error, "index rebuild interrupted; resuming");
                    if let FeedError::Index(_) | FeedError::Join(_) = error {
                        generation.rollback();
                    }
                    if self.feed.pause(&mut backoff).await {
                        store.discard(generation);
                        store.end_rebuild();
                        return;
                    }
                }
            }
        }
        tracing::info!(
            generation = generation.number(),
            applied_seq = generation.applied_seq(),
            "index rebuild filled; handing over to the feed"
        );
        if let Err(mpsc::error::SendError(generation)) = self.installs.send(generation).await {
            store.discard(generation);
            store.end_rebuild();
        }
    }
}
