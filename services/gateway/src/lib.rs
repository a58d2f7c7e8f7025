//! Pyred's gateway: the advisers' web console and the JSON partner API, in front of the
//! three gRPC services.
//!
//! - [`console`]: server-rendered pages (minijinja templates, French by default, Spanish
//!   and English), sessions kept server-side in a SQL store ([`session`]), CSRF tokens
//!   on every form,
//!   the SVG map ([`map`]), CSV exports and the firm's one-page PDF lead sheet
//!   ([`lead_sheet`]).
//! - [`api`]: REST resources mirroring the gRPC API, with its OpenAPI document
//!   ([`openapi`]) at `/openapi.json`; JSON shapes in [`json`], errors in [`error`].
//! - [`upstream`]: one shared channel per service; every call carries the key of the
//!   person or program the gateway acts for, so the services' authorization applies
//!   unchanged.
//! - [`tls`]: HTTPS with the services' certificate (plaintext only when `tls.enabled`
//!   is false).
//!
//! [`Gateway::build`] binds (port 0 picks a free one) and returns; [`Gateway::run_until_stopped`]
//! serves until the token is cancelled.

#![recursion_limit = "256"]

pub mod alerts;
pub mod api;
pub use console::cases;
pub mod console;
pub mod error;
pub mod i18n;
pub mod json;
pub mod lead_sheet;
pub mod map;
pub mod openapi;
pub mod session;
pub mod tls;
pub mod upstream;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use pyred_runtime::Settings;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use console::templates::templates;
pub use upstream::UpstreamUrls;

/// Why the gateway could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The port could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// TLS could not be set up.
    #[error(transparent)]
    Tls(#[from] tls::GatewayTlsError),
    /// Development certificates could not be created.
    #[error(transparent)]
    DevCertificates(#[from] pyred_runtime::tls::TlsError),
    /// A service address is invalid.
    #[error(transparent)]
    Client(#[from] pyred_runtime::client::ClientError),
    /// The session store could not be opened.
    #[error(transparent)]
    Sessions(#[from] session::SessionError),
    /// A template does not compile.
    #[error("template {name}: {source}")]
    Template {
        /// The template.
        name: &'static str,
        /// The error.
        #[source]
        source: minijinja::Error,
    },
    /// Serving failed.
    #[error("serving: {0}")]
    Serve(#[source] std::io::Error),
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// Channels to the services.
    pub upstream: upstream::Upstream,
    /// Console sessions (their store and cookie).
    pub sessions: session::Sessions,
    /// Compiled templates.
    pub templates: Arc<minijinja::Environment<'static>>,
    /// Whether the gateway serves HTTPS (cookies are then `Secure`).
    pub tls: bool,
    /// Cancelled when the gateway stops: long-lived responses (alert streams) end then,
    /// so a graceful shutdown does not wait for browsers to hang up.
    pub streams_end: CancellationToken,
}

enum Bound {
    Plain(TcpListener),
    Tls(tls::TlsListener),
}

/// A bound gateway, ready to serve.
pub struct Gateway {
    bound: Bound,
    router: Router,
    local_addr: SocketAddr,
    scheme: &'static str,
    streams_end: CancellationToken,
}

/// The whole router: console and API over `state`, each request with its console
/// session handle (loaded only when a handler reads it).
pub fn router(state: AppState, max_body_bytes: usize) -> Router {
    let sessions = state.sessions.layer();
    Router::new()
        .merge(console::routes())
        .merge(cases::routes())
        .merge(alerts::routes())
        .merge(api::routes())
        .layer(axum::extract::DefaultBodyLimit::max(max_body_bytes))
        .layer(axum::middleware::from_fn(session::end_marked))
        .layer(sessions)
        .with_state(state)
}

impl Gateway {
    /// Binds `server.host:gateway.port` with TLS as the settings say, opens the session
    /// store (`gateway.database_url`), and prepares the channels to the services at `urls`.
    pub async fn build(settings: &Settings, urls: &UpstreamUrls) -> Result<Self, GatewayError> {
        pyred_runtime::tls::ensure_dev_certificates(settings)?;
        let state = AppState {
            upstream: upstream::Upstream::connect(settings, urls)?,
            sessions: session::Sessions::open(settings).await?,
            templates: Arc::new(templates()?),
            tls: settings.tls.enabled,
            streams_end: CancellationToken::new(),
        };
        let addr = format!("{}:{}", settings.server.host, settings.gateway.port);
        let listener = TcpListener::bind(&addr)
            .await
            .map_err(|source| GatewayError::Bind {
                addr: addr.clone(),
                source,
            })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| GatewayError::Bind { addr, source })?;
        let (bound, scheme) = if settings.tls.enabled {
            let config = tls::server_config(settings)?;
            (
                Bound::Tls(tls::TlsListener::new(listener, config).map_err(GatewayError::Serve)?),
                "https",
            )
        } else {
            tracing::warn!(
                "the gateway serves plaintext HTTP (tls.enabled = false): development only"
            );
            (Bound::Plain(listener), "http")
        };
        Ok(Self {
            bound,
            streams_end: state.streams_end.clone(),
            router: router(state, settings.server.max_message_bytes),
            local_addr,
            scheme,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The console's URL, `https://host:port/console`.
    pub fn console_url(&self) -> String {
        format!("{}/console", self.base_url())
    }

    /// `https://host:port` (`http://` without TLS).
    pub fn base_url(&self) -> String {
        format!("{}://{}", self.scheme, self.local_addr)
    }

    /// Serves until `shutdown` is cancelled, then lets in-flight requests finish.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> Result<(), GatewayError> {
        tracing::info!(url = %self.console_url(), "gateway serving");
        let streams_end = self.streams_end.clone();
        let stopped = async move {
            shutdown.cancelled().await;
            streams_end.cancel();
        };
        match self.bound {
            Bound::Plain(listener) => axum::serve(listener, self.router)
                .with_graceful_shutdown(stopped)
                .await
                .map_err(GatewayError::Serve),
            Bound::Tls(listener) => axum::serve(listener, self.router)
                .with_graceful_shutdown(stopped)
                .await
                .map_err(GatewayError::Serve),
        }
    }
}
