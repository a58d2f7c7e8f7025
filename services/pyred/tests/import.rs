//! `pyred import` and `pyred up --demo` against a real stack: in this process (started
//! exactly as `pyred up` starts it, on free ports) for the library, and through the
//! real binary for exit statuses, the summary and the rejects file.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use pyred::import::{self, Dataset, DemoOutcome, Importer};
use pyred::stack::{self, RunningStack};
use pyred_runtime::Settings;

const PYRED: &str = env!("CARGO_BIN_EXE_pyred");

/// A stack serving from a fresh data directory, its stack file written.
async fn spawn_stack() -> (RunningStack, tempfile::TempDir) {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings::with_data_dir(data_dir.path()).expect("default settings");
    settings.registry.port = 0;
    settings.geo_search.port = 0;
    settings.matchmaking.port = 0;
    settings.registry.metrics_port = 0;
    settings.geo_search.metrics_port = 0;
    settings.matchmaking.metrics_port = 0;
    settings.gateway.port = 0;
    settings.server.shutdown_grace_secs = 2;
    let running = stack::start(settings).await.expect("stack starts");
    running
        .wait_healthy(Duration::from_secs(30))
        .await
        .expect("stack becomes healthy");
    running.publish().expect("stack file written");
    (running, data_dir)
}

/// Runs the binary without blocking the runtime that serves the stack.
async fn pyred(args: Vec<String>, envs: Vec<(&'static str, String)>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(PYRED)
            .args(args)
            .envs(envs)
            .output()
            .expect("pyred runs")
    })
    .await
    .expect("pyred finishes")
}

fn path_arg(path: &Path) -> String {
    path.display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_files_import_without_reject_and_a_second_import_changes_nothing() {
    let (running, _data_dir) = spawn_stack().await;
    let url = running.addresses.registry.clone();

    let DemoOutcome::Loaded {
        companies,
        opportunities,
    } = import::load_demo(&running.connector(), &url)
        .await
        .expect("demo loads")
    else {
        panic!("a fresh registry is empty");
    };
    assert_eq!(companies.rejects, [], "demo companies rejected");
    assert_eq!(opportunities.rejects, [], "demo opportunities rejected");
    assert!(companies.lines >= 20, "{companies:?}");
    assert!(opportunities.lines >= 50, "{opportunities:?}");
    assert_eq!(companies.stored.created, companies.lines);
    assert_eq!(opportunities.stored.created, opportunities.lines);

    let importer = Importer::connect(&running.connector(), &url)
        .expect("valid address")
        .with_batch_size(7);
    let again = importer
        .import(
            &Dataset::Companies {
                source: import::DEMO_COMPANY_SOURCE.to_owned(),
            },
            import::DEMO_COMPANIES.as_bytes(),
            "demo companies",
        )
        .await
        .expect("re-import runs");
    assert_eq!(
        (again.stored.unchanged, again.lines),
        (companies.lines, companies.lines)
    );
    let again = importer
        .import(
            &Dataset::Opportunities,
            import::DEMO_OPPORTUNITIES.as_bytes(),
            "demo opportunities",
        )
        .await
        .expect("re-import runs");
    assert_eq!(
        (again.stored.unchanged, again.lines),
        (opportunities.lines, opportunities.lines)
    );

    assert_eq!(
        import::load_demo(&running.connector(), &url)
            .await
            .expect("demo check runs"),
        DemoOutcome::AlreadyPopulated
    );
    running.stop().await.expect("stack stops");
}

/// The first demo firm, whose fields are all valid, with `changes` applied.
fn demo_company(id: &str, changes: &[(&str, serde_json::Value)]) -> String {
    let first = import::DEMO_COMPANIES.lines().next().expect("a demo firm");
    let mut value: serde_json::Value = serde_json::from_str(first).expect("demo JSON");
    value["id"] = id.into();
    value["siret"] = serde_json::Value::Null;
    for (key, new) in changes {
        value[*key] = new.clone();
    }
    value.to_string()
}

/// The first demo listing, with `changes` applied (a `null` value counts as absent).
fn demo_listing(id: &str, changes: &[(&str, serde_json::Value)]) -> String {
    let first = import::DEMO_OPPORTUNITIES
        .lines()
        .next()
        .expect("a demo listing");
    let mut value: serde_json::Value = serde_json::from_str(first).expect("demo JSON");
    value["id"] = id.into();
    for (key, new) in changes {
        value[*key] = new.clone();
    }
    value.to_string()
}

fn rejects_of(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .expect("rejects file written")
        .lines()
        .map(|line| line.split('\t').map(str::to_owned).collect())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_lines_are_rejected_with_their_line_number_and_reason_and_the_rest_imported() {
    use serde_json::json;

    let (running, data_dir) = spawn_stack().await;
    let files = tempfile::tempdir().expect("temp dir");

    // Companies: bad JSON, a SIRET whose checksum fails, a field of the wrong type.
    let companies = files.path().join("companies.jsonl");
    let lines = [
        demo_company("t-good-1", &[("siret", json!("73282932000074"))]),
        "{\"id\": \"t-broken\", \"name\": ".to_owned(),
        demo_company("t-siret", &[("siret", json!("73282932000075"))]),
        String::new(),
        demo_company("t-type", &[("employees", json!("douze"))]),
        demo_company("t-good-2", &[]),
    ];
    std::fs::write(&companies, lines.join("\n")).expect("file written");
    let output = pyred(
        vec![
            "import".into(),
            "companies".into(),
            path_arg(&companies),
            "--source".into(),
            "test-chamber".into(),
            "--data-dir".into(),
            path_arg(data_dir.path()),
        ],
        Vec::new(),
    )
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout} {output:?}");
    assert!(
        stdout.contains(
            "importé : 5 lignes — créées 2, mises à jour 0, inchangées 0, retirées 0, rejetées 3"
        ),
        "{stdout}"
    );
    let rejects_file = files.path().join("companies.jsonl.rejects.tsv");
    assert!(stdout.contains(&path_arg(&rejects_file)), "{stdout}");
    let rows = rejects_of(&rejects_file);
    assert_eq!(rows[0], ["line", "id", "field", "reason"]);
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert_eq!(rows[1][..3], ["2", "", ""]);
    assert!(rows[1][3].starts_with("not valid JSON"), "{rows:?}");
    assert_eq!(rows[2][..3], ["3", "t-siret", "siret"]);
    assert_eq!(rows[2][3], "invalid checksum");
    assert_eq!(
        rows[3],
        [
            "5",
            "t-type",
            "employees",
            "must be an integer, not a string"
        ]
    );

    // Opportunities: a missing title, an unknown municipality code, a wrong type; the
    // good lines of two sources are imported, each in its source's batch.
    let opportunities = files.path().join("listings.jsonl");
    let rejects_file = files.path().join("listings.tsv");
    let lines = [
        demo_listing("t-arex-1", &[]),
        demo_listing("t-untitled", &[("title", json!(null))]),
        demo_listing(
            "t-nowhere",
            &[(
                "location",
                json!({"lat": 41.65, "lon": -0.88, "code": "50999"}),
            )],
        ),
        demo_listing(
            "t-ader-1",
            &[
                ("source", json!("ader")),
                ("region", json!("ES-RI")),
                (
                    "location",
                    json!({"lat": 42.466, "lon": -2.447, "code": "26089"}),
                ),
            ],
        ),
        demo_listing("t-typed", &[("nace", json!("47.29"))]),
    ];
    std::fs::write(&opportunities, lines.join("\r\n")).expect("file written");
    let output = pyred(
        vec![
            "import".into(),
            "opportunities".into(),
            path_arg(&opportunities),
            "--rejects".into(),
            path_arg(&rejects_file),
            "--data-dir".into(),
            path_arg(data_dir.path()),
        ],
        Vec::new(),
    )
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout} {output:?}");
    assert!(stdout.contains("créées 2,"), "{stdout}");
    assert!(stdout.contains("rejetées 3"), "{stdout}");
    let rows = rejects_of(&rejects_file);
    assert_eq!(
        rows[1..],
        [
            vec!["2", "t-untitled", "title", "is required"],
            vec![
                "3",
                "t-nowhere",
                "location.code",
                "unknown commune or municipality code \"50999\""
            ],
            vec![
                "5",
                "t-typed",
                "nace",
                "must be a list of strings, not a string"
            ],
        ]
    );

    // Fixing the file and importing it again leaves no rejects file behind.
    std::fs::write(&opportunities, demo_listing("t-arex-1", &[])).expect("file written");
    let output = pyred(
        vec![
            "import".into(),
            "opportunities".into(),
            path_arg(&opportunities),
            "--rejects".into(),
            path_arg(&rejects_file),
            "--data-dir".into(),
            path_arg(data_dir.path()),
        ],
        Vec::new(),
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(!rejects_file.exists());
    running.stop().await.expect("stack stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_running_stack_the_import_says_to_start_one() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let file = data_dir.path().join("listings.jsonl");
    std::fs::write(&file, demo_listing("t-1", &[])).expect("file written");
    // A port nobody listens on, so that a stack running on the machine is not found.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("free port");
    let output = pyred(
        vec![
            "import".into(),
            "opportunities".into(),
            path_arg(&file),
            "--data-dir".into(),
            path_arg(data_dir.path()),
        ],
        vec![("PYRED__REGISTRY__URL", format!("http://{closed}"))],
    )
    .await;
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("aucun Pyred ne tourne sur"), "{stderr}");
    assert!(stderr.contains("pyred up"), "{stderr}");
}

#[test]
fn up_with_demo_loads_the_demo_once_and_a_re_import_of_it_changes_nothing() {
    use std::io::{BufRead as _, BufReader};
    use std::process::Stdio;
    use std::time::Instant;

    let data_dir = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(PYRED)
        .args(["up", "--demo", "--data-dir"])
        .arg(data_dir.path())
        .env("PYRED__REGISTRY__PORT", "0")
        .env("PYRED__GEO_SEARCH__PORT", "0")
        .env("PYRED__MATCHMAKING__PORT", "0")
        .env("PYRED__REGISTRY__METRICS_PORT", "0")
        .env("PYRED__GEO_SEARCH__METRICS_PORT", "0")
        .env("PYRED__MATCHMAKING__METRICS_PORT", "0")
        .env("PYRED__GATEWAY__PORT", "0")
        .env("PYRED__LOGGING__FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("pyred up starts");
    let stdout = child.stdout.take().expect("stdout piped");
    let mut lines = BufReader::new(stdout).lines();
    let started = Instant::now();
    let mut demo_line = None;
    let mut ready = false;
    while started.elapsed() < Duration::from_secs(60) {
        match lines.next() {
            Some(Ok(line)) if line.starts_with("Démonstration") => demo_line = Some(line),
            Some(Ok(line)) if line.contains("Pyred est prêt") => {
                ready = true;
                break;
            }
            Some(Ok(_)) => {}
            _ => break,
        }
    }
    assert!(ready, "pyred up never said it was ready");
    let demo_line = demo_line.expect("the demo line comes before the ready line");
    let firms = import::DEMO_COMPANIES.lines().count();
    let listings = import::DEMO_OPPORTUNITIES.lines().count();
    assert!(
        demo_line.contains(&format!("{firms} entreprises"))
            && demo_line.contains(&format!("{listings} opportunités"))
            && demo_line.contains("conseillers"),
        "{demo_line}"
    );

    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/companies.jsonl");
    let rejects = data_dir.path().join("demo.rejects.tsv");
    let output = Command::new(PYRED)
        .args([
            "import",
            "companies",
            "--source",
            import::DEMO_COMPANY_SOURCE,
        ])
        .arg(&demo)
        .arg("--rejects")
        .arg(&rejects)
        .arg("--data-dir")
        .arg(data_dir.path())
        .output()
        .expect("pyred import runs");
    let summary = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{summary} {output:?}");
    assert!(
        summary.contains(&format!(
            "importé : {firms} lignes — créées 0, mises à jour 0, inchangées {firms}, retirées 0, rejetées 0"
        )),
        "{summary}"
    );

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let exit = child.wait().expect("pyred up exits");
    assert!(exit.success(), "exit status {exit:?}");
}
