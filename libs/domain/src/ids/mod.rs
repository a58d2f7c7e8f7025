//! Company and person identifiers of France and Spain.
//!
//! - [`Siren`] (9 digits) names a French company, [`Siret`] (14 digits: SIREN +
//!   NIC) one of its establishments. Both carry a Luhn check digit, except the
//!   establishments of La Poste (SIREN 356 000 000), whose 14 digits add up to a
//!   multiple of 5.
//! - [`Nif`] is the Spanish tax number: a DNI (8 digits + letter), a NIE (X/Y/Z +
//!   7 digits + letter), a CIF (organisation letter + 7 digits + digit or letter)
//!   or one of the K/L/M personal numbers. [`NifKind`] tells them apart.
//!
//! Each `parse` accepts what people type — spaces, dots, dashes and their Unicode
//! look-alikes — and keeps the compact canonical form ([`Siren::as_str`]), while
//! `Display` shows the usual grouping. The rules and the error kinds follow
//! python-stdnum 2.2 (`fr.siren`, `fr.siret`, `es.nif`, `es.dni`, `es.nie`,
//! `es.cif`); `tests/id_vectors.rs` checks every verdict of its vector file.

mod clean;
mod es;
mod fr;

pub use es::{Nif, NifKind};
pub use fr::{Siren, Siret};

/// Why an identifier was rejected; the variants mirror python-stdnum's exceptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum IdError {
    /// The identifier has the wrong number of characters.
    #[error("invalid length")]
    InvalidLength,
    /// The identifier has characters that do not belong where they are.
    #[error("invalid format")]
    InvalidFormat,
    /// The check digit or letter does not match the rest of the identifier.
    #[error("invalid checksum")]
    InvalidChecksum,
    /// A part of the identifier (a prefix, a code inside it) has a value that is
    /// not assigned. None of the schemes here raises it today; it is kept so that
    /// the kinds line up with python-stdnum's.
    #[error("invalid component")]
    InvalidComponent,
}

impl IdError {
    /// The python-stdnum name of this error kind, e.g. `"InvalidChecksum"`.
    pub fn stdnum_name(self) -> &'static str {
        match self {
            Self::InvalidLength => "InvalidLength",
            Self::InvalidFormat => "InvalidFormat",
            Self::InvalidChecksum => "InvalidChecksum",
            Self::InvalidComponent => "InvalidComponent",
        }
    }
}

/// Whether `chars` is non-empty and made of ASCII digits only (stdnum's `isdigits`).
fn is_digits(chars: &[char]) -> bool {
    !chars.is_empty() && chars.iter().all(char::is_ascii_digit)
}

/// The numeric value of an ASCII digit (0 for anything else; callers check first).
fn digit_value(c: char) -> u32 {
    c.to_digit(10).unwrap_or(0)
}

/// The Luhn checksum of a string of ASCII digits: 0 for a valid number.
fn luhn_checksum(digits: &[char]) -> u32 {
    digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &c)| {
            let d = digit_value(c);
            if i % 2 == 1 {
                let doubled = d * 2;
                doubled / 10 + doubled % 10
            } else {
                d
            }
        })
        .sum::<u32>()
        % 10
}

/// The Luhn check digit to append to `digits`.
fn luhn_check_digit(digits: &[char]) -> u32 {
    let mut with_zero = digits.to_vec();
    with_zero.push('0');
    (10 - luhn_checksum(&with_zero)) % 10
}

/// Copies `chars` (ASCII, checked by the caller) into a fixed array.
fn to_ascii_array<const N: usize>(chars: &[char]) -> Option<[u8; N]> {
    if chars.len() != N || !chars.iter().all(char::is_ascii) {
        return None;
    }
    let mut out = [0u8; N];
    for (slot, &c) in out.iter_mut().zip(chars) {
        // `c` is ASCII (checked above), so it fits in a byte.
        *slot = c as u8;
    }
    Some(out)
}

/// Views an ASCII array as `&str`; the types that call it hold ASCII only.
fn ascii_str(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn luhn_matches_known_numbers() {
        assert_eq!(luhn_checksum(&chars("732829320")), 0);
        assert_eq!(luhn_checksum(&chars("404833047")), 9);
        assert_eq!(luhn_check_digit(&chars("7992739871")), 3);
    }

    #[test]
    fn digits_must_be_ascii_and_present() {
        assert!(is_digits(&chars("0123")));
        assert!(!is_digits(&chars("")));
        assert!(!is_digits(&chars("12a")));
        assert!(!is_digits(&chars("١٢")));
    }
}
