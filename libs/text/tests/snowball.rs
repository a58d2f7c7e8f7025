//! Snowball's reference vocabularies, reproduced exactly by the stemmer the analyzers
//! use (`frostem`), and the analyzers' exceptions (false friends) differing from it only
//! on the words of their table.
//!
//! Each word is fed as a single token (`pyred_text::snowball_stem`: no tokenizer, no stop
//! words, no folding), because Snowball's lists hold words with apostrophes
//! (`aujourd'hui`) that the analyzers would split. Data: `tests/data/snowball/`
//! (snowballstem/snowball-data, BSD-3-Clause, see `COPYING` there).

use std::path::PathBuf;

use pyred_text::{Language, snowball_stem, stem, stem_exceptions};

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
            let got = snowball_stem(word, language);
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

/// Outside the exceptions table (a word, or its plural), the analyzers' stem is
/// Snowball's; on a table word it is the table's.
fn check_exceptions(language: Language, vocabulary: &str) {
    let words = data(vocabulary);
    let table: Vec<_> = stem_exceptions()
        .iter()
        .filter(|e| e.language == language)
        .collect();
    assert!(!table.is_empty(), "no {language} exceptions");
    let covered = |word: &str| {
        let folded = pyred_text::fold(word);
        table.iter().any(|e| {
            let key = pyred_text::fold(&e.word);
            folded == key
                || folded.strip_suffix(['s', 'x']) == Some(key.as_str())
                || folded.strip_suffix("es") == Some(key.as_str())
        })
    };
    let mut changed = 0;
    for word in words.lines() {
        let ours = stem(word, language);
        if ours != snowball_stem(word, language) {
            assert!(covered(word), "{word}: {ours} though not in the table");
            changed += 1;
        }
    }
    assert!(changed > 0, "the table changes no {language} word");
    for exception in table {
        assert_eq!(stem(&exception.word, language), exception.stem);
    }
}

#[test]
fn french_exceptions_change_only_their_words() {
    check_exceptions(Language::Fr, "french-voc.txt");
}

#[test]
fn spanish_exceptions_change_only_their_words() {
    check_exceptions(Language::Es, "spanish-voc.txt");
}
