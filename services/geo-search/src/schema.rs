//! The index schema: which field holds what, and how it is analysed.
//!
//! One tantivy document per registry record (company or opportunity), keyed by
//! [`Fields::key`] (`c:<id>` / `o:<id>`) so that an upsert is "delete the key, add the
//! new document". Free texts go to the fields of the record's own language only
//! (`title_fr` or `title_es`, …), analysed by the `pyred_fr` / `pyred_es` analyzers and
//! stored for snippets; a query reaches the other language through
//! the other analyzer (shared stems), the folded catch-all field (accent-less and typo
//! tolerant matching) and the language-neutral concept ids of the glossary.
//! Filters and facets read STRING and fast fields; lat/lon and the dates (days since
//! 1970-01-01) are fast columns read by the geo collector and range queries.
//!
//! Public tenders add the contracting body's name and the lots' titles as analysed
//! (and stored) texts, the lots' CPV codes to [`Fields::cpv`], and stored keyword
//! fields for what a hit shows (official link, stage, procedure, contract type, NUTS).
//!
//! An index whose schema differs from [`build`]'s is refilled from sequence 0 at
//! start-up (`index.rs`). The schema carries [`DOCUMENT_FORMAT`] and a fingerprint of
//! the analyzers' stem exceptions in a field name, so that a change in how documents
//! are built or analysed — without a new field — refills it too.

use pyred_text::Language;
use tantivy::schema::{
    FAST, Field, IndexRecordOption, NumericOptions, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions,
};

/// A pair of fields holding the same text in French or in Spanish.
#[derive(Debug, Clone, Copy)]
pub struct LangFields {
    /// Analysed with `pyred_fr`.
    pub fr: Field,
    /// Analysed with `pyred_es`.
    pub es: Field,
}

impl LangFields {
    /// The field of `language`; French for `Unknown` (never indexed as such).
    pub fn get(&self, language: Language) -> Field {
        match language {
            Language::Es => self.es,
            Language::Fr | Language::Unknown => self.fr,
        }
    }
}

/// The field handles of the schema.
#[derive(Debug, Clone)]
pub struct Fields {
    /// Unique key `c:<id>` or `o:<id>`: the term upserts and deletions address.
    pub key: Field,
    /// Registry identifier.
    pub id: Field,
    /// A stable 64-bit hash of `key`: breaks ties between equal ranks the same way on
    /// every replica (document addresses differ between replicas' indexes).
    pub tiebreak: Field,
    /// `company` or `opportunity`.
    pub entity: Field,
    /// Registry version of the record.
    pub version: Field,
    /// Name (company) or title (opportunity).
    pub title: LangFields,
    /// Description.
    pub description: LangFields,
    /// What a company offers.
    pub offers: LangFields,
    /// What a company seeks.
    pub seeks: LangFields,
    /// Labels of the record's NACE codes, in both languages whatever the record's language.
    pub nace_label: LangFields,
    /// Name of a tender's contracting body (who buys), stored.
    pub buyer: LangFields,
    /// Titles of a tender's lots, one value per lot, in the notice's order, stored.
    pub lots: LangFields,
    /// Every text folded (lowercase, no accents, no stemming): typo and accent tolerance.
    pub fold: Field,
    /// Glossary concepts mentioned anywhere in the record.
    pub concepts: Field,
    /// Concepts broader than those (armagnac → brandy → spirits), not themselves mentioned.
    pub broader: Field,
    /// Concepts of a company's offers.
    pub offers_concepts: Field,
    /// Concepts of a company's seeks.
    pub seeks_concepts: Field,
    /// NACE codes at every level (`C`, `25`, `25.6`, `25.62`).
    pub nace: Field,
    /// NACE divisions (facets).
    pub nace_division: Field,
    /// CPV prefixes of 2 to 8 digits.
    pub cpv: Field,
    /// Opportunity kind (`tender`, `business_offer`, …).
    pub kind: Field,
    /// Opportunity status as written (`published`, `withdrawn`, …).
    pub status: Field,
    /// ISO 3166-2 region (`ES-AR`).
    pub region: Field,
    /// Department or province (`ES-Z`), from the gazetteer.
    pub subdivision: Field,
    /// Publisher.
    pub source: Field,
    /// `fr` or `es`.
    pub language: Field,
    /// Company visibility: `public` or `advisers_only`.
    pub visibility: Field,
    /// Latitude, degrees.
    pub lat: Field,
    /// Longitude, degrees.
    pub lon: Field,
    /// Place code (INSEE/INE).
    pub place_code: Field,
    /// Place name.
    pub place_name: Field,
    /// Publication day (days since 1970-01-01).
    pub published: Field,
    /// Deadline day.
    pub deadline: Field,
    /// Expiry day: deadline, or published + 365.
    pub expires_on: Field,
    /// Last day the record is live: `i64::MAX` for companies, `expires_on` for published
    /// opportunities, `i64::MIN` for the others — liveness is one range on one column.
    pub live_until: Field,
    /// Headcount.
    pub employees: Field,
    /// Link to the official notice of a listing read from a public feed (stored only).
    pub official_url: Field,
    /// Tender stage (`open`, `awarded`, …), as [`crate::document::tender_stage_name`].
    pub tender_stage: Field,
    /// Procedure type of a tender (`open`, `negotiated_without_publication`, …).
    pub procedure: Field,
    /// Contract type of a tender (`works`, `supplies`, …).
    pub contract_type: Field,
    /// NUTS code of the place of performance (`ES243`).
    pub nuts: Field,
}

/// Version of the way documents are built from records. Bump it when a build indexes an
/// existing field differently (new values in a field, another analysis): its number is
/// part of the schema, so indexes built the old way are refilled from sequence 0 at
/// start-up instead of answering with stale documents. 2: tenders' buyer, lots and
/// lot CPV codes.
pub const DOCUMENT_FORMAT: u32 = 2;

/// The name of the schema's marker field: [`DOCUMENT_FORMAT`] and a fingerprint of the
/// analyzers' stem exceptions, whose change alters the indexed terms as well.
pub fn document_format_field() -> String {
    let analysis = stable_hash(pyred_text::stemming::exceptions_table());
    format!("document_format_{DOCUMENT_FORMAT}_{:08x}", analysis >> 32)
}

/// Field names used by the collectors that read fast columns by name.
pub mod names {
    /// See [`super::Fields::entity`].
    pub const ENTITY: &str = "entity";
    /// See [`super::Fields::region`].
    pub const REGION: &str = "region";
    /// See [`super::Fields::kind`].
    pub const KIND: &str = "kind";
    /// See [`super::Fields::language`].
    pub const LANGUAGE: &str = "language";
    /// See [`super::Fields::nace_division`].
    pub const NACE_DIVISION: &str = "nace_division";
    /// See [`super::Fields::lat`].
    pub const LAT: &str = "lat";
    /// See [`super::Fields::lon`].
    pub const LON: &str = "lon";
    /// See [`super::Fields::published`].
    pub const PUBLISHED: &str = "published";
    /// See [`super::Fields::deadline`].
    pub const DEADLINE: &str = "deadline";
    /// See [`super::Fields::tiebreak`].
    pub const TIEBREAK: &str = "tiebreak";
}

/// FNV-1a, 64 bits: stable across processes, platforms and versions (unlike std's hasher).
pub fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn analysed(analyzer: &str, stored: bool) -> TextOptions {
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(analyzer)
        .set_index_option(IndexRecordOption::WithFreqs);
    let options = TextOptions::default().set_indexing_options(indexing);
    if stored {
        options.set_stored()
    } else {
        options
    }
}

fn keyword_with_freqs() -> TextOptions {
    // Concept ids: raw terms, with term frequencies so that BM25 weighs rare concepts.
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("raw")
            .set_index_option(IndexRecordOption::WithFreqs),
    )
}

fn fast_number() -> NumericOptions {
    NumericOptions::default().set_fast().set_stored()
}

/// The schema and its field handles.
pub fn build() -> (Schema, Fields) {
    use pyred_text::{ANALYZER_ES, ANALYZER_FOLD, ANALYZER_FR};
    let mut b = Schema::builder();
    let pair = |b: &mut tantivy::schema::SchemaBuilder, name: &str, stored: bool| LangFields {
        fr: b.add_text_field(&format!("{name}_fr"), analysed(ANALYZER_FR, stored)),
        es: b.add_text_field(&format!("{name}_es"), analysed(ANALYZER_ES, stored)),
    };
    let key = b.add_text_field("key", STRING);
    let id = b.add_text_field("id", STRING | STORED);
    let tiebreak = b.add_u64_field(names::TIEBREAK, NumericOptions::default().set_fast());
    let entity = b.add_text_field(names::ENTITY, STRING | STORED | FAST);
    let version = b.add_i64_field("version", STORED);
    let title = pair(&mut b, "title", true);
    let description = pair(&mut b, "description", true);
    let offers = pair(&mut b, "offers", true);
    let seeks = pair(&mut b, "seeks", true);
    let nace_label = pair(&mut b, "nace_label", false);
    let buyer = pair(&mut b, "buyer", true);
    let lots = pair(&mut b, "lots", true);
    let fold = b.add_text_field("fold", analysed(ANALYZER_FOLD, false));
    let concepts = b.add_text_field("concepts", keyword_with_freqs().set_stored());
    let broader = b.add_text_field("broader", keyword_with_freqs().set_stored());
    let offers_concepts = b.add_text_field("offers_concepts", keyword_with_freqs().set_stored());
    let seeks_concepts = b.add_text_field("seeks_concepts", keyword_with_freqs().set_stored());
    let nace = b.add_text_field("nace", STRING | STORED);
    let nace_division = b.add_text_field(names::NACE_DIVISION, STRING | FAST);
    let cpv = b.add_text_field("cpv", STRING);
    let kind = b.add_text_field(names::KIND, STRING | STORED | FAST);
    let status = b.add_text_field("status", STRING | STORED | FAST);
    let region = b.add_text_field(names::REGION, STRING | STORED | FAST);
    let subdivision = b.add_text_field("subdivision", STRING);
    let source = b.add_text_field("source", STRING | STORED | FAST);
    let language = b.add_text_field(names::LANGUAGE, STRING | STORED | FAST);
    let visibility = b.add_text_field("visibility", STRING);
    let lat = b.add_f64_field(names::LAT, fast_number());
    let lon = b.add_f64_field(names::LON, fast_number());
    let place_code = b.add_text_field("place_code", STRING | STORED);
    let place_name = b.add_text_field("place_name", STORED);
    let published = b.add_i64_field(names::PUBLISHED, fast_number());
    let deadline = b.add_i64_field(names::DEADLINE, fast_number());
    let expires_on = b.add_i64_field("expires_on", fast_number());
    let live_until = b.add_i64_field("live_until", NumericOptions::default().set_fast());
    let employees = b.add_i64_field("employees", fast_number());
    let official_url = b.add_text_field("official_url", STORED);
    let tender_stage = b.add_text_field("tender_stage", STRING | STORED);
    let procedure = b.add_text_field("procedure", STRING | STORED);
    let contract_type = b.add_text_field("contract_type", STRING | STORED);
    let nuts = b.add_text_field("nuts", STRING | STORED);
    // Neither indexed nor stored: only its name matters (see DOCUMENT_FORMAT).
    b.add_u64_field(&document_format_field(), NumericOptions::default());
    let fields = Fields {
        key,
        id,
        tiebreak,
        entity,
        version,
        title,
        description,
        offers,
        seeks,
        nace_label,
        buyer,
        lots,
        fold,
        concepts,
        broader,
        offers_concepts,
        seeks_concepts,
        nace,
        nace_division,
        cpv,
        kind,
        status,
        region,
        subdivision,
        source,
        language,
        visibility,
        lat,
        lon,
        place_code,
        place_name,
        published,
        deadline,
        expires_on,
        live_until,
        employees,
        official_url,
        tender_stage,
        procedure,
        contract_type,
        nuts,
    };
    (b.build(), fields)
}

/// The texts of a record, field by field, as snippets name them.
pub const TEXT_FIELDS: [&str; 6] = ["title", "description", "offers", "seeks", "lots", "buyer"];

impl Fields {
    /// The language pair of a snippet field name.
    pub fn text(&self, name: &str) -> Option<LangFields> {
        match name {
            "title" => Some(self.title),
            "description" => Some(self.description),
            "offers" => Some(self.offers),
            "seeks" => Some(self.seeks),
            "lots" => Some(self.lots),
            "buyer" => Some(self.buyer),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_is_stable_between_builds() {
        // Opening an index compares its schema with this one to decide on a rebuild.
        assert_eq!(build().0, build().0);
        let (schema, fields) = build();
        assert_eq!(schema.get_field_name(fields.title.es), "title_es");
        assert!(schema.get_field_entry(fields.lat).is_fast());
        assert_eq!(schema.get_field_name(fields.buyer.fr), "buyer_fr");
        assert!(schema.get_field_entry(fields.official_url).is_stored());
    }

    #[test]
    fn the_document_format_is_part_of_the_schema() {
        // Bumping DOCUMENT_FORMAT must change the schema, which is what refills an index.
        let (schema, _) = build();
        let marker = document_format_field();
        assert!(schema.get_field(&marker).is_ok());
        assert!(marker.starts_with(&format!("document_format_{DOCUMENT_FORMAT}_")));
        let analysis = marker.rsplit('_').next().unwrap_or_default();
        let older = format!("document_format_{}_{analysis}", DOCUMENT_FORMAT - 1);
        assert!(schema.get_field(&older).is_err());
        // Another exceptions table gives another marker.
        assert_ne!(
            stable_hash(pyred_text::stemming::exceptions_table()) >> 32,
            stable_hash("language\tword\tstem\n") >> 32
        );
    }
}
