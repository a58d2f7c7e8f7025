//! What every Pyred service shares, so that the three behave alike:
//!
//! - [`config`]: layered, typed settings (defaults → file → `PYRED__…` variables);
//! - [`telemetry`]: logs, OpenTelemetry traces over OTLP, W3C trace context in gRPC metadata;
//! - [`server`]: binding, health, reflection, limits and graceful shutdown of a gRPC server;
//! - [`client`]: channels to other services that carry the trace context and a deadline;
//! - [`error`]: field-level `InvalidArgument` errors;
//! - [`launch`]: the shared `main` of a service binary;
//! - [`db`]: opening SQLite or PostgreSQL and running a service's migrations;
//! - [`feed`]: the registry's change feed, followed the same way by every consumer;
//! - [`testing`]: what tests share ([`testing::wait_until`], [`storage_suite!`]).

pub mod client;
pub mod config;
pub mod db;
pub mod error;
pub mod feed;
pub mod gate;
pub mod launch;
pub mod oversize;
pub mod secrets;
pub mod server;
pub mod telemetry;
pub mod testing;
pub mod tls;

pub use config::{Secret, Settings};
