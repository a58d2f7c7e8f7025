//! The long-running follower: polls each configured feed every `every`, applies what is
//! new (see [`crate::sync`]), and reports through Prometheus metrics and `/ready`.
//!
//! It runs inside `pyred up` when `[sync.placsp] url` or `[sync.ted] url` is set, and as
//! `pyred-feed-sync follow` in deployments. Stopping it at any point loses nothing: the
//! cursor moves only after a walk is applied, and a replayed walk changes nothing.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pyred_metrics::Metrics;
use pyred_runtime::Settings;
use pyred_runtime::client::Connector;
use pyred_runtime::config::FeedSettings;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::fetch::{FetchOptions, Fetcher, Validators};
use crate::sync::{Format, SyncConfig, Syncer};

/// Why the follower cannot start.
#[derive(Debug, thiserror::Error)]
pub enum FollowerError {
    /// No feed has a URL.
    #[error("no feed to follow: set sync.placsp.url or sync.ted.url")]
    NothingToFollow,
    /// The registry channel could not be prepared.
    #[error(transparent)]
    Client(#[from] pyred_runtime::client::ClientError),
    /// The HTTP client could not be prepared.
    #[error(transparent)]
    Fetch(#[from] crate::fetch::FetchError),
    /// The metrics port could not be bound.
    #[error("sync.metrics_port: cannot listen on {address}: {source}")]
    Bind {
        /// The address.
        address: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// One feed to follow.
#[derive(Debug, Clone)]
pub struct FollowedFeed {
    /// Its URL.
    pub url: String,
    /// Time between polls.
    pub every: Duration,
    /// How it is applied.
    pub config: SyncConfig,
}

impl FollowedFeed {
    /// The feeds of `[sync.placsp]` and `[sync.ted]` that have a URL.
    pub fn from_settings(settings: &Settings) -> Vec<FollowedFeed> {
        let one = |format: Format, feed: &FeedSettings| {
            let url = feed.url.clone()?;
            let mut config = SyncConfig::new(format);
            if let Some(source) = &feed.source {
                config.source.clone_from(source);
            }
            config.include_minor = feed.include_minor;
            config.max_pages = feed.max_pages.max(1);
            Some(FollowedFeed {
                url,
                every: feed.interval().unwrap_or(Duration::from_secs(900)),
                config,
            })
        };
        [
            one(Format::Placsp, &settings.sync.placsp),
            one(Format::Ted, &settings.sync.ted),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

/// The follower, built and bound, not yet running.
pub struct Follower {
    feeds: Vec<FollowedFeed>,
    syncers: Vec<Syncer>,
    fetcher: Fetcher,
    metrics: Metrics,
    listener: Option<TcpListener>,
}

impl Follower {
    /// Builds the follower of `feeds`, sending to `registry_url` through `connector`,
    /// with its metrics endpoint on `metrics_port` of `host` (none when `None`).
    pub async fn build(
        feeds: Vec<FollowedFeed>,
        connector: &Connector,
        registry_url: &str,
        host: &str,
        metrics_port: Option<u16>,
        fetch: FetchOptions,
    ) -> Result<Self, FollowerError> {
        if feeds.is_empty() {
            return Err(FollowerError::NothingToFollow);
        }
        let channel = connector.channel(registry_url)?;
        let syncers = feeds
            .iter()
            .map(|feed| Syncer::new(channel.clone(), feed.config.clone()))
            .collect();
        let listener = match metrics_port {
            Some(port) => Some(TcpListener::bind((host, port)).await.map_err(|source| {
                FollowerError::Bind {
                    address: format!("{host}:{port}"),
                    source,
                }
            })?),
            None => None,
        };
        let metrics = Metrics::new();
        metrics.build_info("feed-sync", env!("CARGO_PKG_VERSION"));
        metrics.process();
        metrics.set_ready(false);
        Ok(Self {
            feeds,
            syncers,
            fetcher: Fetcher::new(fetch)?,
            metrics,
            listener,
        })
    }

    /// Where the metrics endpoint listens.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.listener.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// The metrics registry.
    pub fn metrics(&self) -> Metrics {
        self.metrics.clone()
    }

    /// Polls every feed until `shutdown` is cancelled.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> std::io::Result<()> {
        let Follower {
            feeds,
            syncers,
            fetcher,
            metrics,
            listener,
        } = self;
        let serving = listener.map(|listener| {
            tokio::spawn(pyred_metrics::serve(
                listener,
                metrics.clone(),
                shutdown.clone(),
            ))
        });
        // Ready once every feed has completed one poll.
        let pending = Arc::new(AtomicUsize::new(feeds.len()));
        let mut polls = Vec::new();
        for (feed, syncer) in feeds.into_iter().zip(syncers) {
            polls.push(tokio::spawn(follow(
                feed,
                syncer,
                fetcher.clone(),
                metrics.clone(),
                pending.clone(),
                shutdown.clone(),
            )));
        }
        for poll in polls {
            let _finished = poll.await;
        }
        if let Some(serving) = serving {
            match serving.await {
                Ok(result) => result?,
                Err(error) => tracing::warn!(%error, "metrics endpoint task failed"),
            }
        }
        Ok(())
    }
}

/// Seconds since a cursor position (RFC 3339), for the cursor-age gauge.
fn age_seconds(position: &str) -> Option<f64> {
    let at = OffsetDateTime::parse(position, &Rfc3339).ok()?;
    Some((OffsetDateTime::now_utc() - at).as_seconds_f64())
}

async fn follow(
    feed: FollowedFeed,
    syncer: Syncer,
    fetcher: Fetcher,
    metrics: Metrics,
    pending: Arc<AtomicUsize>,
    shutdown: CancellationToken,
) {
    let source = feed.config.source.clone();
    let labels =
        |outcome: &'static str| [("source", source.clone()), ("outcome", outcome.to_owned())];
    let entries = |outcome: &'static str| {
        let labels = labels(outcome);
        let labels: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
        metrics.counter(
            "pyred_feed_entries_total",
            "Feed entries and tombstones, by source and outcome (seen, applied, rejected, out_of_territory)",
            &labels,
        )
    };
    let (seen, applied, rejected, outside) = (
        entries("seen"),
        entries("applied"),
        entries("rejected"),
        entries("out_of_territory"),
    );
    let polls = |result: &'static str| {
        metrics.counter(
            "pyred_feed_polls_total",
            "Feed polls, by source and result (ok, not_modified, error)",
            &[("source", source.as_str()), ("result", result)],
        )
    };
    let (polls_ok, polls_unchanged, polls_failed) =
        (polls("ok"), polls("not_modified"), polls("error"));
    let cursor_gauge = metrics.gauge(
        "pyred_feed_cursor_timestamp_seconds",
        "Unix time of the newest feed entry applied, by source",
        &[("source", source.as_str())],
    );
    let read = cursor_gauge.clone();
    metrics.gauge_fn(
        "pyred_feed_cursor_age_seconds",
        "Seconds since the newest feed entry applied, by source",
        &[("source", source.as_str())],
        move || {
            let at = read.get();
            (at > 0.0).then(|| {
                let now = OffsetDateTime::now_utc().unix_timestamp() as f64;
                now - at
            })
        },
    );
    let mut validators: Option<Validators> = None;
    let mut counted_ready = false;
    loop {
        let poll = syncer.sync_url(&fetcher, &feed.url, validators.as_ref());
        let outcome = tokio::select! {
            () = shutdown.cancelled() => return,
            outcome = poll => outcome,
        };
        match outcome {
            Ok((summary, next)) => {
                validators = next;
                if summary.not_modified > 0 {
                    polls_unchanged.inc();
                } else {
                    polls_ok.inc();
                }
                seen.inc_by(summary.entries + summary.tombstones);
                applied.inc_by(summary.applied());
                rejected.inc_by(summary.rejected);
                outside.inc_by(summary.out_of_territory + summary.excluded_minor);
                if let Some(cursor) = &summary.cursor
                    && let Some(age) = age_seconds(cursor)
                {
                    let now = OffsetDateTime::now_utc().unix_timestamp() as f64;
                    cursor_gauge.set(now - age);
                }
                for reject in &summary.rejects {
                    tracing::warn!(
                        source = %source,
                        document = %reject.document,
                        entry = %reject.entry,
                        field = %reject.field,
                        reason = %reject.reason,
                        "feed entry rejected"
                    );
                }
                tracing::info!(source = %source, feed = %feed.url, "{}", summary.line());
                if !counted_ready {
                    counted_ready = true;
                    if pending.fetch_sub(1, Ordering::SeqCst) == 1 {
                        metrics.set_ready(true);
                    }
                }
            }
            Err(error) => {
                polls_failed.inc();
                tracing::warn!(source = %source, feed = %feed.url, %error, "feed poll failed; next poll as scheduled");
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(feed.every) => {}
        }
    }
}
