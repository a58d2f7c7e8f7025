//! Ranking quality as the interchange format defines it.
//!
//! `judgments.tsv` grades pairs 0–3; a pair not listed counts as 0. Quality is the
//! nDCG@10 of each company's ten best opportunities, with gain `2^grade − 1` and the
//! usual `log2(rank + 1)` discount, averaged over the companies that have at least one
//! pair of grade 2 or more; the ideal ranking is the company's judged grades sorted
//! down. Recall@10 is the share of a company's grade ≥ 2 pairs found in its ten best,
//! averaged over the same companies.

use std::collections::BTreeMap;

/// The grade from which a pair is a lead (counted in recall, and to select companies).
pub const RELEVANT_GRADE: u8 = 2;

/// Why a judgments file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JudgmentsError {
    /// A line is not `company_id<TAB>opportunity_id<TAB>grade` with a grade 0–3.
    #[error("judgments line {line}: {reason}")]
    Line {
        /// Line number, from 1.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

/// Graded pairs, by company.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Judgments {
    by_company: BTreeMap<String, BTreeMap<String, u8>>,
}

impl Judgments {
    /// Reads `judgments.tsv`: a header line, then `company_id  opportunity_id  grade`,
    /// tab-separated. Blank lines are skipped; a pair listed twice keeps its last grade.
    ///
    /// # Errors
    /// [`JudgmentsError::Line`] on a line with the wrong number of fields or a grade
    /// that is not 0, 1, 2 or 3.
    pub fn parse_tsv(text: &str) -> Result<Self, JudgmentsError> {
        let mut judgments = Self::default();
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
            if index == 0 && fields.first().is_some_and(|f| *f == "company_id") {
                continue;
            }
            let [company, opportunity, grade] = fields.as_slice() else {
                return Err(JudgmentsError::Line {
                    line: number,
                    reason: format!("expected 3 tab-separated fields, found {}", fields.len()),
                });
            };
            let grade = match grade.parse::<u8>() {
                Ok(g) if g <= 3 => g,
                _ => {
                    return Err(JudgmentsError::Line {
                        line: number,
                        reason: format!("grade must be 0, 1, 2 or 3, not {grade:?}"),
                    });
                }
            };
            if company.is_empty() || opportunity.is_empty() {
                return Err(JudgmentsError::Line {
                    line: number,
                    reason: "empty id".to_owned(),
                });
            }
            judgments.insert(company, opportunity, grade);
        }
        Ok(judgments)
    }

    /// Records a grade.
    pub fn insert(&mut self, company: &str, opportunity: &str, grade: u8) {
        self.by_company
            .entry(company.to_owned())
            .or_default()
            .insert(opportunity.to_owned(), grade);
    }

    /// The grade of a pair (0 when not listed).
    pub fn grade(&self, company: &str, opportunity: &str) -> u8 {
        self.by_company
            .get(company)
            .and_then(|pairs| pairs.get(opportunity))
            .copied()
            .unwrap_or(0)
    }

    /// The graded pairs of a company.
    pub fn of(&self, company: &str) -> Option<&BTreeMap<String, u8>> {
        self.by_company.get(company)
    }

    /// The companies with at least one pair of grade ≥ [`RELEVANT_GRADE`], in id order:
    /// the ones the averages run over.
    pub fn evaluated_companies(&self) -> Vec<&str> {
        self.by_company
            .iter()
            .filter(|(_, pairs)| pairs.values().any(|&g| g >= RELEVANT_GRADE))
            .map(|(company, _)| company.as_str())
            .collect()
    }

    /// Number of graded pairs.
    pub fn len(&self) -> usize {
        self.by_company.values().map(BTreeMap::len).sum()
    }

    /// Whether no pair is graded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The gain of a grade: `2^grade − 1`.
pub fn gain(grade: u8) -> f64 {
    f64::from(2u32.pow(u32::from(grade.min(10)))) - 1.0
}

/// Discounted cumulative gain of the first `k` grades of a ranking.
pub fn dcg_at_k(grades: &[u8], k: usize) -> f64 {
    grades
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, &g)| gain(g) / ((i + 2) as f64).log2())
        .sum()
}

/// nDCG@k of a ranking of opportunity ids against a company's graded pairs (ids not
/// graded count 0). 0 when the company has no pair of positive grade.
pub fn ndcg_at_k<S: AsRef<str>>(ranking: &[S], graded: &BTreeMap<String, u8>, k: usize) -> f64 {
    let grades: Vec<u8> = ranking
        .iter()
        .map(|id| graded.get(id.as_ref()).copied().unwrap_or(0))
        .collect();
    let mut ideal: Vec<u8> = graded.values().copied().collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let ideal_dcg = dcg_at_k(&ideal, k);
    if ideal_dcg <= 0.0 {
        return 0.0;
    }
    dcg_at_k(&grades, k) / ideal_dcg
}

/// Share of a company's pairs of grade ≥ `min_grade` found in the first `k` of a
/// ranking; `None` when it has none.
pub fn recall_at_k<S: AsRef<str>>(
    ranking: &[S],
    graded: &BTreeMap<String, u8>,
    k: usize,
    min_grade: u8,
) -> Option<f64> {
    let relevant = graded.values().filter(|&&g| g >= min_grade).count();
    if relevant == 0 {
        return None;
    }
    let found = ranking
        .iter()
        .take(k)
        .filter(|id| graded.get(id.as_ref()).is_some_and(|&g| g >= min_grade))
        .count();
    Some(found as f64 / relevant as f64)
}

/// Mean nDCG@k and recall@k over the evaluated companies of `judgments`, given each
/// company's ranking (a company without a ranking scores 0).
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Mean nDCG@k.
    pub ndcg: f64,
    /// Mean recall@k of grade ≥ 2 pairs.
    pub recall: f64,
    /// Per company: (id, nDCG@k, recall@k).
    pub per_company: Vec<(String, f64, f64)>,
}

/// Evaluates rankings (company id → opportunity ids, best first) against judgments.
pub fn evaluate<S: AsRef<str>>(
    judgments: &Judgments,
    rankings: &BTreeMap<String, Vec<S>>,
    k: usize,
) -> Evaluation {
    let mut per_company = Vec::new();
    for company in judgments.evaluated_companies() {
        let empty: Vec<S> = Vec::new();
        let ranking = rankings.get(company).unwrap_or(&empty);
        let Some(graded) = judgments.of(company) else {
            continue;
        };
        let ndcg = ndcg_at_k(ranking, graded, k);
        let recall = recall_at_k(ranking, graded, k, RELEVANT_GRADE).unwrap_or(0.0);
        per_company.push((company.to_owned(), ndcg, recall));
    }
    let n = per_company.len().max(1) as f64;
    Evaluation {
        ndcg: per_company.iter().map(|(_, n, _)| n).sum::<f64>() / n,
        recall: per_company.iter().map(|(_, _, r)| r).sum::<f64>() / n,
        per_company,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn graded(pairs: &[(&str, u8)]) -> BTreeMap<String, u8> {
        pairs.iter().map(|(id, g)| ((*id).to_owned(), *g)).collect()
    }

    #[test]
    fn ndcg_matches_a_hand_computed_example() {
        // Judged: a=3, b=2, c=0, d=1. Ranking: b, x (unjudged), a, d.
        // DCG  = (2²−1)/log2 2 + 0/log2 3 + (2³−1)/log2 4 + (2¹−1)/log2 5
        //      = 3 + 0 + 7/2 + 1/2.321928 = 6.5 + 0.430677 = 6.930677
        // IDCG = 7/1 + 3/1.584963 + 1/2 + 0 = 7 + 1.892789 + 0.5 = 9.392789
        // nDCG = 0.737872
        let judged = graded(&[("a", 3), ("b", 2), ("c", 0), ("d", 1)]);
        let value = ndcg_at_k(&["b", "x", "a", "d"], &judged, 10);
        assert!((value - 0.737_872).abs() < 1e-6, "{value}");
        // Only the first k count: at k = 1, DCG = 3, IDCG = 7.
        let value = ndcg_at_k(&["b", "x", "a", "d"], &judged, 1);
        assert!((value - 3.0 / 7.0).abs() < 1e-12);
        // The ideal ranking scores 1.
        assert!((ndcg_at_k(&["a", "b", "d", "c"], &judged, 10) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn recall_counts_grade_two_and_up_in_the_first_k() {
        let judged = graded(&[("a", 3), ("b", 2), ("c", 1)]);
        assert_eq!(recall_at_k(&["c", "a", "z"], &judged, 10, 2), Some(0.5));
        assert_eq!(recall_at_k(&["c", "a", "b"], &judged, 2, 2), Some(0.5));
        assert_eq!(recall_at_k(&["c"], &graded(&[("c", 1)]), 10, 2), None);
    }

    #[test]
    fn the_mean_runs_over_companies_with_a_lead() {
        let judgments = Judgments::parse_tsv(
            "company_id\topportunity_id\tgrade\nf1\ta\t3\nf1\tb\t0\nf2\tc\t1\nf3\td\t2\n",
        )
        .unwrap();
        assert_eq!(judgments.len(), 4);
        assert_eq!(judgments.evaluated_companies(), ["f1", "f3"]);
        let mut rankings = BTreeMap::new();
        rankings.insert("f1".to_owned(), vec!["a".to_owned()]);
        rankings.insert("f2".to_owned(), vec!["c".to_owned()]);
        // f3 has no ranking: 0.
        let evaluation = evaluate(&judgments, &rankings, 10);
        assert!((evaluation.ndcg - 0.5).abs() < 1e-12);
        assert!((evaluation.recall - 0.5).abs() < 1e-12);
    }

    #[test]
    fn bad_lines_are_refused() {
        assert!(Judgments::parse_tsv("f1\ta\t4\n").is_err());
        assert!(Judgments::parse_tsv("f1\ta\n").is_err());
        assert!(Judgments::parse_tsv("f1\ta\tx\n").is_err());
    }
}
