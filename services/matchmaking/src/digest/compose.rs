//! What goes into one adviser's digest: the new leads of the territory's firms (their
//! unread alerts since the previous digest, at or above the inbox's threshold), the
//! deadlines within N days among the open leads, and the listings withdrawn since the
//! previous digest among the leads the adviser was working on. The same visibility rule
//! as every matchmaking call decides which firms are the adviser's.

use std::collections::HashMap;

use pyred_access::Caller;
use pyred_domain::Day;
use pyred_proto::v1 as pb;

use crate::error::MatchError;
use crate::inbox::{InboxScan, InboxView, window_start};
use crate::leads::Leads;
use crate::store::{Status, Store};

/// New leads shown at most (the rest are counted).
pub const MAX_NEW_LEADS: usize = 10;
/// Deadlines and withdrawals shown at most each.
pub const MAX_ITEMS: usize = 20;
/// Open leads looked at for deadlines and withdrawals, best first.
const LEADS_SCANNED: i64 = 2000;
/// Alert rows read per query.
const SCAN: i64 = 512;

/// The language of what Pyred sends a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    /// French.
    #[default]
    Fr,
    /// Spanish.
    Es,
    /// English.
    En,
}

impl Language {
    /// From a key's language code; anything else is French.
    pub fn parse(code: &str) -> Self {
        match code.trim() {
            "es" => Self::Es,
            "en" => Self::En,
            _ => Self::Fr,
        }
    }

    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Fr => "fr",
            Self::Es => "es",
            Self::En => "en",
        }
    }
}

/// An adviser who receives digests.
#[derive(Debug, Clone, PartialEq)]
pub struct Adviser {
    /// The key's id (the inbox's and the digest's owner).
    pub key_id: String,
    /// The key's label, used as the recipient's name.
    pub name: String,
    /// Where digests go.
    pub email: String,
    /// The digest's language.
    pub language: Language,
    /// Regions of the territory.
    pub territory: Vec<String>,
}

impl Adviser {
    /// The advisers among `keys`: active adviser keys with an e-mail address.
    pub fn from_keys(keys: &[pb::ApiKey]) -> Vec<Self> {
        keys.iter()
            .filter(|key| {
                key.role == pb::Role::Adviser as i32
                    && key.revoked_at.is_none()
                    && !key.email.trim().is_empty()
            })
            .map(|key| Self {
                key_id: key.id.clone(),
                name: key.name.clone(),
                email: key.email.trim().to_owned(),
                language: Language::parse(&key.language),
                territory: key.territory.clone(),
            })
            .collect()
    }

    /// The adviser as a caller, for the visibility rule.
    pub fn caller(&self) -> Caller {
        Caller {
            key_id: self.key_id.clone(),
            name: self.name.clone(),
            role: pyred_access::Role::Adviser,
            territory: self.territory.clone(),
            company_id: String::new(),
            source: String::new(),
            organisation: String::new(),
        }
    }
}

/// A lead whose listing closes soon.
#[derive(Debug, Clone, PartialEq)]
pub struct Deadline {
    /// The lead.
    pub lead: pb::Match,
    /// The listing's deadline.
    pub deadline: Day,
    /// Days from the digest's day to the deadline.
    pub days_left: i64,
}

/// A lead whose listing its publisher withdrew.
#[derive(Debug, Clone, PartialEq)]
pub struct Withdrawn {
    /// The lead.
    pub lead: pb::Match,
    /// The publisher's reason, when given.
    pub reason: String,
}

/// One adviser's digest.
#[derive(Debug, Clone, PartialEq)]
pub struct Digest {
    /// Its recipient.
    pub adviser: Adviser,
    /// The day it is for.
    pub day: Day,
    /// New leads, best first (at most [`MAX_NEW_LEADS`]).
    pub new_leads: Vec<pb::Match>,
    /// New leads beyond those shown.
    pub more_new_leads: usize,
    /// Deadlines within the window, soonest first.
    pub deadlines: Vec<Deadline>,
    /// Withdrawn listings of worked-on leads.
    pub withdrawn: Vec<Withdrawn>,
    /// The newest alert this digest covered: where the next one starts.
    pub through_seq: i64,
}

impl Digest {
    /// Nothing to say: no digest is sent.
    pub fn is_empty(&self) -> bool {
        self.new_leads.is_empty() && self.deadlines.is_empty() && self.withdrawn.is_empty()
    }

    /// Every new lead, shown or counted.
    pub fn new_lead_count(&self) -> usize {
        self.new_leads.len() + self.more_new_leads
    }
}

/// Builds digests from the store and the registry.
#[derive(Debug, Clone)]
pub struct Composer {
    store: Store,
    leads: Leads,
    deadline_days: u32,
}

/// Where a digest starts: after the previous one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Since {
    /// The newest alert the previous digest covered (0: none).
    pub seq: i64,
    /// When the previous digest's period started, microseconds (0: none).
    pub micros: i64,
}

fn day_of(date: Option<&pb::Date>) -> Option<Day> {
    Day::try_from(date?).ok()
}

impl Composer {
    /// A composer listing deadlines within `deadline_days`.
    pub fn new(store: Store, leads: Leads, deadline_days: u32) -> Self {
        Self {
            store,
            leads,
            deadline_days,
        }
    }

    /// The digest of `adviser` for `day`, covering what happened after `since`.
    pub async fn compose(
        &self,
        adviser: &Adviser,
        since: Since,
        day: Day,
    ) -> Result<Digest, MatchError> {
        let caller = adviser.caller();
        let mut regions = HashMap::new();
        let inbox = InboxView::read(&self.store, &adviser.key_id).await?;
        let through_seq = self.store.last_alert_seq().await?;

        // New leads: unread alerts after the previous digest, newest first.
        let mut fresh = Vec::new();
        let mut count = 0_usize;
        let mut before = through_seq + 1;
        loop {
            let rows = self
                .store
                .inbox_alerts(InboxScan {
                    before_seq: before,
                    after_seq: since.seq.max(inbox.state.read_through_seq),
                    min_score: inbox.state.min_score,
                    company_id: None,
                    limit: SCAN,
                })
                .await?;
            for row in &rows {
                before = row.seq;
                if inbox.is_read(row)
                    || !self
                        .leads
                        .sees_company(&caller, &row.company_id, &mut regions)
                        .await?
                {
                    continue;
                }
                count += 1;
                if fresh.len() < 200
                    && let Some(lead) = self.store.get(&row.match_id).await?
                {
                    fresh.push(lead);
                }
            }
            if rows.len() < usize::try_from(SCAN).unwrap_or(usize::MAX) {
                break;
            }
        }
        fresh.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
        let more_new_leads = count.saturating_sub(fresh.len().min(MAX_NEW_LEADS));
        fresh.truncate(MAX_NEW_LEADS);

        // Open and worked-on leads of the adviser's firms, with their listings.
        let open = self
            .store
            .leads_in(
                &[
                    Status::Proposed,
                    Status::Shortlisted,
                    Status::Contacted,
                    Status::Meeting,
                ],
                inbox.state.min_score,
                LEADS_SCANNED,
            )
            .await?;
        let mut mine = Vec::new();
        for lead in open {
            if self
                .leads
                .sees_company(&caller, &lead.company_id, &mut regions)
                .await?
            {
                mine.push(lead);
            }
        }
        let mut ids: Vec<String> = mine.iter().map(|m| m.opportunity_id.clone()).collect();
        ids.sort_unstable();
        ids.dedup();
        let listings = self.leads.opportunities_by_id(&ids).await?;
        let today = day.days_since_epoch();
        let horizon = today + i64::from(self.deadline_days);
        let mut deadlines = Vec::new();
        let mut withdrawn = Vec::new();
        for lead in mine {
            let Some(listing) = listings.get(&lead.opportunity_id) else {
                continue;
            };
            let status = pb::OpportunityStatus::try_from(listing.status).ok();
            let worked = lead.status != pb::MatchStatus::Proposed as i32;
            if status == Some(pb::OpportunityStatus::Withdrawn) {
                let withdrawn_at = listing.updated_at.as_ref().map_or(0, |at| {
                    at.seconds.saturating_mul(1_000_000) + i64::from(at.nanos / 1000)
                });
                if worked && withdrawn_at >= since.micros {
                    withdrawn.push(Withdrawn {
                        reason: listing.withdrawal_reason.clone(),
                        lead,
                    });
                }
                continue;
            }
            if status != Some(pb::OpportunityStatus::Published) {
                continue;
            }
            if let Some(deadline) = day_of(listing.deadline.as_ref()) {
                let at = deadline.days_since_epoch();
                if (today..=horizon).contains(&at) {
                    deadlines.push(Deadline {
                        lead,
                        deadline,
                        days_left: at - today,
                    });
                }
            }
        }
        deadlines.sort_by(|a, b| {
            a.deadline
                .cmp(&b.deadline)
                .then_with(|| b.lead.score.total_cmp(&a.lead.score))
        });
        deadlines.truncate(MAX_ITEMS);
        withdrawn.truncate(MAX_ITEMS);
        Ok(Digest {
            adviser: adviser.clone(),
            day,
            new_leads: fresh,
            more_new_leads,
            deadlines,
            withdrawn,
            through_seq,
        })
    }
}

/// Where an adviser's first digest starts: the inbox's window (a digest never looks
/// further back than the inbox does).
pub fn first_since() -> Since {
    Since {
        seq: 0,
        micros: window_start(),
    }
}
