//! # pyred-matching
//!
//! The matchmaking model of Pyred, free of any transport: given firms
//! (`pyred.v1.Company`) and listings (`pyred.v1.Opportunity`) and a day, it scores
//! each pair in [0, 1] with reasons an adviser can check, and ranks both ways — the
//! best listings for a firm, the best firms for a listing. The matchmaking service
//! and the `pyred eval` / `pyred match` commands call the same functions.
//!
//! - [`profile`]: what the model reads of a firm and of a listing — the two sides of
//!   each party (what it provides, what it wants) as bags of glossary concepts and
//!   stems, activity codes, place, markets, dates;
//! - [`codes`]: the official vocabulary layer — each side as weighted CPV codes (a
//!   listing's own, inferred from text, brought by glossary concepts or activity
//!   codes) and how two sides meet in the CPV tree;
//! - [`cues`]: the function words that tell a listing's sides apart ("busca",
//!   "propose") and the markets a text names;
//! - [`corpus`]: the specificity (IDF) of concepts and stems over a register;
//! - [`sector`]: NACE similarity and the customer–supplier adjacency table
//!   (`data/adjacency.toml`);
//! - [`model`]: the features, the score, the ranking ([`Matcher`]);
//! - [`explain`]: the reasons, in French and Spanish;
//! - [`query`]: what to ask a search index for when gathering a party's candidates;
//! - [`metrics`]: nDCG@k and recall@k as the interchange format defines them.
//!
//! ```no_run
//! # fn demo(company: &pyred_proto::v1::Company, listings: &[pyred_proto::v1::Opportunity])
//! # -> Result<(), pyred_matching::MatchingError> {
//! use pyred_matching::{CorpusStats, Matcher};
//! let matcher = Matcher::new()?;
//! let firm = matcher.company(company)?;
//! let listings = listings.iter().map(|o| matcher.opportunity(o)).collect::<Result<Vec<_>, _>>()?;
//! let stats = CorpusStats::from_profiles(std::slice::from_ref(&firm), &listings);
//! let Ok(as_of) = pyred_domain::Day::parse("2026-12-01") else { return Ok(()) };
//! for lead in matcher.matches_for_company(&firm, &listings, &stats, as_of, 10) {
//!     println!("{} {:.3} {}", lead.opportunity_id, lead.score, pyred_matching::explain::summary_fr(&lead.reasons));
//! }
//! # Ok(()) }
//! ```

pub mod codes;
pub mod corpus;
pub mod cues;
pub mod error;
pub mod explain;
pub mod metrics;
pub mod model;
pub mod profile;
pub mod query;
pub mod sector;

pub use codes::{CodeBag, CodeWeights, Lexicon};
pub use corpus::CorpusStats;
pub use error::MatchingError;
pub use explain::Reason;
pub use model::{
    Breakdown, DistanceMeasure, Feature, FeatureSet, Matcher, Scored, Weights, travel_leg,
};
pub use profile::{CompanyProfile, Family, Kind, OpportunityProfile};
pub use query::SearchTerms;
