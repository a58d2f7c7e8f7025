//! Publishers' source codes (`arex`, `placsp-es`, `cci-gers`): how one is spelled, the one
//! rule every writer of listings applies (the registry's sync and import, `pyred import`).

/// Longest source code, in bytes.
pub const MAX_SOURCE_BYTES: usize = 64;

/// Why a source code is refused, worded once.
pub const SOURCE_RULE: &str = "must be 1 to 64 letters, digits, - _ . (no spaces)";

/// Whether `code` is a source code: 1 to [`MAX_SOURCE_BYTES`] ASCII letters, digits,
/// `-`, `_` or `.`.
pub fn is_source_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= MAX_SOURCE_BYTES
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_codes_are_short_ascii_words() {
        for good in [
            "arex",
            "placsp-es",
            "cci_gers",
            "ted.europa",
            &"a".repeat(64),
        ] {
            assert!(is_source_code(good), "{good}");
        }
        for bad in ["", "Aragón", "two words", "a/b", &"a".repeat(65)] {
            assert!(!is_source_code(bad), "{bad}");
        }
    }
}
