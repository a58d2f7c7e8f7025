//! Hostile and broken input: DTDs (billion laughs, external entities), non-ATOM
//! documents, truncated XML, oversized input, and entries broken in one field, which are
//! rejected alone while the rest of the page is kept.

mod common;

use pyred_feeds::placsp::parse_page;
use pyred_feeds::ted::parse_notice;
use pyred_feeds::{FeedError, Limits, ParsedNotice};

const BILLION_LAUGHS: &str = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<feed xmlns="http://www.w3.org/2005/Atom"><title>&lol9;</title></feed>"#;

const XXE: &str = r#"<?xml version="1.0"?>
<!DOCTYPE feed [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<feed xmlns="http://www.w3.org/2005/Atom"><title>&xxe;</title></feed>"#;

#[test]
fn billion_laughs_is_refused() {
    let err = parse_page(BILLION_LAUGHS.as_bytes(), &Limits::default()).expect_err("refused");
    assert!(matches!(err, FeedError::Doctype { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("DTDs and entity declarations are not accepted")
    );
    let err = parse_notice(BILLION_LAUGHS.as_bytes(), &Limits::default()).expect_err("refused");
    assert!(matches!(err, FeedError::Doctype { .. }), "{err}");
}

#[test]
fn external_entity_is_refused() {
    let err = parse_page(XXE.as_bytes(), &Limits::default()).expect_err("refused");
    assert!(matches!(err, FeedError::Doctype { .. }), "{err}");
    // without a DTD, an undeclared entity is an error too, never looked up
    let err = parse_page(
        b"<feed xmlns='http://www.w3.org/2005/Atom'><title>&xxe;</title></feed>",
        &Limits::default(),
    )
    .expect_err("refused");
    assert!(
        matches!(err, FeedError::UndeclaredEntity { ref name, .. } if name == "xxe"),
        "{err}"
    );
}

#[test]
fn html_is_not_atom() {
    let err = parse_page(
        b"<!DOCTYPE html><html><body>hi</body></html>",
        &Limits::default(),
    )
    .expect_err("refused");
    assert!(matches!(err, FeedError::Doctype { .. }), "{err}");
    let err = parse_page(
        b"<html><body><p>Mantenimiento</p></body></html>",
        &Limits::default(),
    )
    .expect_err("refused");
    assert!(
        matches!(err, FeedError::NotAtom { ref root } if root == "html"),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "not an ATOM feed: root element is <html>, expected <feed> or <entry>"
    );
    let err = parse_notice(
        b"<feed xmlns='http://www.w3.org/2005/Atom'/>",
        &Limits::default(),
    )
    .expect_err("refused");
    assert!(matches!(err, FeedError::NotEforms { .. }), "{err}");
    let err = parse_page(b"   ", &Limits::default()).expect_err("refused");
    assert!(matches!(err, FeedError::Empty), "{err}");
}

#[test]
fn truncated_xml_is_an_error() {
    let bytes = common::read("placsp/sample_placsp.atom");
    let cut = &bytes[..bytes.len() / 2];
    let err = parse_page(cut, &Limits::default()).expect_err("truncated");
    assert!(
        matches!(err, FeedError::Truncated { .. } | FeedError::Xml { .. }),
        "{err}"
    );
    let err =
        parse_page(b"<feed><entry><id>x</id></feed>", &Limits::default()).expect_err("mismatch");
    assert!(matches!(err, FeedError::Xml { .. }), "{err}");
    let err = parse_page(b"<feed><entry>", &Limits::default()).expect_err("open");
    assert_eq!(
        err.to_string(),
        "document ends inside <feed/entry> (truncated?)"
    );
}

#[test]
fn oversized_and_too_deep_input_is_refused() {
    let bytes = common::read("placsp/full-20-entries.atom");
    let small = Limits {
        max_bytes: 100_000,
        ..Limits::default()
    };
    let err = parse_page(&bytes, &small).expect_err("too large");
    assert!(
        matches!(
            err,
            FeedError::TooLarge {
                size: 384_556,
                max: 100_000
            }
        ),
        "{err}"
    );
    let deep = format!("{}{}", "<a>".repeat(200), "</a>".repeat(200));
    let err = parse_page(deep.as_bytes(), &Limits::default()).expect_err("too deep");
    assert!(matches!(err, FeedError::TooDeep { max: 128, .. }), "{err}");
    let many = Limits {
        max_elements: 50,
        ..Limits::default()
    };
    let err = parse_page(&bytes, &many).expect_err("too many");
    assert!(
        matches!(err, FeedError::TooManyElements { max: 50 }),
        "{err}"
    );
}

#[test]
fn non_utf8_is_refused() {
    let err = parse_page(b"<feed>\xff</feed>", &Limits::default()).expect_err("refused");
    assert!(matches!(err, FeedError::NotUtf8 { position: 6 }), "{err}");
    let err = parse_page(
        b"<?xml version='1.0' encoding='ISO-8859-1'?><feed/>",
        &Limits::default(),
    )
    .expect_err("refused");
    assert!(
        matches!(err, FeedError::UnsupportedEncoding { .. }),
        "{err}"
    );
}

/// The real radar page with entry 1 broken in one field by `edit`.
fn broken(edit: impl Fn(&str) -> String) -> pyred_feeds::Page {
    let text = String::from_utf8(common::read("placsp/sample_placsp.atom")).expect("utf-8");
    let edited = edit(&text);
    assert_ne!(edited, text, "the edit applies");
    parse_page(edited.as_bytes(), &Limits::default()).expect("page still readable")
}

#[test]
fn broken_cpv_rejects_that_entry_only() {
    let p = broken(|t| t.replacen(">32000000<", ">3200000X<", 1));
    assert_eq!(p.notices.len(), 1);
    assert_eq!(p.tombstones.len(), 1);
    assert_eq!(p.rejected.len(), 1);
    let r = &p.rejected[0];
    assert_eq!(
        r.entry_id.as_deref(),
        Some("https://contrataciondelestado.es/sindicacion/licitacionesPerfilContratante/18526649")
    );
    assert_eq!(
        r.problems[0].field,
        "entry[1].cac:ProcurementProject/cac:RequiredCommodityClassification/cbc:ItemClassificationCode"
    );
    assert!(
        r.problems[0].reason.contains("3200000X"),
        "{}",
        r.problems[0].reason
    );
    assert_eq!(p.notices[0].folder_id.as_deref(), Some("2025/159"));
}

#[test]
fn missing_title_rejects_that_entry_only() {
    let p = broken(|t| {
        t.replacen(
            "<cbc:Name>Alquiler equipos filmación-  Benidorm Fest 2026</cbc:Name>",
            "",
            1,
        )
    });
    assert_eq!((p.notices.len(), p.rejected.len()), (1, 1));
    assert_eq!(p.rejected[0].problems.len(), 1);
    assert_eq!(
        p.rejected[0].problems[0].field,
        "entry[1].cac:ProcurementProject/cbc:Name"
    );
    assert_eq!(p.rejected[0].problems[0].reason, "missing");
}

#[test]
fn unknown_status_rejects_that_entry_only() {
    let p = broken(|t| {
        t.replacen(
            ">EV</cbc-place-ext:ContractFolderStatusCode>",
            ">ZZZ</cbc-place-ext:ContractFolderStatusCode>",
            1,
        )
    });
    assert_eq!((p.notices.len(), p.rejected.len()), (1, 1));
    assert_eq!(
        p.rejected[0].problems[0].field,
        "entry[2].cbc-place-ext:ContractFolderStatusCode"
    );
    assert!(p.rejected[0].problems[0].reason.contains("ZZZ"));
}

#[test]
fn ted_notice_without_title_is_rejected() {
    let text = String::from_utf8(common::read(
        "ted/eforms-real-es-fr/sdk_v1.10_subtype_14_761524-2023.xml",
    ))
    .expect("utf-8");
    let title = "Contrato de concesión del servicio de restaurante del hipódromo de San Rafael, en la isla de Ibiza (Illes Balears, España)";
    let edited = text.replace(title, "");
    assert_ne!(edited, text);
    match parse_notice(edited.as_bytes(), &Limits::default()) {
        Ok(ParsedNotice::Rejected(r)) => {
            assert_eq!(r.entry_id.as_deref(), Some("761524-2023"));
            assert_eq!(r.problems[0].field, "cac:ProcurementProject/cbc:Name");
        }
        other => panic!("{other:?}"),
    }
}
