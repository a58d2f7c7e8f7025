//! What to ask a search index for when gathering the candidates of a party.
//!
//! At the scale of a large register the model cannot score a firm against every
//! listing: a search index proposes a few hundred candidates and the model ranks them.
//! The index must then be asked for what the model rewards — shared concepts in the
//! direction of the trade, weighed by their specificity, and the sectors the trade runs
//! between. [`SearchTerms`] says it from a profile: the concepts the counterparty
//! should *have* for each direction, strongest first (weight × IDF, so a specific
//! concept comes before a generic one), and the activity codes counterparties are
//! likely filed under (customers and suppliers from the adjacency table, and the
//! party's own codes).

use pyred_domain::NaceCode;

use crate::corpus::CorpusStats;
use crate::model::Matcher;
use crate::profile::{Bag, CompanyProfile, Family, OpportunityProfile};

/// What to look for in the counterparties of one party.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchTerms {
    /// Concepts that meet the party's *supply* direction, strongest first: for a firm,
    /// what it provides (listings that need it); for a listing, what it needs (firms
    /// that provide it).
    pub supply: Vec<&'static str>,
    /// Concepts that meet the *source* direction, strongest first: for a firm, what it
    /// wants (listings that provide it); for a listing, what it provides (firms that
    /// want it).
    pub source: Vec<&'static str>,
    /// Activity codes counterparties are likely filed under, with how typical the
    /// trade is (1 = the party's own activity or a core customer or supplier base),
    /// strongest first, without duplicates.
    pub sectors: Vec<(NaceCode, f64)>,
    /// CPV prefixes (a class, or a shallower code's own digits) the counterparty's
    /// codes should start with for the supply direction, strongest first — for a firm,
    /// the tenders that buy what it supplies.
    pub codes: Vec<String>,
}

/// CPV prefixes searched per party, at most.
pub const MAX_CODE_PREFIXES: usize = 3;

/// The strongest codes of a side as search prefixes, at class depth at most.
pub fn ranked_code_prefixes(bag: &Bag, max: usize) -> Vec<String> {
    let mut weighted: Vec<(&pyred_vocabulary::CpvCode, f64)> = bag
        .codes
        .codes
        .iter()
        .map(|(code, e)| (code, e.weight))
        .collect();
    weighted.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let mut out: Vec<String> = Vec::new();
    for (code, _) in weighted {
        let prefix = code
            .at_depth(pyred_vocabulary::cpv::CLASS)
            .significant()
            .to_owned();
        if !out.contains(&prefix) {
            out.push(prefix);
        }
        if out.len() >= max {
            break;
        }
    }
    out
}

/// The concepts of a side, strongest first by weight × IDF, at most `max`.
pub fn ranked_concepts(bag: &Bag, stats: &CorpusStats, max: usize) -> Vec<&'static str> {
    let mut weighted: Vec<(&'static str, f64)> = bag
        .concepts
        .iter()
        .map(|(&id, &weight)| (id, weight * stats.concept_idf(id)))
        .filter(|(_, w)| *w > 0.0)
        .collect();
    weighted.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    weighted.truncate(max);
    weighted.into_iter().map(|(id, _)| id).collect()
}

fn push_sector(sectors: &mut Vec<(NaceCode, f64)>, code: NaceCode, strength: f64) {
    match sectors.iter_mut().find(|(c, _)| c.same_node(&code)) {
        Some(slot) if slot.1 < strength => slot.1 = strength,
        Some(_) => {}
        None => sectors.push((code, strength)),
    }
}

fn sorted(mut sectors: Vec<(NaceCode, f64)>) -> Vec<(NaceCode, f64)> {
    sectors.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.code().cmp(b.0.code())));
    sectors
}

impl Matcher {
    /// What to look for in the listings of a firm, at most `max_concepts` per direction.
    ///
    /// Sectors: the firm's customers (requests are filed under the buyer's activity),
    /// its own activity, and its suppliers (offers are filed under the seller's).
    pub fn company_search_terms(
        &self,
        firm: &CompanyProfile,
        stats: &CorpusStats,
        max_concepts: usize,
    ) -> SearchTerms {
        let mut sectors = Vec::new();
        for link in self.adjacency().links() {
            if firm.nace.iter().any(|c| under_any(c, &link.suppliers)) {
                for customer in &link.customers {
                    push_sector(&mut sectors, *customer, link.strength);
                }
            }
        }
        for code in &firm.nace {
            push_sector(&mut sectors, *code, 1.0);
        }
        for link in self.adjacency().links() {
            if firm.nace.iter().any(|c| under_any(c, &link.customers)) {
                for supplier in &link.suppliers {
                    // Suppliers' offers come after customers' requests at equal strength.
                    push_sector(&mut sectors, *supplier, link.strength * 0.9);
                }
            }
        }
        SearchTerms {
            supply: ranked_concepts(&firm.provides, stats, max_concepts),
            source: ranked_concepts(&firm.wants, stats, max_concepts),
            sectors: sorted(sectors),
            codes: ranked_code_prefixes(&firm.provides, MAX_CODE_PREFIXES),
        }
    }

    /// What to look for in the firms of a listing, at most `max_concepts` per direction.
    ///
    /// Sectors: for a request, the activities that supply the listing's; for an offer,
    /// those that buy from it; for a partnership both; then the listing's own codes.
    pub fn opportunity_search_terms(
        &self,
        listing: &OpportunityProfile,
        stats: &CorpusStats,
        max_concepts: usize,
    ) -> SearchTerms {
        let family = listing.kind.family();
        let mut sectors = Vec::new();
        for link in self.adjacency().links() {
            let buys = listing.nace.iter().any(|c| under_any(c, &link.customers));
            let sells = listing.nace.iter().any(|c| under_any(c, &link.suppliers));
            if buys && matches!(family, Family::Request | Family::Partnership) {
                for supplier in &link.suppliers {
                    push_sector(&mut sectors, *supplier, link.strength);
                }
            }
            if sells && matches!(family, Family::Offer | Family::Partnership) {
                for customer in &link.customers {
                    push_sector(&mut sectors, *customer, link.strength);
                }
            }
        }
        for code in &listing.nace {
            push_sector(&mut sectors, *code, 0.9);
        }
        SearchTerms {
            supply: ranked_concepts(&listing.needs, stats, max_concepts),
            source: ranked_concepts(&listing.provides, stats, max_concepts),
            sectors: sorted(sectors),
            // Firms' codes are not indexed: they are read from their texts.
            codes: Vec::new(),
        }
    }
}

/// Whether `code` is one of `prefixes` or under one of them.
fn under_any(code: &NaceCode, prefixes: &[NaceCode]) -> bool {
    prefixes
        .iter()
        .any(|p| code.same_node(p) || code.ancestors().iter().any(|a| a.same_node(p)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pyred_proto::v1 as pb;

    fn code(text: &str) -> pb::ActivityCode {
        pb::ActivityCode {
            given: text.to_owned(),
            ..Default::default()
        }
    }

    #[test]
    fn a_tank_maker_looks_for_specific_concepts_first_and_for_wineries() {
        let matcher = Matcher::new().expect("model loads");
        let firm = matcher
            .company(&pb::Company {
                id: "c1".into(),
                name: "Chaudronnerie".into(),
                description: "Chaudronnerie et export".into(),
                offers: "Cuves inox pour la vinification".into(),
                seeks: "Distributeurs en Espagne".into(),
                language: pb::Language::Fr as i32,
                activities: vec![code("25.29")],
                ..Default::default()
            })
            .expect("profile");
        let mut stats = CorpusStats::new();
        for _ in 0..20 {
            let mut common = Bag::default();
            common.concepts.insert("export", 1.0);
            stats.add(&common);
        }
        stats.add(&firm.all());
        let terms = matcher.company_search_terms(&firm, &stats, 100);
        assert!(!terms.supply.is_empty() && !terms.source.is_empty());
        if let Some(export) = terms.supply.iter().position(|c| *c == "export") {
            assert!(
                export > 0,
                "a generic concept is not first: {:?}",
                terms.supply
            );
        }
        assert!(
            terms
                .sectors
                .iter()
                .any(|(c, _)| c.code().starts_with("11")),
            "wineries are customers of tank makers: {:?}",
            terms.sectors
        );
        assert!(terms.sectors.iter().any(|(c, _)| c.code() == "25.29"));
        let limited = matcher.company_search_terms(&firm, &stats, 2);
        assert!(limited.supply.len() <= 2);
    }
}
