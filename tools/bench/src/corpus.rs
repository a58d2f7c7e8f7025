//! The corpus generator: companies and opportunities in French and Spanish, written in
//! the JSON Lines interchange format (`shared/data/FORMAT.md`).
//!
//! Everything is drawn from one seed, so a seed and two sizes name a corpus byte for
//! byte. Realism comes from the project's own reference data:
//!
//! - **vocabulary**: the glossary's concepts (420 trade concepts, French and Spanish
//!   terms) ranked in a seed-shuffled order and drawn with Zipf weights, so a few trades
//!   are everywhere and most are rare, as in real listings; each record picks a main
//!   concept and one to three more of the same sector; NACE classes come from a
//!   sector table and their official French/Spanish labels go into the texts;
//! - **places**: gazetteer communes (Gers) and municipalities (Aragón, La Rioja) with
//!   their real points, drawn with weights growing with population (Zaragoza, Logroño,
//!   Auch, Huesca, Teruel dominate); firms are 70 % French, listings 75 % Spanish;
//! - **all six kinds**, publication dates over the 400 days before [`BASE_DAY`],
//!   deadlines (80 %, always for tenders) of which some are already past, CPV codes on
//!   tenders, budgets, valid SIRET (Luhn) and CIF (control digit) identifiers.

use std::io::{self, Write};
use std::path::Path;

use pyred_domain::{Day, Gazetteer, Lang, NaceCode, Place};
use pyred_text::{Glossary, Language};
use serde::{Deserialize, Serialize};

use crate::rng::{Rng, Weighted, shuffle};

/// The day the corpus is generated "as of": dates are relative to it, and the
/// benchmark's liveness filter uses it, so results do not drift with the calendar.
pub const BASE_DAY: (i32, u32, u32) = (2026, 11, 28);

/// The reference day as a [`Day`].
pub fn base_day() -> Day {
    Day::new(BASE_DAY.0, BASE_DAY.1, BASE_DAY.2).unwrap_or_else(|_| Day::today())
}

/// Where a record is, as in the interchange format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Place name.
    pub place: String,
    /// INSEE or INE code.
    pub code: String,
}

/// One line of `companies.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompanyRecord {
    /// Publisher's identifier.
    pub id: String,
    /// Trading name.
    pub name: String,
    /// `FR` or `ES`.
    pub country: String,
    /// French establishments.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub siret: Option<String>,
    /// Spanish companies.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub nif: Option<String>,
    /// NACE classes.
    pub nace: Vec<String>,
    /// `fr` or `es`.
    pub lang: String,
    /// What the firm does.
    pub description: String,
    /// What it sells.
    pub offers: String,
    /// What it looks for.
    pub seeks: String,
    /// Its place.
    pub location: Location,
    /// ISO 3166-2 region.
    pub region: String,
    /// Headcount.
    pub employees: i32,
    /// Working languages.
    pub languages: Vec<String>,
}

/// One line of `opportunities.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpportunityRecord {
    /// Publisher's identifier.
    pub id: String,
    /// Publishing agency.
    pub source: String,
    /// One of the six kinds.
    pub kind: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// `fr` or `es`.
    pub lang: String,
    /// NACE classes.
    pub nace: Vec<String>,
    /// CPV codes (tenders).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub cpv: Vec<String>,
    /// Its place.
    pub location: Location,
    /// ISO 3166-2 region.
    pub region: String,
    /// `YYYY-MM-DD`.
    pub published: String,
    /// `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub deadline: Option<String>,
    /// Budget.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub budget_eur: Option<f64>,
}

/// The six kinds as written in the files.
pub const KINDS: [&str; 6] = [
    "business_offer",
    "business_request",
    "partnership",
    "tender",
    "technology_offer",
    "technology_request",
];
/// How often each kind occurs.
const KIND_WEIGHTS: [f64; 6] = [0.22, 0.30, 0.14, 0.20, 0.07, 0.07];

/// NACE classes typical of each glossary sector.
const SECTOR_NACE: &[(&str, &[&str])] = &[
    ("aeronautics", &["30.30", "25.62", "33.16"]),
    ("agriculture", &["01.11", "01.50", "01.61"]),
    ("agrifood", &["10.89", "10.39", "46.38"]),
    ("automotive", &["29.32", "45.20"]),
    ("bakery_confectionery", &["10.71", "10.82"]),
    ("cereals", &["01.11", "10.61", "46.21"]),
    ("certification", &["71.20"]),
    ("chemicals", &["20.15", "20.59"]),
    ("construction_timber", &["16.23", "41.20", "43.32"]),
    ("dairy", &["10.51"]),
    ("digital", &["62.01", "63.11"]),
    ("duck_foie_gras", &["10.12", "01.47"]),
    ("electronics", &["26.11", "27.12"]),
    ("energy", &["35.11", "43.21"]),
    ("environment", &["38.11", "39.00"]),
    ("finance_business", &["70.22", "64.19"]),
    ("fruit", &["01.24", "10.32"]),
    ("health_cosmetics", &["20.42", "21.20"]),
    ("insulation", &["43.29", "23.99"]),
    ("language_services", &["74.30"]),
    ("logistics", &["49.41", "52.10"]),
    ("machinery", &["28.30", "28.93"]),
    ("meat_poultry", &["10.11", "10.13"]),
    ("metalwork", &["25.62", "25.11"]),
    ("packaging", &["17.21", "22.22"]),
    ("plastics_composites", &["22.29"]),
    ("public_procurement", &["84.11"]),
    ("public_sector", &["84.11"]),
    ("research_innovation", &["72.19"]),
    ("services", &["82.99", "70.22"]),
    ("textiles", &["13.92"]),
    ("tourism_events", &["55.10", "82.30"]),
    ("trade_export", &["46.90", "46.19"]),
    ("vegetables", &["01.13", "10.39"]),
    ("water", &["36.00", "37.00"]),
    ("wine_spirits", &["11.02", "11.01"]),
];

/// CPV codes for tenders, by sector (else [`DEFAULT_CPV`]).
const SECTOR_CPV: &[(&str, &[&str])] = &[
    ("construction_timber", &["45210000", "45261000", "45422000"]),
    ("insulation", &["45321000", "45261215"]),
    ("agrifood", &["15800000", "15000000"]),
    ("meat_poultry", &["15110000", "15131000"]),
    ("wine_spirits", &["15930000", "15911000"]),
    ("machinery", &["42000000", "43000000"]),
    ("digital", &["72000000", "48000000"]),
    ("energy", &["09300000", "09331200", "45261215"]),
    ("logistics", &["60100000", "63100000"]),
    ("water", &["65100000", "90400000"]),
    ("environment", &["90500000", "90700000"]),
    ("tourism_events", &["79950000", "79952000"]),
    ("language_services", &["79530000", "79540000"]),
    ("health_cosmetics", &["33600000", "33700000"]),
];
const DEFAULT_CPV: &[&str] = &["79400000", "71300000", "50000000"];

const FR_NAME_PREFIX: &[&str] = &[
    "Ateliers",
    "Établissements",
    "Domaine",
    "Maison",
    "Scierie",
    "Transports",
    "Coopérative",
    "Menuiserie",
    "Conserverie",
    "Société",
    "Laboratoire",
    "Groupe",
];
const FR_SURNAMES: &[&str] = &[
    "Dupuy", "Lafitte", "Barthe", "Castaing", "Soulé", "Laborde", "Ducos", "Lannes", "Sarrade",
    "Marrast", "Pujol", "Fourcade", "Abadie", "Cazaux", "Dubarry", "Lacoste",
];
const ES_NAME_PREFIX: &[&str] = &[
    "Talleres",
    "Industrias",
    "Bodegas",
    "Hermanos",
    "Transportes",
    "Cooperativa",
    "Grupo",
    "Construcciones",
    "Conservas",
    "Laboratorios",
    "Carpintería",
    "Soluciones",
];
const ES_SURNAMES: &[&str] = &[
    "García",
    "Martínez",
    "López",
    "Pérez",
    "Sánchez",
    "Navarro",
    "Gil",
    "Lázaro",
    "Royo",
    "Lacasa",
    "Sáenz",
    "Ezquerro",
    "Moncayo",
    "Ibarra",
    "Aznar",
    "Pascual",
];

const FR_FILLER: &[&str] = &[
    "Livraison rapide dans tout le Sud-Ouest.",
    "Certification ISO 9001 exigée.",
    "Volumes réguliers sur plusieurs années.",
    "Entreprise familiale avec une forte expérience à l'export.",
    "Les offres sont attendues en français ou en espagnol.",
    "Une visite du site est prévue avant la remise des offres.",
    "Possibilité de contrat cadre renouvelable.",
    "Nous privilégions des partenaires proches et réactifs.",
    "Séries petites et moyennes, prototypes acceptés.",
    "Démarche environnementale et circuits courts appréciés.",
];
const ES_FILLER: &[&str] = &[
    "Entrega rápida en todo el valle del Ebro.",
    "Se exige certificación ISO 9001.",
    "Volúmenes regulares durante varios años.",
    "Empresa familiar con amplia experiencia en exportación.",
    "Las ofertas pueden presentarse en español o en francés.",
    "Se prevé una visita a las instalaciones antes de la presentación de ofertas.",
    "Posibilidad de contrato marco renovable.",
    "Se valoran socios cercanos y con capacidad de respuesta.",
    "Series cortas y medianas, se aceptan prototipos.",
    "Se valora la gestión medioambiental y la proximidad.",
];

/// The reference data a generator draws from.
pub struct Vocabulary {
    /// Concepts in Zipf rank order: (sector, French terms, Spanish terms).
    concepts: Vec<(String, Vec<String>, Vec<String>)>,
    concept_weights: Weighted,
    /// For each sector, the indices of its concepts (rank order).
    by_sector: std::collections::BTreeMap<String, Vec<usize>>,
    fr_places: Vec<&'static Place>,
    fr_weights: Weighted,
    es_places: Vec<&'static Place>,
    es_weights: Weighted,
}

impl std::fmt::Debug for Vocabulary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vocabulary")
            .field("concepts", &self.concepts.len())
            .field("fr_places", &self.fr_places.len())
            .field("es_places", &self.es_places.len())
            .finish()
    }
}

impl Vocabulary {
    /// The embedded glossary and gazetteer, the concepts ranked by `seed`.
    pub fn new(seed: u64) -> anyhow::Result<Self> {
        let glossary = Glossary::embedded()?;
        let gazetteer = Gazetteer::embedded();
        let mut concepts: Vec<(String, Vec<String>, Vec<String>)> = glossary
            .iter()
            .filter(|c| !c.terms(Language::Fr).is_empty() && !c.terms(Language::Es).is_empty())
            .map(|c| {
                (
                    c.sector().to_owned(),
                    c.terms(Language::Fr).to_vec(),
                    c.terms(Language::Es).to_vec(),
                )
            })
            .collect();
        let mut rng = Rng::new(seed, 1);
        shuffle(&mut rng, &mut concepts);
        let mut by_sector = std::collections::BTreeMap::<String, Vec<usize>>::new();
        for (i, (sector, _, _)) in concepts.iter().enumerate() {
            by_sector.entry(sector.clone()).or_default().push(i);
        }
        let concept_weights = Weighted::zipf(concepts.len(), 1.0);
        let with_point = |place: &&Place| place.point().is_some() && !place.is_approximate();
        let fr_places: Vec<&Place> = gazetteer
            .places()
            .iter()
            .filter(with_point)
            .filter(|p| p.region().as_str() == "FR-32")
            .collect();
        let es_places: Vec<&Place> = gazetteer
            .places()
            .iter()
            .filter(with_point)
            .filter(|p| matches!(p.region().as_str(), "ES-AR" | "ES-RI"))
            .collect();
        let weight = |p: &&Place| f64::from(p.population().unwrap_or(100).max(50)).powf(0.8);
        let fr_weights = Weighted::new(fr_places.iter().map(weight));
        let es_weights = Weighted::new(es_places.iter().map(weight));
        anyhow::ensure!(
            !concepts.is_empty() && !fr_places.is_empty() && !es_places.is_empty(),
            "glossary or gazetteer is empty"
        );
        Ok(Self {
            concepts,
            concept_weights,
            by_sector,
            fr_places,
            fr_weights,
            es_places,
            es_weights,
        })
    }

    /// A concept index drawn with Zipf weights.
    pub fn concept(&self, rng: &mut Rng) -> usize {
        self.concept_weights.sample(rng)
    }

    /// The concept's sector.
    pub fn sector(&self, concept: usize) -> &str {
        &self.concepts[concept].0
    }

    /// A term of the concept in `lang`: its first (usual) term half of the time.
    pub fn term(&self, rng: &mut Rng, concept: usize, lang: Language) -> &str {
        let terms = self.terms(concept, lang);
        if terms.len() == 1 || rng.chance(0.5) {
            &terms[0]
        } else {
            rng.pick(terms).as_str()
        }
    }

    /// All terms of the concept in `lang`.
    pub fn terms(&self, concept: usize, lang: Language) -> &[String] {
        let (_, fr, es) = &self.concepts[concept];
        if lang == Language::Es { es } else { fr }
    }

    /// Another concept of the same sector (Zipf within the sector), or any concept.
    pub fn related(&self, rng: &mut Rng, concept: usize) -> usize {
        match self.by_sector.get(self.sector(concept)) {
            Some(same) if same.len() > 1 => {
                let weights = Weighted::zipf(same.len(), 1.0);
                same[weights.sample(rng)]
            }
            _ => self.concept(rng),
        }
    }

    /// A place of the country (`true` = Spain), weighted by population.
    pub fn place(&self, rng: &mut Rng, spain: bool) -> &'static Place {
        if spain {
            self.es_places[self.es_weights.sample(rng)]
        } else {
            self.fr_places[self.fr_weights.sample(rng)]
        }
    }

    /// Places of one country, for query generation.
    pub fn places(&self, spain: bool) -> &[&'static Place] {
        if spain {
            &self.es_places
        } else {
            &self.fr_places
        }
    }

    /// Number of concepts.
    pub fn concept_count(&self) -> usize {
        self.concepts.len()
    }
}

fn location(place: &Place) -> Location {
    let point = place.point();
    Location {
        lat: point.map_or(0.0, |p| p.lat()),
        lon: point.map_or(0.0, |p| p.lon()),
        place: place.name().to_owned(),
        code: place.code().as_str().to_owned(),
    }
}

fn nace_for(rng: &mut Rng, sector: &str) -> Vec<String> {
    let codes = SECTOR_NACE
        .iter()
        .find(|(s, _)| *s == sector)
        .map_or(&["82.99"][..], |(_, codes)| codes);
    let first = (*rng.pick(codes)).to_owned();
    let mut out = vec![first];
    if codes.len() > 1 && rng.chance(0.25) {
        let second = (*rng.pick(codes)).to_owned();
        if !out.contains(&second) {
            out.push(second);
        }
    }
    out
}

fn nace_label(code: &str, lang: Language) -> String {
    NaceCode::parse(code)
        .map(|c| {
            c.label(if lang == Language::Es {
                Lang::Es
            } else {
                Lang::Fr
            })
            .to_owned()
        })
        .unwrap_or_default()
}

fn cpv_for(rng: &mut Rng, sector: &str) -> Vec<String> {
    let codes = SECTOR_CPV
        .iter()
        .find(|(s, _)| *s == sector)
        .map_or(DEFAULT_CPV, |(_, codes)| codes);
    let mut out = vec![(*rng.pick(codes)).to_owned()];
    let second = (*rng.pick(codes)).to_owned();
    if rng.chance(0.4) && !out.contains(&second) {
        out.push(second);
    }
    out
}

fn luhn_complete(digits: &[u8]) -> u8 {
    // Check digit that makes `digits + check` Luhn-valid.
    let mut sum = 0_u32;
    for (i, &d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(d);
        if i % 2 == 0 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    ((10 - sum % 10) % 10) as u8
}

/// A Luhn-valid SIRET whose SIREN is unique for `index` (< 10^8).
pub fn siret(index: u64) -> String {
    let body = (index.wrapping_mul(7919) + 12_345_678) % 100_000_000;
    let mut digits: Vec<u8> = format!("{body:08}").bytes().map(|b| b - b'0').collect();
    digits.push(luhn_complete(&digits));
    digits.extend_from_slice(&[0, 0, 0, 1]);
    digits.push(luhn_complete(&digits));
    digits.iter().map(|d| char::from(b'0' + d)).collect()
}

/// A CIF (`B` + 7 digits + Luhn control digit) unique for `index` (< 10^7).
pub fn cif(index: u64) -> String {
    let body = (index.wrapping_mul(7919) + 1_234_567) % 10_000_000;
    let digits: Vec<u8> = format!("{body:07}").bytes().map(|b| b - b'0').collect();
    let check = luhn_complete(&digits);
    format!("B{body:07}{check}")
}

fn date_text(day: Day) -> String {
    format!("{:04}-{:02}-{:02}", day.year(), day.month(), day.day())
}

fn lang_code(lang: Language) -> &'static str {
    if lang == Language::Es { "es" } else { "fr" }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Generates records one at a time, deterministically.
#[derive(Debug)]
pub struct Generator<'v> {
    vocabulary: &'v Vocabulary,
    companies: Rng,
    opportunities: Rng,
    base: Day,
}

impl<'v> Generator<'v> {
    /// A generator for `seed`; companies and opportunities have separate streams, so
    /// changing one count does not change the other file.
    pub fn new(vocabulary: &'v Vocabulary, seed: u64) -> Self {
        Self {
            vocabulary,
            companies: Rng::new(seed, 2),
            opportunities: Rng::new(seed, 3),
            base: base_day(),
        }
    }

    /// The `index`-th company (call in order 0, 1, 2, …).
    pub fn company(&mut self, index: u64) -> CompanyRecord {
        let v = self.vocabulary;
        let rng = &mut self.companies;
        let spain = rng.chance(0.3);
        let lang = if spain { Language::Es } else { Language::Fr };
        let place = v.place(rng, spain);
        let main = v.concept(rng);
        let sector = v.sector(main).to_owned();
        let others: Vec<usize> = (0..rng.between(1, 3))
            .map(|_| v.related(rng, main))
            .collect();
        let nace = nace_for(rng, &sector);
        let label = nace_label(&nace[0], lang);
        let a = v.term(rng, main, lang).to_owned();
        let b = v.term(rng, others[0], lang).to_owned();
        let c = others
            .get(1)
            .map_or_else(|| a.clone(), |&o| v.term(rng, o, lang).to_owned());
        let want = v.concept(rng);
        let w = v.term(rng, want, lang).to_owned();
        let year = rng.between(1950, 2024);
        let employees = (2.0 * (1.0 / (rng.unit() + 0.004)).powf(0.9)).round() as i32;
        let name_place = place.name();
        let (name, description, offers, seeks, filler) = if spain {
            let name = format!(
                "{} {} {}",
                rng.pick(ES_NAME_PREFIX),
                rng.pick(ES_SURNAMES),
                name_place
            );
            let description = format!(
                "Empresa de {name_place} fundada en {year}, especializada en {a} y {b}. Actividad: {label}. {}",
                rng.pick(ES_FILLER)
            );
            let offers = format!("Ofrece {a}, {c} y servicios de {b} para clientes profesionales.");
            let seeks = format!(
                "Busca {} en Francia para {w}; interesada en {b}.",
                rng.pick(&[
                    "distribuidores",
                    "socios comerciales",
                    "clientes",
                    "proveedores",
                    "subcontratistas"
                ])
            );
            (name, description, offers, seeks, ES_FILLER)
        } else {
            let name = format!(
                "{} {} {}",
                rng.pick(FR_NAME_PREFIX),
                rng.pick(FR_SURNAMES),
                name_place
            );
            let description = format!(
                "Entreprise installée à {name_place} depuis {year}, spécialisée en {a} et {b}. Activité : {label}. {}",
                rng.pick(FR_FILLER)
            );
            let offers =
                format!("Propose {a}, {c} et des prestations de {b} pour les professionnels.");
            let seeks = format!(
                "Recherche des {} en Espagne pour {w} ; intéressée par {b}.",
                rng.pick(&[
                    "distributeurs",
                    "partenaires commerciaux",
                    "clients",
                    "fournisseurs",
                    "sous-traitants"
                ])
            );
            (name, description, offers, seeks, FR_FILLER)
        };
        let _ = filler;
        let mut languages = vec![lang_code(lang).to_owned()];
        if rng.chance(0.4) {
            languages.push(if spain { "fr" } else { "es" }.to_owned());
        }
        if rng.chance(0.3) {
            languages.push("en".to_owned());
        }
        CompanyRecord {
            id: format!("bench-c-{index:07}"),
            name,
            country: if spain { "ES" } else { "FR" }.to_owned(),
            siret: (!spain).then(|| siret(index)),
            nif: spain.then(|| cif(index)),
            nace,
            lang: lang_code(lang).to_owned(),
            description,
            offers,
            seeks,
            location: location(place),
            region: place.region().as_str().to_owned(),
            employees: employees.clamp(1, 5000),
            languages,
        }
    }

    /// The `index`-th opportunity (call in order 0, 1, 2, …).
    pub fn opportunity(&mut self, index: u64) -> OpportunityRecord {
        let v = self.vocabulary;
        let rng = &mut self.opportunities;
        let spain = rng.chance(0.75);
        let lang = if spain == rng.chance(0.92) {
            Language::Es
        } else {
            Language::Fr
        };
        let place = v.place(rng, spain);
        let region = place.region().as_str().to_owned();
        let kind_index = Weighted::new(KIND_WEIGHTS).sample(rng);
        let kind = KINDS[kind_index];
        let main = v.concept(rng);
        let sector = v.sector(main).to_owned();
        let others: Vec<usize> = (0..rng.between(1, 3))
            .map(|_| v.related(rng, main))
            .collect();
        let nace = if rng.chance(0.8) {
            nace_for(rng, &sector)
        } else {
            Vec::new()
        };
        let label = nace
            .first()
            .map(|c| nace_label(c, lang))
            .unwrap_or_default();
        let a = v.term(rng, main, lang).to_owned();
        let b = v.term(rng, others[0], lang).to_owned();
        let c = others
            .get(1)
            .map_or_else(|| b.clone(), |&o| v.term(rng, o, lang).to_owned());
        let p = place.name();
        let title = if lang == Language::Es {
            match kind {
                "business_offer" => format!("Empresa de {p} ofrece {a} y {b}"),
                "business_request" => format!("Se busca proveedor de {a} en {p}"),
                "partnership" => format!("Búsqueda de socio para {a} y {b}"),
                "tender" => format!("Licitación: suministro de {a} para {p}"),
                "technology_offer" => format!("Oferta tecnológica: {a} aplicada a {b}"),
                _ => format!("Demanda tecnológica de {a} para {b}"),
            }
        } else {
            match kind {
                "business_offer" => format!("Entreprise de {p} propose {a} et {b}"),
                "business_request" => format!("Recherche fournisseur de {a} à {p}"),
                "partnership" => format!("Recherche partenaire pour {a} et {b}"),
                "tender" => format!("Appel d'offres : fourniture de {a} pour {p}"),
                "technology_offer" => format!("Offre technologique : {a} appliquée à {b}"),
                _ => format!("Demande technologique en {a} pour {b}"),
            }
        };
        let filler = if lang == Language::Es {
            ES_FILLER
        } else {
            FR_FILLER
        };
        let mut description = if lang == Language::Es {
            format!(
                "Organización situada en {p} que trabaja en {a}. Se requieren {c} y experiencia en {b}."
            )
        } else {
            format!(
                "Structure située à {p} active dans {a}. Sont demandés {c} et une expérience en {b}."
            )
        };
        if !label.is_empty() {
            if lang == Language::Es {
                description.push_str(&format!(" Sector: {label}."));
            } else {
                description.push_str(&format!(" Secteur : {label}."));
            }
        }
        for _ in 0..rng.between(1, 3) {
            description.push(' ');
            let sentence: &&str = rng.pick(filler);
            description.push_str(sentence);
        }
        let published = self
            .base
            .plus_days(-rng.between(0, 400))
            .unwrap_or(self.base);
        let deadline = if kind == "tender" || rng.chance(0.8) {
            published.plus_days(rng.between(15, 240)).ok()
        } else {
            None
        };
        let cpv = if kind == "tender" {
            cpv_for(rng, &sector)
        } else {
            Vec::new()
        };
        let budget_eur = if rng.chance(if kind == "tender" { 0.9 } else { 0.35 }) {
            let raw = 5_000.0 * (400.0_f64).powf(rng.unit());
            Some((raw / 1000.0).round() * 1000.0)
        } else {
            None
        };
        let source = match (region.as_str(), rng.chance(0.2)) {
            ("ES-AR", false) => "arex",
            ("ES-RI", false) => "ader",
            ("FR-32", false) => "cci-gers",
            ("FR-32", true) => "adocc",
            _ => "pcsp",
        };
        OpportunityRecord {
            id: format!("bench-o-{index:07}"),
            source: source.to_owned(),
            kind: kind.to_owned(),
            title: capitalise(&title),
            description,
            lang: lang_code(lang).to_owned(),
            nace,
            cpv,
            location: location(place),
            region,
            published: date_text(published),
            deadline: deadline.map(date_text),
            budget_eur,
        }
    }
}

/// Row number of a record from its generated id: companies first, then listings.
pub fn row_of(external_id: &str, companies: u64) -> Option<u64> {
    if let Some(n) = external_id.strip_prefix("bench-c-") {
        n.parse().ok()
    } else {
        external_id
            .strip_prefix("bench-o-")
            .and_then(|n| n.parse::<u64>().ok())
            .map(|n| companies + n)
    }
}

/// Writes `companies.jsonl` and `opportunities.jsonl` into `dir`.
pub fn write_corpus(
    dir: &Path,
    seed: u64,
    companies: u64,
    opportunities: u64,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let vocabulary = Vocabulary::new(seed)?;
    let mut generator = Generator::new(&vocabulary, seed);
    let mut out =
        io::BufWriter::with_capacity(1 << 20, std::fs::File::create(dir.join("companies.jsonl"))?);
    for i in 0..companies {
        serde_json::to_writer(&mut out, &generator.company(i))?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    let mut out = io::BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(dir.join("opportunities.jsonl"))?,
    );
    for i in 0..opportunities {
        serde_json::to_writer(&mut out, &generator.opportunity(i))?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}
