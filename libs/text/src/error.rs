//! Errors of the text library.
//!
//! Analysis and language identification cannot fail; only parsing a language code and
//! loading a glossary can.

use std::sync::Arc;

use crate::language::Language;

/// Everything that can go wrong in `pyred-text`.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TextError {
    /// A language code other than French, Spanish or `und`.
    #[error("unsupported language {0:?} (expected fr or es)")]
    UnsupportedLanguage(String),
    /// The glossary text is not valid TOML or does not have the expected shape.
    #[error("glossary is not valid")]
    GlossaryParse(#[source] Arc<toml::de::Error>),
    /// A glossary concept is wrong in a way the TOML parser cannot see.
    #[error("glossary concept {id:?}: {problem}")]
    GlossaryConcept {
        /// The concept's identifier (may be empty when that is the problem).
        id: String,
        /// What is wrong with it.
        problem: GlossaryProblem,
    },
}

/// Why a glossary concept was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GlossaryProblem {
    /// The identifier is empty or not `[a-z0-9_]+`.
    #[error("identifier must be non-empty lowercase ascii, digits and '_'")]
    BadId,
    /// Two concepts share an identifier.
    #[error("duplicate identifier")]
    DuplicateId,
    /// The sector is empty.
    #[error("sector is empty")]
    EmptySector,
    /// The concept has no term in a language.
    #[error("no {0} term")]
    NoTerms(Language),
    /// A term is lost entirely by the analyzer (only stop words or punctuation).
    #[error("{language} term {term:?} analyses to nothing")]
    EmptyTerm {
        /// Language of the term.
        language: Language,
        /// The term as written.
        term: String,
    },
    /// A term analyses to the same tokens as a term of another concept.
    #[error("{language} term {term:?} analyses like a term of concept {other:?}")]
    AmbiguousTerm {
        /// Language of the term.
        language: Language,
        /// The term as written.
        term: String,
        /// The concept that already owns those tokens.
        other: String,
    },
    /// `broader` names a concept that does not exist, or the chain loops.
    #[error("broader concept {0:?} is unknown or makes a cycle")]
    BadBroader(String),
}
