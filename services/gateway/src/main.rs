//! The `gateway` binary: the console and the JSON API in front of the services named by
//! `registry.url`, `geo_search.url` and `matchmaking.url`, configured by the shared
//! `[gateway]` section (port, session lifetime, session database and secret).

use std::process::ExitCode;

use pyred_gateway::{Gateway, UpstreamUrls};

fn main() -> ExitCode {
    pyred_runtime::launch::service_main("gateway", |settings, shutdown| async move {
        let gateway = Gateway::build(&settings, &UpstreamUrls::from_settings(&settings))
            .await
            .map_err(|e| e.to_string())?;
        gateway
            .run_until_stopped(shutdown)
            .await
            .map_err(|e| e.to_string())
    })
}
