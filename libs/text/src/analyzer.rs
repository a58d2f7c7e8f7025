//! French, Spanish and language-neutral analyzers, for tantivy and for plain Rust.
//!
//! Pipeline of [`ANALYZER_FR`] and [`ANALYZER_ES`]:
//!
//! 1. [`PyredTokenizer`] — split on anything that is not a letter or digit (so on `'`
//!    and `’` too), recompose accents (NFC); the French analyzer also drops elided
//!    `l'`, `d'`, `qu'`, `jusqu'`…;
//! 2. drop tokens longer than [`MAX_TOKEN_BYTES`];
//! 3. lowercase;
//! 4. stop words ([`crate::stopwords`], accented and folded spellings);
//! 5. Snowball stemming — `frostem`, the current Snowball algorithms (reproduces
//!    Snowball's reference vocabularies exactly), with the table of false friends of
//!    [`crate::stemming`] (*seguros* ≠ *seguridad*);
//! 6. ASCII folding (`é` → `e`, `ñ` → `n`, `œ` → `oe`).
//!
//! Folding comes **after** stemming: the Snowball rules are written for accented
//! suffixes (`-ées`, `-ía`, `-ó`), so folding first breaks the word families of
//! correctly accented text (995 French and 692 Spanish Snowball families split, against
//! none); the price is that a word typed without its accents does not always stem like
//! the accented one (77 % do). Listings are written with accents, and the glossary
//! indexes unaccented spellings as well. Measurement in `docs/text.md`.
//!
//! [`ANALYZER_FOLD`] is steps 1–3 and 6 only (no stop words, no stemming): for names,
//! places, codes and typo-tolerant (fuzzy) matching.
//!
//! [`analyze`] and [`analyze_tokens`] run exactly the same pipelines outside tantivy.

use std::cell::RefCell;

use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RawTokenizer, RemoveLongFilter, TextAnalyzer, Token,
    TokenizerManager,
};

use crate::language::Language;
use crate::stemming::PyredStemmer;
use crate::stopwords::stop_word_filter;
use crate::tokenizer::PyredTokenizer;

/// Name under which the French analyzer is registered.
pub const ANALYZER_FR: &str = "pyred_fr";
/// Name under which the Spanish analyzer is registered.
pub const ANALYZER_ES: &str = "pyred_es";
/// Name under which the language-neutral folding analyzer (no stop words, no stemming)
/// is registered.
pub const ANALYZER_FOLD: &str = "pyred_fold";
/// Tokens longer than this (in UTF-8 bytes) are dropped: they are not words.
pub const MAX_TOKEN_BYTES: usize = 40;

/// Registers [`ANALYZER_FR`], [`ANALYZER_ES`] and [`ANALYZER_FOLD`] in a tantivy
/// tokenizer manager (`index.tokenizers()`); registering again replaces them.
pub fn register_analyzers(manager: &TokenizerManager) {
    for language in [Language::Fr, Language::Es, Language::Unknown] {
        manager.register(analyzer_name(language), text_analyzer(language));
    }
}

/// The registered name of the analyzer for `language` ([`ANALYZER_FOLD`] for
/// [`Language::Unknown`]).
pub fn analyzer_name(language: Language) -> &'static str {
    match language {
        Language::Fr => ANALYZER_FR,
        Language::Es => ANALYZER_ES,
        Language::Unknown => ANALYZER_FOLD,
    }
}

/// A new analyzer for `language`; [`Language::Unknown`] gives the folding analyzer.
pub fn text_analyzer(language: Language) -> TextAnalyzer {
    let tokenizer = match language {
        Language::Fr => PyredTokenizer::with_french_elision(),
        // Elided articles only exist in French, but the neutral analyzer also serves
        // French names ("L'Oustal"), so it drops them too.
        Language::Unknown => PyredTokenizer::with_french_elision(),
        Language::Es => PyredTokenizer::new(),
    };
    let (Some(stop), Some(stemmer)) = (stop_word_filter(language), PyredStemmer::new(language))
    else {
        return TextAnalyzer::builder(tokenizer)
            .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .build();
    };
    TextAnalyzer::builder(tokenizer)
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(stop)
        .filter(stemmer)
        .filter(AsciiFoldingFilter)
        .build()
}

/// One token produced by an analyzer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyzedToken {
    /// The normalised term (stemmed and folded for French and Spanish).
    pub text: String,
    /// Byte offset of the word's start in the analysed text.
    pub offset_from: usize,
    /// Byte offset just past the word's end in the analysed text.
    pub offset_to: usize,
    /// Rank of the word in the text, counting the stop words that were dropped.
    pub position: usize,
}

impl From<&Token> for AnalyzedToken {
    fn from(token: &Token) -> Self {
        AnalyzedToken {
            text: token.text.clone(),
            offset_from: token.offset_from,
            offset_to: token.offset_to,
            position: token.position,
        }
    }
}

fn folder() -> TextAnalyzer {
    TextAnalyzer::builder(RawTokenizer::default())
        .filter(AsciiFoldingFilter)
        .build()
}

thread_local! {
    static ANALYZERS: RefCell<Vec<TextAnalyzer>> = RefCell::new(vec![
        text_analyzer(Language::Fr),
        text_analyzer(Language::Es),
        text_analyzer(Language::Unknown),
    ]);
    static FOLDER: RefCell<Vec<TextAnalyzer>> = RefCell::new(vec![folder()]);
}

/// The text of the single token `analyzer` makes of `text` (raw tokenizer pipelines).
fn single(analyzer: &mut TextAnalyzer, text: &str) -> String {
    let mut stream = analyzer.token_stream(text);
    if stream.advance() {
        stream.token().text.clone()
    } else {
        String::new()
    }
}

fn slot(language: Language) -> usize {
    match language {
        Language::Fr => 0,
        Language::Es => 1,
        Language::Unknown => 2,
    }
}

/// Runs `run` with this thread's cached analyzer `slot`, or with a fresh one when the
/// cached one is busy (a sink that analyses again from inside a token callback).
fn with_cached<R>(
    cache: &'static std::thread::LocalKey<RefCell<Vec<TextAnalyzer>>>,
    slot: usize,
    fresh: impl FnOnce() -> TextAnalyzer,
    run: impl FnOnce(&mut TextAnalyzer) -> R,
) -> R {
    cache.with(|cell| match cell.try_borrow_mut() {
        Ok(mut analyzers) => run(&mut analyzers[slot]),
        Err(_) => run(&mut fresh()),
    })
}

/// Runs the analyzer of `language` over `text` and hands each token to `sink` — the
/// cheapest way to consume tokens (no allocation per token).
pub fn for_each_token(text: &str, language: Language, mut sink: impl FnMut(&Token)) {
    with_cached(
        &ANALYZERS,
        slot(language),
        || text_analyzer(language),
        |analyzer| {
            let mut stream = analyzer.token_stream(text);
            while stream.advance() {
                sink(stream.token());
            }
        },
    );
}

/// The terms the analyzer of `language` makes of `text`, in order — what tantivy
/// indexes, for use outside tantivy (scoring, overlap, explanations).
pub fn analyze(text: &str, language: Language) -> Vec<String> {
    let mut out = Vec::new();
    for_each_token(text, language, |token| out.push(token.text.clone()));
    out
}

/// Like [`analyze`], with offsets and positions.
pub fn analyze_tokens(text: &str, language: Language) -> Vec<AnalyzedToken> {
    let mut out = Vec::new();
    for_each_token(text, language, |token| out.push(AnalyzedToken::from(token)));
    out
}

/// ASCII folding as the analyzers apply it (`é` → `e`, `ñ` → `n`, `œ` → `oe`), without
/// lowercasing or splitting.
pub fn fold(text: &str) -> String {
    if text.is_ascii() {
        return text.to_owned();
    }
    with_cached(&FOLDER, 0, folder, |f| single(f, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_pipeline() {
        assert_eq!(
            analyze("L’usinage de pièces aéronautiques", Language::Fr),
            ["usinag", "piec", "aeronaut"]
        );
    }

    #[test]
    fn spanish_pipeline() {
        assert_eq!(
            analyze("Mecanizado de piezas aeronáuticas", Language::Es),
            ["mecaniz", "piez", "aeronaut"]
        );
    }

    #[test]
    fn fold_analyzer_keeps_words_whole() {
        assert_eq!(
            analyze("L'Oustal de Lectoure — Logroño", Language::Unknown),
            ["oustal", "de", "lectoure", "logrono"]
        );
    }

    #[test]
    fn nested_analysis_does_not_panic() {
        let mut inner = Vec::new();
        for_each_token("usinage de pièces", Language::Fr, |token| {
            inner.push(analyze(&token.text, Language::Fr));
        });
        assert_eq!(inner.len(), 2);
    }

    #[test]
    fn stem_and_fold() {
        use crate::stemming::stem;
        assert_eq!(stem("aéronautiques", Language::Fr), "aéronaut");
        assert_eq!(fold("aéronaut"), "aeronaut");
        assert_eq!(stem("x", Language::Unknown), "x");
    }
}
