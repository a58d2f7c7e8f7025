//! Joint-bid proposals for a tender (`ProposeConsortia`): the firms the matcher ranks
//! for it, as far as the caller may see them, grouped by `pyred-consortium`
//! (docs/consortia.md).

use pyred_access::{Caller, CompanyView, Role, is_public_status};
use pyred_consortium::{Candidate, ConsortiumError, Options, TenderProfile};
use pyred_domain::Day;
use pyred_proto::v1 as pb;
use pyred_runtime::error::{FieldViolations, InvalidInput, id_problem};

use super::error::BrokerError;
use crate::error::MatchError;
use crate::leads::Leads;

/// Firms ranked for a tender and handed to the builder.
const CANDIDATES: usize = 200;
/// Most proposals asked for.
const MAX_LIMIT: i32 = 20;

/// Consortium proposals over the registry's firms.
#[derive(Debug, Clone)]
pub struct Consortia {
    leads: Leads,
}

impl Consortia {
    /// Proposals from the firms `leads` ranks for a tender.
    pub fn new(leads: Leads) -> Self {
        Self { leads }
    }

    /// The best groups for the tender asked, among the firms the caller may see (an
    /// adviser: the firms of their territory and public profiles).
    pub async fn propose(
        &self,
        caller: &Caller,
        request: &pb::ProposeConsortiaRequest,
    ) -> Result<pb::ProposeConsortiaResponse, BrokerError> {
        if !matches!(caller.role, Role::Admin | Role::Adviser | Role::Service) {
            return Err(BrokerError::Denied(format!(
                "a {} key may not ask for joint bids: advisers do",
                caller.role.as_str()
            )));
        }
        let mut violations = FieldViolations::new();
        let opportunity_id = request.opportunity_id.trim().to_owned();
        if let Some(problem) = id_problem(&opportunity_id) {
            violations.add("opportunity_id", problem);
        }
        if !(0..=MAX_LIMIT).contains(&request.limit) {
            violations.add("limit", "must be between 0 and 20");
        }
        let anchor_id = violations.optional_id("anchor_company_id", &request.anchor_company_id);
        let anchor = anchor_id.as_str();
        let lot_id = violations.optional_id("lot_id", &request.lot_id);
        let lot = lot_id.as_str();
        let as_of = match request.as_of.as_ref() {
            None => Day::today(),
            Some(date) => Day::try_from(date).unwrap_or_else(|_| {
                violations.add("as_of", "is not a valid date");
                Day::today()
            }),
        };
        violations.into_result()?;
        let not_found = || BrokerError::NotFound {
            entity: "opportunity",
            id: opportunity_id.clone(),
        };
        let tender = match self.leads.opportunity(&opportunity_id).await {
            Ok(found) if is_public_status(found.status) => found,
            Ok(_) | Err(MatchError::NotFound { .. }) => return Err(not_found()),
            Err(error) => return Err(error.into()),
        };
        if tender.kind != pb::OpportunityKind::Tender as i32 {
            return Err(BrokerError::Precondition(
                "joint bids are proposed for tenders only".to_owned(),
            ));
        }
        let anchor = (!anchor.is_empty()).then_some(anchor);
        let ranked = self
            .leads
            .ranked_firms(&tender, as_of, CANDIDATES, anchor)
            .await
            .map_err(|error| match error {
                MatchError::NotFound { .. } => {
                    InvalidInput::single("anchor_company_id", "no such company").into()
                }
                other => BrokerError::from(other),
            })?;
        let visible: Vec<_> = ranked
            .iter()
            .filter(|firm| caller.view_of_company(&firm.company) != CompanyView::Hidden)
            .collect();
        if let Some(anchor) = anchor
            && !visible.iter().any(|firm| {
                firm.company.id == anchor && caller.sees_company(anchor, &firm.company.region)
            })
        {
            return Err(InvalidInput::single(
                "anchor_company_id",
                "must be a firm of your territory",
            )
            .into());
        }
        let candidates: Vec<Candidate<'_>> = visible
            .iter()
            .map(|firm| Candidate {
                company: &firm.company,
                profile: &firm.profile,
                fit: firm.fit,
            })
            .collect();
        let matcher = self.leads.matcher();
        let profile = TenderProfile::new(matcher, &tender).map_err(consortium_error)?;
        let options = Options {
            anchor: anchor.map(str::to_owned),
            limit: usize::try_from(request.limit).unwrap_or(0),
            lot: (!lot.is_empty()).then(|| lot.to_owned()),
        };
        let proposals = pyred_consortium::propose(matcher, &profile, &candidates, &options)
            .map_err(consortium_error)?;
        Ok(pyred_consortium::to_pb::response(&proposals))
    }
}

fn consortium_error(error: ConsortiumError) -> BrokerError {
    match error {
        ConsortiumError::UnknownLot { .. } => {
            InvalidInput::single("lot_id", "is not a lot of this tender").into()
        }
        ConsortiumError::UnknownAnchor(_) => {
            InvalidInput::single("anchor_company_id", "is not a candidate for this tender").into()
        }
        other => BrokerError::Corrupt(other.to_string()),
    }
}
