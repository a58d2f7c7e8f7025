//! The bundled road graph: places, junctions and crossings, joined by main roads.
//!
//! Parsed once from `data/nodes.csv`, `data/crossings.csv` and `data/edges.csv`
//! (embedded with `include_str!`). Loading refuses a graph in which a road joins a
//! French node to a Spanish one without a crossing at one end, so that a route can only
//! change country through a crossing node.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use pyred_domain::geo::GeoPoint;
use serde::Deserialize;

use crate::TravelError;
use crate::crossing::{Crossing, CrossingId, Regime, Source, Structure};

const NODES_CSV: &str = include_str!("../data/nodes.csv");
const CROSSINGS_CSV: &str = include_str!("../data/crossings.csv");
const EDGES_CSV: &str = include_str!("../data/edges.csv");

/// The identifier of a node (`auch`, `somport-tunnel`…), as in `data/nodes.csv`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub(crate) String);

impl NodeId {
    /// The identifier as written in the data.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which side of the border a node lies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// France.
    France,
    /// Spain.
    Spain,
}

/// What a node is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    /// A town of the territory (Gers, Aragón, La Rioja), with its INSEE or INE code.
    Place {
        /// Its side of the border.
        side: Side,
        /// Its INSEE (Gers) or INE (Spain) code in the gazetteer.
        code: String,
    },
    /// A town outside the territory that routes pass through.
    Junction {
        /// Its side of the border.
        side: Side,
    },
    /// A crossing of the range: the only nodes that join both sides.
    Crossing(CrossingId),
}

/// A node of the graph.
#[derive(Debug, Clone)]
pub struct Node {
    pub(crate) id: NodeId,
    pub(crate) name: String,
    pub(crate) kind: NodeKind,
    pub(crate) point: GeoPoint,
}

impl Node {
    /// Its identifier.
    pub fn id(&self) -> &NodeId {
        &self.id
    }
    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Place, junction or crossing.
    pub fn kind(&self) -> &NodeKind {
        &self.kind
    }
    /// Its position.
    pub fn point(&self) -> GeoPoint {
        self.point
    }
    /// Its side of the border; `None` for a crossing.
    pub fn side(&self) -> Option<Side> {
        match &self.kind {
            NodeKind::Place { side, .. } | NodeKind::Junction { side } => Some(*side),
            NodeKind::Crossing(_) => None,
        }
    }
}

/// The kind of a road, which fixes its typical speed and, for an estimated length, its
/// detour factor over the great circle (`data/PROVENANCE.md`; the same table is in
/// `scripts/rebuild-travel-data.py`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoadKind {
    /// Autoroute / autopista / autovía.
    Motorway,
    /// Dual carriageway national road (N124, N20, A-23 at Monrepós).
    Expressway,
    /// Two-lane national or main road.
    National,
    /// Departmental or regional road.
    Secondary,
    /// Mountain valley road.
    Valley,
    /// Road over a col.
    Pass,
}

impl RoadKind {
    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "motorway" => Self::Motorway,
            "expressway" => Self::Expressway,
            "national" => Self::National,
            "secondary" => Self::Secondary,
            "valley" => Self::Valley,
            "pass" => Self::Pass,
            _ => return None,
        })
    }

    /// The typical speed, km/h.
    pub fn speed_kmh(self) -> f64 {
        match self {
            Self::Motorway => 115.0,
            Self::Expressway => 95.0,
            Self::National => 75.0,
            Self::Secondary => 65.0,
            Self::Valley => 55.0,
            Self::Pass => 40.0,
        }
    }

    /// Road length over great-circle distance, for lengths not read from a source.
    pub fn detour_factor(self) -> f64 {
        match self {
            Self::Motorway | Self::Expressway => 1.15,
            Self::National | Self::Secondary => 1.25,
            Self::Valley => 1.35,
            Self::Pass => 1.60,
        }
    }
}

/// A road between two nodes, usable both ways.
#[derive(Debug, Clone)]
pub struct Edge {
    pub(crate) a: usize,
    pub(crate) b: usize,
    pub(crate) road: String,
    pub(crate) kind: RoadKind,
    pub(crate) km: f64,
    pub(crate) estimated: bool,
}

impl Edge {
    /// The road number(s).
    pub fn road(&self) -> &str {
        &self.road
    }
    /// Its kind.
    pub fn kind(&self) -> RoadKind {
        self.kind
    }
    /// Its length, km.
    pub fn km(&self) -> f64 {
        self.km
    }
    /// Whether the length is estimated (great circle × detour factor) rather than published.
    pub fn is_estimated(&self) -> bool {
        self.estimated
    }
    /// The time to drive it at its kind's typical speed, minutes.
    pub fn minutes(&self) -> f64 {
        self.km / self.kind.speed_kmh() * 60.0
    }
}

/// The travel model: the road graph and its crossings.
#[derive(Debug, Clone)]
pub struct TravelModel {
    pub(crate) nodes: Vec<Node>,
    pub(crate) edges: Vec<Edge>,
    pub(crate) crossings: Vec<Crossing>,
    /// For each node, the edges (index into `edges`) that touch it.
    pub(crate) adjacency: Vec<Vec<usize>>,
    /// For each node, the index of its crossing in `crossings`.
    pub(crate) crossing_of: Vec<Option<usize>>,
}

#[derive(Deserialize)]
struct NodeRow {
    id: String,
    name: String,
    kind: String,
    country: String,
    lat: f64,
    lon: f64,
    code: String,
}

#[derive(Deserialize)]
struct CrossingRow {
    id: String,
    name: String,
    name_fr: String,
    name_es: String,
    structure: String,
    roads: String,
    regime: String,
    source_url: String,
    source_title: String,
}

#[derive(Deserialize)]
struct EdgeRow {
    from: String,
    to: String,
    road: String,
    kind: String,
    km: f64,
    speed_kmh: f64,
    length_source: String,
}

fn rows<T: for<'de> Deserialize<'de>>(
    file: &'static str,
    text: &str,
) -> Result<Vec<(u64, T)>, TravelError> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (i, row) in reader.deserialize().enumerate() {
        let row = row.map_err(|source| TravelError::Csv { file, source })?;
        out.push((i as u64 + 2, row));
    }
    Ok(out)
}

impl TravelModel {
    /// The model compiled into the crate, parsed on first use.
    ///
    /// # Panics
    /// Never in practice: the bundled files are checked by the crate's tests; a broken
    /// file would fail them before release.
    pub fn bundled() -> &'static TravelModel {
        static MODEL: OnceLock<TravelModel> = OnceLock::new();
        MODEL.get_or_init(|| {
            #[allow(clippy::expect_used)]
            Self::from_csv(NODES_CSV, CROSSINGS_CSV, EDGES_CSV)
                .expect("the bundled travel data is checked by the crate's tests")
        })
    }

    /// A model from the three CSV texts (same columns as the bundled files).
    ///
    /// # Errors
    /// [`TravelError::Csv`] for a malformed file, [`TravelError::Invalid`] for a row the
    /// model refuses: duplicate or unknown identifiers, bad coordinates, lengths or
    /// regimes, a crossing without its row (or the reverse), or a road that joins the
    /// two countries without a crossing.
    pub fn from_csv(
        nodes_csv: &str,
        crossings_csv: &str,
        edges_csv: &str,
    ) -> Result<Self, TravelError> {
        let invalid = |file, line, message: String| TravelError::Invalid {
            file,
            line,
            message,
        };

        let mut crossing_rows = HashMap::new();
        for (line, row) in rows::<CrossingRow>("crossings.csv", crossings_csv)? {
            let structure = match row.structure.as_str() {
                "tunnel" => Structure::Tunnel,
                "pass" => Structure::Pass,
                "motorway" => Structure::Motorway,
                "road" => Structure::Road,
                other => {
                    return Err(invalid(
                        "crossings.csv",
                        line,
                        format!("unknown structure {other:?}"),
                    ));
                }
            };
            let regime =
                Regime::parse(&row.regime).map_err(|m| invalid("crossings.csv", line, m))?;
            let source = match (row.source_url.trim(), row.source_title.trim()) {
                ("unverified", _) => Source::Unverified,
                (url, title) if url.starts_with("http") && !title.is_empty() => Source::Page {
                    url: url.to_owned(),
                    title: title.to_owned(),
                },
                _ => {
                    return Err(invalid(
                        "crossings.csv",
                        line,
                        "the source must be a URL with a title, or \"unverified\"".into(),
                    ));
                }
            };
            let crossing = Crossing {
                id: CrossingId(row.id.clone()),
                name: row.name,
                name_fr: row.name_fr,
                name_es: row.name_es,
                structure,
                roads: row.roads,
                regime,
                source,
            };
            if crossing_rows
                .insert(row.id.clone(), (line, crossing))
                .is_some()
            {
                return Err(invalid(
                    "crossings.csv",
                    line,
                    format!("duplicate crossing {:?}", row.id),
                ));
            }
        }

        let mut nodes = Vec::new();
        let mut crossings = Vec::new();
        let mut crossing_of = Vec::new();
        let mut index = HashMap::new();
        for (line, row) in rows::<NodeRow>("nodes.csv", nodes_csv)? {
            let point = GeoPoint::new(row.lat, row.lon)
                .map_err(|e| invalid("nodes.csv", line, e.to_string()))?;
            let side = match row.country.as_str() {
                "FR" => Some(Side::France),
                "ES" => Some(Side::Spain),
                "FR-ES" => None,
                other => {
                    return Err(invalid(
                        "nodes.csv",
                        line,
                        format!("unknown country {other:?}"),
                    ));
                }
            };
            let kind = match (row.kind.as_str(), side) {
                ("place", Some(side)) if !row.code.is_empty() => NodeKind::Place {
                    side,
                    code: row.code,
                },
                ("junction", Some(side)) => NodeKind::Junction { side },
                ("crossing", None) => {
                    let Some((_, crossing)) = crossing_rows.remove(&row.id) else {
                        return Err(invalid(
                            "nodes.csv",
                            line,
                            format!("crossing {:?} has no row in crossings.csv", row.id),
                        ));
                    };
                    crossings.push(crossing);
                    NodeKind::Crossing(CrossingId(row.id.clone()))
                }
                (kind, _) => {
                    return Err(invalid(
                        "nodes.csv",
                        line,
                        format!(
                            "a {kind:?} node in {:?} (places need a code, crossings FR-ES)",
                            row.country
                        ),
                    ));
                }
            };
            crossing_of.push(matches!(kind, NodeKind::Crossing(_)).then(|| crossings.len() - 1));
            if index.insert(row.id.clone(), nodes.len()).is_some() {
                return Err(invalid(
                    "nodes.csv",
                    line,
                    format!("duplicate node {:?}", row.id),
                ));
            }
            nodes.push(Node {
                id: NodeId(row.id),
                name: row.name,
                kind,
                point,
            });
        }
        if let Some((id, (line, _))) = crossing_rows.into_iter().next() {
            return Err(invalid(
                "crossings.csv",
                line,
                format!("crossing {id:?} is not a node of nodes.csv"),
            ));
        }

        let mut edges = Vec::new();
        let mut adjacency = vec![Vec::new(); nodes.len()];
        for (line, row) in rows::<EdgeRow>("edges.csv", edges_csv)? {
            let find = |id: &str| {
                index
                    .get(id)
                    .copied()
                    .ok_or_else(|| invalid("edges.csv", line, format!("unknown node {id:?}")))
            };
            let (a, b) = (find(&row.from)?, find(&row.to)?);
            let kind = RoadKind::parse(&row.kind).ok_or_else(|| {
                invalid(
                    "edges.csv",
                    line,
                    format!("unknown road kind {:?}", row.kind),
                )
            })?;
            if !(row.km.is_finite() && row.km > 0.0) {
                return Err(invalid(
                    "edges.csv",
                    line,
                    format!("length {} km is not positive", row.km),
                ));
            }
            if (row.speed_kmh - kind.speed_kmh()).abs() > f64::EPSILON {
                return Err(invalid(
                    "edges.csv",
                    line,
                    format!(
                        "speed {} km/h differs from the {:?} speed {}",
                        row.speed_kmh,
                        kind,
                        kind.speed_kmh()
                    ),
                ));
            }
            let estimated = match row.length_source.as_str() {
                "estimated" => true,
                url if url.starts_with("http") => false,
                other => {
                    return Err(invalid(
                        "edges.csv",
                        line,
                        format!("length source {other:?} is neither a URL nor \"estimated\""),
                    ));
                }
            };
            match (nodes[a].side(), nodes[b].side()) {
                (Some(x), Some(y)) if x != y => {
                    return Err(invalid(
                        "edges.csv",
                        line,
                        format!(
                            "{} – {} crosses the border without a crossing",
                            row.from, row.to
                        ),
                    ));
                }
                (None, None) => {
                    return Err(invalid(
                        "edges.csv",
                        line,
                        format!("{} – {} joins two crossings", row.from, row.to),
                    ));
                }
                _ if a == b => {
                    return Err(invalid(
                        "edges.csv",
                        line,
                        "a road from a node to itself".into(),
                    ));
                }
                _ => {}
            }
            adjacency[a].push(edges.len());
            adjacency[b].push(edges.len());
            edges.push(Edge {
                a,
                b,
                road: row.road,
                kind,
                km: row.km,
                estimated,
            });
        }
        // A crossing must join the two sides: one road to each.
        for (i, node) in nodes.iter().enumerate() {
            if node.side().is_none() {
                let sides: Vec<_> = adjacency[i]
                    .iter()
                    .filter_map(|&e| nodes[other_end(&edges[e], i)].side())
                    .collect();
                if !(sides.contains(&Side::France) && sides.contains(&Side::Spain)) {
                    return Err(invalid(
                        "edges.csv",
                        0,
                        format!("crossing {} lacks a road on one side", node.id),
                    ));
                }
            }
        }
        Ok(Self {
            nodes,
            edges,
            crossings,
            adjacency,
            crossing_of,
        })
    }

    /// Every node, in the order of `data/nodes.csv`.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Every road.
    pub fn edges(&self) -> &[Edge] {
        &self.edges
    }

    /// Every crossing.
    pub fn crossings(&self) -> &[Crossing] {
        &self.crossings
    }

    /// The node `id`.
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id.0 == id)
    }

    /// The crossing `id`.
    pub fn crossing(&self, id: &CrossingId) -> Option<&Crossing> {
        self.crossings.iter().find(|c| &c.id == id)
    }

    /// The greatest speed, km/h, at which any link of the model makes progress as the
    /// crow flies: over every road, its ends' great-circle distance divided by its
    /// driving time, and over the access links (great circle ×
    /// [`ACCESS_DETOUR_FACTOR`](crate::ACCESS_DETOUR_FACTOR) at
    /// [`ACCESS_SPEED_KMH`](crate::ACCESS_SPEED_KMH)) the same ratio.
    ///
    /// A route is a chain of such links and great-circle distance obeys the triangle
    /// inequality, so no route between two points is shorter than their great-circle
    /// distance divided by this speed: searches use it to turn a driving time into a
    /// straight-line radius that cannot miss a document. At most the motorway speed
    /// while every road is at least as long as the great circle between its ends.
    pub fn max_speed_kmh(&self) -> f64 {
        let access = crate::ACCESS_SPEED_KMH / crate::ACCESS_DETOUR_FACTOR;
        self.edges.iter().fold(access, |fastest, edge| {
            let (a, b) = self.ends(edge);
            let hours = edge.minutes() / 60.0;
            fastest.max(a.point.distance_km(&b.point) / hours)
        })
    }

    /// The two end nodes of an edge.
    pub fn ends(&self, edge: &Edge) -> (&Node, &Node) {
        (&self.nodes[edge.a], &self.nodes[edge.b])
    }
}

pub(crate) fn other_end(edge: &Edge, node: usize) -> usize {
    if edge.a == node { edge.b } else { edge.a }
}
