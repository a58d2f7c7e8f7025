//! Unicode look-alikes folded to ASCII before an identifier is read.
//!
//! People paste identifiers from PDFs and web pages, where a hyphen may be an en
//! dash, a space a no-break space and a digit a full-width one. python-stdnum maps
//! these characters to their ASCII counterparts before removing separators; this
//! table is the same mapping (generated from `stdnum.util._char_map`, python-stdnum
//! 2.2), so that our verdicts agree with its verdicts.

/// Look-alike characters and their ASCII counterpart, sorted by the first element.
const CHAR_MAP: &[(char, char)] = &[
    ('\u{0020}', ' '),
    ('\u{0027}', '\''),
    ('\u{002a}', '*'),
    ('\u{002c}', ','),
    ('\u{002d}', '-'),
    ('\u{002e}', '.'),
    ('\u{002f}', '/'),
    ('\u{003a}', ':'),
    ('\u{0060}', '\''),
    ('\u{00a0}', ' '),
    ('\u{00af}', '-'),
    ('\u{00b4}', '\''),
    ('\u{00b7}', '.'),
    ('\u{00b8}', ','),
    ('\u{02b9}', '\''),
    ('\u{02bb}', '\''),
    ('\u{02bc}', '\''),
    ('\u{02be}', '\''),
    ('\u{02bf}', '\''),
    ('\u{02c8}', '\''),
    ('\u{02d7}', '-'),
    ('\u{02d9}', '.'),
    ('\u{0300}', '\''),
    ('\u{0301}', '\''),
    ('\u{0312}', '\''),
    ('\u{0313}', '\''),
    ('\u{0387}', '.'),
    ('\u{055a}', '\''),
    ('\u{058a}', '-'),
    ('\u{05be}', '-'),
    ('\u{060c}', ','),
    ('\u{066b}', ','),
    ('\u{066c}', ','),
    ('\u{066d}', '*'),
    ('\u{06d4}', '.'),
    ('\u{0701}', '.'),
    ('\u{0702}', '.'),
    ('\u{070d}', '*'),
    ('\u{0830}', '.'),
    ('\u{083c}', '/'),
    ('\u{0f0b}', '.'),
    ('\u{0f0c}', '.'),
    ('\u{1361}', ':'),
    ('\u{1680}', '-'),
    ('\u{16eb}', '.'),
    ('\u{16ec}', ':'),
    ('\u{1804}', ':'),
    ('\u{180a}', '-'),
    ('\u{2000}', ' '),
    ('\u{2001}', ' '),
    ('\u{2002}', ' '),
    ('\u{2003}', ' '),
    ('\u{2004}', ' '),
    ('\u{2005}', ' '),
    ('\u{2006}', ' '),
    ('\u{2007}', ' '),
    ('\u{2008}', ' '),
    ('\u{2009}', ' '),
    ('\u{200a}', ' '),
    ('\u{2010}', '-'),
    ('\u{2011}', '-'),
    ('\u{2012}', '-'),
    ('\u{2013}', '-'),
    ('\u{2014}', '-'),
    ('\u{2015}', '-'),
    ('\u{2018}', '\''),
    ('\u{2019}', '\''),
    ('\u{201a}', ','),
    ('\u{201b}', '\''),
    ('\u{2022}', '.'),
    ('\u{2024}', '.'),
    ('\u{2027}', '.'),
    ('\u{202f}', ' '),
    ('\u{2032}', ','),
    ('\u{203e}', '-'),
    ('\u{2043}', '-'),
    ('\u{2044}', '/'),
    ('\u{204e}', '*'),
    ('\u{2055}', '*'),
    ('\u{205f}', ' '),
    ('\u{207b}', '-'),
    ('\u{208b}', '-'),
    ('\u{2212}', '-'),
    ('\u{2215}', '/'),
    ('\u{2217}', '*'),
    ('\u{2219}', '.'),
    ('\u{22c5}', '.'),
    ('\u{22c6}', '*'),
    ('\u{23af}', '-'),
    ('\u{23ba}', '-'),
    ('\u{23bb}', '-'),
    ('\u{23bc}', '-'),
    ('\u{23bd}', '-'),
    ('\u{23e4}', '-'),
    ('\u{2731}', '*'),
    ('\u{2732}', '*'),
    ('\u{2733}', '*'),
    ('\u{273a}', '*'),
    ('\u{273b}', '*'),
    ('\u{273c}', '*'),
    ('\u{273d}', '*'),
    ('\u{274a}', '*'),
    ('\u{274b}', '*'),
    ('\u{27cb}', '/'),
    ('\u{29f8}', '/'),
    ('\u{2e31}', '.'),
    ('\u{2e33}', '.'),
    ('\u{2e34}', ','),
    ('\u{3000}', ' '),
    ('\u{3001}', ','),
    ('\u{3002}', '.'),
    ('\u{30fb}', '.'),
    ('\u{a60e}', '*'),
    ('\u{fbb2}', '.'),
    ('\u{fbb3}', '.'),
    ('\u{fe10}', ','),
    ('\u{fe13}', ':'),
    ('\u{fe30}', ':'),
    ('\u{fe50}', ','),
    ('\u{fe51}', ','),
    ('\u{fe52}', '.'),
    ('\u{fe55}', ':'),
    ('\u{fe61}', '*'),
    ('\u{fe63}', '-'),
    ('\u{ff0a}', '*'),
    ('\u{ff0c}', ','),
    ('\u{ff0d}', '-'),
    ('\u{ff0e}', '.'),
    ('\u{ff0f}', '/'),
    ('\u{ff10}', '0'),
    ('\u{ff11}', '1'),
    ('\u{ff12}', '2'),
    ('\u{ff13}', '3'),
    ('\u{ff14}', '4'),
    ('\u{ff15}', '5'),
    ('\u{ff16}', '6'),
    ('\u{ff17}', '7'),
    ('\u{ff18}', '8'),
    ('\u{ff19}', '9'),
    ('\u{ff1a}', ':'),
    ('\u{ff65}', '.'),
    ('\u{ffe3}', '-'),
    ('\u{10101}', '.'),
    ('\u{1091f}', '.'),
    ('\u{10a50}', '.'),
    ('\u{1d7ce}', '0'),
    ('\u{1d7cf}', '1'),
    ('\u{1d7d0}', '2'),
    ('\u{1d7d1}', '3'),
    ('\u{1d7d2}', '4'),
    ('\u{1d7d3}', '5'),
    ('\u{1d7d4}', '6'),
    ('\u{1d7d5}', '7'),
    ('\u{1d7d6}', '8'),
    ('\u{1d7d7}', '9'),
    ('\u{1d7d8}', '0'),
    ('\u{1d7d9}', '1'),
    ('\u{1d7da}', '2'),
    ('\u{1d7db}', '3'),
    ('\u{1d7dc}', '4'),
    ('\u{1d7dd}', '5'),
    ('\u{1d7de}', '6'),
    ('\u{1d7df}', '7'),
    ('\u{1d7e0}', '8'),
    ('\u{1d7e1}', '9'),
    ('\u{1d7e2}', '0'),
    ('\u{1d7e3}', '1'),
    ('\u{1d7e4}', '2'),
    ('\u{1d7e5}', '3'),
    ('\u{1d7e6}', '4'),
    ('\u{1d7e7}', '5'),
    ('\u{1d7e8}', '6'),
    ('\u{1d7e9}', '7'),
    ('\u{1d7ea}', '8'),
    ('\u{1d7eb}', '9'),
    ('\u{1d7ec}', '0'),
    ('\u{1d7ed}', '1'),
    ('\u{1d7ee}', '2'),
    ('\u{1d7ef}', '3'),
    ('\u{1d7f0}', '4'),
    ('\u{1d7f1}', '5'),
    ('\u{1d7f2}', '6'),
    ('\u{1d7f3}', '7'),
    ('\u{1d7f4}', '8'),
    ('\u{1d7f5}', '9'),
    ('\u{1d7f6}', '0'),
    ('\u{1d7f7}', '1'),
    ('\u{1d7f8}', '2'),
    ('\u{1d7f9}', '3'),
    ('\u{1d7fa}', '4'),
    ('\u{1d7fb}', '5'),
    ('\u{1d7fc}', '6'),
    ('\u{1d7fd}', '7'),
    ('\u{1d7fe}', '8'),
    ('\u{1d7ff}', '9'),
];

/// The ASCII counterpart of `c`, or `c` itself.
pub(crate) fn fold_char(c: char) -> char {
    match CHAR_MAP.binary_search_by(|(from, _)| from.cmp(&c)) {
        Ok(i) => CHAR_MAP[i].1,
        Err(_) => c,
    }
}

/// Whether Python's `str.isspace` holds for `c` (Rust's `char::is_whitespace`
/// leaves out the four information separators U+001C..U+001F).
pub(crate) fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Folds look-alikes, removes the `delete` separators and trims surrounding
/// whitespace, as python-stdnum's `clean(number, delete).strip()` does.
pub(crate) fn clean(input: &str, delete: &[char]) -> String {
    let cleaned: String = input
        .chars()
        .map(fold_char)
        .filter(|c| !delete.contains(c))
        .collect();
    cleaned.trim_matches(is_py_space).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_for_binary_search() {
        assert!(CHAR_MAP.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn folds_dashes_spaces_and_wide_digits() {
        assert_eq!(clean("732\u{a0}829\u{2013}320", &[' ', '-']), "732829320");
        assert_eq!(clean("\u{ff17}32", &[]), "732");
        assert_eq!(clean("\t 12 \n", &[]), "12");
    }
}
