//! The `geo-search` binary: configuration and signals around [`pyred_geo_search::GeoSearchService`].

use std::process::ExitCode;

fn main() -> ExitCode {
    pyred_runtime::launch::service_main("geo-search", |settings, shutdown| async move {
        let service = pyred_geo_search::GeoSearchService::build(&settings).await?;
        service.run_until_stopped(shutdown).await
    })
}
