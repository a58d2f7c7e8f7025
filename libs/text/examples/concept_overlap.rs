//! How often a firm and a listing share glossary concepts, by judged grade.
//!
//! ```text
//! cargo run -p pyred-text --release --example concept_overlap [dev-dir]
//! ```
//!
//! `dev-dir` (default `$PYRED_DEV_DATA`, else `../../../shared/data/dev`) holds
//! `companies.jsonl`, `opportunities.jsonl` and `judgments.tsv`. Firm text =
//! description + offers + seeks; listing text = title + description; each in its own
//! language. A diagnostic for the matchmaking score, not a ranking: shared concepts
//! are counted exactly, then with broader concepts added on both sides.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use pyred_text::{Glossary, Language};

fn dev_dir() -> PathBuf {
    std::env::args()
        .nth(1)
        .or_else(|| std::env::var("PYRED_DEV_DATA").ok())
        .map_or_else(
            || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/dev"),
            PathBuf::from,
        )
}

fn concept_sets(
    glossary: &Glossary,
    path: &PathBuf,
    fields: &[&str],
) -> Result<HashMap<String, BTreeSet<String>>, Box<dyn std::error::Error>> {
    let mut out = HashMap::new();
    for line in std::fs::read_to_string(path)?
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        let record: serde_json::Value = serde_json::from_str(line)?;
        let id = record
            .get("id")
            .and_then(|v| v.as_str())
            .ok_or("record without id")?;
        let language = record
            .get("lang")
            .and_then(|v| v.as_str())
            .and_then(Language::from_code)
            .unwrap_or(Language::Unknown);
        let text: Vec<&str> = fields
            .iter()
            .filter_map(|f| record.get(*f).and_then(|v| v.as_str()))
            .collect();
        let ids = glossary
            .concept_ids(&text.join("\n"), language)
            .into_iter()
            .map(str::to_owned)
            .collect();
        out.insert(id.to_owned(), ids);
    }
    Ok(out)
}

fn with_ancestors(glossary: &Glossary, ids: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = ids.clone();
    for id in ids {
        out.extend(glossary.ancestors(id).iter().map(|c| c.id().to_owned()));
    }
    out
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = dev_dir();
    let glossary = Glossary::embedded()?;
    let firms = concept_sets(
        glossary,
        &dir.join("companies.jsonl"),
        &["description", "offers", "seeks"],
    )?;
    let listings = concept_sets(
        glossary,
        &dir.join("opportunities.jsonl"),
        &["title", "description"],
    )?;
    // grade → (pairs, pairs sharing a concept, shared concepts, same with ancestors)
    let mut by_grade: BTreeMap<String, [usize; 5]> = BTreeMap::new();
    let judgments = std::fs::read_to_string(dir.join("judgments.tsv"))?;
    for line in judgments.lines().skip(1) {
        let fields: Vec<&str> = line.split('\t').collect();
        let [firm, listing, grade] = fields[..] else {
            continue;
        };
        let (Some(a), Some(b)) = (firms.get(firm), listings.get(listing)) else {
            continue;
        };
        let shared = a.intersection(b).count();
        let broad = with_ancestors(glossary, a)
            .intersection(&with_ancestors(glossary, b))
            .count();
        let entry = by_grade.entry(grade.to_owned()).or_default();
        entry[0] += 1;
        entry[1] += usize::from(shared > 0);
        entry[2] += shared;
        entry[3] += usize::from(broad > 0);
        entry[4] += broad;
    }
    let firm_mean =
        firms.values().map(BTreeSet::len).sum::<usize>() as f64 / firms.len().max(1) as f64;
    let listing_mean =
        listings.values().map(BTreeSet::len).sum::<usize>() as f64 / listings.len().max(1) as f64;
    println!("distinct concepts per firm: {firm_mean:.1}, per listing: {listing_mean:.1}");
    println!("grade  pairs  share≥1  mean shared  share≥1 (+broader)  mean shared (+broader)");
    for (grade, [n, any, shared, any_broad, broad]) in by_grade.iter().rev() {
        let n_f = (*n).max(1) as f64;
        println!(
            "{grade:>5} {n:>6} {:>7.0}% {:>12.2} {:>18.0}% {:>23.2}",
            100.0 * *any as f64 / n_f,
            *shared as f64 / n_f,
            100.0 * *any_broad as f64 / n_f,
            *broad as f64 / n_f
        );
    }
    Ok(())
}
