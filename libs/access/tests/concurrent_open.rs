//! Replicas starting together on one PostgreSQL database create the access tables at the
//! same moment: every one of them must start (PostgreSQL's `CREATE TABLE IF NOT EXISTS`
//! alone fails one of two concurrent creators).

use pyred_access::{AuditLog, KeyStore};
use pyred_runtime::Secret;
use pyred_runtime::db::{Database, Migrations};

static NONE: sqlx::migrate::Migrator = sqlx::migrate::Migrator::DEFAULT;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_replicas_open_the_same_fresh_database_at_once() {
    let Some(url) = pyred_runtime::db::testing::fresh_postgres("access_concurrent_open").await
    else {
        return;
    };
    let migrations = Migrations {
        sqlite: &NONE,
        postgres: &NONE,
    };
    let mut opening = Vec::new();
    for _ in 0..8 {
        let url = url.clone();
        opening.push(tokio::spawn(async move {
            let db = Database::open(&url, migrations)
                .await
                .expect("database opens");
            AuditLog::open(db.clone()).await.expect("audit table");
            KeyStore::open(db, Secret::new("s".repeat(40)))
                .await
                .expect("key table");
        }));
    }
    for task in opening {
        task.await.expect("every replica starts");
    }
}

/// `api_keys` as Pyred created it before keys had an address and a language.
const OLD_KEYS_TABLE: &str = "CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    territory TEXT NOT NULL,
    company_id TEXT NOT NULL,
    source TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    rotated_at BIGINT,
    revoked_at BIGINT
)";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_replicas_add_the_new_key_columns_to_an_old_table_at_once() {
    let Some(url) = pyred_runtime::db::testing::fresh_postgres("access_concurrent_columns").await
    else {
        return;
    };
    let migrations = Migrations {
        sqlite: &NONE,
        postgres: &NONE,
    };
    let db = Database::open(&url, migrations)
        .await
        .expect("database opens");
    sqlx::query(OLD_KEYS_TABLE)
        .execute(&db.pool)
        .await
        .expect("old table");
    sqlx::query(
        "INSERT INTO api_keys (id, name, role, territory, company_id, source, secret_hash, created_at) \
         VALUES ('0123456789ab', 'old', 'admin', '', '', '', '00', 1)",
    )
    .execute(&db.pool)
    .await
    .expect("old row");
    let mut opening = Vec::new();
    for _ in 0..8 {
        let url = url.clone();
        opening.push(tokio::spawn(async move {
            let db = Database::open(&url, migrations)
                .await
                .expect("database opens");
            KeyStore::open(db, Secret::new("s".repeat(40)))
                .await
                .expect("key table migrated")
        }));
    }
    let mut stores = Vec::new();
    for task in opening {
        stores.push(task.await.expect("every replica starts"));
    }
    let listed = stores[0].list(true).await.expect("listed");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].email, "");
}
