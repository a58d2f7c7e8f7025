//! Matchmaking's SQL store: match records and the advisers' workflow on them.

use pyred_runtime::Secret;
use pyred_runtime::db::{Database, DbError, Migrations};

static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Matchmaking's migrations for both engines.
pub const MIGRATIONS: Migrations = Migrations {
    sqlite: &SQLITE,
    postgres: &POSTGRES,
};

/// Matchmaking's store.
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use pyred_runtime::db::testing;
    use sqlx::Row as _;

    async fn holds_matches(store: Store) {
        sqlx::query(
            "INSERT INTO matches (id, company_id, opportunity_id, score, status, version, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind("m1")
        .bind("gers-0004")
        .bind("arex-2026-0142")
        .bind(0.82_f64)
        .bind("proposed")
        .bind(1_i64)
        .bind(0_i64)
        .execute(&store.database().pool)
        .await
        .expect("insert");
        let duplicate = sqlx::query(
            "INSERT INTO matches (id, company_id, opportunity_id, score, status, version, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind("m2")
        .bind("gers-0004")
        .bind("arex-2026-0142")
        .bind(0.5_f64)
        .bind("proposed")
        .bind(1_i64)
        .bind(0_i64)
        .execute(&store.database().pool)
        .await;
        assert!(duplicate.is_err(), "one match per (company, opportunity)");
        let row = sqlx::query("SELECT score FROM matches WHERE id = $1")
            .bind("m1")
            .fetch_one(&store.database().pool)
            .await
            .expect("select");
        let score: f64 = row.try_get("score").expect("score");
        assert!((score - 0.82).abs() < 1e-9);
    }

    #[tokio::test]
    async fn sqlite_schema_enforces_one_match_per_pair() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = testing::sqlite_url(dir.path(), "matchmaking");
        holds_matches(Store::open(&url).await.expect("open sqlite")).await;
    }

    #[tokio::test]
    async fn postgres_schema_enforces_one_match_per_pair() {
        let Some(url) = testing::fresh_postgres("matchmaking schema").await else {
            return;
        };
        holds_matches(Store::open(&url).await.expect("open postgres")).await;
    }
}
