//! Pyred's gRPC contracts, package `pyred.v1`, generated from `proto/pyred/v1/`.
//!
//! Every service depends on this crate for its messages, clients and servers, and on the
//! `tonic`/`prost` it re-exports, so that no service can drift to another version.

pub mod codec;
pub mod convert;
pub mod idempotency;
pub mod paging;
pub mod sync;
pub mod workflow;

pub use prost;
pub use prost_types;
pub use tonic;
pub use tonic_prost;
pub use tonic_types;

/// Version 1 of the Pyred API.
pub mod v1 {
    #![allow(missing_docs, clippy::all, clippy::pedantic)]
    tonic::include_proto!("pyred.v1");
}

/// The encoded `FileDescriptorSet` of `pyred.v1`, served by gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/pyred_descriptor.bin"));

/// Fully qualified names of the Pyred gRPC services.
pub mod service_names {
    /// `pyred.v1.CompanyRegistry`.
    pub const COMPANY_REGISTRY: &str = "pyred.v1.CompanyRegistry";
    /// `pyred.v1.GeoSearch`.
    pub const GEO_SEARCH: &str = "pyred.v1.GeoSearch";
    /// `pyred.v1.Matchmaking`.
    pub const MATCHMAKING: &str = "pyred.v1.Matchmaking";
    /// `pyred.v1.Access` (served by the registry).
    pub const ACCESS: &str = "pyred.v1.Access";
    /// `pyred.v1.Audit` (served by every service).
    pub const AUDIT: &str = "pyred.v1.Audit";
    /// `pyred.v1.Brokerage` (served by the matchmaking server).
    pub const BROKERAGE: &str = "pyred.v1.Brokerage";
}

impl v1::Location {
    /// The point given, as (lat, lon): `None` unless both coordinates are present.
    pub fn point(&self) -> Option<(f64, f64)> {
        self.lat.zip(self.lon)
    }

    /// The latitude, 0 when absent (for records the registry returned, which always
    /// carry a point).
    pub fn lat_or_zero(&self) -> f64 {
        self.lat.unwrap_or_default()
    }

    /// The longitude, 0 when absent (see [`Self::lat_or_zero`]).
    pub fn lon_or_zero(&self) -> f64 {
        self.lon.unwrap_or_default()
    }
}
