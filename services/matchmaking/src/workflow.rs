//! The leads advisers and firms work, and who may do what with them: a firm's leads, a
//! listing's firms to call, one lead, its moves through the workflow and its notes.
//!
//! An adviser works the leads of the firms of their territory; a firm reads its own;
//! agencies have none; the judgments export is an admin's. A lead of a firm outside the
//! caller's scope answers `NotFound`, like a missing one (`pyred_access` holds the rule).
//! Workflow changes are audited and carry the caller's key as their actor.

use std::collections::HashMap;

use pyred_access::{AuditLog, Caller, Role, is_public_status};
use pyred_domain::Day;
use pyred_proto::v1 as pb;

use crate::error::MatchError;
use crate::leads::Leads;
use crate::request::{CompanyLeads, ListingFirms, Note, Page, StatusMove, required};
use crate::store::{Status, Store};

/// Audited RPCs are recorded under `pyred.v1.Matchmaking/<name>`.
pub(crate) const RPC: &str = "pyred.v1.Matchmaking/";

/// The lead workflow, as every caller reaches it.
#[derive(Debug, Clone)]
pub struct Workflow {
    store: Store,
    leads: Leads,
    audit: AuditLog,
}

impl Workflow {
    /// Leads read from `store`, ranked through `leads`, changes audited into `audit`.
    pub fn new(store: Store, leads: Leads, audit: AuditLog) -> Self {
        Self {
            store,
            leads,
            audit,
        }
    }

    /// The leads of a firm the caller sees (`ListCompanyMatches`).
    pub async fn company_leads(
        &self,
        caller: &Caller,
        request: &pb::ListCompanyMatchesRequest,
    ) -> Result<pb::ListMatchesResponse, MatchError> {
        MatchError::require(caller, &[Role::Adviser, Role::Firm], "read leads")?;
        let query = CompanyLeads::try_from(request)?;
        let company = self.leads.company(&query.company_id).await?;
        if !caller.sees_company(&company.id, &company.region) {
            return Err(MatchError::NotFound {
                entity: "company",
                id: query.company_id,
            });
        }
        let ranked = self.leads.score_company(&company, query.as_of).await?;
        self.page_of(caller, &[], &ranked, &query.statuses, query.page)
            .await
    }

    /// The firms to call about a listing the caller sees (`ListOpportunityMatches`).
    pub async fn listing_firms(
        &self,
        caller: &Caller,
        request: &pb::ListOpportunityMatchesRequest,
    ) -> Result<pb::ListMatchesResponse, MatchError> {
        MatchError::require(caller, &[Role::Adviser], "list the firms of a listing")?;
        let query = ListingFirms::try_from(request)?;
        let opportunity = self.leads.opportunity(&query.opportunity_id).await?;
        if !caller.sees_opportunity(&opportunity.source, is_public_status(opportunity.status)) {
            return Err(MatchError::NotFound {
                entity: "opportunity",
                id: query.opportunity_id,
            });
        }
        let ranked = self
            .leads
            .score_opportunity(&opportunity, Day::today())
            .await?;
        self.page_of(caller, &query.regions, &ranked, &query.statuses, query.page)
            .await
    }

    /// One lead the caller sees (`GetMatch`).
    pub async fn lead(&self, caller: &Caller, id: &str) -> Result<pb::Match, MatchError> {
        MatchError::require(caller, &[Role::Adviser, Role::Firm], "read leads")?;
        let id = required("id", id)?;
        self.visible(caller, &id).await
    }

    /// A lead moved through the workflow (`UpdateMatchStatus`), audited.
    pub async fn move_lead(
        &self,
        caller: &Caller,
        request: &pb::UpdateMatchStatusRequest,
    ) -> Result<pb::Match, MatchError> {
        MatchError::require(caller, &[Role::Adviser], "move leads through the workflow")?;
        let change = StatusMove::try_from(request)?;
        let result = async {
            self.visible(caller, &change.id).await?;
            self.store
                .change_status(
                    &change.id,
                    change.next,
                    &change.reason,
                    &caller.actor(),
                    change.expected_version,
                )
                .await
        }
        .await;
        self.audited(caller, "UpdateMatchStatus", &change.id, result)
            .await
    }

    /// A note on a lead (`AddMatchNote`), audited.
    pub async fn add_note(
        &self,
        caller: &Caller,
        request: &pb::AddMatchNoteRequest,
    ) -> Result<pb::Match, MatchError> {
        MatchError::require(caller, &[Role::Adviser], "write notes on leads")?;
        let note = Note::try_from(request)?;
        let result = async {
            self.visible(caller, &note.id).await?;
            self.store
                .add_note(&note.id, &caller.actor(), &note.text)
                .await
        }
        .await;
        self.audited(caller, "AddMatchNote", &note.id, result).await
    }

    /// The advisers' judgments as TSV (`ExportJudgments`), for an admin.
    pub async fn judgments(
        &self,
        caller: &Caller,
    ) -> Result<pb::ExportJudgmentsResponse, MatchError> {
        MatchError::require(caller, &[], "export judgments")?;
        let tsv = self.store.judgments_tsv().await?;
        let count = i32::try_from(tsv.lines().count().saturating_sub(1)).unwrap_or(i32::MAX);
        Ok(pb::ExportJudgmentsResponse { tsv, count })
    }

    /// Records `result` of `rpc` on lead `id` in the audit log, and hands it on.
    async fn audited(
        &self,
        caller: &Caller,
        rpc: &str,
        id: &str,
        result: Result<pb::Match, MatchError>,
    ) -> Result<pb::Match, MatchError> {
        let outcome = result
            .as_ref()
            .map(|_| ())
            .map_err(|error| tonic::Status::new(error.code(), ""));
        self.audit
            .record(
                caller,
                &format!("{RPC}{rpc}"),
                &format!("match/{id}"),
                &outcome,
            )
            .await;
        result
    }

    /// The lead `id` if `caller` may see it; `NotFound` otherwise.
    async fn visible(&self, caller: &Caller, id: &str) -> Result<pb::Match, MatchError> {
        let not_found = || MatchError::NotFound {
            entity: "match",
            id: id.to_owned(),
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
    /// workflow state, keeping only the statuses asked for and, when `regions_wanted`
    /// names any, the firms of those regions: the ranking decides what is live and
    /// relevant on the evaluation day, the store what the advisers did with it.
    async fn page_of(
        &self,
        caller: &Caller,
        regions_wanted: &[String],
        ranked: &[String],
        statuses: &[Status],
        page: Page,
    ) -> Result<pb::ListMatchesResponse, MatchError> {
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
        let more = kept.len() > page.offset + page.limit;
        Ok(pb::ListMatchesResponse {
            matches: kept
                .into_iter()
                .skip(page.offset)
                .take(page.limit)
                .collect(),
            next_page_token: page.next_token(more),
        })
    }
}
