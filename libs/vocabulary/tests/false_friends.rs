//! The analyzers' stemming leaves no false friend in the CPV labels: the exceptions
//! table of `pyred-text` is in step with the labels and with `false_friends::find`
//! (regenerate it with `cargo run -p pyred-vocabulary --example stem-exceptions`).

#![allow(clippy::unwrap_used)]

use pyred_text::{Language, analyze, snowball_stem, stem};
use pyred_vocabulary::false_friends::find;
use pyred_vocabulary::{CpvCode, Vocabulary};

#[test]
fn plain_snowball_merges_false_friends_that_the_analyzers_keep_apart() {
    let vocabulary = Vocabulary::embedded().unwrap();
    for language in [Language::Fr, Language::Es] {
        let labels = vocabulary.aligned_labels(language);
        let raw = find(&labels, language, |w| snowball_stem(w, language));
        assert!(
            raw.len() > 20,
            "{language}: only {} families found",
            raw.len()
        );
        let left = find(&labels, language, |w| stem(w, language));
        let names: Vec<String> = left
            .iter()
            .map(|f| format!("{} ({})", f.stem, f.split[0].0))
            .collect();
        assert!(
            left.is_empty(),
            "{language}: false friends left by the analyzers' stemming, regenerate the table: {names:?}"
        );
    }
}

#[test]
fn seguros_and_seguridad_no_longer_share_a_stem() {
    assert_eq!(
        snowball_stem("seguros", Language::Es),
        snowball_stem("seguridad", Language::Es)
    );
    assert_ne!(
        stem("seguros", Language::Es),
        stem("seguridad", Language::Es)
    );
    assert_eq!(stem("seguros", Language::Es), stem("seguro", Language::Es));
    assert_ne!(
        analyze("Servicios de seguros", Language::Es),
        analyze("Servicios de seguridad", Language::Es)
    );
}

#[test]
fn insurance_text_infers_insurance_codes_not_security_ones() {
    let vocabulary = Vocabulary::embedded().unwrap();
    let security = CpvCode::parse("79710000").unwrap();
    let insurance_division = "665";
    for (text, language) in [
        (
            "Servicios de seguros de responsabilidad civil",
            Language::Es,
        ),
        (
            "Assurance responsabilité civile des collectivités",
            Language::Fr,
        ),
    ] {
        let inferred = vocabulary.infer(text, language);
        assert!(!inferred.is_empty(), "{text}");
        assert!(
            inferred[0].code.to_string().starts_with(insurance_division),
            "{text}: {:?}",
            &inferred[..inferred.len().min(3)]
        );
        assert!(
            inferred.iter().all(|i| i.code != security),
            "{text} reaches security services: {inferred:?}"
        );
    }
}
