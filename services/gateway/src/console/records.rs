//! What several pages read from the services with the adviser's key: the firms they
//! follow, a firm's leads, the published listings the map shows.

use pyred_proto::v1 as pb;

use super::Console;
use crate::AppState;
use crate::error::ApiError;
use crate::session::Session;
use crate::upstream::{Bearer, KeyRole};

/// Every company the key can list (at most 2,000).
async fn all_companies(state: &AppState, key: &Bearer) -> Result<Vec<pb::Company>, ApiError> {
    let mut companies = Vec::new();
    let mut token = String::new();
    loop {
        let response = state
            .upstream
            .registry()
            .list_companies(key.request(pb::ListCompaniesRequest {
                page: Some(pb::PageRequest {
                    page_size: 100,
                    page_token: token,
                }),
                ..Default::default()
            }))
            .await?
            .into_inner();
        companies.extend(response.companies);
        if response.next_page_token.is_empty() || companies.len() >= 2000 {
            return Ok(companies);
        }
        token = response.next_page_token;
    }
}

/// The firms an adviser follows: every listed firm of the territory (all for admins).
pub async fn my_firms(state: &AppState, session: &Session) -> Result<Vec<pb::Company>, ApiError> {
    let mut companies = all_companies(state, &session.bearer).await?;
    if session.role == KeyRole::Adviser {
        companies.retain(|company| {
            pyred_domain::region::territory_covers(&session.territory, &company.region)
        });
    }
    companies.sort_by_key(|company| company.name.to_lowercase());
    Ok(companies)
}

/// A firm's leads in `statuses` (any when empty), best first, at most `page_size`.
pub(crate) async fn leads_of(
    state: &AppState,
    key: &Bearer,
    company_id: &str,
    statuses: &[pb::MatchStatus],
    page_size: i32,
) -> Result<Vec<pb::Match>, ApiError> {
    Ok(state
        .upstream
        .matchmaking()
        .list_company_matches(key.request(pb::ListCompanyMatchesRequest {
            company_id: company_id.to_owned(),
            as_of: None,
            statuses: statuses.iter().map(|s| *s as i32).collect(),
            page: Some(pb::PageRequest {
                page_size,
                page_token: String::new(),
            }),
        }))
        .await?
        .into_inner()
        .matches)
}

/// A firm as the registry has it, for the adviser's key.
pub(crate) async fn company(
    state: &AppState,
    key: &Bearer,
    id: &str,
) -> Result<pb::Company, ApiError> {
    Ok(state
        .upstream
        .registry()
        .get_company(key.request(pb::GetCompanyRequest {
            id: id.to_owned(),
            legal_id: String::new(),
        }))
        .await?
        .into_inner())
}

/// What the map shows: the adviser's own firms and the published listings their key
/// can read (at most about a thousand), exactly as the dashboard and search see them.
pub(crate) async fn map_records(
    state: &AppState,
    console: &Console,
) -> Result<(Vec<pb::Company>, Vec<pb::Opportunity>), ApiError> {
    let firms = my_firms(state, &console.session).await?;
    let mut listings = Vec::new();
    let mut token = String::new();
    loop {
        let response = state
            .upstream
            .registry()
            .list_opportunities(console.key().request(pb::ListOpportunitiesRequest {
                page: Some(pb::PageRequest {
                    page_size: 100,
                    page_token: token,
                }),
                status: pb::OpportunityStatus::Published as i32,
                ..Default::default()
            }))
            .await?
            .into_inner();
        listings.extend(response.opportunities);
        if response.next_page_token.is_empty() || listings.len() >= 1000 {
            break;
        }
        token = response.next_page_token;
    }
    Ok((firms, listings))
}
