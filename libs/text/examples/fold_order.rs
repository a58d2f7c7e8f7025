//! Measures where accent folding belongs in the analyzers: before stemming
//! (`stem(fold(w))`) or after it (`fold(stem(w))`).
//!
//! ```text
//! cargo run -p pyred-text --release --example fold_order
//! ```
//!
//! Over each Snowball reference vocabulary (`tests/data/snowball`), for both orders:
//!
//! - **accent robustness**: of the words with an accent, the share whose token equals
//!   the token of the same word typed without accents;
//! - **merged families**: Snowball's own stems define word families; a token that
//!   gathers several families is a merge the analyzer adds (counted as families − 1);
//! - **split families**: a family spread over several tokens (counted as tokens − 1).
//!
//! It also prints trade words across the two languages.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use pyred_text::{Language, analyze, fold, stem};

type Variant = fn(&str, Language) -> String;

fn fold_after(word: &str, language: Language) -> String {
    fold(&stem(word, language))
}

fn fold_before(word: &str, language: Language) -> String {
    stem(&fold(word), language)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/snowball");
    let variants: [(&str, Variant); 2] = [
        ("fold after stemming", fold_after),
        ("fold before stemming", fold_before),
    ];
    for (language, file) in [
        (Language::Fr, "french-voc.txt"),
        (Language::Es, "spanish-voc.txt"),
    ] {
        let text = std::fs::read_to_string(root.join(file))?;
        let words: Vec<&str> = text
            .lines()
            .filter(|w| !w.is_empty() && w.chars().all(char::is_alphabetic))
            .collect();
        let accented: Vec<&&str> = words.iter().filter(|w| fold(w) != **w).collect();
        println!(
            "== {language}: {} words, {} with an accent",
            words.len(),
            accented.len()
        );
        for (name, variant) in variants {
            let robust = accented
                .iter()
                .filter(|w| variant(w, language) == variant(&fold(w), language))
                .count();
            let mut families_of_token: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            let mut tokens_of_family: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for word in &words {
                let family = stem(word, language);
                let token = variant(word, language);
                families_of_token
                    .entry(token.clone())
                    .or_default()
                    .insert(family.clone());
                tokens_of_family.entry(family).or_default().insert(token);
            }
            let merged: usize = families_of_token.values().map(|f| f.len() - 1).sum();
            let split: usize = tokens_of_family.values().map(|t| t.len() - 1).sum();
            let examples: Vec<String> = families_of_token
                .iter()
                .filter(|(_, f)| f.len() > 1)
                .take(8)
                .map(|(t, f)| format!("{t}←{f:?}"))
                .collect();
            println!(
                "  {name}: accent robustness {robust}/{} = {:.1} %; merged families {merged}; split families {split}",
                accented.len(),
                100.0 * robust as f64 / accented.len().max(1) as f64
            );
            println!("    merges e.g. {}", examples.join(" "));
            let splits: Vec<String> = tokens_of_family
                .iter()
                .filter(|(_, t)| t.len() > 1)
                .take(6)
                .map(|(f, t)| format!("{f}→{t:?}"))
                .collect();
            if !splits.is_empty() {
                println!("    splits e.g. {}", splits.join(" "));
            }
        }
        let broken: Vec<String> = accented
            .iter()
            .filter(|w| fold_after(w, language) != fold_after(&fold(w), language))
            .take(12)
            .map(|w| {
                format!(
                    "{w}→{} / {}→{}",
                    fold_after(w, language),
                    fold(w),
                    fold_after(&fold(w), language)
                )
            })
            .collect();
        println!(
            "  fold after, unaccented spelling differs, e.g. {}",
            broken.join("; ")
        );
    }
    println!("== trade words through the analyzers (fold after stemming)");
    for (language, words) in [
        (
            Language::Fr,
            &[
                "aéronautiques",
                "aeronautiques",
                "Aéronautique",
                "usinage",
                "usinages",
                "L’usinage",
                "pièces",
                "pieces",
                "thermolaquage",
                "chaudronnerie",
                "énergies",
                "energies",
                "fabrication",
                "élevage",
                "elevage",
            ][..],
        ),
        (
            Language::Es,
            &[
                "aeronáuticas",
                "aeronauticas",
                "aeronáutico",
                "mecanizado",
                "piezas",
                "calderería",
                "caldereria",
                "fabricación",
                "fabricacion",
                "energías",
                "energias",
                "depósitos",
                "depositos",
                "fotovoltaica",
                "ganadería",
                "ganaderia",
            ][..],
        ),
    ] {
        let shown: Vec<String> = words
            .iter()
            .map(|w| format!("{w}→{}", analyze(w, language).join(" ")))
            .collect();
        println!("  {language}: {}", shown.join(", "));
    }
    Ok(())
}
