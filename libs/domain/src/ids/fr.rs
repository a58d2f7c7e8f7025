//! SIREN and SIRET, the French company and establishment numbers.
//!
//! A SIREN is 9 digits with a Luhn check digit; a SIRET is the SIREN followed by a
//! 5-digit establishment number (NIC), the 14 digits again passing Luhn. La Poste
//! (SIREN 356 000 000) numbers its many establishments with another rule: the sum
//! of the 14 digits is a multiple of 5 — except its head office, 356 000 000 00048,
//! which passes Luhn.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::clean::clean;
use super::{IdError, ascii_str, digit_value, is_digits, luhn_checksum, to_ascii_array};

/// Separators accepted inside French numbers. python-stdnum accepts spaces and dots;
/// dashes are accepted too because they are common in copied numbers.
const FR_SEPARATORS: &[char] = &[' ', '.', '-'];

/// The SIREN of La Poste, whose establishments use the sum-of-digits rule.
const LA_POSTE_SIREN: &str = "356000000";

/// The SIRET of La Poste's head office, which follows the Luhn rule.
const LA_POSTE_HEAD_OFFICE: &str = "35600000000048";

fn compact_digits(input: &str) -> Result<Vec<char>, IdError> {
    let compact: Vec<char> = clean(input, FR_SEPARATORS).chars().collect();
    if !is_digits(&compact) {
        return Err(IdError::InvalidFormat);
    }
    Ok(compact)
}

/// A French company number (SIREN): 9 digits, Luhn-checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Siren([u8; 9]);

impl Siren {
    /// Reads a SIREN such as `"732 829 320"` or `"732.829.320"`.
    ///
    /// # Errors
    /// [`IdError::InvalidFormat`] for characters other than digits and separators,
    /// [`IdError::InvalidLength`] unless there are 9 digits,
    /// [`IdError::InvalidChecksum`] when the Luhn check fails.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let digits = compact_digits(input)?;
        Self::from_digits(&digits)
    }

    fn from_digits(digits: &[char]) -> Result<Self, IdError> {
        if digits.len() != 9 {
            return Err(IdError::InvalidLength);
        }
        if luhn_checksum(digits) != 0 {
            return Err(IdError::InvalidChecksum);
        }
        to_ascii_array(digits)
            .map(Self)
            .ok_or(IdError::InvalidFormat)
    }

    /// The 9 digits, without separators: `"732829320"`.
    pub fn as_str(&self) -> &str {
        ascii_str(&self.0)
    }
}

impl fmt::Display for Siren {
    /// Groups of three: `732 829 320`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.as_str();
        write!(f, "{} {} {}", &s[..3], &s[3..6], &s[6..])
    }
}

impl FromStr for Siren {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Siren {
    type Error = IdError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Siren> for String {
    fn from(value: Siren) -> Self {
        value.as_str().to_owned()
    }
}

/// A French establishment number (SIRET): the [`Siren`] and a 5-digit NIC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Siret([u8; 14]);

impl Siret {
    /// Reads a SIRET such as `"732 829 320 00074"`.
    ///
    /// # Errors
    /// [`IdError::InvalidFormat`] for characters other than digits and separators,
    /// [`IdError::InvalidLength`] unless there are 14 digits,
    /// [`IdError::InvalidChecksum`] when the check of the 14 digits (Luhn, or the
    /// La Poste rule) or of the embedded SIREN fails.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let digits = compact_digits(input)?;
        if digits.len() != 14 {
            return Err(IdError::InvalidLength);
        }
        let compact: String = digits.iter().collect();
        let valid = if compact.starts_with(LA_POSTE_SIREN) && compact != LA_POSTE_HEAD_OFFICE {
            digits.iter().map(|&c| digit_value(c)).sum::<u32>() % 5 == 0
        } else {
            luhn_checksum(&digits) == 0
        };
        if !valid {
            return Err(IdError::InvalidChecksum);
        }
        Siren::from_digits(&digits[..9])?;
        to_ascii_array(&digits)
            .map(Self)
            .ok_or(IdError::InvalidFormat)
    }

    /// The 14 digits, without separators: `"73282932000074"`.
    pub fn as_str(&self) -> &str {
        ascii_str(&self.0)
    }

    /// The company this establishment belongs to.
    pub fn siren(&self) -> Siren {
        let mut siren = [0u8; 9];
        siren.copy_from_slice(&self.0[..9]);
        Siren(siren)
    }

    /// The establishment's number within the company (NIC): `"00074"`.
    pub fn nic(&self) -> &str {
        ascii_str(&self.0[9..])
    }
}

impl fmt::Display for Siret {
    /// The SIREN in groups of three, then the NIC: `732 829 320 00074`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.siren(), self.nic())
    }
}

impl FromStr for Siret {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Siret {
    type Error = IdError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Siret> for String {
    fn from(value: Siret) -> Self {
        value.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn siren_round_trips_and_formats() {
        let siren = Siren::parse(" 732.829.320 ").expect("valid siren");
        assert_eq!(siren.as_str(), "732829320");
        assert_eq!(siren.to_string(), "732 829 320");
        assert_eq!(Siren::parse("732-829-320"), Ok(siren));
    }

    #[test]
    fn siren_errors_follow_stdnum() {
        assert_eq!(Siren::parse("404833047"), Err(IdError::InvalidChecksum));
        assert_eq!(Siren::parse("40483304"), Err(IdError::InvalidLength));
        assert_eq!(Siren::parse("40483304a"), Err(IdError::InvalidFormat));
        assert_eq!(Siren::parse(""), Err(IdError::InvalidFormat));
    }

    #[test]
    fn siret_formats_and_splits() {
        let siret = Siret::parse("73282932000074").expect("valid siret");
        assert_eq!(siret.to_string(), "732 829 320 00074");
        assert_eq!(siret.siren().as_str(), "732829320");
        assert_eq!(siret.nic(), "00074");
        assert_eq!(
            Siret::parse("73282932000079"),
            Err(IdError::InvalidChecksum)
        );
    }

    #[test]
    fn la_poste_uses_the_sum_of_digits() {
        // 3+5+6+4+9+8+3+7 = 45, a multiple of 5, though Luhn fails.
        assert!(Siret::parse("356 000 000 49837").is_ok());
        assert_eq!(
            Siret::parse("35600000049838"),
            Err(IdError::InvalidChecksum)
        );
        assert!(Siret::parse("35600000000048").is_ok());
    }

    #[test]
    fn serde_uses_the_compact_form() {
        let siret = Siret::parse("732 829 320 00074").expect("valid siret");
        let json = serde_json::to_string(&siret).expect("serialise");
        assert_eq!(json, "\"73282932000074\"");
        let back: Siret = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, siret);
        assert!(serde_json::from_str::<Siret>("\"73282932000079\"").is_err());
    }
}
