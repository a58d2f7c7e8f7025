//! The NACE Rev. 2 taxonomy of economic activities, read from its French and
//! Spanish national versions.
//!
//! NACE has four levels: 21 sections (`C`), 88 divisions (`25`), 272 groups
//! (`25.6`) and 615 classes (`25.62`). France's NAF adds a fifth level of
//! sub-classes written with a letter (`25.62B`); Spain's CNAE-2009 writes classes
//! without the dot (`2562`) and splits 13 NACE classes into 25 national ones
//! (`4121`, `4122` for NACE 41.20). [`NaceCode::parse`] reads all these forms,
//! resolves each to its NACE node and remembers what it was given
//! ([`NaceCode::given`]), so a firm registered under `25.62B` keeps that code
//! while matching tenders classified `2562`.
//!
//! Labels come in French (INSEE's NAF wording where it differs from Eurostat's),
//! Spanish and English. [`NaceCode::ancestors`] lists every level for indexing and
//! [`similarity`] scores two codes by the deepest level they share.
//!
//! The data is compiled in from `data/nace_fr_es.csv` and `data/naf_subclasses.csv`
//! and parsed on first use.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

/// Why a code was not read as a NACE code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NaceError {
    /// The input is not shaped like a NACE, NAF or CNAE code.
    #[error(
        "invalid activity code {0:?}: expected a form such as C, 25, 25.6, 25.62, 2562 or 25.62B"
    )]
    InvalidFormat(String),
    /// The input is well formed but names no code of the classification.
    #[error("unknown activity code {0:?}")]
    Unknown(String),
}

/// The four levels of NACE, from the coarsest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NaceLevel {
    /// A letter: `C`.
    Section,
    /// Two digits: `25`.
    Division,
    /// Three digits: `25.6`.
    Group,
    /// Four digits: `25.62`.
    Class,
}

impl NaceLevel {
    fn from_depth(depth: &str) -> Option<Self> {
        match depth {
            "1" => Some(Self::Section),
            "2" => Some(Self::Division),
            "3" => Some(Self::Group),
            "4" => Some(Self::Class),
            _ => None,
        }
    }

    /// The similarity of two codes whose deepest shared level is this one.
    fn similarity(self) -> f64 {
        match self {
            Self::Class => 1.0,
            Self::Group => 0.75,
            Self::Division => 0.5,
            Self::Section => 0.25,
        }
    }
}

/// The classification a code was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Classification {
    /// Eurostat's NACE Rev. 2 (`25.62`, `25`, `C`).
    Nace,
    /// INSEE's NAF rév. 2 sub-class (`25.62B`).
    Naf,
    /// INE's CNAE-2009 class (`2562`, or a Spanish split such as `4121`).
    Cnae,
}

/// A language for labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// French (INSEE's NAF wording).
    Fr,
    /// Spanish (INE's CNAE wording).
    Es,
    /// English (Eurostat's wording).
    En,
}

/// One node of the NACE tree.
#[derive(Debug)]
struct Node {
    level: NaceLevel,
    code: String,
    parent: Option<u16>,
    children: Vec<u16>,
    cnae: Vec<String>,
    label_en: String,
    label_fr: String,
    label_es: String,
}

/// A NAF sub-class (`25.62B`).
#[derive(Debug)]
struct NafSubclass {
    code: String,
    class: u16,
    label_fr: String,
}

/// A CNAE-2009 class that splits a NACE class (`4121` of 41.20).
#[derive(Debug)]
struct CnaeSplit {
    code: String,
    class: u16,
    label_en: String,
    label_es: String,
}

#[derive(Debug)]
struct Taxonomy {
    nodes: Vec<Node>,
    by_code: HashMap<String, u16>,
    naf: Vec<NafSubclass>,
    naf_by_code: HashMap<String, u16>,
    splits: Vec<CnaeSplit>,
    split_by_code: HashMap<String, u16>,
}

#[derive(Deserialize)]
struct NaceRow {
    scheme: String,
    level: String,
    code: String,
    parent: String,
    cnae_code: String,
    label_en: String,
    label_fr_nace: String,
    label_fr_naf: String,
    label_es: String,
}

#[derive(Deserialize)]
struct NafRow {
    naf_code: String,
    nace_class: String,
    label_fr: String,
}

#[derive(Deserialize)]
struct SplitRow {
    scheme: String,
    cnae_code: String,
    nace_class: String,
    label_en: String,
    label_es: String,
}

const NACE_CSV: &str = include_str!("../data/nace_fr_es.csv");
const NAF_CSV: &str = include_str!("../data/naf_subclasses.csv");

fn index(i: usize) -> Result<u16, String> {
    u16::try_from(i).map_err(|_| "too many nace entries".to_owned())
}

impl Taxonomy {
    fn load(nace_csv: &str, naf_csv: &str) -> Result<Self, String> {
        let mut nodes: Vec<Node> = Vec::new();
        let mut by_code = HashMap::new();
        let mut parents: Vec<String> = Vec::new();
        let mut split_rows = Vec::new();
        let mut reader = csv::Reader::from_reader(nace_csv.as_bytes());
        let headers = reader.headers().map_err(|e| e.to_string())?.clone();
        for record in reader.records() {
            let record = record.map_err(|e| e.to_string())?;
            let row: NaceRow = record
                .deserialize(Some(&headers))
                .map_err(|e| e.to_string())?;
            if row.scheme != "NACE2" {
                let split: SplitRow = record
                    .deserialize(Some(&headers))
                    .map_err(|e| e.to_string())?;
                split_rows.push(split);
                continue;
            }
            let level = NaceLevel::from_depth(&row.level)
                .ok_or_else(|| format!("bad level {:?} for {}", row.level, row.code))?;
            by_code.insert(row.code.clone(), index(nodes.len())?);
            parents.push(row.parent);
            let label_fr = if row.label_fr_naf.is_empty() {
                row.label_fr_nace
            } else {
                row.label_fr_naf
            };
            let cnae = if level == NaceLevel::Class {
                row.cnae_code.split('|').map(str::to_owned).collect()
            } else {
                Vec::new()
            };
            nodes.push(Node {
                level,
                code: row.code,
                parent: None,
                children: Vec::new(),
                cnae,
                label_en: row.label_en,
                label_fr,
                label_es: row.label_es,
            });
        }
        for (i, parent) in parents.iter().enumerate() {
            if parent.is_empty() {
                continue;
            }
            let p = *by_code
                .get(parent)
                .ok_or_else(|| format!("unknown parent {parent}"))?;
            nodes[i].parent = Some(p);
            nodes[usize::from(p)].children.push(index(i)?);
        }

        let mut splits = Vec::new();
        let mut split_by_code = HashMap::new();
        for row in split_rows {
            let class = *by_code
                .get(&row.nace_class)
                .ok_or_else(|| format!("unknown nace class {}", row.nace_class))?;
            split_by_code.insert(row.cnae_code.clone(), index(splits.len())?);
            splits.push(CnaeSplit {
                code: row.cnae_code,
                class,
                label_en: row.label_en,
                label_es: row.label_es,
            });
            debug_assert!(row.scheme == "CNAE2009-only");
        }

        let mut naf = Vec::new();
        let mut naf_by_code = HashMap::new();
        for row in csv::Reader::from_reader(naf_csv.as_bytes()).deserialize() {
            let row: NafRow = row.map_err(|e| e.to_string())?;
            let class = *by_code
                .get(&row.nace_class)
                .ok_or_else(|| format!("unknown nace class {}", row.nace_class))?;
            naf_by_code.insert(row.naf_code.replace('.', ""), index(naf.len())?);
            naf.push(NafSubclass {
                code: row.naf_code,
                class,
                label_fr: row.label_fr,
            });
        }
        Ok(Self {
            nodes,
            by_code,
            naf,
            naf_by_code,
            splits,
            split_by_code,
        })
    }

    fn node(&self, i: u16) -> &Node {
        &self.nodes[usize::from(i)]
    }
}

static TAXONOMY: LazyLock<Taxonomy> = LazyLock::new(|| {
    Taxonomy::load(NACE_CSV, NAF_CSV)
        .unwrap_or_else(|e| panic!("embedded NACE data is corrupt ({e}); run the crate's tests"))
});

/// What a [`NaceCode`] was read from, when it was not a plain NACE code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Given {
    Nace,
    Naf(u16),
    Cnae,
    CnaeSplit(u16),
}

/// A node of the NACE Rev. 2 tree (section, division, group or class), with the
/// national code it was read from.
///
/// Equality compares the node *and* the given form: `25.62B` and `2562` are both
/// class 25.62 but are not equal; compare [`NaceCode::code`] or use [`similarity`]
/// to match across classifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NaceCode {
    node: u16,
    given: Given,
}

impl NaceCode {
    /// Reads a NACE (`C`, `25`, `25.6`, `25.62`), NAF (`25.62B`, `2562B`) or CNAE
    /// (`2562`, `4121`, `41.21`) code; case and surrounding spaces are ignored.
    ///
    /// # Errors
    /// [`NaceError::InvalidFormat`] when the input has none of these shapes,
    /// [`NaceError::Unknown`] when it names no code.
    pub fn parse(input: &str) -> Result<Self, NaceError> {
        let tax = &*TAXONOMY;
        let upper: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let bad = || NaceError::InvalidFormat(input.to_owned());
        let unknown = || NaceError::Unknown(input.to_owned());
        let dotted = upper.contains('.');
        if dotted {
            let b = upper.as_bytes();
            let one_dot_after_two = upper.matches('.').count() == 1
                && b.len() > 3
                && b[2] == b'.'
                && b[..2].iter().all(u8::is_ascii_digit);
            if !one_dot_after_two {
                return Err(bad());
            }
        }
        let compact = upper.replace('.', "");
        let b = compact.as_bytes();
        let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
        let nace = |code: &str| tax.by_code.get(code).copied();
        let code_at = |n: usize| format!("{}.{}", &compact[..2], &compact[2..n]);
        match (digits, b.len()) {
            (0, 1) if b[0].is_ascii_uppercase() && !dotted => nace(&compact)
                .map(|node| Self::new(node, Given::Nace))
                .ok_or_else(unknown),
            (2, 2) if !dotted => nace(&compact)
                .map(|node| Self::new(node, Given::Nace))
                .ok_or_else(unknown),
            (3, 3) => nace(&code_at(3))
                .map(|node| Self::new(node, Given::Nace))
                .ok_or_else(unknown),
            (4, 4) => {
                let class = nace(&code_at(4));
                let split = tax.split_by_code.get(&compact).copied();
                match (class, split) {
                    (_, Some(s)) => Ok(Self::new(
                        tax.splits[usize::from(s)].class,
                        Given::CnaeSplit(s),
                    )),
                    (Some(node), None) if dotted => Ok(Self::new(node, Given::Nace)),
                    (Some(node), None) if tax.node(node).cnae.contains(&compact) => {
                        Ok(Self::new(node, Given::Cnae))
                    }
                    (Some(node), None) => Ok(Self::new(node, Given::Nace)),
                    (None, None) => Err(unknown()),
                }
            }
            (4, 5) if b[4].is_ascii_uppercase() => tax
                .naf_by_code
                .get(&compact)
                .map(|&n| Self::new(tax.naf[usize::from(n)].class, Given::Naf(n)))
                .ok_or_else(unknown),
            _ => Err(bad()),
        }
    }

    fn new(node: u16, given: Given) -> Self {
        Self { node, given }
    }

    fn node(&self) -> &'static Node {
        TAXONOMY.node(self.node)
    }

    /// The level of the NACE node.
    pub fn level(&self) -> NaceLevel {
        self.node().level
    }

    /// The NACE code of the node: `"25.62"` for `25.62B` or `2562`.
    pub fn code(&self) -> &'static str {
        &self.node().code
    }

    /// The code as it was given, in its canonical form: `"25.62B"`, `"2562"`,
    /// `"4121"`, or the NACE code.
    pub fn given(&self) -> &'static str {
        let tax = &*TAXONOMY;
        match self.given {
            Given::Nace => self.code(),
            Given::Naf(i) => &tax.naf[usize::from(i)].code,
            Given::Cnae => self.node().cnae.first().map_or(self.code(), String::as_str),
            Given::CnaeSplit(i) => &tax.splits[usize::from(i)].code,
        }
    }

    /// The classification the code was given in.
    pub fn classification(&self) -> Classification {
        match self.given {
            Given::Nace => Classification::Nace,
            Given::Naf(_) => Classification::Naf,
            Given::Cnae | Given::CnaeSplit(_) => Classification::Cnae,
        }
    }

    /// The label of the NACE node.
    pub fn label(&self, lang: Lang) -> &'static str {
        let node = self.node();
        match lang {
            Lang::Fr => &node.label_fr,
            Lang::Es => &node.label_es,
            Lang::En => &node.label_en,
        }
    }

    /// The label of the code as given: a NAF sub-class's French label, a CNAE
    /// split's Spanish and English labels, otherwise [`NaceCode::label`].
    pub fn given_label(&self, lang: Lang) -> &'static str {
        let tax = &*TAXONOMY;
        match (self.given, lang) {
            (Given::Naf(i), Lang::Fr) => &tax.naf[usize::from(i)].label_fr,
            (Given::CnaeSplit(i), Lang::Es) => &tax.splits[usize::from(i)].label_es,
            (Given::CnaeSplit(i), Lang::En) => &tax.splits[usize::from(i)].label_en,
            _ => self.label(lang),
        }
    }

    /// The CNAE-2009 codes of a class: `["2562"]`, or `["4121", "4122"]` where Spain
    /// splits it; empty above the class level.
    pub fn cnae_codes(&self) -> Vec<&'static str> {
        self.node().cnae.iter().map(String::as_str).collect()
    }

    /// The enclosing node (class → group → division → section), as a NACE code.
    pub fn parent(&self) -> Option<NaceCode> {
        self.node().parent.map(|p| Self::new(p, Given::Nace))
    }

    /// This code, then each enclosing node up to its section — like
    /// `Path::ancestors`, it starts with `self`. Index all of them so that a
    /// search at any level finds the code.
    pub fn ancestors(&self) -> Vec<NaceCode> {
        std::iter::successors(Some(*self), NaceCode::parent).collect()
    }

    /// The node at `level` on this code's path, if the code is at least that deep.
    pub fn at_level(&self, level: NaceLevel) -> Option<NaceCode> {
        self.ancestors().into_iter().find(|c| c.level() == level)
    }

    /// The section letter: `'C'`.
    pub fn section(&self) -> char {
        self.at_level(NaceLevel::Section)
            .and_then(|c| c.code().chars().next())
            .unwrap_or('?')
    }

    /// The division code (`"25"`), unless this is a section.
    pub fn division(&self) -> Option<&'static str> {
        self.at_level(NaceLevel::Division).map(|c| c.code())
    }

    /// The group code (`"25.6"`), if the code is a group or a class.
    pub fn group(&self) -> Option<&'static str> {
        self.at_level(NaceLevel::Group).map(|c| c.code())
    }

    /// The class code (`"25.62"`), if the code is a class.
    pub fn class(&self) -> Option<&'static str> {
        self.at_level(NaceLevel::Class).map(|c| c.code())
    }

    /// The nodes directly under this one, as NACE codes.
    pub fn children(&self) -> Vec<NaceCode> {
        self.node()
            .children
            .iter()
            .map(|&c| Self::new(c, Given::Nace))
            .collect()
    }

    /// Every node of the taxonomy at `level`, in code order.
    pub fn all(level: NaceLevel) -> Vec<NaceCode> {
        let tax = &*TAXONOMY;
        (0..tax.nodes.len())
            .filter_map(|i| u16::try_from(i).ok())
            .filter(|&i| tax.node(i).level == level)
            .map(|i| Self::new(i, Given::Nace))
            .collect()
    }

    /// Whether both codes resolve to the same NACE node, whatever they were given as.
    pub fn same_node(&self, other: &NaceCode) -> bool {
        self.node == other.node
    }

    /// See [`similarity`].
    pub fn similarity(&self, other: &NaceCode) -> f64 {
        similarity(self, other)
    }
}

/// How close two activities are: 1.0 for the same node (the same class, or the
/// same coarser code), else by the deepest level they share — 0.75 for the same
/// group, 0.5 for the same division, 0.25 for the same section — and 0.0 for
/// different sections. Symmetric; the given classification does not matter.
pub fn similarity(a: &NaceCode, b: &NaceCode) -> f64 {
    if a.same_node(b) {
        return 1.0;
    }
    let b_path = b.ancestors();
    a.ancestors()
        .iter()
        .find(|x| b_path.iter().any(|y| x.same_node(y)))
        .map_or(0.0, |shared| shared.level().similarity())
}

impl fmt::Display for NaceCode {
    /// The code as given: `25.62B`, `2562` or `25.62`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.given())
    }
}

impl FromStr for NaceCode {
    type Err = NaceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for NaceCode {
    type Error = NaceError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<NaceCode> for String {
    fn from(value: NaceCode) -> Self {
        value.given().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> NaceCode {
        NaceCode::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn embedded_data_loads_with_every_level() {
        let tax = Taxonomy::load(NACE_CSV, NAF_CSV).expect("embedded data parses");
        assert_eq!(tax.nodes.len(), 996);
        assert_eq!(NaceCode::all(NaceLevel::Section).len(), 21);
        assert_eq!(NaceCode::all(NaceLevel::Division).len(), 88);
        assert_eq!(NaceCode::all(NaceLevel::Group).len(), 272);
        assert_eq!(NaceCode::all(NaceLevel::Class).len(), 615);
        assert_eq!(tax.naf.len(), 732);
        assert_eq!(tax.splits.len(), 25);
        // Every class but the roots has a parent one level up.
        for node in &tax.nodes {
            match node.parent {
                None => assert_eq!(node.level, NaceLevel::Section),
                Some(p) => assert!(tax.node(p).level < node.level),
            }
        }
    }

    #[test]
    fn reads_every_form_of_machining() {
        let naf = code("25.62B");
        assert_eq!(naf.code(), "25.62");
        assert_eq!(naf.given(), "25.62B");
        assert_eq!(naf.classification(), Classification::Naf);
        assert_eq!(naf.label(Lang::Fr), "Usinage");
        assert_eq!(naf.given_label(Lang::Fr), "Mécanique industrielle");
        assert_eq!(naf.label(Lang::En), "Machining");
        assert_eq!(
            naf.label(Lang::Es),
            "Ingeniería mecánica por cuenta de terceros"
        );
        assert_eq!(code("2562b"), naf);
        let cnae = code("2562");
        assert_eq!(cnae.classification(), Classification::Cnae);
        assert_eq!(cnae.given(), "2562");
        let nace = code(" 25.62 ");
        assert_eq!(nace.classification(), Classification::Nace);
        assert!(naf.same_node(&cnae) && cnae.same_node(&nace));
        assert_eq!(nace.to_string(), "25.62");
        assert_eq!(naf.to_string(), "25.62B");
    }

    #[test]
    fn spanish_splits_map_to_their_nace_class() {
        let residential = code("4121");
        assert_eq!(residential.code(), "41.20");
        assert_eq!(residential.given(), "4121");
        assert_eq!(
            residential.given_label(Lang::Es),
            "Construcción de edificios residenciales"
        );
        assert_eq!(code("41.22").code(), "41.20");
        assert_eq!(code("3518").code(), "35.11");
        assert_eq!(code("4120").classification(), Classification::Nace);
        assert_eq!(code("41.20").cnae_codes(), vec!["4121", "4122"]);
        assert_eq!(code("10.20").cnae_codes(), vec!["1021", "1022"]);
    }

    #[test]
    fn coarse_codes_and_parent_chain() {
        let class = code("25.62");
        assert_eq!(class.section(), 'C');
        assert_eq!(class.division(), Some("25"));
        assert_eq!(class.group(), Some("25.6"));
        assert_eq!(class.class(), Some("25.62"));
        let chain: Vec<&str> = class.ancestors().iter().map(NaceCode::code).collect();
        assert_eq!(chain, ["25.62", "25.6", "25", "C"]);
        let chain: Vec<&str> = code("25.62B")
            .ancestors()
            .iter()
            .map(NaceCode::given)
            .collect();
        assert_eq!(chain, ["25.62B", "25.6", "25", "C"]);
        assert_eq!(code("256").code(), "25.6");
        let division = code("25");
        assert_eq!(division.level(), NaceLevel::Division);
        assert_eq!(division.group(), None);
        assert_eq!(code("c").level(), NaceLevel::Section);
        assert_eq!(code("C").label(Lang::Fr), "INDUSTRIE MANUFACTURIÈRE");
        assert!(code("25.6").children().iter().any(|c| c.code() == "25.62"));
    }

    #[test]
    fn french_labels_prefer_insee_wording() {
        assert_eq!(
            code("10.6").label(Lang::Fr),
            "Travail des grains ; fabrication de produits amylacés"
        );
    }

    #[test]
    fn rejects_bad_and_unknown_codes() {
        for bad in [
            "", "2", "25.", "2.562", "25.6.2", "25.62BB", "C25", "25-62", "256Z",
        ] {
            assert!(
                matches!(NaceCode::parse(bad), Err(NaceError::InvalidFormat(_))),
                "{bad}"
            );
        }
        for unknown in ["Z", "04", "25.8", "25.69", "2569", "25.62Q", "4123"] {
            assert!(
                matches!(NaceCode::parse(unknown), Err(NaceError::Unknown(_))),
                "{unknown}"
            );
        }
    }

    #[test]
    fn similarity_decreases_with_the_shared_level() {
        let machining = code("25.62B");
        let same_class = similarity(&machining, &code("2562"));
        let same_group = similarity(&machining, &code("25.61"));
        let same_division = similarity(&machining, &code("25.11"));
        let same_section = similarity(&machining, &code("28.41"));
        let unrelated = similarity(&machining, &code("01.11"));
        assert_eq!(same_class, 1.0);
        assert!(same_class > same_group && same_group > same_division);
        assert!(same_division > same_section && same_section > unrelated);
        assert_eq!(unrelated, 0.0);
        assert_eq!(similarity(&code("25"), &code("25")), 1.0);
        assert_eq!(similarity(&code("25"), &code("25.62")), 0.5);
        assert_eq!(similarity(&code("25.62"), &code("25")), 0.5);
        assert_eq!(similarity(&code("4121"), &code("4122")), 1.0);
    }

    #[test]
    fn serde_round_trips_the_given_form() {
        let naf = code("25.62B");
        let json = serde_json::to_string(&naf).expect("serialise");
        assert_eq!(json, "\"25.62B\"");
        let back: NaceCode = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, naf);
    }
}
