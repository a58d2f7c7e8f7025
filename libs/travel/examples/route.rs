//! Prints the model's route between gazetteer places: `cargo run -p pyred-travel --example route -- Auch Jaca [YYYY-MM-DD]`.
//!
//! With no arguments, prints the 20 comparison pairs of `docs/travel.md`. A name is a
//! node id of `data/nodes.csv` (`toulouse`) or a place of the gazetteer (`Sariñena`).

use pyred_domain::gazetteer::Gazetteer;
use pyred_travel::{Day, Point, TravelModel};

const PAIRS: &[(&str, &str)] = &[
    ("Auch", "Zaragoza"),
    ("Auch", "Jaca"),
    ("Auch", "Huesca"),
    ("Auch", "Logroño"),
    ("Condom", "Zaragoza"),
    ("Auch", "Barbastro"),
    ("tarbes", "Sariñena"),
    ("toulouse", "barcelona"),
    ("Huesca", "Jaca"),
    ("Zaragoza", "Jaca"),
    ("pamplona", "Jaca"),
    ("Barbastro", "Huesca"),
    ("Barbastro", "Aínsa-Sobrarbe"),
    ("Barbastro", "lleida"),
    ("Barbastro", "Bielsa"),
    ("Logroño", "Haro"),
    ("vitoria", "Haro"),
    ("Zaragoza", "Calatayud"),
    ("Zaragoza", "Teruel"),
    ("Sabiñánigo", "Biescas"),
];

/// A node of the graph by id (`tarbes`), else a place of the gazetteer by name.
fn point(name: &str) -> Option<Point> {
    if let Some(node) = TravelModel::bundled().node(name) {
        return Some(node.point());
    }
    Gazetteer::embedded().resolve(name).and_then(|p| p.point())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let day = args
        .get(2)
        .and_then(|d| Day::parse(d).ok())
        .or_else(|| Day::new(2026, 6, 15).ok());
    let Some(day) = day else { return };
    let pairs: Vec<(String, String)> = if args.len() >= 2 {
        vec![(args[0].clone(), args[1].clone())]
    } else {
        PAIRS
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    let model = TravelModel::bundled();
    for (a, b) in pairs {
        let (Some(pa), Some(pb)) = (point(&a), point(&b)) else {
            eprintln!("unknown place {a} or {b}");
            continue;
        };
        match model.route(pa, pb, day) {
            Ok(r) => println!(
                "{a} -> {b}: {:.1} km, {:.0} min, crossing {:?}, great circle {:.0} km, via {}{}",
                r.km,
                r.minutes,
                r.crossing.as_ref().map(|c| c.as_str()),
                pa.distance_km(&pb),
                r.via
                    .iter()
                    .map(|n| n.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                r.closed_detour
                    .map(|(c, m)| format!(" [closed: {c}, +{m:.0} min]"))
                    .unwrap_or_default()
            ),
            Err(e) => println!("{a} -> {b}: {e}"),
        }
    }
}
