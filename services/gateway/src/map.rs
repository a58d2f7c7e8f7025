//! The console's map: an SVG drawn from the embedded gazetteer, with no tile server.
//!
//! An equirectangular projection scaled by the cosine of the middle latitude (true
//! enough at this size) over Gers, Aragón and La Rioja: every commune and municipality
//! as a dot coloured by region, the adviser's firms as squares and live listings as
//! diamonds (each a link with a tooltip), and the French–Spanish border along the
//! Pyrenees as a dashed line (hand-traced from its main passes: approximate).

use std::fmt::Write as _;

use pyred_domain::Gazetteer;
use pyred_proto::v1 as pb;

use crate::i18n::Lang;

const WEST: f64 = -3.3;
const EAST: f64 = 1.45;
const SOUTH: f64 = 39.75;
const NORTH: f64 = 44.2;
const WIDTH: f64 = 900.0;

/// The border, west to east (lon, lat): Hendaye, Bidassoa, Roncevaux, Larrau, Somport,
/// Pourtalet, Gavarnie, Bielsa, Aran, Andorra.
const BORDER: &[(f64, f64)] = &[
    (-1.79, 43.37),
    (-1.62, 43.26),
    (-1.42, 43.27),
    (-1.32, 43.09),
    (-1.00, 42.99),
    (-0.75, 42.95),
    (-0.52, 42.79),
    (-0.40, 42.80),
    (-0.07, 42.69),
    (0.19, 42.68),
    (0.66, 42.84),
    (0.86, 42.82),
    (1.00, 42.71),
    (1.44, 42.60),
];

fn height() -> f64 {
    let k = ((SOUTH + NORTH) / 2.0).to_radians().cos();
    WIDTH * (NORTH - SOUTH) / ((EAST - WEST) * k)
}

fn project(lat: f64, lon: f64) -> (f64, f64) {
    let x = (lon - WEST) / (EAST - WEST) * WIDTH;
    let y = (NORTH - lat) / (NORTH - SOUTH) * height();
    (x, y)
}

fn inside(lat: f64, lon: f64) -> bool {
    (SOUTH..=NORTH).contains(&lat) && (WEST..=EAST).contains(&lon)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn colour(region: &str) -> &'static str {
    match region {
        "FR-32" => "#5b7db8",
        "ES-RI" => "#9a6a2f",
        _ => "#b5524a",
    }
}

/// The SVG document.
pub fn svg(firms: &[pb::Company], listings: &[pb::Opportunity], lang: Lang) -> String {
    let words = lang.words();
    let h = height();
    let mut out = String::with_capacity(200_000);
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 {WIDTH:.0} {h:.0}" role="img" aria-labelledby="map-title map-desc" font-family="sans-serif"><title id="map-title">{}</title><desc id="map-desc">{}</desc><rect width="100%" height="100%" fill="#f7f7f2"/>"##,
        escape(words["map_title"]),
        escape(words["map_desc"])
    );
    out.push_str(r#"<g id="places">"#);
    for place in Gazetteer::embedded().places() {
        let region = place.region();
        let code = region.as_str();
        if !matches!(code, "FR-32" | "ES-AR" | "ES-RI") {
            continue;
        }
        let Some(point) = place.point() else { continue };
        if !inside(point.lat(), point.lon()) || place.is_approximate() {
            continue;
        }
        let (x, y) = project(point.lat(), point.lon());
        let _ = write!(
            out,
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="1.6" fill="{}" fill-opacity="0.55"><title>{}</title></circle>"#,
            colour(code),
            escape(&place.display_name())
        );
    }
    out.push_str("</g>");
    let border: Vec<String> = BORDER
        .iter()
        .map(|(lon, lat)| {
            let (x, y) = project(*lat, *lon);
            format!("{x:.1},{y:.1}")
        })
        .collect();
    let _ = write!(
        out,
        r##"<polyline id="border" points="{}" fill="none" stroke="#222" stroke-width="2.5" stroke-dasharray="8 5"><title>{}</title></polyline>"##,
        border.join(" "),
        escape(words["border"])
    );
    out.push_str(r#"<g id="listings">"#);
    for listing in listings {
        let Some(location) = &listing.location else {
            continue;
        };
        let Some((lat, lon)) = location.point() else {
            continue;
        };
        if !inside(lat, lon) {
            continue;
        }
        let (x, y) = project(lat, lon);
        let _ = write!(
            out,
            r##"<a href="/console/opportunities/{id}" target="_top"><path d="M{x:.1} {:.1} l6 6 l-6 6 l-6 -6 z" fill="#e39b1b" stroke="#5a3a00" stroke-width="1"><title>{} — {}</title></path></a>"##,
            y - 6.0,
            escape(&listing.title),
            escape(&location.place_name),
            id = escape(&listing.id),
        );
    }
    out.push_str("</g><g id=\"firms\">");
    for firm in firms {
        let Some(location) = &firm.location else {
            continue;
        };
        let Some((lat, lon)) = location.point() else {
            continue;
        };
        if !inside(lat, lon) {
            continue;
        }
        let (x, y) = project(lat, lon);
        let _ = write!(
            out,
            r##"<a href="/console/firms/{id}" target="_top"><rect x="{:.1}" y="{:.1}" width="10" height="10" fill="#1f4e9c" stroke="#fff" stroke-width="1.5"><title>{} — {}</title></rect></a>"##,
            x - 5.0,
            y - 5.0,
            escape(&firm.name),
            escape(&location.place_name),
            id = escape(&firm.id),
        );
    }
    out.push_str("</g>");
    // Legend.
    let _ = write!(
        out,
        r##"<g id="legend" font-size="14"><rect x="10" y="{:.0}" width="400" height="110" fill="#fff" stroke="#999"/><circle cx="25" cy="{:.0}" r="4" fill="#5b7db8"/><text x="40" y="{:.0}">{} (FR-32, ES-AR, ES-RI)</text><rect x="20" y="{:.0}" width="10" height="10" fill="#1f4e9c"/><text x="40" y="{:.0}">{}</text><path d="M25 {:.0} l6 6 l-6 6 l-6 -6 z" fill="#e39b1b"/><text x="40" y="{:.0}">{}</text><line x1="15" x2="35" y1="{:.0}" y2="{:.0}" stroke="#222" stroke-width="2.5" stroke-dasharray="8 5"/><text x="40" y="{:.0}">{}</text></g>"##,
        h - 120.0,
        h - 100.0,
        h - 95.0,
        escape(words["communes"]),
        h - 80.0,
        h - 71.0,
        escape(words["firms"]),
        h - 60.0,
        h - 49.0,
        escape(words["opportunities"]),
        h - 25.0,
        h - 25.0,
        h - 20.0,
        escape(words["border"]),
    );
    let _ = write!(
        out,
        r##"<text x="{:.0}" y="{:.0}" font-size="20" fill="#333">France</text><text x="{:.0}" y="{:.0}" font-size="20" fill="#333">España</text></svg>"##,
        project(43.9, -1.2).0,
        project(43.9, -1.2).1,
        project(42.35, -2.4).0,
        project(42.35, -2.4).1,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_draws_places_border_firms_and_listings() {
        let firm = pb::Company {
            id: "cmp_1".into(),
            name: "Foies <Gras>".into(),
            location: Some(pb::Location {
                lat: Some(43.62),
                lon: Some(0.87),
                place_code: "32147".into(),
                place_name: "Gimont".into(),
            }),
            ..Default::default()
        };
        let listing = pb::Opportunity {
            id: "opp_1".into(),
            title: "Distribuidor".into(),
            location: Some(pb::Location {
                lat: Some(41.65),
                lon: Some(-0.88),
                place_code: "50297".into(),
                place_name: "Zaragoza".into(),
            }),
            ..Default::default()
        };
        let svg = svg(&[firm], &[listing], Lang::Fr);
        let dots = svg.matches("<circle").count();
        assert!(dots > 1000, "communes and municipalities drawn: {dots}");
        assert!(svg.contains(r#"id="border""#));
        assert!(svg.contains("/console/firms/cmp_1") && svg.contains("Foies &lt;Gras&gt;"));
        assert!(svg.contains("/console/opportunities/opp_1"));
        // Auch is north of Zaragoza: a smaller y.
        assert!(project(43.65, 0.58).1 < project(41.65, -0.88).1);
    }
}
