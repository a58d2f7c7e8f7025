//! Where messages go: the SMTP relay's settings (the product's `[mail]` configuration
//! key), the [`Transport`] the outbox delivers through, and its SMTP implementation over
//! lettre with rustls.
//!
//! Passwords are [`Secret`]s, which never print. Credentials are refused over an
//! unencrypted connection unless the relay is on the loopback interface (a local
//! submission agent, or the tests' server).

use std::future::Future;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use pyred_runtime::Secret;
use serde::Deserialize;

use crate::MailError;
use crate::error::BoxError;
use crate::message::parse_mailbox;

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plaintext connection upgraded with `STARTTLS`, which is required (port 587).
    #[default]
    Starttls,
    /// TLS from the first byte, "SMTPS" (port 465).
    Tls,
    /// No encryption (port 25): only for a relay on the loopback interface when
    /// credentials are set.
    None,
}

impl Security {
    /// The usual port of this mode: 587, 465 or 25.
    pub fn default_port(self) -> u16 {
        match self {
            Self::Starttls => 587,
            Self::Tls => 465,
            Self::None => 25,
        }
    }
}

/// The SMTP relay messages are handed to, e.g. under the `[mail]` configuration key:
///
/// ```toml
/// [mail]
/// host = "smtp.example.org"
/// security = "starttls"        # starttls (default) | tls | none
/// username = "digest@cci-gers.example"
/// password = "…"
/// from = "digest@cci-gers.example"
/// ```
///
/// With no relay configured, messages stay in the outbox as `.eml` files.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Relay {
    /// The relay's host name or IP address; TLS certificates are checked against it.
    pub host: String,
    /// The port; the [`Security`] mode's usual one when absent.
    #[serde(default)]
    pub port: Option<u16>,
    /// How the connection is protected.
    #[serde(default)]
    pub security: Security,
    /// The account, when the relay requires authentication (with `password`).
    #[serde(default)]
    pub username: Option<String>,
    /// The account's password; never logged.
    #[serde(default)]
    pub password: Option<Secret>,
    /// The envelope sender (`MAIL FROM`, where bounces go), a plain address the relay
    /// accepts for this account; the messages' own `From` headers are theirs.
    pub from: String,
    /// Upper bound of each SMTP command, in seconds.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// A PEM file of the certificate authorities to trust instead of the public ones
    /// (a relay with a private CA).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

fn default_timeout_secs() -> u64 {
    30
}

impl Relay {
    /// The port connected to.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(self.security.default_port())
    }

    /// Checks the settings and builds the SMTP transport (no connection is made yet).
    pub fn transport(&self) -> Result<SmtpTransport, MailError> {
        let host = self.host.trim();
        if host.is_empty() {
            return Err(relay_error("host", "is empty"));
        }
        if self.port == Some(0) {
            return Err(relay_error("port", "must be between 1 and 65535"));
        }
        if self.timeout_secs == 0 {
            return Err(relay_error("timeout_secs", "must be at least 1"));
        }
        let sender = parse_mailbox("relay.from", &self.from)?.email;
        let credentials = match (&self.username, &self.password) {
            (Some(username), Some(password)) => Some(Credentials::new(
                username.clone(),
                password.expose().to_owned(),
            )),
            (None, None) => None,
            (Some(_), None) => return Err(relay_error("password", "is required with username")),
            (None, Some(_)) => return Err(relay_error("username", "is required with password")),
        };
        if credentials.is_some() && self.security == Security::None && !is_loopback(host) {
            return Err(relay_error(
                "security",
                "\"none\" would send the password in clear; use starttls or tls (or a relay on 127.0.0.1)",
            ));
        }

        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(self.port())
            .timeout(Some(Duration::from_secs(self.timeout_secs)));
        if self.security != Security::None {
            let parameters = self.tls_parameters(host)?;
            builder = builder.tls(match self.security {
                Security::Tls => Tls::Wrapper(parameters),
                Security::Starttls | Security::None => Tls::Required(parameters),
            });
        }
        if let Some(credentials) = credentials {
            builder = builder.credentials(credentials);
        }
        Ok(SmtpTransport {
            inner: builder.build(),
            sender,
            relay: format!("{host}:{}", self.port()),
        })
    }

    fn tls_parameters(&self, host: &str) -> Result<TlsParameters, MailError> {
        let mut builder = TlsParameters::builder(host.to_owned());
        if let Some(path) = &self.ca_file {
            let pem = std::fs::read(path).map_err(MailError::io("read", path))?;
            let certificate = Certificate::from_pem(&pem).map_err(MailError::Tls)?;
            builder = builder
                .certificate_store(CertificateStore::None)
                .add_root_certificate(certificate);
        }
        builder.build_rustls().map_err(MailError::Tls)
    }
}

fn relay_error(key: &'static str, reason: &str) -> MailError {
    MailError::Relay {
        key,
        reason: reason.to_owned(),
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Something that hands one formatted message to its recipients — the SMTP relay in
/// production, a fake in tests.
pub trait Transport: Sync {
    /// Sends `message` (RFC 5322 bytes) to `recipients`; `Ok` means the relay accepted
    /// responsibility for it, with the relay's reply as text.
    fn send(
        &self,
        recipients: &[Address],
        message: &[u8],
    ) -> impl Future<Output = Result<String, BoxError>> + Send;

    /// Where messages go, for logs (e.g. `smtp.example.org:587`).
    fn describe(&self) -> String;
}

/// The SMTP relay of a [`Relay`], one connection per message.
#[derive(Clone)]
pub struct SmtpTransport {
    inner: AsyncSmtpTransport<Tokio1Executor>,
    sender: Address,
    relay: String,
}

impl std::fmt::Debug for SmtpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpTransport")
            .field("relay", &self.relay)
            .field("sender", &self.sender)
            .finish_non_exhaustive()
    }
}

impl Transport for SmtpTransport {
    async fn send(&self, recipients: &[Address], message: &[u8]) -> Result<String, BoxError> {
        let envelope = Envelope::new(Some(self.sender.clone()), recipients.to_vec())?;
        let response = self.inner.send_raw(&envelope, message).await?;
        Ok(format!(
            "{} {}",
            response.code(),
            response.message().collect::<Vec<_>>().join(" ")
        ))
    }

    fn describe(&self) -> String {
        self.relay.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relay(toml_text: &str) -> Relay {
        toml::from_str(toml_text).expect("relay settings")
    }

    #[test]
    fn settings_read_from_toml_with_defaults() {
        let relay = relay(
            r#"
            host = "smtp.example.org"
            username = "digest"
            password = "hunter2-hunter2"
            from = "digest@example.org"
            "#,
        );
        assert_eq!(relay.security, Security::Starttls);
        assert_eq!(relay.port(), 587);
        assert_eq!(relay.timeout_secs, 30);
        assert!(relay.transport().is_ok());
        let tls: Relay = toml::from_str("host = \"h\"\nsecurity = \"tls\"\nfrom = \"a@b.c\"")
            .expect("tls relay");
        assert_eq!(tls.port(), 465);
        assert!(toml::from_str::<Relay>("host = \"h\"\nfrom = \"a@b.c\"\nuser = \"x\"").is_err());
        assert!(
            toml::from_str::<Relay>("host = \"h\"\nfrom = \"a@b.c\"\nsecurity = \"ssl\"").is_err()
        );
    }

    #[test]
    fn the_password_never_prints() {
        let relay =
            relay("host = \"h\"\nusername = \"u\"\npassword = \"s3cr3t-value\"\nfrom = \"a@b.c\"");
        let shown = format!("{relay:?} {:?}", relay.transport().expect("transport"));
        assert!(!shown.contains("s3cr3t-value"), "{shown}");
    }

    #[test]
    fn bad_settings_name_their_key() {
        let key = |text: &str| match relay(text).transport() {
            Err(MailError::Relay { key, .. }) => key,
            Err(MailError::Address { field, .. }) => field,
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(key("host = \" \"\nfrom = \"a@b.c\""), "host");
        assert_eq!(key("host = \"h\"\nport = 0\nfrom = \"a@b.c\""), "port");
        assert_eq!(key("host = \"h\"\nfrom = \"not an address\""), "relay.from");
        assert_eq!(
            key("host = \"h\"\nusername = \"u\"\nfrom = \"a@b.c\""),
            "password"
        );
        assert_eq!(
            key(
                "host = \"smtp.example.org\"\nsecurity = \"none\"\nusername = \"u\"\npassword = \"p\"\nfrom = \"a@b.c\""
            ),
            "security"
        );
        // Plaintext credentials are allowed to a relay on this machine.
        for host in ["127.0.0.1", "localhost", "::1"] {
            let text = format!(
                "host = \"{host}\"\nsecurity = \"none\"\nusername = \"u\"\npassword = \"p\"\nfrom = \"a@b.c\""
            );
            assert!(relay(&text).transport().is_ok(), "{host}");
        }
    }
}
