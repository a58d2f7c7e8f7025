//! The generators: determinism, validity against the registry's own rules, queries
//! geo-search accepts.

use std::collections::BTreeSet;

use pyred_bench::corpus::{Vocabulary, base_day, cif, siret, write_corpus};
use pyred_bench::queries;
use pyred_domain::{Gazetteer, Nif, Siret};
use pyred_geo_search::request::SearchQuery;
use pyred_runtime::error::FieldViolations;
use pyred_text::Glossary;

fn read(dir: &std::path::Path, file: &str) -> Vec<u8> {
    std::fs::read(dir.join(file)).expect("corpus file")
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let a = tempfile::tempdir().expect("tempdir");
    let b = tempfile::tempdir().expect("tempdir");
    let c = tempfile::tempdir().expect("tempdir");
    write_corpus(a.path(), 7, 200, 1_000).expect("corpus a");
    write_corpus(b.path(), 7, 200, 1_000).expect("corpus b");
    write_corpus(c.path(), 8, 200, 1_000).expect("corpus c");
    for file in ["companies.jsonl", "opportunities.jsonl"] {
        assert_eq!(read(a.path(), file), read(b.path(), file), "{file}");
        assert_ne!(read(a.path(), file), read(c.path(), file), "{file}");
    }
    let lines = String::from_utf8(read(a.path(), "opportunities.jsonl")).expect("utf-8");
    assert_eq!(lines.lines().count(), 1_000);
    // Queries are deterministic too.
    let v = Vocabulary::new(7).expect("vocabulary");
    assert_eq!(queries::generate(&v, 7, 300), queries::generate(&v, 7, 300));
}

#[test]
fn every_record_passes_the_registrys_validation() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_corpus(dir.path(), 42, 1_000, 4_000).expect("corpus");
    let today = base_day();
    let companies = String::from_utf8(read(dir.path(), "companies.jsonl")).expect("utf-8");
    let mut legal_ids = BTreeSet::new();
    let mut countries = BTreeSet::new();
    for (i, line) in companies.lines().enumerate() {
        let company = pyred::import::parse_company(line)
            .unwrap_or_else(|e| panic!("company line {}: {e:?}", i + 1));
        let mut violations = FieldViolations::new();
        let valid = pyred_registry::validate::company(&mut violations, "company", &company);
        assert!(
            valid.is_some(),
            "company line {}: {:?}",
            i + 1,
            violations.iter().collect::<Vec<_>>()
        );
        let legal = company.legal_id.expect("legal id").value;
        assert!(legal_ids.insert(legal.clone()), "legal id {legal} repeated");
        countries.insert(company.country);
    }
    assert_eq!(countries.len(), 2, "French and Spanish firms");
    let listings = String::from_utf8(read(dir.path(), "opportunities.jsonl")).expect("utf-8");
    let mut kinds = BTreeSet::new();
    let mut languages = BTreeSet::new();
    let mut past_deadlines = 0;
    for (i, line) in listings.lines().enumerate() {
        let listing = pyred::import::parse_opportunity(line)
            .unwrap_or_else(|e| panic!("listing line {}: {e:?}", i + 1));
        let mut violations = FieldViolations::new();
        let valid =
            pyred_registry::validate::opportunity(&mut violations, "opportunity", &listing, today);
        assert!(
            valid.is_some(),
            "listing line {}: {:?}",
            i + 1,
            violations.iter().collect::<Vec<_>>()
        );
        kinds.insert(listing.kind);
        languages.insert(listing.language);
        if let Some(d) = listing.deadline
            && (d.year, d.month, d.day) < (today.year(), today.month() as i32, today.day() as i32)
        {
            past_deadlines += 1;
        }
    }
    assert_eq!(kinds.len(), 6, "all six kinds");
    assert_eq!(languages.len(), 2, "French and Spanish listings");
    assert!(past_deadlines > 0, "some listings have expired");
}

#[test]
fn identifiers_are_valid_and_distinct() {
    let mut seen = BTreeSet::new();
    for i in 0..5_000 {
        let s = siret(i);
        Siret::parse(&s).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert!(seen.insert(s[..9].to_owned()), "siren repeated at {i}");
        let c = cif(i);
        Nif::parse(&c).unwrap_or_else(|e| panic!("{c}: {e}"));
    }
}

#[test]
fn generated_queries_are_accepted_by_geo_search() {
    let vocabulary = Vocabulary::new(42).expect("vocabulary");
    let queries = queries::generate(&vocabulary, 42, 2_000);
    let glossary = Glossary::embedded().expect("glossary");
    let gazetteer = Gazetteer::embedded();
    let mut with_radius = 0;
    let mut monolingual = 0;
    for query in &queries {
        let words = query.text.split_whitespace().count();
        assert!((1..=4).contains(&words), "{:?}", query.text);
        let request = query.to_request(base_day(), 10, false);
        SearchQuery::parse(&request, glossary, gazetteer)
            .unwrap_or_else(|e| panic!("{query:?}: {e:?}"));
        with_radius += usize::from(query.radius.is_some());
        monolingual += usize::from(query.monolingual);
    }
    assert!(with_radius > 500 && with_radius < 1_500, "{with_radius}");
    assert!(monolingual > 200, "{monolingual}");
}
