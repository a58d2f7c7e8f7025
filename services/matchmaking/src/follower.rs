//! Follows the registry's change feed so that leads stay current and alerts are raised
//! as listings arrive: a new or changed live listing is scored against the firms, a
//! new or changed firm against the live listings, and the proposed (not yet worked)
//! matches of a withdrawn, expired or deleted record are dropped. The position in the
//! feed is stored after each batch, so a restart resumes where it stopped.

use std::time::Duration;

use pyred_domain::Day;
use pyred_proto::v1::company_registry_client::CompanyRegistryClient;
use pyred_proto::v1::{self as pb};
use pyred_runtime::client::ServiceChannel;
use tokio_stream::StreamExt as _;
use tokio_util::sync::CancellationToken;

use crate::error::MatchError;
use crate::leads::Leads;
use crate::store::Store;

/// How long the follower gathers changes into one batch once one has arrived.
const BATCH_WINDOW: Duration = Duration::from_millis(100);
/// Deadline of the long-lived feed stream (it reconnects when it ends).
const STREAM_DEADLINE: Duration = Duration::from_secs(7 * 24 * 3600);
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
    let mut backoff = Duration::from_millis(200);
    loop {
        let outcome = tokio::select! {
            () = shutdown.cancelled() => return,
            outcome = follow_once(&registry, &leads, &store, &progress, &shutdown) => outcome,
        };
        match outcome {
            Ok(()) => return,
            Err(error) => {
                tracing::warn!(%error, retry_ms = backoff.as_millis(), "change feed interrupted");
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
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
    let mut client = CompanyRegistryClient::new(registry.clone());
    let mut request = tonic::Request::new(pb::WatchChangesRequest {
        since_seq: since,
        follow: true,
    });
    // A feed stream lives as long as the service: a deadline far away, set explicitly
    // so the channel's default inter-service deadline does not apply.
    request.set_timeout(STREAM_DEADLINE);
    let mut stream = client
        .watch_changes(request)
        .await
        .map_err(|status| MatchError::Upstream {
            service: "company-registry",
            status,
        })?
        .into_inner();
    loop {
        let first = tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            next = stream.next() => next,
        };
        let Some(first) = first else {
            return Err(MatchError::Upstream {
                service: "company-registry",
                status: tonic::Status::unavailable("change feed ended"),
            });
        };
        let mut batch = vec![first.map_err(|status| MatchError::Upstream {
            service: "company-registry",
            status,
        })?];
        while batch.len() < BATCH_MAX {
            match tokio::time::timeout(BATCH_WINDOW, stream.next()).await {
                Ok(Some(change)) => batch.push(change.map_err(|status| MatchError::Upstream {
                    service: "company-registry",
                    status,
                })?),
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
