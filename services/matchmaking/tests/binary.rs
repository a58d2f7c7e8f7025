//! The `matchmaking` binary as an operator runs it.

use pyred_runtime::testing::{refused_at_start_up, setting_refused_at_start_up};

const BINARY: &str = env!("CARGO_BIN_EXE_matchmaking");

#[test]
fn a_bad_port_stops_start_up_with_one_line_naming_the_key() {
    setting_refused_at_start_up(
        BINARY,
        "PYRED__MATCHMAKING__PORT",
        "abc",
        "matchmaking.port",
    );
}

#[test]
fn a_bad_candidate_setting_stops_start_up_naming_the_key() {
    setting_refused_at_start_up(
        BINARY,
        "PYRED__MATCHMAKING__CANDIDATES__TOP_N",
        "0",
        "matchmaking.candidates.top_n: must be at least 1",
    );
}

#[test]
fn an_unexpected_argument_is_refused() {
    refused_at_start_up(BINARY, &["--nope"], &[], "--nope");
}
