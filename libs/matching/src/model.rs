//! The scoring model: features, weights, score, ranking.
//!
//! For a firm and a listing, the model computes a handful of features that an
//! adviser can check, then
//!
//! ```text
//! score = (w_rel·relevance + w_sector·sector + w_dist·distance + w_market·market)
//!         × direction × language × size                       ∈ [0, 1]
//! ```
//!
//! - **relevance**: how well the firm's side meets the listing's side, in the right
//!   direction — the firm *provides* what the listing *needs* (`supply`), and the
//!   listing *provides* what the firm *wants* (`source`); each is a cosine of
//!   concept vectors weighted by specificity (IDF, [`CorpusStats`]) blended with a
//!   cosine of shared stems. Which of the two counts depends on the listing's kind
//!   ([`Weights::direction`]): a request is answered by supply, an offer by a firm
//!   that wants it.
//! - **direction**: a factor that demotes a listing whose publisher provides what the
//!   firm provides, or wants what the firm wants, more than it complements it — a
//!   competitor's offer.
//! - **sector**: NACE similarity and the customer–supplier [`Adjacency`] table, read
//!   in the direction of the trade.
//! - **distance**: a gentle decay of the way between the two, measured as the
//!   [`DistanceMeasure`] says — driving time through the Pyrenean crossings open that
//!   day (half weight at [`Weights::distance_half_minutes`]), or straight-line distance
//!   (half weight at [`Weights::distance_half_km`]); beyond a firm's service radius (km
//!   as the crow flies, or hours by road) the listing is not proposed at all.
//! - **market**: the places each side names as targets ("busca distribuidores en
//!   Francia", "cherche des importateurs en Espagne") against where the other is.
//! - **practicalities**: only live listings are proposed (published, deadline or
//!   expiry on or after `as_of`); a listing in a language the firm does not work in,
//!   or with a budget far above the firm's size, is demoted.
//!
//! Every feature can be switched off ([`FeatureSet`]) for ablation studies, and every
//! score comes with its [`Breakdown`], from which [`crate::explain`] writes the
//! reasons in French and Spanish.

use std::cmp::Ordering;

use pyred_domain::Day;
use pyred_proto::v1 as pb;
use pyred_text::{Glossary, Language};
use pyred_travel::{TravelModel, Trip};

use crate::codes::{self, CodeMatch, CodeWeights, Lexicon};

use crate::corpus::CorpusStats;
use crate::cues::Market;
use crate::error::MatchingError;
use crate::profile::{Bag, CompanyProfile, Family, OpportunityProfile};
use crate::sector::{self, Adjacency, AdjacentPair};

/// A feature of the model, as named in reasons and ablation tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Feature {
    /// Shared glossary concepts, weighted by specificity, across languages.
    Concepts,
    /// CPV codes of the two sides, met in the CPV tree.
    Codes,
    /// Shared analysed stems (same language, or cognates).
    Stems,
    /// Complementarity of the two parties (kind of listing, competitor demotion).
    Direction,
    /// NACE similarity.
    Sector,
    /// Customer–supplier adjacency of activities.
    Adjacency,
    /// Distance decay and service radius.
    Distance,
    /// Target markets named by either side.
    Market,
    /// Only live listings.
    Liveness,
    /// The firm's working languages.
    Language,
    /// Budget against headcount.
    Size,
}

impl Feature {
    /// Every feature, in table order.
    pub const ALL: [Feature; 11] = [
        Feature::Concepts,
        Feature::Codes,
        Feature::Stems,
        Feature::Direction,
        Feature::Sector,
        Feature::Adjacency,
        Feature::Distance,
        Feature::Market,
        Feature::Liveness,
        Feature::Language,
        Feature::Size,
    ];

    /// Machine-readable name (`MatchReason.feature`).
    pub fn name(self) -> &'static str {
        match self {
            Feature::Concepts => "concepts",
            Feature::Codes => "codes",
            Feature::Stems => "stems",
            Feature::Direction => "direction",
            Feature::Sector => "sector",
            Feature::Adjacency => "adjacency",
            Feature::Distance => "distance",
            Feature::Market => "market",
            Feature::Liveness => "deadline",
            Feature::Language => "language",
            Feature::Size => "size",
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// Which features are on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureSet(u16);

impl FeatureSet {
    /// Every feature on.
    pub fn all() -> Self {
        Self(Feature::ALL.iter().fold(0, |bits, f| bits | f.bit()))
    }

    /// This set without `feature`.
    pub fn without(self, feature: Feature) -> Self {
        Self(self.0 & !feature.bit())
    }

    /// Whether `feature` is on.
    pub fn has(self, feature: Feature) -> bool {
        self.0 & feature.bit() != 0
    }
}

impl Default for FeatureSet {
    fn default() -> Self {
        Self::all()
    }
}

/// How much the listing's kind lets each direction of relevance count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DirectionWeights {
    /// Weight of `supply`: the firm provides what the listing needs.
    pub supply: f64,
    /// Weight of `source`: the listing provides what the firm wants.
    pub source: f64,
}

/// The model's constants. The defaults are set a priori (see `docs/matchmaking.md`).
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    /// Weight of relevance in the sum.
    pub relevance: f64,
    /// Weight of sector fit in the sum.
    pub sector: f64,
    /// Weight of distance in the sum.
    pub distance: f64,
    /// Weight of market fit in the sum.
    pub market: f64,
    /// Smoothing of the cosine norms `√(n² + (s·t)²)`, with `t` the norm of a typical
    /// record ([`CorpusStats::typical_concept_norm`]): 0 is the plain cosine; with 1 a
    /// side shorter than a typical record cannot reach a high similarity on a few
    /// generic concepts.
    pub smoothing: f64,
    /// Share of stems in relevance (the rest is concepts) when both texts are in the
    /// same language.
    pub stem_share: f64,
    /// Share of stems in relevance across languages.
    pub stem_share_cross_language: f64,
    /// Share of CPV codes in relevance when the listing gives its own codes (the
    /// concepts and stems share the rest).
    pub code_share: f64,
    /// Share of CPV codes in relevance when the listing's codes are read from its
    /// text (weaker evidence than the publisher's own).
    pub code_share_inferred: f64,
    /// How much each relation in the CPV tree counts.
    pub codes: CodeWeights,
    /// How much the weaker direction adds when both match: `strong + bonus × weak ×
    /// (1 − strong)`; 1 makes it a noisy-or.
    pub both_directions_bonus: f64,
    /// Direction weights for requests, tenders and technology requests.
    pub request: DirectionWeights,
    /// Direction weights for business and technology offers.
    pub offer: DirectionWeights,
    /// Direction weights for partnerships.
    pub partnership: DirectionWeights,
    /// How hard rivalry (same provision, same wants) demotes an offer.
    pub rivalry_penalty: f64,
    /// Lowest direction factor.
    pub rivalry_floor: f64,
    /// Credit of the same activity when the listing is a supplier (a competitor).
    pub same_sector_offer: f64,
    /// Sector value when either side has no activity code.
    pub sector_unknown: f64,
    /// Straight-line distance at which the distance term is one half.
    pub distance_half_km: f64,
    /// Driving time (minutes) at which the distance term is one half.
    pub distance_half_minutes: f64,
    /// Distance value when a position is missing.
    pub distance_unknown: f64,
    /// Factor for a listing that names where it seeks partners, not where the firm is.
    pub market_elsewhere: f64,
    /// Factor for a listing in a language the firm does not work in.
    pub language_mismatch: f64,
    /// Yearly revenue per employee assumed to size a firm, in euros.
    pub revenue_per_employee_eur: f64,
    /// Slope of the size factor beyond capacity (per unit of ln(budget / capacity)).
    pub size_slope: f64,
    /// Lowest size factor.
    pub size_floor: f64,
    /// Scale of the display calibration `1 − exp(−raw / scale)` (0: none). It is
    /// monotone, so rankings do not depend on it; 0.1 puts a typical good lead
    /// around 0.6 and an unrelated listing near 0.
    pub calibration: f64,
    /// 0: sector, distance and market add to relevance; 1: they only weigh it (a
    /// listing without relevance scores 0); in between, a blend.
    pub gate: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            relevance: 0.6,
            sector: 0.15,
            distance: 0.05,
            market: 0.2,
            smoothing: 1.0,
            stem_share: 0.3,
            stem_share_cross_language: 0.1,
            code_share: 0.5,
            code_share_inferred: 0.25,
            codes: CodeWeights::default(),
            both_directions_bonus: 1.0,
            request: DirectionWeights {
                supply: 1.0,
                source: 0.5,
            },
            offer: DirectionWeights {
                supply: 0.6,
                source: 1.0,
            },
            partnership: DirectionWeights {
                supply: 0.8,
                source: 0.8,
            },
            rivalry_penalty: 1.5,
            rivalry_floor: 0.2,
            same_sector_offer: 0.3,
            sector_unknown: 0.25,
            distance_half_km: 400.0,
            distance_half_minutes: 300.0,
            distance_unknown: 0.5,
            market_elsewhere: 0.6,
            language_mismatch: 0.85,
            revenue_per_employee_eur: 150_000.0,
            size_slope: 0.5,
            size_floor: 0.3,
            calibration: 0.1,
            gate: 1.0,
        }
    }
}

impl Weights {
    /// Changes one constant by name (`relevance`, `sector`, `request.source`…), for
    /// experiments from the command line.
    ///
    /// # Errors
    /// The unknown name, or a value that is not a finite number ≥ 0.
    pub fn set(&mut self, name: &str, value: f64) -> Result<(), String> {
        if !value.is_finite() || value < 0.0 {
            return Err(format!("{name}: {value} is not a finite number ≥ 0"));
        }
        let slot = match name {
            "relevance" => &mut self.relevance,
            "sector" => &mut self.sector,
            "distance" => &mut self.distance,
            "market" => &mut self.market,
            "smoothing" => &mut self.smoothing,
            "stem_share" => &mut self.stem_share,
            "stem_share_cross_language" => &mut self.stem_share_cross_language,
            "code_share" => &mut self.code_share,
            "code_share_inferred" => &mut self.code_share_inferred,
            "codes.narrower" => &mut self.codes.narrower,
            "codes.broader" => &mut self.codes.broader,
            "codes.broader_decay" => &mut self.codes.broader_decay,
            "codes.sibling_division" => &mut self.codes.sibling_division,
            "codes.sibling_group" => &mut self.codes.sibling_group,
            "codes.sibling_class" => &mut self.codes.sibling_class,
            "codes.sibling_deeper" => &mut self.codes.sibling_deeper,
            "codes.concept" => &mut self.codes.concept,
            "codes.activity" => &mut self.codes.activity,
            "both_directions_bonus" => &mut self.both_directions_bonus,
            "request.supply" => &mut self.request.supply,
            "request.source" => &mut self.request.source,
            "offer.supply" => &mut self.offer.supply,
            "offer.source" => &mut self.offer.source,
            "partnership.supply" => &mut self.partnership.supply,
            "partnership.source" => &mut self.partnership.source,
            "rivalry_penalty" => &mut self.rivalry_penalty,
            "rivalry_floor" => &mut self.rivalry_floor,
            "same_sector_offer" => &mut self.same_sector_offer,
            "sector_unknown" => &mut self.sector_unknown,
            "distance_half_km" => &mut self.distance_half_km,
            "distance_half_minutes" => &mut self.distance_half_minutes,
            "distance_unknown" => &mut self.distance_unknown,
            "market_elsewhere" => &mut self.market_elsewhere,
            "language_mismatch" => &mut self.language_mismatch,
            "revenue_per_employee_eur" => &mut self.revenue_per_employee_eur,
            "size_slope" => &mut self.size_slope,
            "size_floor" => &mut self.size_floor,
            "calibration" => &mut self.calibration,
            "gate" => &mut self.gate,
            _ => return Err(format!("unknown weight {name:?}")),
        };
        *slot = value;
        Ok(())
    }
}

/// One concept two sides share, with its share of their similarity.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedConcept {
    /// The concept id.
    pub concept: &'static str,
    /// Its term in the dot product (weight × weight × idf²), normalised.
    pub contribution: f64,
}

/// How two bags overlap.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overlap {
    /// Cosine of the concept vectors, in [0, 1].
    pub concepts: f64,
    /// Cosine of the stem vectors, in [0, 1].
    pub stems: f64,
    /// The shared concepts, largest contribution first.
    pub shared: Vec<SharedConcept>,
    /// The shared stems, largest contribution first.
    pub shared_stems: Vec<String>,
    /// The best pair of CPV codes and its value in [0, 1].
    pub codes: CodeMatch,
    /// Whether the firm's side has codes (and the feature is on): only then do codes
    /// take their share of relevance.
    pub has_codes: bool,
    /// Whether the listing's side holds the publisher's own codes.
    pub own_codes: bool,
}

/// Which pair of sides a relevance value compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pairing {
    /// Firm provides ↔ listing needs.
    Supply,
    /// Firm wants ↔ listing provides.
    Source,
    /// Both texts as wholes (direction switched off).
    Undirected,
}

/// Everything a score is made of: feature values and their evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Breakdown {
    /// The firm provides what the listing needs.
    pub supply: Overlap,
    /// The listing provides what the firm wants.
    pub source: Overlap,
    /// Both provide the same (rivalry).
    pub compete: f64,
    /// Both want the same (rivalry).
    pub mirror: f64,
    /// The pairing that carried relevance.
    pub pairing: Pairing,
    /// Relevance in [0, 1].
    pub relevance: f64,
    /// Concept part of relevance (before the direction factor), in [0, 1].
    pub relevance_concepts: f64,
    /// Stem part of relevance, in [0, 1].
    pub relevance_stems: f64,
    /// CPV code part of relevance, in [0, 1].
    pub relevance_codes: f64,
    /// Direction factor in [floor, 1].
    pub direction: f64,
    /// Sector fit in [0, 1].
    pub sector: f64,
    /// The most similar activity codes, when any.
    pub same_sector: Option<(pyred_domain::NaceCode, pyred_domain::NaceCode, f64)>,
    /// The customer–supplier link used, when any (supplier, customer, value).
    pub adjacent: Option<AdjacentPair>,
    /// Whether the sector value is the unknown-code default.
    pub sector_unknown: bool,
    /// Straight-line distance in km, when both positions are known.
    pub distance_km: Option<f64>,
    /// The trip by road on the day of the ranking, when both positions are known.
    pub travel: Option<Trip<'static>>,
    /// Distance term in [0, 1].
    pub distance: f64,
    /// Market fit in [0, 1].
    pub market: f64,
    /// Markets the listing looks to where the firm is.
    pub market_listing_hit: Vec<Market>,
    /// Whether the listing names target markets the firm is not in.
    pub market_listing_miss: bool,
    /// Markets the firm looks to where the listing is.
    pub market_firm_hit: Vec<Market>,
    /// Factor for a listing that seeks partners elsewhere.
    pub elsewhere: f64,
    /// Language factor.
    pub language: f64,
    /// Size factor.
    pub size: f64,
    /// Product of the factors.
    pub factor: f64,
    /// What each term adds to the score (factors applied); they sum to the score.
    pub contributions: Contributions,
    /// The score before calibration (the sum of the terms).
    pub raw: f64,
}

/// The parts of a score.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Contributions {
    /// Relevance (concepts and stems).
    pub relevance: f64,
    /// Sector fit.
    pub sector: f64,
    /// Distance.
    pub distance: f64,
    /// Market fit.
    pub market: f64,
}

impl Contributions {
    /// The score they make.
    pub fn sum(&self) -> f64 {
        self.relevance + self.sector + self.distance + self.market
    }
}

/// A scored pair of a firm and a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// The firm's id (registry id, else the publisher's).
    pub company_id: String,
    /// The listing's id (registry id, else the publisher's).
    pub opportunity_id: String,
    /// The score, in [0, 1].
    pub score: f64,
    /// What it is made of.
    pub breakdown: Breakdown,
    /// Reasons, strongest first (filled for the pairs a ranking returns).
    pub reasons: Vec<crate::explain::Reason>,
}

impl Scored {
    /// The match as the matchmaking service returns it: ids, score, reasons, distance
    /// and display names, status `PROPOSED`. The service fills in its own id,
    /// version and timestamps.
    pub fn to_match(
        &self,
        company: &CompanyProfile,
        opportunity: &OpportunityProfile,
    ) -> pb::Match {
        pb::Match {
            company_id: self.company_id.clone(),
            opportunity_id: self.opportunity_id.clone(),
            score: self.score,
            reasons: self.reasons.iter().map(pb::MatchReason::from).collect(),
            status: pb::MatchStatus::Proposed as i32,
            distance_km: self.breakdown.distance_km,
            travel: self.breakdown.travel.as_ref().map(travel_leg),
            opportunity_title: opportunity.title.clone(),
            company_name: company.name.clone(),
            ..Default::default()
        }
    }
}

/// A trip as matches carry it: minutes and km rounded to a tenth (so that a re-score
/// with unchanged roads writes the same bytes), the crossings by id.
pub fn travel_leg(trip: &Trip<'_>) -> pb::TravelLeg {
    let tenth = |x: f64| (x * 10.0).round() / 10.0;
    pb::TravelLeg {
        minutes: tenth(trip.minutes),
        km: tenth(trip.km),
        crossing: trip
            .crossing
            .map(|c| c.id().as_str().to_owned())
            .unwrap_or_default(),
        closed_crossing: trip
            .closed_detour
            .map(|(c, _)| c.id().as_str().to_owned())
            .unwrap_or_default(),
        detour_minutes: trip.closed_detour.map_or(0.0, |(_, m)| tenth(m)),
    }
}

/// How the distance feature measures the way between a firm and a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DistanceMeasure {
    /// Driving time by road through the crossings open that day ([`pyred_travel`]).
    #[default]
    Road,
    /// Great-circle distance.
    StraightLine,
}

impl DistanceMeasure {
    /// The measure named `road` or `straight-line` (command lines, configuration).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "road" => Some(Self::Road),
            "straight-line" | "straight" => Some(Self::StraightLine),
            _ => None,
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Road => "road",
            Self::StraightLine => "straight-line",
        }
    }
}

/// The model: glossary, adjacency table, travel model, weights and the features
/// switched on.
#[derive(Debug, Clone)]
pub struct Matcher {
    lexicon: &'static Lexicon,
    adjacency: &'static Adjacency,
    travel: &'static TravelModel,
    distance_measure: DistanceMeasure,
    weights: Weights,
    features: FeatureSet,
}

impl Matcher {
    /// The model with the embedded glossary and adjacency table, default weights and
    /// every feature on.
    ///
    /// # Errors
    /// When the embedded data cannot be loaded (a broken build).
    pub fn new() -> Result<Self, MatchingError> {
        Ok(Self {
            lexicon: Lexicon::embedded()?,
            adjacency: Adjacency::embedded()?,
            travel: TravelModel::bundled(),
            distance_measure: DistanceMeasure::default(),
            weights: Weights::default(),
            features: FeatureSet::all(),
        })
    }

    /// The same model with only `features` on.
    pub fn with_features(mut self, features: FeatureSet) -> Self {
        self.features = features;
        self
    }

    /// The same model with other weights.
    pub fn with_weights(mut self, weights: Weights) -> Self {
        self.weights = weights;
        self
    }

    /// The same model measuring distance as `measure` says.
    pub fn with_distance_measure(mut self, measure: DistanceMeasure) -> Self {
        self.distance_measure = measure;
        self
    }

    /// How the distance feature is measured.
    pub fn distance_measure(&self) -> DistanceMeasure {
        self.distance_measure
    }

    /// The road graph and crossings in use.
    pub fn travel(&self) -> &'static TravelModel {
        self.travel
    }

    /// The trip by road from the firm to the listing on `as_of`, when both positions are
    /// known. For many pairs sharing one side, [`Matcher::matches_for_company`] and
    /// [`Matcher::companies_for_opportunity`] run one reach per call instead.
    pub fn trip(
        &self,
        company: &CompanyProfile,
        opportunity: &OpportunityProfile,
        as_of: Day,
    ) -> Option<Trip<'static>> {
        let (from, to) = (company.located.as_ref()?, opportunity.located.as_ref()?);
        self.travel.reach_located(from.clone(), as_of).trip_to(to)
    }

    /// The weights in use.
    pub fn weights(&self) -> &Weights {
        &self.weights
    }

    /// The features switched on.
    pub fn features(&self) -> FeatureSet {
        self.features
    }

    /// The glossary in use.
    pub fn glossary(&self) -> &'static Glossary {
        self.lexicon.glossary()
    }

    /// The glossary and vocabularies in use.
    pub fn lexicon(&self) -> &'static Lexicon {
        self.lexicon
    }

    /// The customer–supplier adjacency table in use.
    pub fn adjacency(&self) -> &'static Adjacency {
        self.adjacency
    }

    /// Reads a firm (see [`CompanyProfile::new`]).
    ///
    /// # Errors
    /// See [`CompanyProfile::new`].
    pub fn company(&self, company: &pb::Company) -> Result<CompanyProfile, MatchingError> {
        CompanyProfile::new(self.lexicon, company)
    }

    /// Reads a listing (see [`OpportunityProfile::new`]).
    ///
    /// # Errors
    /// See [`OpportunityProfile::new`].
    pub fn opportunity(
        &self,
        opportunity: &pb::Opportunity,
    ) -> Result<OpportunityProfile, MatchingError> {
        OpportunityProfile::new(self.lexicon, opportunity)
    }

    /// Whether the listing may be proposed to the firm on `as_of`: live, and within
    /// the firm's service radii when it states them (km as the crow flies, driving
    /// time by road that day).
    pub fn is_eligible(
        &self,
        company: &CompanyProfile,
        opportunity: &OpportunityProfile,
        as_of: Day,
    ) -> bool {
        let trip = company
            .service_radius_minutes
            .and_then(|_| self.trip(company, opportunity, as_of));
        self.eligible(company, opportunity, as_of, trip.as_ref())
    }

    fn eligible(
        &self,
        company: &CompanyProfile,
        opportunity: &OpportunityProfile,
        as_of: Day,
        trip: Option<&Trip<'static>>,
    ) -> bool {
        if self.features.has(Feature::Liveness) && !opportunity.is_live(as_of) {
            return false;
        }
        if let (Some(radius), Some(a), Some(b)) =
            (company.service_radius_km, company.point, opportunity.point)
            && a.distance_km(&b) > radius
        {
            return false;
        }
        if let (Some(radius), Some(trip)) = (company.service_radius_minutes, trip)
            && trip.minutes > radius
        {
            return false;
        }
        true
    }

    /// Scores a pair; `None` when the listing may not be proposed to the firm
    /// ([`Matcher::is_eligible`]). Reasons are left empty: see [`Matcher::explain`].
    pub fn score(
        &self,
        company: &CompanyProfile,
        opportunity: &OpportunityProfile,
        stats: &CorpusStats,
        as_of: Day,
    ) -> Option<Scored> {
        let trip = self.trip(company, opportunity, as_of);
        self.score_with_trip(company, opportunity, stats, as_of, trip)
    }

    /// [`Matcher::score`] with the trip already computed.
    fn score_with_trip(
        &self,
        company: &CompanyProfile,
        opportunity: &OpportunityProfile,
        stats: &CorpusStats,
        as_of: Day,
        trip: Option<Trip<'static>>,
    ) -> Option<Scored> {
        if !self.eligible(company, opportunity, as_of, trip.as_ref()) {
            return None;
        }
        let mut breakdown = self.breakdown(company, opportunity, stats, trip);
        let w = &self.weights;
        let sector_weight = self.on(Feature::Sector, Feature::Adjacency) * w.sector;
        let distance_weight = self.on1(Feature::Distance) * w.distance;
        let market_weight = self.on1(Feature::Market) * w.market;
        let total = w.relevance + sector_weight + distance_weight + market_weight;
        let relevance = breakdown.relevance;
        // Each context term counts additively (1 − gate) and as a share of relevance
        // (gate): with gate = 1 a listing with no relevance scores 0 whatever its
        // sector or place, and sector, distance and market only order relevant ones.
        let gate = w.gate.clamp(0.0, 1.0);
        let term = |weight: f64, value: f64| {
            let shared = if total > 0.0 {
                relevance * weight * value / total
            } else {
                0.0
            };
            ((1.0 - gate) * weight * value + gate * shared) * breakdown.factor
        };
        breakdown.contributions = Contributions {
            relevance: ((1.0 - gate) * w.relevance * relevance
                + gate
                    * if total > 0.0 {
                        relevance * w.relevance / total
                    } else {
                        0.0
                    })
                * breakdown.factor,
            sector: term(sector_weight, breakdown.sector),
            distance: term(distance_weight, breakdown.distance),
            market: term(market_weight, breakdown.market),
        };
        let raw = breakdown.contributions.sum().clamp(0.0, 1.0);
        breakdown.raw = raw;
        // A monotone stretch of the raw sum, for display and alert thresholds; the
        // contributions are rescaled so that they still add up to the score.
        let score = if w.calibration > 0.0 {
            1.0 - (-raw / w.calibration).exp()
        } else {
            raw
        };
        if raw > 0.0 {
            let ratio = score / raw;
            let c = &mut breakdown.contributions;
            c.relevance *= ratio;
            c.sector *= ratio;
            c.distance *= ratio;
            c.market *= ratio;
        }
        let score = score.clamp(0.0, 1.0);
        Some(Scored {
            company_id: company.id.clone(),
            opportunity_id: opportunity.id.clone(),
            score,
            breakdown,
            reasons: Vec::new(),
        })
    }

    /// The reasons of a scored pair, in French and Spanish, strongest first.
    pub fn explain(
        &self,
        company: &CompanyProfile,
        opportunity: &OpportunityProfile,
        scored: &Scored,
        as_of: Day,
    ) -> Vec<crate::explain::Reason> {
        crate::explain::reasons(self, company, opportunity, scored, as_of)
    }

    /// The `top_k` best live listings for a firm, best first, with reasons. Ties are
    /// broken by listing id so that the order is reproducible.
    ///
    /// The listings may be held in any way that lends an [`OpportunityProfile`]
    /// (owned, `Arc`, reference).
    pub fn matches_for_company<O: std::borrow::Borrow<OpportunityProfile>>(
        &self,
        company: &CompanyProfile,
        opportunities: &[O],
        stats: &CorpusStats,
        as_of: Day,
        top_k: usize,
    ) -> Vec<Scored> {
        // One reach from the firm serves every listing (a few µs, then ~0.1 µs a trip).
        let reach = company
            .located
            .as_ref()
            .map(|from| self.travel.reach_located(from.clone(), as_of));
        let mut scored: Vec<(usize, Scored)> = opportunities
            .iter()
            .enumerate()
            .filter_map(|(i, o)| {
                let o = o.borrow();
                let trip = reach
                    .as_ref()
                    .zip(o.located.as_ref())
                    .and_then(|(reach, to)| reach.trip_to(to));
                self.score_with_trip(company, o, stats, as_of, trip)
                    .map(|s| (i, s))
            })
            .collect();
        scored.sort_by(|(_, a), (_, b)| by_score(a, b, &a.opportunity_id, &b.opportunity_id));
        scored.truncate(top_k);
        scored
            .into_iter()
            .map(|(i, mut s)| {
                if let Some(opportunity) = opportunities.get(i) {
                    s.reasons = self.explain(company, opportunity.borrow(), &s, as_of);
                }
                s
            })
            .collect()
    }

    /// The `top_k` best firms for a listing, best first, with reasons (empty when the
    /// listing is not live on `as_of`). Ties are broken by firm id.
    ///
    /// The firms may be held in any way that lends a [`CompanyProfile`].
    pub fn companies_for_opportunity<C: std::borrow::Borrow<CompanyProfile>>(
        &self,
        opportunity: &OpportunityProfile,
        companies: &[C],
        stats: &CorpusStats,
        as_of: Day,
        top_k: usize,
    ) -> Vec<Scored> {
        // Roads are two-way: one reach from the listing serves every firm.
        let reach = opportunity
            .located
            .as_ref()
            .map(|from| self.travel.reach_located(from.clone(), as_of));
        let mut scored: Vec<(usize, Scored)> = companies
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let c = c.borrow();
                let trip = reach
                    .as_ref()
                    .zip(c.located.as_ref())
                    .and_then(|(reach, to)| reach.trip_to(to));
                self.score_with_trip(c, opportunity, stats, as_of, trip)
                    .map(|s| (i, s))
            })
            .collect();
        scored.sort_by(|(_, a), (_, b)| by_score(a, b, &a.company_id, &b.company_id));
        scored.truncate(top_k);
        scored
            .into_iter()
            .map(|(i, mut s)| {
                if let Some(company) = companies.get(i) {
                    s.reasons = self.explain(company.borrow(), opportunity, &s, as_of);
                }
                s
            })
            .collect()
    }

    fn on1(&self, feature: Feature) -> f64 {
        if self.features.has(feature) { 1.0 } else { 0.0 }
    }

    fn on(&self, a: Feature, b: Feature) -> f64 {
        if self.features.has(a) || self.features.has(b) {
            1.0
        } else {
            0.0
        }
    }

    /// Computes every feature of a pair.
    pub fn breakdown(
        &self,
        company: &CompanyProfile,
        opportunity: &OpportunityProfile,
        stats: &CorpusStats,
        travel: Option<Trip<'static>>,
    ) -> Breakdown {
        let w = &self.weights;
        let family = opportunity.kind.family();
        let directed = self.features.has(Feature::Direction);
        let shares = self.shares(company.language == opportunity.language);

        let supply = self.overlap(&company.provides, &opportunity.needs, stats);
        let source = self.overlap(&company.wants, &opportunity.provides, stats);
        let (relevance_concepts, relevance_stems, relevance_codes);
        let (pairing, compete, mirror, direction);
        if directed {
            let weights = match family {
                Family::Request => w.request,
                Family::Offer => w.offer,
                Family::Partnership => w.partnership,
            };
            let s = weights.supply * self.blend(&supply, shares);
            let o = weights.source * self.blend(&source, shares);
            // relevance = strong + bonus × weak × (1 − strong) (bonus 1: a noisy-or of
            // the two directions), split into concept and stem parts.
            let (strong_overlap, strong_w, weak_overlap, weak_w, strong_pairing) = if s >= o {
                (
                    &supply,
                    weights.supply,
                    &source,
                    weights.source,
                    Pairing::Supply,
                )
            } else {
                (
                    &source,
                    weights.source,
                    &supply,
                    weights.supply,
                    Pairing::Source,
                )
            };
            let part = |overlap: &Overlap, weight: f64, scale: f64| {
                let (c, t, k) = self.parts(overlap, shares);
                (weight * scale * c, weight * scale * t, weight * scale * k)
            };
            let (c1, s1, k1) = part(strong_overlap, strong_w, 1.0);
            let (c2, s2, k2) = part(
                weak_overlap,
                weak_w,
                w.both_directions_bonus * (1.0 - s.max(o)).max(0.0),
            );
            relevance_concepts = c1 + c2;
            relevance_stems = s1 + s2;
            relevance_codes = k1 + k2;
            pairing = strong_pairing;
            compete = self.blend(
                &self.overlap(&company.provides, &opportunity.provides, stats),
                shares,
            );
            mirror = self.blend(
                &self.overlap(&company.wants, &opportunity.needs, stats),
                shares,
            );
            direction = if family == Family::Offer {
                let rivalry = compete.max(mirror)
                    - self.blend(&source, shares).max(self.blend(&supply, shares));
                (1.0 - w.rivalry_penalty * rivalry.max(0.0)).clamp(w.rivalry_floor, 1.0)
            } else {
                1.0
            };
        } else {
            let mut firm = company.provides.clone();
            firm.merge(&company.wants);
            let whole = self.overlap(&firm, &opportunity.all(), stats);
            (relevance_concepts, relevance_stems, relevance_codes) = self.parts(&whole, shares);
            pairing = Pairing::Undirected;
            compete = 0.0;
            mirror = 0.0;
            direction = 1.0;
        }
        let relevance = (relevance_concepts + relevance_stems + relevance_codes).clamp(0.0, 1.0);

        // Sector: similarity and adjacency, in the direction of the trade.
        let use_similarity = self.features.has(Feature::Sector);
        let use_adjacency = self.features.has(Feature::Adjacency);
        let same_sector = if use_similarity {
            sector::best_similarity(&company.nace, &opportunity.nace)
        } else {
            None
        };
        let adjacent = if !use_adjacency {
            None
        } else if !directed {
            best_of(
                self.adjacency.best(&company.nace, &opportunity.nace),
                self.adjacency.best(&opportunity.nace, &company.nace),
            )
        } else {
            match family {
                Family::Request => self.adjacency.best(&company.nace, &opportunity.nace),
                Family::Offer => self.adjacency.best(&opportunity.nace, &company.nace),
                Family::Partnership => best_of(
                    self.adjacency.best(&company.nace, &opportunity.nace),
                    self.adjacency.best(&opportunity.nace, &company.nace),
                ),
            }
        };
        let similarity_credit = match (directed, family) {
            (true, Family::Offer) => w.same_sector_offer,
            _ => 1.0,
        };
        let sector_unknown = company.nace.is_empty() || opportunity.nace.is_empty();
        let sector = if sector_unknown {
            w.sector_unknown
        } else {
            let similar = same_sector.map_or(0.0, |(_, _, v)| v * similarity_credit);
            let adjacent_value = adjacent.map_or(0.0, |a| a.value);
            similar.max(adjacent_value)
        };

        // Distance.
        let distance_km = match (company.point, opportunity.point) {
            (Some(a), Some(b)) => Some(a.distance_km(&b)),
            _ => None,
        };
        let decay = |x: f64, half: f64| 1.0 / (1.0 + (x / half).powi(2));
        let distance = match (self.distance_measure, travel, distance_km) {
            (DistanceMeasure::Road, Some(trip), _) => decay(trip.minutes, w.distance_half_minutes),
            (_, _, Some(km)) => decay(km, w.distance_half_km),
            (_, _, None) => w.distance_unknown,
        };

        // Markets named by either side.
        let market_listing_hit: Vec<Market> = opportunity
            .targets
            .iter()
            .filter(|m| company.home.contains(m))
            .copied()
            .collect();
        let market_listing_miss = !opportunity.targets.is_empty() && market_listing_hit.is_empty();
        let market_firm_hit: Vec<Market> = company
            .targets
            .iter()
            .filter(|m| opportunity.home.contains(m))
            .copied()
            .collect();
        // Half for nothing said, a quarter more for each side whose stated target is
        // where the other is; a listing that seeks partners elsewhere is demoted by a
        // factor (below), not here.
        let market =
            0.5 + if market_listing_hit.is_empty() {
                0.0
            } else {
                0.25
            } + if market_firm_hit.is_empty() {
                0.0
            } else {
                0.25
            };
        let elsewhere = if self.features.has(Feature::Market) && market_listing_miss {
            w.market_elsewhere
        } else {
            1.0
        };

        // Practicalities.
        let language = if self.features.has(Feature::Language)
            && opportunity.language != Language::Unknown
            && !company.languages.contains(&opportunity.language)
        {
            w.language_mismatch
        } else {
            1.0
        };
        let size = match (
            self.features.has(Feature::Size),
            opportunity.budget_eur,
            company.employees,
        ) {
            (true, Some(budget), Some(employees)) => {
                let capacity = f64::from(employees.max(1)) * w.revenue_per_employee_eur;
                let ratio = budget / capacity;
                if ratio <= 1.0 {
                    1.0
                } else {
                    (1.0 / (1.0 + w.size_slope * ratio.ln())).max(w.size_floor)
                }
            }
            _ => 1.0,
        };
        let factor = direction * language * size * elsewhere;

        Breakdown {
            supply,
            source,
            compete,
            mirror,
            pairing,
            relevance,
            relevance_concepts,
            relevance_stems,
            relevance_codes,
            direction,
            sector,
            same_sector,
            adjacent,
            sector_unknown,
            distance_km,
            travel,
            distance,
            market,
            market_listing_hit,
            market_listing_miss,
            market_firm_hit,
            elsewhere,
            language,
            size,
            factor,
            contributions: Contributions::default(),
            raw: 0.0,
        }
    }

    /// The shares of concepts and stems in relevance. Stems are evidence within one
    /// language; across languages they only meet on cognates and false friends.
    fn shares(&self, same_language: bool) -> (f64, f64) {
        let stem_share = if same_language {
            self.weights.stem_share
        } else {
            self.weights.stem_share_cross_language
        };
        match (
            self.features.has(Feature::Concepts),
            self.features.has(Feature::Stems),
        ) {
            (true, true) => (1.0 - stem_share, stem_share),
            (true, false) => (1.0, 0.0),
            (false, true) => (0.0, 1.0),
            (false, false) => (0.0, 0.0),
        }
    }

    /// Relevance of one overlap: concepts, stems and codes blended.
    fn blend(&self, overlap: &Overlap, shares: (f64, f64)) -> f64 {
        let (c, s, k) = self.parts(overlap, shares);
        c + s + k
    }

    /// The concept, stem and code parts of an overlap's relevance: when both sides
    /// have codes, codes take [`Weights::code_share`] and concepts and stems share
    /// the rest as `shares` say; otherwise concepts and stems take it all.
    fn parts(&self, overlap: &Overlap, shares: (f64, f64)) -> (f64, f64, f64) {
        let text = shares.0 + shares.1 > 0.0;
        let k = match (overlap.has_codes, text) {
            (false, _) => 0.0,
            (true, true) if overlap.own_codes => self.weights.code_share.clamp(0.0, 1.0),
            (true, true) => self.weights.code_share_inferred.clamp(0.0, 1.0),
            (true, false) => 1.0,
        };
        let rest = 1.0 - k;
        (
            rest * shares.0 * overlap.concepts,
            rest * shares.1 * overlap.stems,
            k * overlap.codes.value,
        )
    }

    /// Cosine similarities of two bags, concepts and stems weighted by IDF.
    pub fn overlap(&self, a: &Bag, b: &Bag, stats: &CorpusStats) -> Overlap {
        let mut shared = Vec::new();
        let mut dot = 0.0;
        for (&id, &wa) in &a.concepts {
            if let Some(&wb) = b.concepts.get(id) {
                let idf = stats.concept_idf(id);
                let term = wa * wb * idf * idf;
                dot += term;
                shared.push(SharedConcept {
                    concept: id,
                    contribution: term,
                });
            }
        }
        let norm = |bag: &Bag| {
            bag.concepts
                .iter()
                .map(|(id, w)| {
                    let idf = stats.concept_idf(id);
                    w * w * idf * idf
                })
                .sum::<f64>()
                .sqrt()
        };
        // Smoothed norms: a side made of one generic concept ("distributeurs") does
        // not reach a cosine of 1 with another; a side made of specific ones nearly does.
        let k = self.weights.smoothing * stats.typical_concept_norm();
        let smooth = |n: f64| (n * n + k * k).sqrt();
        let denominator = smooth(norm(a)) * smooth(norm(b));
        let concepts = if denominator > 0.0 {
            (dot / denominator).clamp(0.0, 1.0)
        } else {
            0.0
        };
        if denominator > 0.0 {
            for s in &mut shared {
                s.contribution /= denominator;
            }
        }
        shared.sort_by(|x, y| {
            y.contribution
                .partial_cmp(&x.contribution)
                .unwrap_or(Ordering::Equal)
                .then_with(|| x.concept.cmp(y.concept))
        });

        let mut stem_dot = 0.0;
        let mut shared_stems: Vec<(f64, &String)> = Vec::new();
        for (stem, &wa) in &a.stems {
            if let Some(&wb) = b.stems.get(stem) {
                let idf = stats.stem_idf(stem);
                let term = wa * wb * idf * idf;
                stem_dot += term;
                shared_stems.push((term, stem));
            }
        }
        let stem_norm = |bag: &Bag| {
            bag.stems
                .iter()
                .map(|(stem, w)| {
                    let idf = stats.stem_idf(stem);
                    w * w * idf * idf
                })
                .sum::<f64>()
                .sqrt()
        };
        let ks = self.weights.smoothing * stats.typical_stem_norm();
        let smooth_stems = |n: f64| (n * n + ks * ks).sqrt();
        let stem_denominator = smooth_stems(stem_norm(a)) * smooth_stems(stem_norm(b));
        let stems = if stem_denominator > 0.0 {
            (stem_dot / stem_denominator).clamp(0.0, 1.0)
        } else {
            0.0
        };
        shared_stems.sort_by(|x, y| {
            y.0.partial_cmp(&x.0)
                .unwrap_or(Ordering::Equal)
                .then_with(|| x.1.cmp(y.1))
        });
        // Codes take their share whenever the firm's side has codes, matched or not, so
        // that a listing is never favoured for lacking codes.
        let has_codes = self.features.has(Feature::Codes) && !a.codes.is_empty();
        let codes = if has_codes && !b.codes.is_empty() {
            // Without the glossary, the codes its concepts bring are left out too.
            codes::best_match(
                &a.codes,
                &b.codes,
                &self.weights.codes,
                self.features.has(Feature::Concepts),
            )
        } else {
            CodeMatch::default()
        };
        Overlap {
            concepts,
            stems,
            shared,
            shared_stems: shared_stems.into_iter().map(|(_, s)| s.clone()).collect(),
            codes,
            has_codes,
            own_codes: b
                .codes
                .codes
                .values()
                .any(|e| e.origin == crate::codes::Origin::Own),
        }
    }
}

fn best_of(a: Option<AdjacentPair>, b: Option<AdjacentPair>) -> Option<AdjacentPair> {
    match (a, b) {
        (Some(x), Some(y)) => Some(if y.value > x.value { y } else { x }),
        (x, None) => x,
        (None, y) => y,
    }
}

/// Best score first; equal scores by id.
fn by_score(a: &Scored, b: &Scored, a_id: &str, b_id: &str) -> Ordering {
    b.score
        .partial_cmp(&a.score)
        .unwrap_or(Ordering::Equal)
        .then_with(|| a_id.cmp(b_id))
}
