//! The Pyred side of the benchmark as separate processes, and every channel to them.
//!
//! **All process spawning and all gRPC channel creation of the benchmark are here**, so
//! that authentication and TLS — being added to every service by another change — are
//! handled at one place:
//!
//! - [`Stack::start`] gives every service the same bootstrap admin key
//!   (`PYRED__SECURITY__BOOTSTRAP_ADMIN_KEY`, generated per run unless `--api-key`), and
//!   raises the per-key rate limit (200 q/s by default) out of the way of a load test;
//!   a build that predates those settings refuses them (exit status 2) and is started
//!   again without them;
//! - [`Stack::channel`] sends that key as `authorization: Bearer <key>` on every call,
//!   and speaks TLS (`https`, trusting `DATA_DIR/tls/ca.pem`, the development CA the
//!   services create) whenever that file exists — plaintext otherwise;
//! - `--plaintext` turns both off in the services (`PYRED__TLS__ENABLED=false`,
//!   `PYRED__SECURITY__AUTHENTICATION=false`) to measure what they cost.
//!
//! The services are the binaries beside the benchmark's own
//! (`target/release/{company-registry,geo-search,matchmaking}`), each a child process with
//! a fresh data directory and free loopback ports given through `PYRED_DATA_DIR` and
//! `PYRED__*` variables, so that each one's RSS can be read from `/proc/PID/status` and
//! its disk use from the data directory. Their logs go to `DATA_DIR/logs/`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use pyred_proto::service_names;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};

/// One of the three services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// company-registry.
    Registry,
    /// geo-search.
    GeoSearch,
    /// matchmaking.
    Matchmaking,
}

impl Service {
    /// Its binary.
    pub fn binary(self) -> &'static str {
        match self {
            Self::Registry => "company-registry",
            Self::GeoSearch => "geo-search",
            Self::Matchmaking => "matchmaking",
        }
    }

    fn health_name(self) -> &'static str {
        match self {
            Self::Registry => service_names::COMPANY_REGISTRY,
            Self::GeoSearch => service_names::GEO_SEARCH,
            Self::Matchmaking => service_names::MATCHMAKING,
        }
    }

    fn index(self) -> usize {
        match self {
            Self::Registry => 0,
            Self::GeoSearch => 1,
            Self::Matchmaking => 2,
        }
    }
}

/// Adds the bearer key, when there is one, to every call.
#[derive(Debug, Clone)]
pub struct Credentials(Option<MetadataValue<Ascii>>);

impl tonic::service::Interceptor for Credentials {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(bearer) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", bearer.clone());
        }
        Ok(request)
    }
}

/// A channel to one service, with the benchmark's credentials.
pub type BenchChannel = InterceptedService<Channel, Credentials>;

/// Memory of one process.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Memory {
    /// Resident set, MB.
    pub rss_mb: f64,
    /// Peak resident set, MB.
    pub peak_rss_mb: f64,
    /// Proportional set (shared pages divided among their users), MB.
    pub pss_mb: f64,
}

/// Reads a process's memory from `/proc`.
pub fn memory(pid: u32) -> Memory {
    let field = |text: &str, name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
    Memory {
        rss_mb: field(&status, "VmRSS:"),
        peak_rss_mb: field(&status, "VmHWM:"),
        pss_mb: field(&rollup, "Pss:"),
    }
}

/// The three services of one benchmark run.
#[derive(Debug)]
pub struct Stack {
    bin_dir: PathBuf,
    data_dir: PathBuf,
    ports: [u16; 3],
    children: [Option<Child>; 3],
    bearer: Option<MetadataValue<Ascii>>,
    key: String,
    secured: bool,
    plaintext: bool,
    extra_env: Vec<(String, String)>,
}

/// A throwaway admin key in the services' format (`pyred_<12 hex>_<secret>`).
fn bench_key() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut rng = crate::rng::Rng::new(nanos ^ u64::from(std::process::id()), 99);
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let secret: String = (0..40)
        .map(|_| char::from(ALPHABET[rng.below(ALPHABET.len())]))
        .collect();
    format!("pyred_{:012x}_{secret}", rng.next_u64() & 0xffff_ffff_ffff)
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

impl Stack {
    /// A stack of the binaries in `bin_dir` over the fresh `data_dir`; nothing starts yet.
    pub fn new(
        bin_dir: &Path,
        data_dir: &Path,
        api_key: Option<&str>,
        plaintext: bool,
        extra_env: Vec<(String, String)>,
    ) -> anyhow::Result<Self> {
        for service in [Service::Registry, Service::GeoSearch, Service::Matchmaking] {
            let path = bin_dir.join(service.binary());
            if !path.is_file() {
                bail!(
                    "{} not found: build the services first (cargo build --release)",
                    path.display()
                );
            }
        }
        std::fs::create_dir_all(data_dir.join("logs"))?;
        let key = api_key.map_or_else(bench_key, str::to_owned);
        let bearer = (!plaintext)
            .then(|| format!("Bearer {key}").parse())
            .transpose()
            .context("the api key is not valid ASCII metadata")?;
        Ok(Self {
            bin_dir: bin_dir.to_path_buf(),
            data_dir: data_dir.to_path_buf(),
            ports: [free_port()?, free_port()?, free_port()?],
            children: [None, None, None],
            bearer,
            key,
            secured: !plaintext,
            plaintext,
            extra_env,
        })
    }

    /// The service's URL.
    pub fn url(&self, service: Service) -> String {
        format!("http://127.0.0.1:{}", self.ports[service.index()])
    }

    /// The data directory the services share.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// A new channel (its own HTTP/2 connection) to `service`: TLS when the services
    /// have a CA in the data directory, the bench key on every call.
    pub fn channel(&self, service: Service) -> anyhow::Result<BenchChannel> {
        let port = self.ports[service.index()];
        let ca = self.data_dir.join("tls").join("ca.pem");
        let endpoint = if !self.plaintext && ca.is_file() {
            let pem = std::fs::read(&ca)?;
            Endpoint::from_shared(format!("https://127.0.0.1:{port}"))?.tls_config(
                ClientTlsConfig::new()
                    .ca_certificate(Certificate::from_pem(pem))
                    .domain_name("localhost"),
            )?
        } else {
            Endpoint::from_shared(format!("http://127.0.0.1:{port}"))?
        };
        let endpoint = endpoint
            .connect_timeout(Duration::from_secs(5))
            .tcp_nodelay(true);
        let bearer = if self.secured {
            self.bearer.clone()
        } else {
            None
        };
        Ok(InterceptedService::new(
            endpoint.connect_lazy(),
            Credentials(bearer),
        ))
    }

    /// Whether the channels use TLS and a key (as far as the services are concerned).
    pub fn security(&self) -> String {
        let tls = !self.plaintext && self.data_dir.join("tls").join("ca.pem").is_file();
        format!(
            "{}, {}",
            if tls { "TLS" } else { "plaintext" },
            if self.secured {
                "API key"
            } else {
                "no authentication"
            }
        )
    }

    /// The process id of a running service.
    pub fn pid(&self, service: Service) -> Option<u32> {
        self.children[service.index()].as_ref().map(Child::id)
    }

    /// Starts `service` and waits (at most `timeout`) until its health check says
    /// SERVING; returns how long that took.
    pub async fn start(&mut self, service: Service, timeout: Duration) -> anyhow::Result<Duration> {
        match self.try_start(service, timeout).await {
            Err(StartFailure::RefusedSettings) if self.secured && !self.plaintext => {
                // A build without authentication settings: start it as it is.
                self.secured = false;
                self.try_start(service, timeout)
                    .await
                    .map_err(StartFailure::into_error)
            }
            other => other.map_err(StartFailure::into_error),
        }
    }

    async fn try_start(
        &mut self,
        service: Service,
        timeout: Duration,
    ) -> Result<Duration, StartFailure> {
        let started = Instant::now();
        let log = self
            .data_dir
            .join("logs")
            .join(format!("{}.log", service.binary()));
        let mut command = Command::new(self.bin_dir.join(service.binary()));
        command
            .env("PYRED_DATA_DIR", &self.data_dir)
            .env("PYRED__LOGGING__FILTER", "warn")
            .env("PYRED__SERVER__REQUEST_TIMEOUT_SECS", "600")
            .env("PYRED__SERVER__CLIENT_TIMEOUT_SECS", "300")
            .env_remove("PYRED_CONFIG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).map_err(|e| StartFailure::Other(e.into()))?);
        if self.plaintext {
            command
                .env("PYRED__TLS__ENABLED", "false")
                .env("PYRED__SECURITY__AUTHENTICATION", "false");
        } else if self.secured {
            command
                .env("PYRED__SECURITY__BOOTSTRAP_ADMIN_KEY", &self.key)
                .env("PYRED__SECURITY__RATE_LIMIT_PER_SECOND", "1000000")
                .env("PYRED__SECURITY__RATE_LIMIT_BURST", "1000000");
        }
        for (name, s) in [
            ("REGISTRY", Service::Registry),
            ("GEO_SEARCH", Service::GeoSearch),
            ("MATCHMAKING", Service::Matchmaking),
        ] {
            command
                .env(
                    format!("PYRED__{name}__PORT"),
                    self.ports[s.index()].to_string(),
                )
                .env(
                    format!("PYRED__{name}__URL"),
                    format!("http://127.0.0.1:{}", self.ports[s.index()]),
                );
        }
        for (key, value) in &self.extra_env {
            command.env(key, value);
        }
        let child = command.spawn().map_err(|e| {
            StartFailure::Other(anyhow::anyhow!("cannot start {}: {e}", service.binary()))
        })?;
        self.children[service.index()] = Some(child);
        loop {
            if let Some(child) = self.children[service.index()].as_mut()
                && let Some(status) = child
                    .try_wait()
                    .map_err(|e| StartFailure::Other(e.into()))?
            {
                self.children[service.index()] = None;
                if status.code() == Some(2) {
                    return Err(StartFailure::RefusedSettings);
                }
                return Err(StartFailure::Other(anyhow::anyhow!(
                    "{} exited ({status}); see {}",
                    service.binary(),
                    log.display()
                )));
            }
            let channel = self.channel(service).map_err(StartFailure::Other)?;
            let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
            let request = tonic_health::pb::HealthCheckRequest {
                service: service.health_name().to_owned(),
            };
            if let Ok(response) = health.check(request).await
                && response.into_inner().status
                    == tonic_health::pb::health_check_response::ServingStatus::Serving as i32
            {
                return Ok(started.elapsed());
            }
            if started.elapsed() > timeout {
                return Err(StartFailure::Other(anyhow::anyhow!(
                    "{} not SERVING after {timeout:?}; see {}",
                    service.binary(),
                    log.display()
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Stops `service` with SIGTERM (it drains and commits), SIGKILL after `grace`.
    pub async fn stop(&mut self, service: Service, grace: Duration) -> anyhow::Result<()> {
        let Some(mut child) = self.children[service.index()].take() else {
            return Ok(());
        };
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let started = Instant::now();
        while started.elapsed() < grace {
            if child.try_wait()?.is_some() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        child.kill()?;
        child.wait()?;
        Ok(())
    }
}

enum StartFailure {
    /// Exit status 2: a setting the build does not know.
    RefusedSettings,
    Other(anyhow::Error),
}

impl StartFailure {
    fn into_error(self) -> anyhow::Error {
        match self {
            Self::RefusedSettings => anyhow::anyhow!(
                "the service refused its configuration (exit status 2); see its log"
            ),
            Self::Other(error) => error,
        }
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        for child in self.children.iter_mut().flatten() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
