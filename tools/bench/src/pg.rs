//! The PostgreSQL side: the same rows, PostgreSQL's own full-text search.
//!
//! One table `doc` (firms and listings, one row each, numbered as the corpus rows) with
//! a `tsvector` per language computed by a generated column — the `french`
//! configuration for French records, `spanish` for Spanish ones, title weighted A and
//! the other texts B — GIN indexes on both, a GiST index on `ll_to_earth(lat, lon)`
//! (earthdistance/cube) or, when those extensions are missing, B-trees on `lat` and
//! `lon`, and a B-tree on `(region, kind)` for the filters. Rows are loaded with `COPY`
//! (generated columns computed on the way in), indexes built after, then `ANALYZE`.
//!
//! A query is the OR of `plainto_tsquery('french', q)` over the French vectors and
//! `plainto_tsquery('spanish', q)` over the Spanish ones, with the same filters as the
//! Pyred request (listings only, kind, region, radius around the same point with the
//! same earth radius, live at the same day), ranked by the sum of `ts_rank_cd`, 10 rows.
//! Connections use `plan_cache_mode = force_custom_plan`, so optional filters given as
//! NULL parameters are planned away.

use std::io::BufRead as _;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use pyred_domain::{BoundingBox, Day, EARTH_MEAN_RADIUS_KM, GeoPoint};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, Executor as _, Row as _};

use crate::corpus::{CompanyRecord, OpportunityRecord, row_of};
use crate::pyred_stack::Memory;
use crate::queries::Query;

/// Radius of the sphere `earthdistance` uses (`earth()`), metres.
const EARTHDISTANCE_RADIUS_M: f64 = 6_378_168.0;

const SCHEMA: &str = "
CREATE TABLE doc (
    n integer NOT NULL,
    entity text NOT NULL,
    ext_id text NOT NULL,
    kind text,
    region text NOT NULL,
    lang text NOT NULL,
    lat double precision NOT NULL,
    lon double precision NOT NULL,
    published date,
    expires_on date,
    title text NOT NULL,
    body text NOT NULL,
    tsv_fr tsvector GENERATED ALWAYS AS (CASE WHEN lang = 'fr' THEN
        setweight(to_tsvector('french'::regconfig, title), 'A') ||
        setweight(to_tsvector('french'::regconfig, body), 'B') END) STORED,
    tsv_es tsvector GENERATED ALWAYS AS (CASE WHEN lang = 'es' THEN
        setweight(to_tsvector('spanish'::regconfig, title), 'A') ||
        setweight(to_tsvector('spanish'::regconfig, body), 'B') END) STORED
)";

const SEARCH_EARTH: &str = "
SELECT n FROM doc
WHERE (tsv_fr @@ plainto_tsquery('french', $1) OR tsv_es @@ plainto_tsquery('spanish', $1))
  AND (NOT $2 OR entity = 'o')
  AND ($3::text IS NULL OR kind = $3::text)
  AND ($4::text IS NULL OR region = $4::text)
  AND ($7::float8 IS NULL OR (
        earth_box(ll_to_earth($5::float8, $6::float8), $7::float8) @> ll_to_earth(lat, lon)
    AND earth_distance(ll_to_earth($5::float8, $6::float8), ll_to_earth(lat, lon)) <= $7::float8))
  AND (entity = 'c' OR expires_on >= $8::text::date)
ORDER BY coalesce(ts_rank_cd(tsv_fr, plainto_tsquery('french', $1)), 0)
       + coalesce(ts_rank_cd(tsv_es, plainto_tsquery('spanish', $1)), 0) DESC, n
LIMIT 10";

const SEARCH_BTREE: &str = "
SELECT n FROM doc
WHERE (tsv_fr @@ plainto_tsquery('french', $1) OR tsv_es @@ plainto_tsquery('spanish', $1))
  AND (NOT $2 OR entity = 'o')
  AND ($3::text IS NULL OR kind = $3::text)
  AND ($4::text IS NULL OR region = $4::text)
  AND ($7::float8 IS NULL OR (
        lat BETWEEN $9::float8 AND $10::float8 AND lon BETWEEN $11::float8 AND $12::float8
    AND 2 * 6371.0088 * asin(least(1, sqrt(
            power(sin(radians(lat - $5::float8) / 2), 2)
          + cos(radians($5::float8)) * cos(radians(lat)) * power(sin(radians(lon - $6::float8) / 2), 2)
        ))) <= $7::float8))
  AND (entity = 'c' OR expires_on >= $8::text::date)
ORDER BY coalesce(ts_rank_cd(tsv_fr, plainto_tsquery('french', $1)), 0)
       + coalesce(ts_rank_cd(tsv_es, plainto_tsquery('spanish', $1)), 0) DESC, n
LIMIT 10";

/// A throwaway benchmark database.
#[derive(Debug)]
pub struct Pg {
    admin: PgPool,
    url: String,
    name: String,
    /// earthdistance/cube were available (else B-trees on lat and lon).
    pub earth: bool,
}

/// What loading and indexing cost.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PgLoad {
    /// Rows copied.
    pub rows: u64,
    /// COPY, generated tsvectors included.
    pub load_secs: f64,
    /// Index builds and ANALYZE.
    pub index_secs: f64,
    /// Which geo index was built.
    pub geo_index: String,
}

/// Database and relation sizes.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PgSize {
    /// `pg_database_size`, MB.
    pub database_mb: f64,
    /// Table (heap + TOAST), MB.
    pub table_mb: f64,
    /// All indexes of the table, MB.
    pub indexes_mb: f64,
}

fn copy_escape(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

fn replace_db(url: &str, name: &str) -> String {
    match url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => format!("{url}/{name}"),
    }
}

impl Pg {
    /// Creates a fresh database `pyred_bench_<pid>` on the server of `admin_url`; with
    /// `try_earthdistance` false, the B-tree fallback is used even when the extensions
    /// are available (to exercise and compare it).
    pub async fn create(admin_url: &str, try_earthdistance: bool) -> anyhow::Result<Self> {
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect(admin_url)
            .await
            .with_context(|| "cannot connect to PostgreSQL (is it running on 127.0.0.1:5432?)")?;
        let name = format!("pyred_bench_{}", std::process::id());
        admin
            .execute(AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .await?;
        admin
            .execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await?;
        let url = replace_db(admin_url, &name);
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await?;
        let earth = try_earthdistance
            && pool
                .execute("CREATE EXTENSION IF NOT EXISTS cube")
                .await
                .is_ok()
            && pool
                .execute("CREATE EXTENSION IF NOT EXISTS earthdistance")
                .await
                .is_ok();
        pool.execute(SCHEMA).await?;
        pool.close().await;
        Ok(Self {
            admin,
            url,
            name,
            earth,
        })
    }

    /// A pool of `connections` connections to the benchmark database, all opened.
    pub async fn pool(&self, connections: u32) -> anyhow::Result<PgPool> {
        let pool = PgPoolOptions::new()
            .max_connections(connections)
            .min_connections(connections)
            .acquire_timeout(Duration::from_secs(60))
            .after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("SET plan_cache_mode = force_custom_plan")
                        .await?;
                    Ok(())
                })
            })
            .connect(&self.url)
            .await?;
        let mut held = Vec::new();
        for _ in 0..connections {
            held.push(pool.acquire().await?);
        }
        drop(held);
        Ok(pool)
    }

    /// Copies both files into `doc`, then builds the indexes.
    pub async fn load(&self, dir: &Path, companies: u64) -> anyhow::Result<PgLoad> {
        let pool = self.pool(1).await?;
        let mut conn = pool.acquire().await?;
        let started = Instant::now();
        let mut copy = conn
            .copy_in_raw(
                "COPY doc (n, entity, ext_id, kind, region, lang, lat, lon, published, expires_on, title, body) FROM STDIN",
            )
            .await?;
        let mut buffer = String::with_capacity(8 << 20);
        let mut rows = 0_u64;
        for (file, is_company) in [("companies.jsonl", true), ("opportunities.jsonl", false)] {
            let reader = std::io::BufReader::new(std::fs::File::open(dir.join(file))?);
            for line in reader.lines() {
                let line = line?;
                if line.trim().is_empty() {
                    continue;
                }
                if is_company {
                    let c: CompanyRecord = serde_json::from_str(&line)?;
                    let n = row_of(&c.id, companies).context("not a generated id")?;
                    buffer.push_str(&format!("{n}\tc\t"));
                    copy_escape(&mut buffer, &c.id);
                    buffer.push_str("\t\\N\t");
                    buffer.push_str(&format!(
                        "{}\t{}\t{}\t{}\t\\N\t\\N\t",
                        c.region, c.lang, c.location.lat, c.location.lon
                    ));
                    copy_escape(&mut buffer, &c.name);
                    buffer.push('\t');
                    copy_escape(
                        &mut buffer,
                        &format!("{} {} {}", c.description, c.offers, c.seeks),
                    );
                } else {
                    let o: OpportunityRecord = serde_json::from_str(&line)?;
                    let n = row_of(&o.id, companies).context("not a generated id")?;
                    let published = Day::parse(&o.published)?;
                    let expires = match &o.deadline {
                        Some(d) => Day::parse(d)?,
                        None => published.plus_days(365)?,
                    };
                    buffer.push_str(&format!("{n}\to\t"));
                    copy_escape(&mut buffer, &o.id);
                    buffer.push_str(&format!(
                        "\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t",
                        o.kind,
                        o.region,
                        o.lang,
                        o.location.lat,
                        o.location.lon,
                        o.published,
                        format_args!(
                            "{:04}-{:02}-{:02}",
                            expires.year(),
                            expires.month(),
                            expires.day()
                        )
                    ));
                    copy_escape(&mut buffer, &o.title);
                    buffer.push('\t');
                    copy_escape(&mut buffer, &o.description);
                }
                buffer.push('\n');
                rows += 1;
                if buffer.len() >= 4 << 20 {
                    copy.send(std::mem::take(&mut buffer).into_bytes()).await?;
                    buffer.reserve(8 << 20);
                }
            }
        }
        if !buffer.is_empty() {
            copy.send(buffer.into_bytes()).await?;
        }
        copy.finish().await?;
        let load_secs = started.elapsed().as_secs_f64();
        let started = Instant::now();
        conn.execute("SET maintenance_work_mem = '256MB'").await?;
        conn.execute("CREATE INDEX doc_tsv_fr ON doc USING gin (tsv_fr)")
            .await?;
        conn.execute("CREATE INDEX doc_tsv_es ON doc USING gin (tsv_es)")
            .await?;
        let geo_index = if self.earth {
            conn.execute("CREATE INDEX doc_earth ON doc USING gist (ll_to_earth(lat, lon))")
                .await?;
            "GiST on ll_to_earth(lat, lon) (earthdistance)"
        } else {
            conn.execute("CREATE INDEX doc_lat ON doc (lat)").await?;
            conn.execute("CREATE INDEX doc_lon ON doc (lon)").await?;
            "B-trees on lat and on lon (no earthdistance)"
        };
        conn.execute("CREATE INDEX doc_filters ON doc (region, kind)")
            .await?;
        conn.execute("ALTER TABLE doc ADD PRIMARY KEY (n)").await?;
        conn.execute("ANALYZE doc").await?;
        let index_secs = started.elapsed().as_secs_f64();
        drop(conn);
        pool.close().await;
        Ok(PgLoad {
            rows,
            load_secs,
            index_secs,
            geo_index: geo_index.to_owned(),
        })
    }

    /// Runs `query` on `pool`: the row numbers of the 10 best rows.
    pub async fn search(
        &self,
        pool: &PgPool,
        query: &Query,
        as_of: &str,
    ) -> Result<Vec<u32>, sqlx::Error> {
        let sql = if self.earth {
            SEARCH_EARTH
        } else {
            SEARCH_BTREE
        };
        let radius = query.radius.as_ref();
        let radius_param = radius.map(|r| {
            if self.earth {
                // Same great circle as Pyred's sphere: scale to earthdistance's radius.
                r.km * 1000.0 * EARTHDISTANCE_RADIUS_M / (EARTH_MEAN_RADIUS_KM * 1000.0)
            } else {
                r.km
            }
        });
        let bbox = radius.and_then(|r| {
            let centre = GeoPoint::new(r.lat, r.lon).ok()?;
            BoundingBox::around(&centre, r.km).ok()?.into_iter().next()
        });
        let statement = sqlx::query(sql)
            .bind(&query.text)
            .bind(query.opportunities_only)
            .bind(query.kind)
            .bind(query.region.as_deref())
            .bind(radius.map(|r| r.lat))
            .bind(radius.map(|r| r.lon))
            .bind(radius_param)
            .bind(as_of);
        let statement = if self.earth {
            statement
        } else {
            statement
                .bind(bbox.as_ref().map(BoundingBox::min_lat))
                .bind(bbox.as_ref().map(BoundingBox::max_lat))
                .bind(bbox.as_ref().map(BoundingBox::min_lon))
                .bind(bbox.as_ref().map(BoundingBox::max_lon))
        };
        let rows = statement.fetch_all(pool).await?;
        Ok(rows.iter().map(|row| row.get::<i32, _>(0) as u32).collect())
    }

    /// Sizes of the database, the table and its indexes.
    pub async fn size(&self) -> anyhow::Result<PgSize> {
        let pool = self.pool(1).await?;
        let row = sqlx::query(
            "SELECT pg_database_size(current_database())::float8, pg_table_size('doc')::float8, pg_indexes_size('doc')::float8",
        )
        .fetch_one(&pool)
        .await?;
        pool.close().await;
        let mb = |b: f64| b / 1_048_576.0;
        Ok(PgSize {
            database_mb: mb(row.get(0)),
            table_mb: mb(row.get(1)),
            indexes_mb: mb(row.get(2)),
        })
    }

    /// Drops the benchmark database.
    pub async fn drop_database(self) -> anyhow::Result<()> {
        self.admin
            .execute(AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            )))
            .await?;
        self.admin.close().await;
        Ok(())
    }

    /// The benchmark database's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Memory of the whole PostgreSQL server: every `postgres` process (the postmaster, its
/// background workers and the open backends). RSS counts shared buffers once per
/// process; PSS divides them among the processes, so the PSS sum is the honest total.
pub fn server_memory() -> (Memory, usize) {
    let mut total = Memory::default();
    let mut processes = 0;
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            if comm.trim() == "postgres" {
                let m = crate::pyred_stack::memory(pid);
                total.rss_mb += m.rss_mb;
                total.peak_rss_mb += m.peak_rss_mb;
                total.pss_mb += m.pss_mb;
                processes += 1;
            }
        }
    }
    (total, processes)
}
