//! Calendar dates without time zone (publication dates, deadlines), valid by construction.
//!
//! A [`Day`] converts to and from a day count since 1970-01-01 (the proleptic Gregorian
//! calendar), so adding days and comparing dates is integer arithmetic.

use std::fmt;
use std::str::FromStr;

/// Why a date was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Not `YYYY-MM-DD`.
    #[error("invalid date {0:?}: expected YYYY-MM-DD")]
    InvalidFormat(String),
    /// Month or day out of range, or a year outside 1900..=2200.
    #[error("invalid date {0}: no such day")]
    NoSuchDay(String),
}

/// A calendar day between 1900-01-01 and 2200-12-31.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day {
    year: i32,
    month: u8,
    day: u8,
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        _ => 28,
    }
}

impl Day {
    /// The day `year-month-day`, when it exists.
    pub fn new(year: i32, month: u32, day: u32) -> Result<Self, DateError> {
        let text = || format!("{year:04}-{month:02}-{day:02}");
        let month = u8::try_from(month).map_err(|_| DateError::NoSuchDay(text()))?;
        let day_u8 = u8::try_from(day).map_err(|_| DateError::NoSuchDay(text()))?;
        if !(1900..=2200).contains(&year)
            || !(1..=12).contains(&month)
            || day_u8 == 0
            || day_u8 > days_in_month(year, month)
        {
            return Err(DateError::NoSuchDay(text()));
        }
        Ok(Self {
            year,
            month,
            day: day_u8,
        })
    }

    /// Reads `YYYY-MM-DD`.
    pub fn parse(input: &str) -> Result<Self, DateError> {
        let bad = || DateError::InvalidFormat(input.to_owned());
        let bytes = input.trim().as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return Err(bad());
        }
        let number = |range: std::ops::Range<usize>| -> Result<u32, DateError> {
            let part = input.trim().get(range).ok_or_else(bad)?;
            if part.bytes().all(|b| b.is_ascii_digit()) {
                part.parse().map_err(|_| bad())
            } else {
                Err(bad())
            }
        };
        let year = i32::try_from(number(0..4)?).map_err(|_| bad())?;
        Self::new(year, number(5..7)?, number(8..10)?)
    }

    /// Year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// Month, 1..=12.
    pub fn month(self) -> u32 {
        u32::from(self.month)
    }

    /// Day of the month, 1..=31.
    pub fn day(self) -> u32 {
        u32::from(self.day)
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The day `days` after 1970-01-01, when within the supported range.
    pub fn from_days_since_epoch(days: i64) -> Result<Self, DateError> {
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        let out_of_range = || DateError::NoSuchDay(format!("{days} days after 1970-01-01"));
        Self::new(
            i32::try_from(year).map_err(|_| out_of_range())?,
            u32::try_from(month).map_err(|_| out_of_range())?,
            u32::try_from(day).map_err(|_| out_of_range())?,
        )
    }

    /// The day `days` later (earlier when negative).
    pub fn plus_days(self, days: i64) -> Result<Self, DateError> {
        Self::from_days_since_epoch(self.days_since_epoch() + days)
    }

    /// Today in UTC.
    pub fn today() -> Self {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let days = i64::try_from(seconds / 86_400).unwrap_or_default();
        Self::from_days_since_epoch(days).unwrap_or(Self {
            year: 1970,
            month: 1,
            day: 1,
        })
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ`, RFC 3339 in UTC to the second, of an instant given in seconds
/// since 1970-01-01T00:00:00Z; `None` when its day is outside [`Day`]'s range.
pub fn utc_text(seconds: i64) -> Option<String> {
    let day = Day::from_days_since_epoch(seconds.div_euclid(86_400)).ok()?;
    let rest = seconds.rem_euclid(86_400);
    Some(format!(
        "{day}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    ))
}

impl FromStr for Day {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_print_in_utc_to_the_second() {
        assert_eq!(utc_text(0).as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(
            utc_text(1_795_000_000).as_deref(),
            Some("2026-11-18T11:06:40Z")
        );
        assert_eq!(utc_text(-1).as_deref(), Some("1969-12-31T23:59:59Z"));
        assert_eq!(utc_text(i64::MAX / 2), None);
    }

    #[test]
    fn parses_and_prints_iso_dates() {
        let day = Day::parse("2027-03-15").expect("valid");
        assert_eq!((day.year(), day.month(), day.day()), (2027, 3, 15));
        assert_eq!(day.to_string(), "2027-03-15");
        for bad in [
            "2027-3-15",
            "15/03/2027",
            "2027-02-29",
            "2027-13-01",
            "2027-00-10",
            "abcd-ef-gh",
        ] {
            assert!(Day::parse(bad).is_err(), "{bad}");
        }
        assert!(Day::parse("2028-02-29").is_ok());
    }

    #[test]
    fn day_arithmetic_round_trips() {
        assert_eq!(
            Day::parse("1970-01-01").expect("valid").days_since_epoch(),
            0
        );
        assert_eq!(
            Day::parse("2000-03-01").expect("valid").days_since_epoch(),
            11_017
        );
        let published = Day::parse("2026-08-01").expect("valid");
        assert_eq!(
            published.plus_days(365).expect("in range").to_string(),
            "2027-08-01"
        );
        let leap = Day::parse("2027-08-01").expect("valid");
        assert_eq!(
            leap.plus_days(365).expect("in range").to_string(),
            "2028-07-31"
        );
        for days in (-20_000..60_000).step_by(97) {
            let day = Day::from_days_since_epoch(days).expect("in range");
            assert_eq!(day.days_since_epoch(), days);
        }
        assert!(
            Day::parse("2026-12-31").expect("valid") < Day::parse("2027-01-01").expect("valid")
        );
    }
}
