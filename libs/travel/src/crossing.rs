//! The Pyrenean crossings and their closure regimes (seasonal, dated, nightly, weather).
//!
//! A regime is written in `data/crossings.csv` as `open` or as rules separated by `;`:
//!
//! | rule | meaning | closes the crossing for a whole day? |
//! |---|---|---|
//! | `seasonal MM-DD..MM-DD` | closed every year in that window (inclusive, may wrap the new year) | yes |
//! | `closed YYYY-MM-DD..YYYY-MM-DD` | a documented closure (works, avalanche risk) | yes |
//! | `night HH-HH MM-DD..MM-DD` | closed at night in that window | no: the model routes by day, the rule is reported |
//! | `weather` | may close at short notice on heavy snow or rock fall | no: unforeseeable, reported |

use std::fmt;

use pyred_domain::date::Day;

/// The identifier of a crossing (`somport-tunnel`, `portalet`…), as in `data/crossings.csv`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CrossingId(pub(crate) String);

impl CrossingId {
    /// The identifier as written in the data.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CrossingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A day of the year (`12-01`), valid by construction (29 February allowed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonthDay {
    month: u8,
    day: u8,
}

impl MonthDay {
    /// The day `day` of `month`, when some year has it.
    pub fn new(month: u32, day: u32) -> Option<Self> {
        let max = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 => 29,
            _ => return None,
        };
        if day == 0 || day > max {
            return None;
        }
        Some(Self {
            month: u8::try_from(month).ok()?,
            day: u8::try_from(day).ok()?,
        })
    }

    /// The month-day of a calendar day.
    pub fn of(day: Day) -> Self {
        // A Day's month and day are always in range; the fallback is unreachable.
        Self::new(day.month(), day.day()).unwrap_or(Self { month: 1, day: 1 })
    }

    fn parse(text: &str) -> Option<Self> {
        let (m, d) = text.split_once('-')?;
        if m.len() != 2 || d.len() != 2 {
            return None;
        }
        Self::new(m.parse().ok()?, d.parse().ok()?)
    }

    /// Whether `self` lies in `from..=to`, a window that wraps the new year when `from > to`.
    fn within(self, from: MonthDay, to: MonthDay) -> bool {
        if from <= to {
            from <= self && self <= to
        } else {
            self >= from || self <= to
        }
    }
}

impl fmt::Display for MonthDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}-{:02}", self.month, self.day)
    }
}

/// One rule of a crossing's closure regime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Closure {
    /// Closed every year from `from` to `to` inclusive (wrapping the new year when `from > to`).
    Seasonal {
        /// First closed day.
        from: MonthDay,
        /// Last closed day.
        to: MonthDay,
    },
    /// Closed from `from` to `to` inclusive (`from <= to`): a documented event.
    Dated {
        /// First closed day.
        from: Day,
        /// Last closed day.
        to: Day,
    },
    /// Closed every night from `from_hour` to `to_hour` during the season; the crossing
    /// stays usable by day, so this rule does not close it for routing.
    Nightly {
        /// Hour (0–23) the closure starts.
        from_hour: u8,
        /// Hour (0–23) it ends.
        to_hour: u8,
        /// First day of the season.
        season_from: MonthDay,
        /// Last day of the season.
        season_to: MonthDay,
    },
    /// May close at short notice (snow, avalanche risk, rock fall): not predictable by date.
    Weather,
}

impl Closure {
    /// Whether this rule closes the crossing for the whole of `day`.
    pub fn closes(&self, day: Day) -> bool {
        match self {
            Closure::Seasonal { from, to } => MonthDay::of(day).within(*from, *to),
            Closure::Dated { from, to } => *from <= day && day <= *to,
            Closure::Nightly { .. } | Closure::Weather => false,
        }
    }
}

/// A crossing's closure regime: the rules of `data/crossings.csv`, none for `open`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Regime {
    rules: Vec<Closure>,
}

impl Regime {
    /// Parses `open` or `rule; rule; …` (see the module documentation).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text == "open" {
            return Ok(Self::default());
        }
        let rules = text
            .split(';')
            .map(|rule| parse_rule(rule.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        if rules.is_empty() {
            return Err("empty regime".into());
        }
        Ok(Self { rules })
    }

    /// The rules, in the order of the data file.
    pub fn rules(&self) -> &[Closure] {
        &self.rules
    }

    /// Whether a rule closes the crossing for the whole of `day`.
    pub fn closed_on(&self, day: Day) -> bool {
        self.rules.iter().any(|rule| rule.closes(day))
    }
}

fn parse_rule(rule: &str) -> Result<Closure, String> {
    let bad = || format!("bad closure rule {rule:?}");
    let mut words = rule.split_whitespace();
    let closure = match words.next() {
        Some("weather") => Closure::Weather,
        Some("seasonal") => {
            let (from, to) = words
                .next()
                .and_then(|w| w.split_once(".."))
                .ok_or_else(bad)?;
            Closure::Seasonal {
                from: MonthDay::parse(from).ok_or_else(bad)?,
                to: MonthDay::parse(to).ok_or_else(bad)?,
            }
        }
        Some("closed") => {
            let (from, to) = words
                .next()
                .and_then(|w| w.split_once(".."))
                .ok_or_else(bad)?;
            let from = Day::parse(from).map_err(|e| e.to_string())?;
            let to = Day::parse(to).map_err(|e| e.to_string())?;
            if to < from {
                return Err(format!("closure {rule:?} ends before it starts"));
            }
            Closure::Dated { from, to }
        }
        Some("night") => {
            let (h1, h2) = words
                .next()
                .and_then(|w| w.split_once('-'))
                .ok_or_else(bad)?;
            let (from, to) = words
                .next()
                .and_then(|w| w.split_once(".."))
                .ok_or_else(bad)?;
            let hour = |h: &str| h.parse::<u8>().ok().filter(|h| *h < 24).ok_or_else(bad);
            Closure::Nightly {
                from_hour: hour(h1)?,
                to_hour: hour(h2)?,
                season_from: MonthDay::parse(from).ok_or_else(bad)?,
                season_to: MonthDay::parse(to).ok_or_else(bad)?,
            }
        }
        _ => return Err(bad()),
    };
    if words.next().is_some() {
        return Err(bad());
    }
    Ok(closure)
}

/// What a crossing is built as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Structure {
    /// A road tunnel under the range.
    Tunnel,
    /// A road over a col.
    Pass,
    /// A motorway border at either end of the range.
    Motorway,
    /// An ordinary road through a valley.
    Road,
}

/// Where a fact in the data was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A public page read through the project's search tool.
    Page {
        /// Its address.
        url: String,
        /// Its title.
        title: String,
    },
    /// No public source was found: the row says `unverified`.
    Unverified,
}

/// A crossing of the Pyrenees: a node of the graph with its regime and source.
#[derive(Debug, Clone)]
pub struct Crossing {
    pub(crate) id: CrossingId,
    pub(crate) name: String,
    pub(crate) name_fr: String,
    pub(crate) name_es: String,
    pub(crate) structure: Structure,
    pub(crate) roads: String,
    pub(crate) regime: Regime,
    pub(crate) source: Source,
}

impl Crossing {
    /// Its identifier.
    pub fn id(&self) -> &CrossingId {
        &self.id
    }
    /// Its name (English, with its length or height).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Its French name with its article, as it reads after « par » (`le tunnel du Somport`).
    pub fn name_fr(&self) -> &str {
        &self.name_fr
    }
    /// Its Spanish name with its article, as it reads after « por » (`el túnel de Somport`).
    pub fn name_es(&self) -> &str {
        &self.name_es
    }
    /// Tunnel, pass, motorway or road.
    pub fn structure(&self) -> Structure {
        self.structure
    }
    /// The road numbers on each side (`N-330 (ES) / RN134 (FR) / E-7`).
    pub fn roads(&self) -> &str {
        &self.roads
    }
    /// Its closure regime.
    pub fn regime(&self) -> &Regime {
        &self.regime
    }
    /// Where its facts were read.
    pub fn source(&self) -> &Source {
        &self.source
    }
    /// Whether it is closed for the whole of `day`.
    pub fn closed_on(&self, day: Day) -> bool {
        self.regime.closed_on(day)
    }

    /// Whether it may close at short notice in bad weather (a `weather` rule).
    pub fn weather_dependent(&self) -> bool {
        self.regime
            .rules()
            .iter()
            .any(|rule| matches!(rule, Closure::Weather))
    }

    /// What its rules say of `day`, the most restrictive first: closed for the day, else
    /// closed at night in a nightly rule's season, else weather-dependent, else open.
    pub fn state_on(&self, day: Day) -> CrossingState {
        if self.closed_on(day) {
            return CrossingState::Closed;
        }
        let today = MonthDay::of(day);
        let night = self.regime.rules().iter().find_map(|rule| match rule {
            Closure::Nightly {
                from_hour,
                to_hour,
                season_from,
                season_to,
            } if today.within(*season_from, *season_to) => Some((*from_hour, *to_hour)),
            _ => None,
        });
        match night {
            Some((from_hour, to_hour)) => CrossingState::Night { from_hour, to_hour },
            None if self.weather_dependent() => CrossingState::Weather,
            None => CrossingState::Open,
        }
    }
}

/// What a crossing's rules say of one day, the most restrictive first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrossingState {
    /// A seasonal or dated rule closes it for the whole day.
    Closed,
    /// Usable by day, closed at night (hours of the rule whose season holds the day).
    Night {
        /// Hour the closure starts.
        from_hour: u8,
        /// Hour it ends.
        to_hour: u8,
    },
    /// Usable, but may close at short notice in bad weather.
    Weather,
    /// No rule restricts it that day.
    Open,
}

impl CrossingState {
    /// Its machine-readable name: `closed`, `night`, `weather`, `open`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Night { .. } => "night",
            Self::Weather => "weather",
            Self::Open => "open",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Day {
        Day::parse(s).expect("test day")
    }

    #[test]
    fn seasonal_window_wraps_the_new_year() {
        let r = Regime::parse("seasonal 12-01..04-15").expect("regime");
        assert!(r.closed_on(day("2026-12-01")));
        assert!(r.closed_on(day("2027-01-10")));
        assert!(r.closed_on(day("2027-04-15")));
        assert!(!r.closed_on(day("2027-04-16")));
        assert!(!r.closed_on(day("2026-11-30")));
    }

    #[test]
    fn dated_and_informational_rules() {
        let r = Regime::parse("night 22-07 11-01..04-30; weather; closed 2026-01-18..2026-01-19")
            .expect("regime");
        assert_eq!(r.rules().len(), 3);
        assert!(r.closed_on(day("2026-01-18")));
        assert!(r.closed_on(day("2026-01-19")));
        assert!(!r.closed_on(day("2026-01-20")));
        assert!(
            !r.closed_on(day("2026-02-01")),
            "night rules leave the day open"
        );
        assert!(Regime::parse("open").expect("open").rules().is_empty());
    }

    #[test]
    fn a_crossing_s_state_is_its_most_restrictive_rule_that_day() {
        let crossing = |regime: &str| Crossing {
            id: CrossingId("x".to_owned()),
            name: String::new(),
            name_fr: String::new(),
            name_es: String::new(),
            structure: Structure::Tunnel,
            roads: String::new(),
            regime: Regime::parse(regime).expect("regime"),
            source: Source::Unverified,
        };
        let bielsa = crossing("night 22-07 11-01..04-30; weather; closed 2026-01-18..2026-01-19");
        assert_eq!(bielsa.state_on(day("2026-01-18")), CrossingState::Closed);
        assert_eq!(
            bielsa.state_on(day("2026-01-20")),
            CrossingState::Night {
                from_hour: 22,
                to_hour: 7
            }
        );
        assert_eq!(bielsa.state_on(day("2026-07-15")), CrossingState::Weather);
        assert!(bielsa.weather_dependent());
        let tunnel = crossing("open");
        assert_eq!(tunnel.state_on(day("2026-01-18")), CrossingState::Open);
        assert!(!tunnel.weather_dependent());
    }

    #[test]
    fn malformed_rules_are_refused() {
        for bad in [
            "",
            "seasonal 13-01..04-15",
            "seasonal 02-30..03-01",
            "closed 2026-01-19..2026-01-18",
            "night 25-07 11-01..04-30",
            "snow",
            "weather now",
        ] {
            assert!(Regime::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
