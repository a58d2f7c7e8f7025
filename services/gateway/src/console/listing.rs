//! A listing's page: what it offers or asks (a tender's buyer, procedure, lots and
//! official notice link), its key terms in French and Spanish, the firms it suits and
//! the joint bids proposed for it.

use std::collections::BTreeSet;

use axum::extract::{Path, State};
use axum::response::Response;
use pyred_proto::v1 as pb;
use serde::Serialize;

use super::Console;
use super::views::{LeadView, match_view};
use crate::AppState;
use crate::cases::ConsortiaSection;
use crate::json::{
    ContractTypeJson, KindJson, OpportunityStatusJson, ProcedureJson, TenderStageJson, date_text,
};

/// A tender's buyer.
#[derive(Debug, Serialize)]
pub struct BuyerView {
    /// Name.
    pub name: String,
    /// NIF.
    pub nif: String,
    /// DIR3 code.
    pub dir3: String,
}

/// A tender's lot.
#[derive(Debug, Serialize)]
pub struct LotView {
    /// Lot number or id.
    pub id: String,
    /// Title.
    pub title: String,
    /// CPV codes.
    pub cpv: Vec<String>,
    /// Budget (`24000 €`).
    pub budget: Option<String>,
}

/// The listing itself.
#[derive(Debug, Serialize)]
pub struct OpportunityView {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Language code of its text.
    pub language: &'static str,
    /// Kind word.
    pub kind: Option<&'static str>,
    /// Status word.
    pub status: Option<&'static str>,
    /// Place name.
    pub place: String,
    /// Region.
    pub region: String,
    /// Published, `YYYY-MM-DD`.
    pub published: Option<String>,
    /// Deadline, `YYYY-MM-DD`.
    pub deadline: Option<String>,
    /// Budget (`24000 €`).
    pub budget: Option<String>,
    /// The source that published it.
    pub source: String,
    /// CPV codes.
    pub cpv: Vec<String>,
    /// NACE codes.
    pub nace: Vec<String>,
    /// A tender's buyer.
    pub buyer: Option<BuyerView>,
    /// The official notice, when it is a web link.
    pub official_url: Option<String>,
    /// That link's host.
    pub official_host: Option<String>,
    /// Procedure word.
    pub procedure: Option<&'static str>,
    /// Contract type word.
    pub contract_type: Option<&'static str>,
    /// Tender stage word.
    pub tender_stage: Option<&'static str>,
    /// Lots.
    pub lots: Vec<LotView>,
    /// NUTS code.
    pub nuts: String,
    /// Whether the point is the region's, not the place's.
    pub location_approximate: bool,
    /// Why a withdrawn listing was withdrawn.
    pub withdrawal_reason: Option<String>,
}

/// A glossary term found in the listing, with both languages' labels.
#[derive(Debug, Serialize)]
pub struct TermView {
    /// Concept id.
    pub id: String,
    /// The words as written in the listing.
    pub term: String,
    /// French label.
    pub fr: String,
    /// Spanish label.
    pub es: String,
}

/// The listing page's view.
#[derive(Debug, Serialize)]
pub struct ListingView {
    /// Joint bids, for a tender the brokerage can read.
    pub consortia: Option<ConsortiaSection>,
    /// The listing.
    pub o: OpportunityView,
    /// Key terms.
    pub terms: Vec<TermView>,
    /// Firms it suits, best first.
    pub firms: Vec<LeadView>,
}

fn euros(amount: f64) -> String {
    format!("{amount:.0} €")
}

impl OpportunityView {
    pub(crate) fn of(opportunity: &pb::Opportunity, language: pyred_text::Language) -> Self {
        let official_url = safe_link(&opportunity.official_url);
        Self {
            id: opportunity.id.clone(),
            title: opportunity.title.clone(),
            description: opportunity.description.clone(),
            language: language.code(),
            kind: KindJson::from_pb(opportunity.kind).map(KindJson::as_str),
            status: OpportunityStatusJson::from_pb(opportunity.status)
                .map(OpportunityStatusJson::as_str),
            place: opportunity
                .location
                .as_ref()
                .map(|l| l.place_name.clone())
                .unwrap_or_default(),
            region: opportunity.region.clone(),
            published: opportunity.published.as_ref().map(date_text),
            deadline: opportunity.deadline.as_ref().map(date_text),
            budget: opportunity.budget_eur.map(euros),
            source: opportunity.source.clone(),
            cpv: opportunity.cpv.clone(),
            nace: opportunity
                .activities
                .iter()
                .map(|a| a.nace.clone())
                .collect(),
            buyer: opportunity.buyer.as_ref().map(|b| BuyerView {
                name: b.name.clone(),
                nif: b.nif.clone(),
                dir3: b.dir3.clone(),
            }),
            official_url: official_url.map(str::to_owned),
            official_host: official_url.map(|url| link_host(url).to_owned()),
            procedure: ProcedureJson::from_pb(opportunity.procedure).map(ProcedureJson::as_str),
            contract_type: ContractTypeJson::from_pb(opportunity.contract_type)
                .map(ContractTypeJson::as_str),
            tender_stage: TenderStageJson::from_pb(opportunity.tender_stage)
                .map(TenderStageJson::as_str),
            lots: opportunity
                .lots
                .iter()
                .map(|lot| LotView {
                    id: lot.id.clone(),
                    title: lot.title.clone(),
                    cpv: lot.cpv.clone(),
                    budget: lot.budget_eur.map(euros),
                })
                .collect(),
            nuts: opportunity.nuts.clone(),
            location_approximate: opportunity.location_approximate,
            withdrawal_reason: (opportunity.status == pb::OpportunityStatus::Withdrawn as i32
                && !opportunity.withdrawal_reason.is_empty())
            .then(|| opportunity.withdrawal_reason.clone()),
        }
    }
}

/// The glossary's concepts in the listing's title, description and lot titles (a
/// tender's lots say what it buys as much as its description does).
fn key_terms(opportunity: &pb::Opportunity, language: pyred_text::Language) -> Vec<TermView> {
    let Ok(glossary) = pyred_text::Glossary::embedded() else {
        return Vec::new();
    };
    let mut text = format!("{}\n{}", opportunity.title, opportunity.description);
    for lot in &opportunity.lots {
        text.push('\n');
        text.push_str(&lot.title);
    }
    let mut seen = BTreeSet::new();
    glossary
        .extract(&text, language)
        .into_iter()
        .filter(|hit| seen.insert(hit.concept.id().to_owned()))
        .map(|hit| TermView {
            id: hit.concept.id().to_owned(),
            term: hit.matched(&text).to_owned(),
            fr: hit.concept.label(pyred_text::Language::Fr).to_owned(),
            es: hit.concept.label(pyred_text::Language::Es).to_owned(),
        })
        .collect()
}

pub(crate) async fn opportunity_page(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Response {
    let opportunity = match state
        .upstream
        .registry()
        .get_opportunity(
            console
                .key()
                .request(pb::GetOpportunityRequest { id: id.clone() }),
        )
        .await
    {
        Ok(opportunity) => opportunity.into_inner(),
        Err(status) => return console.error(&state, &status.into()),
    };
    let firms = state
        .upstream
        .matchmaking()
        .list_opportunity_matches(console.key().request(pb::ListOpportunityMatchesRequest {
            opportunity_id: id,
            page: Some(pb::PageRequest {
                page_size: 20,
                page_token: String::new(),
            }),
            ..Default::default()
        }))
        .await;
    let firms = match firms {
        Ok(response) => response.into_inner().matches,
        Err(status)
            if matches!(
                status.code(),
                tonic::Code::NotFound | tonic::Code::PermissionDenied
            ) =>
        {
            Vec::new()
        }
        Err(status) => return console.error(&state, &status.into()),
    };
    let language = if opportunity.language == pb::Language::Es as i32 {
        pyred_text::Language::Es
    } else {
        pyred_text::Language::Fr
    };
    let view = ListingView {
        consortia: crate::cases::consortia_section(&state, &console, &opportunity).await,
        o: OpportunityView::of(&opportunity, language),
        terms: key_terms(&opportunity, language),
        firms: firms.iter().map(|m| match_view(console.lang, m)).collect(),
    };
    console.render(&state, "opportunity.html", &view)
}

/// `url` when it is an absolute http(s) link, for an `href`: the registry refuses other
/// schemes, and a page never links to `javascript:` or `data:` whatever it is given.
fn safe_link(url: &str) -> Option<&str> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    let host_first = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'));
    let clean = !url.chars().any(|c| c.is_whitespace() || c.is_control());
    (host_first && clean).then_some(url)
}

/// The host of a web link, as shown beside it (`contrataciondelestado.es`).
fn link_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    authority.rsplit('@').next().unwrap_or(authority)
}

#[cfg(test)]
mod tests {
    use super::{link_host, safe_link};

    #[test]
    fn only_web_links_are_linked() {
        assert_eq!(
            safe_link(" https://contrataciondelestado.es/x?a=1&b=2 "),
            Some("https://contrataciondelestado.es/x?a=1&b=2")
        );
        assert_eq!(
            safe_link("HTTP://ted.europa.eu/n"),
            Some("HTTP://ted.europa.eu/n")
        );
        assert_eq!(
            link_host("https://user@contrataciondelestado.es/wps?x#y"),
            "contrataciondelestado.es"
        );
        assert_eq!(link_host("http://ted.europa.eu"), "ted.europa.eu");
        for bad in [
            "",
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,<b>",
            "//evil.example",
            "https://",
            "https:///x",
            "https://a b",
            "https://a\u{0}b",
            "ftp://x",
        ] {
            assert_eq!(safe_link(bad), None, "{bad}");
        }
    }
}
