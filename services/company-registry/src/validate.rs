//! Validation at the boundary: a `pyred.v1` company or opportunity becomes a normalised
//! record, or every bad field is reported at once.
//!
//! Texts are trimmed and NFC-normalised; identifiers are parsed into their compact
//! canonical form; NACE codes given as NAF or CNAE are mapped onto NACE (the code as
//! given is kept); places are checked against the bundled gazetteer (an unknown code, a
//! region that does not hold the place, or a point more than 30 km from it is an error).
//! Output-only fields (versions, timestamps, status) are cleared, so two submissions of
//! the same content normalise to equal records.

use pyred_domain::{
    Country, Cpv, DateError, Day, Gazetteer, GeoPoint, IsoRegion, NaceCode, Nif, Siren, Siret,
};
use pyred_proto::v1::{self as pb};
use pyred_runtime::error::FieldViolations;
use unicode_normalization::UnicodeNormalization as _;

/// How far a given point may lie from its commune's or municipality's reference point.
pub const MAX_KM_FROM_PLACE: f64 = 30.0;
/// For the places whose point is only their province's centre.
pub const MAX_KM_FROM_APPROXIMATE_PLACE: f64 = 150.0;
/// Most items in one sync or import call.
pub const MAX_BATCH: usize = 1000;

/// Bounds of the free texts, in characters.
mod bounds {
    pub const ID: usize = 128;
    pub const SOURCE: usize = 64;
    pub const NAME: usize = 200;
    pub const TITLE: usize = 300;
    pub const COMPANY_DESCRIPTION: usize = 5000;
    pub const OPPORTUNITY_DESCRIPTION: usize = 10_000;
    pub const OFFERS_SEEKS: usize = 3000;
    pub const CODES: usize = 20;
    pub const LANGUAGES: usize = 10;
    pub const CONTACT_NAME: usize = 200;
    pub const EMAIL: usize = 254;
    pub const PHONE: usize = 32;
    pub const PLACE_NAME: usize = 200;
    pub const BUYER_NAME: usize = 300;
    pub const BUYER_CODE: usize = 20;
    pub const URL: usize = 2000;
    pub const LOTS: usize = 500;
    pub const LOT_ID: usize = 50;
    pub const REASON: usize = 200;
    pub const NUTS: usize = 5;
}

/// NFC-normalised and trimmed.
pub fn normalise(text: &str) -> String {
    text.trim().nfc().collect()
}

fn text(
    violations: &mut FieldViolations,
    field: String,
    value: &str,
    required: bool,
    max_chars: usize,
) -> String {
    let value = normalise(value);
    if required && value.is_empty() {
        violations.add(field, "is required");
    } else if value.chars().count() > max_chars {
        violations.add(field, format!("must be at most {max_chars} characters"));
    }
    // Control characters: `crate::sweep`, for every field at once.
    value
}

/// A source or external identifier: printable ASCII without spaces.
fn identifier(
    violations: &mut FieldViolations,
    field: String,
    value: &str,
    required: bool,
    max: usize,
) -> String {
    let value = value.trim().to_owned();
    if value.is_empty() {
        if required {
            violations.add(field, "is required");
        }
    } else if value.len() > max {
        violations.add(field, format!("must be at most {max} characters"));
    } else if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'/'))
    {
        violations.add(
            field,
            "may contain only letters, digits and - _ . : / (no spaces)",
        );
    }
    value
}

fn language(violations: &mut FieldViolations, field: String, value: i32) -> i32 {
    match pb::Language::try_from(value) {
        Ok(pb::Language::Fr | pb::Language::Es) => value,
        // An unknown number is the sweep's (`crate::sweep`).
        Err(_) => value,
        Ok(_) => {
            violations.add(field, "is required: fr or es");
            value
        }
    }
}

fn activities(
    violations: &mut FieldViolations,
    field: &str,
    given: &[pb::ActivityCode],
) -> Vec<pb::ActivityCode> {
    if given.len() > bounds::CODES {
        violations.add(field, format!("at most {} codes", bounds::CODES));
        return Vec::new();
    }
    let mut out: Vec<pb::ActivityCode> = Vec::new();
    for (i, activity) in given.iter().enumerate() {
        let raw = if activity.given.trim().is_empty() {
            activity.nace.trim()
        } else {
            activity.given.trim()
        };
        match NaceCode::parse(raw) {
            Ok(code) => {
                if !out.iter().any(|known| known.nace == code.code()) {
                    out.push(pb::ActivityCode {
                        nace: code.code().to_owned(),
                        given: raw.to_owned(),
                    });
                }
            }
            Err(error) => violations.add(format!("{field}[{i}]"), error),
        }
    }
    out
}

/// Every level of every activity ("C 25 25.6 25.62"), space-delimited on both ends so a
/// filter is one `LIKE '% 25.6 %'`.
pub fn nace_terms(activities: &[pb::ActivityCode]) -> String {
    let mut terms: Vec<&'static str> = Vec::new();
    for activity in activities {
        if let Ok(code) = NaceCode::parse(&activity.nace) {
            for ancestor in code.ancestors() {
                if !terms.contains(&ancestor.code()) {
                    terms.push(ancestor.code());
                }
            }
        }
    }
    format!(" {} ", terms.join(" "))
}

/// Parses a NACE prefix filter into its canonical code.
pub fn nace_prefix(violations: &mut FieldViolations, field: &str, value: &str) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    violations
        .check(field, NaceCode::parse(value))
        .map(|code| code.code().to_owned())
}

fn region(violations: &mut FieldViolations, field: String, value: &str) -> Option<IsoRegion> {
    if value.trim().is_empty() {
        violations.add(field, "is required (ISO 3166-2, e.g. FR-32, ES-AR, ES-RI)");
        return None;
    }
    let region = violations.check(field.clone(), IsoRegion::parse(value))?;
    if !region.is_assigned() {
        violations.add(
            field,
            format!("{region} is not an ISO 3166-2 subdivision (e.g. FR-32, ES-AR, ES-RI)"),
        );
        return None;
    }
    Some(region)
}

/// A country code: ISO 3166-1 alpha-2, and assigned.
fn country(violations: &mut FieldViolations, field: String, value: &str) -> Option<Country> {
    if value.trim().is_empty() {
        violations.add(field, "is required (ISO 3166-1, e.g. FR, ES)");
        return None;
    }
    let country = violations.check(field.clone(), Country::parse(value))?;
    if !country.is_assigned() {
        violations.add(
            field,
            format!(
                "{} is not an ISO 3166-1 country code (e.g. FR, ES)",
                country.as_str()
            ),
        );
        return None;
    }
    Some(country)
}

/// Regions whose places Pyred's gazetteer holds: a location there must name one.
fn covered(region: &IsoRegion) -> bool {
    let covered = [
        IsoRegion::GERS,
        IsoRegion::ARAGON,
        IsoRegion::LA_RIOJA,
        IsoRegion::HUESCA,
        IsoRegion::TERUEL,
        IsoRegion::ZARAGOZA,
        IsoRegion::LA_RIOJA_PROVINCE,
    ];
    covered.contains(region)
}

fn location(
    violations: &mut FieldViolations,
    field: &str,
    given: Option<&pb::Location>,
    region: Option<&IsoRegion>,
) -> Option<pb::Location> {
    let Some(given) = given else {
        violations.add(field, "is required");
        return None;
    };
    let code = given.place_code.trim();
    let place_name = text(
        violations,
        format!("{field}.place_name"),
        &given.place_name,
        false,
        bounds::PLACE_NAME,
    );
    // Presence, not zero, says whether a point was given: (0, 0) is a point (in the
    // Gulf of Guinea), refused below when it is far from the place.
    let point = match (given.lat, given.lon) {
        (Some(lat), Some(lon)) => match GeoPoint::new(lat, lon) {
            Ok(point) => Some(point),
            Err(error) => {
                violations.add(format!("{field}.lat"), error);
                return None;
            }
        },
        (Some(_), None) => {
            violations.add(format!("{field}.lon"), "is required with lat");
            return None;
        }
        (None, Some(_)) => {
            violations.add(format!("{field}.lat"), "is required with lon");
            return None;
        }
        (None, None) => None,
    };
    if code.is_empty() {
        if region.is_some_and(covered) {
            violations.add(
                format!("{field}.place_code"),
                "is required in this region (INSEE commune or INE municipality code)",
            );
            return None;
        }
        let Some(point) = point else {
            violations.add(
                format!("{field}.lat"),
                "a point or a place code is required",
            );
            return None;
        };
        return Some(pb::Location {
            lat: Some(point.lat()),
            lon: Some(point.lon()),
            place_code: String::new(),
            place_name,
        });
    }
    let Some(place) = Gazetteer::embedded().by_code(code) else {
        violations.add(
            format!("{field}.place_code"),
            format!("unknown commune or municipality code {code:?}"),
        );
        return None;
    };
    if let Some(region) = region
        && *region != place.region()
        && *region != place.subdivision()
    {
        violations.add(
            format!("{field}.place_code"),
            format!(
                "{} ({}) is in {}, not in {}",
                place.name(),
                place.code().as_str(),
                place.region().as_str(),
                region.as_str()
            ),
        );
    }
    let point = match (point, place.point()) {
        (Some(point), Some(reference)) => {
            let limit = if place.is_approximate() {
                MAX_KM_FROM_APPROXIMATE_PLACE
            } else {
                MAX_KM_FROM_PLACE
            };
            let distance = point.distance_km(&reference);
            if distance > limit {
                violations.add(
                    format!("{field}.lat"),
                    format!(
                        "the point is {distance:.0} km from {} (at most {limit:.0} km)",
                        place.name()
                    ),
                );
            }
            point
        }
        (Some(point), None) => point,
        (None, Some(reference)) => reference,
        (None, None) => {
            violations.add(format!("{field}.lat"), "a point is required for this place");
            return None;
        }
    };
    Some(pb::Location {
        lat: Some(point.lat()),
        lon: Some(point.lon()),
        place_code: place.code().as_str().to_owned(),
        place_name: if place_name.is_empty() {
            place.display_name()
        } else {
            place_name
        },
    })
}

fn legal_id(
    violations: &mut FieldViolations,
    field: &str,
    given: Option<&pb::LegalId>,
    country: Option<Country>,
) -> Option<pb::LegalId> {
    let given = given.filter(|id| !id.value.trim().is_empty())?;
    // An unknown scheme number is the sweep's (`crate::sweep`): never read as another.
    let scheme = pb::LegalIdScheme::try_from(given.scheme).ok()?;
    let value = given.value.trim();
    let parsed = match scheme {
        pb::LegalIdScheme::Siret => {
            Siret::parse(value).map(|id| (scheme, id.as_str().to_owned(), id.to_string()))
        }
        pb::LegalIdScheme::Siren => {
            Siren::parse(value).map(|id| (scheme, id.as_str().to_owned(), id.to_string()))
        }
        pb::LegalIdScheme::Nif => {
            Nif::parse(value).map(|id| (scheme, id.as_str().to_owned(), id.to_string()))
        }
        pb::LegalIdScheme::Other => {
            let value = normalise(value);
            if value.chars().count() > 64 {
                violations.add(format!("{field}.value"), "must be at most 64 characters");
                return None;
            }
            return Some(pb::LegalId {
                scheme: scheme as i32,
                display: value.clone(),
                value,
            });
        }
        pb::LegalIdScheme::Unspecified => match country {
            Some(Country::France) => {
                let digits = value.chars().filter(char::is_ascii_digit).count();
                if digits == 9 {
                    Siren::parse(value).map(|id| {
                        (
                            pb::LegalIdScheme::Siren,
                            id.as_str().to_owned(),
                            id.to_string(),
                        )
                    })
                } else {
                    Siret::parse(value).map(|id| {
                        (
                            pb::LegalIdScheme::Siret,
                            id.as_str().to_owned(),
                            id.to_string(),
                        )
                    })
                }
            }
            Some(Country::Spain) => Nif::parse(value).map(|id| {
                (
                    pb::LegalIdScheme::Nif,
                    id.as_str().to_owned(),
                    id.to_string(),
                )
            }),
            _ => {
                violations.add(
                    format!("{field}.scheme"),
                    "is required outside France and Spain",
                );
                return None;
            }
        },
    };
    match parsed {
        Ok((scheme, value, display)) => {
            let expected = match scheme {
                pb::LegalIdScheme::Siret | pb::LegalIdScheme::Siren => Some(Country::France),
                pb::LegalIdScheme::Nif => Some(Country::Spain),
                _ => None,
            };
            if let (Some(expected), Some(country)) = (expected, country)
                && expected != country
            {
                violations.add(
                    format!("{field}.scheme"),
                    format!(
                        "a {} is not an identifier of country {}",
                        scheme.as_str_name(),
                        country.as_str()
                    ),
                );
            }
            Some(pb::LegalId {
                scheme: scheme as i32,
                value,
                display,
            })
        }
        Err(error) => {
            violations.add(format!("{field}.value"), error);
            None
        }
    }
}

fn contact(
    violations: &mut FieldViolations,
    field: &str,
    given: Option<&pb::Contact>,
) -> Option<pb::Contact> {
    let given = given?;
    let contact = pb::Contact {
        name: text(
            violations,
            format!("{field}.name"),
            &given.name,
            false,
            bounds::CONTACT_NAME,
        ),
        email: given.email.trim().to_owned(),
        phone: given.phone.trim().to_owned(),
    };
    if !contact.email.is_empty() {
        let valid = contact.email.len() <= bounds::EMAIL
            && contact
                .email
                .split_once('@')
                .is_some_and(|(local, domain)| {
                    !local.is_empty()
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                        && !contact.email.chars().any(char::is_whitespace)
                });
        if !valid {
            violations.add(format!("{field}.email"), "is not an e-mail address");
        }
    }
    if !contact.phone.is_empty() {
        let digits = contact.phone.chars().filter(char::is_ascii_digit).count();
        let allowed = contact
            .phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '.' | '-' | '(' | ')'));
        if !allowed || !(6..=15).contains(&digits) || contact.phone.len() > bounds::PHONE {
            violations.add(
                format!("{field}.phone"),
                "is not a phone number (6 to 15 digits)",
            );
        }
    }
    if contact.name.is_empty() && contact.email.is_empty() && contact.phone.is_empty() {
        None
    } else {
        Some(contact)
    }
}

fn spoken_languages(
    violations: &mut FieldViolations,
    field: &str,
    given: &[String],
) -> Vec<String> {
    if given.len() > bounds::LANGUAGES {
        violations.add(field, format!("at most {} languages", bounds::LANGUAGES));
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for (i, language) in given.iter().enumerate() {
        let code = language.trim().to_ascii_lowercase();
        if pyred_domain::iso::is_language(&code) {
            if !out.contains(&code) {
                out.push(code);
            }
        } else {
            violations.add(
                format!("{field}[{i}]"),
                "must be an ISO 639-1 code such as fr, es, en",
            );
        }
    }
    out
}

/// Validates a company for storage. `prefix` names the message in field paths
/// (`company`, `companies[3]`). Returns the normalised record (output-only fields
/// cleared, contact split off) when no violation was found.
pub fn company(
    violations: &mut FieldViolations,
    prefix: &str,
    given: &pb::Company,
) -> Option<(pb::Company, Option<pb::Contact>)> {
    let before = violations.iter().count();
    crate::sweep::company(violations, prefix, given);
    let f = |name: &str| format!("{prefix}.{name}");
    let name = text(violations, f("name"), &given.name, true, bounds::NAME);
    let country = country(violations, f("country"), &given.country);
    let legal = legal_id(violations, &f("legal_id"), given.legal_id.as_ref(), country);
    let activities = activities(violations, &f("activities"), &given.activities);
    let language = language(violations, f("language"), given.language);
    let description = text(
        violations,
        f("description"),
        &given.description,
        true,
        bounds::COMPANY_DESCRIPTION,
    );
    let offers = text(
        violations,
        f("offers"),
        &given.offers,
        false,
        bounds::OFFERS_SEEKS,
    );
    let seeks = text(
        violations,
        f("seeks"),
        &given.seeks,
        false,
        bounds::OFFERS_SEEKS,
    );
    let region = region(violations, f("region"), &given.region);
    if let (Some(region), Some(country)) = (&region, country)
        && region.country() != country
    {
        violations.add(
            f("region"),
            format!("{} is not in country {}", region.as_str(), country.as_str()),
        );
    }
    let location = location(
        violations,
        &f("location"),
        given.location.as_ref(),
        region.as_ref(),
    );
    if let Some(employees) = given.employees
        && !(0..=1_000_000).contains(&employees)
    {
        violations.add(f("employees"), "must be between 0 and 1000000");
    }
    let languages = spoken_languages(violations, &f("languages"), &given.languages);
    let contact = contact(violations, &f("contact"), given.contact.as_ref());
    let visibility = match pb::Visibility::try_from(given.visibility) {
        Ok(pb::Visibility::Public) => pb::Visibility::Public,
        // An unknown number is refused by the sweep.
        Ok(_) | Err(_) => pb::Visibility::AdvisersOnly,
    };
    if let Some(radius) = given.service_radius_km
        && !(radius.is_finite() && radius > 0.0 && radius <= 20_000.0)
    {
        violations.add(f("service_radius_km"), "must be between 0 and 20000 km");
    }
    if let Some(hours) = given.service_radius_hours
        && !(hours.is_finite() && hours > 0.0 && hours <= 24.0)
    {
        violations.add(
            f("service_radius_hours"),
            "must be more than 0 and at most 24 hours",
        );
    }
    let source = identifier(
        violations,
        f("source"),
        &given.source,
        false,
        bounds::SOURCE,
    );
    let external_id = identifier(
        violations,
        f("external_id"),
        &given.external_id,
        false,
        bounds::ID,
    );
    if violations.iter().count() > before {
        return None;
    }
    Some((
        pb::Company {
            id: String::new(),
            source,
            external_id,
            name,
            country: country.map(|c| c.as_str().to_owned()).unwrap_or_default(),
            legal_id: legal,
            activities,
            language,
            description,
            offers,
            seeks,
            location,
            region: region.map(|r| r.as_str().to_owned()).unwrap_or_default(),
            employees: given.employees,
            languages,
            contact: None,
            visibility: visibility as i32,
            service_radius_km: given.service_radius_km,
            service_radius_hours: given.service_radius_hours,
            version: 0,
            created_at: None,
            updated_at: None,
        },
        contact,
    ))
}

fn date(violations: &mut FieldViolations, field: String, given: Option<&pb::Date>) -> Option<Day> {
    let given = given?;
    violations.check(field, Day::try_from(given).map_err(DateError::from))
}

/// How long a listing without deadline stays live.
pub const DEFAULT_LIFETIME_DAYS: i64 = 365;

/// Validates an opportunity for storage. The returned record has `expires_on` set and
/// the output-only fields cleared.
pub fn opportunity(
    violations: &mut FieldViolations,
    prefix: &str,
    given: &pb::Opportunity,
    today: Day,
) -> Option<pb::Opportunity> {
    let before = violations.iter().count();
    crate::sweep::opportunity(violations, prefix, given);
    let f = |name: &str| format!("{prefix}.{name}");
    let source = identifier(violations, f("source"), &given.source, true, bounds::SOURCE);
    let external_id = identifier(
        violations,
        f("external_id"),
        &given.external_id,
        false,
        bounds::ID,
    );
    let kind = match pb::OpportunityKind::try_from(given.kind) {
        Err(_) => given.kind, // the sweep's
        Ok(pb::OpportunityKind::Unspecified) => {
            violations.add(
                f("kind"),
                "is required: business_offer, business_request, partnership, tender, technology_offer or technology_request",
            );
            given.kind
        }
        Ok(kind) => kind as i32,
    };
    let title = text(violations, f("title"), &given.title, true, bounds::TITLE);
    let description = text(
        violations,
        f("description"),
        &given.description,
        true,
        bounds::OPPORTUNITY_DESCRIPTION,
    );
    let language = language(violations, f("language"), given.language);
    let activities = activities(violations, &f("activities"), &given.activities);
    let mut cpv = Vec::new();
    if given.cpv.len() > bounds::CODES {
        violations.add(f("cpv"), format!("at most {} codes", bounds::CODES));
    } else {
        for (i, code) in given.cpv.iter().enumerate() {
            if let Some(code) = violations.check(format!("{}[{i}]", f("cpv")), Cpv::parse(code)) {
                let text = code.to_string();
                if !cpv.iter().any(|c: &String| c.get(..8) == text.get(..8)) {
                    cpv.push(text);
                }
            }
        }
    }
    let region = region(violations, f("region"), &given.region);
    let location = location(
        violations,
        &f("location"),
        given.location.as_ref(),
        region.as_ref(),
    );
    let published = match date(violations, f("published"), given.published.as_ref()) {
        Some(day) => Some(day),
        None if given.published.is_none() => Some(today),
        None => None,
    };
    let deadline = date(violations, f("deadline"), given.deadline.as_ref());
    if let (Some(published), Some(deadline)) = (published, deadline)
        && deadline < published
    {
        violations.add(
            f("deadline"),
            format!("is before the publication date {published}"),
        );
    }
    if let Some(budget) = given.budget_eur
        && !(budget.is_finite() && (0.0..=1e12).contains(&budget))
    {
        violations.add(f("budget_eur"), "must be between 0 and 10^12");
    }
    if given.source_version < 0 {
        violations.add(f("source_version"), "must not be negative");
    }
    let buyer = buyer(violations, &f("buyer"), given.buyer.as_ref());
    let official_url = official_url(violations, f("official_url"), &given.official_url);
    // Unknown numbers of these enums are refused by the sweep.
    let (procedure, tender_stage, contract_type) =
        (given.procedure, given.tender_stage, given.contract_type);
    let lots = lots(violations, &f("lots"), &given.lots);
    let withdrawal_reason = text(
        violations,
        f("withdrawal_reason"),
        &given.withdrawal_reason,
        false,
        bounds::REASON,
    );
    let nuts = given.nuts.trim().to_ascii_uppercase();
    if !nuts.is_empty() && !is_nuts(&nuts) {
        violations.add(
            f("nuts"),
            "must be a NUTS code: two letters then up to three letters or digits (\"ES243\")",
        );
    }
    if violations.iter().count() > before {
        return None;
    }
    let published = published?;
    let expires_on = match deadline {
        Some(deadline) => deadline,
        None => published.plus_days(DEFAULT_LIFETIME_DAYS).ok()?,
    };
    Some(pb::Opportunity {
        id: String::new(),
        source,
        external_id,
        kind,
        title,
        description,
        language,
        activities,
        cpv,
        location,
        region: region.map(|r| r.as_str().to_owned()).unwrap_or_default(),
        published: Some(published.into()),
        deadline: deadline.map(pb::Date::from),
        budget_eur: given.budget_eur,
        status: 0,
        source_version: given.source_version,
        version: 0,
        created_at: None,
        updated_at: None,
        expires_on: Some(expires_on.into()),
        buyer,
        official_url,
        procedure,
        lots,
        tender_stage,
        withdrawal_reason,
        location_approximate: given.location_approximate,
        nuts,
        contract_type,
    })
}

/// The contracting body: absent when every field is empty.
fn buyer(
    violations: &mut FieldViolations,
    prefix: &str,
    given: Option<&pb::ContractingBody>,
) -> Option<pb::ContractingBody> {
    let given = given?;
    let name = text(
        violations,
        format!("{prefix}.name"),
        &given.name,
        false,
        bounds::BUYER_NAME,
    );
    let nif = registration_code(violations, format!("{prefix}.nif"), &given.nif);
    let dir3 = registration_code(violations, format!("{prefix}.dir3"), &given.dir3);
    if name.is_empty() && nif.is_empty() && dir3.is_empty() {
        return None;
    }
    Some(pb::ContractingBody { name, nif, dir3 })
}

/// A tax or directory code: letters and digits (spaces, dots and dashes dropped),
/// upper-cased, at most 20.
fn registration_code(violations: &mut FieldViolations, field: String, value: &str) -> String {
    let code: String = value
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-'))
        .collect::<String>()
        .to_uppercase();
    if code.chars().count() > bounds::BUYER_CODE {
        violations.add(
            field,
            format!("must be at most {} characters", bounds::BUYER_CODE),
        );
    } else if !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        violations.add(field, "may contain only letters and digits");
    }
    code
}

/// A link to an official notice: absolute http(s), no spaces or control characters.
fn official_url(violations: &mut FieldViolations, field: String, value: &str) -> String {
    let url = value.trim().to_owned();
    if url.is_empty() {
        return url;
    }
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    if url.len() > bounds::URL {
        violations.add(field, format!("must be at most {} characters", bounds::URL));
    } else if rest.is_none_or(|rest| rest.is_empty() || rest.starts_with('/')) {
        violations.add(field, "must be an absolute http:// or https:// address");
    } else if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        violations.add(field, "must not contain spaces or control characters");
    }
    url
}

fn lots(violations: &mut FieldViolations, prefix: &str, given: &[pb::Lot]) -> Vec<pb::Lot> {
    if given.len() > bounds::LOTS {
        violations.add(prefix.to_owned(), format!("at most {} lots", bounds::LOTS));
        return Vec::new();
    }
    let mut lots = Vec::with_capacity(given.len());
    for (i, lot) in given.iter().enumerate() {
        let p = format!("{prefix}[{i}]");
        let id = text(violations, format!("{p}.id"), &lot.id, true, bounds::LOT_ID);
        if lots.iter().any(|other: &pb::Lot| other.id == id) {
            violations.add(format!("{p}.id"), format!("repeats lot {id:?}"));
        }
        let title = text(
            violations,
            format!("{p}.title"),
            &lot.title,
            false,
            bounds::TITLE,
        );
        let mut cpv = Vec::new();
        if lot.cpv.len() > bounds::CODES {
            violations.add(
                format!("{p}.cpv"),
                format!("at most {} codes", bounds::CODES),
            );
        } else {
            for (j, code) in lot.cpv.iter().enumerate() {
                if let Some(code) = violations.check(format!("{p}.cpv[{j}]"), Cpv::parse(code)) {
                    let text = code.to_string();
                    if !cpv.iter().any(|c: &String| c.get(..8) == text.get(..8)) {
                        cpv.push(text);
                    }
                }
            }
        }
        if let Some(budget) = lot.budget_eur
            && !(budget.is_finite() && (0.0..=1e12).contains(&budget))
        {
            violations.add(format!("{p}.budget_eur"), "must be between 0 and 10^12");
        }
        lots.push(pb::Lot {
            id,
            title,
            cpv,
            budget_eur: lot.budget_eur,
        });
    }
    lots
}

/// A NUTS code of any level: a country's two letters, then 1..3 letters or digits.
fn is_nuts(code: &str) -> bool {
    let bytes = code.as_bytes();
    (2..=bounds::NUTS).contains(&bytes.len())
        && bytes[..2].iter().all(u8::is_ascii_uppercase)
        && bytes[2..].iter().all(u8::is_ascii_alphanumeric)
}
