//! Prometheus metrics for Pyred services.
//!
//! A [`Metrics`] registry (cheap to clone: an `Arc` inside) holds counters, gauges and
//! histograms with labels, plus gauges computed at scrape time from closures; the
//! series and the text exposition are `prometheus-client`'s. The
//! [`GrpcMetricsLayer`] in front of a tonic server counts and times every call;
//! [`serve`] answers `GET /metrics` in the text format 0.0.4 on its own plaintext
//! port, with `GET /ready` (the service's readiness, for probes that cannot speak TLS)
//! and `GET /live`. The
//! named helpers below ([`Metrics::feed_lag`], [`Metrics::index_documents`], …) fix
//! the metric names so that every service spells them alike. [`percentile`] is the one
//! nearest-rank percentile that the benchmarks and load tests report.
//!
//! # Integration (how every service wires it)
//!
//! Configuration: one key per service, the metrics port, served on `server.host`:
//! `registry.metrics_port` (default 9101), `geo_search.metrics_port` (9102),
//! `matchmaking.metrics_port` (9103); `PYRED__GEO_SEARCH__METRICS_PORT=…`. The
//! deployment manifests in `deploy/` scrape those ports.
//!
//! ```ignore
//! use pyred_metrics::{Metrics, PoolUse};
//!
//! // 1. One registry per process (clone it freely), with the process-wide gauges.
//! let metrics = Metrics::new();
//! metrics.build_info("geo-search", env!("CARGO_PKG_VERSION"));
//! metrics.process();
//!
//! // 2. The gRPC layer, in pyred_runtime::server::serve, as the OUTERMOST user layer
//! //    (before the authentication gate, so that UNAUTHENTICATED, PERMISSION_DENIED and
//! //    rate-limited RESOURCE_EXHAUSTED answers are counted too; `.layer(a).layer(b)`
//! //    puts `a` outside `b`):
//! builder
//!     .timeout(settings.request_timeout())
//!     .layer(metrics.grpc_layer())          // pyred_rpc_requests_total, pyred_rpc_duration_seconds
//!     .layer(GateLayer::new(protection.gate))
//!     .add_routes(routes)
//!     .serve_with_incoming_shutdown(incoming, stopping);
//!
//! // 3. The HTTP endpoint (plaintext, its own port), bound at start beside the gRPC
//! //    listener so that a port clash fails start-up:
//! let listener = tokio::net::TcpListener::bind((settings.server.host.as_str(), metrics_port)).await?;
//! tokio::spawn(pyred_metrics::serve(listener, metrics.clone(), shutdown.clone()));
//!
//! // 4. Readiness for `GET /ready` (the Kubernetes readiness probe, since `grpc:` probes
//! //    cannot speak TLS): in pyred_runtime::server::Readiness::set, beside
//! //    `reporter.set_service_status(…)`:
//! metrics.set_ready(status == ServingStatus::Serving);
//! //    geo-search's readiness must include "caught up with the feed" (applied sequence
//! //    at the registry's head as of the first catch-up): docs/OPERATIONS.md.
//!
//! // 5. What each service registers once at start (closures run at every scrape:
//! //    read atomics or cached values only):
//! // geo-search
//! metrics.index_documents(move || Some(reader.searcher().num_docs()));
//! metrics.index_last_commit(move || state.last_commit_time()); // Option<SystemTime>
//! metrics.feed_lag("geo-search", move || state.feed_lag());    // Option<u64>, events behind the head
//! // matchmaking
//! metrics.feed_lag("matchmaking-alerts", move || follower.lag());
//! // registry and matchmaking, per sqlx pool
//! metrics.db_pool("registry", move || PoolUse {
//!     size: pool.size(),
//!     idle: pool.num_idle() as u32,
//!     max: pool.options().get_max_connections(),
//! });
//! // registry, on each sync batch stored
//! metrics.sync_listings(&source).inc_by(batch.len() as u64);
//! ```
//!
//! # Metric names
//!
//! | name | type | labels |
//! |---|---|---|
//! | `pyred_rpc_requests_total` | counter | `service`, `method`, `code` |
//! | `pyred_rpc_duration_seconds` | histogram (to response headers) | `service`, `method` |
//! | `pyred_feed_lag_events` | gauge | `consumer` |
//! | `pyred_index_documents` | gauge | |
//! | `pyred_index_last_commit_age_seconds` | gauge | |
//! | `pyred_sync_listings_total` | counter | `source` |
//! | `pyred_db_pool_connections` | gauge | `database`, `state` (`idle`, `in_use`) |
//! | `pyred_db_pool_max_connections` | gauge | `database` |
//! | `pyred_build_info` | gauge (always 1) | `service`, `version` |
//! | `pyred_ready` | gauge (1 or 0, also `GET /ready`) | |
//! | `process_resident_memory_bytes` | gauge (Linux) | |

mod http;
mod layer;
mod percentile;
mod registry;

use std::sync::Arc;
use std::time::SystemTime;

pub use crate::http::{MAX_CONNECTIONS, MAX_HEAD_BYTES, READ_TIMEOUT, serve};
pub use crate::layer::{
    GrpcMetrics, GrpcMetricsLayer, MAX_METHODS, MetricsBody, RPC_DURATION_SECONDS,
    RPC_REQUESTS_TOTAL, ResponseFuture, code_name,
};
pub use crate::percentile::percentile;
pub use crate::registry::{CONTENT_TYPE, Counter, Gauge, Histogram, Metrics, RPC_DURATION_BUCKETS};

/// Name of the change-feed lag gauge.
pub const FEED_LAG_EVENTS: &str = "pyred_feed_lag_events";
/// Name of the index document-count gauge.
pub const INDEX_DOCUMENTS: &str = "pyred_index_documents";
/// Name of the index last-commit age gauge.
pub const INDEX_LAST_COMMIT_AGE_SECONDS: &str = "pyred_index_last_commit_age_seconds";
/// Name of the sync listings counter.
pub const SYNC_LISTINGS_TOTAL: &str = "pyred_sync_listings_total";
/// Name of the pool connections gauge.
pub const DB_POOL_CONNECTIONS: &str = "pyred_db_pool_connections";
/// Name of the pool size-limit gauge.
pub const DB_POOL_MAX_CONNECTIONS: &str = "pyred_db_pool_max_connections";
/// Name of the build information gauge.
pub const BUILD_INFO: &str = "pyred_build_info";
/// Name of the readiness gauge (1 ready, 0 not).
pub const READY: &str = "pyred_ready";
/// Name of the resident memory gauge (the name Prometheus client libraries use).
pub const PROCESS_RESIDENT_MEMORY_BYTES: &str = "process_resident_memory_bytes";

/// Use of a database connection pool at one instant (from sqlx: `pool.size()`,
/// `pool.num_idle()`, `pool.options().get_max_connections()`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolUse {
    /// Connections open, idle or in use.
    pub size: u32,
    /// Open connections waiting for work.
    pub idle: u32,
    /// Most connections the pool will open.
    pub max: u32,
}

impl Metrics {
    /// The tower layer to put in front of a tonic server (see [`GrpcMetricsLayer`]).
    pub fn grpc_layer(&self) -> GrpcMetricsLayer {
        GrpcMetricsLayer::new(self.clone())
    }

    /// `pyred_feed_lag_events{consumer}`: change-feed events the consumer has not
    /// applied yet (the head's sequence number minus the consumer's), computed at each
    /// scrape; `None` (head unknown yet) leaves the sample out.
    pub fn feed_lag<F>(&self, consumer: &str, lag: F)
    where
        F: Fn() -> Option<u64> + Send + Sync + 'static,
    {
        self.gauge_fn(
            FEED_LAG_EVENTS,
            "Change-feed events not yet applied by the consumer",
            &[("consumer", consumer)],
            move || lag().map(|events| events as f64),
        );
    }

    /// `pyred_index_documents`: documents in the search index, computed at each scrape.
    pub fn index_documents<F>(&self, documents: F)
    where
        F: Fn() -> Option<u64> + Send + Sync + 'static,
    {
        self.gauge_fn(
            INDEX_DOCUMENTS,
            "Documents in the search index",
            &[],
            move || documents().map(|count| count as f64),
        );
    }

    /// `pyred_index_last_commit_age_seconds`: seconds since the index's last commit;
    /// `last_commit` returns its time (`None` before the first commit, which leaves the
    /// sample out). A commit time in the future reads as 0.
    pub fn index_last_commit<F>(&self, last_commit: F)
    where
        F: Fn() -> Option<SystemTime> + Send + Sync + 'static,
    {
        self.gauge_fn(
            INDEX_LAST_COMMIT_AGE_SECONDS,
            "Seconds since the search index was last committed",
            &[],
            move || {
                last_commit().map(|at| {
                    SystemTime::now()
                        .duration_since(at)
                        .map(|age| age.as_secs_f64())
                        .unwrap_or(0.0)
                })
            },
        );
    }

    /// `pyred_sync_listings_total{source}`: listings received through sync from
    /// `source`; call `.inc_by(n)` on the returned counter per batch.
    pub fn sync_listings(&self, source: &str) -> Counter {
        self.counter(
            SYNC_LISTINGS_TOTAL,
            "Listings received through sync, by source",
            &[("source", source)],
        )
    }

    /// `pyred_db_pool_connections{database,state="idle"|"in_use"}` and
    /// `pyred_db_pool_max_connections{database}`, read from `pool_use` at each scrape.
    pub fn db_pool<F>(&self, database: &str, pool_use: F)
    where
        F: Fn() -> PoolUse + Send + Sync + 'static,
    {
        let pool_use = Arc::new(pool_use);
        let help = "Database pool connections, by state";
        let read = pool_use.clone();
        self.gauge_fn(
            DB_POOL_CONNECTIONS,
            help,
            &[("database", database), ("state", "idle")],
            move || Some(f64::from(read().idle)),
        );
        let read = pool_use.clone();
        self.gauge_fn(
            DB_POOL_CONNECTIONS,
            help,
            &[("database", database), ("state", "in_use")],
            move || {
                let now = read();
                Some(f64::from(now.size.saturating_sub(now.idle)))
            },
        );
        self.gauge_fn(
            DB_POOL_MAX_CONNECTIONS,
            "Most connections the database pool opens",
            &[("database", database)],
            move || Some(f64::from(pool_use().max)),
        );
    }

    /// `pyred_build_info{service,version} 1`, to tell which build answers.
    pub fn build_info(&self, service: &str, version: &str) {
        self.gauge(
            BUILD_INFO,
            "Always 1; labels name the service and its version",
            &[("service", service), ("version", version)],
        )
        .set(1.0);
    }

    /// Records whether the service is ready (its gRPC health status is SERVING):
    /// `GET /ready` on the metrics endpoint answers 200 when it is, 503 otherwise
    /// (and before the first call), and `pyred_ready` is 1 or 0.
    pub fn set_ready(&self, ready: bool) {
        self.gauge(
            READY,
            "1 when the service reports SERVING on its gRPC health service, else 0",
            &[],
        )
        .set(if ready { 1.0 } else { 0.0 });
    }

    /// The last value given to [`Metrics::set_ready`]; `false` before any.
    pub fn is_ready(&self) -> bool {
        self.gauge(
            READY,
            "1 when the service reports SERVING on its gRPC health service, else 0",
            &[],
        )
        .get()
            == 1.0
    }

    /// `process_resident_memory_bytes`, read from `/proc/self/status` at each scrape
    /// (left out where there is no `/proc`).
    pub fn process(&self) {
        self.gauge_fn(
            PROCESS_RESIDENT_MEMORY_BYTES,
            "Resident memory size in bytes",
            &[],
            resident_memory_bytes,
        );
    }
}

fn resident_memory_bytes() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024.0)
}

#[cfg(test)]
mod tests;
