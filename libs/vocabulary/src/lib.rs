//! # pyred-vocabulary
//!
//! The official vocabularies that bridge French and Spanish in Pyred, compiled into the
//! library from the EU Publications Office tables (`data/`, rebuilt by
//! `scripts/rebuild-vocabulary.py`, provenance in `docs/vocabulary.md`):
//!
//! - **CPV 2008**, the Common Procurement Vocabulary: 9,454 codes with labels in
//!   French, Spanish and English, in a hierarchy read off the digits (division `45`,
//!   group `452`, class `4523`, category `45233`, …);
//! - **NUTS** names of places.
//!
//! [`Vocabulary::infer`] reads a French or Spanish text (a firm's offers, a listing's
//! title) and returns weighted CPV codes, through the labels in that language and the
//! analyzers of `pyred-text`; [`Vocabulary::codes_for_activity`] does the same for a
//! NACE / NAF / CNAE code through its official labels. [`cpv::relate`] says how two
//! codes stand in the hierarchy, which is what the matching model scores.
//! [`false_friends`] finds the words that Snowball stemming merges though their English
//! translations differ, from which `pyred-text`'s stem exceptions are derived.

pub mod cpv;
pub mod error;
pub mod false_friends;
pub mod infer;
pub mod nuts;

pub use cpv::{CpvCode, Relation, relate};
pub use error::VocabularyError;
pub use infer::{Inferred, Vocabulary};
pub use nuts::NutsName;
