//! Sector fit: the same activity, or activities that buy from each other.
//!
//! Two sources, both explainable by quoting NACE labels:
//!
//! - **similarity** of the NACE codes ([`pyred_domain::nace::similarity`]: 1 for the
//!   same class, 0.75 the same group, 0.5 the same division, 0.25 the same section),
//!   except that a coarse code that contains the other ("25" and "25.62") counts as
//!   [`CONTAINED_SIMILARITY`]: agencies often code listings coarsely, and a coarse
//!   code does not contradict a fine one;
//! - **customer–supplier adjacency** ([`Adjacency`]): a curated table, in
//!   `data/adjacency.toml`, of which activities sell to which (tanks → wineries,
//!   packaging → food processing, seeds → farming, farm machinery → agriculture…).
//!   It is directional: a listing that *buys* is matched with firms that *supply* its
//!   activity, a listing that *sells* with firms that are its customers.

use pyred_domain::NaceCode;
use serde::Deserialize;

use crate::error::MatchingError;

const EMBEDDED: &str = include_str!("../data/adjacency.toml");

/// Similarity of two codes when one contains the other.
pub const CONTAINED_SIMILARITY: f64 = 0.8;

/// How much a code that is coarser than a table prefix matches it ("11" for "11.02").
const COARSER_MATCH: f64 = 0.5;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdjacencyFile {
    link: Vec<LinkRecord>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkRecord {
    suppliers: Vec<String>,
    customers: Vec<String>,
    #[serde(default)]
    strength: Option<f64>,
    why: String,
}

/// One row of the table: these activities sell to those.
#[derive(Debug, Clone)]
pub struct Link {
    /// Activities of the sellers.
    pub suppliers: Vec<NaceCode>,
    /// Activities of the buyers.
    pub customers: Vec<NaceCode>,
    /// How typical the trade is, in (0, 1].
    pub strength: f64,
    /// The trade in words, for maintainers.
    pub why: String,
}

/// The customer–supplier adjacency table.
#[derive(Debug, Clone)]
pub struct Adjacency {
    links: Vec<Link>,
}

/// An adjacency found between two codes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdjacentPair {
    /// The seller's code.
    pub supplier: NaceCode,
    /// The buyer's code.
    pub customer: NaceCode,
    /// Strength of the link times how well both codes fall under it.
    pub value: f64,
}

impl Adjacency {
    /// The table compiled into the crate, parsed once.
    ///
    /// # Errors
    /// [`MatchingError::Adjacency`] when the embedded table is malformed (a bad build).
    pub fn embedded() -> Result<&'static Adjacency, MatchingError> {
        static TABLE: std::sync::OnceLock<Result<Adjacency, String>> = std::sync::OnceLock::new();
        TABLE
            .get_or_init(|| Adjacency::from_toml_str(EMBEDDED).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|reason| MatchingError::Adjacency(reason.clone()))
    }

    /// Parses a table in the format of `data/adjacency.toml`.
    ///
    /// # Errors
    /// [`MatchingError::Adjacency`] on bad TOML, an unknown code, an empty side or a
    /// strength outside (0, 1].
    pub fn from_toml_str(text: &str) -> Result<Adjacency, MatchingError> {
        let file: AdjacencyFile =
            toml::from_str(text).map_err(|e| MatchingError::Adjacency(e.to_string()))?;
        let mut links = Vec::with_capacity(file.link.len());
        for (index, record) in file.link.into_iter().enumerate() {
            let parse = |codes: &[String]| -> Result<Vec<NaceCode>, MatchingError> {
                if codes.is_empty() {
                    return Err(MatchingError::Adjacency(format!(
                        "link {}: empty side",
                        index + 1
                    )));
                }
                codes
                    .iter()
                    .map(|code| {
                        NaceCode::parse(code).map_err(|e| {
                            MatchingError::Adjacency(format!("link {}: {e}", index + 1))
                        })
                    })
                    .collect()
            };
            let strength = record.strength.unwrap_or(1.0);
            if !(strength > 0.0 && strength <= 1.0) {
                return Err(MatchingError::Adjacency(format!(
                    "link {}: strength {strength} outside (0, 1]",
                    index + 1
                )));
            }
            links.push(Link {
                suppliers: parse(&record.suppliers)?,
                customers: parse(&record.customers)?,
                strength,
                why: record.why,
            });
        }
        Ok(Adjacency { links })
    }

    /// The rows of the table.
    pub fn links(&self) -> &[Link] {
        &self.links
    }

    /// The strongest link by which an activity among `suppliers` sells to one among
    /// `customers`, if any.
    pub fn best(&self, suppliers: &[NaceCode], customers: &[NaceCode]) -> Option<AdjacentPair> {
        let mut best: Option<AdjacentPair> = None;
        for link in &self.links {
            for supplier in suppliers {
                let s = falls_under_any(supplier, &link.suppliers);
                if s == 0.0 {
                    continue;
                }
                for customer in customers {
                    let c = falls_under_any(customer, &link.customers);
                    let value = link.strength * s * c;
                    if value > 0.0 && best.is_none_or(|b| value > b.value) {
                        best = Some(AdjacentPair {
                            supplier: *supplier,
                            customer: *customer,
                            value,
                        });
                    }
                }
            }
        }
        best
    }
}

/// 1 when `code` is `prefix` or under it, [`COARSER_MATCH`] when `code` is above it,
/// else 0.
fn falls_under(code: &NaceCode, prefix: &NaceCode) -> f64 {
    if code.ancestors().iter().any(|a| a.same_node(prefix)) {
        1.0
    } else if prefix.ancestors().iter().any(|a| a.same_node(code)) {
        COARSER_MATCH
    } else {
        0.0
    }
}

fn falls_under_any(code: &NaceCode, prefixes: &[NaceCode]) -> f64 {
    prefixes
        .iter()
        .map(|p| falls_under(code, p))
        .fold(0.0, f64::max)
}

/// Similarity of two activity codes: NACE similarity, or [`CONTAINED_SIMILARITY`]
/// when one contains the other.
pub fn code_similarity(a: &NaceCode, b: &NaceCode) -> f64 {
    if a.same_node(b) {
        return 1.0;
    }
    let contained = a.ancestors().iter().any(|x| x.same_node(b))
        || b.ancestors().iter().any(|x| x.same_node(a));
    if contained {
        CONTAINED_SIMILARITY
    } else {
        pyred_domain::nace::similarity(a, b)
    }
}

/// The most similar pair of codes between two lists, with its similarity.
pub fn best_similarity(a: &[NaceCode], b: &[NaceCode]) -> Option<(NaceCode, NaceCode, f64)> {
    let mut best: Option<(NaceCode, NaceCode, f64)> = None;
    for x in a {
        for y in b {
            let value = code_similarity(x, y);
            if value > 0.0 && best.is_none_or(|(_, _, v)| value > v) {
                best = Some((*x, *y, value));
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn codes(list: &[&str]) -> Vec<NaceCode> {
        list.iter().map(|c| NaceCode::parse(c).unwrap()).collect()
    }

    #[test]
    fn the_embedded_table_loads() {
        let table = Adjacency::embedded().expect("valid table");
        assert!(table.links().len() >= 30);
    }

    #[test]
    fn tank_makers_supply_wineries_and_not_the_reverse() {
        let table = Adjacency::embedded().unwrap();
        let tanks = codes(&["25.29Z"]);
        let winery = codes(&["1102"]);
        let pair = table.best(&tanks, &winery).expect("tanks sell to wineries");
        assert!((pair.value - 1.0).abs() < 1e-9);
        assert_eq!(pair.customer.code(), "11.02");
        assert!(table.best(&winery, &tanks).is_none());
    }

    #[test]
    fn coarse_codes_match_at_a_discount() {
        let table = Adjacency::embedded().unwrap();
        let pair = table.best(&codes(&["25.29"]), &codes(&["C"])).unwrap();
        assert!(pair.value > 0.0 && pair.value < 1.0);
    }

    #[test]
    fn a_bad_table_is_refused() {
        assert!(
            Adjacency::from_toml_str("[[link]]\nsuppliers = []\ncustomers = [\"01\"]\nwhy = \"x\"")
                .is_err()
        );
        assert!(
            Adjacency::from_toml_str(
                "[[link]]\nsuppliers = [\"99.99\"]\ncustomers = [\"01\"]\nwhy = \"x\""
            )
            .is_err()
        );
        assert!(
            Adjacency::from_toml_str(
                "[[link]]\nsuppliers = [\"01\"]\ncustomers = [\"10\"]\nstrength = 2.0\nwhy = \"x\""
            )
            .is_err()
        );
    }

    #[test]
    fn a_coarse_code_does_not_contradict_a_fine_one() {
        let a = NaceCode::parse("25").unwrap();
        let b = NaceCode::parse("25.62B").unwrap();
        assert!((code_similarity(&a, &b) - CONTAINED_SIMILARITY).abs() < 1e-9);
        let c = NaceCode::parse("25.11").unwrap();
        assert!((code_similarity(&b, &c) - 0.5).abs() < 1e-9);
    }
}
