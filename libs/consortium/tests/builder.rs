//! Requirements, coverage and the builder on real-looking Spanish and French tenders.

#![allow(clippy::unwrap_used)]

use pyred_consortium::builder::{W_COVERAGE, W_CROSS};
use pyred_consortium::coverage::coverage;
use pyred_consortium::{
    COVERED, Candidate, ConsortiumError, Form, Options, TenderProfile, consortium_id, propose,
    to_pb,
};
use pyred_matching::{CompanyProfile, Matcher};
use pyred_proto::v1 as pb;

fn tender(
    id: &str,
    region: &str,
    lang: pb::Language,
    cpv: &[&str],
    title: &str,
    text: &str,
) -> pb::Opportunity {
    pb::Opportunity {
        id: id.to_owned(),
        source: "pcsp".to_owned(),
        kind: pb::OpportunityKind::Tender as i32,
        title: title.to_owned(),
        description: text.to_owned(),
        language: lang as i32,
        cpv: cpv.iter().map(|c| (*c).to_owned()).collect(),
        region: region.to_owned(),
        ..Default::default()
    }
}

fn firm(id: &str, region: &str, languages: &[&str], offers: &str, employees: i32) -> pb::Company {
    let lang = if region.starts_with("ES") {
        pb::Language::Es
    } else {
        pb::Language::Fr
    };
    pb::Company {
        id: id.to_owned(),
        name: format!("Firm {id}"),
        country: region.get(..2).unwrap_or_default().to_owned(),
        language: lang as i32,
        description: offers.to_owned(),
        offers: offers.to_owned(),
        region: region.to_owned(),
        employees: Some(employees),
        languages: languages.iter().map(|l| (*l).to_owned()).collect(),
        ..Default::default()
    }
}

struct Fixture {
    matcher: Matcher,
    companies: Vec<pb::Company>,
    profiles: Vec<CompanyProfile>,
    fits: Vec<f64>,
}

impl Fixture {
    fn new(companies: Vec<(pb::Company, f64)>) -> Self {
        let matcher = Matcher::new().unwrap();
        let profiles = companies
            .iter()
            .map(|(c, _)| matcher.company(c).unwrap())
            .collect();
        let fits = companies.iter().map(|(_, f)| *f).collect();
        Self {
            matcher,
            companies: companies.into_iter().map(|(c, _)| c).collect(),
            profiles,
            fits,
        }
    }

    fn candidates(&self) -> Vec<Candidate<'_>> {
        self.companies
            .iter()
            .zip(&self.profiles)
            .zip(&self.fits)
            .map(|((company, profile), fit)| Candidate {
                company,
                profile,
                fit: *fit,
            })
            .collect()
    }
}

const CONSTRUCTION: &str =
    "Travaux de construction de bâtiments, construction de bâtiments résidentiels";
const TRANSLATION: &str = "Services de traduction et d'interprétation";

fn codes(matcher: &Matcher, opportunity: &pb::Opportunity) -> Vec<String> {
    TenderProfile::new(matcher, opportunity)
        .unwrap()
        .requirements(matcher, None)
        .unwrap()
        .into_iter()
        .map(|r| r.code)
        .collect()
}

#[test]
fn requirements_are_read_from_a_spanish_tender() {
    let matcher = Matcher::new().unwrap();
    let o = tender(
        "pcsp-1",
        "ES-AR",
        pb::Language::Es,
        &["45210000", "45262000"],
        "Construcción de una nave industrial en Zaragoza",
        "El Ayuntamiento licita la construcción de una nave. Se exige certificación UNE-EN ISO 9001:2015 \
         y OHSAS 18001. La documentación técnica deberá presentarse en castellano. El adjudicatario \
         dispondrá de delegación en Aragón y de un equipo de al menos 12 personas.",
    );
    let got = codes(&matcher, &o);
    for wanted in [
        "cpv:45210000",
        "cpv:45262000",
        "certification:iso9001",
        "certification:iso45001",
        "language:es",
        "presence:es",
        "capacity:staff",
    ] {
        assert!(
            got.contains(&wanted.to_owned()),
            "{wanted} missing from {got:?}"
        );
    }
    assert!(!got.iter().any(|c| c == "language:fr"), "{got:?}");
    assert!(!got.iter().any(|c| c == "certification:en9100"), "{got:?}");
}

#[test]
fn requirements_are_read_from_a_french_tender() {
    let matcher = Matcher::new().unwrap();
    let o = tender(
        "boamp-1",
        "FR-32",
        pb::Language::Fr,
        &["15300000"],
        "Fourniture de fruits et légumes pour la restauration scolaire",
        "Les produits seront certifiés GLOBALG.A.P. ou issus de l'agriculture biologique. Le titulaire \
         disposera d'une présence locale et sera certifié ISO 14001. Les fiches techniques seront \
         traduites vers l'espagnol.",
    );
    let got = codes(&matcher, &o);
    for wanted in [
        "cpv:15300000",
        "certification:globalgap",
        "certification:organic",
        "certification:iso14001",
        "language:fr",
        "language:es",
        "presence:fr",
    ] {
        assert!(
            got.contains(&wanted.to_owned()),
            "{wanted} missing from {got:?}"
        );
    }
    assert!(!got.iter().any(|c| c == "capacity:staff"), "{got:?}");
}

#[test]
fn a_plain_tender_has_only_its_codes_and_language() {
    let matcher = Matcher::new().unwrap();
    let o = tender(
        "pcsp-2",
        "ES-AR",
        pb::Language::Es,
        &["45000000", "45210000"],
        "Obras de reforma del pabellón municipal",
        "Obras de reforma del pabellón municipal. Plazo de ejecución de cinco meses.",
    );
    // The broader 45000000 adds nothing the narrower 45210000 does not ask.
    assert_eq!(codes(&matcher, &o), vec!["cpv:45210000", "language:es"]);
}

#[test]
fn a_lot_replaces_the_tender_codes() {
    let matcher = Matcher::new().unwrap();
    let mut o = tender(
        "pcsp-3",
        "ES-AR",
        pb::Language::Es,
        &["45210000"],
        "Construcción de un edificio",
        "Obras.",
    );
    o.lots.push(pb::Lot {
        id: "2".to_owned(),
        title: "Traducción".to_owned(),
        cpv: vec!["79530000".to_owned()],
        budget_eur: Some(50_000.0),
    });
    let profile = TenderProfile::new(&matcher, &o).unwrap();
    let lot: Vec<String> = profile
        .requirements(&matcher, Some("2"))
        .unwrap()
        .into_iter()
        .map(|r| r.code)
        .collect();
    assert_eq!(lot, vec!["cpv:79530000", "language:es"]);
    assert_eq!(profile.budget(Some("2")), Some(50_000.0));
    assert!(matches!(
        profile.requirements(&matcher, Some("9")),
        Err(ConsortiumError::UnknownLot { .. })
    ));
}

#[test]
fn coverage_reads_codes_certifications_languages_and_presence() {
    let fixture = Fixture::new(vec![
        (
            firm(
                "fr-b",
                "FR-32",
                &["fr"],
                &format!("{CONSTRUCTION}. Certifiée ISO 9001."),
                30,
            ),
            0.7,
        ),
        (
            firm(
                "es-t",
                "ES-AR",
                &["es", "fr"],
                "Servicios de traducción e interpretación",
                5,
            ),
            0.5,
        ),
    ]);
    let o = tender(
        "pcsp-4",
        "ES-AR",
        pb::Language::Es,
        &["45210000", "79530000"],
        "Construcción y traducción",
        "Se exige ISO 9001 y delegación en Aragón.",
    );
    let profile = TenderProfile::new(&fixture.matcher, &o).unwrap();
    let requirements = profile.requirements(&fixture.matcher, None).unwrap();
    let codes: Vec<&str> = requirements.iter().map(|r| r.code.as_str()).collect();
    let candidates = fixture.candidates();
    let builder = coverage(&fixture.matcher, &candidates[0], &requirements);
    let translator = coverage(&fixture.matcher, &candidates[1], &requirements);
    let at = |code: &str| codes.iter().position(|c| *c == code).unwrap();
    assert!(
        builder[at("cpv:45210000")] >= COVERED,
        "{codes:?} {builder:?}"
    );
    assert!(builder[at("cpv:79530000")] < COVERED, "{builder:?}");
    assert!(translator[at("cpv:79530000")] >= COVERED, "{translator:?}");
    assert!(translator[at("cpv:45210000")] < COVERED, "{translator:?}");
    assert_eq!(builder[at("certification:iso9001")], 1.0);
    assert_eq!(translator[at("certification:iso9001")], 0.0);
    assert_eq!(builder[at("language:es")], 0.0);
    assert_eq!(translator[at("language:es")], 1.0);
    assert_eq!(builder[at("presence:es")], 0.0);
    assert_eq!(translator[at("presence:es")], 1.0);
}

fn two_part_tender(region: &str, lang: pb::Language) -> pb::Opportunity {
    tender(
        "t-2parts",
        region,
        lang,
        &["45210000", "79530000"],
        "Construcción de un centro de visitantes y traducción de sus contenidos",
        "Obras y traducción.",
    )
}

#[test]
fn the_builder_prefers_a_complementary_pair_to_two_redundant_firms() {
    let fixture = Fixture::new(vec![
        (firm("fr-b1", "FR-32", &["fr", "es"], CONSTRUCTION, 30), 0.8),
        (
            firm("fr-b2", "FR-32", &["fr", "es"], CONSTRUCTION, 30),
            0.79,
        ),
        (firm("fr-t", "FR-32", &["fr", "es"], TRANSLATION, 5), 0.5),
    ]);
    let o = two_part_tender("ES-AR", pb::Language::Es);
    let profile = TenderProfile::new(&fixture.matcher, &o).unwrap();
    let got = propose(
        &fixture.matcher,
        &profile,
        &fixture.candidates(),
        &Options::default(),
    )
    .unwrap();
    let best = got.consortia.first().unwrap();
    let mut ids: Vec<&str> = best.members.iter().map(|m| m.company_id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, vec!["fr-b1", "fr-t"]);
    assert!(best.uncovered.is_empty(), "{:?}", best.uncovered);
    // Lead first (best fit); each member says what it covers.
    assert_eq!(best.members[0].company_id, "fr-b1");
    assert_eq!(best.members[0].covers_cpv, vec!["45210000"]);
    assert!(
        best.members[0]
            .reason_fr
            .starts_with("couvre le code CPV 45210000"),
        "{}",
        best.members[0].reason_fr
    );
    assert!(
        best.members[0]
            .reason_es
            .starts_with("cubre el código CPV 45210000"),
        "{}",
        best.members[0].reason_es
    );
    assert_eq!(best.members[1].covers_cpv, vec!["79530000"]);
    // The two builders together bring nothing new to each other: never proposed.
    assert!(got.consortia.iter().all(|c| {
        let ids: Vec<&str> = c.members.iter().map(|m| m.company_id.as_str()).collect();
        !(ids.contains(&"fr-b1") && ids.contains(&"fr-b2"))
    }));
    assert_eq!(
        got.requirements,
        vec!["cpv:45210000", "cpv:79530000", "language:es"]
    );
}

#[test]
fn the_anchor_is_in_every_group_and_groups_have_two_to_four_members() {
    let mut firms = Vec::new();
    let trades = [
        CONSTRUCTION,
        TRANSLATION,
        "Installation de panneaux solaires photovoltaïques",
        "Services d'architecture et d'ingénierie",
        "Travaux de charpente et de couverture",
        "Services de nettoyage de bâtiments",
    ];
    for (i, trade) in trades.iter().enumerate() {
        for j in 0..3 {
            firms.push((
                firm(&format!("f{i}-{j}"), "FR-32", &["fr", "es"], trade, 10 + j),
                0.9 - 0.05 * i as f64 - 0.01 * j as f64,
            ));
        }
    }
    let fixture = Fixture::new(firms);
    let o = tender(
        "t-many",
        "ES-AR",
        pb::Language::Es,
        &[
            "45210000", "79530000", "09331200", "71200000", "45261000", "90911200",
        ],
        "Centro de visitantes",
        "Obras, traducción, paneles solares, arquitectura, cubierta y limpieza.",
    );
    let profile = TenderProfile::new(&fixture.matcher, &o).unwrap();
    let candidates = fixture.candidates();
    let all = propose(
        &fixture.matcher,
        &profile,
        &candidates,
        &Options {
            limit: 20,
            ..Options::default()
        },
    )
    .unwrap();
    assert!(!all.consortia.is_empty());
    assert!(
        all.consortia
            .iter()
            .all(|c| (2..=4).contains(&c.members.len()))
    );
    assert!(
        all.consortia.iter().any(|c| c.members.len() == 4),
        "six parts ask for four members"
    );
    let anchored = propose(
        &fixture.matcher,
        &profile,
        &candidates,
        &Options {
            anchor: Some("f3-2".to_owned()),
            limit: 20,
            lot: None,
        },
    )
    .unwrap();
    assert!(!anchored.consortia.is_empty());
    for c in &anchored.consortia {
        assert_eq!(c.members[0].company_id, "f3-2", "the anchor leads");
    }
    assert!(matches!(
        propose(
            &fixture.matcher,
            &profile,
            &candidates,
            &Options {
                anchor: Some("nobody".into()),
                ..Options::default()
            }
        ),
        Err(ConsortiumError::UnknownAnchor(_))
    ));
    // Scores are sorted and ids deterministic.
    assert!(all.consortia.windows(2).all(|w| w[0].score >= w[1].score));
    let again = propose(
        &fixture.matcher,
        &profile,
        &candidates,
        &Options {
            limit: 20,
            ..Options::default()
        },
    )
    .unwrap();
    assert_eq!(all, again);
}

#[test]
fn a_spanish_member_bringing_the_local_presence_earns_the_cross_border_bonus() {
    let fixture = Fixture::new(vec![
        (firm("fr-b", "FR-32", &["fr", "es"], CONSTRUCTION, 30), 0.8),
        (firm("fr-t", "FR-32", &["fr", "es"], TRANSLATION, 5), 0.5),
        (
            firm(
                "es-t",
                "ES-AR",
                &["es", "fr"],
                "Servicios de traducción e interpretación",
                5,
            ),
            0.5,
        ),
    ]);
    let mut o = two_part_tender("ES-AR", pb::Language::Es);
    o.description =
        "Obras y traducción. El adjudicatario dispondrá de delegación en Aragón.".to_owned();
    let profile = TenderProfile::new(&fixture.matcher, &o).unwrap();
    let got = propose(
        &fixture.matcher,
        &profile,
        &fixture.candidates(),
        &Options::default(),
    )
    .unwrap();
    let best = got.consortia.first().unwrap();
    let ids: Vec<&str> = best.members.iter().map(|m| m.company_id.as_str()).collect();
    assert!(ids.contains(&"es-t") && ids.contains(&"fr-b"), "{ids:?}");
    assert!(best.cross_border);
    assert!(
        best.members
            .iter()
            .any(|m| m.covers_requirements.contains(&"presence:es".to_owned()))
    );
    let french = got
        .consortia
        .iter()
        .find(|c| {
            let ids: Vec<&str> = c.members.iter().map(|m| m.company_id.as_str()).collect();
            ids == vec!["fr-b", "fr-t"]
        })
        .unwrap();
    assert!(!french.cross_border);
    let expected = W_COVERAGE * (best.coverage - french.coverage) + W_CROSS;
    assert!(
        (best.score - french.score - expected).abs() < 1e-6,
        "{} - {} vs {expected}",
        best.score,
        french.score
    );
}

#[test]
fn the_form_follows_the_tender_country() {
    let fixture = Fixture::new(vec![
        (firm("fr-b", "FR-32", &["fr", "es"], CONSTRUCTION, 30), 0.8),
        (firm("fr-t", "FR-32", &["fr", "es"], TRANSLATION, 5), 0.5),
    ]);
    let spanish = TenderProfile::new(
        &fixture.matcher,
        &two_part_tender("ES-AR", pb::Language::Es),
    )
    .unwrap();
    let french = TenderProfile::new(
        &fixture.matcher,
        &two_part_tender("FR-32", pb::Language::Fr),
    )
    .unwrap();
    let candidates = fixture.candidates();
    let es = propose(&fixture.matcher, &spanish, &candidates, &Options::default()).unwrap();
    let fr = propose(&fixture.matcher, &french, &candidates, &Options::default()).unwrap();
    assert_eq!(es.consortia[0].form, Form::Ute);
    assert!(
        es.consortia[0]
            .summary_es
            .starts_with("Unión Temporal de Empresas (UTE) de 2 empresas"),
        "{}",
        es.consortia[0].summary_es
    );
    assert_eq!(fr.consortia[0].form, Form::Groupement);
    assert!(
        fr.consortia[0]
            .summary_fr
            .starts_with("Groupement momentané d'entreprises de 2 entreprises"),
        "{}",
        fr.consortia[0].summary_fr
    );
    let message = to_pb::consortium(&es.consortia[0]);
    assert_eq!(message.form, pb::ConsortiumForm::Ute as i32);
    assert_eq!(message.members.len(), 2);
    assert_eq!(
        to_pb::consortium(&fr.consortia[0]).form,
        pb::ConsortiumForm::Groupement as i32
    );
}

#[test]
fn ids_are_stable_and_ignore_member_order() {
    let a = consortium_id("pcsp-1", &["b", "a"]);
    assert_eq!(a, consortium_id("pcsp-1", &["a", "b"]));
    assert_ne!(a, consortium_id("pcsp-2", &["a", "b"]));
    assert_ne!(a, consortium_id("pcsp-1", &["a", "c"]));
    assert!(
        a.starts_with("cons_") && a.len() == "cons_".len() + 12,
        "{a}"
    );
    // Fixed across builds: FNV-1a, not the standard library's randomised hasher.
    assert_eq!(a, consortium_id("pcsp-1", &["a", "b"]));
}

#[test]
fn headcounts_add_up_for_a_team_size() {
    let fixture = Fixture::new(vec![
        (firm("fr-b1", "FR-32", &["fr", "es"], CONSTRUCTION, 30), 0.8),
        (firm("fr-b2", "FR-32", &["fr", "es"], CONSTRUCTION, 30), 0.7),
    ]);
    let mut o = tender(
        "t-staff",
        "ES-AR",
        pb::Language::Es,
        &["45210000"],
        "Construcción de un edificio",
        "Se exige un equipo de al menos 50 personas.",
    );
    let profile = TenderProfile::new(&fixture.matcher, &o).unwrap();
    let got = propose(
        &fixture.matcher,
        &profile,
        &fixture.candidates(),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(
        got.consortia.len(),
        1,
        "two builders of 30 make the team of 50"
    );
    assert!(got.consortia[0].uncovered.is_empty());
    // Without the team size, the second builder brings nothing: no group.
    o.description = "Obras.".to_owned();
    let profile = TenderProfile::new(&fixture.matcher, &o).unwrap();
    let got = propose(
        &fixture.matcher,
        &profile,
        &fixture.candidates(),
        &Options::default(),
    )
    .unwrap();
    assert!(got.consortia.is_empty(), "{:?}", got.consortia);
}
