//! Geo-search over real gRPC, fed only by the registry's change feed: the embedded demo
//! set (21 Gers firms, 50 listings) is imported through the registry, and every
//! expectation is computed from what the registry itself returns.
//!
//! Liveness is evaluated `as_of` a fixed day, so the tests do not age with the calendar.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use pyred_domain::{Gazetteer, GeoPoint};
use pyred_e2e::{TestStack, registry_last_seq, spawn_stack, wait_until};
use pyred_proto::v1::company_registry_client::CompanyRegistryClient;
use pyred_proto::v1::geo_search_client::GeoSearchClient;
use pyred_proto::v1::{self as pb, search_request::Geo};
use pyred_runtime::client::ServiceChannel;

/// The day liveness is evaluated on: after the demo's publications, before most deadlines.
const AS_OF: pb::Date = pb::Date {
    year: 2026,
    month: 12,
    day: 1,
};

fn days(date: Option<&pb::Date>) -> i64 {
    let date = date.expect("a date");
    pyred_domain::Day::try_from(date)
        .expect("a real day")
        .days_since_epoch()
}

/// The demo data as the registry holds it.
struct Demo {
    companies: BTreeMap<String, pb::Company>,
    opportunities: BTreeMap<String, pb::Opportunity>,
    last_seq: i64,
}

impl Demo {
    fn is_live(&self, opportunity: &pb::Opportunity) -> bool {
        let status = pb::OpportunityStatus::try_from(opportunity.status);
        matches!(
            status,
            Ok(pb::OpportunityStatus::Published | pb::OpportunityStatus::Expired)
        ) && days(opportunity.expires_on.as_ref()) >= days(Some(&AS_OF))
    }

    fn opportunity_by_external(&self, external_id: &str) -> &pb::Opportunity {
        self.opportunities
            .values()
            .find(|o| o.external_id == external_id)
            .unwrap_or_else(|| panic!("{external_id} is in the demo set"))
    }

    fn company_by_external(&self, external_id: &str) -> &pb::Company {
        self.companies
            .values()
            .find(|c| c.external_id == external_id)
            .unwrap_or_else(|| panic!("{external_id} is in the demo set"))
    }

    /// Every record with its point: (id, location).
    fn points(&self) -> Vec<(String, pb::Location)> {
        let companies = self
            .companies
            .values()
            .filter_map(|c| Some((c.id.clone(), c.location.clone()?)));
        let opportunities = self
            .opportunities
            .values()
            .filter_map(|o| Some((o.id.clone(), o.location.clone()?)));
        companies.chain(opportunities).collect()
    }
}

struct Fixture {
    test: TestStack,
    registry: CompanyRegistryClient<ServiceChannel>,
    geo: GeoSearchClient<ServiceChannel>,
    demo: Demo,
}

async fn read_demo(registry: &mut CompanyRegistryClient<ServiceChannel>) -> Demo {
    let mut companies = BTreeMap::new();
    let mut token = String::new();
    loop {
        let page = registry
            .list_companies(pb::ListCompaniesRequest {
                page: Some(pb::PageRequest {
                    page_size: 100,
                    page_token: token.clone(),
                }),
                ..Default::default()
            })
            .await
            .expect("companies listed")
            .into_inner();
        companies.extend(page.companies.into_iter().map(|c| (c.id.clone(), c)));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let mut opportunities = BTreeMap::new();
    let mut token = String::new();
    loop {
        let page = registry
            .list_opportunities(pb::ListOpportunitiesRequest {
                page: Some(pb::PageRequest {
                    page_size: 100,
                    page_token: token.clone(),
                }),
                ..Default::default()
            })
            .await
            .expect("opportunities listed")
            .into_inner();
        opportunities.extend(page.opportunities.into_iter().map(|o| (o.id.clone(), o)));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    Demo {
        companies,
        opportunities,
        last_seq: registry_last_seq(registry).await,
    }
}

/// Waits until geo-search has applied the registry's change `seq`.
async fn wait_applied(geo: &mut GeoSearchClient<ServiceChannel>, seq: i64) -> pb::IndexStatus {
    wait_until(
        &format!("the index to apply seq {seq}"),
        Duration::from_secs(60),
        || {
            let mut geo = geo.clone();
            async move {
                let status = geo
                    .get_index_status(pb::GetIndexStatusRequest {})
                    .await
                    .expect("status answers")
                    .into_inner();
                (status.applied_seq >= seq).then_some(status)
            }
        },
    )
    .await
}

async fn loaded() -> Fixture {
    let test = spawn_stack().await;
    let outcome = pyred::import::load_demo(
        &test.connector().with_timeout(Duration::from_secs(30)),
        &test.stack.addresses.registry,
    )
    .await
    .expect("demo loads");
    assert!(matches!(outcome, pyred::import::DemoOutcome::Loaded { .. }));
    let mut registry = CompanyRegistryClient::new(test.channel(&test.stack.addresses.registry));
    let mut geo = GeoSearchClient::new(test.channel(&test.stack.addresses.geo_search));
    let demo = read_demo(&mut registry).await;
    assert_eq!((demo.companies.len(), demo.opportunities.len()), (21, 50));
    wait_applied(&mut geo, demo.last_seq).await;
    Fixture {
        test,
        registry,
        geo,
        demo,
    }
}

fn filters() -> pb::SearchFilters {
    pb::SearchFilters {
        as_of: Some(AS_OF),
        ..Default::default()
    }
}

fn request(query: &str, filters: pb::SearchFilters) -> pb::SearchRequest {
    pb::SearchRequest {
        query: query.to_owned(),
        filters: Some(filters),
        ..Default::default()
    }
}

async fn search(
    geo: &mut GeoSearchClient<ServiceChannel>,
    request: pb::SearchRequest,
) -> pb::SearchResponse {
    geo.search(request)
        .await
        .expect("search answers")
        .into_inner()
}

/// Every hit of a search, following the page tokens.
async fn search_all(
    geo: &mut GeoSearchClient<ServiceChannel>,
    mut request: pb::SearchRequest,
) -> (Vec<pb::SearchHit>, pb::SearchResponse) {
    let mut hits = Vec::new();
    request.page = Some(pb::PageRequest {
        page_size: 7,
        page_token: String::new(),
    });
    let mut first = None;
    loop {
        let response = search(geo, request.clone()).await;
        hits.extend(response.hits.iter().cloned());
        let next = response.next_page_token.clone();
        first.get_or_insert(response);
        if next.is_empty() {
            break;
        }
        request.page = Some(pb::PageRequest {
            page_size: 7,
            page_token: next,
        });
    }
    let first = first.expect("one page at least");
    let ids: BTreeSet<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids.len(), hits.len(), "no hit twice across pages");
    assert_eq!(hits.len() as i64, first.total, "pages add up to the total");
    (hits, first)
}

fn ids(hits: &[pb::SearchHit]) -> BTreeSet<String> {
    hits.iter().map(|h| h.id.clone()).collect()
}

#[tokio::test]
async fn a_french_query_finds_spanish_listings_through_shared_concepts() {
    let mut f = loaded().await;
    let mut filters = filters();
    filters.entity = pb::EntityKind::Opportunity as i32;
    let response = search(
        &mut f.geo,
        request("usinage de pièces aéronautiques", filters),
    )
    .await;
    assert_eq!(response.query_language, pb::Language::Fr as i32);
    assert_eq!(response.index_seq, f.demo.last_seq);
    let found = ids(&response.hits);
    for external in ["demo-arex-0104", "demo-arex-0102"] {
        let listing = f.demo.opportunity_by_external(external);
        assert_eq!(listing.language, pb::Language::Es as i32);
        assert!(
            found.contains(&listing.id),
            "{external} ({}) found",
            listing.title
        );
        let hit = response
            .hits
            .iter()
            .find(|h| h.id == listing.id)
            .expect("hit");
        assert!(
            hit.matched_concepts.iter().any(|c| c == "machining"),
            "{:?}",
            hit.matched_concepts
        );
        assert_eq!(hit.language, pb::Language::Es as i32);
        let snippet = hit
            .snippets
            .iter()
            .find(|s| !s.highlights.is_empty())
            .expect("a highlighted snippet");
        let marked: Vec<&str> = snippet
            .highlights
            .iter()
            .map(|h| &snippet.text[h.start as usize..h.end as usize])
            .collect();
        assert!(
            marked
                .iter()
                .any(|m| m.to_lowercase().contains("mecanizado")
                    || m.contains("aeronáutico")
                    || m.contains("piezas")),
            "Spanish words are marked in the Spanish text: {marked:?} in {:?}",
            snippet.text
        );
    }
    // The French listing on machining aeronautical parts comes first; of the Spanish
    // ones, La Muela's, which says both "mecanizado" and "aeronáutico".
    let titles: Vec<&str> = response.hits.iter().map(|h| h.title.as_str()).collect();
    assert_eq!(
        response.hits[0].id,
        f.demo.opportunity_by_external("demo-cci-gers-0305").id,
        "{titles:#?}"
    );
    let first_spanish = response
        .hits
        .iter()
        .find(|h| h.language == pb::Language::Es as i32)
        .expect("Spanish hits");
    assert_eq!(
        first_spanish.id,
        f.demo.opportunity_by_external("demo-arex-0104").id,
        "{titles:#?}"
    );
    f.test.stack.stop().await.expect("clean stop");
}

#[tokio::test]
async fn a_spanish_query_finds_the_french_machining_firms() {
    let mut f = loaded().await;
    let mut filters = filters();
    filters.entity = pb::EntityKind::Company as i32;
    let response = search(&mut f.geo, request("mecanizado aeronáutico", filters)).await;
    assert_eq!(response.query_language, pb::Language::Es as i32);
    let saves = f.demo.company_by_external("demo-gers-04");
    assert_eq!(
        response.hits.first().map(|h| h.id.as_str()),
        Some(saves.id.as_str()),
        "{:?}",
        response.hits.iter().map(|h| &h.title).collect::<Vec<_>>()
    );
    let hit = &response.hits[0];
    assert_eq!(hit.entity, pb::EntityKind::Company as i32);
    assert!(hit.matched_concepts.iter().any(|c| c == "machining"));
    assert!(hit.matched_concepts.iter().any(|c| c == "aeronautics"));
    assert_eq!(hit.title, "Savès Usinage Aéro");
    f.test.stack.stop().await.expect("clean stop");
}

#[tokio::test]
async fn a_region_filter_returns_exactly_the_live_records_of_that_region() {
    let mut f = loaded().await;
    let gazetteer = Gazetteer::embedded();
    for region in ["ES-AR", "ES-RI", "FR-32", "ES-Z"] {
        let mut filters = filters();
        filters.regions = vec![region.to_owned()];
        let (hits, _) = search_all(&mut f.geo, request("", filters)).await;
        let in_region = |r: &str, location: Option<&pb::Location>| {
            r == region
                || location
                    .and_then(|l| gazetteer.by_code(&l.place_code))
                    .is_some_and(|p| p.subdivision().as_str() == region)
        };
        let expected: BTreeSet<String> = f
            .demo
            .opportunities
            .values()
            .filter(|o| f.demo.is_live(o) && in_region(&o.region, o.location.as_ref()))
            .map(|o| o.id.clone())
            .chain(
                f.demo
                    .companies
                    .values()
                    .filter(|c| in_region(&c.region, c.location.as_ref()))
                    .map(|c| c.id.clone()),
            )
            .collect();
        assert!(!expected.is_empty(), "{region} has records");
        assert_eq!(ids(&hits), expected, "{region}");
        if region != "ES-Z" {
            assert!(hits.iter().all(|h| h.region == region));
        }
    }
    // A text query filtered to Aragón returns only Aragón.
    let mut filters = filters();
    filters.regions = vec!["ES-AR".to_owned()];
    let (hits, _) = search_all(&mut f.geo, request("bodega vino depósitos", filters)).await;
    assert!(!hits.is_empty());
    assert!(hits.iter().all(|h| h.region == "ES-AR"), "{hits:?}");
    f.test.stack.stop().await.expect("clean stop");
}

#[tokio::test]
async fn within_30_km_of_logrono_is_exactly_what_the_geodesy_says() {
    let mut f = loaded().await;
    let logrono = Gazetteer::embedded()
        .resolve("Logroño")
        .and_then(|p| p.point())
        .expect("Logroño has a point");
    let mut filters = filters();
    filters.include_not_live = true;
    let mut req = request("", filters);
    req.geo = Some(Geo::Radius(pb::GeoRadius {
        centre: Some(pb::geo_radius::Centre::Place("Logroño".to_owned())),
        radius_km: 30.0,
    }));
    req.sort = pb::SortOrder::Distance as i32;
    let (hits, first) = search_all(&mut f.geo, req).await;
    assert!(first.geo_fallback.is_empty(), "Logroño has its own point");
    let distances: HashMap<String, f64> = f
        .demo
        .points()
        .into_iter()
        .map(|(id, l)| {
            let point =
                GeoPoint::new(l.lat_or_zero(), l.lon_or_zero()).expect("stored points are valid");
            (id, logrono.distance_km(&point))
        })
        .collect();
    let expected: BTreeSet<String> = distances
        .iter()
        .filter(|(_, d)| **d <= 30.0)
        .map(|(id, _)| id.clone())
        .collect();
    assert!(
        expected.len() >= 5,
        "the demo has listings around Logroño: {expected:?}"
    );
    assert!(
        distances.values().any(|d| *d > 30.0 && *d < 60.0),
        "some records lie just outside, so the filter is really exercised"
    );
    assert_eq!(ids(&hits), expected);
    let mut previous = 0.0;
    for hit in &hits {
        let distance = hit.distance_km.expect("a distance with a geo reference");
        assert!((distance - distances[&hit.id]).abs() < 1e-6);
        assert!(distance >= previous, "nearest first");
        previous = distance;
    }
    f.test.stack.stop().await.expect("clean stop");
}

#[tokio::test]
async fn a_withdrawn_listing_disappears_and_a_new_one_appears_within_a_second() {
    let mut f = loaded().await;
    let listing = f.demo.opportunity_by_external("demo-ader-0202").clone();
    let query = || {
        let mut filters = filters();
        filters.regions = vec!["ES-RI".to_owned()];
        request("depósitos de acero inoxidable", filters)
    };
    let before = search(&mut f.geo, query()).await;
    assert!(ids(&before.hits).contains(&listing.id), "live before");

    let changed = f
        .registry
        .change_opportunity_status(pb::ChangeOpportunityStatusRequest {
            id: listing.id.clone(),
            change: pb::StatusChange::Withdraw as i32,
            ..Default::default()
        })
        .await
        .expect("withdrawn")
        .into_inner();
    let acked = Instant::now();
    assert_eq!(changed.status, pb::OpportunityStatus::Withdrawn as i32);
    let deadline = acked + Duration::from_secs(10);
    let gone_after = loop {
        let response = search(&mut f.geo, query()).await;
        if !ids(&response.hits).contains(&listing.id) {
            break acked.elapsed();
        }
        assert!(
            Instant::now() < deadline,
            "still found 10 s after the withdrawal"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    eprintln!("withdrawal reflected after {gone_after:?}");
    assert!(
        gone_after <= Duration::from_secs(1),
        "gone after {gone_after:?}"
    );
    // Not live any more, but still there for whoever asks for every status.
    let mut all = filters();
    all.include_not_live = true;
    let hit = search(&mut f.geo, request("depósitos de acero inoxidable", all))
        .await
        .hits
        .into_iter()
        .find(|h| h.id == listing.id)
        .expect("withdrawn listings stay searchable on request");
    assert_eq!(hit.status, pb::OpportunityStatus::Withdrawn as i32);

    let mut fresh = listing.clone();
    fresh.id.clear();
    fresh.external_id = "fresh-0001".to_owned();
    fresh.title = "Bodega de Haro busca tonelería francesa de roble".to_owned();
    fresh.status = 0;
    let synced = f
        .registry
        .sync_listings(pb::SyncListingsRequest {
            source: fresh.source.clone(),
            upserts: vec![fresh],
            withdrawals: vec![],
            ..Default::default()
        })
        .await
        .expect("synced")
        .into_inner();
    let acked = Instant::now();
    let new_id = synced.results[0].id.clone();
    assert!(!new_id.is_empty(), "{synced:?}");
    let deadline = acked + Duration::from_secs(10);
    let found_after = loop {
        let response = search(&mut f.geo, request("tonelería roble", filters())).await;
        if ids(&response.hits).contains(&new_id) {
            break acked.elapsed();
        }
        assert!(Instant::now() < deadline, "not found 10 s after the sync");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    eprintln!("new listing found after {found_after:?}");
    assert!(
        found_after <= Duration::from_secs(1),
        "found after {found_after:?}"
    );
    f.test.stack.stop().await.expect("clean stop");
}

#[tokio::test]
async fn facet_counts_equal_the_hits_per_value() {
    let mut f = loaded().await;
    for query in ["", "vino", "proveedor"] {
        let mut req = request(query, filters());
        req.facets = true;
        let (hits, first) = search_all(&mut f.geo, req.clone()).await;
        assert!(!hits.is_empty(), "{query:?}");
        let facets = first.facets.clone().expect("facets asked");
        let count = |values: Vec<String>| {
            let mut counts: BTreeMap<String, i64> = BTreeMap::new();
            for value in values.into_iter().filter(|v| !v.is_empty()) {
                *counts.entry(value).or_default() += 1;
            }
            counts
        };
        let as_map = |list: &[pb::FacetCount]| -> BTreeMap<String, i64> {
            list.iter().map(|c| (c.value.clone(), c.count)).collect()
        };
        assert_eq!(
            as_map(&facets.regions),
            count(hits.iter().map(|h| h.region.clone()).collect())
        );
        assert_eq!(
            as_map(&facets.languages),
            count(
                hits.iter()
                    .map(|h| match pb::Language::try_from(h.language) {
                        Ok(pb::Language::Fr) => "fr".to_owned(),
                        Ok(pb::Language::Es) => "es".to_owned(),
                        _ => String::new(),
                    })
                    .collect()
            )
        );
        let kind_names: HashMap<i32, &str> = [
            (pb::OpportunityKind::BusinessOffer, "business_offer"),
            (pb::OpportunityKind::BusinessRequest, "business_request"),
            (pb::OpportunityKind::Partnership, "partnership"),
            (pb::OpportunityKind::Tender, "tender"),
            (pb::OpportunityKind::TechnologyOffer, "technology_offer"),
            (pb::OpportunityKind::TechnologyRequest, "technology_request"),
        ]
        .into_iter()
        .map(|(k, n)| (k as i32, n))
        .collect();
        assert_eq!(
            as_map(&facets.kinds),
            count(
                hits.iter()
                    .filter_map(|h| kind_names.get(&h.kind).map(|n| (*n).to_owned()))
                    .collect()
            )
        );
        // A division's count is the number of results filed under it.
        assert!(!facets.nace_divisions.is_empty());
        for division in &facets.nace_divisions {
            let mut filtered = req.filters.clone().expect("filters");
            filtered.nace_prefix = division.value.clone();
            let mut narrowed = req.clone();
            narrowed.filters = Some(filtered);
            narrowed.facets = false;
            let response = search(&mut f.geo, narrowed).await;
            assert_eq!(
                response.total, division.count,
                "division {}",
                division.value
            );
        }
        let total: i64 = facets.regions.iter().map(|c| c.count).sum();
        assert_eq!(total, first.total, "every result has one region");
    }
    f.test.stack.stop().await.expect("clean stop");
}

#[tokio::test]
async fn typos_and_missing_accents_are_tolerated() {
    let mut f = loaded().await;
    let saves = f.demo.company_by_external("demo-gers-04").id.clone();
    let muela = f.demo.opportunity_by_external("demo-arex-0104").id.clone();
    for (query, expected) in [
        ("usinnage", &saves),
        ("aeronautiqe", &saves),
        ("mecanisado aeronautico", &muela),
        ("Saves Usinage Aero", &saves),
    ] {
        let response = search(&mut f.geo, request(query, filters())).await;
        assert!(
            ids(&response.hits).contains(expected),
            "{query:?}: {:?}",
            response.hits.iter().map(|h| &h.title).collect::<Vec<_>>()
        );
    }
    // Under five letters, no edit is allowed: "vimo" is not "vino".
    let exact = search(&mut f.geo, request("vino", filters())).await;
    let typo = search(&mut f.geo, request("vimo", filters())).await;
    assert!(exact.total > 0);
    assert_eq!(
        typo.total,
        0,
        "{:?}",
        typo.hits.iter().map(|h| &h.title).collect::<Vec<_>>()
    );
    f.test.stack.stop().await.expect("clean stop");
}

#[tokio::test]
async fn bad_filters_are_named_and_odd_text_is_just_text() {
    let mut f = loaded().await;
    let radius = |centre: pb::geo_radius::Centre, km: f64| {
        Some(Geo::Radius(pb::GeoRadius {
            centre: Some(centre),
            radius_km: km,
        }))
    };
    let place = |name: &str| pb::geo_radius::Centre::Place(name.to_owned());
    let mut cases: Vec<(pb::SearchRequest, &str)> = Vec::new();
    let mut r = request("", filters());
    r.geo = radius(place("Auch"), 0.0);
    cases.push((r, "radius.radius_km"));
    let mut r = request("", filters());
    r.geo = radius(place("Auch"), 1500.0);
    cases.push((r, "radius.radius_km"));
    let mut r = request("", filters());
    r.geo = radius(place("Atlantis"), 10.0);
    cases.push((r, "radius.place"));
    let mut r = request("", filters());
    r.geo = radius(
        pb::geo_radius::Centre::Point(pb::Location {
            lat: Some(95.0),
            lon: Some(0.5),
            ..Default::default()
        }),
        10.0,
    );
    cases.push((r, "radius.point.lat"));
    let mut r = request("", filters());
    r.geo = Some(Geo::Bbox(pb::BoundingBox {
        min_lat: 44.0,
        min_lon: 0.0,
        max_lat: 43.0,
        max_lon: 1.0,
    }));
    cases.push((r, "bbox"));
    let mut r = request("", filters());
    r.page = Some(pb::PageRequest {
        page_size: 10,
        page_token: "p1.x.y".to_owned(),
    });
    cases.push((r, "page.page_token"));
    let mut bad = filters();
    bad.nace_prefix = "99.9".to_owned();
    cases.push((request("", bad), "filters.nace_prefix"));
    let mut bad = filters();
    bad.regions = vec!["FR-75".to_owned()];
    cases.push((request("", bad), "filters.regions[0]"));
    let mut bad = filters();
    bad.regions = vec!["Aragon".to_owned()];
    cases.push((request("", bad), "filters.regions[0]"));
    for (req, field) in cases {
        let status = f.geo.search(req).await.expect_err(field);
        assert_eq!(status.code(), tonic::Code::InvalidArgument, "{field}");
        let fields: Vec<String> = pyred_runtime::error::violations_of(&status)
            .into_iter()
            .map(|(field, _)| field)
            .collect();
        assert_eq!(fields, [field]);
    }
    for text in [
        "\"usinage",
        "usinage AND (",
        "-- ¿? ** ~~~ [[]]",
        "C'est l'\u{301}usinage",
        "\u{202e}\u{0}💥",
        "*",
    ] {
        f.geo
            .search(request(text, filters()))
            .await
            .unwrap_or_else(|status| panic!("{text:?} is text, not an error: {status:?}"));
    }
    f.test.stack.stop().await.expect("clean stop");
}

#[tokio::test]
async fn an_empty_query_lists_by_the_requested_order() {
    let mut f = loaded().await;
    let mut opportunities = filters();
    opportunities.entity = pb::EntityKind::Opportunity as i32;
    let mut req = request("", opportunities);
    req.sort = pb::SortOrder::Deadline as i32;
    let (hits, _) = search_all(&mut f.geo, req).await;
    let live = f
        .demo
        .opportunities
        .values()
        .filter(|o| f.demo.is_live(o))
        .count();
    assert_eq!(hits.len(), live);
    assert!(
        live < f.demo.opportunities.len(),
        "some demo listings have expired by {AS_OF:?}"
    );
    let deadlines: Vec<i64> = hits
        .iter()
        .map(|h| {
            let o = &f.demo.opportunities[&h.id];
            o.deadline
                .as_ref()
                .or(o.expires_on.as_ref())
                .map(|d| days(Some(d)))
                .unwrap_or(i64::MAX)
        })
        .collect();
    let with_deadline: Vec<i64> = hits
        .iter()
        .filter(|h| h.deadline.is_some())
        .map(|h| days(h.deadline.as_ref()))
        .collect();
    assert!(
        with_deadline.windows(2).all(|w| w[0] <= w[1]),
        "{deadlines:?}"
    );
    let mut req = request("", filters());
    req.sort = pb::SortOrder::Published as i32;
    req.filters.as_mut().expect("filters").entity = pb::EntityKind::Opportunity as i32;
    let (hits, _) = search_all(&mut f.geo, req).await;
    let published: Vec<i64> = hits.iter().map(|h| days(h.published.as_ref())).collect();
    assert!(published.windows(2).all(|w| w[0] >= w[1]), "{published:?}");
    f.test.stack.stop().await.expect("clean stop");
}

#[tokio::test]
async fn places_are_suggested_from_the_gazetteer() {
    let mut f = loaded().await;
    let suggest = |prefix: &str| pb::SuggestPlacesRequest {
        prefix: prefix.to_owned(),
        limit: 5,
    };
    let places = f
        .geo
        .suggest_places(suggest("sarag"))
        .await
        .expect("answers")
        .into_inner()
        .places;
    assert_eq!(
        places.first().map(|p| p.name.as_str()),
        Some("Zaragoza"),
        "the exonym Saragosse"
    );
    let places = f
        .geo
        .suggest_places(suggest("logro"))
        .await
        .expect("answers")
        .into_inner()
        .places;
    assert_eq!(places.first().map(|p| p.code.as_str()), Some("26089"));
    let places = f
        .geo
        .suggest_places(suggest("32013"))
        .await
        .expect("answers")
        .into_inner()
        .places;
    assert_eq!(places.first().map(|p| p.name.as_str()), Some("Auch"));
    assert!(places[0].lat.is_some());
    let none = f
        .geo
        .suggest_places(suggest(""))
        .await
        .expect("answers")
        .into_inner()
        .places;
    assert!(none.is_empty());
    f.test.stack.stop().await.expect("clean stop");
}

#[tokio::test]
async fn a_rebuild_swaps_in_while_searches_keep_answering() {
    let mut f = loaded().await;
    let before = f
        .geo
        .get_index_status(pb::GetIndexStatusRequest {})
        .await
        .expect("status")
        .into_inner();
    assert_eq!(before.applied_seq, f.demo.last_seq);
    assert_eq!(before.documents, 71, "one document per record");
    let query = request("vino", filters());
    let expected = ids(&search(&mut f.geo, query.clone()).await.hits);
    let withdrawn = f.demo.opportunity_by_external("demo-arex-0113").id.clone();
    assert!(
        expected.contains(&withdrawn),
        "the Somontano winery looks for wine distributors"
    );

    let stop = tokio_util::sync::CancellationToken::new();
    let mut searcher = f.geo.clone();
    let searching = {
        let stop = stop.clone();
        let query = query.clone();
        tokio::spawn(async move {
            let mut answered = 0u32;
            let mut failures = Vec::new();
            while !stop.is_cancelled() {
                match searcher.search(query.clone()).await {
                    Ok(_) => answered += 1,
                    Err(status) => failures.push(status.message().to_owned()),
                }
            }
            (answered, failures)
        })
    };
    let started = f
        .geo
        .rebuild_index(pb::RebuildIndexRequest {})
        .await
        .expect("rebuild starts")
        .into_inner();
    assert!(started.rebuilding);
    // A second call while rebuilding changes nothing.
    let again = f
        .geo
        .rebuild_index(pb::RebuildIndexRequest {})
        .await
        .expect("answers")
        .into_inner();
    assert!(again.rebuilding);
    // A change during the rebuild ends up in the new generation.
    f.registry
        .change_opportunity_status(pb::ChangeOpportunityStatusRequest {
            id: withdrawn.clone(),
            change: pb::StatusChange::Withdraw as i32,
            ..Default::default()
        })
        .await
        .expect("withdrawn");
    let before_generation = before.generation;
    let after = wait_until("the rebuild to finish", Duration::from_secs(60), || {
        let mut geo = f.geo.clone();
        async move {
            let status = geo
                .get_index_status(pb::GetIndexStatusRequest {})
                .await
                .expect("status")
                .into_inner();
            (!status.rebuilding && status.generation > before_generation).then_some(status)
        }
    })
    .await;
    let last_seq = registry_last_seq(&mut f.registry).await;
    let after = if after.applied_seq < last_seq {
        wait_applied(&mut f.geo, last_seq).await
    } else {
        after
    };
    stop.cancel();
    let (answered, failures) = searching.await.expect("search loop");
    assert!(failures.is_empty(), "{failures:?}");
    assert!(answered > 0);
    assert_eq!(after.documents, 71);
    let mut expected_after = expected.clone();
    expected_after.remove(&withdrawn);
    assert_eq!(ids(&search(&mut f.geo, query).await.hits), expected_after);
    f.test.stack.stop().await.expect("clean stop");
}

#[tokio::test]
async fn pyred_search_prints_the_consoles_results_from_the_terminal() {
    use pyred::search::{SearchArgs, SearchCommandError, render_table, run};
    let f = loaded().await;
    let connector = f.test.connector();
    let url = &f.test.stack.addresses.geo_search;
    let as_of = format!("{:04}-{:02}-{:02}", AS_OF.year, AS_OF.month, AS_OF.day);
    let args = SearchArgs {
        query: "usinage aéronautique".to_owned(),
        near: Some("Saragosse".to_owned()),
        radius: Some(60.0),
        kinds: vec!["business_offer".to_owned(), "business_request".to_owned()],
        limit: 10,
        as_of: Some(as_of.clone()),
        ui: "fr".to_owned(),
        ..SearchArgs::default()
    };
    let response = run(&args, &connector, url).await.expect("the search runs");
    // The same answer as the search request the JSON API would send.
    let same = search(
        &mut f.geo.clone(),
        pyred_gateway::api::search_request(&args.query()).expect("valid"),
    )
    .await;
    let ids = |r: &pb::SearchResponse| r.hits.iter().map(|h| h.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&response), ids(&same));
    assert!(
        !response.hits.is_empty(),
        "machining listings near Zaragoza"
    );
    let mecanizado = response
        .hits
        .iter()
        .find(|h| h.title.contains("mecanizado"))
        .expect("a Spanish machining listing for a French query");
    assert!(mecanizado.distance_km.is_some_and(|d| d <= 60.0));
    let table = render_table(&response, pyred_gateway::i18n::Lang::Fr);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 2 + response.hits.len(), "{table}");
    assert!(
        lines[1].contains("Titre") && lines[1].contains("Distance"),
        "{table}"
    );
    assert!(table.contains(&mecanizado.place_name), "{table}");
    assert!(table.contains(" km"), "{table}");

    // A bad kind is refused by the JSON API's rule, named by its flag.
    let bad = SearchArgs {
        kinds: vec!["auction".to_owned()],
        ..args.clone()
    };
    match run(&bad, &connector, url).await {
        Err(SearchCommandError::Argument { flag, .. }) => assert_eq!(flag, "--kind"),
        other => panic!("expected a refused --kind, got {other:?}"),
    }
    // An unknown place is refused by geo-search, named by its flag.
    let nowhere = SearchArgs {
        near: Some("Atlantide".to_owned()),
        ..args
    };
    match run(&nowhere, &connector, url).await {
        Err(SearchCommandError::Argument { flag, .. }) => assert_eq!(flag, "--near"),
        other => panic!("expected a refused --near, got {other:?}"),
    }
}
