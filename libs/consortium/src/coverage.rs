//! Which requirements of a tender a firm covers, and how well (0..1).
//!
//! - a **CPV code**: the best meeting, in the CPV tree, of the codes the matching
//!   model reads on the side of what the firm provides (its texts through the CPV
//!   labels, its glossary concepts, its activity codes) with the tender's code —
//!   [`pyred_matching::codes::best_match`] with the model's own weights, so the same
//!   code counts 1, the tender's code under the firm's nearly so, a sibling in the
//!   same group little;
//! - a **certification**: named in the firm's own texts (name, description, offers),
//!   read with [`crate::requirements::certifications_in`];
//! - a **language**: among the languages the firm states, or its texts' language;
//! - a **local presence**: the firm is based in that country (its region);
//! - a **team size**: the firm's headcount over the figure asked (the builder sums
//!   the members' headcounts).

use std::collections::BTreeSet;

use pyred_matching::codes::{CodeBag, Origin, best_match};
use pyred_matching::{CompanyProfile, Feature, Matcher};
use pyred_proto::v1 as pb;
use pyred_text::Language;

use crate::requirements::{Country, Need, Requirement, certifications_in};

/// Coverage from which a requirement counts as covered (listed in `covers_*`, left
/// out of `uncovered`).
pub const COVERED: f64 = 0.5;

/// A firm proposed for a consortium, with its fit to the tender.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    /// The firm as the registry holds it (texts, region, headcount).
    pub company: &'a pb::Company,
    /// The matching model's profile of the firm.
    pub profile: &'a CompanyProfile,
    /// Its matching score against the tender, 0..1.
    pub fit: f64,
}

/// What the builder knows of a candidate: its coverage of each requirement.
#[derive(Debug, Clone)]
pub struct FirmCoverage {
    /// Index of the candidate in the caller's slice.
    pub index: usize,
    /// Coverage of each requirement, in the order of the requirements.
    pub covers: Vec<f64>,
    /// The firm's country, when its region says it.
    pub country: Option<Country>,
    /// Headcount, when known.
    pub employees: Option<u32>,
    /// Fit, clamped to 0..1 (not a number: 0).
    pub fit: f64,
}

/// The languages a firm works in: those it states, and its texts' language.
pub fn languages_of(company: &pb::Company, profile: &CompanyProfile) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = company
        .languages
        .iter()
        .filter_map(|code| code.split(['-', '_']).next())
        .map(|code| code.trim().to_ascii_lowercase())
        .filter(|code| !code.is_empty())
        .collect();
    match profile.language {
        Language::Fr => {
            out.insert("fr".to_owned());
        }
        Language::Es => {
            out.insert("es".to_owned());
        }
        Language::Unknown => {}
    }
    out
}

/// The certifications a firm names in its own texts (not in what it seeks).
pub fn certifications_of(company: &pb::Company) -> BTreeSet<&'static str> {
    certifications_in(&format!(
        "{}\n{}\n{}",
        company.name, company.description, company.offers
    ))
}

/// How well a firm covers each requirement, 0..1.
pub fn coverage(
    matcher: &Matcher,
    candidate: &Candidate<'_>,
    requirements: &[Requirement],
) -> Vec<f64> {
    let certifications = certifications_of(candidate.company);
    let languages = languages_of(candidate.company, candidate.profile);
    let country = Country::of_region(&candidate.company.region)
        .or_else(|| Country::of_region(&candidate.company.country));
    let with_concepts = matcher.features().has(Feature::Concepts);
    let mut covers: Vec<f64> = requirements
        .iter()
        .map(|requirement| match &requirement.need {
            Need::Cpv(code) => {
                let mut wanted = CodeBag::default();
                wanted.raise(*code, 1.0, Origin::Own);
                best_match(
                    &candidate.profile.provides.codes,
                    &wanted,
                    &matcher.weights().codes,
                    with_concepts,
                )
                .value
                .clamp(0.0, 1.0)
            }
            Need::Certification(id) => f64::from(u8::from(certifications.contains(id))),
            Need::Language(code) => f64::from(u8::from(languages.contains(code))),
            Need::Presence(wanted) => f64::from(u8::from(country == Some(*wanted))),
            Need::Staff(n) => match candidate.company.employees {
                Some(e) if e > 0 && *n > 0 => (f64::from(e) / f64::from(*n)).min(1.0),
                _ => 0.0,
            },
        })
        .collect();
    // The firm's fit is the model's whole reading of how it meets the tender (its
    // concepts, stems and codes against the tender's needs); the codes alone are a
    // noisy reading of a firm's free text, and a generalist's broad code meets every
    // code of its division. The fit is spread over the tender's codes in proportion
    // to how the firm's codes meet each (`spread`); a code's coverage is the
    // geometric mean of `spread` and the code reading: a firm that fits at 0.9 and
    // meets one code exactly covers it at 0.95, a generalist whose division code
    // meets every code at 0.8 with the same fit covers each at 0.85 — the specialist
    // comes first — and one that fits at 0.3 at 0.5.
    let fit = if candidate.fit.is_finite() {
        candidate.fit.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let best_code = requirements
        .iter()
        .zip(&covers)
        .filter(|(r, _)| r.is_cpv())
        .fold(0.0, |a: f64, (_, c)| a.max(*c));
    if best_code > 0.0 {
        for (requirement, cover) in requirements.iter().zip(covers.iter_mut()) {
            if requirement.is_cpv() {
                let spread = fit * *cover / best_code;
                *cover = (*cover * spread).sqrt();
            }
        }
    }
    covers
}

/// The coverage of every candidate.
pub fn coverages(
    matcher: &Matcher,
    candidates: &[Candidate<'_>],
    requirements: &[Requirement],
) -> Vec<FirmCoverage> {
    candidates
        .iter()
        .enumerate()
        .map(|(index, candidate)| FirmCoverage {
            index,
            covers: coverage(matcher, candidate, requirements),
            country: Country::of_region(&candidate.company.region)
                .or_else(|| Country::of_region(&candidate.company.country)),
            employees: candidate
                .company
                .employees
                .and_then(|e| u32::try_from(e).ok()),
            fit: if candidate.fit.is_finite() {
                candidate.fit.clamp(0.0, 1.0)
            } else {
                0.0
            },
        })
        .collect()
}
