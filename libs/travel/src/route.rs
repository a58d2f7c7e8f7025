//! Routing: the fastest road route between two points on a given day.
//!
//! A point (a firm, a listing) is joined to the graph by "access" links to the
//! [`ACCESS_NEIGHBOURS`] nearest places and junctions on its side of the border (its
//! side is that of the nearest one) that lie within twice the nearest one's distance
//! plus [`ACCESS_SLACK_KM`] (so that a point at a town is not linked across a mountain
//! to the next valley), each as long as the great-circle distance times
//! [`ACCESS_DETOUR_FACTOR`] and driven at [`ACCESS_SPEED_KMH`]; two points on the same
//! side are also joined directly by such a link. Dijkstra by time then runs over the
//! graph, never entering a crossing closed for the whole of that day. When the best
//! crossing of the unrestricted network is closed, the route says which and how many
//! minutes the detour costs.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use pyred_domain::date::Day;
use pyred_domain::geo::GeoPoint;

use crate::TravelError;
use crate::crossing::{Crossing, CrossingId};
use crate::graph::{NodeId, Side, TravelModel, other_end};

/// How many nearest nodes a point is joined to.
pub const ACCESS_NEIGHBOURS: usize = 3;
/// Speed on an access link (local roads, town streets), km/h.
pub const ACCESS_SPEED_KMH: f64 = 40.0;
/// Length of an access link over the great-circle distance.
pub const ACCESS_DETOUR_FACTOR: f64 = 1.3;
/// Beyond twice the distance of the nearest node, how much farther (km) another node
/// may be and still get an access link.
pub const ACCESS_SLACK_KM: f64 = 5.0;

/// The answer for one trip.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// Driving time, minutes (typical speeds, no stops, no traffic).
    pub minutes: f64,
    /// Road distance, km.
    pub km: f64,
    /// The crossing used, when the route changes country (the first one, if several).
    pub crossing: Option<CrossingId>,
    /// The graph nodes passed through, in order (the two points themselves excluded).
    pub via: Vec<NodeId>,
    /// When the best crossing with every crossing open is closed that day: which one, and
    /// the extra minutes of the route actually given.
    pub closed_detour: Option<(CrossingId, f64)>,
}

#[derive(Clone, Copy, PartialEq)]
struct State {
    minutes: f64,
    node: usize,
}

impl Eq for State {}

impl Ord for State {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap, Dijkstra wants the least time first.
        other
            .minutes
            .total_cmp(&self.minutes)
            .then_with(|| other.node.cmp(&self.node))
    }
}

impl PartialOrd for State {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn access_minutes(km: f64) -> f64 {
    km / ACCESS_SPEED_KMH * 60.0
}

struct Path {
    minutes: f64,
    km: f64,
    nodes: Vec<usize>,
}

/// A point joined to the graph: its side of the border and its access links, computed
/// once (the matcher keeps one per listing and per firm) and reused for every route.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    point: GeoPoint,
    side: Side,
    links: [(u32, f64); ACCESS_NEIGHBOURS],
    len: u8,
}

impl Located {
    /// The point.
    pub fn point(&self) -> GeoPoint {
        self.point
    }

    /// The side of the border the point is taken to lie on.
    pub fn side(&self) -> Side {
        self.side
    }

    fn links(&self) -> impl Iterator<Item = (usize, f64)> + '_ {
        self.links[..usize::from(self.len)]
            .iter()
            .map(|&(node, km)| (node as usize, km))
    }
}

/// A trip's figures without its path: what scoring needs, with no allocation.
#[derive(Debug, Clone, Copy)]
pub struct Trip<'m> {
    /// Driving time, minutes.
    pub minutes: f64,
    /// Road distance, km.
    pub km: f64,
    /// The crossing used, when the trip changes country (the first one, if several).
    pub crossing: Option<&'m Crossing>,
    /// When the best crossing with every crossing open is closed that day: which one,
    /// and the extra minutes of the trip actually given.
    pub closed_detour: Option<(&'m Crossing, f64)>,
}

impl PartialEq for Trip<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.minutes == other.minutes
            && self.km == other.km
            && self.crossing.map(Crossing::id) == other.crossing.map(Crossing::id)
            && self.closed_detour.map(|(c, m)| (c.id(), m))
                == other.closed_detour.map(|(c, m)| (c.id(), m))
    }
}

/// Shortest times from one point to every node, over the graph as it is on one day.
struct Tree {
    minutes: Vec<f64>,
    km: Vec<f64>,
    /// The node before each on its fastest path; `usize::MAX` for the point itself.
    previous: Vec<usize>,
    /// The first crossing (index into `crossings`) on each node's fastest path.
    crossing: Vec<Option<usize>>,
}

/// Everything reachable by road from one point on one day: one Dijkstra over the graph,
/// then any number of destinations at the cost of their access links.
///
/// The matcher asks for one firm's routes to hundreds of listings (or the reverse; routes
/// are symmetric, the roads being two-way): [`TravelModel::reach`] once, then
/// [`Reach::trip_to`] (figures only) or [`Reach::route_to`] (with the path) per listing.
pub struct Reach<'m> {
    model: &'m TravelModel,
    from: Located,
    on: Day,
    /// Which crossings are closed for the whole day.
    closed: Vec<bool>,
    /// With the crossings closed that day left out.
    open: Tree,
    /// With every crossing open, when some crossing is closed that day (else as `open`).
    free: Option<Tree>,
}

/// The best way from a tree's root to a located point: (minutes, km, last node).
fn best_end(tree: &Tree, from: &Located, to: &Located) -> Option<(f64, f64, Option<usize>)> {
    let mut best: Option<(f64, f64, Option<usize>)> = None;
    if to.side == from.side {
        let length = from.point.distance_km(&to.point) * ACCESS_DETOUR_FACTOR;
        best = Some((access_minutes(length), length, None));
    }
    for (node, length) in to.links() {
        let minutes = tree.minutes[node] + access_minutes(length);
        if minutes.is_finite() && best.is_none_or(|(b, _, _)| minutes < b) {
            best = Some((minutes, tree.km[node] + length, Some(node)));
        }
    }
    best
}

impl TravelModel {
    /// Joins a point to the graph: its side of the border is that of the nearest place
    /// or junction, and it gets access links to the [`ACCESS_NEIGHBOURS`] nearest nodes
    /// of that side within twice the nearest one's distance plus [`ACCESS_SLACK_KM`].
    pub fn locate(&self, point: GeoPoint) -> Located {
        let mut near: Vec<(usize, f64, Side)> = self
            .nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| n.side().map(|s| (i, n.point.distance_km(&point), s)))
            .collect();
        near.sort_by(|x, y| x.1.total_cmp(&y.1).then(x.0.cmp(&y.0)));
        // Every bundled graph has places on both sides (checked on load through the
        // crossings), so `near` is never empty; France is a harmless default.
        let (side, reach) = near
            .first()
            .map_or((Side::France, 0.0), |n| (n.2, 2.0 * n.1 + ACCESS_SLACK_KM));
        let mut located = Located {
            point,
            side,
            links: [(0, 0.0); ACCESS_NEIGHBOURS],
            len: 0,
        };
        for (i, km, _) in near
            .into_iter()
            .filter(|n| n.2 == side && n.1 <= reach)
            .take(ACCESS_NEIGHBOURS)
        {
            // The graph's node count fits u32 (checked on load).
            let Ok(node) = u32::try_from(i) else { break };
            located.links[usize::from(located.len)] = (node, km * ACCESS_DETOUR_FACTOR);
            located.len += 1;
        }
        located
    }

    /// Dijkstra by time from the access links of a point, never entering a crossing
    /// for which `closed` holds.
    fn tree(&self, from: &Located, closed: &dyn Fn(usize) -> bool) -> Tree {
        let n = self.nodes.len();
        let mut tree = Tree {
            minutes: vec![f64::INFINITY; n],
            km: vec![0.0; n],
            previous: vec![usize::MAX; n],
            crossing: vec![None; n],
        };
        let mut heap = BinaryHeap::new();
        for (v, length) in from.links() {
            let minutes = access_minutes(length);
            if minutes < tree.minutes[v] && !self.crossing_of[v].is_some_and(closed) {
                tree.minutes[v] = minutes;
                tree.km[v] = length;
                tree.crossing[v] = self.crossing_of[v];
                heap.push(State { minutes, node: v });
            }
        }
        while let Some(State { minutes, node: u }) = heap.pop() {
            if minutes > tree.minutes[u] {
                continue;
            }
            for &e in &self.adjacency[u] {
                let edge = &self.edges[e];
                let v = other_end(edge, u);
                if self.crossing_of[v].is_some_and(closed) {
                    continue;
                }
                let candidate = minutes + edge.minutes();
                if candidate < tree.minutes[v] {
                    tree.minutes[v] = candidate;
                    tree.km[v] = tree.km[u] + edge.km;
                    tree.previous[v] = u;
                    tree.crossing[v] = tree.crossing[u].or(self.crossing_of[v]);
                    heap.push(State {
                        minutes: candidate,
                        node: v,
                    });
                }
            }
        }
        tree
    }

    /// Every route from `from` on `on`: run once, then ask [`Reach::trip_to`] or
    /// [`Reach::route_to`] per destination.
    pub fn reach(&self, from: GeoPoint, on: Day) -> Reach<'_> {
        self.reach_located(self.locate(from), on)
    }

    /// [`TravelModel::reach`] from a point already located.
    pub fn reach_located(&self, from: Located, on: Day) -> Reach<'_> {
        let closed: Vec<bool> = self.crossings.iter().map(|c| c.closed_on(on)).collect();
        let open = self.tree(&from, &|c| closed[c]);
        let free = closed
            .iter()
            .any(|&c| c)
            .then(|| self.tree(&from, &|_| false));
        Reach {
            model: self,
            from,
            on,
            closed,
            open,
            free,
        }
    }

    /// The fastest route from `from` to `to` on `on`, avoiding crossings closed that day.
    /// For many destinations from one point, [`TravelModel::reach`] is cheaper.
    ///
    /// # Errors
    /// [`TravelError::NoRoute`] when the crossings open that day leave no path (not the
    /// case of the bundled graph, whose motorway crossings never close).
    pub fn route(&self, from: GeoPoint, to: GeoPoint, on: Day) -> Result<Route, TravelError> {
        self.reach(from, on).route_to(to)
    }

    /// The place or junction a point is nearest to, and the side of the border it is taken to lie on.
    pub fn nearest_node(&self, point: GeoPoint) -> Option<(&NodeId, Side)> {
        let located = self.locate(point);
        located
            .links()
            .next()
            .map(|(i, _)| (&self.nodes[i].id, located.side))
    }
}

impl<'m> Reach<'m> {
    /// The point the routes start from.
    pub fn from_point(&self) -> GeoPoint {
        self.from.point
    }

    /// The day the routes are for.
    pub fn day(&self) -> Day {
        self.on
    }

    /// The figures of the fastest trip to a located point on the reach's day (no path,
    /// no allocation); `None` when the crossings open that day leave no path.
    pub fn trip_to(&self, to: &Located) -> Option<Trip<'m>> {
        let model = self.model;
        let (minutes, km, last) = best_end(&self.open, &self.from, to)?;
        let crossing = last.and_then(|n| self.open.crossing[n]);
        let closed_detour = self.free.as_ref().and_then(|free| {
            let (free_minutes, _, free_last) = best_end(free, &self.from, to)?;
            let c = self.first_closed(free, free_last?)?;
            Some((&model.crossings[c], minutes - free_minutes))
        });
        Some(Trip {
            minutes,
            km,
            crossing: crossing.map(|c| &model.crossings[c]),
            closed_detour,
        })
    }

    /// The first crossing closed that day on the free tree's path to `node`.
    fn first_closed(&self, free: &Tree, node: usize) -> Option<usize> {
        let mut at = node;
        let mut on_path = None;
        let mut steps = 0;
        while at != usize::MAX && steps <= self.model.nodes.len() {
            if let Some(c) = self.model.crossing_of[at]
                && self.closed[c]
            {
                on_path = Some(c);
            }
            at = free.previous[at];
            steps += 1;
        }
        // Walking back from the end, the last one met is the first on the path.
        on_path
    }

    fn path(&self, tree: &Tree, to: &Located) -> Option<Path> {
        let (minutes, km, last) = best_end(tree, &self.from, to)?;
        let mut nodes = Vec::new();
        let mut at = last.unwrap_or(usize::MAX);
        while at != usize::MAX && nodes.len() <= self.model.nodes.len() {
            nodes.push(at);
            at = tree.previous[at];
        }
        nodes.reverse();
        Some(Path { minutes, km, nodes })
    }

    /// The fastest route to `to` on the reach's day, with the places and junctions it
    /// passes through; see [`Reach::trip_to`].
    ///
    /// # Errors
    /// [`TravelError::NoRoute`] when the crossings open that day leave no path.
    pub fn route_to(&self, to: GeoPoint) -> Result<Route, TravelError> {
        let model = self.model;
        let to = model.locate(to);
        let path = self
            .path(&self.open, &to)
            .ok_or(TravelError::NoRoute(self.on))?;
        let closed_detour = self.free.as_ref().and_then(|free| {
            let free_path = self.path(free, &to)?;
            let c = free_path
                .nodes
                .iter()
                .filter_map(|&i| model.crossing_of[i])
                .find(|&c| self.closed[c])?;
            Some((
                model.crossings[c].id.clone(),
                path.minutes - free_path.minutes,
            ))
        });
        Ok(Route {
            minutes: path.minutes,
            km: path.km,
            crossing: path
                .nodes
                .iter()
                .find_map(|&i| model.crossing_of[i])
                .map(|c| model.crossings[c].id.clone()),
            via: path
                .nodes
                .iter()
                .map(|&i| model.nodes[i].id.clone())
                .collect(),
            closed_detour,
        })
    }
}
