//! The official vocabulary layer of the model: each side of a party as weighted CPV
//! codes, and how two such sides meet in the CPV tree.
//!
//! A side's codes come from four places, each with its evidence:
//!
//! - a listing's **own** CPV codes (and its lots'), as the publisher gave them —
//!   weight 1 on the side of what it buys (a request, a tender) or sells (an offer);
//! - the **text**: [`pyred_vocabulary::Vocabulary::infer`] over each piece of text, in
//!   its language, weighted like the piece;
//! - the **glossary**: a trade concept found in the text brings the CPV codes its own
//!   terms name ([`Lexicon`] aligns the 420 concepts with CPV once, through their
//!   French and Spanish terms), at [`CONCEPT_CODE_WEIGHT`] — so "voirie" (a term of
//!   `road_works`, whose "travaux routiers" is CPV 45233140) reaches road works;
//! - a firm's **activity** codes (NACE / NAF / CNAE): the CPV groups their official
//!   labels name, at [`ACTIVITY_CODE_WEIGHT`].
//!
//! Two sides meet on their best pair of codes ([`CodeWeights::relation_value`]): the
//! same code counts fully; a listing's code under the firm's nearly so (the firm
//! supplies the family); above it less (the listing buys a broader family); codes that
//! only share a class, a group or a division count less and less.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use pyred_domain::NaceCode;
use pyred_text::{Glossary, Language};
use pyred_vocabulary::{CpvCode, Relation, Vocabulary, relate};

use crate::error::MatchingError;

/// Weight of the codes a glossary concept brings, relative to the piece of text.
pub const CONCEPT_CODE_WEIGHT: f64 = 0.6;
/// Weight of the codes a firm's activity code brings.
pub const ACTIVITY_CODE_WEIGHT: f64 = 0.25;
/// Codes kept per glossary concept.
const CODES_PER_CONCEPT: usize = 3;
/// Lowest weight of a code kept for a glossary concept.
const MIN_CONCEPT_CODE_WEIGHT: f64 = 0.6;

/// Where a side's code comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// The listing's own code.
    Own,
    /// Named by these words of the text.
    Text(String),
    /// Brought by a glossary concept found as these words.
    Concept {
        /// The concept id.
        concept: &'static str,
        /// The words of the text.
        words: String,
    },
    /// Brought by an activity code.
    Activity(NaceCode),
}

/// One code of a side.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeEvidence {
    /// Weight in (0, 1].
    pub weight: f64,
    /// Where it comes from (the strongest source).
    pub origin: Origin,
}

/// The CPV codes of one side of a party.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CodeBag {
    /// Code → weight and evidence.
    pub codes: BTreeMap<CpvCode, CodeEvidence>,
}

impl CodeBag {
    /// Adds a code; a code already present keeps the larger weight.
    pub fn raise(&mut self, code: CpvCode, weight: f64, origin: Origin) {
        if weight <= 0.0 {
            return;
        }
        match self.codes.get(&code) {
            Some(known) if known.weight >= weight => {}
            _ => {
                self.codes.insert(code, CodeEvidence { weight, origin });
            }
        }
    }

    /// Adds every code of `other` (keeping the larger weights).
    pub fn merge(&mut self, other: &CodeBag) {
        for (code, evidence) in &other.codes {
            self.raise(*code, evidence.weight, evidence.origin.clone());
        }
    }

    /// Whether the side has no code.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }
}

/// The vocabulary and its alignment with the glossary, built once.
#[derive(Debug)]
pub struct Lexicon {
    glossary: &'static Glossary,
    vocabulary: &'static Vocabulary,
    concept_codes: HashMap<&'static str, Vec<(CpvCode, f64)>>,
}

static EMBEDDED: OnceLock<Result<Lexicon, String>> = OnceLock::new();

impl Lexicon {
    /// The embedded glossary and vocabularies, aligned on first use.
    ///
    /// # Errors
    /// When the embedded data cannot be loaded (a broken build).
    pub fn embedded() -> Result<&'static Lexicon, MatchingError> {
        EMBEDDED
            .get_or_init(|| {
                let glossary = Glossary::embedded().map_err(|e| e.to_string())?;
                let vocabulary = Vocabulary::embedded().map_err(|e| e.to_string())?;
                Ok(Lexicon::align(glossary, vocabulary))
            })
            .as_ref()
            .map_err(|reason| MatchingError::Vocabulary(reason.clone()))
    }

    /// Aligns each glossary concept with the CPV codes its terms name **in both
    /// languages**: a code that a French term and a Spanish term of the concept both
    /// name (weight: the geometric mean of the two best), the best
    /// [`CODES_PER_CONCEPT`]. One term's stray reading ("chai" → *Chaises*) has no
    /// counterpart in the other language and is left out.
    pub fn align(glossary: &'static Glossary, vocabulary: &'static Vocabulary) -> Lexicon {
        let mut concept_codes = HashMap::new();
        for concept in glossary.iter() {
            let best_in = |language: Language| {
                let mut best: BTreeMap<CpvCode, f64> = BTreeMap::new();
                for term in concept.terms(language) {
                    for inferred in vocabulary.infer(term, language) {
                        let slot = best.entry(inferred.code).or_insert(0.0);
                        *slot = slot.max(inferred.weight);
                    }
                }
                best
            };
            let french = best_in(Language::Fr);
            let spanish = best_in(Language::Es);
            let mut codes: Vec<(CpvCode, f64)> = french
                .iter()
                .filter_map(|(code, fr)| spanish.get(code).map(|es| (*code, (fr * es).sqrt())))
                .filter(|(_, w)| *w >= MIN_CONCEPT_CODE_WEIGHT)
                .collect();
            codes.sort_by(|a, b| {
                b.1.partial_cmp(&a.1)
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then_with(|| a.0.cmp(&b.0))
            });
            codes.truncate(CODES_PER_CONCEPT);
            if !codes.is_empty() {
                concept_codes.insert(concept.id(), codes);
            }
        }
        Lexicon {
            glossary,
            vocabulary,
            concept_codes,
        }
    }

    /// The glossary.
    pub fn glossary(&self) -> &'static Glossary {
        self.glossary
    }

    /// The vocabularies.
    pub fn vocabulary(&self) -> &'static Vocabulary {
        self.vocabulary
    }

    /// The CPV codes aligned with a glossary concept.
    pub fn concept_codes(&self, concept: &str) -> &[(CpvCode, f64)] {
        self.concept_codes.get(concept).map_or(&[], Vec::as_slice)
    }

    /// Adds the codes `text` names (through the labels) to `bag`, at `weight`.
    pub fn add_text(&self, bag: &mut CodeBag, text: &str, language: Language, weight: f64) {
        if weight <= 0.0 || text.trim().is_empty() {
            return;
        }
        for inferred in self.vocabulary.infer(text, language) {
            bag.raise(
                inferred.code,
                weight * inferred.weight,
                Origin::Text(inferred.words),
            );
        }
    }

    /// Adds the codes a glossary concept found as `words` brings, at `weight`.
    pub fn add_concept(&self, bag: &mut CodeBag, concept: &'static str, words: &str, weight: f64) {
        for (code, w) in self.concept_codes(concept) {
            bag.raise(
                *code,
                weight * CONCEPT_CODE_WEIGHT * w,
                Origin::Concept {
                    concept,
                    words: words.to_owned(),
                },
            );
        }
    }

    /// Adds the codes an activity brings.
    pub fn add_activity(&self, bag: &mut CodeBag, activity: &NaceCode) {
        for inferred in self.vocabulary.codes_for_activity(activity) {
            bag.raise(
                inferred.code,
                ACTIVITY_CODE_WEIGHT * inferred.weight,
                Origin::Activity(*activity),
            );
        }
    }
}

/// How much each relation in the tree counts (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CodeWeights {
    /// Per level a listing's code lies under the firm's: `narrower^levels`.
    pub narrower: f64,
    /// A listing's code one level above the firm's…
    pub broader: f64,
    /// …times this per further level.
    pub broader_decay: f64,
    /// Codes that share a division only.
    pub sibling_division: f64,
    /// Codes that share a group.
    pub sibling_group: f64,
    /// Codes that share a class.
    pub sibling_class: f64,
    /// Codes that share a category or deeper.
    pub sibling_deeper: f64,
    /// Multiplier of the codes glossary concepts bring.
    pub concept: f64,
    /// Multiplier of the codes activity codes bring: 0 by default — the correspondence
    /// derived from the NACE and CPV labels is too loose to help (measured:
    /// `docs/matchmaking.md`), and « 25.62 Usinage » would reach surveying services
    /// through the Spanish label's « ingeniería mecánica ».
    pub activity: f64,
}

impl Default for CodeWeights {
    fn default() -> Self {
        Self {
            narrower: 0.9,
            broader: 0.6,
            broader_decay: 0.8,
            sibling_division: 0.1,
            sibling_group: 0.25,
            sibling_class: 0.35,
            sibling_deeper: 0.6,
            concept: 0.5,
            activity: 0.0,
        }
    }
}

impl CodeWeights {
    /// The value of a relation, in [0, 1].
    pub fn relation_value(&self, relation: Relation) -> f64 {
        let levels = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
        match relation {
            Relation::Same => 1.0,
            Relation::Narrower { levels: n } => self.narrower.powi(levels(n)),
            Relation::Broader { levels: n } => {
                self.broader * self.broader_decay.powi(levels(n.saturating_sub(1)))
            }
            Relation::Sibling { depth: 2 } => self.sibling_division,
            Relation::Sibling { depth: 3 } => self.sibling_group,
            Relation::Sibling { depth: 4 } => self.sibling_class,
            Relation::Sibling { .. } => self.sibling_deeper,
            Relation::Unrelated => 0.0,
        }
    }
}

/// The best meeting of a firm's side and a listing's side in the CPV tree.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CodeMatch {
    /// Its value in [0, 1]: weights × relation value.
    pub value: f64,
    /// The firm's code and the listing's code that gave it.
    pub pair: Option<(CpvCode, CpvCode)>,
}

/// The best pair of codes of `firm` and `listing`; codes brought by glossary concepts
/// only count with `with_concepts`.
pub fn best_match(
    firm: &CodeBag,
    listing: &CodeBag,
    weights: &CodeWeights,
    with_concepts: bool,
) -> CodeMatch {
    let factor = |e: &CodeEvidence| match e.origin {
        Origin::Concept { .. } if with_concepts => weights.concept,
        Origin::Concept { .. } => 0.0,
        Origin::Activity(_) => weights.activity,
        Origin::Own | Origin::Text(_) => 1.0,
    };
    let mut best = CodeMatch::default();
    for (firm_code, firm_evidence) in &firm.codes {
        let firm_factor = factor(firm_evidence);
        if firm_factor <= 0.0 {
            continue;
        }
        for (listing_code, listing_evidence) in &listing.codes {
            let value = firm_evidence.weight
                * firm_factor
                * listing_evidence.weight
                * factor(listing_evidence)
                * weights.relation_value(relate(firm_code, listing_code));
            if value > best.value {
                best = CodeMatch {
                    value: value.min(1.0),
                    pair: Some((*firm_code, *listing_code)),
                };
            }
        }
    }
    best
}
