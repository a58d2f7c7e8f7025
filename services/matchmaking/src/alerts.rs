//! A caller's alerts: the inbox (its pages, unread count, read marks and threshold) and
//! the live stream of new ones, each alert shown only to callers who see its firm.
//!
//! Every key has its own inbox (`crate::inbox` stores it); a firm's holds its own alerts
//! only. Writes to an inbox are audited.

use std::collections::{HashMap, HashSet};
use std::pin::Pin;
use std::time::Duration;

use pyred_access::{AuditLog, Caller, Role};
use pyred_proto::v1 as pb;
use tokio_stream::Stream;
use tokio_util::sync::CancellationToken;

use crate::error::MatchError;
use crate::inbox::{InboxScan, InboxView, MAX_MARKED, UNREAD_COUNT_CAP};
use crate::leads::Leads;
use crate::request::{AlertPage, AlertWatch, read_marks, threshold};
use crate::store::Store;
use crate::workflow::RPC;

/// Candidate rows read per query while scanning an inbox.
const INBOX_SCAN: i64 = 512;
/// How often a live alert stream looks for alerts raised by other replicas.
const ALERT_POLL: Duration = Duration::from_millis(250);
/// Alerts read per query by a live stream.
const STREAM_BATCH: i64 = 256;

/// New alerts as they are raised, until the caller hangs up or the service stops.
pub type AlertStream = Pin<Box<dyn Stream<Item = Result<pb::Match, MatchError>> + Send>>;

/// Alerts, as every caller reaches them.
#[derive(Debug, Clone)]
pub struct Alerts {
    store: Store,
    leads: Leads,
    audit: AuditLog,
    shutdown: CancellationToken,
}

/// A firm's inbox holds its own alerts only: the filter goes into the query.
fn own_company(caller: &Caller) -> Option<&str> {
    (caller.role == Role::Firm).then_some(caller.company_id.as_str())
}

impl Alerts {
    /// Alerts of `store`, firms' regions looked up through `leads`, inbox writes audited
    /// into `audit`; live streams end when `shutdown` is cancelled.
    pub fn new(store: Store, leads: Leads, audit: AuditLog, shutdown: CancellationToken) -> Self {
        Self {
            store,
            leads,
            audit,
            shutdown,
        }
    }

    /// One page of the caller's inbox, newest first, with its summary (`ListAlerts`).
    pub async fn list(
        &self,
        caller: &Caller,
        request: &pb::ListAlertsRequest,
    ) -> Result<pb::ListAlertsResponse, MatchError> {
        MatchError::require(caller, &[Role::Adviser, Role::Firm], "read alerts")?;
        // Numbers come from this store: one past the newest names no alert yet.
        let last_seq = self.store.last_alert_seq().await?;
        let asked = AlertPage::read(request, last_seq)?;
        let inbox = InboxView::read(&self.store, &caller.key_id).await?;
        let mut regions = HashMap::new();
        let summary = self.summary(caller, &inbox, &mut regions).await?;
        let after_seq = if asked.unread_only {
            asked.after_seq.max(inbox.state.read_through_seq)
        } else {
            asked.after_seq
        };
        let mut alerts = Vec::new();
        let mut next_before_seq = 0;
        let mut before = if asked.before_seq == 0 {
            summary.last_seq + 1
        } else {
            asked.before_seq
        };
        'page: loop {
            let rows = self
                .store
                .inbox_alerts(InboxScan {
                    before_seq: before,
                    after_seq,
                    min_score: inbox.state.min_score,
                    company_id: own_company(caller),
                    limit: INBOX_SCAN,
                })
                .await?;
            for row in &rows {
                before = row.seq;
                let read = inbox.is_read(row);
                if (asked.unread_only && read)
                    || !self
                        .leads
                        .sees_company(caller, &row.company_id, &mut regions)
                        .await?
                {
                    continue;
                }
                if alerts.len() == asked.page_size {
                    next_before_seq = alerts.last().map_or(0, |alert: &pb::InboxAlert| alert.seq);
                    break 'page;
                }
                let Some(mut found) = self.store.get(&row.match_id).await? else {
                    continue; // dropped since the scan
                };
                found.alert_seq = row.seq;
                alerts.push(pb::InboxAlert {
                    seq: row.seq,
                    r#match: Some(found),
                    read,
                    raised_at: Some(pyred_runtime::db::timestamp(row.raised_at)),
                });
            }
            if rows.len() < usize::try_from(INBOX_SCAN).unwrap_or(usize::MAX) {
                break;
            }
        }
        Ok(pb::ListAlertsResponse {
            alerts,
            inbox: Some(summary),
            next_before_seq,
        })
    }

    /// Marks alerts read, one by one or all up to a number (`MarkAlertsRead`).
    pub async fn mark_read(
        &self,
        caller: &Caller,
        request: &pb::MarkAlertsReadRequest,
    ) -> Result<pb::AlertInbox, MatchError> {
        MatchError::require(caller, &[Role::Adviser, Role::Firm], "mark alerts read")?;
        let last_seq = self.store.last_alert_seq().await?;
        read_marks(request, last_seq, MAX_MARKED)?;
        let write = self
            .store
            .mark_alerts_read(&caller.key_id, &request.seqs, request.through_seq);
        self.write(caller, "MarkAlertsRead", write).await
    }

    /// Sets the inbox's threshold (`UpdateAlertInbox`).
    pub async fn set_threshold(
        &self,
        caller: &Caller,
        min_score: f64,
    ) -> Result<pb::AlertInbox, MatchError> {
        MatchError::require(
            caller,
            &[Role::Adviser, Role::Firm],
            "set an alert threshold",
        )?;
        let min_score = threshold("min_score", min_score)?;
        let write = self.store.set_inbox_min_score(&caller.key_id, min_score);
        self.write(caller, "UpdateAlertInbox", write).await
    }

    /// New alerts after `since_seq` (from now when 0) for the firms the caller sees
    /// (`WatchAlerts`). A filter naming a company outside the caller's scope answers as
    /// every other call does for it (`NotFound`), before any stream opens.
    pub async fn watch(
        &self,
        caller: &Caller,
        request: &pb::WatchAlertsRequest,
    ) -> Result<AlertStream, MatchError> {
        MatchError::require(caller, &[Role::Adviser, Role::Firm], "watch alerts")?;
        let watch = AlertWatch::try_from(request)?;
        let mut cursor = if watch.since_seq == 0 {
            self.store.last_alert_seq().await?
        } else {
            watch.since_seq
        };
        let mut regions = HashMap::new();
        for id in &watch.companies {
            if !self.leads.sees_company(caller, id, &mut regions).await? {
                return Err(MatchError::NotFound {
                    entity: "company",
                    id: id.clone(),
                });
            }
        }
        let (sender, receiver) = tokio::sync::mpsc::channel(64);
        let alerts = self.clone();
        let caller = caller.clone();
        tokio::spawn(async move {
            let mut alerted = alerts.store.subscribe_alerts();
            loop {
                let caught_up = match alerts
                    .send_after(&caller, &watch, &mut cursor, &mut regions, &sender)
                    .await
                {
                    Ok(Some(caught_up)) => caught_up,
                    Ok(None) => return,
                    Err(error) => {
                        let _closed = sender.send(Err(error)).await;
                        return;
                    }
                };
                if caught_up {
                    tokio::select! {
                        () = alerts.shutdown.cancelled() => return,
                        () = sender.closed() => return,
                        _ = alerted.changed() => {}
                        () = tokio::time::sleep(ALERT_POLL) => {}
                    }
                }
            }
        });
        Ok(Box::pin(tokio_stream::wrappers::ReceiverStream::new(
            receiver,
        )))
    }

    /// Sends the alerts after `cursor` that `watch` and `caller` keep, moving the cursor;
    /// whether it caught up with the newest, `None` once the receiver hung up.
    async fn send_after(
        &self,
        caller: &Caller,
        watch: &AlertWatch,
        cursor: &mut i64,
        regions: &mut HashMap<String, Option<String>>,
        sender: &tokio::sync::mpsc::Sender<Result<pb::Match, MatchError>>,
    ) -> Result<Option<bool>, MatchError> {
        let batch = self.store.alerts_after(*cursor, STREAM_BATCH).await?;
        let caught_up = batch.len() < usize::try_from(STREAM_BATCH).unwrap_or(usize::MAX);
        for alert in batch {
            *cursor = alert.seq;
            if alert.score < watch.min_score || !kept(&watch.companies, &alert.company_id) {
                continue;
            }
            if !self
                .leads
                .sees_company(caller, &alert.company_id, regions)
                .await?
            {
                continue;
            }
            let Some(mut found) = self.store.get(&alert.match_id).await? else {
                continue; // withdrawn since: nothing to call about
            };
            found.alert_seq = alert.seq;
            if sender.send(Ok(found)).await.is_err() {
                return Ok(None);
            }
        }
        Ok(Some(caught_up))
    }

    /// The summary of `caller`'s inbox: threshold, unread count (capped) and the newest
    /// alert's number.
    async fn summary(
        &self,
        caller: &Caller,
        inbox: &InboxView,
        regions: &mut HashMap<String, Option<String>>,
    ) -> Result<pb::AlertInbox, MatchError> {
        // Read first: an alert raised while counting is then either counted or after
        // `last_seq`, never lost by a client that resumes from `last_seq`.
        let last_seq = self.store.last_alert_seq().await?;
        let company = own_company(caller);
        let mut unread = 0;
        let mut capped = false;
        let mut before = last_seq + 1;
        'scan: loop {
            let rows = self
                .store
                .inbox_alerts(InboxScan {
                    before_seq: before,
                    after_seq: inbox.state.read_through_seq,
                    min_score: inbox.state.min_score,
                    company_id: company,
                    limit: INBOX_SCAN,
                })
                .await?;
            for row in &rows {
                before = row.seq;
                if inbox.is_read(row)
                    || !self
                        .leads
                        .sees_company(caller, &row.company_id, regions)
                        .await?
                {
                    continue;
                }
                if unread == UNREAD_COUNT_CAP {
                    capped = true;
                    break 'scan;
                }
                unread += 1;
            }
            if rows.len() < usize::try_from(INBOX_SCAN).unwrap_or(usize::MAX) {
                break;
            }
        }
        Ok(pb::AlertInbox {
            min_score: inbox.state.min_score,
            unread_count: unread,
            unread_count_capped: capped,
            last_seq,
        })
    }

    /// Runs `write` on `caller`'s inbox, audits it as `rpc`, and answers the inbox as it
    /// stands after it.
    async fn write(
        &self,
        caller: &Caller,
        rpc: &str,
        write: impl std::future::Future<Output = Result<(), MatchError>>,
    ) -> Result<pb::AlertInbox, MatchError> {
        let result = async {
            write.await?;
            let inbox = InboxView::read(&self.store, &caller.key_id).await?;
            self.summary(caller, &inbox, &mut HashMap::new()).await
        }
        .await;
        let outcome = result
            .as_ref()
            .map(|_| ())
            .map_err(|error| tonic::Status::new(error.code(), ""));
        self.audit
            .record(
                caller,
                &format!("{RPC}{rpc}"),
                &format!("inbox/{}", caller.key_id),
                &outcome,
            )
            .await;
        result
    }
}

/// Whether an alert of `company_id` passes a stream's firm filter (none: every firm).
fn kept(companies: &HashSet<String>, company_id: &str) -> bool {
    companies.is_empty() || companies.contains(company_id)
}
