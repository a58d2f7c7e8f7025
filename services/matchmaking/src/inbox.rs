//! Alert inboxes: what each key (an adviser's or a firm's) has read of the alerts the
//! store raised, and the score below which it does not want them.
//!
//! The alerts themselves are the store's outbox (`alerts`, numbered gap-free); an inbox
//! is a threshold, a "read through" sequence number (mark all as read) and the alerts
//! read one by one above it. An alert is unread while its lead is still `proposed`, it
//! is not marked read, and it is at or above the threshold; an alert whose lead was
//! withdrawn since (the match dropped) is not in the inbox. The inbox looks back
//! [`INBOX_DAYS`] days. Visibility (which firms the key may see) is the caller's job:
//! [`Store::inbox_alerts`] returns candidate rows and the gRPC adapter filters them with
//! the same rule as every other RPC.

use std::collections::HashSet;

use pyred_runtime::db::now_micros;
use sqlx::Row as _;

use crate::error::MatchError;
use crate::store::Store;

/// Threshold of an inbox its owner never set.
pub const DEFAULT_MIN_SCORE: f64 = 0.3;
/// How far back an inbox looks, days.
pub const INBOX_DAYS: i64 = 30;
/// Unread alerts counted at most (beyond, the count is reported as capped).
pub const UNREAD_COUNT_CAP: i64 = 1000;
/// Most alerts marked read one by one in one call.
pub const MAX_MARKED: usize = 1000;

/// A key's inbox settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InboxState {
    /// Alerts below this score are left out.
    pub min_score: f64,
    /// Every alert up to this sequence number is read.
    pub read_through_seq: i64,
}

impl Default for InboxState {
    fn default() -> Self {
        Self {
            min_score: DEFAULT_MIN_SCORE,
            read_through_seq: 0,
        }
    }
}

/// One candidate row of an inbox: an alert whose lead still exists.
#[derive(Debug, Clone, PartialEq)]
pub struct InboxRow {
    /// The alert's sequence number.
    pub seq: i64,
    /// The lead.
    pub match_id: String,
    /// Its firm.
    pub company_id: String,
    /// When the alert was raised, microseconds since the epoch.
    pub raised_at: i64,
    /// Whether the lead is still only proposed (not worked on).
    pub proposed: bool,
}

/// Which rows [`Store::inbox_alerts`] returns.
#[derive(Debug, Clone, Copy)]
pub struct InboxScan<'a> {
    /// Only alerts older than this (exclusive).
    pub before_seq: i64,
    /// Only alerts newer than this (exclusive).
    pub after_seq: i64,
    /// Only alerts at or above this score.
    pub min_score: f64,
    /// Only alerts of this firm (a firm's own inbox).
    pub company_id: Option<&'a str>,
    /// At most this many rows.
    pub limit: i64,
}

/// A key's inbox as read at the start of a call: its state and its one-by-one marks.
#[derive(Debug, Clone)]
pub struct InboxView {
    /// Threshold and read-through.
    pub state: InboxState,
    /// Alerts read one by one above `state.read_through_seq`.
    pub reads: HashSet<i64>,
}

impl InboxView {
    /// Reads the inbox of `key_id`.
    pub async fn read(store: &Store, key_id: &str) -> Result<Self, MatchError> {
        let state = store.inbox_state(key_id).await?;
        let reads = store
            .alerts_read_above(key_id, state.read_through_seq)
            .await?;
        Ok(Self { state, reads })
    }

    /// Read: marked read, through "mark all", or its lead worked on since.
    pub fn is_read(&self, row: &InboxRow) -> bool {
        !row.proposed || row.seq <= self.state.read_through_seq || self.reads.contains(&row.seq)
    }
}

/// The oldest alert time an inbox looks at, microseconds since the epoch.
pub fn window_start() -> i64 {
    now_micros() - INBOX_DAYS * 86_400 * 1_000_000
}

impl Store {
    /// The inbox of `key_id` (defaults when it never set anything).
    pub async fn inbox_state(&self, key_id: &str) -> Result<InboxState, MatchError> {
        let row =
            sqlx::query("SELECT min_score, read_through_seq FROM alert_inboxes WHERE key_id = $1")
                .bind(key_id)
                .fetch_optional(&self.db.pool)
                .await?;
        match row {
            None => Ok(InboxState::default()),
            Some(row) => Ok(InboxState {
                min_score: row.try_get("min_score")?,
                read_through_seq: row.try_get("read_through_seq")?,
            }),
        }
    }

    /// Sets the threshold of `key_id`'s inbox.
    pub async fn set_inbox_min_score(
        &self,
        key_id: &str,
        min_score: f64,
    ) -> Result<(), MatchError> {
        let mut write = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO alert_inboxes (key_id, min_score, read_through_seq, updated_at) \
             VALUES ($1, $2, 0, $3) \
             ON CONFLICT (key_id) DO UPDATE SET min_score = excluded.min_score, \
             updated_at = excluded.updated_at",
        )
        .bind(key_id)
        .bind(min_score)
        .bind(now_micros())
        .execute(&mut *write.tx)
        .await?;
        write.tx.commit().await?;
        Ok(())
    }

    /// Marks `seqs` read in `key_id`'s inbox, and every alert up to `through_seq` when it
    /// is above what was already read through. One transaction: all or nothing.
    pub async fn mark_alerts_read(
        &self,
        key_id: &str,
        seqs: &[i64],
        through_seq: i64,
    ) -> Result<(), MatchError> {
        let mut write = self.begin_write().await?;
        let now = now_micros();
        sqlx::query(
            "INSERT INTO alert_inboxes (key_id, min_score, read_through_seq, updated_at) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (key_id) DO UPDATE SET \
             read_through_seq = CASE WHEN excluded.read_through_seq > alert_inboxes.read_through_seq \
             THEN excluded.read_through_seq ELSE alert_inboxes.read_through_seq END, \
             updated_at = excluded.updated_at",
        )
        .bind(key_id)
        .bind(DEFAULT_MIN_SCORE)
        .bind(through_seq)
        .bind(now)
        .execute(&mut *write.tx)
        .await?;
        let row = sqlx::query("SELECT read_through_seq FROM alert_inboxes WHERE key_id = $1")
            .bind(key_id)
            .fetch_one(&mut *write.tx)
            .await?;
        let read_through: i64 = row.try_get("read_through_seq")?;
        for &seq in seqs.iter().filter(|&&seq| seq > read_through) {
            sqlx::query(
                "INSERT INTO alert_reads (key_id, seq, read_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (key_id, seq) DO NOTHING",
            )
            .bind(key_id)
            .bind(seq)
            .bind(now)
            .execute(&mut *write.tx)
            .await?;
        }
        // Marks now covered by read_through_seq say nothing more.
        sqlx::query("DELETE FROM alert_reads WHERE key_id = $1 AND seq <= $2")
            .bind(key_id)
            .bind(read_through)
            .execute(&mut *write.tx)
            .await?;
        write.tx.commit().await?;
        Ok(())
    }

    /// The alerts of `key_id` read one by one above `seq`.
    pub async fn alerts_read_above(
        &self,
        key_id: &str,
        seq: i64,
    ) -> Result<HashSet<i64>, MatchError> {
        let rows = sqlx::query("SELECT seq FROM alert_reads WHERE key_id = $1 AND seq > $2")
            .bind(key_id)
            .bind(seq)
            .fetch_all(&self.db.pool)
            .await?;
        rows.iter()
            .map(|row| Ok(row.try_get::<i64, _>("seq")?))
            .collect()
    }

    /// Alerts of the inbox window whose lead still exists, newest first.
    pub async fn inbox_alerts(&self, scan: InboxScan<'_>) -> Result<Vec<InboxRow>, MatchError> {
        let before = if scan.before_seq <= 0 {
            i64::MAX
        } else {
            scan.before_seq
        };
        let rows = sqlx::query(
            "SELECT a.seq, a.match_id, a.company_id, a.created_at, m.status \
             FROM alerts a JOIN matches m ON m.id = a.match_id \
             WHERE a.seq < $1 AND a.seq > $2 AND a.score >= $3 AND a.created_at >= $4 \
             AND ($5 = '' OR a.company_id = $5) AND m.status <> 'dismissed' \
             ORDER BY a.seq DESC LIMIT $6",
        )
        .bind(before)
        .bind(scan.after_seq.max(0))
        .bind(scan.min_score)
        .bind(window_start())
        .bind(scan.company_id.unwrap_or(""))
        .bind(scan.limit)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let status: String = row.try_get("status")?;
                Ok(InboxRow {
                    seq: row.try_get("seq")?,
                    match_id: row.try_get("match_id")?,
                    company_id: row.try_get("company_id")?,
                    raised_at: row.try_get("created_at")?,
                    proposed: status == crate::store::Status::Proposed.as_str(),
                })
            })
            .collect()
    }
}
