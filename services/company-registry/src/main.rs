//! The `company-registry` binary: configuration and signals around [`pyred_registry::Registry`].

use std::process::ExitCode;

fn main() -> ExitCode {
    pyred_runtime::launch::service_main("company-registry", |settings, shutdown| async move {
        let registry = pyred_registry::Registry::build(&settings).await?;
        registry.run_until_stopped(shutdown).await
    })
}
