//! Checks `data/glossary.toml` and prints its statistics — every problem at once, where
//! loading stops at the first.
//!
//! ```text
//! cargo run -p pyred-text --example glossary_report [path/to/glossary.toml]
//! ```
//!
//! Reports: concepts, terms per language, sectors; terms that analyse to nothing or
//! like another concept's term; and the share of accented terms that still analyse the
//! same when typed without accents (the glossary also indexes the unaccented spelling,
//! so concept matching does not depend on it).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use pyred_text::{Language, analyze, fold};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/glossary.toml"),
        PathBuf::from,
    );
    let text = std::fs::read_to_string(&path)?;
    let value: toml::Value = toml::from_str(&text)?;
    let concepts = value
        .get("concept")
        .and_then(toml::Value::as_array)
        .ok_or("no [[concept]] array")?;
    let mut problems = Vec::new();
    let mut sectors: BTreeMap<String, usize> = BTreeMap::new();
    let mut counts: BTreeMap<Language, usize> = BTreeMap::new();
    let (mut accented, mut robust) = (0, 0);
    for language in Language::KNOWN {
        let mut owner: HashMap<String, (String, String)> = HashMap::new();
        for concept in concepts {
            let id = concept
                .get("id")
                .and_then(toml::Value::as_str)
                .unwrap_or("?");
            if language == Language::Fr {
                let sector = concept
                    .get("sector")
                    .and_then(toml::Value::as_str)
                    .unwrap_or("?");
                *sectors.entry(sector.to_owned()).or_default() += 1;
            }
            let terms = concept
                .get(language.code())
                .and_then(toml::Value::as_array)
                .cloned()
                .unwrap_or_default();
            for term in terms.iter().filter_map(toml::Value::as_str) {
                *counts.entry(language).or_default() += 1;
                let tokens = analyze(term, language);
                if tokens.is_empty() {
                    problems.push(format!("{id}: {language} {term:?} analyses to nothing"));
                    continue;
                }
                let folded = fold(term);
                if folded != term {
                    accented += 1;
                    if analyze(&folded, language) == tokens {
                        robust += 1;
                    }
                }
                let key = tokens.join(" ");
                match owner.get(&key) {
                    Some((other, other_term)) if other != id => problems.push(format!(
                        "{id}: {language} {term:?} = {other}'s {other_term:?} ({key})"
                    )),
                    Some(_) => {}
                    None => {
                        owner.insert(key, (id.to_owned(), term.to_owned()));
                    }
                }
            }
        }
    }
    println!("{}: {} concepts", path.display(), concepts.len());
    for (language, n) in &counts {
        println!("  {language} terms: {n}");
    }
    println!(
        "  accented terms analysing the same without accents: {robust}/{accented} ({:.1} %)",
        100.0 * robust as f64 / accented.max(1) as f64
    );
    println!("  sectors: {sectors:?}");
    if let Ok(glossary) = pyred_text::Glossary::from_toml_str(&text) {
        println!(
            "  distinct analysed terms indexed (with unaccented spellings): fr {}, es {}",
            glossary.indexed_term_count(Language::Fr),
            glossary.indexed_term_count(Language::Es)
        );
    }
    for problem in &problems {
        println!("PROBLEM {problem}");
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{} problems", problems.len()).into())
    }
}
