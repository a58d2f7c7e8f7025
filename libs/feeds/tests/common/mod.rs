//! Shared helpers for the integration tests: read a sample by its path under
//! `tests/data/` (resolved from the crate directory, not the working directory).

#![allow(dead_code)]

use std::path::PathBuf;

/// The absolute path of a sample.
pub fn path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

/// The bytes of a sample.
pub fn read(rel: &str) -> Vec<u8> {
    std::fs::read(path(rel)).unwrap_or_else(|e| panic!("reading {rel}: {e}"))
}

/// Every file of a sample folder, sorted by name.
pub fn files(dir: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(path(dir))
        .unwrap_or_else(|e| panic!("listing {dir}: {e}"))
        .map(|e| e.map(|e| e.path()).unwrap_or_else(|e| panic!("{dir}: {e}")))
        .collect();
    out.sort();
    out
}
