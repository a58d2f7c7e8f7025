//! Console sessions: `tower-sessions` over the gateway's SQL store, so that a session
//! survives a restart and every replica on the same database shares it (decision 0021).
//!
//! The cookie `pyred_session` carries only the session id (128 random bits, written by
//! the [`Sessions::layer`]: `HttpOnly`, `SameSite=Strict`, `Path=/`, `Secure` under TLS,
//! `Max-Age` the idle lifetime). The record holds the adviser's key, its public id, role
//! and territory and the session's CSRF token; [`SqlStore`] keeps it in the
//! `console_sessions` table of `gateway.database_url` (a SQLite file in `data_dir` by
//! default, PostgreSQL when configured), sealed with ChaCha20-Poly1305 under
//! `gateway.session_secret`, so the database alone reveals no key.
//!
//! A session ends after `session_minutes` without a request (each signed-in request
//! pushes its expiry back, [`signed_in`]), at sign-out, or when a call answers
//! `Unauthenticated` (the key was revoked): a handler marks its response [`ended`] and
//! [`end_marked`] deletes the record after it.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use axum::response::Response;
use pyred_runtime::db::{Database, DbError, Migrations, now_micros};
use pyred_runtime::secrets::SecretFileError;
use pyred_runtime::{Secret, Settings};
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use serde::{Deserialize, Serialize};
use tower_sessions::cookie::SameSite;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::upstream::{Bearer, KeyRole};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "pyred_session";
/// Name of the sign-in form's CSRF cookie (before any session exists).
pub const LOGIN_CSRF_COOKIE: &str = "pyred_login_csrf";
/// Name of the language cookie.
pub const LANG_COOKIE: &str = "pyred_lang";

/// The request's session handle, put in the request by [`Sessions::layer`].
pub type Handle = tower_sessions::Session;

/// A record's data, as tower-sessions keeps it.
type Data = std::collections::HashMap<String, serde_json::Value>;

/// Key of the signed-in adviser in the session record.
const ADVISER: &str = "adviser";

static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The session store's migrations, one folder per engine.
pub const MIGRATIONS: Migrations = Migrations {
    sqlite: &SQLITE,
    postgres: &POSTGRES,
};

/// Why the session store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The database could not be opened or migrated.
    #[error("console sessions: {0}")]
    Database(#[from] DbError),
    /// The sealing secret could not be read or created.
    #[error("console sessions: {0}")]
    Secret(#[from] SecretFileError),
    /// `gateway.session_minutes` does not fit a cookie's lifetime.
    #[error("console sessions: gateway.session_minutes is too large")]
    Lifetime,
}

/// A signed-in adviser.
#[derive(Debug, Clone)]
pub struct Session {
    /// The key, ready for gRPC metadata.
    pub bearer: Bearer,
    /// Public id of the key.
    pub key_id: String,
    /// Role found at sign-in.
    pub role: KeyRole,
    /// Regions whose firms the key may follow (advisers); empty for admins (all).
    pub territory: BTreeSet<String>,
    /// Token every form must echo.
    pub csrf: String,
}

/// What the record keeps of a [`Session`]: the key itself, so that the gateway can act
/// for the adviser on any replica. No `Debug`: it holds the key.
#[derive(Serialize, Deserialize)]
struct Stored {
    key: String,
    key_id: String,
    role: KeyRole,
    territory: BTreeSet<String>,
    csrf: String,
}

impl Stored {
    fn into_session(self) -> Option<Session> {
        Some(Session {
            bearer: Bearer::new(&Secret::new(self.key))?,
            key_id: self.key_id,
            role: self.role,
            territory: self.territory,
            csrf: self.csrf,
        })
    }
}

/// The gateway's sessions: their store and how their cookie is written.
#[derive(Debug, Clone)]
pub struct Sessions {
    store: SqlStore,
    idle: tower_sessions::cookie::time::Duration,
    secure: bool,
}

impl Sessions {
    /// Opens (and migrates) `gateway.database_url` and reads the sealing secret; each
    /// session lasts `gateway.session_minutes` after its last request.
    pub async fn open(settings: &Settings) -> Result<Self, SessionError> {
        let secret = pyred_runtime::secrets::session_secret(settings)?;
        let db = Database::open(&settings.gateway_database_url(), MIGRATIONS).await?;
        let idle = i64::try_from(settings.gateway.session_ttl().as_secs())
            .map(tower_sessions::cookie::time::Duration::seconds)
            .map_err(|_| SessionError::Lifetime)?;
        Ok(Self {
            store: SqlStore::new(db, &secret),
            idle,
            secure: settings.tls.enabled,
        })
    }

    /// The middleware that gives each request its [`Handle`] and writes the cookie.
    pub fn layer(&self) -> SessionManagerLayer<SqlStore> {
        SessionManagerLayer::new(self.store.clone())
            .with_name(SESSION_COOKIE)
            .with_path("/")
            .with_http_only(true)
            .with_same_site(SameSite::Strict)
            .with_secure(self.secure)
            .with_expiry(Expiry::OnInactivity(self.idle))
    }
}

/// The signed-in adviser of this request, the session's idle expiry pushed back; `None`
/// without a live session (none, expired, ended, or the store unreachable).
pub async fn signed_in(handle: &Handle) -> Option<Session> {
    let stored = match handle.get::<Stored>(ADVISER).await {
        Ok(stored) => stored?,
        Err(error) => {
            tracing::warn!(%error, "console session not readable");
            return None;
        }
    };
    let session = stored.into_session()?;
    // Marks the session modified: the layer saves its new expiry and refreshes the cookie.
    handle.set_expiry(handle.expiry());
    Some(session)
}

/// Signs `key` in on this request's session, under a new id (an id planted before the
/// sign-in never becomes a session).
pub async fn open(
    handle: &Handle,
    key: &Secret,
    role: KeyRole,
    territory: BTreeSet<String>,
) -> Result<(), tower_sessions::session::Error> {
    handle.cycle_id().await?;
    handle
        .insert(
            ADVISER,
            Stored {
                key: key.expose().trim().to_owned(),
                key_id: Bearer::key_id(key),
                role,
                territory,
                csrf: random_token(),
            },
        )
        .await
}

/// Marks `response` as ending the request's session (sign-out, revoked key).
#[derive(Debug, Clone, Copy)]
struct Ended;

/// `response`, with the request's session ended after it: [`end_marked`] deletes the
/// record and the layer removes the cookie.
pub fn ended(mut response: Response) -> Response {
    response.extensions_mut().insert(Ended);
    response
}

/// Middleware (inside [`Sessions::layer`]): deletes the session of a response marked
/// [`ended`].
pub async fn end_marked(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let handle = request.extensions().get::<Handle>().cloned();
    let response = next.run(request).await;
    if response.extensions().get::<Ended>().is_some()
        && let Some(handle) = handle
        && let Err(error) = handle.flush().await
    {
        tracing::warn!(%error, "console session not ended");
    }
    response
}

/// Session records in the `console_sessions` table, their data sealed.
#[derive(Clone)]
pub struct SqlStore {
    db: Database,
    key: Arc<LessSafeKey>,
}

impl fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlStore")
            .field("engine", &self.db.engine)
            .finish_non_exhaustive()
    }
}

fn backend(error: impl fmt::Display) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

/// Microseconds since the epoch of a record's expiry.
fn micros(record: &Record) -> i64 {
    i64::try_from(record.expiry_date.unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX)
}

impl SqlStore {
    /// A store on `db` sealing with a key derived from `secret`.
    pub fn new(db: Database, secret: &Secret) -> Self {
        let digest = ring::digest::digest(&ring::digest::SHA256, secret.expose().as_bytes());
        let key = match UnboundKey::new(&CHACHA20_POLY1305, digest.as_ref()) {
            Ok(key) => LessSafeKey::new(key),
            // A SHA-256 digest is always a valid 32-byte ChaCha20 key.
            Err(_) => unreachable!("a 32-byte key is valid for ChaCha20-Poly1305"),
        };
        Self {
            db,
            key: Arc::new(key),
        }
    }

    /// The record's data as JSON, sealed with a fresh nonce and its id as associated
    /// data (a sealed value copied to another row does not open), hex.
    fn seal(&self, record: &Record) -> session_store::Result<String> {
        let mut data = serde_json::to_vec(&record.data)
            .map_err(|error| session_store::Error::Encode(error.to_string()))?;
        let mut nonce = [0_u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(backend)?;
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(record.id.to_string().as_bytes()),
                &mut data,
            )
            .map_err(|_| session_store::Error::Encode("sealing failed".to_owned()))?;
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&data);
        Ok(hex::encode(sealed))
    }

    /// The data sealed by [`Self::seal`] for `id`.
    fn open(&self, id: &Id, sealed: &str) -> session_store::Result<Data> {
        let refused = || session_store::Error::Decode("a sealed session does not open".to_owned());
        let bytes = hex::decode(sealed).map_err(|_| refused())?;
        if bytes.len() < NONCE_LEN {
            return Err(refused());
        }
        let (nonce, data) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| refused())?;
        let mut data = data.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(id.to_string().as_bytes()), &mut data)
            .map_err(|_| refused())?;
        serde_json::from_slice(plain)
            .map_err(|error| session_store::Error::Decode(error.to_string()))
    }
}

#[async_trait]
impl SessionStore for SqlStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // Expired sessions go when a new one comes (the index on expires_at keeps it cheap).
        sqlx::query("DELETE FROM console_sessions WHERE expires_at <= $1")
            .bind(now_micros())
            .execute(&self.db.pool)
            .await
            .map_err(backend)?;
        // 128 random bits do not collide in practice; a few tries bound the loop anyway.
        for _ in 0..4 {
            let inserted = sqlx::query(
                "INSERT INTO console_sessions (id, data, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(record.id.to_string())
            .bind(self.seal(record)?)
            .bind(micros(record))
            .execute(&self.db.pool)
            .await
            .map_err(backend)?;
            if inserted.rows_affected() == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
        Err(backend("no free session id"))
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        // An update only: a session ended (or expired) meanwhile by another request or
        // replica is not brought back by a request that read it before.
        sqlx::query(
            "UPDATE console_sessions SET data = $2, expires_at = $3 \
             WHERE id = $1 AND expires_at > $4",
        )
        .bind(record.id.to_string())
        .bind(self.seal(record)?)
        .bind(micros(record))
        .bind(now_micros())
        .execute(&self.db.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let row: Option<(String, i64)> = sqlx::query_as(
            "SELECT data, expires_at FROM console_sessions WHERE id = $1 AND expires_at > $2",
        )
        .bind(id.to_string())
        .bind(now_micros())
        .fetch_optional(&self.db.pool)
        .await
        .map_err(backend)?;
        let Some((sealed, expires_at)) = row else {
            return Ok(None);
        };
        let expiry_date = tower_sessions::cookie::time::OffsetDateTime::from_unix_timestamp_nanos(
            i128::from(expires_at) * 1000,
        )
        .map_err(|error| session_store::Error::Decode(error.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data: self.open(id, &sealed)?,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query("DELETE FROM console_sessions WHERE id = $1")
            .bind(id.to_string())
            .execute(&self.db.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

/// 32 random bytes, hex.
pub fn random_token() -> String {
    let mut bytes = [0_u8; 32];
    // The OS generator failing is not recoverable and would make tokens guessable.
    if getrandom::fill(&mut bytes).is_err() {
        panic!("the operating system's random generator failed");
    }
    hex::encode(bytes)
}

/// Constant-time comparison of two tokens.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0_u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The value of cookie `name` in a request's `Cookie` headers.
pub fn cookie(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// A `Set-Cookie` value: Path=/, SameSite=Strict, HttpOnly when asked, Secure under TLS.
pub fn set_cookie(
    name: &str,
    value: &str,
    max_age: Option<u64>,
    http_only: bool,
    secure: bool,
) -> String {
    let mut cookie = format!("{name}={value}; Path=/; SameSite=Strict");
    if let Some(seconds) = max_age {
        cookie.push_str(&format!("; Max-Age={seconds}"));
    }
    if http_only {
        cookie.push_str("; HttpOnly");
    }
    if secure {
        cookie.push_str("; Secure");
    }
    cookie
}

#[cfg(test)]
mod tests {
    use super::*;
    use pyred_runtime::db::testing::{fresh_postgres, sqlite_url};
    use tower_sessions::cookie::time::{Duration, OffsetDateTime};

    fn record(expires_in: Duration) -> Record {
        let mut data = Data::new();
        data.insert(
            "adviser".to_owned(),
            serde_json::json!({"key": "pyred_abc_def"}),
        );
        Record {
            id: Id::default(),
            data,
            expiry_date: OffsetDateTime::now_utc() + expires_in,
        }
    }

    /// Create, load, save, expiry, sealing and delete on one engine.
    async fn store_keeps_seals_and_expires(url: Secret) {
        let db = Database::open(&url, MIGRATIONS).await.expect("store opens");
        let store = SqlStore::new(db.clone(), &Secret::new("s".repeat(43)));
        let mut live = record(Duration::minutes(5));
        store.create(&mut live).await.expect("created");
        let loaded = store.load(&live.id).await.expect("loads").expect("live");
        assert_eq!(loaded.data, live.data);
        assert!((loaded.expiry_date - live.expiry_date).abs() < Duration::milliseconds(1));
        let (sealed,): (String,) = sqlx::query_as("SELECT data FROM console_sessions")
            .fetch_one(&db.pool)
            .await
            .expect("row");
        assert!(
            !sealed.contains("pyred_abc_def"),
            "the key is sealed: {sealed}"
        );
        let other = SqlStore::new(db.clone(), &Secret::new("t".repeat(43)));
        assert!(
            other.load(&live.id).await.is_err(),
            "another secret does not open it"
        );

        let mut expired = record(Duration::seconds(-1));
        store.create(&mut expired).await.expect("created");
        assert!(store.load(&expired.id).await.expect("loads").is_none());
        expired.expiry_date = OffsetDateTime::now_utc() + Duration::minutes(5);
        store.save(&expired).await.expect("saved");
        assert!(
            store.load(&expired.id).await.expect("loads").is_none(),
            "an expired session is not brought back"
        );

        store.delete(&live.id).await.expect("deleted");
        assert!(store.load(&live.id).await.expect("loads").is_none());
        store.save(&live).await.expect("saved");
        assert!(
            store.load(&live.id).await.expect("loads").is_none(),
            "an ended session is not brought back by a late save"
        );
    }

    #[tokio::test]
    async fn sqlite_store_keeps_seals_and_expires() {
        let dir = tempfile::tempdir().expect("temp dir");
        store_keeps_seals_and_expires(sqlite_url(dir.path(), "gateway")).await;
    }

    #[tokio::test]
    async fn postgres_store_keeps_seals_and_expires() {
        if let Some(url) = fresh_postgres("postgres_store_keeps_seals_and_expires").await {
            store_keeps_seals_and_expires(url).await;
        }
    }

    #[test]
    fn cookies_parse_and_tokens_compare() {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::COOKIE,
            "a=1; pyred_session=xyz; b=2".parse().expect("header"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE).as_deref(), Some("xyz"));
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert_ne!(random_token(), random_token());
        let set = set_cookie(SESSION_COOKIE, "v", None, true, true);
        assert!(
            set.contains("HttpOnly") && set.contains("Secure") && set.contains("SameSite=Strict")
        );
    }
}
