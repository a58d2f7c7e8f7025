//! The brokerage rules: who may open, accept, decline, ask, answer, read contacts and
//! move a case, in which status, and what each step writes (decision 0018). The gRPC
//! adapter only translates; every decision is made here.

use std::collections::HashSet;
use std::time::Duration;

use pyred_access::caller::territory_covers;
use pyred_access::{Caller, Role, is_public_status};
use pyred_proto::v1 as pb;
use pyred_runtime::db::now_micros;
use pyred_runtime::error::{FieldViolations, InvalidInput, MAX_ID_BYTES, id_problem};

use super::case::{Answer, CaseStatus, EventKind};
use super::directory::Directory;
use super::error::BrokerError;
use super::store::{CaseChange, CaseFilter, CaseStore, ConsentWrite, NewCase, NewEvent, SYSTEM};
use crate::error::MatchError;
use crate::leads::Leads;
use crate::request::{next_token, page};
use crate::store::{Status as LeadStatus, match_id};

/// Longest note or reason, characters.
pub const MAX_TEXT: usize = 4000;
/// Default page of a case list.
const DEFAULT_PAGE: usize = 20;
/// How often an answer is tried again when another answer changed the case meanwhile.
const ANSWER_ATTEMPTS: usize = 4;

/// Which side of a case an organisation is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    A,
    B,
}

/// What a caller is to a case.
#[derive(Debug, Clone)]
struct Party {
    /// The organisation acting (empty for an admin).
    organisation: String,
    /// Its side; `None` for an admin.
    side: Option<Side>,
}

/// Brokerage: the cases between organisations and the firms' consents.
#[derive(Debug, Clone)]
pub struct Broker {
    cases: CaseStore,
    leads: Leads,
    directory: Directory,
    consent_timeout: Duration,
}

impl Broker {
    /// Cases in `cases`, firms and listings read through `leads`, organisations from
    /// `directory`; a consent not answered within `consent_timeout` expires.
    pub fn new(
        cases: CaseStore,
        leads: Leads,
        directory: Directory,
        consent_timeout: Duration,
    ) -> Self {
        Self {
            cases,
            leads,
            directory,
            consent_timeout,
        }
    }

    /// The case store (for the expiry sweep and the feed follower).
    pub fn cases(&self) -> &CaseStore {
        &self.cases
    }

    /// Opens a case from a lead of a firm of the caller's territory.
    pub async fn open_case(
        &self,
        caller: &Caller,
        request: &pb::OpenCaseRequest,
    ) -> Result<pb::Case, BrokerError> {
        let org_a = self.opening_organisation(caller).await?;
        let mut violations = FieldViolations::new();
        let company_id = required(&mut violations, "company_id", &request.company_id);
        let opportunity_id = required(&mut violations, "opportunity_id", &request.opportunity_id);
        let to = optional_id(&mut violations, "to_organisation", &request.to_organisation);
        let counterpart = optional_id(
            &mut violations,
            "counterpart_company_id",
            &request.counterpart_company_id,
        );
        let note = text(&mut violations, "note", &request.note, false);
        violations.into_result()?;
        let company = self.own_firm(caller, &company_id).await?;
        let opportunity = self.public_listing(&opportunity_id).await?;
        let lead = match_id(&company_id, &opportunity_id);
        match self.leads_store_status(&lead).await? {
            Some(status) if status != LeadStatus::Dismissed => {}
            Some(_) => {
                return Err(BrokerError::Precondition(format!(
                    "the lead of {company_id} on {opportunity_id} was dismissed"
                )));
            }
            None => {
                return Err(BrokerError::Precondition(format!(
                    "{company_id} has no lead on {opportunity_id}: list the firm's leads first"
                )));
            }
        }
        let org_b = self
            .side_b_organisation(&org_a, to.as_deref(), &opportunity)
            .await?;
        let company_b = match counterpart.as_deref() {
            Some(other) => Some(
                self.counterpart(other, &company_id, &org_b, "counterpart_company_id")
                    .await?,
            ),
            None => None,
        };
        let company_b_id = company_b.as_ref().map_or("", |c| c.id.as_str());
        if let Some(open) = self
            .cases
            .open_case_for(&company_id, &opportunity_id, &org_b.id, company_b_id)
            .await?
        {
            return Err(BrokerError::AlreadyOpen(open));
        }
        let new = NewCase {
            id: new_case_id(),
            opportunity_id: opportunity_id.clone(),
            opportunity_title: opportunity.title.clone(),
            match_id: lead,
            side_a: pb::CaseSide {
                organisation: org_a.clone(),
                company_id: company_id.clone(),
                company_name: company.name.clone(),
            },
            side_b: pb::CaseSide {
                organisation: org_b.id.clone(),
                company_id: company_b_id.to_owned(),
                company_name: company_b
                    .as_ref()
                    .map(|c| c.name.clone())
                    .unwrap_or_default(),
            },
            opened_by: caller.key_id.clone(),
            consortium_id: String::new(),
        };
        let opened = event(caller, &org_a, EventKind::Opened, "", note);
        self.cases.open(&new, &[opened], now_micros()).await
    }

    /// Opens one case per member of a consortium followed by another organisation than
    /// the caller's, from the caller's firm (no lead needed: a joint bid is firm to firm).
    pub async fn open_consortium_cases(
        &self,
        caller: &Caller,
        request: &pb::OpenConsortiumCasesRequest,
    ) -> Result<Vec<pb::Case>, BrokerError> {
        let org_a = self.opening_organisation(caller).await?;
        let mut violations = FieldViolations::new();
        let company_id = required(&mut violations, "company_id", &request.company_id);
        let opportunity_id = required(&mut violations, "opportunity_id", &request.opportunity_id);
        let consortium_id = required(&mut violations, "consortium_id", &request.consortium_id);
        let note = text(&mut violations, "note", &request.note, false);
        if request.member_company_ids.is_empty() || request.member_company_ids.len() > 3 {
            violations.add("member_company_ids", "must name one to three other members");
        }
        let mut members = Vec::new();
        let mut seen = HashSet::new();
        for (i, member) in request.member_company_ids.iter().enumerate() {
            let field = format!("member_company_ids[{i}]");
            let member = member.trim();
            if id_problem(member).is_some() {
                violations.add(
                    field,
                    format!("must be a company id of at most {MAX_ID_BYTES} bytes"),
                );
            } else if member == company_id || !seen.insert(member.to_owned()) {
                violations.add(field, "must name each other member once");
            } else {
                members.push(member.to_owned());
            }
        }
        violations.into_result()?;
        let company = self.own_firm(caller, &company_id).await?;
        let opportunity = self.public_listing(&opportunity_id).await?;
        let organisations = self.directory.all().await?;
        let mut plans = Vec::new();
        for (i, member) in members.iter().enumerate() {
            let field = format!("member_company_ids[{i}]");
            let firm = self.company_or_invalid(member, &field).await?;
            let Some(org_b) = organisations
                .iter()
                .find(|o| o.id != org_a && territory_covers(&o.territory, &firm.region))
            else {
                // A member of the caller's own territory needs no hand-off.
                continue;
            };
            plans.push((firm, org_b.clone()));
        }
        let now = now_micros();
        let mut opened = Vec::new();
        for (firm, org_b) in plans {
            if self
                .cases
                .open_case_for(&company_id, &opportunity_id, &org_b.id, &firm.id)
                .await?
                .is_some()
            {
                continue;
            }
            let new = NewCase {
                id: new_case_id(),
                opportunity_id: opportunity_id.clone(),
                opportunity_title: opportunity.title.clone(),
                match_id: String::new(),
                side_a: pb::CaseSide {
                    organisation: org_a.clone(),
                    company_id: company_id.clone(),
                    company_name: company.name.clone(),
                },
                side_b: pb::CaseSide {
                    organisation: org_b.id.clone(),
                    company_id: firm.id.clone(),
                    company_name: firm.name.clone(),
                },
                opened_by: caller.key_id.clone(),
                consortium_id: consortium_id.clone(),
            };
            let first = event(caller, &org_a, EventKind::Opened, "", note.clone());
            opened.push(self.cases.open(&new, &[first], now).await?);
        }
        Ok(opened)
    }

    /// One case, for an adviser of either side or an admin.
    pub async fn case(&self, caller: &Caller, id: &str) -> Result<pb::Case, BrokerError> {
        let id = required_one("id", id)?;
        let (case, _) = self.visible(caller, &id).await?;
        Ok(case)
    }

    /// A page of the cases of the caller's organisation (every case for an admin).
    pub async fn list(
        &self,
        caller: &Caller,
        request: &pb::ListCasesRequest,
    ) -> Result<(Vec<pb::Case>, String), BrokerError> {
        let organisation = match caller.role {
            Role::Admin | Role::Service => String::new(),
            Role::Adviser => self.adviser_organisation(caller)?,
            Role::Firm | Role::Agency => {
                return Err(BrokerError::Denied(format!(
                    "a {} key has no cases: firms answer consent requests (ListMyConsents)",
                    caller.role.as_str()
                )));
            }
        };
        let mut violations = FieldViolations::new();
        let side_a = match request.side.trim() {
            "" => None,
            "a" => Some(true),
            "b" => Some(false),
            _ => {
                violations.add("side", "must be a, b or empty");
                None
            }
        };
        if side_a.is_some() && organisation.is_empty() {
            violations.add("side", "needs an organisation: admins list every case");
        }
        let mut statuses = Vec::new();
        for (i, status) in request.statuses.iter().enumerate() {
            match CaseStatus::from_pb(*status) {
                Some(status) => statuses.push(status),
                None => violations.add(format!("statuses[{i}]"), "unknown status"),
            }
        }
        let company_id = optional_id(&mut violations, "company_id", &request.company_id);
        let (offset, limit) = page(&mut violations, request.page.as_ref(), DEFAULT_PAGE);
        violations.into_result()?;
        self.cases.expire_due(now_micros(), None).await?;
        let filter = CaseFilter {
            organisation,
            side_a,
            statuses,
            company_id: company_id.unwrap_or_default(),
        };
        let (cases, more) = self.cases.list(&filter, offset, limit).await?;
        Ok((cases, next_token(more, offset + limit)))
    }

    /// Side B takes the case, naming its firm.
    pub async fn accept(
        &self,
        caller: &Caller,
        request: &pb::AcceptCaseRequest,
    ) -> Result<pb::Case, BrokerError> {
        let mut violations = FieldViolations::new();
        let id = required(&mut violations, "id", &request.id);
        let given = optional_id(
            &mut violations,
            "counterpart_company_id",
            &request.counterpart_company_id,
        );
        let note = text(&mut violations, "note", &request.note, false);
        violations.into_result()?;
        let (case, party) = self.visible(caller, &id).await?;
        require_side(&party, Side::B, "accept")?;
        expect_status(&case, &[CaseStatus::Proposed], "accepted")?;
        let side_b = case.side_b.clone().unwrap_or_default();
        let side_a = case.side_a.clone().unwrap_or_default();
        let named = match (given.as_deref(), side_b.company_id.as_str()) {
            (None, "") => {
                return Err(InvalidInput::single(
                    "counterpart_company_id",
                    "name the firm of your side",
                )
                .into());
            }
            (Some(given), named) if !named.is_empty() && given != named => {
                return Err(InvalidInput::single(
                    "counterpart_company_id",
                    format!("the case already names {named}"),
                )
                .into());
            }
            (Some(given), "") => {
                let org_b = self.organisation(&side_b.organisation).await?;
                let firm = self
                    .counterpart(given, &side_a.company_id, &org_b, "counterpart_company_id")
                    .await?;
                if caller.role == Role::Adviser && !caller.territory_covers(&firm.region) {
                    return Err(InvalidInput::single(
                        "counterpart_company_id",
                        "is not a firm of your territory",
                    )
                    .into());
                }
                Some((firm.id, firm.name))
            }
            _ => None,
        };
        let change = CaseChange {
            company_b: named,
            ..step(
                caller,
                &party,
                Some(CaseStatus::Accepted),
                EventKind::Accepted,
                note,
            )
        };
        self.apply(&case, request.version, &change).await
    }

    /// Side B turns the case down.
    pub async fn decline(
        &self,
        caller: &Caller,
        request: &pb::DeclineCaseRequest,
    ) -> Result<pb::Case, BrokerError> {
        let mut violations = FieldViolations::new();
        let id = required(&mut violations, "id", &request.id);
        let reason = text(&mut violations, "reason", &request.reason, true);
        violations.into_result()?;
        let (case, party) = self.visible(caller, &id).await?;
        require_side(&party, Side::B, "decline")?;
        expect_status(&case, &[CaseStatus::Proposed], "declined")?;
        let change = step(
            caller,
            &party,
            Some(CaseStatus::Declined),
            EventKind::Declined,
            reason,
        );
        self.apply(&case, request.version, &change).await
    }

    /// Asks both firms for their consent.
    pub async fn ask_consents(
        &self,
        caller: &Caller,
        request: &pb::AskConsentsRequest,
    ) -> Result<pb::Case, BrokerError> {
        let id = required_one("id", &request.id)?;
        let (case, party) = self.visible(caller, &id).await?;
        expect_status(&case, &[CaseStatus::Accepted], "asked for consents")?;
        let now = now_micros();
        let due_at =
            now.saturating_add(i64::try_from(self.consent_timeout.as_micros()).unwrap_or(i64::MAX));
        let consents = firms_of(&case)
            .into_iter()
            .map(|company_id| ConsentWrite::Ask {
                company_id,
                asked_by: caller.key_id.clone(),
                due_at,
            })
            .collect();
        let change = CaseChange {
            consents,
            ..step(
                caller,
                &party,
                Some(CaseStatus::ConsentsAsked),
                EventKind::ConsentsAsked,
                String::new(),
            )
        };
        self.apply(&case, request.version, &change).await
    }

    /// Records a firm's answer, by the firm itself or by the adviser who follows it.
    pub async fn answer_consent(
        &self,
        caller: &Caller,
        request: &pb::AnswerConsentRequest,
    ) -> Result<pb::Case, BrokerError> {
        let mut violations = FieldViolations::new();
        let id = required(&mut violations, "id", &request.id);
        let answer = match pb::ConsentAnswer::try_from(request.answer) {
            Ok(pb::ConsentAnswer::Yes) => Answer::Yes,
            Ok(pb::ConsentAnswer::No) => Answer::No,
            _ => {
                violations.add("answer", "must be YES or NO");
                Answer::Pending
            }
        };
        let company_id = match caller.role {
            Role::Firm if request.company_id.trim().is_empty() => caller.company_id.clone(),
            _ => required(&mut violations, "company_id", &request.company_id),
        };
        violations.into_result()?;
        for _ in 0..ANSWER_ATTEMPTS {
            match self.try_answer(caller, &id, &company_id, answer).await {
                Err(BrokerError::VersionConflict { .. }) => continue,
                done => return done,
            }
        }
        Err(BrokerError::VersionConflict { id })
    }

    async fn try_answer(
        &self,
        caller: &Caller,
        id: &str,
        company_id: &str,
        answer: Answer,
    ) -> Result<pb::Case, BrokerError> {
        let not_found = || BrokerError::NotFound {
            entity: "case",
            id: id.to_owned(),
        };
        let (case, via, organisation) = match caller.role {
            Role::Firm => {
                if caller.company_id != company_id {
                    return Err(not_found());
                }
                let case = self.load(id).await?.ok_or_else(not_found)?;
                if !firms_of(&case).iter().any(|firm| firm == company_id) {
                    return Err(not_found());
                }
                (case, String::new(), String::new())
            }
            Role::Adviser => {
                let (case, party) = self.visible(caller, id).await?;
                if !firms_of(&case).iter().any(|firm| firm == company_id) {
                    return Err(
                        InvalidInput::single("company_id", "is not a firm of this case").into(),
                    );
                }
                let firm = self.leads.company(company_id).await?;
                if !caller.territory_covers(&firm.region) {
                    return Err(BrokerError::Denied(format!(
                        "only an adviser who follows {company_id} may answer for it"
                    )));
                }
                (case, caller.key_id.clone(), party.organisation)
            }
            Role::Admin | Role::Agency | Role::Service => {
                return Err(BrokerError::Denied(
                    "consent is given by the firm or by the adviser who follows it".to_owned(),
                ));
            }
        };
        expect_status(&case, &[CaseStatus::ConsentsAsked], "answered")?;
        let answer_of = |firm: &str| {
            case.consents
                .iter()
                .find(|consent| consent.company_id == firm)
                .map(|consent| consent.answer)
        };
        if answer_of(company_id) != Some(pb::ConsentAnswer::Pending as i32) {
            return Err(BrokerError::Precondition(format!(
                "{company_id} has already answered"
            )));
        }
        let others_agree = firms_of(&case)
            .iter()
            .filter(|firm| *firm != company_id)
            .all(|firm| answer_of(firm) == Some(pb::ConsentAnswer::Yes as i32));
        let kind = if answer == Answer::Yes {
            EventKind::ConsentYes
        } else {
            EventKind::ConsentNo
        };
        let mut events = vec![event(
            caller,
            &organisation,
            kind,
            company_id,
            String::new(),
        )];
        let status = match answer {
            Answer::No => Some(CaseStatus::Refused),
            _ if others_agree => {
                events.push(NewEvent {
                    actor: SYSTEM.to_owned(),
                    actor_organisation: String::new(),
                    kind: EventKind::Introduced,
                    company_id: String::new(),
                    text: String::new(),
                });
                Some(CaseStatus::Introduced)
            }
            _ => None,
        };
        let change = CaseChange {
            status,
            consents: vec![ConsentWrite::Answer {
                company_id: company_id.to_owned(),
                answer,
                by: caller.key_id.clone(),
                via,
            }],
            events,
            lead_actor: caller.key_id.clone(),
            ..CaseChange::default()
        };
        self.cases
            .apply(&case.id, case.version, &change, now_micros())
            .await
    }

    /// The consent requests addressed to the calling firm: never a contact.
    pub async fn my_consents(
        &self,
        caller: &Caller,
        request: &pb::ListMyConsentsRequest,
    ) -> Result<Vec<pb::ConsentRequest>, BrokerError> {
        if caller.role != Role::Firm {
            return Err(BrokerError::Denied(
                "consent requests are listed for a firm key".to_owned(),
            ));
        }
        self.cases.expire_due(now_micros(), None).await?;
        let found = self
            .cases
            .consents_of(&caller.company_id, request.pending_only)
            .await?;
        Ok(found
            .into_iter()
            .map(|(case, consent)| {
                let side_a = case.side_a.clone().unwrap_or_default();
                let side_b = case.side_b.clone().unwrap_or_default();
                let other = if side_a.company_id == caller.company_id {
                    side_b.company_name.clone()
                } else {
                    side_a.company_name.clone()
                };
                pb::ConsentRequest {
                    case_id: case.id,
                    opportunity_id: case.opportunity_id,
                    opportunity_title: case.opportunity_title,
                    other_company_name: other,
                    organisation_a: side_a.organisation,
                    organisation_b: side_b.organisation,
                    consent: Some(consent),
                    status: case.status,
                }
            })
            .collect())
    }

    /// Both firms' contacts, once both consented, for the case's advisers.
    pub async fn contacts(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<pb::CaseContacts, BrokerError> {
        let id = required_one("id", id)?;
        let (case, _) = self.visible(caller, &id).await?;
        let status = CaseStatus::from_pb(case.status)
            .ok_or_else(|| BrokerError::Corrupt(format!("case status {}", case.status)))?;
        let all_yes = case.consents.len() == 2
            && case
                .consents
                .iter()
                .all(|consent| consent.answer == pb::ConsentAnswer::Yes as i32);
        if !status.was_introduced() || !all_yes {
            return Err(BrokerError::Precondition(
                "contacts are shown only once both firms have agreed to the introduction"
                    .to_owned(),
            ));
        }
        let side =
            |side: Option<&pb::CaseSide>| side.map(|s| s.company_id.clone()).unwrap_or_default();
        let a = self.leads.company(&side(case.side_a.as_ref())).await?;
        let b = self.leads.company(&side(case.side_b.as_ref())).await?;
        let contact = |company: pb::Company| pb::CaseContact {
            company_id: company.id,
            company_name: company.name,
            contact: company.contact,
        };
        Ok(pb::CaseContacts {
            side_a: Some(contact(a)),
            side_b: Some(contact(b)),
        })
    }

    /// Moves an open case by hand: meeting, won, lost, dropped.
    pub async fn update_status(
        &self,
        caller: &Caller,
        request: &pb::UpdateCaseStatusRequest,
    ) -> Result<pb::Case, BrokerError> {
        let mut violations = FieldViolations::new();
        let id = required(&mut violations, "id", &request.id);
        let next = match CaseStatus::from_pb(request.status) {
            Some(
                next @ (CaseStatus::Meeting
                | CaseStatus::Won
                | CaseStatus::Lost
                | CaseStatus::Dropped),
            ) => Some(next),
            _ => {
                violations.add("status", "must be MEETING, WON, LOST or DROPPED");
                None
            }
        };
        let reason = text(
            &mut violations,
            "reason",
            &request.reason,
            next == Some(CaseStatus::Dropped),
        );
        violations.into_result()?;
        let Some(next) = next else {
            return Err(
                InvalidInput::single("status", "must be MEETING, WON, LOST or DROPPED").into(),
            );
        };
        let (case, party) = self.visible(caller, &id).await?;
        let current = CaseStatus::from_pb(case.status)
            .ok_or_else(|| BrokerError::Corrupt(format!("case status {}", case.status)))?;
        if !current.may_become(next) {
            return Err(BrokerError::Precondition(format!(
                "a {} case cannot become {}",
                current.as_str(),
                next.as_str()
            )));
        }
        let change = step(caller, &party, Some(next), EventKind::Status, reason);
        self.apply(&case, request.version, &change).await
    }

    /// Adds a note to the timeline.
    pub async fn add_note(
        &self,
        caller: &Caller,
        request: &pb::AddCaseNoteRequest,
    ) -> Result<pb::Case, BrokerError> {
        let mut violations = FieldViolations::new();
        let id = required(&mut violations, "id", &request.id);
        let note = text(&mut violations, "text", &request.text, true);
        violations.into_result()?;
        let (case, party) = self.visible(caller, &id).await?;
        let change = step(caller, &party, None, EventKind::Note, note);
        self.apply(&case, 0, &change).await
    }

    /// Applies `change` at the version the caller read (0: as read now).
    async fn apply(
        &self,
        case: &pb::Case,
        version: i64,
        change: &CaseChange,
    ) -> Result<pb::Case, BrokerError> {
        if version < 0 {
            return Err(InvalidInput::single("version", "must not be negative").into());
        }
        if version != 0 && version != case.version {
            return Err(BrokerError::VersionConflict {
                id: case.id.clone(),
            });
        }
        self.cases
            .apply(&case.id, case.version, change, now_micros())
            .await
    }

    /// The case with any overdue consent expired first.
    async fn load(&self, id: &str) -> Result<Option<pb::Case>, BrokerError> {
        self.cases.expire_due(now_micros(), Some(id)).await?;
        self.cases.get(id).await
    }

    /// The case if the caller is an adviser of one of its organisations (or an admin);
    /// `NotFound` otherwise, so that a case of others is not revealed.
    async fn visible(&self, caller: &Caller, id: &str) -> Result<(pb::Case, Party), BrokerError> {
        let not_found = || BrokerError::NotFound {
            entity: "case",
            id: id.to_owned(),
        };
        let organisation = match caller.role {
            Role::Admin | Role::Service => None,
            Role::Adviser => Some(self.adviser_organisation(caller)?),
            Role::Firm | Role::Agency => return Err(not_found()),
        };
        let case = self.load(id).await?.ok_or_else(not_found)?;
        let Some(organisation) = organisation else {
            return Ok((
                case,
                Party {
                    organisation: String::new(),
                    side: None,
                },
            ));
        };
        let org_of = |side: Option<&pb::CaseSide>| side.map(|s| s.organisation.clone());
        let side = if org_of(case.side_a.as_ref()).as_deref() == Some(organisation.as_str()) {
            Side::A
        } else if org_of(case.side_b.as_ref()).as_deref() == Some(organisation.as_str()) {
            Side::B
        } else {
            return Err(not_found());
        };
        Ok((
            case,
            Party {
                organisation,
                side: Some(side),
            },
        ))
    }

    /// The organisation of an adviser key; brokerage needs one.
    fn adviser_organisation(&self, caller: &Caller) -> Result<String, BrokerError> {
        if caller.organisation.is_empty() {
            return Err(BrokerError::Denied(
                "this adviser key belongs to no organisation: an admin attaches it \
                 (pyred keys create --organisation)"
                    .to_owned(),
            ));
        }
        Ok(caller.organisation.clone())
    }

    /// The organisation a case is opened from: the adviser's, which must exist.
    async fn opening_organisation(&self, caller: &Caller) -> Result<String, BrokerError> {
        if caller.role != Role::Adviser {
            return Err(BrokerError::Denied(format!(
                "a {} key may not open cases: an adviser of the firm's organisation does",
                caller.role.as_str()
            )));
        }
        let organisation = self.adviser_organisation(caller)?;
        self.organisation(&organisation).await?;
        Ok(organisation)
    }

    async fn organisation(&self, id: &str) -> Result<pb::Organisation, BrokerError> {
        self.directory
            .get(id)
            .await?
            .ok_or_else(|| BrokerError::NotFound {
                entity: "organisation",
                id: id.to_owned(),
            })
    }

    /// A firm of the caller's territory; `NotFound` for any other.
    async fn own_firm(&self, caller: &Caller, id: &str) -> Result<pb::Company, BrokerError> {
        let not_found = || BrokerError::NotFound {
            entity: "company",
            id: id.to_owned(),
        };
        let company = match self.leads.company(id).await {
            Ok(company) => company,
            Err(MatchError::NotFound { .. }) => return Err(not_found()),
            Err(error) => return Err(error.into()),
        };
        if caller.territory_covers(&company.region) {
            Ok(company)
        } else {
            Err(not_found())
        }
    }

    /// A listing anyone may read.
    async fn public_listing(&self, id: &str) -> Result<pb::Opportunity, BrokerError> {
        let not_found = || BrokerError::NotFound {
            entity: "opportunity",
            id: id.to_owned(),
        };
        match self.leads.opportunity(id).await {
            Ok(listing) if is_public_status(listing.status) => Ok(listing),
            Ok(_) | Err(MatchError::NotFound { .. }) => Err(not_found()),
            Err(error) => Err(error.into()),
        }
    }

    async fn company_or_invalid(&self, id: &str, field: &str) -> Result<pb::Company, BrokerError> {
        match self.leads.company(id).await {
            Ok(company) => Ok(company),
            Err(MatchError::NotFound { .. }) => {
                Err(InvalidInput::single(field, "no such company").into())
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Side B's firm: it exists, is not side A's, and lies in side B's territory.
    async fn counterpart(
        &self,
        id: &str,
        company_a: &str,
        org_b: &pb::Organisation,
        field: &str,
    ) -> Result<pb::Company, BrokerError> {
        if id == company_a {
            return Err(InvalidInput::single(field, "must be another firm than side A's").into());
        }
        let firm = self.company_or_invalid(id, field).await?;
        if !territory_covers(&org_b.territory, &firm.region) {
            return Err(InvalidInput::single(
                field,
                format!("is not a firm followed by {}", org_b.id),
            )
            .into());
        }
        Ok(firm)
    }

    /// The organisation a case goes to: the one named, or the one that follows the
    /// listing.
    async fn side_b_organisation(
        &self,
        org_a: &str,
        named: Option<&str>,
        opportunity: &pb::Opportunity,
    ) -> Result<pb::Organisation, BrokerError> {
        match named {
            Some(id) if id == org_a => Err(InvalidInput::single(
                "to_organisation",
                "must be another organisation than yours",
            )
            .into()),
            Some(id) => self.directory.get(id).await?.ok_or_else(|| {
                InvalidInput::single("to_organisation", "no such organisation").into()
            }),
            None => self
                .directory
                .following(opportunity, org_a)
                .await?
                .ok_or_else(|| {
                    InvalidInput::single(
                        "to_organisation",
                        "no organisation follows this listing's source or region: name one",
                    )
                    .into()
                }),
        }
    }

    async fn leads_store_status(&self, id: &str) -> Result<Option<LeadStatus>, BrokerError> {
        let found = self.leads.store().get(id).await?;
        Ok(found.and_then(|lead| {
            pb::MatchStatus::try_from(lead.status)
                .ok()
                .and_then(LeadStatus::from_pb)
        }))
    }
}

fn new_case_id() -> String {
    format!("case_{}", uuid::Uuid::new_v4().simple())
}

/// A change of one event by `caller` for `party`, moving the status or not.
fn step(
    caller: &Caller,
    party: &Party,
    status: Option<CaseStatus>,
    kind: EventKind,
    text: String,
) -> CaseChange {
    CaseChange {
        status,
        events: vec![event(caller, &party.organisation, kind, "", text)],
        lead_actor: caller.key_id.clone(),
        ..CaseChange::default()
    }
}

fn event(
    caller: &Caller,
    organisation: &str,
    kind: EventKind,
    company_id: &str,
    text: String,
) -> NewEvent {
    NewEvent {
        actor: caller.key_id.clone(),
        actor_organisation: organisation.to_owned(),
        kind,
        company_id: company_id.to_owned(),
        text,
    }
}

/// The case's firms: side A's, then side B's once named.
fn firms_of(case: &pb::Case) -> Vec<String> {
    [case.side_a.as_ref(), case.side_b.as_ref()]
        .into_iter()
        .flatten()
        .map(|side| side.company_id.clone())
        .filter(|id| !id.is_empty())
        .collect()
}

fn require_side(party: &Party, side: Side, what: &str) -> Result<(), BrokerError> {
    match party.side {
        None => Ok(()),
        Some(found) if found == side => Ok(()),
        Some(_) => Err(BrokerError::Denied(format!(
            "only the organisation the case was proposed to may {what} it"
        ))),
    }
}

fn expect_status(case: &pb::Case, allowed: &[CaseStatus], what: &str) -> Result<(), BrokerError> {
    let current = CaseStatus::from_pb(case.status)
        .ok_or_else(|| BrokerError::Corrupt(format!("case status {}", case.status)))?;
    if allowed.contains(&current) {
        Ok(())
    } else {
        Err(BrokerError::Precondition(format!(
            "a {} case cannot be {what}",
            current.as_str()
        )))
    }
}

fn required_one(field: &'static str, value: &str) -> Result<String, BrokerError> {
    let mut violations = FieldViolations::new();
    let value = required(&mut violations, field, value);
    violations.into_result()?;
    Ok(value)
}

fn required(violations: &mut FieldViolations, field: &str, value: &str) -> String {
    let value = value.trim();
    if let Some(problem) = id_problem(value) {
        violations.add(field, problem);
    }
    value.to_owned()
}

fn optional_id(violations: &mut FieldViolations, field: &str, value: &str) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if let Some(problem) = id_problem(value) {
        violations.add(field, problem);
    }
    Some(value.to_owned())
}

fn text(violations: &mut FieldViolations, field: &str, value: &str, needed: bool) -> String {
    let value = value.trim();
    if needed && value.is_empty() {
        violations.add(field, "must not be empty");
    } else if value.chars().count() > MAX_TEXT {
        violations.add(field, "must be at most 4000 characters");
    }
    value.to_owned()
}
