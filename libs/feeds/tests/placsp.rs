//! PLACSP pages and fragments read from real samples, values checked by hand against
//! the files.

mod common;

use pyred_feeds::placsp::parse_page;
use pyred_feeds::{
    ContractType, FolderStatus, Limits, Page, ProcedureType, Territory, TerritoryMatch,
};

fn page(rel: &str) -> Page {
    parse_page(&common::read(rel), &Limits::default()).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn full_page_counts_links_and_tombstones() {
    let p = page("placsp/full-20-entries.atom");
    assert_eq!(p.notices.len(), 20);
    assert_eq!(p.tombstones.len(), 2);
    assert!(p.rejected.is_empty(), "{:?}", p.rejected);
    assert_eq!(p.notices.iter().map(|n| n.lots.len()).sum::<usize>(), 10);
    assert_eq!(
        p.next_link.as_deref(),
        Some(
            "https://contrataciondelestado.es/sindicacion/sindicacion_643/licitacionesPerfilesContratanteCompleto3_20171230_030112.atom"
        )
    );
    assert_eq!(
        p.prev_link.as_deref(),
        Some(
            "https://contrataciondelestado.es/sindicacion/sindicacion_643/licitacionesPerfilesContratanteCompleto3_20200522_234632.atom"
        )
    );
    assert_eq!(
        p.self_link.as_deref(),
        Some(
            "https://contrataciondelestado.es/sindicacion/sindicacion_643/licitacionesPerfilesContratanteCompleto3_20200522_234632_1.atom"
        )
    );
    assert_eq!(
        p.feed_updated.as_ref().map(|v| v.utc.as_str()),
        Some("2020-05-22T21:46:32.483Z")
    );
    let t = &p.tombstones[0];
    assert_eq!(
        t.reference,
        "https://contrataciondelestado.es/sindicacion/licitacionesPerfilContratante/1872130"
    );
    assert_eq!(
        t.when_original.as_deref(),
        Some("2017-12-29T14:21:35.421+01:00")
    );
    assert_eq!(
        t.when.as_ref().map(|v| v.utc.as_str()),
        Some("2017-12-29T13:21:35.421Z")
    );
    assert_eq!(t.reason, None);
    assert!(
        p.notices
            .iter()
            .all(|n| matches!(n.status, Some(FolderStatus::Adj | FolderStatus::Res)))
    );
    // none of these 2017 tenders is in Aragón, La Rioja or Gers
    let (inside, outside) = Territory::default().split(&p.notices);
    assert!(inside.is_empty());
    assert_eq!(outside, 20);
}

#[test]
fn full_page_first_entry_every_field() {
    let p = page("placsp/full-20-entries.atom");
    let n = &p.notices[0];
    assert_eq!(
        n.external_id,
        "https://contrataciondelestado.es/sindicacion/licitacionesPerfilContratante/1852499"
    );
    assert_eq!(n.version.original, "2018-01-03T09:09:05.263+01:00");
    assert_eq!(n.version.utc, "2018-01-03T08:09:05.263Z");
    assert_eq!(n.folder_id.as_deref(), Some("2017/003424"));
    assert_eq!(
        n.title,
        "Servicio de limpieza del I.E.S \"Alfonso VIII\" de Cuenca-1800CU17SER00064-CD"
    );
    assert_eq!(
        n.description, n.title,
        "no project description: the title stands in"
    );
    assert_eq!(n.cpv, ["90910000", "90510000"]);
    assert!(n.lots.is_empty());
    let budget = n.budget_without_taxes.as_ref().expect("budget");
    assert_eq!(
        (budget.value.as_str(), budget.currency.as_deref()),
        ("433065.52", Some("EUR"))
    );
    assert_eq!(
        n.estimated_value.as_ref().map(|a| a.value.as_str()),
        Some("433065.52")
    );
    let d = n.deadline.as_ref().expect("deadline");
    assert_eq!(
        (d.date.as_str(), d.time.as_deref(), d.offset.as_deref()),
        ("2017-06-22", Some("14:00:00"), None)
    );
    // earliest AdditionalPublicationDocumentReference/IssueDate (2017-12-05 < 2018-01-03)
    assert_eq!(n.publication_date.as_deref(), Some("2017-12-05"));
    assert_eq!(n.place.nuts.as_deref(), Some("ES423"));
    assert_eq!(n.place.country.as_deref(), Some("ES"));
    assert_eq!(
        n.buyer.name.as_deref(),
        Some("Delegación Provincial de la Consejería de Educación, Cultura y Deportes en Cuenca")
    );
    assert_eq!(n.buyer.nif.as_deref(), Some("S1911001D"));
    assert_eq!(n.buyer.dir3.as_deref(), Some("A08014354"));
    assert_eq!(n.buyer.address.postal_code.as_deref(), Some("16071"));
    assert_eq!(n.buyer.address.city.as_deref(), Some("Cuenca"));
    assert_eq!(
        n.link.as_deref(),
        Some(
            "https://contrataciondelestado.es/wps/poc?uri=deeplink:detalle_licitacion&idEvl=XyYbDmCUlmsQK2TEfXGy%2BA%3D%3D"
        )
    );
    assert_eq!(n.procedure, Some(ProcedureType::FrameworkDerived));
    assert_eq!(
        n.procedure.map(ProcedureType::slug),
        Some("framework-derived")
    );
    assert_eq!(n.procedure_code.as_deref(), Some("7"));
    assert_eq!(n.contract_type, Some(ContractType::Services));
    assert_eq!(n.status, Some(FolderStatus::Res));
    assert_eq!(n.language, "es");
    assert!(n.warnings.is_empty());
}

#[test]
fn full_page_lots_of_every_multi_lot_entry() {
    let p = page("placsp/full-20-entries.atom");
    let with_lots: Vec<_> = p.notices.iter().filter(|n| !n.lots.is_empty()).collect();
    assert_eq!(with_lots.len(), 3);

    let madrid = with_lots[0];
    assert_eq!(madrid.folder_id.as_deref(), Some("1007/2017"));
    assert_eq!(madrid.procedure, Some(ProcedureType::Open));
    let lots: Vec<_> = madrid
        .lots
        .iter()
        .map(|l| {
            (
                l.id.as_str(),
                l.cpv.clone(),
                l.budget_without_taxes.as_ref().map(|a| a.value.clone()),
                l.nuts.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        lots,
        [
            (
                "1",
                vec!["03000000".to_owned()],
                Some("37190.08".to_owned()),
                Some("ES300")
            ),
            (
                "2",
                vec!["03000000".to_owned()],
                Some("103305.79".to_owned()),
                Some("ES300")
            ),
            (
                "3",
                vec!["03000000".to_owned()],
                Some("37190.08".to_owned()),
                Some("ES300")
            ),
        ]
    );
    assert_eq!(
        madrid.lots[0].title.as_deref(),
        Some("Aves, caza, huevos y derivados")
    );
    assert_eq!(
        madrid.lots[1].title.as_deref(),
        Some("Carnes frescas, derivados, fiambres y pates")
    );

    let works = with_lots[1];
    assert_eq!(works.folder_id.as_deref(), Some("58/17"));
    let cpv7 = [
        "45233200", "45262520", "45421130", "45421160", "45430000", "45432100", "45442100",
    ];
    assert_eq!(works.lots.len(), 2);
    for lot in &works.lots {
        assert_eq!(lot.cpv, cpv7);
    }
    assert_eq!(
        works.lots[0]
            .budget_without_taxes
            .as_ref()
            .map(|a| a.value.as_str()),
        Some("57350")
    );
    assert_eq!(
        works.lots[1]
            .budget_without_taxes
            .as_ref()
            .map(|a| a.value.as_str()),
        Some("51500")
    );

    let five = with_lots[2];
    assert_eq!(five.folder_id.as_deref(), Some("SER-17-134-OSA"));
    assert_eq!(five.procedure, Some(ProcedureType::InternalRules));
    let budgets: Vec<_> = five
        .lots
        .iter()
        .map(|l| {
            (
                l.cpv.join(","),
                l.budget_without_taxes
                    .as_ref()
                    .map(|a| a.value.clone())
                    .unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        budgets,
        [
            ("85120000".into(), "3550".into()),
            ("85120000".into(), "3550".into()),
            ("85120000".into(), "11100".into()),
            ("85120000".into(), "3550".into()),
            ("85120000".into(), "11100".into()),
        ] as [(String, String); 5]
    );
}

#[test]
fn multi_lot_sample_has_four_lots_with_their_cpv() {
    let p = page("placsp/sample-04-multi-lote.xml");
    assert_eq!(
        (p.notices.len(), p.tombstones.len(), p.rejected.len()),
        (1, 0, 0)
    );
    let n = &p.notices[0];
    assert_eq!(n.folder_id.as_deref(), Some("33/21"));
    assert_eq!(n.status, Some(FolderStatus::Adj));
    assert_eq!(
        n.buyer.name.as_deref(),
        Some("Alcaldía del Ayuntamiento de Los Barrios (Cádiz)")
    );
    assert_eq!(n.buyer.nif.as_deref(), Some("P1100800J"));
    assert_eq!(n.buyer.dir3.as_deref(), Some("L01110086"));
    assert_eq!(n.place.nuts.as_deref(), Some("ES612"));
    assert_eq!(n.place.postal_code.as_deref(), Some("11370"));
    assert_eq!(n.place.city.as_deref(), Some("Los Barrios"));
    assert_eq!(
        n.budget_without_taxes.as_ref().map(|a| a.value.as_str()),
        Some("606456.33")
    );
    assert_eq!(n.cpv.len(), 8);
    let lots: Vec<(&str, Vec<&str>, &str)> = n
        .lots
        .iter()
        .map(|l| {
            (
                l.id.as_str(),
                l.cpv.iter().map(String::as_str).collect(),
                l.budget_without_taxes
                    .as_ref()
                    .map_or("", |a| a.value.as_str()),
            )
        })
        .collect();
    assert_eq!(
        lots,
        [
            (
                "1",
                vec!["92331210", "92000000", "92312240", "92340000", "92130000"],
                "192050"
            ),
            (
                "2",
                vec!["92331210", "92000000", "92340000", "92312240"],
                "161710"
            ),
            (
                "3",
                vec!["92312120", "92312130", "92312140", "92312240"],
                "233826.78"
            ),
            (
                "4",
                vec!["92331210", "92130000", "92312240", "92000000", "92340000"],
                "18600"
            ),
        ]
    );
}

#[test]
fn tombstone_sample() {
    let p = page("placsp/sample-06-tombstone.xml");
    assert!(p.notices.is_empty() && p.rejected.is_empty());
    assert_eq!(p.tombstones.len(), 1);
    let t = &p.tombstones[0];
    assert_eq!(
        t.reference,
        "https://contrataciondelestado.es/sindicacion/licitacionesPerfilContratante/19163035"
    );
    assert_eq!(
        t.when_original.as_deref(),
        Some("2026-03-20T14:48:14.452+01:00")
    );
    assert_eq!(
        t.when.as_ref().map(|v| v.utc.as_str()),
        Some("2026-03-20T13:48:14.452Z")
    );
    assert_eq!(t.reason.as_deref(), Some("ANULADA"));
}

#[test]
fn radar_sample_with_ns7_three_lots_and_a_tombstone() {
    let p = page("placsp/sample_placsp.atom");
    assert_eq!(
        (p.notices.len(), p.tombstones.len(), p.rejected.len()),
        (2, 1, 0)
    );
    assert_eq!(p.tombstones[0].reason.as_deref(), Some("ANULADA"));
    assert_eq!(
        p.tombstones[0].reference,
        "https://contrataciondelestado.es/sindicacion/licitacionesPerfilContratante/18735551"
    );
    let rtve = &p.notices[0];
    assert_eq!(
        rtve.title,
        "Alquiler equipos filmación-  Benidorm Fest 2026"
    );
    assert_eq!(rtve.folder_id.as_deref(), Some("S-05669-2025"));
    assert_eq!(rtve.status, Some(FolderStatus::Adj));
    assert_eq!(rtve.contract_type, Some(ContractType::Supplies));
    assert_eq!(rtve.buyer.nif.as_deref(), Some("A84818558"));
    assert_eq!(rtve.buyer.dir3.as_deref(), Some("EA0008275"));
    assert_eq!(rtve.place.nuts.as_deref(), Some("ES521"));
    let lots: Vec<_> = rtve
        .lots
        .iter()
        .map(|l| (l.id.as_str(), l.cpv.join(",")))
        .collect();
    assert_eq!(
        lots,
        [
            ("1", "42414100".to_owned()),
            ("2", "32000000".to_owned()),
            ("3", "32000000".to_owned())
        ]
    );
    let cadiz = &p.notices[1];
    assert_eq!(cadiz.status, Some(FolderStatus::Ev));
    assert_eq!(cadiz.procedure, Some(ProcedureType::OpenSimplified));
    assert_eq!(cadiz.cpv, ["45233222", "45233223"]);
    assert_eq!(cadiz.contract_type, Some(ContractType::Works));
}

#[test]
fn bare_fragments_same_folder_second_newer() {
    let a = page("placsp/01_amb_correction_placsp-001.xml.fragment");
    let b = page("placsp/01_amb_correction_placsp-002.xml.fragment");
    assert_eq!((a.notices.len(), b.notices.len()), (1, 1));
    let (a, b) = (&a.notices[0], &b.notices[0]);
    let id = "https://contrataciondelestado.es/sindicacion/PlataformasAgregadasSinMenores/20283724";
    assert_eq!(a.external_id, id);
    assert_eq!(b.external_id, id);
    assert_eq!(a.folder_id.as_deref(), Some("905451/26"));
    assert_eq!(b.folder_id, a.folder_id);
    assert_eq!(a.version.original, "2026-09-17T22:00:04.660+02:00");
    assert_eq!(b.version.original, "2026-09-21T22:00:26.651+02:00");
    assert!(a.version.utc < b.version.utc, "versions order as text");
    assert!(a.link.as_deref().is_some_and(|l| l.ends_with("/300885990")));
    assert!(b.link.as_deref().is_some_and(|l| l.ends_with("/300888482")));
    assert_eq!(a.cpv, ["90513000"]);
    assert_eq!(a.place.nuts.as_deref(), Some("ES511"));
    assert_eq!(
        a.buyer.name.as_deref(),
        Some("Àrea Metropolitana de Barcelona")
    );
    assert_eq!(a.status, Some(FolderStatus::Ev));
}

#[test]
fn zaragoza_entry_is_in_territory_by_place_nuts() {
    let p = page("placsp/zaragoza_ayto_codice_entry_0365170-17.xml");
    assert_eq!(p.notices.len(), 1);
    let n = &p.notices[0];
    assert_eq!(n.folder_id.as_deref(), Some("0365170-17"));
    assert_eq!(n.cpv, ["34100000"]);
    assert!(
        n.title.starts_with("Suministro vehículo furgón mixto 4x4"),
        "{}",
        n.title
    );
    assert_eq!(
        Territory::default().check(n),
        Some(TerritoryMatch::PlaceNuts {
            code: "ES243".into(),
            prefix: "ES243".into()
        })
    );
}

#[test]
fn every_placsp_sample_parses_without_rejections() {
    for f in common::files("placsp") {
        let bytes = std::fs::read(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let p = parse_page(&bytes, &Limits::default())
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert!(p.rejected.is_empty(), "{}: {:?}", f.display(), p.rejected);
        for n in &p.notices {
            assert!(
                !n.cpv.is_empty(),
                "{}: {} has no CPV",
                f.display(),
                n.external_id
            );
            assert!(
                n.buyer.name.is_some(),
                "{}: {} has no buyer",
                f.display(),
                n.external_id
            );
        }
    }
}
