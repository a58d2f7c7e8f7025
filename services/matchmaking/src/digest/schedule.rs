//! When digests are written and sent: a loop that wakes every `check_every`, finds the
//! current period (periods of `every` starting at `hour_utc`), and for each adviser key
//! with an e-mail address that has no digest for it yet, claims it, composes it from
//! where the previous one stopped, writes it to the outbox and records it; then hands the
//! outbox's pending messages to the relay, when one is configured.

use std::time::Duration;

use pyred_domain::Day;
use pyred_mail::{Message, Outbox, Relay};
use pyred_proto::v1 as pb;
use pyred_runtime::client::ServiceChannel;
use pyred_runtime::db::now_micros;
use sqlx::Row as _;
use tokio_util::sync::CancellationToken;

use super::DigestError;
use super::compose::{Adviser, Composer, Since, first_since};
use super::render::render;
use crate::error::MatchError;
use crate::store::Store;

/// A claim older than this is taken over (its writer is presumed dead).
const STALE_CLAIM_MICROS: i64 = 5 * 60 * 1_000_000;

/// The digest settings matchmaking runs with.
#[derive(Debug, Clone)]
pub struct DigestSettings {
    /// Length of a period.
    pub period: Duration,
    /// Hour (UTC) at which periods start.
    pub hour_utc: u32,
    /// How often the loop wakes.
    pub check_every: Duration,
    /// Deadlines within this many days.
    pub deadline_days: u32,
    /// The console's address for links.
    pub console_url: String,
    /// The visible sender.
    pub from: String,
    /// The relay; `None` leaves messages in the outbox.
    pub relay: Option<Relay>,
}

impl DigestSettings {
    /// From the layered configuration; `None` when digests are off.
    pub fn from_settings(settings: &pyred_runtime::Settings) -> Result<Option<Self>, DigestError> {
        let digest = &settings.digest;
        if !digest.enabled {
            return Ok(None);
        }
        let period = digest.period().ok_or(DigestError::Setting {
            key: "every",
            reason: "must be a duration of at least 10 seconds".into(),
        })?;
        let check_every = digest.check_interval().ok_or(DigestError::Setting {
            key: "check_every",
            reason: "must be a duration".into(),
        })?;
        let relay = match &digest.relay {
            None => None,
            Some(value) => Some(value.clone().try_deserialize::<Relay>().map_err(|error| {
                DigestError::Setting {
                    key: "relay",
                    reason: error.to_string(),
                }
            })?),
        };
        Ok(Some(Self {
            period,
            hour_utc: digest.hour_utc,
            check_every,
            deadline_days: digest.deadline_days,
            console_url: settings.console_url(),
            from: digest.from.clone(),
            relay,
        }))
    }
}

/// The start of the period holding `now` (seconds since the epoch): periods of `period`
/// seconds aligned on `hour_utc` o'clock.
pub fn period_start(now: i64, period: Duration, hour_utc: u32) -> i64 {
    let length = i64::try_from(period.as_secs()).unwrap_or(i64::MAX).max(1);
    let offset = i64::from(hour_utc) * 3600;
    (now - offset).div_euclid(length) * length + offset
}

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Digests written to the outbox (message ids).
    pub written: Vec<String>,
    /// Advisers with nothing to say this period.
    pub empty: usize,
    /// Messages the relay accepted.
    pub sent: usize,
    /// Messages the relay refused or could not take (left pending).
    pub failed: usize,
}

/// The digest loop.
#[derive(Debug, Clone)]
pub struct Scheduler {
    composer: Composer,
    store: Store,
    registry: ServiceChannel,
    outbox_dir: std::path::PathBuf,
    settings: DigestSettings,
}

impl Scheduler {
    /// A scheduler composing with `composer`, recording in `store`, listing keys at the
    /// registry (`registry`, with the service token) and writing to `outbox_dir`.
    pub fn new(
        composer: Composer,
        store: Store,
        registry: ServiceChannel,
        outbox_dir: std::path::PathBuf,
        settings: DigestSettings,
    ) -> Self {
        Self {
            composer,
            store,
            registry,
            outbox_dir,
            settings,
        }
    }

    /// Runs rounds until `shutdown`.
    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            match self.tick(now_micros() / 1_000_000).await {
                Ok(report)
                    if report.written.is_empty() && report.sent == 0 && report.failed == 0 => {}
                Ok(report) => tracing::info!(
                    written = report.written.len(),
                    empty = report.empty,
                    sent = report.sent,
                    failed = report.failed,
                    "digests"
                ),
                Err(error) => tracing::warn!(%error, "digest round failed; retried next round"),
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(self.settings.check_every) => {}
            }
        }
    }

    /// One round at `now` (seconds since the epoch).
    pub async fn tick(&self, now: i64) -> Result<TickReport, DigestError> {
        let start = period_start(now, self.settings.period, self.settings.hour_utc);
        let day =
            Day::from_days_since_epoch(now.div_euclid(86_400)).unwrap_or_else(|_| Day::today());
        let keys = pb::access_client::AccessClient::new(self.registry.clone())
            .list_keys(pb::ListKeysRequest {
                include_revoked: false,
            })
            .await
            .map_err(DigestError::Keys)?
            .into_inner()
            .keys;
        let outbox = Outbox::open(&self.outbox_dir)?;
        let mut report = TickReport::default();
        for adviser in Adviser::from_keys(&keys) {
            if self.store.digest_done(&adviser.key_id, start).await? {
                continue;
            }
            if !self.store.claim_digest(&adviser.key_id, start).await? {
                continue; // another replica writes it
            }
            let since = self
                .store
                .previous_digest(&adviser.key_id, start)
                .await?
                .unwrap_or_else(first_since);
            let digest = self.composer.compose(&adviser, since, day).await?;
            if digest.is_empty() {
                self.store
                    .finish_digest(&adviser.key_id, start, "empty", digest.through_seq, "")
                    .await?;
                report.empty += 1;
                continue;
            }
            let rendered = render(
                &digest,
                &self.settings.console_url,
                self.settings.deadline_days,
            );
            let message = Message::builder()
                .from(self.settings.from.clone())
                .to(adviser.email.clone())
                .subject(rendered.subject)
                .text(rendered.text)
                .html(rendered.html)
                .build()?;
            let queued = outbox.enqueue(&message, &format!("digest-{}-{start}", adviser.key_id))?;
            self.store
                .finish_digest(
                    &adviser.key_id,
                    start,
                    "written",
                    digest.through_seq,
                    queued.id(),
                )
                .await?;
            report.written.push(queued.id().to_owned());
        }
        if let Some(relay) = &self.settings.relay {
            let transport = relay.transport()?;
            let delivered = outbox.deliver(&transport).await?;
            report.sent = delivered.sent.len();
            report.failed = delivered.failed.len();
            for failure in &delivered.failed {
                tracing::warn!(id = %failure.id, attempts = failure.attempts, error = %failure.error, "digest not delivered");
            }
        }
        Ok(report)
    }
}

impl Store {
    /// Whether `key_id` has its digest of the period starting at `start`.
    pub async fn digest_done(&self, key_id: &str, start: i64) -> Result<bool, MatchError> {
        let row = sqlx::query("SELECT state FROM digests WHERE key_id = $1 AND period_start = $2")
            .bind(key_id)
            .bind(start)
            .fetch_optional(&self.db.pool)
            .await?;
        Ok(match row {
            None => false,
            Some(row) => row.try_get::<String, _>("state")? != "claimed",
        })
    }

    /// Claims the digest of `key_id` for the period starting at `start`: true when this
    /// caller is to write it (a new claim, or one left stale by a dead writer).
    pub async fn claim_digest(&self, key_id: &str, start: i64) -> Result<bool, MatchError> {
        let now = now_micros();
        let mut write = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO digests (key_id, period_start, state, claimed_at, through_seq, message_id) \
             VALUES ($1, $2, 'claimed', $3, 0, '') ON CONFLICT (key_id, period_start) DO NOTHING",
        )
        .bind(key_id)
        .bind(start)
        .bind(now)
        .execute(&mut *write.tx)
        .await?
        .rows_affected();
        let claimed = if inserted == 1 {
            true
        } else {
            sqlx::query(
                "UPDATE digests SET claimed_at = $3 WHERE key_id = $1 AND period_start = $2 \
                 AND state = 'claimed' AND claimed_at < $4",
            )
            .bind(key_id)
            .bind(start)
            .bind(now)
            .bind(now - STALE_CLAIM_MICROS)
            .execute(&mut *write.tx)
            .await?
            .rows_affected()
                == 1
        };
        write.tx.commit().await?;
        Ok(claimed)
    }

    /// Records the claimed digest as `state` (`written` or `empty`).
    pub async fn finish_digest(
        &self,
        key_id: &str,
        start: i64,
        state: &str,
        through_seq: i64,
        message_id: &str,
    ) -> Result<(), MatchError> {
        let mut write = self.begin_write().await?;
        sqlx::query(
            "UPDATE digests SET state = $3, through_seq = $4, message_id = $5 \
             WHERE key_id = $1 AND period_start = $2",
        )
        .bind(key_id)
        .bind(start)
        .bind(state)
        .bind(through_seq)
        .bind(message_id)
        .execute(&mut *write.tx)
        .await?;
        write.tx.commit().await?;
        Ok(())
    }

    /// Where the digest of the period starting at `start` begins: after the newest
    /// earlier digest of `key_id`, if any.
    pub async fn previous_digest(
        &self,
        key_id: &str,
        start: i64,
    ) -> Result<Option<Since>, MatchError> {
        let row = sqlx::query(
            "SELECT period_start, through_seq FROM digests WHERE key_id = $1 \
             AND state <> 'claimed' AND period_start < $2 ORDER BY period_start DESC LIMIT 1",
        )
        .bind(key_id)
        .bind(start)
        .fetch_optional(&self.db.pool)
        .await?;
        row.map(|row| {
            Ok(Since {
                seq: row.try_get("through_seq")?,
                micros: row
                    .try_get::<i64, _>("period_start")?
                    .saturating_mul(1_000_000),
            })
        })
        .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_start_at_the_configured_hour() {
        let day = Duration::from_secs(86_400);
        // 2026-12-04 05:59:59 UTC is still in the period that began on the 3rd at 06:00.
        let before = 1_796_363_999; // 2026-12-04T05:59:59Z
        assert_eq!(period_start(before, day, 6), 1_796_277_600); // 2026-12-03T06:00:00Z
        assert_eq!(period_start(before + 1, day, 6), 1_796_364_000);
        assert_eq!(period_start(before + 86_400, day, 6), 1_796_364_000);
        let hour = Duration::from_secs(3600);
        assert_eq!(period_start(1_796_364_123, hour, 0), 1_796_364_000);
    }
}
