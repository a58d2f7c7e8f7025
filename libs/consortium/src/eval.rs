//! The evaluation of the builder on a judged data set (`pyred eval --consortia`):
//! does the best proposal include the firms judged relevant to a tender more often
//! than the baseline that takes the top firms one by one?
//!
//! For every tender (kind `tender`) with at least one firm judged relevant (grade ≥
//! [`RELEVANT`]): the candidates are the [`CANDIDATES`] firms the matching model ranks
//! best for it ([`Matcher::companies_for_opportunity`], corpus statistics over the
//! whole set), their scores as fit; the builder's best proposal is compared with the
//! top *k* candidates by score, *k* being the size of that proposal. Recall is the
//! share of the relevant firms in the group; a hit, at least one of them.

use std::collections::{BTreeMap, BTreeSet};

use pyred_domain::Day;
use pyred_matching::metrics::Judgments;
use pyred_matching::{CorpusStats, Kind, Matcher};
use pyred_proto::v1 as pb;

use crate::builder::{Options, propose};
use crate::coverage::Candidate;
use crate::error::ConsortiumError;
use crate::requirements::TenderProfile;

/// Lowest grade of a relevant firm.
pub const RELEVANT: u8 = 2;
/// Candidates gathered per tender.
pub const CANDIDATES: usize = 50;

/// The outcome on one tender.
#[derive(Debug, Clone, PartialEq)]
pub struct TenderOutcome {
    /// The tender.
    pub tender: String,
    /// Firms judged relevant.
    pub relevant: usize,
    /// Size of the best proposal (0: none).
    pub size: usize,
    /// The best proposal's recall of the relevant firms.
    pub recall: f64,
    /// The baseline's (top `size` firms by score).
    pub baseline_recall: f64,
    /// The best proposal's members, lead first.
    pub members: Vec<String>,
    /// The baseline's firms, best first.
    pub baseline: Vec<String>,
}

/// The figures on one set.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Evaluation {
    /// Judged tenders with at least one relevant firm.
    pub tenders: usize,
    /// Of which the builder proposed a consortium for.
    pub proposed: usize,
    /// Mean recall of the best proposal, over the tenders with a proposal.
    pub mean_recall: f64,
    /// Mean recall of the baseline on the same tenders.
    pub baseline_mean_recall: f64,
    /// Share of those tenders where the best proposal includes a relevant firm.
    pub hit_rate: f64,
    /// Same for the baseline.
    pub baseline_hit_rate: f64,
    /// Tenders where the proposal's recall is higher than the baseline's.
    pub wins: usize,
    /// Lower.
    pub losses: usize,
    /// Equal.
    pub ties: usize,
    /// Mean size of the best proposals.
    pub mean_size: f64,
    /// Every tender.
    pub per_tender: Vec<TenderOutcome>,
}

/// Evaluates the builder on a set.
///
/// # Errors
/// [`ConsortiumError::Matching`] when the model refuses a record.
pub fn evaluate(
    matcher: &Matcher,
    companies: &[pb::Company],
    opportunities: &[pb::Opportunity],
    judgments: &Judgments,
    as_of: Day,
) -> Result<Evaluation, ConsortiumError> {
    let profiles = companies
        .iter()
        .map(|c| matcher.company(c))
        .collect::<Result<Vec<_>, _>>()?;
    let listings = opportunities
        .iter()
        .map(|o| matcher.opportunity(o))
        .collect::<Result<Vec<_>, _>>()?;
    let stats = CorpusStats::from_profiles(&profiles, &listings);
    // Relevant firms per tender.
    let mut relevant: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for profile in &profiles {
        if let Some(pairs) = judgments.of(&profile.id) {
            for (opportunity, &grade) in pairs {
                if grade >= RELEVANT {
                    relevant
                        .entry(opportunity.as_str())
                        .or_default()
                        .insert(profile.id.as_str());
                }
            }
        }
    }
    let index: BTreeMap<&str, usize> = profiles
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.as_str(), i))
        .collect();
    let mut out = Evaluation::default();
    for (opportunity, listing) in opportunities.iter().zip(&listings) {
        if listing.kind != Kind::Tender {
            continue;
        }
        let Some(wanted) = relevant.get(listing.id.as_str()) else {
            continue;
        };
        out.tenders += 1;
        let tender = TenderProfile::new(matcher, opportunity)?;
        let ranked =
            matcher.companies_for_opportunity(listing, &profiles, &stats, as_of, CANDIDATES);
        let candidates: Vec<Candidate<'_>> = ranked
            .iter()
            .filter_map(|s| {
                let i = *index.get(s.company_id.as_str())?;
                Some(Candidate {
                    company: companies.get(i)?,
                    profile: profiles.get(i)?,
                    fit: s.score,
                })
            })
            .collect();
        let proposals = propose(matcher, &tender, &candidates, &Options::default())?;
        let recall_of = |ids: &mut dyn Iterator<Item = &str>| {
            let found = ids.filter(|id| wanted.contains(id)).count();
            found as f64 / wanted.len() as f64
        };
        let outcome = match proposals.consortia.first() {
            Some(best) => {
                let size = best.members.len();
                TenderOutcome {
                    tender: listing.id.clone(),
                    relevant: wanted.len(),
                    size,
                    recall: recall_of(&mut best.members.iter().map(|m| m.company_id.as_str())),
                    baseline_recall: recall_of(
                        &mut ranked.iter().take(size).map(|s| s.company_id.as_str()),
                    ),
                    members: best.members.iter().map(|m| m.company_id.clone()).collect(),
                    baseline: ranked
                        .iter()
                        .take(size)
                        .map(|s| s.company_id.clone())
                        .collect(),
                }
            }
            None => TenderOutcome {
                tender: listing.id.clone(),
                relevant: wanted.len(),
                size: 0,
                recall: 0.0,
                baseline_recall: 0.0,
                members: Vec::new(),
                baseline: Vec::new(),
            },
        };
        if outcome.size > 0 {
            out.proposed += 1;
            out.mean_recall += outcome.recall;
            out.baseline_mean_recall += outcome.baseline_recall;
            out.hit_rate += f64::from(u8::from(outcome.recall > 0.0));
            out.baseline_hit_rate += f64::from(u8::from(outcome.baseline_recall > 0.0));
            out.mean_size += outcome.size as f64;
            if (outcome.recall - outcome.baseline_recall).abs() < 1e-9 {
                out.ties += 1;
            } else if outcome.recall > outcome.baseline_recall {
                out.wins += 1;
            } else {
                out.losses += 1;
            }
        }
        out.per_tender.push(outcome);
    }
    if out.proposed > 0 {
        let n = out.proposed as f64;
        out.mean_recall /= n;
        out.baseline_mean_recall /= n;
        out.hit_rate /= n;
        out.baseline_hit_rate /= n;
        out.mean_size /= n;
    }
    Ok(out)
}
