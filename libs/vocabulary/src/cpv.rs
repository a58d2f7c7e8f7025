//! CPV codes and their hierarchy.
//!
//! A CPV code is 8 digits (`45233140`), often written with a check digit
//! (`45233140-2`). Its place in the tree is read off its **significant digits**, the
//! code without its trailing zeros, never fewer than two: `45000000` is the division
//! `45`, `45200000` the group `452`, `45230000` the class `4523`, `45233000` a
//! category, and each further digit one level deeper. A code is under another when
//! its significant digits start with the other's.

use std::fmt;

use crate::error::VocabularyError;

/// Depth of a division (`45`), the shallowest level.
pub const DIVISION: usize = 2;
/// Depth of a group (`452`).
pub const GROUP: usize = 3;
/// Depth of a class (`4523`).
pub const CLASS: usize = 4;

/// A valid CPV code: 8 ASCII digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CpvCode([u8; 8]);

impl CpvCode {
    /// Reads `45233140`, `45233140-2` or ` 45233140 ` (the check digit is not verified:
    /// publishers write it inconsistently, and the 8 digits identify the code).
    ///
    /// # Errors
    /// [`VocabularyError::InvalidCpv`] for anything else.
    pub fn parse(input: &str) -> Result<Self, VocabularyError> {
        let invalid = || VocabularyError::InvalidCpv {
            input: input.chars().take(40).collect(),
        };
        let text = input.trim();
        let digits = match text.split_once('-') {
            Some((digits, check))
                if check.len() == 1 && check.bytes().all(|b| b.is_ascii_digit()) =>
            {
                digits
            }
            Some(_) => return Err(invalid()),
            None => text,
        };
        let bytes: [u8; 8] = digits.as_bytes().try_into().map_err(|_| invalid())?;
        if bytes.iter().all(u8::is_ascii_digit) {
            Ok(Self(bytes))
        } else {
            Err(invalid())
        }
    }

    /// The 8 digits.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The significant digits: the code without trailing zeros, at least two.
    pub fn significant(&self) -> &str {
        &self.as_str()[..self.depth()]
    }

    /// The depth in the tree: 2 for a division, 3 for a group, 4 for a class, … 8
    /// (the number of significant digits).
    pub fn depth(&self) -> usize {
        let zeros = self.0.iter().rev().take_while(|&&b| b == b'0').count();
        (8 - zeros).max(DIVISION)
    }

    /// The code's ancestor at `depth` (itself when it is not deeper): `45233140` at
    /// depth 3 is `45200000`.
    pub fn at_depth(&self, depth: usize) -> CpvCode {
        let keep = depth.clamp(DIVISION, 8).min(self.depth());
        let mut bytes = [b'0'; 8];
        bytes[..keep].copy_from_slice(&self.0[..keep]);
        CpvCode(bytes)
    }

    /// Its ancestors, nearest first, down to the division (`45233140` → `45233100`,
    /// `45233000`, `45230000`, `45200000`, `45000000`).
    pub fn ancestors(&self) -> Vec<CpvCode> {
        (DIVISION..self.depth())
            .rev()
            .map(|depth| self.at_depth(depth))
            .collect()
    }

    /// Whether `self` is `other` or under it.
    pub fn is_within(&self, other: &CpvCode) -> bool {
        self.significant().starts_with(other.significant())
    }
}

impl fmt::Debug for CpvCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CpvCode({})", self.as_str())
    }
}

impl fmt::Display for CpvCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for CpvCode {
    type Err = VocabularyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// How a listing's code stands to a firm's code in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// The same code.
    Same,
    /// The listing's code is under the firm's, `levels` deeper: the firm supplies a
    /// family of which the listing buys one member.
    Narrower {
        /// Levels between them (≥ 1).
        levels: usize,
    },
    /// The listing's code is above the firm's, `levels` higher: the listing buys a
    /// family of which the firm supplies one member.
    Broader {
        /// Levels between them (≥ 1).
        levels: usize,
    },
    /// Both under a common ancestor at `depth` (2: same division, 3: same group…),
    /// neither under the other.
    Sibling {
        /// Depth of the nearest common ancestor.
        depth: usize,
    },
    /// Different divisions.
    Unrelated,
}

/// How `listing` stands to `firm`.
pub fn relate(firm: &CpvCode, listing: &CpvCode) -> Relation {
    let a = firm.significant().as_bytes();
    let b = listing.significant().as_bytes();
    let common = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    if common < DIVISION {
        Relation::Unrelated
    } else if a.len() == b.len() && common == a.len() {
        Relation::Same
    } else if common == a.len() {
        Relation::Narrower {
            levels: b.len() - a.len(),
        }
    } else if common == b.len() {
        Relation::Broader {
            levels: a.len() - b.len(),
        }
    } else {
        Relation::Sibling { depth: common }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> CpvCode {
        CpvCode::parse(text).expect("a valid code")
    }

    #[test]
    fn codes_are_read_with_or_without_their_check_digit() {
        assert_eq!(code("45233140-2"), code("45233140"));
        assert_eq!(code(" 90911200 ").as_str(), "90911200");
        for bad in [
            "4523314",
            "452331400",
            "4523314a",
            "45233140-",
            "45233140-22",
            "",
            "-1",
        ] {
            assert!(CpvCode::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn depth_and_ancestors_come_from_the_significant_digits() {
        assert_eq!(code("45000000").depth(), 2);
        assert_eq!(code("45200000").depth(), 3);
        assert_eq!(code("45230000").depth(), 4);
        // The last 0 is a trailing zero too: 45233140 is the 7-digit node 4523314.
        assert_eq!(code("45233140").depth(), 7);
        assert_eq!(code("45233141").depth(), 8);
        // A division that ends in 0 keeps its two digits.
        assert_eq!(code("30000000").significant(), "30");
        assert_eq!(code("03000000").significant(), "03");
        assert_eq!(
            code("45233140")
                .ancestors()
                .iter()
                .map(CpvCode::as_str)
                .collect::<Vec<_>>(),
            ["45233100", "45233000", "45230000", "45200000", "45000000"]
        );
        assert!(code("45233140").is_within(&code("45230000")));
        assert!(!code("45233140").is_within(&code("45240000")));
    }

    #[test]
    fn relations_read_the_tree_in_the_firms_direction() {
        let firm = code("45230000");
        assert_eq!(relate(&firm, &code("45230000")), Relation::Same);
        assert_eq!(
            relate(&firm, &code("45233140")),
            Relation::Narrower { levels: 3 }
        );
        assert_eq!(
            relate(&firm, &code("45000000")),
            Relation::Broader { levels: 2 }
        );
        assert_eq!(
            relate(&firm, &code("45260000")),
            Relation::Sibling { depth: 3 }
        );
        assert_eq!(
            relate(&firm, &code("45400000")),
            Relation::Sibling { depth: 2 }
        );
        assert_eq!(relate(&firm, &code("90910000")), Relation::Unrelated);
        // 30 and 03 share no division.
        assert_eq!(
            relate(&code("30000000"), &code("03000000")),
            Relation::Unrelated
        );
    }
}
