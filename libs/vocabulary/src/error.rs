//! Why the embedded vocabularies could not be loaded, or a code could not be read.

/// An error of this crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VocabularyError {
    /// A CPV code that is not 8 digits (with an optional check digit after `-`).
    #[error("{input:?} is not a CPV code (8 digits, optionally followed by -N)")]
    InvalidCpv {
        /// What was given.
        input: String,
    },
    /// A line of an embedded table is malformed (a broken build).
    #[error("{table} line {line}: {reason}")]
    Table {
        /// The table (`cpv.tsv`, `nuts.tsv`).
        table: &'static str,
        /// Line number, from 1.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}
