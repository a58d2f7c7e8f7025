//! Why a consortium cannot be proposed.

/// An error of the consortium builder.
#[derive(Debug, thiserror::Error)]
pub enum ConsortiumError {
    /// The matching model refused a record.
    #[error(transparent)]
    Matching(#[from] pyred_matching::MatchingError),
    /// The lot asked is not one of the tender's.
    #[error("tender {tender} has no lot {lot:?}")]
    UnknownLot {
        /// The tender.
        tender: String,
        /// The lot asked.
        lot: String,
    },
    /// The anchor firm is not among the candidates.
    #[error("anchor firm {0} is not among the candidates")]
    UnknownAnchor(String),
}
