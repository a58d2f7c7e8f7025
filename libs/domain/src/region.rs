//! Countries (ISO 3166-1 alpha-2) and their subdivisions (ISO 3166-2).
//!
//! Pyred works across one French department and two Spanish autonomous
//! communities, so the subdivisions it names are few: FR-32 (Gers), ES-AR
//! (Aragón) with its provinces ES-HU, ES-TE and ES-Z, and ES-RI (La Rioja) with its
//! single province ES-LO. [`IsoRegion`] accepts any code of the ISO shape and knows
//! the names and parents of these.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a country or region code was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionError {
    /// Not two ASCII letters.
    #[error("invalid country code {0:?}: expected two letters")]
    InvalidCountry(String),
    /// Not of the shape `CC-XXX` (country, dash, 1 to 3 letters or digits).
    #[error("invalid region code {0:?}: expected CC-XXX")]
    InvalidRegion(String),
}

/// A country, with the two Pyred works in spelled out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Country {
    /// France (FR).
    France,
    /// Spain (ES).
    Spain,
    /// Any other ISO 3166-1 alpha-2 code; never FR or ES.
    Other(OtherCountry),
}

/// The alpha-2 code of a country other than France and Spain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OtherCountry([u8; 2]);

impl OtherCountry {
    /// The two upper-case letters.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl Country {
    /// Whether the code is an assigned ISO 3166-1 country (`XX` parses, but is not).
    pub fn is_assigned(&self) -> bool {
        crate::iso::is_country(self.as_str())
    }

    /// Reads an alpha-2 code in any case: `"fr"`, `"ES"`, `"PT"`. Only the shape is
    /// checked, not that ISO has assigned the code.
    ///
    /// # Errors
    /// [`RegionError::InvalidCountry`] unless the input is two ASCII letters.
    pub fn parse(input: &str) -> Result<Self, RegionError> {
        let trimmed = input.trim();
        let bytes = trimmed.as_bytes();
        match bytes {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => Ok(Self::from_code([
                a.to_ascii_uppercase(),
                b.to_ascii_uppercase(),
            ])),
            _ => Err(RegionError::InvalidCountry(input.to_owned())),
        }
    }

    fn from_code(code: [u8; 2]) -> Self {
        match &code {
            b"FR" => Self::France,
            b"ES" => Self::Spain,
            _ => Self::Other(OtherCountry(code)),
        }
    }

    /// The alpha-2 code: `"FR"`.
    pub fn as_str(&self) -> &str {
        match self {
            Self::France => "FR",
            Self::Spain => "ES",
            Self::Other(code) => code.as_str(),
        }
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Country {
    type Err = RegionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Country {
    type Error = RegionError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Country> for String {
    fn from(value: Country) -> Self {
        value.as_str().to_owned()
    }
}

/// An ISO 3166-2 subdivision code such as `FR-32` or `ES-Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IsoRegion {
    /// ASCII bytes `CC-XXX`, padded with zero bytes after `len`.
    bytes: [u8; 6],
    len: u8,
}

/// The subdivisions Pyred knows by name, with their parent.
const KNOWN: &[(&str, &str, Option<&str>)] = &[
    ("FR-32", "Gers", Some("FR-OCC")),
    ("FR-OCC", "Occitanie", None),
    ("ES-AR", "Aragón", None),
    ("ES-RI", "La Rioja", None),
    ("ES-HU", "Huesca", Some("ES-AR")),
    ("ES-TE", "Teruel", Some("ES-AR")),
    ("ES-Z", "Zaragoza", Some("ES-AR")),
    ("ES-LO", "La Rioja", Some("ES-RI")),
];

impl IsoRegion {
    /// Whether the code is an ISO 3166-2 subdivision (`FR-99` parses, but is not).
    pub fn is_assigned(&self) -> bool {
        crate::iso::is_subdivision(self.as_str())
    }

    /// Gers, the French department (FR-32).
    pub const GERS: Self = Self::from_static(b"FR-32");
    /// Occitanie, the French region Gers belongs to (FR-OCC).
    pub const OCCITANIE: Self = Self::from_static(b"FR-OCC");
    /// Aragón, the Spanish autonomous community (ES-AR).
    pub const ARAGON: Self = Self::from_static(b"ES-AR");
    /// La Rioja, the Spanish autonomous community (ES-RI).
    pub const LA_RIOJA: Self = Self::from_static(b"ES-RI");
    /// The province of Huesca, Aragón (ES-HU).
    pub const HUESCA: Self = Self::from_static(b"ES-HU");
    /// The province of Teruel, Aragón (ES-TE).
    pub const TERUEL: Self = Self::from_static(b"ES-TE");
    /// The province of Zaragoza, Aragón (ES-Z).
    pub const ZARAGOZA: Self = Self::from_static(b"ES-Z");
    /// The province of La Rioja (ES-LO), the only one of its community.
    pub const LA_RIOJA_PROVINCE: Self = Self::from_static(b"ES-LO");

    /// Builds a constant from a code known to be well formed.
    const fn from_static(code: &[u8]) -> Self {
        let mut bytes = [0u8; 6];
        let mut i = 0;
        while i < code.len() && i < 6 {
            bytes[i] = code[i];
            i += 1;
        }
        Self {
            bytes,
            len: i as u8,
        }
    }

    /// Reads a code of the shape `CC-XXX` in any case: `"fr-32"`, `"ES-Z"`. Only the
    /// shape is checked; [`IsoRegion::name`] says whether Pyred knows the region.
    ///
    /// # Errors
    /// [`RegionError::InvalidRegion`] unless the input is two letters, a dash and one
    /// to three letters or digits.
    pub fn parse(input: &str) -> Result<Self, RegionError> {
        let upper = input.trim().to_ascii_uppercase();
        let bytes = upper.as_bytes();
        let well_formed = (4..=6).contains(&bytes.len())
            && bytes[..2].iter().all(u8::is_ascii_uppercase)
            && bytes[2] == b'-'
            && bytes[3..].iter().all(u8::is_ascii_alphanumeric);
        if !well_formed {
            return Err(RegionError::InvalidRegion(input.to_owned()));
        }
        Ok(Self::from_static(bytes))
    }

    /// The code: `"ES-Z"`.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }

    /// The country part.
    pub fn country(&self) -> Country {
        Country::from_code([self.bytes[0], self.bytes[1]])
    }

    /// The subdivision part after the dash: `"Z"`.
    pub fn subdivision(&self) -> &str {
        self.as_str().get(3..).unwrap_or_default()
    }

    fn known(&self) -> Option<&'static (&'static str, &'static str, Option<&'static str>)> {
        KNOWN.iter().find(|(code, _, _)| *code == self.as_str())
    }

    /// The name, in the region's own language, of a region Pyred knows:
    /// `Some("Aragón")` for ES-AR, `None` for codes outside its area.
    pub fn name(&self) -> Option<&'static str> {
        self.known().map(|(_, name, _)| *name)
    }

    /// The enclosing subdivision, when known: ES-AR for ES-Z, FR-OCC for FR-32.
    pub fn parent(&self) -> Option<IsoRegion> {
        self.known()
            .and_then(|(_, _, parent)| *parent)
            .map(|code| Self::from_static(code.as_bytes()))
    }
}

/// Whether `region` lies in `territory` (ISO 3166-2 codes; a region covers its
/// provinces: ES-AR covers ES-Z): the one rule for advisers' and organisations'
/// territories, wherever they are checked.
pub fn territory_covers<Zone: AsRef<str>>(
    territory: impl IntoIterator<Item = Zone>,
    region: &str,
) -> bool {
    let parent = IsoRegion::parse(region)
        .ok()
        .as_ref()
        .and_then(IsoRegion::parent);
    territory.into_iter().any(|zone| {
        let zone = zone.as_ref();
        zone.eq_ignore_ascii_case(region)
            || parent
                .as_ref()
                .is_some_and(|parent| parent.as_str().eq_ignore_ascii_case(zone))
    })
}

impl fmt::Display for IsoRegion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for IsoRegion {
    type Err = RegionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for IsoRegion {
    type Error = RegionError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<IsoRegion> for String {
    fn from(value: IsoRegion) -> Self {
        value.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_names_known_regions() {
        let z = IsoRegion::parse("es-z").expect("valid code");
        assert_eq!(z, IsoRegion::ZARAGOZA);
        assert_eq!(z.as_str(), "ES-Z");
        assert_eq!(z.name(), Some("Zaragoza"));
        assert_eq!(z.parent(), Some(IsoRegion::ARAGON));
        assert_eq!(z.country(), Country::Spain);
        assert_eq!(z.subdivision(), "Z");
        assert_eq!(IsoRegion::GERS.name(), Some("Gers"));
        assert_eq!(IsoRegion::GERS.country(), Country::France);
        assert_eq!(IsoRegion::LA_RIOJA.name(), Some("La Rioja"));
        assert_eq!(
            IsoRegion::LA_RIOJA_PROVINCE.parent(),
            Some(IsoRegion::LA_RIOJA)
        );
        assert_eq!(IsoRegion::HUESCA.name(), Some("Huesca"));
        assert_eq!(IsoRegion::TERUEL.name(), Some("Teruel"));
        assert_eq!(IsoRegion::ARAGON.name(), Some("Aragón"));
    }

    #[test]
    fn unknown_but_well_formed_codes_are_accepted() {
        let pt = IsoRegion::parse("PT-11").expect("valid shape");
        assert_eq!(pt.name(), None);
        assert_eq!(pt.country().as_str(), "PT");
    }

    #[test]
    fn rejects_bad_shapes() {
        for bad in ["", "FR", "FR-", "FR32", "F1-32", "FR-3200", "FR_32", "FR-é"] {
            assert!(IsoRegion::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn countries() {
        assert_eq!(Country::parse("fr"), Ok(Country::France));
        assert_eq!(Country::parse("ES"), Ok(Country::Spain));
        let pt = Country::parse("pt").expect("valid shape");
        assert_eq!(pt.as_str(), "PT");
        assert!(matches!(pt, Country::Other(_)));
        assert!(Country::parse("FRA").is_err());
        assert!(Country::parse("F1").is_err());
        let json = serde_json::to_string(&Country::Spain).expect("serialise");
        assert_eq!(json, "\"ES\"");
    }
}
