//! Running a validated search against the generation in service.
//!
//! The tantivy query is built by hand from the analysed words, never parsed, so no user
//! text is an error. For each word of the query (stop words of the query language
//! dropped), one clause accepts any of:
//!
//! - its stem by the query language's analyzer in that language's text fields (title
//!   weighs twice; a tender's buyer name and lot titles count as the description does),
//!   and in the NACE labels;
//! - in the other language's fields, its stems by both analyzers, for the stems French
//!   and Spanish share (`aéronautique` and `aeronáutico` both give `aeronaut`);
//! - its folded spelling in the folded catch-all field, one edit allowed from 5 letters
//!   (typos, missing accents).
//!
//! Most words must match (all of 1–3 words, then three quarters); alternatively the
//! document shares glossary concepts with the query (found in its text, plus the ids the
//! caller gives) — the path by which "usinage de pièces aéronautiques" reaches
//! "mecanizado de piezas aeronáuticas". A third alternative is the official vocabulary:
//! the CPV codes inferred from the query text (`pyred-vocabulary`, at most
//! [`MAX_QUERY_CODES`], taken at class depth) match the tenders filed under them, so
//! "nettoyage de bureaux" finds a tender titled "Servicio de limpieza de dependencias
//! municipales" through its code 90919200 even with no word in common. Filters are added as zero-scoring clauses;
//! opportunities are restricted to live ones unless asked; geo restrictions are
//! bounding-box ranges on the lat/lon fast fields, refined to the exact circle by the
//! [`HitCollector`]. A travel area is the box of its prefilter circle (the driving time
//! at the travel model's greatest crow-flies speed), refined by the collector to the
//! documents within the driving time, computed from one reach of the centre.

use std::collections::{BTreeSet, HashSet};
use std::ops::Bound;
use std::sync::Arc;

use pyred_domain::Gazetteer;
use pyred_proto::v1 as pb;
use pyred_runtime::error::{FieldViolations, InvalidInput};
use pyred_text::{Glossary, Language, analyze, identify};
use pyred_travel::TravelModel;
use pyred_vocabulary::Vocabulary;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, Query, RangeQuery,
    TermQuery, TermSetQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Value as _};
use tantivy::{Searcher, TantivyDocument, Term};

use crate::collector::{FacetCounts, HitCollector, TravelFilter};
use crate::document::{
    Entity, date_of, kind_from_name, language_to_pb, status_from_name, status_name,
};
use crate::error::SearchError;
use crate::index::IndexStore;
use crate::request::{Geo, SearchQuery, page_token};
use crate::schema::{Fields, LangFields, TEXT_FIELDS};
use crate::snippet::{self, FRAGMENT_BYTES, FUZZY_MIN_CHARS, QueryTerms};
use pyred_access::PUBLIC_OPPORTUNITY_STATUSES;

/// Weights of the text fields in a word clause.
const TITLE_BOOST: f32 = 2.0;
const BODY_BOOST: f32 = 1.0;
/// A tender's contracting body: below the title, like the body texts.
const BUYER_BOOST: f32 = 1.0;
/// A tender's lot titles: below the title, like the body texts.
const LOTS_BOOST: f32 = 1.0;
const NACE_LABEL_BOOST: f32 = 0.5;
const OTHER_LANGUAGE_FACTOR: f32 = 0.8;
const FOLD_BOOST: f32 = 0.4;
const CONCEPT_BOOST: f32 = 1.5;
const BROADER_CONCEPT_BOOST: f32 = 0.4;
/// Weight of a tender filed under a CPV class inferred from the query, times the
/// code's weight relative to the best one.
const CODE_BOOST: f32 = 1.5;
/// At most this many inferred CPV classes take part in a query.
pub const MAX_QUERY_CODES: usize = 3;
/// Depth (significant digits) at which inferred codes are matched: the class
/// (`9091` for office cleaning), wide enough for a publisher's choice of category.
const QUERY_CODE_DEPTH: usize = 4;

/// Searches the index and the gazetteer.
#[derive(Clone)]
pub struct SearchEngine {
    store: Arc<IndexStore>,
    glossary: &'static Glossary,
    gazetteer: &'static Gazetteer,
    vocabulary: Option<&'static Vocabulary>,
}

impl std::fmt::Debug for SearchEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchEngine").finish_non_exhaustive()
    }
}

/// One word of the query, as each analyzer sees it.
#[derive(Debug, Clone)]
struct Word {
    fr: Option<String>,
    es: Option<String>,
    folded: String,
}

/// The analysed query text.
#[derive(Debug, Default)]
struct AnalysedText {
    language: Option<Language>,
    words: Vec<Word>,
    concepts: BTreeSet<String>,
    /// CPV prefixes inferred from the text, with their weight relative to the best.
    codes: Vec<(String, f32)>,
}

fn term_query(field: Field, text: &str, boost: f32) -> Box<dyn Query> {
    let query: Box<dyn Query> = Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ));
    if (boost - 1.0).abs() < f32::EPSILON {
        query
    } else {
        Box::new(BoostQuery::new(query, boost))
    }
}

fn filter(query: Box<dyn Query>) -> (Occur, Box<dyn Query>) {
    (Occur::Must, Box::new(ConstScoreQuery::new(query, 0.0)))
}

fn any_of(queries: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    Box::new(BooleanQuery::union(queries))
}

fn all_of(queries: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    Box::new(BooleanQuery::intersection(queries))
}

fn text_terms(field: Field, values: &[String]) -> Box<dyn Query> {
    Box::new(TermSetQuery::new(
        values.iter().map(|v| Term::from_field_text(field, v)),
    ))
}

fn i64_range(field: Field, from: Option<i64>, to: Option<i64>) -> Box<dyn Query> {
    let bound = |value: Option<i64>| match value {
        Some(v) => Bound::Included(Term::from_field_i64(field, v)),
        None => Bound::Unbounded,
    };
    Box::new(RangeQuery::new(bound(from), bound(to)))
}

fn f64_range(field: Field, from: f64, to: f64) -> Box<dyn Query> {
    Box::new(RangeQuery::new(
        Bound::Included(Term::from_field_f64(field, from)),
        Bound::Included(Term::from_field_f64(field, to)),
    ))
}

fn first_str(doc: &TantivyDocument, field: Field) -> String {
    doc.get_first(field)
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn first_i64(doc: &TantivyDocument, field: Field) -> Option<i64> {
    doc.get_first(field).and_then(|v| v.as_i64())
}

fn all_str(doc: &TantivyDocument, field: Field) -> impl Iterator<Item = &str> {
    doc.get_all(field).filter_map(|v| v.as_str())
}

/// Every value of a text field, one text (a tender's lot titles: `Lote A · Lote B`).
fn joined_str(doc: &TantivyDocument, field: Field) -> String {
    all_str(doc, field).collect::<Vec<_>>().join(" · ")
}

fn facet_list(counts: std::collections::HashMap<String, u64>) -> Vec<pb::FacetCount> {
    let mut list: Vec<pb::FacetCount> = counts
        .into_iter()
        .map(|(value, count)| pb::FacetCount {
            value,
            count: i64::try_from(count).unwrap_or(i64::MAX),
        })
        .collect();
    list.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    list
}

fn facets_to_pb(counts: FacetCounts) -> pb::Facets {
    pb::Facets {
        regions: facet_list(counts.regions),
        kinds: facet_list(counts.kinds),
        nace_divisions: facet_list(counts.nace_divisions),
        languages: facet_list(counts.languages),
    }
}

impl SearchEngine {
    /// Searches `store`.
    pub fn new(
        store: Arc<IndexStore>,
        glossary: &'static Glossary,
        gazetteer: &'static Gazetteer,
    ) -> Self {
        let vocabulary = match Vocabulary::embedded() {
            Ok(vocabulary) => Some(vocabulary),
            Err(error) => {
                // A broken build: searches go on without the vocabulary path.
                tracing::error!(%error, "the embedded CPV vocabulary does not load");
                None
            }
        };
        Self {
            store,
            glossary,
            gazetteer,
            vocabulary,
        }
    }

    /// The CPV class prefixes inferred from a query text, with their weight relative to
    /// the best one (1.0 first); both languages when the text's is unknown.
    fn query_codes(&self, text: &str, language: Language) -> Vec<(String, f32)> {
        let Some(vocabulary) = self.vocabulary else {
            return Vec::new();
        };
        let languages: &[Language] = match language {
            Language::Unknown => &Language::KNOWN,
            Language::Fr => &[Language::Fr],
            Language::Es => &[Language::Es],
        };
        let mut best: Vec<(String, f64)> = Vec::new();
        for &side in languages {
            for inferred in vocabulary.infer(text, side) {
                let prefix = inferred
                    .code
                    .at_depth(QUERY_CODE_DEPTH)
                    .significant()
                    .to_owned();
                match best.iter_mut().find(|(p, _)| *p == prefix) {
                    Some(slot) => slot.1 = slot.1.max(inferred.weight),
                    None => best.push((prefix, inferred.weight)),
                }
            }
        }
        best.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        best.truncate(MAX_QUERY_CODES);
        let top = best.first().map_or(1.0, |b| b.1);
        best.into_iter()
            .map(|(prefix, weight)| (prefix, (weight / top) as f32))
            .collect()
    }

    /// The embedded glossary.
    pub fn glossary(&self) -> &'static Glossary {
        self.glossary
    }

    /// The embedded gazetteer.
    pub fn gazetteer(&self) -> &'static Gazetteer {
        self.gazetteer
    }

    fn analyse(&self, query: &SearchQuery) -> AnalysedText {
        if query.text.is_empty() {
            return AnalysedText {
                language: query.language,
                words: Vec::new(),
                concepts: query.concepts.iter().cloned().collect(),
                codes: Vec::new(),
            };
        }
        let language = query
            .language
            .unwrap_or_else(|| identify(&query.text).language);
        let first = |word: &str, language| analyze(word, language).into_iter().next();
        let mut words = Vec::new();
        for token in pyred_text::analyze_tokens(&query.text, Language::Unknown)
            .into_iter()
            .take(crate::request::MAX_QUERY_WORDS)
        {
            let original = query
                .text
                .get(token.offset_from..token.offset_to)
                .unwrap_or(&token.text);
            let word = Word {
                fr: first(original, Language::Fr),
                es: first(original, Language::Es),
                folded: token.text,
            };
            let keep = match language {
                Language::Fr => word.fr.is_some(),
                Language::Es => word.es.is_some(),
                Language::Unknown => word.fr.is_some() || word.es.is_some(),
            };
            if keep {
                words.push(word);
            }
        }
        let mut concepts: BTreeSet<String> = self
            .glossary
            .concept_ids(&query.text, language)
            .into_iter()
            .map(str::to_owned)
            .collect();
        concepts.extend(query.concepts.iter().cloned());
        AnalysedText {
            language: Some(language),
            words,
            concepts,
            codes: self.query_codes(&query.text, language),
        }
    }

    fn word_clause(&self, fields: &Fields, word: &Word, language: Language) -> Box<dyn Query> {
        let mut clauses: Vec<Box<dyn Query>> = Vec::new();
        let groups: [(LangFields, f32); 6] = [
            (fields.title, TITLE_BOOST),
            (fields.description, BODY_BOOST),
            (fields.offers, BODY_BOOST),
            (fields.seeks, BODY_BOOST),
            (fields.buyer, BUYER_BOOST),
            (fields.lots, LOTS_BOOST),
        ];
        let mut stems: Vec<&String> = word.fr.iter().chain(word.es.iter()).collect();
        stems.dedup();
        for side in Language::KNOWN {
            let factor = if language == Language::Unknown || language == side {
                1.0
            } else {
                OTHER_LANGUAGE_FACTOR
            };
            for stem in &stems {
                for (pair, boost) in groups {
                    clauses.push(term_query(pair.get(side), stem, boost * factor));
                }
                clauses.push(term_query(
                    fields.nace_label.get(side),
                    stem,
                    NACE_LABEL_BOOST,
                ));
            }
        }
        let folded = Term::from_field_text(fields.fold, &word.folded);
        let fold: Box<dyn Query> = if word.folded.chars().count() >= FUZZY_MIN_CHARS {
            Box::new(FuzzyTermQuery::new(folded, 1, true))
        } else {
            Box::new(TermQuery::new(folded, IndexRecordOption::WithFreqs))
        };
        clauses.push(Box::new(BoostQuery::new(fold, FOLD_BOOST)));
        any_of(clauses)
    }

    /// The scoring part of the query; `None` when the query matches everything.
    ///
    /// A document must match most words or share a concept; every word it matches adds
    /// to its score either way, so that a listing found through concepts ranks higher
    /// when it also shares stems with the query.
    fn text_query(&self, fields: &Fields, text: &AnalysedText) -> Option<Box<dyn Query>> {
        let language = text.language.unwrap_or(Language::Unknown);
        let words: Vec<Box<dyn Query>> = text
            .words
            .iter()
            .map(|word| self.word_clause(fields, word, language))
            .collect();
        let mut alternatives: Vec<Box<dyn Query>> = Vec::new();
        if !words.is_empty() {
            let n = words.len();
            let required = n - n / 4;
            let clauses = words
                .iter()
                .map(|w| (Occur::Should, w.box_clone()))
                .collect();
            alternatives.push(Box::new(BooleanQuery::with_minimum_required_clauses(
                clauses, required,
            )));
        }
        if !text.concepts.is_empty() {
            let mut clauses = Vec::new();
            for id in &text.concepts {
                clauses.push(term_query(fields.concepts, id, 1.0));
                clauses.push(term_query(fields.broader, id, BROADER_CONCEPT_BOOST));
            }
            alternatives.push(Box::new(BoostQuery::new(any_of(clauses), CONCEPT_BOOST)));
        }
        if !text.codes.is_empty() {
            let clauses = text
                .codes
                .iter()
                .map(|(prefix, weight)| term_query(fields.cpv, prefix, CODE_BOOST * weight))
                .collect();
            alternatives.push(any_of(clauses));
        }
        let required = match alternatives.len() {
            0 => return None,
            1 => alternatives.pop()?,
            _ => any_of(alternatives),
        };
        if text.concepts.is_empty() && text.codes.is_empty() {
            return Some(required);
        }
        // Partial word matches count too (they cannot widen the result set: `required`
        // decides what matches).
        let mut clauses = vec![(Occur::Must, required)];
        clauses.extend(words.into_iter().map(|w| (Occur::Should, w)));
        Some(Box::new(BooleanQuery::new(clauses)))
    }

    fn filters(&self, fields: &Fields, query: &SearchQuery) -> Vec<(Occur, Box<dyn Query>)> {
        let mut clauses = Vec::new();
        let entity = |e: Entity| term_query(fields.entity, e.as_str(), 1.0);
        if let Some(e) = query.entity {
            clauses.push(filter(entity(e)));
        }
        if !query.include_not_live {
            clauses.push(filter(i64_range(
                fields.live_until,
                Some(query.as_of),
                None,
            )));
        }
        if !query.kinds.is_empty() {
            let kinds: Vec<String> = query.kinds.iter().map(|k| (*k).to_owned()).collect();
            clauses.push(filter(text_terms(fields.kind, &kinds)));
        }
        let regions: Vec<String> = query
            .regions
            .iter()
            .cloned()
            .chain(query.other_regions.iter().map(|(_, r)| r.clone()))
            .collect();
        if !regions.is_empty() {
            clauses.push(filter(any_of(vec![
                text_terms(fields.region, &regions),
                text_terms(fields.subdivision, &regions),
            ])));
        }
        if let Some(nace) = query.nace {
            clauses.push(filter(term_query(fields.nace, nace, 1.0)));
        }
        if let Some(cpv) = &query.cpv {
            clauses.push(filter(term_query(fields.cpv, cpv, 1.0)));
        }
        if query.published.is_set() {
            clauses.push(filter(i64_range(
                fields.published,
                query.published.from,
                query.published.to,
            )));
        }
        if query.deadline.is_set() {
            clauses.push(filter(i64_range(
                fields.deadline,
                query.deadline.from,
                query.deadline.to,
            )));
        }
        if query.employees.0.is_some() || query.employees.1.is_some() {
            clauses.push(filter(i64_range(
                fields.employees,
                query.employees.0,
                query.employees.1,
            )));
        }
        if !query.sources.is_empty() {
            clauses.push(filter(text_terms(fields.source, &query.sources)));
        }
        if query.public_only {
            clauses.push(filter(any_of(vec![
                entity(Entity::Opportunity),
                term_query(fields.visibility, "public", 1.0),
            ])));
        }
        if let Some(scope) = &query.private_scope {
            // A restricted caller finds public listings only: never a draft or a
            // withdrawn listing, whatever `include_not_live` says (counts and facets
            // come from the same query, so they cannot reveal them either).
            let public_statuses: Vec<String> = PUBLIC_OPPORTUNITY_STATUSES
                .iter()
                .map(|status| status_name(*status).to_owned())
                .collect();
            let mut allowed = vec![
                all_of(vec![
                    entity(Entity::Opportunity),
                    text_terms(fields.status, &public_statuses),
                ]),
                term_query(fields.visibility, "public", 1.0),
            ];
            // The territory and the firm's own id open companies only: a listing of the
            // territory is still subject to the public states above.
            if !scope.regions.is_empty() {
                allowed.push(all_of(vec![
                    entity(Entity::Company),
                    any_of(vec![
                        text_terms(fields.region, &scope.regions),
                        text_terms(fields.subdivision, &scope.regions),
                    ]),
                ]));
            }
            if let Some(id) = &scope.company_id {
                allowed.push(all_of(vec![
                    entity(Entity::Company),
                    term_query(fields.id, id, 1.0),
                ]));
            }
            clauses.push(filter(any_of(allowed)));
        }
        if let Some(geo) = &query.geo {
            let boxes = geo
                .boxes()
                .iter()
                .map(|b| {
                    all_of(vec![
                        f64_range(fields.lat, b.min_lat, b.max_lat),
                        f64_range(fields.lon, b.min_lon, b.max_lon),
                    ])
                })
                .collect();
            clauses.push(filter(any_of(boxes)));
        }
        clauses
    }

    /// Regions Pyred does not know are accepted only when some document has them.
    fn check_regions(
        &self,
        searcher: &Searcher,
        fields: &Fields,
        query: &SearchQuery,
    ) -> Result<(), InvalidInput> {
        let mut violations = FieldViolations::new();
        for (i, region) in &query.other_regions {
            let known = [fields.region, fields.subdivision]
                .into_iter()
                .any(|field| {
                    searcher
                        .doc_freq(&Term::from_field_text(field, region))
                        .is_ok_and(|n| n > 0)
                });
            if !known {
                violations.add(
                    format!("filters.regions[{i}]"),
                    format!("unknown region {region}: no document lies in it"),
                );
            }
        }
        violations.into_result()
    }

    /// Runs `query`.
    pub fn search(&self, query: &SearchQuery) -> Result<pb::SearchResponse, SearchError> {
        let generation = self.store.current();
        let index_seq = generation.applied_seq();
        let searcher = generation.searcher();
        let fields = generation.fields();
        self.check_regions(&searcher, fields, query)?;
        let text = self.analyse(query);
        let scoring_query = self.text_query(fields, &text);
        let scoring = scoring_query.is_some();
        let mut clauses = self.filters(fields, query);
        let tantivy_query: Box<dyn Query> = match (scoring_query, clauses.is_empty()) {
            (None, true) => Box::new(AllQuery),
            (Some(q), true) => q,
            (q, false) => {
                if let Some(q) = q {
                    clauses.push((Occur::Must, q));
                }
                Box::new(BooleanQuery::new(clauses))
            }
        };
        let reference = query.geo.as_ref().and_then(Geo::reference);
        let radius_km = query.geo.as_ref().and_then(Geo::radius_km);
        // One Dijkstra from the centre for the whole search; each candidate inside the
        // straight-line prefilter then costs its access links only.
        let travel = match reference {
            Some(centre) if query.wants_travel() => Some(TravelFilter {
                reach: Arc::new(TravelModel::bundled().reach(centre, query.travel_day)),
                max_minutes: query.geo.as_ref().and_then(Geo::max_minutes),
            }),
            _ => None,
        };
        let collector = HitCollector {
            sort: query.sort,
            keep: query.offset + query.page_size,
            reference,
            radius_km,
            travel,
            scoring,
            facets: query.facets,
        };
        let collected = searcher.search(tantivy_query.as_ref(), &collector)?;
        let terms = self.query_terms(&text);
        let mut hits = Vec::new();
        for candidate in collected.top.iter().skip(query.offset) {
            let doc: TantivyDocument = searcher.doc(candidate.address)?;
            hits.push(self.hit(fields, &doc, candidate, &text, &terms, query.snippets));
        }
        let end = query.offset + hits.len();
        let next_page_token = if (end as u64) < collected.total
            && hits.len() == query.page_size
            && end <= crate::request::MAX_OFFSET
        {
            page_token(end, query.fingerprint)
        } else {
            String::new()
        };
        Ok(pb::SearchResponse {
            hits,
            next_page_token,
            total: i64::try_from(collected.total).unwrap_or(i64::MAX),
            facets: collected.facets.map(facets_to_pb),
            query_language: language_to_pb(text.language.unwrap_or(Language::Unknown)) as i32,
            geo_fallback: query.geo_fallback.clone().unwrap_or_default(),
            index_seq,
        })
    }

    fn query_terms(&self, text: &AnalysedText) -> QueryTerms {
        let mut terms = QueryTerms::default();
        for word in &text.words {
            terms
                .stems
                .extend(word.fr.iter().chain(word.es.iter()).cloned());
            terms.folded.push(word.folded.clone());
        }
        terms
    }

    fn hit(
        &self,
        fields: &Fields,
        doc: &TantivyDocument,
        candidate: &crate::collector::Candidate,
        text: &AnalysedText,
        terms: &QueryTerms,
        with_snippets: bool,
    ) -> pb::SearchHit {
        let entity = Entity::parse(&first_str(doc, fields.entity)).unwrap_or(Entity::Opportunity);
        let language =
            Language::from_code(&first_str(doc, fields.language)).unwrap_or(Language::Fr);
        let doc_concepts: HashSet<&str> = all_str(doc, fields.concepts)
            .chain(all_str(doc, fields.broader))
            .collect();
        let matched: BTreeSet<String> = text
            .concepts
            .iter()
            .filter(|id| doc_concepts.contains(String::as_str(id)))
            .cloned()
            .collect();
        let snippets = if with_snippets {
            self.snippets(fields, doc, language, terms, &matched)
        } else {
            Vec::new()
        };
        let (kind, status) = if entity == Entity::Opportunity {
            (
                kind_from_name(&first_str(doc, fields.kind)) as i32,
                status_from_name(&first_str(doc, fields.status)) as i32,
            )
        } else {
            (0, 0)
        };
        pb::SearchHit {
            entity: entity.to_pb() as i32,
            id: first_str(doc, fields.id),
            score: candidate.score,
            distance_km: candidate.distance_km,
            title: first_str(doc, fields.title.get(language)),
            language: language_to_pb(language) as i32,
            snippets,
            place_name: first_str(doc, fields.place_name),
            region: first_str(doc, fields.region),
            kind,
            deadline: first_i64(doc, fields.deadline).and_then(date_of),
            matched_concepts: matched.into_iter().collect(),
            version: first_i64(doc, fields.version).unwrap_or_default(),
            published: first_i64(doc, fields.published).and_then(date_of),
            status,
            source: first_str(doc, fields.source),
            buyer_name: {
                let own = first_str(doc, fields.buyer.get(language));
                if own.is_empty() {
                    first_str(doc, fields.buyer.get(language.other()))
                } else {
                    own
                }
            },
            official_url: first_str(doc, fields.official_url),
            tender_stage: crate::document::tender_stage_of(&first_str(doc, fields.tender_stage))
                as i32,
            travel_minutes: candidate.travel.as_ref().map(|t| t.minutes),
            crossing: candidate
                .travel
                .as_ref()
                .and_then(|t| t.crossing.as_ref())
                .map(|c| c.as_str().to_owned())
                .unwrap_or_default(),
        }
    }

    fn snippets(
        &self,
        fields: &Fields,
        doc: &TantivyDocument,
        language: Language,
        terms: &QueryTerms,
        concepts: &BTreeSet<String>,
    ) -> Vec<pb::Snippet> {
        let mut title = None;
        let mut best: Option<(usize, pb::Snippet)> = None;
        let mut description = None;
        for name in TEXT_FIELDS {
            let Some(pair) = fields.text(name) else {
                continue;
            };
            let value = joined_str(doc, pair.get(language));
            if value.is_empty() {
                continue;
            }
            let ranges = snippet::highlights(&value, language, terms, self.glossary, concepts);
            if name == "title" {
                if !ranges.is_empty() {
                    title = Some(snippet::fragment(name, &value, &ranges, usize::MAX));
                }
                continue;
            }
            if name == "description" {
                description = Some(value.clone());
            }
            if !ranges.is_empty() && best.as_ref().is_none_or(|(n, _)| ranges.len() > *n) {
                best = Some((
                    ranges.len(),
                    snippet::fragment(name, &value, &ranges, FRAGMENT_BYTES),
                ));
            }
        }
        let mut out: Vec<pb::Snippet> = title.into_iter().collect();
        match best {
            Some((_, snippet)) => out.push(snippet),
            None if out.is_empty() => {
                if let Some(text) = description {
                    out.push(snippet::fragment("description", &text, &[], FRAGMENT_BYTES));
                }
            }
            None => {}
        }
        out
    }

    /// Places whose name (or exonym, accents and case ignored) or code starts with `prefix`.
    pub fn suggest_places(&self, prefix: &str, limit: usize) -> Vec<pb::Place> {
        let prefix = prefix.trim();
        let places = if !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_digit()) {
            let mut found: Vec<&pyred_domain::Place> = self
                .gazetteer
                .places()
                .iter()
                .filter(|p| p.code().as_str().starts_with(prefix))
                .collect();
            found.sort_by(|a, b| {
                b.population()
                    .cmp(&a.population())
                    .then_with(|| a.code().cmp(b.code()))
            });
            found.truncate(limit);
            found
        } else {
            self.gazetteer.autocomplete(prefix, limit)
        };
        places
            .into_iter()
            .map(|place| pb::Place {
                code: place.code().as_str().to_owned(),
                name: place.name().to_owned(),
                region: place.region().as_str().to_owned(),
                lat: place.point().map(|p| p.lat()),
                lon: place.point().map(|p| p.lon()),
                display_name: place.display_name(),
                approximate: place.is_approximate(),
            })
            .collect()
    }
}
