//! The Spanish tax identification number (NIF) and its kinds.
//!
//! Every NIF is 9 characters:
//!
//! - DNI, Spanish citizens: 8 digits + a letter, `TRWAGMYFPDXBNJZSQVHLCKE[n % 23]`.
//! - NIE, foreign residents: X, Y or Z (read as 0, 1, 2) + 7 digits + the DNI letter.
//! - CIF, organisations: a letter for the kind of organisation (A: SA, B: SL, …,
//!   from `ABCDEFGHJNPQRSUVW`) + 7 digits + a control digit or the letter
//!   `JABCDEFGHI[digit]`, the digit being the Luhn check digit of the 7 digits.
//!   Official guidance ties some organisation letters to a digit and others to a
//!   letter, but it is inconsistent; like python-stdnum, either form is accepted.
//! - K, L, M: personal numbers for minors, non-residents and foreigners without
//!   a NIE: the letter + 7 digits + the DNI letter of the 7 digits.
//!
//! [`Nif::parse`] accepts any of them (and a leading `ES` VAT prefix);
//! [`Nif::parse_dni`], [`Nif::parse_nie`] and [`Nif::parse_cif`] accept only one kind,
//! as python-stdnum's `es.dni`, `es.nie` and `es.cif` do.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::clean::clean;
use super::{IdError, ascii_str, digit_value, is_digits, luhn_check_digit, to_ascii_array};

/// Separators accepted inside Spanish numbers.
const ES_SEPARATORS: &[char] = &[' ', '-'];

/// The DNI control letters, indexed by the number modulo 23.
const DNI_LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";

/// The CIF control letters, indexed by the control digit.
const CIF_LETTERS: &[u8; 10] = b"JABCDEFGHI";

/// Organisation letters a CIF may start with.
const CIF_ORGANISATION_LETTERS: &str = "ABCDEFGHJNPQRSUVW";

/// Which kind of number a [`Nif`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NifKind {
    /// A Spanish citizen's DNI: 8 digits and a letter.
    Dni,
    /// A foreign resident's NIE: X, Y or Z, 7 digits and a letter.
    Nie,
    /// An organisation's CIF: a letter, 7 digits and a control digit or letter.
    Cif,
    /// A K, L or M personal number: the letter, 7 digits and a letter.
    Personal,
}

/// A validated Spanish tax identification number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Nif([u8; 9]);

/// Cleans like python-stdnum's `es` modules: fold look-alikes, drop spaces and
/// dashes, upper-case, trim.
fn compact(input: &str) -> Vec<char> {
    clean(input, ES_SEPARATORS)
        .to_uppercase()
        .trim_matches(super::clean::is_py_space)
        .chars()
        .collect()
}

/// `number[1:-1]` in Python: empty when there are fewer than 3 characters.
fn middle(number: &[char]) -> &[char] {
    if number.len() < 2 {
        &[]
    } else {
        &number[1..number.len() - 1]
    }
}

/// The DNI control letter of a string of ASCII digits.
fn dni_letter(digits: &[char]) -> char {
    let remainder = digits
        .iter()
        .fold(0u32, |acc, &c| (acc * 10 + digit_value(c)) % 23);
    char::from(DNI_LETTERS[remainder as usize])
}

fn last(number: &[char]) -> Option<char> {
    number.last().copied()
}

fn validate_dni(number: &[char]) -> Result<(), IdError> {
    let body = &number[..number.len().saturating_sub(1)];
    if !is_digits(body) {
        return Err(IdError::InvalidFormat);
    }
    if number.len() != 9 {
        return Err(IdError::InvalidLength);
    }
    if last(number) != Some(dni_letter(body)) {
        return Err(IdError::InvalidChecksum);
    }
    Ok(())
}

fn validate_nie(number: &[char]) -> Result<(), IdError> {
    let prefix = match number.first() {
        Some('X') => '0',
        Some('Y') => '1',
        Some('Z') => '2',
        _ => return Err(IdError::InvalidFormat),
    };
    if !is_digits(middle(number)) {
        return Err(IdError::InvalidFormat);
    }
    if number.len() != 9 {
        return Err(IdError::InvalidLength);
    }
    let mut digits = vec![prefix];
    digits.extend_from_slice(middle(number));
    if last(number) != Some(dni_letter(&digits)) {
        return Err(IdError::InvalidChecksum);
    }
    Ok(())
}

fn validate_cif(number: &[char]) -> Result<(), IdError> {
    if !is_digits(middle(number)) {
        return Err(IdError::InvalidFormat);
    }
    if number.len() != 9 {
        return Err(IdError::InvalidLength);
    }
    if !number
        .first()
        .is_some_and(|c| CIF_ORGANISATION_LETTERS.contains(*c))
    {
        return Err(IdError::InvalidFormat);
    }
    let check = luhn_check_digit(middle(number));
    let digit = char::from_digit(check, 10);
    let letter = char::from(CIF_LETTERS[check as usize]);
    match last(number) {
        Some(c) if Some(c) == digit || c == letter => Ok(()),
        _ => Err(IdError::InvalidChecksum),
    }
}

fn validate_personal(number: &[char]) -> Result<(), IdError> {
    if last(number) != Some(dni_letter(middle(number))) {
        return Err(IdError::InvalidChecksum);
    }
    Ok(())
}

impl Nif {
    /// Reads any NIF — DNI, NIE, CIF or K/L/M number — with an optional `ES`
    /// prefix: `"54362315-K"`, `"X-5253868-R"`, `"ES B-58378431"`.
    ///
    /// # Errors
    /// [`IdError::InvalidFormat`] when characters are out of place or the first
    /// letter starts no kind of NIF, [`IdError::InvalidLength`] unless there are 9
    /// characters, [`IdError::InvalidChecksum`] when the control character is wrong.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let mut number = compact(input);
        if number.starts_with(&['E', 'S']) {
            number.drain(..2);
        }
        if !is_digits(middle(&number)) {
            return Err(IdError::InvalidFormat);
        }
        if number.len() != 9 {
            return Err(IdError::InvalidLength);
        }
        match number.first() {
            Some('K' | 'L' | 'M') => validate_personal(&number)?,
            Some(c) if c.is_ascii_digit() => validate_dni(&number)?,
            Some('X' | 'Y' | 'Z') => validate_nie(&number)?,
            _ => validate_cif(&number)?,
        }
        Self::from_chars(&number)
    }

    /// Reads a DNI only (python-stdnum `es.dni`): `"54362315-K"`.
    ///
    /// # Errors
    /// As [`Nif::parse`]; any other kind of NIF is [`IdError::InvalidFormat`].
    pub fn parse_dni(input: &str) -> Result<Self, IdError> {
        let number = compact(input);
        validate_dni(&number)?;
        Self::from_chars(&number)
    }

    /// Reads a NIE only (python-stdnum `es.nie`): `"X-5253868-R"`.
    ///
    /// # Errors
    /// As [`Nif::parse`]; any other kind of NIF is [`IdError::InvalidFormat`].
    pub fn parse_nie(input: &str) -> Result<Self, IdError> {
        let number = compact(input);
        validate_nie(&number)?;
        Self::from_chars(&number)
    }

    /// Reads a CIF only (python-stdnum `es.cif`): `"A13 585 625"`. Unlike
    /// [`Nif::parse`], an `ES` prefix is not accepted.
    ///
    /// # Errors
    /// As [`Nif::parse`]; any other kind of NIF is [`IdError::InvalidFormat`].
    pub fn parse_cif(input: &str) -> Result<Self, IdError> {
        let number = compact(input);
        validate_cif(&number)?;
        Self::from_chars(&number)
    }

    fn from_chars(number: &[char]) -> Result<Self, IdError> {
        to_ascii_array(number)
            .map(Self)
            .ok_or(IdError::InvalidFormat)
    }

    /// The 9 characters, upper-case, without separators: `"B58378431"`.
    pub fn as_str(&self) -> &str {
        ascii_str(&self.0)
    }

    /// Which kind of number this is.
    pub fn kind(&self) -> NifKind {
        match self.0[0] {
            b'0'..=b'9' => NifKind::Dni,
            b'X' | b'Y' | b'Z' => NifKind::Nie,
            b'K' | b'L' | b'M' => NifKind::Personal,
            _ => NifKind::Cif,
        }
    }

    /// Whether this number names an organisation (a CIF) rather than a person.
    pub fn is_organisation(&self) -> bool {
        self.kind() == NifKind::Cif
    }
}

impl fmt::Display for Nif {
    /// The compact form, as Spanish documents print it: `B58378431`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Nif {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Nif {
    type Error = IdError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Nif> for String {
    fn from(value: Nif) -> Self {
        value.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_recognised() {
        let cases = [
            ("54362315-K", NifKind::Dni),
            ("X-5253868-R", NifKind::Nie),
            ("ES B-58378431", NifKind::Cif),
            ("M-1234567-L", NifKind::Personal),
        ];
        for (input, kind) in cases {
            let nif = Nif::parse(input).expect(input);
            assert_eq!(nif.kind(), kind, "{input}");
        }
    }

    #[test]
    fn cif_accepts_digit_or_letter() {
        // Luhn check digit of 1111111 is 9; its letter is I.
        assert!(Nif::parse_cif("A11111119").is_ok());
        assert!(Nif::parse_cif("A1111111I").is_ok());
        assert_eq!(Nif::parse_cif("A11111118"), Err(IdError::InvalidChecksum));
        assert_eq!(Nif::parse_cif("O12345674"), Err(IdError::InvalidFormat));
    }

    #[test]
    fn scheme_specific_parsers_refuse_other_kinds() {
        assert_eq!(Nif::parse_dni("X5253868R"), Err(IdError::InvalidFormat));
        assert_eq!(Nif::parse_nie("54362315K"), Err(IdError::InvalidFormat));
        assert_eq!(Nif::parse_cif("ES B-58378431"), Err(IdError::InvalidFormat));
    }

    #[test]
    fn lower_case_and_look_alikes_are_accepted() {
        let nif = Nif::parse("x\u{2013}5253868\u{2013}r").expect("valid nie");
        assert_eq!(nif.as_str(), "X5253868R");
        assert_eq!(nif.to_string(), "X5253868R");
    }
}
