//! The `matchmaking` binary as an operator runs it.

use std::process::Command;

const BINARY: &str = env!("CARGO_BIN_EXE_matchmaking");

#[test]
fn a_bad_port_stops_start_up_with_one_line_naming_the_key() {
    let output = Command::new(BINARY)
        .env("PYRED__MATCHMAKING__PORT", "abc")
        .output()
        .expect("binary runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("matchmaking.port"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_bad_candidate_setting_stops_start_up_naming_the_key() {
    let output = Command::new(BINARY)
        .env("PYRED__MATCHMAKING__CANDIDATES__TOP_N", "0")
        .output()
        .expect("binary runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("matchmaking.candidates.top_n: must be at least 1"),
        "{stderr}"
    );
}

#[test]
fn an_unexpected_argument_is_refused() {
    let output = Command::new(BINARY)
        .arg("--nope")
        .output()
        .expect("binary runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--nope"));
}
