//! The console's map: an SVG drawn from bundled boundary data, with no tile server.
//!
//! The outlines come from `data/boundaries.json` (built by `scripts/rebuild-boundaries.py`
//! from IGN's ADMIN EXPRESS and Spain's IGN, see `data/PROVENANCE.md`): the Gers and its
//! cantons, the provinces of Huesca, Zaragoza, Teruel and La Rioja, their neighbours as
//! context, and the French–Spanish border. The projection is equirectangular, scaled by
//! the cosine of the middle latitude (true enough at this size).
//!
//! On it go the adviser's firms (squares) and the live listings (circles coloured by
//! kind), each a link to its record with a tooltip. Markers closer than
//! [`CLUSTER_RADIUS`] are gathered under a cluster marker with their count, whose tooltip
//! lists them; the console's script fans them out on click. Every marker stays at its
//! true place (`data-x`, `data-y`, `data-lon`, `data-lat`) and names the area it falls in
//! (`data-area`), which is what the tests check against the outlines.
//!
//! Over them go the Pyrenean crossings of the travel model ([`TravelModel::bundled`]):
//! a diamond at each crossing's node, numbered, white when the crossing can be used on
//! the map's day and black with a white cross when a rule closes it for the whole day,
//! with a box listing each number's name (in the adviser's language) and its state that
//! day ([`crossings_on`]). The crossings east of the frame (Puymorens, Le Perthus) are
//! drawn at its eastern edge, on their latitude, behind an arrow (`data-offmap="east"`);
//! every crossing keeps its true place in `data-lat`, `data-lon`.
//!
//! Only presentation attributes are used (no `<style>`, no script), so the same markup
//! works inline in the page under its content security policy, as a downloaded file,
//! and drawn onto a canvas for the PNG export.

use std::fmt::Write as _;
use std::sync::OnceLock;

use pyred_proto::v1 as pb;
use serde::Deserialize;

pub use pyred_travel::CrossingState;
use pyred_travel::{Day, TravelModel};

use crate::i18n::Lang;
use crate::json::KindJson;

const WEST: f64 = -3.3;
const EAST: f64 = 1.45;
const SOUTH: f64 = 39.75;
const NORTH: f64 = 44.2;
/// Width of the drawing, in SVG units.
pub const WIDTH: f64 = 900.0;
/// Markers whose centres are closer than this (SVG units) are clustered.
pub const CLUSTER_RADIUS: f64 = 13.0;

/// The bundled outlines.
#[derive(Debug, Default, Deserialize)]
pub struct Boundaries {
    /// Departments, provinces, cantons and context areas.
    pub areas: Vec<Area>,
    /// The French–Spanish border, as polylines of `lon, lat, lon, lat, …`.
    pub border: Vec<Vec<f64>>,
}

/// One outlined area.
#[derive(Debug, Deserialize)]
pub struct Area {
    /// `FR-32`, `ES-HU`, `ES-Z`, `ES-TE`, `ES-LO`; `FR-32-3201` for cantons; `FR-64`,
    /// `ES-31` for context.
    pub id: String,
    /// `department`, `province`, `canton` or `context`.
    pub kind: String,
    /// Its name.
    pub name: String,
    /// INSEE department or canton code, INE province code.
    pub code: String,
    /// Polygons, each an outer ring then its holes, each ring `lon, lat, lon, lat, …`.
    pub polygons: Vec<Vec<Vec<f64>>>,
}

impl Area {
    /// Whether the point (lon, lat) lies inside (even–odd over every ring).
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        let mut inside = false;
        for ring in self.polygons.iter().flatten() {
            let points: Vec<(f64, f64)> = ring.chunks_exact(2).map(|c| (c[0], c[1])).collect();
            inside ^= ring_contains(&points, lon, lat);
        }
        inside
    }

    fn is_region(&self) -> bool {
        matches!(self.kind.as_str(), "department" | "province")
    }
}

/// Even–odd crossing test of one closed ring.
pub fn ring_contains(ring: &[(f64, f64)], x: f64, y: f64) -> bool {
    let mut inside = false;
    for pair in ring.windows(2) {
        let ((x1, y1), (x2, y2)) = (pair[0], pair[1]);
        if (y1 > y) != (y2 > y) && x < x1 + (y - y1) * (x2 - x1) / (y2 - y1) {
            inside = !inside;
        }
    }
    inside
}

/// The bundled outlines, parsed once.
pub fn boundaries() -> &'static Boundaries {
    static BOUNDARIES: OnceLock<Boundaries> = OnceLock::new();
    BOUNDARIES.get_or_init(|| {
        serde_json::from_str(include_str!("../data/boundaries.json")).unwrap_or_else(|error| {
            tracing::error!(%error, "bundled boundaries unreadable; the map has no outlines");
            Boundaries::default()
        })
    })
}

/// The area (`FR-32`, `ES-HU`, `ES-Z`, `ES-TE`, `ES-LO`) of an INSEE or INE place code.
pub fn area_of_place(code: &str) -> Option<&'static str> {
    match code.get(..2)? {
        "32" => Some("FR-32"),
        "22" => Some("ES-HU"),
        "50" => Some("ES-Z"),
        "44" => Some("ES-TE"),
        "26" => Some("ES-LO"),
        _ => None,
    }
}

/// Height of the drawing, in SVG units.
pub fn height() -> f64 {
    let k = ((SOUTH + NORTH) / 2.0).to_radians().cos();
    WIDTH * (NORTH - SOUTH) / ((EAST - WEST) * k)
}

/// SVG coordinates of a point.
pub fn project(lat: f64, lon: f64) -> (f64, f64) {
    let x = (lon - WEST) / (EAST - WEST) * WIDTH;
    let y = (NORTH - lat) / (NORTH - SOUTH) * height();
    (x, y)
}

fn inside_frame(lat: f64, lon: f64) -> bool {
    (SOUTH..=NORTH).contains(&lat) && (WEST..=EAST).contains(&lon)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Colour of a listing kind (Okabe–Ito, readable by colour-blind eyes and in grey).
fn kind_colour(kind: &str) -> &'static str {
    match kind {
        "business_offer" => "#e69f00",
        "business_request" => "#0072b2",
        "partnership" => "#009e73",
        "tender" => "#d55e00",
        "technology_offer" => "#cc79a7",
        "technology_request" => "#f0e442",
        _ => "#999999",
    }
}

const KINDS: [&str; 6] = [
    "business_offer",
    "business_request",
    "partnership",
    "tender",
    "technology_offer",
    "technology_request",
];
const FIRM_COLOUR: &str = "#1b2a49";

fn region_fill(id: &str) -> &'static str {
    match id {
        "FR-32" => "#e3ebf6",
        "ES-LO" => "#f3e6ee",
        _ => "#f6eadb",
    }
}

/// A ring as SVG path data, `M x,y L x,y … Z`.
fn ring_path(out: &mut String, ring: &[f64]) {
    for (i, pair) in ring.chunks_exact(2).enumerate() {
        let (x, y) = project(pair[1], pair[0]);
        let _ = write!(out, "{}{x:.1},{y:.1}", if i == 0 { 'M' } else { 'L' });
    }
    out.push('Z');
}

fn area_path(area: &Area) -> String {
    let mut d = String::new();
    for ring in area.polygons.iter().flatten() {
        ring_path(&mut d, ring);
    }
    d
}

/// A marker before drawing.
struct Marker {
    id: String,
    href: String,
    tooltip: String,
    /// `firm` or the listing's kind.
    kind: &'static str,
    area: &'static str,
    lat: f64,
    lon: f64,
    x: f64,
    y: f64,
}

fn markers(firms: &[pb::Company], listings: &[pb::Opportunity], lang: Lang) -> Vec<Marker> {
    let words = lang.words();
    let mut out = Vec::new();
    for listing in listings {
        let Some(location) = &listing.location else {
            continue;
        };
        let Some((lat, lon)) = location.point() else {
            continue;
        };
        if !inside_frame(lat, lon) {
            continue;
        }
        let kind = KindJson::from_pb(listing.kind).map_or("", |k| k.as_str());
        let kind_word = words
            .get(format!("k_{kind}").as_str())
            .copied()
            .unwrap_or_default();
        let (x, y) = project(lat, lon);
        out.push(Marker {
            id: listing.id.clone(),
            href: format!("/console/opportunities/{}", listing.id),
            tooltip: format!("{} — {} ({kind_word})", listing.title, location.place_name),
            kind: KINDS.iter().find(|k| **k == kind).copied().unwrap_or(""),
            area: area_of_place(&location.place_code).unwrap_or(""),
            lat,
            lon,
            x,
            y,
        });
    }
    for firm in firms {
        let Some(location) = &firm.location else {
            continue;
        };
        let Some((lat, lon)) = location.point() else {
            continue;
        };
        if !inside_frame(lat, lon) {
            continue;
        }
        let (x, y) = project(lat, lon);
        out.push(Marker {
            id: firm.id.clone(),
            href: format!("/console/firms/{}", firm.id),
            tooltip: format!("{} — {}", firm.name, location.place_name),
            kind: "firm",
            area: area_of_place(&location.place_code).unwrap_or(""),
            lat,
            lon,
            x,
            y,
        });
    }
    out
}

/// Greedy clustering: each marker joins the first cluster whose seed is near enough.
fn clusters(markers: &[Marker]) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, marker) in markers.iter().enumerate() {
        let near = groups.iter_mut().find(|group| {
            let seed = &markers[group[0]];
            (seed.x - marker.x).hypot(seed.y - marker.y) < CLUSTER_RADIUS
        });
        match near {
            Some(group) => group.push(i),
            None => groups.push(vec![i]),
        }
    }
    groups
}

fn marker_shape(out: &mut String, kind: &str, x: f64, y: f64) {
    if kind == "firm" {
        let _ = write!(
            out,
            r##"<rect x="{:.1}" y="{:.1}" width="11" height="11" fill="{FIRM_COLOUR}" stroke="#ffffff" stroke-width="1.5"/>"##,
            x - 5.5,
            y - 5.5,
        );
    } else {
        let _ = write!(
            out,
            r##"<circle cx="{x:.1}" cy="{y:.1}" r="6.5" fill="{}" stroke="#222222" stroke-width="1.2"/>"##,
            kind_colour(kind),
        );
    }
}

/// Capitals labelled on the map: (name, lat, lon).
const TOWNS: &[(&str, f64, f64)] = &[
    ("Auch", 43.6465, 0.5855),
    ("Huesca", 42.1401, -0.4089),
    ("Zaragoza", 41.6488, -0.8891),
    ("Teruel", 40.3457, -1.1065),
    ("Logroño", 42.4627, -2.4450),
];

/// Where each region's name is written: (id, lat, lon).
const LABELS: &[(&str, f64, f64)] = &[
    ("FR-32", 43.40, 0.30),
    ("ES-HU", 42.33, 0.02),
    ("ES-Z", 41.30, -0.55),
    ("ES-TE", 40.72, -0.75),
    ("ES-LO", 42.12, -2.70),
];

fn text(out: &mut String, x: f64, y: f64, size: f64, attrs: &str, content: &str) {
    let _ = write!(
        out,
        r##"<text x="{x:.1}" y="{y:.1}" font-size="{size}" stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke" {attrs}>{}</text>"##,
        escape(content)
    );
}

/// A crossing as the map shows it on one day.
#[derive(Debug, Clone)]
pub struct CrossingOnDay {
    /// Its number on the map, from 1 in the order of the travel data.
    pub number: usize,
    /// Its identifier (`somport-tunnel`).
    pub id: String,
    /// Its name in the adviser's language, capitalised (`Le tunnel du Somport`).
    pub name: String,
    /// The name the map's box lists: the same in French and Spanish, the English
    /// description without its details (`Somport road tunnel`).
    pub short_name: String,
    /// Its road numbers.
    pub roads: String,
    /// Its most restrictive state that day.
    pub state: CrossingState,
    /// Every state that applies, in the adviser's language (`fermé la nuit (22 h–7 h) ·
    /// peut fermer par mauvais temps`).
    pub state_text: String,
    /// Its node's latitude.
    pub lat: f64,
    /// Its node's longitude.
    pub lon: f64,
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The bundled crossings with their state on `day`, named in `lang`.
pub fn crossings_on(day: Day, lang: Lang) -> Vec<CrossingOnDay> {
    let words = lang.words();
    let word = |key: &str| words.get(key).copied().unwrap_or_default();
    let model = TravelModel::bundled();
    model
        .crossings()
        .iter()
        .enumerate()
        .filter_map(|(i, crossing)| {
            // Every crossing is a node (the model checks it on load); none is skipped.
            let point = model.node(crossing.id().as_str())?.point();
            let state = crossing.state_on(day);
            let weather = crossing.weather_dependent();
            let mut texts = Vec::new();
            match state {
                CrossingState::Closed => texts.push(word("crossing_closed").to_owned()),
                CrossingState::Open => texts.push(word("crossing_open").to_owned()),
                CrossingState::Night { from_hour, to_hour } => texts.push(
                    word("crossing_night")
                        .replace("{from}", &from_hour.to_string())
                        .replace("{to}", &to_hour.to_string()),
                ),
                CrossingState::Weather => {}
            }
            if weather && state != CrossingState::Closed {
                texts.push(word("crossing_weather").to_owned());
            }
            let name = match lang {
                Lang::Fr => crossing.name_fr(),
                Lang::Es => crossing.name_es(),
                Lang::En => crossing.name(),
            };
            let short_name = match lang {
                Lang::Fr | Lang::Es => capitalised(name),
                Lang::En => name
                    .split([':', '('])
                    .next()
                    .map_or(name, |short| short.split(" then ").next().unwrap_or(short))
                    .trim()
                    .to_owned(),
            };
            Some(CrossingOnDay {
                number: i + 1,
                id: crossing.id().as_str().to_owned(),
                name: capitalised(name),
                short_name,
                roads: crossing.roads().to_owned(),
                state,
                state_text: texts.join(" · "),
                lat: point.lat(),
                lon: point.lon(),
            })
        })
        .collect()
}

/// About how wide `text` is in DejaVu Sans at `size` (its advance widths, by class of
/// character): enough to size the crossings' box without a font at hand.
fn text_width(text: &str, size: f64) -> f64 {
    let em: f64 = text
        .chars()
        .map(|c| match c {
            'i' | 'l' | 'j' | '\'' | '.' | ',' | ':' | ';' | '|' | '!' => 0.28,
            'f' | 'r' | 't' | '(' | ')' | '-' | '/' => 0.40,
            ' ' => 0.32,
            'm' | 'w' | 'M' | 'W' | '—' => 0.95,
            c if c.is_uppercase() => 0.70,
            c if c.is_ascii_digit() => 0.64,
            _ => 0.61,
        })
        .sum();
    em * size
}

/// A crossing's diamond: white when usable that day, black with a white cross when closed.
fn crossing_shape(out: &mut String, closed: bool, x: f64, y: f64) {
    let fill = if closed { "#222222" } else { "#ffffff" };
    let _ = write!(
        out,
        r##"<path d="M{x:.1},{:.1}L{:.1},{y:.1}L{x:.1},{:.1}L{:.1},{y:.1}Z" fill="{fill}" stroke="#222222" stroke-width="2" stroke-linejoin="round"/>"##,
        y - 8.0,
        x + 8.0,
        y + 8.0,
        x - 8.0,
    );
    if closed {
        let _ = write!(
            out,
            r##"<path d="M{:.1},{:.1}L{:.1},{:.1}M{:.1},{:.1}L{:.1},{:.1}" stroke="#ffffff" stroke-width="2" stroke-linecap="round"/>"##,
            x - 3.0,
            y - 3.0,
            x + 3.0,
            y + 3.0,
            x + 3.0,
            y - 3.0,
            x - 3.0,
            y + 3.0,
        );
    }
}

/// The crossings (drawn over the markers) and the box of their names and states, in the
/// Bay of Biscay at the top left, where no record can fall.
fn draw_crossings(
    out: &mut String,
    crossings: &[CrossingOnDay],
    words: &std::collections::BTreeMap<&str, &str>,
    day: Day,
) {
    let word = |key: &str| words.get(key).copied().unwrap_or_default();
    let h = height();
    // Where each diamond goes: its node, or the eastern edge for those beyond it;
    // crossings a few hundred metres apart (the Somport tunnel and pass) are stacked.
    let mut placed: Vec<(f64, f64, f64, f64)> = Vec::new();
    for crossing in crossings {
        let (true_x, true_y) = project(crossing.lat, crossing.lon);
        let (x, mut y) = if crossing.lon > EAST {
            (WIDTH - 24.0, true_y.clamp(12.0, h - 12.0))
        } else {
            (true_x, true_y)
        };
        while placed
            .iter()
            .any(|(px, py, _, _)| (px - x).hypot(py - y) < 13.0)
        {
            y += 15.0;
        }
        placed.push((x, y, true_x, true_y));
    }
    // Leader lines first, under every diamond.
    out.push_str(r#"<g id="crossing-leaders">"#);
    for (crossing, (x, y, true_x, true_y)) in crossings.iter().zip(&placed) {
        if crossing.lon <= EAST && (y - true_y).abs() > 0.5 {
            let _ = write!(
                out,
                r##"<line x1="{true_x:.1}" y1="{true_y:.1}" x2="{x:.1}" y2="{y:.1}" stroke="#222222" stroke-width="1"/>"##
            );
        }
    }
    out.push_str(r#"</g><g id="crossings">"#);
    for (crossing, &(x, y, _, _)) in crossings.iter().zip(&placed) {
        let off_map = crossing.lon > EAST;
        let closed = crossing.state == CrossingState::Closed;
        let _ = write!(
            out,
            r##"<g class="crossing" id="crossing-{id}" data-crossing="{id}" data-state="{}" data-lat="{:.5}" data-lon="{:.5}" data-x="{x:.1}" data-y="{y:.1}"{}><title>{} · {} — {} — {}</title>"##,
            crossing.state.as_str(),
            crossing.lat,
            crossing.lon,
            if off_map {
                r#" data-offmap="east""#
            } else {
                ""
            },
            crossing.number,
            escape(&crossing.name),
            escape(&crossing.roads),
            escape(&crossing.state_text),
            id = escape(&crossing.id),
        );
        if off_map {
            let _ = write!(
                out,
                r##"<path d="M{:.1},{y:.1}L{:.1},{:.1}L{:.1},{:.1}Z" fill="#222222"/>"##,
                WIDTH - 3.0,
                WIDTH - 11.0,
                y - 5.0,
                WIDTH - 11.0,
                y + 5.0,
            );
        }
        crossing_shape(out, closed, x, y);
        // The number on the right, unless the edge or a neighbour's diamond is there.
        let crowded = placed
            .iter()
            .any(|(px, py, _, _)| px - x > 0.5 && px - x < 30.0 && (py - y).abs() < 14.0);
        let (label_x, anchor) = if off_map || crowded {
            (x - 11.0, r#"text-anchor="end""#)
        } else {
            (x + 11.0, "")
        };
        text(
            out,
            label_x,
            y + 4.0,
            11.0,
            &format!(r#"font-weight="bold" {anchor}"#),
            &crossing.number.to_string(),
        );
        out.push_str("</g>");
    }
    out.push_str("</g>");

    let first_state = |crossing: &CrossingOnDay| {
        crossing
            .state_text
            .split(" · ")
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    let widest = |texts: &mut dyn Iterator<Item = String>| {
        texts.map(|t| text_width(&t, 10.0)).fold(0.0, f64::max)
    };
    let (x0, row, top) = (8.0, 15.0, 8.0);
    let state_x = x0 + 24.0 + widest(&mut crossings.iter().map(|c| c.short_name.clone())) + 10.0;
    let heading = format!("{} — {day}", word("map_crossings"));
    let width = (state_x - x0 + widest(&mut crossings.iter().map(first_state)) + 8.0)
        .max(text_width(&heading, 12.0) + 24.0)
        .ceil();
    let _ = write!(
        out,
        r##"<g id="crossing-list" font-size="10" fill="#222222"><rect x="{x0}" y="{top}" width="{width}" height="{:.0}" rx="4" fill="#ffffff" fill-opacity="0.94" stroke="#888888"/><text x="{:.0}" y="{:.0}" font-weight="bold" font-size="12">{}</text>"##,
        row * crossings.len() as f64 + 32.0,
        x0 + 8.0,
        top + 17.0,
        escape(&heading),
    );
    for (i, crossing) in crossings.iter().enumerate() {
        let y = top + 34.0 + row * i as f64;
        let _ = write!(
            out,
            r##"<text x="{:.0}" y="{y:.1}" data-crossing="{id}"><tspan font-weight="bold">{}</tspan><tspan x="{:.0}">{}</tspan><tspan x="{state_x:.0}"{}>{}</tspan></text>"##,
            x0 + 8.0,
            crossing.number,
            x0 + 24.0,
            escape(&crossing.short_name),
            if crossing.state == CrossingState::Closed {
                r#" font-weight="bold""#
            } else {
                ""
            },
            escape(&first_state(crossing)),
            id = escape(&crossing.id),
        );
    }
    out.push_str("</g>");
}

/// The SVG document, with the crossings in their state on `day`.
pub fn svg(firms: &[pb::Company], listings: &[pb::Opportunity], lang: Lang, day: Day) -> String {
    let words = lang.words();
    let raw = |key: &str| words.get(key).copied().unwrap_or_default();
    let word = |key: &str| escape(raw(key));
    let h = height();
    let data = boundaries();
    let mut out = String::with_capacity(300_000);
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH:.0} {h:.0}" width="{WIDTH:.0}" height="{h:.0}" role="img" aria-labelledby="map-title map-desc" font-family="DejaVu Sans, Arial, sans-serif" class="pyred-map" data-west="{WEST}" data-east="{EAST}" data-south="{SOUTH}" data-north="{NORTH}"><title id="map-title">{}</title><desc id="map-desc">{}</desc><rect width="100%" height="100%" fill="#dde8ee"/>"##,
        word("map_title"),
        word("map_desc"),
    );

    // Context, then the five regions, then the cantons over them.
    out.push_str(r#"<g id="context">"#);
    for area in data.areas.iter().filter(|a| a.kind == "context") {
        let _ = write!(
            out,
            r##"<path d="{}" fill="#efeee9" stroke="#b4b1a6" stroke-width="0.8" fill-rule="evenodd" data-area="{}"><title>{}</title></path>"##,
            area_path(area),
            escape(&area.id),
            escape(&area.name)
        );
    }
    out.push_str(r#"</g><g id="regions">"#);
    for area in data.areas.iter().filter(|a| a.is_region()) {
        let _ = write!(
            out,
            r##"<path id="area-{id}" class="region" d="{}" fill="{}" stroke="#3c3c3c" stroke-width="1.6" stroke-linejoin="round" fill-rule="evenodd" data-area="{id}" data-kind="{}" data-code="{}"><title>{}</title></path>"##,
            area_path(area),
            region_fill(&area.id),
            escape(&area.kind),
            escape(&area.code),
            escape(&area.name),
            id = escape(&area.id),
        );
    }
    out.push_str(r#"</g><g id="cantons">"#);
    for area in data.areas.iter().filter(|a| a.kind == "canton") {
        let _ = write!(
            out,
            r##"<path d="{}" fill="none" stroke="#6f86b0" stroke-width="0.6" stroke-dasharray="3 2" data-area="{}"><title>{} — {}</title></path>"##,
            area_path(area),
            escape(&area.id),
            word("canton"),
            escape(&area.name)
        );
    }
    out.push_str("</g>");
    let mut border = String::new();
    for line in &data.border {
        for (i, pair) in line.chunks_exact(2).enumerate() {
            let (x, y) = project(pair[1], pair[0]);
            let _ = write!(border, "{}{x:.1},{y:.1}", if i == 0 { 'M' } else { 'L' });
        }
    }
    // A white casing under the dashes keeps the border legible where it runs along a
    // province's outline (Huesca's northern edge).
    let _ = write!(
        out,
        r##"<path d="{border}" fill="none" stroke="#ffffff" stroke-width="5" stroke-linejoin="round"/><path id="border" d="{border}" fill="none" stroke="#222222" stroke-width="3" stroke-dasharray="9 5"><title>{}</title></path>"##,
        word("border")
    );

    // Names: countries, regions, capitals.
    out.push_str(r##"<g id="labels" fill="#333333" pointer-events="none">"##);
    let (x, y) = project(44.02, -1.25);
    text(
        &mut out,
        x,
        y,
        22.0,
        r##"letter-spacing="4" fill="#777777""##,
        raw("country_fr"),
    );
    let (x, y) = project(41.05, -2.75);
    text(
        &mut out,
        x,
        y,
        22.0,
        r##"letter-spacing="4" fill="#777777""##,
        raw("country_es"),
    );
    for (id, lat, lon) in LABELS {
        let Some(area) = data.areas.iter().find(|a| a.id == *id) else {
            continue;
        };
        let (x, y) = project(*lat, *lon);
        text(
            &mut out,
            x,
            y,
            17.0,
            &format!(r#"font-weight="bold" text-anchor="middle" data-label="{id}""#),
            &area.name.to_uppercase(),
        );
    }
    for (name, lat, lon) in TOWNS {
        let (x, y) = project(*lat, *lon);
        let _ = write!(
            out,
            r##"<circle cx="{x:.1}" cy="{y:.1}" r="2.5" fill="#333333"/>"##
        );
        // Left of the town: its listings cluster on it, and spread out around it.
        text(
            &mut out,
            x - 20.0,
            y + 4.0,
            12.0,
            r#"font-style="italic" text-anchor="end""#,
            name,
        );
    }
    out.push_str("</g>");

    // Markers at their true places; members of a cluster hidden until it is opened.
    let markers = markers(firms, listings, lang);
    let groups = clusters(&markers);
    let mut cluster_of = vec![None; markers.len()];
    for (n, group) in groups.iter().enumerate().filter(|(_, g)| g.len() > 1) {
        for &i in group {
            cluster_of[i] = Some(n);
        }
    }
    out.push_str(r#"<g id="markers">"#);
    for (i, marker) in markers.iter().enumerate() {
        let clustered = cluster_of[i]
            .map(|n| format!(r#" data-cluster="c{n}" display="none""#))
            .unwrap_or_default();
        let _ = write!(
            out,
            r##"<a class="marker" href="{href}" target="_top" data-record="{id}" data-type="{}" data-kind="{kind}" data-area="{area}" data-lat="{:.5}" data-lon="{:.5}" data-x="{:.1}" data-y="{:.1}"{clustered}><title>{}</title>"##,
            if marker.kind == "firm" {
                "firm"
            } else {
                "listing"
            },
            marker.lat,
            marker.lon,
            marker.x,
            marker.y,
            escape(&marker.tooltip),
            href = escape(&marker.href),
            id = escape(&marker.id),
            kind = marker.kind,
            area = marker.area,
        );
        marker_shape(&mut out, marker.kind, marker.x, marker.y);
        out.push_str("</a>");
    }
    out.push_str(r#"</g><g id="clusters">"#);
    for (n, group) in groups.iter().enumerate().filter(|(_, g)| g.len() > 1) {
        let count = group.len();
        let x = group.iter().map(|&i| markers[i].x).sum::<f64>() / count as f64;
        let y = group.iter().map(|&i| markers[i].y).sum::<f64>() / count as f64;
        let names: Vec<String> = group
            .iter()
            .map(|&i| format!("• {}", escape(&markers[i].tooltip)))
            .collect();
        let r = 11.0 + (count as f64).sqrt() * 2.0;
        let firms_in = group.iter().filter(|&&i| markers[i].kind == "firm").count();
        let ring = if firms_in == count {
            FIRM_COLOUR
        } else {
            "#555555"
        };
        let _ = write!(
            out,
            r##"<g class="cluster" id="cluster-c{n}" data-cluster="c{n}" data-count="{count}" data-x="{x:.1}" data-y="{y:.1}" tabindex="0" role="button" aria-label="{count} — {}"><title>{}&#10;{}</title><circle cx="{x:.1}" cy="{y:.1}" r="{r:.1}" fill="#ffffff" stroke="{ring}" stroke-width="3"/><text x="{x:.1}" y="{:.1}" font-size="13" font-weight="bold" text-anchor="middle" fill="#111111">{count}</text></g>"##,
            word("cluster_open"),
            word("cluster_open"),
            names.join("&#10;"),
            y + 4.5,
        );
    }
    out.push_str("</g>");

    draw_crossings(&mut out, &crossings_on(day, lang), &words, day);
    legend(&mut out, &words, h);
    let _ = write!(
        out,
        r##"<text x="{:.0}" y="{:.0}" font-size="10" fill="#555555" text-anchor="end">{}</text></svg>"##,
        WIDTH - 8.0,
        h - 8.0,
        word("map_sources"),
    );
    out
}

fn legend(out: &mut String, words: &std::collections::BTreeMap<&str, &str>, h: f64) {
    let word = |key: &str| escape(words.get(key).copied().unwrap_or_default());
    let rows = 8 + KINDS.len();
    let (x0, width) = (12.0, 255.0);
    let top = h - 34.0 - 20.0 * rows as f64 - 30.0;
    let _ = write!(
        out,
        r##"<g id="legend" font-size="13" fill="#222222"><rect x="{x0}" y="{top:.0}" width="{width}" height="{:.0}" rx="4" fill="#ffffff" fill-opacity="0.94" stroke="#888888"/><text x="{:.0}" y="{:.0}" font-weight="bold" font-size="14">{}</text>"##,
        20.0 * rows as f64 + 38.0,
        x0 + 10.0,
        top + 20.0,
        word("legend"),
    );
    let mut y = top + 42.0;
    let label = |out: &mut String, y: f64, text: &str| {
        let _ = write!(
            out,
            r##"<text x="{:.0}" y="{:.1}">{text}</text>"##,
            x0 + 42.0,
            y + 4.5
        );
    };
    marker_shape(out, "firm", x0 + 20.0, y);
    label(out, y, &word("map_firms"));
    for kind in KINDS {
        y += 20.0;
        marker_shape(out, kind, x0 + 20.0, y);
        label(out, y, &word(&format!("k_{kind}")));
    }
    y += 20.0;
    let _ = write!(
        out,
        r##"<circle cx="{:.0}" cy="{y:.1}" r="9" fill="#ffffff" stroke="#555555" stroke-width="3"/><text x="{:.0}" y="{:.1}" font-size="11" font-weight="bold" text-anchor="middle">3</text>"##,
        x0 + 20.0,
        x0 + 20.0,
        y + 4.0
    );
    label(out, y, &word("map_cluster"));
    y += 20.0;
    let _ = write!(
        out,
        r##"<rect x="{:.0}" y="{:.1}" width="22" height="12" fill="#e3ebf6" stroke="#3c3c3c" stroke-width="1.6"/>"##,
        x0 + 9.0,
        y - 6.0
    );
    label(out, y, &word("map_regions"));
    y += 20.0;
    let _ = write!(
        out,
        r##"<line x1="{:.0}" x2="{:.0}" y1="{y:.1}" y2="{y:.1}" stroke="#6f86b0" stroke-width="1" stroke-dasharray="3 2"/>"##,
        x0 + 8.0,
        x0 + 32.0
    );
    label(out, y, &word("map_cantons"));
    y += 20.0;
    let _ = write!(
        out,
        r##"<line x1="{:.0}" x2="{:.0}" y1="{y:.1}" y2="{y:.1}" stroke="#222222" stroke-width="2.6" stroke-dasharray="9 5"/>"##,
        x0 + 6.0,
        x0 + 34.0
    );
    label(out, y, &word("border"));
    y += 20.0;
    let _ = write!(
        out,
        r##"<rect x="{:.0}" y="{:.1}" width="22" height="12" fill="#efeee9" stroke="#b4b1a6"/>"##,
        x0 + 9.0,
        y - 6.0
    );
    label(out, y, &word("map_context"));
    y += 20.0;
    crossing_shape(out, false, x0 + 20.0, y);
    label(out, y, &word("map_crossing_usable"));
    y += 20.0;
    crossing_shape(out, true, x0 + 20.0, y);
    label(out, y, &word("map_crossing_closed"));
    out.push_str("</g>");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn located(lat: f64, lon: f64, code: &str, name: &str) -> Option<pb::Location> {
        Some(pb::Location {
            lat: Some(lat),
            lon: Some(lon),
            place_code: code.into(),
            place_name: name.into(),
        })
    }

    #[test]
    fn the_bundled_outlines_hold_the_five_regions_cantons_and_border() {
        let data = boundaries();
        for id in ["FR-32", "ES-HU", "ES-Z", "ES-TE", "ES-LO"] {
            assert!(data.areas.iter().any(|a| a.id == id), "{id} outlined");
        }
        let cantons = data.areas.iter().filter(|a| a.kind == "canton").count();
        assert!(cantons >= 17, "the Gers cantons: {cantons}");
        assert!(!data.border.is_empty());
        let area = |id: &str| {
            data.areas
                .iter()
                .find(|a| a.id == id)
                .unwrap_or_else(|| panic!("{id} bundled"))
        };
        // Auch is in the Gers, Zaragoza in its province and not in Huesca's.
        assert!(area("FR-32").contains(0.5855, 43.6465));
        assert!(area("ES-Z").contains(-0.8891, 41.6488));
        assert!(!area("ES-HU").contains(-0.8891, 41.6488));
        assert!(!area("FR-32").contains(-0.8891, 41.6488));
        // Each region's name is written inside it, each capital inside its region.
        for (id, lat, lon) in LABELS {
            assert!(area(id).contains(*lon, *lat), "{id} label inside");
        }
        for ((_, lat, lon), id) in TOWNS
            .iter()
            .zip(["FR-32", "ES-HU", "ES-Z", "ES-TE", "ES-LO"])
        {
            assert!(area(id).contains(*lon, *lat), "{id} capital inside");
        }
    }

    #[test]
    fn map_draws_outlines_markers_and_clusters() {
        let firm = pb::Company {
            id: "cmp_1".into(),
            name: "Foies <Gras>".into(),
            location: located(43.62, 0.87, "32147", "Gimont"),
            ..Default::default()
        };
        let listing = |id: &str, kind: pb::OpportunityKind| pb::Opportunity {
            id: id.into(),
            title: "Distribuidor".into(),
            kind: kind as i32,
            location: located(41.65, -0.88, "50297", "Zaragoza"),
            ..Default::default()
        };
        let listings = [
            listing("opp_1", pb::OpportunityKind::Tender),
            listing("opp_2", pb::OpportunityKind::Partnership),
        ];
        let day = Day::parse("2026-01-18").unwrap_or_else(|e| panic!("{e}"));
        let svg = svg(&[firm], &listings, Lang::Es, day);
        for id in ["FR-32", "ES-HU", "ES-Z", "ES-TE", "ES-LO"] {
            assert!(svg.contains(&format!(r#"id="area-{id}""#)), "{id} drawn");
        }
        assert!(svg.contains(r#"id="border""#));
        assert!(svg.contains("/console/firms/cmp_1") && svg.contains("Foies &lt;Gras&gt;"));
        assert!(svg.contains("/console/opportunities/opp_1"));
        assert!(svg.contains(r#"data-kind="tender""#) && svg.contains("#d55e00"));
        // Two listings at one place: one cluster of two, its members hidden.
        assert_eq!(svg.matches(r#"class="cluster""#).count(), 1);
        assert!(svg.contains(r#"data-count="2""#));
        assert_eq!(svg.matches(r#"display="none""#).count(), 2);
        // The legend speaks Spanish.
        assert!(svg.contains("Licitación") && svg.contains("Leyenda"));
        // Auch is north of Zaragoza: a smaller y.
        assert!(project(43.65, 0.58).1 < project(41.65, -0.88).1);
    }

    fn day(text: &str) -> Day {
        Day::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn crossings_take_their_state_from_their_rules() {
        let state = |on: &str, id: &str, lang: Lang| {
            crossings_on(day(on), lang)
                .into_iter()
                .find(|c| c.id == id)
                .map(|c| (c.state, c.state_text, c.name))
                .unwrap_or_else(|| panic!("{id} drawn"))
        };
        assert_eq!(
            crossings_on(day("2026-01-18"), Lang::Fr).len(),
            TravelModel::bundled().crossings().len()
        );
        // The Bielsa tunnel: a documented closure, then its winter nights, then summer.
        let (closed, text, name) = state("2026-01-19", "bielsa-tunnel", Lang::Fr);
        assert_eq!(closed, CrossingState::Closed);
        assert_eq!(
            text, "fermé ce jour",
            "a closed day says nothing of the weather"
        );
        assert_eq!(name, "Le tunnel d'Aragnouet-Bielsa");
        let (night, text, _) = state("2026-01-20", "bielsa-tunnel", Lang::Es);
        assert_eq!(
            night,
            CrossingState::Night {
                from_hour: 22,
                to_hour: 7
            }
        );
        assert_eq!(
            text,
            "cerrado de noche (22 h–7 h) · puede cerrar por mal tiempo"
        );
        let (summer, text, _) = state("2026-07-15", "bielsa-tunnel", Lang::Fr);
        assert_eq!(summer, CrossingState::Weather);
        assert_eq!(text, "peut fermer par mauvais temps");
        // The Puymorens col's season wraps the new year.
        assert_eq!(
            state("2026-12-01", "puymorens-col", Lang::Fr).0,
            CrossingState::Closed
        );
        assert_eq!(
            state("2027-04-15", "puymorens-col", Lang::Fr).0,
            CrossingState::Closed
        );
        assert_eq!(
            state("2027-04-16", "puymorens-col", Lang::Fr).0,
            CrossingState::Open
        );
        let (open, text, name) = state("2026-07-15", "somport-tunnel", Lang::Es);
        assert_eq!((open, text.as_str()), (CrossingState::Open, "abierto"));
        assert_eq!(name, "El túnel de Somport");
    }

    #[test]
    fn crossings_are_drawn_apart_and_the_eastern_ones_at_the_edge() {
        let svg = svg(&[], &[], Lang::Fr, day("2026-01-18"));
        let crossings = crossings_on(day("2026-01-18"), Lang::Fr);
        let mut places: Vec<(f64, f64)> = Vec::new();
        for crossing in &crossings {
            let start = format!(r#"id="crossing-{}""#, crossing.id);
            let tag = svg
                .split(&start)
                .nth(1)
                .and_then(|rest| rest.split('>').next())
                .unwrap_or_else(|| panic!("{} drawn", crossing.id));
            let number = |name: &str| -> f64 {
                tag.split(&format!(r#"{name}=""#))
                    .nth(1)
                    .and_then(|rest| rest.split('"').next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("{name} of {}", crossing.id))
            };
            let (x, y) = (number("data-x"), number("data-y"));
            assert!((0.0..=WIDTH).contains(&x) && (0.0..=height()).contains(&y));
            assert_eq!(crossing.lon > EAST, tag.contains(r#"data-offmap="east""#));
            for (px, py) in &places {
                assert!((px - x).hypot(py - y) >= 13.0, "{} overlaps", crossing.id);
            }
            places.push((x, y));
        }
        assert!(svg.contains(r#"data-state="closed""#) && svg.contains("Passage fermé ce jour"));
    }

    #[test]
    fn places_map_to_their_areas() {
        assert_eq!(area_of_place("32013"), Some("FR-32"));
        assert_eq!(area_of_place("50297"), Some("ES-Z"));
        assert_eq!(area_of_place("26089"), Some("ES-LO"));
        assert_eq!(area_of_place("31555"), None);
        assert_eq!(area_of_place(""), None);
    }
}
