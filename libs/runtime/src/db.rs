//! Opening a service's SQL store: SQLite (embedded default) or PostgreSQL (at scale).
//!
//! Services talk to either engine through sqlx's `Any` driver with portable SQL and `$1`
//! placeholders, so one code path serves both; each service ships two migration folders
//! kept in step (`migrations/sqlite`, `migrations/postgres`) because column types and
//! sequences differ. See `docs/decisions/0002-storage-engines.md`.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool, Executor as _, Transaction};
use tokio::sync::{Mutex, MutexGuard};

use crate::config::Secret;

/// Why the store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL names no supported engine.
    #[error("unsupported database url (expected sqlite: or postgres://)")]
    UnsupportedUrl,
    /// The SQLite file's directory could not be created.
    #[error("cannot create the database directory {path}: {source}")]
    Directory {
        /// The directory.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Connecting failed.
    #[error("cannot connect to the database: {0}")]
    Connect(#[source] sqlx::Error),
    /// A migration failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// The SQL engine behind a pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// SQLite file, WAL mode.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

impl Engine {
    /// The engine a URL names.
    pub fn of_url(url: &str) -> Result<Self, DbError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(DbError::UnsupportedUrl)
        }
    }
}

/// A service's migrations, one folder per engine with the same version numbers.
#[derive(Debug, Clone, Copy)]
pub struct Migrations {
    /// For SQLite.
    pub sqlite: &'static Migrator,
    /// For PostgreSQL.
    pub postgres: &'static Migrator,
}

/// An open, migrated store.
#[derive(Debug, Clone)]
pub struct Database {
    /// The connection pool.
    pub pool: AnyPool,
    /// Which engine it talks to.
    pub engine: Engine,
}

impl Database {
    /// Opens the database at `url`, creating a SQLite file if needed, and migrates it.
    pub async fn open(url: &Secret, migrations: Migrations) -> Result<Self, DbError> {
        sqlx::any::install_default_drivers();
        let url = url.expose();
        let engine = Engine::of_url(url)?;
        if engine == Engine::Sqlite {
            create_sqlite_dir(url)?;
        }
        let options = AnyConnectOptions::from_str(url).map_err(DbError::Connect)?;
        let pool = AnyPoolOptions::new()
            .max_connections(match engine {
                Engine::Sqlite => 8,
                Engine::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |connection, _meta| {
                Box::pin(async move {
                    if engine == Engine::Postgres {
                        // Plan each execution with its parameters: a generic plan made
                        // before a freshly loaded table is analysed can scan the table
                        // for every key look-up.
                        connection
                            .execute("SET plan_cache_mode = force_custom_plan")
                            .await?;
                    }
                    if engine == Engine::Sqlite {
                        // WAL lets readers run beside the single writer; FULL sync makes an
                        // acknowledged commit survive a power cut; foreign keys are off by
                        // default in SQLite.
                        connection
                            .execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                            )
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(DbError::Connect)?;
        let migrator = match engine {
            Engine::Sqlite => migrations.sqlite,
            Engine::Postgres => migrations.postgres,
        };
        if engine == Engine::Postgres {
            // Replicas starting together: sqlx creates its bookkeeping table before it
            // takes its own lock, so two first starts can collide. One at a time.
            let mut connection = pool.acquire().await.map_err(DbError::Connect)?;
            sqlx::query("SELECT pg_advisory_lock($1)")
                .bind(DDL_LOCK)
                .execute(&mut *connection)
                .await
                .map_err(DbError::Connect)?;
            // The lock is held by this session; the migration runs on the pool.
            let migrated = migrator.run(&pool).await;
            let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(DDL_LOCK)
                .execute(&mut *connection)
                .await;
            migrated?;
            unlocked.map_err(DbError::Connect)?;
        } else {
            migrator.run(&pool).await?;
        }
        Ok(Self { pool, engine })
    }

    /// A cheap round trip, for readiness checks.
    pub async fn ping(&self) -> Result<(), String> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(|error| format!("database: {error}"))
    }
}

/// Serialises one service's writes to its database, within and across processes: an
/// in-process mutex, then `BEGIN IMMEDIATE` on SQLite (a second process on the same file
/// waits for the write lock instead of failing on a stale snapshot) or a
/// transaction-scoped advisory lock on PostgreSQL (replicas take turns). Outboxes built
/// on it can number their rows `MAX + 1` and commit them in order.
#[derive(Debug, Clone)]
pub struct WriteLock {
    mutex: Arc<Mutex<()>>,
    advisory_key: i64,
}

/// A write transaction holding its service's [`WriteLock`] until it ends.
pub struct SerializedTx<'a> {
    /// Held until the transaction commits or is dropped.
    pub guard: MutexGuard<'a, ()>,
    /// The transaction.
    pub tx: Transaction<'static, Any>,
}

impl WriteLock {
    /// A lock whose PostgreSQL advisory key is `advisory_key` (one per service).
    pub fn new(advisory_key: i64) -> Self {
        Self {
            mutex: Arc::new(Mutex::new(())),
            advisory_key,
        }
    }

    /// Begins a write transaction on `db` under this lock.
    pub async fn begin<'a>(&'a self, db: &Database) -> Result<SerializedTx<'a>, sqlx::Error> {
        let guard = self.mutex.lock().await;
        let mut tx = match db.engine {
            Engine::Sqlite => db.pool.begin_with("BEGIN IMMEDIATE").await?,
            Engine::Postgres => db.pool.begin().await?,
        };
        if db.engine == Engine::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(self.advisory_key)
                .execute(&mut *tx)
                .await?;
        }
        Ok(SerializedTx { guard, tx })
    }
}

/// Microseconds since the Unix epoch, the timestamp unit of every Pyred table.
pub fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

/// A protobuf timestamp from microseconds since the Unix epoch.
pub fn timestamp(micros: i64) -> pyred_proto::prost_types::Timestamp {
    pyred_proto::prost_types::Timestamp {
        seconds: micros.div_euclid(1_000_000),
        nanos: i32::try_from(micros.rem_euclid(1_000_000) * 1000).unwrap_or_default(),
    }
}

fn create_sqlite_dir(url: &str) -> Result<(), DbError> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or(path);
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    if let Some(dir) = Path::new(path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|source| DbError::Directory {
            path: dir.display().to_string(),
            source,
        })?;
    }
    Ok(())
}

/// Runs `statement` (idempotent DDL such as `CREATE TABLE IF NOT EXISTS`) so that replicas
/// starting together on one PostgreSQL database do not race: PostgreSQL's `IF NOT EXISTS`
/// is not safe under concurrency (two creators can both pass the check and one fails on
/// `pg_type`), so the statement runs under a transaction-scoped advisory lock.
pub async fn create_if_missing(db: &Database, statement: &'static str) -> Result<(), sqlx::Error> {
    let mut tx = db.pool.begin().await?;
    if db.engine == Engine::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(DDL_LOCK)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(statement).execute(&mut *tx).await?;
    tx.commit().await
}

/// Advisory-lock key of [`create_if_missing`].
const DDL_LOCK: i64 = 0x7079_7265_645f_6464; // "pyred_dd"

/// Test support: a fresh database per test, on SQLite or on the PostgreSQL server named
/// by `PYRED_TEST_DATABASE_URL`.
pub mod testing {
    use super::*;

    /// Environment variable naming the PostgreSQL server used by tests.
    pub const TEST_DATABASE_URL_ENV: &str = "PYRED_TEST_DATABASE_URL";

    /// A SQLite URL for a fresh file inside `dir`.
    pub fn sqlite_url(dir: &Path, name: &str) -> Secret {
        Secret::new(format!(
            "sqlite://{}?mode=rwc",
            dir.join(format!("{name}.db")).display()
        ))
    }

    /// Creates a uniquely named database on the test PostgreSQL server and returns its
    /// URL; `None` (with a visible message) when `PYRED_TEST_DATABASE_URL` is unset.
    pub async fn fresh_postgres(test_name: &str) -> Option<Secret> {
        let Ok(base) = std::env::var(TEST_DATABASE_URL_ENV) else {
            eprintln!("SKIPPED (PostgreSQL): {test_name}: {TEST_DATABASE_URL_ENV} is not set");
            return None;
        };
        sqlx::any::install_default_drivers();
        let unique = format!(
            "pyred_test_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
        );
        let admin = AnyPoolOptions::new()
            .max_connections(1)
            .connect(&base)
            .await
            .unwrap_or_else(|error| panic!("{TEST_DATABASE_URL_ENV}={base}: {error}"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {unique}")))
            .execute(&admin)
            .await
            .unwrap_or_else(|error| panic!("create test database {unique}: {error}"));
        admin.close().await;
        // Keep the server part and any query parameters (sslmode, …); swap the database.
        let (without_query, query) = match base.split_once('?') {
            Some((url, query)) => (url, format!("?{query}")),
            None => (base.as_str(), String::new()),
        };
        let (server, _) = without_query
            .rsplit_once('/')
            .unwrap_or((without_query, ""));
        Some(Secret::new(format!("{server}/{unique}{query}")))
    }
}
