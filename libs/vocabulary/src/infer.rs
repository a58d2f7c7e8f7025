//! The embedded vocabularies and the inference of CPV codes from text.
//!
//! Each CPV label is analysed once, in French and in Spanish, with the analyzers of
//! `pyred-text` (elision, stop words, Snowball stems, accent folding), into a set of
//! stems weighted by their rarity among the labels of that language (IDF). A text is
//! analysed the same way and compared with every label that shares a stem (cosine of
//! the IDF-weighted sets). The best labels become the text's codes:
//!
//! - a label must reach [`MIN_COSINE`], and [`KEEP_RATIO`] of the best one;
//! - at most [`MAX_CODES`] codes are kept;
//! - a code's weight is `(cos / best)^SHARPNESS × best`: the best label weighs most,
//!   and a long text that names a label in passing weighs less than one that names
//!   it outright.
//!
//! Genre words — those that name the act of buying or the firm rather than what is
//! bought or supplied (*suministro*, *contratación*, *servicios*, *entreprise*,
//! *prestations*…, [`GENRE_FR`], [`GENRE_ES`]) — are left out of labels and texts
//! alike, so "Contratación del servicio de limpieza" is about cleaning, not about
//! recruitment services (*Servicios de contratación*), and "Entreprise du Gers" is not
//! *Services divers aux entreprises*.
//!
//! The hierarchy is not used here: a text gets the codes whose labels it names, and
//! the matching model reads their relations ([`crate::cpv::relate`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;

use pyred_domain::NaceCode;
use pyred_domain::nace::Lang;
use pyred_text::Language;

use crate::cpv::CpvCode;
use crate::error::VocabularyError;
use crate::nuts::{self, NutsName};

const CPV_TABLE: &str = include_str!("../data/cpv.tsv");
const NUTS_TABLE: &str = include_str!("../data/nuts.tsv");

/// Lowest cosine between a text and a label for the label's code to count.
pub const MIN_COSINE: f64 = 0.2;
/// Share of the best label's cosine another label needs to be kept.
pub const KEEP_RATIO: f64 = 0.6;
/// Most codes inferred from one text.
pub const MAX_CODES: usize = 12;
/// Exponent that separates the best label from the next ones.
pub const SHARPNESS: f64 = 3.0;
/// Depth to which codes inferred from an activity label are coarsened (a group): an
/// activity names a trade, not one product.
pub const ACTIVITY_DEPTH: usize = crate::cpv::GROUP;

/// French genre words: the firm and the act of supplying, not what is supplied.
pub const GENRE_FR: &[&str] = &[
    "entreprise",
    "entreprises",
    "société",
    "sociétés",
    "spécialisé",
    "spécialisée",
    "spécialisés",
    "spécialisées",
    "prestation",
    "prestations",
    "fourniture",
    "fournitures",
    "service",
    "services",
    "travaux",
    "divers",
    "diverses",
    "autres",
    "activité",
    "activités",
    "nouveau",
    "nouvelle",
];

/// Spanish genre words: the act of buying and its paperwork, not what is bought.
pub const GENRE_ES: &[&str] = &[
    "empresa",
    "empresas",
    "sociedad",
    "especializada",
    "especializado",
    "contratación",
    "contrato",
    "contratos",
    "contratar",
    "objeto",
    "presente",
    "suministro",
    "suministros",
    "adquisición",
    "prestación",
    "servicio",
    "servicios",
    "obra",
    "obras",
    "trabajos",
    "ejecución",
    "prórroga",
    "lote",
    "lotes",
    "expediente",
    "licitación",
    "procedimiento",
    "diverso",
    "diversos",
    "varios",
    "varias",
    "distintos",
    "distintas",
    "otros",
    "otras",
    "nuevo",
    "nueva",
    "actividad",
    "actividades",
];

/// One code inferred from a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Inferred {
    /// The code.
    pub code: CpvCode,
    /// Its weight in (0, 1].
    pub weight: f64,
    /// The words of the text that named it (for explanations).
    pub words: String,
}

/// The stems of one language's labels.
#[derive(Debug, Default)]
struct LabelIndex {
    /// Stem → labels (indexes into `Vocabulary::codes`) holding it.
    postings: HashMap<String, Vec<u32>>,
    /// Stem → IDF among the labels.
    idf: HashMap<String, f64>,
    /// Label → its stems, sorted, genre words left out.
    stems: Vec<Vec<String>>,
    /// Label → norm of its IDF-weighted stem set (0: no stem left).
    norms: Vec<f64>,
    /// Genre stems, left out of labels and texts.
    genre: HashSet<String>,
}

impl LabelIndex {
    fn build(labels: &[&str], language: Language, genre: &[&str]) -> Self {
        let genre: HashSet<String> = genre
            .iter()
            .flat_map(|word| pyred_text::analyze(word, language))
            .collect();
        let stems: Vec<Vec<String>> = labels
            .iter()
            .map(|label| {
                let mut stems: Vec<String> = pyred_text::analyze(label, language)
                    .into_iter()
                    .filter(|s| keep_stem(s, &genre))
                    .collect();
                stems.sort_unstable();
                stems.dedup();
                stems
            })
            .collect();
        let mut postings: HashMap<String, Vec<u32>> = HashMap::new();
        for (index, set) in stems.iter().enumerate() {
            let index = u32::try_from(index).unwrap_or(u32::MAX);
            for stem in set {
                postings.entry(stem.clone()).or_default().push(index);
            }
        }
        let n = labels.len().max(1) as f64;
        let idf: HashMap<String, f64> = postings
            .iter()
            .map(|(stem, list)| (stem.clone(), (n / list.len() as f64).ln().max(0.0)))
            .collect();
        let norms = stems
            .iter()
            .map(|set| {
                set.iter()
                    .map(|s| idf.get(s).copied().unwrap_or(0.0).powi(2))
                    .sum::<f64>()
                    .sqrt()
            })
            .collect();
        Self {
            postings,
            idf,
            stems,
            norms,
            genre,
        }
    }
}

fn keep_stem(stem: &str, genre: &HashSet<String>) -> bool {
    stem.chars().count() >= 2 && !stem.chars().all(|c| c.is_ascii_digit()) && !genre.contains(stem)
}

/// CPV 2008 and NUTS, with the label indexes for inference.
#[derive(Debug)]
pub struct Vocabulary {
    codes: Vec<CpvCode>,
    /// (fr, es, en) labels, by index.
    labels: Vec<(&'static str, &'static str, &'static str)>,
    by_code: HashMap<CpvCode, u32>,
    french: LabelIndex,
    spanish: LabelIndex,
    nuts: HashMap<String, NutsName>,
}

static EMBEDDED: OnceLock<Result<Vocabulary, VocabularyError>> = OnceLock::new();

impl Vocabulary {
    /// The vocabularies compiled into the library, loaded and indexed on first use.
    ///
    /// # Errors
    /// When an embedded table is malformed (a broken build).
    pub fn embedded() -> Result<&'static Vocabulary, VocabularyError> {
        EMBEDDED
            .get_or_init(|| Vocabulary::from_tables(CPV_TABLE, NUTS_TABLE))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Builds the vocabularies from tables in the layout of `data/cpv.tsv` and
    /// `data/nuts.tsv` (header, then `code  fr  es  en`, tab-separated).
    ///
    /// # Errors
    /// [`VocabularyError::Table`] on a malformed line or a code listed twice.
    pub fn from_tables(
        cpv: &'static str,
        nuts: &'static str,
    ) -> Result<Vocabulary, VocabularyError> {
        let mut codes = Vec::new();
        let mut labels = Vec::new();
        let mut by_code = HashMap::new();
        for (index, line) in cpv.lines().enumerate().skip(1) {
            let problem = |reason: String| VocabularyError::Table {
                table: "cpv.tsv",
                line: index + 1,
                reason,
            };
            let fields: Vec<&'static str> = line.split('\t').collect();
            let [code, fr, es, en] = fields.as_slice() else {
                return Err(problem(format!(
                    "expected 4 fields, found {}",
                    fields.len()
                )));
            };
            let code = CpvCode::parse(code).map_err(|e| problem(e.to_string()))?;
            let slot = u32::try_from(codes.len()).map_err(|_| problem("too many codes".into()))?;
            if by_code.insert(code, slot).is_some() {
                return Err(problem(format!("{code} listed twice")));
            }
            codes.push(code);
            labels.push((*fr, *es, *en));
        }
        let french_labels: Vec<&str> = labels.iter().map(|l| l.0).collect();
        let spanish_labels: Vec<&str> = labels.iter().map(|l| l.1).collect();
        Ok(Vocabulary {
            french: LabelIndex::build(&french_labels, Language::Fr, GENRE_FR),
            spanish: LabelIndex::build(&spanish_labels, Language::Es, GENRE_ES),
            codes,
            labels,
            by_code,
            nuts: nuts::load(nuts)?,
        })
    }

    /// Every code's label in `language` (French or Spanish) beside its English label,
    /// in table order: the aligned pairs [`crate::false_friends`] reads.
    pub fn aligned_labels(&self, language: Language) -> Vec<(&'static str, &'static str)> {
        self.labels
            .iter()
            .map(|(fr, es, en)| match language {
                Language::Es => (*es, *en),
                _ => (*fr, *en),
            })
            .collect()
    }

    /// Number of CPV codes.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// Whether there is no code (never for the embedded tables).
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// Whether `code` is in CPV 2008.
    pub fn contains(&self, code: &CpvCode) -> bool {
        self.by_code.contains_key(code)
    }

    /// The official label of `code` in `language` (English for an unknown one).
    pub fn label(&self, code: &CpvCode, language: Language) -> Option<&'static str> {
        let (fr, es, en) = *self.labels.get(*self.by_code.get(code)? as usize)?;
        Some(match language {
            Language::Fr => fr,
            Language::Es => es,
            Language::Unknown => en,
        })
    }

    /// The label of `code`, else of its nearest ancestor that has one (publishers use
    /// codes that CPV 2008 does not list, such as the 2003 edition's).
    pub fn nearest_label(&self, code: &CpvCode, language: Language) -> Option<&'static str> {
        std::iter::once(*code)
            .chain(code.ancestors())
            .find_map(|c| self.label(&c, language))
    }

    /// The names of a NUTS code (`ES243`).
    pub fn nuts(&self, code: &str) -> Option<&NutsName> {
        self.nuts.get(code.trim())
    }

    /// Every code, in code order.
    pub fn codes(&self) -> &[CpvCode] {
        &self.codes
    }

    /// The analysed stems of `code`'s label in `language`, genre words left out — what
    /// inference compares texts with.
    pub fn label_stems(&self, code: &CpvCode, language: Language) -> &[String] {
        let (Some(index), Some(&slot)) = (self.index(language), self.by_code.get(code)) else {
            return &[];
        };
        index.stems.get(slot as usize).map_or(&[], Vec::as_slice)
    }

    fn index(&self, language: Language) -> Option<&LabelIndex> {
        match language {
            Language::Fr => Some(&self.french),
            Language::Es => Some(&self.spanish),
            Language::Unknown => None,
        }
    }

    /// The CPV codes a text in `language` names, best first (see the module
    /// documentation). A text of unknown language is read as French and as Spanish.
    pub fn infer(&self, text: &str, language: Language) -> Vec<Inferred> {
        match language {
            Language::Unknown => {
                let mut merged = self.infer_in(text, Language::Fr);
                merge_max(&mut merged, self.infer_in(text, Language::Es));
                merged
            }
            known => self.infer_in(text, known),
        }
    }

    fn infer_in(&self, text: &str, language: Language) -> Vec<Inferred> {
        let Some(index) = self.index(language) else {
            return Vec::new();
        };
        if text.trim().is_empty() {
            return Vec::new();
        }
        // Stem → byte spans of the words that gave it.
        let mut spans: BTreeMap<String, Vec<(usize, usize)>> = BTreeMap::new();
        for token in pyred_text::analyze_tokens(text, language) {
            if keep_stem(&token.text, &index.genre) && index.idf.contains_key(&token.text) {
                spans
                    .entry(token.text)
                    .or_default()
                    .push((token.offset_from, token.offset_to));
            }
        }
        let text_norm = spans
            .keys()
            .map(|s| index.idf.get(s).copied().unwrap_or(0.0).powi(2))
            .sum::<f64>()
            .sqrt();
        if text_norm <= 0.0 {
            return Vec::new();
        }
        let mut dots: HashMap<u32, f64> = HashMap::new();
        for stem in spans.keys() {
            let idf = index.idf.get(stem).copied().unwrap_or(0.0);
            if idf <= 0.0 {
                continue;
            }
            for &label in index.postings.get(stem).map_or(&[][..], Vec::as_slice) {
                *dots.entry(label).or_insert(0.0) += idf * idf;
            }
        }
        let mut scored: Vec<(f64, u32)> = dots
            .into_iter()
            .filter_map(|(label, dot)| {
                let norm = index.norms.get(label as usize).copied().unwrap_or(0.0);
                (norm > 0.0).then(|| ((dot / (norm * text_norm)).min(1.0), label))
            })
            .collect();
        scored.sort_by(|a, b| {
            b.0.partial_cmp(&a.0)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then_with(|| self.codes[a.1 as usize].cmp(&self.codes[b.1 as usize]))
        });
        let Some(&(best, _)) = scored.first() else {
            return Vec::new();
        };
        if best < MIN_COSINE {
            return Vec::new();
        }
        scored
            .into_iter()
            .take_while(|(cos, _)| *cos >= KEEP_RATIO * best)
            .take(MAX_CODES)
            .map(|(cos, label)| {
                let code = self.codes[label as usize];
                let label_stems = index
                    .stems
                    .get(label as usize)
                    .map_or(&[][..], Vec::as_slice);
                Inferred {
                    code,
                    weight: (cos / best).powf(SHARPNESS) * best,
                    words: quoted_words(text, &spans, label_stems),
                }
            })
            .collect()
    }

    /// The CPV codes an activity (NACE, NAF or CNAE) usually supplies, read from its
    /// official French and Spanish labels and coarsened to groups ([`ACTIVITY_DEPTH`]);
    /// the words are the activity's code and French label.
    pub fn codes_for_activity(&self, activity: &NaceCode) -> Vec<Inferred> {
        let mut merged = self.infer_in(activity.label(Lang::Fr), Language::Fr);
        merge_max(
            &mut merged,
            self.infer_in(activity.label(Lang::Es), Language::Es),
        );
        let words = format!("{} {}", activity.code(), activity.label(Lang::Fr));
        let mut coarse: Vec<Inferred> = Vec::new();
        for inferred in merged {
            let code = inferred.code.at_depth(ACTIVITY_DEPTH);
            match coarse.iter_mut().find(|c| c.code == code) {
                Some(known) => known.weight = known.weight.max(inferred.weight),
                None => coarse.push(Inferred {
                    code,
                    weight: inferred.weight,
                    words: words.clone(),
                }),
            }
        }
        coarse.sort_by(|a, b| {
            b.weight
                .partial_cmp(&a.weight)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then_with(|| a.code.cmp(&b.code))
        });
        coarse
    }
}

/// Adds `more` to `into`, keeping the larger weight of a code found twice.
fn merge_max(into: &mut Vec<Inferred>, more: Vec<Inferred>) {
    for inferred in more {
        match into.iter_mut().find(|i| i.code == inferred.code) {
            Some(known) if known.weight >= inferred.weight => {}
            Some(known) => *known = inferred,
            None => into.push(inferred),
        }
    }
    into.sort_by(|a, b| {
        b.weight
            .partial_cmp(&a.weight)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.code.cmp(&b.code))
    });
}

/// The words of `text` that gave the label's stems: the stretch from the first to the
/// last when it is short, else those words joined.
fn quoted_words(
    text: &str,
    spans: &BTreeMap<String, Vec<(usize, usize)>>,
    label_stems: &[String],
) -> String {
    // `label_stems` is sorted.
    let mut matched: Vec<(usize, usize)> = spans
        .iter()
        .filter(|(stem, _)| label_stems.binary_search(stem).is_ok())
        .filter_map(|(_, list)| list.first().copied())
        .collect();
    matched.sort_unstable();
    let (Some(first), Some(last)) = (matched.first(), matched.last()) else {
        return String::new();
    };
    let stretch = text.get(first.0..last.1).unwrap_or_default();
    if stretch.chars().count() <= 60 {
        stretch.to_owned()
    } else {
        matched
            .iter()
            .filter_map(|(from, to)| text.get(*from..*to))
            .collect::<Vec<_>>()
            .join(" ")
    }
}
