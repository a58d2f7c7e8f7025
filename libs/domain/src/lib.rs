//! Pyred's domain types, parsed once at the boundary and valid by construction.
//!
//! Pyred matches firms in Gers (France) with business opportunities in Aragón and
//! La Rioja (Spain). This crate holds the vocabulary every service shares:
//!
//! - [`ids`]: company and person identifiers — [`Siren`], [`Siret`] and the Spanish
//!   [`Nif`] (DNI, NIE, CIF) — checked with the same rules as python-stdnum.
//! - [`nace`]: the NACE Rev. 2 taxonomy ([`NaceCode`]) read from NACE, NAF and CNAE
//!   codes, with French, Spanish and English labels and a similarity measure.
//! - [`region`]: ISO 3166-2 subdivisions ([`IsoRegion`]) and countries ([`Country`]).
//! - [`geo`]: validated coordinates ([`GeoPoint`]), great-circle distances and
//!   bounding boxes that stay correct across the Greenwich meridian and ±180°.
//! - [`gazetteer`]: every commune of Gers and municipality of Aragón and La Rioja
//!   ([`Place`]) with look-ups by code, name, exonym, prefix and proximity.
//! - [`cpv`]: Common Procurement Vocabulary codes ([`Cpv`]).
//! - [`date`]: calendar days ([`Day`]) for publication dates and deadlines.
//! - [`iso`]: the assigned ISO 3166-1, ISO 3166-2 and ISO 639-1 codes.
//!
//! The reference data (NACE labels, communes, municipalities) is compiled into the
//! crate from `data/` and parsed once on first use; `scripts/rebuild-reference-data.sh`
//! at the workspace root rebuilds it from public packages (see
//! `docs/reference-data.md`).

pub mod cpv;
pub mod date;
pub mod gazetteer;
pub mod geo;
pub mod ids;
pub mod iso;
pub mod nace;
pub mod region;
pub mod source;
mod text;

pub use cpv::{Cpv, CpvError, CpvLevel};
pub use date::{DateError, Day, utc_text};
pub use gazetteer::{DataError, Gazetteer, Place, PlaceCode, PlaceDistance};
pub use geo::{BoundingBox, EARTH_MEAN_RADIUS_KM, GeoError, GeoPoint};
pub use ids::{IdError, Nif, NifKind, Siren, Siret};
pub use nace::{Classification, Lang, NaceCode, NaceError, NaceLevel};
pub use region::{Country, IsoRegion, RegionError};
