//! Matchmaking's SQL store: scored matches and the advisers' workflow on them — status
//! with its history (who, when, why), notes, and the alerts outbox that `WatchAlerts`
//! streams from. SQLite or PostgreSQL through sqlx `Any`, like the registry.
//!
//! A match is identified by its pair (`company~opportunity`). Re-scoring updates the
//! score and reasons of a match but never its workflow status, and a dismissed match is
//! never touched again: it is not re-proposed. Each newly proposed match appends an
//! alert row numbered under the write lock, so alerts resume without gaps or repeats.

use std::sync::Arc;

use prost::Message as _;
use pyred_proto::v1::{self as pb};
use pyred_runtime::Secret;
use pyred_runtime::db::{
    Database, DbError, Migrations, SerializedTx, WriteLock, now_micros, timestamp,
};
use sqlx::Row as _;
use sqlx::any::AnyRow;
use tokio::sync::watch;

use crate::error::MatchError;

static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Matchmaking's migrations for both engines.
pub const MIGRATIONS: Migrations = Migrations {
    sqlite: &SQLITE,
    postgres: &POSTGRES,
};

/// Key of the PostgreSQL advisory lock that serialises matchmaking writes.
const WRITE_LOCK_KEY: i64 = 0x5059_5245_4432; // "PYRED2"

/// The id of the match between a firm and a listing.
pub fn match_id(company_id: &str, opportunity_id: &str) -> String {
    format!("{company_id}~{opportunity_id}")
}

/// Where an adviser stands with a lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Proposed by Pyred, not yet looked at.
    Proposed,
    /// Kept for follow-up.
    Shortlisted,
    /// The firm was contacted.
    Contacted,
    /// A meeting took place or is planned.
    Meeting,
    /// Business came of it.
    Won,
    /// It came to nothing.
    Lost,
    /// Not relevant (with a reason); never proposed again.
    Dismissed,
}

impl Status {
    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Shortlisted => "shortlisted",
            Self::Contacted => "contacted",
            Self::Meeting => "meeting",
            Self::Won => "won",
            Self::Lost => "lost",
            Self::Dismissed => "dismissed",
        }
    }

    /// From stored text.
    pub fn parse(text: &str) -> Option<Self> {
        pb::MatchStatus::WORKFLOW
            .into_iter()
            .filter_map(Self::from_pb)
            .find(|status| status.as_str() == text)
    }

    /// From the API enum; `None` for unspecified.
    pub fn from_pb(status: pb::MatchStatus) -> Option<Self> {
        match status {
            pb::MatchStatus::Unspecified => None,
            pb::MatchStatus::Proposed => Some(Self::Proposed),
            pb::MatchStatus::Shortlisted => Some(Self::Shortlisted),
            pb::MatchStatus::Contacted => Some(Self::Contacted),
            pb::MatchStatus::Meeting => Some(Self::Meeting),
            pb::MatchStatus::Won => Some(Self::Won),
            pb::MatchStatus::Lost => Some(Self::Lost),
            pb::MatchStatus::Dismissed => Some(Self::Dismissed),
        }
    }

    /// The API enum.
    pub fn to_pb(self) -> pb::MatchStatus {
        match self {
            Self::Proposed => pb::MatchStatus::Proposed,
            Self::Shortlisted => pb::MatchStatus::Shortlisted,
            Self::Contacted => pb::MatchStatus::Contacted,
            Self::Meeting => pb::MatchStatus::Meeting,
            Self::Won => pb::MatchStatus::Won,
            Self::Lost => pb::MatchStatus::Lost,
            Self::Dismissed => pb::MatchStatus::Dismissed,
        }
    }

    /// Whether the workflow may go from `self` to `next`: the rule of
    /// [`pb::MatchStatus::may_move_to`], shared with the console.
    pub fn may_become(self, next: Self) -> bool {
        self.to_pb().may_move_to(next.to_pb())
    }

    /// The grade an outcome gives as a judgment (`judgments.tsv`), if any.
    pub fn grade(self) -> Option<u8> {
        match self {
            Self::Won => Some(3),
            Self::Meeting => Some(2),
            Self::Lost => Some(1),
            Self::Dismissed => Some(0),
            Self::Proposed | Self::Shortlisted | Self::Contacted => None,
        }
    }
}

/// A freshly scored pair, ready to be stored.
#[derive(Debug, Clone)]
pub struct ScoredPair {
    /// The firm.
    pub company_id: String,
    /// The listing.
    pub opportunity_id: String,
    /// Score in [0, 1].
    pub score: f64,
    /// Reasons, distance and display titles (other fields ignored).
    pub explanation: pb::Match,
}

/// An alert: a match newly proposed.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Sequence number, gap-free.
    pub seq: i64,
    /// The match.
    pub match_id: String,
    /// Its firm.
    pub company_id: String,
    /// Its score.
    pub score: f64,
}

/// Matchmaking's store.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) db: Database,
    write_lock: WriteLock,
    alerted: Arc<watch::Sender<i64>>,
}

fn match_from_row(row: &AnyRow) -> Result<pb::Match, MatchError> {
    let bytes: Vec<u8> = row.try_get("explanation")?;
    let mut found = pb::Match::decode(bytes.as_slice()).map_err(MatchError::Corrupt)?;
    found.id = row.try_get("id")?;
    found.company_id = row.try_get("company_id")?;
    found.opportunity_id = row.try_get("opportunity_id")?;
    found.score = row.try_get("score")?;
    let status: String = row.try_get("status")?;
    found.status = Status::parse(&status)
        .ok_or_else(|| MatchError::CorruptValue(format!("status {status:?}")))?
        .to_pb() as i32;
    found.dismiss_reason = row.try_get("dismiss_reason")?;
    found.version = row.try_get("version")?;
    found.updated_at = Some(timestamp(row.try_get("updated_at")?));
    Ok(found)
}

const MATCH_COLUMNS: &str = "id, company_id, opportunity_id, score, status, dismiss_reason, explanation, version, updated_at";

impl Store {
    /// Opens and migrates the store at `url`.
    pub async fn open(url: &Secret) -> Result<Self, DbError> {
        let db = Database::open(url, MIGRATIONS).await?;
        let store = Self {
            db,
            write_lock: WriteLock::new(WRITE_LOCK_KEY),
            alerted: Arc::new(watch::channel(0).0),
        };
        if let Ok(last) = store.last_alert_seq().await {
            store.alerted.send_replace(last);
        }
        Ok(store)
    }

    /// The underlying database.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// A receiver of the last alert sequence number written by this process.
    pub fn subscribe_alerts(&self) -> watch::Receiver<i64> {
        self.alerted.subscribe()
    }

    pub(crate) async fn begin_write(&self) -> Result<SerializedTx<'_>, MatchError> {
        Ok(self.write_lock.begin(&self.db).await?)
    }

    /// The last registry change applied, 0 when none.
    pub async fn feed_position(&self) -> Result<i64, MatchError> {
        let row = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS seq FROM feed_position")
            .fetch_one(&self.db.pool)
            .await?;
        Ok(row.try_get("seq")?)
    }

    /// Records the last registry change applied.
    pub async fn set_feed_position(&self, seq: i64) -> Result<(), MatchError> {
        let mut write = self.begin_write().await?;
        sqlx::query("DELETE FROM feed_position")
            .execute(&mut *write.tx)
            .await?;
        sqlx::query("INSERT INTO feed_position (id, seq) VALUES (1, $1)")
            .bind(seq)
            .execute(&mut *write.tx)
            .await?;
        write.tx.commit().await?;
        Ok(())
    }

    /// The last alert's sequence number, 0 when none.
    pub async fn last_alert_seq(&self) -> Result<i64, MatchError> {
        let row = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS last FROM alerts")
            .fetch_one(&self.db.pool)
            .await?;
        Ok(row.try_get("last")?)
    }

    /// Stores freshly scored pairs: new ones are proposed (and alerted), known ones get
    /// their new score and reasons, dismissed ones are left alone. Returns the matches
    /// newly proposed.
    pub async fn record_scores(&self, pairs: &[ScoredPair]) -> Result<Vec<pb::Match>, MatchError> {
        let mut write = self.begin_write().await?;
        let now = now_micros();
        let row = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS last FROM alerts")
            .fetch_one(&mut *write.tx)
            .await?;
        let mut next_seq: i64 = row.try_get::<i64, _>("last")? + 1;
        let mut proposed = Vec::new();
        for pair in pairs {
            let id = match_id(&pair.company_id, &pair.opportunity_id);
            let existing = sqlx::query(
                "SELECT status, score, explanation, version FROM matches WHERE id = $1",
            )
            .bind(&id)
            .fetch_optional(&mut *write.tx)
            .await?;
            let explanation = pair.explanation.encode_to_vec();
            match existing {
                None => {
                    sqlx::query(
                        "INSERT INTO matches (id, company_id, opportunity_id, score, status, \
                         dismiss_reason, explanation, version, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, '', $6, 1, $7, $7)",
                    )
                    .bind(&id)
                    .bind(&pair.company_id)
                    .bind(&pair.opportunity_id)
                    .bind(pair.score)
                    .bind(Status::Proposed.as_str())
                    .bind(explanation)
                    .bind(now)
                    .execute(&mut *write.tx)
                    .await?;
                    sqlx::query(
                        "INSERT INTO alerts (seq, match_id, company_id, score, created_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(next_seq)
                    .bind(&id)
                    .bind(&pair.company_id)
                    .bind(pair.score)
                    .bind(now)
                    .execute(&mut *write.tx)
                    .await?;
                    next_seq += 1;
                    let mut created = pair.explanation.clone();
                    created.id = id;
                    created.company_id.clone_from(&pair.company_id);
                    created.opportunity_id.clone_from(&pair.opportunity_id);
                    created.score = pair.score;
                    created.status = pb::MatchStatus::Proposed as i32;
                    created.version = 1;
                    created.updated_at = Some(timestamp(now));
                    proposed.push(created);
                }
                Some(row) => {
                    let status: String = row.try_get("status")?;
                    let score: f64 = row.try_get("score")?;
                    let stored: Vec<u8> = row.try_get("explanation")?;
                    let unchanged = (score - pair.score).abs() < 1e-9 && stored == explanation;
                    if status == Status::Dismissed.as_str() || unchanged {
                        continue;
                    }
                    sqlx::query(
                        "UPDATE matches SET score = $1, explanation = $2, version = version + 1, \
                         updated_at = $3 WHERE id = $4",
                    )
                    .bind(pair.score)
                    .bind(explanation)
                    .bind(now)
                    .bind(&id)
                    .execute(&mut *write.tx)
                    .await?;
                }
            }
        }
        write.tx.commit().await?;
        if !proposed.is_empty() {
            self.alerted.send_replace(next_seq - 1);
        }
        Ok(proposed)
    }

    /// Forgets the matches of a listing or firm that no longer exists or is no longer
    /// live, except those an adviser has worked on (kept as history).
    pub async fn drop_proposed(
        &self,
        company_id: Option<&str>,
        opportunity_id: Option<&str>,
    ) -> Result<u64, MatchError> {
        let mut write = self.begin_write().await?;
        let done = match (company_id, opportunity_id) {
            (Some(company), _) => {
                sqlx::query("DELETE FROM matches WHERE company_id = $1 AND status = 'proposed'")
                    .bind(company)
                    .execute(&mut *write.tx)
                    .await?
            }
            (None, Some(opportunity)) => {
                sqlx::query("DELETE FROM matches WHERE opportunity_id = $1 AND status = 'proposed'")
                    .bind(opportunity)
                    .execute(&mut *write.tx)
                    .await?
            }
            (None, None) => return Ok(0),
        };
        write.tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// One match with its notes, oldest first.
    pub async fn get(&self, id: &str) -> Result<Option<pb::Match>, MatchError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MATCH_COLUMNS} FROM matches WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let mut found = match_from_row(&row)?;
        let notes =
            sqlx::query("SELECT at, author, text FROM match_notes WHERE match_id = $1 ORDER BY n")
                .bind(id)
                .fetch_all(&self.db.pool)
                .await?;
        for note in notes {
            found.notes.push(pb::MatchNote {
                author: note.try_get("author")?,
                text: note.try_get("text")?,
                created_at: Some(timestamp(note.try_get("at")?)),
            });
        }
        Ok(Some(found))
    }

    /// A page of one firm's (or one listing's) matches in the given statuses, best first.
    pub async fn list(
        &self,
        company_id: Option<&str>,
        opportunity_id: Option<&str>,
        statuses: &[Status],
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<pb::Match>, bool), MatchError> {
        let (column, value) = match (company_id, opportunity_id) {
            (Some(company), _) => ("company_id", company),
            (None, Some(opportunity)) => ("opportunity_id", opportunity),
            (None, None) => return Ok((Vec::new(), false)),
        };
        let in_list: Vec<String> = statuses
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        let sql = format!(
            "SELECT {MATCH_COLUMNS} FROM matches WHERE {column} = $1 AND status IN ({}) \
             ORDER BY score DESC, id LIMIT {} OFFSET {offset}",
            in_list.join(", "),
            limit + 1
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(value)
            .fetch_all(&self.db.pool)
            .await?;
        let more = rows.len() > limit;
        let matches = rows
            .iter()
            .take(limit)
            .map(match_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((matches, more))
    }

    /// Moves a match through the workflow, recording who, when and why.
    pub async fn change_status(
        &self,
        id: &str,
        next: Status,
        reason: &str,
        actor: &str,
        expected_version: i64,
    ) -> Result<pb::Match, MatchError> {
        let mut write = self.begin_write().await?;
        let row = sqlx::query("SELECT status, version FROM matches WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *write.tx)
            .await?
            .ok_or_else(|| MatchError::NotFound {
                entity: "match",
                id: id.to_owned(),
            })?;
        let status: String = row.try_get("status")?;
        let current = Status::parse(&status)
            .ok_or_else(|| MatchError::CorruptValue(format!("status {status:?}")))?;
        let version: i64 = row.try_get("version")?;
        if expected_version != 0 && expected_version != version {
            return Err(MatchError::VersionConflict { id: id.to_owned() });
        }
        if !current.may_become(next) {
            return Err(MatchError::InvalidTransition {
                from: current.as_str(),
                to: next.as_str(),
            });
        }
        let now = now_micros();
        sqlx::query(
            "UPDATE matches SET status = $1, dismiss_reason = $2, version = version + 1, \
             updated_at = $3 WHERE id = $4",
        )
        .bind(next.as_str())
        .bind(if next == Status::Dismissed {
            reason
        } else {
            ""
        })
        .bind(now)
        .bind(id)
        .execute(&mut *write.tx)
        .await?;
        sqlx::query(
            "INSERT INTO match_events (match_id, at, actor, from_status, to_status, reason) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(now)
        .bind(actor)
        .bind(current.as_str())
        .bind(next.as_str())
        .bind(reason)
        .execute(&mut *write.tx)
        .await?;
        write.tx.commit().await?;
        self.get(id).await?.ok_or_else(|| MatchError::NotFound {
            entity: "match",
            id: id.to_owned(),
        })
    }

    /// Adds a note to a match.
    pub async fn add_note(
        &self,
        id: &str,
        author: &str,
        text: &str,
    ) -> Result<pb::Match, MatchError> {
        let mut write = self.begin_write().await?;
        let exists = sqlx::query("SELECT id FROM matches WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *write.tx)
            .await?;
        if exists.is_none() {
            return Err(MatchError::NotFound {
                entity: "match",
                id: id.to_owned(),
            });
        }
        sqlx::query("INSERT INTO match_notes (match_id, at, author, text) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(now_micros())
            .bind(author)
            .bind(text)
            .execute(&mut *write.tx)
            .await?;
        write.tx.commit().await?;
        self.get(id).await?.ok_or_else(|| MatchError::NotFound {
            entity: "match",
            id: id.to_owned(),
        })
    }

    /// The history of a match: (when µs, who, from, to, why), oldest first.
    pub async fn history(
        &self,
        id: &str,
    ) -> Result<Vec<(i64, String, String, String, String)>, MatchError> {
        let rows = sqlx::query(
            "SELECT at, actor, from_status, to_status, reason FROM match_events \
             WHERE match_id = $1 ORDER BY n",
        )
        .bind(id)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("at")?,
                    row.try_get("actor")?,
                    row.try_get("from_status")?,
                    row.try_get("to_status")?,
                    row.try_get("reason")?,
                ))
            })
            .collect()
    }

    /// Leads in `statuses` at or above `min_score`, best first (at most `limit`).
    pub async fn leads_in(
        &self,
        statuses: &[Status],
        min_score: f64,
        limit: i64,
    ) -> Result<Vec<pb::Match>, MatchError> {
        let list = statuses
            .iter()
            .map(|status| format!("'{}'", status.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MATCH_COLUMNS} FROM matches WHERE status IN ({list}) AND score >= $1 \
             ORDER BY score DESC, id LIMIT $2"
        )))
        .bind(min_score)
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(match_from_row).collect()
    }

    /// Alerts after `seq`, in order.
    pub async fn alerts_after(&self, seq: i64, limit: i64) -> Result<Vec<Alert>, MatchError> {
        let rows = sqlx::query(
            "SELECT seq, match_id, company_id, score FROM alerts WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(seq)
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Alert {
                    seq: row.try_get("seq")?,
                    match_id: row.try_get("match_id")?,
                    company_id: row.try_get("company_id")?,
                    score: row.try_get("score")?,
                })
            })
            .collect()
    }

    /// The advisers' outcomes as judgments in the `judgments.tsv` format
    /// (`company_id\topportunity_id\tgrade`, with its header): won 3, meeting 2, lost 1,
    /// dismissed 0; open matches are not judgments yet.
    pub async fn judgments_tsv(&self) -> Result<String, MatchError> {
        let rows = sqlx::query(
            "SELECT company_id, opportunity_id, status FROM matches \
             WHERE status IN ('won', 'meeting', 'lost', 'dismissed') ORDER BY company_id, opportunity_id",
        )
        .fetch_all(&self.db.pool)
        .await?;
        let mut out = String::from("company_id\topportunity_id\tgrade\n");
        for row in rows {
            let status: String = row.try_get("status")?;
            if let Some(grade) = Status::parse(&status).and_then(Status::grade) {
                let company: String = row.try_get("company_id")?;
                let opportunity: String = row.try_get("opportunity_id")?;
                out.push_str(&format!("{company}\t{opportunity}\t{grade}\n"));
            }
        }
        Ok(out)
    }
}
