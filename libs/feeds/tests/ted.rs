//! TED samples: every eForms notice (real and converted from TED XML) is read into a
//! notice with title, CPV and buyer; every TED XML R2.0.x notice gives the documented
//! error. A few notices are checked field by field.

mod common;

use pyred_feeds::ted::parse_notice;
use pyred_feeds::{
    ContractType, FeedError, Limits, Notice, ParsedNotice, ProcedureType, Territory,
};

fn notice(rel: &str) -> Notice {
    match parse_notice(&common::read(rel), &Limits::default()) {
        Ok(ParsedNotice::Notice(n)) => n,
        other => panic!("{rel}: {other:?}"),
    }
}

#[test]
fn every_eforms_notice_parses_with_title_cpv_and_buyer() {
    let mut with_nuts = 0;
    let mut inside = 0;
    let mut total = 0;
    for dir in [
        "ted/eforms-real-es-fr",
        "ted/eforms-real-other",
        "ted/eforms-converted-from-tedxml-es-fr",
    ] {
        for f in common::files(dir) {
            let bytes = std::fs::read(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            let n = match parse_notice(&bytes, &Limits::default()) {
                Ok(ParsedNotice::Notice(n)) => n,
                other => panic!("{}: {other:?}", f.display()),
            };
            total += 1;
            assert!(!n.title.is_empty(), "{}", f.display());
            assert!(!n.cpv.is_empty(), "{}: no CPV", f.display());
            assert!(n.cpv.iter().all(|c| c.len() == 8), "{}", f.display());
            assert!(n.buyer.name.is_some(), "{}: no buyer", f.display());
            assert!(
                n.link
                    .as_deref()
                    .is_some_and(|l| l.starts_with("https://ted.europa.eu/en/notice/-/detail/"))
            );
            assert_eq!(n.language.len(), 2, "{}: {}", f.display(), n.language);
            if Territory::default().check(&n).is_some() {
                inside += 1;
            }
            if n.place.nuts.is_some() || n.buyer.address.nuts.is_some() {
                with_nuts += 1;
            }
        }
    }
    assert_eq!(total, 7 + 58 + 14);
    // a NUTS code (place or buyer) is missing only where the notice gives none
    assert_eq!(with_nuts, 65, "notices with a place or buyer NUTS");
    assert_eq!(inside, 0, "no sample notice is in Aragón, La Rioja or Gers");
}

#[test]
fn every_ted_xml_notice_is_refused_as_unsupported() {
    let files = common::files("ted/tedxml-real-es-fr");
    assert_eq!(files.len(), 15);
    for f in files {
        let bytes = std::fs::read(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        match parse_notice(&bytes, &Limits::default()) {
            Err(e @ FeedError::TedXmlUnsupported { .. }) => {
                assert!(
                    e.to_string()
                        .contains("TED XML R2.0.x schema not supported"),
                    "{e}"
                );
            }
            other => panic!("{}: {other:?}", f.display()),
        }
    }
}

#[test]
fn eivissa_pin_field_by_field() {
    let n = notice("ted/eforms-real-es-fr/sdk_v1.10_subtype_14_761524-2023.xml");
    assert_eq!(n.external_id, "761524-2023");
    assert_eq!(
        n.link.as_deref(),
        Some("https://ted.europa.eu/en/notice/-/detail/761524-2023")
    );
    assert_eq!(
        n.title,
        "Contrato de concesión del servicio de restaurante del hipódromo de San Rafael, en la isla de Ibiza (Illes Balears, España)"
    );
    assert_eq!(n.cpv, ["55300000"]);
    assert_eq!(n.place.nuts.as_deref(), Some("ES531"));
    assert_eq!(
        n.buyer.name.as_deref(),
        Some("Fires, Congressos i Esdeveniments d'Eivissa, S.A.U.")
    );
    assert_eq!(n.buyer.nif.as_deref(), Some("A07837602"));
    assert_eq!(n.language, "es");
    assert_eq!(n.contract_type, Some(ContractType::Services));
    assert_eq!(Territory::default().check(&n), None, "Ibiza is outside");
}

#[test]
fn ripoll_pin_four_lots() {
    let n = notice("ted/eforms-real-es-fr/sdk_v1.6_subtype_10_262891-2023.xml");
    assert_eq!(n.external_id, "262891-2023");
    assert_eq!(
        n.title,
        "CONTRATO DE SERVICIOS DE LIMPIEZA DE EDIFICIOS MUNICIPALES"
    );
    assert_eq!(n.description, "trabajos de limplieza");
    assert_eq!(
        n.folder_id.as_deref(),
        Some("01eef4c6-3aa2-4c44-aafb-d756a4b52eb1")
    );
    assert_eq!(n.version.original, "2023-04-28Z 07:03:25.187719Z");
    assert_eq!(n.version.utc, "2023-04-28T07:03:25.187Z");
    assert_eq!(n.publication_date.as_deref(), Some("2023-05-02"));
    assert_eq!(n.procedure, Some(ProcedureType::Open));
    assert_eq!(n.buyer.name.as_deref(), Some("AYUNTAMIENTO DE RIPOLL"));
    assert_eq!(n.buyer.nif.as_deref(), Some("P1715600A"));
    let lots: Vec<_> = n
        .lots
        .iter()
        .map(|l| (l.id.as_str(), l.cpv.join(",")))
        .collect();
    assert_eq!(
        lots,
        [
            ("LOT-0001", "90911200".to_owned()),
            ("LOT-0002", "90919300".to_owned()),
            ("LOT-0003", "90911200".to_owned()),
            ("LOT-0004", "90911200".to_owned()),
        ]
    );
    assert_eq!(
        n.lots[0].title.as_deref(),
        Some("LOTE 1: EQUIPAMIENTOS E INSTALACIONES DEPORTIVAS")
    );
}

#[test]
fn namur_three_lots_and_deadline() {
    let n = notice("ted/eforms-real-es-fr/sdk_v1.8_subtype_20_547670-2023.xml");
    assert_eq!(n.external_id, "547670-2023");
    assert_eq!(n.language, "fr");
    assert_eq!(n.buyer.name.as_deref(), Some("Université de Namur"));
    assert_eq!(n.place.nuts.as_deref(), Some("BE352"));
    assert_eq!(n.lots.len(), 3);
    assert_eq!(
        n.cpv,
        ["55000000"],
        "the procedure's own CPV; lots carry theirs"
    );
    assert_eq!(n.lots[0].cpv, ["55000000", "55500000"]);
    assert_eq!(n.lots[1].cpv, ["55000000"]);
    let d = n.deadline.as_ref().expect("deadline");
    assert_eq!(
        (d.date.as_str(), d.time.as_deref(), d.offset.as_deref()),
        ("2023-10-11", Some("14:00:00"), Some("+02:00"))
    );
    assert_eq!(n.publication_date.as_deref(), Some("2023-09-11"));
}

#[test]
fn converted_spanish_award_notice() {
    let n = notice("ted/eforms-converted-from-tedxml-es-fr/20-157543-001-EXP.xml");
    assert_eq!(n.external_id, "153579-2020");
    assert_eq!(n.language, "es");
    assert_eq!(n.cpv, ["79212000"]);
    assert_eq!(n.lots.len(), 3);
    assert!(
        n.title
            .starts_with("Acuerdo Marco realización controles regu"),
        "{}",
        n.title
    );
}
