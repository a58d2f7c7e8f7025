//! company-registry: the system of record for companies and opportunities.
//!
//! [`Registry::build`] opens (and migrates) the store and binds the listener;
//! [`Registry::run_until_stopped`] serves `pyred.v1.CompanyRegistry` with health and
//! reflection until the shutdown token is cancelled. The binary in `main.rs` only wires
//! configuration and signals to these two calls, so tests run the same code in-process.

pub mod error;
pub mod feed;
pub mod grpc;
pub mod registrar;
pub mod service;
pub mod store;
pub mod sweep;
pub mod validate;

use std::net::SocketAddr;

use std::sync::Arc;

use pyred_access::api::{AccessApi, AuditApi};
use pyred_access::{AuditLayer, AuditLog, Authenticator, Caller, KeyStore, Role, Verifier};
use pyred_proto::service_names::{ACCESS, AUDIT, COMPANY_REGISTRY};
use pyred_proto::v1::access_server::AccessServer;
use pyred_proto::v1::audit_server::AuditServer;
use pyred_proto::v1::company_registry_server::CompanyRegistryServer;
use pyred_runtime::Settings;
use pyred_runtime::config::ServerSettings;
use pyred_runtime::server::{self, MetricsEndpoint, Protection, Readiness, readiness_check};
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
    /// The key store or audit log could not be opened.
    #[error("access control: {0}")]
    Access(String),
    /// A secret could not be read or created.
    #[error(transparent)]
    Secret(#[from] pyred_runtime::secrets::SecretFileError),
}

/// A registry bound to its address, with its store open, ready to serve.
pub struct Registry {
    listener: TcpListener,
    address: SocketAddr,
    store: store::Store,
    server: ServerSettings,
    keys: KeyStore,
    audit: AuditLog,
    protection: Protection,
    metrics: MetricsEndpoint,
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
        let database = store.database().clone();
        let keys = KeyStore::open(
            database.clone(),
            pyred_runtime::secrets::key_hash_secret(settings)?,
        )
        .await
        .map_err(|e| StartError::Access(e.to_string()))?;
        if let Some(key) = &settings.security.bootstrap_admin_key {
            let admin = Caller {
                key_id: String::new(),
                name: "bootstrap admin".into(),
                role: Role::Admin,
                territory: Vec::new(),
                company_id: String::new(),
                source: String::new(),
                organisation: String::new(),
            };
            let added = keys
                .ensure(admin, key)
                .await
                .map_err(|e| StartError::Access(format!("security.bootstrap_admin_key: {e}")))?;
            if added {
                tracing::info!("bootstrap admin key stored");
            }
        }
        let audit = AuditLog::open(database)
            .await
            .map_err(|e| StartError::Access(e.to_string()))?;
        let authenticator = Arc::new(Authenticator::new(
            settings,
            Verifier::Local(keys.clone()),
            pyred_runtime::secrets::service_token(settings)?,
        ));
        let protection = Protection::new(settings, authenticator.gate())?;
        let metrics = MetricsEndpoint::bind(
            &settings.server.host,
            settings.registry.metrics_port,
            "company-registry",
        )
        .await?;
        metrics.watch_pool("registry", store.database());
        Ok(Self {
            listener,
            address,
            store,
            server: settings.server.clone(),
            keys,
            audit,
            protection,
            metrics,
        })
    }

    /// Where the Prometheus endpoint listens.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.local_addr()
    }

    /// The address the registry listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// Serves until `shutdown` is cancelled, then drains in-flight requests.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> Result<(), StartError> {
        let (reporter, health) = server::health();
        let database = self.store.database().clone();
        let readiness = Readiness::new(reporter, COMPANY_REGISTRY)
            .with_metrics(self.metrics.metrics.clone())
            .with_check(readiness_check(move || {
                let database = database.clone();
                async move { database.ping().await }
            }));
        tokio::spawn(readiness.run(shutdown.clone()));
        let registrar = registrar::Registrar::new(self.store);
        let lookup = registrar.clone();
        let company_exists: pyred_access::api::CompanyExists = Arc::new(move |id| {
            let lookup = lookup.clone();
            Box::pin(async move {
                lookup
                    .get_company(&pyred_proto::v1::GetCompanyRequest {
                        id,
                        legal_id: String::new(),
                    })
                    .await
                    .is_ok()
            })
        });
        let metrics = self.metrics.metrics.clone();
        self.metrics.spawn(shutdown.clone());
        let service = service::RegistryService::new(registrar, metrics.clone(), shutdown.clone());
        let api = CompanyRegistryServer::new(grpc::RegistryApi::new(service))
            .max_decoding_message_size(self.server.max_message_bytes)
            .max_encoding_message_size(self.server.max_message_bytes);
        let api = tower::Layer::layer(&AuditLayer::new(self.audit.clone(), grpc::AUDITED), api);
        let access = AccessServer::new(AccessApi::new(
            self.keys,
            self.audit.clone(),
            company_exists,
        ));
        let audit = AuditServer::new(AuditApi::new(self.audit));
        tracing::info!(address = %self.address, "company-registry listening");
        server::serve(
            self.listener,
            &self.server,
            &[COMPANY_REGISTRY, ACCESS, AUDIT],
            tonic::service::Routes::new(api)
                .add_service(access)
                .add_service(audit),
            health,
            self.protection,
            &metrics,
            shutdown,
        )
        .await?;
        Ok(())
    }
}
