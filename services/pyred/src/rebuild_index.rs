//! `pyred rebuild-index`: asks the running geo-search to rebuild its index from the
//! registry's change feed (sequence 0) into a fresh generation, which it swaps in once
//! caught up; searches keep being answered meanwhile. Waits unless `--no-wait`, with a
//! progress bar of the sequence numbers replayed when stderr is a terminal.

use std::process::ExitCode;
use std::time::Duration;

use pyred::stack::StackAddresses;
use pyred_proto::v1::geo_search_client::GeoSearchClient;
use pyred_proto::v1::{self as pb};
use pyred_runtime::Settings;
use pyred_runtime::client;

/// Arguments of `pyred rebuild-index`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Return as soon as the rebuild has started.
    #[arg(long)]
    no_wait: bool,
}

/// Exit status when geo-search cannot be reached or refuses.
const UNREACHABLE: u8 = 2;

/// Runs the subcommand: 0 when the rebuilt index is in service (or started, with
/// `--no-wait`), 1 when the rebuild was abandoned, 2 when geo-search cannot be reached.
pub async fn command(settings: &Settings, connector: &client::Connector, args: &Args) -> ExitCode {
    let url = match StackAddresses::read(&settings.data_dir) {
        Ok(Some(addresses)) => addresses.geo_search,
        Ok(None) => settings.geo_search.url.clone(),
        Err(error) => {
            eprintln!("pyred: {error}");
            return ExitCode::from(UNREACHABLE);
        }
    };
    let channel = match connector.channel(&url) {
        Ok(channel) => channel,
        Err(error) => {
            eprintln!("pyred: {error}");
            return ExitCode::from(UNREACHABLE);
        }
    };
    let mut geo = GeoSearchClient::new(channel);
    let before = match geo.get_index_status(pb::GetIndexStatusRequest {}).await {
        Ok(status) => status.into_inner(),
        Err(status) => {
            eprintln!(
                "pyred: geo-search ({url}) ne répond pas : {}",
                status.message()
            );
            return ExitCode::from(UNREACHABLE);
        }
    };
    let started = match geo.rebuild_index(pb::RebuildIndexRequest {}).await {
        Ok(status) => status.into_inner(),
        Err(status) => {
            eprintln!(
                "pyred: la reconstruction n'a pas démarré : {}",
                status.message()
            );
            return ExitCode::from(UNREACHABLE);
        }
    };
    println!(
        "Reconstruction de l'index de recherche lancée (génération {} en service, {} documents) ; les recherches continuent pendant ce temps.",
        before.generation, before.documents
    );
    if args.no_wait || !started.rebuilding {
        return ExitCode::SUCCESS;
    }
    let progress = pyred::progress::sequence(before.registry_seq.max(0).unsigned_abs());
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let status = match geo.get_index_status(pb::GetIndexStatusRequest {}).await {
            Ok(status) => status.into_inner(),
            Err(status) => {
                eprintln!("pyred: geo-search ne répond plus : {}", status.message());
                return ExitCode::from(UNREACHABLE);
            }
        };
        if status.generation > before.generation {
            progress.finish_and_clear();
            println!(
                "Index reconstruit et en service : génération {}, {} documents, à jour de la séquence {}.",
                status.generation, status.documents, status.applied_seq
            );
            return ExitCode::SUCCESS;
        }
        if !status.rebuilding {
            progress.finish_and_clear();
            eprintln!("pyred: la reconstruction a été abandonnée (voir le journal de geo-search)");
            return ExitCode::FAILURE;
        }
        progress.set_length(status.registry_seq.max(0).unsigned_abs());
        progress.set_position(status.rebuild_seq.max(0).unsigned_abs());
    }
}
