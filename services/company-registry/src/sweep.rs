//! The defects any field can have, checked in one place for every field of a record
//! before the per-field rules run: an enum number the contract does not define, and
//! control characters in text (line breaks and tabs are allowed in the multi-line
//! texts only — description, offers, seeks). A NUL in `contact.email` or an unknown
//! `legal_id.scheme` is refused here, whatever handler the record came through.

use pyred_proto::v1 as pb;
use pyred_runtime::error::FieldViolations;

/// How much of the control range a text field tolerates.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lines {
    One,
    Many,
}

struct Sweep<'v> {
    violations: &'v mut FieldViolations,
}

impl Sweep<'_> {
    fn enumeration(&mut self, field: String, value: i32, known: bool) {
        if !known {
            self.violations
                .add(field, format!("{value} is not a known value"));
        }
    }

    fn text(&mut self, field: String, value: &str, lines: Lines) {
        let bad = value
            .chars()
            .any(|c| c.is_control() && !(lines == Lines::Many && matches!(c, '\n' | '\t' | '\r')));
        if bad {
            let what = if lines == Lines::Many {
                "must not contain control characters (line breaks and tabs excepted)"
            } else {
                "must not contain control characters or line breaks"
            };
            self.violations.add(field, what);
        }
    }

    fn texts(&mut self, field: &str, values: &[String]) {
        for (i, value) in values.iter().enumerate() {
            self.text(format!("{field}[{i}]"), value, Lines::One);
        }
    }

    fn activities(&mut self, field: &str, activities: &[pb::ActivityCode]) {
        for (i, activity) in activities.iter().enumerate() {
            self.text(format!("{field}[{i}].nace"), &activity.nace, Lines::One);
            self.text(format!("{field}[{i}].given"), &activity.given, Lines::One);
        }
    }

    fn location(&mut self, field: &str, location: Option<&pb::Location>) {
        if let Some(location) = location {
            self.text(
                format!("{field}.place_code"),
                &location.place_code,
                Lines::One,
            );
            self.text(
                format!("{field}.place_name"),
                &location.place_name,
                Lines::One,
            );
        }
    }
}

/// Unknown enum numbers and control characters anywhere in a company.
pub fn company(violations: &mut FieldViolations, prefix: &str, company: &pb::Company) {
    let f = |name: &str| format!("{prefix}.{name}");
    let mut s = Sweep { violations };
    for (name, value) in [
        ("source", &company.source),
        ("external_id", &company.external_id),
        ("name", &company.name),
        ("country", &company.country),
        ("region", &company.region),
    ] {
        s.text(f(name), value, Lines::One);
    }
    for (name, value) in [
        ("description", &company.description),
        ("offers", &company.offers),
        ("seeks", &company.seeks),
    ] {
        s.text(f(name), value, Lines::Many);
    }
    s.enumeration(
        f("language"),
        company.language,
        pb::Language::try_from(company.language).is_ok(),
    );
    s.enumeration(
        f("visibility"),
        company.visibility,
        pb::Visibility::try_from(company.visibility).is_ok(),
    );
    if let Some(legal) = &company.legal_id {
        s.enumeration(
            f("legal_id.scheme"),
            legal.scheme,
            pb::LegalIdScheme::try_from(legal.scheme).is_ok(),
        );
        s.text(f("legal_id.value"), &legal.value, Lines::One);
    }
    s.activities(&f("activities"), &company.activities);
    s.location(&f("location"), company.location.as_ref());
    s.texts(&f("languages"), &company.languages);
    if let Some(contact) = &company.contact {
        s.text(f("contact.name"), &contact.name, Lines::One);
        s.text(f("contact.email"), &contact.email, Lines::One);
        s.text(f("contact.phone"), &contact.phone, Lines::One);
    }
}

/// Unknown enum numbers and control characters anywhere in a listing.
pub fn opportunity(violations: &mut FieldViolations, prefix: &str, listing: &pb::Opportunity) {
    let f = |name: &str| format!("{prefix}.{name}");
    let mut s = Sweep { violations };
    for (name, value) in [
        ("source", &listing.source),
        ("external_id", &listing.external_id),
        ("title", &listing.title),
        ("region", &listing.region),
        ("official_url", &listing.official_url),
        ("withdrawal_reason", &listing.withdrawal_reason),
        ("nuts", &listing.nuts),
    ] {
        s.text(f(name), value, Lines::One);
    }
    s.text(f("description"), &listing.description, Lines::Many);
    for (name, value, known) in [
        (
            "kind",
            listing.kind,
            pb::OpportunityKind::try_from(listing.kind).is_ok(),
        ),
        (
            "language",
            listing.language,
            pb::Language::try_from(listing.language).is_ok(),
        ),
        (
            "status",
            listing.status,
            pb::OpportunityStatus::try_from(listing.status).is_ok(),
        ),
        (
            "procedure",
            listing.procedure,
            pb::ProcedureType::try_from(listing.procedure).is_ok(),
        ),
        (
            "tender_stage",
            listing.tender_stage,
            pb::TenderStage::try_from(listing.tender_stage).is_ok(),
        ),
        (
            "contract_type",
            listing.contract_type,
            pb::ContractType::try_from(listing.contract_type).is_ok(),
        ),
    ] {
        s.enumeration(f(name), value, known);
    }
    s.activities(&f("activities"), &listing.activities);
    s.texts(&f("cpv"), &listing.cpv);
    s.location(&f("location"), listing.location.as_ref());
    if let Some(buyer) = &listing.buyer {
        s.text(f("buyer.name"), &buyer.name, Lines::One);
        s.text(f("buyer.nif"), &buyer.nif, Lines::One);
        s.text(f("buyer.dir3"), &buyer.dir3, Lines::One);
    }
    for (i, lot) in listing.lots.iter().enumerate() {
        s.text(f(&format!("lots[{i}].id")), &lot.id, Lines::One);
        s.text(f(&format!("lots[{i}].title")), &lot.title, Lines::One);
        s.texts(&f(&format!("lots[{i}].cpv")), &lot.cpv);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(violations: &FieldViolations) -> Vec<String> {
        violations.iter().map(|v| v.field.clone()).collect()
    }

    #[test]
    fn unknown_enums_and_control_characters_are_named() {
        let mut violations = FieldViolations::new();
        company(
            &mut violations,
            "company",
            &pb::Company {
                name: "Bad\u{7}name".into(),
                description: "Two lines\nand a tab\tare fine".into(),
                language: 7,
                visibility: 42,
                legal_id: Some(pb::LegalId {
                    scheme: 99,
                    value: "12345678900017".into(),
                    display: String::new(),
                }),
                contact: Some(pb::Contact {
                    email: "a\0b@example.fr".into(),
                    ..Default::default()
                }),
                languages: vec!["fr".into(), "e\ns".into()],
                ..Default::default()
            },
        );
        assert_eq!(
            fields(&violations),
            [
                "company.name",
                "company.language",
                "company.visibility",
                "company.legal_id.scheme",
                "company.languages[1]",
                "company.contact.email",
            ]
        );
    }

    #[test]
    fn a_listing_with_known_values_and_clean_text_passes() {
        let mut violations = FieldViolations::new();
        opportunity(
            &mut violations,
            "upserts[0]",
            &pb::Opportunity {
                title: "Suministro".into(),
                description: "Línea 1\r\nLínea 2".into(),
                kind: pb::OpportunityKind::Tender as i32,
                procedure: pb::ProcedureType::Open as i32,
                lots: vec![pb::Lot {
                    id: "1".into(),
                    title: "Lote\u{0}".into(),
                    ..Default::default()
                }],
                ..Default::default()
            },
        );
        assert_eq!(fields(&violations), ["upserts[0].lots[0].title"]);
        let mut violations = FieldViolations::new();
        opportunity(
            &mut violations,
            "opportunity",
            &pb::Opportunity {
                tender_stage: 77,
                ..Default::default()
            },
        );
        assert_eq!(fields(&violations), ["opportunity.tender_stage"]);
    }
}
