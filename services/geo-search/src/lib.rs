//! geo-search: bilingual full-text and geographic search over firms and opportunities.
//!
//! [`GeoSearchService::build`] opens the tantivy index and binds the listener;
//! [`GeoSearchService::run_until_stopped`] follows the registry's change feed into the
//! index and serves `pyred.v1.GeoSearch` with health and reflection. It reports SERVING
//! once it has caught up with the feed (applied the registry's head as of its first
//! check) and while the registry answers — what a load balancer's readiness needs.
//!
//! - [`schema`]: the fields and their analysers; [`document`]: registry change → document;
//! - [`index`]: index generations on disk, the commit payload (applied sequence number)
//!   and the atomic swap of a rebuilt generation;
//! - [`feed`]: following `WatchChanges` (batched commits, reconnects) and rebuilds;
//! - [`request`]: request validation; [`search`]: query building and execution;
//!   [`collector`]: exact distances, ordering, paging and facets; [`snippet`]: highlights;
//! - [`grpc`]: the thin gRPC adapter; [`error`]: errors and their status codes.

pub mod collector;
pub mod document;
pub mod error;
pub mod feed;
pub mod grpc;
pub mod index;
pub mod request;
pub mod schema;
pub mod search;
pub mod snippet;

use std::net::SocketAddr;
use std::sync::Arc;

use pyred_access::api::AuditApi;
use pyred_access::{AuditLog, Authenticator, Verifier};
use pyred_proto::service_names::{AUDIT, COMPANY_REGISTRY, GEO_SEARCH};
use pyred_proto::v1::access_client::AccessClient;
use pyred_proto::v1::audit_server::AuditServer;
use pyred_proto::v1::geo_search_server::GeoSearchServer;
use pyred_runtime::Settings;
use pyred_runtime::client::{self, Connector, ServiceChannel};
use pyred_runtime::config::ServerSettings;
use pyred_runtime::server::{self, MetricsEndpoint, Protection, Readiness, readiness_check};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// The geo-search database holds only the audit log, created by `pyred-access`.
static NO_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate::Migrator::DEFAULT;

pub use index::IndexStore;
pub use search::SearchEngine;

/// Why geo-search could not start or stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The index could not be opened.
    #[error(transparent)]
    Index(#[from] index::IndexError),
    /// The glossary could not be loaded.
    #[error("glossary: {0}")]
    Glossary(#[from] pyred_text::TextError),
    /// A peer address is invalid.
    #[error(transparent)]
    Client(#[from] client::ClientError),
    /// The server failed.
    #[error(transparent)]
    Server(#[from] server::ServerError),
    /// The change feed task panicked.
    #[error("change feed task failed: {0}")]
    Feed(#[from] tokio::task::JoinError),
    /// The audit log could not be opened.
    #[error("audit log: {0}")]
    Audit(String),
    /// A secret could not be read or created.
    #[error(transparent)]
    Secret(#[from] pyred_runtime::secrets::SecretFileError),
}

/// Geo-search bound to its address, with its index open, ready to serve.
pub struct GeoSearchService {
    listener: TcpListener,
    address: SocketAddr,
    store: Arc<IndexStore>,
    engine: SearchEngine,
    registry: ServiceChannel,
    server: ServerSettings,
    audit: AuditLog,
    protection: Protection,
    metrics: MetricsEndpoint,
}

impl GeoSearchService {
    /// Opens the index and binds `server.host:geo_search.port`.
    pub async fn build(settings: &Settings) -> Result<Self, StartError> {
        let glossary = pyred_text::Glossary::embedded()?;
        let gazetteer = pyred_domain::Gazetteer::embedded();
        let index_dir = settings.index_dir();
        let store =
            Arc::new(tokio::task::spawn_blocking(move || IndexStore::open(&index_dir)).await??);
        let engine = SearchEngine::new(store.clone(), glossary, gazetteer);
        let connector = Connector::for_service(settings)?;
        let registry = connector.channel(&settings.registry.url)?;
        let database = pyred_runtime::db::Database::open(
            &settings.geo_search_database_url(),
            pyred_runtime::db::Migrations {
                sqlite: &NO_MIGRATIONS,
                postgres: &NO_MIGRATIONS,
            },
        )
        .await
        .map_err(|e| StartError::Audit(e.to_string()))?;
        let audit = AuditLog::open(database)
            .await
            .map_err(|e| StartError::Audit(e.to_string()))?;
        let authenticator = Arc::new(Authenticator::new(
            settings,
            Verifier::Remote(AccessClient::new(registry.clone())),
            pyred_runtime::secrets::service_token(settings)?,
        ));
        let protection = Protection::new(settings, authenticator.gate())?;
        let metrics = MetricsEndpoint::bind(
            &settings.server.host,
            settings.geo_search.metrics_port,
            "geo-search",
        )
        .await?;
        let documents = store.clone();
        metrics
            .metrics
            .index_documents(move || Some(documents.current().documents()));
        let committed = store.clone();
        metrics
            .metrics
            .index_last_commit(move || committed.current().committed_at());
        let lag = store.clone();
        metrics.metrics.feed_lag("geo-search", move || {
            let status = lag.status();
            u64::try_from(status.registry_seq - status.applied_seq).ok()
        });
        let listener = server::bind(&settings.server.host, settings.geo_search.port).await?;
        let address = listener
            .local_addr()
            .map_err(|source| server::ServerError::Bind {
                address: format!("{}:{}", settings.server.host, settings.geo_search.port),
                source,
            })?;
        Ok(Self {
            listener,
            address,
            store,
            engine,
            registry,
            server: settings.server.clone(),
            audit,
            protection,
            metrics,
        })
    }

    /// Where the Prometheus endpoint listens.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.local_addr()
    }

    /// The address geo-search listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// Follows the change feed and serves until `shutdown` is cancelled, then drains
    /// in-flight requests, commits what the feed has received and closes the index.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> Result<(), StartError> {
        let (reporter, health) = server::health();
        let registry = self.registry.clone();
        let catch_up = Arc::new(CatchUp::default());
        let (feed_registry, feed_store) = (self.registry.clone(), self.store.clone());
        let readiness = Readiness::new(reporter, GEO_SEARCH)
            .with_metrics(self.metrics.metrics.clone())
            .with_check(readiness_check(move || {
                let registry = registry.clone();
                async move { client::is_serving(&registry, COMPANY_REGISTRY).await }
            }))
            .with_check(readiness_check(move || {
                let (catch_up, registry, store) =
                    (catch_up.clone(), feed_registry.clone(), feed_store.clone());
                async move { catch_up.check(registry, &store).await }
            }));
        let metrics = self.metrics.metrics.clone();
        self.metrics.spawn(shutdown.clone());
        tokio::spawn(readiness.run(shutdown.clone()));

        let feed = feed::Feed::new(
            self.store.clone(),
            self.registry.clone(),
            self.server.max_message_bytes,
            shutdown.clone(),
        );
        let (installs, installed) = tokio::sync::mpsc::channel(1);
        let rebuilder = feed::Rebuilder::new(feed.clone(), installs);
        let following = tokio::spawn(feed.run(installed));

        let api = GeoSearchServer::new(grpc::GeoSearchApi::new(
            self.engine,
            self.store.clone(),
            rebuilder,
            self.audit.clone(),
        ))
        .max_decoding_message_size(self.server.max_message_bytes)
        .max_encoding_message_size(self.server.max_message_bytes);
        let audit = AuditServer::new(AuditApi::new(self.audit));
        tracing::info!(address = %self.address, "geo-search listening");
        let served = server::serve(
            self.listener,
            &self.server,
            &[GEO_SEARCH, AUDIT],
            tonic::service::Routes::new(api).add_service(audit),
            health,
            self.protection,
            &metrics,
            shutdown.clone(),
        )
        .await;
        shutdown.cancel();
        let followed = following.await;
        let store = self.store;
        tokio::task::spawn_blocking(move || store.close()).await?;
        served?;
        followed?;
        Ok(())
    }
}

/// Whether the index has caught up with the change feed once: the registry's head is
/// read at the first check (the first change after the applied sequence number carries
/// it); the index is caught up when it has applied that head. Latched: a steady stream
/// of new listings never makes a caught-up replica unready.
#[derive(Debug, Default)]
struct CatchUp {
    done: std::sync::atomic::AtomicBool,
    target: std::sync::atomic::AtomicI64,
}

impl CatchUp {
    async fn check(&self, registry: ServiceChannel, store: &IndexStore) -> Result<(), String> {
        use std::sync::atomic::Ordering;
        if self.done.load(Ordering::Acquire) {
            return Ok(());
        }
        let applied = store.status().applied_seq;
        let mut target = self.target.load(Ordering::Acquire);
        if target == 0 {
            let mut client =
                pyred_proto::v1::company_registry_client::CompanyRegistryClient::new(registry);
            let mut changes = client
                .watch_changes(pyred_proto::v1::WatchChangesRequest {
                    since_seq: applied,
                    follow: false,
                })
                .await
                .map_err(|status| format!("change feed: {}", status.message()))?
                .into_inner();
            match changes.message().await {
                Ok(None) => {
                    // Nothing after what is applied: caught up.
                    self.done.store(true, Ordering::Release);
                    return Ok(());
                }
                Ok(Some(change)) => target = change.head_seq.max(change.seq),
                Err(status) => return Err(format!("change feed: {}", status.message())),
            }
            self.target.store(target, Ordering::Release);
        }
        if applied >= target || store.status().applied_seq >= target {
            self.done.store(true, Ordering::Release);
            tracing::info!(applied, head = target, "caught up with the change feed");
            Ok(())
        } else {
            Err(format!(
                "catching up with the change feed: {applied} of {target}"
            ))
        }
    }
}
