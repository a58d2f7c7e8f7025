//! Pyred's gRPC contracts, package `pyred.v1`, generated from `proto/pyred/v1/`.
//!
//! Every service depends on this crate for its messages, clients and servers, and on the
//! `tonic`/`prost` it re-exports, so that no service can drift to another version.

pub mod codec;

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
}
