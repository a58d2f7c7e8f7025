//! Stop-word lists of the French and Spanish analyzers, embedded from `data/`.
//!
//! The lists are the Snowball ones plus the accent-folded spelling of each accented
//! word (see the header of `data/stopwords_*.txt`). They are matched after lowercasing
//! and before stemming.

use std::sync::OnceLock;

use tantivy::tokenizer::StopWordFilter;

use crate::language::Language;

const FRENCH: &str = include_str!("../data/stopwords_fr.txt");
const SPANISH: &str = include_str!("../data/stopwords_es.txt");

fn parse(list: &'static str) -> impl Iterator<Item = &'static str> {
    list.lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim())
        .filter(|word| !word.is_empty())
}

/// The stop words of a language, as written in the embedded list (empty for
/// [`Language::Unknown`], which keeps every word).
pub fn stop_words(language: Language) -> Vec<&'static str> {
    match language {
        Language::Fr => parse(FRENCH).collect(),
        Language::Es => parse(SPANISH).collect(),
        Language::Unknown => Vec::new(),
    }
}

/// Whether `word` (lowercased) is a stop word of `language`.
pub fn is_stop_word(word: &str, language: Language) -> bool {
    let set = match language {
        Language::Fr => french_set(),
        Language::Es => spanish_set(),
        Language::Unknown => return false,
    };
    set.contains(word)
}

fn french_set() -> &'static std::collections::HashSet<&'static str> {
    static SET: OnceLock<std::collections::HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| parse(FRENCH).collect())
}

fn spanish_set() -> &'static std::collections::HashSet<&'static str> {
    static SET: OnceLock<std::collections::HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| parse(SPANISH).collect())
}

/// A tantivy filter removing the stop words of `language` (shared, cheap to clone).
pub(crate) fn stop_word_filter(language: Language) -> Option<StopWordFilter> {
    static FR: OnceLock<StopWordFilter> = OnceLock::new();
    static ES: OnceLock<StopWordFilter> = OnceLock::new();
    let (cell, list) = match language {
        Language::Fr => (&FR, FRENCH),
        Language::Es => (&ES, SPANISH),
        Language::Unknown => return None,
    };
    Some(
        cell.get_or_init(|| StopWordFilter::remove(parse(list).map(str::to_owned)))
            .clone(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_hold_accented_and_folded_spellings() {
        assert!(is_stop_word("à", Language::Fr));
        assert!(is_stop_word("ete", Language::Fr));
        assert!(is_stop_word("está", Language::Es));
        assert!(is_stop_word("esta", Language::Es));
        assert!(!is_stop_word("seria", Language::Es));
        assert!(!is_stop_word("usinage", Language::Fr));
        assert!(stop_words(Language::Fr).len() > 150);
        assert!(stop_words(Language::Es).len() > 300);
    }
}
