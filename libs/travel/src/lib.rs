//! Travel by road between the Gers and Aragón / La Rioja, through the real Pyrenean crossings.
//!
//! Straight-line distance misleads across the Pyrenees: Jaca is about 150 km from Auch
//! as the crow flies and far more by road, and which pass or tunnel is used (and
//! whether it is open that day) changes the answer by an hour or more. This crate
//! answers, offline, "how long by road from this point to that one on this day, and
//! through which crossing":
//!
//! - [`TravelModel::bundled`] parses the graph compiled into the crate from `data/`
//!   (places, junctions, crossings, main roads; provenance in `data/PROVENANCE.md`);
//! - [`TravelModel::route`] connects both points to their nearest nodes, runs Dijkstra
//!   by time, never uses a crossing closed that day, and says which best crossing was
//!   closed and the detour it cost.
//!
//! The border can only be crossed through a crossing node: the graph is checked for
//! that when it is loaded.

mod crossing;
mod graph;
mod route;

pub use crossing::{
    Closure, Crossing, CrossingId, CrossingState, MonthDay, Regime, Source, Structure,
};
pub use graph::{Edge, Node, NodeId, NodeKind, RoadKind, Side, TravelModel};
pub use pyred_domain::date::Day;
pub use pyred_domain::geo::GeoPoint as Point;
pub use route::{
    ACCESS_DETOUR_FACTOR, ACCESS_NEIGHBOURS, ACCESS_SLACK_KM, ACCESS_SPEED_KMH, Located, Reach,
    Route, Trip,
};

/// Why the travel data could not be loaded or a route not found.
#[derive(Debug, thiserror::Error)]
pub enum TravelError {
    /// A data file could not be read as CSV of the expected columns.
    #[error("{file}: {source}")]
    Csv {
        /// The data file.
        file: &'static str,
        /// What the CSV reader said.
        #[source]
        source: csv::Error,
    },
    /// A row holds a value the model refuses (unknown node, bad regime, bad number…).
    #[error("{file} line {line}: {message}")]
    Invalid {
        /// The data file.
        file: &'static str,
        /// The 1-based line of the row (the header is line 1).
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// No path joins the two points with the crossings open that day.
    #[error("no road route between the two points on {0}")]
    NoRoute(Day),
}
