//! The mapping of real notices onto listings, field by field, against values read from
//! the files by hand (the files are the real samples of `libs/feeds/tests/data`, see its
//! PROVENANCE.md).

use pyred_domain::Gazetteer;
use pyred_feed_sync::mapping::{self, Mapped};
use pyred_feeds::{Limits, Notice, ParsedNotice, Territory};
use pyred_proto::v1 as pb;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../libs/feeds/tests/data");

fn read(path: &str) -> Vec<u8> {
    std::fs::read(format!("{DATA}/{path}")).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn placsp(path: &str) -> Vec<Notice> {
    pyred_feeds::placsp::parse_page(&read(path), &Limits::default())
        .expect("parses")
        .notices
}

fn ted(path: &str) -> Notice {
    match pyred_feeds::ted::parse_notice(&read(path), &Limits::default()).expect("parses") {
        ParsedNotice::Notice(notice) => notice,
        ParsedNotice::Rejected(rejected) => panic!("{path} rejected: {rejected:?}"),
    }
}

fn listing(notice: &Notice) -> (pb::Opportunity, Vec<pyred_feeds::Problem>) {
    match mapping::listing(notice, Gazetteer::embedded()) {
        Mapped::Listing { listing, warnings } => (*listing, warnings),
        Mapped::Rejected(problems) => panic!("{} rejected: {problems:?}", notice.external_id),
    }
}

fn date(year: i32, month: i32, day: i32) -> Option<pb::Date> {
    Some(pb::Date { year, month, day })
}

#[test]
fn the_zaragoza_entry_maps_field_by_field() {
    let notices = placsp("placsp/zaragoza_ayto_codice_entry_0365170-17.xml");
    assert_eq!(notices.len(), 1);
    assert!(
        Territory::default().check(&notices[0]).is_some(),
        "ES243 is ours"
    );
    let (listing, warnings) = listing(&notices[0]);
    assert_eq!(listing.external_id, "placsp-0365170-17");
    assert_eq!(listing.kind, pb::OpportunityKind::Tender as i32);
    assert_eq!(
        listing.title,
        "Suministro vehículo furgón mixto 4x4 adaptable para personal y carga para la unidad de salvamento y rescate acuático del servicio contra incendios, de salvamento y protección civil"
    );
    assert_eq!(
        listing.description, listing.title,
        "no description: the title"
    );
    assert_eq!(listing.language, pb::Language::Es as i32);
    assert_eq!(listing.cpv, ["34100000"]);
    assert_eq!(listing.budget_eur, Some(53719.01), "TaxExclusiveAmount");
    assert_eq!(
        listing.deadline,
        date(2017, 7, 10),
        "TenderSubmissionDeadlinePeriod"
    );
    assert_eq!(
        listing.published,
        date(2017, 6, 23),
        "first publication IssueDate"
    );
    // 2018-01-24T09:59:55+01:00
    assert_eq!(listing.source_version, 1_516_784_395_000);
    let buyer = listing.buyer.expect("buyer");
    assert_eq!(
        buyer.name,
        "Consejero de Servicios Públicos y Personal del Ayuntamiento de Zaragoza"
    );
    assert_eq!((buyer.nif.as_str(), buyer.dir3.as_str()), ("", ""));
    assert_eq!(
        listing.official_url,
        "https://www.zaragoza.es/ciudad/gestionmunicipal/contratos/ayto/contrato_Avisos?expediente=0365170-17"
    );
    assert_eq!(listing.procedure, pb::ProcedureType::Open as i32);
    assert_eq!(listing.contract_type, pb::ContractType::Supplies as i32);
    // ADJ: awarded, the listing ends fulfilled.
    assert_eq!(listing.tender_stage, pb::TenderStage::Awarded as i32);
    assert_eq!(listing.status, pb::OpportunityStatus::Fulfilled as i32);
    // NUTS ES243 without a postal code: Zaragoza stands for the province, flagged.
    assert_eq!(listing.nuts, "ES243");
    let location = listing.location.expect("location");
    assert_eq!(location.place_code, "50297");
    assert!(listing.location_approximate);
    assert_eq!(listing.region, "ES-AR");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].field, "place");
}

#[test]
fn a_real_multi_lot_page_keeps_every_lot_with_its_cpv_and_budget() {
    // Ayto. Los Barrios, 33/21: 4 lots, 8 CPV codes (NUTS ES612, relocated to Teruel to
    // be ours: only the place is changed; every other field is the file's).
    let mut notices = placsp("placsp/sample-04-multi-lote.xml");
    let notice = &mut notices[0];
    assert_eq!(notice.lots.len(), 4);
    notice.place.nuts = Some("ES242".to_owned());
    notice.place.postal_code = Some("44001".to_owned());
    notice.place.city = None;
    let (listing, _) = listing(notice);
    assert_eq!(listing.lots.len(), 4);
    for (lot, parsed) in listing.lots.iter().zip(&notice.lots) {
        assert_eq!(lot.id, parsed.id);
        assert_eq!(lot.cpv, parsed.cpv);
        assert!(!lot.cpv.is_empty(), "every lot of the file has CPV codes");
        assert_eq!(
            lot.budget_eur,
            parsed
                .budget_without_taxes
                .as_ref()
                .and_then(|a| a.as_f64())
        );
    }
    // The listing's codes: the project's, then the lots', once each.
    let mut expected: Vec<String> = notice.cpv.clone();
    for code in notice.lots.iter().flat_map(|l| l.cpv.iter()) {
        if !expected.contains(code) {
            expected.push(code.clone());
        }
    }
    assert_eq!(listing.cpv, expected);
    assert_eq!(listing.location.expect("location").place_code, "44216");
    assert!(
        !listing.location_approximate,
        "44001 is Teruel's own postal code"
    );
}

#[test]
fn a_real_eforms_notice_maps_lots_deadline_buyer_and_link() {
    // 262891-2023: Ajuntament de Ripoll, PIN with 4 lots, cleaning services (Catalonia,
    // so relocated to Huesca for the mapping; nothing else is changed).
    let mut notice = ted("ted/eforms-real-es-fr/sdk_v1.6_subtype_10_262891-2023.xml");
    notice.place.nuts = Some("ES241".to_owned());
    let (listing, _) = listing(&notice);
    assert_eq!(
        listing.external_id, "ted-01eef4c6-3aa2-4c44-aafb-d756a4b52eb1",
        "the procedure id"
    );
    assert_eq!(
        listing.title,
        "CONTRATO DE SERVICIOS DE LIMPIEZA DE EDIFICIOS MUNICIPALES"
    );
    assert_eq!(listing.language, pb::Language::Es as i32);
    let lots: Vec<(&str, Vec<&str>)> = listing
        .lots
        .iter()
        .map(|l| (l.id.as_str(), l.cpv.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(
        lots,
        [
            ("LOT-0001", vec!["90911200"]),
            ("LOT-0002", vec!["90919300"]),
            ("LOT-0003", vec!["90911200"]),
            ("LOT-0004", vec!["90911200"]),
        ]
    );
    assert_eq!(
        listing.lots[0].title,
        "LOTE 1: EQUIPAMIENTOS E INSTALACIONES DEPORTIVAS"
    );
    assert_eq!(listing.cpv, ["90911200", "90919300"]);
    // A prior information notice: its 2023-06-02 closes the expressions of interest
    // (InterestExpressionReceptionPeriod), it is not a tender deadline.
    assert_eq!(listing.deadline, None);
    assert_eq!(listing.buyer.expect("buyer").nif, "P1715600A");
    assert!(
        listing.official_url.starts_with("https://ted.europa.eu/")
            && listing.official_url.contains("262891-2023"),
        "{}",
        listing.official_url
    );
    assert_eq!(listing.procedure, pb::ProcedureType::Open as i32);
    assert_eq!(listing.contract_type, pb::ContractType::Services as i32);
    // A prior information notice: announced, live.
    assert_eq!(listing.tender_stage, pb::TenderStage::PriorNotice as i32);
    assert_eq!(listing.status, pb::OpportunityStatus::Published as i32);
}

#[test]
fn every_real_sample_maps_or_is_outside_and_none_is_rejected_when_relocated() {
    // Every real PLACSP entry and eForms notice either is outside the territory as
    // published, or (relocated into Zaragoza) maps to a listing the registry's bounds
    // accept: no real record is lost to the mapping.
    let mut seen = 0;
    let mut inside = 0;
    let mut notices: Vec<Notice> = Vec::new();
    for entry in std::fs::read_dir(format!("{DATA}/placsp")).expect("dir") {
        let path = entry.expect("entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.ends_with(".atom") || name.ends_with(".xml") {
            notices.extend(placsp(&format!("placsp/{name}")));
        }
    }
    for folder in ["ted/eforms-real-es-fr", "ted/eforms-real-other"] {
        for entry in std::fs::read_dir(format!("{DATA}/{folder}")).expect("dir") {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_owned();
            notices.push(ted(&format!("{folder}/{name}")));
        }
    }
    for mut notice in notices {
        seen += 1;
        if Territory::default().check(&notice).is_some() {
            inside += 1;
        }
        notice.place.nuts = Some("ES243".to_owned());
        let (listing, _) = listing(&notice);
        assert!(listing.title.chars().count() <= 300);
        assert!(listing.description.chars().count() <= 10_000);
        assert!(listing.cpv.len() <= 20);
        assert!(!listing.external_id.is_empty() && listing.external_id.len() <= 128);
        assert!(listing.source_version > 0);
    }
    assert!(seen > 90, "{seen} notices");
    assert_eq!(inside, 1, "only the Zaragoza entry is ours as published");
}

#[test]
fn tombstones_become_versioned_withdrawals_with_their_reason() {
    let page = pyred_feeds::placsp::parse_page(
        &read("placsp/sample-06-tombstone.xml"),
        &Limits::default(),
    )
    .expect("parses");
    assert_eq!(page.tombstones.len(), 1);
    let withdrawal =
        mapping::tombstone(pyred_feeds::Source::Placsp, &page.tombstones[0]).expect("maps");
    assert_eq!(withdrawal.external_id, "placsp-19163035");
    assert_eq!(withdrawal.reason, "ANULADA");
    assert!(
        withdrawal.source_version > 1_700_000_000_000,
        "a 2026 tombstone"
    );
}
