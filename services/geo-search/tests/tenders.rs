//! Public tenders on a real tantivy index, without a socket: found by their contracting
//! body's name and by a lot's title (below an equal match in a title), filtered by a
//! lot's CPV code, and an index of the previous schema refilled instead of opened.

use std::collections::BTreeSet;

use pyred_domain::Gazetteer;
use pyred_geo_search::{IndexStore, SearchEngine, request::SearchQuery};
use pyred_proto::v1::{self as pb, change::Record};
use pyred_text::Glossary;

struct Fixture {
    _dir: tempfile::TempDir,
    store: std::sync::Arc<IndexStore>,
    engine: SearchEngine,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = std::sync::Arc::new(IndexStore::open(dir.path()).expect("index"));
    let engine = SearchEngine::new(
        store.clone(),
        Glossary::embedded().expect("glossary"),
        Gazetteer::embedded(),
    );
    Fixture {
        _dir: dir,
        store,
        engine,
    }
}

impl Fixture {
    fn apply(&self, opportunities: Vec<pb::Opportunity>) {
        let changes: Vec<pb::Change> = opportunities
            .into_iter()
            .enumerate()
            .map(|(i, opp)| pb::Change {
                seq: i as i64 + 1,
                entity: pb::EntityKind::Opportunity as i32,
                id: opp.id.clone(),
                op: pb::ChangeOp::Upsert as i32,
                version: 1,
                record: Some(Record::Opportunity(opp)),
                ..Default::default()
            })
            .collect();
        let generation = self.store.current();
        generation.apply(&changes).expect("apply");
        generation
            .commit(changes.last().map_or(0, |c| c.seq))
            .expect("commit");
    }

    fn search(&self, request: pb::SearchRequest) -> pb::SearchResponse {
        let query = SearchQuery::parse(&request, self.engine.glossary(), self.engine.gazetteer())
            .expect("valid request");
        self.engine.search(&query).expect("search")
    }

    fn text(&self, text: &str) -> Vec<pb::SearchHit> {
        self.search(pb::SearchRequest {
            query: text.to_owned(),
            language: pb::Language::Es as i32,
            ..Default::default()
        })
        .hits
    }

    fn cpv(&self, prefix: &str) -> BTreeSet<String> {
        ids(&self
            .search(pb::SearchRequest {
                filters: Some(pb::SearchFilters {
                    cpv_prefix: prefix.to_owned(),
                    ..Default::default()
                }),
                ..Default::default()
            })
            .hits)
    }
}

fn ids(hits: &[pb::SearchHit]) -> BTreeSet<String> {
    hits.iter().map(|h| h.id.clone()).collect()
}

fn listing(id: &str, title: &str, description: &str) -> pb::Opportunity {
    pb::Opportunity {
        id: id.to_owned(),
        source: "placsp".to_owned(),
        kind: pb::OpportunityKind::Tender as i32,
        title: title.to_owned(),
        description: description.to_owned(),
        language: pb::Language::Es as i32,
        status: pb::OpportunityStatus::Published as i32,
        region: "ES-AR".to_owned(),
        location: Some(pb::Location {
            lat: Some(42.0352),
            lon: Some(0.1263),
            place_code: "22048".to_owned(),
            place_name: "Barbastro".to_owned(),
        }),
        published: Some(pb::Date {
            year: 2026,
            month: 11,
            day: 1,
        }),
        deadline: Some(pb::Date {
            year: 2099,
            month: 1,
            day: 1,
        }),
        ..Default::default()
    }
}

/// A tender whose buyer and lots hold words found nowhere else in it.
fn tender() -> pb::Opportunity {
    pb::Opportunity {
        buyer: Some(pb::ContractingBody {
            name: "Comarca del Somontano de Barbastro".to_owned(),
            nif: "P7200005G".to_owned(),
            dir3: "L07220005".to_owned(),
        }),
        official_url:
            "https://contrataciondelestado.es/wps/poc?uri=deeplink:detalle_licitacion&idEvl=abc"
                .to_owned(),
        procedure: pb::ProcedureType::Open as i32,
        tender_stage: pb::TenderStage::Open as i32,
        contract_type: pb::ContractType::Supplies as i32,
        nuts: "ES241".to_owned(),
        lots: vec![pb::Lot {
            id: "1".to_owned(),
            title: "Uniformes para la brigada forestal".to_owned(),
            cpv: vec!["18100000".to_owned()],
            budget_eur: Some(48_000.0),
        }],
        ..listing(
            "opp_tender",
            "Suministros para el servicio comarcal",
            "Contrato de suministro en varios lotes.",
        )
    }
}

#[test]
fn a_tender_is_found_by_its_buyer_and_by_a_lot_title() {
    let f = fixture();
    f.apply(vec![
        tender(),
        listing(
            "opp_title",
            "Vino del Somontano para recepciones",
            "Compra de vino para actos oficiales.",
        ),
        listing(
            "opp_other",
            "Limpieza de edificios",
            "Servicio de limpieza de oficinas.",
        ),
    ]);

    // The buyer's name: the tender is found, below a listing with the word in its title.
    let hits = f.text("Somontano");
    assert_eq!(
        hits.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(),
        ["opp_title", "opp_tender"],
        "a title match outranks a buyer match"
    );
    let by_buyer = &hits[1];
    // The hit says who buys, where the official notice is and where the tender stands.
    assert_eq!(by_buyer.buyer_name, "Comarca del Somontano de Barbastro");
    assert!(by_buyer.official_url.ends_with("idEvl=abc"));
    assert_eq!(by_buyer.tender_stage, pb::TenderStage::Open as i32);
    assert_eq!(hits[0].buyer_name, "", "a listing without a buyer");
    let snippet = by_buyer
        .snippets
        .iter()
        .find(|s| s.field == "buyer")
        .expect("the buyer's name is the snippet that says why");
    let marked =
        &snippet.text[snippet.highlights[0].start as usize..snippet.highlights[0].end as usize];
    assert_eq!(marked, "Somontano");
    assert_eq!(
        ids(&f.text("comarca somontano barbastro")),
        BTreeSet::from(["opp_tender".to_owned()])
    );

    // A lot's title, by its stem (uniformes → uniform) and with a typo.
    for query in ["uniforme brigada", "brigada forestall"] {
        let hits = f.text(query);
        assert_eq!(
            ids(&hits),
            BTreeSet::from(["opp_tender".to_owned()]),
            "{query}"
        );
        assert!(
            hits[0].snippets.iter().any(|s| s.field == "lots"),
            "{query}: {:?}",
            hits[0].snippets
        );
    }
    assert!(f.text("Jardinería").is_empty());
}

#[test]
fn a_cpv_filter_matches_the_code_of_a_lot() {
    let f = fixture();
    let mut top_level = listing(
        "opp_works",
        "Obras de pavimentación",
        "Pavimentación de calles.",
    );
    top_level.cpv = vec!["45233140".to_owned()];
    f.apply(vec![tender(), top_level]);
    let tender_only = BTreeSet::from(["opp_tender".to_owned()]);
    // The tender's only code is its lot's (18100000, occupational clothing).
    for prefix in ["18", "181", "18100000"] {
        assert_eq!(f.cpv(prefix), tender_only, "{prefix}");
    }
    assert_eq!(f.cpv("45"), BTreeSet::from(["opp_works".to_owned()]));
    assert!(f.cpv("182").is_empty());
}

#[test]
fn an_index_of_the_previous_schema_is_refilled_not_opened() {
    // The schema before tenders: today's fields without the tender ones.
    let added = [
        "buyer_fr",
        "buyer_es",
        "lots_fr",
        "lots_es",
        "official_url",
        "tender_stage",
        "procedure",
        "contract_type",
        "nuts",
    ];
    let (current, _) = pyred_geo_search::schema::build();
    let mut builder = tantivy::schema::Schema::builder();
    for (_, entry) in current.fields() {
        let name = entry.name();
        if !added.contains(&name) && !name.starts_with("document_format_") {
            builder.add_field(entry.clone());
        }
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let old = dir.path().join("gen-000001");
    std::fs::create_dir_all(&old).expect("dir");
    let index = tantivy::Index::create_in_dir(&old, builder.build()).expect("old index");
    pyred_text::register_analyzers(index.tokenizers());
    let mut writer: tantivy::IndexWriter = index.writer(15_000_000).expect("writer");
    let mut prepared = writer.prepare_commit().expect("prepare");
    prepared.set_payload("42");
    prepared.commit().expect("commit");
    drop((writer, index));
    std::fs::write(dir.path().join("CURRENT"), "gen-000001\n").expect("CURRENT");

    let store = IndexStore::open(dir.path()).expect("an old index never stops start-up");
    let current = store.current();
    assert_eq!(current.number(), 2, "a new generation");
    assert_eq!(
        current.applied_seq(),
        0,
        "refilled from the start of the feed"
    );
    assert!(!old.exists(), "the old generation is removed");
    store.close();
}

#[test]
fn a_french_query_finds_spanish_tenders_through_their_cpv_codes() {
    let f = fixture();
    // No word of the French queries below is in these tenders' texts: only their codes
    // (and, for the false friend, its words) relate them.
    // Real tenders are often titled by their file number alone.
    let mut cleaning = listing(
        "opp_cleaning",
        "Expediente 2026/118 del Ayuntamiento",
        "Contrato para las dependencias municipales.",
    );
    cleaning.cpv = vec!["90919200".to_owned()];
    let mut insurance = listing(
        "opp_insurance",
        "Expediente 45/2026: póliza de la flota municipal",
        "Contrato privado del ayuntamiento.",
    );
    insurance.cpv = vec!["66514110".to_owned()];
    let mut security = listing(
        "opp_security",
        "Servicio de seguridad y vigilancia de edificios municipales",
        "Vigilantes de seguridad para los edificios.",
    );
    security.cpv = vec!["79710000".to_owned()];
    let mut works = listing(
        "opp_works",
        "Obras de pavimentación",
        "Pavimentación de calles.",
    );
    works.cpv = vec!["45233140".to_owned()];
    f.apply(vec![cleaning, insurance, security, works]);
    let french = |text: &str| {
        ids(&f
            .search(pb::SearchRequest {
                query: text.to_owned(),
                language: pb::Language::Fr as i32,
                ..Default::default()
            })
            .hits)
    };
    assert_eq!(
        french("nettoyage de bureaux"),
        BTreeSet::from(["opp_cleaning".to_owned()])
    );
    // Insurance, not security: Snowball's "segur" no longer joins seguros and seguridad.
    assert_eq!(
        french("assurance"),
        BTreeSet::from(["opp_insurance".to_owned()])
    );
    assert_eq!(
        french("gardiennage et surveillance"),
        BTreeSet::from(["opp_security".to_owned()])
    );
    // A query that names no CPV class reaches nothing through codes.
    assert!(french("Somontano").is_empty());
}
