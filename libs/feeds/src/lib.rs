//! `pyred-feeds`: read real public-procurement feed documents into plain notices.
//!
//! Two feeds are read: PLACSP syndication pages (ATOM with CODICE
//! `ContractFolderStatus` entries, [`placsp::parse_page`]) and TED eForms notices
//! ([`ted::parse_notice`]). Both produce the same [`Notice`]; PLACSP pages also carry
//! [`Tombstone`]s (withdrawn entries) and paging links. A document that cannot be read at
//! all (malformed, a DTD, too large, not the expected kind) is a [`FeedError`]; a single
//! entry that cannot be read is a [`Rejected`] with field-level [`Problem`]s, and the
//! rest of the page is kept. [`Territory`] then says which notices concern Aragón,
//! La Rioja or Gers, and why.
//!
//! XML is read by quick-xml's streaming reader under [`Limits`] (see
//! `docs/decisions/0010-feed-xml-parser.md`); entities are never expanded beyond the
//! predefined ones and character references. The field mapping is in `docs/feeds.md`.

mod error;
mod model;
pub mod placsp;
pub mod ted;
mod territory;
mod xml;

pub use error::FeedError;
pub use model::{
    Amount, ContractType, ContractingBody, Deadline, FolderStatus, Lot, Notice, NoticeForm, Place,
    Problem, ProcedureType, Rejected, Source, Tombstone, Version, iso639_1, parse_cpv,
};
pub use placsp::Page;
pub use ted::ParsedNotice;
pub use territory::{Territory, TerritoryMatch};
pub use xml::Limits;
