//! Organisations: the chambers and agencies whose advisers broker cases (decision 0018).
//!
//! Table `organisations` lives in the key store's database beside `api_keys` (created at
//! open if missing, same SQL on SQLite and PostgreSQL): id, name, country, territory
//! (ISO 3166-2 regions, comma-separated), followed publisher codes (comma-separated),
//! language, e-mail, a version for optimistic concurrency and creation / change times in
//! microseconds. [`validate`] turns a `pb::Organisation` into an [`Organisation`] or the
//! list of its bad fields.

use pyred_domain::IsoRegion;
use pyred_proto::v1 as pb;
use pyred_runtime::db::{now_micros, timestamp};
use pyred_runtime::error::{FieldViolations, InvalidInput};
use sqlx::Row;

use crate::store::{KeyStore, Language};

pub(crate) const CREATE: &str = "CREATE TABLE IF NOT EXISTS organisations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    country TEXT NOT NULL,
    territory TEXT NOT NULL,
    sources TEXT NOT NULL,
    language TEXT NOT NULL,
    email TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
)";

const COLUMNS: &str =
    "id, name, country, territory, sources, language, email, version, created_at, updated_at";

/// Why an organisation operation failed.
#[derive(Debug, thiserror::Error)]
pub enum OrganisationError {
    /// The database failed.
    #[error("organisation store: {0}")]
    Database(#[from] sqlx::Error),
    /// An organisation with this id already exists.
    #[error("organisation {0} already exists")]
    AlreadyExists(String),
    /// No organisation has this id.
    #[error("no organisation {0}")]
    NotFound(String),
    /// The version given is not the stored one.
    #[error("organisation {id} is at version {actual}, not {expected}: read it again")]
    VersionConflict {
        /// The organisation.
        id: String,
        /// The version the caller had.
        expected: i64,
        /// The stored version.
        actual: i64,
    },
}

/// A stored organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    /// Identifier (`cci-gers`).
    pub id: String,
    /// Name for people.
    pub name: String,
    /// ISO 3166-1 alpha-2 country, uppercase (`FR`, `ES`).
    pub country: String,
    /// ISO 3166-2 regions it follows firms in.
    pub territory: Vec<String>,
    /// Publisher codes of the listings it follows.
    pub sources: Vec<String>,
    /// The language of its advisers by default.
    pub language: Language,
    /// Where cases addressed to it are announced; empty when none.
    pub email: String,
    /// Version (1 when created, +1 per update).
    pub version: i64,
    /// Creation time, µs.
    pub created_at: i64,
    /// Last change, µs.
    pub updated_at: i64,
}

impl Organisation {
    /// The protobuf message.
    pub fn to_pb(&self) -> pb::Organisation {
        pb::Organisation {
            id: self.id.clone(),
            name: self.name.clone(),
            country: self.country.clone(),
            territory: self.territory.clone(),
            sources: self.sources.clone(),
            language: self.language.as_str().to_owned(),
            email: self.email.clone(),
            version: self.version,
            created_at: Some(timestamp(self.created_at)),
            updated_at: Some(timestamp(self.updated_at)),
        }
    }
}

/// The countries organisations may belong to.
const COUNTRIES: [&str; 2] = ["FR", "ES"];

/// Whether `id` is 2 to 32 of `[a-z0-9-]`, not starting or ending with a dash.
fn valid_id(id: &str) -> bool {
    (2..=32).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-')
}

/// Whether `source` is a publisher code (the rule of an agency key's `source`).
pub(crate) fn valid_source(source: &str) -> bool {
    !source.is_empty()
        && source.len() <= 64
        && source
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn check_name(name: &str, violations: &mut FieldViolations) -> String {
    let name = name.trim();
    let length = name.chars().count();
    if length == 0 {
        violations.add("name", "is required");
    } else if length > 200 {
        violations.add("name", "must be at most 200 characters");
    }
    name.to_owned()
}

fn check_country(country: &str, violations: &mut FieldViolations) -> String {
    let country = country.trim().to_ascii_uppercase();
    if !COUNTRIES.contains(&country.as_str()) {
        violations.add("country", "must be FR or ES");
    }
    country
}

/// The regions, normalised and without repeats; each must lie in `country` (when valid).
fn check_territory(
    territory: &[String],
    country: &str,
    violations: &mut FieldViolations,
) -> Vec<String> {
    if territory.is_empty() {
        violations.add("territory", "needs at least one region (FR-32, ES-AR, …)");
    }
    let mut regions: Vec<String> = Vec::new();
    for (index, zone) in territory.iter().enumerate() {
        match IsoRegion::parse(zone) {
            Ok(region) if COUNTRIES.contains(&country) && !region.as_str().starts_with(country) => {
                violations.add(
                    format!("territory[{index}]"),
                    format!("{} is not in {country}", region.as_str()),
                );
            }
            Ok(region) => {
                let code = region.as_str().to_owned();
                if !regions.contains(&code) {
                    regions.push(code);
                }
            }
            Err(error) => violations.add(format!("territory[{index}]"), error),
        }
    }
    regions
}

fn check_sources(sources: &[String], violations: &mut FieldViolations) -> Vec<String> {
    let mut codes: Vec<String> = Vec::new();
    for (index, source) in sources.iter().enumerate() {
        let source = source.trim();
        if !valid_source(source) {
            violations.add(
                format!("sources[{index}]"),
                "must be a publisher code (lowercase letters, digits, - or _)",
            );
        } else if !codes.iter().any(|code| code == source) {
            codes.push(source.to_owned());
        }
    }
    codes
}

fn check_language(language: &str, country: &str, violations: &mut FieldViolations) -> Language {
    if language.trim().is_empty() {
        return if country == "ES" {
            Language::Es
        } else {
            Language::Fr
        };
    }
    Language::parse(language).unwrap_or_else(|| {
        violations.add("language", "must be fr, es or en");
        Language::default()
    })
}

fn check_email(email: &str, violations: &mut FieldViolations) -> String {
    if email.trim().is_empty() {
        return String::new();
    }
    crate::api::parse_email(email).unwrap_or_else(|reason| {
        violations.add("email", reason);
        String::new()
    })
}

/// The organisation `input` describes, normalised (country uppercase, regions in their
/// canonical form, language defaulting to the country's), or every bad field, named
/// under `prefix` (`organisation.territory[0]`). The version is copied as given; the
/// store sets the timestamps.
pub fn validate(input: &pb::Organisation, prefix: &str) -> Result<Organisation, InvalidInput> {
    let mut violations = FieldViolations::new();
    let id = input.id.trim().to_owned();
    if !valid_id(&id) {
        violations.add(
            "id",
            "must be 2 to 32 lowercase letters, digits or dashes, not starting or ending with a dash",
        );
    }
    let name = check_name(&input.name, &mut violations);
    let country = check_country(&input.country, &mut violations);
    let territory = check_territory(&input.territory, &country, &mut violations);
    let sources = check_sources(&input.sources, &mut violations);
    let language = check_language(&input.language, &country, &mut violations);
    let email = check_email(&input.email, &mut violations);
    let mut named = FieldViolations::new();
    for violation in violations.iter() {
        named.add(
            format!("{prefix}.{}", violation.field),
            &violation.description,
        );
    }
    named.into_result()?;
    Ok(Organisation {
        id,
        name,
        country,
        territory,
        sources,
        language,
        email,
        version: input.version,
        created_at: 0,
        updated_at: 0,
    })
}

fn split(text: &str) -> Vec<String> {
    text.split(',')
        .filter(|part| !part.is_empty())
        .map(str::to_owned)
        .collect()
}

fn organisation(row: &sqlx::any::AnyRow) -> Result<Organisation, sqlx::Error> {
    let language: String = row.try_get("language")?;
    let territory: String = row.try_get("territory")?;
    let sources: String = row.try_get("sources")?;
    Ok(Organisation {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        country: row.try_get("country")?,
        territory: split(&territory),
        sources: split(&sources),
        language: Language::parse(&language).ok_or_else(|| {
            sqlx::Error::Decode(format!("unknown language {language:?} in organisations").into())
        })?,
        email: row.try_get("email")?,
        version: row.try_get("version")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl KeyStore {
    /// Stores a new organisation at version 1; `AlreadyExists` when its id is taken.
    pub async fn create_organisation(
        &self,
        mut new: Organisation,
    ) -> Result<Organisation, OrganisationError> {
        let now = now_micros();
        let done = sqlx::query(
            "INSERT INTO organisations \
             (id, name, country, territory, sources, language, email, version, created_at, \
              updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&new.id)
        .bind(&new.name)
        .bind(&new.country)
        .bind(new.territory.join(","))
        .bind(new.sources.join(","))
        .bind(new.language.as_str())
        .bind(&new.email)
        .bind(now)
        .execute(&self.db.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(OrganisationError::AlreadyExists(new.id));
        }
        new.version = 1;
        new.created_at = now;
        new.updated_at = now;
        Ok(new)
    }

    /// Replaces organisation `changed.id` (its country stays) if `changed.version` is the
    /// stored one; the stored version then goes up by one.
    pub async fn update_organisation(
        &self,
        changed: Organisation,
    ) -> Result<Organisation, OrganisationError> {
        let done = sqlx::query(
            "UPDATE organisations SET name = $1, territory = $2, sources = $3, language = $4, \
             email = $5, version = version + 1, updated_at = $6 \
             WHERE id = $7 AND version = $8",
        )
        .bind(&changed.name)
        .bind(changed.territory.join(","))
        .bind(changed.sources.join(","))
        .bind(changed.language.as_str())
        .bind(&changed.email)
        .bind(now_micros())
        .bind(&changed.id)
        .bind(changed.version)
        .execute(&self.db.pool)
        .await?;
        let stored = self.organisation(&changed.id).await?;
        match stored {
            None => Err(OrganisationError::NotFound(changed.id)),
            Some(stored) if done.rows_affected() == 0 => Err(OrganisationError::VersionConflict {
                id: changed.id,
                expected: changed.version,
                actual: stored.version,
            }),
            Some(stored) => Ok(stored),
        }
    }

    /// One organisation.
    pub async fn organisation(&self, id: &str) -> Result<Option<Organisation>, OrganisationError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM organisations WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(row.as_ref().map(organisation).transpose()?)
    }

    /// Every organisation, by id.
    pub async fn organisations(&self) -> Result<Vec<Organisation>, OrganisationError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM organisations ORDER BY id"
        )))
        .fetch_all(&self.db.pool)
        .await?;
        Ok(rows
            .iter()
            .map(organisation)
            .collect::<Result<Vec<_>, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gers() -> pb::Organisation {
        pb::Organisation {
            id: "cci-gers".into(),
            name: " CCI Gers ".into(),
            country: "fr".into(),
            territory: vec!["fr-32".into()],
            ..pb::Organisation::default()
        }
    }

    fn fields(input: &pb::Organisation) -> Vec<String> {
        validate(input, "organisation").map_or_else(
            |invalid| {
                invalid
                    .violations
                    .into_iter()
                    .map(|v| v.field.trim_start_matches("organisation.").to_owned())
                    .collect()
            },
            |_| Vec::new(),
        )
    }

    #[test]
    fn a_valid_organisation_is_normalised() {
        let valid = validate(&gers(), "o").expect("valid");
        assert_eq!(valid.name, "CCI Gers");
        assert_eq!(valid.country, "FR");
        assert_eq!(valid.territory, ["FR-32"]);
        assert_eq!(valid.language, Language::Fr);
        let arex = pb::Organisation {
            id: "arex".into(),
            country: "ES".into(),
            territory: vec!["ES-AR".into()],
            ..gers()
        };
        assert_eq!(validate(&arex, "o").expect("valid").language, Language::Es);
    }

    #[test]
    fn ids_follow_the_rule() {
        for good in ["ab", "cci-gers", "a1", &"a".repeat(32)] {
            assert!(valid_id(good), "{good}");
        }
        for bad in [
            "a",
            "-ab",
            "ab-",
            "CCI",
            "cci_gers",
            "cci gers",
            &"a".repeat(33),
            "",
        ] {
            assert!(!valid_id(bad), "{bad}");
        }
    }

    #[test]
    fn every_bad_field_is_named() {
        let bad = pb::Organisation {
            id: "-x".into(),
            name: "  ".into(),
            country: "DE".into(),
            territory: vec!["nowhere".into()],
            sources: vec!["Bad Code".into()],
            language: "de".into(),
            email: "no-at".into(),
            ..pb::Organisation::default()
        };
        let named = fields(&bad);
        for field in [
            "id",
            "name",
            "country",
            "territory[0]",
            "sources[0]",
            "language",
            "email",
        ] {
            assert!(named.iter().any(|f| f == field), "{field} in {named:?}");
        }
        let empty = pb::Organisation {
            territory: Vec::new(),
            ..gers()
        };
        assert_eq!(fields(&empty), ["territory"]);
        let abroad = pb::Organisation {
            territory: vec!["ES-AR".into()],
            ..gers()
        };
        assert_eq!(fields(&abroad), ["territory[0]"]);
    }
}
