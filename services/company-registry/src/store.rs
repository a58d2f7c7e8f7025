//! The registry's SQL store (SQLite or PostgreSQL through sqlx `Any`) and its outbox.
//!
//! Every write goes through a [`WriteTx`]: it takes the registry's write lock (an
//! in-process mutex, plus a transaction-scoped PostgreSQL advisory lock so that several
//! registry replicas also serialise), assigns change sequence numbers as `MAX(seq) + 1`
//! under that lock, and writes the record and its change row in one transaction. Commits
//! therefore happen in sequence order with no gap, which is what lets a change-feed
//! reader never skip a change (the classic outbox trap: a number taken early committing
//! after a higher one). After each commit the last sequence number is published on a
//! watch channel so live `WatchChanges` streams wake at once.

use std::sync::Arc;

use prost::Message as _;
use pyred_domain::Day;
use pyred_proto::v1::{self as pb};
use pyred_runtime::Secret;
use pyred_runtime::db::{Database, DbError, Migrations, SerializedTx, WriteLock};
pub use pyred_runtime::db::{now_micros, timestamp};
use sqlx::any::AnyRow;
use sqlx::{Any, Row as _, Transaction};
use tokio::sync::{MutexGuard, watch};

use crate::error::RegistryError;
use crate::validate::nace_terms;

static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The registry's migrations for both engines.
pub const MIGRATIONS: Migrations = Migrations {
    sqlite: &SQLITE,
    postgres: &POSTGRES,
};

/// Key of the PostgreSQL advisory lock that serialises registry writes.
const WRITE_LOCK_KEY: i64 = 0x5059_5245_4431; // "PYRED1"

/// Case- and accent-insensitive key for name look-ups.
pub fn fold(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization as _;
    use unicode_normalization::char::is_combining_mark;
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Which kind of record a change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    /// A company.
    Company,
    /// An opportunity.
    Opportunity,
}

impl Entity {
    fn as_str(self) -> &'static str {
        match self {
            Self::Company => "company",
            Self::Opportunity => "opportunity",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "company" => Some(Self::Company),
            "opportunity" => Some(Self::Opportunity),
            _ => None,
        }
    }
}

/// What a change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Created or updated; the new public state is attached.
    Upsert,
    /// Deleted.
    Delete,
    /// Personal data erased; the public state is attached.
    Erase,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Self::Upsert => "upsert",
            Self::Delete => "delete",
            Self::Erase => "erase",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "upsert" => Some(Self::Upsert),
            "delete" => Some(Self::Delete),
            "erase" => Some(Self::Erase),
            _ => None,
        }
    }
}

/// Stored lifecycle of an opportunity ("expired" is computed from `expires_on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    /// Not yet public.
    Draft,
    /// Public until `expires_on`.
    Published,
    /// Taken back by its publisher.
    Withdrawn,
    /// Its publisher found what it sought.
    Fulfilled,
}

impl Lifecycle {
    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
            Self::Withdrawn => "withdrawn",
            Self::Fulfilled => "fulfilled",
        }
    }

    /// From stored text.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "draft" => Some(Self::Draft),
            "published" => Some(Self::Published),
            "withdrawn" => Some(Self::Withdrawn),
            "fulfilled" => Some(Self::Fulfilled),
            _ => None,
        }
    }

    /// The status shown to callers on `today`.
    pub fn status(self, expires_on: Option<&pb::Date>, today: Day) -> pb::OpportunityStatus {
        match self {
            Self::Draft => pb::OpportunityStatus::Draft,
            Self::Withdrawn => pb::OpportunityStatus::Withdrawn,
            Self::Fulfilled => pb::OpportunityStatus::Fulfilled,
            Self::Published => match expires_on.and_then(|date| Day::try_from(date).ok()) {
                Some(expires_on) if expires_on < today => pb::OpportunityStatus::Expired,
                _ => pb::OpportunityStatus::Published,
            },
        }
    }

    /// The stored lifecycle behind a status (expired is stored as published).
    pub fn of_status(status: pb::OpportunityStatus) -> Option<Self> {
        match status {
            pb::OpportunityStatus::Draft => Some(Self::Draft),
            pb::OpportunityStatus::Published | pb::OpportunityStatus::Expired => {
                Some(Self::Published)
            }
            pb::OpportunityStatus::Withdrawn => Some(Self::Withdrawn),
            pb::OpportunityStatus::Fulfilled => Some(Self::Fulfilled),
            pb::OpportunityStatus::Unspecified => None,
        }
    }
}

/// A committed change, as the feed serves it.
#[derive(Debug, Clone)]
pub struct ChangeRow {
    /// Sequence number.
    pub seq: i64,
    /// The kind of record.
    pub entity: Entity,
    /// Its id.
    pub entity_id: String,
    /// What happened.
    pub op: Op,
    /// Record version after the change.
    pub version: i64,
    /// Commit time, µs.
    pub committed_at: i64,
    /// Encoded public state, for upserts and erasures.
    pub payload: Option<Vec<u8>>,
}

impl ChangeRow {
    /// The `pyred.v1.Change` message.
    pub fn to_pb(&self) -> Result<pb::Change, RegistryError> {
        let record = match (&self.payload, self.entity) {
            (None, _) => None,
            (Some(bytes), Entity::Company) => Some(pb::change::Record::Company(
                pb::Company::decode(bytes.as_slice()).map_err(RegistryError::Corrupt)?,
            )),
            (Some(bytes), Entity::Opportunity) => Some(pb::change::Record::Opportunity(
                pb::Opportunity::decode(bytes.as_slice()).map_err(RegistryError::Corrupt)?,
            )),
        };
        Ok(pb::Change {
            seq: self.seq,
            entity: match self.entity {
                Entity::Company => pb::EntityKind::Company as i32,
                Entity::Opportunity => pb::EntityKind::Opportunity as i32,
            },
            id: self.entity_id.clone(),
            op: match self.op {
                Op::Upsert => pb::ChangeOp::Upsert as i32,
                Op::Delete => pb::ChangeOp::Delete as i32,
                Op::Erase => pb::ChangeOp::Erase as i32,
            },
            committed_at: Some(timestamp(self.committed_at)),
            version: self.version,
            // Set by the feed when it sends the change.
            head_seq: self.seq,
            record,
        })
    }
}

/// The registry's store.
#[derive(Debug, Clone)]
pub struct Store {
    db: Database,
    write_lock: WriteLock,
    committed: Arc<watch::Sender<i64>>,
}

/// One write transaction, holding the write lock until it commits or is dropped.
pub struct WriteTx<'a> {
    _guard: MutexGuard<'a, ()>,
    tx: Transaction<'static, Any>,
    next_seq: i64,
    first_seq: i64,
    now: i64,
    committed: &'a watch::Sender<i64>,
}

impl WriteTx<'_> {
    /// The transaction, for statements.
    pub fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }

    /// The commit time used for every row of this transaction, µs.
    pub fn now(&self) -> i64 {
        self.now
    }

    /// Appends a change row and returns its sequence number.
    pub async fn append_change(
        &mut self,
        entity: Entity,
        entity_id: &str,
        op: Op,
        version: i64,
        payload: Option<Vec<u8>>,
    ) -> Result<i64, RegistryError> {
        let seq = self.next_seq;
        sqlx::query(
            "INSERT INTO changes (seq, entity, entity_id, op, version, committed_at, payload) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(seq)
        .bind(entity.as_str())
        .bind(entity_id)
        .bind(op.as_str())
        .bind(version)
        .bind(self.now)
        .bind(payload)
        .execute(&mut *self.tx)
        .await?;
        self.next_seq += 1;
        Ok(seq)
    }

    /// Commits; returns the last sequence number written (0 when none).
    pub async fn commit(self) -> Result<i64, RegistryError> {
        let last = self.next_seq - 1;
        let wrote = self.next_seq > self.first_seq;
        self.tx.commit().await?;
        if wrote {
            self.committed.send_replace(last);
            Ok(last)
        } else {
            Ok(0)
        }
    }
}

/// `$1, $2, …, $n`.
fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn company_from_row(row: &AnyRow) -> Result<pb::Company, RegistryError> {
    let bytes: Vec<u8> = row.try_get("record")?;
    let mut company = pb::Company::decode(bytes.as_slice()).map_err(RegistryError::Corrupt)?;
    company.id = row.try_get("id")?;
    company.version = row.try_get("version")?;
    company.created_at = Some(timestamp(row.try_get("created_at")?));
    company.updated_at = Some(timestamp(row.try_get("updated_at")?));
    Ok(company)
}

fn opportunity_from_row(row: &AnyRow, today: Day) -> Result<pb::Opportunity, RegistryError> {
    let bytes: Vec<u8> = row.try_get("record")?;
    let mut opportunity =
        pb::Opportunity::decode(bytes.as_slice()).map_err(RegistryError::Corrupt)?;
    opportunity.id = row.try_get("id")?;
    opportunity.version = row.try_get("version")?;
    opportunity.source_version = row.try_get("source_version")?;
    opportunity.created_at = Some(timestamp(row.try_get("created_at")?));
    opportunity.updated_at = Some(timestamp(row.try_get("updated_at")?));
    let lifecycle: String = row.try_get("status")?;
    let lifecycle = Lifecycle::parse(&lifecycle)
        .ok_or_else(|| RegistryError::CorruptValue(format!("status {lifecycle:?}")))?;
    opportunity.status = lifecycle.status(opportunity.expires_on.as_ref(), today) as i32;
    Ok(opportunity)
}

/// A stored opportunity with its stored lifecycle, for sync decisions.
#[derive(Debug, Clone)]
pub struct StoredOpportunity {
    /// The record as callers see it.
    pub record: pb::Opportunity,
    /// Its stored lifecycle.
    pub lifecycle: Lifecycle,
}

/// Filters of [`Store::list_companies`].
#[derive(Debug, Default, Clone)]
pub struct CompanyFilter {
    /// ISO 3166-2 region.
    pub region: Option<String>,
    /// Publisher.
    pub source: Option<String>,
    /// NACE code at any level.
    pub nace: Option<String>,
    /// Folded name prefix.
    pub name_prefix: Option<String>,
}

/// Filters of [`Store::list_opportunities`].
#[derive(Debug, Default, Clone)]
pub struct OpportunityFilter {
    /// Publisher.
    pub source: Option<String>,
    /// Status as callers see it.
    pub status: Option<pb::OpportunityStatus>,
    /// ISO 3166-2 region.
    pub region: Option<String>,
    /// Kind.
    pub kind: Option<i32>,
    /// NACE code at any level.
    pub nace: Option<String>,
    /// Publication range, inclusive.
    pub published: (Option<Day>, Option<Day>),
    /// Deadline range, inclusive.
    pub deadline: (Option<Day>, Option<Day>),
}

/// Appends `AND …` clauses with `$n` placeholders to `sql`, collecting string binds.
struct Conditions {
    sql: String,
    binds: Vec<String>,
}

impl Conditions {
    fn new(base: &str) -> Self {
        Self {
            sql: base.to_owned(),
            binds: Vec::new(),
        }
    }

    /// `clause` uses `?` (once or more) for its one bound value.
    fn add(&mut self, clause: &str, value: String) {
        self.binds.push(value);
        let placeholder = format!("${}", self.binds.len());
        self.sql.push_str(" AND ");
        self.sql.push_str(&clause.replace('?', &placeholder));
    }

    fn finish(mut self, limit: usize) -> (String, Vec<String>) {
        self.sql
            .push_str(&format!(" ORDER BY id LIMIT {}", limit.saturating_add(1)));
        (self.sql, self.binds)
    }
}

impl Store {
    /// Opens and migrates the store at `url`.
    pub async fn open(url: &Secret) -> Result<Self, DbError> {
        let db = Database::open(url, MIGRATIONS).await?;
        let store = Self {
            db,
            write_lock: WriteLock::new(WRITE_LOCK_KEY),
            committed: Arc::new(watch::channel(0).0),
        };
        if let Ok(last) = store.last_seq().await {
            store.committed.send_replace(last);
        }
        Ok(store)
    }

    /// The underlying database.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// A receiver of the last sequence number committed by this process.
    pub fn subscribe(&self) -> watch::Receiver<i64> {
        self.committed.subscribe()
    }

    /// Starts a write transaction under the write lock.
    pub async fn begin_write(&self) -> Result<WriteTx<'_>, RegistryError> {
        let SerializedTx { guard, mut tx } = self.write_lock.begin(&self.db).await?;
        let row = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS last FROM changes")
            .fetch_one(&mut *tx)
            .await?;
        let last: i64 = row.try_get("last")?;
        Ok(WriteTx {
            _guard: guard,
            tx,
            next_seq: last + 1,
            first_seq: last + 1,
            now: now_micros(),
            committed: &self.committed,
        })
    }

    /// The highest committed change sequence number, 0 when the feed is empty.
    pub async fn last_seq(&self) -> Result<i64, RegistryError> {
        let row = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS last FROM changes")
            .fetch_one(&self.db.pool)
            .await?;
        Ok(row.try_get("last")?)
    }

    /// The stored position of a publisher's feed and when it last moved (µs).
    pub async fn feed_cursor(
        &self,
        source: &str,
        feed: &str,
    ) -> Result<Option<(String, i64)>, RegistryError> {
        let row = sqlx::query(
            "SELECT position, updated_at FROM feed_cursors WHERE source = $1 AND feed = $2",
        )
        .bind(source)
        .bind(feed)
        .fetch_optional(&self.db.pool)
        .await?;
        row.map(|row| Ok((row.try_get("position")?, row.try_get("updated_at")?)))
            .transpose()
    }

    /// Up to `limit` changes with a sequence number above `after`, in order.
    pub async fn changes_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<ChangeRow>, RegistryError> {
        let rows = sqlx::query(
            "SELECT seq, entity, entity_id, op, version, committed_at, payload FROM changes \
             WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let entity: String = row.try_get("entity")?;
                let op: String = row.try_get("op")?;
                Ok(ChangeRow {
                    seq: row.try_get("seq")?,
                    entity: Entity::parse(&entity)
                        .ok_or_else(|| RegistryError::CorruptValue(format!("entity {entity:?}")))?,
                    entity_id: row.try_get("entity_id")?,
                    op: Op::parse(&op)
                        .ok_or_else(|| RegistryError::CorruptValue(format!("op {op:?}")))?,
                    version: row.try_get("version")?,
                    committed_at: row.try_get("committed_at")?,
                    payload: row.try_get("payload")?,
                })
            })
            .collect()
    }

    // ----- companies -----

    /// One company with its contact.
    pub async fn company(&self, id: &str) -> Result<Option<pb::Company>, RegistryError> {
        let row = sqlx::query(
            "SELECT c.id, c.version, c.created_at, c.updated_at, c.record, \
             k.name AS contact_name, k.email AS contact_email, k.phone AS contact_phone \
             FROM companies c LEFT JOIN company_contacts k ON k.company_id = c.id \
             WHERE c.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?;
        row.map(|row| {
            let mut company = company_from_row(&row)?;
            let name: Option<String> = row.try_get("contact_name")?;
            if let Some(name) = name {
                company.contact = Some(pb::Contact {
                    name,
                    email: row
                        .try_get::<Option<String>, _>("contact_email")?
                        .unwrap_or_default(),
                    phone: row
                        .try_get::<Option<String>, _>("contact_phone")?
                        .unwrap_or_default(),
                });
            }
            Ok(company)
        })
        .transpose()
    }

    /// The id of the company with this compact legal identifier (a SIREN also matches
    /// the SIRETs of its establishments).
    pub async fn company_id_by_legal_id(
        &self,
        legal_id: &str,
    ) -> Result<Option<String>, RegistryError> {
        // A SIREN also finds the establishments (SIRETs) of that company.
        let row = sqlx::query(
            "SELECT id FROM companies WHERE legal_id = $1 \
             OR (length($1) = 9 AND length(legal_id) = 14 AND substr(legal_id, 1, 9) = $1) \
             ORDER BY CASE WHEN legal_id = $1 THEN 0 ELSE 1 END, id LIMIT 1",
        )
        .bind(legal_id)
        .fetch_optional(&self.db.pool)
        .await?;
        row.map(|row| Ok(row.try_get("id")?)).transpose()
    }

    /// A page of companies ordered by id, after `after`; the flag says whether more follow.
    pub async fn list_companies(
        &self,
        filter: &CompanyFilter,
        after: &str,
        limit: usize,
    ) -> Result<(Vec<pb::Company>, bool), RegistryError> {
        let mut conditions = Conditions::new(
            "SELECT id, version, created_at, updated_at, record FROM companies WHERE 1 = 1",
        );
        conditions.add("id > ?", after.to_owned());
        if let Some(region) = &filter.region {
            conditions.add("region = ?", region.clone());
        }
        if let Some(source) = &filter.source {
            conditions.add("source = ?", source.clone());
        }
        if let Some(nace) = &filter.nace {
            conditions.add("nace_terms LIKE ?", format!("% {nace} %"));
        }
        if let Some(prefix) = &filter.name_prefix {
            // Every `?` of a clause is the same bound value.
            conditions.add("substr(name_key, 1, length(?)) = ?", prefix.clone());
        }
        let (sql, binds) = conditions.finish(limit);
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for bind in binds {
            query = query.bind(bind);
        }
        let rows = query.fetch_all(&self.db.pool).await?;
        let more = rows.len() > limit;
        let companies = rows
            .iter()
            .take(limit)
            .map(company_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((companies, more))
    }

    // ----- opportunities -----

    /// One opportunity.
    pub async fn opportunity(
        &self,
        id: &str,
        today: Day,
    ) -> Result<Option<pb::Opportunity>, RegistryError> {
        let row = sqlx::query(
            "SELECT id, version, source_version, status, created_at, updated_at, record \
             FROM opportunities WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?;
        row.map(|row| opportunity_from_row(&row, today)).transpose()
    }

    /// The opportunities among `ids` (at most a few hundred: one query), in no order.
    pub async fn opportunities_by_ids(
        &self,
        ids: &[String],
        today: Day,
    ) -> Result<Vec<pb::Opportunity>, RegistryError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, version, source_version, status, created_at, updated_at, record \
             FROM opportunities WHERE id IN ({})",
            placeholders(ids.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in ids {
            query = query.bind(id.clone());
        }
        query
            .fetch_all(&self.db.pool)
            .await?
            .iter()
            .map(|row| opportunity_from_row(row, today))
            .collect()
    }

    /// The companies among `ids`, without contacts (one query), in no order.
    pub async fn companies_by_ids(
        &self,
        ids: &[String],
    ) -> Result<Vec<pb::Company>, RegistryError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT c.id, c.version, c.created_at, c.updated_at, c.record \
             FROM companies c WHERE c.id IN ({})",
            placeholders(ids.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in ids {
            query = query.bind(id.clone());
        }
        query
            .fetch_all(&self.db.pool)
            .await?
            .iter()
            .map(company_from_row)
            .collect()
    }

    /// A page of opportunities ordered by id, after `after`; the flag says whether more follow.
    pub async fn list_opportunities(
        &self,
        filter: &OpportunityFilter,
        after: &str,
        limit: usize,
        today: Day,
    ) -> Result<(Vec<pb::Opportunity>, bool), RegistryError> {
        let mut conditions = Conditions::new(
            "SELECT id, version, source_version, status, created_at, updated_at, record \
             FROM opportunities WHERE 1 = 1",
        );
        conditions.add("id > ?", after.to_owned());
        if let Some(source) = &filter.source {
            conditions.add("source = ?", source.clone());
        }
        if let Some(region) = &filter.region {
            conditions.add("region = ?", region.clone());
        }
        if let Some(kind) = filter.kind {
            conditions.add("CAST(kind AS TEXT) = ?", kind.to_string());
        }
        if let Some(nace) = &filter.nace {
            conditions.add("nace_terms LIKE ?", format!("% {nace} %"));
        }
        match filter.status {
            Some(pb::OpportunityStatus::Published) => {
                conditions.add("status = ?", "published".to_owned());
                conditions.add("expires_on >= ?", today.to_string());
            }
            Some(pb::OpportunityStatus::Expired) => {
                conditions.add("status = ?", "published".to_owned());
                conditions.add("expires_on < ?", today.to_string());
            }
            Some(status) => {
                if let Some(lifecycle) = Lifecycle::of_status(status) {
                    conditions.add("status = ?", lifecycle.as_str().to_owned());
                }
            }
            None => {}
        }
        if let Some(from) = filter.published.0 {
            conditions.add("published >= ?", from.to_string());
        }
        if let Some(to) = filter.published.1 {
            conditions.add("published <= ?", to.to_string());
        }
        if let Some(from) = filter.deadline.0 {
            conditions.add("deadline >= ?", from.to_string());
        }
        if let Some(to) = filter.deadline.1 {
            conditions.add("deadline <= ?", to.to_string());
        }
        let (sql, binds) = conditions.finish(limit);
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for bind in binds {
            query = query.bind(bind);
        }
        let rows = query.fetch_all(&self.db.pool).await?;
        let more = rows.len() > limit;
        let opportunities = rows
            .iter()
            .take(limit)
            .map(|row| opportunity_from_row(row, today))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((opportunities, more))
    }
}

/// Writes inside a [`WriteTx`].
impl WriteTx<'_> {
    /// Whether any company or opportunity already uses `id`, or a company `legal_id`.
    pub async fn company_conflict(
        &mut self,
        id: &str,
        source: &str,
        external_id: &str,
        legal_id: Option<&str>,
    ) -> Result<Option<String>, RegistryError> {
        let row = sqlx::query(
            "SELECT id, source, external_id, legal_id FROM companies \
             WHERE id = $1 OR (source = $2 AND external_id = $3) OR legal_id = $4 LIMIT 1",
        )
        .bind(id)
        .bind(source)
        .bind(external_id)
        .bind(legal_id.map(str::to_owned))
        .fetch_optional(&mut *self.tx)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let other_id: String = row.try_get("id")?;
        let other_legal: Option<String> = row.try_get("legal_id")?;
        Ok(Some(
            if other_legal.is_some() && other_legal.as_deref() == legal_id {
                format!("legal id already registered for company {other_id}")
            } else {
                format!("company {other_id} already exists")
            },
        ))
    }

    /// The id of the company that holds this compact legal identifier.
    pub async fn legal_id_owner(
        &mut self,
        legal_id: &str,
    ) -> Result<Option<String>, RegistryError> {
        let row = sqlx::query("SELECT id FROM companies WHERE legal_id = $1")
            .bind(legal_id)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.map(|row| Ok(row.try_get("id")?)).transpose()
    }

    /// The stored company of `(source, external_id)`, with its contact.
    pub async fn company_by_key(
        &mut self,
        source: &str,
        external_id: &str,
    ) -> Result<Option<(pb::Company, Option<pb::Contact>)>, RegistryError> {
        let row = sqlx::query(
            "SELECT c.id, c.version, c.created_at, c.updated_at, c.record, \
             k.name AS contact_name, k.email AS contact_email, k.phone AS contact_phone \
             FROM companies c LEFT JOIN company_contacts k ON k.company_id = c.id \
             WHERE c.source = $1 AND c.external_id = $2",
        )
        .bind(source)
        .bind(external_id)
        .fetch_optional(&mut *self.tx)
        .await?;
        row.map(|row| {
            let company = company_from_row(&row)?;
            let name: Option<String> = row.try_get("contact_name")?;
            let contact = match name {
                Some(name) => Some(pb::Contact {
                    name,
                    email: row
                        .try_get::<Option<String>, _>("contact_email")?
                        .unwrap_or_default(),
                    phone: row
                        .try_get::<Option<String>, _>("contact_phone")?
                        .unwrap_or_default(),
                }),
                None => None,
            };
            Ok((company, contact))
        })
        .transpose()
    }

    /// Inserts a new company (its `id` set) and announces it; returns the stored record.
    pub async fn insert_company(
        &mut self,
        mut company: pb::Company,
        contact: Option<&pb::Contact>,
    ) -> Result<pb::Company, RegistryError> {
        company.version = 1;
        company.contact = None;
        company.created_at = Some(timestamp(self.now));
        company.updated_at = Some(timestamp(self.now));
        let record = stored_company_bytes(&company);
        sqlx::query(
            "INSERT INTO companies (id, source, external_id, legal_id, name_key, region, \
             nace_terms, version, created_at, updated_at, record) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&company.id)
        .bind(&company.source)
        .bind(&company.external_id)
        .bind(company.legal_id.as_ref().map(|id| id.value.clone()))
        .bind(fold(&company.name))
        .bind(&company.region)
        .bind(nace_terms(&company.activities))
        .bind(company.version)
        .bind(self.now)
        .bind(self.now)
        .bind(record)
        .execute(&mut *self.tx)
        .await?;
        self.write_contact(&company.id, contact).await?;
        self.append_change(
            Entity::Company,
            &company.id,
            Op::Upsert,
            company.version,
            Some(company.encode_to_vec()),
        )
        .await?;
        Ok(company)
    }

    /// Replaces a company whose stored version is `read_version`; a concurrent change
    /// makes this a version conflict.
    pub async fn update_company(
        &mut self,
        mut company: pb::Company,
        contact: Option<&pb::Contact>,
        read_version: i64,
    ) -> Result<pb::Company, RegistryError> {
        company.version = read_version + 1;
        company.contact = None;
        company.updated_at = Some(timestamp(self.now));
        let record = stored_company_bytes(&company);
        let done = sqlx::query(
            "UPDATE companies SET legal_id = $1, name_key = $2, region = $3, nace_terms = $4, \
             version = $5, updated_at = $6, record = $7 WHERE id = $8 AND version = $9",
        )
        .bind(company.legal_id.as_ref().map(|id| id.value.clone()))
        .bind(fold(&company.name))
        .bind(&company.region)
        .bind(nace_terms(&company.activities))
        .bind(company.version)
        .bind(self.now)
        .bind(record)
        .bind(&company.id)
        .bind(read_version)
        .execute(&mut *self.tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(RegistryError::VersionConflict {
                entity: "company",
                id: company.id,
            });
        }
        self.write_contact(&company.id, contact).await?;
        self.append_change(
            Entity::Company,
            &company.id,
            Op::Upsert,
            company.version,
            Some(company.encode_to_vec()),
        )
        .await?;
        Ok(company)
    }

    async fn write_contact(
        &mut self,
        company_id: &str,
        contact: Option<&pb::Contact>,
    ) -> Result<(), RegistryError> {
        sqlx::query("DELETE FROM company_contacts WHERE company_id = $1")
            .bind(company_id)
            .execute(&mut *self.tx)
            .await?;
        if let Some(contact) = contact {
            sqlx::query(
                "INSERT INTO company_contacts (company_id, name, email, phone) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(company_id)
            .bind(&contact.name)
            .bind(&contact.email)
            .bind(&contact.phone)
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }

    /// Deletes a company (its contact goes with it) and announces it.
    pub async fn delete_company(
        &mut self,
        id: &str,
        expected_version: i64,
    ) -> Result<i64, RegistryError> {
        let row = sqlx::query("SELECT version FROM companies WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        let Some(row) = row else {
            return Err(RegistryError::NotFound {
                entity: "company",
                id: id.to_owned(),
            });
        };
        let version: i64 = row.try_get("version")?;
        if expected_version != 0 && expected_version != version {
            return Err(RegistryError::VersionConflict {
                entity: "company",
                id: id.to_owned(),
            });
        }
        sqlx::query("DELETE FROM company_contacts WHERE company_id = $1")
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        sqlx::query("DELETE FROM companies WHERE id = $1")
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        self.append_change(Entity::Company, id, Op::Delete, version + 1, None)
            .await
    }

    /// Erases a company's contact and announces the erasure with the public state.
    pub async fn erase_contact(
        &mut self,
        company: pb::Company,
    ) -> Result<pb::Company, RegistryError> {
        let read_version = company.version;
        let mut company = company;
        company.version = read_version + 1;
        company.contact = None;
        company.updated_at = Some(timestamp(self.now));
        let done = sqlx::query(
            "UPDATE companies SET version = $1, updated_at = $2, record = $3 \
             WHERE id = $4 AND version = $5",
        )
        .bind(company.version)
        .bind(self.now)
        .bind(stored_company_bytes(&company))
        .bind(&company.id)
        .bind(read_version)
        .execute(&mut *self.tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(RegistryError::VersionConflict {
                entity: "company",
                id: company.id,
            });
        }
        self.write_contact(&company.id, None).await?;
        self.append_change(
            Entity::Company,
            &company.id,
            Op::Erase,
            company.version,
            Some(company.encode_to_vec()),
        )
        .await?;
        Ok(company)
    }

    /// Moves a feed's cursor to `position` unless the stored one is already at or past it
    /// (positions sort as text).
    pub async fn advance_feed_cursor(
        &mut self,
        source: &str,
        feed: &str,
        position: &str,
    ) -> Result<(), RegistryError> {
        sqlx::query(
            "INSERT INTO feed_cursors (source, feed, position, updated_at) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (source, feed) DO UPDATE SET position = excluded.position, \
             updated_at = excluded.updated_at WHERE excluded.position > feed_cursors.position",
        )
        .bind(source)
        .bind(feed)
        .bind(position)
        .bind(self.now)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Keeps a withdrawal that names no stored listing yet, the newest per key.
    pub async fn remember_withdrawal(
        &mut self,
        source: &str,
        external_id: &str,
        source_version: i64,
        reason: &str,
    ) -> Result<(), RegistryError> {
        sqlx::query(
            "INSERT INTO pending_withdrawals (source, external_id, source_version, reason, \
             created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (source, external_id) DO UPDATE SET \
             source_version = excluded.source_version, reason = excluded.reason \
             WHERE excluded.source_version > pending_withdrawals.source_version",
        )
        .bind(source)
        .bind(external_id)
        .bind(source_version)
        .bind(reason)
        .bind(self.now)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Takes the pending withdrawals of one source among `external_ids` (version, reason),
    /// deleting them: the listings about to be created consume them.
    pub async fn take_pending_withdrawals(
        &mut self,
        source: &str,
        external_ids: &[&str],
    ) -> Result<std::collections::HashMap<String, (i64, String)>, RegistryError> {
        let mut found = std::collections::HashMap::new();
        if external_ids.is_empty() {
            return Ok(found);
        }
        let list: Vec<String> = (0..external_ids.len())
            .map(|i| format!("${}", i + 2))
            .collect();
        let list = list.join(", ");
        let select = format!(
            "SELECT external_id, source_version, reason FROM pending_withdrawals \
             WHERE source = $1 AND external_id IN ({list})"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(select)).bind(source.to_owned());
        for external_id in external_ids {
            query = query.bind((*external_id).to_owned());
        }
        for row in query.fetch_all(&mut *self.tx).await? {
            let external_id: String = row.try_get("external_id")?;
            found.insert(
                external_id,
                (row.try_get("source_version")?, row.try_get("reason")?),
            );
        }
        if !found.is_empty() {
            let delete = format!(
                "DELETE FROM pending_withdrawals WHERE source = $1 AND external_id IN ({list})"
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(delete)).bind(source.to_owned());
            for external_id in external_ids {
                query = query.bind((*external_id).to_owned());
            }
            query.execute(&mut *self.tx).await?;
        }
        Ok(found)
    }

    /// The stored opportunity of `(source, external_id)`.
    pub async fn opportunity_by_key(
        &mut self,
        source: &str,
        external_id: &str,
        today: Day,
    ) -> Result<Option<StoredOpportunity>, RegistryError> {
        let row = sqlx::query(
            "SELECT id, version, source_version, status, created_at, updated_at, record \
             FROM opportunities WHERE source = $1 AND external_id = $2",
        )
        .bind(source)
        .bind(external_id)
        .fetch_optional(&mut *self.tx)
        .await?;
        row.map(|row| stored_opportunity(&row, today)).transpose()
    }

    /// The stored opportunities of one source among `external_ids`, by external id: one
    /// query for a whole chunk of a sync batch.
    pub async fn opportunities_by_keys(
        &mut self,
        source: &str,
        external_ids: &[&str],
        today: Day,
    ) -> Result<std::collections::HashMap<String, StoredOpportunity>, RegistryError> {
        let mut found = std::collections::HashMap::new();
        if external_ids.is_empty() {
            return Ok(found);
        }
        let placeholders: Vec<String> = (0..external_ids.len())
            .map(|i| format!("${}", i + 2))
            .collect();
        let sql = format!(
            "SELECT id, external_id, version, source_version, status, created_at, updated_at, \
             record FROM opportunities WHERE source = $1 AND external_id IN ({})",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(source.to_owned());
        for external_id in external_ids {
            query = query.bind((*external_id).to_owned());
        }
        for row in query.fetch_all(&mut *self.tx).await? {
            let external_id: String = row.try_get("external_id")?;
            found.insert(external_id, stored_opportunity(&row, today)?);
        }
        Ok(found)
    }

    /// Which of `ids` are already opportunity ids: one query for a chunk.
    pub async fn opportunity_ids_taken(
        &mut self,
        ids: &[&str],
    ) -> Result<std::collections::HashSet<String>, RegistryError> {
        let mut taken = std::collections::HashSet::new();
        if ids.is_empty() {
            return Ok(taken);
        }
        let placeholders: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 1)).collect();
        let sql = format!(
            "SELECT id FROM opportunities WHERE id IN ({})",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in ids {
            query = query.bind((*id).to_owned());
        }
        for row in query.fetch_all(&mut *self.tx).await? {
            taken.insert(row.try_get("id")?);
        }
        Ok(taken)
    }

    /// The stored opportunity with this id.
    pub async fn opportunity_by_id(
        &mut self,
        id: &str,
        today: Day,
    ) -> Result<Option<StoredOpportunity>, RegistryError> {
        let row = sqlx::query(
            "SELECT id, version, source_version, status, created_at, updated_at, record \
             FROM opportunities WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await?;
        row.map(|row| stored_opportunity(&row, today)).transpose()
    }

    /// The stored opportunity `id`, checked against the caller's `expected_version`
    /// (0 skips the check): NotFound or VersionConflict otherwise.
    pub async fn opportunity_for_update(
        &mut self,
        id: &str,
        expected_version: i64,
        today: Day,
    ) -> Result<StoredOpportunity, RegistryError> {
        let stored =
            self.opportunity_by_id(id, today)
                .await?
                .ok_or_else(|| RegistryError::NotFound {
                    entity: "opportunity",
                    id: id.to_owned(),
                })?;
        if expected_version != 0 && expected_version != stored.record.version {
            return Err(RegistryError::VersionConflict {
                entity: "opportunity",
                id: id.to_owned(),
            });
        }
        Ok(stored)
    }

    /// Whether an opportunity already uses this id.
    pub async fn opportunity_id_taken(&mut self, id: &str) -> Result<bool, RegistryError> {
        let row = sqlx::query("SELECT id FROM opportunities WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        Ok(row.is_some())
    }

    /// Inserts a new opportunity (its `id` set) and announces it.
    pub async fn insert_opportunity(
        &mut self,
        mut opportunity: pb::Opportunity,
        lifecycle: Lifecycle,
        today: Day,
    ) -> Result<pb::Opportunity, RegistryError> {
        opportunity.version = 1;
        opportunity.created_at = Some(timestamp(self.now));
        opportunity.updated_at = Some(timestamp(self.now));
        opportunity.status = lifecycle.status(opportunity.expires_on.as_ref(), today) as i32;
        let (published, deadline, expires_on) = dates(&opportunity);
        sqlx::query(
            "INSERT INTO opportunities (id, source, external_id, kind, region, status, \
             nace_terms, published, deadline, expires_on, source_version, version, \
             created_at, updated_at, record) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(&opportunity.id)
        .bind(&opportunity.source)
        .bind(&opportunity.external_id)
        .bind(opportunity.kind)
        .bind(&opportunity.region)
        .bind(lifecycle.as_str())
        .bind(nace_terms(&opportunity.activities))
        .bind(published)
        .bind(deadline)
        .bind(expires_on)
        .bind(opportunity.source_version)
        .bind(opportunity.version)
        .bind(self.now)
        .bind(self.now)
        .bind(stored_opportunity_bytes(&opportunity))
        .execute(&mut *self.tx)
        .await?;
        self.append_change(
            Entity::Opportunity,
            &opportunity.id,
            Op::Upsert,
            opportunity.version,
            Some(opportunity.encode_to_vec()),
        )
        .await?;
        Ok(opportunity)
    }

    /// Replaces an opportunity whose stored version is `read_version` and announces it.
    pub async fn update_opportunity(
        &mut self,
        mut opportunity: pb::Opportunity,
        lifecycle: Lifecycle,
        read_version: i64,
        today: Day,
    ) -> Result<pb::Opportunity, RegistryError> {
        opportunity.version = read_version + 1;
        opportunity.updated_at = Some(timestamp(self.now));
        opportunity.status = lifecycle.status(opportunity.expires_on.as_ref(), today) as i32;
        let (published, deadline, expires_on) = dates(&opportunity);
        let done = sqlx::query(
            "UPDATE opportunities SET kind = $1, region = $2, status = $3, nace_terms = $4, \
             published = $5, deadline = $6, expires_on = $7, source_version = $8, \
             version = $9, updated_at = $10, record = $11 WHERE id = $12 AND version = $13",
        )
        .bind(opportunity.kind)
        .bind(&opportunity.region)
        .bind(lifecycle.as_str())
        .bind(nace_terms(&opportunity.activities))
        .bind(published)
        .bind(deadline)
        .bind(expires_on)
        .bind(opportunity.source_version)
        .bind(opportunity.version)
        .bind(self.now)
        .bind(stored_opportunity_bytes(&opportunity))
        .bind(&opportunity.id)
        .bind(read_version)
        .execute(&mut *self.tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(RegistryError::VersionConflict {
                entity: "opportunity",
                id: opportunity.id,
            });
        }
        self.append_change(
            Entity::Opportunity,
            &opportunity.id,
            Op::Upsert,
            opportunity.version,
            Some(opportunity.encode_to_vec()),
        )
        .await?;
        Ok(opportunity)
    }
}

fn stored_opportunity(row: &AnyRow, today: Day) -> Result<StoredOpportunity, RegistryError> {
    let status: String = row.try_get("status")?;
    Ok(StoredOpportunity {
        record: opportunity_from_row(row, today)?,
        lifecycle: Lifecycle::parse(&status)
            .ok_or_else(|| RegistryError::CorruptValue(format!("status {status:?}")))?,
    })
}

fn date_text(date: Option<&pb::Date>) -> Option<String> {
    date.and_then(|date| Day::try_from(date).ok())
        .map(|day| day.to_string())
}

fn dates(opportunity: &pb::Opportunity) -> (String, Option<String>, String) {
    (
        date_text(opportunity.published.as_ref()).unwrap_or_default(),
        date_text(opportunity.deadline.as_ref()),
        date_text(opportunity.expires_on.as_ref()).unwrap_or_default(),
    )
}

/// The stored form: the record without the fields kept in columns.
fn stored_company_bytes(company: &pb::Company) -> Vec<u8> {
    let mut stored = company.clone();
    stored.version = 0;
    stored.created_at = None;
    stored.updated_at = None;
    stored.contact = None;
    stored.encode_to_vec()
}

fn stored_opportunity_bytes(opportunity: &pb::Opportunity) -> Vec<u8> {
    let mut stored = opportunity.clone();
    stored.version = 0;
    stored.source_version = 0;
    stored.status = 0;
    stored.created_at = None;
    stored.updated_at = None;
    stored.encode_to_vec()
}
