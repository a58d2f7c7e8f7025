//! Why a record cannot be read by the model.

/// Everything building a profile can fail with; scoring itself does not fail.
#[derive(Debug, thiserror::Error)]
pub enum MatchingError {
    /// The record has neither a registry id nor a publisher's id.
    #[error("{entity} without an id")]
    MissingId {
        /// `company` or `opportunity`.
        entity: &'static str,
    },
    /// The listing's kind is unspecified.
    #[error("opportunity {id}: kind is unspecified")]
    MissingKind {
        /// The listing.
        id: String,
    },
    /// A date of the listing does not exist.
    #[error("opportunity {id}: invalid {field}")]
    InvalidDate {
        /// The listing.
        id: String,
        /// `published`, `deadline` or `expires_on`.
        field: &'static str,
        /// The calendar's answer.
        #[source]
        source: pyred_domain::DateError,
    },
    /// The embedded glossary could not be loaded.
    #[error("the concept glossary cannot be loaded")]
    Glossary(#[from] pyred_text::TextError),
    /// The embedded vocabularies (CPV, NUTS) or their alignment with the glossary
    /// could not be loaded.
    #[error("the official vocabularies cannot be loaded: {0}")]
    Vocabulary(String),
    /// The embedded sector adjacency table is malformed.
    #[error("the sector adjacency table is invalid: {0}")]
    Adjacency(String),
}
