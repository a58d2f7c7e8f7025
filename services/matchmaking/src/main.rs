//! The `matchmaking` binary: configuration and signals around [`pyred_matchmaking::MatchmakingService`].

use std::process::ExitCode;

fn main() -> ExitCode {
    pyred_runtime::launch::service_main("matchmaking", |settings, shutdown| async move {
        let service = pyred_matchmaking::MatchmakingService::build(&settings).await?;
        service.run_until_stopped(shutdown).await
    })
}
