//! The embedded vocabularies and the inference of CPV codes from French and Spanish
//! text.

use pyred_text::Language;
use pyred_vocabulary::{CpvCode, Vocabulary};

fn vocabulary() -> &'static Vocabulary {
    Vocabulary::embedded().expect("the embedded vocabularies load")
}

fn code(text: &str) -> CpvCode {
    CpvCode::parse(text).expect("a valid code")
}

#[test]
fn the_bundle_holds_cpv_2008_in_three_languages_and_the_nuts_names() {
    let v = vocabulary();
    assert_eq!(v.len(), 9454);
    for c in v.codes() {
        for language in [Language::Fr, Language::Es, Language::Unknown] {
            assert!(
                v.label(c, language).is_some_and(|l| !l.trim().is_empty()),
                "{c} has a label in {language:?}"
            );
        }
    }
    assert_eq!(
        v.label(&code("45233140"), Language::Fr),
        Some("Travaux routiers")
    );
    assert_eq!(
        v.label(&code("45233140"), Language::Es),
        Some("Obras viales")
    );
    // A code CPV 2008 does not list is labelled by its nearest listed ancestor.
    assert!(!v.contains(&code("45233199")));
    assert_eq!(
        v.nearest_label(&code("45233199"), Language::Fr),
        v.label(&code("45233100"), Language::Fr)
    );
    let zaragoza = v.nuts("ES243").expect("ES243");
    assert_eq!(zaragoza.name(Language::Es), "Zaragoza");
}

#[test]
fn a_label_named_outright_comes_first_with_the_words_that_named_it() {
    let v = vocabulary();
    let codes = v.infer("Services d'assurance", Language::Fr);
    assert_eq!(
        codes.first().map(|c| c.code),
        Some(code("66510000")),
        "{codes:?}"
    );
    assert!(codes[0].weight > 0.9, "{codes:?}");
    assert_eq!(codes[0].words, "assurance");
    // Weights fall from the best, best first.
    assert!(
        codes.windows(2).all(|w| w[0].weight >= w[1].weight),
        "{codes:?}"
    );
    // A text that names nothing in the vocabulary gets no code.
    assert!(v.infer("Lorem ipsum dolor", Language::Fr).is_empty());
    assert!(v.infer("   ", Language::Es).is_empty());
}

#[test]
fn a_text_of_unknown_language_is_read_in_both() {
    let v = vocabulary();
    let codes = v.infer("limpieza de oficinas", Language::Unknown);
    assert_eq!(
        codes.first().map(|c| c.code),
        Some(code("90919200")),
        "{codes:?}"
    );
}

#[test]
fn genre_words_are_not_label_evidence() {
    let v = vocabulary();
    let stems = v.label_stems(&code("79600000"), Language::Es);
    assert!(
        stems.is_empty(),
        "« Servicios de contratación » is all genre words: {stems:?}"
    );
    let stems = v.label_stems(&code("90910000"), Language::Es);
    assert_eq!(stems, ["limpiez".to_owned()]);
}
