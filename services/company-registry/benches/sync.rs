//! Sync throughput benchmark: listings per second through the registry's `SyncListings`
//! path (validation, idempotency check, record + outbox row in serialised transactions),
//! in batches of 500, beside a plain sqlx batched insert of the same rows — the floor.
//!
//! ```sh
//! cargo bench -p pyred-registry --bench sync                 # SQLite
//! PYRED_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!   cargo bench -p pyred-registry --bench sync               # SQLite and PostgreSQL
//! PYRED_BENCH_LISTINGS=50000 cargo bench -p pyred-registry --bench sync
//! ```

use std::time::Instant;

use pyred_proto::v1::{self as pb};
use pyred_registry::registrar::Registrar;
use pyred_registry::store::Store;
use pyred_runtime::Secret;
use pyred_runtime::db::{Database, Migrations, testing};

const BATCH: usize = 500;

fn listing(i: usize) -> pb::Opportunity {
    let places = [
        ("50297", "ES-AR"),
        ("22125", "ES-AR"),
        ("44216", "ES-AR"),
        ("26089", "ES-RI"),
    ];
    let (code, region) = places[i % places.len()];
    pb::Opportunity {
        external_id: format!("arex-bench-{i:07}"),
        kind: pb::OpportunityKind::BusinessRequest as i32,
        title: format!("Empresa busca proveedor de mecanizado de piezas {i}"),
        description: "Fabricante aragonés de componentes aeronáuticos busca taller de \
                      mecanizado CNC de 5 ejes con certificación EN 9100 para series cortas \
                      de piezas de aluminio y titanio."
            .to_owned(),
        language: pb::Language::Es as i32,
        activities: vec![pb::ActivityCode {
            nace: String::new(),
            given: "2562".to_owned(),
        }],
        location: Some(pb::Location {
            place_code: code.to_owned(),
            ..Default::default()
        }),
        region: region.to_owned(),
        published: Some(pb::Date {
            year: 2026,
            month: 10,
            day: 1,
        }),
        deadline: Some(pb::Date {
            year: 2027,
            month: 6,
            day: 30,
        }),
        source_version: 1,
        ..Default::default()
    }
}

async fn registry_sync(url: &Secret, n: usize) -> (f64, f64) {
    let store = Store::open(url).await.expect("open store");
    let registrar = Registrar::new(store);
    let batches: Vec<pb::SyncListingsRequest> = (0..n)
        .collect::<Vec<_>>()
        .chunks(BATCH)
        .map(|chunk| pb::SyncListingsRequest {
            source: "arex".to_owned(),
            upserts: chunk.iter().map(|i| listing(*i)).collect(),
            withdrawals: vec![],
            ..Default::default()
        })
        .collect();
    let started = Instant::now();
    for batch in &batches {
        registrar.sync_listings(batch).await.expect("sync");
    }
    let first = n as f64 / started.elapsed().as_secs_f64();
    let started = Instant::now();
    for batch in &batches {
        registrar.sync_listings(batch).await.expect("replay");
    }
    let replay = n as f64 / started.elapsed().as_secs_f64();
    (first, replay)
}

static PLAIN_SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./benches/plain/sqlite");
static PLAIN_POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./benches/plain/postgres");

/// The same rows, encoded the same way, inserted 500 per multi-row INSERT and
/// transaction, with no validation, no idempotency check and no outbox.
async fn plain_insert(url: &Secret, n: usize) -> f64 {
    use prost::Message as _;
    let db = Database::open(
        url,
        Migrations {
            sqlite: &PLAIN_SQLITE,
            postgres: &PLAIN_POSTGRES,
        },
    )
    .await
    .expect("open plain");
    let rows: Vec<(String, Vec<u8>)> = (0..n)
        .map(|i| {
            let listing = listing(i);
            (listing.external_id.clone(), listing.encode_to_vec())
        })
        .collect();
    let started = Instant::now();
    for chunk in rows.chunks(BATCH) {
        let mut tx = db.pool.begin().await.expect("begin");
        let mut sql = String::from("INSERT INTO plain_listings (id, source, record) VALUES ");
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3));
        }
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (id, record) in chunk {
            query = query.bind(id.clone()).bind("arex").bind(record.clone());
        }
        query.execute(&mut *tx).await.expect("insert");
        tx.commit().await.expect("commit");
    }
    n as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let n: usize = std::env::var("PYRED_BENCH_LISTINGS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("temp dir");
        println!("sync benchmark: {n} listings in batches of {BATCH}");
        println!(
            "{:<12} {:>18} {:>18} {:>18}",
            "engine", "sync (new) /s", "replay /s", "plain insert /s"
        );
        let (first, replay) = registry_sync(&testing::sqlite_url(dir.path(), "registry"), n).await;
        let plain = plain_insert(&testing::sqlite_url(dir.path(), "plain"), n).await;
        println!(
            "{:<12} {first:>18.0} {replay:>18.0} {plain:>18.0}",
            "sqlite"
        );
        if let Some(url) = testing::fresh_postgres("sync benchmark (registry)").await {
            let (first, replay) = registry_sync(&url, n).await;
            let plain_url = testing::fresh_postgres("sync benchmark (plain)")
                .await
                .expect("same server");
            let plain = plain_insert(&plain_url, n).await;
            println!(
                "{:<12} {first:>18.0} {replay:>18.0} {plain:>18.0}",
                "postgres"
            );
        }
    });
}
