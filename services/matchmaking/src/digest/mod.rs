//! The advisers' e-mail digests: once per period (daily by default), every adviser key
//! with an e-mail address gets, in its language, the new leads of its territory's firms,
//! the deadlines coming up among its open leads and the listings withdrawn under the leads
//! it was working on ([`compose`]), as a text + HTML message ([`render`]) written to the
//! outbox and sent through the relay when one is configured ([`schedule`]).
//!
//! A digest is claimed per key and period in the matchmaking database before it is
//! written, so two replicas never write the same one, and it goes into the outbox under
//! a key per adviser and period, so a writer that crashes and starts again does not
//! write it twice; the outbox marks each message sent once the relay accepted it
//! (`pyred-mail`).

pub mod compose;
pub mod render;
pub mod schedule;

pub use compose::{Adviser, Composer, Digest, Language, Since};
pub use render::{Rendered, render};
pub use schedule::{DigestSettings, Scheduler, TickReport, period_start};

/// Why a digest round failed.
#[derive(Debug, thiserror::Error)]
pub enum DigestError {
    /// The store or the registry failed while composing.
    #[error(transparent)]
    Compose(#[from] crate::error::MatchError),
    /// The advisers' keys could not be listed.
    #[error("listing the advisers' keys at the registry: {0}")]
    Keys(tonic::Status),
    /// Building, storing or sending a message failed.
    #[error(transparent)]
    Mail(#[from] pyred_mail::MailError),
    /// A setting is unusable.
    #[error("digest.{key}: {reason}")]
    Setting {
        /// The key under `[digest]`.
        key: &'static str,
        /// Why.
        reason: String,
    },
}
