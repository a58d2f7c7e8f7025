//! What the model reads of a firm and of a listing, computed once per record.
//!
//! A party has two **sides**: what it provides and what it wants. A firm says both in
//! separate fields (`offers` and `description` / `seeks`). A listing says one of them
//! by its kind and its wording: a buyer's request *needs* what its title says after
//! "busca" and *is* what the title says before it (a winery, a distributor); a
//! supplier's offer *provides* its product and *wants* the partners its title names
//! after "busca" (distributors, installers). [`crate::cues`] finds the verbs; this
//! module weighs each piece of text into the side it belongs to.
//!
//! Each side is a [`Bag`]: glossary concepts (language-neutral, so a French side meets
//! a Spanish one) with their broader concepts at a discount, and the analysed stems of
//! the text (which only meet across languages on cognates such as `aeronaut`).
//! Profiles are built from `pyred.v1` messages and validated on the way in: dates must
//! exist, unknown activity codes are skipped, a missing position leaves the distance
//! unknown.

use std::collections::{BTreeMap, BTreeSet};

use pyred_domain::{Day, GeoPoint, NaceCode};
use pyred_proto::v1 as pb;
use pyred_text::Language;
use pyred_travel::{Located, TravelModel};
use pyred_vocabulary::CpvCode;

use crate::codes::{CodeBag, Lexicon, Origin};
use crate::cues::{self, Intent, Market};
use crate::error::MatchingError;

/// Weight given to a broader concept, per level above the concept found in the text.
pub const ANCESTOR_DECAY: f64 = 0.5;

/// Shortest analysed token kept as a stem (shorter ones are codes and noise).
const MIN_STEM_CHARS: usize = 3;

/// Where a concept was found: the words of the text and how strongly they count.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    /// The words of the text that matched the glossary term.
    pub words: String,
    /// The weight of the piece of text they were found in.
    pub weight: f64,
}

/// The weighted concepts and stems of one side of a party.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bag {
    /// Concept id → weight in (0, 1]; broader concepts included at a discount.
    pub concepts: BTreeMap<&'static str, f64>,
    /// Concept id → the strongest words found for it (concepts found in the text only).
    pub evidence: BTreeMap<&'static str, Evidence>,
    /// Analysed stem → weight in (0, 1].
    pub stems: BTreeMap<String, f64>,
    /// CPV codes, with their evidence ([`crate::codes`]).
    pub codes: CodeBag,
}

impl Bag {
    /// Adds the concepts, stems and CPV codes of `text` (in `language`) with weight
    /// `weight`; a concept, stem or code already present keeps the larger weight.
    pub fn add(&mut self, lexicon: &'static Lexicon, text: &str, language: Language, weight: f64) {
        if weight <= 0.0 || text.trim().is_empty() {
            return;
        }
        let glossary = lexicon.glossary();
        lexicon.add_text(&mut self.codes, text, language, weight);
        for hit in glossary.extract(text, language) {
            let id = hit.id();
            raise(&mut self.concepts, id, weight);
            let words = hit.matched(text).to_owned();
            lexicon.add_concept(&mut self.codes, id, &words, weight);
            match self.evidence.get(id) {
                Some(old) if old.weight >= weight => {}
                _ => {
                    self.evidence.insert(id, Evidence { words, weight });
                }
            }
            let mut discount = weight;
            for ancestor in glossary.ancestors(id) {
                discount *= ANCESTOR_DECAY;
                raise(&mut self.concepts, ancestor.id(), discount);
            }
        }
        let analysed = match language {
            Language::Unknown => pyred_text::analyze(text, Language::Fr)
                .into_iter()
                .chain(pyred_text::analyze(text, Language::Es))
                .collect::<Vec<_>>(),
            known => pyred_text::analyze(text, known),
        };
        for stem in analysed {
            if stem.chars().count() < MIN_STEM_CHARS || stem.chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            let slot = self.stems.entry(stem).or_insert(0.0);
            if *slot < weight {
                *slot = weight;
            }
        }
    }

    /// Adds every concept, stem and code of `other` (keeping the larger weights).
    pub fn merge(&mut self, other: &Bag) {
        self.codes.merge(&other.codes);
        for (&id, &weight) in &other.concepts {
            raise(&mut self.concepts, id, weight);
        }
        for (id, evidence) in &other.evidence {
            match self.evidence.get(id) {
                Some(old) if old.weight >= evidence.weight => {}
                _ => {
                    self.evidence.insert(id, evidence.clone());
                }
            }
        }
        for (stem, &weight) in &other.stems {
            let slot = self.stems.entry(stem.clone()).or_insert(0.0);
            if *slot < weight {
                *slot = weight;
            }
        }
    }

    /// Lowers each concept and stem that `other` also holds, by `rate` × its weight
    /// there: what is left is what this side adds to the other.
    pub fn discount(&mut self, other: &Bag, rate: f64) {
        for (id, weight) in &mut self.concepts {
            if let Some(&theirs) = other.concepts.get(id) {
                *weight *= 1.0 - rate * theirs;
            }
        }
        self.concepts.retain(|_, w| *w > 0.0);
        for (stem, weight) in &mut self.stems {
            if let Some(&theirs) = other.stems.get(stem) {
                *weight *= 1.0 - rate * theirs;
            }
        }
        self.stems.retain(|_, w| *w > 0.0);
        for (code, evidence) in &mut self.codes.codes {
            if let Some(theirs) = other.codes.codes.get(code) {
                evidence.weight *= 1.0 - rate * theirs.weight;
            }
        }
        self.codes.codes.retain(|_, e| e.weight > 0.0);
    }

    /// Whether the bag holds nothing.
    pub fn is_empty(&self) -> bool {
        self.concepts.is_empty() && self.stems.is_empty() && self.codes.is_empty()
    }
}

fn raise(map: &mut BTreeMap<&'static str, f64>, id: &'static str, weight: f64) {
    if id.is_empty() {
        return;
    }
    let slot = map.entry(id).or_insert(0.0);
    if *slot < weight {
        *slot = weight;
    }
}

/// A listing's own CPV codes and its lots', each once; unreadable ones are skipped
/// (the registry refuses them; files may not).
fn own_codes(opportunity: &pb::Opportunity) -> Vec<CpvCode> {
    let mut out: Vec<CpvCode> = Vec::new();
    let lots = opportunity.lots.iter().flat_map(|lot| lot.cpv.iter());
    for raw in opportunity.cpv.iter().chain(lots) {
        if let Ok(code) = CpvCode::parse(raw)
            && !out.contains(&code)
        {
            out.push(code);
        }
    }
    out
}

/// The language of a `pyred.v1` language code, identified from `text` when unset.
fn language_of(code: i32, text: &str) -> Language {
    match pb::Language::try_from(code) {
        Ok(pb::Language::Fr) => Language::Fr,
        Ok(pb::Language::Es) => Language::Es,
        Ok(pb::Language::Unspecified) | Err(_) => pyred_text::identify(text).language,
    }
}

/// The activity codes of a record, read from the NACE form when the registry filled
/// it, else from the code as given; codes that are not NACE, NAF or CNAE are skipped
/// (the registry rejects them; files may not).
fn activities(codes: &[pb::ActivityCode]) -> Vec<NaceCode> {
    let mut out: Vec<NaceCode> = Vec::new();
    for code in codes {
        let text = if code.nace.trim().is_empty() {
            &code.given
        } else {
            &code.nace
        };
        if let Ok(parsed) = NaceCode::parse(text)
            && !out.iter().any(|known| known.same_node(&parsed))
        {
            out.push(parsed);
        }
    }
    out
}

fn located(point: Option<GeoPoint>) -> Option<Located> {
    point.map(|p| TravelModel::bundled().locate(p))
}

fn point_of(location: Option<&pb::Location>) -> Option<GeoPoint> {
    let (lat, lon) = location?.point()?;
    GeoPoint::new(lat, lon).ok()
}

fn day_of(
    date: Option<&pb::Date>,
    field: &'static str,
    id: &str,
) -> Result<Option<Day>, MatchingError> {
    let Some(date) = date else {
        return Ok(None);
    };
    if date.year == 0 && date.month == 0 && date.day == 0 {
        return Ok(None);
    }
    Day::try_from(date)
        .map(Some)
        .map_err(|error| MatchingError::InvalidDate {
            id: id.to_owned(),
            field,
            source: error.into(),
        })
}

/// The identifier shown for a record: the registry's id, else the publisher's.
fn display_id(id: &str, external_id: &str) -> String {
    if id.trim().is_empty() {
        external_id.trim().to_owned()
    } else {
        id.trim().to_owned()
    }
}

/// A firm as the model reads it.
#[derive(Debug, Clone)]
pub struct CompanyProfile {
    /// Registry id, else the publisher's id (`gers-0007`).
    pub id: String,
    /// The publisher's id, when known.
    pub external_id: String,
    /// Trading name.
    pub name: String,
    /// Language of its texts.
    pub language: Language,
    /// What it provides: `offers`, then `description` and name at a discount.
    pub provides: Bag,
    /// What it wants: `seeks`.
    pub wants: Bag,
    /// Activity codes.
    pub nace: Vec<NaceCode>,
    /// Position, when known.
    pub point: Option<GeoPoint>,
    /// Place name, for explanations.
    pub place: String,
    /// Markets it is in (from its region).
    pub home: BTreeSet<Market>,
    /// Markets its `seeks` names as targets.
    pub targets: BTreeSet<Market>,
    /// Languages its staff work in (its text language when none is given).
    pub languages: BTreeSet<Language>,
    /// Whether `languages` was given (otherwise it is only the text language).
    pub languages_given: bool,
    /// Headcount, when known.
    pub employees: Option<u32>,
    /// Stated service radius in km: listings farther away as the crow flies are excluded.
    pub service_radius_km: Option<f64>,
    /// Stated service radius in driving minutes: listings farther away by road on the
    /// day of the ranking are excluded.
    pub service_radius_minutes: Option<f64>,
    /// The position joined to the road graph (computed from `point` once).
    pub located: Option<Located>,
}

/// How much of a firm's own trade is taken out of what it wants: a firm's `seeks`
/// often restates its trade as its clients' need ("clients qui veulent organiser des
/// événements"), and a listing that provides that trade is a competitor, not a lead.
pub const OWN_TRADE_DISCOUNT: f64 = 0.8;

/// Weight of a firm's description and name in what it provides (its `offers` = 1).
pub const COMPANY_DESCRIPTION_WEIGHT: f64 = 0.7;

impl CompanyProfile {
    /// Reads a firm. Fails only on an impossible value the registry would have
    /// refused (none today: every field is optional for the model).
    pub fn new(lexicon: &'static Lexicon, company: &pb::Company) -> Result<Self, MatchingError> {
        let id = display_id(&company.id, &company.external_id);
        if id.is_empty() {
            return Err(MatchingError::MissingId { entity: "company" });
        }
        let all_text = format!(
            "{}\n{}\n{}",
            company.description, company.offers, company.seeks
        );
        let language = language_of(company.language, &all_text);
        let mut provides = Bag::default();
        provides.add(lexicon, &company.offers, language, 1.0);
        provides.add(
            lexicon,
            &company.description,
            language,
            COMPANY_DESCRIPTION_WEIGHT,
        );
        provides.add(lexicon, &company.name, language, COMPANY_DESCRIPTION_WEIGHT);
        let nace = activities(&company.activities);
        for activity in &nace {
            lexicon.add_activity(&mut provides.codes, activity);
        }
        let mut wants = Bag::default();
        wants.add(lexicon, &company.seeks, language, 1.0);
        wants.discount(&provides, OWN_TRADE_DISCOUNT);
        let mut languages: BTreeSet<Language> = company
            .languages
            .iter()
            .filter_map(|code| Language::from_code(code))
            .filter(|l| *l != Language::Unknown)
            .collect();
        let languages_given = !company.languages.is_empty();
        if language != Language::Unknown {
            languages.insert(language);
        }
        let service_radius_km = company
            .service_radius_km
            .filter(|radius| radius.is_finite() && *radius > 0.0);
        let service_radius_minutes = company
            .service_radius_hours
            .filter(|hours| hours.is_finite() && *hours > 0.0)
            .map(|hours| hours * 60.0);
        let point = point_of(company.location.as_ref());
        Ok(Self {
            id,
            external_id: company.external_id.trim().to_owned(),
            name: company.name.trim().to_owned(),
            language,
            provides,
            wants,
            nace,
            point,
            located: located(point),
            place: company
                .location
                .as_ref()
                .map(|l| l.place_name.trim().to_owned())
                .unwrap_or_default(),
            home: cues::markets_of_region(&company.region),
            targets: cues::markets(&company.seeks),
            languages,
            languages_given,
            employees: company.employees.and_then(|n| u32::try_from(n).ok()),
            service_radius_km,
            service_radius_minutes,
        })
    }

    /// Both sides together (for corpus statistics).
    pub fn all(&self) -> Bag {
        let mut all = self.provides.clone();
        all.merge(&self.wants);
        all
    }
}

/// How a listing's kind places it: as a customer, a supplier, or a peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// The publisher buys or orders: business requests, tenders, technology requests.
    Request,
    /// The publisher sells or licenses: business offers, technology offers.
    Offer,
    /// The publisher seeks a partner on an equal footing.
    Partnership,
}

/// The kinds of listing, as the model uses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A firm offers products or services.
    BusinessOffer,
    /// A buyer seeks suppliers, subcontractors or distributors.
    BusinessRequest,
    /// A partner is sought for a joint project.
    Partnership,
    /// A public call for tenders.
    Tender,
    /// A technology offered for licensing or cooperation.
    TechnologyOffer,
    /// A technology or know-how sought.
    TechnologyRequest,
}

impl Kind {
    /// The kind of a `pyred.v1` listing; `None` when unspecified.
    pub fn from_proto(kind: i32) -> Option<Kind> {
        match pb::OpportunityKind::try_from(kind).ok()? {
            pb::OpportunityKind::BusinessOffer => Some(Kind::BusinessOffer),
            pb::OpportunityKind::BusinessRequest => Some(Kind::BusinessRequest),
            pb::OpportunityKind::Partnership => Some(Kind::Partnership),
            pb::OpportunityKind::Tender => Some(Kind::Tender),
            pb::OpportunityKind::TechnologyOffer => Some(Kind::TechnologyOffer),
            pb::OpportunityKind::TechnologyRequest => Some(Kind::TechnologyRequest),
            pb::OpportunityKind::Unspecified => None,
        }
    }

    /// Customer, supplier or peer.
    pub fn family(self) -> Family {
        match self {
            Kind::BusinessRequest | Kind::Tender | Kind::TechnologyRequest => Family::Request,
            Kind::BusinessOffer | Kind::TechnologyOffer => Family::Offer,
            Kind::Partnership => Family::Partnership,
        }
    }

    /// French name, for explanations.
    pub fn name_fr(self) -> &'static str {
        match self {
            Kind::BusinessOffer => "offre commerciale",
            Kind::BusinessRequest => "demande commerciale",
            Kind::Partnership => "partenariat",
            Kind::Tender => "appel d'offres",
            Kind::TechnologyOffer => "offre de technologie",
            Kind::TechnologyRequest => "demande de technologie",
        }
    }

    /// Spanish name, for explanations.
    pub fn name_es(self) -> &'static str {
        match self {
            Kind::BusinessOffer => "oferta comercial",
            Kind::BusinessRequest => "demanda comercial",
            Kind::Partnership => "colaboración",
            Kind::Tender => "licitación",
            Kind::TechnologyOffer => "oferta tecnológica",
            Kind::TechnologyRequest => "demanda tecnológica",
        }
    }
}

/// Where a listing stands in its lifecycle, as far as matching cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    /// Published, or not said (files): live until its expiry day.
    Published,
    /// Draft, expired, withdrawn or fulfilled: never proposed.
    Closed,
}

/// Weights of the pieces of a listing in its two sides (needs, provides).
///
/// Listings introduce their publisher first ("Empresa zaragozana con veinte años…"),
/// then say what they want, then give its details; so a sentence without a verb of
/// seeking or offering describes the publisher when it comes before the first
/// sentence that seeks, and details the need after it.
///
/// | piece | request: needs | request: provides | offer: needs | offer: provides | partnership |
/// |---|---|---|---|---|---|
/// | title before the verb | — | 1 | — | 1 | 1 / 1 |
/// | title after "busca" (or no verb) | 1 | — | 1 | — | 1 / 1 |
/// | title after "ofrece" | 1 | — | — | 1 | 1 / 1 |
/// | sentence with "busca" | 1 | 0.3 | 1 | 0.3 | 0.8 / 0.8 |
/// | sentence with "ofrece" | 0.3 | 0.8 | 0.2 | 1 | 0.8 / 0.8 |
/// | other sentence, before the first "busca" | 0.3 | 0.8 | 0.2 | 0.8 | 0.8 / 0.8 |
/// | other sentence, after it | 0.7 | 0.3 | 0.5 | 0.4 | 0.8 / 0.8 |
#[derive(Debug, Clone, Copy)]
struct SideWeights {
    subject: (f64, f64),
    object_seek: (f64, f64),
    object_offer: (f64, f64),
    sentence_seek: (f64, f64),
    sentence_offer: (f64, f64),
    sentence_neutral_before: (f64, f64),
    sentence_neutral_after: (f64, f64),
}

/// (needs, provides) weights for each family.
fn side_weights(family: Family) -> SideWeights {
    match family {
        Family::Request => SideWeights {
            subject: (0.0, 1.0),
            object_seek: (1.0, 0.0),
            object_offer: (1.0, 0.0),
            sentence_seek: (1.0, 0.3),
            sentence_offer: (0.3, 0.8),
            sentence_neutral_before: (0.3, 0.8),
            sentence_neutral_after: (0.7, 0.3),
        },
        Family::Offer => SideWeights {
            subject: (0.0, 1.0),
            object_seek: (1.0, 0.0),
            object_offer: (0.0, 1.0),
            sentence_seek: (1.0, 0.3),
            sentence_offer: (0.2, 1.0),
            sentence_neutral_before: (0.2, 0.8),
            sentence_neutral_after: (0.5, 0.4),
        },
        Family::Partnership => SideWeights {
            subject: (1.0, 1.0),
            object_seek: (1.0, 1.0),
            object_offer: (1.0, 1.0),
            sentence_seek: (0.8, 0.8),
            sentence_offer: (0.8, 0.8),
            sentence_neutral_before: (0.8, 0.8),
            sentence_neutral_after: (0.8, 0.8),
        },
    }
}

/// A listing as the model reads it.
#[derive(Debug, Clone)]
pub struct OpportunityProfile {
    /// Registry id, else the publisher's id (`arex-2026-0142`).
    pub id: String,
    /// The publisher's id, when known.
    pub external_id: String,
    /// Title, for display.
    pub title: String,
    /// Kind.
    pub kind: Kind,
    /// Language of its texts.
    pub language: Language,
    /// What the listing asks for.
    pub needs: Bag,
    /// What the listing's publisher is and provides.
    pub provides: Bag,
    /// Activity codes.
    pub nace: Vec<NaceCode>,
    /// Position, when known.
    pub point: Option<GeoPoint>,
    /// The position joined to the road graph (computed from `point` once).
    pub located: Option<Located>,
    /// Place name, for explanations.
    pub place: String,
    /// Markets it is in (from its region).
    pub home: BTreeSet<Market>,
    /// Markets its text names, outside its own country: where it looks for partners
    /// ("busca distribuidores en Francia", "fabricante francés").
    pub targets: BTreeSet<Market>,
    /// Publication day.
    pub published: Option<Day>,
    /// Deadline, as given.
    pub deadline: Option<Day>,
    /// Last live day: the registry's `expires_on`, else the deadline, else 365 days
    /// after publication.
    pub expires_on: Option<Day>,
    /// Lifecycle status.
    pub lifecycle: Lifecycle,
    /// Budget, when known.
    pub budget_eur: Option<f64>,
}

/// Weight, relative to the piece it is in, of a supplier's purpose clause ("para X")
/// on the side of what it wants (X are its customers)…
pub const PURPOSE_AS_NEED: f64 = 0.6;
/// …and on the side of what it provides.
pub const PURPOSE_AS_PROVIDED: f64 = 0.2;

/// Days a listing without a deadline stays live after publication (as the registry).
pub const DEFAULT_LIFETIME_DAYS: i64 = 365;

impl OpportunityProfile {
    /// Reads a listing.
    ///
    /// # Errors
    /// [`MatchingError::MissingId`] without any id, [`MatchingError::MissingKind`] when
    /// the kind is unspecified, [`MatchingError::InvalidDate`] on a day that does not
    /// exist.
    pub fn new(
        lexicon: &'static Lexicon,
        opportunity: &pb::Opportunity,
    ) -> Result<Self, MatchingError> {
        let id = display_id(&opportunity.id, &opportunity.external_id);
        if id.is_empty() {
            return Err(MatchingError::MissingId {
                entity: "opportunity",
            });
        }
        let kind = Kind::from_proto(opportunity.kind)
            .ok_or_else(|| MatchingError::MissingKind { id: id.clone() })?;
        let all_text = format!("{}\n{}", opportunity.title, opportunity.description);
        let language = language_of(opportunity.language, &all_text);
        let weights = side_weights(kind.family());
        let mut needs = Bag::default();
        let mut provides = Bag::default();
        let family = kind.family();
        let mut add = |text: &str, (need, provide): (f64, f64)| {
            // What a supplier offers "para la industria cosmética" / "pour les caves"
            // names its customers, not its product: that part goes to the side of
            // the partners it wants.
            let (product, purpose) = match family {
                Family::Offer if provide > need => cues::split_purpose(text),
                Family::Offer | Family::Request | Family::Partnership => (text, ""),
            };
            needs.add(lexicon, product, language, need);
            provides.add(lexicon, product, language, provide);
            needs.add(lexicon, purpose, language, provide * PURPOSE_AS_NEED);
            provides.add(lexicon, purpose, language, provide * PURPOSE_AS_PROVIDED);
        };
        let title = cues::split_title(&opportunity.title);
        add(title.subject, weights.subject);
        let object = match title.intent {
            Intent::Offer => weights.object_offer,
            Intent::Seek | Intent::Neutral => weights.object_seek,
        };
        add(title.object, object);
        let mut seen_seek = false;
        for (sentence, intent) in cues::sentences(&opportunity.description) {
            let context = if seen_seek {
                weights.sentence_neutral_after
            } else {
                weights.sentence_neutral_before
            };
            let clause = cues::split_clause(sentence);
            match intent {
                Intent::Seek => {
                    seen_seek = true;
                    add(clause.subject, context);
                    add(clause.object, weights.sentence_seek);
                }
                Intent::Offer => {
                    add(clause.subject, context);
                    add(clause.object, weights.sentence_offer);
                }
                Intent::Neutral => add(sentence, context),
            }
        }
        // As for firms, a side wants what the party lacks: a supplier's "busca
        // distribuidores; contamos con X" does not need X, a buyer that needs X is
        // not an X maker.
        match family {
            Family::Offer => needs.discount(&provides, OWN_TRADE_DISCOUNT),
            Family::Request => provides.discount(&needs, OWN_TRADE_DISCOUNT),
            Family::Partnership => {}
        }
        // The publisher's own CPV codes (the listing's and its lots') say what it buys
        // or sells better than any reading of its words: when it gives them, they
        // replace the codes read from the text on that side.
        let own = own_codes(opportunity);
        if !own.is_empty() {
            let side = match family {
                Family::Request | Family::Partnership => &mut needs,
                Family::Offer => &mut provides,
            };
            side.codes = CodeBag::default();
            for code in own {
                side.codes.raise(code, 1.0, Origin::Own);
            }
        }
        let home = cues::markets_of_region(&opportunity.region);
        let published = day_of(opportunity.published.as_ref(), "published", &id)?;
        let deadline = day_of(opportunity.deadline.as_ref(), "deadline", &id)?;
        let expires_on = day_of(opportunity.expires_on.as_ref(), "expires_on", &id)?
            .or(deadline)
            .or_else(|| published.and_then(|p| p.plus_days(DEFAULT_LIFETIME_DAYS).ok()));
        let lifecycle = match pb::OpportunityStatus::try_from(opportunity.status) {
            Ok(pb::OpportunityStatus::Published | pb::OpportunityStatus::Unspecified) => {
                Lifecycle::Published
            }
            Ok(_) | Err(_) => Lifecycle::Closed,
        };
        Ok(Self {
            id,
            external_id: opportunity.external_id.trim().to_owned(),
            title: opportunity.title.trim().to_owned(),
            kind,
            language,
            needs,
            provides,
            nace: activities(&opportunity.activities),
            point: point_of(opportunity.location.as_ref()),
            located: located(point_of(opportunity.location.as_ref())),
            place: opportunity
                .location
                .as_ref()
                .map(|l| l.place_name.trim().to_owned())
                .unwrap_or_default(),
            targets: {
                let home_countries: BTreeSet<Market> = home.iter().map(|m| m.country()).collect();
                cues::markets(&all_text)
                    .into_iter()
                    .filter(|m| !home_countries.contains(&m.country()))
                    .collect()
            },
            home,
            published,
            deadline,
            expires_on,
            lifecycle,
            budget_eur: opportunity
                .budget_eur
                .filter(|budget| budget.is_finite() && *budget > 0.0),
        })
    }

    /// Both sides together (for corpus statistics).
    pub fn all(&self) -> Bag {
        let mut all = self.needs.clone();
        all.merge(&self.provides);
        all
    }

    /// Whether the listing can be proposed on `as_of`: published (or status not
    /// given), already published, and not past its last live day.
    pub fn is_live(&self, as_of: Day) -> bool {
        self.lifecycle == Lifecycle::Published
            && self.published.is_none_or(|p| p <= as_of)
            && self.expires_on.is_none_or(|e| e >= as_of)
    }
}
