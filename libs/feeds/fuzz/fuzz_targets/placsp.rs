//! Fuzz the PLACSP page parser: any input must give a page or an error, never a panic,
//! within the default limits. Run with `cargo +nightly fuzz run placsp` from
//! `libs/feeds/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = pyred_feeds::placsp::parse_page(data, &pyred_feeds::Limits::default());
});
