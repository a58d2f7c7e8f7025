//! The search engine on a real tantivy index, without a socket: exact geographic
//! filtering against the geodesy function on random points, boxes across ±180°,
//! idempotent upserts, deletions and erasures.

use std::collections::BTreeSet;

use pyred_domain::{Gazetteer, GeoPoint};
use pyred_geo_search::{IndexStore, SearchEngine, request::SearchQuery};
use pyred_proto::v1::{self as pb, change::Record, search_request::Geo};
use pyred_text::Glossary;

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Random(u64);

impl Random {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn opportunity_change(seq: i64, id: &str, lat: f64, lon: f64, title: &str) -> pb::Change {
    pb::Change {
        seq,
        entity: pb::EntityKind::Opportunity as i32,
        id: id.to_owned(),
        op: pb::ChangeOp::Upsert as i32,
        version: 1,
        record: Some(Record::Opportunity(pb::Opportunity {
            id: id.to_owned(),
            source: "test".to_owned(),
            kind: pb::OpportunityKind::Tender as i32,
            title: title.to_owned(),
            description: format!("{title}. Licitación pública."),
            language: pb::Language::Es as i32,
            status: pb::OpportunityStatus::Published as i32,
            region: "ES-AR".to_owned(),
            location: Some(pb::Location {
                lat: Some(lat),
                lon: Some(lon),
                ..Default::default()
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
        })),
        ..Default::default()
    }
}

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
    fn apply(&self, changes: &[pb::Change]) {
        let generation = self.store.current();
        generation.apply(changes).expect("apply");
        generation
            .commit(changes.last().map_or(0, |c| c.seq))
            .expect("commit");
    }

    /// Every hit of `request`, following page tokens.
    fn all(&self, mut request: pb::SearchRequest) -> Vec<pb::SearchHit> {
        let mut hits = Vec::new();
        loop {
            let query =
                SearchQuery::parse(&request, self.engine.glossary(), self.engine.gazetteer())
                    .expect("valid request");
            let response = self.engine.search(&query).expect("search");
            hits.extend(response.hits);
            if response.next_page_token.is_empty() {
                return hits;
            }
            request.page = Some(pb::PageRequest {
                page_size: 100,
                page_token: response.next_page_token,
            });
        }
    }
}

fn ids(hits: &[pb::SearchHit]) -> BTreeSet<String> {
    hits.iter().map(|h| h.id.clone()).collect()
}

#[test]
fn a_radius_returns_exactly_the_points_within_it() {
    let f = fixture();
    let centre = GeoPoint::new(41.6488, -0.8891).expect("Zaragoza");
    let mut random = Random(0x5eed_1234_abcd_ef01);
    let mut points = Vec::new();
    let changes: Vec<pb::Change> = (0..2_000)
        .map(|i| {
            // Up to ~1° around the centre: many points near a 50 km circle.
            let lat = centre.lat() + (random.next() - 0.5) * 2.0;
            let lon = centre.lon() + (random.next() - 0.5) * 2.6;
            let id = format!("opp_{i:04}");
            points.push((id.clone(), GeoPoint::new(lat, lon).expect("valid")));
            opportunity_change(i + 1, &id, lat, lon, "Suministro de depósitos")
        })
        .collect();
    f.apply(&changes);
    for radius_km in [10.0, 30.0, 50.0, 73.5] {
        let request = pb::SearchRequest {
            geo: Some(Geo::Radius(pb::GeoRadius {
                centre: Some(pb::geo_radius::Centre::Point(pb::Location {
                    lat: Some(centre.lat()),
                    lon: Some(centre.lon()),
                    ..Default::default()
                })),
                radius_km,
            })),
            sort: pb::SortOrder::Distance as i32,
            page: Some(pb::PageRequest {
                page_size: 100,
                page_token: String::new(),
            }),
            skip_snippets: true,
            ..Default::default()
        };
        let hits = f.all(request);
        let expected: BTreeSet<String> = points
            .iter()
            .filter(|(_, p)| centre.distance_km(p) <= radius_km)
            .map(|(id, _)| id.clone())
            .collect();
        assert!(expected.len() > 3, "{radius_km} km holds points");
        assert_eq!(ids(&hits), expected, "{radius_km} km");
        let distances: Vec<f64> = hits
            .iter()
            .map(|h| h.distance_km.expect("distance"))
            .collect();
        assert!(distances.windows(2).all(|w| w[0] <= w[1]), "nearest first");
    }
}

#[test]
fn a_box_across_the_antimeridian_holds_both_sides() {
    let f = fixture();
    let points = [
        (-17.7, 179.9),
        (-17.7, -179.9),
        (-17.7, 170.0),
        (-17.7, -170.0),
        (-30.0, 179.9),
    ];
    let changes: Vec<pb::Change> = points
        .iter()
        .enumerate()
        .map(|(i, (lat, lon))| {
            opportunity_change(i as i64 + 1, &format!("opp_{i}"), *lat, *lon, "Tender")
        })
        .collect();
    f.apply(&changes);
    let hits = f.all(pb::SearchRequest {
        geo: Some(Geo::Bbox(pb::BoundingBox {
            min_lat: -20.0,
            min_lon: 179.0,
            max_lat: -10.0,
            max_lon: -179.0,
        })),
        ..Default::default()
    });
    assert_eq!(
        ids(&hits),
        BTreeSet::from(["opp_0".to_owned(), "opp_1".to_owned()])
    );
    // And a circle there finds the point across the meridian.
    let hits = f.all(pb::SearchRequest {
        geo: Some(Geo::Radius(pb::GeoRadius {
            centre: Some(pb::geo_radius::Centre::Point(pb::Location {
                lat: Some(-17.7),
                lon: Some(179.95),
                ..Default::default()
            })),
            radius_km: 50.0,
        })),
        ..Default::default()
    });
    assert_eq!(
        ids(&hits),
        BTreeSet::from(["opp_0".to_owned(), "opp_1".to_owned()])
    );
}

#[test]
fn upserts_are_idempotent_and_deletions_and_erasures_apply() {
    let f = fixture();
    let first = opportunity_change(1, "opp_1", 41.65, -0.88, "Mecanizado de piezas");
    // The same change twice (a resumed feed), then a newer version.
    f.apply(&[first.clone(), first.clone()]);
    f.apply(&[opportunity_change(
        2,
        "opp_1",
        41.65,
        -0.88,
        "Mecanizado de piezas de titanio",
    )]);
    assert_eq!(f.store.current().documents(), 1);
    let hits = f.all(pb::SearchRequest {
        query: "titanio".to_owned(),
        ..Default::default()
    });
    assert_eq!(ids(&hits), BTreeSet::from(["opp_1".to_owned()]));

    let company = pb::Company {
        id: "cmp_1".to_owned(),
        name: "Inox Ténarèze".to_owned(),
        language: pb::Language::Fr as i32,
        description: "Chaudronnerie inox, cuves de vinification".to_owned(),
        visibility: pb::Visibility::Public as i32,
        region: "FR-32".to_owned(),
        ..Default::default()
    };
    let erase = pb::Change {
        seq: 4,
        entity: pb::EntityKind::Company as i32,
        id: "cmp_1".to_owned(),
        op: pb::ChangeOp::Erase as i32,
        version: 2,
        record: Some(Record::Company(company.clone())),
        ..Default::default()
    };
    let upsert = pb::Change {
        seq: 3,
        op: pb::ChangeOp::Upsert as i32,
        version: 1,
        ..erase.clone()
    };
    f.apply(&[upsert, erase]);
    assert_eq!(
        f.store.current().documents(),
        2,
        "an erasure replaces, it does not add"
    );
    let hits = f.all(pb::SearchRequest {
        query: "cuves inox".to_owned(),
        filters: Some(pb::SearchFilters {
            public_only: true,
            ..Default::default()
        }),
        ..Default::default()
    });
    assert_eq!(
        hits.first().map(|h| (h.id.as_str(), h.version)),
        Some(("cmp_1", 2))
    );

    f.apply(&[pb::Change {
        seq: 5,
        entity: pb::EntityKind::Company as i32,
        id: "cmp_1".to_owned(),
        op: pb::ChangeOp::Delete as i32,
        ..Default::default()
    }]);
    assert_eq!(f.store.current().documents(), 1);
    assert_eq!(f.store.current().applied_seq(), 5);
}
