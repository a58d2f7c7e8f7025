//! From a registry change to an index operation.
//!
//! An upsert (or an erasure, which carries the company's remaining public state) becomes
//! "delete the record's key, add its new document"; a deletion becomes "delete the key".
//! Applying the same change twice leaves the same index, so resuming from the committed
//! sequence number after a crash is safe.
//!
//! The document carries every text in the record's language fields, the concept ids the
//! glossary finds in them (and the broader concepts), NACE codes at every level with their
//! French and Spanish labels, CPV prefixes, and the filter and sort values.
//!
//! A tender adds its contracting body's name and its lots' titles to the texts (the lot
//! titles' concepts to the record's; the buyer's name says who buys, not what, and
//! brings none), the lots' CPV codes to the record's, and its stage, procedure,
//! contract type, NUTS code and official link as keywords.

use std::collections::BTreeSet;

use pyred_domain::{Cpv, Day, Gazetteer, GeoPoint, Lang, NaceCode};
use pyred_proto::v1::{self as pb, change::Record};
use pyred_text::{Glossary, Language, identify};
use tantivy::TantivyDocument;

use crate::schema::Fields;

/// What a change does to the index.
#[derive(Debug)]
pub enum Operation {
    /// Replace whatever the key holds with this document.
    Upsert {
        /// The record's key.
        key: String,
        /// The new document.
        document: Box<TantivyDocument>,
    },
    /// Remove the key's document, if any.
    Delete {
        /// The record's key.
        key: String,
    },
}

/// Which kind of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    /// A company.
    Company,
    /// An opportunity.
    Opportunity,
}

impl Entity {
    /// The indexed value.
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Company => "company",
            Entity::Opportunity => "opportunity",
        }
    }

    /// From the indexed value.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "company" => Some(Entity::Company),
            "opportunity" => Some(Entity::Opportunity),
            _ => None,
        }
    }

    /// From the protobuf enum; `None` for unspecified or unknown values.
    pub fn from_pb(value: i32) -> Option<Self> {
        match pb::EntityKind::try_from(value) {
            Ok(pb::EntityKind::Company) => Some(Entity::Company),
            Ok(pb::EntityKind::Opportunity) => Some(Entity::Opportunity),
            _ => None,
        }
    }

    /// The protobuf enum.
    pub fn to_pb(self) -> pb::EntityKind {
        match self {
            Entity::Company => pb::EntityKind::Company,
            Entity::Opportunity => pb::EntityKind::Opportunity,
        }
    }

    /// The unique key of record `id`.
    pub fn key(self, id: &str) -> String {
        match self {
            Entity::Company => format!("c:{id}"),
            Entity::Opportunity => format!("o:{id}"),
        }
    }
}

/// The indexed name of an opportunity kind (`tender`), `None` when unspecified.
pub fn kind_name(kind: pb::OpportunityKind) -> Option<&'static str> {
    kind.slug()
}

/// The opportunity kind of an indexed name.
pub fn kind_from_name(name: &str) -> pb::OpportunityKind {
    pb::OpportunityKind::from_slug(name).unwrap_or(pb::OpportunityKind::Unspecified)
}

/// The indexed name of an opportunity status.
pub fn status_name(status: pb::OpportunityStatus) -> &'static str {
    use pb::OpportunityStatus as S;
    match status {
        S::Unspecified => "unspecified",
        S::Draft => "draft",
        S::Published => "published",
        S::Expired => "expired",
        S::Withdrawn => "withdrawn",
        S::Fulfilled => "fulfilled",
    }
}

/// The opportunity status of an indexed name.
pub fn status_from_name(name: &str) -> pb::OpportunityStatus {
    use pb::OpportunityStatus as S;
    [
        S::Draft,
        S::Published,
        S::Expired,
        S::Withdrawn,
        S::Fulfilled,
    ]
    .into_iter()
    .find(|status| status_name(*status) == name)
    .unwrap_or(S::Unspecified)
}

/// The indexed word of a proto enum value: its proto name without the enum's prefix,
/// lowercase (`PROCEDURE_TYPE_OPEN_SIMPLIFIED` → `open_simplified`), as the JSON API
/// writes it; `None` when unspecified.
fn enum_word(name: &str, prefix: &str) -> Option<String> {
    let word = name.strip_prefix(prefix)?.to_ascii_lowercase();
    (word != "unspecified").then_some(word)
}

/// The indexed name of a tender stage (`prior_notice`, `open`, …, `cancelled`).
pub fn tender_stage_name(value: i32) -> Option<String> {
    let stage = pb::TenderStage::try_from(value).ok()?;
    enum_word(stage.as_str_name(), "TENDER_STAGE_")
}

/// The tender stage of an indexed name (unspecified for any other text).
pub fn tender_stage_of(name: &str) -> pb::TenderStage {
    pb::TenderStage::from_str_name(&format!("TENDER_STAGE_{}", name.to_ascii_uppercase()))
        .unwrap_or(pb::TenderStage::Unspecified)
}

/// The indexed name of a procedure type (`open`, `negotiated_without_publication`, …).
pub fn procedure_name(value: i32) -> Option<String> {
    let procedure = pb::ProcedureType::try_from(value).ok()?;
    enum_word(procedure.as_str_name(), "PROCEDURE_TYPE_")
}

/// The indexed name of a contract type (`supplies`, `works_concession`, …).
pub fn contract_type_name(value: i32) -> Option<String> {
    let contract = pb::ContractType::try_from(value).ok()?;
    enum_word(contract.as_str_name(), "CONTRACT_TYPE_")
}

/// The text language of a protobuf language, identifying it from `text` when unspecified.
pub fn language_of(value: i32, text: &str) -> Language {
    match pb::Language::try_from(value) {
        Ok(pb::Language::Fr) => Language::Fr,
        Ok(pb::Language::Es) => Language::Es,
        _ => identify(text).language,
    }
}

/// The protobuf language of a text language.
pub fn language_to_pb(language: Language) -> pb::Language {
    match language {
        Language::Fr => pb::Language::Fr,
        Language::Es => pb::Language::Es,
        Language::Unknown => pb::Language::Unspecified,
    }
}

/// Days since 1970-01-01 of a protobuf date, when it is a real day.
pub fn day_number(date: Option<&pb::Date>) -> Option<i64> {
    let day = Day::try_from(date?).ok()?;
    Some(day.days_since_epoch())
}

/// The protobuf date of a day number.
pub fn date_of(days: i64) -> Option<pb::Date> {
    Day::from_days_since_epoch(days).ok().map(pb::Date::from)
}

/// The CPV prefixes a code is found under: every prefix of its 8 digits from the
/// division (2 digits) to the whole code. `45233140` → `45`, `452`, …, `45233140`.
pub fn cpv_prefixes(code: &str) -> Vec<String> {
    (2..=code.len())
        .filter_map(|n| code.get(..n).map(str::to_owned))
        .collect()
}

/// Turns changes into index operations.
#[derive(Clone)]
pub struct DocumentBuilder {
    fields: Fields,
    glossary: &'static Glossary,
    gazetteer: &'static Gazetteer,
}

impl std::fmt::Debug for DocumentBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocumentBuilder").finish_non_exhaustive()
    }
}

/// The part of a record's analysis shared by companies and opportunities.
struct Common<'a> {
    id: &'a str,
    version: i64,
    source: &'a str,
    region: &'a str,
    language: Language,
    location: Option<&'a pb::Location>,
    activities: &'a [pb::ActivityCode],
}

impl DocumentBuilder {
    /// A builder for documents of `fields`.
    pub fn new(fields: Fields, glossary: &'static Glossary, gazetteer: &'static Gazetteer) -> Self {
        Self {
            fields,
            glossary,
            gazetteer,
        }
    }

    /// The operation of one change; `None` for a change that names no record.
    pub fn operation(&self, change: &pb::Change) -> Option<Operation> {
        let entity = Entity::from_pb(change.entity)?;
        if change.id.is_empty() {
            return None;
        }
        let key = entity.key(&change.id);
        let op = pb::ChangeOp::try_from(change.op).unwrap_or(pb::ChangeOp::Unspecified);
        let document = match (op, &change.record) {
            (pb::ChangeOp::Upsert | pb::ChangeOp::Erase, Some(Record::Company(company)))
                if entity == Entity::Company =>
            {
                Some(self.company(&change.id, change.version, company))
            }
            (pb::ChangeOp::Upsert | pb::ChangeOp::Erase, Some(Record::Opportunity(opp)))
                if entity == Entity::Opportunity =>
            {
                Some(self.opportunity(&change.id, change.version, opp))
            }
            (pb::ChangeOp::Delete, _) => None,
            _ => {
                // An upsert without its record cannot be indexed; dropping the key keeps
                // the index from serving a stale version.
                tracing::warn!(seq = change.seq, id = %change.id, "change without a usable record; removing the key");
                None
            }
        };
        Some(match document {
            Some(document) => Operation::Upsert {
                key,
                document: Box::new(document),
            },
            None => Operation::Delete { key },
        })
    }

    fn common(&self, doc: &mut TantivyDocument, entity: Entity, common: &Common<'_>) {
        let f = &self.fields;
        let key = entity.key(common.id);
        doc.add_u64(f.tiebreak, crate::schema::stable_hash(&key));
        doc.add_text(f.key, key);
        doc.add_text(f.id, common.id);
        doc.add_text(f.entity, entity.as_str());
        doc.add_i64(f.version, common.version);
        if !common.source.is_empty() {
            doc.add_text(f.source, common.source);
        }
        if !common.region.is_empty() {
            doc.add_text(f.region, common.region);
        }
        if matches!(common.language, Language::Fr | Language::Es) {
            doc.add_text(f.language, common.language.code());
        }
        if let Some(location) = common.location {
            if let Some((lat, lon)) = location.point()
                && GeoPoint::new(lat, lon).is_ok()
            {
                doc.add_f64(f.lat, lat);
                doc.add_f64(f.lon, lon);
            }
            if !location.place_code.is_empty() {
                doc.add_text(f.place_code, &location.place_code);
                if let Some(place) = self.gazetteer.by_code(&location.place_code) {
                    doc.add_text(f.subdivision, place.subdivision().as_str());
                }
            }
            if !location.place_name.is_empty() {
                doc.add_text(f.place_name, &location.place_name);
                doc.add_text(f.fold, &location.place_name);
            }
        }
        let mut nace = BTreeSet::new();
        let mut divisions = BTreeSet::new();
        for activity in common.activities {
            let given = if activity.nace.is_empty() {
                &activity.given
            } else {
                &activity.nace
            };
            let Ok(code) = NaceCode::parse(given) else {
                continue;
            };
            doc.add_text(f.nace_label.fr, code.label(Lang::Fr));
            doc.add_text(f.nace_label.es, code.label(Lang::Es));
            for level in code.ancestors() {
                nace.insert(level.code());
            }
            if let Some(division) = code.division() {
                divisions.insert(division);
            }
        }
        for code in nace {
            doc.add_text(f.nace, code);
        }
        for division in divisions {
            doc.add_text(f.nace_division, division);
        }
    }

    /// Adds `text` to the language fields and the folded field; returns its concepts.
    fn text<'g>(
        &'g self,
        doc: &mut TantivyDocument,
        field: crate::schema::LangFields,
        text: &str,
        language: Language,
    ) -> BTreeSet<&'g str> {
        if text.is_empty() {
            return BTreeSet::new();
        }
        doc.add_text(field.get(language), text);
        doc.add_text(self.fields.fold, text);
        self.glossary.concept_ids(text, language)
    }

    fn concepts(&self, doc: &mut TantivyDocument, concepts: &BTreeSet<&str>) {
        let mut broader = BTreeSet::new();
        for id in concepts {
            doc.add_text(self.fields.concepts, id);
            for ancestor in self.glossary.ancestors(id) {
                if !concepts.contains(ancestor.id()) {
                    broader.insert(ancestor.id());
                }
            }
        }
        for id in broader {
            doc.add_text(self.fields.broader, id);
        }
    }

    /// The document of a company.
    pub fn company(&self, id: &str, version: i64, company: &pb::Company) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::new();
        let language = language_of(company.language, &company.description);
        self.common(
            &mut doc,
            Entity::Company,
            &Common {
                id,
                version,
                source: &company.source,
                region: &company.region,
                language,
                location: company.location.as_ref(),
                activities: &company.activities,
            },
        );
        let mut concepts = self.text(&mut doc, f.title, &company.name, language);
        concepts.extend(self.text(&mut doc, f.description, &company.description, language));
        let offers = self.text(&mut doc, f.offers, &company.offers, language);
        let seeks = self.text(&mut doc, f.seeks, &company.seeks, language);
        for id in &offers {
            doc.add_text(f.offers_concepts, id);
        }
        for id in &seeks {
            doc.add_text(f.seeks_concepts, id);
        }
        concepts.extend(offers);
        concepts.extend(seeks);
        self.concepts(&mut doc, &concepts);
        doc.add_i64(f.live_until, i64::MAX);
        let visibility = match pb::Visibility::try_from(company.visibility) {
            Ok(pb::Visibility::Public) => "public",
            _ => "advisers_only",
        };
        doc.add_text(f.visibility, visibility);
        if let Some(employees) = company.employees {
            doc.add_i64(f.employees, i64::from(employees));
        }
        doc
    }

    /// The document of an opportunity.
    pub fn opportunity(&self, id: &str, version: i64, opp: &pb::Opportunity) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::new();
        let language = language_of(opp.language, &opp.description);
        self.common(
            &mut doc,
            Entity::Opportunity,
            &Common {
                id,
                version,
                source: &opp.source,
                region: &opp.region,
                language,
                location: opp.location.as_ref(),
                activities: &opp.activities,
            },
        );
        let mut concepts = self.text(&mut doc, f.title, &opp.title, language);
        concepts.extend(self.text(&mut doc, f.description, &opp.description, language));
        for lot in &opp.lots {
            concepts.extend(self.text(&mut doc, f.lots, &lot.title, language));
        }
        self.concepts(&mut doc, &concepts);
        if let Some(buyer) = &opp.buyer
            && !buyer.name.is_empty()
        {
            doc.add_text(f.buyer.get(language), &buyer.name);
            doc.add_text(f.fold, &buyer.name);
        }
        self.tender(&mut doc, opp);
        if let Some(kind) = pb::OpportunityKind::try_from(opp.kind)
            .ok()
            .and_then(kind_name)
        {
            doc.add_text(f.kind, kind);
        }
        let status = pb::OpportunityStatus::try_from(opp.status)
            .unwrap_or(pb::OpportunityStatus::Unspecified);
        doc.add_text(f.status, status_name(status));
        let mut prefixes = BTreeSet::new();
        // A lot's codes are the tender's too: a CPV filter finds a tender by any lot.
        let lot_codes = opp.lots.iter().flat_map(|lot| lot.cpv.iter());
        for code in opp.cpv.iter().chain(lot_codes) {
            if let Ok(cpv) = Cpv::parse(code) {
                prefixes.extend(cpv_prefixes(cpv.code()));
            }
        }
        for prefix in prefixes {
            doc.add_text(f.cpv, prefix);
        }
        let published = day_number(opp.published.as_ref());
        let deadline = day_number(opp.deadline.as_ref());
        if let Some(day) = published {
            doc.add_i64(f.published, day);
        }
        if let Some(day) = deadline {
            doc.add_i64(f.deadline, day);
        }
        // The registry fills expires_on; recompute it the same way if an older record lacks it.
        let expires_on = day_number(opp.expires_on.as_ref())
            .or(deadline)
            .or(published.map(|day| day + 365));
        if let Some(day) = expires_on {
            doc.add_i64(f.expires_on, day);
        }
        let live_until = match (status, expires_on) {
            (pb::OpportunityStatus::Published, Some(day)) => day,
            _ => i64::MIN,
        };
        doc.add_i64(f.live_until, live_until);
        doc
    }

    /// The keywords of a public tender (none for other listings).
    fn tender(&self, doc: &mut TantivyDocument, opp: &pb::Opportunity) {
        let f = &self.fields;
        if !opp.official_url.is_empty() {
            doc.add_text(f.official_url, &opp.official_url);
        }
        for (field, word) in [
            (f.tender_stage, tender_stage_name(opp.tender_stage)),
            (f.procedure, procedure_name(opp.procedure)),
            (f.contract_type, contract_type_name(opp.contract_type)),
        ] {
            if let Some(word) = word {
                doc.add_text(field, word);
            }
        }
        if !opp.nuts.is_empty() {
            doc.add_text(f.nuts, &opp.nuts);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpv_codes_are_found_under_each_of_their_prefixes() {
        assert_eq!(
            cpv_prefixes("45233140"),
            [
                "45", "452", "4523", "45233", "452331", "4523314", "45233140"
            ]
        );
        assert_eq!(cpv_prefixes("45000000")[2], "4500");
    }

    #[test]
    fn kinds_and_statuses_round_trip_through_their_names() {
        for kind in [
            pb::OpportunityKind::Tender,
            pb::OpportunityKind::TechnologyRequest,
        ] {
            let name = kind_name(kind).expect("named");
            assert_eq!(kind_from_name(name), kind);
        }
        assert_eq!(
            status_from_name(status_name(pb::OpportunityStatus::Withdrawn)),
            pb::OpportunityStatus::Withdrawn
        );
    }

    #[test]
    fn tender_enums_are_indexed_as_lowercase_words() {
        assert_eq!(
            procedure_name(pb::ProcedureType::NegotiatedWithoutPublication as i32).as_deref(),
            Some("negotiated_without_publication")
        );
        assert_eq!(
            tender_stage_name(pb::TenderStage::PriorNotice as i32).as_deref(),
            Some("prior_notice")
        );
        assert_eq!(
            contract_type_name(pb::ContractType::WorksConcession as i32).as_deref(),
            Some("works_concession")
        );
        assert_eq!(tender_stage_name(0), None);
        assert_eq!(procedure_name(99), None);
    }

    #[test]
    fn a_tender_document_carries_its_buyer_lots_and_their_codes() {
        use tantivy::schema::Value as _;
        let (_, fields) = crate::schema::build();
        let builder = DocumentBuilder::new(
            fields.clone(),
            Glossary::embedded().expect("glossary"),
            Gazetteer::embedded(),
        );
        let doc = builder.opportunity(
            "opp_1",
            1,
            &pb::Opportunity {
                title: "Obras de urbanización".into(),
                description: "Obras de urbanización del polígono".into(),
                language: pb::Language::Es as i32,
                kind: pb::OpportunityKind::Tender as i32,
                buyer: Some(pb::ContractingBody {
                    name: "Ayuntamiento de Huesca".into(),
                    nif: "P2216900F".into(),
                    dir3: "L01221253".into(),
                }),
                official_url: "https://contrataciondelestado.es/wps/poc?uri=deeplink:detalle_licitacion&idEvl=1".into(),
                tender_stage: pb::TenderStage::Open as i32,
                procedure: pb::ProcedureType::OpenSimplified as i32,
                contract_type: pb::ContractType::Works as i32,
                nuts: "ES241".into(),
                lots: vec![
                    pb::Lot {
                        id: "1".into(),
                        title: "Alumbrado público".into(),
                        cpv: vec!["34928500".into()],
                        budget_eur: Some(120_000.0),
                    },
                    pb::Lot {
                        id: "2".into(),
                        title: "Jardinería".into(),
                        cpv: vec![],
                        budget_eur: None,
                    },
                ],
                ..Default::default()
            },
        );
        let texts = |field| {
            doc.get_all(field)
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect::<Vec<_>>()
        };
        assert_eq!(texts(fields.buyer.es), ["Ayuntamiento de Huesca"]);
        assert!(texts(fields.buyer.fr).is_empty());
        assert_eq!(texts(fields.lots.es), ["Alumbrado público", "Jardinería"]);
        assert!(texts(fields.cpv).contains(&"34928500".to_owned()));
        assert!(texts(fields.cpv).contains(&"349".to_owned()));
        assert_eq!(texts(fields.tender_stage), ["open"]);
        assert_eq!(texts(fields.procedure), ["open_simplified"]);
        assert_eq!(texts(fields.contract_type), ["works"]);
        assert_eq!(texts(fields.nuts), ["ES241"]);
        assert_eq!(texts(fields.official_url).len(), 1);
    }

    #[test]
    fn day_numbers_round_trip() {
        let date = pb::Date {
            year: 2027,
            month: 2,
            day: 28,
        };
        let days = day_number(Some(&date)).expect("a real day");
        assert_eq!(date_of(days), Some(date));
        assert_eq!(
            day_number(Some(&pb::Date {
                year: 2027,
                month: 2,
                day: 30
            })),
            None
        );
    }
}
