//! The word splitter at the head of every Pyred analyzer.
//!
//! Like tantivy's `SimpleTokenizer` it cuts the text into runs of letters and digits, so
//! apostrophes (`'`, `’`), hyphens and punctuation all separate words. On top of that it
//!
//! - keeps combining accents inside the word and recomposes it (Unicode NFC), so a text
//!   in decomposed form (`e` + `◌́`) reaches the stemmer as `é`, as the Snowball rules
//!   expect;
//! - optionally drops French elided words: `l'usinage`, `L’usinage`, `qu'il`,
//!   `jusqu'à` lose `l`, `qu`, `jusqu` — only when an apostrophe follows, so a lone `l`
//!   or `t` (litres, tonnes) is left to the stop list.
//!
//! Offsets always point into the original text, whatever normalisation the token text
//! went through.

use std::str::CharIndices;

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// French words that lose their vowel before a vowel and are written with an apostrophe.
pub const FRENCH_ELISIONS: &[&str] = &[
    "l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu", "quelqu",
    "presqu",
];

/// Characters accepted as an apostrophe: ASCII `'`, typographic `’` and `‘`, modifier
/// letter `ʼ`, and the backtick and acute accent that keyboards sometimes produce.
pub fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '\u{2019}' | '\u{2018}' | '\u{02BC}' | '`' | '\u{00B4}'
    )
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c)
}

/// Splits text into words; see the [module documentation](self).
#[derive(Clone, Default)]
pub struct PyredTokenizer {
    drop_elisions: bool,
    token: Token,
}

impl PyredTokenizer {
    /// A tokenizer that keeps every word, elided or not.
    pub fn new() -> Self {
        Self::default()
    }

    /// A tokenizer that drops French elided words (`l'`, `d'`, `qu'`…) before an apostrophe.
    pub fn with_french_elision() -> Self {
        PyredTokenizer {
            drop_elisions: true,
            token: Token::default(),
        }
    }
}

impl Tokenizer for PyredTokenizer {
    type TokenStream<'a> = PyredTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> PyredTokenStream<'a> {
        self.token.reset();
        PyredTokenStream {
            text,
            chars: text.char_indices(),
            drop_elisions: self.drop_elisions,
            token: &mut self.token,
        }
    }
}

/// The token stream of a [`PyredTokenizer`].
pub struct PyredTokenStream<'a> {
    text: &'a str,
    chars: CharIndices<'a>,
    drop_elisions: bool,
    token: &'a mut Token,
}

impl PyredTokenStream<'_> {
    /// Consumes the rest of the current word; returns its end offset and the character
    /// right after it (if any).
    fn word_end(&mut self) -> (usize, Option<char>) {
        for (offset, c) in self.chars.by_ref() {
            if !is_word_char(c) {
                return (offset, Some(c));
            }
        }
        (self.text.len(), None)
    }

    fn is_elided(&self, word: &str, next: Option<char>) -> bool {
        self.drop_elisions
            && next.is_some_and(is_apostrophe)
            && word.len() <= 6
            && FRENCH_ELISIONS.iter().any(|e| word.eq_ignore_ascii_case(e))
    }
}

impl TokenStream for PyredTokenStream<'_> {
    fn advance(&mut self) -> bool {
        while let Some((from, c)) = self.chars.next() {
            if !c.is_alphanumeric() {
                continue;
            }
            let (to, next) = self.word_end();
            let word = &self.text[from..to];
            if self.is_elided(word, next) {
                continue;
            }
            self.token.text.clear();
            if word.is_ascii() || is_nfc_quick(word.chars()) == IsNormalized::Yes {
                self.token.text.push_str(word);
            } else {
                self.token.text.extend(word.nfc());
            }
            self.token.offset_from = from;
            self.token.offset_to = to;
            self.token.position = self.token.position.wrapping_add(1);
            return true;
        }
        false
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(tokenizer: &mut PyredTokenizer, text: &str) -> Vec<(String, usize, usize, usize)> {
        let mut out = Vec::new();
        let mut stream = tokenizer.token_stream(text);
        while stream.advance() {
            let t = stream.token();
            out.push((t.text.clone(), t.offset_from, t.offset_to, t.position));
        }
        out
    }

    #[test]
    fn french_elisions_are_dropped_only_before_an_apostrophe() {
        let mut tok = PyredTokenizer::with_french_elision();
        let got = words(&mut tok, "L’usinage d'acier, qu'il jusqu'à 3 t");
        let texts: Vec<&str> = got.iter().map(|w| w.0.as_str()).collect();
        assert_eq!(texts, ["usinage", "acier", "il", "à", "3", "t"]);
        assert_eq!(
            (got[0].1, got[0].2),
            (4, 11),
            "offsets point into the original"
        );
        assert_eq!(got[0].3, 0);
    }

    #[test]
    fn without_elision_apostrophes_still_split() {
        let mut tok = PyredTokenizer::new();
        let texts: Vec<String> = words(&mut tok, "l'usinage")
            .into_iter()
            .map(|w| w.0)
            .collect();
        assert_eq!(texts, ["l", "usinage"]);
    }

    #[test]
    fn decomposed_accents_are_recomposed() {
        let mut tok = PyredTokenizer::new();
        let decomposed = "pie\u{0300}ces aerona\u{0301}uticas";
        let got = words(&mut tok, decomposed);
        assert_eq!(got[0].0, "pièces");
        assert_eq!(got[1].0, "aeronáuticas");
        assert_eq!(got[1].2, decomposed.len());
    }
}
