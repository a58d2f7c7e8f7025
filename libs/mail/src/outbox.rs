//! The outbox: a directory of messages waiting for the relay, one RFC 5322 file per
//! message, so that a digest decided once is delivered once even across restarts and
//! relay outages.
//!
//! Layout of the directory (`DATA_DIR/outbox` in the product):
//!
//! - `<id>.eml` — a message, written atomically (temporary file, fsync, link to its name,
//!   fsync of the directory). It opens in any mail client; its first header,
//!   `X-Pyred-Envelope-To`, lists the recipients handed to the relay and is removed
//!   before sending. `<id>` is derived from the caller's dedup key, so enqueueing the
//!   same key again stores nothing.
//! - `<id>.sent` — the mark that the relay accepted the message, written atomically
//!   right after its acceptance; a marked message is never sent again.
//! - `<id>.failed` — how many attempts failed and the last error, while pending.
//! - `.deliver.lock` — held (an advisory file lock) by the one `deliver` running.
//!
//! The one window: a crash after the relay accepted a message and before its mark is on
//! disk leaves it pending, so it is sent once more on the next delivery. SMTP offers no
//! way to close it (the acceptance and our write cannot be one atomic step); the
//! `Message-ID` stays the same, so clients and relays that deduplicate on it show one.

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lettre::Address;
use sha2::{Digest, Sha256};

use crate::{MailError, Message, Transport};

const ENVELOPE_HEADER: &str = "X-Pyred-Envelope-To:";
/// How long a delivery waits for the lock before answering [`MailError::Busy`].
const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_millis(500);
const LOCK_FILE: &str = ".deliver.lock";
/// Temporary files older than this are left by a crash and removed by [`Outbox::open`].
const STALE_TEMPORARY: Duration = Duration::from_secs(3600);

/// A directory of pending and sent messages.
#[derive(Debug, Clone)]
pub struct Outbox {
    dir: PathBuf,
}

/// What [`Outbox::enqueue`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enqueued {
    /// The message was stored under this id.
    Stored(String),
    /// A message with the same dedup key was already stored (pending or sent) under
    /// this id; the new one was dropped.
    AlreadyQueued(String),
}

impl Enqueued {
    /// The message's id in the outbox.
    pub fn id(&self) -> &str {
        match self {
            Self::Stored(id) | Self::AlreadyQueued(id) => id,
        }
    }
}

/// A message not yet accepted by a relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// Its id (`<id>.eml`).
    pub id: String,
    /// Its `.eml` file.
    pub path: PathBuf,
    /// How many delivery attempts failed.
    pub attempts: u32,
    /// The last failure, when there was one.
    pub last_error: Option<String>,
}

/// What one [`Outbox::deliver`] did.
#[derive(Debug, Default)]
pub struct DeliveryReport {
    /// Ids of the messages the relay accepted, now marked sent.
    pub sent: Vec<String>,
    /// The messages that failed; they stay pending.
    pub failed: Vec<Failure>,
}

/// One message that could not be delivered this time.
#[derive(Debug)]
pub struct Failure {
    /// Its id.
    pub id: String,
    /// Failed attempts so far, this one included.
    pub attempts: u32,
    /// Why.
    pub error: MailError,
}

impl Outbox {
    /// Opens (creating it if needed) the outbox in `dir`, and removes temporary files a
    /// crash left more than an hour ago.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, MailError> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(MailError::io("create", &dir))?;
        let outbox = Self { dir };
        for entry in outbox.entries()? {
            let name = entry.file_name().to_string_lossy().into_owned();
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|modified| modified.elapsed().ok())
                .is_some_and(|age| age > STALE_TEMPORARY);
            if name.starts_with('.') && name.ends_with(".tmp") && old {
                let _ignored = fs::remove_file(entry.path());
            }
        }
        Ok(outbox)
    }

    /// The outbox directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The id, and file name stem, of the message of `dedup_key`: the key itself when it
    /// is made of ASCII letters, digits, `.`, `_` and `-` (at most 100 bytes, not
    /// starting with `.`), otherwise those characters with `_` for the others, cut to 80
    /// bytes, and `-` with 16 hex digits of the key's SHA-256 — stable, and distinct for
    /// distinct keys.
    pub fn id_for(dedup_key: &str) -> Result<String, MailError> {
        if dedup_key.is_empty() {
            return Err(MailError::DedupKey {
                key: dedup_key.to_owned(),
                reason: "is empty",
            });
        }
        let safe = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        if dedup_key.len() <= 100 && !dedup_key.starts_with('.') && dedup_key.chars().all(safe) {
            return Ok(dedup_key.to_owned());
        }
        let mut stem: String = dedup_key
            .chars()
            .map(|c| if safe(c) { c } else { '_' })
            .take(80)
            .collect();
        if stem.starts_with('.') {
            stem.replace_range(..1, "_");
        }
        let digest = Sha256::digest(dedup_key.as_bytes());
        let hash: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        Ok(format!("{stem}-{hash}"))
    }

    /// Stores `message` under the id of `dedup_key` unless a message of that key is
    /// already there (pending or sent). Atomic: the `.eml` appears whole or not at all,
    /// and of two concurrent calls with one key exactly one stores its message.
    pub fn enqueue(&self, message: &Message, dedup_key: &str) -> Result<Enqueued, MailError> {
        let id = Self::id_for(dedup_key)?;
        let path = self.eml_path(&id);
        if path.exists() {
            return Ok(Enqueued::AlreadyQueued(id));
        }
        let recipients: Vec<String> = message
            .recipients()
            .iter()
            .map(Address::to_string)
            .collect();
        // One recipient per folded line keeps every line far below RFC 5322's 998 bytes.
        let mut contents =
            format!("{ENVELOPE_HEADER} {}\r\n", recipients.join(",\r\n ")).into_bytes();
        contents.extend_from_slice(message.formatted());
        if self.write_atomically(&path, &contents, Replace::No)? {
            tracing::info!(id = %id, message_id = message.message_id(), "mail queued");
            Ok(Enqueued::Stored(id))
        } else {
            Ok(Enqueued::AlreadyQueued(id))
        }
    }

    /// The messages not yet marked sent, oldest first.
    pub fn pending(&self) -> Result<Vec<Pending>, MailError> {
        let mut names = HashSet::new();
        let mut emls = Vec::new();
        for entry in self.entries()? {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(id) = name.strip_suffix(".eml").filter(|_| !name.starts_with('.')) {
                let modified = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .unwrap_or(UNIX_EPOCH);
                emls.push((modified, id.to_owned()));
            }
            names.insert(name);
        }
        emls.sort();
        Ok(emls
            .into_iter()
            .filter(|(_, id)| !names.contains(&format!("{id}.sent")))
            .map(|(_, id)| {
                let (attempts, last_error) = self.failures(&id);
                Pending {
                    path: self.eml_path(&id),
                    id,
                    attempts,
                    last_error,
                }
            })
            .collect())
    }

    /// Whether the message `id` was accepted by a relay.
    pub fn is_sent(&self, id: &str) -> bool {
        self.dir.join(format!("{id}.sent")).exists()
    }

    /// Sends every pending message through `transport`, oldest first, marking each sent
    /// as soon as the relay accepted it. A message that fails stays pending, its failure
    /// counted in `<id>.failed` and logged, and the next ones are still tried.
    ///
    /// Fails as a whole only when the outbox cannot be read, another delivery holds the
    /// lock for more than [`LOCK_PATIENCE`] ([`MailError::Busy`]), or a sent mark cannot be written — then it stops at
    /// once, since going on would send messages it cannot remember sending.
    pub async fn deliver<T: Transport>(&self, transport: &T) -> Result<DeliveryReport, MailError> {
        let _lock = self.lock_patiently().await?;
        let mut report = DeliveryReport::default();
        for pending in self.pending()? {
            if self.is_sent(&pending.id) {
                continue;
            }
            let outcome = match self.read_pending(&pending.path) {
                Ok((recipients, body)) => {
                    transport
                        .send(&recipients, &body)
                        .await
                        .map_err(|source| MailError::Send {
                            id: pending.id.clone(),
                            source,
                        })
                }
                Err(error) => Err(error),
            };
            match outcome {
                Ok(response) => {
                    self.mark_sent(&pending.id, &transport.describe(), &response)?;
                    let _ignored = fs::remove_file(self.dir.join(format!("{}.failed", pending.id)));
                    tracing::info!(
                        id = %pending.id,
                        relay = %transport.describe(),
                        response = %response,
                        "mail sent"
                    );
                    report.sent.push(pending.id);
                }
                Err(error) => {
                    let attempts = pending.attempts.saturating_add(1);
                    let reason = error_chain(&error);
                    tracing::warn!(
                        id = %pending.id,
                        attempts,
                        permanent = error.is_permanent(),
                        error = %reason,
                        "mail not sent, kept in the outbox"
                    );
                    let record = format!(
                        "attempts={attempts}\npermanent={}\nlast_error={}\n",
                        error.is_permanent(),
                        reason.replace(['\r', '\n'], " ")
                    );
                    let failed_path = self.dir.join(format!("{}.failed", pending.id));
                    if let Err(write_error) =
                        self.write_atomically(&failed_path, record.as_bytes(), Replace::Yes)
                    {
                        tracing::warn!(
                            id = %pending.id,
                            error = %error_chain(&write_error),
                            "mail failure count not recorded"
                        );
                    }
                    report.failed.push(Failure {
                        id: pending.id,
                        attempts,
                        error,
                    });
                }
            }
        }
        Ok(report)
    }

    fn eml_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.eml"))
    }

    fn entries(&self) -> Result<Vec<fs::DirEntry>, MailError> {
        fs::read_dir(&self.dir)
            .and_then(|entries| entries.collect::<Result<Vec<_>, _>>())
            .map_err(MailError::io("read", &self.dir))
    }

    fn failures(&self, id: &str) -> (u32, Option<String>) {
        let Ok(text) = fs::read_to_string(self.dir.join(format!("{id}.failed"))) else {
            return (0, None);
        };
        let mut attempts = 0;
        let mut last_error = None;
        for line in text.lines() {
            if let Some(n) = line.strip_prefix("attempts=") {
                attempts = n.trim().parse().unwrap_or(0);
            } else if let Some(error) = line.strip_prefix("last_error=") {
                last_error = Some(error.to_owned());
            }
        }
        (attempts, last_error)
    }

    /// The recipients and the bytes to send (the file without its envelope line).
    fn read_pending(&self, path: &Path) -> Result<(Vec<Address>, Vec<u8>), MailError> {
        let corrupt = |reason: String| MailError::Corrupt {
            path: path.to_path_buf(),
            reason,
        };
        let contents = fs::read(path).map_err(MailError::io("read", path))?;
        // The header ends at the first CRLF not followed by folding whitespace.
        let mut end = 0;
        loop {
            let line_end = contents[end..]
                .windows(2)
                .position(|pair| pair == b"\r\n")
                .ok_or_else(|| corrupt("no line ending".into()))?;
            end += line_end + 2;
            if !matches!(contents.get(end), Some(b' ' | b'\t')) {
                break;
            }
        }
        let header = std::str::from_utf8(&contents[..end])
            .map_err(|_| corrupt("first header is not UTF-8".into()))?;
        let list = header
            .strip_prefix(ENVELOPE_HEADER)
            .ok_or_else(|| corrupt(format!("does not start with {ENVELOPE_HEADER}")))?;
        let recipients = list
            .split(',')
            .map(str::trim)
            .filter(|address| !address.is_empty())
            .map(|address| {
                address
                    .parse::<Address>()
                    .map_err(|_| corrupt(format!("bad recipient {address:?}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if recipients.is_empty() {
            return Err(corrupt("no recipient".into()));
        }
        Ok((recipients, contents[end..].to_vec()))
    }

    fn mark_sent(&self, id: &str, relay: &str, response: &str) -> Result<(), MailError> {
        let accepted = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mark = format!(
            "accepted_at_unix={accepted}\nrelay={relay}\nresponse={}\n",
            response.replace(['\r', '\n'], " ")
        );
        self.write_atomically(
            &self.dir.join(format!("{id}.sent")),
            mark.as_bytes(),
            Replace::Yes,
        )
        .map(|_| ())
    }

    /// The delivery lock, waiting up to [`LOCK_PATIENCE`] for it: a lock briefly held
    /// by a copy of the descriptor (a child process forked elsewhere in this process
    /// holds it until it execs) is not another delivery.
    async fn lock_patiently(&self) -> Result<File, MailError> {
        let started = std::time::Instant::now();
        loop {
            match self.lock() {
                Err(MailError::Busy(_)) if started.elapsed() < LOCK_PATIENCE => {
                    tokio::time::sleep(std::time::Duration::from_millis(25)).await;
                }
                other => return other,
            }
        }
    }

    fn lock(&self) -> Result<File, MailError> {
        let path = self.dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(MailError::io("open", &path))?;
        match file.try_lock() {
            Ok(()) => Ok(file),
            Err(fs::TryLockError::WouldBlock) => Err(MailError::Busy(self.dir.clone())),
            Err(fs::TryLockError::Error(source)) => Err(MailError::Io {
                action: "lock",
                path,
                source,
            }),
        }
    }

    /// Writes `contents` to a temporary file beside `path`, fsyncs it, then gives it its
    /// name — by rename (`Replace::Yes`) or by hard link, which fails when `path` exists
    /// (`Replace::No`: returns `false`, nothing changed) — and fsyncs the directory.
    fn write_atomically(
        &self,
        path: &Path,
        contents: &[u8],
        replace: Replace,
    ) -> Result<bool, MailError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temporary = self.dir.join(format!(
            ".{name}.{}.{}.tmp",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        let written = File::create(&temporary)
            .and_then(|mut file| {
                file.write_all(contents)?;
                file.sync_all()
            })
            .map_err(MailError::io("write", &temporary));
        let named = written.and_then(|()| match replace {
            Replace::Yes => fs::rename(&temporary, path)
                .map(|()| true)
                .map_err(MailError::io("rename into", path)),
            Replace::No => match fs::hard_link(&temporary, path) {
                Ok(()) => Ok(true),
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
                Err(error) => Err(MailError::io("link into", path)(error)),
            },
        });
        if replace == Replace::No || named.is_err() {
            let _ignored = fs::remove_file(&temporary);
        }
        let created = named?;
        File::open(&self.dir)
            .and_then(|dir| dir.sync_all())
            .map_err(MailError::io("sync", &self.dir))?;
        Ok(created)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Replace {
    Yes,
    No,
}

/// An error and its sources on one line (`a: b: c`), for logs and failure records.
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::BoxError;

    fn message(subject: &str, to: &[&str]) -> Message {
        let mut builder = Message::builder()
            .from("Pyred <digest@pyred.example>")
            .subject(subject)
            .text(format!("Texte : {subject}"))
            .html(format!(
                "<p><a href=\"https://pyred.example/l/1\">{subject}</a></p>"
            ));
        for address in to {
            builder = builder.to(*address);
        }
        builder.build().expect("message")
    }

    /// Records what it is given; refuses messages to a recipient starting with `refuse`.
    #[derive(Default)]
    struct Fake {
        sent: Mutex<Vec<(Vec<Address>, Vec<u8>)>>,
    }

    impl Fake {
        fn count(&self) -> usize {
            self.sent.lock().expect("lock").len()
        }
    }

    impl Transport for Fake {
        async fn send(&self, recipients: &[Address], message: &[u8]) -> Result<String, BoxError> {
            if recipients.iter().any(|a| a.user().starts_with("refuse")) {
                return Err("550 5.1.1 mailbox refused".into());
            }
            self.sent
                .lock()
                .expect("lock")
                .push((recipients.to_vec(), message.to_vec()));
            Ok("250 2.0.0 queued".into())
        }

        fn describe(&self) -> String {
            "fake".into()
        }
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn enqueue_writes_one_whole_eml_that_parses_back() {
        let dir = tempfile::tempdir().expect("temp dir");
        let outbox = Outbox::open(dir.path().join("outbox")).expect("outbox");
        let subject = "Opportunités en Aragón — año 2026";
        let stored = outbox
            .enqueue(
                &message(subject, &["a@cci.example", "b@cci.example"]),
                "digest-a-2026-12-04",
            )
            .expect("enqueue");
        assert_eq!(stored, Enqueued::Stored("digest-a-2026-12-04".into()));
        // Only the message: no temporary file left behind.
        assert_eq!(names(outbox.dir()), vec!["digest-a-2026-12-04.eml"]);

        let raw = fs::read(outbox.dir().join("digest-a-2026-12-04.eml")).expect("eml");
        assert!(raw.starts_with(b"X-Pyred-Envelope-To: a@cci.example,\r\n b@cci.example\r\n"));
        let parsed = mail_parser::MessageParser::default()
            .parse(&raw)
            .expect("RFC 5322");
        assert_eq!(parsed.subject(), Some(subject));
        assert!(parsed.body_text(0).expect("text").contains(subject));
        assert!(
            parsed
                .body_html(0)
                .expect("html")
                .contains("https://pyred.example/l/1")
        );
        assert_eq!(parsed.to().expect("to").iter().count(), 2);

        let pending = outbox.pending().expect("pending");
        assert_eq!(pending.len(), 1);
        assert_eq!(
            (pending[0].attempts, pending[0].last_error.as_deref()),
            (0, None)
        );
    }

    #[test]
    fn the_same_key_stores_one_message_even_from_concurrent_callers() {
        let dir = tempfile::tempdir().expect("temp dir");
        let outbox = Outbox::open(dir.path()).expect("outbox");
        let first = outbox
            .enqueue(&message("premier", &["a@x.example"]), "k")
            .expect("first");
        let second = outbox
            .enqueue(&message("second", &["a@x.example"]), "k")
            .expect("second");
        assert_eq!(first, Enqueued::Stored("k".into()));
        assert_eq!(second, Enqueued::AlreadyQueued("k".into()));
        let raw = fs::read_to_string(outbox.dir().join("k.eml")).expect("eml");
        assert!(
            raw.contains("Subject: premier"),
            "the first message is kept"
        );

        let results: Vec<Enqueued> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|n| {
                    let outbox = outbox.clone();
                    scope.spawn(move || {
                        outbox
                            .enqueue(&message(&format!("m{n}"), &["a@x.example"]), "race")
                            .expect("enqueue")
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("thread"))
                .collect()
        });
        let stored = results
            .iter()
            .filter(|r| matches!(r, Enqueued::Stored(_)))
            .count();
        assert_eq!(stored, 1, "{results:?}");
        assert_eq!(names(outbox.dir()), vec!["k.eml", "race.eml"]);
    }

    #[test]
    fn ids_are_stable_safe_file_names_distinct_per_key() {
        let id = |key: &str| Outbox::id_for(key).expect("id");
        assert_eq!(
            id("digest-adviser-42-2026-12-04"),
            "digest-adviser-42-2026-12-04"
        );
        assert_eq!(id("a b"), id("a b"), "stable");
        for key in [
            "a b",
            "a/b",
            "../../etc/passwd",
            ".hidden",
            "Zaragoza-señal",
            &"x".repeat(300),
        ] {
            let derived = id(key);
            assert!(!derived.starts_with('.'), "{derived}");
            assert!(derived.len() <= 97, "{derived}");
            assert!(
                derived
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)),
                "{derived}"
            );
        }
        assert_ne!(id("a b"), id("a/b"));
        assert_ne!(id("a b"), "a_b");
        assert!(matches!(
            Outbox::id_for(""),
            Err(MailError::DedupKey { .. })
        ));
    }

    #[tokio::test]
    async fn deliver_sends_each_pending_message_once_and_marks_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let outbox = Outbox::open(dir.path()).expect("outbox");
        outbox
            .enqueue(&message("un", &["a@x.example"]), "one")
            .expect("one");
        outbox
            .enqueue(&message("deux", &["b@x.example", "c@x.example"]), "two")
            .expect("two");
        let fake = Fake::default();

        let report = outbox.deliver(&fake).await.expect("deliver");
        let mut sent = report.sent.clone();
        sent.sort();
        assert_eq!(sent, vec!["one", "two"]);
        assert!(report.failed.is_empty());
        assert!(outbox.is_sent("one") && outbox.is_sent("two"));
        assert!(outbox.pending().expect("pending").is_empty());
        let mark = fs::read_to_string(outbox.dir().join("one.sent")).expect("mark");
        assert!(
            mark.contains("relay=fake") && mark.contains("response=250 2.0.0 queued"),
            "{mark}"
        );

        {
            let sent = fake.sent.lock().expect("lock");
            let two = sent
                .iter()
                .find(|(to, _)| to.len() == 2)
                .expect("the message to two recipients");
            assert_eq!(two.0[1].to_string(), "c@x.example");
            let body = String::from_utf8_lossy(&two.1);
            assert!(
                !body.contains("X-Pyred-Envelope-To"),
                "envelope line is not sent"
            );
            assert!(body.contains("Subject: deux"), "{body}");
        }

        // A second delivery, and a re-enqueue of a sent key, send nothing.
        let again = outbox.deliver(&fake).await.expect("deliver again");
        assert!(again.sent.is_empty() && again.failed.is_empty());
        assert_eq!(
            outbox
                .enqueue(&message("un", &["a@x.example"]), "one")
                .expect("again"),
            Enqueued::AlreadyQueued("one".into())
        );
        assert!(outbox.deliver(&fake).await.expect("third").sent.is_empty());
        assert_eq!(fake.count(), 2);
    }

    #[tokio::test]
    async fn many_recipients_fold_the_envelope_line_and_all_are_given_to_the_relay() {
        let dir = tempfile::tempdir().expect("temp dir");
        let outbox = Outbox::open(dir.path()).expect("outbox");
        let addresses: Vec<String> = (0..60)
            .map(|n| format!("conseiller.numero.{n:02}@cci-gers.example"))
            .collect();
        let to: Vec<&str> = addresses.iter().map(String::as_str).collect();
        outbox
            .enqueue(&message("tous", &to), "all")
            .expect("enqueue");
        let raw = fs::read_to_string(outbox.dir().join("all.eml")).expect("eml");
        let long: Vec<&str> = raw.split("\r\n").filter(|line| line.len() > 998).collect();
        assert!(long.is_empty(), "{long:?}");
        let fake = Fake::default();
        assert_eq!(
            outbox.deliver(&fake).await.expect("deliver").sent,
            vec!["all"]
        );
        let sent = fake.sent.lock().expect("lock");
        let given: Vec<String> = sent[0].0.iter().map(Address::to_string).collect();
        assert_eq!(given, addresses);
        // No continuation line of the envelope header is left at the top of what is sent.
        assert!(!sent[0].1.starts_with(b" ") && !sent[0].1.starts_with(b"\t"));
        let parsed = mail_parser::MessageParser::default()
            .parse(&sent[0].1)
            .expect("parses");
        assert_eq!(parsed.subject(), Some("tous"));
        assert_eq!(parsed.to().expect("to").iter().count(), 60);
    }

    #[tokio::test]
    async fn a_failed_message_stays_pending_counted_and_later_ones_still_go() {
        let dir = tempfile::tempdir().expect("temp dir");
        let outbox = Outbox::open(dir.path()).expect("outbox");
        outbox
            .enqueue(&message("a", &["a@x.example"]), "a")
            .expect("a");
        outbox
            .enqueue(&message("b", &["refuse@x.example"]), "b")
            .expect("b");
        outbox
            .enqueue(&message("c", &["c@x.example"]), "c")
            .expect("c");
        // A file in the outbox this crate did not write is reported, not sent.
        fs::write(
            outbox.dir().join("stray.eml"),
            "Subject: hi\r\n\r\nbody\r\n",
        )
        .expect("stray");
        let fake = Fake::default();

        let report = outbox.deliver(&fake).await.expect("deliver");
        let mut sent = report.sent.clone();
        sent.sort();
        assert_eq!(sent, vec!["a", "c"]);
        let mut failed: Vec<_> = report
            .failed
            .iter()
            .map(|f| (f.id.as_str(), f.attempts))
            .collect();
        failed.sort();
        assert_eq!(failed, vec![("b", 1), ("stray", 1)]);
        let refused = report.failed.iter().find(|f| f.id == "b").expect("b");
        assert!(matches!(&refused.error, MailError::Send { id, .. } if id == "b"));
        let stray = report
            .failed
            .iter()
            .find(|f| f.id == "stray")
            .expect("stray");
        assert!(matches!(stray.error, MailError::Corrupt { .. }));

        let pending = outbox.pending().expect("pending");
        let b = pending.iter().find(|p| p.id == "b").expect("b pending");
        assert_eq!(b.attempts, 1);
        assert!(
            b.last_error
                .as_deref()
                .is_some_and(|e| e.contains("550 5.1.1 mailbox refused")),
            "{b:?}"
        );

        let second = outbox.deliver(&fake).await.expect("deliver again");
        assert!(second.sent.is_empty());
        assert!(
            second.failed.iter().all(|f| f.attempts == 2),
            "{:?}",
            second.failed
        );
        assert_eq!(fake.count(), 2, "a and c went once each");
    }

    #[tokio::test]
    async fn a_failure_record_is_cleared_once_the_message_goes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let outbox = Outbox::open(dir.path()).expect("outbox");
        outbox
            .enqueue(&message("a", &["a@x.example"]), "a")
            .expect("a");
        fs::write(
            outbox.dir().join("a.failed"),
            "attempts=4\nlast_error=timeout\n",
        )
        .expect("record");
        assert_eq!(outbox.pending().expect("pending")[0].attempts, 4);
        let report = outbox.deliver(&Fake::default()).await.expect("deliver");
        assert_eq!(report.sent, vec!["a"]);
        assert_eq!(
            names(outbox.dir()),
            vec![".deliver.lock", "a.eml", "a.sent"]
        );
    }

    #[tokio::test]
    async fn one_delivery_at_a_time() {
        let dir = tempfile::tempdir().expect("temp dir");
        let outbox = Outbox::open(dir.path()).expect("outbox");
        outbox
            .enqueue(&message("a", &["a@x.example"]), "a")
            .expect("a");
        let held = outbox.lock().expect("first lock");
        let fake = Fake::default();
        assert!(matches!(
            outbox.deliver(&fake).await,
            Err(MailError::Busy(_))
        ));
        drop(held);
        assert_eq!(
            outbox.deliver(&fake).await.expect("deliver").sent,
            vec!["a"]
        );
    }

    #[tokio::test]
    async fn a_lock_released_within_the_patience_is_waited_for() {
        let dir = tempfile::tempdir().expect("temp dir");
        let outbox = Outbox::open(dir.path()).expect("outbox");
        outbox
            .enqueue(&message("a", &["a@x.example"]), "a")
            .expect("a");
        let held = outbox.lock().expect("first lock");
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let holder = tokio::spawn(async move {
            let _ = released.await;
            drop(held);
        });
        let fake = Fake::default();
        let delivery = outbox.deliver(&fake);
        tokio::pin!(delivery);
        // Still waiting while the lock is held…
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(50), &mut delivery)
                .await
                .is_err()
        );
        // …and delivered once it is released.
        let _ = release.send(());
        assert_eq!(delivery.await.expect("deliver").sent, vec!["a"]);
        holder.await.expect("holder");
    }

    #[test]
    fn open_removes_old_temporary_files_only() {
        let dir = tempfile::tempdir().expect("temp dir");
        let old = dir.path().join(".a.eml.1.x.tmp");
        let fresh = dir.path().join(".b.eml.1.y.tmp");
        for path in [&old, &fresh] {
            fs::write(path, "partial").expect("temp");
        }
        File::options()
            .write(true)
            .open(&old)
            .and_then(|f| f.set_modified(SystemTime::now() - Duration::from_secs(7200)))
            .expect("age");
        let outbox = Outbox::open(dir.path()).expect("outbox");
        assert!(!old.exists() && fresh.exists());
        assert!(
            outbox.pending().expect("pending").is_empty(),
            "temporaries are not messages"
        );
    }
}
