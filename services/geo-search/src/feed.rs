//! Following the registry's change feed into the index, and rebuilding from sequence 0.
//!
//! [`Feed::run`] is the one writer of the generation in service. It opens
//! `WatchChanges(since = committed seq, follow)` and buffers changes; it commits when
//! changes are pending and at least [`COMMIT_INTERVAL`] has passed since the previous
//! commit (so at most ~5 commits a second, each followed by a reader reload), applying
//! big backlogs to the writer in chunks in between. The commit payload is the last
//! applied sequence number: after a crash the feed resumes right after it, and an upsert
//! applied twice is still one document. The feed is read through
//! `pyred_runtime::feed::follow_changes`, which reconnects a broken stream by itself; a
//! failure to index rolls the writer back and resumes from the committed sequence
//! number with the same backoff.
//!
//! [`Rebuilder::start`] fills a new generation from sequence 0 in the background
//! (non-following stream), then hands it to the feed, which pauses, brings it up to the
//! registry's latest change, installs it ([`IndexStore::install`]) and resumes following
//! on it — so no change is missed or applied to the wrong generation.

use std::sync::Arc;
use std::time::Duration;

use pyred_proto::v1::{self as pb};
use pyred_runtime::client::ServiceChannel;
use pyred_runtime::feed::{BACKOFF_MAX, BACKOFF_MIN, Changes, FeedOptions, follow_changes};
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

/// Why following or rebuilding stopped (then retried).
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
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

    /// The registry's changes after `since`, following new ones or not.
    fn changes(&self, since: i64, follow: bool) -> Changes {
        follow_changes(
            self.registry.clone(),
            since,
            FeedOptions {
                follow,
                max_message_bytes: self.max_message_bytes,
            },
            self.shutdown.clone(),
        )
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
                    // The feed reconnects by itself: what lands here is the index.
                    tracing::error!(%error, "indexing failed; resuming from the last commit");
                    self.store.current().rollback();
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
        let mut changes = self.changes(pending.last_seq, true);
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
                change = changes.next() => match change {
                    Some(change) => {
                        self.store.saw_registry_seq(change.seq.max(change.head_seq));
                        if pending.push(change) && pending.changes.len() >= MAX_PENDING {
                            pending.apply(&generation).await?;
                        }
                    }
                    // Only on shutdown: a following feed reconnects by itself.
                    None => {
                        pending.commit(&generation).await?;
                        return Ok(Next::Stop);
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
        let mut changes = self.changes(pending.last_seq, false);
        let mut since_commit = 0;
        loop {
            let Some(change) = changes.next().await else {
                if self.shutdown.is_cancelled() {
                    return Err(FeedError::Stopped);
                }
                break;
            };
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
