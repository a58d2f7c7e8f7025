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
