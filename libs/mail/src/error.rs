//! The one error type of the crate: each variant names what failed (an address, a
//! missing part of a message, an outbox file and the operation on it, a relay setting,
//! the sending of one message), keeping the underlying error as its source.

use std::path::PathBuf;

/// An error from a transport, kept as the source of [`MailError::Send`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What failed while building, storing or delivering a message.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// A `from`/`to` value is not an e-mail address (`Name <user@example.org>` or
    /// `user@example.org`).
    #[error("invalid {field} address {value:?}")]
    Address {
        /// Which field: `from`, `to` or `relay.from`.
        field: &'static str,
        /// The value given.
        value: String,
        /// Why lettre refused it.
        #[source]
        source: lettre::address::AddressError,
    },
    /// A message lacks a part it needs (`from`, `to`, `subject`, `text` or `html`).
    #[error("message has no {0}")]
    Missing(&'static str),
    /// lettre could not assemble the message.
    #[error("cannot build the message")]
    Build(#[source] lettre::error::Error),
    /// A dedup key that cannot name a message (empty, or longer than 200 bytes).
    #[error("invalid dedup key {key:?}: {reason}")]
    DedupKey {
        /// The key given.
        key: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A file operation on the outbox failed.
    #[error("outbox: cannot {action} {path}")]
    Io {
        /// What was being done (`create`, `write`, `read`, `rename`, `lock`, …).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A `.eml` file of the outbox that this crate did not write, or that was altered.
    #[error("outbox file {path} is not a pending message: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Another `deliver` holds the outbox's delivery lock (another process or task).
    #[error("another delivery is running on outbox {0}")]
    Busy(PathBuf),
    /// A relay setting is refused.
    #[error("mail relay {key}: {reason}")]
    Relay {
        /// The setting, as in the configuration (`host`, `port`, `password`, …).
        key: &'static str,
        /// Why it is refused.
        reason: String,
    },
    /// The relay's TLS parameters could not be built (for example an unreadable CA).
    #[error("mail relay TLS settings")]
    Tls(#[source] lettre::transport::smtp::Error),
    /// The relay did not accept one message (refused, unreachable, authentication,
    /// TLS, timeout); the message stays pending.
    #[error("sending message {id} failed")]
    Send {
        /// The outbox id of the message.
        id: String,
        /// The transport's error.
        #[source]
        source: BoxError,
    },
}

impl MailError {
    /// Whether trying again as is cannot help: the relay answered with a permanent (5xx)
    /// reply — a refused recipient or sender, or credentials refused (535, until the
    /// settings change) — or the outbox file is unreadable as a message. Connection,
    /// timeout, TLS and 4xx errors are not permanent. (Delivery still retries every
    /// pending message; this is for reports and alerts.)
    pub fn is_permanent(&self) -> bool {
        match self {
            Self::Send { source, .. } => source
                .downcast_ref::<lettre::transport::smtp::Error>()
                .is_some_and(lettre::transport::smtp::Error::is_permanent),
            Self::Corrupt { .. } => true,
            Self::Address { .. }
            | Self::Missing(_)
            | Self::Build(_)
            | Self::DedupKey { .. }
            | Self::Io { .. }
            | Self::Busy(_)
            | Self::Relay { .. }
            | Self::Tls(_) => false,
        }
    }

    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io {
            action,
            path,
            source,
        }
    }
}
