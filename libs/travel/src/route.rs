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

    fn shortest(
        &self,
        from: &GeoPoint,
        to: &GeoPoint,
        closed: &dyn Fn(usize) -> bool,
    ) -> Option<Path> {
        let n = self.nodes.len();
        let (source, target) = (n, n + 1);
        let (from_side, from_links) = self.access(from);
        let (to_side, to_links) = self.access(to);
        let mut to_target = vec![None; n];
        for &(node, km) in &to_links {
            to_target[node] = Some(km);
        }
        let mut best = vec![f64::INFINITY; n + 2];
        let mut km = vec![0.0; n + 2];
        let mut previous = vec![usize::MAX; n + 2];
        let mut heap = BinaryHeap::new();
        best[source] = 0.0;
        heap.push(State {
            minutes: 0.0,
            node: source,
        });
        let mut relax = |heap: &mut BinaryHeap<State>,
                         best: &mut Vec<f64>,
                         u: usize,
                         v: usize,
                         minutes: f64,
                         length: f64| {
            let candidate = best[u] + minutes;
            if candidate < best[v] {
                best[v] = candidate;
                km[v] = km[u] + length;
                previous[v] = u;
                heap.push(State {
                    minutes: candidate,
                    node: v,
                });
            }
        };
        while let Some(State { minutes, node: u }) = heap.pop() {
            if minutes > best[u] {
                continue;
            }
            if u == target {
                break;
            }
            if u == source {
                for &(v, length) in &from_links {
                    relax(&mut heap, &mut best, u, v, access_minutes(length), length);
                }
                if from_side == to_side {
                    let length = from.distance_km(to) * ACCESS_DETOUR_FACTOR;
                    relax(
                        &mut heap,
                        &mut best,
                        u,
                        target,
                        access_minutes(length),
                        length,
                    );
                }
                continue;
            }
            if let Some(length) = to_target[u] {
                relax(
                    &mut heap,
                    &mut best,
                    u,
                    target,
                    access_minutes(length),
                    length,
                );
            }
            for &e in &self.adjacency[u] {
                let edge = &self.edges[e];
                let v = other_end(edge, u);
                if !closed(v) {
                    relax(&mut heap, &mut best, u, v, edge.minutes(), edge.km);
                }
            }
        }
        if !best[target].is_finite() {
            return None;
        }
        let mut nodes = Vec::new();
        let mut at = previous[target];
        while at != source && at != usize::MAX {
            nodes.push(at);
            at = previous[at];
        }
        nodes.reverse();
        Some(Path {
            minutes: best[target],
            km: km[target],
            nodes,
        })
    }

    fn first_crossing(&self, nodes: &[usize]) -> Option<usize> {
        nodes.iter().find_map(|&i| self.crossing_of[i])
    }

    /// The fastest route from `from` to `to` on `on`, avoiding crossings closed that day.
    ///
    /// # Errors
    /// [`TravelError::NoRoute`] when the crossings open that day leave no path (not the
    /// case of the bundled graph, whose motorway crossings never close).
    pub fn route(&self, from: GeoPoint, to: GeoPoint, on: Day) -> Result<Route, TravelError> {
        let is_closed =
            |node: usize| self.crossing_of[node].is_some_and(|c| self.crossings[c].closed_on(on));
        let path = self
            .shortest(&from, &to, &is_closed)
            .ok_or(TravelError::NoRoute(on))?;
        let free = self.shortest(&from, &to, &|_| false);
        let closed_detour = free.and_then(|free| {
            let c = free
                .nodes
                .iter()
                .filter_map(|&i| self.crossing_of[i])
                .find(|&c| self.crossings[c].closed_on(on))?;
            Some((self.crossings[c].id.clone(), path.minutes - free.minutes))
        });
        Ok(Route {
            minutes: path.minutes,
            km: path.km,
            crossing: self
                .first_crossing(&path.nodes)
                .map(|c| self.crossings[c].id.clone()),
            via: path
                .nodes
                .iter()
                .map(|&i| self.nodes[i].id.clone())
                .collect(),
            closed_detour,
        })
    }

    /// The place or junction a point is nearest to, and the side of the border it is taken to lie on.
    pub fn nearest_node(&self, point: GeoPoint) -> Option<(&NodeId, Side)> {
        let (side, links) = self.access(&point);
        links.first().map(|&(i, _)| (&self.nodes[i].id, side))
    }
}
