//! Delivery through a real SMTP server: `tests/smtp_server.py` (Python's aiosmtpd) is
//! started per test on a free port of 127.0.0.1 and keeps what it accepts in a directory,
//! which the tests read back — recipients, envelope sender, login, TLS, and the message
//! parsed (subject with accents, both parts, the link).
//!
//! Covered: STARTTLS with authentication and a certificate from a private CA
//! (`ca_file`), implicit TLS, AUTH in clear with `security = "none"` (allowed because the
//! relay is on loopback), a recipient refused with 550, a wrong password and an untrusted
//! certificate. Without Python or aiosmtpd each test prints `SKIPPED (aiosmtpd)` and
//! passes, unless `PYRED_REQUIRE_SMTP=1`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use pyred_mail::{MailError, Message, Outbox, Relay, Security};
use pyred_runtime::Secret;

const USER: &str = "digest@pyred.example";
const PASSWORD: &str = "correct horse battery staple";
const SENDER: &str = "bounces@pyred.example";

fn python() -> String {
    std::env::var("PYRED_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Whether the tests can run; panics when they must (`PYRED_REQUIRE_SMTP=1`) and cannot.
fn aiosmtpd_available() -> bool {
    let available = Command::new(python())
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !available {
        if std::env::var("PYRED_REQUIRE_SMTP").as_deref() == Ok("1") {
            panic!(
                "PYRED_REQUIRE_SMTP=1 but `{} -c 'import aiosmtpd'` fails",
                python()
            );
        }
        eprintln!("SKIPPED (aiosmtpd): install it with `pip install aiosmtpd`");
    }
    available
}

/// A CA, and a certificate for 127.0.0.1 signed by it, as PEM files in `dir`.
struct Pki {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

fn pki(dir: &Path) -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};
    let ca_key = KeyPair::generate().expect("ca key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca_params.self_signed(&ca_key).expect("ca");
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().expect("server key");
    let params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).expect("params");
    let cert = params.signed_by(&key, &issuer).expect("server cert");
    let pki = Pki {
        ca: dir.join("ca.pem"),
        cert: dir.join("server.pem"),
        key: dir.join("server.key"),
    };
    std::fs::write(&pki.ca, ca_cert.pem()).expect("write ca");
    std::fs::write(&pki.cert, cert.pem()).expect("write cert");
    std::fs::write(&pki.key, key.serialize_pem()).expect("write key");
    pki
}

/// The running aiosmtpd; killed on drop.
struct Server {
    child: Child,
    port: u16,
    received: PathBuf,
    _dir: tempfile::TempDir,
    pki: Option<Pki>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One message the server accepted.
struct Received {
    meta: serde_json::Value,
    raw: Vec<u8>,
}

impl Received {
    fn recipients(&self) -> Vec<String> {
        let mut to: Vec<String> = self.meta["rcpt_tos"]
            .as_array()
            .expect("rcpt_tos")
            .iter()
            .map(|v| v.as_str().expect("address").to_owned())
            .collect();
        to.sort();
        to
    }
}

impl Server {
    /// Starts the server in `security` mode, requiring authentication when `auth`.
    fn start(security: Security, auth: bool) -> Option<Server> {
        if !aiosmtpd_available() {
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let received = dir.path().join("received");
        std::fs::create_dir(&received).expect("received dir");
        let mut command = Command::new(python());
        command
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp_server.py"))
            .arg(&received);
        let mode = match security {
            Security::Starttls => "starttls",
            Security::Tls => "tls",
            Security::None => "none",
        };
        command.args(["--security", mode]);
        let pki = (security != Security::None).then(|| pki(dir.path()));
        if let Some(pki) = &pki {
            command
                .arg("--cert")
                .arg(&pki.cert)
                .arg("--key")
                .arg(&pki.key);
        }
        if auth {
            command.args(["--user", USER, "--password", PASSWORD]);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(if std::env::var_os("PYRED_TEST_LOG").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .expect("start smtp_server.py");
        let stdout = child.stdout.take().expect("stdout");
        let (ready, port) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = ready.send(line);
        });
        let line = port
            .recv_timeout(Duration::from_secs(30))
            .expect("smtp_server.py prints its port");
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("smtp_server.py did not start: {line:?}"));
        Some(Server {
            child,
            port,
            received,
            _dir: dir,
            pki,
        })
    }

    fn relay(&self, security: Security, password: Option<&str>) -> Relay {
        Relay {
            host: "127.0.0.1".into(),
            port: Some(self.port),
            security,
            username: password.map(|_| USER.to_owned()),
            password: password.map(Secret::new),
            from: SENDER.into(),
            timeout_secs: 10,
            ca_file: self.pki.as_ref().map(|pki| pki.ca.clone()),
        }
    }

    /// What the server accepted, in order.
    fn received(&self) -> Vec<Received> {
        let mut metas: Vec<PathBuf> = std::fs::read_dir(&self.received)
            .expect("received dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        metas.sort();
        metas
            .into_iter()
            .map(|meta| Received {
                meta: serde_json::from_slice(&std::fs::read(&meta).expect("meta")).expect("json"),
                raw: std::fs::read(meta.with_extension("eml")).expect("eml"),
            })
            .collect()
    }
}

const FRENCH: &str =
    "Pyred : 3 opportunités en Aragón pour Tonnellerie Gasconne — échéance vendredi";
const SPANISH: &str = "Pyred: licitación en Logroño, año 2026 — ¿le interesa?";

fn digest(subject: &str, to: &[&str], lead: u32) -> Message {
    let mut builder = Message::builder()
        .from("Pyred Gers <digest@pyred.example>")
        .subject(subject)
        .text(format!(
            "Bonjour,\n\nNouvelle piste : https://pyred.example/leads/{lead}\nÉchéance : 12 décembre.\n"
        ))
        .html(format!(
            "<p>Bonjour,</p><p><a href=\"https://pyred.example/leads/{lead}\">Nouvelle piste</a> — échéance : 12 décembre, señal «año».</p>"
        ));
    for address in to {
        builder = builder.to(*address);
    }
    builder.build().expect("message")
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

#[tokio::test]
async fn starttls_with_authentication_delivers_two_messages_once() {
    let Some(server) = Server::start(Security::Starttls, true) else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let outbox = Outbox::open(dir.path().join("outbox")).expect("outbox");
    outbox
        .enqueue(
            &digest(
                FRENCH,
                &["adele@cci-gers.example", "bruno@cci-gers.example"],
                7,
            ),
            "digest-adele-2026-12-04",
        )
        .expect("first");
    outbox
        .enqueue(
            &digest(SPANISH, &["jose@aragon.example"], 8),
            "digest-jose-2026-12-04",
        )
        .expect("second");
    let transport = server
        .relay(Security::Starttls, Some(PASSWORD))
        .transport()
        .expect("transport");

    let report = outbox.deliver(&transport).await.expect("deliver");
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(
        sorted(report.sent),
        vec!["digest-adele-2026-12-04", "digest-jose-2026-12-04"]
    );

    let received = server.received();
    assert_eq!(received.len(), 2);
    for message in &received {
        assert_eq!(message.meta["tls"], true, "upgraded by STARTTLS");
        assert_eq!(message.meta["login"], USER, "authenticated");
        assert_eq!(
            message.meta["mail_from"], SENDER,
            "envelope sender is relay.from"
        );
        assert!(
            !String::from_utf8_lossy(&message.raw).contains("X-Pyred-Envelope-To"),
            "the outbox's envelope line is not sent"
        );
    }
    let parsed: Vec<_> = received
        .iter()
        .map(|m| {
            mail_parser::MessageParser::default()
                .parse(&m.raw)
                .expect("RFC 5322")
        })
        .collect();
    let french = parsed
        .iter()
        .position(|p| p.subject() == Some(FRENCH))
        .expect("the French subject, accents decoded");
    let spanish = parsed
        .iter()
        .position(|p| p.subject() == Some(SPANISH))
        .expect("the Spanish subject, accents decoded");
    assert_eq!(
        received[french].recipients(),
        vec!["adele@cci-gers.example", "bruno@cci-gers.example"]
    );
    assert_eq!(received[spanish].recipients(), vec!["jose@aragon.example"]);
    for (index, lead) in [(french, 7), (spanish, 8)] {
        let message = &parsed[index];
        assert_eq!(
            (message.text_body_count(), message.html_body_count()),
            (1, 1)
        );
        let text = message.body_text(0).expect("text part");
        assert!(text.contains("Échéance : 12 décembre."), "{text}");
        let html = message.body_html(0).expect("html part");
        assert!(
            html.contains(&format!("<a href=\"https://pyred.example/leads/{lead}\">")),
            "{html}"
        );
        assert!(html.contains("señal «año»"), "{html}");
    }

    assert!(outbox.is_sent("digest-adele-2026-12-04") && outbox.is_sent("digest-jose-2026-12-04"));
    assert!(outbox.pending().expect("pending").is_empty());
    let again = outbox.deliver(&transport).await.expect("deliver again");
    assert!(again.sent.is_empty() && again.failed.is_empty());
    assert_eq!(server.received().len(), 2, "nothing is resent");
}

#[tokio::test]
async fn implicit_tls_delivers() {
    let Some(server) = Server::start(Security::Tls, true) else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let outbox = Outbox::open(dir.path()).expect("outbox");
    outbox
        .enqueue(&digest(SPANISH, &["jose@aragon.example"], 1), "k")
        .expect("enqueue");
    let transport = server
        .relay(Security::Tls, Some(PASSWORD))
        .transport()
        .expect("transport");
    let report = outbox.deliver(&transport).await.expect("deliver");
    assert_eq!(report.sent, vec!["k"], "{:?}", report.failed);
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].meta["tls"], true);
    assert_eq!(received[0].meta["login"], USER);
}

#[tokio::test]
async fn plaintext_auth_on_loopback_and_a_refused_recipient_stays_pending() {
    let Some(server) = Server::start(Security::None, true) else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let outbox = Outbox::open(dir.path()).expect("outbox");
    outbox
        .enqueue(&digest(FRENCH, &["a@cci-gers.example"], 1), "a")
        .expect("a");
    outbox
        .enqueue(&digest(FRENCH, &["reject-me@cci-gers.example"], 2), "b")
        .expect("b");
    outbox
        .enqueue(&digest(SPANISH, &["c@aragon.example"], 3), "c")
        .expect("c");
    let transport = server
        .relay(Security::None, Some(PASSWORD))
        .transport()
        .expect("plaintext credentials are allowed to 127.0.0.1");

    let report = outbox.deliver(&transport).await.expect("deliver");
    assert_eq!(
        sorted(report.sent),
        vec!["a", "c"],
        "later messages still go"
    );
    assert_eq!(report.failed.len(), 1);
    assert_eq!(
        (report.failed[0].id.as_str(), report.failed[0].attempts),
        ("b", 1)
    );
    assert!(matches!(report.failed[0].error, MailError::Send { .. }));
    assert!(report.failed[0].error.is_permanent(), "550 is permanent");
    let pending = outbox.pending().expect("pending");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].id, "b");
    let error = pending[0].last_error.as_deref().unwrap_or_default();
    assert!(error.contains("550"), "{error}");
    let received = server.received();
    assert_eq!(received.len(), 2);
    assert!(
        received
            .iter()
            .all(|m| m.meta["tls"] == false && m.meta["login"] == USER)
    );

    let again = outbox.deliver(&transport).await.expect("deliver again");
    assert!(again.sent.is_empty());
    assert_eq!(again.failed[0].attempts, 2);
    assert_eq!(server.received().len(), 2, "a and c are not resent");

    // STARTTLS is required, not opportunistic: this server does not offer it, so nothing
    // (neither the password nor the message) goes in clear.
    outbox
        .enqueue(&digest(SPANISH, &["d@aragon.example"], 4), "d")
        .expect("d");
    let mut relay = server.relay(Security::Starttls, Some(PASSWORD));
    relay.ca_file = None;
    let downgraded = outbox
        .deliver(&relay.transport().expect("transport"))
        .await
        .expect("deliver");
    assert!(downgraded.sent.is_empty());
    let d = downgraded
        .failed
        .iter()
        .find(|f| f.id == "d")
        .expect("d failed");
    assert!(!d.error.is_permanent(), "{:?}", d.error);
    assert_eq!(server.received().len(), 2);
}

#[tokio::test]
async fn a_wrong_password_leaves_every_message_pending() {
    let Some(server) = Server::start(Security::Starttls, true) else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let outbox = Outbox::open(dir.path()).expect("outbox");
    outbox
        .enqueue(&digest(FRENCH, &["a@x.example"], 1), "a")
        .expect("a");
    outbox
        .enqueue(&digest(FRENCH, &["b@x.example"], 2), "b")
        .expect("b");
    let transport = server
        .relay(Security::Starttls, Some("wrong"))
        .transport()
        .expect("transport");
    let report = outbox.deliver(&transport).await.expect("deliver");
    assert!(report.sent.is_empty());
    assert_eq!(report.failed.len(), 2);
    assert!(
        report.failed.iter().all(|f| f.error.is_permanent()),
        "535 is permanent until the password is fixed"
    );
    let pending = outbox.pending().expect("pending");
    assert_eq!(pending.len(), 2);
    for message in &pending {
        let error = message.last_error.as_deref().unwrap_or_default();
        assert!(error.contains("535"), "refused as bad credentials: {error}");
    }
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn a_certificate_from_an_untrusted_ca_is_refused() {
    let Some(server) = Server::start(Security::Starttls, true) else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let outbox = Outbox::open(dir.path()).expect("outbox");
    outbox
        .enqueue(&digest(FRENCH, &["a@x.example"], 1), "a")
        .expect("a");
    let mut relay = server.relay(Security::Starttls, Some(PASSWORD));
    relay.ca_file = None; // the public roots do not know the test CA
    let report = outbox
        .deliver(&relay.transport().expect("transport"))
        .await
        .expect("deliver");
    assert!(report.sent.is_empty());
    assert_eq!(report.failed.len(), 1);
    let error = outbox.pending().expect("pending")[0]
        .last_error
        .clone()
        .unwrap_or_default();
    assert!(error.to_lowercase().contains("certificate"), "{error}");
    assert!(!report.failed[0].error.is_permanent());
    assert!(server.received().is_empty());
}
