//! The `geo-search` binary as an operator runs it.

use std::process::Command;

const BINARY: &str = env!("CARGO_BIN_EXE_geo-search");

#[test]
fn a_bad_port_stops_start_up_with_one_line_naming_the_key() {
    let output = Command::new(BINARY)
        .env("PYRED__GEO_SEARCH__PORT", "abc")
        .output()
        .expect("binary runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("geo_search.port"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
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
