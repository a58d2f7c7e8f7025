//! An e-mail as Pyred sends it: one sender, one or more recipients, a subject, and the
//! same content twice — plain text and HTML — as a `multipart/alternative` body, so every
//! client shows one of them. lettre does the encoding: UTF-8 parts in quoted-printable or
//! base64 (whichever is shorter), a subject with accents as RFC 2047 encoded words, and a
//! `Date`. The `Message-ID` is generated here, on the sender's domain.

use lettre::Address;
use lettre::address::Envelope;
use lettre::message::{Mailbox, MultiPart};

use crate::MailError;

/// A message ready to be stored in an [`Outbox`](crate::Outbox) or sent.
#[derive(Debug, Clone)]
pub struct Message {
    inner: lettre::Message,
    formatted: Vec<u8>,
    message_id: String,
}

impl Message {
    /// Starts a message; every part is required (see [`MessageBuilder::build`]).
    pub fn builder() -> MessageBuilder {
        MessageBuilder::default()
    }

    /// The `Message-ID` header, angle brackets included (`<uuid@domain>`).
    pub fn message_id(&self) -> &str {
        &self.message_id
    }

    /// The addresses of the `To` header, which are the recipients the relay is given.
    pub fn recipients(&self) -> &[Address] {
        self.inner.envelope().to()
    }

    /// The message in RFC 5322 form (CRLF line endings), as a relay receives it.
    pub fn formatted(&self) -> &[u8] {
        &self.formatted
    }

    /// lettre's envelope of the message (its `From` and `To` addresses).
    pub fn envelope(&self) -> &Envelope {
        self.inner.envelope()
    }
}

/// Collects the parts of a [`Message`]; addresses are checked by [`build`](Self::build).
#[derive(Debug, Clone, Default)]
pub struct MessageBuilder {
    from: Option<String>,
    to: Vec<String>,
    subject: Option<String>,
    text: Option<String>,
    html: Option<String>,
}

impl MessageBuilder {
    /// The sender: `Name <user@example.org>` or `user@example.org`.
    pub fn from(mut self, mailbox: impl Into<String>) -> Self {
        self.from = Some(mailbox.into());
        self
    }

    /// Adds a recipient (call once per recipient), in the same forms as `from`.
    pub fn to(mut self, mailbox: impl Into<String>) -> Self {
        self.to.push(mailbox.into());
        self
    }

    /// The subject, any Unicode text (encoded by RFC 2047 when not plain ASCII).
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// The plain-text body.
    pub fn text(mut self, body: impl Into<String>) -> Self {
        self.text = Some(body.into());
        self
    }

    /// The HTML body (a whole document or a fragment).
    pub fn html(mut self, body: impl Into<String>) -> Self {
        self.html = Some(body.into());
        self
    }

    /// The message, or the first missing part / invalid address.
    pub fn build(self) -> Result<Message, MailError> {
        let from_text = self.from.ok_or(MailError::Missing("from"))?;
        let from = parse_mailbox("from", &from_text)?;
        if self.to.is_empty() {
            return Err(MailError::Missing("to"));
        }
        let subject = self.subject.ok_or(MailError::Missing("subject"))?;
        let text = self.text.ok_or(MailError::Missing("text"))?;
        let html = self.html.ok_or(MailError::Missing("html"))?;

        let message_id = format!("<{}@{}>", uuid::Uuid::new_v4(), from.email.domain());
        let mut builder = lettre::Message::builder()
            .from(from)
            .subject(subject)
            .date_now()
            .message_id(Some(message_id.clone()));
        for to in &self.to {
            builder = builder.to(parse_mailbox("to", to)?);
        }
        let inner = builder
            .multipart(MultiPart::alternative_plain_html(text, html))
            .map_err(MailError::Build)?;
        let formatted = fold_header_lines(&inner.formatted());
        Ok(Message {
            inner,
            formatted,
            message_id,
        })
    }
}

/// Lines of the top-level header longer than 78 bytes, folded before a space (RFC 5322
/// §2.2.3: folding inserts CRLF before existing whitespace, so unfolding restores the
/// value exactly). lettre folds encoded words but not a `To` of many plain addresses,
/// which would pass the 998-byte line limit at about 25 recipients.
fn fold_header_lines(raw: &[u8]) -> Vec<u8> {
    const WIDTH: usize = 78;
    let header_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(raw.len(), |p| p + 2);
    let mut out = Vec::with_capacity(raw.len() + 64);
    for line in raw[..header_end].split_inclusive(|&b| b == b'\n') {
        let mut rest = line;
        while rest.len() > WIDTH + 2 {
            // The last space within the width (not the leading one of a continuation),
            // or else the first one after it.
            let within = rest[1..=WIDTH]
                .iter()
                .rposition(|&b| b == b' ')
                .map(|p| p + 1);
            let after = || {
                rest[WIDTH..]
                    .iter()
                    .position(|&b| b == b' ')
                    .map(|p| p + WIDTH)
            };
            match within.or_else(after) {
                Some(cut) if cut + 2 < rest.len() => {
                    out.extend_from_slice(&rest[..cut]);
                    out.extend_from_slice(b"\r\n");
                    rest = &rest[cut..];
                }
                _ => break,
            }
        }
        out.extend_from_slice(rest);
    }
    out.extend_from_slice(&raw[header_end..]);
    out
}

pub(crate) fn parse_mailbox(field: &'static str, value: &str) -> Result<Mailbox, MailError> {
    value.trim().parse().map_err(|source| MailError::Address {
        field,
        value: value.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn digest(subject: &str) -> MessageBuilder {
        Message::builder()
            .from("Pyred Gers <digest@pyred.example>")
            .to("Adèle Dupré <adele@cci-gers.example>")
            .to("jose@aragonexterior.example")
            .subject(subject)
            .text("Bonjour Adèle,\n\n3 opportunités à Saragosse — señal «año».\n")
            .html("<p>Bonjour Adèle,</p><p><a href=\"https://pyred.example/leads/42\">3 opportunités à Saragosse</a> — señal «año».</p>")
    }

    #[test]
    fn a_message_parses_back_with_both_parts_and_accents() {
        let subject = "Résumé : 3 opportunités en Aragón y La Rioja — licitación año 2026";
        let message = digest(subject).build().expect("message");
        let raw = message.formatted();
        assert!(
            raw.is_ascii(),
            "every byte is 7-bit: encoded words and QP/base64 parts"
        );
        let text = String::from_utf8_lossy(raw);
        assert!(
            text.lines().all(|line| line.len() <= 998),
            "RFC 5322 line limit"
        );
        assert!(
            text.contains("Subject: =?utf-8?"),
            "RFC 2047 subject:\n{text}"
        );
        assert!(text.contains("\r\nDate: "), "{text}");

        use mail_parser::MimeHeaders as _;
        let parsed = mail_parser::MessageParser::default()
            .parse(raw)
            .expect("parses as RFC 5322");
        assert_eq!(parsed.subject(), Some(subject));
        let content_type = parsed.root_part().content_type().expect("content type");
        assert_eq!(content_type.ctype(), "multipart");
        assert_eq!(content_type.subtype(), Some("alternative"));
        assert_eq!((parsed.text_body_count(), parsed.html_body_count()), (1, 1));
        assert_eq!(parsed.attachment_count(), 0);
        let body_text = parsed.body_text(0).expect("text part");
        assert!(
            body_text.contains("3 opportunités à Saragosse — señal «año»."),
            "{body_text}"
        );
        let html = parsed.body_html(0).expect("html part");
        assert!(
            html.contains("<a href=\"https://pyred.example/leads/42\">"),
            "{html}"
        );
        assert!(html.contains("señal «año»"), "{html}");
        let to: Vec<_> = parsed
            .to()
            .expect("to")
            .iter()
            .map(|a| (a.name().map(str::to_owned), a.address().map(str::to_owned)))
            .collect();
        assert_eq!(
            to,
            vec![
                (
                    Some("Adèle Dupré".to_owned()),
                    Some("adele@cci-gers.example".to_owned())
                ),
                (None, Some("jose@aragonexterior.example".to_owned())),
            ]
        );
        assert_eq!(
            parsed.message_id().map(|id| format!("<{id}>")),
            Some(message.message_id().to_owned())
        );
        assert!(message.message_id().ends_with("@pyred.example>"));
        assert!(parsed.date().is_some());
        assert_eq!(message.recipients().len(), 2);
    }

    #[test]
    fn a_long_recipient_list_is_folded_and_unfolds_to_the_same_value() {
        let addresses: Vec<String> = (0..60)
            .map(|n| format!("\"Conseiller {n}, CCI\" <conseiller.{n:02}@cci-gers.example>"))
            .collect();
        let mut builder = digest("tous");
        for address in &addresses {
            builder = builder.to(address.as_str());
        }
        let message = builder.build().expect("message");
        let raw = message.formatted();
        let text = String::from_utf8_lossy(raw);
        assert!(text.split("\r\n").all(|line| line.len() <= 998), "{text}");
        let header_end = text.find("\r\n\r\n").expect("header end");
        assert!(
            text[..header_end]
                .split("\r\n")
                .all(|line| line.len() <= 78),
            "{text}"
        );
        let parsed = mail_parser::MessageParser::default()
            .parse(raw)
            .expect("parses");
        let to: Vec<_> = parsed
            .to()
            .expect("to")
            .iter()
            .map(|a| a.address().map(str::to_owned))
            .collect();
        assert_eq!(to.len(), 62);
        assert_eq!(to[61].as_deref(), Some("conseiller.59@cci-gers.example"));
        let names: Vec<_> = parsed
            .to()
            .expect("to")
            .iter()
            .filter_map(|a| a.name())
            .collect();
        assert!(names.contains(&"Conseiller 7, CCI"), "{names:?}");
        assert_eq!(message.recipients().len(), 62);
        // Only the header changed.
        let unfolded = String::from_utf8_lossy(&message.inner.formatted()).into_owned();
        let body = |t: &str| t[t.find("\r\n\r\n").unwrap_or(0)..].to_owned();
        assert_eq!(body(&text), body(&unfolded));
        assert_eq!(
            text[..header_end].replace("\r\n ", " "),
            unfolded[..unfolded.find("\r\n\r\n").unwrap_or(0)].replace("\r\n ", " ")
        );
    }

    #[test]
    fn two_messages_have_different_ids() {
        let a = digest("a").build().expect("a");
        let b = digest("a").build().expect("b");
        assert_ne!(a.message_id(), b.message_id());
    }

    #[test]
    fn missing_parts_and_bad_addresses_are_named() {
        let missing = |builder: MessageBuilder| match builder.build() {
            Err(MailError::Missing(part)) => part,
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(missing(Message::builder().to("a@b.c")), "from");
        assert_eq!(missing(Message::builder().from("a@b.c")), "to");
        assert_eq!(
            missing(Message::builder().from("a@b.c").to("d@e.f")),
            "subject"
        );
        assert_eq!(
            missing(
                Message::builder()
                    .from("a@b.c")
                    .to("d@e.f")
                    .subject("s")
                    .text("t")
            ),
            "html"
        );
        match digest("s").to("not-an-address").build() {
            Err(MailError::Address { field, value, .. }) => {
                assert_eq!((field, value.as_str()), ("to", "not-an-address"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
