//! company-registry: the system of record for companies and opportunities.
//!
//! [`Registry::build`] opens (and migrates) the store and binds the listener;
//! [`Registry::run_until_stopped`] serves `pyred.v1.CompanyRegistry` with health and
//! reflection until the shutdown token is cancelled. The binary in `main.rs` only wires
//! configuration and signals to these two calls, so tests run the same code in-process.

pub mod error;
pub mod grpc;
pub mod registrar;
pub mod store;
pub mod validate;

use std::net::SocketAddr;

use pyred_proto::service_names::COMPANY_REGISTRY;
use pyred_proto::v1::company_registry_server::CompanyRegistryServer;
use pyred_runtime::Settings;
use pyred_runtime::config::ServerSettings;
use pyred_runtime::server::{self, Readiness, readiness_check};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use error::RegistryError;

/// Why the registry could not start or stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The store could not be opened.
    #[error(transparent)]
    Storage(#[from] pyred_runtime::db::DbError),
    /// The server failed.
    #[error(transparent)]
    Server(#[from] server::ServerError),
}

/// A registry bound to its address, with its store open, ready to serve.
pub struct Registry {
    listener: TcpListener,
    address: SocketAddr,
    store: store::Store,
    server: ServerSettings,
}

impl Registry {
    /// Opens the store named by the settings and binds `server.host:registry.port`.
    pub async fn build(settings: &Settings) -> Result<Self, StartError> {
        let store = store::Store::open(&settings.registry_database_url()).await?;
        let listener = server::bind(&settings.server.host, settings.registry.port).await?;
        let address = listener
            .local_addr()
            .map_err(|source| server::ServerError::Bind {
                address: format!("{}:{}", settings.server.host, settings.registry.port),
                source,
            })?;
        Ok(Self {
            listener,
            address,
            store,
            server: settings.server.clone(),
        })
    }

    /// The address the registry listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// Serves until `shutdown` is cancelled, then drains in-flight requests.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> Result<(), StartError> {
        let (reporter, health) = server::health();
        let database = self.store.database().clone();
        let readiness =
            Readiness::new(reporter, COMPANY_REGISTRY).with_check(readiness_check(move || {
                let database = database.clone();
                async move { database.ping().await }
            }));
        tokio::spawn(readiness.run(shutdown.clone()));
        let api = CompanyRegistryServer::new(grpc::RegistryApi::new(
            registrar::Registrar::new(self.store),
            shutdown.clone(),
        ))
        .max_decoding_message_size(self.server.max_message_bytes)
        .max_encoding_message_size(self.server.max_message_bytes);
        tracing::info!(address = %self.address, "company-registry listening");
        server::serve(
            self.listener,
            &self.server,
            COMPANY_REGISTRY,
            tonic::service::Routes::new(api),
            health,
            shutdown,
        )
        .await?;
        Ok(())
    }
}
