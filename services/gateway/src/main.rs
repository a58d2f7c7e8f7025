//! The `gateway` binary: the console and the JSON API in front of the services named by
//! `registry.url`, `geo_search.url` and `matchmaking.url`.

use std::process::ExitCode;

use pyred_gateway::{Gateway, GatewaySettings, UpstreamUrls};

fn main() -> ExitCode {
    pyred_runtime::launch::service_main("gateway", |settings, shutdown| async move {
        let gateway_settings = GatewaySettings::from_settings(&settings);
        let gateway = Gateway::build(
            &settings,
            &gateway_settings,
            &UpstreamUrls::from_settings(&settings),
        )
        .await
        .map_err(|e| e.to_string())?;
        gateway
            .run_until_stopped(shutdown)
            .await
            .map_err(|e| e.to_string())
    })
}
