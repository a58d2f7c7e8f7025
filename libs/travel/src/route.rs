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
use crate::crossing::CrossingId;
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

/// Shortest times from one point to every node, over the graph as it is on one day.
struct Tree {
    minutes: Vec<f64>,
    km: Vec<f64>,
    /// The node before each on its fastest path; `usize::MAX` for the point itself.
    previous: Vec<usize>,
}

/// Everything reachable by road from one point on one day: one Dijkstra over the graph,
/// then any number of destinations at the cost of their access links.
///
/// The matcher asks for one firm's routes to hundreds of listings (or the reverse; routes
/// are symmetric, the roads being two-way): [`TravelModel::reach`] once, then
/// [`Reach::route_to`] per listing.
pub struct Reach<'m> {
    model: &'m TravelModel,
    from: GeoPoint,
    side: Side,
    on: Day,
    /// With the crossings closed that day left out.
    open: Tree,
    /// With every crossing open, when some crossing is closed that day (else as `open`).
    free: Option<Tree>,
}

impl TravelModel {
    /// The side of the border a point is taken to lie on, and its access links
    /// `(node, km)` to the nearest places and junctions of that side.
    fn access(&self, point: &GeoPoint) -> (Side, Vec<(usize, f64)>) {
        let mut near: Vec<(usize, f64, Side)> = self
            .nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| n.side().map(|s| (i, n.point.distance_km(point), s)))
            .collect();
        near.sort_by(|x, y| x.1.total_cmp(&y.1).then(x.0.cmp(&y.0)));
        // Every bundled graph has places on both sides (checked on load through the
        // crossings), so `near` is never empty; France is a harmless default.
        let (side, reach) = near
            .first()
            .map_or((Side::France, 0.0), |n| (n.2, 2.0 * n.1 + ACCESS_SLACK_KM));
        let links = near
            .into_iter()
            .filter(|n| n.2 == side && n.1 <= reach)
            .take(ACCESS_NEIGHBOURS)
            .map(|(i, km, _)| (i, km * ACCESS_DETOUR_FACTOR))
            .collect();
        (side, links)
    }

    /// Dijkstra by time from the access links of a point, never entering a node for
    /// which `closed` holds.
    fn tree(&self, links: &[(usize, f64)], closed: &dyn Fn(usize) -> bool) -> Tree {
        let n = self.nodes.len();
        let mut tree = Tree {
            minutes: vec![f64::INFINITY; n],
            km: vec![0.0; n],
            previous: vec![usize::MAX; n],
        };
        let mut heap = BinaryHeap::new();
        for &(v, length) in links {
            let minutes = access_minutes(length);
            if minutes < tree.minutes[v] {
                tree.minutes[v] = minutes;
                tree.km[v] = length;
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
                if closed(v) {
                    continue;
                }
                let candidate = minutes + edge.minutes();
                if candidate < tree.minutes[v] {
                    tree.minutes[v] = candidate;
                    tree.km[v] = tree.km[u] + edge.km;
                    tree.previous[v] = u;
                    heap.push(State {
                        minutes: candidate,
                        node: v,
                    });
                }
            }
        }
        tree
    }

    fn first_crossing(&self, nodes: &[usize]) -> Option<usize> {
        nodes.iter().find_map(|&i| self.crossing_of[i])
    }

    /// Every route from `from` on `on`: run once, then ask [`Reach::route_to`] per
    /// destination.
    pub fn reach(&self, from: GeoPoint, on: Day) -> Reach<'_> {
        let (side, links) = self.access(&from);
        let closed_that_day: Vec<bool> = self.crossings.iter().map(|c| c.closed_on(on)).collect();
        let is_closed = |node: usize| self.crossing_of[node].is_some_and(|c| closed_that_day[c]);
        let open = self.tree(&links, &is_closed);
        let free = closed_that_day
            .iter()
            .any(|&closed| closed)
            .then(|| self.tree(&links, &|_| false));
        Reach {
            model: self,
            from,
            side,
            on,
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
        let (side, links) = self.access(&point);
        links.first().map(|&(i, _)| (&self.nodes[i].id, side))
    }
}

impl Reach<'_> {
    /// The point the routes start from.
    pub fn from_point(&self) -> GeoPoint {
        self.from
    }

    /// The day the routes are for.
    pub fn day(&self) -> Day {
        self.on
    }

    fn path(
        &self,
        tree: &Tree,
        to: &GeoPoint,
        to_side: Side,
        links: &[(usize, f64)],
    ) -> Option<Path> {
        let model = self.model;
        // (minutes, km, last node before `to`)
        let mut best: Option<(f64, f64, Option<usize>)> = None;
        if to_side == self.side {
            let length = self.from.distance_km(to) * ACCESS_DETOUR_FACTOR;
            best = Some((access_minutes(length), length, None));
        }
        for &(node, length) in links {
            let minutes = tree.minutes[node] + access_minutes(length);
            if minutes.is_finite() && best.is_none_or(|(b, _, _)| minutes < b) {
                best = Some((minutes, tree.km[node] + length, Some(node)));
            }
        }
        let (minutes, km, last) = best?;
        let mut nodes = Vec::new();
        let mut at = last.unwrap_or(usize::MAX);
        while at != usize::MAX && nodes.len() <= model.nodes.len() {
            nodes.push(at);
            at = tree.previous[at];
        }
        nodes.reverse();
        Some(Path { minutes, km, nodes })
    }

    /// The fastest route to `to` on the reach's day, avoiding crossings closed that day;
    /// when the best crossing with every crossing open is closed, says which and the
    /// detour's extra minutes.
    ///
    /// # Errors
    /// [`TravelError::NoRoute`] when the crossings open that day leave no path.
    pub fn route_to(&self, to: GeoPoint) -> Result<Route, TravelError> {
        let model = self.model;
        let (to_side, links) = model.access(&to);
        let path = self
            .path(&self.open, &to, to_side, &links)
            .ok_or(TravelError::NoRoute(self.on))?;
        let closed_detour = self.free.as_ref().and_then(|free| {
            let free = self.path(free, &to, to_side, &links)?;
            let c = free
                .nodes
                .iter()
                .filter_map(|&i| model.crossing_of[i])
                .find(|&c| model.crossings[c].closed_on(self.on))?;
            Some((model.crossings[c].id.clone(), path.minutes - free.minutes))
        });
        Ok(Route {
            minutes: path.minutes,
            km: path.km,
            crossing: model
                .first_crossing(&path.nodes)
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
