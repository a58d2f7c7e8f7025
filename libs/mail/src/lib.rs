//! Reliable delivery of Pyred's e-mail (the advisers' digests): build a message, keep it
//! in an outbox on disk, hand it to an SMTP relay, and remember that it went.
//!
//! - [`message`]: [`Message`], a `multipart/alternative` e-mail (plain text and HTML,
//!   UTF-8, RFC 2047 subjects) with a `Message-ID` and a `Date`;
//! - [`outbox`]: [`Outbox`], a directory of `.eml` files written atomically, one per
//!   dedup key, and [`Outbox::deliver`], which sends the pending ones and marks each
//!   sent (at most one resend, after a crash between the relay's acceptance and the mark);
//! - [`relay`]: [`Relay`], the SMTP settings (`[mail]` in the product's configuration),
//!   and the [`Transport`] the outbox delivers through;
//! - [`error`]: [`MailError`], naming what failed.
//!
//! ```no_run
//! # async fn digest(relay: Option<pyred_mail::Relay>) -> Result<(), pyred_mail::MailError> {
//! use pyred_mail::{Message, Outbox};
//!
//! let message = Message::builder()
//!     .from("Pyred <digest@cci-gers.example>")
//!     .to("adviser@cci-gers.example")
//!     .subject("Opportunités en Aragón")
//!     .text("3 nouvelles opportunités")
//!     .html("<p>3 nouvelles opportunités</p>")
//!     .build()?;
//! let outbox = Outbox::open("/var/lib/pyred/outbox")?;
//! outbox.enqueue(&message, "digest-adviser-42-2026-12-04")?;
//! if let Some(relay) = relay {
//!     let report = outbox.deliver(&relay.transport()?).await?;
//!     println!("{} sent, {} kept for later", report.sent.len(), report.failed.len());
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Guarantees and layout: `docs/mail.md`; why files: `docs/decisions/0014-mail-outbox.md`.

pub mod error;
pub mod message;
pub mod outbox;
pub mod relay;

pub use error::{BoxError, MailError};
pub use lettre::Address;
pub use message::{Message, MessageBuilder};
pub use outbox::{DeliveryReport, Enqueued, Failure, Outbox, Pending};
pub use relay::{Relay, Security, SmtpTransport, Transport};
