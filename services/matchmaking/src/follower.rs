//! Follows the registry's change feed so that leads stay current and alerts are raised
//! as listings arrive: a new or changed live listing is scored against the firms, a
//! new or changed firm against the live listings, and the proposed (not yet worked)
//! matches of a withdrawn, expired or deleted record are dropped. The position in the
//! feed is stored after each batch, so a restart resumes where it stopped.
//!
//! Several matchmaking replicas may share one PostgreSQL database: only the replica
//! holding a session-level advisory lock follows the feed (the others serve calls and
//! stand by); when it dies its session ends, the lock is released, and a standby takes
//! over from the stored position.

use std::time::Duration;

use pyred_domain::Day;
use pyred_proto::v1::{self as pb};
use pyred_runtime::client::ServiceChannel;
use pyred_runtime::feed::{BACKOFF_MAX, BACKOFF_MIN, FeedOptions, follow_changes};
use tokio_util::sync::CancellationToken;

use crate::brokerage::store::CaseStore;
use crate::error::MatchError;
use crate::leads::Leads;
use crate::store::Store;

/// How long the follower gathers changes into one batch once one has arrived.
const BATCH_WINDOW: Duration = Duration::from_millis(100);
/// Largest change message accepted (tonic's default).
const FEED_MESSAGE_BYTES: usize = 4 * 1024 * 1024;
/// Most changes in one batch.
const BATCH_MAX: usize = 500;

/// How far the follower is: the last sequence number applied and the registry's head
/// as last seen on the feed (for the feed-lag metric).
#[derive(Debug, Default)]
pub struct Progress {
    applied: std::sync::atomic::AtomicI64,
    head: std::sync::atomic::AtomicI64,
}

impl Progress {
    /// Changes seen on the feed and not applied yet.
    pub fn lag(&self) -> u64 {
        use std::sync::atomic::Ordering;
        let applied = self.applied.load(Ordering::Acquire);
        let head = self.head.load(Ordering::Acquire).max(applied);
        u64::try_from(head - applied).unwrap_or(0)
    }
}

/// Follows the feed until `shutdown`, reconnecting with backoff.
pub async fn follow(
    registry: ServiceChannel,
    leads: Leads,
    store: Store,
    progress: std::sync::Arc<Progress>,
    shutdown: CancellationToken,
) {
    let mut backoff = BACKOFF_MIN;
    loop {
        let leadership = tokio::select! {
            () = shutdown.cancelled() => return,
            leadership = lead(&store, &shutdown) => leadership,
        };
        let Some(_leadership) = leadership else {
            return;
        };
        let before = progress.applied.load(std::sync::atomic::Ordering::Acquire);
        let outcome = tokio::select! {
            () = shutdown.cancelled() => return,
            outcome = follow_once(&registry, &leads, &store, &progress, &shutdown) => outcome,
        };
        match outcome {
            Ok(()) => return,
            Err(error) => {
                // The feed itself reconnects on its own: what lands here is a failure
                // to apply a batch, retried from the stored position.
                if progress.applied.load(std::sync::atomic::Ordering::Acquire) > before {
                    backoff = BACKOFF_MIN;
                }
                tracing::warn!(%error, retry_ms = backoff.as_millis(), "cannot apply the change feed; retrying");
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(BACKOFF_MAX);
            }
        }
    }
}

/// Advisory-lock key of the feed follower (PostgreSQL).
const FOLLOWER_LOCK: i64 = 0x7079_7265_645f_6d6d; // "pyred_mm"

/// Waits until this replica may follow the feed; holds the lock while the returned
/// connection lives. SQLite (one process) needs no lock. `None` on shutdown.
async fn lead(
    store: &Store,
    shutdown: &CancellationToken,
) -> Option<Option<sqlx::pool::PoolConnection<sqlx::Any>>> {
    use sqlx::Row as _;
    let db = store.database();
    if db.engine != pyred_runtime::db::Engine::Postgres {
        return Some(None);
    }
    let mut announced = false;
    loop {
        let attempt = async {
            let mut connection = db.pool.acquire().await?;
            let row = sqlx::query("SELECT pg_try_advisory_lock($1) AS locked")
                .bind(FOLLOWER_LOCK)
                .fetch_one(&mut *connection)
                .await?;
            let locked: bool = row.try_get("locked")?;
            Ok::<_, sqlx::Error>(locked.then_some(connection))
        };
        match attempt.await {
            Ok(Some(mut connection)) => {
                tracing::info!("this replica follows the change feed");
                // The session, hence the lock, ends with this connection: never return
                // it to the pool still holding the lock.
                connection.close_on_drop();
                return Some(Some(connection));
            }
            Ok(None) if !announced => {
                tracing::info!("another replica follows the change feed; standing by");
                announced = true;
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "cannot try the follower lock"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return None,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

async fn follow_once(
    registry: &ServiceChannel,
    leads: &Leads,
    store: &Store,
    progress: &Progress,
    shutdown: &CancellationToken,
) -> Result<(), MatchError> {
    use std::sync::atomic::Ordering;
    let since = store.feed_position().await?;
    progress.applied.store(since, Ordering::Release);
    let mut changes = follow_changes(
        registry.clone(),
        since,
        FeedOptions {
            follow: true,
            max_message_bytes: FEED_MESSAGE_BYTES,
        },
        shutdown.clone(),
    );
    loop {
        // `None`: shutting down.
        let Some(first) = changes.next().await else {
            return Ok(());
        };
        let mut batch = vec![first];
        while batch.len() < BATCH_MAX {
            match tokio::time::timeout(BATCH_WINDOW, changes.next()).await {
                Ok(Some(change)) => batch.push(change),
                Ok(None) | Err(_) => break,
            }
        }
        if let Some(last) = batch.last() {
            progress
                .head
                .fetch_max(last.head_seq.max(last.seq), Ordering::AcqRel);
        }
        apply(&batch, leads, store).await?;
        if let Some(last) = batch.last() {
            store.set_feed_position(last.seq).await?;
            progress.applied.store(last.seq, Ordering::Release);
        }
    }
}

async fn apply(batch: &[pb::Change], leads: &Leads, store: &Store) -> Result<(), MatchError> {
    let today = Day::today();
    let mut companies_changed = Vec::new();
    let mut opportunities_changed = Vec::new();
    for change in batch {
        if change.op == pb::ChangeOp::Erase as i32
            && change.entity == pb::EntityKind::Company as i32
        {
            // The firm's contact is gone: so are its consents to be introduced.
            CaseStore::new(store.clone())
                .withdraw_consents(&change.id, pyred_runtime::db::now_micros())
                .await
                .map_err(crate::brokerage::BrokerError::into_match_error)?;
        }
        match &change.record {
            Some(pb::change::Record::Company(company)) => companies_changed.push(company.clone()),
            Some(pb::change::Record::Opportunity(opportunity)) => {
                let live = opportunity.status == pb::OpportunityStatus::Published as i32;
                if live {
                    opportunities_changed.push(opportunity.clone());
                } else {
                    store.drop_proposed(None, Some(&opportunity.id)).await?;
                }
            }
            None if change.entity == pb::EntityKind::Company as i32 => {
                store.drop_proposed(Some(&change.id), None).await?;
            }
            None => {
                store.drop_proposed(None, Some(&change.id)).await?;
            }
        }
    }
    leads
        .score_changes(&companies_changed, &opportunities_changed, today)
        .await?;
    Ok(())
}
