//! Derives `libs/text/data/stem_exceptions.tsv` from the CPV labels: the words that plain
//! Snowball stemming merges though their English translations differ.
//!
//! ```text
//! cargo run -p pyred-vocabulary --example stem-exceptions > libs/text/data/stem_exceptions.tsv
//! ```
//!
//! The table goes to stdout; a report of every family split, with the English words
//! that told the groups apart, goes to stderr.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use pyred_text::{Language, snowball_stem};
use pyred_vocabulary::Vocabulary;
use pyred_vocabulary::false_friends::{exceptions, find};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let vocabulary = Vocabulary::embedded()?;
    println!("language\tword\tstem");
    for (language, code) in [(Language::Fr, "fr"), (Language::Es, "es")] {
        let labels = vocabulary.aligned_labels(language);
        let found = find(&labels, language, |word| snowball_stem(word, language));
        for family in &found {
            let show = |words: &[pyred_vocabulary::false_friends::LabelWord]| {
                words
                    .iter()
                    .map(|w| format!("{} ({}×, {})", w.text, w.codes, w.english.join("/")))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            eprintln!("{code} {}: keeps {}", family.stem, show(&family.kept));
            for (stem, group) in &family.split {
                eprintln!("    → {stem}: {}", show(group));
            }
        }
        let lines = exceptions(&found);
        eprintln!(
            "{code}: {} families split, {} words",
            found.len(),
            lines.len()
        );
        for line in lines {
            println!("{code}\t{}\t{}", line.word, line.stem);
        }
    }
    Ok(())
}
