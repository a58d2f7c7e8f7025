//! Pyred benchmark suite: Pyred against PostgreSQL's own full-text search, on the same
//! machine, the same data and the same queries, in one run (`docs/BENCHMARKS.md`).
//!
//! - [`corpus`]: the deterministic corpus generator (`pyred-corpus`), JSON Lines of
//!   `shared/data/FORMAT.md`; [`queries`]: the adviser queries; [`rng`]: the seeded
//!   randomness both use;
//! - [`pyred_stack`]: the services as child processes, and every gRPC channel (where
//!   authentication and TLS plug in); [`load`]: the corpus through the sync API;
//! - [`pg`]: the PostgreSQL side (COPY, tsvector per language, GIN, earthdistance);
//! - [`driver`]: N concurrent clients for a fixed duration; [`stats`]: percentiles;
//! - [`bench`]: the run itself (`pyred-bench`) and its report.

pub mod bench;
pub mod corpus;
pub mod driver;
pub mod load;
pub mod pg;
pub mod pyred_stack;
pub mod queries;
pub mod rng;
pub mod stats;
