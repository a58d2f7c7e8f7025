//! `pyred`: run the whole stack locally (`pyred up`), talk to it (`pyred status`),
//! load JSON Lines files into it (`pyred import companies|opportunities FILE`), and
//! measure or query the matchmaking model (`pyred eval DIR`, `pyred match`), and bring
//! real public-procurement feeds in (`pyred sync placsp|ted SOURCE`).
//!
//! Messages meant for advisers are in French; errors name the setting or file at fault.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use pyred::import::{self, Dataset, DemoOutcome, Importer, Progress};
use pyred::stack::{self, StackAddresses};
use pyred_runtime::config::{ConfigSources, Settings};

mod rebuild_index;

/// Pyred: business matching between Gers and Aragón / La Rioja.
#[derive(Debug, Parser)]
#[command(name = "pyred", version, about)]
struct Cli {
    /// Configuration file (TOML); default: $PYRED_CONFIG, then the built-in defaults.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data directory (SQLite files, search index, stack file); default ./pyred-data.
    #[arg(long, global = true, value_name = "DIR", env = "PYRED_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// API key (`pyred_…`); default: the data directory's admin key written by `pyred up`.
    #[arg(
        long,
        global = true,
        value_name = "KEY",
        env = "PYRED_KEY",
        hide_env_values = true
    )]
    key: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start company-registry, geo-search and matchmaking on localhost until Ctrl-C.
    Up {
        /// Seconds to wait for every service to report SERVING.
        #[arg(long, default_value_t = 60)]
        ready_timeout: u64,
        /// Load a demo data set (invented Gers firms, Spanish and French listings) once
        /// the stack is healthy, when the registry holds no company yet.
        #[arg(long)]
        demo: bool,
    },
    /// Show whether the stack of this data directory is running and healthy.
    Status,
    /// Import a JSON Lines file of companies or opportunities into the running stack.
    Import {
        #[command(subcommand)]
        what: ImportCommand,
    },
    /// Measure the matchmaking model on a judged data set: nDCG@10, recall@10,
    /// BM25 and NACE-only baselines, ablation.
    Eval(pyred::eval::EvalArgs),
    /// The best listings for a firm, or the best firms for a listing, explained.
    Match(pyred::matching::MatchArgs),
    /// Search listings and firms as the console does: `pyred search "QUERY" [--near PLACE
    /// --radius KM] [--kind K] [--region R] [--json]`.
    Search(pyred::search::SearchArgs),
    /// Rebuild the search index from the registry while searches continue.
    RebuildIndex(rebuild_index::Args),
    /// Manage API keys (admin): create, list, rotate, revoke.
    Keys(pyred::admin::KeysArgs),
    /// Manage organisations (admin writes; any key lists): create, list, update.
    Orgs(pyred::admin::OrgsArgs),
    /// Read the audit log of every service (admin).
    Audit(pyred::admin::AuditArgs),
    /// Bring public-procurement notices into the registry: `pyred sync placsp SOURCE`
    /// (PLACSP ATOM pages) or `pyred sync ted SOURCE` (TED eForms), SOURCE being a file,
    /// a directory, a .zip or an https:// feed (`--follow` keeps polling it).
    Sync(pyred_feed_sync::cli::SyncArgs),
}

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// companies.jsonl: firms, all from one publisher.
    Companies {
        /// The JSON Lines file.
        file: PathBuf,
        /// Publisher of the records (`cci-gers`); with each line's `id` it keys the import.
        #[arg(long)]
        source: String,
        /// Where to write the rejected lines; default FILE.rejects.tsv.
        #[arg(long, value_name = "PATH")]
        rejects: Option<PathBuf>,
    },
    /// opportunities.jsonl: listings, each line naming its publisher (`source`).
    Opportunities {
        /// The JSON Lines file.
        file: PathBuf,
        /// Where to write the rejected lines; default FILE.rejects.tsv.
        #[arg(long, value_name = "PATH")]
        rejects: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut settings = match Settings::load(&ConfigSources {
        file: cli.config.clone(),
        env: None,
    }) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("pyred: {error}");
            return ExitCode::from(2);
        }
    };
    if let Some(dir) = &cli.data_dir
        && let Err(error) = settings.set_data_dir(dir)
    {
        eprintln!("pyred: {error}");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("pyred: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let connector = match pyred::credentials::user_connector(
        &settings,
        cli.key.as_deref(),
        settings.server.request_timeout(),
    ) {
        Ok(connector) => connector,
        Err(error) => {
            eprintln!("pyred: {error}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(async move {
        match cli.command {
            Command::Up {
                ready_timeout,
                demo,
            } => up(settings, Duration::from_secs(ready_timeout), demo).await,
            Command::Status => status(&settings, &connector).await,
            Command::Import { what } => import_file(&settings, &connector, what).await,
            Command::Eval(args) => pyred::eval::command(&args).await,
            Command::Match(args) => {
                let (data_dir, registry) = (&settings.data_dir, &settings.registry.url);
                pyred::matching::command(data_dir, registry, &connector, args.options()).await
            }
            Command::Search(args) => match StackAddresses::running_or_configured(&settings) {
                Ok(addresses) => {
                    pyred::search::command(&args, &connector, &addresses.geo_search).await
                }
                Err(error) => {
                    eprintln!("pyred: {error}");
                    ExitCode::from(2)
                }
            },
            Command::RebuildIndex(args) => {
                rebuild_index::command(&settings, &connector, &args).await
            }
            Command::Keys(args) => pyred::admin::keys(&settings, &connector, &args).await,
            Command::Orgs(args) => pyred::admin::orgs(&settings, &connector, &args).await,
            Command::Audit(args) => pyred::admin::audit(&settings, &connector, &args).await,
            Command::Sync(args) => match StackAddresses::running_or_configured(&settings) {
                Ok(addresses) => {
                    pyred_feed_sync::cli::run(&args, &connector, &addresses.registry).await
                }
                Err(error) => {
                    eprintln!("pyred: {error}");
                    ExitCode::from(2)
                }
            },
        }
    })
}

async fn up(settings: Settings, ready_timeout: Duration, demo: bool) -> ExitCode {
    let telemetry =
        match pyred_runtime::telemetry::init("pyred", &settings.logging, &settings.telemetry) {
            Ok(guard) => guard,
            Err(error) => {
                eprintln!("pyred: {error}");
                return ExitCode::from(2);
            }
        };
    let data_dir = settings.data_dir.clone();
    let call_timeout = settings.server.request_timeout();
    let outcome = async {
        let running = stack::start(settings).await?;
        if let Err(error) = running.wait_healthy(ready_timeout).await {
            let _stopped = running.stop().await;
            return Err(error);
        }
        running.publish()?;
        if demo {
            let connector = running.connector().with_timeout(call_timeout);
            load_demo(&connector, &running.addresses.registry).await;
        }
        print_ready(&running.addresses, &data_dir);
        for (name, url) in &running.metrics {
            println!("  métriques {name:<17} {url}");
        }
        if let Some(key) = running.new_admin_key() {
            println!(
                "Clé d'administration créée (affichée une seule fois ; conservée dans {}, mode 0600) :\n  {}",
                pyred::credentials::admin_key_path(&data_dir).display(),
                key.expose()
            );
        }
        let token = running.shutdown_token();
        tokio::spawn(async move {
            pyred_runtime::server::shutdown_signal().await;
            token.cancel();
        });
        running.stopped_or_failed().await;
        println!("Arrêt de Pyred…");
        running.stop().await
    }
    .await;
    telemetry.shutdown().await;
    match outcome {
        Ok(()) => {
            println!("Pyred est arrêté.");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("pyred: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Loads the embedded demo files; a failure is reported but does not stop the stack.
async fn load_demo(connector: &pyred_runtime::client::Connector, registry: &str) {
    match import::load_demo(connector, registry).await {
        Ok(DemoOutcome::AlreadyPopulated) => println!(
            "Démonstration : le registre contient déjà des entreprises, aucune donnée de démonstration n'a été chargée."
        ),
        Ok(DemoOutcome::Loaded {
            companies,
            opportunities,
        }) => {
            println!(
                "Démonstration : {} entreprises du Gers et {} opportunités d'Aragon, de La Rioja et du Gers sont chargées ; les conseillers peuvent maintenant les consulter.",
                companies.accepted(),
                opportunities.accepted()
            );
            for reject in companies.rejects.iter().chain(&opportunities.rejects) {
                eprintln!(
                    "pyred: demo line {} ({}) rejected: {} {}",
                    reject.line, reject.id, reject.field, reject.reason
                );
            }
        }
        Err(error) => eprintln!("pyred: the demo data could not be loaded: {error}"),
    }
}

fn print_ready(addresses: &StackAddresses, data_dir: &std::path::Path) {
    println!("Pyred est prêt. Services gRPC :");
    for (name, grpc_name, url) in addresses.services() {
        println!("  {name:<17} {url:<26} ({grpc_name})");
    }
    if !addresses.console.is_empty() {
        println!("Console des conseillers : {}", addresses.console);
    }
    println!("Données : {}", data_dir.display());
    println!("Arrêt : Ctrl-C.");
}

async fn status(settings: &Settings, connector: &pyred_runtime::client::Connector) -> ExitCode {
    let addresses = match StackAddresses::read(&settings.data_dir) {
        Ok(Some(addresses)) => addresses,
        Ok(None) => {
            println!(
                "Aucun Pyred ne tourne sur {} (lancez `pyred up`).",
                settings.data_dir.display()
            );
            return ExitCode::from(3);
        }
        Err(error) => {
            eprintln!("pyred: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut healthy = true;
    for ((name, _, url), (_, outcome)) in addresses
        .services()
        .into_iter()
        .zip(stack::health(&addresses, connector).await)
    {
        match outcome {
            Ok(()) => println!("  {name:<17} {url:<26} en service"),
            Err(reason) => {
                healthy = false;
                println!("  {name:<17} {url:<26} indisponible : {reason}");
            }
        }
    }
    if healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `pyred import`: exit status 0 when every line went in, 1 when some were rejected,
/// 2 when the import could not run (usage, unreadable file, no registry).
async fn import_file(
    settings: &Settings,
    connector: &pyred_runtime::client::Connector,
    command: ImportCommand,
) -> ExitCode {
    const USAGE_OR_CONNECTION: u8 = 2;
    let (dataset, file, rejects) = match command {
        ImportCommand::Companies {
            file,
            source,
            rejects,
        } => (Dataset::Companies { source }, file, rejects),
        ImportCommand::Opportunities { file, rejects } => (Dataset::Opportunities, file, rejects),
    };
    if let Err(error) = dataset.check() {
        eprintln!("pyred: {error}");
        return ExitCode::from(USAGE_OR_CONNECTION);
    }
    let input = match std::fs::File::open(&file) {
        Ok(input) => std::io::BufReader::new(input),
        Err(error) => {
            eprintln!("pyred: cannot read {}: {error}", file.display());
            return ExitCode::from(USAGE_OR_CONNECTION);
        }
    };
    let data_dir = &settings.data_dir;
    let (url, from_stack_file) = match StackAddresses::read(data_dir) {
        Ok(Some(addresses)) => (addresses.registry, true),
        Ok(None) => (settings.registry.url.clone(), false),
        Err(error) => {
            eprintln!("pyred: {error}");
            return ExitCode::from(USAGE_OR_CONNECTION);
        }
    };
    let importer = match Importer::connect(connector, &url) {
        Ok(importer) => importer.with_progress(Progress::for_stderr()),
        Err(error) => {
            eprintln!("pyred: {error}");
            return ExitCode::from(USAGE_OR_CONNECTION);
        }
    };
    if let Err(error) = importer.check_serving().await {
        if from_stack_file {
            eprintln!(
                "pyred: le Pyred de {} ne répond pas ({error}) ; relancez `pyred up`",
                data_dir.display()
            );
        } else {
            eprintln!(
                "pyred: aucun Pyred ne tourne sur {} (lancez `pyred up`) ; le registre configuré {url} ne répond pas",
                data_dir.display()
            );
        }
        return ExitCode::from(USAGE_OR_CONNECTION);
    }
    let report = match importer
        .import(&dataset, input, &file.display().to_string())
        .await
    {
        Ok(report) => report,
        Err(error) => {
            eprintln!("pyred: import stopped: {error} (re-running the import is safe)");
            return ExitCode::from(USAGE_OR_CONNECTION);
        }
    };
    let rejects = rejects.unwrap_or_else(|| import::default_rejects_path(&file));
    if let Err(error) = import::write_rejects(&rejects, &report.rejects) {
        eprintln!("pyred: {error}");
        println!("{}", report.summary(&rejects));
        return ExitCode::from(USAGE_OR_CONNECTION);
    }
    println!("{}", report.summary(&rejects));
    if report.rejected == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
