//! The languages Pyred analyses: French, Spanish, and "not known".
//!
//! [`Language`] selects an analyzer (see [`crate::analyzer`]), a side of the glossary
//! (see [`crate::glossary`]) and is what [`crate::identify`] returns.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::TextError;

/// A language of the product's free texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// French (`fr`).
    Fr,
    /// Spanish (`es`).
    Es,
    /// Not known or not decided (`und`): analysed with the language-neutral folding
    /// analyzer, matched against both sides of the glossary.
    #[serde(rename = "und")]
    Unknown,
}

impl Language {
    /// The two analysable languages, French first.
    pub const KNOWN: [Language; 2] = [Language::Fr, Language::Es];

    /// ISO 639-1 code (`fr`, `es`), or `und` for [`Language::Unknown`] (BCP 47).
    pub fn code(self) -> &'static str {
        match self {
            Language::Fr => "fr",
            Language::Es => "es",
            Language::Unknown => "und",
        }
    }

    /// The language of an ISO 639-1 code or a BCP 47 tag (`fr`, `FR`, `es-ES`, `fr_FR`);
    /// `None` for any other language.
    pub fn from_code(code: &str) -> Option<Language> {
        let primary = code.split(['-', '_']).next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("fr") {
            Some(Language::Fr)
        } else if primary.eq_ignore_ascii_case("es") {
            Some(Language::Es)
        } else if primary.eq_ignore_ascii_case("und") {
            Some(Language::Unknown)
        } else {
            None
        }
    }

    /// The other known language (French ↔ Spanish); `Unknown` stays `Unknown`.
    pub fn other(self) -> Language {
        match self {
            Language::Fr => Language::Es,
            Language::Es => Language::Fr,
            Language::Unknown => Language::Unknown,
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Language {
    type Err = TextError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Language::from_code(s).ok_or_else(|| TextError::UnsupportedLanguage(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for lang in [Language::Fr, Language::Es, Language::Unknown] {
            assert_eq!(Language::from_code(lang.code()), Some(lang));
        }
        assert_eq!("es-ES".parse::<Language>().ok(), Some(Language::Es));
        assert_eq!(Language::from_code("FR_fr"), Some(Language::Fr));
        assert!("en".parse::<Language>().is_err());
    }
}
