//! The official vocabulary layer of the model: CPV codes inferred from French and
//! Spanish text, a tender's own codes, and how they meet in the CPV tree.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use pyred_domain::Day;
use pyred_matching::{CorpusStats, Feature, FeatureSet, Matcher};
use pyred_proto::v1 as pb;
use pyred_text::Language;
use pyred_vocabulary::{CpvCode, Vocabulary};

fn date(text: &str) -> pb::Date {
    Day::parse(text).unwrap().into()
}

fn firm(id: &str, offers: &str) -> pb::Company {
    pb::Company {
        external_id: id.to_owned(),
        name: format!("SARL {id}"),
        country: "FR".to_owned(),
        language: pb::Language::Fr as i32,
        description: format!("PME du Gers. {offers}."),
        offers: offers.to_owned(),
        seeks: "Marchés publics en Espagne.".to_owned(),
        region: "FR-32".to_owned(),
        languages: vec!["fr".to_owned(), "es".to_owned()],
        ..Default::default()
    }
}

fn tender(id: &str, title: &str, cpv: &[&str]) -> pb::Opportunity {
    pb::Opportunity {
        external_id: id.to_owned(),
        source: "placsp".to_owned(),
        kind: pb::OpportunityKind::Tender as i32,
        title: title.to_owned(),
        description: title.to_owned(),
        language: pb::Language::Es as i32,
        cpv: cpv.iter().map(|c| (*c).to_owned()).collect(),
        region: "ES-AR".to_owned(),
        published: Some(date("2026-11-20")),
        deadline: Some(date("2027-01-15")),
        ..Default::default()
    }
}

fn code(text: &str) -> CpvCode {
    CpvCode::parse(text).unwrap()
}

#[test]
fn french_and_spanish_office_cleaning_infer_the_same_cpv_class() {
    let vocabulary = Vocabulary::embedded().unwrap();
    let french = vocabulary.infer("nettoyage de bureaux", Language::Fr);
    let spanish = vocabulary.infer("limpieza de oficinas", Language::Es);
    let (Some(fr), Some(es)) = (french.first(), spanish.first()) else {
        panic!("no code for {french:?} / {spanish:?}");
    };
    assert_eq!(fr.code.at_depth(4), es.code.at_depth(4), "{fr:?} / {es:?}");
    // It is the cleaning class (9091), not office furniture or supplies.
    assert_eq!(fr.code.at_depth(4), code("90910000"));
    assert_eq!(fr.words, "nettoyage de bureaux");
}

#[test]
fn genre_words_do_not_name_codes() {
    let vocabulary = Vocabulary::embedded().unwrap();
    // "Contratación" is the act of buying, not recruitment services (79600000).
    let codes = vocabulary.infer("Contratación del servicio de limpieza", Language::Es);
    assert!(
        codes.iter().all(|c| !c.code.is_within(&code("79600000"))),
        "{codes:?}"
    );
    assert!(
        codes.iter().any(|c| c.code.is_within(&code("90910000"))),
        "{codes:?}"
    );
    // A firm's "entreprise" is not "services divers aux entreprises".
    let codes = vocabulary.infer("Entreprise du Gers. Électricité.", Language::Fr);
    assert_eq!(
        codes.first().map(|c| c.code),
        Some(code("09310000")),
        "{codes:?}"
    );
}

#[test]
fn a_road_works_tender_matches_the_road_builder_and_not_the_cleaner() {
    let matcher = Matcher::new().unwrap();
    let road = matcher
        .company(&firm("voirie", "Travaux de voirie"))
        .unwrap();
    let cleaner = matcher.company(&firm("nettoyage", "Nettoyage")).unwrap();
    let listing = matcher
        .opportunity(&tender(
            "placsp-1",
            "Obras de acondicionamiento del camino de Valdespartera",
            &["45233140"],
        ))
        .unwrap();
    let stats = CorpusStats::from_profiles(
        &[road.clone(), cleaner.clone()],
        std::slice::from_ref(&listing),
    );
    let as_of = Day::parse("2026-12-01").unwrap();
    let for_road = matcher.score(&road, &listing, &stats, as_of).unwrap();
    let for_cleaner = matcher.score(&cleaner, &listing, &stats, as_of).unwrap();
    let (firm_code, listing_code) = for_road
        .breakdown
        .supply
        .codes
        .pair
        .expect("a pair of codes");
    assert_eq!(listing_code, code("45233140"));
    assert!(
        listing_code.is_within(&code("45230000")),
        "{firm_code} / {listing_code}"
    );
    assert!(
        firm_code.is_within(&code("45000000")),
        "the firm's code is a works code: {firm_code}"
    );
    assert!(
        for_road.breakdown.supply.codes.value > 0.1,
        "{:?}",
        for_road.breakdown.supply.codes
    );
    assert_eq!(
        for_cleaner.breakdown.supply.codes.value, 0.0,
        "{:?}",
        for_cleaner.breakdown.supply.codes
    );
    assert!(
        for_road.score > for_cleaner.score,
        "{} vs {}",
        for_road.score,
        for_cleaner.score
    );
    // The reason names the tender's code in French and the firm's own words.
    let reasons = matcher.explain(&road, &listing, &for_road, as_of);
    let codes = reasons
        .iter()
        .find(|r| r.feature == Feature::Codes)
        .expect("a reason for the codes");
    assert!(
        codes
            .text_fr
            .starts_with("Besoin : 45233140 Travaux routiers — votre offre : "),
        "{}",
        codes.text_fr
    );
    assert!(
        codes
            .text_es
            .starts_with("Necesidad: 45233140 Obras viales — su oferta: "),
        "{}",
        codes.text_es
    );
}

#[test]
fn a_tenders_own_codes_replace_the_codes_of_its_words() {
    let matcher = Matcher::new().unwrap();
    let with_codes = matcher
        .opportunity(&tender(
            "placsp-2",
            "Servicio de limpieza de oficinas municipales",
            &["90919200-4"],
        ))
        .unwrap();
    let own: Vec<CpvCode> = with_codes.needs.codes.codes.keys().copied().collect();
    assert_eq!(own, vec![code("90919200")]);
    let without = matcher
        .opportunity(&tender(
            "placsp-3",
            "Servicio de limpieza de oficinas municipales",
            &[],
        ))
        .unwrap();
    assert!(
        without
            .needs
            .codes
            .codes
            .keys()
            .any(|c| c.is_within(&code("90910000"))),
        "{:?}",
        without.needs.codes
    );
}

#[test]
fn codes_can_be_switched_off_for_the_ablation() {
    let matcher = Matcher::new().unwrap();
    let firm = matcher
        .company(&firm("nettoyage", "Nettoyage de bureaux et de locaux"))
        .unwrap();
    let listing = matcher
        .opportunity(&tender(
            "placsp-4",
            "Limpieza de dependencias",
            &["90919200"],
        ))
        .unwrap();
    let stats =
        CorpusStats::from_profiles(std::slice::from_ref(&firm), std::slice::from_ref(&listing));
    let as_of = Day::parse("2026-12-01").unwrap();
    let on = matcher.score(&firm, &listing, &stats, as_of).unwrap();
    let off = matcher
        .clone()
        .with_features(FeatureSet::all().without(Feature::Codes))
        .score(&firm, &listing, &stats, as_of)
        .unwrap();
    assert!(on.breakdown.relevance_codes > 0.0);
    assert_eq!(off.breakdown.relevance_codes, 0.0);
    assert!(on.score > off.score, "{} vs {}", on.score, off.score);
}

#[test]
fn an_insurer_meets_insurance_tenders_and_not_security_ones() {
    // Snowball stems Spanish "seguros" (insurance) and "seguridad" (security) alike; the
    // analyzers' exceptions keep them apart, in the stems, the concepts and the codes.
    let matcher = Matcher::new().unwrap();
    let insurer = matcher
        .company(&firm(
            "assurances",
            "Courtage d'assurances : assurance responsabilité civile et flottes automobiles",
        ))
        .unwrap();
    let insurance = matcher
        .opportunity(&tender(
            "placsp-5",
            "Contratación de los seguros de responsabilidad civil y de la flota de vehículos",
            &[],
        ))
        .unwrap();
    let security = matcher
        .opportunity(&tender(
            "placsp-6",
            "Servicio de seguridad y vigilancia de edificios municipales",
            &[],
        ))
        .unwrap();
    let stats = CorpusStats::from_profiles(
        std::slice::from_ref(&insurer),
        &[insurance.clone(), security.clone()],
    );
    let as_of = Day::parse("2026-12-01").unwrap();
    let to_insurance = matcher.score(&insurer, &insurance, &stats, as_of).unwrap();
    let to_security = matcher.score(&insurer, &security, &stats, as_of).unwrap();
    let supply = &to_security.breakdown.supply;
    assert!(
        supply.shared_stems.iter().all(|s| !s.starts_with("segur")),
        "{:?}",
        supply.shared_stems
    );
    assert_eq!(supply.codes.value, 0.0, "{:?}", supply.codes);
    assert!(
        supply.shared.is_empty(),
        "no shared concept: {:?}",
        supply.shared
    );
    assert!(
        !to_insurance.breakdown.supply.shared.is_empty(),
        "the insurance concept is shared"
    );
    assert!(
        to_insurance.breakdown.supply.codes.value > 0.0,
        "{:?}",
        to_insurance.breakdown.supply.codes
    );
    assert!(
        to_insurance.score > 2.0 * to_security.score,
        "{} vs {}",
        to_insurance.score,
        to_security.score
    );
}
