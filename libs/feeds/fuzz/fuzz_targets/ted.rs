//! Fuzz the TED eForms notice parser: any input must give a notice, a rejection or an
//! error, never a panic. Run with `cargo +nightly fuzz run ted` from `libs/feeds/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = pyred_feeds::ted::parse_notice(data, &pyred_feeds::Limits::default());
});
