//! `pyred`: run the whole stack locally (`pyred up`) and talk to it (`pyred status`).
//!
//! Messages meant for advisers are in French; errors name the setting or file at fault.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use pyred::stack::{self, StackAddresses};
use pyred_runtime::config::{ConfigSources, Settings};

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
    },
    /// Show whether the stack of this data directory is running and healthy.
    Status,
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
    runtime.block_on(async move {
        match cli.command {
            Command::Up { ready_timeout } => up(settings, Duration::from_secs(ready_timeout)).await,
            Command::Status => status(&settings).await,
        }
    })
}

async fn up(settings: Settings, ready_timeout: Duration) -> ExitCode {
    let telemetry =
        match pyred_runtime::telemetry::init("pyred", &settings.logging, &settings.telemetry) {
            Ok(guard) => guard,
            Err(error) => {
                eprintln!("pyred: {error}");
                return ExitCode::from(2);
            }
        };
    let data_dir = settings.data_dir.clone();
    let outcome = async {
        let running = stack::start(settings).await?;
        if let Err(error) = running.wait_healthy(ready_timeout).await {
            let _stopped = running.stop().await;
            return Err(error);
        }
        running.publish()?;
        print_ready(&running.addresses, &data_dir);
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

fn print_ready(addresses: &StackAddresses, data_dir: &std::path::Path) {
    println!("Pyred est prêt. Services gRPC :");
    for (name, grpc_name, url) in addresses.services() {
        println!("  {name:<17} {url:<26} ({grpc_name})");
    }
    println!("Données : {}", data_dir.display());
    println!("Arrêt : Ctrl-C.");
}

async fn status(settings: &Settings) -> ExitCode {
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
        .zip(stack::health(&addresses).await)
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
