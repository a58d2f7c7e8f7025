//! Bulk import of JSON Lines files into the company registry (`pyred import`).
//!
//! A file in the interchange format (`shared/data/FORMAT.md`, summarised in
//! `docs/import.md`) is read line by line, so its size does not matter. Each line is
//! parsed into a `pyred.v1` message ([`parse_company`], [`parse_opportunity`]); a line
//! that is not JSON, has a field of the wrong type or lacks a required field is rejected
//! here, with its line number, and never sent. The other lines go to the registry in
//! batches ([`BATCH_SIZE`]) through `ImportCompanies` or `SyncListings` (one batch per
//! publisher `source`), and every per-item result the registry returns is mapped back
//! to its line, with the registry's field paths translated to the file's field names.
//!
//! Both calls are declared idempotent (`pyred_proto::idempotency`), so the channel's one
//! retry policy sends a batch that met `Unavailable` again within its deadline, and a
//! whole import can be re-run after a failure.
//! [`load_demo`] feeds the demo files embedded in the binary through the same code.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, BufRead, Write as _};
use std::path::{Path, PathBuf};

use indicatif::ProgressBar;
use pyred_proto::prost::Message as _;
use pyred_proto::service_names::COMPANY_REGISTRY;
use pyred_proto::sync::{NotStored, SyncCounts};
use pyred_proto::v1::company_registry_client::CompanyRegistryClient;
use pyred_proto::v1::{self as pb};
use pyred_runtime::client::{self, ServiceChannel};
use serde_json::{Map, Value};
use tonic::Code;

/// Items sent per `ImportCompanies` or `SyncListings` call (the registry accepts 1000).
pub const BATCH_SIZE: usize = 500;
/// A batch is also sent once its encoded items reach this size, far below the servers'
/// message limit even for batches of very long descriptions.
pub const MAX_BATCH_BYTES: usize = 4 * 1024 * 1024;
/// Longest line accepted; a longer one is rejected without being parsed.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// The demo firms (invented Gers companies), embedded in the binary.
pub const DEMO_COMPANIES: &str = include_str!("../demo/companies.jsonl");
/// The demo listings (invented Aragón, La Rioja and Gers opportunities), embedded.
pub const DEMO_OPPORTUNITIES: &str = include_str!("../demo/opportunities.jsonl");
/// Publisher under which the demo firms are imported.
pub const DEMO_COMPANY_SOURCE: &str = "cci-gers";

/// What a file holds, and the publisher of the records when the lines do not say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dataset {
    /// `companies.jsonl`, every line published by `source`.
    Companies {
        /// The publisher (`cci-gers`).
        source: String,
    },
    /// `opportunities.jsonl`; each line names its publisher.
    Opportunities,
}

impl Dataset {
    /// Fails when the companies' publisher is not a source the registry accepts.
    pub fn check(&self) -> Result<(), ImportError> {
        match self {
            Self::Companies { source } if !pyred_domain::source::is_source_code(source) => {
                Err(ImportError::InvalidSource {
                    name: source.clone(),
                })
            }
            Self::Companies { .. } | Self::Opportunities => Ok(()),
        }
    }
}

/// Why an import could not run or stopped before the end.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The publisher given for a companies file is not a valid source.
    #[error("invalid source {name:?}: it {rule}", rule = pyred_domain::source::SOURCE_RULE)]
    InvalidSource {
        /// The source given.
        name: String,
    },
    /// The input could not be read.
    #[error("cannot read {origin}: {source}")]
    Read {
        /// The file (or embedded data set) being read.
        origin: String,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The rejects file could not be written.
    #[error("cannot write the rejects file {path}: {source}")]
    RejectsFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The registry address is not a valid URI.
    #[error(transparent)]
    Client(#[from] client::ClientError),
    /// The registry does not report SERVING.
    #[error("the registry at {url} does not answer: {reason}")]
    NotServing {
        /// The registry address.
        url: String,
        /// The health check's answer.
        reason: String,
    },
    /// A call failed for good (after the retries, when it was worth retrying).
    #[error("the registry failed on the batch of lines {first_line}..{last_line}: {status}")]
    Call {
        /// Line of the batch's first item.
        first_line: u64,
        /// Line of the batch's last item.
        last_line: u64,
        /// The last status.
        #[source]
        status: tonic::Status,
    },
    /// Listing companies (to see whether the registry is empty) failed.
    #[error("cannot list the registry's companies: {0}")]
    List(#[source] tonic::Status),
    /// The registry answered a number of results other than the number of items sent.
    #[error("the registry answered {received} results for {sent} items")]
    ResultCount {
        /// Items sent.
        sent: usize,
        /// Results received.
        received: usize,
    },
}

/// One bad field of a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The field, named as in the file (`location.code`, `nace[1]`); empty for the line.
    pub field: String,
    /// Why it is refused.
    pub reason: String,
}

/// A line refused before it is sent: every bad field at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidLine {
    /// The line's `id`, when it has a readable one.
    pub id: String,
    /// The bad fields.
    pub problems: Vec<FieldProblem>,
}

/// One row of the rejects file: one bad field of one rejected line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// Line number in the file, from 1.
    pub line: u64,
    /// The line's `id`, when readable.
    pub id: String,
    /// The field, named as in the file; empty when the whole line is at fault.
    pub field: String,
    /// Why, as the importer or the registry put it.
    pub reason: String,
}

/// What an import did, line by line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Non-blank lines read.
    pub lines: u64,
    /// Lines stored or confirmed, by outcome.
    pub stored: SyncCounts,
    /// Lines rejected, here or by the registry.
    pub rejected: u64,
    /// One row per bad field of each rejected line, in line order.
    pub rejects: Vec<Reject>,
}

impl Report {
    /// Lines stored or confirmed: every line but the rejected ones.
    pub fn accepted(&self) -> u64 {
        self.lines - self.rejected
    }

    /// The one-line French summary printed at the end of `pyred import`.
    pub fn summary(&self, rejects_file: &Path) -> String {
        let lines = if self.lines == 1 { "ligne" } else { "lignes" };
        let mut text = format!(
            "importé : {} {lines} — créées {}, mises à jour {}, inchangées {}, retirées {}, rejetées {}",
            self.lines,
            self.stored.created,
            self.stored.updated,
            self.stored.unchanged,
            self.stored.withdrawn,
            self.rejected
        );
        if self.rejected > 0 {
            text.push_str(&format!(" (détail : {})", rejects_file.display()));
        }
        text
    }

    fn reject(&mut self, line: u64, invalid: InvalidLine) {
        self.rejected += 1;
        if invalid.problems.is_empty() {
            self.rejects.push(Reject {
                line,
                id: invalid.id,
                field: String::new(),
                reason: "rejected".to_owned(),
            });
            return;
        }
        for problem in invalid.problems {
            self.rejects.push(Reject {
                line,
                id: invalid.id.clone(),
                field: problem.field,
                reason: problem.reason,
            });
        }
    }
}

/// The rejects file's default place: the input's path with `.rejects.tsv` appended.
pub fn default_rejects_path(input: &Path) -> PathBuf {
    let mut name = input.as_os_str().to_owned();
    name.push(".rejects.tsv");
    PathBuf::from(name)
}

/// Writes the rejects file (`line`, `id`, `field`, `reason`, tab-separated, with a
/// header). With no reject, no file is written and a previous one at `path` is removed,
/// so that a rejects file never describes an older import.
pub fn write_rejects(path: &Path, rejects: &[Reject]) -> Result<(), ImportError> {
    let fail = |source| ImportError::RejectsFile {
        path: path.to_owned(),
        source,
    };
    if rejects.is_empty() {
        return match std::fs::remove_file(path) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => Err(fail(error)),
            _ => Ok(()),
        };
    }
    let file = std::fs::File::create(path).map_err(fail)?;
    let mut out = io::BufWriter::new(file);
    writeln!(out, "line\tid\tfield\treason").map_err(fail)?;
    for reject in rejects {
        writeln!(
            out,
            "{}\t{}\t{}\t{}",
            reject.line,
            tsv_cell(&reject.id),
            tsv_cell(&reject.field),
            tsv_cell(&reject.reason)
        )
        .map_err(fail)?;
    }
    out.flush().map_err(fail)
}

/// A value that cannot break the TSV layout: tabs and line breaks become spaces.
fn tsv_cell(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if matches!(c, '\t' | '\n' | '\r') {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// Where progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Nowhere.
    Silent,
    /// A counter of lines read on stderr, drawn only when stderr is a terminal.
    Stderr,
}

impl Progress {
    /// [`Progress::Stderr`]: lines read on stderr when it is a terminal, nothing else.
    pub fn for_stderr() -> Self {
        Self::Stderr
    }

    fn bar(self) -> ProgressBar {
        match self {
            Self::Silent => ProgressBar::hidden(),
            Self::Stderr => crate::progress::lines_read("import"),
        }
    }
}

/// Sends parsed lines to a registry and tallies the results.
#[derive(Debug, Clone)]
pub struct Importer {
    url: String,
    channel: ServiceChannel,
    client: CompanyRegistryClient<ServiceChannel>,
    batch_size: usize,
    progress: Progress,
}

impl Importer {
    /// An importer for the registry at `url`, reached through `connector` (its TLS, key
    /// and deadline). No connection is made before the first call.
    pub fn connect(connector: &client::Connector, url: &str) -> Result<Self, ImportError> {
        let channel = connector.channel(url)?;
        Ok(Self {
            url: url.to_owned(),
            client: CompanyRegistryClient::new(channel.clone()),
            channel,
            batch_size: BATCH_SIZE,
            progress: Progress::Silent,
        })
    }

    /// Sends `size` items per call (1..=1000).
    pub fn with_batch_size(mut self, size: usize) -> Self {
        self.batch_size = size.clamp(1, 1000);
        self
    }

    /// Shows progress as given (silent by default).
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = progress;
        self
    }

    /// The registry's address.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Fails unless the registry reports SERVING.
    pub async fn check_serving(&self) -> Result<(), ImportError> {
        client::is_serving(&self.channel, COMPANY_REGISTRY)
            .await
            .map_err(|reason| ImportError::NotServing {
                url: self.url.clone(),
                reason,
            })
    }

    /// True when the registry holds no company at all.
    pub async fn registry_has_no_company(&self) -> Result<bool, ImportError> {
        let request = pb::ListCompaniesRequest {
            page: Some(pb::PageRequest {
                page_size: 1,
                page_token: String::new(),
            }),
            ..Default::default()
        };
        let page = self
            .client
            .clone()
            .list_companies(request)
            .await
            .map_err(ImportError::List)?
            .into_inner();
        Ok(page.companies.is_empty())
    }

    /// Imports every line of `input` as `dataset`. `origin` names the input in errors.
    ///
    /// Lines are read synchronously: the input is a local file or embedded text, and
    /// a read is short next to the calls it feeds.
    pub async fn import(
        &self,
        dataset: &Dataset,
        mut input: impl BufRead,
        origin: &str,
    ) -> Result<Report, ImportError> {
        dataset.check()?;
        let mut report = Report::default();
        let mut pending = Pending::default();
        let mut buffer = Vec::new();
        let mut line_number = 0_u64;
        let progress = self.progress.bar();
        loop {
            let too_long =
                next_line(&mut input, &mut buffer, MAX_LINE_BYTES).map_err(|source| {
                    ImportError::Read {
                        origin: origin.to_owned(),
                        source,
                    }
                })?;
            let Some(too_long) = too_long else { break };
            line_number += 1;
            if buffer.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            report.lines += 1;
            progress.inc(1);
            let parsed = if too_long {
                Err(whole_line(format!(
                    "line longer than {MAX_LINE_BYTES} bytes"
                )))
            } else {
                match std::str::from_utf8(strip_bom(&buffer, line_number)) {
                    Ok(text) => match dataset {
                        Dataset::Companies { .. } => parse_company(text).map(Item::Company),
                        Dataset::Opportunities => parse_opportunity(text).map(Item::Opportunity),
                    },
                    Err(error) => Err(whole_line(format!("not valid UTF-8: {error}"))),
                }
            };
            let item = match parsed {
                Ok(item) => item,
                Err(invalid) => {
                    report.reject(line_number, invalid);
                    continue;
                }
            };
            let source = match (&item, dataset) {
                (Item::Opportunity(opportunity), _) => opportunity.source.clone(),
                (Item::Company(_), Dataset::Companies { source }) => source.clone(),
                (Item::Company(_), Dataset::Opportunities) => String::new(),
            };
            if let Some(full) = pending.push(source, line_number, item, self.batch_size) {
                self.send(full, &mut report).await?;
            }
        }
        for batch in pending.drain() {
            self.send(batch, &mut report).await?;
        }
        progress.finish_and_clear();
        report.rejects.sort_by_key(|reject| reject.line);
        Ok(report)
    }

    async fn send(&self, batch: Batch, report: &mut Report) -> Result<(), ImportError> {
        let first_line = batch.lines.first().copied().unwrap_or_default();
        let last_line = batch.lines.last().copied().unwrap_or_default();
        let mut companies = Vec::new();
        let mut upserts = Vec::new();
        for item in batch.items {
            match item {
                Item::Company(company) => companies.push(company),
                Item::Opportunity(opportunity) => upserts.push(opportunity),
            }
        }
        // Kept for the results: each line's id and, for companies, the legal-id field
        // the line used, to name it in the rejects file.
        let keys: Vec<(String, &'static str)> = if companies.is_empty() {
            upserts
                .iter()
                .map(|o| (o.external_id.clone(), ""))
                .collect()
        } else {
            companies
                .iter()
                .map(|c| (c.external_id.clone(), legal_id_field(c)))
                .collect()
        };
        let client = self.client.clone();
        let (results, prefix) = if companies.is_empty() {
            let request = pb::SyncListingsRequest {
                source: batch.source,
                upserts,
                withdrawals: Vec::new(),
                ..Default::default()
            };
            let answer = client
                .clone()
                .sync_listings(request)
                .await
                .map(tonic::Response::into_inner);
            (answer.map(|response| response.results), "upserts")
        } else {
            let request = pb::ImportCompaniesRequest {
                source: batch.source,
                companies,
            };
            let answer = client
                .clone()
                .import_companies(request)
                .await
                .map(tonic::Response::into_inner);
            (answer.map(|response| response.results), "companies")
        };
        let results = match results {
            Ok(results) => results,
            // The registry refused the batch as a whole: every line of it is rejected
            // with the registry's reason, and the import goes on with the next batch.
            Err(status) if status.code() == Code::InvalidArgument => {
                for (line, (id, _)) in batch.lines.iter().zip(keys) {
                    report.reject(
                        *line,
                        InvalidLine {
                            id,
                            problems: vec![FieldProblem {
                                field: String::new(),
                                reason: format!(
                                    "the registry refused the batch: {}",
                                    status.message()
                                ),
                            }],
                        },
                    );
                }
                return Ok(());
            }
            Err(status) => {
                return Err(ImportError::Call {
                    first_line,
                    last_line,
                    status,
                });
            }
        };
        if results.len() != batch.lines.len() {
            return Err(ImportError::ResultCount {
                sent: batch.lines.len(),
                received: results.len(),
            });
        }
        for ((line, (id, legal_field)), result) in batch.lines.iter().zip(keys).zip(results) {
            match report.stored.count(result.outcome) {
                Ok(()) => {}
                Err(NotStored::Rejected) => {
                    let problems = result
                        .violations
                        .into_iter()
                        .map(|violation| FieldProblem {
                            field: file_field(&violation.field, prefix, legal_field),
                            reason: violation.description,
                        })
                        .collect();
                    report.reject(*line, InvalidLine { id, problems });
                }
                Err(NotStored::Unknown(outcome)) => report.reject(
                    *line,
                    InvalidLine {
                        id,
                        problems: vec![FieldProblem {
                            field: String::new(),
                            reason: format!("the registry gave no known outcome ({outcome})"),
                        }],
                    },
                ),
            }
        }
        Ok(())
    }
}

/// Firms and listings loaded by [`load_demo`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DemoOutcome {
    /// The registry already held companies: nothing was loaded.
    AlreadyPopulated,
    /// The demo files were imported.
    Loaded {
        /// The companies file's import.
        companies: Report,
        /// The opportunities file's import.
        opportunities: Report,
    },
}

/// Imports the embedded demo files when the registry at `url` holds no company yet.
pub async fn load_demo(
    connector: &client::Connector,
    url: &str,
) -> Result<DemoOutcome, ImportError> {
    let importer = Importer::connect(connector, url)?;
    if !importer.registry_has_no_company().await? {
        return Ok(DemoOutcome::AlreadyPopulated);
    }
    let companies = importer
        .import(
            &Dataset::Companies {
                source: DEMO_COMPANY_SOURCE.to_owned(),
            },
            DEMO_COMPANIES.as_bytes(),
            "demo/companies.jsonl",
        )
        .await?;
    let opportunities = importer
        .import(
            &Dataset::Opportunities,
            DEMO_OPPORTUNITIES.as_bytes(),
            "demo/opportunities.jsonl",
        )
        .await?;
    Ok(DemoOutcome::Loaded {
        companies,
        opportunities,
    })
}

// ----- batching -----

enum Item {
    Company(pb::Company),
    Opportunity(pb::Opportunity),
}

impl Item {
    fn encoded_len(&self) -> usize {
        match self {
            Self::Company(company) => company.encoded_len(),
            Self::Opportunity(opportunity) => opportunity.encoded_len(),
        }
    }
}

/// Items of one source waiting to be sent, with their line numbers.
struct Batch {
    source: String,
    items: Vec<Item>,
    lines: Vec<u64>,
    bytes: usize,
}

/// The open batches, one per source, in the order the sources first appeared.
#[derive(Default)]
struct Pending {
    batches: Vec<Batch>,
    by_source: HashMap<String, usize>,
}

impl Pending {
    /// Adds an item; returns its source's batch when that batch is full.
    fn push(&mut self, source: String, line: u64, item: Item, limit: usize) -> Option<Batch> {
        let index = match self.by_source.get(&source) {
            Some(index) => *index,
            None => {
                self.batches.push(Batch {
                    source: source.clone(),
                    items: Vec::new(),
                    lines: Vec::new(),
                    bytes: 0,
                });
                self.by_source
                    .insert(source.clone(), self.batches.len() - 1);
                self.batches.len() - 1
            }
        };
        let batch = &mut self.batches[index];
        batch.bytes += item.encoded_len();
        batch.items.push(item);
        batch.lines.push(line);
        if batch.items.len() < limit && batch.bytes < MAX_BATCH_BYTES {
            return None;
        }
        let empty = Batch {
            source,
            items: Vec::new(),
            lines: Vec::new(),
            bytes: 0,
        };
        Some(std::mem::replace(batch, empty))
    }

    /// The non-empty batches left, in order.
    fn drain(self) -> impl Iterator<Item = Batch> {
        self.batches
            .into_iter()
            .filter(|batch| !batch.items.is_empty())
    }
}

/// Reads one line (without its line break) into `buffer`, keeping at most `max` bytes.
/// `Ok(None)` at the end of the input, else `Ok(Some(true))` when the line was longer.
fn next_line(
    input: &mut impl BufRead,
    buffer: &mut Vec<u8>,
    max: usize,
) -> io::Result<Option<bool>> {
    buffer.clear();
    let mut too_long = false;
    let mut read_any = false;
    loop {
        let available = match input.fill_buf() {
            Ok(available) => available,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        if available.is_empty() {
            break;
        }
        read_any = true;
        let newline = available.iter().position(|b| *b == b'\n');
        let chunk = &available[..newline.unwrap_or(available.len())];
        let room = max.saturating_sub(buffer.len());
        if chunk.len() > room {
            too_long = true;
        }
        buffer.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let used = chunk.len() + usize::from(newline.is_some());
        input.consume(used);
        if newline.is_some() {
            break;
        }
    }
    if !read_any {
        return Ok(None);
    }
    if buffer.last() == Some(&b'\r') {
        buffer.pop();
    }
    Ok(Some(too_long))
}

fn strip_bom(line: &[u8], number: u64) -> &[u8] {
    if number == 1 {
        line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line)
    } else {
        line
    }
}

// ----- line parsing -----

fn whole_line(reason: String) -> InvalidLine {
    InvalidLine {
        id: String::new(),
        problems: vec![FieldProblem {
            field: String::new(),
            reason,
        }],
    }
}

/// JSON type names, as a reader of the file would say them.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Reads typed fields of one JSON object, collecting every problem.
struct Fields<'a> {
    object: &'a Map<String, Value>,
    prefix: &'static str,
    problems: Vec<FieldProblem>,
}

impl<'a> Fields<'a> {
    fn new(object: &'a Map<String, Value>, prefix: &'static str) -> Self {
        Self {
            object,
            prefix,
            problems: Vec::new(),
        }
    }

    fn problem(&mut self, key: &str, reason: impl fmt::Display) {
        self.problems.push(FieldProblem {
            field: format!("{}{key}", self.prefix),
            reason: reason.to_string(),
        });
    }

    /// The value, `None` when absent or null.
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.object.get(key).filter(|value| !value.is_null())
    }

    fn required(&mut self, key: &str) -> Option<&'a Value> {
        let value = self.get(key);
        if value.is_none() {
            self.problem(key, "is required");
        }
        value
    }

    fn string_of(&mut self, key: &str, value: Option<&'a Value>) -> Option<String> {
        match value? {
            Value::String(text) => Some(text.clone()),
            other => {
                self.problem(key, format!("must be a string, not {}", type_name(other)));
                None
            }
        }
    }

    fn string(&mut self, key: &str) -> Option<String> {
        let value = self.get(key);
        self.string_of(key, value)
    }

    fn required_string(&mut self, key: &str) -> String {
        let value = self.required(key);
        self.string_of(key, value).unwrap_or_default()
    }

    fn number(&mut self, key: &str) -> Option<f64> {
        match self.get(key)? {
            Value::Number(number) => number.as_f64(),
            other => {
                self.problem(key, format!("must be a number, not {}", type_name(other)));
                None
            }
        }
    }

    fn integer(&mut self, key: &str) -> Option<i32> {
        let value = self.get(key)?;
        let parsed = value.as_i64().and_then(|n| i32::try_from(n).ok());
        if parsed.is_none() {
            let reason = match value {
                Value::Number(_) => format!("must be an integer up to {}", i32::MAX),
                other => format!("must be an integer, not {}", type_name(other)),
            };
            self.problem(key, reason);
        }
        parsed
    }

    fn strings(&mut self, key: &str) -> Vec<String> {
        let Some(value) = self.get(key) else {
            return Vec::new();
        };
        let Value::Array(items) = value else {
            self.problem(
                key,
                format!("must be a list of strings, not {}", type_name(value)),
            );
            return Vec::new();
        };
        let mut out = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            match item {
                Value::String(text) => out.push(text.clone()),
                other => self.problem(
                    &format!("{key}[{index}]"),
                    format!("must be a string, not {}", type_name(other)),
                ),
            }
        }
        out
    }

    fn object(&mut self, key: &str, required: bool) -> Option<&'a Map<String, Value>> {
        let value = if required {
            self.required(key)
        } else {
            self.get(key)
        };
        match value? {
            Value::Object(object) => Some(object),
            other => {
                self.problem(key, format!("must be an object, not {}", type_name(other)));
                None
            }
        }
    }

    fn language(&mut self, key: &str) -> i32 {
        let Some(given) = self.required_string_present(key) else {
            return pb::Language::Unspecified as i32;
        };
        match given.trim().to_ascii_lowercase().as_str() {
            "fr" => pb::Language::Fr as i32,
            "es" => pb::Language::Es as i32,
            _ => {
                self.problem(key, format!("must be \"fr\" or \"es\", not {given:?}"));
                pb::Language::Unspecified as i32
            }
        }
    }

    /// A required string, `None` when absent or of the wrong type (already reported).
    fn required_string_present(&mut self, key: &str) -> Option<String> {
        let value = self.required(key);
        self.string_of(key, value)
    }

    fn date(&mut self, key: &str, required: bool) -> Option<pb::Date> {
        let given = if required {
            self.required_string_present(key)?
        } else {
            self.string(key)?
        };
        let date = parse_date(given.trim());
        if date.is_none() {
            self.problem(key, format!("must be a date YYYY-MM-DD, not {given:?}"));
        }
        date
    }

    fn location(&mut self, key: &'static str) -> Option<pb::Location> {
        let object = self.object(key, true)?;
        let mut fields = Fields::new(object, "");
        let location = pb::Location {
            lat: fields.number("lat"),
            lon: fields.number("lon"),
            place_code: fields.string("code").unwrap_or_default(),
            place_name: fields.string("place").unwrap_or_default(),
        };
        for problem in fields.problems {
            self.problem(&format!("{key}.{}", problem.field), problem.reason);
        }
        Some(location)
    }

    fn activities(&mut self, key: &str) -> Vec<pb::ActivityCode> {
        self.strings(key)
            .into_iter()
            .map(|given| pb::ActivityCode {
                nace: String::new(),
                given,
            })
            .collect()
    }

    fn into_result<T>(self, id: String, value: T) -> Result<T, InvalidLine> {
        if self.problems.is_empty() {
            Ok(value)
        } else {
            Err(InvalidLine {
                id,
                problems: self.problems,
            })
        }
    }
}

/// `YYYY-MM-DD`; the registry checks that the day exists.
fn parse_date(text: &str) -> Option<pb::Date> {
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shaped {
        return None;
    }
    Some(pb::Date {
        year: text.get(0..4)?.parse().ok()?,
        month: text.get(5..7)?.parse().ok()?,
        day: text.get(8..10)?.parse().ok()?,
    })
}

fn json_object(line: &str) -> Result<Map<String, Value>, InvalidLine> {
    match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(other) => Err(whole_line(format!(
            "must be a JSON object, not {}",
            type_name(&other)
        ))),
        Err(error) => Err(whole_line(format!("not valid JSON: {error}"))),
    }
}

/// The line's `id` when it is a string, for the rejects file.
fn readable_id(object: &Map<String, Value>) -> String {
    object
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Parses one line of `companies.jsonl` into a company (without `source`, which the
/// batch carries). The legal id is the `siret`, else the `siren`, else the `nif`.
pub fn parse_company(line: &str) -> Result<pb::Company, InvalidLine> {
    let object = json_object(line)?;
    let mut fields = Fields::new(&object, "");
    let external_id = fields.required_string("id");
    let name = fields.required_string("name");
    let country = fields.required_string("country");
    let siret = fields.string("siret");
    let siren = fields.string("siren");
    let nif = fields.string("nif");
    let legal_id = [
        (siret, pb::LegalIdScheme::Siret),
        (siren, pb::LegalIdScheme::Siren),
        (nif, pb::LegalIdScheme::Nif),
    ]
    .into_iter()
    .find_map(|(value, scheme)| {
        value.map(|value| pb::LegalId {
            scheme: scheme as i32,
            value,
            display: String::new(),
        })
    });
    let company = pb::Company {
        activities: fields.activities("nace"),
        language: fields.language("lang"),
        description: fields.required_string("description"),
        offers: fields.string("offers").unwrap_or_default(),
        seeks: fields.string("seeks").unwrap_or_default(),
        location: fields.location("location"),
        region: fields.required_string("region"),
        employees: fields.integer("employees"),
        languages: fields.strings("languages"),
        service_radius_km: fields.number("service_radius_km"),
        service_radius_hours: fields.number("service_radius_hours"),
        external_id,
        name,
        country,
        legal_id,
        ..Default::default()
    };
    fields.into_result(readable_id(&object), company)
}

/// Parses one line of `opportunities.jsonl` into a listing.
pub fn parse_opportunity(line: &str) -> Result<pb::Opportunity, InvalidLine> {
    let object = json_object(line)?;
    let mut fields = Fields::new(&object, "");
    let external_id = fields.required_string("id");
    let source = match fields.required_string_present("source") {
        Some(source) if !pyred_domain::source::is_source_code(source.trim()) => {
            fields.problem("source", pyred_domain::source::SOURCE_RULE);
            source
        }
        Some(source) => source.trim().to_owned(),
        None => String::new(),
    };
    let kind = match fields.required_string_present("kind") {
        Some(given) => match pb::OpportunityKind::from_slug(&given.trim().to_ascii_lowercase()) {
            Some(kind) => kind,
            None => {
                fields.problem(
                    "kind",
                    format!(
                        "must be business_offer, business_request, partnership, tender, \
                         technology_offer or technology_request, not {given:?}"
                    ),
                );
                pb::OpportunityKind::Unspecified
            }
        },
        None => pb::OpportunityKind::Unspecified,
    };
    let opportunity = pb::Opportunity {
        title: fields.required_string("title"),
        description: fields.required_string("description"),
        language: fields.language("lang"),
        activities: fields.activities("nace"),
        cpv: fields.strings("cpv"),
        location: fields.location("location"),
        region: fields.required_string("region"),
        published: fields.date("published", true),
        deadline: fields.date("deadline", false),
        budget_eur: fields.number("budget_eur"),
        source,
        external_id,
        kind: kind as i32,
        ..Default::default()
    };
    fields.into_result(readable_id(&object), opportunity)
}

// ----- registry field paths back to the file's names -----

fn legal_id_field(company: &pb::Company) -> &'static str {
    match company
        .legal_id
        .as_ref()
        .and_then(|id| pb::LegalIdScheme::try_from(id.scheme).ok())
    {
        Some(pb::LegalIdScheme::Siren) => "siren",
        Some(pb::LegalIdScheme::Nif) => "nif",
        _ => "siret",
    }
}

/// Turns a registry path (`upserts[3].location.place_code`) into the file's field name
/// (`location.code`); a path it does not know is kept without its batch prefix.
fn file_field(path: &str, prefix: &str, legal_field: &str) -> String {
    let relative = path
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('['))
        .and_then(|rest| rest.split_once(']'))
        .map_or(path, |(_, rest)| rest.strip_prefix('.').unwrap_or(rest));
    let (head, tail) = match relative.find(['.', '[']) {
        Some(at) => relative.split_at(at),
        None => (relative, ""),
    };
    match (head, tail) {
        ("external_id", _) => format!("id{tail}"),
        ("language", _) => format!("lang{tail}"),
        ("activities", _) => format!("nace{tail}"),
        ("legal_id", _) => legal_field.to_owned(),
        ("location", ".place_code") => "location.code".to_owned(),
        ("location", ".place_name") => "location.place".to_owned(),
        _ => relative.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn a_full_company_line_maps_onto_every_field() {
        let line = r#"{"id": "gers-0042", "name": "Tonnellerie d'Éauze", "country": "FR",
            "siret": "73282932000074", "siren": "732829320", "nace": ["16.24Z", "25.29"],
            "lang": "fr", "description": "Fûts de chêne", "offers": "Barriques",
            "seeks": "Distributeurs", "location": {"lat": 43.86, "lon": 0.1, "place": "Eauze",
            "code": "32119"}, "region": "FR-32", "employees": 12, "languages": ["fr", "es"],
            "service_radius_km": 300, "service_radius_hours": 3.5,
            "unknown": {"ignored": true}}"#
            .replace('\n', " ");
        let company = parse_company(&line).expect("valid line");
        let expected = pb::Company {
            external_id: "gers-0042".to_owned(),
            name: "Tonnellerie d'Éauze".to_owned(),
            country: "FR".to_owned(),
            legal_id: Some(pb::LegalId {
                scheme: pb::LegalIdScheme::Siret as i32,
                value: "73282932000074".to_owned(),
                display: String::new(),
            }),
            activities: vec![
                pb::ActivityCode {
                    nace: String::new(),
                    given: "16.24Z".to_owned(),
                },
                pb::ActivityCode {
                    nace: String::new(),
                    given: "25.29".to_owned(),
                },
            ],
            language: pb::Language::Fr as i32,
            description: "Fûts de chêne".to_owned(),
            offers: "Barriques".to_owned(),
            seeks: "Distributeurs".to_owned(),
            location: Some(pb::Location {
                lat: Some(43.86),
                lon: Some(0.1),
                place_code: "32119".to_owned(),
                place_name: "Eauze".to_owned(),
            }),
            region: "FR-32".to_owned(),
            employees: Some(12),
            languages: vec!["fr".to_owned(), "es".to_owned()],
            service_radius_km: Some(300.0),
            service_radius_hours: Some(3.5),
            ..Default::default()
        };
        assert_eq!(company, expected);
    }

    #[test]
    fn a_full_opportunity_line_maps_onto_every_field() {
        let line = r#"{"id": "pcsp-2026-0001", "source": "pcsp", "kind": "tender",
            "title": "Suministro de depósitos", "description": "Depósitos de acero inoxidable",
            "lang": "es", "nace": ["2529"], "cpv": ["44611500-1", "42000000"],
            "location": {"lat": 41.65, "lon": -0.88, "place": "Zaragoza", "code": "50297"},
            "region": "ES-AR", "published": "2026-09-14", "deadline": "2027-03-31",
            "budget_eur": 125000.5, "extra": 1}"#
            .replace('\n', " ");
        let opportunity = parse_opportunity(&line).expect("valid line");
        let expected = pb::Opportunity {
            source: "pcsp".to_owned(),
            external_id: "pcsp-2026-0001".to_owned(),
            kind: pb::OpportunityKind::Tender as i32,
            title: "Suministro de depósitos".to_owned(),
            description: "Depósitos de acero inoxidable".to_owned(),
            language: pb::Language::Es as i32,
            activities: vec![pb::ActivityCode {
                nace: String::new(),
                given: "2529".to_owned(),
            }],
            cpv: vec!["44611500-1".to_owned(), "42000000".to_owned()],
            location: Some(pb::Location {
                lat: Some(41.65),
                lon: Some(-0.88),
                place_code: "50297".to_owned(),
                place_name: "Zaragoza".to_owned(),
            }),
            region: "ES-AR".to_owned(),
            published: Some(pb::Date {
                year: 2026,
                month: 9,
                day: 14,
            }),
            deadline: Some(pb::Date {
                year: 2027,
                month: 3,
                day: 31,
            }),
            budget_eur: Some(125_000.5),
            ..Default::default()
        };
        assert_eq!(opportunity, expected);
    }

    #[test]
    fn siren_and_nif_are_used_when_there_is_no_siret() {
        let siren = r#"{"id":"a","name":"A","country":"FR","siren":"732829320","lang":"fr","description":"d","location":{"code":"32013"},"region":"FR-32"}"#;
        let company = parse_company(siren).expect("valid");
        assert_eq!(
            company.legal_id.map(|id| (id.scheme, id.value)),
            Some((pb::LegalIdScheme::Siren as i32, "732829320".to_owned()))
        );
        let nif = r#"{"id":"b","name":"B","country":"ES","nif":"B12345674","lang":"es","description":"d","location":{"code":"50297"},"region":"ES-AR"}"#;
        let company = parse_company(nif).expect("valid");
        assert_eq!(legal_id_field(&company), "nif");
    }

    #[test]
    fn every_bad_field_of_a_line_is_reported() {
        let line = r#"{"id": "x-1", "source": "arex", "kind": "sale", "description": 5,
            "lang": "de", "nace": ["25", 7], "location": {"lat": "41"}, "region": "ES-AR",
            "published": "14/09/2026", "budget_eur": "much"}"#
            .replace('\n', " ");
        let invalid = parse_opportunity(&line).expect_err("invalid line");
        assert_eq!(invalid.id, "x-1");
        let fields: Vec<&str> = invalid.problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "kind",
                "title",
                "description",
                "lang",
                "nace[1]",
                "location.lat",
                "published",
                "budget_eur"
            ]
        );
        assert_eq!(invalid.problems[1].reason, "is required");
        assert_eq!(invalid.problems[2].reason, "must be a string, not a number");
    }

    #[test]
    fn a_service_radius_that_is_not_a_number_is_named() {
        let line = r#"{"id":"a","name":"A","country":"FR","siren":"732829320","lang":"fr","description":"d","location":{"code":"32013"},"region":"FR-32","service_radius_hours":"3 h","service_radius_km":null}"#;
        let invalid = parse_company(line).expect_err("hours as text");
        assert_eq!(invalid.problems.len(), 1);
        assert_eq!(invalid.problems[0].field, "service_radius_hours");
        assert_eq!(invalid.problems[0].reason, "must be a number, not a string");
    }

    #[test]
    fn lines_that_are_not_json_objects_are_refused_whole() {
        let invalid = parse_company("{\"id\": \"a\",").expect_err("bad json");
        assert_eq!(invalid.problems[0].field, "");
        assert!(invalid.problems[0].reason.starts_with("not valid JSON"));
        let invalid = parse_company("[1, 2]").expect_err("not an object");
        assert_eq!(
            invalid.problems[0].reason,
            "must be a JSON object, not a list"
        );
    }

    #[test]
    fn a_bad_source_is_refused_before_it_can_spoil_its_batch() {
        let line = r#"{"id":"a","source":"Aragón Exterior","kind":"tender","title":"t","description":"d","lang":"es","location":{"code":"50297"},"region":"ES-AR","published":"2026-09-01"}"#;
        let invalid = parse_opportunity(line).expect_err("bad source");
        assert_eq!(invalid.problems[0].field, "source");
    }

    #[test]
    fn registry_paths_are_named_as_in_the_file() {
        assert_eq!(
            file_field("upserts[3].location.place_code", "upserts", ""),
            "location.code"
        );
        assert_eq!(
            file_field("companies[12].legal_id.value", "companies", "siret"),
            "siret"
        );
        assert_eq!(
            file_field("companies[0].activities[1]", "companies", ""),
            "nace[1]"
        );
        assert_eq!(file_field("upserts[0].language", "upserts", ""), "lang");
        assert_eq!(file_field("upserts[0].external_id", "upserts", ""), "id");
        assert_eq!(file_field("upserts[0].cpv[2]", "upserts", ""), "cpv[2]");
        assert_eq!(
            file_field("upserts[0].location.lat", "upserts", ""),
            "location.lat"
        );
    }

    #[test]
    fn lines_are_read_with_their_breaks_removed_and_long_ones_flagged() {
        let mut input: &[u8] = b"ab\r\n\ncdefgh\nij";
        let mut buffer = Vec::new();
        assert_eq!(next_line(&mut input, &mut buffer, 4).unwrap(), Some(false));
        assert_eq!(buffer, b"ab");
        assert_eq!(next_line(&mut input, &mut buffer, 4).unwrap(), Some(false));
        assert_eq!(buffer, b"");
        assert_eq!(next_line(&mut input, &mut buffer, 4).unwrap(), Some(true));
        assert_eq!(buffer, b"cdef");
        assert_eq!(next_line(&mut input, &mut buffer, 4).unwrap(), Some(false));
        assert_eq!(buffer, b"ij");
        assert_eq!(next_line(&mut input, &mut buffer, 4).unwrap(), None);
    }

    #[test]
    fn batches_fill_per_source_and_keep_their_order() {
        let mut pending = Pending::default();
        let item = |id: &str| {
            Item::Opportunity(pb::Opportunity {
                external_id: id.to_owned(),
                ..Default::default()
            })
        };
        assert!(pending.push("arex".into(), 1, item("a1"), 2).is_none());
        assert!(pending.push("ader".into(), 2, item("b1"), 2).is_none());
        let full = pending.push("arex".into(), 3, item("a2"), 2).expect("full");
        assert_eq!((full.source.as_str(), full.lines), ("arex", vec![1, 3]));
        assert!(pending.push("arex".into(), 4, item("a3"), 2).is_none());
        let rest: Vec<(String, Vec<u64>)> = pending.drain().map(|b| (b.source, b.lines)).collect();
        assert_eq!(
            rest,
            [("arex".to_owned(), vec![4]), ("ader".to_owned(), vec![2])]
        );
    }

    #[test]
    fn the_summary_names_the_rejects_file_only_when_needed() {
        let report = Report {
            lines: 150,
            stored: SyncCounts {
                created: 148,
                ..Default::default()
            },
            rejected: 2,
            ..Default::default()
        };
        assert_eq!(
            report.summary(Path::new("f.jsonl.rejects.tsv")),
            "importé : 150 lignes — créées 148, mises à jour 0, inchangées 0, retirées 0, \
             rejetées 2 (détail : f.jsonl.rejects.tsv)"
        );
        let clean = Report {
            lines: 1,
            stored: SyncCounts {
                unchanged: 1,
                ..Default::default()
            },
            ..Default::default()
        };
        assert!(!clean.summary(Path::new("x")).contains("détail"));
        assert_eq!(
            default_rejects_path(Path::new("/d/companies.jsonl")),
            Path::new("/d/companies.jsonl.rejects.tsv")
        );
    }
}
