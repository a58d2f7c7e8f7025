//! geo-search: bilingual full-text and geographic search over firms and opportunities.
//!
//! [`GeoSearchService::build`] opens the tantivy index and binds the listener;
//! [`GeoSearchService::run_until_stopped`] serves `pyred.v1.GeoSearch` with health and
//! reflection. It reports SERVING only while its index is open and the registry, whose
//! change feed it follows, answers.

pub mod error;
pub mod grpc;
pub mod index;

use std::net::SocketAddr;

use pyred_proto::service_names::{COMPANY_REGISTRY, GEO_SEARCH};
use pyred_proto::v1::geo_search_server::GeoSearchServer;
use pyred_runtime::Settings;
use pyred_runtime::client::{self, ServiceChannel};
use pyred_runtime::config::ServerSettings;
use pyred_runtime::server::{self, Readiness, readiness_check};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Why geo-search could not start or stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The index could not be opened.
    #[error(transparent)]
    Index(#[from] index::IndexError),
    /// A peer address is invalid.
    #[error(transparent)]
    Client(#[from] client::ClientError),
    /// The server failed.
    #[error(transparent)]
    Server(#[from] server::ServerError),
}

/// Geo-search bound to its address, with its index open, ready to serve.
pub struct GeoSearchService {
    listener: TcpListener,
    address: SocketAddr,
    index: index::SearchIndex,
    registry: ServiceChannel,
    server: ServerSettings,
}

impl GeoSearchService {
    /// Opens the index and binds `server.host:geo_search.port`.
    pub async fn build(settings: &Settings) -> Result<Self, StartError> {
        let index = index::SearchIndex::open(&settings.index_dir())?;
        let registry =
            client::connect_lazy(&settings.registry.url, settings.server.client_timeout())?;
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
            index,
            registry,
            server: settings.server.clone(),
        })
    }

    /// The address geo-search listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// Serves until `shutdown` is cancelled, then drains in-flight requests.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> Result<(), StartError> {
        let (reporter, health) = server::health();
        let registry = self.registry.clone();
        let readiness =
            Readiness::new(reporter, GEO_SEARCH).with_check(readiness_check(move || {
                let registry = registry.clone();
                async move { client::is_serving(&registry, COMPANY_REGISTRY).await }
            }));
        tokio::spawn(readiness.run(shutdown.clone()));
        let api = GeoSearchServer::new(grpc::GeoSearchApi::new(self.index))
            .max_decoding_message_size(self.server.max_message_bytes)
            .max_encoding_message_size(self.server.max_message_bytes);
        tracing::info!(address = %self.address, "geo-search listening");
        server::serve(
            self.listener,
            &self.server,
            GEO_SEARCH,
            tonic::service::Routes::new(api),
            health,
            shutdown,
        )
        .await?;
        Ok(())
    }
}
