//! The `pyred` binary as a user runs it: a real child process, real signals.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PYRED: &str = env!("CARGO_BIN_EXE_pyred");

#[test]
fn a_bad_setting_stops_start_up_with_one_line_naming_the_key() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let output = Command::new(PYRED)
        .args(["up", "--data-dir"])
        .arg(data_dir.path())
        .env("PYRED__REGISTRY__PORT", "abc")
        .output()
        .expect("pyred runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("registry.port"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn status_without_a_running_stack_says_so() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let output = Command::new(PYRED)
        .args(["status", "--data-dir"])
        .arg(data_dir.path())
        .output()
        .expect("pyred runs");
    assert_eq!(output.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&output.stdout).contains("pyred up"));
}

#[test]
fn up_serves_until_sigterm_then_stops_cleanly() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(PYRED)
        .args(["up", "--data-dir"])
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
    let mut ready = false;
    let mut printed_key = None;
    while started.elapsed() < Duration::from_secs(60) {
        let Some(Ok(line)) = lines.next() else { break };
        ready |= line.contains("Pyred est prêt");
        if ready && line.trim_start().starts_with("pyred_") {
            printed_key = Some(line.trim().to_owned());
            break;
        }
    }
    assert!(ready, "pyred up never said it was ready");
    // The admin key is printed once and kept, private, in the data directory.
    let key_file = data_dir.path().join("admin.key");
    let kept = std::fs::read_to_string(&key_file).expect("admin key kept");
    assert_eq!(printed_key.as_deref(), Some(kept.trim()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file)
            .expect("exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Keys: an admin creates an agency key (shown once), lists it, revokes it.
    let pyred = |args: &[&str]| {
        Command::new(PYRED)
            .args(args)
            .arg("--data-dir")
            .arg(data_dir.path())
            .output()
            .expect("pyred runs")
    };
    let created = pyred(&["keys", "create", "--role", "agency", "--source", "arex"]);
    let created_text = String::from_utf8_lossy(&created.stdout).to_string();
    assert!(created.status.success(), "{created_text}");
    let agency_key = created_text
        .lines()
        .find(|line| line.starts_with("pyred_"))
        .expect("the new key is printed")
        .to_owned();
    let key_id = agency_key.split('_').nth(1).expect("key id").to_owned();
    let listed = String::from_utf8_lossy(&pyred(&["keys", "list"]).stdout).to_string();
    assert!(
        listed.contains(&key_id) && listed.contains("agency"),
        "{listed}"
    );
    assert!(
        !listed.contains(&agency_key),
        "a listed key never shows its secret"
    );
    // The agency key may not manage keys.
    let refused = pyred(&["keys", "list", "--key", &agency_key]);
    assert!(!refused.status.success());
    assert!(pyred(&["keys", "revoke", &key_id]).status.success());
    let bad = pyred(&["keys", "create", "--role", "adviser"]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("--territory"),
        "the missing field is named by its flag"
    );
    // An adviser key with the address and language of the daily digest.
    let adviser = pyred(&[
        "keys",
        "create",
        "--role",
        "adviser",
        "--territory",
        "FR-32",
        "--name",
        "Marie",
        "--email",
        " Marie@CCI-Gers.fr",
        "--language",
        "es",
    ]);
    let adviser_text = String::from_utf8_lossy(&adviser.stdout).to_string();
    assert!(adviser.status.success(), "{adviser_text}");
    let listed = String::from_utf8_lossy(&pyred(&["keys", "list"]).stdout).to_string();
    let marie = listed
        .lines()
        .find(|line| line.contains("Marie"))
        .unwrap_or_else(|| panic!("the adviser key is listed: {listed}"));
    assert!(
        marie.contains("marie@cci-gers.fr") && marie.contains(" es "),
        "address and language columns: {marie}"
    );
    for (flag, value) in [("--email", "marie@"), ("--language", "de")] {
        let bad = pyred(&[
            "keys",
            "create",
            "--role",
            "adviser",
            "--territory",
            "FR-32",
            flag,
            value,
        ]);
        let stderr = String::from_utf8_lossy(&bad.stderr).to_string();
        assert!(!bad.status.success(), "{flag} {value}");
        assert!(stderr.contains(flag), "{flag} named: {stderr}");
    }
    let audit = String::from_utf8_lossy(&pyred(&["audit"]).stdout).to_string();
    assert!(
        audit.contains("RevokeKey") && audit.contains(&format!("key/{key_id}")),
        "{audit}"
    );

    // Another command finds the running stack through the data directory alone.
    let status = Command::new(PYRED)
        .args(["status", "--data-dir"])
        .arg(data_dir.path())
        .output()
        .expect("pyred status runs");
    let report = String::from_utf8_lossy(&status.stdout);
    assert!(status.status.success(), "{report}");
    assert_eq!(report.matches("en service").count(), 3, "{report}");

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let exit = child.wait().expect("pyred up exits");
    assert!(exit.success(), "exit status {exit:?}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(
        rest.iter().any(|line| line.contains("Pyred est arrêté")),
        "{rest:?}"
    );
    assert!(
        !data_dir.path().join("stack.json").exists(),
        "stack file removed"
    );
    for file in ["registry.db", "matchmaking.db"] {
        assert!(data_dir.path().join(file).exists(), "{file} created");
    }
    assert!(
        data_dir.path().join("index/CURRENT").exists(),
        "index created"
    );
}

#[test]
fn search_from_the_terminal_prints_a_table_or_json_and_names_bad_flags() {
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
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("pyred up starts");
    let search = |args: &[&str]| {
        Command::new(PYRED)
            .arg("search")
            .args(args)
            .arg("--data-dir")
            .arg(data_dir.path())
            .output()
            .expect("pyred search runs")
    };
    let query = [
        "usinage aéronautique",
        "--near",
        "Saragosse",
        "--radius",
        "80",
        "--json",
    ];
    // The demo is loaded and indexed shortly after the stack is up.
    let started = Instant::now();
    let body = loop {
        let output = search(&query);
        if output.status.success() {
            let body: serde_json::Value =
                serde_json::from_slice(&output.stdout).expect("JSON on stdout");
            if body["total"].as_i64().unwrap_or_default() > 0 {
                break body;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "no result: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    let items = body["items"].as_array().expect("the API's items");
    assert!(
        items
            .iter()
            .all(|i| i["distance_km"].as_f64().is_some_and(|d| d <= 80.0)),
        "{body}"
    );
    assert!(
        items.iter().any(|i| i["title"]
            .as_str()
            .is_some_and(|t| t.contains("mecanizado"))),
        "{body}"
    );

    // The same search as a table, in Spanish, filtered by kind.
    let table = search(&[
        "usinage aéronautique",
        "--near",
        "Saragosse",
        "--kind",
        "business_offer",
        "--ui",
        "es",
    ]);
    assert!(table.status.success());
    let text = String::from_utf8_lossy(&table.stdout).to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].ends_with("resultados"), "{text}");
    assert!(
        lines[1].contains("Título") && lines[1].contains("Plazo"),
        "{text}"
    );
    assert!(lines.len() > 2, "{text}");
    assert!(
        lines[2..].iter().all(|l| l.contains("Oferta comercial")),
        "only business offers: {text}"
    );

    // Within 5 h of driving from Auch, nearest by road first: the JSON's times are
    // within the limit and in order, and the table shows time and crossing in French.
    let travel = [
        "--travel-from",
        "Auch",
        "--max-minutes",
        "300",
        "--sort",
        "travel-time",
        "--entity",
        "opportunity",
        "--limit",
        "50",
    ];
    let output = search(&[&travel[..], &["--json"][..]].concat());
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let body: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let minutes: Vec<f64> = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            i["travel_minutes"]
                .as_f64()
                .expect("travel_minutes on every hit")
        })
        .collect();
    assert!(!minutes.is_empty(), "{body}");
    assert!(minutes.iter().all(|&m| m <= 300.0), "{minutes:?}");
    assert!(minutes.windows(2).all(|w| w[0] <= w[1]), "{minutes:?}");
    assert!(
        body["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|i| i["crossing"].as_str().is_some_and(|c| !c.is_empty())),
        "some listing is across the Pyrenees: {body}"
    );
    let table = search(&travel);
    assert!(table.status.success());
    let text = String::from_utf8_lossy(&table.stdout).to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[1].contains("Temps de route"), "{text}");
    assert!(
        lines[2..]
            .iter()
            .all(|l| l.contains(" par ") || l.contains("en voiture")),
        "{text}"
    );

    // An unknown place and an unknown kind are named by their flag; exit 2.
    for (args, flag) in [
        (vec!["vin", "--near", "Atlantide"], "--near"),
        (vec!["vin", "--kind", "auction"], "--kind"),
        (vec!["vin", "--travel-from", "Atlantide"], "--travel-from"),
        (
            vec!["vin", "--travel-from", "Auch", "--max-minutes", "0"],
            "--max-minutes",
        ),
        (vec!["vin", "--sort", "travel-time"], "--sort"),
    ] {
        let refused = search(&args);
        assert_eq!(refused.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains(flag), "{args:?}: {stderr}");
    }

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    assert!(child.wait().expect("pyred up exits").success());
}
