//! Layered, typed configuration shared by every Pyred binary.
//!
//! Three layers, each overriding the one before: the defaults compiled into the binary
//! (`default.toml` beside this module), an optional TOML file (`--config FILE` or
//! `PYRED_CONFIG`), then environment variables `PYRED__SECTION__KEY`
//! (`PYRED__REGISTRY__PORT=50061`). Unknown keys and ill-typed values are rejected with
//! one line naming the key, so a typo never silently falls back to a default.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// The defaults compiled into every binary.
pub const DEFAULT_CONFIG: &str = include_str!("default.toml");

/// Environment variable naming the configuration file.
pub const CONFIG_FILE_ENV: &str = "PYRED_CONFIG";
/// Environment variable naming the data directory (same as `data_dir`).
pub const DATA_DIR_ENV: &str = "PYRED_DATA_DIR";

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file named by `--config`/`PYRED_CONFIG` does not exist.
    #[error("configuration file {path} not found")]
    FileNotFound {
        /// The missing path.
        path: PathBuf,
    },
    /// A layer could not be read, or a key is unknown or has a bad value.
    #[error("invalid configuration: {0}")]
    Invalid(#[source] config::ConfigError),
    /// A value has the right type but is not acceptable.
    #[error("invalid configuration: {key}: {reason}")]
    BadValue {
        /// Dotted key, `registry.port`.
        key: &'static str,
        /// Why the value is refused.
        reason: String,
    },
    /// The working directory could not be read to make the data directory absolute.
    #[error("cannot resolve the data directory: {0}")]
    Io(#[from] std::io::Error),
}

/// A string that never shows in logs or debug output (database URLs with passwords, keys).
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value itself; call only where it is used, never to print.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(\"***\")")
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The whole configuration of the stack; each binary reads the sections it needs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Directory holding the SQLite files, the index and the stack file. Made absolute
    /// at load time, so no path depends on the working directory afterwards.
    pub data_dir: PathBuf,
    /// Settings common to every gRPC server.
    pub server: ServerSettings,
    /// Logging.
    pub logging: LoggingSettings,
    /// OpenTelemetry export.
    pub telemetry: TelemetrySettings,
    /// The company-registry service.
    pub registry: RegistrySettings,
    /// The geo-search service.
    pub geo_search: GeoSearchSettings,
    /// The matchmaking service.
    pub matchmaking: MatchmakingSettings,
    /// The gateway (console and JSON API).
    pub gateway: GatewaySettings,
    /// Authentication, service credentials and rate limits.
    pub security: SecuritySettings,
    /// TLS of every server and client.
    pub tls: TlsSettings,
    /// Feed followers (PLACSP, TED), off until a feed URL is given.
    pub sync: SyncSettings,
    /// The advisers' e-mail digests.
    pub digest: DigestSettings,
    /// Brokerage cases between organisations (consent period, expiry sweep).
    pub brokerage: BrokerageSettings,
}

/// Brokerage cases: `[brokerage]` (decision 0018).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrokerageSettings {
    /// How long a firm has to answer a consent request: `14d` (at least 10 s).
    pub consent_timeout: String,
    /// How often overdue consents are looked for: `1m`, `30s`, or plain seconds (≥ 1).
    pub sweep_every: String,
}

impl BrokerageSettings {
    /// The consent period.
    pub fn consent_period(&self) -> Option<Duration> {
        parse_interval(&self.consent_timeout)
    }

    /// The sweep interval.
    pub fn sweep_interval(&self) -> Option<Duration> {
        let text = self.sweep_every.trim();
        match text.parse::<u64>() {
            Ok(seconds) if seconds >= 1 => Some(Duration::from_secs(seconds)),
            Ok(_) => None,
            Err(_) => parse_interval(text),
        }
    }
}

/// The advisers' e-mail digests: `[digest]`, sent through `[digest.relay]` when it is
/// set, else left as `.eml` files in `data_dir/outbox`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigestSettings {
    /// Whether matchmaking writes digests at all.
    pub enabled: bool,
    /// One digest per adviser per period: `24h` (daily), `7d`, … (at least 10 s).
    pub every: String,
    /// Hour of the day (UTC, 0..23) at which a period starts.
    pub hour_utc: u32,
    /// Deadlines within this many days are listed.
    pub deadline_days: u32,
    /// How often the scheduler looks for digests due: `1m` (at least 1 s in tests).
    pub check_every: String,
    /// The console's address in the digests' links; empty means `gateway.url` + `/console`.
    pub console_url: String,
    /// The visible sender, `Name <address>`.
    pub from: String,
    /// The SMTP relay (`host`, `port`, `security` = starttls | tls | none, `username`,
    /// `password`, `from`, `timeout_secs`, `ca_file`); absent: digests stay in the outbox.
    pub relay: Option<config::Value>,
}

impl DigestSettings {
    /// The digest period.
    pub fn period(&self) -> Option<Duration> {
        parse_interval(&self.every)
    }

    /// How often the scheduler wakes (`check_every`; plain seconds allowed from 1).
    pub fn check_interval(&self) -> Option<Duration> {
        let text = self.check_every.trim();
        match text.parse::<u64>() {
            Ok(seconds) if seconds >= 1 => Some(Duration::from_secs(seconds)),
            Ok(_) => None,
            Err(_) => parse_interval(text),
        }
    }
}

/// The feed followers: `[sync]`, `[sync.placsp]`, `[sync.ted]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncSettings {
    /// Port of the followers' `GET /metrics` and `/ready`; 0 picks a free one.
    pub metrics_port: u16,
    /// The PLACSP ATOM feed.
    pub placsp: FeedSettings,
    /// TED eForms notices.
    pub ted: FeedSettings,
}

/// One followed feed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedSettings {
    /// The feed's URL (`https://…`); none: not followed.
    pub url: Option<String>,
    /// Time between polls: `90s`, `15m`, `1h` (at least 10 seconds).
    pub every: String,
    /// Whether minor contracts (contratos menores) become listings.
    pub include_minor: bool,
    /// The registry source of the listings; default the feed's name (`placsp`, `ted`).
    pub source: Option<String>,
    /// Most pages one poll walks back.
    pub max_pages: usize,
}

impl FeedSettings {
    /// The poll interval.
    pub fn interval(&self) -> Option<Duration> {
        parse_interval(&self.every)
    }
}

/// `90s`, `15m`, `1h`, `2d` or plain seconds; at least 10 seconds.
pub fn parse_interval(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let n: u64 = number.parse().ok()?;
    let seconds = match unit.trim() {
        "s" => n,
        "m" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        "d" => n.checked_mul(86_400)?,
        _ => return None,
    };
    (seconds >= 10).then(|| Duration::from_secs(seconds))
}

/// The gateway: adviser console and JSON partner API over HTTPS, and where its console
/// sessions are kept (decision 0021).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewaySettings {
    /// TCP port; 0 picks a free one.
    pub port: u16,
    /// Address people and partners use.
    pub url: String,
    /// Idle lifetime of a console session, minutes (1..=10080).
    pub session_minutes: u64,
    /// Database of the console sessions: `sqlite://…` or `postgres://…`; default `sqlite`
    /// file in `data_dir`. Replicas that share it share their sessions.
    pub database_url: Option<Secret>,
    /// Key sealing the sessions' stored keys; default file `data_dir/secrets/session-secret`.
    /// Replicas sharing a session database must share it too.
    pub session_secret: Option<Secret>,
}

impl GatewaySettings {
    /// Idle lifetime of a console session.
    pub fn session_ttl(&self) -> Duration {
        Duration::from_secs(self.session_minutes.saturating_mul(60))
    }
}

/// Authentication, service credentials and rate limits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecuritySettings {
    /// Callers must present an API key; `false` makes every caller an admin (development).
    pub authentication: bool,
    /// Shared secret of service-to-service calls; default file `data_dir/secrets/service-token`.
    pub service_token: Option<Secret>,
    /// Keyed-hash secret of stored API keys; default file `data_dir/secrets/key-hash-secret`.
    pub key_hash_secret: Option<Secret>,
    /// An admin key the registry ensures exists (unless revoked) when it starts.
    pub bootstrap_admin_key: Option<Secret>,
    /// Sustained requests per second allowed to one key on one service.
    pub rate_limit_per_second: f64,
    /// Requests one key may burst above the sustained rate.
    pub rate_limit_burst: u32,
    /// How long an authenticated key is trusted before it is checked again, milliseconds.
    pub auth_cache_millis: u64,
}

/// TLS settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSettings {
    /// TLS on every server and client; `false` is plaintext (warned about).
    pub enabled: bool,
    /// PEM of the certificate authority clients trust; default `data_dir/tls/ca.pem`.
    pub ca_file: Option<PathBuf>,
    /// PEM certificate chain of the servers; default `data_dir/tls/server.pem`.
    pub cert_file: Option<PathBuf>,
    /// PEM private key of the servers; default `data_dir/tls/server.key`.
    pub key_file: Option<PathBuf>,
    /// Create a development CA and localhost certificate when the files are missing.
    pub dev_certificates: bool,
}

/// Settings common to every gRPC server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Interface to listen on.
    pub host: String,
    /// Largest message accepted or sent, bytes.
    pub max_message_bytes: usize,
    /// Upper bound of any RPC, seconds; a caller's shorter deadline wins.
    pub request_timeout_secs: u64,
    /// Deadline of calls between services, seconds.
    pub client_timeout_secs: u64,
    /// How long in-flight requests may run after a shutdown signal, seconds.
    pub shutdown_grace_secs: u64,
    /// Most concurrent requests per connection.
    pub concurrency_per_connection: usize,
}

impl ServerSettings {
    /// Upper bound of any RPC.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    /// Deadline of calls between services.
    pub fn client_timeout(&self) -> Duration {
        Duration::from_secs(self.client_timeout_secs)
    }

    /// Grace period after a shutdown signal.
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }
}

/// Logging settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoggingSettings {
    /// `text` (default) or `json`.
    pub format: LogFormat,
    /// A `tracing` filter directive, e.g. `info,tantivy=warn`; `RUST_LOG` overrides it.
    pub filter: String,
}

/// OpenTelemetry settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetrySettings {
    /// OTLP/gRPC endpoint (`http://127.0.0.1:4317`); traces are exported only when set.
    pub otlp_endpoint: Option<String>,
    /// Fraction of root traces kept, 0..1 (a remote parent's decision is always followed).
    pub sample_ratio: f64,
}

/// The company-registry service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrySettings {
    /// TCP port; 0 picks a free one.
    pub port: u16,
    /// Port of the Prometheus text endpoint (`/metrics`, `/ready`, `/live`); 0 picks a free one.
    pub metrics_port: u16,
    /// Database URL: `sqlite://…` or `postgres://…`; default `sqlite` file in `data_dir`.
    pub database_url: Option<Secret>,
    /// Address other services use to reach the registry.
    pub url: String,
}

/// The geo-search service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeoSearchSettings {
    /// TCP port; 0 picks a free one.
    pub port: u16,
    /// Port of the Prometheus text endpoint (`/metrics`, `/ready`, `/live`); 0 picks a free one.
    pub metrics_port: u16,
    /// Directory of the tantivy index; default `index/` in `data_dir`.
    pub index_dir: Option<PathBuf>,
    /// Database of the audit log: `sqlite://…` or `postgres://…`; default `sqlite` file in `data_dir`.
    pub database_url: Option<Secret>,
    /// Address other services use to reach geo-search.
    pub url: String,
}

/// The matchmaking service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchmakingSettings {
    /// TCP port; 0 picks a free one.
    pub port: u16,
    /// Port of the Prometheus text endpoint (`/metrics`, `/ready`, `/live`); 0 picks a free one.
    pub metrics_port: u16,
    /// Database URL: `sqlite://…` or `postgres://…`; default `sqlite` file in `data_dir`.
    pub database_url: Option<Secret>,
    /// Address other services use to reach matchmaking.
    pub url: String,
    /// How candidates are gathered on a large register: `[matchmaking.candidates]`.
    pub candidates: CandidatesSettings,
}

/// Matchmaking's candidate generation: `[matchmaking.candidates]`. The defaults are
/// compiled in (`default.toml`); ranges are checked at load time.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CandidatesSettings {
    /// Sides (listings for a firm, firms for a listing) with at most this many records
    /// are scored exhaustively; 0: always candidates, except on an empty register.
    pub exhaustive_max: u64,
    /// Candidates asked of geo-search per party, 1..=10000.
    pub top_n: u64,
    /// Concepts per direction in a search, 1..=100.
    pub search_concepts: u64,
    /// Sector searches per party, 0..=10.
    pub sector_searches: u64,
    /// Whether the supply and source searches also send the party's text (`offers`,
    /// `seeks`, a listing's title) besides its concepts.
    pub search_text: bool,
    /// Registry gets in flight while fetching candidates, 1..=256.
    pub fetch_concurrency: u64,
    /// Profiles kept per entity, 0..=10000000.
    pub profile_cache: u64,
    /// Age of the register statistics before a background rebuild, seconds, 1..=86400.
    pub stats_refresh_secs: u64,
    /// Most records profiled when building the statistics, at least 1.
    pub stats_sample: u64,
    /// Changes the index may lag behind the registry before a call waits (besides 1 %
    /// of the indexed documents), 0..=1000000000.
    pub index_lag: u64,
    /// Longest such wait, milliseconds, 0..=60000.
    pub index_wait_ms: u64,
}

impl CandidatesSettings {
    /// The first value out of its range, as a [`ConfigError::BadValue`].
    fn validate(&self) -> Result<(), ConfigError> {
        for (key, value, min, max) in [
            ("matchmaking.candidates.top_n", self.top_n, 1, 10_000),
            (
                "matchmaking.candidates.search_concepts",
                self.search_concepts,
                1,
                100,
            ),
            (
                "matchmaking.candidates.sector_searches",
                self.sector_searches,
                0,
                10,
            ),
            (
                "matchmaking.candidates.fetch_concurrency",
                self.fetch_concurrency,
                1,
                256,
            ),
            (
                "matchmaking.candidates.profile_cache",
                self.profile_cache,
                0,
                10_000_000,
            ),
            (
                "matchmaking.candidates.stats_refresh_secs",
                self.stats_refresh_secs,
                1,
                86_400,
            ),
            (
                "matchmaking.candidates.stats_sample",
                self.stats_sample,
                1,
                u64::MAX,
            ),
            (
                "matchmaking.candidates.index_lag",
                self.index_lag,
                0,
                1_000_000_000,
            ),
            (
                "matchmaking.candidates.index_wait_ms",
                self.index_wait_ms,
                0,
                60_000,
            ),
        ] {
            let reason = if value < min {
                format!("must be at least {min}")
            } else if value > max {
                format!("must be at most {max}")
            } else {
                continue;
            };
            return Err(ConfigError::BadValue { key, reason });
        }
        Ok(())
    }
}

/// Where the layers come from; `Default` reads the process environment.
#[derive(Debug, Default, Clone)]
pub struct ConfigSources {
    /// Explicit file (`--config`); when `None`, `PYRED_CONFIG` is consulted.
    pub file: Option<PathBuf>,
    /// Replaces the process environment (tests); `None` reads the real one.
    pub env: Option<HashMap<String, String>>,
}

impl ConfigSources {
    fn var(&self, name: &str) -> Option<String> {
        match &self.env {
            Some(env) => env.get(name).cloned(),
            None => std::env::var(name).ok(),
        }
        .filter(|value| !value.is_empty())
    }
}

impl Settings {
    /// Loads defaults, then the optional file, then `PYRED__…` variables.
    pub fn load(sources: &ConfigSources) -> Result<Self, ConfigError> {
        let mut builder = config::Config::builder().add_source(config::File::from_str(
            DEFAULT_CONFIG,
            config::FileFormat::Toml,
        ));
        let file = sources
            .file
            .clone()
            .or_else(|| sources.var(CONFIG_FILE_ENV).map(PathBuf::from));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError::FileNotFound { path });
            }
            builder = builder
                .add_source(config::File::from(path.as_path()).format(config::FileFormat::Toml));
        }
        if let Some(dir) = sources.var(DATA_DIR_ENV) {
            builder = builder
                .set_override("data_dir", dir)
                .map_err(ConfigError::Invalid)?;
        }
        let environment = config::Environment::with_prefix("PYRED")
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true)
            .source(sources.env.as_ref().map(|env| {
                env.iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect::<config::Map<_, _>>()
            }));
        let mut settings: Settings = builder
            .add_source(environment)
            .build()
            .and_then(config::Config::try_deserialize)
            .map_err(ConfigError::Invalid)?;
        settings.validate()?;
        settings.data_dir = absolute(&settings.data_dir)?;
        Ok(settings)
    }

    /// The defaults alone, with `data_dir` set; for tests and tools.
    pub fn with_data_dir(data_dir: &Path) -> Result<Self, ConfigError> {
        let mut env = HashMap::new();
        env.insert(DATA_DIR_ENV.to_owned(), data_dir.display().to_string());
        Self::load(&ConfigSources {
            file: None,
            env: Some(env),
        })
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key, reason: &str| {
            Err(ConfigError::BadValue {
                key,
                reason: reason.to_owned(),
            })
        };
        if self.server.max_message_bytes < 1024 {
            return bad("server.max_message_bytes", "must be at least 1024");
        }
        if self.digest.period().is_none() {
            return bad(
                "digest.every",
                "must be a duration of at least 10 seconds: 24h, 7d",
            );
        }
        if self.digest.check_interval().is_none() {
            return bad(
                "digest.check_every",
                "must be a duration: 1m, 30s, or plain seconds (at least 1)",
            );
        }
        if self.brokerage.consent_period().is_none() {
            return bad(
                "brokerage.consent_timeout",
                "must be a duration of at least 10 seconds: 14d, 72h",
            );
        }
        if self.brokerage.sweep_interval().is_none() {
            return bad(
                "brokerage.sweep_every",
                "must be a duration: 1m, 30s, or plain seconds (at least 1)",
            );
        }
        if self.digest.hour_utc > 23 {
            return bad("digest.hour_utc", "must be an hour between 0 and 23");
        }
        if !(1..=365).contains(&self.digest.deadline_days) {
            return bad("digest.deadline_days", "must be between 1 and 365");
        }
        if self.server.request_timeout_secs == 0 {
            return bad("server.request_timeout_secs", "must be at least 1");
        }
        if self.server.client_timeout_secs == 0 {
            return bad("server.client_timeout_secs", "must be at least 1");
        }
        if self.server.concurrency_per_connection == 0 {
            return bad("server.concurrency_per_connection", "must be at least 1");
        }
        if self.security.rate_limit_per_second.is_nan()
            || self.security.rate_limit_per_second <= 0.0
        {
            return bad("security.rate_limit_per_second", "must be above 0");
        }
        if self.security.rate_limit_burst == 0 {
            return bad("security.rate_limit_burst", "must be at least 1");
        }
        if !(1..=10_080).contains(&self.gateway.session_minutes) {
            return bad("gateway.session_minutes", "must be between 1 and 10080");
        }
        if self.security.auth_cache_millis > 1000 {
            return bad(
                "security.auth_cache_millis",
                "must be at most 1000 (a revoked key must stop working within a second)",
            );
        }
        self.matchmaking.candidates.validate()?;
        if !(0.0..=1.0).contains(&self.telemetry.sample_ratio) {
            return bad("telemetry.sample_ratio", "must be between 0 and 1");
        }
        for (key, url) in [
            ("registry.url", &self.registry.url),
            ("geo_search.url", &self.geo_search.url),
            ("matchmaking.url", &self.matchmaking.url),
        ] {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return bad(key, "must start with http:// or https://");
            }
        }
        for (key, feed) in [
            ("sync.placsp", &self.sync.placsp),
            ("sync.ted", &self.sync.ted),
        ] {
            if feed.interval().is_none() {
                return Err(ConfigError::BadValue {
                    key: if key == "sync.placsp" {
                        "sync.placsp.every"
                    } else {
                        "sync.ted.every"
                    },
                    reason: "must be a duration of at least 10 seconds: 90s, 15m, 1h".to_owned(),
                });
            }
            if let Some(url) = &feed.url
                && !(url.starts_with("http://") || url.starts_with("https://"))
            {
                return Err(ConfigError::BadValue {
                    key: if key == "sync.placsp" {
                        "sync.placsp.url"
                    } else {
                        "sync.ted.url"
                    },
                    reason: "must start with http:// or https://".to_owned(),
                });
            }
        }
        for (key, url) in [
            ("registry.database_url", &self.registry.database_url),
            ("matchmaking.database_url", &self.matchmaking.database_url),
            ("geo_search.database_url", &self.geo_search.database_url),
            ("gateway.database_url", &self.gateway.database_url),
        ] {
            if let Some(url) = url {
                let url = url.expose();
                if !(url.starts_with("sqlite:")
                    || url.starts_with("postgres://")
                    || url.starts_with("postgresql://"))
                {
                    return bad(key, "must start with sqlite:, postgres:// or postgresql://");
                }
            }
        }
        Ok(())
    }

    /// Replaces the data directory (a `--data-dir` flag), made absolute.
    pub fn set_data_dir(&mut self, dir: &Path) -> Result<(), ConfigError> {
        self.data_dir = absolute(dir)?;
        Ok(())
    }

    /// The registry's database URL: the configured one, or a SQLite file in `data_dir`.
    pub fn registry_database_url(&self) -> Secret {
        self.registry
            .database_url
            .clone()
            .unwrap_or_else(|| sqlite_url(&self.data_dir.join("registry.db")))
    }

    /// Matchmaking's database URL: the configured one, or a SQLite file in `data_dir`.
    pub fn matchmaking_database_url(&self) -> Secret {
        self.matchmaking
            .database_url
            .clone()
            .unwrap_or_else(|| sqlite_url(&self.data_dir.join("matchmaking.db")))
    }

    /// The gateway's session database URL: the configured one, or a SQLite file in
    /// `data_dir`.
    pub fn gateway_database_url(&self) -> Secret {
        self.gateway
            .database_url
            .clone()
            .unwrap_or_else(|| sqlite_url(&self.data_dir.join("gateway.db")))
    }

    /// A file under `data_dir` (or the configured path made absolute against it).
    fn in_data_dir(&self, configured: Option<&PathBuf>, default: &str) -> PathBuf {
        match configured {
            Some(path) if path.is_absolute() => path.clone(),
            Some(path) => self.data_dir.join(path),
            None => self.data_dir.join(default),
        }
    }

    /// Where e-mails wait for the relay (and stay, without one): `data_dir/outbox`.
    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }

    /// The console's address for links sent to advisers.
    pub fn console_url(&self) -> String {
        let configured = self.digest.console_url.trim().trim_end_matches('/');
        if configured.is_empty() {
            format!("{}/console", self.gateway.url.trim_end_matches('/'))
        } else {
            configured.to_owned()
        }
    }

    /// PEM of the CA that clients trust.
    pub fn tls_ca_file(&self) -> PathBuf {
        self.in_data_dir(self.tls.ca_file.as_ref(), "tls/ca.pem")
    }

    /// PEM certificate chain of the servers.
    pub fn tls_cert_file(&self) -> PathBuf {
        self.in_data_dir(self.tls.cert_file.as_ref(), "tls/server.pem")
    }

    /// PEM private key of the servers.
    pub fn tls_key_file(&self) -> PathBuf {
        self.in_data_dir(self.tls.key_file.as_ref(), "tls/server.key")
    }

    /// The directory of generated secrets (service token, key-hash secret).
    pub fn secrets_dir(&self) -> PathBuf {
        self.data_dir.join("secrets")
    }

    /// The scheme of service URLs: `https` with TLS, `http` without.
    pub fn scheme(&self) -> &'static str {
        if self.tls.enabled { "https" } else { "http" }
    }

    /// The geo-search audit database URL: a SQLite file in `data_dir`.
    pub fn geo_search_database_url(&self) -> Secret {
        self.geo_search
            .database_url
            .clone()
            .unwrap_or_else(|| sqlite_url(&self.data_dir.join("geo-search.db")))
    }

    /// The geo-search index directory.
    pub fn index_dir(&self) -> PathBuf {
        match &self.geo_search.index_dir {
            Some(dir) if dir.is_absolute() => dir.clone(),
            Some(dir) => self.data_dir.join(dir),
            None => self.data_dir.join("index"),
        }
    }
}

fn sqlite_url(path: &Path) -> Secret {
    Secret::new(format!("sqlite://{}?mode=rwc", path.display()))
}

/// `path` made absolute against the working directory, without `.` components.
fn absolute(path: &Path) -> Result<PathBuf, std::io::Error> {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()?.join(path)
    };
    Ok(joined
        .components()
        .filter(|part| !matches!(part, std::path::Component::CurDir))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_with(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let env = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::load(&ConfigSources {
            file: None,
            env: Some(env),
        })
    }

    /// The settings of a file holding `toml`, then the variables `vars`.
    fn load_file_with(toml: &str, vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("pyred.toml");
        std::fs::write(&file, toml).expect("write config");
        let env = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::load(&ConfigSources {
            file: Some(file),
            env: Some(env),
        })
    }

    #[test]
    fn defaults_load_and_are_absolute() {
        let settings = load_with(&[]).expect("defaults are valid");
        assert!(settings.data_dir.is_absolute());
        assert!(settings.data_dir.ends_with("pyred-data"));
        assert!(!settings.data_dir.to_string_lossy().contains("/./"));
        assert_eq!(settings.registry.port, 50051);
        assert_eq!(settings.logging.format, LogFormat::Text);
        assert!(settings.telemetry.otlp_endpoint.is_none());
    }

    #[test]
    fn environment_overrides_defaults_with_typed_values() {
        let settings = load_with(&[
            ("PYRED__REGISTRY__PORT", "6000"),
            ("PYRED__LOGGING__FORMAT", "json"),
            ("PYRED__TELEMETRY__OTLP_ENDPOINT", "http://127.0.0.1:4317"),
            ("PYRED_DATA_DIR", "/tmp/pyred-x"),
        ])
        .expect("valid overrides");
        assert_eq!(settings.registry.port, 6000);
        assert_eq!(settings.logging.format, LogFormat::Json);
        assert_eq!(
            settings.telemetry.otlp_endpoint.as_deref(),
            Some("http://127.0.0.1:4317")
        );
        assert_eq!(settings.data_dir, PathBuf::from("/tmp/pyred-x"));
    }

    #[test]
    fn bad_port_names_the_key() {
        let error = load_with(&[("PYRED__REGISTRY__PORT", "abc")])
            .expect_err("a port must be a number")
            .to_string();
        assert!(error.contains("registry.port"), "{error}");
        assert!(!error.contains('\n'), "one line: {error}");
    }

    #[test]
    fn unknown_key_is_refused_and_named() {
        let error = load_with(&[("PYRED__REGISTRY__PROT", "6000")])
            .expect_err("unknown key")
            .to_string();
        assert!(error.contains("prot"), "{error}");
    }

    #[test]
    fn out_of_range_value_names_the_key() {
        let error = load_with(&[("PYRED__TELEMETRY__SAMPLE_RATIO", "3")])
            .expect_err("ratio above 1")
            .to_string();
        assert!(error.contains("telemetry.sample_ratio"), "{error}");
    }

    #[test]
    fn file_layer_sits_between_defaults_and_environment() {
        let settings = load_file_with(
            "[registry]\nport = 7000\n[geo_search]\nport = 7001\n",
            &[("PYRED__GEO_SEARCH__PORT", "7002")],
        )
        .expect("valid file");
        assert_eq!(settings.registry.port, 7000);
        assert_eq!(settings.geo_search.port, 7002);
        assert_eq!(settings.matchmaking.port, 50053);
    }

    #[test]
    fn candidates_section_comes_from_the_file_and_the_environment() {
        let defaults = load_with(&[]).expect("defaults are valid");
        assert_eq!(defaults.matchmaking.candidates.top_n, 500);
        assert_eq!(defaults.matchmaking.candidates.exhaustive_max, 5000);
        assert!(defaults.matchmaking.candidates.search_text);
        let settings = load_file_with(
            "[matchmaking.candidates]\ntop_n = 300\nsearch_text = false\nindex_lag = 7\n",
            &[("PYRED__MATCHMAKING__CANDIDATES__INDEX_LAG", "9")],
        )
        .expect("valid file");
        let candidates = &settings.matchmaking.candidates;
        assert_eq!(candidates.top_n, 300);
        assert!(!candidates.search_text);
        assert_eq!(
            candidates.index_lag, 9,
            "the environment wins over the file"
        );
        assert_eq!(candidates.search_concepts, 50, "the rest keeps its default");
    }

    #[test]
    fn bad_candidate_values_name_their_key() {
        let error = load_with(&[("PYRED__MATCHMAKING__CANDIDATES__TOP_N", "0")])
            .expect_err("top_n 0")
            .to_string();
        assert!(
            error.contains("matchmaking.candidates.top_n: must be at least 1"),
            "{error}"
        );
        let error = load_with(&[("PYRED__MATCHMAKING__CANDIDATES__SEARCH_CONCEPTS", "500")])
            .expect_err("above 100")
            .to_string();
        assert!(
            error.contains("matchmaking.candidates.search_concepts: must be at most 100"),
            "{error}"
        );
        let error = load_with(&[("PYRED__MATCHMAKING__CANDIDATES__INDEX_LAG", "-1")])
            .expect_err("negative")
            .to_string();
        assert!(
            error.contains("matchmaking.candidates.index_lag"),
            "{error}"
        );
        let error = load_with(&[("PYRED__MATCHMAKING__CANDIDATES__TOP_N", "lots")])
            .expect_err("not a number")
            .to_string();
        assert!(error.contains("matchmaking.candidates.top_n"), "{error}");
        let error = load_with(&[("PYRED__MATCHMAKING__CANDIDATES__TOPN", "5")])
            .expect_err("unknown key")
            .to_string();
        assert!(error.contains("topn"), "{error}");
    }

    #[test]
    fn gateway_section_comes_from_the_file_and_the_environment() {
        let defaults = load_with(&[("PYRED_DATA_DIR", "/tmp/pyred-g")]).expect("defaults");
        assert_eq!(defaults.gateway.port, 8443);
        assert_eq!(defaults.gateway.session_minutes, 480);
        assert_eq!(
            defaults.gateway.session_ttl(),
            Duration::from_secs(480 * 60)
        );
        assert_eq!(
            defaults.gateway_database_url().expose(),
            "sqlite:///tmp/pyred-g/gateway.db?mode=rwc"
        );
        assert!(defaults.gateway.session_secret.is_none());
        let settings = load_file_with(
            "[gateway]\nport = 9443\nsession_minutes = 60\n",
            &[
                ("PYRED__GATEWAY__SESSION_MINUTES", "90"),
                (
                    "PYRED__GATEWAY__DATABASE_URL",
                    "postgres://pyred:hunter2@db/gateway",
                ),
            ],
        )
        .expect("valid file");
        assert_eq!(settings.gateway.port, 9443);
        assert_eq!(settings.gateway.session_minutes, 90, "the environment wins");
        assert_eq!(
            settings.gateway_database_url().expose(),
            "postgres://pyred:hunter2@db/gateway"
        );
        assert!(!format!("{settings:?}").contains("hunter2"));
        for (key, value, named) in [
            (
                "PYRED__GATEWAY__SESSION_MINUTES",
                "0",
                "gateway.session_minutes",
            ),
            (
                "PYRED__GATEWAY__DATABASE_URL",
                "mysql://x",
                "gateway.database_url",
            ),
            ("PYRED__GATEWAY__PORT", "https", "gateway.port"),
            ("PYRED__GATEWAY__SESION_MINUTES", "5", "sesion_minutes"),
        ] {
            let error = load_with(&[(key, value)]).expect_err(key).to_string();
            assert!(error.contains(named), "{key}: {error}");
        }
    }

    #[test]
    fn missing_file_is_an_error() {
        let error = Settings::load(&ConfigSources {
            file: Some(PathBuf::from("/nonexistent/pyred.toml")),
            env: Some(HashMap::new()),
        })
        .expect_err("missing file");
        assert!(matches!(error, ConfigError::FileNotFound { .. }));
    }

    #[test]
    fn secrets_do_not_print() {
        let settings = load_with(&[(
            "PYRED__REGISTRY__DATABASE_URL",
            "postgres://pyred:hunter2@127.0.0.1/pyred",
        )])
        .expect("valid url");
        let printed = format!("{settings:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert_eq!(
            settings.registry_database_url().expose(),
            "postgres://pyred:hunter2@127.0.0.1/pyred"
        );
    }
}
