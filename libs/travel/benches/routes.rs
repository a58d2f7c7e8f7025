//! Routes per second of the bundled travel model.
//!
//! `cargo bench -p pyred-travel --bench routes` (release profile). Routes between
//! pseudo-random points of the territory (a fixed linear congruential sequence: the
//! same points on every run), one French and one Spanish point per route, as the
//! matcher asks (firm in the Gers, listing in Aragón or La Rioja).

use std::hint::black_box;
use std::time::Instant;

use pyred_travel::{Day, Point, TravelModel};

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn point(&mut self, lat: (f64, f64), lon: (f64, f64)) -> Option<Point> {
        let (a, b) = (self.next(), self.next());
        Point::new(lat.0 + a * (lat.1 - lat.0), lon.0 + b * (lon.1 - lon.0)).ok()
    }
}

fn main() {
    let model = TravelModel::bundled();
    let Ok(day) = Day::new(2026, 12, 1) else {
        return;
    };
    let mut rng = Lcg(18);
    // The Gers, and Aragón + La Rioja, as latitude/longitude boxes.
    let pairs: Vec<(Point, Point)> = (0..2_000)
        .filter_map(|_| {
            Some((
                rng.point((43.3, 44.0), (-0.2, 1.1))?,
                rng.point((40.2, 42.8), (-3.0, 0.7))?,
            ))
        })
        .collect();
    for &(a, b) in pairs.iter().take(100) {
        let _ = black_box(model.route(a, b, day));
    }
    let rounds = 10;
    let start = Instant::now();
    let mut ok = 0usize;
    for _ in 0..rounds {
        for &(a, b) in &pairs {
            if black_box(model.route(a, b, day)).is_ok() {
                ok += 1;
            }
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let n = rounds * pairs.len();
    println!(
        "{n} routes ({ok} found) in {elapsed:.3} s: {:.0} routes/s, {:.1} µs per route ({} nodes, {} roads)",
        n as f64 / elapsed,
        elapsed / n as f64 * 1e6,
        model.nodes().len(),
        model.edges().len()
    );

    // As the matcher asks: one reach per firm (per call), then one trip per candidate
    // listing, each listing located once when its profile is built.
    let firms: Vec<Point> = pairs.iter().take(200).map(|p| p.0).collect();
    let listings: Vec<_> = pairs.iter().map(|p| model.locate(p.1)).collect();
    let start = Instant::now();
    let mut found = 0usize;
    for &firm in &firms {
        let reach = model.reach(firm, day);
        for listing in &listings {
            if black_box(reach.trip_to(listing)).is_some() {
                found += 1;
            }
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let n = firms.len() * listings.len();
    println!(
        "{n} trips from {} reaches ({found} found) in {elapsed:.3} s: {:.0} trips/s, {:.3} µs per trip",
        firms.len(),
        n as f64 / elapsed,
        elapsed / n as f64 * 1e6,
    );
    let start = Instant::now();
    for &firm in &firms {
        black_box(model.reach(firm, day));
    }
    let reach_us = start.elapsed().as_secs_f64() / firms.len() as f64 * 1e6;
    let start = Instant::now();
    for listing in pairs.iter().map(|p| p.1) {
        black_box(model.locate(listing));
    }
    let locate_us = start.elapsed().as_secs_f64() / pairs.len() as f64 * 1e6;
    println!(
        "one reach (day with a closure: two trees) {reach_us:.1} µs; one locate {locate_us:.2} µs"
    );
}
