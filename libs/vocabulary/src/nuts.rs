//! NUTS region names in French, Spanish and English (`data/nuts.tsv`), for showing a
//! tender's place of performance (`ES243` → *Zaragoza*) in the adviser's language.

use std::collections::HashMap;

use pyred_text::Language;

use crate::error::VocabularyError;

/// The names of one NUTS code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NutsName {
    /// The code (`ES243`).
    pub code: String,
    /// French name.
    pub fr: String,
    /// Spanish name.
    pub es: String,
    /// English name.
    pub en: String,
}

impl NutsName {
    /// The name in `language` (English for an unknown one).
    pub fn name(&self, language: Language) -> &str {
        match language {
            Language::Fr => &self.fr,
            Language::Es => &self.es,
            Language::Unknown => &self.en,
        }
    }
}

pub(crate) fn load(text: &'static str) -> Result<HashMap<String, NutsName>, VocabularyError> {
    let mut out = HashMap::new();
    for (index, line) in text.lines().enumerate().skip(1) {
        let fields: Vec<&str> = line.split('\t').collect();
        let [code, fr, es, en] = fields.as_slice() else {
            return Err(VocabularyError::Table {
                table: "nuts.tsv",
                line: index + 1,
                reason: format!("expected 4 fields, found {}", fields.len()),
            });
        };
        out.insert(
            (*code).to_owned(),
            NutsName {
                code: (*code).to_owned(),
                fr: (*fr).to_owned(),
                es: (*es).to_owned(),
                en: (*en).to_owned(),
            },
        );
    }
    Ok(out)
}
