//! French / Spanish language identification, down to one-line queries.
//!
//! Evidence, summed as log-odds (positive = French):
//!
//! - **function words** found in one language's stop list and never seen as a word of
//!   the other language's Snowball vocabulary (`des`, `une`, `pour` / `del`, `para`,
//!   `los`), and French elision (`l'`, `qu'`);
//! - **character trigrams** of every other word, padded with `_` at both ends, scored
//!   with a naive-Bayes log-likelihood ratio: this is what decides one-line queries
//!   such as `mecanizado de piezas` or `usinage de précision`, where the only function
//!   word is shared;
//! - `¿` and `¡`, which only Spanish writes.
//!
//! The model (`data/langid_model.tsv`) is generated from the Snowball vocabularies and
//! stop lists and the glossary terms — never from evaluation texts — by
//! `cargo run -p pyred-text --example build_langid_model`.
//!
//! The log-odds become a confidence with a temperature that tempers naive Bayes'
//! over-confidence; below [`MIN_CONFIDENCE`] (or with no evidence at all: digits,
//! codes, an empty string) the answer is [`Language::Unknown`].

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::language::Language;
use crate::tokenizer::{FRENCH_ELISIONS, is_apostrophe};

const MODEL: &str = include_str!("../data/langid_model.tsv");

/// Below this confidence [`identify`] answers [`Language::Unknown`].
pub const MIN_CONFIDENCE: f32 = 0.75;
/// Weight (log-odds) of one exclusive function word or elision.
const FUNCTION_WORD_WEIGHT: f32 = 2.5;
/// Weight of one `¿` or `¡`.
const INVERTED_MARK_WEIGHT: f32 = 3.0;
/// Cap on the trigram evidence of a single word, so one odd word cannot outvote a
/// sentence.
const MAX_WORD_EVIDENCE: f32 = 5.0;
/// Temperature turning summed log-odds into a confidence.
const TEMPERATURE: f32 = 2.0;
/// Additive smoothing of trigram counts.
const SMOOTHING: f32 = 0.5;

/// The outcome of [`identify`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Identification {
    /// French, Spanish, or `Unknown` when the evidence is too weak.
    pub language: Language,
    /// Confidence in the more likely of French and Spanish, from 0.5 (no evidence) to
    /// 1.0; also set when `language` is `Unknown`.
    pub confidence: f32,
    /// Summed log-odds of French against Spanish (positive = French).
    pub score: f32,
    /// How many words (or marks) carried evidence.
    pub evidence: usize,
}

/// A multiplicative hasher for the small fixed-size trigram keys (the default SipHash
/// costs more than the rest of the lookup); the keys are not attacker-chosen.
#[derive(Default)]
struct TrigramHasher(u64);

impl Hasher for TrigramHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u32(u32::from(byte));
        }
    }

    fn write_u32(&mut self, value: u32) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(value)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type TrigramMap = HashMap<[char; 3], f32, BuildHasherDefault<TrigramHasher>>;

struct Model {
    function_words: HashMap<String, Language>,
    trigrams: TrigramMap,
}

fn model() -> &'static Model {
    static MODEL_CELL: OnceLock<Model> = OnceLock::new();
    MODEL_CELL.get_or_init(|| parse_model(MODEL))
}

/// Parses the model; malformed lines are skipped (the file is generated, and a test
/// checks its size).
fn parse_model(text: &str) -> Model {
    let mut function_words = HashMap::new();
    let mut counts: Vec<([char; 3], f32, f32)> = Vec::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields.as_slice() {
            ["F", lang, word] => {
                if let Some(language) = Language::from_code(lang) {
                    function_words.insert((*word).to_owned(), language);
                }
            }
            ["G", gram, fr, es] => {
                let chars: Vec<char> = gram.chars().collect();
                if let (Ok(gram), Ok(fr), Ok(es)) = (
                    <[char; 3]>::try_from(chars),
                    fr.parse::<f32>(),
                    es.parse::<f32>(),
                ) {
                    counts.push((gram, fr, es));
                }
            }
            _ => {}
        }
    }
    let total_fr: f32 = counts.iter().map(|c| c.1).sum();
    let total_es: f32 = counts.iter().map(|c| c.2).sum();
    let vocabulary = counts.len() as f32;
    let trigrams: TrigramMap = counts
        .into_iter()
        .map(|(gram, fr, es)| {
            let p_fr = (fr + SMOOTHING) / (total_fr + SMOOTHING * vocabulary);
            let p_es = (es + SMOOTHING) / (total_es + SMOOTHING * vocabulary);
            (gram, (p_fr / p_es).ln())
        })
        .collect();
    Model {
        function_words,
        trigrams,
    }
}

/// Number of function words and trigrams in the embedded model.
pub fn model_size() -> (usize, usize) {
    let model = model();
    (model.function_words.len(), model.trigrams.len())
}

/// The character trigrams of one word as the model sees them: lowercased, NFC, padded
/// with `_` (`sol` → `_so`, `sol`, `ol_`). Shared with the model generator.
pub fn trigrams(word: &str) -> Vec<[char; 3]> {
    let mut chars = vec!['_'];
    chars.extend(word.nfc().flat_map(char::to_lowercase));
    chars.push('_');
    chars.windows(3).map(|w| [w[0], w[1], w[2]]).collect()
}

/// Reusable buffers for scoring words.
#[derive(Default)]
struct Scratch {
    lower: String,
    padded: Vec<char>,
}

fn word_evidence(model: &Model, word: &str, scratch: &mut Scratch) -> Option<f32> {
    if word.chars().any(|c| c.is_numeric()) {
        return None;
    }
    scratch.lower.clear();
    if word.is_ascii() {
        scratch
            .lower
            .extend(word.chars().map(|c| c.to_ascii_lowercase()));
    } else {
        scratch
            .lower
            .extend(word.nfc().flat_map(char::to_lowercase));
    }
    if let Some(language) = model.function_words.get(scratch.lower.as_str()) {
        return Some(match language {
            Language::Fr => FUNCTION_WORD_WEIGHT,
            _ => -FUNCTION_WORD_WEIGHT,
        });
    }
    scratch.padded.clear();
    scratch.padded.push('_');
    scratch.padded.extend(scratch.lower.chars());
    scratch.padded.push('_');
    let mut sum = 0.0;
    let mut seen = false;
    for window in scratch.padded.windows(3) {
        if let Some(ratio) = model.trigrams.get(&[window[0], window[1], window[2]]) {
            sum += ratio;
            seen = true;
        }
    }
    seen.then(|| sum.clamp(-MAX_WORD_EVIDENCE, MAX_WORD_EVIDENCE))
}

/// Identifies whether `text` is French or Spanish; see the [module
/// documentation](self).
pub fn identify(text: &str) -> Identification {
    let model = model();
    let mut scratch = Scratch::default();
    let mut score = 0.0f32;
    let mut evidence = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((from, c)) = chars.next() {
        if c == '¿' || c == '¡' {
            score -= INVERTED_MARK_WEIGHT;
            evidence += 1;
            continue;
        }
        if !c.is_alphanumeric() {
            continue;
        }
        let mut to = text.len();
        let mut next = None;
        while let Some(&(offset, c)) = chars.peek() {
            if c.is_alphanumeric() || is_combining_mark(c) {
                chars.next();
            } else {
                to = offset;
                next = Some(c);
                break;
            }
        }
        let word = &text[from..to];
        let elided = next.is_some_and(is_apostrophe)
            && FRENCH_ELISIONS.iter().any(|e| word.eq_ignore_ascii_case(e));
        let weight = if elided {
            Some(FUNCTION_WORD_WEIGHT)
        } else {
            word_evidence(model, word, &mut scratch)
        };
        if let Some(weight) = weight {
            score += weight;
            evidence += 1;
        }
    }
    let confidence = 1.0 / (1.0 + (-score.abs() / TEMPERATURE).exp());
    let language = if evidence == 0 || confidence < MIN_CONFIDENCE {
        Language::Unknown
    } else if score > 0.0 {
        Language::Fr
    } else {
        Language::Es
    };
    Identification {
        language,
        confidence,
        score,
        evidence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_is_loaded() {
        let (function_words, trigrams) = model_size();
        assert!(function_words > 100, "{function_words} function words");
        assert!(trigrams > 3000, "{trigrams} trigrams");
    }

    #[test]
    fn one_line_queries() {
        for (text, expected) in [
            ("mecanizado de piezas", Language::Es),
            ("usinage de précision", Language::Fr),
            ("l'usinage", Language::Fr),
            ("cuves en inox", Language::Fr),
            ("depósitos de acero inoxidable", Language::Es),
            ("¿Dónde?", Language::Es),
        ] {
            let id = identify(text);
            assert_eq!(id.language, expected, "{text}: {id:?}");
        }
    }

    #[test]
    fn no_evidence_is_unknown() {
        for text in ["", "2026", "EN 9100 — 45233140", "   ;;  "] {
            let id = identify(text);
            assert_eq!(id.language, Language::Unknown, "{text}: {id:?}");
        }
    }
}
