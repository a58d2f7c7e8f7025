//! How well the codes read from a tender's title agree with the tender's own codes:
//! the share of titles whose best inferred code shares a division, a group, a class
//! with one of the codes the publisher gave.
//!
//! ```text
//! cargo run --release -p pyred-vocabulary --example title-codes -- ../shared/real/dev-cpv/opportunities.jsonl
//! ```
//!
//! Reads JSON Lines in the interchange format (`title`, `lang`, `cpv`).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use pyred_text::Language;
use pyred_vocabulary::{CpvCode, Vocabulary};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: title-codes OPPORTUNITIES.jsonl")?;
    let vocabulary = Vocabulary::embedded()?;
    let (mut titles, mut none) = (0_usize, 0_usize);
    let mut shared = [0_usize; 3];
    for line in std::fs::read_to_string(path)?.lines() {
        let record: serde_json::Value = serde_json::from_str(line)?;
        let own: Vec<CpvCode> = record["cpv"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c.as_str().and_then(|c| CpvCode::parse(c).ok()))
            .collect();
        let Some(title) = record["title"].as_str().filter(|_| !own.is_empty()) else {
            continue;
        };
        let language = if record["lang"] == "fr" {
            Language::Fr
        } else {
            Language::Es
        };
        titles += 1;
        let Some(best) = vocabulary.infer(title, language).into_iter().next() else {
            none += 1;
            continue;
        };
        for (slot, depth) in shared.iter_mut().zip([2, 3, 4]) {
            if own
                .iter()
                .any(|c| c.at_depth(depth) == best.code.at_depth(depth))
            {
                *slot += 1;
            }
        }
    }
    let share = |n: usize| n as f64 / titles.max(1) as f64;
    println!(
        "{titles} titles: best code in a division of the tender's own codes {:.3}, group {:.3}, class {:.3}; no code {:.3}",
        share(shared[0]),
        share(shared[1]),
        share(shared[2]),
        share(none)
    );
    Ok(())
}
