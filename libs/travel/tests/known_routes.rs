//! Known routes checked against an independent shortest path over the data files.
//!
//! The test reads `data/*.csv` itself (not through the crate), builds its own graph and
//! runs its own Dijkstra with the access rule documented in `src/route.rs`, so a bug in
//! the crate's loading or routing shows up as a disagreement.

use std::collections::{BTreeMap, BinaryHeap};

use pyred_domain::gazetteer::Gazetteer;
use pyred_travel::{Day, NodeKind, Point, Source, TravelError, TravelModel};

const NODES: &str = include_str!("../data/nodes.csv");
const CROSSINGS: &str = include_str!("../data/crossings.csv");
const EDGES: &str = include_str!("../data/edges.csv");

/// The test's own view of the data.
struct Graph {
    ids: Vec<String>,
    points: Vec<(f64, f64)>,
    /// "FR", "ES" or "FR-ES" (crossings).
    country: Vec<String>,
    adjacency: Vec<Vec<(usize, f64, f64)>>, // (to, minutes, km)
}

fn records(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().expect("header").clone();
    reader
        .records()
        .map(|r| {
            let r = r.expect("record");
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

fn num(row: &BTreeMap<String, String>, key: &str) -> f64 {
    row[key].parse().expect("number")
}

fn graph() -> Graph {
    let nodes = records(NODES);
    let ids: Vec<String> = nodes.iter().map(|r| r["id"].clone()).collect();
    let mut adjacency = vec![Vec::new(); ids.len()];
    for e in records(EDGES) {
        let a = ids.iter().position(|i| *i == e["from"]).expect("from");
        let b = ids.iter().position(|i| *i == e["to"]).expect("to");
        let km = num(&e, "km");
        let minutes = km / num(&e, "speed_kmh") * 60.0;
        adjacency[a].push((b, minutes, km));
        adjacency[b].push((a, minutes, km));
    }
    Graph {
        points: nodes
            .iter()
            .map(|r| (num(r, "lat"), num(r, "lon")))
            .collect(),
        country: nodes.iter().map(|r| r["country"].clone()).collect(),
        ids,
        adjacency,
    }
}

fn haversine((lat1, lon1): (f64, f64), (lat2, lon2): (f64, f64)) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let h = ((p2 - p1) / 2.0).sin().powi(2)
        + p1.cos() * p2.cos() * ((lon2 - lon1).to_radians() / 2.0).sin().powi(2);
    2.0 * 6371.0088 * h.sqrt().min(1.0).asin()
}

/// Access links of a point: side of the nearest non-crossing node, then up to 3 nodes of
/// that side within twice its distance + 5 km, at 1.3 × great circle and 40 km/h.
fn access(g: &Graph, p: (f64, f64)) -> (String, Vec<(usize, f64)>) {
    let mut near: Vec<(usize, f64)> = (0..g.ids.len())
        .filter(|&i| g.country[i] != "FR-ES")
        .map(|i| (i, haversine(g.points[i], p)))
        .collect();
    near.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    let side = g.country[near[0].0].clone();
    let reach = 2.0 * near[0].1 + 5.0;
    let links = near
        .into_iter()
        .filter(|&(i, d)| g.country[i] == side && d <= reach)
        .take(3)
        .map(|(i, d)| (i, d * 1.3))
        .collect();
    (side, links)
}

#[derive(PartialEq)]
struct Item(f64, usize);
impl Eq for Item {}
impl Ord for Item {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        o.0.total_cmp(&self.0)
    }
}
impl PartialOrd for Item {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

/// (minutes, km, crossings on the path) of the fastest path avoiding `closed` crossing ids.
fn independent(
    g: &Graph,
    from: (f64, f64),
    to: (f64, f64),
    closed: &[&str],
) -> (f64, f64, Vec<String>) {
    let n = g.ids.len();
    let (s, t) = (n, n + 1);
    let (fs, fl) = access(g, from);
    let (ts, tl) = access(g, to);
    let mut dist = vec![f64::INFINITY; n + 2];
    let mut km = vec![0.0; n + 2];
    let mut prev = vec![usize::MAX; n + 2];
    let mut heap = BinaryHeap::new();
    dist[s] = 0.0;
    heap.push(Item(0.0, s));
    while let Some(Item(d, u)) = heap.pop() {
        if d > dist[u] {
            continue;
        }
        let mut out: Vec<(usize, f64, f64)> = Vec::new();
        if u == s {
            out.extend(fl.iter().map(|&(v, k)| (v, k / 40.0 * 60.0, k)));
            if fs == ts {
                let k = haversine(from, to) * 1.3;
                out.push((t, k / 40.0 * 60.0, k));
            }
        } else if u < n {
            out.extend(
                g.adjacency[u]
                    .iter()
                    .copied()
                    .filter(|&(v, _, _)| !closed.contains(&g.ids[v].as_str())),
            );
            out.extend(
                tl.iter()
                    .filter(|&&(v, _)| v == u)
                    .map(|&(_, k)| (t, k / 40.0 * 60.0, k)),
            );
        }
        for (v, m, k) in out {
            if d + m < dist[v] {
                dist[v] = d + m;
                km[v] = km[u] + k;
                prev[v] = u;
                heap.push(Item(dist[v], v));
            }
        }
    }
    let mut crossings = Vec::new();
    let mut at = prev[t];
    while at < n {
        if g.country[at] == "FR-ES" {
            crossings.push(g.ids[at].clone());
        }
        at = prev[at];
    }
    crossings.reverse();
    (dist[t], km[t], crossings)
}

fn node_point(g: &Graph, id: &str) -> (f64, f64) {
    g.points[g.ids.iter().position(|i| i == id).expect("node")]
}

fn pt((lat, lon): (f64, f64)) -> Point {
    Point::new(lat, lon).expect("point")
}

fn day(s: &str) -> Day {
    Day::parse(s).expect("day")
}

fn model() -> &'static TravelModel {
    TravelModel::bundled()
}

#[test]
fn data_files_parse_and_every_crossing_has_a_source_or_says_unverified() {
    let m = model();
    assert_eq!(m.nodes().len(), records(NODES).len());
    assert_eq!(m.edges().len(), records(EDGES).len());
    assert_eq!(m.crossings().len(), records(CROSSINGS).len());
    for row in records(CROSSINGS) {
        let url = &row["source_url"];
        assert!(
            url == "unverified" || (url.starts_with("http") && !row["source_title"].is_empty()),
            "crossing {} has no source",
            row["id"]
        );
    }
    for c in m.crossings() {
        assert!(matches!(
            c.source(),
            Source::Page { .. } | Source::Unverified
        ));
        assert!(!c.roads().is_empty());
    }
    for id in [
        "somport-tunnel",
        "somport-pass",
        "portalet",
        "bielsa-tunnel",
        "irun",
        "le-perthus",
        "puymorens-tunnel",
    ] {
        assert!(
            m.crossings().iter().any(|c| c.id().as_str() == id),
            "the crossing {id} is missing"
        );
    }
}

#[test]
fn territory_places_sit_where_the_gazetteer_puts_them() {
    let gazetteer = Gazetteer::embedded();
    let mut places = 0;
    for node in model().nodes() {
        if let NodeKind::Place { code, .. } = node.kind() {
            let place = gazetteer.by_code(code).expect("a gazetteer code");
            let point = place.point().expect("a gazetteer point");
            assert!(
                point.distance_km(&node.point()) < 0.01,
                "{} is not at {}",
                node.id(),
                place.name()
            );
            places += 1;
        }
    }
    assert!(places >= 30);
}

#[test]
fn auch_to_jaca_crosses_at_somport_or_portalet_and_is_longer_than_auch_to_toulouse() {
    let g = graph();
    let on = day("2026-06-15");
    let jaca = model()
        .route(pt(node_point(&g, "auch")), pt(node_point(&g, "jaca")), on)
        .expect("route");
    let toulouse = model()
        .route(
            pt(node_point(&g, "auch")),
            pt(node_point(&g, "toulouse")),
            on,
        )
        .expect("route");
    let crossing = jaca.crossing.as_ref().map(|c| c.as_str());
    assert!(
        matches!(
            crossing,
            Some("somport-tunnel" | "somport-pass" | "portalet")
        ),
        "Auch → Jaca crossed at {crossing:?}"
    );
    assert!(jaca.km > toulouse.km, "{} km ≤ {} km", jaca.km, toulouse.km);
    assert!(jaca.minutes > toulouse.minutes);
    assert_eq!(toulouse.crossing, None);
}

#[test]
fn auch_to_logrono_goes_west_unless_a_central_crossing_is_faster() {
    let g = graph();
    let (auch, logrono) = (node_point(&g, "auch"), node_point(&g, "logrono"));
    let r = model()
        .route(pt(auch), pt(logrono), day("2026-06-15"))
        .expect("route");
    let (minutes, km, crossings) = independent(&g, auch, logrono, &[]);
    assert!((r.minutes - minutes).abs() < 1e-6 && (r.km - km).abs() < 1e-6);
    assert_eq!(
        r.crossing.as_ref().map(|c| c.as_str().to_owned()),
        crossings.first().cloned()
    );
    let central: Vec<&str> = (0..g.ids.len())
        .filter(|&i| g.country[i] == "FR-ES" && g.ids[i] != "irun")
        .map(|i| g.ids[i].as_str())
        .collect();
    let west_only = independent(&g, auch, logrono, &central);
    if r.crossing.as_ref().map(|c| c.as_str()) == Some("irun") {
        assert!((west_only.0 - r.minutes).abs() < 1e-6);
    } else {
        assert!(
            r.minutes < west_only.0,
            "a central crossing was chosen although the west is faster"
        );
    }
}

#[test]
fn every_route_between_territory_places_is_the_independent_shortest_path() {
    let g = graph();
    let places: Vec<usize> = records(NODES)
        .iter()
        .enumerate()
        .filter(|(_, r)| r["kind"] == "place")
        .map(|(i, _)| i)
        .collect();
    let on = day("2026-06-15");
    for &a in &places {
        for &b in &places {
            let r = model()
                .route(pt(g.points[a]), pt(g.points[b]), on)
                .expect("route");
            let (minutes, km, crossings) = independent(&g, g.points[a], g.points[b], &[]);
            assert!(
                (r.minutes - minutes).abs() < 1e-6,
                "{} → {}: {} ≠ {minutes}",
                g.ids[a],
                g.ids[b],
                r.minutes
            );
            assert!(
                (r.km - km).abs() < 1e-6,
                "{} → {}: {} ≠ {km} km",
                g.ids[a],
                g.ids[b],
                r.km
            );
            assert_eq!(
                r.crossing.as_ref().map(|c| c.as_str().to_owned()),
                crossings.first().cloned()
            );
            // The border is crossed only through a crossing node.
            if g.country[a] != g.country[b] {
                assert!(
                    r.crossing.is_some(),
                    "{} → {} changed country without a crossing",
                    g.ids[a],
                    g.ids[b]
                );
            }
            for pair in r.via.windows(2) {
                let country =
                    |id: &str| &g.country[g.ids.iter().position(|i| i == id).expect("a node")];
                let (ca, cb) = (country(pair[0].as_str()), country(pair[1].as_str()));
                assert!(
                    ca == cb || ca == "FR-ES" || cb == "FR-ES",
                    "{} → {} jumps the border",
                    pair[0],
                    pair[1]
                );
            }
        }
    }
}

#[test]
fn a_closed_crossing_changes_the_route_and_sets_the_detour() {
    let g = graph();
    let (auch, bielsa) = (node_point(&g, "auch"), node_point(&g, "bielsa"));
    let open = model()
        .route(pt(auch), pt(bielsa), day("2026-06-15"))
        .expect("route");
    assert_eq!(
        open.crossing.as_ref().map(|c| c.as_str()),
        Some("bielsa-tunnel")
    );
    assert_eq!(open.closed_detour, None);
    // Closed for avalanche risk on 18–19 January 2026 (data/crossings.csv).
    let closed = model()
        .route(pt(auch), pt(bielsa), day("2026-01-18"))
        .expect("route");
    assert_ne!(closed.crossing, open.crossing);
    let (crossing, extra) = closed.closed_detour.clone().expect("a detour");
    assert_eq!(crossing.as_str(), "bielsa-tunnel");
    assert!(extra > 0.0);
    let (minutes, _, crossings) = independent(&g, auch, bielsa, &["bielsa-tunnel"]);
    assert!((closed.minutes - minutes).abs() < 1e-6);
    assert!((extra - (minutes - open.minutes)).abs() < 1e-6);
    assert_eq!(
        closed.crossing.as_ref().map(|c| c.as_str().to_owned()),
        crossings.first().cloned()
    );
    // The day after, open again.
    let after = model()
        .route(pt(auch), pt(bielsa), day("2026-01-20"))
        .expect("route");
    assert_eq!(after, open);
}

#[test]
fn seasonal_and_dated_closures_of_the_puymorens_crossings() {
    let g = graph();
    let (toulouse, puigcerda) = (node_point(&g, "toulouse"), node_point(&g, "puigcerda"));
    let summer = model()
        .route(pt(toulouse), pt(puigcerda), day("2026-06-15"))
        .expect("route");
    assert_eq!(
        summer.crossing.as_ref().map(|c| c.as_str()),
        Some("puymorens-tunnel")
    );
    // The col closes in winter, but the tunnel is the better crossing anyway: no detour.
    let winter = model()
        .route(pt(toulouse), pt(puigcerda), day("2027-01-10"))
        .expect("route");
    assert_eq!(winter, summer);
    // The tunnel was closed for works from 15 April to 15 November 2013: over the col.
    let works = model()
        .route(pt(toulouse), pt(puigcerda), day("2013-06-01"))
        .expect("route");
    assert_eq!(
        works.crossing.as_ref().map(|c| c.as_str()),
        Some("puymorens-col")
    );
    let (crossing, extra) = works.closed_detour.expect("a detour");
    assert_eq!(crossing.as_str(), "puymorens-tunnel");
    assert!(extra > 0.0);
}

#[test]
fn a_point_far_from_any_node_still_routes() {
    let g = graph();
    // In the Bay of Biscay, and in the south of Teruel province, far from every node.
    for far in [(44.6, -2.5), (40.1, -0.6)] {
        let r = model()
            .route(pt(far), pt(node_point(&g, "auch")), day("2026-06-15"))
            .expect("route");
        assert!(r.minutes.is_finite() && r.km > 0.0);
        let (minutes, _, _) = independent(&g, far, node_point(&g, "auch"), &[]);
        assert!((r.minutes - minutes).abs() < 1e-6);
    }
    // A farm between Auch and Mirande, not at a node.
    let r = model()
        .route(
            pt((43.58, 0.50)),
            pt(node_point(&g, "zaragoza")),
            day("2026-06-15"),
        )
        .expect("route");
    assert!(r.crossing.is_some());
}

#[test]
fn a_graph_that_crosses_the_border_without_a_crossing_is_refused() {
    let bad_edges = format!("{EDGES}auch,jaca,imaginary,motorway,200.0,115,estimated\n");
    let err = TravelModel::from_csv(NODES, CROSSINGS, &bad_edges).expect_err("refused");
    assert!(
        matches!(
            err,
            TravelError::Invalid {
                file: "edges.csv",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("without a crossing"), "{err}");

    let no_source = CROSSINGS.replace("https://en.wikipedia.org/wiki/El_Portalet", "");
    assert!(TravelModel::from_csv(NODES, &no_source, EDGES).is_err());
    let bad_regime = CROSSINGS.replace("seasonal 12-01..04-15", "seasonal 12-01..04-31");
    assert!(TravelModel::from_csv(NODES, &bad_regime, EDGES).is_err());
    let unknown = format!("{EDGES}auch,atlantis,N0,national,10.0,75,estimated\n");
    assert!(TravelModel::from_csv(NODES, CROSSINGS, &unknown).is_err());
    let wrong_speed = EDGES.replacen(
        "auch,gimont,N124,expressway,28.5,95",
        "auch,gimont,N124,expressway,28.5,130",
        1,
    );
    assert!(TravelModel::from_csv(NODES, CROSSINGS, &wrong_speed).is_err());
    let duplicate = format!("{NODES}auch,Auch again,place,FR,43.6,0.5,32013,gazetteer\n");
    assert!(TravelModel::from_csv(&duplicate, CROSSINGS, EDGES).is_err());
}

#[test]
fn the_edges_file_is_what_the_rebuild_script_would_write() {
    // Same rule as scripts/rebuild-travel-data.py: estimated lengths are the great circle
    // times the kind's detour factor, rounded to 0.1 km.
    let g = graph();
    let factor = |kind: &str| match kind {
        "motorway" | "expressway" => 1.15,
        "national" | "secondary" => 1.25,
        "valley" => 1.35,
        "pass" => 1.60,
        other => panic!("unknown kind {other}"),
    };
    for e in records(EDGES) {
        if e["length_source"] == "estimated" {
            let d = haversine(node_point(&g, &e["from"]), node_point(&g, &e["to"]))
                * factor(&e["kind"]);
            assert!(
                (num(&e, "km") - d).abs() <= 0.051,
                "{}-{}: {} vs {d:.2}",
                e["from"],
                e["to"],
                e["km"]
            );
        } else {
            assert!(e["length_source"].starts_with("http"));
        }
    }
}

#[test]
fn points_anywhere_in_the_area_route_as_the_independent_rule_says() {
    // A grid over the whole area (0.13° ≈ 12 km), so that points fall at every distance
    // from the nodes and the access rule (3 neighbours, reach, factor, speed) is exercised.
    let g = graph();
    let on = day("2026-06-15");
    let targets = [
        node_point(&g, "auch"),
        node_point(&g, "zaragoza"),
        (42.9, 0.9),
    ];
    let mut lat = 40.2;
    while lat < 44.2 {
        let mut lon = -3.2;
        while lon < 2.0 {
            for &to in &targets {
                let r = model().route(pt((lat, lon)), pt(to), on).expect("route");
                let (minutes, km, _) = independent(&g, (lat, lon), to, &[]);
                assert!(
                    (r.minutes - minutes).abs() < 1e-6,
                    "({lat}, {lon}) → {to:?}: {} ≠ {minutes}",
                    r.minutes
                );
                assert!((r.km - km).abs() < 1e-6);
            }
            lon += 0.13;
        }
        lat += 0.13;
    }
}

#[test]
fn one_reach_serves_many_destinations_and_routes_are_symmetric() {
    let g = graph();
    // Bielsa is closed for avalanche risk on 18 January 2026: the reach keeps both trees.
    for on in [day("2026-06-15"), day("2026-01-18")] {
        let from = pt(node_point(&g, "auch"));
        let reach = model().reach(from, on);
        assert_eq!(reach.day(), on);
        let places: Vec<(f64, f64)> = records(NODES)
            .iter()
            .enumerate()
            .filter(|(_, r)| r["kind"] == "place")
            .map(|(i, _)| g.points[i])
            .collect();
        assert!(places.len() > 10);
        for &p in &places {
            let many = reach.route_to(pt(p)).expect("route");
            let closed: Vec<&str> = if on == day("2026-01-18") {
                vec!["bielsa-tunnel"]
            } else {
                Vec::new()
            };
            let (minutes, km, _) = independent(&g, node_point(&g, "auch"), p, &closed);
            assert!(
                (many.minutes - minutes).abs() < 1e-6,
                "{many:?} ≠ {minutes}"
            );
            assert!((many.km - km).abs() < 1e-6);
            let back = model().route(pt(p), from, on).expect("route back");
            assert!(
                (back.minutes - many.minutes).abs() < 1e-6,
                "there {} min, back {} min",
                many.minutes,
                back.minutes
            );
        }
    }
}

#[test]
fn trips_from_located_points_agree_with_routes_and_respect_the_speed_bound() {
    let g = graph();
    let max_speed = model().max_speed_kmh();
    assert!((100.0..=140.0).contains(&max_speed), "{max_speed} km/h");
    // Puymorens col closed in winter, Bielsa closed on 18 January 2026, neither in June.
    for on in [day("2026-06-15"), day("2026-01-18"), day("2026-12-20")] {
        for from in ["auch", "condom", "mirande"] {
            let origin = node_point(&g, from);
            let reach = model().reach_located(model().locate(pt(origin)), on);
            let mut lat = 40.3;
            while lat < 43.9 {
                let mut lon = -2.9;
                while lon < 1.9 {
                    let to = model().locate(pt((lat, lon)));
                    let trip = reach.trip_to(&to).expect("trip");
                    let route = reach.route_to(pt((lat, lon))).expect("route");
                    assert!((trip.minutes - route.minutes).abs() < 1e-9);
                    assert!((trip.km - route.km).abs() < 1e-9);
                    assert_eq!(
                        trip.crossing.map(|c| c.id().clone()),
                        route.crossing,
                        "{from} → ({lat}, {lon}) on {on}"
                    );
                    assert_eq!(
                        trip.closed_detour
                            .map(|(c, m)| (c.id().clone(), (m * 1e6).round())),
                        route
                            .closed_detour
                            .clone()
                            .map(|(c, m)| (c, (m * 1e6).round())),
                    );
                    let crow = haversine(origin, (lat, lon));
                    assert!(
                        trip.minutes + 1e-9 >= crow / max_speed * 60.0,
                        "{from} → ({lat}, {lon}): {} min for {crow} km",
                        trip.minutes
                    );
                    lon += 0.29;
                }
                lat += 0.29;
            }
        }
    }
}

#[test]
fn no_route_beats_the_great_circle_at_the_model_s_maximum_speed() {
    let model = model();
    let fastest = model.max_speed_kmh();
    // Every bundled road is at least as long as the great circle between its ends, so
    // the bound is the motorway speed at most; and at least the access links' pace.
    assert!(
        fastest <= pyred_travel::RoadKind::Motorway.speed_kmh() + 1e-9,
        "{fastest}"
    );
    assert!(fastest >= pyred_travel::ACCESS_SPEED_KMH / pyred_travel::ACCESS_DETOUR_FACTOR);
    let g = graph();
    // Every node to every node, on a day with closures and a day without, plus points
    // between nodes (access links).
    let mut points: Vec<(f64, f64)> = g.points.clone();
    points.extend([(43.58, 0.50), (42.3, -0.9), (44.6, -2.5), (40.1, -0.6)]);
    for on in [day("2026-06-15"), day("2026-01-18")] {
        for &from in &points {
            let reach = model.reach(pt(from), on);
            for &to in &points {
                let route = reach.route_to(pt(to)).expect("route");
                let straight = pt(from).distance_km(&pt(to));
                assert!(
                    route.minutes + 1e-9 >= straight / fastest * 60.0,
                    "{from:?} → {to:?}: {} min for {straight} km",
                    route.minutes
                );
            }
        }
    }
}
