//! `pyred eval DIR`: the quality of the matchmaking model on a judged data set.
//!
//! DIR holds the interchange-format files (`companies.jsonl`, `opportunities.jsonl`,
//! `judgments.tsv`; `/work/shared/data/FORMAT.md`). Lines are read with the importer's
//! own parsers ([`crate::import::parse_company`], [`crate::import::parse_opportunity`]),
//! so the evaluation sees exactly the `pyred.v1` messages an import would send.
//!
//! For every company with a lead (a pair of grade ≥ 2) it ranks the listings with:
//!
//! - **pyred**: the model of `pyred-matching` — the very functions the matchmaking
//!   service calls ([`pyred_matching::Matcher::matches_for_company`]), with corpus
//!   statistics over the whole of DIR;
//! - **bm25**: plain BM25 (tantivy, its `default` tokenizer: split on non-alphanumeric
//!   characters, lowercase; no stemming, no languages, no concepts) of the firm's
//!   description, offers and seeks as one query against listings' title and
//!   description; every listing, live or not;
//! - **nace**: NACE similarity alone (best pair of codes; listings without a code are
//!   not ranked); ties by listing id;
//!
//! and reports nDCG@10 and recall@10 ([`pyred_matching::metrics`]), then the model
//! again with each feature switched off (the ablation table).
//!
//! The scoring is offline: the files are read directly, not loaded into a stack.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use pyred_domain::{Day, NaceCode};
use pyred_matching::metrics::{self, Evaluation, Judgments};
use pyred_matching::{
    CompanyProfile, CorpusStats, Feature, FeatureSet, Matcher, OpportunityProfile,
};
use pyred_proto::v1 as pb;
use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, STORED, STRING, Schema, TEXT, Value as _};
use tantivy::{Index, TantivyDocument, Term};

use crate::import;

/// Rank cut-off of the metrics.
pub const K: usize = 10;

/// Command line of `pyred eval`.
#[derive(Debug, Clone, clap::Args)]
pub struct EvalArgs {
    /// Directory with companies.jsonl, opportunities.jsonl and judgments.tsv.
    pub dir: PathBuf,
    /// Evaluation day (liveness, deadlines); default: today. The dev set is meant to
    /// be evaluated as of 2026-12-01.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
    pub as_of: Option<Day>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Exit with status 1 when pyred's nDCG@10 is below this.
    #[arg(long, value_name = "NDCG")]
    pub min_ndcg: Option<f64>,
    /// Exit with status 1 when pyred's nDCG@10 is below this multiple of BM25's.
    #[arg(long, value_name = "RATIO")]
    pub min_bm25_ratio: Option<f64>,
    /// Only the model's own figures (no ablation, no run through a stack): for quick
    /// experiments with `--set`.
    #[arg(long)]
    pub quick: bool,
    /// Everything but the ablation table (the model with each feature removed).
    #[arg(long)]
    pub no_ablation: bool,
    /// How the distance feature measures the way: `road` (driving time through the
    /// Pyrenean crossings open that day, the default) or `straight-line`.
    #[arg(long, value_name = "MEASURE", value_parser = parse_measure)]
    pub distance: Option<pyred_matching::DistanceMeasure>,
    /// Change a model constant for an experiment (`--set sector=0.1`); repeatable.
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_setting)]
    pub settings: Vec<(String, f64)>,
    /// Evaluate the consortium builder instead (issue 19): for each judged tender,
    /// the best proposal's recall of the relevant firms against the top firms one by
    /// one ([`pyred_consortium::eval`]).
    #[arg(long)]
    pub consortia: bool,
    /// With `--consortia`: exit with status 1 when the best proposals find the relevant
    /// firms less often than the baseline (recall below it, or fewer tenders won than
    /// lost).
    #[arg(long)]
    pub require_consortia_gain: bool,
}

/// Reads `NAME=VALUE`.
pub fn parse_setting(text: &str) -> Result<(String, f64), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=VALUE, not {text:?}"))?;
    let value: f64 = value
        .trim()
        .parse()
        .map_err(|_| format!("{name}: {value:?} is not a number"))?;
    Ok((name.trim().to_owned(), value))
}

/// A difference as the report prints it (4 decimals): a tiny negative one is 0, never
/// `-0.0000`.
fn shown_delta(delta: f64) -> f64 {
    let rounded = (delta * 1e4).round() / 1e4;
    if rounded == 0.0 { 0.0 } else { rounded }
}

/// Reads `road` or `straight-line`.
pub fn parse_measure(text: &str) -> Result<pyred_matching::DistanceMeasure, String> {
    pyred_matching::DistanceMeasure::from_name(text.trim())
        .ok_or_else(|| format!("{text:?}: expected road or straight-line"))
}

/// Reads a `YYYY-MM-DD` day on the command line.
pub fn parse_day(text: &str) -> Result<Day, String> {
    Day::parse(text.trim()).map_err(|e| e.to_string())
}

/// Runs `pyred eval`: 0 when the figures are at or above the floors given, 1 below,
/// 2 when the evaluation cannot run.
pub async fn command(args: &EvalArgs) -> ExitCode {
    let dataset = match Dataset::load(&args.dir) {
        Ok(dataset) => dataset,
        Err(error) => {
            eprintln!("pyred: {error}");
            return ExitCode::from(2);
        }
    };
    let as_of = args.as_of.unwrap_or_else(Day::today);
    if args.consortia {
        return consortia_command(args, &dataset, as_of);
    }
    let mut weights = pyred_matching::Weights::default();
    for (name, value) in &args.settings {
        if let Err(error) = weights.set(name, *value) {
            eprintln!("pyred: --set {error}");
            return ExitCode::from(2);
        }
    }
    let mut report = match run(
        &args.dir,
        &dataset,
        as_of,
        weights,
        args.distance.unwrap_or_default(),
        !(args.quick || args.no_ablation),
    ) {
        Ok(report) => report,
        Err(error) => {
            eprintln!("pyred: {error}");
            return ExitCode::from(2);
        }
    };
    if let Some(judgments) = dataset.judgments.as_ref().filter(|_| !args.quick) {
        let evaluated = judgments.evaluated_companies();
        match service_rankings(&args.dir, &dataset, &evaluated, as_of).await {
            Ok((rankings, searched)) => {
                let service = metrics::evaluate(judgments, &rankings, K);
                report.systems.insert(
                    1,
                    SystemScore {
                        system: "pyred-service".to_owned(),
                        ndcg: service.ndcg,
                        recall: service.recall,
                    },
                );
                let search = metrics::evaluate(judgments, &searched, K);
                report.systems.insert(
                    2,
                    SystemScore {
                        system: "search".to_owned(),
                        ndcg: search.ndcg,
                        recall: search.recall,
                    },
                );
            }
            Err(error) => {
                eprintln!("pyred: {error}");
                return ExitCode::from(2);
            }
        }
    }
    if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(text) => println!("{text}"),
            Err(error) => {
                eprintln!("pyred: {error}");
                return ExitCode::from(2);
            }
        }
    } else {
        print!("{}", render_text(&report));
    }
    // The floor applies to what advisers get: the running service (the offline model
    // when the set has no judgments to ask the service about).
    let ndcg = report
        .system("pyred-service")
        .or_else(|| report.system("pyred"))
        .map_or(0.0, |s| s.ndcg);
    let mut passed = true;
    if let Some(floor) = args.min_ndcg
        && ndcg < floor
    {
        eprintln!("pyred: nDCG@10 {ndcg:.4} is below the floor {floor}");
        passed = false;
    }
    if let Some(ratio) = args.min_bm25_ratio
        && report.ratio_to_bm25 < ratio
    {
        eprintln!(
            "pyred: nDCG@10 is {:.2}× BM25's, below {ratio}×",
            report.ratio_to_bm25
        );
        passed = false;
    }
    if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `pyred eval --consortia DIR`: prints the builder's figures against the baseline.
fn consortia_command(args: &EvalArgs, dataset: &Dataset, as_of: Day) -> ExitCode {
    let Some(judgments) = dataset.judgments.as_ref() else {
        eprintln!("pyred: {} has no judgments.tsv", args.dir.display());
        return ExitCode::from(2);
    };
    let report = match consortia_report(&args.dir, dataset, judgments, as_of) {
        Ok(report) => report,
        Err(error) => {
            eprintln!("pyred: {error}");
            return ExitCode::from(2);
        }
    };
    if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(text) => println!("{text}"),
            Err(error) => {
                eprintln!("pyred: {error}");
                return ExitCode::from(2);
            }
        }
    } else {
        print!("{}", render_consortia(&report));
    }
    if args.require_consortia_gain
        && (report.recall < report.baseline_recall || report.wins < report.losses)
    {
        eprintln!(
            "pyred: the consortium builder does not beat the top firms one by one \
             (recall {:.4} vs {:.4}, {} tenders better, {} worse)",
            report.recall, report.baseline_recall, report.wins, report.losses
        );
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

/// The consortium builder's figures on one set.
#[derive(Debug, Clone, Serialize)]
pub struct ConsortiaReport {
    /// The directory.
    pub dir: String,
    /// Evaluation day.
    pub as_of: String,
    /// Judged tenders with a relevant firm (grade ≥ 2).
    pub tenders: usize,
    /// Of which with a proposal.
    pub proposed: usize,
    /// Mean size of the best proposal.
    pub mean_size: f64,
    /// Mean recall of the relevant firms: best proposal.
    pub recall: f64,
    /// …baseline (top k firms by score, k = the proposal's size).
    pub baseline_recall: f64,
    /// Share of tenders whose best proposal includes a relevant firm.
    pub hit_rate: f64,
    /// …baseline.
    pub baseline_hit_rate: f64,
    /// Tenders where the proposal's recall beats the baseline's.
    pub wins: usize,
    /// …is below it.
    pub losses: usize,
    /// …equals it.
    pub ties: usize,
    /// Each tender: id, relevant firms, the proposal's and the baseline's firms.
    pub per_tender: Vec<ConsortiaTender>,
}

/// One tender of the consortium report.
#[derive(Debug, Clone, Serialize)]
pub struct ConsortiaTender {
    /// The tender.
    pub tender: String,
    /// Firms judged relevant.
    pub relevant: usize,
    /// Recall of the best proposal.
    pub recall: f64,
    /// Recall of the baseline.
    pub baseline_recall: f64,
    /// Members of the best proposal (empty: none).
    pub members: Vec<String>,
    /// The baseline's firms.
    pub baseline: Vec<String>,
}

/// Runs the consortium evaluation on a loaded set.
///
/// # Errors
/// [`EvalError::Consortium`] when the model refuses a record.
pub fn consortia_report(
    dir: &Path,
    dataset: &Dataset,
    judgments: &Judgments,
    as_of: Day,
) -> Result<ConsortiaReport, EvalError> {
    let matcher = Matcher::new()?;
    let result = pyred_consortium::eval::evaluate(
        &matcher,
        &dataset.companies,
        &dataset.opportunities,
        judgments,
        as_of,
    )?;
    Ok(ConsortiaReport {
        dir: dir.display().to_string(),
        as_of: as_of.to_string(),
        tenders: result.tenders,
        proposed: result.proposed,
        mean_size: result.mean_size,
        recall: result.mean_recall,
        baseline_recall: result.baseline_mean_recall,
        hit_rate: result.hit_rate,
        baseline_hit_rate: result.baseline_hit_rate,
        wins: result.wins,
        losses: result.losses,
        ties: result.ties,
        per_tender: result
            .per_tender
            .into_iter()
            .map(|t| ConsortiaTender {
                tender: t.tender,
                relevant: t.relevant,
                recall: t.recall,
                baseline_recall: t.baseline_recall,
                members: t.members,
                baseline: t.baseline,
            })
            .collect(),
    })
}

/// The consortium report as text.
pub fn render_consortia(report: &ConsortiaReport) -> String {
    format!(
        "consortia on {} as of {}\n\
         judged tenders with a relevant firm: {} (with a proposal: {}; mean size {:.2})\n\
         {:<28} {:>8} {:>9}\n\
         {:<28} {:>8.4} {:>9.4}\n\
         {:<28} {:>8.4} {:>9.4}\n\
         versus baseline: {} better, {} worse, {} ties\n",
        report.dir,
        report.as_of,
        report.tenders,
        report.proposed,
        report.mean_size,
        "system",
        "recall",
        "hit rate",
        "best consortium",
        report.recall,
        report.hit_rate,
        "top-k one by one",
        report.baseline_recall,
        report.baseline_hit_rate,
        report.wins,
        report.losses,
        report.ties,
    )
}

/// Why an evaluation could not run.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A line of a JSON Lines file is invalid.
    #[error("{path}:{line}: invalid record {id:?}: {problems}")]
    InvalidLine {
        /// The file.
        path: PathBuf,
        /// Line number, from 1.
        line: usize,
        /// The record's id, when readable.
        id: String,
        /// The bad fields.
        problems: String,
    },
    /// The judgments file is invalid.
    #[error("{path}: {source}")]
    Judgments {
        /// The file.
        path: PathBuf,
        /// The problem.
        #[source]
        source: metrics::JudgmentsError,
    },
    /// The model could not read a record or load its data.
    #[error(transparent)]
    Model(#[from] pyred_matching::MatchingError),
    /// The consortium builder failed.
    #[error("consortium builder: {0}")]
    Consortium(#[from] pyred_consortium::ConsortiumError),
    /// The BM25 baseline failed.
    #[error("bm25 baseline: {0}")]
    Bm25(#[from] tantivy::TantivyError),
    /// The evaluation stack could not be started, loaded or asked.
    #[error("evaluation stack: {0}")]
    Service(String),
}

/// Rankings from the service itself: DIR loaded into a fresh stack started in this
/// process (temporary data directory, free loopback ports), then `ListCompanyMatches`
/// at `as_of` for each judged firm — the top 10 an adviser would see; and, as the
/// `search` system, geo-search's top 10 listings for the firm's offers as a query (what
/// an adviser typing the firm's trade into the search box would see).
///
/// # Errors
/// [`EvalError::Service`] when the stack does not start, a file does not import, or a
/// call fails.
pub async fn service_rankings(
    dir: &Path,
    dataset: &Dataset,
    companies: &[&str],
    as_of: Day,
) -> Result<(BTreeMap<String, Vec<String>>, BTreeMap<String, Vec<String>>), EvalError> {
    use pyred_proto::v1::geo_search_client::GeoSearchClient;
    use pyred_proto::v1::matchmaking_client::MatchmakingClient;
    let day = pb::Date::from(as_of);
    let fail =
        |what: &str, error: &dyn std::fmt::Display| EvalError::Service(format!("{what}: {error}"));
    let data = tempfile::tempdir().map_err(|e| fail("temporary directory", &e))?;
    let mut settings =
        pyred_runtime::Settings::with_data_dir(data.path()).map_err(|e| fail("settings", &e))?;
    settings.registry.port = 0;
    settings.geo_search.port = 0;
    settings.matchmaking.port = 0;
    settings.registry.metrics_port = 0;
    settings.geo_search.metrics_port = 0;
    settings.matchmaking.metrics_port = 0;
    settings.gateway.port = 0;
    let stack = crate::stack::start(settings)
        .await
        .map_err(|e| fail("start", &e))?;
    let outcome = async {
        stack
            .wait_healthy(std::time::Duration::from_secs(60))
            .await
            .map_err(|e| fail("health", &e))?;
        let importer = crate::import::Importer::connect(
            &stack
                .connector()
                .with_timeout(std::time::Duration::from_secs(60)),
            &stack.addresses.registry,
        )
        .map_err(|e| fail("registry", &e))?;
        for (dataset, file) in [
            (
                crate::import::Dataset::Companies {
                    source: "eval".to_owned(),
                },
                "companies.jsonl",
            ),
            (crate::import::Dataset::Opportunities, "opportunities.jsonl"),
        ] {
            let path = dir.join(file);
            let input = std::fs::File::open(&path).map_err(|source| EvalError::Read {
                path: path.clone(),
                source,
            })?;
            importer
                .import(
                    &dataset,
                    std::io::BufReader::new(input),
                    &path.display().to_string(),
                )
                .await
                .map_err(|e| fail("import", &e))?;
        }
        let channel = stack
            .connector()
            .with_timeout(std::time::Duration::from_secs(60))
            .channel(&stack.addresses.matchmaking)
            .map_err(|e| fail("matchmaking", &e))?;
        let mut matchmaking = MatchmakingClient::new(channel);
        let mut rankings = BTreeMap::new();
        for &company in companies {
            let response = matchmaking
                .list_company_matches(pb::ListCompanyMatchesRequest {
                    company_id: company.to_owned(),
                    as_of: Some(day),
                    statuses: vec![],
                    page: Some(pb::PageRequest {
                        page_size: i32::try_from(K).unwrap_or(10),
                        page_token: String::new(),
                    }),
                })
                .await
                .map_err(|status| fail(company, &status.message()))?;
            let ranking = response
                .into_inner()
                .matches
                .into_iter()
                .map(|m| m.opportunity_id)
                .collect();
            rankings.insert(company.to_owned(), ranking);
        }
        let channel = stack
            .connector()
            .with_timeout(std::time::Duration::from_secs(60))
            .channel(&stack.addresses.geo_search)
            .map_err(|e| fail("geo-search", &e))?;
        let mut search = GeoSearchClient::new(channel);
        let mut searched = BTreeMap::new();
        for &company in companies {
            let Some(firm) = dataset.companies.iter().find(|c| c.external_id == company) else {
                continue;
            };
            let text = if firm.offers.trim().is_empty() {
                &firm.description
            } else {
                &firm.offers
            };
            let response = search
                .search(pb::SearchRequest {
                    query: text.clone(),
                    language: firm.language,
                    filters: Some(pb::SearchFilters {
                        entity: pb::EntityKind::Opportunity as i32,
                        as_of: Some(day),
                        ..Default::default()
                    }),
                    page: Some(pb::PageRequest {
                        page_size: i32::try_from(K).unwrap_or(10),
                        page_token: String::new(),
                    }),
                    skip_snippets: true,
                    ..Default::default()
                })
                .await
                .map_err(|status| fail(company, &status.message()))?;
            let ranking = response
                .into_inner()
                .hits
                .into_iter()
                .map(|h| h.id)
                .collect();
            searched.insert(company.to_owned(), ranking);
        }
        Ok::<_, EvalError>((rankings, searched))
    }
    .await;
    let stopped = stack.stop().await;
    let rankings = outcome?;
    stopped.map_err(|e| fail("stop", &e))?;
    Ok(rankings)
}

/// The records of a data-set directory.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Firms, in file order.
    pub companies: Vec<pb::Company>,
    /// Listings, in file order.
    pub opportunities: Vec<pb::Opportunity>,
    /// Judgments, when the directory has `judgments.tsv`.
    pub judgments: Option<Judgments>,
}

impl Dataset {
    /// Reads `companies.jsonl`, `opportunities.jsonl` and, when present,
    /// `judgments.tsv` from `dir`. Any invalid line stops the reading.
    ///
    /// # Errors
    /// [`EvalError::Read`], [`EvalError::InvalidLine`], [`EvalError::Judgments`].
    pub fn load(dir: &Path) -> Result<Self, EvalError> {
        let companies = read_lines(&dir.join("companies.jsonl"), import::parse_company)?;
        let opportunities =
            read_lines(&dir.join("opportunities.jsonl"), import::parse_opportunity)?;
        let judgments_path = dir.join("judgments.tsv");
        let judgments = match std::fs::read_to_string(&judgments_path) {
            Ok(text) => {
                Some(
                    Judgments::parse_tsv(&text).map_err(|source| EvalError::Judgments {
                        path: judgments_path.clone(),
                        source,
                    })?,
                )
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(EvalError::Read {
                    path: judgments_path,
                    source,
                });
            }
        };
        Ok(Self {
            companies,
            opportunities,
            judgments,
        })
    }
}

fn read_lines<T>(
    path: &Path,
    parse: impl Fn(&str) -> Result<T, import::InvalidLine>,
) -> Result<Vec<T>, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|source| EvalError::Read {
        path: path.to_owned(),
        source,
    })?;
    let mut out = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim_start_matches('\u{feff}');
        if line.trim().is_empty() {
            continue;
        }
        match parse(line) {
            Ok(record) => out.push(record),
            Err(invalid) => {
                let problems = invalid
                    .problems
                    .iter()
                    .map(|p| format!("{} {}", p.field, p.reason))
                    .collect::<Vec<_>>()
                    .join("; ");
                return Err(EvalError::InvalidLine {
                    path: path.to_owned(),
                    line: index + 1,
                    id: invalid.id,
                    problems,
                });
            }
        }
    }
    Ok(out)
}

/// The data set read by the model: profiles and corpus statistics.
#[derive(Debug, Clone)]
pub struct Profiles {
    /// Firms.
    pub companies: Vec<CompanyProfile>,
    /// Listings.
    pub opportunities: Vec<OpportunityProfile>,
    /// IDF statistics over both.
    pub stats: CorpusStats,
}

impl Profiles {
    /// Reads every record of `dataset` with `matcher`.
    ///
    /// # Errors
    /// [`EvalError::Model`] on a record the model refuses (a listing without kind).
    pub fn build(matcher: &Matcher, dataset: &Dataset) -> Result<Self, EvalError> {
        let companies = dataset
            .companies
            .iter()
            .map(|c| matcher.company(c))
            .collect::<Result<Vec<_>, _>>()?;
        let opportunities = dataset
            .opportunities
            .iter()
            .map(|o| matcher.opportunity(o))
            .collect::<Result<Vec<_>, _>>()?;
        let stats = CorpusStats::from_profiles(&companies, &opportunities);
        Ok(Self {
            companies,
            opportunities,
            stats,
        })
    }
}

/// Quality of one system.
#[derive(Debug, Clone, Serialize)]
pub struct SystemScore {
    /// `pyred`, `bm25` or `nace`.
    pub system: String,
    /// Mean nDCG@10.
    pub ndcg: f64,
    /// Mean recall@10 of grade ≥ 2 pairs.
    pub recall: f64,
}

/// The model with one feature switched off.
#[derive(Debug, Clone, Serialize)]
pub struct AblationRow {
    /// The feature removed.
    pub without: String,
    /// Mean nDCG@10.
    pub ndcg: f64,
    /// Change against the full model.
    pub delta_ndcg: f64,
    /// Mean recall@10.
    pub recall: f64,
    /// Change against the full model.
    pub delta_recall: f64,
}

/// One company's figures.
#[derive(Debug, Clone, Serialize)]
pub struct CompanyRow {
    /// The company.
    pub company: String,
    /// nDCG@10 of pyred, bm25, nace.
    pub ndcg: [f64; 3],
    /// recall@10 of pyred, bm25, nace.
    pub recall: [f64; 3],
}

/// Everything `pyred eval` reports.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// The directory evaluated.
    pub dir: String,
    /// The evaluation day.
    pub as_of: String,
    /// The rank cut-off.
    pub k: usize,
    /// Firms in the set.
    pub companies: usize,
    /// Listings in the set.
    pub opportunities: usize,
    /// Judged pairs.
    pub judged_pairs: usize,
    /// Companies the means run over (with a pair of grade ≥ 2).
    pub evaluated_companies: usize,
    /// pyred, bm25, nace.
    pub systems: Vec<SystemScore>,
    /// pyred nDCG@10 / bm25 nDCG@10.
    pub ratio_to_bm25: f64,
    /// The other direction: firms ranked for each listing with a grade ≥ 2 pair
    /// (judgments read the other way round).
    pub reverse: SystemScore,
    /// The model with each feature switched off.
    pub ablation: Vec<AblationRow>,
    /// Per company.
    pub per_company: Vec<CompanyRow>,
}

impl EvalReport {
    /// The figures of a system by name.
    pub fn system(&self, name: &str) -> Option<&SystemScore> {
        self.systems.iter().find(|s| s.system == name)
    }
}

/// Rankings of the model (company id → its top-`K` listing ids) with `features`.
pub fn pyred_rankings(
    matcher: &Matcher,
    profiles: &Profiles,
    companies: &[&str],
    as_of: Day,
) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for &id in companies {
        let Some(company) = profiles.companies.iter().find(|c| c.id == id) else {
            continue;
        };
        let ranking = matcher
            .matches_for_company(company, &profiles.opportunities, &profiles.stats, as_of, K)
            .into_iter()
            .map(|s| s.opportunity_id)
            .collect();
        out.insert(id.to_owned(), ranking);
    }
    out
}

/// Rankings of plain BM25 over raw texts (tantivy's default tokenizer).
///
/// # Errors
/// [`EvalError::Bm25`] when the in-memory index fails.
pub fn bm25_rankings(
    dataset: &Dataset,
    companies: &[&str],
) -> Result<BTreeMap<String, Vec<String>>, EvalError> {
    let mut schema = Schema::builder();
    let id_field = schema.add_text_field("id", STRING | STORED);
    let text_field = schema.add_text_field("text", TEXT);
    let index = Index::create_in_ram(schema.build());
    let mut writer = index.writer_with_num_threads(1, 15_000_000)?;
    for opportunity in &dataset.opportunities {
        let mut document = TantivyDocument::default();
        document.add_text(id_field, &opportunity.external_id);
        document.add_text(
            text_field,
            format!("{}\n{}", opportunity.title, opportunity.description),
        );
        writer.add_document(document)?;
    }
    writer.commit()?;
    let reader = index.reader()?;
    let searcher = reader.searcher();
    let mut tokenizer = index.tokenizer_for_field(text_field)?;
    let mut out = BTreeMap::new();
    for &id in companies {
        let Some(company) = dataset.companies.iter().find(|c| c.external_id == id) else {
            continue;
        };
        let text = format!(
            "{}\n{}\n{}",
            company.description, company.offers, company.seeks
        );
        let mut terms: Vec<String> = Vec::new();
        let mut stream = tokenizer.token_stream(&text);
        while stream.advance() {
            let term = stream.token().text.clone();
            if !terms.contains(&term) {
                terms.push(term);
            }
        }
        let clauses: Vec<(Occur, Box<dyn Query>)> = terms
            .iter()
            .map(|t| {
                let query: Box<dyn Query> = Box::new(TermQuery::new(
                    Term::from_field_text(text_field, t),
                    IndexRecordOption::WithFreqs,
                ));
                (Occur::Should, query)
            })
            .collect();
        let query = BooleanQuery::new(clauses);
        let hits = searcher.search(&query, &TopDocs::with_limit(K).order_by_score())?;
        let mut ranking = Vec::with_capacity(hits.len());
        for (_, address) in hits {
            let document: TantivyDocument = searcher.doc(address)?;
            if let Some(value) = document.get_first(id_field).and_then(|v| v.as_str()) {
                ranking.push(value.to_owned());
            }
        }
        out.insert(id.to_owned(), ranking);
    }
    Ok(out)
}

/// Rankings by NACE similarity alone (listings without a code are left out).
pub fn nace_rankings(dataset: &Dataset, companies: &[&str]) -> BTreeMap<String, Vec<String>> {
    let codes = |activities: &[pb::ActivityCode]| -> Vec<NaceCode> {
        activities
            .iter()
            .filter_map(|a| NaceCode::parse(&a.given).ok())
            .collect()
    };
    let listings: Vec<(&str, Vec<NaceCode>)> = dataset
        .opportunities
        .iter()
        .map(|o| (o.external_id.as_str(), codes(&o.activities)))
        .collect();
    let mut out = BTreeMap::new();
    for &id in companies {
        let Some(company) = dataset.companies.iter().find(|c| c.external_id == id) else {
            continue;
        };
        let firm = codes(&company.activities);
        let mut scored: Vec<(f64, &str)> = listings
            .iter()
            .filter_map(|(listing, listing_codes)| {
                let best = firm
                    .iter()
                    .flat_map(|a| {
                        listing_codes
                            .iter()
                            .map(move |b| pyred_domain::nace::similarity(a, b))
                    })
                    .fold(0.0, f64::max);
                (best > 0.0).then_some((best, *listing))
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        out.insert(
            id.to_owned(),
            scored
                .into_iter()
                .take(K)
                .map(|(_, l)| l.to_owned())
                .collect(),
        );
    }
    out
}

/// Runs the evaluation of `dataset` (which must have judgments) on `as_of`, with the
/// model's `weights` (the defaults, but for experiments).
///
/// # Errors
/// [`EvalError::Model`] or [`EvalError::Bm25`]; [`EvalError::Read`] when the set
/// has no `judgments.tsv`.
pub fn run(
    dir: &Path,
    dataset: &Dataset,
    as_of: Day,
    weights: pyred_matching::Weights,
    distance: pyred_matching::DistanceMeasure,
    with_ablation: bool,
) -> Result<EvalReport, EvalError> {
    let Some(judgments) = dataset.judgments.as_ref() else {
        return Err(EvalError::Read {
            path: dir.join("judgments.tsv"),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no judgments"),
        });
    };
    let evaluated = judgments.evaluated_companies();
    let matcher = Matcher::new()?
        .with_weights(weights)
        .with_distance_measure(distance);
    let profiles = Profiles::build(&matcher, dataset)?;

    let pyred = metrics::evaluate(
        judgments,
        &pyred_rankings(&matcher, &profiles, &evaluated, as_of),
        K,
    );
    let bm25 = metrics::evaluate(judgments, &bm25_rankings(dataset, &evaluated)?, K);
    let nace = metrics::evaluate(judgments, &nace_rankings(dataset, &evaluated), K);

    let mut ablation = Vec::new();
    for feature in Feature::ALL.into_iter().filter(|_| with_ablation) {
        let reduced = matcher
            .clone()
            .with_features(FeatureSet::all().without(feature));
        let result = metrics::evaluate(
            judgments,
            &pyred_rankings(&reduced, &profiles, &evaluated, as_of),
            K,
        );
        ablation.push(AblationRow {
            without: feature.name().to_owned(),
            ndcg: result.ndcg,
            delta_ndcg: result.ndcg - pyred.ndcg,
            recall: result.recall,
            delta_recall: result.recall - pyred.recall,
        });
    }

    let reverse = reverse_evaluation(&matcher, &profiles, judgments, as_of);
    let per_company = per_company_rows(&pyred, &bm25, &nace);
    let systems = vec![
        SystemScore {
            system: "pyred".to_owned(),
            ndcg: pyred.ndcg,
            recall: pyred.recall,
        },
        SystemScore {
            system: "bm25".to_owned(),
            ndcg: bm25.ndcg,
            recall: bm25.recall,
        },
        SystemScore {
            system: "nace".to_owned(),
            ndcg: nace.ndcg,
            recall: nace.recall,
        },
    ];
    Ok(EvalReport {
        dir: dir.display().to_string(),
        as_of: as_of.to_string(),
        k: K,
        companies: dataset.companies.len(),
        opportunities: dataset.opportunities.len(),
        judged_pairs: judgments.len(),
        evaluated_companies: evaluated.len(),
        ratio_to_bm25: if bm25.ndcg > 0.0 {
            pyred.ndcg / bm25.ndcg
        } else {
            f64::INFINITY
        },
        systems,
        reverse,
        ablation,
        per_company,
    })
}

/// nDCG@10 and recall@10 of the firms ranked for each listing that has a lead.
fn reverse_evaluation(
    matcher: &Matcher,
    profiles: &Profiles,
    judgments: &Judgments,
    as_of: Day,
) -> SystemScore {
    let mut transposed = Judgments::default();
    for company in &profiles.companies {
        if let Some(pairs) = judgments.of(&company.id) {
            for (opportunity, &grade) in pairs {
                transposed.insert(opportunity, &company.id, grade);
            }
        }
    }
    let mut rankings: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for id in transposed.evaluated_companies() {
        let Some(opportunity) = profiles.opportunities.iter().find(|o| o.id == id) else {
            continue;
        };
        let ranking = matcher
            .companies_for_opportunity(opportunity, &profiles.companies, &profiles.stats, as_of, K)
            .into_iter()
            .map(|s| s.company_id)
            .collect();
        rankings.insert(id.to_owned(), ranking);
    }
    let result = metrics::evaluate(&transposed, &rankings, K);
    SystemScore {
        system: format!("pyred, firms for {} listings", result.per_company.len()),
        ndcg: result.ndcg,
        recall: result.recall,
    }
}

fn per_company_rows(pyred: &Evaluation, bm25: &Evaluation, nace: &Evaluation) -> Vec<CompanyRow> {
    pyred
        .per_company
        .iter()
        .map(|(company, ndcg, recall)| {
            let find = |e: &Evaluation| {
                e.per_company
                    .iter()
                    .find(|(c, _, _)| c == company)
                    .map_or((0.0, 0.0), |(_, n, r)| (*n, *r))
            };
            let (bn, br) = find(bm25);
            let (nn, nr) = find(nace);
            CompanyRow {
                company: company.clone(),
                ndcg: [*ndcg, bn, nn],
                recall: [*recall, br, nr],
            }
        })
        .collect()
}

/// The report as text, for people.
pub fn render_text(report: &EvalReport) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "pyred eval {} — as of {} — {} companies, {} opportunities, {} judged pairs; means over {} companies with a grade ≥ 2 pair\n\n",
        report.dir,
        report.as_of,
        report.companies,
        report.opportunities,
        report.judged_pairs,
        report.evaluated_companies
    ));
    out.push_str(&format!(
        "{:<14} {:>9} {:>10}\n",
        "system", "nDCG@10", "recall@10"
    ));
    for system in &report.systems {
        out.push_str(&format!(
            "{:<14} {:>9.4} {:>10.4}\n",
            system.system, system.ndcg, system.recall
        ));
    }
    out.push_str(&format!(
        "pyred / bm25 nDCG@10: {:.2}×\n",
        report.ratio_to_bm25
    ));
    out.push_str(&format!(
        "other direction ({}): nDCG@10 {:.4}, recall@10 {:.4}\n\n",
        report.reverse.system, report.reverse.ndcg, report.reverse.recall
    ));
    if !report.ablation.is_empty() {
        out.push_str("ablation: pyred with one feature removed\n");
        out.push_str(&format!(
            "{:<12} {:>9} {:>8} {:>10} {:>8}\n",
            "without", "nDCG@10", "Δ", "recall@10", "Δ"
        ));
        for row in &report.ablation {
            out.push_str(&format!(
                "{:<12} {:>9.4} {:>+8.4} {:>10.4} {:>+8.4}\n",
                row.without,
                row.ndcg,
                shown_delta(row.delta_ndcg),
                row.recall,
                shown_delta(row.delta_recall)
            ));
        }
        out.push('\n');
    }
    out.push_str("per company: nDCG@10 pyred / bm25 / nace\n");
    for row in &report.per_company {
        out.push_str(&format!(
            "{:<16} {:>6.3} {:>6.3} {:>6.3}\n",
            row.company, row.ndcg[0], row.ndcg[1], row.ndcg[2]
        ));
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    /// A small data set in the interchange format: three Gers firms, six Spanish
    /// listings (one expired, one a competitor's offer), graded.
    pub(crate) const COMPANIES: &str = concat!(
        r#"{"id": "fr-usinage", "name": "Usinage Gascon", "country": "FR", "nace": ["25.62B"], "lang": "fr", "description": "Atelier d'usinage de précision, sous-traitant de l'aéronautique.", "offers": "Usinage de pièces aéronautiques en titane et en aluminium, fraisage 5 axes.", "seeks": "Nouveaux donneurs d'ordre en Espagne.", "location": {"lat": 43.6465, "lon": 0.5855, "place": "Auch", "code": "32013"}, "region": "FR-32", "employees": 40, "languages": ["fr", "es"]}"#,
        "\n",
        r#"{"id": "fr-cuves", "name": "Cuves du Gers", "country": "FR", "nace": ["25.29Z"], "lang": "fr", "description": "Chaudronnerie inox pour les caves.", "offers": "Cuves inox thermorégulées, cuves de vinification.", "seeks": "Caves clientes en Espagne.", "location": {"lat": 43.958, "lon": 0.372, "place": "Condom", "code": "32107"}, "region": "FR-32", "employees": 25, "languages": ["fr"]}"#,
        "\n",
        r#"{"id": "fr-foie-gras", "name": "Conserverie du Savès", "country": "FR", "nace": ["10.12Z"], "lang": "fr", "description": "Conserverie de canards gras.", "offers": "Foie gras, magrets et confits de canard en conserve.", "seeks": "Importateurs et distributeurs en Espagne.", "location": {"lat": 43.4969, "lon": 0.9238, "place": "Samatan", "code": "32410"}, "region": "FR-32", "employees": 38, "languages": ["fr"]}"#,
        "\n"
    );

    pub(crate) const OPPORTUNITIES: &str = concat!(
        r#"{"id": "es-1", "source": "arex", "kind": "business_request", "title": "Fabricante aeronáutico busca taller de mecanizado de piezas de titanio", "description": "Planta de aeroestructuras en Zaragoza. Necesita mecanizado de precisión de piezas aeronáuticas.", "lang": "es", "nace": ["30.30"], "location": {"lat": 41.6561, "lon": -0.8773, "place": "Zaragoza", "code": "50297"}, "region": "ES-AR", "published": "2026-10-01", "deadline": "2027-03-15"}"#,
        "\n",
        r#"{"id": "es-2", "source": "arex", "kind": "business_offer", "title": "Taller de Utebo ofrece capacidad de mecanizado aeronáutico", "description": "Taller con fresado de cinco ejes. Busca clientes en Francia.", "lang": "es", "nace": ["25.62"], "location": {"lat": 41.7141, "lon": -1.0, "place": "Utebo", "code": "50272"}, "region": "ES-AR", "published": "2026-10-01", "deadline": "2027-03-15"}"#,
        "\n",
        r#"{"id": "es-3", "source": "ader", "kind": "business_request", "title": "Bodega riojana busca depósitos de acero inoxidable", "description": "Bodega familiar. Necesita depósitos de acero inoxidable con camisa de frío.", "lang": "es", "nace": ["11.02"], "location": {"lat": 42.4667, "lon": -2.45, "place": "Logroño", "code": "26089"}, "region": "ES-RI", "published": "2026-10-01", "deadline": "2027-02-28"}"#,
        "\n",
        r#"{"id": "es-4", "source": "arex", "kind": "business_request", "title": "Distribuidor gourmet busca conservas de pato y foie gras", "description": "Distribuidor de delicatessen. Quiere incorporar foie gras y magret de pato.", "lang": "es", "nace": ["46.39"], "location": {"lat": 41.6561, "lon": -0.8773, "place": "Zaragoza", "code": "50297"}, "region": "ES-AR", "published": "2026-10-01", "deadline": "2027-03-31"}"#,
        "\n",
        r#"{"id": "es-5", "source": "ader", "kind": "business_request", "title": "Restaurante busca proveedor de foie gras", "description": "Restaurante de Ezcaray. Necesita foie gras de pato.", "lang": "es", "location": {"lat": 42.3256, "lon": -3.0133, "place": "Ezcaray", "code": "26061"}, "region": "ES-RI", "published": "2026-09-01", "deadline": "2026-10-31"}"#,
        "\n",
        r#"{"id": "es-6", "source": "arex", "kind": "technology_request", "title": "Hospital busca programa de gestión de citas", "description": "Hospital privado. Necesita un programa informático en la nube.", "lang": "es", "nace": ["86.10"], "location": {"lat": 41.6561, "lon": -0.8773, "place": "Zaragoza", "code": "50297"}, "region": "ES-AR", "published": "2026-10-01", "deadline": "2027-03-31"}"#,
        "\n"
    );

    pub(crate) const JUDGMENTS: &str = "company_id\topportunity_id\tgrade\n\
        fr-usinage\tes-1\t3\nfr-usinage\tes-2\t0\n\
        fr-cuves\tes-3\t3\n\
        fr-foie-gras\tes-4\t3\nfr-foie-gras\tes-5\t0\n";

    pub(crate) fn fixture() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("companies.jsonl"), COMPANIES).unwrap();
        std::fs::write(dir.path().join("opportunities.jsonl"), OPPORTUNITIES).unwrap();
        std::fs::write(dir.path().join("judgments.tsv"), JUDGMENTS).unwrap();
        dir
    }

    #[test]
    fn a_tiny_negative_difference_prints_as_zero() {
        assert_eq!(format!("{:+.4}", shown_delta(-0.000_01)), "+0.0000");
        assert_eq!(format!("{:+.4}", shown_delta(-0.0006)), "-0.0006");
        assert_eq!(format!("{:+.4}", shown_delta(0.001_24)), "+0.0012");
    }

    #[test]
    fn the_evaluation_reports_every_system_and_the_ablation() {
        let dir = fixture();
        let dataset = Dataset::load(dir.path()).unwrap();
        assert_eq!(dataset.companies.len(), 3);
        assert_eq!(dataset.opportunities.len(), 6);
        let as_of = Day::parse("2026-12-01").unwrap();
        let report = run(
            dir.path(),
            &dataset,
            as_of,
            pyred_matching::Weights::default(),
            pyred_matching::DistanceMeasure::default(),
            true,
        )
        .unwrap();
        assert_eq!(report.evaluated_companies, 3);
        assert_eq!(report.judged_pairs, 5);
        let pyred = report.system("pyred").unwrap();
        let bm25 = report.system("bm25").unwrap();
        let nace = report.system("nace").unwrap();
        // Each firm's request is its first lead: a perfect ranking.
        assert!((pyred.ndcg - 1.0).abs() < 1e-9, "{report:#?}");
        assert!((pyred.recall - 1.0).abs() < 1e-9);
        // French profiles share no word with Spanish listings: BM25 finds nothing
        // (but accented cognates); NACE alone ranks the same-class competitor.
        assert!(bm25.ndcg < pyred.ndcg);
        assert!(nace.ndcg < pyred.ndcg);
        assert_eq!(report.ablation.len(), Feature::ALL.len());
        let without_liveness = report
            .ablation
            .iter()
            .find(|r| r.without == "deadline")
            .unwrap();
        assert!(without_liveness.ndcg <= pyred.ndcg);
        assert!(render_text(&report).contains("pyred / bm25"));
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["systems"][0]["system"], "pyred");
    }

    #[test]
    fn nace_only_ranks_by_the_closest_code() {
        let dir = fixture();
        let dataset = Dataset::load(dir.path()).unwrap();
        let rankings = nace_rankings(&dataset, &["fr-usinage"]);
        // 25.62 (same class) first; 30.30 shares only the section.
        assert_eq!(rankings["fr-usinage"][0], "es-2");
    }

    #[test]
    fn an_invalid_line_is_reported_with_its_number() {
        let dir = fixture();
        std::fs::write(
            dir.path().join("opportunities.jsonl"),
            format!("{OPPORTUNITIES}{{\"id\": \"bad\"}}\n"),
        )
        .unwrap();
        let error = Dataset::load(dir.path()).unwrap_err();
        assert!(
            matches!(&error, EvalError::InvalidLine { line: 7, id, .. } if id == "bad"),
            "{error}"
        );
    }

    #[test]
    fn settings_are_read_as_name_and_value() {
        assert_eq!(parse_setting("sector=0.1"), Ok(("sector".to_owned(), 0.1)));
        assert!(parse_setting("sector").is_err());
        assert!(parse_setting("sector=x").is_err());
    }
}
