//! The assigned ISO codes validation checks against: ISO 3166-1 alpha-2 countries,
//! ISO 3166-2 subdivisions and ISO 639-1 languages, compiled from `data/iso_*.txt`
//! (Debian's iso-codes, rebuilt by `scripts/rebuild-iso-codes.py`).
//!
//! Parsing ([`crate::Country::parse`], [`crate::IsoRegion::parse`]) only checks the
//! shape of a code; these lists say whether the code exists (`XX`, `FR-99` and `ES-XX`
//! are well-formed and do not).

use std::collections::HashSet;
use std::sync::OnceLock;

const COUNTRIES: &str = include_str!("../data/iso_3166_1.txt");
const SUBDIVISIONS: &str = include_str!("../data/iso_3166_2.txt");
const LANGUAGES: &str = include_str!("../data/iso_639_1.txt");

fn set(text: &'static str) -> HashSet<&'static str> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect()
}

/// Whether `code` (upper case, `"FR"`) is an assigned ISO 3166-1 alpha-2 country code.
pub fn is_country(code: &str) -> bool {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| set(COUNTRIES)).contains(code)
}

/// Whether `code` (upper case, `"FR-32"`) is an ISO 3166-2 subdivision code.
pub fn is_subdivision(code: &str) -> bool {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| set(SUBDIVISIONS)).contains(code)
}

/// Whether `code` (lower case, `"fr"`) is an ISO 639-1 language code.
pub fn is_language(code: &str) -> bool {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| set(LANGUAGES)).contains(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assigned_and_unassigned_codes() {
        for code in ["FR", "ES", "DE", "AD"] {
            assert!(is_country(code), "{code}");
        }
        for code in ["XX", "ZZ", "fr", "EU"] {
            assert!(!is_country(code), "{code}");
        }
        for code in [
            "FR-32", "FR-OCC", "ES-AR", "ES-Z", "ES-RI", "ES-HU", "DE-BY",
        ] {
            assert!(is_subdivision(code), "{code}");
        }
        for code in ["FR-99", "ES-XX", "FR-32X", "FR"] {
            assert!(!is_subdivision(code), "{code}");
        }
        for code in ["fr", "es", "en", "eu", "ca", "oc"] {
            assert!(is_language(code), "{code}");
        }
        for code in ["xx", "FR", "zz"] {
            assert!(!is_language(code), "{code}");
        }
    }

    #[test]
    fn the_lists_are_complete() {
        assert_eq!(set(COUNTRIES).len(), 249);
        assert!(set(SUBDIVISIONS).len() > 5000);
        assert_eq!(set(LANGUAGES).len(), 184);
    }
}
