//! Start-up, health and shutdown of a Pyred gRPC server.
//!
//! A service binds first ([`bind`], port 0 in tests), opens its storage, then hands its
//! routes to [`serve`], which adds what every server has: `grpc.health.v1.Health`,
//! reflection (v1 and v1alpha, so grpcurl 1.8 works), a per-RPC timeout, a concurrency
//! limit, a span per request that continues the caller's trace, and a graceful shutdown
//! that lets in-flight requests finish within a grace period.
//!
//! Health starts NOT_SERVING; [`Readiness`] turns it SERVING once every readiness check
//! (storage open, dependencies answering) passes, and back when one fails.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::config::ServerSettings;
use crate::gate::{Gate, GateLayer};
use crate::telemetry::server_span;

/// Why a server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// `host:port`.
        address: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Reflection could not load the descriptors.
    #[error("cannot build gRPC reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    /// The transport failed.
    #[error("gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// The TLS configuration could not be loaded.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
}

/// What protects a server: TLS (absent only when the settings ask for plaintext) and the
/// gate every request but health checks passes.
#[derive(Clone)]
pub struct Protection {
    /// The server's TLS identity.
    pub tls: Option<tonic::transport::ServerTlsConfig>,
    /// Authentication and limits.
    pub gate: Gate,
}

impl Protection {
    /// TLS from the settings, and `gate`.
    pub fn new(settings: &crate::Settings, gate: Gate) -> Result<Self, ServerError> {
        Ok(Self {
            tls: crate::tls::server_config(settings)?,
            gate,
        })
    }
}

/// Binds `host:port` (port 0 picks a free port) and returns the listener.
pub async fn bind(host: &str, port: u16) -> Result<TcpListener, ServerError> {
    let address = format!("{host}:{port}");
    TcpListener::bind(&address)
        .await
        .map_err(|source| ServerError::Bind { address, source })
}

/// A check that must pass before a service reports SERVING.
pub type ReadinessCheck =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send + Sync>;

/// Turns a closure returning a future into a [`ReadinessCheck`].
pub fn readiness_check<F, Fut>(check: F) -> ReadinessCheck
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    Arc::new(move || Box::pin(check()))
}

/// Drives a service's health status from its readiness checks.
pub struct Readiness {
    metrics: Option<pyred_metrics::Metrics>,
    reporter: HealthReporter,
    service_name: &'static str,
    checks: Vec<ReadinessCheck>,
    interval: Duration,
}

impl Readiness {
    /// Health for `service_name` (and the overall `""` service), with no check yet.
    pub fn new(reporter: HealthReporter, service_name: &'static str) -> Self {
        Self {
            metrics: None,
            reporter,
            service_name,
            checks: Vec::new(),
            interval: Duration::from_millis(500),
        }
    }

    /// Mirrors the status into `metrics` (`pyred_ready`, `GET /ready`).
    pub fn with_metrics(mut self, metrics: pyred_metrics::Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Adds a check.
    pub fn with_check(mut self, check: ReadinessCheck) -> Self {
        self.checks.push(check);
        self
    }

    async fn set(&self, status: ServingStatus) {
        if let Some(metrics) = &self.metrics {
            metrics.set_ready(status == ServingStatus::Serving);
        }
        self.reporter
            .set_service_status(self.service_name, status)
            .await;
        self.reporter.set_service_status("", status).await;
    }

    /// Re-runs the checks until `stop`, publishing SERVING or NOT_SERVING on each change.
    pub async fn run(self, stop: CancellationToken) {
        let mut serving = false;
        self.set(ServingStatus::NotServing).await;
        loop {
            let mut failure = None;
            for check in &self.checks {
                if let Err(reason) = check().await {
                    failure = Some(reason);
                    break;
                }
            }
            match (&failure, serving) {
                (None, false) => {
                    tracing::info!(service = self.service_name, "ready: serving");
                    self.set(ServingStatus::Serving).await;
                    serving = true;
                }
                (Some(reason), true) => {
                    tracing::warn!(service = self.service_name, %reason, "not ready");
                    self.set(ServingStatus::NotServing).await;
                    serving = false;
                }
                (Some(reason), false) => {
                    tracing::debug!(service = self.service_name, %reason, "waiting to be ready");
                }
                (None, true) => {}
            }
            // Poll fast until ready, then slowly.
            let pause = if serving {
                self.interval * 4
            } else {
                self.interval
            };
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(pause) => {}
            }
        }
        self.set(ServingStatus::NotServing).await;
    }
}

/// A fresh health service and the reporter that drives it.
pub fn health() -> (
    HealthReporter,
    tonic_health::pb::health_server::HealthServer<impl tonic_health::pb::health_server::Health>,
) {
    tonic_health::server::health_reporter()
}

/// The gRPC health service's name.
pub const HEALTH_SERVICE: &str = "grpc.health.v1.Health";

/// Serves `routes` (the gRPC services `service_names`) plus health and reflection on
/// `listener`, behind `protection`, until `shutdown` is cancelled, then lets in-flight
/// requests finish for at most the grace period.
#[expect(
    clippy::too_many_arguments,
    reason = "each argument is a distinct part every server needs; a struct would only rename them"
)]
pub async fn serve(
    listener: TcpListener,
    settings: &ServerSettings,
    service_names: &[&'static str],
    routes: Routes,
    health_server: tonic_health::pb::health_server::HealthServer<
        impl tonic_health::pb::health_server::Health,
    >,
    protection: Protection,
    metrics: &pyred_metrics::Metrics,
    shutdown: CancellationToken,
) -> Result<(), ServerError> {
    let address: Option<SocketAddr> = listener.local_addr().ok();
    let reflection = || {
        service_names.iter().fold(
            tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(pyred_proto::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
                .with_service_name(HEALTH_SERVICE),
            |builder, name| builder.with_service_name(*name),
        )
    };
    let reflection_v1 = reflection().build_v1()?;
    let reflection_v1alpha = reflection().build_v1alpha()?;
    let routes = routes
        .add_service(health_server)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha);

    let stopping = shutdown.clone();
    let mut builder = tonic::transport::Server::builder();
    if let Some(tls) = protection.tls {
        builder = builder.tls_config(tls)?;
    }
    let server = builder
        .timeout(settings.request_timeout())
        .concurrency_limit_per_connection(settings.concurrency_per_connection)
        .tcp_nodelay(true)
        .http2_keepalive_interval(Some(Duration::from_secs(30)))
        .trace_fn(server_span)
        // Outside the gate, so refused calls are counted too.
        .layer(metrics.grpc_layer())
        // A message over `max_message_bytes` answers RESOURCE_EXHAUSTED, not OUT_OF_RANGE.
        .layer(crate::oversize::OversizeLayer)
        .layer(GateLayer::new(protection.gate))
        .add_routes(routes)
        // `tcp_nodelay` on the builder does not apply to an incoming stream we hand in: set
        // it on the accepted sockets, or every small response waits ~40 ms for Nagle.
        .serve_with_incoming_shutdown(
            tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)),
            async move {
                stopping.cancelled().await;
            },
        );
    tokio::pin!(server);
    let grace = settings.shutdown_grace();
    tokio::select! {
        result = &mut server => result?,
        () = async { shutdown.cancelled().await; tokio::time::sleep(grace).await } => {
            tracing::warn!(?address, grace_secs = grace.as_secs(), "grace period over; closing remaining connections");
        }
    }
    tracing::info!(?address, "server stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}

/// A service's metrics registry and its bound Prometheus endpoint.
pub struct MetricsEndpoint {
    /// The registry (clone it to register gauges).
    pub metrics: pyred_metrics::Metrics,
    listener: TcpListener,
    address: Option<SocketAddr>,
}

impl MetricsEndpoint {
    /// Binds `host:port` (0: a free port) for `service`'s metrics, with its build and
    /// process gauges registered.
    pub async fn bind(host: &str, port: u16, service: &str) -> Result<Self, ServerError> {
        let listener = bind(host, port).await?;
        let metrics = pyred_metrics::Metrics::new();
        metrics.build_info(service, env!("CARGO_PKG_VERSION"));
        metrics.process();
        Ok(Self {
            address: listener.local_addr().ok(),
            metrics,
            listener,
        })
    }

    /// Reports the use of `database`'s connection pool as `name`.
    pub fn watch_pool(&self, name: &str, database: &crate::db::Database) {
        let pool = database.pool.clone();
        self.metrics.db_pool(name, move || pyred_metrics::PoolUse {
            size: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            max: pool.options().get_max_connections(),
        });
    }

    /// Where the endpoint listens.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.address
    }

    /// Serves `/metrics`, `/ready` and `/live` until `shutdown`.
    pub fn spawn(self, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
        let address = self.address;
        tokio::spawn(async move {
            if let Err(error) = pyred_metrics::serve(self.listener, self.metrics, shutdown).await {
                tracing::error!(?address, %error, "metrics endpoint failed");
            }
        })
    }
}
