//! Conversions between the generated `pyred.v1` messages and the domain types, written
//! once here so that every service reads and writes them the same way.

use std::fmt;

use pyred_domain::{DateError, Day};

use crate::v1 as pb;

/// The part of a [`pb::Date`] that is out of range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DatePart {
    /// The year, outside 1900..=2200.
    Year,
    /// The month, outside 1..=12.
    Month,
    /// The day, 0 or beyond the month's last day.
    Day,
}

impl DatePart {
    /// `year`, `month` or `day`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Year => "year",
            Self::Month => "month",
            Self::Day => "day",
        }
    }
}

impl fmt::Display for DatePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A [`pb::Date`] that names no calendar day [`Day`] can hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{part} out of range: {source}")]
pub struct InvalidDate {
    /// The first part found out of range.
    pub part: DatePart,
    /// The calendar's answer, as [`Day::new`] gives it.
    #[source]
    pub source: DateError,
}

impl From<InvalidDate> for DateError {
    fn from(error: InvalidDate) -> Self {
        error.source
    }
}

impl From<Day> for pb::Date {
    fn from(day: Day) -> Self {
        Self {
            year: day.year(),
            // Day keeps month in 1..=12 and day in 1..=31, so these always fit.
            month: i32::try_from(day.month()).unwrap_or_default(),
            day: i32::try_from(day.day()).unwrap_or_default(),
        }
    }
}

impl TryFrom<&pb::Date> for Day {
    type Error = InvalidDate;

    /// The day a proto date names. A negative month or day is read as 0, so the error's
    /// text shows `-00-` where it was.
    fn try_from(date: &pb::Date) -> Result<Self, Self::Error> {
        let month = u32::try_from(date.month).unwrap_or(0);
        let day = u32::try_from(date.day).unwrap_or(0);
        Day::new(date.year, month, day).map_err(|source| {
            let part = if !(1900..=2200).contains(&date.year) {
                DatePart::Year
            } else if !(1..=12).contains(&month) {
                DatePart::Month
            } else {
                DatePart::Day
            };
            InvalidDate { part, source }
        })
    }
}

impl TryFrom<pb::Date> for Day {
    type Error = InvalidDate;

    fn try_from(date: pb::Date) -> Result<Self, Self::Error> {
        Self::try_from(&date)
    }
}

impl pb::OpportunityKind {
    /// Every kind but `Unspecified`, in the order of the proto.
    pub const SPECIFIED: [Self; 6] = [
        Self::BusinessOffer,
        Self::BusinessRequest,
        Self::Partnership,
        Self::Tender,
        Self::TechnologyOffer,
        Self::TechnologyRequest,
    ];

    /// The kind's word in JSON, files and the index (`tender`, `business_request`…),
    /// `None` when unspecified.
    pub fn slug(self) -> Option<&'static str> {
        match self {
            Self::Unspecified => None,
            Self::BusinessOffer => Some("business_offer"),
            Self::BusinessRequest => Some("business_request"),
            Self::Partnership => Some("partnership"),
            Self::Tender => Some("tender"),
            Self::TechnologyOffer => Some("technology_offer"),
            Self::TechnologyRequest => Some("technology_request"),
        }
    }

    /// The kind a word names, exactly as [`Self::slug`] writes it (no trimming, no case
    /// folding).
    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::SPECIFIED
            .into_iter()
            .find(|kind| kind.slug() == Some(slug))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_slugs_round_trip() {
        for kind in pb::OpportunityKind::SPECIFIED {
            let slug = kind.slug().expect("a specified kind has a word");
            assert_eq!(pb::OpportunityKind::from_slug(slug), Some(kind));
        }
        assert_eq!(pb::OpportunityKind::Unspecified.slug(), None);
        assert_eq!(
            pb::OpportunityKind::from_slug("business_request"),
            Some(pb::OpportunityKind::BusinessRequest)
        );
        for unknown in ["", "unspecified", "Tender", " tender", "offer"] {
            assert_eq!(pb::OpportunityKind::from_slug(unknown), None, "{unknown:?}");
        }
    }

    fn date(year: i32, month: i32, day: i32) -> pb::Date {
        pb::Date { year, month, day }
    }

    #[test]
    fn days_round_trip_through_the_proto_date() {
        for text in ["1900-01-01", "2026-12-04", "2028-02-29", "2200-12-31"] {
            let day = Day::parse(text).expect("valid");
            let proto = pb::Date::from(day);
            assert_eq!(
                format!("{:04}-{:02}-{:02}", proto.year, proto.month, proto.day),
                text
            );
            assert_eq!(Day::try_from(&proto), Ok(day));
            assert_eq!(Day::try_from(proto), Ok(day));
        }
        for days in (-20_000..60_000).step_by(389) {
            let day = Day::from_days_since_epoch(days).expect("in range");
            assert_eq!(Day::try_from(&pb::Date::from(day)), Ok(day));
        }
    }

    #[test]
    fn out_of_range_parts_are_named() {
        for (given, part) in [
            (date(2027, 13, 1), DatePart::Month),
            (date(2027, 0, 10), DatePart::Month),
            (date(2027, -3, 10), DatePart::Month),
            (date(2027, 2, 29), DatePart::Day),
            (date(2027, 4, 31), DatePart::Day),
            (date(2027, 1, 0), DatePart::Day),
            (date(2027, 1, -1), DatePart::Day),
            (date(1899, 12, 31), DatePart::Year),
            (date(0, 0, 0), DatePart::Year),
        ] {
            let error = Day::try_from(&given).expect_err("refused");
            assert_eq!(error.part, part, "{given:?}");
        }
    }

    #[test]
    fn the_calendar_error_is_the_one_day_new_gives() {
        let error = Day::try_from(&date(2027, 13, 1)).expect_err("refused");
        assert_eq!(
            DateError::from(error.clone()),
            Day::new(2027, 13, 1).expect_err("refused")
        );
        assert_eq!(
            error.to_string(),
            "month out of range: invalid date 2027-13-01: no such day"
        );
        let negative = Day::try_from(&date(2027, -3, 10)).expect_err("refused");
        assert_eq!(negative.source, Day::new(2027, 0, 10).expect_err("refused"));
    }
}
