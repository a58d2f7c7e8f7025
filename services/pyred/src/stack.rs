//! The whole Pyred stack in one process, and the stack file that lets other commands
//! find it.
//!
//! [`start`] builds the registry, geo-search and matchmaking in dependency order, each on
//! its configured port (0 picks a free one), points each service at the others' actual
//! addresses, and serves them until the returned [`RunningStack`] is stopped. While it
//! runs, `stack.json` in the data directory records the addresses.

use std::path::{Path, PathBuf};
use std::time::Duration;

use pyred_proto::service_names::{COMPANY_REGISTRY, GEO_SEARCH, MATCHMAKING};
use pyred_runtime::client::{self, Connector};
use pyred_runtime::{Secret, Settings};
use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Name of the stack file inside the data directory.
pub const STACK_FILE: &str = "stack.json";

/// Why the stack could not start or stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    /// The registry failed.
    #[error("company-registry: {0}")]
    Registry(#[from] pyred_registry::StartError),
    /// Geo-search failed.
    #[error("geo-search: {0}")]
    GeoSearch(#[from] pyred_geo_search::StartError),
    /// Matchmaking failed.
    #[error("matchmaking: {0}")]
    Matchmaking(#[from] pyred_matchmaking::StartError),
    /// The gateway failed.
    #[error("gateway: {0}")]
    Gateway(#[from] pyred_gateway::GatewayError),
    /// The feed follower failed.
    #[error("feed-sync: {0}")]
    Follower(String),
    /// A service did not become healthy in time.
    #[error("{service} not healthy after {seconds} s: {reason}")]
    NotHealthy {
        /// The service.
        service: &'static str,
        /// How long we waited.
        seconds: u64,
        /// The last health answer.
        reason: String,
    },
    /// Another stack already serves from this data directory.
    #[error("a Pyred stack already runs on this data directory (registry at {0})")]
    AlreadyRunning(String),
    /// The stack file could not be written or read.
    #[error("stack file {path}: {reason}")]
    StackFile {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A service task panicked.
    #[error("a service task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    /// An address is invalid.
    #[error(transparent)]
    Client(#[from] client::ClientError),
    /// The admin key could not be prepared.
    #[error(transparent)]
    Credentials(#[from] crate::credentials::CredentialsError),
}

/// The addresses of a running stack, as written in `stack.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackAddresses {
    /// company-registry, `https://host:port` (`http://` when TLS is off).
    pub registry: String,
    /// geo-search, `https://host:port`.
    pub geo_search: String,
    /// matchmaking, `https://host:port`.
    pub matchmaking: String,
    /// The adviser console, `https://host:port/console` (empty in older stack files).
    #[serde(default)]
    pub console: String,
    /// Process serving them.
    pub pid: u32,
}

impl StackAddresses {
    /// The services with their gRPC names and addresses.
    pub fn services(&self) -> [(&'static str, &'static str, &str); 3] {
        [
            ("company-registry", COMPANY_REGISTRY, self.registry.as_str()),
            ("geo-search", GEO_SEARCH, self.geo_search.as_str()),
            ("matchmaking", MATCHMAKING, self.matchmaking.as_str()),
        ]
    }

    /// The addresses of the stack `pyred up` runs for this data directory, else the
    /// configured ones (`registry.url`, `geo_search.url`, `matchmaking.url`).
    ///
    /// # Errors
    /// When the stack file exists but cannot be read.
    pub fn running_or_configured(settings: &Settings) -> Result<Self, StackError> {
        Ok(Self::read(&settings.data_dir)?.unwrap_or_else(|| Self {
            registry: settings.registry.url.clone(),
            geo_search: settings.geo_search.url.clone(),
            matchmaking: settings.matchmaking.url.clone(),
            console: String::new(),
            pid: 0,
        }))
    }

    /// Reads `stack.json` from `data_dir`; `Ok(None)` when no stack file exists.
    pub fn read(data_dir: &Path) -> Result<Option<Self>, StackError> {
        let path = data_dir.join(STACK_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                serde_json::from_str(&text)
                    .map(Some)
                    .map_err(|error| StackError::StackFile {
                        path,
                        reason: error.to_string(),
                    })
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(StackError::StackFile {
                path,
                reason: error.to_string(),
            }),
        }
    }

    /// Writes `stack.json` into `data_dir` atomically (temporary file, then rename).
    fn write(&self, data_dir: &Path) -> Result<(), StackError> {
        let path = data_dir.join(STACK_FILE);
        let temporary = data_dir.join(format!("{STACK_FILE}.tmp"));
        let fail = |reason: String| StackError::StackFile {
            path: path.clone(),
            reason,
        };
        let text = serde_json::to_string_pretty(self).map_err(|e| fail(e.to_string()))?;
        std::fs::write(&temporary, text).map_err(|e| fail(e.to_string()))?;
        std::fs::rename(&temporary, &path).map_err(|e| fail(e.to_string()))
    }
}

/// Checks every service of a stack through `connector`; returns each one's health.
pub async fn health(
    addresses: &StackAddresses,
    connector: &Connector,
) -> Vec<(&'static str, Result<(), String>)> {
    let mut report = Vec::new();
    let connector = connector.clone().with_timeout(Duration::from_secs(2));
    for (name, grpc_name, url) in addresses.services() {
        let outcome = match connector.channel(url) {
            Ok(channel) => client::is_serving(&channel, grpc_name).await,
            Err(error) => Err(error.to_string()),
        };
        report.push((name, outcome));
    }
    report
}

/// A stack serving in this process.
pub struct RunningStack {
    /// Where each service listens.
    pub addresses: StackAddresses,
    /// Each service's Prometheus endpoint, `http://host:port/metrics`.
    pub metrics: Vec<(&'static str, String)>,
    data_dir: PathBuf,
    shutdown: CancellationToken,
    tasks: Vec<(&'static str, JoinHandle<Result<(), StackError>>)>,
    connector: Connector,
    admin_key: Option<Secret>,
    admin_key_created: bool,
}

impl RunningStack {
    /// Waits until every service reports SERVING, or fails after `timeout`.
    pub async fn wait_healthy(&self, timeout: Duration) -> Result<(), StackError> {
        let started = tokio::time::Instant::now();
        loop {
            let report = health(&self.addresses, &self.connector).await;
            let failing = report
                .into_iter()
                .find_map(|(name, outcome)| match outcome {
                    Ok(()) => None,
                    Err(reason) => Some((name, reason)),
                });
            let Some((service, reason)) = failing else {
                return Ok(());
            };
            if let Some((name, task)) = self.tasks.iter().find(|(_, task)| task.is_finished()) {
                return Err(StackError::NotHealthy {
                    service: name,
                    seconds: started.elapsed().as_secs(),
                    reason: format!("stopped early ({})", task.id()),
                });
            }
            if started.elapsed() >= timeout {
                return Err(StackError::NotHealthy {
                    service,
                    seconds: timeout.as_secs(),
                    reason,
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A connector to this stack with its TLS and admin key.
    pub fn connector(&self) -> Connector {
        self.connector.clone()
    }

    /// The admin key, when `start` created it now (to print once), else `None`.
    pub fn new_admin_key(&self) -> Option<&Secret> {
        self.admin_key.as_ref().filter(|_| self.admin_key_created)
    }

    /// Records the addresses in the data directory's stack file.
    pub fn publish(&self) -> Result<(), StackError> {
        self.addresses.write(&self.data_dir)
    }

    /// A token that stops the stack when cancelled.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Resolves when a service stops on its own (an error), or when the stack is told to stop.
    pub async fn stopped_or_failed(&self) {
        let shutdown = self.shutdown.clone();
        loop {
            if self.tasks.iter().any(|(_, task)| task.is_finished()) {
                return;
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(Duration::from_millis(200)) => {}
            }
        }
    }

    /// Stops every service, waits for them to drain, and removes the stack file.
    pub async fn stop(self) -> Result<(), StackError> {
        self.shutdown.cancel();
        let mut first_error = None;
        // Reverse dependency order: matchmaking, geo-search, then the registry.
        for (name, task) in self.tasks.into_iter().rev() {
            match task.await {
                Ok(Ok(())) => tracing::info!(service = name, "stopped"),
                Ok(Err(error)) => {
                    first_error.get_or_insert(error);
                }
                Err(error) => {
                    first_error.get_or_insert(StackError::Join(error));
                }
            }
        }
        if let Ok(Some(addresses)) = StackAddresses::read(&self.data_dir)
            && addresses.pid == std::process::id()
        {
            let _removed = std::fs::remove_file(self.data_dir.join(STACK_FILE));
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// Builds and starts the three gRPC services and the gateway in dependency order.
///
/// Unless the configuration names a bootstrap admin key, the data directory's admin key
/// (`admin.key`, created on first start) becomes it.
pub async fn start(mut settings: Settings) -> Result<RunningStack, StackError> {
    pyred_runtime::tls::ensure_dev_certificates(&settings).map_err(client::ClientError::from)?;
    let (admin_key, admin_key_created) = match &settings.security.bootstrap_admin_key {
        Some(key) => (Some(key.clone()), false),
        None if settings.security.authentication => {
            let (key, created) = crate::credentials::ensure_admin_key(&settings.data_dir)?;
            settings.security.bootstrap_admin_key = Some(key.clone());
            (Some(key), created)
        }
        None => (None, false),
    };
    let mut connector = Connector::from_settings(&settings, settings.server.request_timeout())?;
    if let Some(key) = &admin_key {
        connector = connector.with_key(key)?;
    }
    if let Some(existing) = StackAddresses::read(&settings.data_dir)?
        && health(&existing, &connector).await[0].1.is_ok()
    {
        return Err(StackError::AlreadyRunning(existing.registry));
    }
    let scheme = settings.scheme();
    let shutdown = CancellationToken::new();
    let mut tasks: Vec<(&'static str, JoinHandle<Result<(), StackError>>)> = Vec::new();

    let mut metrics = Vec::new();
    let endpoint = |address: Option<std::net::SocketAddr>| {
        address.map_or_else(String::new, |a| format!("http://{a}/metrics"))
    };
    let registry = pyred_registry::Registry::build(&settings).await?;
    metrics.push(("company-registry", endpoint(registry.metrics_addr())));
    settings.registry.url = format!("{scheme}://{}", registry.local_addr());
    let token = shutdown.clone();
    tasks.push((
        "company-registry",
        tokio::spawn(async move { Ok(registry.run_until_stopped(token).await?) }),
    ));

    let geo_search = pyred_geo_search::GeoSearchService::build(&settings).await?;
    metrics.push(("geo-search", endpoint(geo_search.metrics_addr())));
    settings.geo_search.url = format!("{scheme}://{}", geo_search.local_addr());
    let token = shutdown.clone();
    tasks.push((
        "geo-search",
        tokio::spawn(async move { Ok(geo_search.run_until_stopped(token).await?) }),
    ));

    let matchmaking = pyred_matchmaking::MatchmakingService::build(&settings).await?;
    metrics.push(("matchmaking", endpoint(matchmaking.metrics_addr())));
    settings.matchmaking.url = format!("{scheme}://{}", matchmaking.local_addr());
    let token = shutdown.clone();
    tasks.push((
        "matchmaking",
        tokio::spawn(async move { Ok(matchmaking.run_until_stopped(token).await?) }),
    ));

    let feeds = pyred_feed_sync::follower::FollowedFeed::from_settings(&settings);
    if !feeds.is_empty() {
        let follower = pyred_feed_sync::follower::Follower::build(
            feeds,
            &connector,
            &settings.registry.url,
            &settings.server.host,
            Some(settings.sync.metrics_port),
            pyred_feed_sync::fetch::FetchOptions::default(),
        )
        .await
        .map_err(|error| StackError::Follower(error.to_string()))?;
        metrics.push(("feed-sync", endpoint(follower.metrics_addr())));
        let token = shutdown.clone();
        tasks.push((
            "feed-sync",
            tokio::spawn(async move {
                follower
                    .run_until_stopped(token)
                    .await
                    .map_err(|error| StackError::Follower(error.to_string()))
            }),
        ));
    }

    let gateway = pyred_gateway::Gateway::build(
        &settings,
        &pyred_gateway::UpstreamUrls::from_settings(&settings),
    )
    .await?;
    let console = gateway.console_url();
    let token = shutdown.clone();
    tasks.push((
        "gateway",
        tokio::spawn(async move { Ok(gateway.run_until_stopped(token).await?) }),
    ));

    Ok(RunningStack {
        addresses: StackAddresses {
            registry: settings.registry.url.clone(),
            geo_search: settings.geo_search.url.clone(),
            matchmaking: settings.matchmaking.url.clone(),
            console,
            pid: std::process::id(),
        },
        metrics,
        data_dir: settings.data_dir.clone(),
        shutdown,
        tasks,
        connector,
        admin_key,
        admin_key_created,
    })
}
