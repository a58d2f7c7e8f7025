//! The gRPC adapter of `pyred.v1.Matchmaking`.
//!
//! Access: an adviser works the leads of the firms of their territory (lists, workflow,
//! notes, alerts); a firm reads its own leads and alerts; agencies have no leads; the
//! judgments export is an admin's. A lead of a firm outside the caller's scope answers
//! `NotFound`, like a missing one. Workflow changes are audited and carry the caller's
//! key as their actor.

use std::pin::Pin;

use std::collections::HashMap;

use pyred_access::{AuditLog, Caller, Role};
use pyred_proto::v1::matchmaking_server::Matchmaking;
use pyred_proto::v1::{self as pb};
use pyred_runtime::error::InvalidInput;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use crate::error::MatchError;
use crate::inbox::{InboxScan, InboxView as Inbox, MAX_MARKED, UNREAD_COUNT_CAP};
use crate::leads::Leads;
use crate::store::{Status as Status_, Store};
use pyred_domain::Day;
use pyred_runtime::error::FieldViolations;
use tokio_util::sync::CancellationToken;

/// Who a workflow change is recorded as until callers authenticate (security issue).
const RPC: &str = "pyred.v1.Matchmaking/";
/// Longest note or dismissal reason, characters.
const MAX_TEXT: usize = 4000;
/// How often a live alert stream looks for alerts raised by other replicas.
const ALERT_POLL: std::time::Duration = std::time::Duration::from_millis(250);

/// The matchmaking gRPC service.
#[derive(Debug, Clone)]
pub struct MatchmakingApi {
    store: Store,
    shutdown: CancellationToken,
    leads: Leads,
    audit: AuditLog,
}

impl MatchmakingApi {
    /// Serves from `store`, scoring through `leads`; live alert streams end when
    /// `shutdown` is cancelled.
    pub fn new(store: Store, leads: Leads, audit: AuditLog, shutdown: CancellationToken) -> Self {
        Self {
            store,
            shutdown,
            leads,
            audit,
        }
    }

    /// The inbox of `caller`: its state, the alerts it read one by one, and a
    /// read-or-unread test over candidate rows.
    async fn inbox_of(&self, caller: &Caller) -> Result<Inbox, MatchError> {
        Inbox::read(&self.store, &caller.key_id).await
    }

    /// The summary of `caller`'s inbox: threshold, unread count (capped) and the newest
    /// alert's number.
    async fn inbox_summary(
        &self,
        caller: &Caller,
        inbox: &Inbox,
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
    async fn inbox_write(
        &self,
        caller: &Caller,
        rpc: &str,
        write: impl std::future::Future<Output = Result<(), MatchError>>,
    ) -> Result<Response<pb::AlertInbox>, Status> {
        let result = async {
            write.await?;
            let inbox = self.inbox_of(caller).await?;
            self.inbox_summary(caller, &inbox, &mut HashMap::new())
                .await
        }
        .await
        .map_err(Status::from);
        self.audit
            .record(
                caller,
                &format!("{RPC}{rpc}"),
                &format!("inbox/{}", caller.key_id),
                &result,
            )
            .await;
        Ok(Response::new(result?))
    }

    /// The match `id` if `caller` may see it; `NotFound` otherwise.
    async fn visible_match(&self, caller: &Caller, id: &str) -> Result<pb::Match, Status> {
        let not_found = || {
            Status::from(MatchError::NotFound {
                entity: "match",
                id: id.to_owned(),
            })
        };
        let found = self.store.get(id).await?.ok_or_else(not_found)?;
        if self
            .leads
            .sees_company(caller, &found.company_id, &mut HashMap::new())
            .await?
        {
            Ok(found)
        } else {
            Err(not_found())
        }
    }

    /// One page of a fresh ranking (match ids, best first) as stored matches with their
    /// workflow state, keeping only the statuses asked for: the ranking decides what is
    /// live and relevant on the evaluation day, the store what the advisers did with it.
    async fn page_of(
        &self,
        caller: &Caller,
        regions_wanted: &[String],
        ranked: &[String],
        statuses: &[Status_],
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<pb::Match>, bool), MatchError> {
        let wanted: Vec<i32> = statuses.iter().map(|s| s.to_pb() as i32).collect();
        let mut kept = Vec::new();
        let mut regions = HashMap::new();
        let filter = (!regions_wanted.is_empty()).then(|| Caller {
            role: Role::Adviser,
            territory: regions_wanted.to_vec(),
            ..caller.clone()
        });
        for id in ranked {
            if let Some(found) = self.store.get(id).await?
                && wanted.contains(&found.status)
                && self
                    .leads
                    .sees_company(caller, &found.company_id, &mut regions)
                    .await?
            {
                if let Some(filter) = &filter
                    && !self
                        .leads
                        .sees_company(filter, &found.company_id, &mut regions)
                        .await?
                {
                    continue;
                }
                kept.push(found);
            }
        }
        // Best first by the stored score: the feed follower may have re-scored a pair
        // since this ranking was computed.
        kept.sort_by(|a, b| b.score.total_cmp(&a.score));
        let more = kept.len() > offset + limit;
        Ok((kept.into_iter().skip(offset).take(limit).collect(), more))
    }
}

fn required(field: &'static str, value: &str) -> Result<String, InvalidInput> {
    let value = value.trim();
    if value.is_empty() {
        Err(InvalidInput::single(field, "must not be empty"))
    } else if value.len() > 128 {
        Err(InvalidInput::single(field, "must be at most 128 bytes"))
    } else {
        Ok(value.to_owned())
    }
}

/// Like [`required`], recording the violation instead of returning it.
fn required_into(
    violations: &mut FieldViolations,
    field: &'static str,
    value: &str,
) -> Option<String> {
    match required(field, value) {
        Ok(value) => Some(value),
        Err(invalid) => {
            for violation in invalid.violations {
                violations.add(violation.field, violation.description);
            }
            None
        }
    }
}

/// The evaluation day: the one asked for, or today.
fn as_of(violations: &mut FieldViolations, given: Option<&pb::Date>) -> Day {
    let Some(date) = given else {
        return Day::today();
    };
    Day::try_from(date).unwrap_or_else(|_| {
        violations.add("as_of", "is not a valid date");
        Day::today()
    })
}

/// The statuses asked for; none means every open or closed status but dismissed.
fn statuses(violations: &mut FieldViolations, given: &[i32]) -> Vec<Status_> {
    if given.is_empty() {
        return vec![
            Status_::Proposed,
            Status_::Shortlisted,
            Status_::Contacted,
            Status_::Meeting,
            Status_::Won,
            Status_::Lost,
        ];
    }
    let mut out = Vec::new();
    for (i, status) in given.iter().enumerate() {
        match pb::MatchStatus::try_from(*status)
            .ok()
            .and_then(Status_::from_pb)
        {
            Some(status) => out.push(status),
            None => violations.add(format!("statuses[{i}]"), "unknown status"),
        }
    }
    out
}

/// Default page: the ten best.
const DEFAULT_PAGE: usize = 10;
/// Largest page.
const MAX_PAGE: usize = 100;

/// Offset and size of the page asked for (tokens are offsets), `default` items when the
/// size is not given: the one paging rule of matchmaking's and brokerage's lists.
pub(crate) fn page(
    violations: &mut FieldViolations,
    given: Option<&pb::PageRequest>,
    default: usize,
) -> (usize, usize) {
    let Some(given) = given else {
        return (0, default);
    };
    let limit = match usize::try_from(given.page_size) {
        Ok(0) => default,
        Ok(size) => size.min(MAX_PAGE),
        Err(_) => {
            violations.add("page.page_size", "must not be negative");
            default
        }
    };
    if given.page_token.is_empty() {
        return (0, limit);
    }
    match usize::from_str_radix(&given.page_token, 16) {
        Ok(offset) => (offset, limit),
        Err(_) => {
            violations.add("page.page_token", "is not a token this service issued");
            (0, limit)
        }
    }
}

/// The token of the page starting at `offset`, empty on the last page.
pub(crate) fn next_token(more: bool, offset: usize) -> String {
    if more {
        format!("{offset:x}")
    } else {
        String::new()
    }
}

type AlertStream = Pin<Box<dyn Stream<Item = Result<pb::Match, Status>> + Send>>;

/// Candidate rows read per query while scanning an inbox.
const INBOX_SCAN: i64 = 512;
/// Alerts per page of ListAlerts when the caller does not say.
const DEFAULT_ALERT_PAGE: usize = 20;

/// A firm's inbox holds its own alerts only: the filter goes into the query.
fn own_company(caller: &Caller) -> Option<&str> {
    (caller.role == Role::Firm).then_some(caller.company_id.as_str())
}

#[tonic::async_trait]
impl Matchmaking for MatchmakingApi {
    #[tracing::instrument(skip_all, fields(company_id = %request.get_ref().company_id))]
    async fn list_company_matches(
        &self,
        request: Request<pb::ListCompanyMatchesRequest>,
    ) -> Result<Response<pb::ListMatchesResponse>, Status> {
        let caller = Caller::of(&request)?;
        caller.require(&[Role::Adviser, Role::Firm], "read leads")?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let company_id = required_into(&mut violations, "company_id", &request.company_id);
        let as_of = as_of(&mut violations, request.as_of.as_ref());
        let statuses = statuses(&mut violations, &request.statuses);
        let (offset, limit) = page(&mut violations, request.page.as_ref(), DEFAULT_PAGE);
        violations.into_result().map_err(MatchError::from)?;
        let Some(company_id) = company_id else {
            return Err(InvalidInput::single("company_id", "is required").to_status());
        };
        let company = self.leads.company(&company_id).await?;
        if !caller.sees_company(&company.id, &company.region) {
            return Err(MatchError::NotFound {
                entity: "company",
                id: company_id,
            }
            .into());
        }
        let ranked = self.leads.score_company(&company, as_of).await?;
        let (matches, more) = self
            .page_of(&caller, &[], &ranked, &statuses, offset, limit)
            .await?;
        Ok(Response::new(pb::ListMatchesResponse {
            matches,
            next_page_token: next_token(more, offset + limit),
        }))
    }

    #[tracing::instrument(skip_all, fields(opportunity_id = %request.get_ref().opportunity_id))]
    async fn list_opportunity_matches(
        &self,
        request: Request<pb::ListOpportunityMatchesRequest>,
    ) -> Result<Response<pb::ListMatchesResponse>, Status> {
        let caller = Caller::of(&request)?;
        caller.require(&[Role::Adviser], "list the firms of a listing")?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let opportunity_id =
            required_into(&mut violations, "opportunity_id", &request.opportunity_id);
        let mut regions = Vec::new();
        for (i, region) in request.regions.iter().enumerate() {
            match pyred_domain::IsoRegion::parse(region) {
                Ok(region) => regions.push(region.as_str().to_owned()),
                Err(error) => violations.add(format!("regions[{i}]"), error),
            }
        }
        let statuses = statuses(&mut violations, &request.statuses);
        let (offset, limit) = page(&mut violations, request.page.as_ref(), DEFAULT_PAGE);
        violations.into_result().map_err(MatchError::from)?;
        let Some(opportunity_id) = opportunity_id else {
            return Err(InvalidInput::single("opportunity_id", "is required").to_status());
        };
        let opportunity = self.leads.opportunity(&opportunity_id).await?;
        let public = matches!(
            pb::OpportunityStatus::try_from(opportunity.status),
            Ok(pb::OpportunityStatus::Published
                | pb::OpportunityStatus::Expired
                | pb::OpportunityStatus::Fulfilled)
        );
        if !caller.sees_opportunity(&opportunity.source, public) {
            return Err(MatchError::NotFound {
                entity: "opportunity",
                id: opportunity_id,
            }
            .into());
        }
        let ranked = self
            .leads
            .score_opportunity(&opportunity, Day::today())
            .await?;
        let (matches, more) = self
            .page_of(&caller, &regions, &ranked, &statuses, offset, limit)
            .await?;
        Ok(Response::new(pb::ListMatchesResponse {
            matches,
            next_page_token: next_token(more, offset + limit),
        }))
    }

    #[tracing::instrument(skip_all, fields(id = %request.get_ref().id))]
    async fn get_match(
        &self,
        request: Request<pb::GetMatchRequest>,
    ) -> Result<Response<pb::Match>, Status> {
        let caller = Caller::of(&request)?;
        caller.require(&[Role::Adviser, Role::Firm], "read leads")?;
        let id = required("id", &request.get_ref().id).map_err(MatchError::from)?;
        Ok(Response::new(self.visible_match(&caller, &id).await?))
    }

    #[tracing::instrument(skip_all, fields(id = %request.get_ref().id))]
    async fn update_match_status(
        &self,
        request: Request<pb::UpdateMatchStatusRequest>,
    ) -> Result<Response<pb::Match>, Status> {
        let caller = Caller::of(&request)?;
        caller.require(&[Role::Adviser], "move leads through the workflow")?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let id = required_into(&mut violations, "id", &request.id);
        let next = pb::MatchStatus::try_from(request.status)
            .ok()
            .and_then(Status_::from_pb);
        if next.is_none() {
            violations.add(
                "status",
                "is required: shortlisted, contacted, meeting, won, lost or dismissed",
            );
        }
        let reason = request.dismiss_reason.trim().to_owned();
        if next == Some(Status_::Dismissed) && reason.is_empty() {
            violations.add("dismiss_reason", "is required to dismiss a lead");
        }
        if reason.chars().count() > MAX_TEXT {
            violations.add(
                "dismiss_reason",
                format!("must be at most {MAX_TEXT} characters"),
            );
        }
        violations.into_result().map_err(MatchError::from)?;
        let (Some(id), Some(next)) = (id, next) else {
            return Err(InvalidInput::single("status", "is required").to_status());
        };
        let result = async {
            self.visible_match(&caller, &id).await?;
            Ok(self
                .store
                .change_status(
                    &id,
                    next,
                    &reason,
                    &caller.actor(),
                    request.expected_version,
                )
                .await?)
        }
        .await;
        self.audit
            .record(
                &caller,
                &format!("{RPC}UpdateMatchStatus"),
                &format!("match/{id}"),
                &result,
            )
            .await;
        result.map(Response::new)
    }

    #[tracing::instrument(skip_all, fields(id = %request.get_ref().id))]
    async fn add_match_note(
        &self,
        request: Request<pb::AddMatchNoteRequest>,
    ) -> Result<Response<pb::Match>, Status> {
        let caller = Caller::of(&request)?;
        caller.require(&[Role::Adviser], "write notes on leads")?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let id = required_into(&mut violations, "id", &request.id);
        let text = request.text.trim();
        if text.is_empty() {
            violations.add("text", "is required");
        } else if text.chars().count() > MAX_TEXT {
            violations.add("text", format!("must be at most {MAX_TEXT} characters"));
        }
        violations.into_result().map_err(MatchError::from)?;
        let Some(id) = id else {
            return Err(InvalidInput::single("id", "is required").to_status());
        };
        let result = async {
            self.visible_match(&caller, &id).await?;
            Ok(self.store.add_note(&id, &caller.actor(), text).await?)
        }
        .await;
        self.audit
            .record(
                &caller,
                &format!("{RPC}AddMatchNote"),
                &format!("match/{id}"),
                &result,
            )
            .await;
        result.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn export_judgments(
        &self,
        request: Request<pb::ExportJudgmentsRequest>,
    ) -> Result<Response<pb::ExportJudgmentsResponse>, Status> {
        Caller::of(&request)?.require(&[], "export judgments")?;
        let tsv = self.store.judgments_tsv().await?;
        let count = i32::try_from(tsv.lines().count().saturating_sub(1)).unwrap_or(i32::MAX);
        Ok(Response::new(pb::ExportJudgmentsResponse { tsv, count }))
    }

    type WatchAlertsStream = AlertStream;

    #[tracing::instrument(skip_all)]
    async fn list_alerts(
        &self,
        request: Request<pb::ListAlertsRequest>,
    ) -> Result<Response<pb::ListAlertsResponse>, Status> {
        let caller = Caller::of(&request)?;
        caller.require(&[Role::Adviser, Role::Firm], "read alerts")?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        if !(0..=100).contains(&request.page_size) {
            violations.add("page_size", "must be between 0 and 100");
        }
        if request.before_seq < 0 {
            violations.add("before_seq", "must not be negative");
        }
        // Numbers come from this store: one past the newest names no alert yet.
        let last_seq = self.store.last_alert_seq().await?;
        if !(0..=last_seq).contains(&request.after_seq) {
            violations.add(
                "after_seq",
                format!("must be between 0 and the newest alert, {last_seq}"),
            );
        }
        violations.into_result().map_err(MatchError::from)?;
        let page_size = match usize::try_from(request.page_size) {
            Ok(0) | Err(_) => DEFAULT_ALERT_PAGE,
            Ok(size) => size,
        };
        let inbox = self.inbox_of(&caller).await?;
        let mut regions = HashMap::new();
        let summary = self.inbox_summary(&caller, &inbox, &mut regions).await?;
        let after_seq = if request.unread_only {
            request.after_seq.max(inbox.state.read_through_seq)
        } else {
            request.after_seq
        };
        let mut alerts = Vec::new();
        let mut next_before_seq = 0;
        let mut before = if request.before_seq == 0 {
            summary.last_seq + 1
        } else {
            request.before_seq
        };
        'page: loop {
            let rows = self
                .store
                .inbox_alerts(InboxScan {
                    before_seq: before,
                    after_seq,
                    min_score: inbox.state.min_score,
                    company_id: own_company(&caller),
                    limit: INBOX_SCAN,
                })
                .await?;
            for row in &rows {
                before = row.seq;
                let read = inbox.is_read(row);
                if (request.unread_only && read)
                    || !self
                        .leads
                        .sees_company(&caller, &row.company_id, &mut regions)
                        .await?
                {
                    continue;
                }
                if alerts.len() == page_size {
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
        Ok(Response::new(pb::ListAlertsResponse {
            alerts,
            inbox: Some(summary),
            next_before_seq,
        }))
    }

    async fn mark_alerts_read(
        &self,
        request: Request<pb::MarkAlertsReadRequest>,
    ) -> Result<Response<pb::AlertInbox>, Status> {
        let caller = Caller::of(&request)?;
        caller.require(&[Role::Adviser, Role::Firm], "mark alerts read")?;
        let request = request.into_inner();
        let last_seq = self.store.last_alert_seq().await?;
        let mut violations = FieldViolations::new();
        if request.seqs.len() > MAX_MARKED {
            violations.add("seqs", format!("must hold at most {MAX_MARKED} alerts"));
        }
        if let Some((i, _)) = request
            .seqs
            .iter()
            .enumerate()
            .find(|(_, seq)| !(1..=last_seq).contains(*seq))
        {
            violations.add(
                format!("seqs[{i}]"),
                format!("no such alert (alerts are numbered 1 to {last_seq})"),
            );
        }
        if !(0..=last_seq).contains(&request.through_seq) {
            violations.add(
                "through_seq",
                format!("must be between 0 and the newest alert, {last_seq}"),
            );
        }
        violations.into_result().map_err(MatchError::from)?;
        let write = self
            .store
            .mark_alerts_read(&caller.key_id, &request.seqs, request.through_seq);
        self.inbox_write(&caller, "MarkAlertsRead", write).await
    }

    async fn update_alert_inbox(
        &self,
        request: Request<pb::UpdateAlertInboxRequest>,
    ) -> Result<Response<pb::AlertInbox>, Status> {
        let caller = Caller::of(&request)?;
        caller.require(&[Role::Adviser, Role::Firm], "set an alert threshold")?;
        let request = request.into_inner();
        if !(0.0..=1.0).contains(&request.min_score) {
            return Err(Status::from(MatchError::from(InvalidInput::single(
                "min_score",
                "must be between 0 and 1",
            ))));
        }
        let write = self
            .store
            .set_inbox_min_score(&caller.key_id, request.min_score);
        self.inbox_write(&caller, "UpdateAlertInbox", write).await
    }

    async fn watch_alerts(
        &self,
        request: Request<pb::WatchAlertsRequest>,
    ) -> Result<Response<Self::WatchAlertsStream>, Status> {
        let caller = Caller::of(&request)?;
        caller.require(&[Role::Adviser, Role::Firm], "watch alerts")?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        if !(0.0..=1.0).contains(&request.min_score) {
            violations.add("min_score", "must be between 0 and 1");
        }
        if request.since_seq < 0 {
            violations.add("since_seq", "must not be negative");
        }
        violations.into_result().map_err(MatchError::from)?;
        let store = self.store.clone();
        let shutdown = self.shutdown.clone();
        let mut cursor = if request.since_seq == 0 {
            store.last_alert_seq().await?
        } else {
            request.since_seq
        };
        let companies: std::collections::HashSet<String> = request
            .company_ids
            .iter()
            .map(|id| id.trim().to_owned())
            .collect();
        // A filter naming a company outside the caller's scope answers as every other
        // RPC does for it (`NotFound`), before any stream opens.
        let mut seen = HashMap::new();
        for id in &companies {
            if !self.leads.sees_company(&caller, id, &mut seen).await? {
                return Err(MatchError::NotFound {
                    entity: "company",
                    id: id.clone(),
                }
                .into());
            }
        }
        let (sender, receiver) = tokio::sync::mpsc::channel(64);
        let api = self.clone();
        tokio::spawn(async move {
            let mut alerted = store.subscribe_alerts();
            let mut regions = HashMap::new();
            loop {
                let batch = match store.alerts_after(cursor, 256).await {
                    Ok(batch) => batch,
                    Err(error) => {
                        let _closed = sender.send(Err(Status::from(error))).await;
                        return;
                    }
                };
                let caught_up = batch.len() < 256;
                for alert in batch {
                    cursor = alert.seq;
                    if alert.score < request.min_score
                        || (!companies.is_empty() && !companies.contains(&alert.company_id))
                    {
                        continue;
                    }
                    match api
                        .leads
                        .sees_company(&caller, &alert.company_id, &mut regions)
                        .await
                    {
                        Ok(true) => {}
                        Ok(false) => continue,
                        Err(error) => {
                            let _closed = sender.send(Err(Status::from(error))).await;
                            return;
                        }
                    }
                    let found = match store.get(&alert.match_id).await {
                        Ok(Some(mut found)) => {
                            found.alert_seq = alert.seq;
                            Ok(found)
                        }
                        Ok(None) => continue, // withdrawn since: nothing to call about
                        Err(error) => Err(Status::from(error)),
                    };
                    if sender.send(found).await.is_err() {
                        return;
                    }
                }
                if caught_up {
                    tokio::select! {
                        () = shutdown.cancelled() => return,
                        () = sender.closed() => return,
                        _ = alerted.changed() => {}
                        () = tokio::time::sleep(ALERT_POLL) => {}
                    }
                }
            }
        });
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(receiver),
        )))
    }
}
