//! Specificity of concepts and stems: inverse document frequencies over a corpus.
//!
//! Grade-0 pairs share as many concepts as good ones, but generic ones (`export`,
//! `distributor`, `agrifood`); what tells a lead is a shared *specific* concept
//! (`jacketed_tank`, `seeds`). [`CorpusStats`] counts in how many records (firms and
//! listings) each concept and stem occurs, and [`CorpusStats::concept_idf`] turns that
//! into the BM25 weight `ln(1 + (N − df + ½) / (df + ½))`. Broader concepts are counted
//! wherever a narrower one occurs, so they come out generic by construction.
//!
//! The service keeps one for its whole register; the evaluation builds one from the
//! data set it scores. With no record counted every weight is 1 (plain overlap).

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::profile::{Bag, CompanyProfile, OpportunityProfile};

/// Document frequencies of concepts and stems.
#[derive(Debug, Clone, Default)]
pub struct CorpusStats {
    documents: u32,
    /// Concept → (documents it occurs in, Σ of its squared weights over them).
    concepts: HashMap<&'static str, (u32, f64)>,
    /// The same for stems.
    stems: HashMap<String, (u32, f64)>,
    /// Root-mean-square IDF-weighted norms of a record's concepts and stems,
    /// computed on first use after the last [`CorpusStats::add`].
    typical: OnceLock<(f64, f64)>,
}

impl CorpusStats {
    /// Statistics with no document: every weight is 1.
    pub fn new() -> Self {
        Self::default()
    }

    /// Statistics over these firms and listings, one document each.
    pub fn from_profiles(
        companies: &[CompanyProfile],
        opportunities: &[OpportunityProfile],
    ) -> Self {
        let mut stats = Self::new();
        for company in companies {
            stats.add(&company.all());
        }
        for opportunity in opportunities {
            stats.add(&opportunity.all());
        }
        stats
    }

    /// Counts one document.
    pub fn add(&mut self, bag: &Bag) {
        self.documents = self.documents.saturating_add(1);
        for (&id, weight) in &bag.concepts {
            let entry = self.concepts.entry(id).or_insert((0, 0.0));
            entry.0 += 1;
            entry.1 += weight * weight;
        }
        for (stem, weight) in &bag.stems {
            let entry = self.stems.entry(stem.clone()).or_insert((0, 0.0));
            entry.0 += 1;
            entry.1 += weight * weight;
        }
        self.typical = OnceLock::new();
    }

    /// Number of documents counted.
    pub fn documents(&self) -> u32 {
        self.documents
    }

    /// How specific a concept is (≥ 0; 1 when nothing was counted).
    pub fn concept_idf(&self, id: &str) -> f64 {
        self.idf(self.concepts.get(id).map_or(0, |e| e.0))
    }

    /// How specific a stem is (≥ 0; 1 when nothing was counted).
    pub fn stem_idf(&self, stem: &str) -> f64 {
        self.idf(self.stems.get(stem).map_or(0, |e| e.0))
    }

    /// The IDF-weighted norm of a typical record's concepts (root mean square over
    /// the records counted; 1 with none): the pivot that smooths similarities.
    pub fn typical_concept_norm(&self) -> f64 {
        self.typical().0
    }

    /// The same for stems.
    pub fn typical_stem_norm(&self) -> f64 {
        self.typical().1
    }

    fn typical(&self) -> (f64, f64) {
        *self.typical.get_or_init(|| {
            if self.documents == 0 {
                return (1.0, 1.0);
            }
            let n = f64::from(self.documents);
            let concepts: f64 = self
                .concepts
                .values()
                .map(|&(df, mass)| self.idf(df).powi(2) * mass)
                .sum();
            let stems: f64 = self
                .stems
                .values()
                .map(|&(df, mass)| self.idf(df).powi(2) * mass)
                .sum();
            ((concepts / n).sqrt(), (stems / n).sqrt())
        })
    }

    fn idf(&self, df: u32) -> f64 {
        if self.documents == 0 {
            return 1.0;
        }
        let n = f64::from(self.documents);
        let df = f64::from(df.min(self.documents));
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rare_concepts_weigh_more_than_common_ones() {
        let mut stats = CorpusStats::new();
        assert!((stats.concept_idf("tanks") - 1.0).abs() < 1e-12);
        for i in 0..10 {
            let mut bag = Bag::default();
            bag.concepts.insert("export", 1.0);
            if i == 0 {
                bag.concepts.insert("tanks", 1.0);
            }
            stats.add(&bag);
        }
        assert_eq!(stats.documents(), 10);
        assert!(stats.concept_idf("tanks") > 2.0 * stats.concept_idf("export"));
        assert!(stats.concept_idf("never_seen") > stats.concept_idf("tanks"));
        // Nine records of one concept of idf(10) and one of two: the mean of norm².
        let export = stats.concept_idf("export");
        let tanks = stats.concept_idf("tanks");
        let expected = ((10.0 * export * export + tanks * tanks) / 10.0).sqrt();
        assert!((stats.typical_concept_norm() - expected).abs() < 1e-12);
    }
}
