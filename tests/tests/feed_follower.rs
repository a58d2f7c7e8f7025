//! The PLACSP feed follower as its own process (`pyred-feed-sync follow`) against the
//! stack, fed by real-shaped ATOM pages from a loopback HTTP server.
//!
//! The pages are built from the real samples of `libs/feeds/tests/data/placsp/`: the
//! header and the 20 out-of-territory entries (and 2 tombstones) of
//! `full-20-entries.atom`, and the real Zaragoza entry `zaragoza_ayto_codice_entry_0365170-17.xml`
//! as the template of every in-territory entry (only its atom id, folder id, `updated`,
//! title and status code change; an entry turned `PUB` also gets a deadline a year from
//! now, as the template's 2017 deadline would make it expired, and geo-search never
//! shows a listing written as expired as live). Pages are newest first and linked by
//! `next` (relative, absolute-path and absolute links), as PLACSP publishes them.
//!
//! Story: the follower applies the head page, stalls mid-body on the second page and is
//! SIGKILLed there; a new head page appears; the follower restarts, walks everything
//! back to the oldest page and stores the cursor; one more page appears while it runs and
//! its next poll walks only back to the cursor. In the end every in-territory entry is in
//! the registry and in the index exactly once, at its newest version.
//!
//! The binary: `cargo test -p pyred-e2e` does not build other packages' binaries, so the
//! test runs `cargo build -p pyred-feed-sync --bin pyred-feed-sync` into its own target
//! directory first (a no-op when it is fresh, and never a stale binary); set
//! `PYRED_FEED_SYNC_BIN` to use a given binary instead.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::{Duration, Instant};

use pyred_e2e::{TestStack, registry_last_seq, spawn_stack, wait_until};
use pyred_proto::v1::company_registry_client::CompanyRegistryClient;
use pyred_proto::v1::geo_search_client::GeoSearchClient;
use pyred_proto::v1::{self as pb};
use pyred_runtime::client::ServiceChannel;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Generous bound of every wait: the test waits for states, it never times speed.
const PATIENCE: Duration = Duration::from_secs(120);

/// The registry source and feed of the follower.
const SOURCE: &str = "placsp";

/// The folder id of the real Zaragoza entry (in its atom id, link, summary, folder id
/// and buyer profile: 5 times).
const TEMPLATE_FOLDER: &str = "0365170-17";
const TEMPLATE_UPDATED: &str = "<updated>2018-01-24T09:59:55+01:00</updated>";
const TEMPLATE_STATUS: &str = ">ADJ</cbc-place-ext:ContractFolderStatusCode>";
const TEMPLATE_DEADLINE: &str = "<cbc:EndDate>2017-07-10</cbc:EndDate>";

fn data_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../libs/feeds/tests/data/placsp")
        .join(name)
}

// ---------------------------------------------------------------------------------------
// The pages
// ---------------------------------------------------------------------------------------

/// A local time on 2018-01-03 at +01:00, the day of the real out-of-territory entries
/// (08:37–09:09); every generated one is later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Stamp {
    h: u32,
    m: u32,
    s: u32,
    ms: u32,
}

const fn at(h: u32, m: u32, s: u32, ms: u32) -> Stamp {
    Stamp { h, m, s, ms }
}

impl Stamp {
    /// As PLACSP writes it.
    fn local(self) -> String {
        format!(
            "2018-01-03T{:02}:{:02}:{:02}.{:03}+01:00",
            self.h, self.m, self.s, self.ms
        )
    }

    /// The cursor's form: RFC 3339 UTC with 3 fraction digits.
    fn utc(self) -> String {
        format!(
            "2018-01-03T{:02}:{:02}:{:02}.{:03}Z",
            self.h - 1,
            self.m,
            self.s,
            self.ms
        )
    }

    /// The registry's `source_version`: Unix milliseconds.
    fn millis(self) -> i64 {
        const DAY_START_UTC_MS: i64 = 1_514_937_600_000; // 2018-01-03T00:00:00Z
        let seconds = i64::from((self.h - 1) * 3600 + self.m * 60 + self.s);
        DAY_START_UTC_MS + seconds * 1000 + i64::from(self.ms)
    }
}

/// One in-territory entry: the real Zaragoza entry with these substitutions.
#[derive(Debug, Clone)]
struct Entry {
    folder: &'static str,
    at: Stamp,
    /// `ContractFolderStatusCode`: `PUB` (live) or `ADJ` (the template's, fulfilled).
    status: &'static str,
    /// Appended to the real title, in parentheses.
    note: &'static str,
}

/// A tombstone (`at:deleted-entry`, reason `ANULADA`) of an in-territory entry.
#[derive(Debug, Clone)]
struct Tombstone {
    folder: &'static str,
    at: Stamp,
}

#[derive(Debug, Clone, Default)]
struct PageSpec {
    entries: Vec<Entry>,
    tombstones: Vec<Tombstone>,
    /// Carries the real out-of-territory entries and tombstones (the oldest page).
    real: bool,
}

impl PageSpec {
    fn newest(&self) -> Stamp {
        self.entries
            .iter()
            .map(|e| e.at)
            .chain(self.tombstones.iter().map(|t| t.at))
            .max()
            .expect("a page has entries")
    }
}

fn atom_id(folder: &str) -> String {
    format!(
        "https://agregacion.contrataciondelsectorpublico.gob.es/coleccion/licitaciones/401/entry/{folder}"
    )
}

fn listing_id(folder: &str) -> String {
    format!("placsp-{folder}")
}

/// What the real samples give the pages.
struct Real {
    /// `<?xml …?>` and the `<feed …>` start tag with its namespaces.
    feed_open: String,
    /// The feed's `<author>`, `<id>` and `<title>`.
    author: String,
    id: String,
    title: String,
    /// The real out-of-territory entries and tombstones.
    entries: Vec<String>,
    tombstones: Vec<String>,
    /// The atom ids of those entries.
    entry_ids: Vec<String>,
    /// The Zaragoza entry without its XML declaration, and its title as written.
    template: String,
    template_title: String,
    /// The deadline of the `PUB` entries: a year from today (`YYYY-MM-DD`).
    open_deadline: String,
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> &'a str {
    let start = text
        .find(open)
        .unwrap_or_else(|| panic!("{open} in the sample"));
    let end = text[start..]
        .find(close)
        .unwrap_or_else(|| panic!("{close} in the sample"));
    &text[start..start + end + close.len()]
}

impl Real {
    fn load() -> Real {
        let full = std::fs::read_to_string(data_file("full-20-entries.atom")).expect("sample");
        let first_entry = full.find("<entry>").expect("entries");
        let header = &full[..first_entry];
        let feed_at = header.find("<feed ").expect("feed element");
        let feed_end = feed_at + header[feed_at..].find('>').expect("feed tag end");
        let feed_open = header[..=feed_end].to_owned();
        let mut tombstones = Vec::new();
        let mut rest = header;
        while let Some(start) = rest.find("<at:deleted-entry ") {
            let end = start + rest[start..].find("/>").expect("self-closing tombstone") + 2;
            tombstones.push(rest[start..end].to_owned());
            rest = &rest[end..];
        }
        let mut entries = Vec::new();
        let mut rest = &full[first_entry..];
        while let Some(start) = rest.find("<entry>") {
            let end = start + rest[start..].find("</entry>").expect("entry end") + 8;
            entries.push(rest[start..end].to_owned());
            rest = &rest[end..];
        }
        let entry_ids = entries
            .iter()
            .map(|entry| {
                between(entry, "<id>", "</id>")
                    .trim_start_matches("<id>")
                    .trim_end_matches("</id>")
                    .trim()
                    .to_owned()
            })
            .collect();
        let zaragoza =
            std::fs::read_to_string(data_file("zaragoza_ayto_codice_entry_0365170-17.xml"))
                .expect("sample");
        let template = zaragoza[zaragoza.find("<entry").expect("entry")..].to_owned();
        let template_title = between(&template, "<title>", "</title>")
            .trim_start_matches("<title>")
            .trim_end_matches("</title>")
            .to_owned();
        assert_eq!(entries.len(), 20, "the real page has 20 entries");
        assert_eq!(tombstones.len(), 2, "and 2 tombstones");
        Real {
            feed_open,
            author: between(header, "<author>", "</author>").to_owned(),
            id: between(header, "<id>", "</id>").to_owned(),
            title: between(header, "<title>", "</title>").to_owned(),
            entries,
            tombstones,
            entry_ids,
            template,
            template_title,
            open_deadline: pyred_domain::Day::today()
                .plus_days(365)
                .expect("a day next year")
                .to_string(),
        }
    }

    /// The title an entry's listing has: the real one, decoded, with the note.
    fn title(&self, entry: &Entry) -> String {
        format!("{} ({})", decode_xml(&self.template_title), entry.note)
    }

    fn entry(&self, entry: &Entry) -> String {
        let xml = replace_exactly(&self.template, TEMPLATE_FOLDER, entry.folder, 5);
        let xml = replace_exactly(
            &xml,
            TEMPLATE_UPDATED,
            &format!("<updated>{}</updated>", entry.at.local()),
            1,
        );
        let xml = replace_exactly(
            &xml,
            &self.template_title,
            &format!("{} ({})", self.template_title, entry.note),
            2,
        );
        let xml = replace_exactly(
            &xml,
            TEMPLATE_STATUS,
            &format!(">{}</cbc-place-ext:ContractFolderStatusCode>", entry.status),
            1,
        );
        if entry.status == "PUB" {
            let deadline = format!("<cbc:EndDate>{}</cbc:EndDate>", self.open_deadline);
            replace_exactly(&xml, TEMPLATE_DEADLINE, &deadline, 1)
        } else {
            xml
        }
    }

    /// A page, newest first, with its `self` and `next` links.
    fn page(&self, spec: &PageSpec, self_url: &str, next: Option<&str>) -> Vec<u8> {
        let mut out = String::new();
        out.push_str(&self.feed_open);
        out.push_str("\n    ");
        out.push_str(&self.author);
        out.push_str("\n    ");
        out.push_str(&self.id);
        out.push_str(&format!("\n    <link href=\"{self_url}\" rel=\"self\"/>"));
        if let Some(next) = next {
            out.push_str(&format!("\n    <link href=\"{next}\" rel=\"next\"/>"));
        }
        out.push_str("\n    ");
        out.push_str(&self.title);
        out.push_str(&format!(
            "\n    <updated>{}</updated>",
            spec.newest().local()
        ));
        let mut tombstones = spec.tombstones.clone();
        tombstones.sort_by_key(|t| std::cmp::Reverse(t.at));
        for tombstone in &tombstones {
            out.push_str(&format!(
                "\n    <at:deleted-entry xmlns:at=\"http://purl.org/atompub/tombstones/1.0\" ref=\"{}\" when=\"{}\"><at:comment type=\"ANULADA\"/></at:deleted-entry>",
                atom_id(tombstone.folder),
                tombstone.at.local()
            ));
        }
        if spec.real {
            for tombstone in &self.tombstones {
                out.push_str("\n    ");
                out.push_str(tombstone);
            }
        }
        let mut entries = spec.entries.clone();
        entries.sort_by_key(|e| std::cmp::Reverse(e.at));
        for entry in &entries {
            out.push_str("\n    ");
            out.push_str(&self.entry(entry));
        }
        if spec.real {
            for entry in &self.entries {
                out.push_str("\n    ");
                out.push_str(entry);
            }
        }
        out.push_str("\n</feed>\n");
        out.into_bytes()
    }
}

fn replace_exactly(text: &str, from: &str, to: &str, times: usize) -> String {
    assert_eq!(
        text.matches(from).count(),
        times,
        "{from:?} in the template"
    );
    text.replace(from, to)
}

/// Numeric character references and the five predefined entities.
fn decode_xml(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let end = amp + rest[amp..].find(';').expect("entity end");
        let name = &rest[amp + 1..end];
        let decoded = match name {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => name
                .strip_prefix('#')
                .and_then(|n| n.parse::<u32>().ok())
                .and_then(char::from_u32)
                .unwrap_or_else(|| panic!("unknown entity {name}")),
        };
        out.push(decoded);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

// ---------------------------------------------------------------------------------------
// A tiny HTTP/1.1 server of scripted pages
// ---------------------------------------------------------------------------------------

#[derive(Default)]
struct ServerState {
    /// Body of each path.
    pages: HashMap<String, Arc<Vec<u8>>>,
    /// A path whose next GET sends half its body and waits for the release.
    stall: Option<String>,
    /// Every request's path, in order.
    log: Vec<String>,
}

struct FeedServer {
    addr: SocketAddr,
    state: Arc<Mutex<ServerState>>,
    stalled: watch::Receiver<bool>,
    release: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FeedServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FeedServer {
    async fn start() -> FeedServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let state: Arc<Mutex<ServerState>> = Arc::default();
        let (stalled_tx, stalled) = watch::channel(false);
        let (release, release_rx) = watch::channel(false);
        let stalled_tx = Arc::new(stalled_tx);
        let shared = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(serve(
                    stream,
                    shared.clone(),
                    stalled_tx.clone(),
                    release_rx.clone(),
                ));
            }
        });
        FeedServer {
            addr,
            state,
            stalled,
            release,
            task,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, ServerState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn publish(&self, path: &str, body: Vec<u8>) {
        self.state().pages.insert(path.to_owned(), Arc::new(body));
    }

    fn requests(&self) -> Vec<String> {
        self.state().log.clone()
    }

    /// Waits until a stalled answer has sent half its body.
    async fn wait_stalled(&mut self) {
        tokio::time::timeout(PATIENCE, self.stalled.wait_for(|stalled| *stalled))
            .await
            .expect("the follower reaches the stalled page")
            .expect("server running");
    }
}

async fn serve(
    mut stream: TcpStream,
    state: Arc<Mutex<ServerState>>,
    stalled: Arc<watch::Sender<bool>>,
    mut release: watch::Receiver<bool>,
) {
    let mut head = Vec::new();
    let mut buffer = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
        if head.len() > 64 * 1024 {
            return;
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default().to_owned(),
    );
    let if_none_match = lines.find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("if-none-match")
            .then(|| value.trim().to_owned())
    });
    let (body, stall) = {
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        state.log.push(path.clone());
        let body = state.pages.get(&path).cloned();
        let stall = body.is_some() && state.stall.as_deref() == Some(path.as_str());
        if stall {
            state.stall = None;
        }
        (body, stall)
    };
    let Some(body) = body.filter(|_| method == "GET") else {
        let _ = stream
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .await;
        return;
    };
    let etag = format!("\"{:016x}\"", fnv1a(&body));
    if if_none_match.as_deref() == Some(etag.as_str()) {
        let _ = stream
            .write_all(
                format!(
                    "HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )
                .as_bytes(),
            )
            .await;
        return;
    }
    let answer_head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/atom+xml;charset=UTF-8\r\nContent-Length: {}\r\nETag: {etag}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    if stream.write_all(answer_head.as_bytes()).await.is_err() {
        return;
    }
    let half = if stall { body.len() / 2 } else { body.len() };
    if stream.write_all(&body[..half]).await.is_err() || stream.flush().await.is_err() {
        return;
    }
    if stall {
        stalled.send_replace(true);
        let released = release.wait_for(|released| *released).await.is_ok();
        if !released {
            return;
        }
        // The reader is gone by now (SIGKILLed): this write fails, which is the point.
        let _ = stream.write_all(&body[half..]).await;
    }
    let _ = stream.shutdown().await;
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash: u64, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

// ---------------------------------------------------------------------------------------
// The follower process
// ---------------------------------------------------------------------------------------

/// `target/<profile>/pyred-feed-sync`, built now unless `PYRED_FEED_SYNC_BIN` names one.
fn feed_sync_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("PYRED_FEED_SYNC_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("test executable");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test>");
    let target_dir = profile_dir.parent().expect("target/<profile>");
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => "dev".to_owned(),
        Some(other) => other.to_owned(),
    };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root");
    let status = Command::new(cargo)
        .current_dir(workspace)
        .args([
            "build",
            "--quiet",
            "-p",
            "pyred-feed-sync",
            "--bin",
            "pyred-feed-sync",
        ])
        .arg("--profile")
        .arg(&profile)
        .arg("--target-dir")
        .arg(target_dir)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo build -p pyred-feed-sync failed");
    let binary = profile_dir.join("pyred-feed-sync");
    assert!(
        binary.exists(),
        "{} not found after the build; set PYRED_FEED_SYNC_BIN",
        binary.display()
    );
    binary
}

/// A running `pyred-feed-sync follow`, SIGKILLed on drop.
struct FollowerProcess {
    child: Child,
    metrics: String,
    log: PathBuf,
}

impl FollowerProcess {
    async fn start(binary: &Path, config: &Path, key: &str, log: PathBuf) -> FollowerProcess {
        let stderr = std::fs::File::create(&log).expect("log file");
        let mut command = Command::new(binary);
        command
            .arg("--config")
            .arg(config)
            .arg("--key")
            .arg(key)
            .arg("follow")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr);
        // Only the test's configuration file counts.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("PYRED") {
                command.env_remove(name);
            }
        }
        let mut child = command.spawn().expect("follower starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (lines_tx, lines) = mpsc::channel();
        // Drains stdout for the child's whole life (a closed pipe would fail its prints).
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ignored = lines_tx.send(line);
            }
        });
        let mut process = FollowerProcess {
            child,
            metrics: String::new(),
            log,
        };
        let started = Instant::now();
        loop {
            match lines.try_recv() {
                Ok(line) => {
                    if let Some(url) = line.strip_prefix("metrics ") {
                        process.metrics = url.trim().to_owned();
                        return process;
                    }
                }
                Err(mpsc::TryRecvError::Empty) => {}
                Err(mpsc::TryRecvError::Disconnected) => {
                    panic!("the follower closed its stdout:\n{}", process.log_tail())
                }
            }
            if let Ok(Some(status)) = process.child.try_wait() {
                panic!("the follower exited ({status}):\n{}", process.log_tail());
            }
            assert!(
                started.elapsed() < PATIENCE,
                "the follower never printed its metrics address:\n{}",
                process.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// `http://ADDR` + `path`.
    fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.metrics.trim_end_matches("/metrics"))
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let cut = log.len().saturating_sub(6000);
        let cut = (cut..log.len())
            .find(|i| log.is_char_boundary(*i))
            .unwrap_or(log.len());
        log[cut..].to_owned()
    }

    fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("the follower exited ({status}):\n{}", self.log_tail());
        }
    }

    /// SIGKILL (what `Child::kill` sends on Unix), then reap.
    fn kill(&mut self) {
        let _killed = self.child.kill();
        let _reaped = self.child.wait();
    }
}

impl Drop for FollowerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `GET url` over plain HTTP/1.1: status and body.
async fn http_get(url: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) = rest.split_once('/').expect("a path");
    let mut stream = TcpStream::connect(host).await.expect("connects");
    stream
        .write_all(
            format!("GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .expect("request sent");
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .await
        .expect("answer read");
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("status line");
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// `pyred_feed_entries_total{source="placsp",outcome="…"}`.
fn entries_metric(body: &str, outcome: &str) -> Option<f64> {
    body.lines()
        .filter(|line| line.starts_with("pyred_feed_entries_total{"))
        .find(|line| {
            line.contains(&format!("source=\"{SOURCE}\""))
                && line.contains(&format!("outcome=\"{outcome}\""))
        })
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

fn toml_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

// ---------------------------------------------------------------------------------------
// Registry and index
// ---------------------------------------------------------------------------------------

async fn placsp_listings(
    registry: &mut CompanyRegistryClient<ServiceChannel>,
) -> Vec<pb::Opportunity> {
    let mut all = Vec::new();
    let mut token = String::new();
    loop {
        let page = registry
            .list_opportunities(pb::ListOpportunitiesRequest {
                page: Some(pb::PageRequest {
                    page_size: 7,
                    page_token: token.clone(),
                }),
                source: SOURCE.to_owned(),
                ..Default::default()
            })
            .await
            .expect("opportunities listed")
            .into_inner();
        all.extend(page.opportunities);
        if page.next_page_token.is_empty() {
            return all;
        }
        token = page.next_page_token;
    }
}

/// Each listing by external id; panics on a repeat.
fn by_external_id(listings: Vec<pb::Opportunity>) -> BTreeMap<String, pb::Opportunity> {
    let mut map = BTreeMap::new();
    for listing in listings {
        let id = listing.external_id.clone();
        assert!(
            map.insert(id.clone(), listing).is_none(),
            "{id} is listed more than once"
        );
    }
    map
}

async fn feed_cursor(
    registry: &mut CompanyRegistryClient<ServiceChannel>,
    feed: &str,
) -> Option<String> {
    match registry
        .get_feed_cursor(pb::GetFeedCursorRequest {
            source: SOURCE.to_owned(),
            feed: feed.to_owned(),
        })
        .await
    {
        Ok(cursor) => Some(cursor.into_inner().position),
        Err(status) if status.code() == tonic::Code::NotFound => None,
        Err(status) => panic!("GetFeedCursor: {status}"),
    }
}

async fn wait_cursor(
    registry: &mut CompanyRegistryClient<ServiceChannel>,
    feed: &str,
    expected: &str,
    follower: &mut FollowerProcess,
) {
    let started = Instant::now();
    loop {
        let cursor = feed_cursor(registry, feed).await;
        if cursor.as_deref() == Some(expected) {
            return;
        }
        follower.assert_running();
        assert!(
            started.elapsed() < PATIENCE,
            "the cursor is {cursor:?}, not {expected}:\n{}",
            follower.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_applied(geo: &mut GeoSearchClient<ServiceChannel>, seq: i64) {
    wait_until(&format!("the index to apply seq {seq}"), PATIENCE, || {
        let mut geo = geo.clone();
        async move {
            let status = geo
                .get_index_status(pb::GetIndexStatusRequest {})
                .await
                .expect("status answers")
                .into_inner();
            (status.applied_seq >= seq).then_some(())
        }
    })
    .await;
}

/// Every hit, page after page; panics when a hit repeats.
async fn search_all(
    geo: &mut GeoSearchClient<ServiceChannel>,
    query: &str,
    filters: pb::SearchFilters,
) -> BTreeMap<String, pb::SearchHit> {
    let mut hits = BTreeMap::new();
    let mut token = String::new();
    loop {
        let response = geo
            .search(pb::SearchRequest {
                query: query.to_owned(),
                filters: Some(filters.clone()),
                page: Some(pb::PageRequest {
                    page_size: 5,
                    page_token: token.clone(),
                }),
                ..Default::default()
            })
            .await
            .expect("search answers")
            .into_inner();
        for hit in response.hits {
            let id = hit.id.clone();
            assert!(hits.insert(id.clone(), hit).is_none(), "{id} found twice");
        }
        if response.next_page_token.is_empty() {
            return hits;
        }
        token = response.next_page_token;
    }
}

fn placsp_filters(include_not_live: bool) -> pb::SearchFilters {
    pb::SearchFilters {
        entity: pb::EntityKind::Opportunity as i32,
        sources: vec![SOURCE.to_owned()],
        include_not_live,
        ..Default::default()
    }
}

/// What a listing must end as.
#[derive(Debug)]
struct Expected {
    title: String,
    status: &'static str,
    source_version: i64,
    withdrawn: bool,
}

/// The newest state of every in-territory folder over all pages: the newest entry, then
/// a newer tombstone withdraws it.
fn expected(real: &Real, pages: &[&PageSpec]) -> BTreeMap<String, Expected> {
    let mut newest: BTreeMap<&str, &Entry> = BTreeMap::new();
    for entry in pages.iter().flat_map(|p| &p.entries) {
        let slot = newest.entry(entry.folder).or_insert(entry);
        if entry.at > slot.at {
            *slot = entry;
        }
    }
    let mut out: BTreeMap<String, Expected> = newest
        .into_iter()
        .map(|(folder, entry)| {
            (
                listing_id(folder),
                Expected {
                    title: real.title(entry),
                    status: entry.status,
                    source_version: entry.at.millis(),
                    withdrawn: false,
                },
            )
        })
        .collect();
    for tombstone in pages.iter().flat_map(|p| &p.tombstones) {
        let expected = out
            .get_mut(&listing_id(tombstone.folder))
            .expect("tombstones name generated entries");
        if tombstone.at.millis() >= expected.source_version {
            expected.source_version = tombstone.at.millis();
            expected.withdrawn = true;
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// The test
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_follower_survives_a_sigkill_mid_page_and_every_entry_lands_once_at_its_newest_version()
{
    let binary = tokio::task::spawn_blocking(feed_sync_binary)
        .await
        .expect("build task");
    let real = Real::load();

    // Folders (the real id format); TWICE and LATER are published twice, GONE and
    // CLOSED are withdrawn by a tombstone (GONE's arrives before its entry is stored).
    const A1: &str = "0900101-17";
    const A2: &str = "0900102-17";
    const TWICE: &str = "0900103-17";
    const GONE: &str = "0900104-17";
    const B1: &str = "0900201-17";
    const B2: &str = "0900202-17";
    const LATER: &str = "0900203-17";
    const C1: &str = "0900301-17";
    const C2: &str = "0900302-17";
    const CLOSED: &str = "0900401-17";
    const D2: &str = "0900402-17";
    const E1: &str = "0900501-17";
    let entry = |folder, at, status, note| Entry {
        folder,
        at,
        status,
        note,
    };
    // Oldest first; each page's entries are older than the next page's.
    let page3 = PageSpec {
        entries: vec![
            entry(A1, at(10, 0, 1, 101), "PUB", "expediente A1"),
            entry(A2, at(10, 0, 2, 102), "ADJ", "expediente A2"),
            entry(TWICE, at(10, 0, 3, 103), "PUB", "versión inicial"),
            entry(GONE, at(10, 0, 4, 104), "PUB", "expediente anulado"),
        ],
        tombstones: vec![],
        real: true,
    };
    let page2 = PageSpec {
        entries: vec![
            entry(B1, at(10, 10, 1, 201), "PUB", "expediente B1"),
            entry(B2, at(10, 10, 2, 202), "ADJ", "expediente B2"),
            entry(LATER, at(10, 10, 3, 203), "PUB", "expediente B3"),
        ],
        ..Default::default()
    };
    let page1 = PageSpec {
        entries: vec![
            entry(C1, at(10, 20, 1, 301), "PUB", "expediente C1"),
            entry(C2, at(10, 20, 2, 302), "ADJ", "expediente C2"),
            entry(TWICE, at(10, 20, 3, 303), "ADJ", "versión corregida"),
        ],
        tombstones: vec![Tombstone {
            folder: GONE,
            at: at(10, 20, 4, 304),
        }],
        real: false,
    };
    let page0 = PageSpec {
        entries: vec![
            entry(CLOSED, at(10, 30, 1, 401), "PUB", "expediente D1"),
            entry(D2, at(10, 30, 2, 402), "PUB", "expediente D2"),
            entry(LATER, at(10, 30, 3, 403), "ADJ", "expediente B3 adjudicado"),
        ],
        ..Default::default()
    };
    let page_minus1 = PageSpec {
        entries: vec![entry(E1, at(10, 40, 1, 501), "PUB", "expediente E1")],
        tombstones: vec![Tombstone {
            folder: CLOSED,
            at: at(10, 40, 2, 502),
        }],
        real: false,
    };

    let test: TestStack = spawn_stack().await;
    let mut registry = CompanyRegistryClient::new(test.channel(&test.stack.addresses.registry));
    let mut geo = GeoSearchClient::new(test.channel(&test.stack.addresses.geo_search));
    let mut server = FeedServer::start().await;
    let feed = server.url("/sindicacion/feed.atom");
    let page3_url = server.url("/sindicacion/feed_3.atom");
    // The head links back relatively, the second page absolutely.
    server.publish(
        "/sindicacion/feed.atom",
        real.page(&page1, &feed, Some("feed_2.atom")),
    );
    server.publish(
        "/sindicacion/feed_2.atom",
        real.page(
            &page2,
            &server.url("/sindicacion/feed_2.atom"),
            Some(&page3_url),
        ),
    );
    server.publish(
        "/sindicacion/feed_3.atom",
        real.page(&page3, &page3_url, None),
    );
    server.state().stall = Some("/sindicacion/feed_2.atom".to_owned());

    let work = tempfile::tempdir().expect("temp dir");
    let config = work.path().join("feed-sync.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {}\n\n[registry]\nurl = {}\n\n[tls]\nca_file = {}\ndev_certificates = false\n\n[sync]\nmetrics_port = 0\n\n[sync.placsp]\nurl = {}\nevery = \"10s\"\n",
            toml_string(&work.path().join("data").display().to_string()),
            toml_string(&test.stack.addresses.registry),
            toml_string(
                &pyred_e2e::test_settings(test.data_dir.path())
                    .tls_ca_file()
                    .display()
                    .to_string()
            ),
            toml_string(&feed),
        ),
    )
    .expect("config written");
    let key = std::fs::read_to_string(pyred::credentials::admin_key_path(test.data_dir.path()))
        .expect("the stack's admin key");
    let key = key.trim();

    // 1. The head page is applied, the second stalls mid-body: SIGKILL there.
    let mut follower =
        FollowerProcess::start(&binary, &config, key, work.path().join("follower-1.log")).await;
    server.wait_stalled().await;
    let head = by_external_id(placsp_listings(&mut registry).await);
    assert_eq!(
        head.keys().cloned().collect::<BTreeSet<_>>(),
        [C1, C2, TWICE]
            .map(listing_id)
            .into_iter()
            .collect::<BTreeSet<String>>(),
        "the head page is applied before the next is fetched (GONE's tombstone is only remembered)"
    );
    assert_eq!(
        feed_cursor(&mut registry, &feed).await,
        None,
        "the cursor moves only after the whole walk"
    );
    let (ready, _) = http_get(&follower.endpoint("/ready")).await;
    assert_eq!(ready, 503, "not ready before its first poll completes");
    follower.kill();
    drop(follower);

    // 2. A new head page appears (the old head moves to feed_1), the stall ends, and the
    // restarted follower walks back to the oldest page.
    server.publish(
        "/sindicacion/feed_1.atom",
        real.page(
            &page1,
            &server.url("/sindicacion/feed_1.atom"),
            Some("feed_2.atom"),
        ),
    );
    server.publish(
        "/sindicacion/feed.atom",
        real.page(&page0, &feed, Some("/sindicacion/feed_1.atom")),
    );
    server.release.send_replace(true);
    let mut follower =
        FollowerProcess::start(&binary, &config, key, work.path().join("follower-2.log")).await;
    wait_cursor(&mut registry, &feed, &page0.newest().utc(), &mut follower).await;
    let ready = follower.endpoint("/ready");
    wait_until("/ready to answer 200", PATIENCE, || async {
        (http_get(&ready).await.0 == 200).then_some(())
    })
    .await;
    let (status, metrics) = http_get(&follower.metrics).await;
    assert_eq!(status, 200);
    let walked = [&page0, &page1, &page2, &page3];
    let in_territory: usize = walked
        .iter()
        .map(|p| p.entries.len() + p.tombstones.len())
        .sum();
    let seen = in_territory + real.entries.len() + real.tombstones.len();
    let metric = |outcome: &str| entries_metric(&metrics, outcome).unwrap_or(-1.0);
    assert!(metric("seen") >= seen as f64, "{metrics}");
    assert!(
        metric("applied") >= (in_territory + real.tombstones.len()) as f64,
        "{metrics}"
    );
    assert_eq!(
        metric("out_of_territory"),
        real.entries.len() as f64,
        "{metrics}"
    );
    assert_eq!(metric("rejected"), 0.0, "{metrics}");

    // 3. One more page while it runs: its next poll walks back only to the cursor.
    let mark = server.requests().len();
    server.publish(
        "/sindicacion/feed_0.atom",
        real.page(
            &page0,
            &server.url("/sindicacion/feed_0.atom"),
            Some("/sindicacion/feed_1.atom"),
        ),
    );
    server.publish(
        "/sindicacion/feed.atom",
        real.page(&page_minus1, &feed, Some("feed_0.atom")),
    );
    wait_cursor(
        &mut registry,
        &feed,
        &page_minus1.newest().utc(),
        &mut follower,
    )
    .await;
    let polled: Vec<String> = server.requests().split_off(mark);
    assert!(
        polled.iter().any(|p| p == "/sindicacion/feed_0.atom")
            && polled
                .iter()
                .all(|p| p == "/sindicacion/feed.atom" || p == "/sindicacion/feed_0.atom"),
        "the walk stops at the page reaching the cursor: {polled:?}"
    );
    follower.assert_running();

    // The registry: every in-territory entry once, at its newest version.
    let all_pages = [&page_minus1, &page0, &page1, &page2, &page3];
    let expected = expected(&real, &all_pages);
    let stored = by_external_id(placsp_listings(&mut registry).await);
    assert_eq!(
        stored.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "exactly the in-territory folders"
    );
    for (id, want) in &expected {
        let got = &stored[id];
        assert_eq!(got.id, *id, "the registry id is the external id");
        assert_eq!(
            got.source_version, want.source_version,
            "{id}: newest version"
        );
        assert_eq!(got.title, want.title, "{id}: newest title");
        assert_eq!(got.kind, pb::OpportunityKind::Tender as i32);
        assert_eq!(got.region, "ES-AR", "{id}");
        assert_eq!(got.nuts, "ES243", "{id}");
        assert_eq!(got.cpv, vec!["34100000".to_owned()], "{id}");
        assert_eq!(got.budget_eur, Some(53719.01), "{id}");
        let folder = id.strip_prefix("placsp-").expect("a placsp id");
        assert!(
            got.official_url.ends_with(&format!("expediente={folder}")),
            "{id}: {}",
            got.official_url
        );
        let deadline = got.deadline.as_ref().expect("a deadline");
        let deadline = format!(
            "{:04}-{:02}-{:02}",
            deadline.year, deadline.month, deadline.day
        );
        let want_deadline = if want.status == "PUB" {
            real.open_deadline.as_str()
        } else {
            "2017-07-10"
        };
        assert_eq!(deadline, want_deadline, "{id}");
        let status = pb::OpportunityStatus::try_from(got.status).expect("status");
        let stage = pb::TenderStage::try_from(got.tender_stage).expect("stage");
        if want.withdrawn {
            assert_eq!(status, pb::OpportunityStatus::Withdrawn, "{id}");
            assert_eq!(got.withdrawal_reason, "ANULADA", "{id}");
        } else if want.status == "PUB" {
            assert_eq!(status, pb::OpportunityStatus::Published, "{id}");
            assert_eq!(stage, pb::TenderStage::Open, "{id}");
        } else {
            assert_eq!(status, pb::OpportunityStatus::Fulfilled, "{id}");
            assert_eq!(stage, pb::TenderStage::Awarded, "{id}");
        }
    }
    assert!(
        expected[&listing_id(TWICE)]
            .title
            .ends_with("(versión corregida)")
    );
    assert!(expected[&listing_id(GONE)].withdrawn && expected[&listing_id(CLOSED)].withdrawn);
    // Replays changed nothing: the head page's listings are as the first run left them.
    for (id, first) in &head {
        assert_eq!(
            (stored[id].version, &stored[id].updated_at),
            (first.version, &first.updated_at),
            "{id} was not rewritten by the replays"
        );
    }
    // The out-of-territory entries are nowhere in the registry.
    let everything = {
        let mut all = Vec::new();
        let mut token = String::new();
        loop {
            let page = registry
                .list_opportunities(pb::ListOpportunitiesRequest {
                    page: Some(pb::PageRequest {
                        page_size: 100,
                        page_token: token.clone(),
                    }),
                    ..Default::default()
                })
                .await
                .expect("opportunities listed")
                .into_inner();
            all.extend(page.opportunities);
            if page.next_page_token.is_empty() {
                break all;
            }
            token = page.next_page_token;
        }
    };
    assert_eq!(
        everything.len(),
        expected.len(),
        "nothing but the in-territory listings"
    );
    for atom in &real.entry_ids {
        let segment = atom.rsplit('/').next().expect("segment");
        assert!(
            everything
                .iter()
                .all(|o| o.external_id != listing_id(segment)),
            "{atom} is out of territory"
        );
    }

    // The index: each listing once, at the registry's version; the live ones searchable.
    wait_applied(&mut geo, registry_last_seq(&mut registry).await).await;
    let indexed = search_all(&mut geo, "", placsp_filters(true)).await;
    assert_eq!(
        indexed.keys().collect::<Vec<_>>(),
        stored.keys().collect::<Vec<_>>(),
        "the index holds every listing once (admin, include_not_live)"
    );
    for (id, hit) in &indexed {
        assert_eq!(
            hit.version, stored[id].version,
            "{id}: the index is at the registry's version"
        );
        assert_eq!(hit.title, stored[id].title, "{id}");
    }
    let live: BTreeSet<&String> = expected
        .iter()
        .filter(|(_, e)| e.status == "PUB" && !e.withdrawn)
        .map(|(id, _)| id)
        .collect();
    assert_eq!(
        live,
        [A1, B1, C1, D2, E1]
            .map(listing_id)
            .iter()
            .collect::<BTreeSet<_>>(),
        "the scenario's live listings"
    );
    let found = search_all(&mut geo, "", placsp_filters(false)).await;
    assert_eq!(
        found.keys().collect::<BTreeSet<_>>(),
        live,
        "a live search finds the published, unwithdrawn ones"
    );
    let newer = search_all(&mut geo, "corregida", placsp_filters(true)).await;
    assert_eq!(
        newer.keys().cloned().collect::<Vec<_>>(),
        vec![listing_id(TWICE)],
        "the newer version's text is indexed"
    );
    let older = search_all(&mut geo, "inicial", placsp_filters(true)).await;
    assert!(
        older.is_empty(),
        "the older version's text is gone: {older:?}"
    );

    // The follower still serves and is ready.
    let (ready, _) = http_get(&follower.endpoint("/ready")).await;
    assert_eq!(ready, 200);
    follower.assert_running();
}
