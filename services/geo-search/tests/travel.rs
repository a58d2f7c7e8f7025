//! Travel-time search on a real tantivy index: listings at known places of both sides
//! of the Pyrenees searched from Auch. Whether a listing is in, its driving time and its
//! crossing are decided by the travel model's own answer computed here (never
//! hard-coded numbers): the filter, the sort, paging, facets and a day when a crossing
//! is closed.

use std::collections::BTreeSet;

use pyred_domain::{Day, Gazetteer, GeoPoint};
use pyred_geo_search::{IndexStore, SearchEngine, request::SearchQuery};
use pyred_proto::v1::{self as pb, change::Record, search_request::Geo};
use pyred_text::Glossary;
use pyred_travel::TravelModel;

/// Graph nodes the listings sit at (places and junctions of both sides).
const PLACES: &[&str] = &[
    "jaca",
    "zaragoza",
    "logrono",
    "huesca",
    "bielsa",
    "ainsa",
    "sallent",
    "teruel",
    "alcaniz",
    "mirande",
    "condom",
    "tarbes",
    "pau",
    "toulouse",
    "saint-lary",
];

const SUMMER: &str = "2026-06-15";
/// The Bielsa tunnel is closed on that day (`libs/travel/data/crossings.csv`).
const BIELSA_CLOSED: &str = "2026-01-18";

fn opportunity(seq: i64, id: &str, point: Option<GeoPoint>) -> pb::Change {
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
            title: "Suministro de depósitos".to_owned(),
            description: "Suministro de depósitos. Licitación pública.".to_owned(),
            language: pb::Language::Es as i32,
            status: pb::OpportunityStatus::Published as i32,
            region: "ES-AR".to_owned(),
            location: point.map(|p| pb::Location {
                lat: Some(p.lat()),
                lon: Some(p.lon()),
                ..Default::default()
            }),
            published: Some(pb::Date {
                year: 2026,
                month: 1,
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
    engine: SearchEngine,
    /// (listing id, its point)
    listings: Vec<(String, GeoPoint)>,
}

fn model() -> &'static TravelModel {
    TravelModel::bundled()
}

fn auch() -> GeoPoint {
    Gazetteer::embedded()
        .resolve("Auch")
        .and_then(|p| p.point())
        .expect("Auch has a point")
}

fn day(text: &str) -> Day {
    Day::parse(text).expect("day")
}

fn date(day: Day) -> pb::Date {
    day.into()
}

/// A listing at each place (two at Zaragoza, for ties), and one without a position.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = std::sync::Arc::new(IndexStore::open(dir.path()).expect("index"));
    let engine = SearchEngine::new(
        store.clone(),
        Glossary::embedded().expect("glossary"),
        Gazetteer::embedded(),
    );
    let mut listings = Vec::new();
    for place in PLACES {
        let point = model().node(place).expect("node").point();
        listings.push((format!("at-{place}"), point));
    }
    listings.push(("at-zaragoza-2".to_owned(), listings[1].1));
    let mut changes: Vec<pb::Change> = listings
        .iter()
        .enumerate()
        .map(|(i, (id, point))| opportunity(i as i64 + 1, id, Some(*point)))
        .collect();
    changes.push(opportunity(changes.len() as i64 + 1, "nowhere", None));
    let generation = store.current();
    generation.apply(&changes).expect("apply");
    generation
        .commit(changes.last().map_or(0, |c| c.seq))
        .expect("commit");
    Fixture {
        _dir: dir,
        engine,
        listings,
    }
}

fn travel_area(minutes: f64) -> Option<Geo> {
    Some(Geo::Travel(pb::TravelArea {
        centre: Some(pb::travel_area::Centre::Place("Auch".to_owned())),
        max_minutes: minutes,
    }))
}

fn request(geo: Option<Geo>, on: Day, sort: pb::SortOrder, page_size: i32) -> pb::SearchRequest {
    pb::SearchRequest {
        geo,
        sort: sort as i32,
        filters: Some(pb::SearchFilters {
            as_of: Some(date(on)),
            ..Default::default()
        }),
        page: Some(pb::PageRequest {
            page_size,
            page_token: String::new(),
        }),
        facets: true,
        skip_snippets: true,
        ..Default::default()
    }
}

impl Fixture {
    fn search(&self, request: &pb::SearchRequest) -> pb::SearchResponse {
        let query = SearchQuery::parse(request, self.engine.glossary(), self.engine.gazetteer())
            .expect("valid request");
        self.engine.search(&query).expect("search")
    }

    /// Every hit, following page tokens; and the totals of each page.
    fn all(&self, mut request: pb::SearchRequest) -> (Vec<pb::SearchHit>, Vec<i64>) {
        let mut hits = Vec::new();
        let mut totals = Vec::new();
        loop {
            let response = self.search(&request);
            totals.push(response.total);
            hits.extend(response.hits);
            if response.next_page_token.is_empty() {
                return (hits, totals);
            }
            let size = request.page.as_ref().map_or(0, |p| p.page_size);
            request.page = Some(pb::PageRequest {
                page_size: size,
                page_token: response.next_page_token,
            });
        }
    }

    fn point_of(&self, id: &str) -> GeoPoint {
        self.listings
            .iter()
            .find(|(i, _)| i == id)
            .map(|(_, p)| *p)
            .expect("a listing of the fixture")
    }

    /// The model's answer for a listing, from Auch on `on`.
    fn route(&self, id: &str, on: Day) -> pyred_travel::Route {
        model()
            .route(auch(), self.point_of(id), on)
            .expect("a road route")
    }
}

/// Each hit carries the model's driving time and crossing.
fn assert_travel_as_the_model_says(f: &Fixture, hits: &[pb::SearchHit], on: Day) {
    for hit in hits {
        let route = f.route(&hit.id, on);
        let minutes = hit.travel_minutes.expect("travel minutes");
        assert!(
            (minutes - route.minutes).abs() < 1e-9,
            "{}: {minutes} vs {}",
            hit.id,
            route.minutes
        );
        assert_eq!(
            hit.crossing,
            route
                .crossing
                .as_ref()
                .map(|c| c.as_str().to_owned())
                .unwrap_or_default(),
            "{}",
            hit.id
        );
    }
}

#[test]
fn a_travel_area_holds_exactly_the_listings_the_model_reaches_in_time() {
    let f = fixture();
    let on = day(SUMMER);
    let mut sizes = BTreeSet::new();
    for minutes in [45.0, 90.0, 150.0, 200.0, 260.0, 330.0, 720.0] {
        let expected: BTreeSet<String> = f
            .listings
            .iter()
            .filter(|(id, _)| f.route(id, on).minutes <= minutes)
            .map(|(id, _)| id.clone())
            .collect();
        let (hits, totals) = f.all(request(
            travel_area(minutes),
            on,
            pb::SortOrder::Relevance,
            4,
        ));
        let found: BTreeSet<String> = hits.iter().map(|h| h.id.clone()).collect();
        assert_eq!(found, expected, "within {minutes} min");
        assert_eq!(hits.len(), expected.len(), "no duplicate across pages");
        assert!(totals.iter().all(|&t| t == expected.len() as i64));
        assert!(!found.contains("nowhere"), "no position, never in");
        assert_travel_as_the_model_says(&f, &hits, on);
        sizes.insert(expected.len());
        // Facets count the travel area, not its straight-line prefilter.
        let response = f.search(&request(
            travel_area(minutes),
            on,
            pb::SortOrder::Relevance,
            1,
        ));
        let kinds: i64 = response
            .facets
            .expect("facets")
            .kinds
            .iter()
            .map(|c| c.count)
            .sum();
        assert_eq!(kinds, expected.len() as i64, "facets within {minutes} min");
    }
    // The times chosen cut the fixture at several places, none and all excluded.
    assert!(sizes.len() >= 4, "{sizes:?}");
}

#[test]
fn the_travel_time_sort_follows_the_model_and_pages_continue_each_other() {
    let f = fixture();
    let on = day(SUMMER);
    let geo = travel_area(720.0);
    let (one_page, _) = f.all(request(geo.clone(), on, pb::SortOrder::TravelTime, 100));
    let (paged, _) = f.all(request(geo, on, pb::SortOrder::TravelTime, 3));
    let ids = |hits: &[pb::SearchHit]| hits.iter().map(|h| h.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&paged), ids(&one_page), "page 2 continues page 1");
    assert_eq!(one_page.len(), f.listings.len(), "12 h reach every listing");
    assert_travel_as_the_model_says(&f, &one_page, on);
    let minutes: Vec<f64> = one_page
        .iter()
        .map(|h| f.route(&h.id, on).minutes)
        .collect();
    assert!(
        minutes.windows(2).all(|w| w[0] <= w[1]),
        "nearest by road first: {:?}",
        ids(&one_page)
    );
    // By road, not as the crow flies: the order differs from the distance order.
    let (by_distance, _) = f.all(request(
        travel_area(720.0),
        on,
        pb::SortOrder::Distance,
        100,
    ));
    assert_ne!(ids(&by_distance), ids(&one_page));
    // A radius centre sorts by travel time too, over its circle.
    let radius = Some(Geo::Radius(pb::GeoRadius {
        centre: Some(pb::geo_radius::Centre::Place("Auch".to_owned())),
        radius_km: 250.0,
    }));
    let (in_circle, _) = f.all(request(radius, on, pb::SortOrder::TravelTime, 2));
    let expected: BTreeSet<String> = f
        .listings
        .iter()
        .filter(|(_, p)| auch().distance_km(p) <= 250.0)
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(
        ids(&in_circle).into_iter().collect::<BTreeSet<_>>(),
        expected
    );
    assert_travel_as_the_model_says(&f, &in_circle, on);
    let minutes: Vec<f64> = in_circle
        .iter()
        .map(|h| h.travel_minutes.unwrap_or(f64::NAN))
        .collect();
    assert!(minutes.windows(2).all(|w| w[0] <= w[1]), "{minutes:?}");
    // Without travel, hits carry none.
    let plain = f.search(&request(
        Some(Geo::Radius(pb::GeoRadius {
            centre: Some(pb::geo_radius::Centre::Place("Auch".to_owned())),
            radius_km: 250.0,
        })),
        on,
        pb::SortOrder::Distance,
        100,
    ));
    assert!(
        plain
            .hits
            .iter()
            .all(|h| h.travel_minutes.is_none() && h.crossing.is_empty())
    );
}

#[test]
fn a_day_when_the_bielsa_tunnel_is_closed_changes_times_and_crossings() {
    let f = fixture();
    let (open, closed) = (day(SUMMER), day(BIELSA_CLOSED));
    // Listings the model routes through the tunnel in summer, and its answer the day it
    // is closed.
    let through: Vec<&String> = f
        .listings
        .iter()
        .map(|(id, _)| id)
        .filter(|id| {
            f.route(id, open)
                .crossing
                .is_some_and(|c| c.as_str() == "bielsa-tunnel")
        })
        .collect();
    assert!(
        !through.is_empty(),
        "some listing is reached through Bielsa"
    );
    for on in [open, closed] {
        let (hits, _) = f.all(request(
            travel_area(720.0),
            on,
            pb::SortOrder::TravelTime,
            5,
        ));
        assert_travel_as_the_model_says(&f, &hits, on);
        for id in &through {
            let hit = hits.iter().find(|h| &h.id == *id).expect("reached in 12 h");
            if on == closed {
                assert_ne!(hit.crossing, "bielsa-tunnel", "{id}: closed that day");
                assert!(hit.travel_minutes > Some(f.route(id, open).minutes));
            } else {
                assert_eq!(hit.crossing, "bielsa-tunnel");
            }
        }
    }
    // A travel area that held such a listing in summer may lose it that day: exactly
    // as the model says.
    let id = through[0];
    let limit = f.route(id, open).minutes + 1.0;
    for on in [open, closed] {
        let (hits, _) = f.all(request(
            travel_area(limit),
            on,
            pb::SortOrder::Relevance,
            100,
        ));
        let expected = f.route(id, on).minutes <= limit;
        assert_eq!(hits.iter().any(|h| &h.id == id), expected, "{id} on {on}");
    }
}

#[test]
fn bad_travel_inputs_name_their_fields() {
    let f = fixture();
    let fields = |request: &pb::SearchRequest| -> Vec<String> {
        let error = SearchQuery::parse(request, f.engine.glossary(), f.engine.gazetteer())
            .expect_err("invalid");
        pyred_runtime::error::violations_of(&error.to_status())
            .into_iter()
            .map(|(field, _)| field)
            .collect()
    };
    let on = day(SUMMER);
    let mut bad = request(travel_area(0.0), on, pb::SortOrder::Relevance, 10);
    assert_eq!(fields(&bad), ["travel.max_minutes"]);
    bad.geo = Some(Geo::Travel(pb::TravelArea {
        centre: Some(pb::travel_area::Centre::Place("Atlantis".to_owned())),
        max_minutes: 800.0,
    }));
    assert_eq!(fields(&bad), ["travel.max_minutes", "travel.place"]);
    let unsorted = request(None, on, pb::SortOrder::TravelTime, 10);
    assert_eq!(fields(&unsorted), ["sort"]);
}
