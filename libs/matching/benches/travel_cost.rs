//! What driving times add to one ListCompanyMatches ranking.
//!
//! `cargo bench -p pyred-matching --bench travel_cost` (release profile). One Gers firm
//! against 500 candidate listings (matchmaking's default `top_n`) spread over Aragón and
//! La Rioja, ranked with the distance measured by road and as the crow flies; the
//! difference is the travel model's cost per call (one reach, then one trip per
//! candidate). The listings' positions are located once when their profiles are built,
//! as the service caches profiles; that cost is printed apart.

use std::hint::black_box;
use std::time::Instant;

use pyred_domain::Day;
use pyred_matching::{CorpusStats, DistanceMeasure, Matcher, OpportunityProfile};
use pyred_proto::v1 as pb;

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

const NEEDS: [&str; 6] = [
    "mecanizado de piezas aeronáuticas en aluminio y titanio",
    "depósitos de acero inoxidable para bodega",
    "suministro de productos alimentarios y foie gras para restauración",
    "mantenimiento de instalaciones eléctricas y climatización",
    "servicios de transporte de mercancías por carretera",
    "obras de pavimentación y reparación de caminos rurales",
];

fn location(lat: f64, lon: f64, place: &str) -> Option<pb::Location> {
    Some(pb::Location {
        lat: Some(lat),
        lon: Some(lon),
        place_code: String::new(),
        place_name: place.to_owned(),
    })
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let Ok(road) = Matcher::new() else { return };
    let straight = road
        .clone()
        .with_distance_measure(DistanceMeasure::StraightLine);
    let Ok(day) = Day::parse("2026-12-01") else {
        return;
    };
    let firm = pb::Company {
        external_id: "bench-firm".to_owned(),
        name: "Atelier".to_owned(),
        country: "FR".to_owned(),
        language: pb::Language::Fr as i32,
        description: "Atelier d'usinage et de chaudronnerie inox.".to_owned(),
        offers: "Usinage de pièces aéronautiques, cuves inox, maintenance industrielle.".to_owned(),
        seeks: "Clients en Espagne.".to_owned(),
        location: location(43.6465, 0.5855, "Auch"),
        region: "FR-32".to_owned(),
        ..Default::default()
    };
    let mut rng = Lcg(18);
    let listings: Vec<pb::Opportunity> = (0..500)
        .map(|i| pb::Opportunity {
            external_id: format!("bench-{i}"),
            source: "arex".to_owned(),
            kind: pb::OpportunityKind::BusinessRequest as i32,
            title: NEEDS[i % NEEDS.len()].to_owned(),
            description: NEEDS[(i * 7 + 3) % NEEDS.len()].to_owned(),
            language: pb::Language::Es as i32,
            location: location(40.2 + rng.next() * 2.6, -3.0 + rng.next() * 3.7, "Aragón"),
            region: "ES-AR".to_owned(),
            published: Some(pb::Date {
                year: 2026,
                month: 11,
                day: 1,
            }),
            ..Default::default()
        })
        .collect();
    let Ok(company) = road.company(&firm) else {
        return;
    };
    let start = Instant::now();
    let profiles: Vec<OpportunityProfile> = listings
        .iter()
        .filter_map(|o| road.opportunity(o).ok())
        .collect();
    let profile_us = start.elapsed().as_secs_f64() / profiles.len() as f64 * 1e6;
    let start = Instant::now();
    for p in &profiles {
        if let Some(point) = p.point {
            black_box(road.travel().locate(point));
        }
    }
    let locate_us = start.elapsed().as_secs_f64() / profiles.len() as f64 * 1e6;
    let stats = CorpusStats::from_profiles(std::slice::from_ref(&company), &profiles);
    let time = |matcher: &Matcher| {
        for _ in 0..5 {
            black_box(matcher.matches_for_company(&company, &profiles, &stats, day, 50));
        }
        median(
            (0..41)
                .map(|_| {
                    let start = Instant::now();
                    black_box(matcher.matches_for_company(&company, &profiles, &stats, day, 50));
                    start.elapsed().as_secs_f64() * 1e3
                })
                .collect(),
        )
    };
    let (by_road, by_crow) = (time(&road), time(&straight));
    println!(
        "ranking 500 candidates, top 50 explained: by road {by_road:.3} ms, straight-line {by_crow:.3} ms, travel adds {:.3} ms per call ({:+.1} %)",
        by_road - by_crow,
        (by_road / by_crow - 1.0) * 100.0
    );
    println!(
        "once per listing profile: build {profile_us:.1} µs, of which locating it on the road graph {locate_us:.2} µs"
    );
}
