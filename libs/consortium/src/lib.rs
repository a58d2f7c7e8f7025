//! # pyred-consortium
//!
//! Joint bids (issue 19): for a public tender, or one of its lots, groups of two to
//! four firms that together cover what it asks — its CPV codes and the requirements
//! read from its text (certifications, languages, a local presence, a team size) —
//! ranked by coverage, the members' fit and size against the budget, each member's
//! part explained in French and Spanish, and the legal form named (a Spanish *Unión
//! Temporal de Empresas*, a French *groupement momentané d'entreprises*).
//!
//! Pure and synchronous: no I/O; the caller gathers the candidates (the firms the
//! matching model ranks for the tender, with their scores).
//!
//! - [`requirements`]: what a tender asks ([`TenderProfile`], [`Requirement`]);
//! - [`coverage`]: what a firm covers of it ([`Candidate`]);
//! - [`builder`]: the search, the score, the explanations ([`propose`]);
//! - [`to_pb`]: the `pyred.v1` messages;
//! - [`eval`]: the evaluation against judged firms (`pyred eval --consortia`).
//!
//! ```no_run
//! # fn demo(tender: &pyred_proto::v1::Opportunity, firms: &[pyred_proto::v1::Company])
//! # -> Result<(), pyred_consortium::ConsortiumError> {
//! use pyred_consortium::{Candidate, Options, TenderProfile, propose};
//! use pyred_matching::{CorpusStats, Matcher};
//! let matcher = Matcher::new()?;
//! let tender_profile = TenderProfile::new(&matcher, tender)?;
//! let profiles = firms.iter().map(|c| matcher.company(c)).collect::<Result<Vec<_>, _>>()?;
//! let stats = CorpusStats::from_profiles(&profiles, std::slice::from_ref(&tender_profile.profile));
//! let Ok(as_of) = pyred_domain::Day::parse("2026-12-01") else { return Ok(()) };
//! let ranked = matcher.companies_for_opportunity(&tender_profile.profile, &profiles, &stats, as_of, 200);
//! let candidates: Vec<Candidate<'_>> = ranked
//!     .iter()
//!     .filter_map(|s| {
//!         let i = profiles.iter().position(|p| p.id == s.company_id)?;
//!         Some(Candidate { company: &firms[i], profile: &profiles[i], fit: s.score })
//!     })
//!     .collect();
//! let proposals = propose(&matcher, &tender_profile, &candidates, &Options::default())?;
//! let response = pyred_consortium::to_pb::response(&proposals);
//! # let _ = response; Ok(()) }
//! ```

pub mod builder;
pub mod coverage;
pub mod error;
pub mod eval;
pub mod requirements;
pub mod to_pb;

pub use builder::{Form, Member, Options, Proposal, Proposals, consortium_id, propose};
pub use coverage::{COVERED, Candidate};
pub use error::ConsortiumError;
pub use requirements::{Country, Need, Requirement, TenderProfile};
