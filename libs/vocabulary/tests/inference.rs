//! Inference of CPV codes from French and Spanish text, on the embedded CPV 2008.

use pyred_text::Language;
use pyred_vocabulary::{CpvCode, Vocabulary};

fn vocabulary() -> &'static Vocabulary {
    Vocabulary::embedded().expect("the embedded vocabularies load")
}

fn code(text: &str) -> CpvCode {
    CpvCode::parse(text).expect("a valid code")
}

#[test]
fn show() {
    let v = vocabulary();
    for (text, lang) in [
        ("nettoyage de bureaux", Language::Fr),
        ("limpieza de oficinas", Language::Es),
        ("travaux de voirie", Language::Fr),
        ("assurance", Language::Fr),
        ("seguros", Language::Es),
        ("seguridad", Language::Es),
        (
            "Contratación del servicio de limpieza en los colegios",
            Language::Es,
        ),
        ("mecanizado de piezas aeronáuticas", Language::Es),
        ("usinage de pièces aéronautiques", Language::Fr),
    ] {
        let got = v.infer(text, lang);
        println!("{text}:");
        for i in got.iter().take(5) {
            println!(
                "   {} {:.3} {:?} [{}]",
                i.code,
                i.weight,
                v.label(&i.code, lang),
                i.words
            );
        }
    }
    if let Ok(text) = std::env::var("SHOW_TEXT") {
        for i in v.infer(&text, Language::Fr) {
            println!(
                "   {} {:.3} {:?} [{}]",
                i.code,
                i.weight,
                v.label(&i.code, Language::Fr),
                i.words
            );
        }
    }
    let _ = code("45000000");
}
