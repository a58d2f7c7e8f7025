//! Field-level validation errors, reported all at once.
//!
//! Handlers validate a request into domain types at the boundary, collecting every bad
//! field into [`FieldViolations`]; the resulting [`InvalidInput`] becomes an
//! `InvalidArgument` status carrying a `google.rpc.BadRequest` with one violation per
//! field, which clients (and the gateway) can show next to each field.

use std::fmt;

use tonic_types::{ErrorDetails, StatusExt as _};

/// Longest identifier a request may name, in bytes (identifiers are ASCII; every service
/// counts and words this bound the same way).
pub const MAX_ID_BYTES: usize = 128;

/// Why an identifier given is refused, if it is: the one rule for ids in requests.
pub fn id_problem(id: &str) -> Option<String> {
    if id.is_empty() {
        Some("is required".to_owned())
    } else if id.len() > MAX_ID_BYTES {
        Some(format!("must be at most {MAX_ID_BYTES} bytes"))
    } else {
        None
    }
}

/// Collects the violations of one request.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldViolations {
    violations: Vec<FieldViolation>,
}

/// One bad field and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// Dotted path of the field (`company.location.place_code`).
    pub field: String,
    /// Why the value is refused, lowercase, no trailing period.
    pub description: String,
}

impl FieldViolations {
    /// No violation yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `field` is wrong because of `description`.
    pub fn add(&mut self, field: impl Into<String>, description: impl fmt::Display) {
        self.violations.push(FieldViolation {
            field: field.into(),
            description: description.to_string(),
        });
    }

    /// The identifier given in `field`, trimmed, when [`id_problem`] finds none; the
    /// problem is recorded otherwise.
    pub fn id(&mut self, field: impl Into<String>, given: &str) -> Option<String> {
        let id = given.trim();
        match id_problem(id) {
            None => Some(id.to_owned()),
            Some(problem) => {
                self.add(field, problem);
                None
            }
        }
    }

    /// Like [`FieldViolations::id`] for an optional identifier: empty is none.
    pub fn optional_id(&mut self, field: impl Into<String>, given: &str) -> String {
        if given.trim().is_empty() {
            String::new()
        } else {
            self.id(field, given).unwrap_or_default()
        }
    }

    /// Records the error of a parse, keeping the value when it parsed.
    pub fn check<T, E: fmt::Display>(
        &mut self,
        field: impl Into<String>,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.add(field, error);
                None
            }
        }
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.violations.is_empty()
    }

    /// The violations recorded.
    pub fn iter(&self) -> impl Iterator<Item = &FieldViolation> {
        self.violations.iter()
    }

    /// `Ok(())` when no violation was recorded, otherwise all of them.
    pub fn into_result(self) -> Result<(), InvalidInput> {
        if self.violations.is_empty() {
            Ok(())
        } else {
            Err(InvalidInput {
                violations: self.violations,
            })
        }
    }
}

/// Most violations one status carries.
pub const MAX_STATUS_VIOLATIONS: usize = 50;
/// Longest field path or description one status carries, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 200;

/// `text` cut to `max` characters, with an ellipsis when cut.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// A request with one or more bad fields.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InvalidInput {
    /// The bad fields, in the order they were found.
    pub violations: Vec<FieldViolation>,
}

impl InvalidInput {
    /// A single bad field.
    pub fn single(field: impl Into<String>, description: impl fmt::Display) -> Self {
        let mut violations = FieldViolations::new();
        violations.add(field, description);
        Self {
            violations: violations.violations,
        }
    }

    /// An `InvalidArgument` status with a `google.rpc.BadRequest` detail.
    ///
    /// Statuses travel in HTTP/2 headers, which peers cap (16 KB by default): at most
    /// [`MAX_STATUS_VIOLATIONS`] violations are sent (then one saying how many more), each
    /// description cut to [`MAX_DESCRIPTION_CHARS`], and the message to 1,000 characters.
    /// A caller sending garbage therefore gets a readable error, not a broken connection.
    pub fn to_status(&self) -> tonic::Status {
        let mut sent: Vec<tonic_types::FieldViolation> = self
            .violations
            .iter()
            .take(MAX_STATUS_VIOLATIONS)
            .map(|violation| {
                tonic_types::FieldViolation::new(
                    cut(&violation.field, MAX_DESCRIPTION_CHARS),
                    cut(&violation.description, MAX_DESCRIPTION_CHARS),
                )
            })
            .collect();
        if self.violations.len() > MAX_STATUS_VIOLATIONS {
            sent.push(tonic_types::FieldViolation::new(
                "",
                format!(
                    "and {} more bad fields",
                    self.violations.len() - MAX_STATUS_VIOLATIONS
                ),
            ));
        }
        let details = ErrorDetails::with_bad_request(sent);
        tonic::Status::with_error_details(
            tonic::Code::InvalidArgument,
            cut(&self.to_string(), 1000),
            details,
        )
    }
}

impl fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid request: ")?;
        for (i, violation) in self.violations.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", violation.field, violation.description)?;
        }
        Ok(())
    }
}

/// The field violations carried by a status, as `(field, description)` pairs.
pub fn violations_of(status: &tonic::Status) -> Vec<(String, String)> {
    status
        .get_details_bad_request()
        .map(|bad_request| {
            bad_request
                .field_violations
                .into_iter()
                .map(|violation| (violation.field, violation.description))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_violations_travel_in_the_status() {
        let mut violations = FieldViolations::new();
        violations.add("company.name", "must not be empty");
        let parsed: Option<u8> = violations.check("company.employees", "x".parse::<u8>());
        assert!(parsed.is_none());
        let error = violations.into_result().expect_err("two violations");
        let status = error.to_status();
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        let fields: Vec<String> = violations_of(&status).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["company.name", "company.employees"]);
        assert!(status.message().contains("company.name: must not be empty"));
    }

    #[test]
    fn no_violation_is_ok() {
        assert!(FieldViolations::new().into_result().is_ok());
    }

    #[test]
    fn a_flood_of_violations_stays_small_enough_for_headers() {
        let mut violations = FieldViolations::new();
        for index in 0..500 {
            violations.add(format!("upserts[{index}].title"), "x".repeat(5000));
        }
        let status = violations.into_result().expect_err("bad").to_status();
        let carried = violations_of(&status);
        assert_eq!(carried.len(), MAX_STATUS_VIOLATIONS + 1);
        assert!(carried[MAX_STATUS_VIOLATIONS].1.contains("450 more"));
        assert!(carried[0].1.chars().count() <= MAX_DESCRIPTION_CHARS + 1);
        assert!(status.message().chars().count() <= 1001);
        assert!(
            status.details().len() < 16 * 1024,
            "{} bytes",
            status.details().len()
        );
    }
}
