//! The advisers' e-mail digest end to end, through a real SMTP server (Python's
//! aiosmtpd, started by the test, with authentication): a Gers adviser with an address
//! receives one multipart message in French — new leads, a deadline within 14 days, a
//! withdrawn listing of a lead being worked on, accents intact, links to the console; an
//! adviser whose territory has nothing new receives nothing; after a restart of the
//! whole stack nothing is sent twice. The HTML part is rendered in headless Chromium
//! when it is installed (`PYRED_SCREENSHOTS=DIR` keeps the picture).
//!
//! Without Python's aiosmtpd the test prints `SKIPPED (aiosmtpd)` and passes, unless
//! `PYRED_REQUIRE_SMTP=1` (set by `.ci/run`).

#![allow(clippy::unwrap_used)]

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use pyred_e2e::wait_until;

use pyred_proto::v1::company_registry_client::CompanyRegistryClient;
use pyred_proto::v1::matchmaking_client::MatchmakingClient;
use pyred_proto::v1::{self as pb};

fn python() -> String {
    std::env::var("PYRED_PYTHON").unwrap_or_else(|_| "python3".into())
}

fn aiosmtpd_available() -> bool {
    let available = Command::new(python())
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !available {
        assert!(
            std::env::var("PYRED_REQUIRE_SMTP").is_err(),
            "PYRED_REQUIRE_SMTP is set but {} cannot import aiosmtpd",
            python()
        );
        eprintln!("SKIPPED (aiosmtpd): install it with `pip install aiosmtpd`");
    }
    available
}

/// The SMTP sink: a child process writing every message it accepts into a directory.
struct Sink {
    child: Child,
    port: u16,
    received: PathBuf,
}

impl Sink {
    fn start(received: &Path) -> Self {
        std::fs::create_dir_all(received).unwrap();
        let mut child = Command::new(python())
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../libs/mail/tests/smtp_server.py"
            ))
            .arg(received)
            .args([
                "--security",
                "none",
                "--user",
                "pyred",
                "--password",
                "s3cret",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the SMTP sink starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("the sink says its port: {line:?}"));
        Self {
            child,
            port,
            received: received.to_owned(),
        }
    }

    /// The messages received so far, with their envelope records.
    fn messages(&self) -> Vec<(serde_json::Value, Vec<u8>)> {
        let mut names: Vec<_> = std::fs::read_dir(&self.received)
            .unwrap()
            .filter_map(Result::ok)
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".json") && !name.starts_with('.'))
            .collect();
        names.sort();
        names
            .iter()
            .map(|name| {
                let meta = std::fs::read_to_string(self.received.join(name)).unwrap();
                let eml = std::fs::read(self.received.join(name.replace(".json", ".eml"))).unwrap();
                (serde_json::from_str(&meta).unwrap(), eml)
            })
            .collect()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn settings(data_dir: &Path, smtp_port: u16) -> pyred_runtime::Settings {
    let mut settings = pyred_e2e::test_settings(data_dir);
    settings.digest.check_every = "1".into();
    settings.digest.console_url = "https://console.example/console".into();
    settings.digest.from = "Pyred CCI <pyred@cci.example>".into();
    let relay = format!(
        "[relay]\nhost = \"127.0.0.1\"\nport = {smtp_port}\nsecurity = \"none\"\n\
         username = \"pyred\"\npassword = \"s3cret\"\nfrom = \"bounces@cci.example\"\n"
    );
    let parsed = config::Config::builder()
        .add_source(config::File::from_str(&relay, config::FileFormat::Toml))
        .build()
        .unwrap();
    settings.digest.relay = Some(parsed.get::<config::Value>("relay").unwrap());
    settings
}

async fn start(data_dir: &Path, smtp_port: u16) -> pyred::stack::RunningStack {
    let stack = pyred::stack::start(settings(data_dir, smtp_port))
        .await
        .expect("stack starts");
    stack
        .wait_healthy(Duration::from_secs(30))
        .await
        .expect("stack becomes healthy");
    stack
}

fn foie_gras(external_id: &str, title: &str, deadline: Option<pb::Date>) -> pb::Opportunity {
    pb::Opportunity {
        external_id: external_id.to_owned(),
        kind: pb::OpportunityKind::BusinessRequest as i32,
        title: title.to_owned(),
        description: "Tiendas delicatessen de Zaragoza buscan un fabricante francés de foie \
                      gras entero, bloc de foie gras, confit y magret de pato."
            .to_owned(),
        language: pb::Language::Es as i32,
        location: Some(pb::Location {
            place_code: "50297".to_owned(),
            ..Default::default()
        }),
        region: "ES-AR".to_owned(),
        deadline,
        ..Default::default()
    }
}

fn in_days(days: i64) -> pb::Date {
    pyred_domain::Day::today().plus_days(days).unwrap().into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adviser_receives_one_digest_in_french_through_smtp_and_never_twice() {
    if !aiosmtpd_available() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let sink = Sink::start(&work.path().join("received"));
    let data = tempfile::tempdir().unwrap();
    let stack = start(data.path(), sink.port).await;
    let connector = stack.connector().with_timeout(Duration::from_secs(30));
    pyred::import::load_demo(&connector, &stack.addresses.registry)
        .await
        .expect("demo loads");
    let channel = |url: &str| connector.channel(url).unwrap();
    let mut registry = CompanyRegistryClient::new(channel(&stack.addresses.registry));
    let mut matchmaking = MatchmakingClient::new(channel(&stack.addresses.matchmaking));

    // A listing closing in 5 days, and one that a lead is being worked on and that its
    // publisher then withdraws.
    registry
        .sync_listings(pb::SyncListingsRequest {
            source: "arex".into(),
            upserts: vec![
                foie_gras(
                    "arex-digest-soon",
                    "Épicerie fine de Huesca busca foie gras y magret de pato para Navidad",
                    Some(in_days(5)),
                ),
                foie_gras(
                    "arex-digest-gone",
                    "Distribuidor gourmet busca proveedor de foie gras y confit de pato",
                    None,
                ),
            ],
            ..Default::default()
        })
        .await
        .expect("synced");
    let gone = loop {
        let leads = matchmaking
            .list_company_matches(pb::ListCompanyMatchesRequest {
                company_id: "demo-gers-01".into(),
                page: Some(pb::PageRequest {
                    page_size: 100,
                    page_token: String::new(),
                }),
                ..Default::default()
            })
            .await
            .expect("leads")
            .into_inner()
            .matches;
        if let Some(lead) = leads
            .iter()
            .find(|lead| lead.opportunity_title.contains("confit de pato"))
        {
            break lead.clone();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    matchmaking
        .update_match_status(pb::UpdateMatchStatusRequest {
            id: gone.id.clone(),
            status: pb::MatchStatus::Shortlisted as i32,
            ..Default::default()
        })
        .await
        .expect("shortlisted");
    registry
        .sync_listings(pb::SyncListingsRequest {
            source: "arex".into(),
            tombstones: vec![pb::Tombstone {
                external_id: "arex-digest-gone".into(),
                reason: "ANULADA".into(),
                source_version: 1,
            }],
            ..Default::default()
        })
        .await
        .expect("withdrawn");

    // Two advisers with an address: the Gers one, and La Rioja's (no demo firm there);
    // and one without an address.
    let mut access = pb::access_client::AccessClient::new(channel(&stack.addresses.registry));
    for (name, territory, email, language) in [
        (
            "Amélie Dupré — CCI Gers",
            "FR-32",
            "amelie.dupre@cci-gers.example",
            "fr",
        ),
        ("Íñigo Sáenz — ADER", "ES-RI", "inigo@ader.example", "es"),
        ("Sans adresse", "FR-32", "", ""),
    ] {
        access
            .create_key(pb::CreateKeyRequest {
                name: name.into(),
                role: pb::Role::Adviser as i32,
                territory: vec![territory.into()],
                email: email.into(),
                language: language.into(),
                ..Default::default()
            })
            .await
            .expect("adviser key");
    }

    // One message arrives, for the Gers adviser only.
    wait_until(
        "a digest to reach the SMTP server",
        Duration::from_secs(30),
        || async { (!sink.messages().is_empty()).then_some(()) },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await; // a few more rounds
    let messages = sink.messages();
    assert_eq!(messages.len(), 1, "one digest, for the Gers adviser only");
    let (envelope, eml) = &messages[0];
    assert_eq!(
        envelope["rcpt_tos"],
        serde_json::json!(["amelie.dupre@cci-gers.example"])
    );
    assert_eq!(envelope["mail_from"], "bounces@cci.example");
    assert_eq!(envelope["login"], "pyred");

    let parsed = mail_parser::MessageParser::default().parse(eml).unwrap();
    let subject = parsed.subject().unwrap();
    assert!(subject.starts_with("Pyred — "), "{subject}");
    assert!(
        subject.contains("nouvelles pistes") && subject.contains("échéances"),
        "{subject}"
    );
    assert!(subject.contains("annonces retirées"), "{subject}");
    let text = parsed.body_text(0).unwrap();
    let html = parsed.body_html(0).unwrap();
    for part in [&text, &html] {
        assert!(part.contains("Amélie Dupré — CCI Gers"), "{part}");
        assert!(
            part.contains("Foies Gras Bartharès"),
            "accents kept: {part}"
        );
        assert!(part.contains("Épicerie fine de Huesca"), "{part}");
        assert!(part.contains("Distribuidor gourmet busca proveedor de foie gras y confit"));
        assert!(part.contains("ANULADA"), "the withdrawal's reason");
    }
    assert!(text.contains("Échéances dans les 14 prochains jours"));
    assert!(text.contains("dans 5 j"), "{text}");
    assert!(html.contains("<html lang=\"fr\">"));
    assert!(html.contains("href=\"https://console.example/console/firms/demo-gers-01\""));
    assert!(html.contains("href=\"https://console.example/console/alerts\""));
    assert!(html.contains("https://console.example/console/opportunities/"));

    // The outbox keeps the message, marked sent.
    let outbox = data.path().join("outbox");
    let files: Vec<String> = std::fs::read_dir(&outbox)
        .unwrap()
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        files.iter().filter(|f| f.ends_with(".eml")).count(),
        1,
        "{files:?}"
    );
    assert_eq!(
        files.iter().filter(|f| f.ends_with(".sent")).count(),
        1,
        "{files:?}"
    );

    if let Some(dir) = std::env::var_os("PYRED_SCREENSHOTS").map(PathBuf::from) {
        screenshot(&html, &dir.join("12-recapitulatif.png"), work.path());
    } else {
        screenshot(&html, &work.path().join("digest.png"), work.path());
    }

    // A restart of everything sends nothing again this period.
    stack.stop().await.expect("clean stop");
    let stack = start(data.path(), sink.port).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(
        sink.messages().len(),
        1,
        "nothing sent twice after a restart"
    );
    stack.stop().await.expect("clean stop");
}

/// Renders `html` in headless Chromium into `png` (when Chromium is installed).
fn screenshot(html: &str, png: &Path, scratch: &Path) {
    let Some(chromium) = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|path| Path::new(path).exists())
    else {
        assert!(
            std::env::var("PYRED_REQUIRE_BROWSER").is_err(),
            "chromium is required to render the digest"
        );
        eprintln!("SKIPPED (chromium): the digest's HTML is not rendered");
        return;
    };
    let page = scratch.join("digest.html");
    std::fs::write(&page, html).unwrap();
    if let Some(parent) = png.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    let status = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=760,2000",
        ])
        .arg(format!(
            "--user-data-dir={}",
            scratch.join("chromium").display()
        ))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("chromium runs");
    assert!(status.success(), "chromium rendered the digest");
    let bytes = std::fs::read(png).unwrap();
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000,
        "a real picture"
    );
}

/// Without a relay (`pyred up`'s default) digests stay in `DATA_DIR/outbox` as `.eml`
/// files, unsent, in the adviser's language.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_relay_a_spanish_digest_waits_in_the_outbox() {
    let data = tempfile::tempdir().unwrap();
    let mut settings = pyred_e2e::test_settings(data.path());
    settings.digest.check_every = "1".into();
    assert!(settings.digest.relay.is_none(), "no relay by default");
    let stack = pyred::stack::start(settings).await.expect("stack starts");
    stack
        .wait_healthy(Duration::from_secs(30))
        .await
        .expect("healthy");
    let connector = stack.connector().with_timeout(Duration::from_secs(30));
    pyred::import::load_demo(&connector, &stack.addresses.registry)
        .await
        .expect("demo loads");
    pb::access_client::AccessClient::new(connector.channel(&stack.addresses.registry).unwrap())
        .create_key(pb::CreateKeyRequest {
            name: "Pilar Ibáñez".into(),
            role: pb::Role::Adviser as i32,
            territory: vec!["FR-32".into()],
            email: "pilar@arex.example".into(),
            language: "es".into(),
            ..Default::default()
        })
        .await
        .expect("adviser key");
    let outbox = data.path().join("outbox");
    let eml = wait_until(
        "a digest in the outbox",
        Duration::from_secs(30),
        || async {
            std::fs::read_dir(&outbox).ok().and_then(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|entry| entry.path())
                    .find(|path| path.extension().is_some_and(|ext| ext == "eml"))
            })
        },
    )
    .await;
    let bytes = std::fs::read(&eml).unwrap();
    let parsed = mail_parser::MessageParser::default().parse(&bytes).unwrap();
    let subject = parsed.subject().unwrap().to_owned();
    assert!(subject.contains("nuevas pistas"), "{subject}");
    let text = parsed.body_text(0).unwrap();
    assert!(text.contains("Hola Pilar Ibáñez"), "{text}");
    assert!(
        text.contains("Necesidad") || text.contains("Oferta"),
        "Spanish reasons: {text}"
    );
    assert!(
        text.contains("https://127.0.0.1:"),
        "links to gateway.url: {text}"
    );
    let marks = std::fs::read_dir(&outbox)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_string_lossy().ends_with(".sent"))
        .count();
    assert_eq!(marks, 0, "nothing is sent without a relay");
    stack.stop().await.expect("clean stop");
}
