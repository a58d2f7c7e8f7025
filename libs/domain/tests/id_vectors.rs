//! Checks every verdict of python-stdnum 2.2 in `tests/data/id_test_vectors.csv`
//! (a copy of the shared reference file): validity, the compact form of valid
//! inputs and the error kind of invalid ones.

use std::collections::BTreeMap;

use pyred_domain::{IdError, Nif, Siren, Siret};

const VECTORS: &str = include_str!("data/id_test_vectors.csv");

#[derive(serde::Deserialize)]
struct Row {
    scheme: String,
    input: String,
    is_valid: bool,
    compact: String,
    error: String,
    source: String,
}

/// Our parser for a python-stdnum module name.
fn parse(scheme: &str, input: &str) -> Option<Result<String, IdError>> {
    let compact = |r: Result<String, IdError>| Some(r);
    match scheme {
        "fr.siren" => compact(Siren::parse(input).map(|v| v.as_str().to_owned())),
        "fr.siret" => compact(Siret::parse(input).map(|v| v.as_str().to_owned())),
        "es.nif" => compact(Nif::parse(input).map(|v| v.as_str().to_owned())),
        "es.dni" => compact(Nif::parse_dni(input).map(|v| v.as_str().to_owned())),
        "es.nie" => compact(Nif::parse_nie(input).map(|v| v.as_str().to_owned())),
        "es.cif" => compact(Nif::parse_cif(input).map(|v| v.as_str().to_owned())),
        _ => None,
    }
}

#[test]
fn agrees_with_every_stdnum_verdict() {
    let mut reader = csv::Reader::from_reader(VECTORS.as_bytes());
    let mut agreed: BTreeMap<String, usize> = BTreeMap::new();
    let mut disagreements = Vec::new();
    let mut rows = 0;
    for row in reader.deserialize() {
        let row: Row = row.expect("well-formed vector row");
        rows += 1;
        let got = parse(&row.scheme, &row.input)
            .unwrap_or_else(|| panic!("no parser for scheme {}", row.scheme));
        let ok = match (&got, row.is_valid) {
            (Ok(compact), true) => *compact == row.compact,
            (Err(e), false) => e.stdnum_name() == row.error,
            _ => false,
        };
        if ok {
            *agreed.entry(row.scheme.clone()).or_default() += 1;
        } else {
            disagreements.push(format!(
                "{} {:?} ({}): expected valid={} compact={:?} error={:?}, got {:?}",
                row.scheme, row.input, row.source, row.is_valid, row.compact, row.error, got
            ));
        }
    }
    println!("agreed per scheme: {agreed:?}");
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
    assert_eq!(rows, 3780, "the vector file should hold 3,780 rows");
    assert_eq!(agreed.values().sum::<usize>(), rows);
    for scheme in [
        "fr.siren", "fr.siret", "es.nif", "es.dni", "es.nie", "es.cif",
    ] {
        assert!(
            agreed.get(scheme).is_some_and(|&n| n > 0),
            "no rows for {scheme}"
        );
    }
}

#[test]
fn display_forms() {
    let siret = Siret::parse("73282932000074").expect("valid");
    assert_eq!(siret.to_string(), "732 829 320 00074");
    assert_eq!(siret.siren().to_string(), "732 829 320");
    assert_eq!(
        Nif::parse("es b-58378431").expect("valid").to_string(),
        "B58378431"
    );
}
