//! The registry's SQL store (SQLite or PostgreSQL through sqlx `Any`).

use pyred_runtime::Secret;
use pyred_runtime::db::{Database, DbError, Migrations};
use sqlx::Row as _;

use crate::error::RegistryError;

static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The registry's migrations for both engines.
pub const MIGRATIONS: Migrations = Migrations {
    sqlite: &SQLITE,
    postgres: &POSTGRES,
};

/// A company as stored (the fields kept so far).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCompany {
    /// Registry identifier.
    pub id: String,
    /// Publisher.
    pub source: String,
    /// Publisher's identifier.
    pub external_id: String,
    /// Trading name.
    pub name: String,
    /// ISO 3166-1 country.
    pub country: String,
    /// ISO 3166-2 region.
    pub region: String,
    /// Optimistic-concurrency version.
    pub version: i64,
}

/// The registry's store.
#[derive(Debug, Clone)]
pub struct Store {
    db: Database,
}

impl Store {
    /// Opens and migrates the store at `url`.
    pub async fn open(url: &Secret) -> Result<Self, DbError> {
        Ok(Self {
            db: Database::open(url, MIGRATIONS).await?,
        })
    }

    /// The underlying database.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Reads one company.
    pub async fn company(&self, id: &str) -> Result<Option<StoredCompany>, RegistryError> {
        let row = sqlx::query(
            "SELECT id, source, external_id, name, country, region, version \
             FROM companies WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?;
        row.map(|row| {
            Ok(StoredCompany {
                id: row.try_get("id")?,
                source: row.try_get("source")?,
                external_id: row.try_get("external_id")?,
                name: row.try_get("name")?,
                country: row.try_get("country")?,
                region: row.try_get("region")?,
                version: row.try_get("version")?,
            })
        })
        .transpose()
    }

    /// The highest committed change sequence number, 0 when the feed is empty.
    pub async fn last_seq(&self) -> Result<i64, RegistryError> {
        let row = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS last FROM changes")
            .fetch_one(&self.db.pool)
            .await?;
        Ok(row.try_get("last")?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pyred_runtime::db::testing;

    async fn round_trip(store: Store) {
        assert_eq!(store.company("cmp_missing").await.expect("query"), None);
        sqlx::query(
            "INSERT INTO companies (id, source, external_id, name, country, region, version, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind("cmp_1")
        .bind("cci-gers")
        .bind("gers-0001")
        .bind("Conserverie d'Auch")
        .bind("FR")
        .bind("FR-32")
        .bind(1_i64)
        .bind(0_i64)
        .bind(0_i64)
        .execute(&store.database().pool)
        .await
        .expect("insert");
        let company = store.company("cmp_1").await.expect("query").expect("found");
        assert_eq!(company.name, "Conserverie d'Auch");
        assert_eq!(company.version, 1);
        assert_eq!(store.last_seq().await.expect("seq"), 0);
    }

    #[tokio::test]
    async fn sqlite_opens_migrates_and_reads() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = testing::sqlite_url(dir.path(), "registry");
        round_trip(Store::open(&url).await.expect("open sqlite")).await;
        // Opening again re-runs no migration and keeps the data.
        let again = Store::open(&url).await.expect("reopen sqlite");
        assert!(again.company("cmp_1").await.expect("query").is_some());
    }

    #[tokio::test]
    async fn postgres_opens_migrates_and_reads() {
        let Some(url) = testing::fresh_postgres("registry store round trip").await else {
            return;
        };
        round_trip(Store::open(&url).await.expect("open postgres")).await;
    }
}
