//! `pyred-feed-sync`: the feed follower as its own process for deployments
//! (`pyred-feed-sync follow`, reading `[sync.placsp]` / `[sync.ted]` of the
//! configuration), and the one-off `pyred-feed-sync sync placsp|ted SOURCE`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pyred_feed_sync::cli::{self, SyncArgs};
use pyred_feed_sync::fetch::FetchOptions;
use pyred_feed_sync::follower::{FollowedFeed, Follower};
use pyred_runtime::Secret;
use pyred_runtime::client::Connector;
use pyred_runtime::config::{ConfigSources, Settings};
use tokio_util::sync::CancellationToken;

/// Pyred feed sync: PLACSP and TED notices into the registry.
#[derive(Debug, Parser)]
#[command(name = "pyred-feed-sync", version, about)]
struct Args {
    /// Configuration file (TOML); default: $PYRED_CONFIG, then the built-in defaults.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// API key of a publisher of the feed's source (or an admin).
    #[arg(long, global = true, env = "PYRED_KEY", hide_env_values = true)]
    key: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Follow the configured feeds until stopped (SIGTERM, Ctrl-C).
    Follow,
    /// Sync one source once (or with --follow).
    Sync(SyncArgs),
}

fn main() -> ExitCode {
    let args = Args::parse();
    let settings = match Settings::load(&ConfigSources {
        file: args.config.clone(),
        env: None,
    }) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("pyred-feed-sync: {error}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("pyred-feed-sync: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let mut connector =
            match Connector::from_settings(&settings, settings.server.request_timeout()) {
                Ok(connector) => connector,
                Err(error) => {
                    eprintln!("pyred-feed-sync: {error}");
                    return ExitCode::from(2);
                }
            };
        if let Some(key) = args.key.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            connector = match connector.with_key(&Secret::new(key)) {
                Ok(connector) => connector,
                Err(error) => {
                    eprintln!("pyred-feed-sync: {error}");
                    return ExitCode::from(2);
                }
            };
        }
        match args.command {
            Command::Sync(sync) => cli::run(&sync, &connector, &settings.registry.url).await,
            Command::Follow => follow(&settings, &connector).await,
        }
    })
}

async fn follow(settings: &Settings, connector: &Connector) -> ExitCode {
    let telemetry =
        match pyred_runtime::telemetry::init("feed-sync", &settings.logging, &settings.telemetry) {
            Ok(guard) => guard,
            Err(error) => {
                eprintln!("pyred-feed-sync: {error}");
                return ExitCode::from(2);
            }
        };
    let follower = match Follower::build(
        FollowedFeed::from_settings(settings),
        connector,
        &settings.registry.url,
        &settings.server.host,
        Some(settings.sync.metrics_port),
        FetchOptions::default(),
    )
    .await
    {
        Ok(follower) => follower,
        Err(error) => {
            eprintln!("pyred-feed-sync: {error}");
            return ExitCode::from(2);
        }
    };
    if let Some(address) = follower.metrics_addr() {
        tracing::info!(%address, "feed follower metrics on http://{address}/metrics");
        println!("metrics http://{address}/metrics");
    }
    let stop = CancellationToken::new();
    let token = stop.clone();
    tokio::spawn(async move {
        pyred_runtime::server::shutdown_signal().await;
        token.cancel();
    });
    let result = follower.run_until_stopped(stop).await;
    telemetry.shutdown().await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("pyred-feed-sync: {error}");
            ExitCode::FAILURE
        }
    }
}
