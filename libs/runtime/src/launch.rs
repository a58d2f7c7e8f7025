//! The shared `main` of a service binary: arguments, configuration, telemetry, signals.
//!
//! A configuration error prints one line naming the key and exits with status 2, with no
//! panic and no backtrace; a runtime failure prints one line and exits with status 1.

use std::future::Future;
use std::path::PathBuf;
use std::process::ExitCode;

use tokio_util::sync::CancellationToken;

use crate::config::{ConfigSources, Settings};
use crate::server::shutdown_signal;

/// Reads `--config FILE` (or `--config=FILE`) from the process arguments; any other
/// argument is an error, as is `--help` (which prints usage).
pub fn config_file_from_args(binary: &str) -> Result<Option<PathBuf>, String> {
    let mut args = std::env::args().skip(1);
    let mut file = None;
    while let Some(arg) = args.next() {
        if arg == "--config" {
            file = Some(PathBuf::from(
                args.next().ok_or("--config needs a file path")?,
            ));
        } else if let Some(path) = arg.strip_prefix("--config=") {
            file = Some(PathBuf::from(path));
        } else if arg == "--help" || arg == "-h" {
            return Err(format!(
                "usage: {binary} [--config FILE]\n\
                 configuration: compiled-in defaults, then FILE (or $PYRED_CONFIG), \
                 then PYRED__SECTION__KEY variables"
            ));
        } else {
            return Err(format!(
                "unexpected argument {arg:?} (usage: {binary} [--config FILE])"
            ));
        }
    }
    Ok(file)
}

/// Runs one service: loads the configuration, starts telemetry as `service_name`, calls
/// `run` with the settings and a token cancelled on Ctrl-C/SIGTERM, then flushes traces.
pub fn service_main<F, Fut, E>(service_name: &'static str, run: F) -> ExitCode
where
    F: FnOnce(Settings, CancellationToken) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let file = match config_file_from_args(service_name) {
        Ok(file) => file,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let settings = match Settings::load(&ConfigSources { file, env: None }) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("{service_name}: {error}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("{service_name}: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let telemetry =
            match crate::telemetry::init(service_name, &settings.logging, &settings.telemetry) {
                Ok(guard) => guard,
                Err(error) => {
                    eprintln!("{service_name}: {error}");
                    return ExitCode::from(2);
                }
            };
        let shutdown = CancellationToken::new();
        let trigger = shutdown.clone();
        tokio::spawn(async move {
            shutdown_signal().await;
            trigger.cancel();
        });
        let outcome = run(settings, shutdown).await;
        telemetry.shutdown().await;
        match outcome {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("{service_name}: {error}");
                ExitCode::FAILURE
            }
        }
    })
}
