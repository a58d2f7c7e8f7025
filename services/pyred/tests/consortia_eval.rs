//! `pyred eval --consortia` on a tiny committed fixture (`tests/fixtures/consortia`):
//! one two-part tender whose relevant firms are a builder and a translator, a
//! redundant second builder, and a tender without relevant firm (not counted).

#![allow(clippy::unwrap_used, missing_docs)]

use std::path::Path;
use std::process::Command;

use pyred::eval::{Dataset, consortia_report, render_consortia};

const PYRED: &str = env!("CARGO_BIN_EXE_pyred");

fn fixture() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/consortia"
    ))
}

#[test]
fn the_best_consortium_takes_the_complementary_firms() {
    let dataset = Dataset::load(fixture()).unwrap();
    let judgments = dataset.judgments.as_ref().unwrap();
    let as_of = pyred_domain::Day::parse("2026-12-01").unwrap();
    let report = consortia_report(fixture(), &dataset, judgments, as_of).unwrap();
    assert_eq!(
        report.tenders, 1,
        "pcsp-t2 has no relevant firm; arex-r1 is no tender"
    );
    assert_eq!(report.proposed, 1);
    let tender = &report.per_tender[0];
    assert_eq!(tender.tender, "pcsp-t1");
    let mut members = tender.members.clone();
    members.sort();
    assert_eq!(members, vec!["es-traduccion", "fr-bati"]);
    assert_eq!(report.recall, 1.0);
    assert_eq!(report.hit_rate, 1.0);
    assert!(report.baseline_recall <= report.recall);
    assert_eq!(report.wins + report.losses + report.ties, 1);
    let text = render_consortia(&report);
    assert!(text.contains("best consortium"), "{text}");
    assert!(text.contains("top-k one by one"), "{text}");
}

#[test]
fn the_command_prints_the_figures() {
    // The binary sets up its data directory (TLS material) in the working directory.
    let cwd = tempfile::tempdir().unwrap();
    let output = Command::new(PYRED)
        .current_dir(cwd.path())
        .args(["eval", "--consortia", "--as-of", "2026-12-01"])
        .arg(fixture())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("judged tenders with a relevant firm: 1"),
        "{stdout}"
    );
    assert!(
        stdout.contains("best consortium                1.0000    1.0000"),
        "{stdout}"
    );
}
