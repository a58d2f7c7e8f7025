//! The query generator: what a chamber-of-commerce adviser types.
//!
//! One to four words of trade vocabulary in French or Spanish (a glossary term drawn
//! with the same Zipf weights as the corpus, sometimes with a term of a related
//! concept), often around a place with a radius (10–100 km), often with a region or a
//! kind filter; most searches look for live listings, some for firms and listings
//! alike. Drawn from the corpus seed, so a run's queries are reproducible.
//!
//! A query is *monolingual* when none of its words is also a word of the other
//! language's glossary terms: those are the queries on which Pyred and PostgreSQL can
//! be expected to agree (Pyred also finds the other language's records through shared
//! concepts, which PostgreSQL's per-language configurations cannot).

use std::collections::HashSet;

use pyred_domain::Day;
use pyred_proto::v1::{self as pb, search_request::Geo};
use pyred_text::Language;
use serde::Serialize;

use crate::corpus::{KINDS, Vocabulary};
use crate::rng::Rng;

/// A radius around a gazetteer place.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Radius {
    /// INSEE/INE code (what Pyred is sent).
    pub place: String,
    /// The place's point (what PostgreSQL is sent).
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Kilometres.
    pub km: f64,
}

/// One adviser query, with its filters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Query {
    /// 1–4 words.
    pub text: String,
    /// `fr` or `es`: the language it was written in.
    pub lang: &'static str,
    /// No word is also a word of the other language's terms.
    pub monolingual: bool,
    /// Listings only (else firms and listings).
    pub opportunities_only: bool,
    /// A kind filter (`tender`…), listings only.
    pub kind: Option<&'static str>,
    /// An ISO 3166-2 region filter.
    pub region: Option<String>,
    /// A radius filter.
    pub radius: Option<Radius>,
}

fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// Generates `count` queries from `seed`.
pub fn generate(vocabulary: &Vocabulary, seed: u64, count: usize) -> Vec<Query> {
    let mut rng = Rng::new(seed, 4);
    let mut fr_words = HashSet::new();
    let mut es_words = HashSet::new();
    for concept in 0..vocabulary.concept_count() {
        for term in vocabulary.terms(concept, Language::Fr) {
            fr_words.extend(words(term));
        }
        for term in vocabulary.terms(concept, Language::Es) {
            es_words.extend(words(term));
        }
    }
    let mut queries = Vec::with_capacity(count);
    while queries.len() < count {
        let lang = if rng.chance(0.5) {
            Language::Es
        } else {
            Language::Fr
        };
        let target = match rng.unit() {
            x if x < 0.30 => 1,
            x if x < 0.65 => 2,
            x if x < 0.88 => 3,
            _ => 4,
        };
        let main = vocabulary.concept(&mut rng);
        let mut query_words: Vec<String> = vocabulary
            .term(&mut rng, main, lang)
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        if query_words.len() < target {
            let other = vocabulary.related(&mut rng, main);
            query_words.extend(
                vocabulary
                    .term(&mut rng, other, lang)
                    .split_whitespace()
                    .map(str::to_owned),
            );
        }
        query_words.truncate(target.clamp(1, 4));
        let text = query_words.join(" ");
        if text.trim().is_empty() {
            continue;
        }
        let other = if lang == Language::Es {
            &fr_words
        } else {
            &es_words
        };
        let monolingual = words(&text).all(|w| !other.contains(&w));
        let opportunities_only = rng.chance(0.85);
        let kind = (opportunities_only && rng.chance(0.3)).then(|| *rng.pick(&KINDS));
        let radius = rng.chance(0.45).then(|| {
            let spain = rng.chance(0.7);
            let place = vocabulary.place(&mut rng, spain);
            let point = place.point();
            Radius {
                place: place.code().as_str().to_owned(),
                lat: point.map_or(0.0, |p| p.lat()),
                lon: point.map_or(0.0, |p| p.lon()),
                km: *rng.pick(&[10.0, 25.0, 50.0, 100.0]),
            }
        });
        let region = if rng.chance(0.3) {
            Some(match &radius {
                Some(r) => pyred_domain::Gazetteer::embedded()
                    .by_code(&r.place)
                    .map(|p| p.region().as_str().to_owned())
                    .unwrap_or_else(|| "ES-AR".to_owned()),
                None => (*rng.pick(&["ES-AR", "ES-AR", "ES-RI", "FR-32"])).to_owned(),
            })
        } else {
            None
        };
        queries.push(Query {
            text,
            lang: if lang == Language::Es { "es" } else { "fr" },
            monolingual,
            opportunities_only,
            kind,
            region,
            radius,
        });
    }
    queries
}

/// The proto kind of a kind name.
pub fn kind_of(name: &str) -> pb::OpportunityKind {
    pb::OpportunityKind::from_slug(name).unwrap_or(pb::OpportunityKind::Unspecified)
}

impl Query {
    /// The geo-search request: first page of `page_size` hits, relevance order, live
    /// at `as_of`, language left to Pyred's identification (as an adviser's client does).
    pub fn to_request(&self, as_of: Day, page_size: i32, snippets: bool) -> pb::SearchRequest {
        pb::SearchRequest {
            query: self.text.clone(),
            language: pb::Language::Unspecified as i32,
            filters: Some(pb::SearchFilters {
                entity: if self.opportunities_only {
                    pb::EntityKind::Opportunity as i32
                } else {
                    pb::EntityKind::Unspecified as i32
                },
                kinds: self.kind.map(|k| kind_of(k) as i32).into_iter().collect(),
                regions: self.region.clone().into_iter().collect(),
                as_of: Some(pb::Date {
                    year: as_of.year(),
                    month: as_of.month() as i32,
                    day: as_of.day() as i32,
                }),
                ..Default::default()
            }),
            geo: self.radius.as_ref().map(|r| {
                Geo::Radius(pb::GeoRadius {
                    centre: Some(pb::geo_radius::Centre::Place(r.place.clone())),
                    radius_km: r.km,
                })
            }),
            sort: pb::SortOrder::Relevance as i32,
            page: Some(pb::PageRequest {
                page_size,
                page_token: String::new(),
            }),
            facets: false,
            skip_snippets: !snippets,
            concepts: Vec::new(),
        }
    }
}
