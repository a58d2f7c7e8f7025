//! # pyred-text
//!
//! French and Spanish text analysis for Pyred, shared by geo-search (indexing and
//! queries) and matchmaking (scoring and explanations):
//!
//! - [`analyzer`]: tantivy analyzers registered under stable names
//!   ([`ANALYZER_FR`], [`ANALYZER_ES`], [`ANALYZER_FOLD`]) and the same pipelines as
//!   plain functions ([`analyze`]): elision, lowercasing, stop words, Snowball
//!   stemming with a table of false friends ([`stemming`]), accent folding;
//! - [`langid`]: French / Spanish / unknown identification of a text, down to one-line
//!   queries ([`identify`]);
//! - [`glossary`]: the bilingual concept glossary (data in `data/glossary.toml`) and
//!   concept extraction through the analyzers, which lets a French profile meet a
//!   Spanish listing ([`concepts`], [`Glossary`]).
//!
//! Everything is embedded in the library (stop lists, glossary, language model): no
//! file is read at run time.

pub mod analyzer;
pub mod error;
pub mod glossary;
pub mod langid;
pub mod language;
pub mod stemming;
pub mod stopwords;
pub mod tokenizer;

pub use analyzer::{
    ANALYZER_ES, ANALYZER_FOLD, ANALYZER_FR, AnalyzedToken, analyze, analyze_tokens, analyzer_name,
    fold, register_analyzers, text_analyzer,
};
pub use error::{GlossaryProblem, TextError};
pub use glossary::{Concept, ConceptHit, Glossary, concepts};
pub use langid::{Identification, identify};
pub use language::Language;
pub use stemming::{PyredStemmer, StemException, snowball_stem, stem, stem_exceptions};
