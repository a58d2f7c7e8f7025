//! Brokerage's tables in the matchmaking database: cases, consents and timelines, each
//! change applied in one serialized transaction with the lead it moves.

use pyred_proto::v1 as pb;
use pyred_runtime::db::timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::case::{Answer, CaseStatus, EventKind};
use super::error::BrokerError;
use crate::store::{Status as LeadStatus, Store};

/// The actor recorded for timeouts and withdrawals.
pub const SYSTEM: &str = "system";

/// A case about to be opened.
#[derive(Debug, Clone)]
pub struct NewCase {
    /// `case_…`.
    pub id: String,
    /// The listing.
    pub opportunity_id: String,
    /// Its title.
    pub opportunity_title: String,
    /// The lead, when the case comes from one.
    pub match_id: String,
    /// Side A.
    pub side_a: pb::CaseSide,
    /// Side B (its firm may be empty).
    pub side_b: pb::CaseSide,
    /// The opening adviser's key id.
    pub opened_by: String,
    /// The consortium, when opened from one.
    pub consortium_id: String,
}

/// One timeline entry to append.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// Key id or [`SYSTEM`].
    pub actor: String,
    /// The actor's organisation.
    pub actor_organisation: String,
    /// What happened.
    pub kind: EventKind,
    /// The firm it is about, if any.
    pub company_id: String,
    /// Note, reason.
    pub text: String,
}

/// A consent row to write.
#[derive(Debug, Clone)]
pub enum ConsentWrite {
    /// Ask a firm (a pending row, due at `due_at`).
    Ask {
        /// The firm.
        company_id: String,
        /// The adviser's key id.
        asked_by: String,
        /// When the answer is due, Unix microseconds.
        due_at: i64,
    },
    /// Record a firm's answer.
    Answer {
        /// The firm.
        company_id: String,
        /// Its answer.
        answer: Answer,
        /// The key that answered.
        by: String,
        /// The adviser who answered for the firm; empty when the firm did.
        via: String,
    },
}

/// A change to one case, applied at once.
#[derive(Debug, Clone, Default)]
pub struct CaseChange {
    /// The new status, if it moves.
    pub status: Option<CaseStatus>,
    /// Side B's firm, when named now: (id, public name).
    pub company_b: Option<(String, String)>,
    /// Consent rows.
    pub consents: Vec<ConsentWrite>,
    /// Timeline entries, in order; each records the status after the change.
    pub events: Vec<NewEvent>,
    /// Who the lead's workflow move is recorded as.
    pub lead_actor: String,
}

/// Which cases a list shows.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    /// Only cases involving this organisation (empty: all).
    pub organisation: String,
    /// With `organisation`: only as side A (`Some(true)`) or side B (`Some(false)`).
    pub side_a: Option<bool>,
    /// Only these statuses (empty: all).
    pub statuses: Vec<CaseStatus>,
    /// Only cases about this firm.
    pub company_id: String,
}

const CASE_COLUMNS: &str = "id, status, opportunity_id, opportunity_title, match_id, org_a, \
    company_a, company_a_name, org_b, company_b, company_b_name, opened_by, consortium_id, \
    version, created_at, updated_at";

fn status_of(text: &str) -> Result<CaseStatus, BrokerError> {
    CaseStatus::parse(text).ok_or_else(|| BrokerError::Corrupt(format!("case status {text:?}")))
}

fn case_from_row(row: &AnyRow) -> Result<pb::Case, BrokerError> {
    let status: String = row.try_get("status")?;
    Ok(pb::Case {
        id: row.try_get("id")?,
        status: status_of(&status)?.to_pb() as i32,
        opportunity_id: row.try_get("opportunity_id")?,
        opportunity_title: row.try_get("opportunity_title")?,
        match_id: row.try_get("match_id")?,
        side_a: Some(pb::CaseSide {
            organisation: row.try_get("org_a")?,
            company_id: row.try_get("company_a")?,
            company_name: row.try_get("company_a_name")?,
        }),
        side_b: Some(pb::CaseSide {
            organisation: row.try_get("org_b")?,
            company_id: row.try_get("company_b")?,
            company_name: row.try_get("company_b_name")?,
        }),
        opened_by: row.try_get("opened_by")?,
        consents: Vec::new(),
        events: Vec::new(),
        consortium_id: row.try_get("consortium_id")?,
        version: row.try_get("version")?,
        created_at: Some(timestamp(row.try_get("created_at")?)),
        updated_at: Some(timestamp(row.try_get("updated_at")?)),
    })
}

fn consent_from_row(row: &AnyRow) -> Result<pb::Consent, BrokerError> {
    let answer: String = row.try_get("answer")?;
    let answered_at: i64 = row.try_get("answered_at")?;
    Ok(pb::Consent {
        company_id: row.try_get("company_id")?,
        answer: Answer::parse(&answer)
            .ok_or_else(|| BrokerError::Corrupt(format!("consent answer {answer:?}")))?
            .to_pb() as i32,
        asked_by: row.try_get("asked_by")?,
        asked_at: Some(timestamp(row.try_get("asked_at")?)),
        due_at: Some(timestamp(row.try_get("due_at")?)),
        answered_by: row.try_get("answered_by")?,
        answered_via_adviser: row.try_get("answered_via")?,
        answered_at: (answered_at > 0).then(|| timestamp(answered_at)),
    })
}

/// Brokerage's view of the matchmaking store.
#[derive(Debug, Clone)]
pub struct CaseStore {
    store: Store,
}

impl CaseStore {
    /// Cases kept in `store`'s database.
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Opens a case, with its first events, and moves its lead (if any) to shortlisted.
    pub async fn open(
        &self,
        new: &NewCase,
        events: &[NewEvent],
        now: i64,
    ) -> Result<pb::Case, BrokerError> {
        let mut write = self.store.begin_write().await?;
        let side_a = &new.side_a;
        let side_b = &new.side_b;
        sqlx::query(
            "INSERT INTO cases (id, status, opportunity_id, opportunity_title, match_id, org_a, \
             company_a, company_a_name, org_b, company_b, company_b_name, opened_by, \
             consortium_id, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1, $14, $14)",
        )
        .bind(&new.id)
        .bind(CaseStatus::Proposed.as_str())
        .bind(&new.opportunity_id)
        .bind(&new.opportunity_title)
        .bind(&new.match_id)
        .bind(&side_a.organisation)
        .bind(&side_a.company_id)
        .bind(&side_a.company_name)
        .bind(&side_b.organisation)
        .bind(&side_b.company_id)
        .bind(&side_b.company_name)
        .bind(&new.opened_by)
        .bind(&new.consortium_id)
        .bind(now)
        .execute(&mut *write.tx)
        .await?;
        append_events(&mut write.tx, &new.id, CaseStatus::Proposed, events, now).await?;
        if !new.match_id.is_empty() {
            move_lead(
                &mut write.tx,
                &new.match_id,
                CaseStatus::Proposed,
                &new.opened_by,
                &new.id,
                now,
            )
            .await?;
        }
        write.tx.commit().await?;
        self.get(&new.id)
            .await?
            .ok_or_else(|| BrokerError::NotFound {
                entity: "case",
                id: new.id.clone(),
            })
    }

    /// Applies `change` to case `id` if its version is still `version`; moves the lead
    /// when the status moves. Answers the case as it stands after it.
    pub async fn apply(
        &self,
        id: &str,
        version: i64,
        change: &CaseChange,
        now: i64,
    ) -> Result<pb::Case, BrokerError> {
        let mut write = self.store.begin_write().await?;
        let row = sqlx::query("SELECT status, version, match_id FROM cases WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *write.tx)
            .await?
            .ok_or_else(|| BrokerError::NotFound {
                entity: "case",
                id: id.to_owned(),
            })?;
        let stored: i64 = row.try_get("version")?;
        if stored != version {
            return Err(BrokerError::VersionConflict { id: id.to_owned() });
        }
        let current = status_of(&row.try_get::<String, _>("status")?)?;
        let match_id: String = row.try_get("match_id")?;
        let status = change.status.unwrap_or(current);
        sqlx::query(
            "UPDATE cases SET status = $1, version = version + 1, updated_at = $2 WHERE id = $3",
        )
        .bind(status.as_str())
        .bind(now)
        .bind(id)
        .execute(&mut *write.tx)
        .await?;
        if let Some((company, name)) = &change.company_b {
            sqlx::query("UPDATE cases SET company_b = $1, company_b_name = $2 WHERE id = $3")
                .bind(company)
                .bind(name)
                .bind(id)
                .execute(&mut *write.tx)
                .await?;
        }
        for consent in &change.consents {
            write_consent(&mut write.tx, id, consent, now).await?;
        }
        append_events(&mut write.tx, id, status, &change.events, now).await?;
        if change.status.is_some_and(|next| next != current) && !match_id.is_empty() {
            move_lead(
                &mut write.tx,
                &match_id,
                status,
                &change.lead_actor,
                id,
                now,
            )
            .await?;
        }
        write.tx.commit().await?;
        self.get(id).await?.ok_or_else(|| BrokerError::NotFound {
            entity: "case",
            id: id.to_owned(),
        })
    }

    /// One case with its consents and timeline.
    pub async fn get(&self, id: &str) -> Result<Option<pb::Case>, BrokerError> {
        let pool = &self.store.database().pool;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let mut case = case_from_row(&row)?;
        let side_a = case
            .side_a
            .as_ref()
            .map(|side| side.company_id.clone())
            .unwrap_or_default();
        let mut consents = sqlx::query(
            "SELECT company_id, answer, asked_by, asked_at, due_at, answered_by, answered_via, \
             answered_at FROM case_consents WHERE case_id = $1",
        )
        .bind(id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(consent_from_row)
        .collect::<Result<Vec<_>, _>>()?;
        consents.sort_by_key(|consent| consent.company_id != side_a);
        case.consents = consents;
        for row in sqlx::query(
            "SELECT n, at, actor, actor_organisation, kind, status, company_id, text \
             FROM case_events WHERE case_id = $1 ORDER BY n",
        )
        .bind(id)
        .fetch_all(pool)
        .await?
        {
            let status: String = row.try_get("status")?;
            case.events.push(pb::CaseEvent {
                n: row.try_get("n")?,
                at: Some(timestamp(row.try_get("at")?)),
                actor: row.try_get("actor")?,
                actor_organisation: row.try_get("actor_organisation")?,
                kind: row.try_get("kind")?,
                status: status_of(&status)?.to_pb() as i32,
                company_id: row.try_get("company_id")?,
                text: row.try_get("text")?,
            });
        }
        Ok(Some(case))
    }

    /// A page of cases, newest first, without timelines or consents.
    pub async fn list(
        &self,
        filter: &CaseFilter,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<pb::Case>, bool), BrokerError> {
        let mut conditions = Vec::new();
        let mut binds: Vec<String> = Vec::new();
        if !filter.organisation.is_empty() {
            binds.push(filter.organisation.clone());
            let n = binds.len();
            conditions.push(match filter.side_a {
                Some(true) => format!("org_a = ${n}"),
                Some(false) => format!("org_b = ${n}"),
                None => format!("(org_a = ${n} OR org_b = ${n})"),
            });
        }
        if !filter.company_id.is_empty() {
            binds.push(filter.company_id.clone());
            let n = binds.len();
            conditions.push(format!("(company_a = ${n} OR company_b = ${n})"));
        }
        if !filter.statuses.is_empty() {
            // Words from a closed enum, never from input.
            let words: Vec<String> = filter
                .statuses
                .iter()
                .map(|status| format!("'{}'", status.as_str()))
                .collect();
            conditions.push(format!("status IN ({})", words.join(", ")));
        }
        let filter_sql = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases {filter_sql} ORDER BY created_at DESC, id \
             LIMIT {} OFFSET {offset}",
            limit + 1
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for bind in &binds {
            query = query.bind(bind);
        }
        let rows = query.fetch_all(&self.store.database().pool).await?;
        let more = rows.len() > limit;
        let cases = rows
            .iter()
            .take(limit)
            .map(case_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((cases, more))
    }

    /// The open case (not final) of side A's firm on a listing towards an organisation.
    pub async fn open_case_for(
        &self,
        company_a: &str,
        opportunity_id: &str,
        org_b: &str,
        company_b: &str,
    ) -> Result<Option<String>, BrokerError> {
        let rows = sqlx::query(
            "SELECT id, status, company_b FROM cases WHERE company_a = $1 AND opportunity_id = $2 \
             AND org_b = $3",
        )
        .bind(company_a)
        .bind(opportunity_id)
        .bind(org_b)
        .fetch_all(&self.store.database().pool)
        .await?;
        for row in rows {
            let status = status_of(&row.try_get::<String, _>("status")?)?;
            let named: String = row.try_get("company_b")?;
            let same_pair = company_b.is_empty() || named.is_empty() || named == company_b;
            if !status.is_final() && same_pair {
                return Ok(Some(row.try_get("id")?));
            }
        }
        Ok(None)
    }

    /// The consent requests addressed to a firm, newest first, with their cases.
    pub async fn consents_of(
        &self,
        company_id: &str,
        pending_only: bool,
    ) -> Result<Vec<(pb::Case, pb::Consent)>, BrokerError> {
        let pool = &self.store.database().pool;
        let sql = format!(
            "SELECT case_id, company_id, answer, asked_by, asked_at, due_at, answered_by, \
             answered_via, answered_at FROM case_consents WHERE company_id = $1 {} \
             ORDER BY asked_at DESC, case_id",
            if pending_only {
                "AND answer = 'pending'"
            } else {
                ""
            }
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(company_id)
            .fetch_all(pool)
            .await?;
        let mut out = Vec::new();
        for row in rows {
            let case_id: String = row.try_get("case_id")?;
            let consent = consent_from_row(&row)?;
            if let Some(case) = self.get(&case_id).await? {
                out.push((case, consent));
            }
        }
        Ok(out)
    }

    /// Closes every case whose pending consent is due at `now` (one case, or all):
    /// its pending consents expire, the case becomes EXPIRED. Returns the cases closed.
    pub async fn expire_due(
        &self,
        now: i64,
        only: Option<&str>,
    ) -> Result<Vec<String>, BrokerError> {
        let pool = &self.store.database().pool;
        let rows = match only {
            Some(id) => {
                sqlx::query(
                    "SELECT DISTINCT case_id FROM case_consents \
                     WHERE answer = 'pending' AND due_at <= $1 AND case_id = $2",
                )
                .bind(now)
                .bind(id)
                .fetch_all(pool)
                .await?
            }
            None => {
                sqlx::query(
                    "SELECT DISTINCT case_id FROM case_consents \
                     WHERE answer = 'pending' AND due_at <= $1",
                )
                .bind(now)
                .fetch_all(pool)
                .await?
            }
        };
        let mut closed = Vec::new();
        for row in rows {
            let id: String = row.try_get("case_id")?;
            if self
                .close_consents(&id, now, Answer::Expired, &[Answer::Pending], None)
                .await?
            {
                closed.push(id);
            }
        }
        Ok(closed)
    }

    /// Withdraws a firm's consents on every case not yet introduced (its contact was
    /// erased): they become WITHDRAWN and the case REFUSED. Returns the cases closed.
    pub async fn withdraw_consents(
        &self,
        company_id: &str,
        now: i64,
    ) -> Result<Vec<String>, BrokerError> {
        let rows = sqlx::query(
            "SELECT DISTINCT case_id FROM case_consents WHERE company_id = $1 \
             AND answer IN ('pending', 'yes')",
        )
        .bind(company_id)
        .fetch_all(&self.store.database().pool)
        .await?;
        let mut closed = Vec::new();
        for row in rows {
            let id: String = row.try_get("case_id")?;
            if self
                .close_consents(
                    &id,
                    now,
                    Answer::Withdrawn,
                    &[Answer::Pending, Answer::Yes],
                    Some(company_id),
                )
                .await?
            {
                closed.push(id);
            }
        }
        Ok(closed)
    }

    /// In one transaction: if case `id` is still waiting for consents, marks the
    /// consents in `from` (of `company`, or every firm) as `to`, records one system
    /// event per firm and closes the case (expired, or refused for a withdrawal).
    async fn close_consents(
        &self,
        id: &str,
        now: i64,
        to: Answer,
        from: &[Answer],
        company: Option<&str>,
    ) -> Result<bool, BrokerError> {
        let mut write = self.store.begin_write().await?;
        let Some(row) = sqlx::query("SELECT status FROM cases WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *write.tx)
            .await?
        else {
            return Ok(false);
        };
        if status_of(&row.try_get::<String, _>("status")?)? != CaseStatus::ConsentsAsked {
            return Ok(false);
        }
        let rows =
            sqlx::query("SELECT company_id, answer, due_at FROM case_consents WHERE case_id = $1")
                .bind(id)
                .fetch_all(&mut *write.tx)
                .await?;
        let mut touched = Vec::new();
        for row in rows {
            let firm: String = row.try_get("company_id")?;
            let answer: String = row.try_get("answer")?;
            let due_at: i64 = row.try_get("due_at")?;
            let answer = Answer::parse(&answer)
                .ok_or_else(|| BrokerError::Corrupt(format!("consent answer {answer:?}")))?;
            let wanted = company.is_none_or(|company| company == firm);
            let due = to != Answer::Expired || due_at <= now;
            if wanted && due && from.contains(&answer) {
                touched.push(firm);
            }
        }
        if touched.is_empty() {
            return Ok(false);
        }
        let (status, kind) = match to {
            Answer::Expired => (CaseStatus::Expired, EventKind::ConsentExpired),
            _ => (CaseStatus::Refused, EventKind::ConsentWithdrawn),
        };
        for firm in &touched {
            sqlx::query(
                "UPDATE case_consents SET answer = $1, answered_by = $2, answered_at = $3 \
                 WHERE case_id = $4 AND company_id = $5",
            )
            .bind(to.as_str())
            .bind(SYSTEM)
            .bind(now)
            .bind(id)
            .bind(firm)
            .execute(&mut *write.tx)
            .await?;
        }
        sqlx::query(
            "UPDATE cases SET status = $1, version = version + 1, updated_at = $2 WHERE id = $3",
        )
        .bind(status.as_str())
        .bind(now)
        .bind(id)
        .execute(&mut *write.tx)
        .await?;
        let events: Vec<NewEvent> = touched
            .into_iter()
            .map(|firm| NewEvent {
                actor: SYSTEM.to_owned(),
                actor_organisation: String::new(),
                kind,
                company_id: firm,
                text: String::new(),
            })
            .collect();
        append_events(&mut write.tx, id, status, &events, now).await?;
        write.tx.commit().await?;
        Ok(true)
    }
}

type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

async fn append_events(
    tx: &mut Tx<'_>,
    id: &str,
    status: CaseStatus,
    events: &[NewEvent],
    now: i64,
) -> Result<(), BrokerError> {
    if events.is_empty() {
        return Ok(());
    }
    let row = sqlx::query("SELECT COALESCE(MAX(n), 0) AS last FROM case_events WHERE case_id = $1")
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    let mut n: i64 = row.try_get("last")?;
    for event in events {
        n += 1;
        sqlx::query(
            "INSERT INTO case_events (case_id, n, at, actor, actor_organisation, kind, status, \
             company_id, text) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id)
        .bind(n)
        .bind(now)
        .bind(&event.actor)
        .bind(&event.actor_organisation)
        .bind(event.kind.as_str())
        .bind(status.as_str())
        .bind(&event.company_id)
        .bind(&event.text)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn write_consent(
    tx: &mut Tx<'_>,
    id: &str,
    consent: &ConsentWrite,
    now: i64,
) -> Result<(), BrokerError> {
    match consent {
        ConsentWrite::Ask {
            company_id,
            asked_by,
            due_at,
        } => {
            sqlx::query(
                "INSERT INTO case_consents (case_id, company_id, answer, asked_by, asked_at, \
                 due_at, answered_by, answered_via, answered_at) \
                 VALUES ($1, $2, 'pending', $3, $4, $5, '', '', 0)",
            )
            .bind(id)
            .bind(company_id)
            .bind(asked_by)
            .bind(now)
            .bind(due_at)
            .execute(&mut **tx)
            .await?;
        }
        ConsentWrite::Answer {
            company_id,
            answer,
            by,
            via,
        } => {
            let done = sqlx::query(
                "UPDATE case_consents SET answer = $1, answered_by = $2, answered_via = $3, \
                 answered_at = $4 WHERE case_id = $5 AND company_id = $6 AND answer = 'pending'",
            )
            .bind(answer.as_str())
            .bind(by)
            .bind(via)
            .bind(now)
            .bind(id)
            .bind(company_id)
            .execute(&mut **tx)
            .await?;
            if done.rows_affected() != 1 {
                return Err(BrokerError::Precondition(format!(
                    "{company_id} has no pending consent on case {id}"
                )));
            }
        }
    }
    Ok(())
}

/// Moves the lead `match_id` to where a case in `status` takes it, when the lead's own
/// workflow allows that step; records the move like an adviser's.
async fn move_lead(
    tx: &mut Tx<'_>,
    match_id: &str,
    status: CaseStatus,
    actor: &str,
    case_id: &str,
    now: i64,
) -> Result<(), BrokerError> {
    let Some(next) = status.lead_status() else {
        return Ok(());
    };
    let Some(row) = sqlx::query("SELECT status FROM matches WHERE id = $1")
        .bind(match_id)
        .fetch_optional(&mut **tx)
        .await?
    else {
        return Ok(());
    };
    let text: String = row.try_get("status")?;
    let current = LeadStatus::parse(&text)
        .ok_or_else(|| BrokerError::Corrupt(format!("match status {text:?}")))?;
    if current == next || !current.may_become(next) {
        return Ok(());
    }
    sqlx::query(
        "UPDATE matches SET status = $1, version = version + 1, updated_at = $2 WHERE id = $3",
    )
    .bind(next.as_str())
    .bind(now)
    .bind(match_id)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO match_events (match_id, at, actor, from_status, to_status, reason) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(match_id)
    .bind(now)
    .bind(actor)
    .bind(current.as_str())
    .bind(next.as_str())
    .bind(format!("case {case_id}"))
    .execute(&mut **tx)
    .await?;
    Ok(())
}
