//! What a tender asks, read from its codes and its text: the requirements a
//! consortium must cover.
//!
//! Each requirement has a stable code string, shown to advisers and returned in
//! `ProposeConsortiaResponse.requirements`:
//!
//! | code | read from |
//! |---|---|
//! | `cpv:45210000` | the tender's own CPV codes (a lot's when a lot is asked), else the codes its text names through the matching crate's vocabulary |
//! | `certification:iso9001`, `certification:en9100`, `certification:ifs`… | certifications and labels named in the text, in Spanish or French wording ([`certifications_in`]) |
//! | `language:es`, `language:fr`, `language:en` | the language of the procedure, and languages the text asks for ("documentación en castellano", "traduction vers l'espagnol") |
//! | `presence:es`, `presence:fr` | a local presence the text asks for ("delegación en Aragón", "servicio técnico en la provincia", "taller a menos de 40 km", "présence locale") |
//! | `capacity:staff` | a minimum team ("equipo de al menos 12 personas", "effectif minimum de 20 salariés"), with its figure |
//!
//! The reading is deliberately conservative: a requirement is only read from wording
//! that states it; a vague preference is not a requirement.

use std::collections::BTreeSet;

use pyred_matching::cues::fold_lower;
use pyred_matching::{Matcher, OpportunityProfile};
use pyred_proto::v1 as pb;
use pyred_text::Language;
use pyred_vocabulary::CpvCode;

use crate::error::ConsortiumError;

/// Most CPV requirements kept for one tender (its first codes, narrowest first).
pub const MAX_CPV_REQUIREMENTS: usize = 12;
/// Codes read from the text of a tender without own codes: lowest weight kept.
const MIN_TEXT_CODE_WEIGHT: f64 = 0.5;
/// Codes read from the text of a tender without own codes: most kept.
const MAX_TEXT_CODES: usize = 4;

/// A country of the border, as the consortium builder cares about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Country {
    /// France.
    Fr,
    /// Spain.
    Es,
}

impl Country {
    /// Lowercase ISO code (`fr`, `es`).
    pub fn code(self) -> &'static str {
        match self {
            Country::Fr => "fr",
            Country::Es => "es",
        }
    }

    /// The country of an ISO 3166 code or ISO 3166-2 region (`"FR-32"`, `"ES-Z"`, `"ES"`).
    pub fn of_region(region: &str) -> Option<Country> {
        let region = region.trim();
        let country = region.split('-').next().unwrap_or_default();
        if country.eq_ignore_ascii_case("fr") {
            Some(Country::Fr)
        } else if country.eq_ignore_ascii_case("es") {
            Some(Country::Es)
        } else {
            None
        }
    }

    /// Its name in French and in Spanish.
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            Country::Fr => ("France", "Francia"),
            Country::Es => ("Espagne", "España"),
        }
    }
}

/// What kind of thing a requirement asks.
#[derive(Debug, Clone, PartialEq)]
pub enum Need {
    /// Supplying what a CPV code names.
    Cpv(CpvCode),
    /// A certification or label (its id: `iso9001`, `en9100`, `ifs`…).
    Certification(&'static str),
    /// Working in a language (lowercase ISO 639-1).
    Language(String),
    /// A local presence in a country.
    Presence(Country),
    /// A team of at least this many people (summed over the members).
    Staff(u32),
}

/// One requirement of a tender.
#[derive(Debug, Clone, PartialEq)]
pub struct Requirement {
    /// Stable code (`cpv:45210000`, `certification:en9100`, `language:es`,
    /// `presence:es`, `capacity:staff`).
    pub code: String,
    /// What it asks.
    pub need: Need,
    /// How advisers read it, in French ("les codes CPV 45210000 (travaux de
    /// construction)" is built from [`Requirement::label_fr`] = "45210000 (travaux…)").
    pub label_fr: String,
    /// …and in Spanish.
    pub label_es: String,
}

impl Requirement {
    fn new(need: Need, matcher: &Matcher) -> Self {
        let (code, label_fr, label_es) = match &need {
            Need::Cpv(cpv) => {
                let vocabulary = matcher.lexicon().vocabulary();
                let label = |language| {
                    vocabulary
                        .nearest_label(cpv, language)
                        .map(|l| format!("{} ({})", cpv.as_str(), l.to_lowercase()))
                        .unwrap_or_else(|| cpv.as_str().to_owned())
                };
                (
                    format!("cpv:{}", cpv.as_str()),
                    label(Language::Fr),
                    label(Language::Es),
                )
            }
            Need::Certification(id) => {
                let name = certification_name(id);
                (
                    format!("certification:{id}"),
                    format!("la certification {name}"),
                    format!("la certificación {name}"),
                )
            }
            Need::Language(code) => {
                let (fr, es) = language_names(code);
                (format!("language:{code}"), fr, es)
            }
            Need::Presence(country) => {
                let (fr, es) = country.names();
                (
                    format!("presence:{}", country.code()),
                    format!("une présence locale en {fr}"),
                    format!("la presencia local en {es}"),
                )
            }
            Need::Staff(n) => (
                "capacity:staff".to_owned(),
                format!("une équipe d'au moins {n} personnes"),
                format!("un equipo de al menos {n} personas"),
            ),
        };
        Self {
            code,
            need,
            label_fr,
            label_es,
        }
    }

    /// Whether it is a CPV requirement.
    pub fn is_cpv(&self) -> bool {
        matches!(self.need, Need::Cpv(_))
    }
}

fn language_names(code: &str) -> (String, String) {
    match code {
        "es" => ("l'espagnol".to_owned(), "el español".to_owned()),
        "fr" => ("le français".to_owned(), "el francés".to_owned()),
        "en" => ("l'anglais".to_owned(), "el inglés".to_owned()),
        "ca" => ("le catalan".to_owned(), "el catalán".to_owned()),
        "de" => ("l'allemand".to_owned(), "el alemán".to_owned()),
        other => (format!("la langue {other}"), format!("el idioma {other}")),
    }
}

/// The display name of a certification id.
pub fn certification_name(id: &str) -> String {
    match id {
        "en9100" => "EN 9100".to_owned(),
        "ifs" => "IFS".to_owned(),
        "brc" => "BRCGS".to_owned(),
        "globalgap" => "GLOBALG.A.P.".to_owned(),
        "ecolabel" => "Écolabel / etiqueta ecológica".to_owned(),
        "organic" => "agriculture biologique / producción ecológica".to_owned(),
        "pefc" => "PEFC".to_owned(),
        "fsc" => "FSC".to_owned(),
        "qualibat" => "Qualibat".to_owned(),
        "rge" => "RGE".to_owned(),
        "sworn_translator" => "traducteur assermenté / traductor jurado".to_owned(),
        iso if iso.starts_with("iso") => format!("ISO {}", &iso[3..]),
        other => other.to_uppercase(),
    }
}

/// Certifications and labels recognised in folded text: (id, the folded wordings).
/// ISO standards are read generically ("iso 9001", "une-en iso 14001", "iso9001").
const CERTIFICATIONS: &[(&str, &[&str])] = &[
    (
        "en9100",
        &["en 9100", "en9100", "as9100", "as 9100", "une-en 9100"],
    ),
    ("iso45001", &["ohsas 18001", "ohsas18001"]),
    (
        "ifs",
        &[
            "ifs food",
            "ifs broker",
            "ifs logistics",
            "certificacion ifs",
            "certification ifs",
            "norma ifs",
            "norme ifs",
        ],
    ),
    (
        "brc",
        &[
            "brcgs",
            "brc global",
            "norma brc",
            "norme brc",
            "certificacion brc",
            "certification brc",
        ],
    ),
    (
        "globalgap",
        &["globalg.a.p", "globalgap", "global gap", "global g.a.p"],
    ),
    (
        "ecolabel",
        &[
            "ecolabel",
            "etiqueta ecologica",
            "label ecologique",
            "ecoetiqueta",
            "ecoetiquetado",
            "distintivo de garantia de calidad ambiental",
            "nf environnement",
        ],
    ),
    (
        "organic",
        &[
            "agriculture biologique",
            "label ab",
            "produits biologiques",
            "produit biologique",
            "agricultura ecologica",
            "produccion ecologica",
            "productos ecologicos",
            "producto ecologico",
            "certificado ecologico",
            "certificacion ecologica",
            "caae",
        ],
    ),
    ("pefc", &["pefc"]),
    ("fsc", &["fsc"]),
    ("qualibat", &["qualibat"]),
    (
        "rge",
        &[
            "reconnu garant de l'environnement",
            "label rge",
            "qualification rge",
        ],
    ),
    (
        "sworn_translator",
        &[
            "traductor jurado",
            "traductora jurada",
            "traductores jurados",
            "traductor-interprete jurado",
            "interprete jurado",
            "traducteur assermente",
            "traductrice assermentee",
            "traducteurs assermentes",
            "traducteur-interprete assermente",
        ],
    ),
];

/// Whether `needle` occurs in `haystack` at word boundaries (both folded).
fn has_word(haystack: &str, needle: &str) -> bool {
    let bytes = haystack.as_bytes();
    let mut from = 0;
    while let Some(found) = haystack.get(from..).and_then(|rest| rest.find(needle)) {
        let start = from + found;
        let end = start + needle.len();
        let before = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
        let after = end >= bytes.len() || !bytes[end].is_ascii_alphanumeric();
        if before && after {
            return true;
        }
        from = start + 1;
        if from >= haystack.len() {
            break;
        }
        while !haystack.is_char_boundary(from) {
            from += 1;
        }
    }
    false
}

/// The certification ids named in `text` (any language), sorted.
pub fn certifications_in(text: &str) -> BTreeSet<&'static str> {
    let folded = fold_lower(text);
    let mut out = BTreeSet::new();
    for (id, wordings) in CERTIFICATIONS {
        if wordings.iter().any(|w| has_word(&folded, w)) {
            out.insert(*id);
        }
    }
    // Sworn translation in any wording: "traductora-intérprete jurada",
    // "traductions assermentées".
    let words: Vec<&str> = folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let sworn = |w: &str| w.starts_with("assermente") || w.starts_with("jurad");
    let translation = |w: &str| w.starts_with("tradu") || w.starts_with("interpret");
    let sworn_translation = words.iter().enumerate().any(|(i, w)| {
        sworn(w)
            && words
                .get(i.saturating_sub(3)..(i + 4).min(words.len()))
                .is_some_and(|around| around.iter().any(|x| translation(x)))
    });
    if sworn_translation {
        out.insert("sworn_translator");
    }
    // ISO standards: "iso 9001", "iso9001", "iso-9001", "une-en iso 9001:2015",
    // "iso/iec 27001".
    for (i, w) in words.iter().enumerate() {
        let number = if let Some(rest) = w.strip_prefix("iso")
            && !rest.is_empty()
        {
            Some(rest)
        } else if *w == "iso" {
            match words.get(i + 1).copied() {
                Some("iec") => words.get(i + 2).copied(),
                other => other,
            }
        } else {
            None
        };
        let id = match number {
            Some("9001") => "iso9001",
            Some("14001") => "iso14001",
            // OHSAS 18001 was replaced by ISO 45001.
            Some("45001") => "iso45001",
            Some("22000") => "iso22000",
            Some("27001") => "iso27001",
            Some("50001") => "iso50001",
            Some("17100") => "iso17100",
            Some("13485") => "iso13485",
            Some("3834") => "iso3834",
            _ => continue,
        };
        out.insert(id);
    }
    out
}

/// Languages a text asks for, as wordings of a need: (folded wording, ISO code).
const LANGUAGE_WORDINGS: &[(&str, &str)] = &[
    ("en castellano", "es"),
    ("en espanol", "es"),
    ("lengua castellana", "es"),
    ("idioma espanol", "es"),
    ("al espanol", "es"),
    ("vers l'espagnol", "es"),
    ("en espagnol", "es"),
    ("hispanophone", "es"),
    ("francais-espagnol", "es"),
    ("frances-espanol", "es"),
    ("espagnol-francais", "es"),
    ("espanol-frances", "es"),
    ("francais-espagnol", "fr"),
    ("frances-espanol", "fr"),
    ("espagnol-francais", "fr"),
    ("espanol-frances", "fr"),
    ("en frances", "fr"),
    ("al frances", "fr"),
    ("de frances", "fr"),
    ("en francais", "fr"),
    ("vers le francais", "fr"),
    ("francophone", "fr"),
    ("en ingles", "en"),
    ("en anglais", "en"),
];

fn languages_in(folded: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (wording, code) in LANGUAGE_WORDINGS {
        if has_word(folded, wording) {
            out.insert((*code).to_owned());
        }
    }
    // "(francés, inglés y español)", "en español, inglés y francés": a list of
    // languages after one that was recognised.
    if !out.is_empty() {
        for (word, code) in [
            ("espanol", "es"),
            ("castellano", "es"),
            ("espagnol", "es"),
            ("frances", "fr"),
            ("francais", "fr"),
            ("ingles", "en"),
            ("anglais", "en"),
        ] {
            if has_word(folded, word) {
                out.insert(code.to_owned());
            }
        }
    }
    out
}

/// Wordings that ask for a local presence (folded). Each states an obligation about
/// where the contractor must be, not where the work is done.
const PRESENCE_WORDINGS: &[&str] = &[
    "delegacion en",
    "delegacion permanente",
    "oficina en la provincia",
    "oficina abierta en",
    "servicio tecnico en la provincia",
    "servicio tecnico oficial",
    "servicio tecnico local",
    "taller a menos de",
    "taller en la provincia",
    "presencia local",
    "presencia permanente",
    "implantacion local",
    "bases en",
    "presence locale",
    "implantation locale",
    "agence dans le departement",
    "agence locale",
    "agence a moins de",
    "service apres-vente local",
    "atelier a moins de",
    "antenne locale",
];

/// A minimum team: (folded lead-in; the number follows within a few words).
const STAFF_LEADS: &[&str] = &[
    "equipo de al menos",
    "equipo minimo de",
    "plantilla minima de",
    "plantilla de al menos",
    "personal minimo de",
    "al menos",
    "effectif minimum de",
    "effectif d'au moins",
    "equipe d'au moins",
    "equipe minimale de",
    "au moins",
];
const STAFF_WORDS: &[&str] = &[
    "personas",
    "trabajadores",
    "empleados",
    "operarios",
    "tecnicos",
    "profesionales",
    "personnes",
    "salaries",
    "employes",
    "techniciens",
    "agents",
];

/// Reads "… al menos 12 personas", "effectif minimum de 20 salariés": the largest
/// figure found (numbers in digits).
fn staff_in(folded: &str) -> Option<u32> {
    let mut best: Option<u32> = None;
    for lead in STAFF_LEADS {
        let mut from = 0;
        while let Some(found) = folded.get(from..).and_then(|rest| rest.find(lead)) {
            let after = from + found + lead.len();
            from = after;
            let rest = folded.get(after..).unwrap_or_default();
            let mut words = rest.split_whitespace();
            let Some(number) = words.next() else { break };
            let Ok(n) = number
                .trim_matches(|c: char| !c.is_ascii_digit())
                .parse::<u32>()
            else {
                continue;
            };
            // The unit within the next three words ("12 personas", "5 técnicos
            // cualificados", "20 salariés à temps plein").
            let unit = words.take(3).any(|w| {
                let w = w.trim_matches(|c: char| !c.is_alphanumeric());
                STAFF_WORDS.contains(&w)
            });
            if unit && (1..=100_000).contains(&n) {
                best = Some(best.map_or(n, |b| b.max(n)));
            }
        }
    }
    best
}

/// A tender as the consortium builder reads it: the matching model's profile, the
/// tender's country, codes and lots, and the requirements stated in its text.
#[derive(Debug, Clone)]
pub struct TenderProfile {
    /// The matching model's profile of the tender (its id is the tender's).
    pub profile: OpportunityProfile,
    /// The country whose procedure applies (region, else language, else source).
    pub country: Option<Country>,
    /// The tender's budget without taxes, when known.
    pub budget_eur: Option<f64>,
    /// The tender's own CPV codes (or read from its text when it gives none).
    pub cpv: Vec<CpvCode>,
    /// Its lots: id, CPV codes, budget.
    pub lots: Vec<LotProfile>,
    /// The requirements other than CPV codes, read from its text.
    pub stated: Vec<Requirement>,
}

/// One lot of a tender.
#[derive(Debug, Clone)]
pub struct LotProfile {
    /// Lot id as published.
    pub id: String,
    /// Its CPV codes.
    pub cpv: Vec<CpvCode>,
    /// Its budget, when known.
    pub budget_eur: Option<f64>,
}

/// Keeps distinct codes, narrowest first where one lies under another, at most `max`.
fn distinct_codes(raw: impl IntoIterator<Item = CpvCode>, max: usize) -> Vec<CpvCode> {
    let mut out: Vec<CpvCode> = Vec::new();
    for code in raw {
        if out.contains(&code) {
            continue;
        }
        // A broader code of the same list adds nothing a narrower one does not ask.
        if out.iter().any(|known| known.is_within(&code)) {
            continue;
        }
        out.retain(|known| !code.is_within(known));
        out.push(code);
    }
    out.truncate(max);
    out
}

fn parse_codes(raw: &[String]) -> Vec<CpvCode> {
    raw.iter().filter_map(|c| CpvCode::parse(c).ok()).collect()
}

impl TenderProfile {
    /// Reads a tender (any listing kind is accepted; the builder is meant for
    /// tenders).
    ///
    /// # Errors
    /// [`ConsortiumError::Matching`] when the matching model refuses the record (no id,
    /// no kind, an impossible date).
    pub fn new(matcher: &Matcher, opportunity: &pb::Opportunity) -> Result<Self, ConsortiumError> {
        let profile = matcher.opportunity(opportunity)?;
        let text = format!("{}\n{}", opportunity.title, opportunity.description);
        let folded = fold_lower(&text);
        let country = Country::of_region(&opportunity.region)
            .or(match profile.language {
                Language::Es => Some(Country::Es),
                Language::Fr => Some(Country::Fr),
                Language::Unknown => None,
            })
            .or(match opportunity.source.trim() {
                "pcsp" | "placsp" | "arex" | "ader" => Some(Country::Es),
                "boamp" | "cci-gers" | "adocc" => Some(Country::Fr),
                _ => None,
            });
        let own = parse_codes(&opportunity.cpv);
        let cpv = if own.is_empty() {
            // No code given: the codes the text names, as the model read them.
            let mut inferred: Vec<(CpvCode, f64)> = profile
                .needs
                .codes
                .codes
                .iter()
                .filter(|(_, e)| e.weight >= MIN_TEXT_CODE_WEIGHT)
                .map(|(c, e)| (*c, e.weight))
                .collect();
            inferred.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            distinct_codes(
                inferred.into_iter().map(|(c, _)| c).take(MAX_TEXT_CODES),
                MAX_TEXT_CODES,
            )
        } else {
            distinct_codes(own, MAX_CPV_REQUIREMENTS)
        };
        let lots = opportunity
            .lots
            .iter()
            .map(|lot| LotProfile {
                id: lot.id.trim().to_owned(),
                cpv: distinct_codes(parse_codes(&lot.cpv), MAX_CPV_REQUIREMENTS),
                budget_eur: lot.budget_eur.filter(|b| b.is_finite() && *b > 0.0),
            })
            .collect();

        let mut stated = Vec::new();
        for id in certifications_in(&text) {
            stated.push(Requirement::new(Need::Certification(id), matcher));
        }
        let mut languages = languages_in(&folded);
        // The bid is written in the procedure's language.
        match profile.language {
            Language::Es => {
                languages.insert("es".to_owned());
            }
            Language::Fr => {
                languages.insert("fr".to_owned());
            }
            Language::Unknown => {}
        }
        for code in languages {
            stated.push(Requirement::new(Need::Language(code), matcher));
        }
        if let Some(country) = country
            && PRESENCE_WORDINGS.iter().any(|w| has_word(&folded, w))
        {
            stated.push(Requirement::new(Need::Presence(country), matcher));
        }
        if let Some(n) = staff_in(&folded) {
            stated.push(Requirement::new(Need::Staff(n), matcher));
        }
        Ok(Self {
            profile,
            country,
            budget_eur: opportunity.budget_eur.filter(|b| b.is_finite() && *b > 0.0),
            cpv,
            lots,
            stated,
        })
    }

    /// The tender's id.
    pub fn id(&self) -> &str {
        &self.profile.id
    }

    /// The requirements of the whole tender (`lot` = `None`) or of one lot: the
    /// lot's CPV codes replace the tender's (its stated requirements stay).
    ///
    /// # Errors
    /// [`ConsortiumError::UnknownLot`] when the tender has no such lot.
    pub fn requirements(
        &self,
        matcher: &Matcher,
        lot: Option<&str>,
    ) -> Result<Vec<Requirement>, ConsortiumError> {
        let codes = match lot.map(str::trim).filter(|l| !l.is_empty()) {
            None => &self.cpv,
            Some(id) => {
                let Some(found) = self.lots.iter().find(|l| l.id == id) else {
                    return Err(ConsortiumError::UnknownLot {
                        tender: self.id().to_owned(),
                        lot: id.to_owned(),
                    });
                };
                if found.cpv.is_empty() {
                    &self.cpv
                } else {
                    &found.cpv
                }
            }
        };
        let mut out: Vec<Requirement> = codes
            .iter()
            .map(|c| Requirement::new(Need::Cpv(*c), matcher))
            .collect();
        out.extend(self.stated.iter().cloned());
        Ok(out)
    }

    /// The budget of the whole tender or of a lot (the tender's when the lot has none).
    pub fn budget(&self, lot: Option<&str>) -> Option<f64> {
        lot.and_then(|id| self.lots.iter().find(|l| l.id == id.trim()))
            .and_then(|l| l.budget_eur)
            .or(self.budget_eur)
    }
}
