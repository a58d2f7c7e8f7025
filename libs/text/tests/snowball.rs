//! Snowball's reference vocabularies, reproduced exactly by the stemmer the analyzers
//! use (tantivy's `Stemmer`, backed by `frostem`).
//!
//! Each word is fed as a single token (`pyred_text::stem`: no tokenizer, no stop
//! words, no folding), because Snowball's lists hold words with apostrophes
//! (`aujourd'hui`) that the analyzers would split. Data: `tests/data/snowball/`
//! (snowballstem/snowball-data, BSD-3-Clause, see `COPYING` there).

use std::path::PathBuf;

use pyred_text::{Language, stem};

fn data(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/snowball")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn check(language: Language, vocabulary: &str, output: &str) {
    let words = data(vocabulary);
    let stems = data(output);
    let words: Vec<&str> = words.lines().collect();
    let stems: Vec<&str> = stems.lines().collect();
    assert_eq!(
        words.len(),
        stems.len(),
        "{vocabulary} and {output} differ in length"
    );
    assert!(
        words.len() > 20_000,
        "vocabulary too small: {}",
        words.len()
    );
    let mismatches: Vec<String> = words
        .iter()
        .zip(&stems)
        .filter_map(|(word, expected)| {
            let got = stem(word, language);
            (got != *expected).then(|| format!("{word}: expected {expected}, got {got}"))
        })
        .collect();
    assert!(
        mismatches.is_empty(),
        "{} of {} {language} words differ from Snowball, first: {:?}",
        mismatches.len(),
        words.len(),
        &mismatches[..mismatches.len().min(10)]
    );
}

#[test]
fn french_reference_vocabulary() {
    check(Language::Fr, "french-voc.txt", "french-output.txt");
}

#[test]
fn spanish_reference_vocabulary() {
    check(Language::Es, "spanish-voc.txt", "spanish-output.txt");
}
