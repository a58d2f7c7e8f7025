//! Throughput of the analyzers, concept extraction and language identification.
//!
//! ```text
//! cargo bench -p pyred-text
//! ```
//!
//! Texts: the dev set's listings and firm profiles (titles, names, descriptions, offers,
//! seeks) from `$PYRED_DEV_DATA`, default `../../../shared/data/dev` relative to this
//! crate; when that is absent, a small embedded French and Spanish sample. Each
//! measurement repeats the corpus for at least `PYRED_BENCH_SECONDS` (default 2) after
//! a warm-up, single-threaded.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pyred_text::analyzer::for_each_token;
use pyred_text::{Glossary, Language, analyze, identify};

const SAMPLE: &[(&str, &str)] = &[
    (
        "fr",
        "Atelier d'usinage de précision sur centres 5 axes, certifié EN 9100 : pièces aéronautiques en aluminium, titane et inox, petites et moyennes séries. Nous cherchons des donneurs d'ordre en Espagne et des partenaires pour la chaudronnerie et le traitement de surface.",
    ),
    (
        "fr",
        "Exploitation familiale du Gers : canards gras élevés en plein air, foie gras mi-cuit, magrets séchés et confits. Vente directe, épiceries fines et restauration ; nous recherchons un importateur ou un distributeur pour l'Aragon et La Rioja.",
    ),
    (
        "fr",
        "Charpente bois, ossature bois et isolation en laine de chanvre pour maisons individuelles et bâtiments agricoles ; réponse aux appels d'offres publics des collectivités.",
    ),
    (
        "es",
        "Empresa zaragozana de mecanizado de piezas para el sector aeronáutico y de automoción busca proveedores de tratamiento superficial y calderería fina. Certificación EN 9100 e ISO 9001.",
    ),
    (
        "es",
        "Bodega de La Rioja con 60 hectáreas de viñedo busca depósitos de acero inoxidable con camisa de frío para su nueva nave de elaboración, así como barricas de roble francés.",
    ),
    (
        "es",
        "Licitación del ayuntamiento para la rehabilitación energética de edificios municipales: aislamiento por el exterior, instalación fotovoltaica para autoconsumo y bomba de calor.",
    ),
];

struct Text {
    language: Language,
    body: String,
}

fn load_dev(dir: &Path) -> Option<Vec<Text>> {
    let mut texts = Vec::new();
    for (file, fields) in [
        ("opportunities.jsonl", &["title", "description"][..]),
        (
            "companies.jsonl",
            &["name", "description", "offers", "seeks"][..],
        ),
    ] {
        let content = std::fs::read_to_string(dir.join(file)).ok()?;
        for line in content.lines().filter(|l| !l.trim().is_empty()) {
            let record: serde_json::Value = serde_json::from_str(line).ok()?;
            let language = record
                .get("lang")
                .and_then(|v| v.as_str())
                .and_then(Language::from_code)?;
            for field in fields {
                if let Some(body) = record.get(*field).and_then(|v| v.as_str()) {
                    texts.push(Text {
                        language,
                        body: body.to_owned(),
                    });
                }
            }
        }
    }
    Some(texts)
}

fn corpus() -> (Vec<Text>, String) {
    let dir = std::env::var("PYRED_DEV_DATA").map_or_else(
        |_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/dev"),
        PathBuf::from,
    );
    if let Some(texts) = load_dev(&dir).filter(|t| !t.is_empty()) {
        return (texts, format!("dev set {}", dir.display()));
    }
    let texts = SAMPLE
        .iter()
        .map(|(lang, body)| Text {
            language: Language::from_code(lang).unwrap_or(Language::Unknown),
            body: (*body).to_owned(),
        })
        .collect();
    (texts, "embedded sample".to_owned())
}

/// Runs `pass` (one pass over the corpus) repeatedly; returns passes and elapsed time.
fn measure(budget: Duration, mut pass: impl FnMut()) -> (u32, Duration) {
    pass();
    let start = Instant::now();
    let mut passes = 0;
    while start.elapsed() < budget {
        pass();
        passes += 1;
    }
    (passes, start.elapsed())
}

fn report(name: &str, bytes: usize, texts: usize, (passes, elapsed): (u32, Duration)) {
    let seconds = elapsed.as_secs_f64();
    let mb = (bytes as f64 * f64::from(passes)) / 1e6;
    let per_second = (texts as f64 * f64::from(passes)) / seconds;
    println!(
        "{name:<44} {:>8.1} MB/s {:>11.0} texts/s {:>8.1} µs/text",
        mb / seconds,
        per_second,
        1e6 / per_second
    );
}

fn main() {
    let (texts, source) = corpus();
    let budget = Duration::from_secs_f64(
        std::env::var("PYRED_BENCH_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(2.0),
    );
    let bytes: usize = texts.iter().map(|t| t.body.len()).sum();
    println!(
        "corpus: {source}: {} texts, {} bytes ({} fr, {} es)",
        texts.len(),
        bytes,
        texts.iter().filter(|t| t.language == Language::Fr).count(),
        texts.iter().filter(|t| t.language == Language::Es).count()
    );

    let start = Instant::now();
    let glossary = Glossary::from_toml_str(Glossary::embedded_source());
    let load = start.elapsed();
    let Ok(glossary) = glossary else {
        println!("glossary does not load: {:?}", glossary.err());
        return;
    };
    println!(
        "glossary load (parse + analyse + index, {} concepts): {:.1} ms",
        glossary.len(),
        load.as_secs_f64() * 1e3
    );

    let mut tokens = 0usize;
    let run = measure(budget, || {
        for text in &texts {
            for_each_token(&text.body, text.language, |t| {
                tokens += black_box(t.text.len());
            });
        }
    });
    report(
        "analyzer pyred_fr / pyred_es (token stream)",
        bytes,
        texts.len(),
        run,
    );
    let run = measure(budget, || {
        for text in &texts {
            black_box(analyze(&text.body, text.language));
        }
    });
    report("analyze() -> Vec<String>", bytes, texts.len(), run);
    let run = measure(budget, || {
        for text in &texts {
            for_each_token(&text.body, Language::Unknown, |t| {
                tokens += black_box(t.text.len());
            });
        }
    });
    report(
        "analyzer pyred_fold (token stream)",
        bytes,
        texts.len(),
        run,
    );
    let mut hits = 0usize;
    let run = measure(budget, || {
        for text in &texts {
            hits += black_box(glossary.extract(&text.body, text.language)).len();
        }
    });
    report(
        "concept extraction (analyse + match)",
        bytes,
        texts.len(),
        run,
    );
    let run = measure(budget, || {
        for text in &texts {
            hits += black_box(glossary.extract(&text.body, Language::Unknown)).len();
        }
    });
    report(
        "concept extraction, language unknown (both)",
        bytes,
        texts.len(),
        run,
    );
    let run = measure(budget, || {
        for text in &texts {
            black_box(identify(&text.body));
        }
    });
    report("language identification", bytes, texts.len(), run);
    let per_pass: usize = texts
        .iter()
        .map(|t| glossary.extract(&t.body, t.language).len())
        .sum();
    println!(
        "concept hits per corpus pass: {per_pass} ({:.1} per text); checksum {}",
        per_pass as f64 / texts.len().max(1) as f64,
        black_box(tokens % 7 + hits % 7)
    );
}
