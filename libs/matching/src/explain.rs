//! Reasons: what an adviser reads next to a score, in French and in Spanish.
//!
//! One reason per feature that counted, with its evidence — the listing's own words
//! and the firm's own words for each shared concept, with the concept's label in the
//! reader's language when the words are in the other one; the NACE codes and labels;
//! the place and distance; the deadline — and its contribution to the score (0 for
//! the factors: direction, language, size, which say by how much they demoted it).
//! [`summary_fr`] joins them into one line such as « Besoin : mecanizado de piezas
//! aeronáuticas (usinage) — votre offre : usinage de précision · secteur 25.62 ·
//! Zaragoza : 3 h 10 par le tunnel du Somport (263 km) · échéance 15/03/2027 ».

use pyred_domain::nace::Lang;
use pyred_domain::{Day, NaceCode};
use pyred_proto::v1 as pb;
use pyred_text::Language;

use pyred_vocabulary::CpvCode;

use crate::codes::Origin;
use crate::cues::Market;
use crate::model::{Feature, Matcher, Pairing, Scored, SharedConcept};
use crate::profile::{Bag, CompanyProfile, Family, OpportunityProfile};

/// Shared concepts quoted per reason, at most.
const MAX_QUOTED_CONCEPTS: usize = 3;
/// Shared stems quoted, at most.
const MAX_QUOTED_STEMS: usize = 5;
/// A direction factor below this is called a likely competitor.
const LIKELY_COMPETITOR: f64 = 0.9;
/// A feature whose contribution is below this is not worth a line.
const MIN_CONTRIBUTION: f64 = 0.005;

/// One reason a match was proposed.
#[derive(Debug, Clone, PartialEq)]
pub struct Reason {
    /// The feature it explains.
    pub feature: Feature,
    /// Its contribution to the score, in [0, 1].
    pub contribution: f64,
    /// The reason in French.
    pub text_fr: String,
    /// The reason in Spanish.
    pub text_es: String,
}

impl From<&Reason> for pb::MatchReason {
    fn from(reason: &Reason) -> Self {
        pb::MatchReason {
            feature: reason.feature.name().to_owned(),
            contribution: reason.contribution,
            text_fr: reason.text_fr.clone(),
            text_es: reason.text_es.clone(),
        }
    }
}

/// The French reasons of a match joined into one line, strongest first.
pub fn summary_fr(reasons: &[Reason]) -> String {
    reasons
        .iter()
        .map(|r| r.text_fr.as_str())
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The Spanish reasons of a match joined into one line.
pub fn summary_es(reasons: &[Reason]) -> String {
    reasons
        .iter()
        .map(|r| r.text_es.as_str())
        .collect::<Vec<_>>()
        .join(" · ")
}

/// `15/03/2027`.
pub fn format_day(day: Day) -> String {
    format!("{:02}/{:02}/{:04}", day.day(), day.month(), day.year())
}

fn format_eur(amount: f64) -> (String, String) {
    let (value, unit) = if amount >= 1_000_000.0 {
        (amount / 1_000_000.0, "M€")
    } else if amount >= 1_000.0 {
        (amount / 1_000.0, "k€")
    } else {
        (amount, "€")
    };
    let text = if value >= 100.0 || (value - value.round()).abs() < 0.05 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    };
    let text = text.replace('.', ",");
    (format!("{text} {unit}"), format!("{text} {unit}"))
}

fn factor_text(factor: f64) -> String {
    format!("× {factor:.2}").replace('.', ",")
}

fn language_name(language: Language) -> (&'static str, &'static str) {
    match language {
        Language::Fr => ("français", "francés"),
        Language::Es => ("espagnol", "español"),
        Language::Unknown => ("langue inconnue", "idioma desconocido"),
    }
}

fn markets_text(markets: &[Market]) -> (String, String) {
    (
        markets
            .iter()
            .map(|m| m.name_fr())
            .collect::<Vec<_>>()
            .join(", "),
        markets
            .iter()
            .map(|m| m.name_es())
            .collect::<Vec<_>>()
            .join(", "),
    )
}

/// How a concept of a side is quoted in `reader` language: the side's own words, with
/// the concept's label in `reader` when the side's text is in another language.
fn quote(
    matcher: &Matcher,
    bag: &Bag,
    text_language: Language,
    concept: &str,
    reader: Language,
) -> String {
    let label = matcher.glossary().label(concept, reader).unwrap_or(concept);
    match bag.evidence.get(concept) {
        Some(evidence) if text_language == reader => evidence.words.clone(),
        Some(evidence) if fold_eq(&evidence.words, label) => evidence.words.clone(),
        Some(evidence) => format!("{} ({label})", evidence.words),
        None => label.to_owned(),
    }
}

fn fold_eq(a: &str, b: &str) -> bool {
    crate::cues::fold_lower(a) == crate::cues::fold_lower(b)
}

/// The concepts worth quoting: the largest contributions, preferring concepts found
/// in the text on the listing's side (not only as broader ones).
fn quotable<'a>(shared: &'a [SharedConcept], listing_side: &Bag) -> Vec<&'a SharedConcept> {
    let mut direct: Vec<&SharedConcept> = shared
        .iter()
        .filter(|s| listing_side.evidence.contains_key(s.concept))
        .collect();
    if direct.is_empty() {
        direct = shared.iter().collect();
    }
    direct.truncate(MAX_QUOTED_CONCEPTS);
    direct
}

fn nace_text(code: &NaceCode, lang: Lang) -> String {
    format!("{} {}", code.code(), code.label(lang))
}

/// Writes the reasons of a scored pair.
pub(crate) fn reasons(
    matcher: &Matcher,
    company: &CompanyProfile,
    opportunity: &OpportunityProfile,
    scored: &Scored,
    as_of: Day,
) -> Vec<Reason> {
    let b = &scored.breakdown;
    let features = matcher.features();
    let mut out: Vec<Reason> = Vec::new();
    let mut push = |feature: Feature, contribution: f64, text_fr: String, text_es: String| {
        out.push(Reason {
            feature,
            contribution: contribution.clamp(0.0, 1.0),
            text_fr,
            text_es,
        });
    };

    // Concepts, in the direction that carried relevance.
    let parts = b.relevance_concepts + b.relevance_stems + b.relevance_codes;
    let share = |part: f64| {
        if b.relevance > 0.0 && parts > 0.0 {
            part / parts
        } else {
            0.0
        }
    };
    let concept_share = share(b.relevance_concepts);
    let code_share = share(b.relevance_codes);
    let concept_contribution = b.contributions.relevance * concept_share;
    if concept_contribution >= MIN_CONTRIBUTION {
        let (overlap, listing_side, firm_side, fr_heads, es_heads) = match b.pairing {
            Pairing::Supply => (
                &b.supply,
                &opportunity.needs,
                &company.provides,
                ("Besoin", "votre offre"),
                ("Necesidad", "su oferta"),
            ),
            Pairing::Source => (
                &b.source,
                &opportunity.provides,
                &company.wants,
                ("Offre", "votre recherche"),
                ("Oferta", "su búsqueda"),
            ),
            Pairing::Undirected => (
                &b.supply,
                &opportunity.needs,
                &company.provides,
                ("Annonce", "votre profil"),
                ("Anuncio", "su perfil"),
            ),
        };
        let concepts = quotable(&overlap.shared, listing_side);
        if !concepts.is_empty() {
            let side = |bag: &Bag, language: Language, reader: Language| {
                concepts
                    .iter()
                    .map(|s| quote(matcher, bag, language, s.concept, reader))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let text_fr = format!(
                "{} : {} — {} : {}",
                fr_heads.0,
                side(listing_side, opportunity.language, Language::Fr),
                fr_heads.1,
                side(firm_side, company.language, Language::Fr),
            );
            let text_es = format!(
                "{}: {} — {}: {}",
                es_heads.0,
                side(listing_side, opportunity.language, Language::Es),
                es_heads.1,
                side(firm_side, company.language, Language::Es),
            );
            push(Feature::Concepts, concept_contribution, text_fr, text_es);
        }
    }

    // CPV codes: the listing's code in the reader's language, and the firm's words.
    let code_contribution = b.contributions.relevance * code_share;
    if code_contribution >= MIN_CONTRIBUTION {
        let (overlap, fr_heads, es_heads) = match b.pairing {
            Pairing::Source => (
                &b.source,
                ("Offre", "votre recherche"),
                ("Oferta", "su búsqueda"),
            ),
            Pairing::Supply => (
                &b.supply,
                ("Besoin", "votre offre"),
                ("Necesidad", "su oferta"),
            ),
            Pairing::Undirected => (
                &b.supply,
                ("Annonce", "votre profil"),
                ("Anuncio", "su perfil"),
            ),
        };
        let (listing_side, firm_side) = match b.pairing {
            Pairing::Source => (&opportunity.provides, &company.wants),
            Pairing::Supply | Pairing::Undirected => (&opportunity.needs, &company.provides),
        };
        if let Some((firm_code, listing_code)) = overlap.codes.pair {
            let vocabulary = matcher.lexicon().vocabulary();
            let label = |code: &CpvCode, reader: Language| {
                vocabulary
                    .nearest_label(code, reader)
                    .map_or_else(|| code.to_string(), |l| format!("{code} {l}"))
            };
            let firm_words =
                |reader: Language| match firm_side.codes.codes.get(&firm_code).map(|e| &e.origin) {
                    Some(Origin::Text(words) | Origin::Concept { words, .. })
                        if !words.is_empty() =>
                    {
                        words.clone()
                    }
                    Some(Origin::Activity(activity)) => format!(
                        "{} {}",
                        activity.code(),
                        activity.label(if reader == Language::Es {
                            Lang::Es
                        } else {
                            Lang::Fr
                        })
                    ),
                    _ => label(&firm_code, reader),
                };
            let listing_words = |reader: Language| match listing_side
                .codes
                .codes
                .get(&listing_code)
                .map(|e| &e.origin)
            {
                Some(Origin::Text(words) | Origin::Concept { words, .. })
                    if !words.is_empty() && opportunity.language == reader =>
                {
                    words.clone()
                }
                _ => label(&listing_code, reader),
            };
            push(
                Feature::Codes,
                code_contribution,
                format!(
                    "{} : {} — {} : {}",
                    fr_heads.0,
                    listing_words(Language::Fr),
                    fr_heads.1,
                    firm_words(Language::Fr)
                ),
                format!(
                    "{}: {} — {}: {}",
                    es_heads.0,
                    listing_words(Language::Es),
                    es_heads.1,
                    firm_words(Language::Es)
                ),
            );
        }
    }

    // Stems.
    let stem_contribution = b.contributions.relevance * share(b.relevance_stems);
    let stems = match b.pairing {
        Pairing::Source => &b.source.shared_stems,
        Pairing::Supply | Pairing::Undirected => &b.supply.shared_stems,
    };
    if stem_contribution >= MIN_CONTRIBUTION && !stems.is_empty() {
        let list = stems
            .iter()
            .take(MAX_QUOTED_STEMS)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        push(
            Feature::Stems,
            stem_contribution,
            format!("termes communs : {list}"),
            format!("términos comunes: {list}"),
        );
    }

    // Sector.
    let sector_contribution = b.contributions.sector;
    if !b.sector_unknown && sector_contribution >= MIN_CONTRIBUTION {
        let adjacent_wins = b
            .adjacent
            .is_some_and(|a| b.same_sector.is_none_or(|(_, _, v)| a.value >= v));
        if let (true, Some(pair)) = (adjacent_wins, b.adjacent) {
            push(
                Feature::Adjacency,
                sector_contribution,
                format!(
                    "secteurs fournisseur → client : {} → {}",
                    nace_text(&pair.supplier, Lang::Fr),
                    nace_text(&pair.customer, Lang::Fr)
                ),
                format!(
                    "sectores proveedor → cliente: {} → {}",
                    nace_text(&pair.supplier, Lang::Es),
                    nace_text(&pair.customer, Lang::Es)
                ),
            );
        } else if let Some((firm, listing, value)) = b.same_sector {
            let (fr, es) = if value >= 1.0 {
                (
                    format!("secteur {}", nace_text(&listing, Lang::Fr)),
                    format!("sector {}", nace_text(&listing, Lang::Es)),
                )
            } else {
                (
                    format!(
                        "secteur proche : {} / {}",
                        firm.code(),
                        nace_text(&listing, Lang::Fr)
                    ),
                    format!(
                        "sector cercano: {} / {}",
                        firm.code(),
                        nace_text(&listing, Lang::Es)
                    ),
                )
            };
            push(Feature::Sector, sector_contribution, fr, es);
        }
    }

    // Distance: by road when the trip is known, else as the crow flies.
    if features.has(Feature::Distance)
        && let Some((fr, es)) = distance_text(opportunity, b.travel.as_ref(), b.distance_km)
    {
        push(Feature::Distance, b.contributions.distance, fr, es);
    }

    // Markets.
    if features.has(Feature::Market) {
        let contribution = b.contributions.market;
        if !b.market_listing_hit.is_empty() {
            let (fr, es) = markets_text(&b.market_listing_hit);
            push(
                Feature::Market,
                contribution,
                format!("l'annonceur cherche des partenaires en {fr}"),
                format!("el anunciante busca socios en {es}"),
            );
        } else if !b.market_firm_hit.is_empty() {
            let (fr, es) = markets_text(&b.market_firm_hit);
            push(
                Feature::Market,
                contribution,
                format!("dans votre marché cible : {fr}"),
                format!("en su mercado objetivo: {es}"),
            );
        }
        if b.market_listing_miss && b.elsewhere < 1.0 {
            let targets: Vec<Market> = opportunity.targets.iter().copied().collect();
            let (fr, es) = markets_text(&targets);
            let factor = factor_text(b.elsewhere);
            push(
                Feature::Market,
                0.0,
                format!("l'annonce cherche des partenaires ailleurs : {fr} ({factor})"),
                format!("el anuncio busca socios en otros mercados: {es} ({factor})"),
            );
        }
    }

    // Direction.
    if features.has(Feature::Direction) {
        let kind = opportunity.kind;
        let (fr, es) = match (kind.family(), b.pairing) {
            (Family::Request, _) => (
                "l'annonceur achète ce que vous proposez",
                "el anunciante compra lo que usted ofrece",
            ),
            (Family::Offer, Pairing::Source) => (
                "l'annonceur propose ce que vous cherchez",
                "el anunciante ofrece lo que usted busca",
            ),
            (Family::Offer, _) => (
                "l'annonceur cherche des partenaires de votre profil",
                "el anunciante busca socios de su perfil",
            ),
            (Family::Partnership, _) => (
                "projet commun dans votre domaine",
                "proyecto común en su ámbito",
            ),
        };
        let mut text_fr = format!("{} : {fr}", kind.name_fr());
        let mut text_es = format!("{}: {es}", kind.name_es());
        if b.direction < 1.0 && b.direction >= LIKELY_COMPETITOR {
            let factor = factor_text(b.direction);
            text_fr = format!("{text_fr} (en partie la même offre que la vôtre, {factor})");
            text_es = format!("{text_es} (en parte la misma oferta que la suya, {factor})");
        } else if b.direction < LIKELY_COMPETITOR {
            let factor = factor_text(b.direction);
            text_fr = format!(
                "{} : l'annonceur propose ou cherche la même chose que vous (concurrent probable, {factor})",
                kind.name_fr()
            );
            text_es = format!(
                "{}: el anunciante ofrece o busca lo mismo que usted (posible competidor, {factor})",
                kind.name_es()
            );
        }
        push(Feature::Direction, 0.0, text_fr, text_es);
    }

    // Deadline.
    let deadline = opportunity.deadline.or(opportunity.expires_on);
    if let Some(day) = deadline {
        let days = day.days_since_epoch() - as_of.days_since_epoch();
        push(
            Feature::Liveness,
            0.0,
            format!("échéance {} (dans {days} j)", format_day(day)),
            format!("plazo {} (en {days} días)", format_day(day)),
        );
    }

    // Language.
    if features.has(Feature::Language) && opportunity.language != Language::Unknown {
        let (fr, es) = language_name(opportunity.language);
        if b.language < 1.0 {
            let factor = factor_text(b.language);
            push(
                Feature::Language,
                0.0,
                format!("annonce en {fr}, langue que l'entreprise ne déclare pas ({factor})"),
                format!("anuncio en {es}, idioma que la empresa no declara ({factor})"),
            );
        } else if opportunity.language != company.language && company.languages_given {
            push(
                Feature::Language,
                0.0,
                format!("annonce en {fr} : l'entreprise travaille en {fr}"),
                format!("anuncio en {es}: la empresa trabaja en {es}"),
            );
        }
    }

    // Size.
    if features.has(Feature::Size)
        && b.size < 1.0
        && let (Some(budget), Some(employees)) = (opportunity.budget_eur, company.employees)
    {
        let (fr, es) = format_eur(budget);
        let factor = factor_text(b.size);
        push(
            Feature::Size,
            0.0,
            format!(
                "budget de {fr} pour {employees} salariés : marché peut-être trop gros ({factor})"
            ),
            format!(
                "presupuesto de {es} para {employees} empleados: quizá demasiado grande ({factor})"
            ),
        );
    }

    out.sort_by(|x, y| {
        y.contribution
            .partial_cmp(&x.contribution)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    out
}

/// Minutes as an adviser reads them: `45 min`, `3 h 10`.
pub fn duration_text(minutes: f64) -> String {
    let total = minutes.round().max(0.0) as u64;
    let (h, m) = (total / 60, total % 60);
    if h == 0 {
        format!("{m} min")
    } else {
        format!("{h} h {m:02}")
    }
}

/// The distance reason: « Zaragoza : 3 h 10 par le tunnel du Somport (263 km) », with
/// the closed crossing and its detour when the best one is closed that day; the
/// straight-line distance when no trip is known.
fn distance_text(
    opportunity: &OpportunityProfile,
    travel: Option<&pyred_travel::Trip<'static>>,
    distance_km: Option<f64>,
) -> Option<(String, String)> {
    let (place_fr, place_es) = if opportunity.place.is_empty() {
        ("l'annonce".to_owned(), "el anuncio".to_owned())
    } else {
        (opportunity.place.clone(), opportunity.place.clone())
    };
    let Some(trip) = travel else {
        let km = distance_km?;
        return Some((
            format!("{place_fr} à {km:.0} km"),
            format!("{place_es} a {km:.0} km"),
        ));
    };
    let time = duration_text(trip.minutes);
    let km = trip.km;
    let (mut fr, mut es) = match trip.crossing {
        Some(c) => (
            format!("{place_fr} : {time} par {} ({km:.0} km)", c.name_fr()),
            format!("{place_es}: {time} por {} ({km:.0} km)", c.name_es()),
        ),
        None => (
            format!("{place_fr} : {time} de route ({km:.0} km)"),
            format!("{place_es}: {time} por carretera ({km:.0} km)"),
        ),
    };
    if let Some((closed, detour)) = trip.closed_detour {
        let extra = duration_text(detour);
        fr.push_str(&format!(
            " ; {} est fermé ce jour-là (détour de {extra})",
            closed.name_fr()
        ));
        es.push_str(&format!(
            "; {} está cerrado ese día (rodeo de {extra})",
            closed.name_es()
        ));
    }
    Some((fr, es))
}
