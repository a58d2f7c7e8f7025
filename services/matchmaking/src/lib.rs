//! matchmaking: ranked, explained leads for each firm and each listing, and the
//! advisers' workflow on them.
//!
//! [`MatchmakingService::build`] opens the store and binds the listener;
//! [`MatchmakingService::run_until_stopped`] serves `pyred.v1.Matchmaking` with health and
//! reflection. It reports SERVING only while its store answers and both the registry and
//! geo-search, which it depends on, are serving.

pub mod alerts;
pub mod brokerage;
pub mod candidates;
pub mod digest;
pub mod error;
pub mod follower;
pub mod grpc;
pub mod inbox;
pub mod leads;
pub mod request;
pub mod store;
pub mod workflow;

use std::net::SocketAddr;

use pyred_proto::service_names::{COMPANY_REGISTRY, GEO_SEARCH, MATCHMAKING};
use pyred_proto::v1::matchmaking_server::MatchmakingServer;
use pyred_runtime::Settings;
use pyred_runtime::client::{self, ServiceChannel};
use pyred_runtime::config::ServerSettings;
use pyred_runtime::server::{self, MetricsEndpoint, Protection, Readiness, readiness_check};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use error::MatchError;

/// Why matchmaking could not start or stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The store could not be opened.
    #[error(transparent)]
    Storage(#[from] pyred_runtime::db::DbError),
    /// A peer address is invalid.
    #[error(transparent)]
    Client(#[from] client::ClientError),
    /// The server failed.
    #[error(transparent)]
    Server(#[from] server::ServerError),
    /// The audit log could not be opened.
    #[error("audit log: {0}")]
    Audit(String),
    /// A secret could not be read or created.
    #[error(transparent)]
    Secret(#[from] pyred_runtime::secrets::SecretFileError),
    /// The matching model's data did not load.
    #[error("matching model: {0}")]
    Model(#[from] pyred_matching::MatchingError),
    /// A digest setting is invalid.
    #[error(transparent)]
    Digest(#[from] digest::DigestError),
}

/// Matchmaking bound to its address, with its store open, ready to serve.
pub struct MatchmakingService {
    listener: TcpListener,
    address: SocketAddr,
    store: store::Store,
    registry: ServiceChannel,
    geo_search: ServiceChannel,
    matcher: std::sync::Arc<pyred_matching::Matcher>,
    server: ServerSettings,
    audit: pyred_access::AuditLog,
    protection: Protection,
    metrics: MetricsEndpoint,
    digest: Option<(digest::DigestSettings, std::path::PathBuf)>,
    candidates: candidates::CandidateSettings,
    brokerage: pyred_runtime::config::BrokerageSettings,
}

impl MatchmakingService {
    /// Opens the store and binds `server.host:matchmaking.port`.
    pub async fn build(settings: &Settings) -> Result<Self, StartError> {
        let store = store::Store::open(&settings.matchmaking_database_url()).await?;
        let matcher = std::sync::Arc::new(pyred_matching::Matcher::new()?);
        let timeout = settings.server.client_timeout();
        let connector = client::Connector::for_service(settings)?.with_timeout(timeout);
        let registry = connector.channel(&settings.registry.url)?;
        let geo_search = connector.channel(&settings.geo_search.url)?;
        let audit = pyred_access::AuditLog::open(store.database().clone())
            .await
            .map_err(|e| StartError::Audit(e.to_string()))?;
        let authenticator = std::sync::Arc::new(pyred_access::Authenticator::new(
            settings,
            pyred_access::Verifier::Remote(pyred_proto::v1::access_client::AccessClient::new(
                registry.clone(),
            )),
            pyred_runtime::secrets::service_token(settings)?,
        ));
        let protection = Protection::new(settings, authenticator.gate())?;
        let metrics = MetricsEndpoint::bind(
            &settings.server.host,
            settings.matchmaking.metrics_port,
            "matchmaking",
        )
        .await?;
        metrics.watch_pool("matchmaking", store.database());
        let digest = digest::DigestSettings::from_settings(settings)?
            .map(|digest| (digest, settings.outbox_dir()));
        let listener = server::bind(&settings.server.host, settings.matchmaking.port).await?;
        let address = listener
            .local_addr()
            .map_err(|source| server::ServerError::Bind {
                address: format!("{}:{}", settings.server.host, settings.matchmaking.port),
                source,
            })?;
        Ok(Self {
            listener,
            address,
            store,
            registry,
            geo_search,
            matcher,
            server: settings.server.clone(),
            audit,
            protection,
            metrics,
            digest,
            candidates: candidates::CandidateSettings::from(&settings.matchmaking.candidates),
            brokerage: settings.brokerage.clone(),
        })
    }

    /// Where the Prometheus endpoint listens.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.local_addr()
    }

    /// The address matchmaking listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// Serves until `shutdown` is cancelled, then drains in-flight requests.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> Result<(), StartError> {
        let (reporter, health) = server::health();
        let database = self.store.database().clone();
        let registry = self.registry.clone();
        let geo_search = self.geo_search.clone();
        let readiness = Readiness::new(reporter, MATCHMAKING)
            .with_metrics(self.metrics.metrics.clone())
            .with_check(readiness_check(move || {
                let database = database.clone();
                async move { database.ping().await }
            }))
            .with_check(readiness_check(move || {
                let registry = registry.clone();
                async move { client::is_serving(&registry, COMPANY_REGISTRY).await }
            }))
            .with_check(readiness_check(move || {
                let geo_search = geo_search.clone();
                async move { client::is_serving(&geo_search, GEO_SEARCH).await }
            }));
        tokio::spawn(readiness.run(shutdown.clone()));
        let leads = leads::Leads::new(self.matcher, self.registry.clone(), self.store.clone())
            .with_geo_search(self.geo_search.clone(), self.candidates);
        let progress = std::sync::Arc::new(follower::Progress::default());
        let lag = progress.clone();
        self.metrics
            .metrics
            .feed_lag("matchmaking", move || Some(lag.lag()));
        let metrics = self.metrics.metrics.clone();
        self.metrics.spawn(shutdown.clone());
        if let Some((settings, outbox)) = self.digest {
            let composer =
                digest::Composer::new(self.store.clone(), leads.clone(), settings.deadline_days);
            tokio::spawn(
                digest::Scheduler::new(
                    composer,
                    self.store.clone(),
                    self.registry.clone(),
                    outbox,
                    settings,
                )
                .run(shutdown.clone()),
            );
        }
        let broker = brokerage::Broker::new(
            brokerage::store::CaseStore::new(self.store.clone()),
            leads.clone(),
            brokerage::directory::Directory::new(self.registry.clone()),
            self.brokerage
                .consent_period()
                .unwrap_or(std::time::Duration::from_secs(14 * 86_400)),
        );
        tokio::spawn(brokerage::sweep::run(
            broker.cases().clone(),
            self.brokerage
                .sweep_interval()
                .unwrap_or(std::time::Duration::from_secs(60)),
            shutdown.clone(),
        ));
        tokio::spawn(follower::follow(
            self.registry,
            leads.clone(),
            self.store.clone(),
            progress,
            shutdown.clone(),
        ));
        let brokerage_api = pyred_proto::v1::brokerage_server::BrokerageServer::new(
            brokerage::grpc::BrokerageApi::new(
                broker,
                brokerage::consortia::Consortia::new(leads.clone()),
                self.audit.clone(),
            ),
        )
        .max_decoding_message_size(self.server.max_message_bytes)
        .max_encoding_message_size(self.server.max_message_bytes);
        let api = MatchmakingServer::new(grpc::MatchmakingApi::new(
            self.store,
            leads,
            self.audit.clone(),
            shutdown.clone(),
        ))
        .max_decoding_message_size(self.server.max_message_bytes)
        .max_encoding_message_size(self.server.max_message_bytes);
        tracing::info!(address = %self.address, "matchmaking listening");
        server::serve(
            self.listener,
            &self.server,
            &[
                MATCHMAKING,
                pyred_proto::service_names::BROKERAGE,
                pyred_proto::service_names::AUDIT,
            ],
            tonic::service::Routes::new(api)
                .add_service(brokerage_api)
                .add_service(pyred_proto::v1::audit_server::AuditServer::new(
                    pyred_access::api::AuditApi::new(self.audit),
                )),
            health,
            self.protection,
            &metrics,
            shutdown,
        )
        .await?;
        Ok(())
    }
}
