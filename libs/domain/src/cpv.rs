//! Common Procurement Vocabulary (CPV 2008) codes, as public tenders carry them.
//!
//! A CPV code is 8 digits, optionally followed by a dash and a check digit:
//! `45000000-7`. The digits form a hierarchy read from the left: 2 for the
//! division, then group, class and category; trailing zeros mark a coarser code.
//!
//! The check digit, when given, is verified: it is the sum of the 8 digits weighted
//! 3, 7, 1, 3, 7, 1, 3, 7, modulo 10. The regulation (EC 213/2008) only says that "a ninth
//! digit serves to verify the previous digits"; the weights were derived from the
//! published division codes (`03000000-1` … `98000000-3`: the first two digits weigh 3
//! and 7) and confirmed on deeper published codes (`45210000-2`, `45233140-2`,
//! `48217100-3`). Matching uses the 8 digits.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a CPV code was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CpvError {
    /// Not 8 digits, optionally followed by `-` and one digit.
    #[error("invalid cpv code {0:?}: expected 8 digits and an optional -d check digit")]
    InvalidFormat(String),
    /// The check digit does not match the 8 digits.
    #[error("invalid cpv code {0:?}: the check digit does not match")]
    InvalidChecksum(String),
    /// The division (first two digits) is 00, which the vocabulary does not use.
    #[error("invalid cpv code {0:?}: division 00 does not exist")]
    InvalidDivision(String),
}

/// How deep in the CPV hierarchy a code is, from its trailing zeros.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CpvLevel {
    /// `XX000000`.
    Division,
    /// `XXX00000`.
    Group,
    /// `XXXX0000`.
    Class,
    /// `XXXXX000`.
    Category,
    /// Any of the last three digits set.
    Subcategory,
}

/// A CPV main-vocabulary code. Two codes are equal when their 8 digits are,
/// whether or not a check digit was given.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cpv {
    digits: [u8; 8],
    check: Option<u8>,
}

impl Cpv {
    /// Reads `"45000000"`, `"45000000-7"` or `"45 00 00 00-7"` (spaces ignored).
    ///
    /// # Errors
    /// [`CpvError::InvalidFormat`] for any other shape, [`CpvError::InvalidDivision`]
    /// for a code starting with `00`.
    pub fn parse(input: &str) -> Result<Self, CpvError> {
        let compact: Vec<u8> = input.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        let bad = || CpvError::InvalidFormat(input.to_owned());
        let (code, check) = match compact.as_slice() {
            [code @ .., b'-', check] => (code, Some(*check)),
            code => (code, None),
        };
        let digits: [u8; 8] = code.try_into().map_err(|_| bad())?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(bad());
        }
        let check = match check {
            Some(c) if c.is_ascii_digit() => Some(c - b'0'),
            Some(_) => return Err(bad()),
            None => None,
        };
        if digits[..2] == *b"00" {
            return Err(CpvError::InvalidDivision(input.to_owned()));
        }
        if let Some(check) = check
            && check != check_digit(&digits)
        {
            return Err(CpvError::InvalidChecksum(input.to_owned()));
        }
        Ok(Self { digits, check })
    }

    /// The 8 digits without the check digit: `"45000000"`.
    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.digits).unwrap_or_default()
    }

    /// The check digit as given (and verified), if it was.
    pub fn check_digit(&self) -> Option<u8> {
        self.check
    }

    /// The check digit of these 8 digits, given or not.
    pub fn expected_check_digit(&self) -> u8 {
        check_digit(&self.digits)
    }

    /// The division, the first two digits: `"45"`.
    pub fn division(&self) -> &str {
        self.code().get(..2).unwrap_or_default()
    }

    /// How deep in the hierarchy the code is.
    pub fn level(&self) -> CpvLevel {
        let significant = self
            .digits
            .iter()
            .rposition(|&d| d != b'0')
            .map_or(0, |i| i + 1);
        match significant {
            0..=2 => CpvLevel::Division,
            3 => CpvLevel::Group,
            4 => CpvLevel::Class,
            5 => CpvLevel::Category,
            _ => CpvLevel::Subcategory,
        }
    }

    /// Whether `other` is this code or lies under it in the hierarchy
    /// (45000000 covers 45210000).
    pub fn covers(&self, other: &Cpv) -> bool {
        let prefix = match self.level() {
            CpvLevel::Division => 2,
            CpvLevel::Group => 3,
            CpvLevel::Class => 4,
            CpvLevel::Category => 5,
            CpvLevel::Subcategory => 8,
        };
        self.digits[..prefix] == other.digits[..prefix]
    }
}

/// Sum of the ASCII digits weighted 3, 7, 1 (repeating), modulo 10.
fn check_digit(digits: &[u8; 8]) -> u8 {
    let sum: u32 = digits
        .iter()
        .zip([3u32, 7, 1].iter().cycle())
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    u8::try_from(sum % 10).unwrap_or(0)
}

impl PartialEq for Cpv {
    fn eq(&self, other: &Self) -> bool {
        self.digits == other.digits
    }
}

impl Eq for Cpv {}

impl std::hash::Hash for Cpv {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.digits.hash(state);
    }
}

impl PartialOrd for Cpv {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Cpv {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.digits.cmp(&other.digits)
    }
}

impl fmt::Display for Cpv {
    /// The 8 digits, then `-d` when a check digit was given.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())?;
        if let Some(check) = self.check {
            write!(f, "-{check}")?;
        }
        Ok(())
    }
}

impl FromStr for Cpv {
    type Err = CpvError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Cpv {
    type Error = CpvError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Cpv> for String {
    fn from(value: Cpv) -> Self {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_and_without_check_digit() {
        let cpv = Cpv::parse("45000000-7").expect("valid cpv");
        assert_eq!(cpv.code(), "45000000");
        assert_eq!(cpv.check_digit(), Some(7));
        assert_eq!(cpv.to_string(), "45000000-7");
        assert_eq!(cpv.level(), CpvLevel::Division);
        let plain = Cpv::parse(" 42512000 ").expect("valid cpv");
        assert_eq!(plain.check_digit(), None);
        assert_eq!(plain.level(), CpvLevel::Category);
        assert_eq!(plain.division(), "42");
        assert_eq!(cpv, Cpv::parse("45000000").expect("valid cpv"));
    }

    #[test]
    fn published_check_digits_verify() {
        for code in [
            "03000000-1",
            "09000000-3",
            "15000000-8",
            "30000000-9",
            "33000000-0",
            "45000000-7",
            "45210000-2",
            "45233140-2",
            "48217100-3",
            "72000000-5",
            "79000000-4",
            "98000000-3",
        ] {
            let cpv = Cpv::parse(code).unwrap_or_else(|e| panic!("{code}: {e}"));
            assert_eq!(
                Some(cpv.expected_check_digit()),
                cpv.check_digit(),
                "{code}"
            );
        }
        assert_eq!(
            Cpv::parse("45233140-3"),
            Err(CpvError::InvalidChecksum("45233140-3".to_owned()))
        );
    }

    #[test]
    fn hierarchy() {
        let works = Cpv::parse("45000000").expect("valid cpv");
        let buildings = Cpv::parse("45210000-2").expect("valid cpv");
        assert_eq!(buildings.level(), CpvLevel::Class);
        assert!(works.covers(&buildings));
        assert!(!buildings.covers(&works));
        assert_eq!(
            Cpv::parse("48217100-3").map(|c| c.level()),
            Ok(CpvLevel::Subcategory)
        );
    }

    #[test]
    fn rejects_bad_shapes() {
        for bad in [
            "4500000",
            "450000000",
            "45000000-",
            "45000000-77",
            "4500000a",
            "45000000-x",
            "45000000-8",
            "45233140-3",
            "00000000",
        ] {
            assert!(Cpv::parse(bad).is_err(), "{bad}");
        }
    }
}
