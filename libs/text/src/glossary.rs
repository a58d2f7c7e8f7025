//! The bilingual concept glossary and concept extraction.
//!
//! A concept is a trade notion with a language-neutral id (`machining`), French and
//! Spanish terms (`usinage`, `pièces usinées` / `mecanizado`, `piezas mecanizadas`), a
//! sector and, optionally, a broader concept. The data lives in `data/glossary.toml`,
//! compiled into the library and parsed on first use ([`Glossary::embedded`]).
//!
//! Terms are matched **through the analyzers**: each term is analysed once at load
//! (`pièces usinées` → `piec usin`), and a text is analysed the same way before
//! matching, so plurals, accents, case and elision all hit. Matching walks the tokens
//! left to right and takes the **longest** term starting at each token, so a
//! multi-word term wins over its parts: `capital semilla` (seed funding) is not
//! `semilla` (seeds), `chapa y pintura` (car body repair) is not `chapa` (sheet metal).
//! Stop words between the words of a term are tolerated (`usinage de pièces`); a
//! sentence or list punctuation mark is not.
//!
//! Each term is also indexed as typed without accents (`ganaderia`), because the
//! analyzers stem before they fold and the two spellings do not always stem alike.
//!
//! Loading rejects a glossary whose term would be ambiguous (two concepts owning the
//! same analysed tokens), empty after analysis, or whose `broader` links are broken.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use serde::Deserialize;

use crate::analyzer::{AnalyzedToken, analyze, analyze_tokens, fold};
use crate::error::{GlossaryProblem, TextError};
use crate::language::Language;

const EMBEDDED: &str = include_str!("../data/glossary.toml");

/// Largest gap in word positions between two consecutive tokens of a term: up to two
/// stop words may sit between them (`pomme de la terre` is still two adjacent words).
const MAX_POSITION_GAP: usize = 3;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GlossaryFile {
    concept: Vec<ConceptRecord>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConceptRecord {
    id: String,
    sector: String,
    #[serde(default)]
    broader: Option<String>,
    #[serde(default)]
    note: Option<String>,
    fr: Vec<String>,
    es: Vec<String>,
}

/// One concept of the glossary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Concept {
    id: String,
    sector: String,
    broader: Option<String>,
    note: Option<String>,
    fr: Vec<String>,
    es: Vec<String>,
}

impl Concept {
    /// Language-neutral identifier (`machining`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The sector the concept belongs to (`metalwork`, `wine_spirits`…).
    pub fn sector(&self) -> &str {
        &self.sector
    }

    /// The identifier of the broader concept, if any (`armagnac` → `brandy`).
    pub fn broader(&self) -> Option<&str> {
        self.broader.as_deref()
    }

    /// An editor's note (false friends, scope), if any.
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }

    /// The terms of the concept in `language`, label first (empty for `Unknown`).
    pub fn terms(&self, language: Language) -> &[String] {
        match language {
            Language::Fr => &self.fr,
            Language::Es => &self.es,
            Language::Unknown => &[],
        }
    }

    /// The label to show advisers in `language`: its first term (`usinage`,
    /// `mecanizado`); the id for `Unknown`.
    pub fn label(&self, language: Language) -> &str {
        self.terms(language)
            .first()
            .map_or(self.id.as_str(), String::as_str)
    }
}

/// A concept found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConceptHit<'g> {
    /// The concept.
    pub concept: &'g Concept,
    /// The glossary term (as written in the glossary) whose analysis matched.
    pub term: &'g str,
    /// The side of the glossary that matched.
    pub language: Language,
    /// Byte range of the matched words in the text.
    pub span: Range<usize>,
}

impl<'g> ConceptHit<'g> {
    /// The concept's identifier.
    pub fn id(&self) -> &'g str {
        self.concept.id()
    }

    /// The words of `text` that matched (`text` must be the text that was searched).
    pub fn matched<'t>(&self, text: &'t str) -> &'t str {
        text.get(self.span.clone()).unwrap_or_default()
    }
}

#[derive(Default)]
struct TermIndex {
    /// Analysed term (tokens joined by a space) → (concept index, term index).
    terms: HashMap<String, (usize, usize)>,
    /// Every proper and full prefix of the analysed terms, to stop a walk early.
    prefixes: HashSet<String>,
    longest: usize,
}

/// The concept glossary: concepts, their terms, and an index of analysed terms per
/// language.
pub struct Glossary {
    concepts: Vec<Concept>,
    by_id: HashMap<String, usize>,
    fr: TermIndex,
    es: TermIndex,
}

impl std::fmt::Debug for Glossary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Glossary")
            .field("concepts", &self.concepts.len())
            .field("fr_terms", &self.fr.terms.len())
            .field("es_terms", &self.es.terms.len())
            .finish()
    }
}

impl Glossary {
    /// The glossary compiled into the library (`data/glossary.toml`), parsed and
    /// indexed on first call. Call it once at start-up to surface an error early.
    pub fn embedded() -> Result<&'static Glossary, TextError> {
        static EMBEDDED_GLOSSARY: OnceLock<Result<Glossary, TextError>> = OnceLock::new();
        match EMBEDDED_GLOSSARY.get_or_init(|| Glossary::from_toml_str(EMBEDDED)) {
            Ok(glossary) => Ok(glossary),
            Err(error) => Err(error.clone()),
        }
    }

    /// The source text of the embedded glossary (TOML).
    pub fn embedded_source() -> &'static str {
        EMBEDDED
    }

    /// Parses, checks and indexes a glossary in the TOML format of `data/glossary.toml`.
    pub fn from_toml_str(text: &str) -> Result<Glossary, TextError> {
        let file: GlossaryFile =
            toml::from_str(text).map_err(|e| TextError::GlossaryParse(Arc::new(e)))?;
        let mut concepts = Vec::with_capacity(file.concept.len());
        let mut by_id = HashMap::with_capacity(file.concept.len());
        for record in file.concept {
            let fail = |problem| TextError::GlossaryConcept {
                id: record.id.clone(),
                problem,
            };
            let valid_id = !record.id.is_empty()
                && record
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !valid_id {
                return Err(fail(GlossaryProblem::BadId));
            }
            if record.sector.trim().is_empty() {
                return Err(fail(GlossaryProblem::EmptySector));
            }
            for (language, terms) in [(Language::Fr, &record.fr), (Language::Es, &record.es)] {
                if terms.iter().all(|t| t.trim().is_empty()) {
                    return Err(fail(GlossaryProblem::NoTerms(language)));
                }
            }
            if by_id.insert(record.id.clone(), concepts.len()).is_some() {
                return Err(fail(GlossaryProblem::DuplicateId));
            }
            concepts.push(Concept {
                id: record.id,
                sector: record.sector,
                broader: record.broader,
                note: record.note,
                fr: record.fr,
                es: record.es,
            });
        }
        check_broader(&concepts, &by_id)?;
        let fr = index_terms(&concepts, Language::Fr)?;
        let es = index_terms(&concepts, Language::Es)?;
        Ok(Glossary {
            concepts,
            by_id,
            fr,
            es,
        })
    }

    /// Number of concepts.
    pub fn len(&self) -> usize {
        self.concepts.len()
    }

    /// Whether the glossary has no concept.
    pub fn is_empty(&self) -> bool {
        self.concepts.is_empty()
    }

    /// All concepts, in file order.
    pub fn iter(&self) -> impl Iterator<Item = &Concept> {
        self.concepts.iter()
    }

    /// The concept with this identifier.
    pub fn concept(&self, id: &str) -> Option<&Concept> {
        self.by_id.get(id).map(|&i| &self.concepts[i])
    }

    /// The display label of a concept in `language` (see [`Concept::label`]).
    pub fn label(&self, id: &str, language: Language) -> Option<&str> {
        self.concept(id).map(|c| c.label(language))
    }

    /// Number of terms as written in `language` (both languages for `Unknown`).
    pub fn term_count(&self, language: Language) -> usize {
        match language {
            Language::Unknown => self.term_count(Language::Fr) + self.term_count(Language::Es),
            _ => self.concepts.iter().map(|c| c.terms(language).len()).sum(),
        }
    }

    /// Number of distinct analysed terms indexed for `language`.
    pub fn indexed_term_count(&self, language: Language) -> usize {
        match language {
            Language::Fr => self.fr.terms.len(),
            Language::Es => self.es.terms.len(),
            Language::Unknown => self.fr.terms.len() + self.es.terms.len(),
        }
    }

    /// The chain of broader concepts of `id`, nearest first (empty if none or unknown).
    pub fn ancestors(&self, id: &str) -> Vec<&Concept> {
        let mut out = Vec::new();
        let mut current = self.concept(id);
        while let Some(next) = current
            .and_then(Concept::broader)
            .and_then(|b| self.concept(b))
        {
            out.push(next);
            current = Some(next);
        }
        out
    }

    /// The analysed token sequences of a concept's terms in `language`, distinct — what
    /// to put in a phrase query to find the concept in an index built with the same
    /// analyzer.
    pub fn analyzed_terms(&self, id: &str, language: Language) -> Vec<Vec<String>> {
        let mut out: Vec<Vec<String>> = Vec::new();
        for term in self.concept(id).map_or(&[][..], |c| c.terms(language)) {
            let tokens = analyze(term, language);
            if !tokens.is_empty() && !out.contains(&tokens) {
                out.push(tokens);
            }
        }
        out
    }

    /// The concepts mentioned in `text`, in text order, longest match first, without
    /// overlaps. `Unknown` matches both sides of the glossary.
    pub fn extract(&self, text: &str, language: Language) -> Vec<ConceptHit<'_>> {
        match language {
            Language::Fr | Language::Es => {
                self.extract_tokens(text, &analyze_tokens(text, language), language)
            }
            Language::Unknown => {
                let mut hits = self.extract(text, Language::Fr);
                hits.extend(self.extract(text, Language::Es));
                hits.sort_by_key(|h| (h.span.start, std::cmp::Reverse(h.span.end)));
                let mut kept: Vec<ConceptHit<'_>> = Vec::with_capacity(hits.len());
                for hit in hits {
                    match kept.last() {
                        Some(last) if hit.span.start < last.span.end => {}
                        _ => kept.push(hit),
                    }
                }
                kept
            }
        }
    }

    /// Like [`Glossary::extract`] on tokens already produced by the analyzer of
    /// `language` (`Fr` or `Es`) from `text`, to analyse a text only once.
    pub fn extract_tokens(
        &self,
        text: &str,
        tokens: &[AnalyzedToken],
        language: Language,
    ) -> Vec<ConceptHit<'_>> {
        let index = match language {
            Language::Fr => &self.fr,
            Language::Es => &self.es,
            Language::Unknown => return Vec::new(),
        };
        let mut hits = Vec::new();
        let mut key = String::new();
        let mut i = 0;
        while i < tokens.len() {
            let mut best = None;
            key.clear();
            for j in i..tokens.len().min(i + index.longest) {
                if j > i {
                    if !adjacent(text, &tokens[j - 1], &tokens[j]) {
                        break;
                    }
                    key.push(' ');
                }
                key.push_str(&tokens[j].text);
                if !index.prefixes.contains(key.as_str()) {
                    break;
                }
                if let Some(&entry) = index.terms.get(key.as_str()) {
                    best = Some((j, entry));
                }
            }
            match best {
                Some((end, (concept, term))) => {
                    let concept = &self.concepts[concept];
                    hits.push(ConceptHit {
                        concept,
                        term: concept.terms(language)[term].as_str(),
                        language,
                        span: tokens[i].offset_from..tokens[end].offset_to,
                    });
                    i = end + 1;
                }
                None => i += 1,
            }
        }
        hits
    }

    /// The distinct identifiers of the concepts mentioned in `text`.
    pub fn concept_ids(&self, text: &str, language: Language) -> BTreeSet<&str> {
        self.extract(text, language)
            .into_iter()
            .map(|hit| hit.id())
            .collect()
    }
}

/// The concepts of the embedded glossary mentioned in `text` (see
/// [`Glossary::extract`]). Fails only if the embedded glossary does not load, which
/// the crate's tests rule out.
pub fn concepts(text: &str, language: Language) -> Result<Vec<ConceptHit<'static>>, TextError> {
    Ok(Glossary::embedded()?.extract(text, language))
}

/// Whether two consecutive tokens may belong to one term: close in position and not
/// separated by sentence or list punctuation. A full stop counts only when followed by
/// a space, so `GlobalG.A.P.` and `4.0` stay whole.
fn adjacent(text: &str, left: &AnalyzedToken, right: &AnalyzedToken) -> bool {
    if right.position.wrapping_sub(left.position) > MAX_POSITION_GAP {
        return false;
    }
    let between = text.get(left.offset_to..right.offset_from).unwrap_or("");
    let hard_break = between.contains([
        ',', ';', ':', '!', '?', '¿', '¡', '(', ')', '[', ']', '{', '}', '"', '«', '»', '/', '|',
        '\n', '\r', '\t', '•', '–', '—',
    ]);
    let full_stop = between.contains('.') && between.contains(char::is_whitespace);
    !hard_break && !full_stop
}

fn check_broader(concepts: &[Concept], by_id: &HashMap<String, usize>) -> Result<(), TextError> {
    for concept in concepts {
        let mut steps = 0;
        let mut current = concept;
        while let Some(broader) = current.broader() {
            steps += 1;
            match by_id.get(broader) {
                Some(&next) if steps <= concepts.len() && concepts[next].id != concept.id => {
                    current = &concepts[next];
                }
                _ => {
                    return Err(TextError::GlossaryConcept {
                        id: concept.id.clone(),
                        problem: GlossaryProblem::BadBroader(broader.to_owned()),
                    });
                }
            }
        }
    }
    Ok(())
}

fn index_terms(concepts: &[Concept], language: Language) -> Result<TermIndex, TextError> {
    let mut index = TermIndex::default();
    // Terms as written: strict, an ambiguity is an error.
    for (c, concept) in concepts.iter().enumerate() {
        for (t, term) in concept.terms(language).iter().enumerate() {
            let fail = |problem| TextError::GlossaryConcept {
                id: concept.id.clone(),
                problem,
            };
            let tokens = analyze(term, language);
            if tokens.is_empty() {
                return Err(fail(GlossaryProblem::EmptyTerm {
                    language,
                    term: term.clone(),
                }));
            }
            match index.terms.get(&tokens.join(" ")) {
                Some(&(other, _)) if other != c => {
                    return Err(fail(GlossaryProblem::AmbiguousTerm {
                        language,
                        term: term.clone(),
                        other: concepts[other].id.clone(),
                    }));
                }
                Some(_) => {}
                None => index.insert(&tokens, (c, t)),
            }
        }
    }
    // The same terms typed without accents: stemming happens before folding, so
    // "ganaderia" does not stem like "ganadería"; index that spelling too, unless it
    // would take another concept's place.
    for (c, concept) in concepts.iter().enumerate() {
        for (t, term) in concept.terms(language).iter().enumerate() {
            let folded = fold(term);
            if folded == *term {
                continue;
            }
            let tokens = analyze(&folded, language);
            if !tokens.is_empty() && !index.terms.contains_key(&tokens.join(" ")) {
                index.insert(&tokens, (c, t));
            }
        }
    }
    Ok(index)
}

impl TermIndex {
    fn insert(&mut self, tokens: &[String], entry: (usize, usize)) {
        self.terms.insert(tokens.join(" "), entry);
        self.longest = self.longest.max(tokens.len());
        for k in 1..=tokens.len() {
            self.prefixes.insert(tokens[..k].join(" "));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"
[[concept]]
id = "seeds"
sector = "cereals"
fr = ["semences"]
es = ["semillas"]

[[concept]]
id = "seed_funding"
sector = "finance"
fr = ["capital d'amorçage"]
es = ["capital semilla"]
"#;

    #[test]
    fn longest_match_wins() {
        let g = Glossary::from_toml_str(SMALL).expect("small glossary loads");
        let ids: Vec<&str> = g
            .extract(
                "Buscamos capital semilla y semillas certificadas",
                Language::Es,
            )
            .iter()
            .map(ConceptHit::id)
            .collect();
        assert_eq!(ids, ["seed_funding", "seeds"]);
    }

    #[test]
    fn punctuation_breaks_a_term() {
        let g = Glossary::from_toml_str(SMALL).expect("small glossary loads");
        let ids: Vec<&str> = g
            .extract("capital. Semilla", Language::Es)
            .iter()
            .map(ConceptHit::id)
            .collect();
        assert_eq!(ids, ["seeds"]);
    }

    #[test]
    fn ambiguous_terms_are_rejected() {
        let bad = format!(
            "{SMALL}\n[[concept]]\nid = \"x\"\nsector = \"s\"\nfr = [\"semence\"]\nes = [\"x\"]\n"
        );
        match Glossary::from_toml_str(&bad) {
            Err(TextError::GlossaryConcept {
                problem: GlossaryProblem::AmbiguousTerm { other, .. },
                ..
            }) => assert_eq!(other, "seeds"),
            other => panic!("expected an ambiguity error, got {other:?}"),
        }
    }

    #[test]
    fn bad_broader_is_rejected() {
        let bad = SMALL.replace(
            "sector = \"finance\"",
            "sector = \"finance\"\nbroader = \"nope\"",
        );
        assert!(Glossary::from_toml_str(&bad).is_err());
        let cycle = SMALL
            .replace(
                "sector = \"finance\"",
                "sector = \"finance\"\nbroader = \"seeds\"",
            )
            .replace(
                "sector = \"cereals\"",
                "sector = \"cereals\"\nbroader = \"seed_funding\"",
            );
        assert!(Glossary::from_toml_str(&cycle).is_err());
    }
}
