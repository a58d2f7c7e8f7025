//! Accuracy of language identification on the dev set's titles, names and descriptions.
//!
//! ```text
//! cargo run -p pyred-text --release --example langid_eval [dev-dir]
//! ```
//!
//! `dev-dir` holds `companies.jsonl` and `opportunities.jsonl` (format:
//! `shared/data/FORMAT.md`); default: `$PYRED_DEV_DATA`, else
//! `../../../shared/data/dev` from this crate. The expected language is each record's
//! `lang` field. When `../reference/nace_fr_es.csv` sits next to `dev-dir`, the French
//! and Spanish NACE labels are scored too (short domain texts the model never saw).
//! Nothing here feeds the model: it is built from Snowball data and the
//! glossary only (see `build_langid_model`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use pyred_text::{Language, identify};

#[derive(Default)]
struct Tally {
    total: usize,
    correct: usize,
    unknown: usize,
    wrong: usize,
    examples: Vec<String>,
}

fn dev_dir() -> PathBuf {
    if let Some(arg) = std::env::args().nth(1) {
        return PathBuf::from(arg);
    }
    if let Ok(dir) = std::env::var("PYRED_DEV_DATA") {
        return PathBuf::from(dir);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/dev")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = dev_dir();
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    for (file, fields) in [
        ("opportunities.jsonl", &["title", "description"][..]),
        (
            "companies.jsonl",
            &["name", "description", "offers", "seeks"][..],
        ),
    ] {
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let record: serde_json::Value = serde_json::from_str(line)?;
            let expected = record
                .get("lang")
                .and_then(|v| v.as_str())
                .and_then(Language::from_code)
                .ok_or("record without a valid lang")?;
            for field in fields {
                let Some(value) = record.get(*field).and_then(|v| v.as_str()) else {
                    continue;
                };
                let tally = tallies
                    .entry(format!("{}.{field}", file.trim_end_matches(".jsonl")))
                    .or_default();
                let got = identify(value);
                tally.total += 1;
                if got.language == expected {
                    tally.correct += 1;
                } else {
                    if got.language == Language::Unknown {
                        tally.unknown += 1;
                    } else {
                        tally.wrong += 1;
                    }
                    let short: String = value.chars().take(70).collect();
                    tally.examples.push(format!(
                        "expected {expected}, got {} ({:.2}): {short}",
                        got.language, got.confidence
                    ));
                }
            }
        }
    }
    let nace = dir.join("../../reference/nace_fr_es.csv");
    if let Ok(mut reader) = csv::Reader::from_path(&nace) {
        let headers = reader.headers()?.clone();
        let column = |name: &str| headers.iter().position(|h| h == name);
        let (Some(fr), Some(es)) = (column("label_fr_naf"), column("label_es")) else {
            return Err("nace_fr_es.csv lacks label_fr_naf or label_es".into());
        };
        for row in reader.records() {
            let row = row?;
            for (index, expected, key) in [
                (fr, Language::Fr, "nace.label_fr"),
                (es, Language::Es, "nace.label_es"),
            ] {
                let Some(value) = row.get(index).filter(|v| !v.is_empty()) else {
                    continue;
                };
                let tally = tallies.entry(key.to_owned()).or_default();
                let got = identify(value);
                tally.total += 1;
                if got.language == expected {
                    tally.correct += 1;
                } else {
                    if got.language == Language::Unknown {
                        tally.unknown += 1;
                    } else {
                        tally.wrong += 1;
                    }
                    tally.examples.push(format!(
                        "expected {expected}, got {} ({:.2}): {value}",
                        got.language, got.confidence
                    ));
                }
            }
        }
    }
    println!(
        "{:<28} {:>5} {:>9} {:>8} {:>6}",
        "field", "n", "accuracy", "unknown", "wrong"
    );
    for (field, tally) in &tallies {
        println!(
            "{field:<28} {:>5} {:>8.1}% {:>8} {:>6}",
            tally.total,
            100.0 * tally.correct as f64 / tally.total.max(1) as f64,
            tally.unknown,
            tally.wrong
        );
    }
    for (field, tally) in &tallies {
        for example in &tally.examples {
            println!("  {field}: {example}");
        }
    }
    Ok(())
}
