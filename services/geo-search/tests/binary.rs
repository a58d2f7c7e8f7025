//! The `geo-search` binary as an operator runs it.

use pyred_runtime::testing::{refused_at_start_up, setting_refused_at_start_up};

const BINARY: &str = env!("CARGO_BIN_EXE_geo-search");

#[test]
fn a_bad_port_stops_start_up_with_one_line_naming_the_key() {
    setting_refused_at_start_up(BINARY, "PYRED__GEO_SEARCH__PORT", "abc", "geo_search.port");
}

#[test]
fn an_unexpected_argument_is_refused() {
    refused_at_start_up(BINARY, &["--nope"], &[], "--nope");
}
