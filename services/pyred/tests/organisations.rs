//! Organisations over real gRPC against a stack on free ports: `pyred orgs create / list
//! / update` and `pyred keys create --organisation` through the binary, then the
//! adviser's key introspected with the service token (as geo-search and matchmaking do)
//! carries its organisation and the organisation's territory.

use std::process::{Command, Output};
use std::time::Duration;

use pyred::stack::{self, RunningStack};
use pyred_proto::v1 as pb;
use pyred_proto::v1::access_client::AccessClient;
use pyred_runtime::Settings;

const PYRED: &str = env!("CARGO_BIN_EXE_pyred");

fn settings(data_dir: &std::path::Path) -> Settings {
    let mut settings = Settings::with_data_dir(data_dir).expect("default settings");
    settings.registry.port = 0;
    settings.geo_search.port = 0;
    settings.matchmaking.port = 0;
    settings.registry.metrics_port = 0;
    settings.geo_search.metrics_port = 0;
    settings.matchmaking.metrics_port = 0;
    settings.gateway.port = 0;
    settings.server.shutdown_grace_secs = 2;
    settings
}

/// A stack serving from a fresh data directory, its stack file written.
async fn spawn_stack() -> (RunningStack, tempfile::TempDir) {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let running = stack::start(settings(data_dir.path()))
        .await
        .expect("stack starts");
    running
        .wait_healthy(Duration::from_secs(30))
        .await
        .expect("stack becomes healthy");
    running.publish().expect("stack file written");
    (running, data_dir)
}

/// Runs the binary on the stack's data directory without blocking the runtime.
async fn pyred(data_dir: &std::path::Path, args: &[&str]) -> Output {
    let mut all = vec!["--data-dir".to_owned(), data_dir.display().to_string()];
    all.extend(args.iter().map(|a| (*a).to_owned()));
    tokio::task::spawn_blocking(move || Command::new(PYRED).args(all).output().expect("pyred runs"))
        .await
        .expect("pyred finishes")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_advisers_organisation_reaches_introspection_over_grpc() {
    let (running, data_dir) = spawn_stack().await;
    let dir = data_dir.path();

    let created = pyred(
        dir,
        &[
            "orgs",
            "create",
            "--id",
            "arex",
            "--name",
            "Aragón Exterior",
            "--country",
            "es",
            "--territory",
            "ES-AR",
            "--source",
            "arex",
        ],
    )
    .await;
    assert!(created.status.success(), "{}", stderr(&created));
    assert!(
        stdout(&created).contains("version 1"),
        "{}",
        stdout(&created)
    );

    let refused = pyred(
        dir,
        &[
            "orgs",
            "create",
            "--id",
            "-bad",
            "--name",
            "X",
            "--country",
            "DE",
            "--territory",
            "ES-AR",
        ],
    )
    .await;
    assert!(!refused.status.success());
    let reasons = stderr(&refused);
    assert!(
        reasons.contains("--id") && reasons.contains("--country"),
        "{reasons}"
    );

    let updated = pyred(
        dir,
        &[
            "orgs",
            "update",
            "--id",
            "arex",
            "--name",
            "Aragón Exterior (AREX)",
            "--country",
            "ES",
            "--territory",
            "ES-AR",
            "--source",
            "arex",
            "--version",
            "1",
        ],
    )
    .await;
    assert!(updated.status.success(), "{}", stderr(&updated));
    let stale = pyred(
        dir,
        &[
            "orgs",
            "update",
            "--id",
            "arex",
            "--name",
            "Lost",
            "--country",
            "ES",
            "--territory",
            "ES-AR",
            "--version",
            "1",
        ],
    )
    .await;
    assert!(!stale.status.success(), "a stale version is refused");
    let listed = pyred(dir, &["orgs", "list"]).await;
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert!(
        stdout(&listed).contains("Aragón Exterior (AREX)"),
        "{}",
        stdout(&listed)
    );

    let key = pyred(
        dir,
        &[
            "keys",
            "create",
            "--role",
            "adviser",
            "--name",
            "AREX — Lucía",
            "--organisation",
            "arex",
        ],
    )
    .await;
    assert!(key.status.success(), "{}", stderr(&key));
    let printed = stdout(&key);
    assert!(printed.contains("arex:ES-AR"), "{printed}");
    let secret = printed
        .lines()
        .find(|line| line.starts_with("pyred_"))
        .expect("the key is printed once")
        .trim()
        .to_owned();

    let wrong = pyred(
        dir,
        &[
            "keys",
            "create",
            "--role",
            "adviser",
            "--organisation",
            "arex",
            "--territory",
            "FR-32",
        ],
    )
    .await;
    assert!(!wrong.status.success());
    assert!(stderr(&wrong).contains("--territory"), "{}", stderr(&wrong));

    // Introspection, as every other service resolves a key.
    let service = pyred_runtime::client::Connector::for_service(&settings(dir))
        .expect("service connector")
        .channel(&running.addresses.registry)
        .expect("registry address");
    let holder = AccessClient::new(service)
        .authenticate(pb::AuthenticateRequest {
            key: secret.clone(),
        })
        .await
        .expect("introspected")
        .into_inner()
        .key
        .expect("described");
    assert_eq!(holder.organisation, "arex");
    assert_eq!(holder.territory, ["ES-AR"]);
    let caller = pyred_access::Caller::from_pb(&holder).expect("a known role");
    assert_eq!(caller.organisation, "arex");

    // The adviser lists the directory but may not write it.
    let adviser = running
        .connector()
        .with_key(&pyred_runtime::Secret::new(secret))
        .expect("adviser connector")
        .channel(&running.addresses.registry)
        .expect("registry address");
    let mut as_adviser = AccessClient::new(adviser);
    let directory = as_adviser
        .list_organisations(pb::ListOrganisationsRequest {})
        .await
        .expect("an adviser lists organisations")
        .into_inner();
    assert_eq!(directory.organisations.len(), 1);
    let denied = as_adviser
        .create_organisation(pb::CreateOrganisationRequest {
            organisation: Some(pb::Organisation {
                id: "ader".into(),
                ..Default::default()
            }),
        })
        .await
        .expect_err("advisers do not write");
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);

    running.stop().await.expect("stack stops");
}
