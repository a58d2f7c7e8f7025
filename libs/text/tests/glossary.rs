//! The embedded concept glossary: integrity, and the cross-language matches it exists
//! for.

use std::collections::{BTreeSet, HashSet};

use pyred_text::{Glossary, Language, analyze, concepts};

fn glossary() -> &'static Glossary {
    match Glossary::embedded() {
        Ok(glossary) => glossary,
        Err(error) => panic!("embedded glossary does not load: {error}"),
    }
}

fn ids(text: &str, language: Language) -> Vec<&'static str> {
    concepts(text, language)
        .expect("glossary loads")
        .iter()
        .map(|hit| hit.id())
        .collect()
}

#[test]
fn glossary_integrity() {
    let glossary = glossary();
    assert!(glossary.len() >= 300, "only {} concepts", glossary.len());
    let mut seen = HashSet::new();
    for concept in glossary.iter() {
        assert!(!concept.id().is_empty());
        assert!(seen.insert(concept.id()), "duplicate id {}", concept.id());
        assert!(
            !concept.sector().is_empty(),
            "{} has no sector",
            concept.id()
        );
        for language in Language::KNOWN {
            let terms = concept.terms(language);
            assert!(!terms.is_empty(), "{} has no {language} term", concept.id());
            for term in terms {
                assert!(
                    !term.trim().is_empty(),
                    "{}: empty {language} term",
                    concept.id()
                );
                assert!(
                    !analyze(term, language).is_empty(),
                    "{}: {language} term {term:?} analyses to nothing",
                    concept.id()
                );
            }
            assert!(!concept.label(language).is_empty());
        }
        if let Some(broader) = concept.broader() {
            assert!(
                glossary.concept(broader).is_some(),
                "{}: unknown broader {broader}",
                concept.id()
            );
        }
    }
}

/// Every term, looked up on its own, finds its own concept over its whole length: no
/// term is shadowed by a longer or overlapping term of another concept.
#[test]
fn every_term_finds_its_concept() {
    let glossary = glossary();
    let mut failures = Vec::new();
    for concept in glossary.iter() {
        for language in Language::KNOWN {
            for term in concept.terms(language) {
                let hits = glossary.extract(term, language);
                let whole = hits.len() == 1 && hits[0].id() == concept.id();
                if !whole {
                    let got: Vec<&str> = hits.iter().map(|h| h.id()).collect();
                    failures.push(format!(
                        "{language} {term:?} → {got:?}, expected {}",
                        concept.id()
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} terms miss their concept: {failures:#?}",
        failures.len()
    );
}

#[test]
fn plurals_and_accents_meet_across_languages() {
    assert_eq!(ids("aéronautiques", Language::Fr), ["aeronautics"]);
    assert_eq!(ids("aeronáuticas", Language::Es), ["aeronautics"]);
    assert_eq!(ids("aeronauticas", Language::Es), ["aeronautics"]);
    assert_eq!(ids("Aéronautique", Language::Fr), ["aeronautics"]);
}

#[test]
fn machining_in_both_languages() {
    let fr: BTreeSet<&str> = ids("usinage de pièces", Language::Fr).into_iter().collect();
    let es: BTreeSet<&str> = ids("mecanizado de piezas", Language::Es)
        .into_iter()
        .collect();
    assert!(fr.contains("machining"), "{fr:?}");
    assert!(es.contains("machining"), "{es:?}");
    assert_eq!(ids("L’usinage", Language::Fr), ["machining"]);
    assert_eq!(ids("Piezas mecanizadas", Language::Es), ["machining"]);
}

#[test]
fn false_friends_stay_apart() {
    // Seed funding is not seeds.
    assert_eq!(
        ids("Startup busca capital semilla", Language::Es),
        ["startup_incubator", "seed_funding"]
    );
    assert_eq!(
        ids("multiplicación de semillas de maíz", Language::Es),
        ["seeds", "maize"]
    );
    // Cuba the country is not a tank.
    assert!(ids("Misión comercial a Cuba", Language::Es) == ["trade_mission"]);
    assert_eq!(ids("cubas de fermentación", Language::Es), ["tanks"]);
    assert_eq!(ids("cuves inox", Language::Fr), ["tanks"]);
    // Road milling is not machining; bare "fresado" maps to nothing.
    assert_eq!(
        ids("fresado de firme y reposición", Language::Es),
        ["road_resurfacing"]
    );
    assert!(ids("fresado", Language::Es).is_empty());
    // Body-shop work is not sheet metal; visitor centres are not interpreting.
    assert_eq!(
        ids("taller de chapa y pintura", Language::Es),
        ["car_body_repair"]
    );
    assert_eq!(ids("trabajos en chapa", Language::Es), ["sheet_metal"]);
    assert_eq!(
        ids("centro de interpretación", Language::Es),
        ["heritage_interpretation_centre"]
    );
    assert_eq!(ids("intérprete jurado", Language::Es), ["interpreting"]);
    // Web hosting is not accommodation; fish meal is not flour.
    assert_eq!(ids("alojamiento web", Language::Es), ["web_hosting"]);
    assert_eq!(ids("alojamiento rural", Language::Es), ["rural_gites"]);
    assert_eq!(ids("harina de pescado", Language::Es), ["fish_meal"]);
    assert_eq!(ids("harina ecológica", Language::Es), ["flour"]);
}

#[test]
fn elision_plural_and_case_in_french_terms() {
    assert_eq!(ids("Les gîtes ruraux", Language::Fr), ["rural_gites"]);
    assert_eq!(ids("d’appels d’offres", Language::Fr), ["public_tender"]);
    assert_eq!(ids("CHARPENTE BOIS", Language::Fr), ["timber_frame"]);
}

#[test]
fn unaccented_spelling_of_a_term_still_hits() {
    assert_eq!(ids("ganaderia", Language::Es), ["livestock"]);
    assert_eq!(
        ids("energias renovables", Language::Es),
        ["renewable_energy"]
    );
    assert_eq!(ids("elevage de canards", Language::Fr), ["duck_farming"]);
}

#[test]
fn unknown_language_matches_both_sides() {
    let found = ids("usinage / mecanizado", Language::Unknown);
    assert_eq!(found, ["machining", "machining"]);
}

#[test]
fn labels_for_advisers() {
    let glossary = glossary();
    assert_eq!(glossary.label("machining", Language::Fr), Some("usinage"));
    assert_eq!(
        glossary.label("machining", Language::Es),
        Some("mecanizado")
    );
    assert_eq!(glossary.label("nope", Language::Es), None);
    let chain: Vec<&str> = glossary
        .ancestors("armagnac")
        .iter()
        .map(|c| c.id())
        .collect();
    assert_eq!(chain, ["brandy", "spirits"]);
}

#[test]
fn hit_spans_point_into_the_text() {
    let text = "Nous cherchons des cuves en acier inoxydable.";
    let hits = concepts(text, Language::Fr).expect("glossary loads");
    let matched: Vec<&str> = hits.iter().map(|h| h.matched(text)).collect();
    assert_eq!(matched, ["cuves", "acier inoxydable"]);
}
