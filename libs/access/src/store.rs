//! The key store: API keys in the registry's database, only as keyed hashes.
//!
//! Table `api_keys` (created at open if missing, same SQL on SQLite and PostgreSQL):
//! id, label, role, scope (territory, company, source), secret hash, created / rotated /
//! revoked times in microseconds, the holder's e-mail address and language, and an
//! adviser's organisation. A revoked key stays listed and never comes back. The
//! organisations advisers belong to live beside the keys ([`crate::organisation`]).
//!
//! Columns added after the table first shipped (`email`, `language`, `organisation`) are
//! added at open
//! to a table that lacks them, under a lock (see [`add_missing_columns`]), so an existing
//! database keeps its keys and replicas opening it together do not collide.

use pyred_runtime::Secret;
use pyred_runtime::db::{Database, Engine, now_micros};
use sqlx::Row;

use crate::caller::{Caller, Role};
use crate::keys::{self, KeyHasher};

/// Why a key operation failed.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The database failed.
    #[error("key store: {0}")]
    Database(#[from] sqlx::Error),
    /// No key has this id.
    #[error("no key {0}")]
    NotFound(String),
    /// The key is revoked.
    #[error("key {0} is revoked")]
    Revoked(String),
    /// The operating system gave no randomness.
    #[error("no randomness: {0}")]
    Random(String),
}

/// The language of what Pyred sends a key's holder (digests, notices).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Language {
    /// French (the default).
    #[default]
    Fr,
    /// Spanish.
    Es,
    /// English.
    En,
}

impl Language {
    /// The code stored and shown: `fr`, `es`, `en`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fr => "fr",
            Self::Es => "es",
            Self::En => "en",
        }
    }

    /// Parses a code, ignoring case and surrounding spaces; `None` for any other text.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "fr" => Some(Self::Fr),
            "es" => Some(Self::Es),
            "en" => Some(Self::En),
            _ => None,
        }
    }
}

/// A stored key's description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    /// Who holds it.
    pub caller: Caller,
    /// The holder's e-mail address, trimmed and lowercase; empty when none.
    pub email: String,
    /// The language of what Pyred sends the holder.
    pub language: Language,
    /// Creation time, µs.
    pub created_at: i64,
    /// Last rotation, µs.
    pub rotated_at: Option<i64>,
    /// Revocation, µs.
    pub revoked_at: Option<i64>,
}

/// API keys in a database.
#[derive(Debug, Clone)]
pub struct KeyStore {
    pub(crate) db: Database,
    hasher: KeyHasher,
}

const CREATE: &str = "CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    territory TEXT NOT NULL,
    company_id TEXT NOT NULL,
    source TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    rotated_at BIGINT,
    revoked_at BIGINT,
    email TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT 'fr',
    organisation TEXT NOT NULL DEFAULT ''
)";

/// Columns added since the table first shipped: name and the statement adding it. Both
/// engines accept the same `ADD COLUMN`; the defaults fill the rows already there.
const ADDED_COLUMNS: [(&str, &str); 3] = [
    (
        "email",
        "ALTER TABLE api_keys ADD COLUMN email TEXT NOT NULL DEFAULT ''",
    ),
    (
        "language",
        "ALTER TABLE api_keys ADD COLUMN language TEXT NOT NULL DEFAULT 'fr'",
    ),
    (
        "organisation",
        "ALTER TABLE api_keys ADD COLUMN organisation TEXT NOT NULL DEFAULT ''",
    ),
];

/// PostgreSQL advisory-lock key under which the added columns are checked and added.
const COLUMNS_LOCK: i64 = 0x7079_7265_645f_616b; // "pyred_ak"

const COLUMNS: &str = "id, name, role, territory, company_id, source, created_at, rotated_at, \
                       revoked_at, email, language, organisation";

/// Adds the [`ADDED_COLUMNS`] a table created by an older Pyred lacks, keeping its rows.
///
/// The check and the `ALTER TABLE` run in one transaction that excludes other openers:
/// on PostgreSQL under a transaction-scoped advisory lock (the next replica waits, then
/// finds the column), on SQLite with `BEGIN IMMEDIATE` (the write lock of the file). The
/// catalog is read rather than a probe `SELECT` that fails, because a failed statement
/// aborts a PostgreSQL transaction.
async fn add_missing_columns(db: &Database) -> Result<(), sqlx::Error> {
    let (begin, probe) = match db.engine {
        Engine::Sqlite => (
            "BEGIN IMMEDIATE",
            "SELECT COUNT(*) AS n FROM pragma_table_info('api_keys') WHERE name = $1",
        ),
        Engine::Postgres => (
            "BEGIN",
            "SELECT COUNT(*) AS n FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = 'api_keys' \
             AND column_name = $1",
        ),
    };
    let mut tx = db.pool.begin_with(begin).await?;
    if db.engine == Engine::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(COLUMNS_LOCK)
            .execute(&mut *tx)
            .await?;
    }
    for (column, statement) in ADDED_COLUMNS {
        let found: i64 = sqlx::query(probe)
            .bind(column)
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
        if found == 0 {
            tracing::info!(column, "adding a column to api_keys");
            sqlx::query(statement).execute(&mut *tx).await?;
        }
    }
    tx.commit().await
}

fn record(row: &sqlx::any::AnyRow) -> Result<KeyRecord, sqlx::Error> {
    let role: String = row.try_get("role")?;
    let territory: String = row.try_get("territory")?;
    let language: String = row.try_get("language")?;
    Ok(KeyRecord {
        caller: Caller {
            key_id: row.try_get("id")?,
            name: row.try_get("name")?,
            role: Role::parse(&role).ok_or_else(|| {
                sqlx::Error::Decode(format!("unknown role {role:?} in api_keys").into())
            })?,
            territory: territory
                .split(',')
                .filter(|zone| !zone.is_empty())
                .map(str::to_owned)
                .collect(),
            company_id: row.try_get("company_id")?,
            source: row.try_get("source")?,
            organisation: row.try_get("organisation")?,
        },
        email: row.try_get("email")?,
        language: Language::parse(&language).ok_or_else(|| {
            sqlx::Error::Decode(format!("unknown language {language:?} in api_keys").into())
        })?,
        created_at: row.try_get("created_at")?,
        rotated_at: row.try_get("rotated_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

impl KeyStore {
    /// Opens the key store in `db` (creating its table, or adding the columns an older
    /// table lacks), hashing with `hash_secret`.
    pub async fn open(db: Database, hash_secret: Secret) -> Result<Self, KeyError> {
        pyred_runtime::db::create_if_missing(&db, CREATE).await?;
        add_missing_columns(&db).await?;
        pyred_runtime::db::create_if_missing(&db, crate::organisation::CREATE).await?;
        Ok(Self {
            db,
            hasher: KeyHasher::new(hash_secret),
        })
    }

    /// Stores a new key for `caller` (its `key_id` is replaced), whose holder reads
    /// `email` (already checked; empty for none) in `language`; returns the whole key,
    /// which exists nowhere else afterwards.
    pub async fn create(
        &self,
        mut caller: Caller,
        email: String,
        language: Language,
    ) -> Result<(KeyRecord, Secret), KeyError> {
        let (id, key) = keys::generate().map_err(|e| KeyError::Random(e.to_string()))?;
        caller.key_id = id;
        let record = self.insert(caller, email, language, &key).await?;
        Ok((record, key))
    }

    /// Stores `key` (an existing key text, e.g. the bootstrap admin key) for `caller`
    /// unless its id is already known (active or revoked). Returns whether it was added.
    pub async fn ensure(&self, mut caller: Caller, key: &Secret) -> Result<bool, KeyError> {
        let Some(parsed) = keys::parse(key.expose()) else {
            return Err(KeyError::NotFound("(malformed bootstrap key)".into()));
        };
        caller.key_id = parsed.id.to_owned();
        if self.get(parsed.id).await?.is_some() {
            return Ok(false);
        }
        self.insert(caller, String::new(), Language::default(), key)
            .await?;
        Ok(true)
    }

    async fn insert(
        &self,
        caller: Caller,
        email: String,
        language: Language,
        key: &Secret,
    ) -> Result<KeyRecord, KeyError> {
        let parsed = keys::parse(key.expose())
            .ok_or_else(|| KeyError::NotFound("(malformed key)".into()))?;
        let now = now_micros();
        sqlx::query(
            "INSERT INTO api_keys \
             (id, name, role, territory, company_id, source, secret_hash, created_at, email, \
              language, organisation) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&caller.key_id)
        .bind(&caller.name)
        .bind(caller.role.as_str())
        .bind(caller.territory.join(","))
        .bind(&caller.company_id)
        .bind(&caller.source)
        .bind(self.hasher.hash(parsed.secret))
        .bind(now)
        .bind(&email)
        .bind(language.as_str())
        .bind(&caller.organisation)
        .execute(&self.db.pool)
        .await?;
        Ok(KeyRecord {
            caller,
            email,
            language,
            created_at: now,
            rotated_at: None,
            revoked_at: None,
        })
    }

    /// One key's description.
    pub async fn get(&self, id: &str) -> Result<Option<KeyRecord>, KeyError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM api_keys WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(row.as_ref().map(record).transpose()?)
    }

    /// Every key, newest first.
    pub async fn list(&self, include_revoked: bool) -> Result<Vec<KeyRecord>, KeyError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM api_keys ORDER BY created_at DESC, id"
        )))
        .fetch_all(&self.db.pool)
        .await?;
        let mut keys = Vec::with_capacity(rows.len());
        for row in &rows {
            let key = record(row)?;
            if include_revoked || key.revoked_at.is_none() {
                keys.push(key);
            }
        }
        Ok(keys)
    }

    /// Gives key `id` a new secret; the old one stops working at once.
    pub async fn rotate(&self, id: &str) -> Result<(KeyRecord, Secret), KeyError> {
        let Some(mut key) = self.get(id).await? else {
            return Err(KeyError::NotFound(id.to_owned()));
        };
        if key.revoked_at.is_some() {
            return Err(KeyError::Revoked(id.to_owned()));
        }
        let secret =
            pyred_runtime::secrets::random_token().map_err(|e| KeyError::Random(e.to_string()))?;
        let now = now_micros();
        let done = sqlx::query(
            "UPDATE api_keys SET secret_hash = $1, rotated_at = $2 WHERE id = $3 AND revoked_at IS NULL",
        )
        .bind(self.hasher.hash(&secret))
        .bind(now)
        .bind(id)
        .execute(&self.db.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(KeyError::Revoked(id.to_owned()));
        }
        key.rotated_at = Some(now);
        Ok((key, Secret::new(keys::format(id, &secret))))
    }

    /// Revokes key `id` for good (revoking twice keeps the first time).
    pub async fn revoke(&self, id: &str) -> Result<KeyRecord, KeyError> {
        sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now_micros())
            .bind(id)
            .execute(&self.db.pool)
            .await?;
        self.get(id)
            .await?
            .ok_or_else(|| KeyError::NotFound(id.to_owned()))
    }

    /// The caller holding `key`, if it is a well-formed, known, active key whose secret
    /// matches (compared in constant time).
    pub async fn verify(&self, key: &str) -> Result<Option<Caller>, KeyError> {
        let Some(parsed) = keys::parse(key) else {
            return Ok(None);
        };
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS}, secret_hash FROM api_keys WHERE id = $1"
        )))
        .bind(parsed.id)
        .fetch_optional(&self.db.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let stored: String = row.try_get("secret_hash")?;
        let key = record(&row)?;
        let matches = self.hasher.verify(parsed.secret, &stored);
        Ok((matches && key.revoked_at.is_none()).then_some(key.caller))
    }

    /// Whether any active admin key exists.
    pub async fn has_active_admin(&self) -> Result<bool, KeyError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM api_keys WHERE role = 'admin' AND revoked_at IS NULL",
        )
        .fetch_one(&self.db.pool)
        .await?;
        let count: i64 = row.try_get("n")?;
        Ok(count > 0)
    }
}
