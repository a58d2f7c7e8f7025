//! Look-ups and distances over the embedded gazetteer, on real places.

use pyred_domain::{BoundingBox, Country, Gazetteer, GeoPoint, IsoRegion, Place};

fn gazetteer() -> &'static Gazetteer {
    Gazetteer::embedded()
}

fn code(place: Option<&Place>) -> Option<&str> {
    place.map(|p| p.code().as_str())
}

#[test]
fn counts_per_region() {
    let g = gazetteer();
    assert_eq!(g.in_subdivision(IsoRegion::GERS).count(), 458);
    let spain = g
        .places()
        .iter()
        .filter(|p| p.country() == Country::Spain)
        .count();
    assert_eq!(spain, 905);
    assert_eq!(g.in_subdivision(IsoRegion::ARAGON).count(), 202 + 236 + 293);
    assert_eq!(g.in_subdivision(IsoRegion::HUESCA).count(), 202);
    assert_eq!(g.in_subdivision(IsoRegion::TERUEL).count(), 236);
    assert_eq!(g.in_subdivision(IsoRegion::ZARAGOZA).count(), 293);
    assert_eq!(g.in_subdivision(IsoRegion::LA_RIOJA).count(), 174);
    assert_eq!(g.in_subdivision(IsoRegion::LA_RIOJA_PROVINCE).count(), 174);
}

#[test]
fn every_place_has_a_point_and_99_are_approximate() {
    let g = gazetteer();
    assert!(g.places().iter().all(|p| p.point().is_some()));
    let approximate: Vec<&Place> = g.places().iter().filter(|p| p.is_approximate()).collect();
    assert_eq!(approximate.len(), 99);
    assert!(approximate.iter().all(|p| p.country() == Country::Spain));
    // A fallback point lies inside its province's span of known points.
    for place in approximate {
        let point = place.point().expect("filled");
        let known: Vec<GeoPoint> = g
            .in_subdivision(place.subdivision())
            .filter(|p| !p.is_approximate())
            .filter_map(Place::point)
            .collect();
        let (lats, lons): (Vec<f64>, Vec<f64>) = known.iter().map(|p| (p.lat(), p.lon())).unzip();
        let within = |v: f64, all: &[f64]| {
            all.iter().copied().fold(f64::INFINITY, f64::min) <= v
                && v <= all.iter().copied().fold(f64::NEG_INFINITY, f64::max)
        };
        assert!(
            within(point.lat(), &lats) && within(point.lon(), &lons),
            "{}",
            place.name()
        );
    }
}

#[test]
fn zaragoza_by_exonym_name_and_code() {
    let g = gazetteer();
    let by_exonym = g.resolve("Saragosse").expect("Saragosse");
    let by_name = g.resolve("zaragoza").expect("zaragoza");
    let by_code = g.resolve("50297").expect("50297");
    assert_eq!(by_exonym, by_name);
    assert_eq!(by_name, by_code);
    assert_eq!(by_code.name(), "Zaragoza");
    assert_eq!(by_code.subdivision(), IsoRegion::ZARAGOZA);
    assert_eq!(by_code.region(), IsoRegion::ARAGON);
    assert_eq!(g.resolve("502973"), Some(by_code));
    assert_eq!(code(g.by_name("SARAGOSSE").first().copied()), Some("50297"));
}

#[test]
fn auch_and_the_capitals() {
    let g = gazetteer();
    let auch = g.resolve("Auch").expect("Auch");
    assert_eq!(auch.code().as_str(), "32013");
    assert_eq!(auch.region(), IsoRegion::GERS);
    assert_eq!(
        auch.siren().map(|s| s.to_string()),
        Some("213 200 132".to_owned())
    );
    assert_eq!(auch.postal_codes(), ["32000"]);
    assert_eq!(code(g.resolve("AUCH")), Some("32013"));
    assert_eq!(code(g.resolve("Aush")), Some("32013"));
    assert_eq!(code(g.resolve("Huesca")), Some("22125"));
    assert_eq!(code(g.resolve("Uesca")), Some("22125"));
    assert_eq!(code(g.resolve("Teruel")), Some("44216"));
    assert_eq!(code(g.resolve("Logroño")), Some("26089"));
    assert_eq!(code(g.resolve("logrono")), Some("26089"));
    assert_eq!(code(g.resolve("Calatayud")), Some("50067"));
    assert_eq!(code(g.resolve("Chaca")), Some("22130"));
}

#[test]
fn article_order_and_accents() {
    let g = gazetteer();
    for query in ["Fueva, La", "La Fueva", "la fueva", "LA FUEVA", "Fueva"] {
        assert_eq!(
            g.resolve(query).map(Place::name),
            Some("Fueva, La"),
            "{query}"
        );
    }
    assert_eq!(
        g.resolve("Almunia de Dona Godina").map(Place::name),
        Some("Almunia de Doña Godina, La")
    );
    assert_eq!(code(g.resolve("l'isle jourdain")), Some("32160"));
    assert_eq!(code(g.resolve("L ISLE-JOURDAIN")), Some("32160"));
    assert_eq!(code(g.resolve("st clar")), Some("32370"));
    assert!(g.resolve("Atlantis").is_none());
}

#[test]
fn autocomplete_ranks_by_population() {
    let g = gazetteer();
    let found = g.autocomplete("zar", 5);
    assert_eq!(found.first().map(|p| p.name()), Some("Zaragoza"));
    let found = g.autocomplete("sara", 5);
    assert_eq!(found.first().map(|p| p.name()), Some("Zaragoza"));
    let found = g.autocomplete("Cas", 10);
    assert_eq!(found.len(), 10);
    let populations: Vec<u32> = found.iter().map(|p| p.population().unwrap_or(0)).collect();
    assert!(
        populations.windows(2).all(|w| w[0] >= w[1]),
        "{populations:?}"
    );
    assert!(g.autocomplete("", 5).is_empty());
    assert!(g.autocomplete("xq", 5).is_empty());
}

/// Great-circle distance computed independently of the crate: the spherical law
/// of cosines, on the same mean radius.
fn law_of_cosines_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lon1) = (a.0.to_radians(), a.1.to_radians());
    let (lat2, lon2) = (b.0.to_radians(), b.1.to_radians());
    let cos = lat1.sin() * lat2.sin() + lat1.cos() * lat2.cos() * (lon2 - lon1).cos();
    6371.0088 * cos.clamp(-1.0, 1.0).acos()
}

#[test]
fn auch_to_zaragoza() {
    let g = gazetteer();
    let auch = g
        .by_code("32013")
        .and_then(Place::point)
        .expect("Auch point");
    let zaragoza = g
        .by_code("50297")
        .and_then(Place::point)
        .expect("Zaragoza point");
    // Coordinates as published in the reference files.
    assert_eq!((auch.lat(), auch.lon()), (43.65331, 0.57481));
    assert_eq!((zaragoza.lat(), zaragoza.lon()), (41.65606, -0.87734));
    let reference = law_of_cosines_km((43.65331, 0.57481), (41.65606, -0.87734));
    let d = auch.distance_km(&zaragoza);
    assert!((d - reference).abs() < 1.0, "{d} vs {reference}");
    assert!((240.0..260.0).contains(&d), "{d}");
    assert!(
        g.resolve("Auch")
            .is_some_and(|p| p.is_within_km(&zaragoza, 260.0))
    );
    assert!(
        !g.resolve("Auch")
            .is_some_and(|p| p.is_within_km(&zaragoza, 240.0))
    );
}

#[test]
fn nearest_and_within_across_greenwich() {
    let g = gazetteer();
    let auch = g
        .by_code("32013")
        .and_then(Place::point)
        .expect("Auch point");
    let nearest = g.nearest(&auch, 3);
    assert_eq!(nearest.len(), 3);
    assert_eq!(nearest[0].place.code().as_str(), "32013");
    assert!(
        nearest
            .windows(2)
            .all(|w| w[0].distance_km <= w[1].distance_km)
    );

    // Aignan (0.087° E) sits near the meridian; Gers has communes on both sides.
    let aignan = g
        .by_code("32001")
        .and_then(Place::point)
        .expect("Aignan point");
    let boxes = BoundingBox::around(&aignan, 25.0).expect("valid radius");
    assert_eq!(boxes.len(), 1);
    assert!(boxes[0].min_lon() < 0.0 && boxes[0].max_lon() > 0.0);
    let around = g.within_km(&aignan, 25.0);
    assert!(
        around
            .iter()
            .any(|p| p.place.point().is_some_and(|q| q.lon() < 0.0))
    );
    assert!(
        around
            .iter()
            .any(|p| p.place.point().is_some_and(|q| q.lon() > 0.0))
    );
    assert!(around.iter().all(|p| p.distance_km <= 25.0));
    // The box pre-filter loses nothing: compare with a full scan.
    let full_scan = g
        .places()
        .iter()
        .filter(|p| p.is_within_km(&aignan, 25.0))
        .count();
    assert_eq!(around.len(), full_scan);
}
