//! Which notices concern the territories Pyred serves (Aragón, La Rioja, Gers), and why.
//!
//! The place of performance decides when it carries a NUTS code finer than a country
//! (the notice's, else any lot's); otherwise the contracting body's NUTS code; otherwise
//! the province prefix of its postal code, read with the address's country (a PLACSP
//! address without a country is taken as Spanish). Notices outside are not errors: the
//! caller counts them and decides.

use serde::Serialize;

use crate::model::{Notice, Source};

/// The territory filter: NUTS prefixes and postal-code province prefixes per country.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Territory {
    /// NUTS code prefixes (`ES24` matches `ES241`, `ES243`…).
    pub nuts_prefixes: Vec<String>,
    /// (ISO 3166 alpha-2 country, postal code prefix), e.g. (`ES`, `50`).
    pub postal_prefixes: Vec<(String, String)>,
}

impl Default for Territory {
    /// Aragón (ES24, ES241 Huesca, ES242 Teruel, ES243 Zaragoza), La Rioja (ES23, ES230),
    /// Gers (FRJ24, before NUTS 2016 FR623); postal prefixes 22, 44, 50, 26 (ES), 32 (FR).
    fn default() -> Self {
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        Self {
            nuts_prefixes: s(&[
                "ES24", "ES241", "ES242", "ES243", "ES23", "ES230", "FRJ24", "FR623",
            ]),
            postal_prefixes: [
                ("ES", "22"),
                ("ES", "44"),
                ("ES", "50"),
                ("ES", "26"),
                ("FR", "32"),
            ]
            .iter()
            .map(|(c, p)| ((*c).to_owned(), (*p).to_owned()))
            .collect(),
        }
    }
}

/// Why a notice is inside the territory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum TerritoryMatch {
    /// The place of performance's NUTS code (notice or lot level).
    PlaceNuts {
        /// The code found.
        code: String,
        /// The prefix it matched.
        prefix: String,
    },
    /// The contracting body's NUTS code.
    BuyerNuts {
        /// The code found.
        code: String,
        /// The prefix it matched.
        prefix: String,
    },
    /// The contracting body's postal code.
    BuyerPostalCode {
        /// The postal code found.
        code: String,
        /// The country it was read with.
        country: String,
        /// The province prefix it matched.
        prefix: String,
    },
}

/// ISO alpha-2 for the country spellings feeds use (`ES`, `ESP`, `FR`, `FRA`).
fn alpha2(country: &str) -> String {
    match country.trim().to_ascii_uppercase().as_str() {
        "ESP" | "ES" => "ES".into(),
        "FRA" | "FR" => "FR".into(),
        other => other.get(..2).unwrap_or(other).to_owned(),
    }
}

impl Territory {
    fn nuts_prefix(&self, code: &str) -> Option<&str> {
        let code = code.trim().to_ascii_uppercase();
        self.nuts_prefixes
            .iter()
            .filter(|p| code.starts_with(p.as_str()))
            .max_by_key(|p| p.len())
            .map(String::as_str)
    }

    /// Decide for one notice: `Some(reason)` inside, `None` outside or undecidable.
    pub fn check(&self, notice: &Notice) -> Option<TerritoryMatch> {
        let fine = |c: &&String| c.trim().len() > 2;
        let place_codes: Vec<&String> = notice
            .place
            .nuts
            .iter()
            .chain(notice.lots.iter().filter_map(|l| l.nuts.as_ref()))
            .filter(fine)
            .collect();
        if !place_codes.is_empty() {
            return place_codes.into_iter().find_map(|c| {
                self.nuts_prefix(c).map(|p| TerritoryMatch::PlaceNuts {
                    code: c.clone(),
                    prefix: p.to_owned(),
                })
            });
        }
        let addr = &notice.buyer.address;
        if let Some(c) = addr.nuts.as_ref().filter(fine) {
            return self.nuts_prefix(c).map(|p| TerritoryMatch::BuyerNuts {
                code: c.clone(),
                prefix: p.to_owned(),
            });
        }
        let country = match (&addr.country, notice.source) {
            (Some(c), _) => alpha2(c),
            (None, Source::Placsp) => "ES".to_owned(),
            (None, Source::Ted) => return None,
        };
        let code = addr.postal_code.as_ref()?.trim();
        self.postal_prefixes
            .iter()
            .find(|(c, p)| *c == country && code.len() == 5 && code.starts_with(p.as_str()))
            .map(|(c, p)| TerritoryMatch::BuyerPostalCode {
                code: code.to_owned(),
                country: c.clone(),
                prefix: p.clone(),
            })
    }

    /// Split notices into those inside (with the reason) and the count of the others.
    pub fn split<'a>(&self, notices: &'a [Notice]) -> (Vec<(&'a Notice, TerritoryMatch)>, usize) {
        let mut inside = Vec::new();
        let mut outside = 0;
        for n in notices {
            match self.check(n) {
                Some(m) => inside.push((n, m)),
                None => outside += 1,
            }
        }
        (inside, outside)
    }
}
