//! The registry's change feed as every consumer reads it (geo-search's index, the
//! matchmaking follower): [`follow_changes`] opens `WatchChanges` from a position and
//! hands the changes on in order, each once; when the stream breaks or the registry
//! goes away it reconnects from the last change handed on, with one backoff policy —
//! doubling from [`BACKOFF_MIN`] to [`BACKOFF_MAX`], back to the minimum as soon as a
//! change arrives. A consumer that fails to apply a change drops its [`Changes`] and
//! opens a new one from the position it committed.

use std::time::Duration;

use pyred_proto::v1::company_registry_client::CompanyRegistryClient;
use pyred_proto::v1::{self as pb};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::client::ServiceChannel;

/// First pause after a failure.
pub const BACKOFF_MIN: Duration = Duration::from_millis(100);
/// Longest pause between two attempts.
pub const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// Deadline announced for a feed stream: streams are long-lived by design (set
/// explicitly so the channel's default inter-service deadline does not apply).
const STREAM_DEADLINE: Duration = Duration::from_secs(7 * 24 * 3600);

/// How to read the feed.
#[derive(Debug, Clone, Copy)]
pub struct FeedOptions {
    /// Keep following new changes (`true`), or stop once caught up with the registry.
    pub follow: bool,
    /// Largest change message accepted, bytes.
    pub max_message_bytes: usize,
}

/// The changes after a position, in order, once each (see the module's documentation).
pub struct Changes {
    client: CompanyRegistryClient<ServiceChannel>,
    options: FeedOptions,
    shutdown: CancellationToken,
    stream: Option<tonic::Streaming<pb::Change>>,
    last_seq: i64,
    backoff: Duration,
    retry_at: Option<Instant>,
    caught_up: bool,
    interruptions: u64,
}

impl std::fmt::Debug for Changes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Changes")
            .field("last_seq", &self.last_seq)
            .field("follow", &self.options.follow)
            .field("interruptions", &self.interruptions)
            .finish_non_exhaustive()
    }
}

/// The registry's changes with a sequence number above `since`, read through `registry`
/// until `shutdown` is cancelled.
pub fn follow_changes(
    registry: ServiceChannel,
    since: i64,
    options: FeedOptions,
    shutdown: CancellationToken,
) -> Changes {
    Changes {
        client: CompanyRegistryClient::new(registry)
            .max_decoding_message_size(options.max_message_bytes),
        options,
        shutdown,
        stream: None,
        last_seq: since,
        backoff: BACKOFF_MIN,
        retry_at: None,
        caught_up: false,
        interruptions: 0,
    }
}

impl Changes {
    /// The next change; `None` once caught up (when not following) or on shutdown.
    ///
    /// Cancel-safe: dropped inside a `select!`, it loses no change, and a pending
    /// reconnection waits only what remains of its pause.
    pub async fn next(&mut self) -> Option<pb::Change> {
        loop {
            if self.caught_up || self.shutdown.is_cancelled() {
                return None;
            }
            if self.stream.is_none() {
                if let Some(at) = self.retry_at {
                    tokio::select! {
                        () = self.shutdown.cancelled() => return None,
                        () = tokio::time::sleep_until(at) => {}
                    }
                    self.retry_at = None;
                }
                let shutdown = self.shutdown.clone();
                let opened = tokio::select! {
                    () = shutdown.cancelled() => return None,
                    opened = self.open() => opened,
                };
                match opened {
                    Ok(stream) => self.stream = Some(stream),
                    Err(status) => {
                        self.interrupted(&format!("cannot open: {}", status.message()));
                        continue;
                    }
                }
            }
            let Some(stream) = self.stream.as_mut() else {
                continue;
            };
            let shutdown = &self.shutdown;
            let message = tokio::select! {
                () = shutdown.cancelled() => return None,
                message = stream.message() => message,
            };
            match message {
                Ok(Some(change)) => {
                    if change.seq <= self.last_seq {
                        continue; // already handed on before a reconnection
                    }
                    if change.seq != self.last_seq + 1 {
                        tracing::warn!(
                            expected = self.last_seq + 1,
                            got = change.seq,
                            "gap in the change feed"
                        );
                    }
                    self.last_seq = change.seq;
                    self.backoff = BACKOFF_MIN;
                    return Some(change);
                }
                Ok(None) if !self.options.follow => {
                    self.stream = None;
                    self.caught_up = true;
                    return None;
                }
                Ok(None) => {
                    self.stream = None;
                    self.interrupted("the registry closed the stream");
                }
                Err(status) => {
                    self.stream = None;
                    self.interrupted(status.message());
                }
            }
        }
    }

    /// The last sequence number handed on (the starting position before any).
    pub fn last_seq(&self) -> i64 {
        self.last_seq
    }

    /// How many times the stream broke or could not be opened.
    pub fn interruptions(&self) -> u64 {
        self.interruptions
    }

    async fn open(&mut self) -> Result<tonic::Streaming<pb::Change>, tonic::Status> {
        let mut request = tonic::Request::new(pb::WatchChangesRequest {
            since_seq: self.last_seq,
            follow: self.options.follow,
        });
        request.set_timeout(STREAM_DEADLINE);
        Ok(self.client.watch_changes(request).await?.into_inner())
    }

    /// Schedules the next attempt after the backoff, then doubles it.
    fn interrupted(&mut self, why: &str) {
        self.interruptions += 1;
        tracing::warn!(
            reason = why,
            since = self.last_seq,
            retry_in_ms = u64::try_from(self.backoff.as_millis()).unwrap_or(u64::MAX),
            "change feed interrupted; reconnecting"
        );
        self.retry_at = Some(Instant::now() + self.backoff);
        self.backoff = (self.backoff * 2).min(BACKOFF_MAX);
    }
}
