//! Throughput of CPV inference: texts per second.
//!
//! ```sh
//! cargo bench -p pyred-vocabulary --bench inference
//! ```

use std::time::Instant;

use pyred_text::Language;
use pyred_vocabulary::Vocabulary;

fn main() {
    let started = Instant::now();
    let Ok(vocabulary) = Vocabulary::embedded() else {
        eprintln!("the embedded vocabularies do not load");
        std::process::exit(1);
    };
    let load = started.elapsed();
    let texts: [(&str, Language); 4] = [
        (
            "Services de nettoyage de locaux et de bureaux, vitrerie, entretien des espaces verts",
            Language::Fr,
        ),
        (
            "Contratación del servicio de limpieza en los colegios y polideportivos del concejo",
            Language::Es,
        ),
        (
            "Mecanizado de piezas aeronáuticas en aluminio y titanio, series cortas, EN 9100",
            Language::Es,
        ),
        (
            "Entreprise de travaux publics : voirie, réseaux divers, terrassement, enrobés",
            Language::Fr,
        ),
    ];
    let rounds = 2_000;
    let started = Instant::now();
    let mut codes = 0usize;
    for _ in 0..rounds {
        for (text, language) in &texts {
            codes += vocabulary.infer(text, *language).len();
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let n = (rounds * texts.len()) as f64;
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| load and index (9,454 codes × 2 languages) | {:.0} ms |",
        load.as_secs_f64() * 1e3
    );
    println!(
        "| inference, texts of 10–15 words | {:.0} texts/s ({:.1} µs each) |",
        n / elapsed,
        elapsed / n * 1e6
    );
    println!("| codes per text (mean) | {:.1} |", codes as f64 / n);
}
