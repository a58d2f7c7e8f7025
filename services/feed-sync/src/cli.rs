//! The `sync` command shared by `pyred sync` and `pyred-feed-sync sync`: one run over a
//! file, directory, zip or URL, or `--follow` to keep polling a URL.
//!
//! Messages are in French (advisers run it); the summary counts every entry.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use pyred_runtime::client::Connector;
use pyred_runtime::config::parse_interval;
use tokio_util::sync::CancellationToken;

use crate::fetch::{FetchOptions, Fetcher, Validators};
use crate::source::SourceSpec;
use crate::sync::{Format, Summary, SyncConfig, Syncer, write_rejects};

/// The feed format argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    /// PLACSP ATOM pages (CODICE).
    Placsp,
    /// TED eForms notices.
    Ted,
}

/// `sync placsp|ted SOURCE`.
#[derive(Debug, Clone, clap::Args)]
pub struct SyncArgs {
    /// The feed format.
    #[arg(value_enum)]
    pub format: FormatArg,
    /// A file, a directory, a `.zip` of `.atom`/`.xml` files, or an `https://` URL.
    pub source: String,
    /// Keep polling the URL until stopped (Ctrl-C).
    #[arg(long)]
    pub follow: bool,
    /// Time between polls with --follow: `90s`, `15m`, `1h`.
    #[arg(long, default_value = "15m")]
    pub every: String,
    /// Registry source of the listings (default: `placsp` or `ted`).
    #[arg(long = "as", value_name = "SOURCE")]
    pub publisher: Option<String>,
    /// Leave minor contracts (contratos menores) out.
    #[arg(long)]
    pub exclude_minor: bool,
    /// NUTS prefixes of the territory, comma-separated (default:
    /// ES24,ES241,ES242,ES243,ES23,ES230,FRJ24,FR623); e.g. `ES243` for Zaragoza only.
    #[arg(long, value_delimiter = ',')]
    pub territory: Vec<String>,
    /// Most pages one walk of a URL follows back.
    #[arg(long, default_value_t = 200)]
    pub max_pages: usize,
    /// Where to write rejected entries (TSV); default ./NAME.rejects.tsv in the working
    /// directory (NAME: the file or directory name; the source name for a URL).
    #[arg(long, value_name = "PATH")]
    pub rejects: Option<PathBuf>,
}

impl SyncArgs {
    /// The sync configuration the flags describe.
    pub fn config(&self) -> SyncConfig {
        let format = match self.format {
            FormatArg::Placsp => Format::Placsp,
            FormatArg::Ted => Format::Ted,
        };
        let mut config = SyncConfig::new(format);
        if let Some(source) = &self.publisher {
            config.source.clone_from(source);
        }
        config.include_minor = !self.exclude_minor;
        config.max_pages = self.max_pages.max(1);
        if !self.territory.is_empty() {
            config.territory = territory(&self.territory);
        }
        config
    }
}

/// A territory of NUTS prefixes, with the postal-code prefixes of the provinces they
/// cover.
pub fn territory(prefixes: &[String]) -> pyred_feeds::Territory {
    const POSTAL: &[(&str, &str, &str)] = &[
        ("ES241", "ES", "22"),
        ("ES242", "ES", "44"),
        ("ES243", "ES", "50"),
        ("ES230", "ES", "26"),
        ("FRJ24", "FR", "32"),
        ("FR623", "FR", "32"),
    ];
    let nuts: Vec<String> = prefixes
        .iter()
        .map(|p| p.trim().to_ascii_uppercase())
        .filter(|p| !p.is_empty())
        .collect();
    let mut postal = Vec::new();
    for (nuts3, country, prefix) in POSTAL {
        let covered = nuts.iter().any(|p| nuts3.starts_with(p.as_str()));
        let pair = ((*country).to_owned(), (*prefix).to_owned());
        if covered && !postal.contains(&pair) {
            postal.push(pair);
        }
    }
    pyred_feeds::Territory {
        nuts_prefixes: nuts,
        postal_prefixes: postal,
    }
}

/// Runs the command: 0 when everything went in, 1 when entries were rejected, 2 when
/// the sync could not run.
pub async fn run(args: &SyncArgs, connector: &Connector, registry_url: &str) -> ExitCode {
    const CANNOT_RUN: u8 = 2;
    let spec = match SourceSpec::parse(&args.source) {
        Ok(spec) => spec,
        Err(error) => {
            eprintln!("pyred: {error}");
            return ExitCode::from(CANNOT_RUN);
        }
    };
    let Some(every) = parse_interval(&args.every) else {
        eprintln!("pyred: --every: une durée d'au moins 10 secondes est attendue (90s, 15m, 1h)");
        return ExitCode::from(CANNOT_RUN);
    };
    if args.follow && !spec.is_url() {
        eprintln!("pyred: --follow suit une adresse https://, pas un fichier ni un dossier");
        return ExitCode::from(CANNOT_RUN);
    }
    let channel = match connector.channel(registry_url) {
        Ok(channel) => channel,
        Err(error) => {
            eprintln!("pyred: {error}");
            return ExitCode::from(CANNOT_RUN);
        }
    };
    if let Err(reason) =
        pyred_runtime::client::is_serving(&channel, pyred_proto::service_names::COMPANY_REGISTRY)
            .await
    {
        eprintln!("pyred: le registre {registry_url} ne répond pas ({reason}) ; lancez `pyred up`");
        return ExitCode::from(CANNOT_RUN);
    }
    // Documents read, on stderr when it is a terminal (hidden otherwise, and when
    // following: each poll prints its own summary line).
    let progress = if args.follow {
        ProgressBar::hidden()
    } else {
        ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
            ProgressStyle::with_template("{spinner} sync : {pos} documents lus ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        )
    };
    let syncer = Syncer::new(channel, args.config()).with_progress(progress.clone());
    // Rejects go to the working directory: a source directory may be read-only or shared.
    let rejects_path = args.rejects.clone().unwrap_or_else(|| match &spec {
        SourceSpec::Url(_) => PathBuf::from(format!("{}.rejects.tsv", syncer.config().source)),
        SourceSpec::File(p) | SourceSpec::Dir(p) | SourceSpec::Zip(p) => {
            let base = p
                .file_name()
                .map_or_else(|| "sync".into(), std::ffi::OsStr::to_os_string);
            let mut name = base;
            name.push(".rejects.tsv");
            PathBuf::from(name)
        }
    });
    let mut total = Summary::default();
    let outcome = match &spec {
        SourceSpec::Url(url) => {
            let fetcher = match Fetcher::new(FetchOptions::default()) {
                Ok(fetcher) => fetcher,
                Err(error) => {
                    eprintln!("pyred: {error}");
                    return ExitCode::from(CANNOT_RUN);
                }
            };
            let stop = CancellationToken::new();
            if args.follow {
                let token = stop.clone();
                tokio::spawn(async move {
                    pyred_runtime::server::shutdown_signal().await;
                    token.cancel();
                });
            }
            poll(
                &syncer,
                &fetcher,
                url,
                args.follow,
                every,
                &stop,
                &mut total,
            )
            .await
        }
        local => match syncer.sync_local(local).await {
            Ok(summary) => {
                total.absorb(summary);
                Ok(())
            }
            Err(error) => Err(error),
        },
    };
    progress.finish_and_clear();
    println!("{}", total.line());
    if !total.rejects.is_empty() {
        match write_rejects(&rejects_path, &total.rejects) {
            Ok(()) => println!("Rejets : {}", rejects_path.display()),
            Err(error) => eprintln!("pyred: {}: {error}", rejects_path.display()),
        }
    }
    if let Some(cursor) = &total.cursor {
        println!("Curseur du flux : {cursor}");
    }
    match outcome {
        Err(error) => {
            eprintln!("pyred: synchronisation interrompue : {error} (relancer est sans risque)");
            ExitCode::from(CANNOT_RUN)
        }
        Ok(()) if total.rejected > 0 || total.failed_documents > 0 => ExitCode::FAILURE,
        Ok(()) => ExitCode::SUCCESS,
    }
}

async fn poll(
    syncer: &Syncer,
    fetcher: &Fetcher,
    url: &str,
    follow: bool,
    every: Duration,
    stop: &CancellationToken,
    total: &mut Summary,
) -> Result<(), crate::sync::SyncError> {
    let mut validators: Option<Validators> = None;
    loop {
        let outcome = tokio::select! {
            () = stop.cancelled() => return Ok(()),
            outcome = syncer.sync_url(fetcher, url, validators.as_ref()) => outcome,
        };
        match outcome {
            Ok((summary, next)) => {
                validators = next;
                if follow {
                    println!("{}", summary.line());
                }
                total.absorb(summary);
            }
            Err(error) if follow => eprintln!("pyred: {error} ; nouvel essai au prochain passage"),
            Err(error) => return Err(error),
        }
        if !follow {
            return Ok(());
        }
        tokio::select! {
            () = stop.cancelled() => return Ok(()),
            () = tokio::time::sleep(every) => {}
        }
    }
}
