//! Leads: a firm scored against the listings (or a listing against the firms) with the
//! matching model (`pyred-matching`), the best pairs recorded in the store so that the
//! advisers' workflow attaches to them, and new ones raised as alerts.
//!
//! Candidates come from the registry's lists, which is exact and fast at the scale of a
//! chamber (thousands of records). At the scale of the 1-million-document corpus the
//! candidates should come from geo-search's concept search instead (left for the
//! benchmark issue; see docs/matchmaking.md).

use std::sync::Arc;

use pyred_domain::Day;
use pyred_matching::{CorpusStats, Matcher, Scored};
use pyred_proto::v1::company_registry_client::CompanyRegistryClient;
use pyred_proto::v1::{self as pb};
use pyred_runtime::client::ServiceChannel;

use crate::error::MatchError;
use crate::store::{ScoredPair, Store};

/// Pairs recorded per firm or listing each time it is scored.
pub const RECORDED_PER_PARTY: usize = 50;
/// Registry page size while collecting candidates.
const REGISTRY_PAGE: i32 = 100;

/// Scores and records leads.
#[derive(Clone)]
pub struct Leads {
    matcher: Arc<Matcher>,
    registry: CompanyRegistryClient<ServiceChannel>,
    store: Store,
}

impl std::fmt::Debug for Leads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leads").finish_non_exhaustive()
    }
}

fn upstream(status: tonic::Status) -> MatchError {
    if status.code() == tonic::Code::NotFound {
        MatchError::NotFound {
            entity: "record",
            id: status.message().to_owned(),
        }
    } else {
        MatchError::Upstream {
            service: "company-registry",
            status,
        }
    }
}

fn pair(scored: &Scored, company: &pb::Company, opportunity: &pb::Opportunity) -> ScoredPair {
    ScoredPair {
        company_id: scored.company_id.clone(),
        opportunity_id: scored.opportunity_id.clone(),
        score: scored.score,
        explanation: pb::Match {
            reasons: scored.reasons.iter().map(pb::MatchReason::from).collect(),
            distance_km: scored.breakdown.distance_km,
            opportunity_title: opportunity.title.clone(),
            company_name: company.name.clone(),
            ..Default::default()
        },
    }
}

impl Leads {
    /// Leads over the registry behind `registry`, recorded in `store`.
    pub fn new(matcher: Arc<Matcher>, registry: ServiceChannel, store: Store) -> Self {
        Self {
            matcher,
            registry: CompanyRegistryClient::new(registry),
            store,
        }
    }

    /// Every listing of the registry.
    pub async fn opportunities(&self) -> Result<Vec<pb::Opportunity>, MatchError> {
        let mut registry = self.registry.clone();
        let mut all = Vec::new();
        let mut token = String::new();
        loop {
            let page = registry
                .list_opportunities(pb::ListOpportunitiesRequest {
                    page: Some(pb::PageRequest {
                        page_size: REGISTRY_PAGE,
                        page_token: token,
                    }),
                    ..Default::default()
                })
                .await
                .map_err(upstream)?
                .into_inner();
            all.extend(page.opportunities);
            if page.next_page_token.is_empty() {
                return Ok(all);
            }
            token = page.next_page_token;
        }
    }

    /// Every firm of the registry.
    pub async fn companies(&self) -> Result<Vec<pb::Company>, MatchError> {
        let mut registry = self.registry.clone();
        let mut all = Vec::new();
        let mut token = String::new();
        loop {
            let page = registry
                .list_companies(pb::ListCompaniesRequest {
                    page: Some(pb::PageRequest {
                        page_size: REGISTRY_PAGE,
                        page_token: token,
                    }),
                    ..Default::default()
                })
                .await
                .map_err(upstream)?
                .into_inner();
            all.extend(page.companies);
            if page.next_page_token.is_empty() {
                return Ok(all);
            }
            token = page.next_page_token;
        }
    }

    /// A firm from the registry.
    pub async fn company(&self, id: &str) -> Result<pb::Company, MatchError> {
        let mut registry = self.registry.clone();
        registry
            .get_company(pb::GetCompanyRequest {
                id: id.to_owned(),
                legal_id: String::new(),
            })
            .await
            .map(tonic::Response::into_inner)
            .map_err(|status| match status.code() {
                tonic::Code::NotFound => MatchError::NotFound {
                    entity: "company",
                    id: id.to_owned(),
                },
                _ => upstream(status),
            })
    }

    /// A listing from the registry.
    pub async fn opportunity(&self, id: &str) -> Result<pb::Opportunity, MatchError> {
        let mut registry = self.registry.clone();
        registry
            .get_opportunity(pb::GetOpportunityRequest { id: id.to_owned() })
            .await
            .map(tonic::Response::into_inner)
            .map_err(|status| match status.code() {
                tonic::Code::NotFound => MatchError::NotFound {
                    entity: "opportunity",
                    id: id.to_owned(),
                },
                _ => upstream(status),
            })
    }

    /// Scores `company` against every listing live at `as_of`, records the best, and
    /// returns their match ids, best first.
    pub async fn score_company(
        &self,
        company: &pb::Company,
        as_of: Day,
    ) -> Result<Vec<String>, MatchError> {
        let opportunities = self.opportunities().await?;
        self.score_company_against(company, &opportunities, as_of)
            .await
    }

    /// Scores `company` against `opportunities`, records the best, and returns their
    /// match ids, best first.
    pub async fn score_company_against(
        &self,
        company: &pb::Company,
        opportunities: &[pb::Opportunity],
        as_of: Day,
    ) -> Result<Vec<String>, MatchError> {
        let firm = self.matcher.company(company).map_err(MatchError::Model)?;
        let profiles = opportunities
            .iter()
            .map(|o| self.matcher.opportunity(o))
            .collect::<Result<Vec<_>, _>>()
            .map_err(MatchError::Model)?;
        let stats = CorpusStats::from_profiles(std::slice::from_ref(&firm), &profiles);
        let ranked =
            self.matcher
                .matches_for_company(&firm, &profiles, &stats, as_of, RECORDED_PER_PARTY);
        let by_id: std::collections::HashMap<&str, &pb::Opportunity> =
            opportunities.iter().map(|o| (o.id.as_str(), o)).collect();
        let pairs: Vec<ScoredPair> = ranked
            .iter()
            .filter_map(|scored| {
                by_id
                    .get(scored.opportunity_id.as_str())
                    .map(|opportunity| pair(scored, company, opportunity))
            })
            .collect();
        self.store.record_scores(&pairs).await?;
        Ok(pairs
            .iter()
            .map(|p| crate::store::match_id(&p.company_id, &p.opportunity_id))
            .collect())
    }

    /// Scores `opportunity` against every firm, records the best, and returns their
    /// match ids, best first.
    pub async fn score_opportunity(
        &self,
        opportunity: &pb::Opportunity,
        as_of: Day,
    ) -> Result<Vec<String>, MatchError> {
        let companies = self.companies().await?;
        self.score_opportunity_against(opportunity, &companies, as_of)
            .await
    }

    /// Scores `opportunity` against `companies`, records the best, and returns their
    /// match ids, best first.
    pub async fn score_opportunity_against(
        &self,
        opportunity: &pb::Opportunity,
        companies: &[pb::Company],
        as_of: Day,
    ) -> Result<Vec<String>, MatchError> {
        let listing = self
            .matcher
            .opportunity(opportunity)
            .map_err(MatchError::Model)?;
        let firms = companies
            .iter()
            .map(|c| self.matcher.company(c))
            .collect::<Result<Vec<_>, _>>()
            .map_err(MatchError::Model)?;
        let stats = CorpusStats::from_profiles(&firms, std::slice::from_ref(&listing));
        let ranked = self.matcher.companies_for_opportunity(
            &listing,
            &firms,
            &stats,
            as_of,
            RECORDED_PER_PARTY,
        );
        let by_id: std::collections::HashMap<&str, &pb::Company> =
            companies.iter().map(|c| (c.id.as_str(), c)).collect();
        let pairs: Vec<ScoredPair> = ranked
            .iter()
            .filter_map(|scored| {
                by_id
                    .get(scored.company_id.as_str())
                    .map(|company| pair(scored, company, opportunity))
            })
            .collect();
        self.store.record_scores(&pairs).await?;
        Ok(pairs
            .iter()
            .map(|p| crate::store::match_id(&p.company_id, &p.opportunity_id))
            .collect())
    }

    /// Re-scores the changed firms and listings of one feed batch against the whole
    /// register, reading the register and building each profile once, and records the
    /// results in one transaction.
    pub async fn score_changes(
        &self,
        changed_companies: &[pb::Company],
        changed_opportunities: &[pb::Opportunity],
        as_of: Day,
    ) -> Result<usize, MatchError> {
        if changed_companies.is_empty() && changed_opportunities.is_empty() {
            return Ok(0);
        }
        let companies = self.companies().await?;
        let opportunities = self.opportunities().await?;
        let firm_profiles = companies
            .iter()
            .map(|c| self.matcher.company(c))
            .collect::<Result<Vec<_>, _>>()
            .map_err(MatchError::Model)?;
        let listing_profiles = opportunities
            .iter()
            .map(|o| self.matcher.opportunity(o))
            .collect::<Result<Vec<_>, _>>()
            .map_err(MatchError::Model)?;
        let stats = CorpusStats::from_profiles(&firm_profiles, &listing_profiles);
        let company_at: std::collections::HashMap<&str, usize> = companies
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.as_str(), i))
            .collect();
        let opportunity_at: std::collections::HashMap<&str, usize> = opportunities
            .iter()
            .enumerate()
            .map(|(i, o)| (o.id.as_str(), i))
            .collect();
        let mut pairs = Vec::new();
        for changed in changed_opportunities {
            let Some(&index) = opportunity_at.get(changed.id.as_str()) else {
                continue; // gone since the change: nothing to propose
            };
            let ranked = self.matcher.companies_for_opportunity(
                &listing_profiles[index],
                &firm_profiles,
                &stats,
                as_of,
                RECORDED_PER_PARTY,
            );
            for scored in &ranked {
                if let Some(&firm) = company_at.get(scored.company_id.as_str()) {
                    pairs.push(pair(scored, &companies[firm], &opportunities[index]));
                }
            }
        }
        for changed in changed_companies {
            let Some(&index) = company_at.get(changed.id.as_str()) else {
                continue;
            };
            let ranked = self.matcher.matches_for_company(
                &firm_profiles[index],
                &listing_profiles,
                &stats,
                as_of,
                RECORDED_PER_PARTY,
            );
            for scored in &ranked {
                if let Some(&listing) = opportunity_at.get(scored.opportunity_id.as_str()) {
                    pairs.push(pair(scored, &companies[index], &opportunities[listing]));
                }
            }
        }
        self.store.record_scores(&pairs).await?;
        Ok(pairs.len())
    }
}
