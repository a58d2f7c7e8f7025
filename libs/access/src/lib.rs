//! Access control for Pyred: who calls, and what they may touch.
//!
//! - [`keys`]: the API key format (`pyred_<id>_<secret>`, 256 random bits) and its keyed
//!   hash (HMAC-SHA-256 with a server secret), verified in constant time;
//! - [`store`]: the key store (registry database) — create, list, rotate, revoke, verify;
//! - [`organisation`]: the organisations advisers belong to, stored beside the keys;
//! - [`caller`]: the authenticated [`Caller`] with its role and scope, and the scope
//!   checks handlers make against the object they touch (object-level authorization);
//! - [`authenticate`]: the gate every RPC passes — bearer key → caller (locally in the
//!   registry, by introspection elsewhere, cached for at most a second so a revoked key
//!   stops within one), the service token of inter-service calls, per-key token buckets;
//! - [`audit`]: the audit log each service keeps of writes and personal-data reads;
//! - [`audit_layer`]: the tower layer that writes it for the RPCs a service lists, with
//!   the object each handler notes;
//! - [`api`]: the `pyred.v1.Access` and `pyred.v1.Audit` gRPC services.

pub mod api;
pub mod audit;
pub mod audit_layer;
pub mod authenticate;
pub mod caller;
pub mod keys;
pub mod limit;
pub mod organisation;
pub mod store;

pub use audit::AuditLog;
pub use audit_layer::{AuditLayer, AuditNote};
pub use authenticate::{Authenticator, Verifier};
pub use caller::{
    Caller, CompanyView, PUBLIC_OPPORTUNITY_STATUSES, Role, RoleRefused, is_public_status,
};
pub use organisation::{Organisation, OrganisationError};
pub use store::{KeyStore, Language};
