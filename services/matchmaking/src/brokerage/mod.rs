//! Brokerage (`pyred.v1.Brokerage`, decision 0018): cases that hand a cross-border lead
//! from the organisation that follows a firm to the one that follows the listing or the
//! other firm, the two firms' double opt-in before any contact is shown, and joint-bid
//! proposals for tenders.
//!
//! - [`case`]: statuses, answers and timeline words;
//! - [`store`]: the cases, consents and timelines in the matchmaking database;
//! - [`directory`]: the organisations, read from the registry;
//! - [`service`]: the rules (who, when, what is written);
//! - [`consortia`]: joint-bid proposals;
//! - [`sweep`]: consents expire on time;
//! - [`grpc`]: the adapter.

pub mod case;
pub mod consortia;
pub mod directory;
pub mod error;
pub mod grpc;
pub mod service;
pub mod store;
pub mod sweep;

pub use error::BrokerError;
pub use service::Broker;
