//! `pyred-feed-sync`: brings real public-procurement feeds into the registry.
//!
//! Documents come from a [`source`] (a file, a directory, a `.zip`, an `https://` feed
//! fetched by [`fetch`]); `pyred-feeds` parses them into notices and tombstones;
//! [`mapping`] turns those into registry listings; [`sync`] applies them through
//! `SyncListings` with the per-feed cursor, once or as a [`follower`].

pub mod cli;
pub mod fetch;
pub mod follower;
pub mod mapping;
pub mod source;
pub mod sync;
