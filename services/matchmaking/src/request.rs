//! Matchmaking's requests read into what the services take: every field checked at once,
//! each bad one named in the `InvalidArgument` the caller gets, nothing half-read.

use std::collections::HashSet;

use pyred_domain::Day;
use pyred_proto::v1 as pb;
use pyred_runtime::error::{FieldViolations, InvalidInput};

use crate::store::Status;

/// Longest note or dismissal reason, in characters.
pub const MAX_TEXT: usize = 4000;
/// Default page of lead lists: the ten best.
pub const DEFAULT_PAGE: usize = 10;
/// Largest page.
pub const MAX_PAGE: usize = 100;
/// Alerts per page of ListAlerts when the caller does not say.
pub const DEFAULT_ALERT_PAGE: usize = 20;

/// A page of a list: where it starts and how many items it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Items skipped (tokens are offsets).
    pub offset: usize,
    /// Items at most.
    pub limit: usize,
}

impl Page {
    /// The token of the page after this one, empty when `more` is false (the last page).
    pub fn next_token(self, more: bool) -> String {
        next_token(more, self.offset + self.limit)
    }
}

/// An identifier given: trimmed, required, within the one bound of ids
/// ([`pyred_runtime::error::id_problem`]).
pub fn required(field: &'static str, value: &str) -> Result<String, InvalidInput> {
    let value = value.trim();
    match pyred_runtime::error::id_problem(value) {
        Some(problem) => Err(InvalidInput::single(field, problem)),
        None => Ok(value.to_owned()),
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
fn statuses(violations: &mut FieldViolations, given: &[i32]) -> Vec<Status> {
    if given.is_empty() {
        return vec![
            Status::Proposed,
            Status::Shortlisted,
            Status::Contacted,
            Status::Meeting,
            Status::Won,
            Status::Lost,
        ];
    }
    let mut out = Vec::new();
    for (i, status) in given.iter().enumerate() {
        match pb::MatchStatus::try_from(*status)
            .ok()
            .and_then(Status::from_pb)
        {
            Some(status) => out.push(status),
            None => violations.add(format!("statuses[{i}]"), "unknown status"),
        }
    }
    out
}

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

fn lead_page(violations: &mut FieldViolations, given: Option<&pb::PageRequest>) -> Page {
    let (offset, limit) = page(violations, given, DEFAULT_PAGE);
    Page { offset, limit }
}

/// `ListCompanyMatches`: a firm's leads.
#[derive(Debug, Clone)]
pub struct CompanyLeads {
    /// The firm.
    pub company_id: String,
    /// The day the ranking is computed for.
    pub as_of: Day,
    /// The workflow statuses kept.
    pub statuses: Vec<Status>,
    /// The page asked for.
    pub page: Page,
}

impl TryFrom<&pb::ListCompanyMatchesRequest> for CompanyLeads {
    type Error = InvalidInput;

    fn try_from(request: &pb::ListCompanyMatchesRequest) -> Result<Self, Self::Error> {
        let mut violations = FieldViolations::new();
        let company_id = required_into(&mut violations, "company_id", &request.company_id);
        let as_of = as_of(&mut violations, request.as_of.as_ref());
        let statuses = statuses(&mut violations, &request.statuses);
        let page = lead_page(&mut violations, request.page.as_ref());
        violations.into_result()?;
        let company_id =
            company_id.ok_or_else(|| InvalidInput::single("company_id", "is required"))?;
        Ok(Self {
            company_id,
            as_of,
            statuses,
            page,
        })
    }
}

/// `ListOpportunityMatches`: the firms to call about a listing.
#[derive(Debug, Clone)]
pub struct ListingFirms {
    /// The listing.
    pub opportunity_id: String,
    /// Only firms of these regions (ISO 3166-2), when any.
    pub regions: Vec<String>,
    /// The workflow statuses kept.
    pub statuses: Vec<Status>,
    /// The page asked for.
    pub page: Page,
}

impl TryFrom<&pb::ListOpportunityMatchesRequest> for ListingFirms {
    type Error = InvalidInput;

    fn try_from(request: &pb::ListOpportunityMatchesRequest) -> Result<Self, Self::Error> {
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
        let page = lead_page(&mut violations, request.page.as_ref());
        violations.into_result()?;
        let opportunity_id =
            opportunity_id.ok_or_else(|| InvalidInput::single("opportunity_id", "is required"))?;
        Ok(Self {
            opportunity_id,
            regions,
            statuses,
            page,
        })
    }
}

/// `UpdateMatchStatus`: a lead moved through the workflow.
#[derive(Debug, Clone)]
pub struct StatusMove {
    /// The lead.
    pub id: String,
    /// Where it goes.
    pub next: Status,
    /// Why it is dismissed (required then), trimmed.
    pub reason: String,
    /// The version the caller read (0: no check).
    pub expected_version: i64,
}

impl TryFrom<&pb::UpdateMatchStatusRequest> for StatusMove {
    type Error = InvalidInput;

    fn try_from(request: &pb::UpdateMatchStatusRequest) -> Result<Self, Self::Error> {
        let mut violations = FieldViolations::new();
        let id = required_into(&mut violations, "id", &request.id);
        let next = pb::MatchStatus::try_from(request.status)
            .ok()
            .and_then(Status::from_pb);
        if next.is_none() {
            violations.add(
                "status",
                "is required: shortlisted, contacted, meeting, won, lost or dismissed",
            );
        }
        let reason = request.dismiss_reason.trim().to_owned();
        if next == Some(Status::Dismissed) && reason.is_empty() {
            violations.add("dismiss_reason", "is required to dismiss a lead");
        }
        if reason.chars().count() > MAX_TEXT {
            violations.add(
                "dismiss_reason",
                format!("must be at most {MAX_TEXT} characters"),
            );
        }
        violations.into_result()?;
        let (Some(id), Some(next)) = (id, next) else {
            return Err(InvalidInput::single("status", "is required"));
        };
        Ok(Self {
            id,
            next,
            reason,
            expected_version: request.expected_version,
        })
    }
}

/// `AddMatchNote`: a note on a lead.
#[derive(Debug, Clone)]
pub struct Note {
    /// The lead.
    pub id: String,
    /// The note, trimmed.
    pub text: String,
}

impl TryFrom<&pb::AddMatchNoteRequest> for Note {
    type Error = InvalidInput;

    fn try_from(request: &pb::AddMatchNoteRequest) -> Result<Self, Self::Error> {
        let mut violations = FieldViolations::new();
        let id = required_into(&mut violations, "id", &request.id);
        let text = request.text.trim();
        if text.is_empty() {
            violations.add("text", "is required");
        } else if text.chars().count() > MAX_TEXT {
            violations.add("text", format!("must be at most {MAX_TEXT} characters"));
        }
        violations.into_result()?;
        let id = id.ok_or_else(|| InvalidInput::single("id", "is required"))?;
        Ok(Self {
            id,
            text: text.to_owned(),
        })
    }
}

/// `ListAlerts`, its numbers checked against the newest alert (`last_seq`).
#[derive(Debug, Clone, Copy)]
pub struct AlertPage {
    /// Only alerts not read yet.
    pub unread_only: bool,
    /// Alerts at most.
    pub page_size: usize,
    /// Only alerts older than this number (0: from the newest).
    pub before_seq: i64,
    /// Only alerts newer than this number.
    pub after_seq: i64,
}

impl AlertPage {
    /// Reads `request`; `last_seq` is the newest alert's number (one past it names no
    /// alert yet).
    pub fn read(request: &pb::ListAlertsRequest, last_seq: i64) -> Result<Self, InvalidInput> {
        let mut violations = FieldViolations::new();
        if !(0..=100).contains(&request.page_size) {
            violations.add("page_size", "must be between 0 and 100");
        }
        if request.before_seq < 0 {
            violations.add("before_seq", "must not be negative");
        }
        if !(0..=last_seq).contains(&request.after_seq) {
            violations.add(
                "after_seq",
                format!("must be between 0 and the newest alert, {last_seq}"),
            );
        }
        violations.into_result()?;
        let page_size = match usize::try_from(request.page_size) {
            Ok(0) | Err(_) => DEFAULT_ALERT_PAGE,
            Ok(size) => size,
        };
        Ok(Self {
            unread_only: request.unread_only,
            page_size,
            before_seq: request.before_seq,
            after_seq: request.after_seq,
        })
    }
}

/// `MarkAlertsRead`, checked against the newest alert's number.
pub fn read_marks(
    request: &pb::MarkAlertsReadRequest,
    last_seq: i64,
    max_marked: usize,
) -> Result<(), InvalidInput> {
    let mut violations = FieldViolations::new();
    if request.seqs.len() > max_marked {
        violations.add("seqs", format!("must hold at most {max_marked} alerts"));
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
    violations.into_result()
}

/// An alert threshold, between 0 and 1.
pub fn threshold(field: &'static str, min_score: f64) -> Result<f64, InvalidInput> {
    if (0.0..=1.0).contains(&min_score) {
        Ok(min_score)
    } else {
        Err(InvalidInput::single(field, "must be between 0 and 1"))
    }
}

/// `WatchAlerts`: a live stream of new alerts.
#[derive(Debug, Clone)]
pub struct AlertWatch {
    /// Alerts scoring at least this.
    pub min_score: f64,
    /// Alerts after this number (0: from now).
    pub since_seq: i64,
    /// Only these firms' alerts, when any.
    pub companies: HashSet<String>,
}

impl TryFrom<&pb::WatchAlertsRequest> for AlertWatch {
    type Error = InvalidInput;

    fn try_from(request: &pb::WatchAlertsRequest) -> Result<Self, Self::Error> {
        let mut violations = FieldViolations::new();
        if let Err(invalid) = threshold("min_score", request.min_score) {
            for violation in invalid.violations {
                violations.add(violation.field, violation.description);
            }
        }
        if request.since_seq < 0 {
            violations.add("since_seq", "must not be negative");
        }
        violations.into_result()?;
        Ok(Self {
            min_score: request.min_score,
            since_seq: request.since_seq,
            companies: request
                .company_ids
                .iter()
                .map(|id| id.trim().to_owned())
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_names(error: InvalidInput) -> Vec<String> {
        error.violations.into_iter().map(|v| v.field).collect()
    }

    #[test]
    fn every_bad_field_of_a_lead_list_is_named_at_once() {
        let request = pb::ListCompanyMatchesRequest {
            company_id: " ".into(),
            as_of: Some(pb::Date {
                year: 2026,
                month: 2,
                day: 30,
            }),
            statuses: vec![99],
            page: Some(pb::PageRequest {
                page_size: -1,
                page_token: "zz".into(),
            }),
        };
        let error = CompanyLeads::try_from(&request).expect_err("refused");
        assert_eq!(
            field_names(error),
            [
                "company_id",
                "as_of",
                "statuses[0]",
                "page.page_size",
                "page.page_token"
            ]
        );
    }

    #[test]
    fn ids_are_bounded_in_bytes_and_pages_by_the_largest() {
        let long = "é".repeat(65); // 65 characters, 130 bytes
        let error = required("id", &long).expect_err("too long");
        assert_eq!(error.violations[0].description, "must be at most 128 bytes");
        let leads = CompanyLeads::try_from(&pb::ListCompanyMatchesRequest {
            company_id: " c1 ".into(),
            page: Some(pb::PageRequest {
                page_size: 1000,
                page_token: next_token(true, 20),
            }),
            ..Default::default()
        })
        .expect("valid");
        assert_eq!(leads.company_id, "c1");
        assert_eq!(
            leads.page,
            Page {
                offset: 20,
                limit: MAX_PAGE
            }
        );
        assert_eq!(leads.page.next_token(false), "");
        assert_eq!(leads.page.next_token(true), format!("{:x}", 20 + MAX_PAGE));
        assert!(!leads.statuses.contains(&Status::Dismissed));
    }

    #[test]
    fn a_dismissal_needs_its_reason_and_alert_numbers_their_range() {
        let error = StatusMove::try_from(&pb::UpdateMatchStatusRequest {
            id: "m1".into(),
            status: pb::MatchStatus::Dismissed as i32,
            ..Default::default()
        })
        .expect_err("no reason");
        assert_eq!(field_names(error), ["dismiss_reason"]);
        let error = AlertPage::read(
            &pb::ListAlertsRequest {
                page_size: 101,
                after_seq: 8,
                ..Default::default()
            },
            7,
        )
        .expect_err("out of range");
        assert_eq!(field_names(error), ["page_size", "after_seq"]);
        assert!(threshold("min_score", 1.5).is_err());
        assert_eq!(threshold("min_score", 0.5).ok(), Some(0.5));
    }
}
