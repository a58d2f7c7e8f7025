//! The places Pyred works with: the 458 communes of Gers and the 905
//! municipalities of Aragón (Huesca, Teruel, Zaragoza) and La Rioja.
//!
//! Each [`Place`] has its official code (INSEE for France, INE for Spain), its name,
//! its region and department or province, its population when known, and a point.
//! French points are the area-weighted centres of the commune outlines. Spanish
//! points come from GeoNames; the 99 municipalities GeoNames lacks get the mean of
//! their province's known points and are flagged [`Place::is_approximate`], so a
//! geographic answer can say it used a province-level fallback.
//!
//! [`Gazetteer`] answers look-ups:
//! - by code — `"32013"`, `"50297"`, or the 6-digit INE code with its control digit
//!   `"502973"` ([`Gazetteer::by_code`]);
//! - by name, ignoring accents, case, punctuation and article order ("Fueva, La",
//!   "La Fueva", "la fueva"), or by a common exonym from `data/exonyms.csv`
//!   ("Saragosse" → Zaragoza) ([`Gazetteer::by_name`], [`Gazetteer::resolve`]);
//! - by prefix for autocompletion, most populous first ([`Gazetteer::autocomplete`]);
//! - by proximity ([`Gazetteer::nearest`], [`Gazetteer::within_km`]).
//!
//! [`Gazetteer::embedded`] parses the compiled-in data once and shares it.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::LazyLock;

use serde::Deserialize;

use crate::geo::{BoundingBox, GeoPoint};
use crate::ids::Siren;
use crate::region::{Country, IsoRegion};
use crate::text::{name_key, without_article};

const GERS_CSV: &str = include_str!("../data/gers_communes.csv");
const SPAIN_CSV: &str = include_str!("../data/aragon_rioja_municipios.csv");
const EXONYMS_CSV: &str = include_str!("../data/exonyms.csv");

/// Why gazetteer data could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file is not valid CSV or lacks a column.
    #[error("{file}: malformed csv")]
    Csv {
        /// Which file.
        file: &'static str,
        /// The parser's error.
        #[source]
        source: csv::Error,
    },
    /// A row holds a value that makes no sense.
    #[error("{file}: {code}: {reason}")]
    InvalidRow {
        /// Which file.
        file: &'static str,
        /// The code (or exonym) of the row.
        code: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// The official code of a place: INSEE commune code in France, INE municipality
/// code (without its control digit) in Spain. Both are 5 characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlaceCode {
    country: Country,
    code: [u8; 5],
}

impl PlaceCode {
    fn new(country: Country, code: &str) -> Option<Self> {
        let bytes: [u8; 5] = code.as_bytes().try_into().ok()?;
        bytes.iter().all(u8::is_ascii_alphanumeric).then_some(Self {
            country,
            code: bytes,
        })
    }

    /// The 5 characters: `"32013"`, `"50297"`.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.code).unwrap_or_default()
    }

    /// France for an INSEE code, Spain for an INE code.
    pub fn country(&self) -> Country {
        self.country
    }
}

impl fmt::Display for PlaceCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A commune of Gers or a municipality of Aragón or La Rioja.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    code: PlaceCode,
    name: String,
    region: IsoRegion,
    subdivision: IsoRegion,
    population: Option<u32>,
    point: Option<GeoPoint>,
    approximate: bool,
    ine_control_digit: Option<u8>,
    siren: Option<Siren>,
    postal_codes: Vec<String>,
}

impl Place {
    /// The INSEE or INE code.
    pub fn code(&self) -> &PlaceCode {
        &self.code
    }

    /// The official name, as the national list writes it ("Fueva, La").
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The name with a trailing article moved to the front ("La Fueva").
    pub fn display_name(&self) -> String {
        match self.name.rsplit_once(", ") {
            Some((head, article)) if name_key(article).split(' ').count() == 1 => {
                let sep = if article.ends_with('\'') { "" } else { " " };
                format!("{article}{sep}{head}")
            }
            _ => self.name.clone(),
        }
    }

    /// FR-32 (Gers), ES-AR (Aragón) or ES-RI (La Rioja).
    pub fn region(&self) -> IsoRegion {
        self.region
    }

    /// The department (FR-32) or province (ES-HU, ES-TE, ES-Z, ES-LO).
    pub fn subdivision(&self) -> IsoRegion {
        self.subdivision
    }

    /// The country.
    pub fn country(&self) -> Country {
        self.code.country()
    }

    /// The population: INSEE's legal population for Gers, GeoNames' figure for
    /// Spain (missing for the municipalities GeoNames lacks).
    pub fn population(&self) -> Option<u32> {
        self.population
    }

    /// The point to use for distances; see [`Place::is_approximate`].
    pub fn point(&self) -> Option<GeoPoint> {
        self.point
    }

    /// Whether [`Place::point`] is the province's centre rather than the place's own.
    pub fn is_approximate(&self) -> bool {
        self.approximate
    }

    /// The 6-digit INE code with its control digit (`"502973"`), for Spain.
    pub fn ine_code_with_control(&self) -> Option<String> {
        self.ine_control_digit
            .map(|d| format!("{}{d}", self.code.as_str()))
    }

    /// The SIREN of a French commune's administration.
    pub fn siren(&self) -> Option<Siren> {
        self.siren
    }

    /// The postal codes of a French commune.
    pub fn postal_codes(&self) -> &[String] {
        &self.postal_codes
    }

    /// The great-circle distance from `point` to this place, when it has a point.
    pub fn distance_km(&self, point: &GeoPoint) -> Option<f64> {
        self.point.map(|p| p.distance_km(point))
    }

    /// Whether this place lies within `radius_km` of `point` (false without a point).
    /// Check [`Place::is_approximate`] before trusting a tight radius.
    pub fn is_within_km(&self, point: &GeoPoint, radius_km: f64) -> bool {
        self.distance_km(point).is_some_and(|d| d <= radius_km)
    }
}

/// A place and its distance from a query point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlaceDistance<'a> {
    /// The place.
    pub place: &'a Place,
    /// Kilometres from the query point to [`Place::point`].
    pub distance_km: f64,
}

/// Every place, indexed by code, name and exonym.
#[derive(Debug)]
pub struct Gazetteer {
    places: Vec<Place>,
    by_code: HashMap<String, usize>,
    names: BTreeMap<String, Vec<usize>>,
    aliases: BTreeMap<String, Vec<usize>>,
    exonyms: BTreeMap<String, Vec<usize>>,
}

#[derive(Deserialize)]
struct GersRow {
    insee_code: String,
    name: String,
    population: Option<u32>,
    siren: String,
    postal_codes: String,
    lat: Option<f64>,
    lon: Option<f64>,
}

#[derive(Deserialize)]
struct SpainRow {
    ine_code: String,
    control_digit: String,
    name: String,
    province_code: String,
    ccaa_code: String,
    lat: Option<f64>,
    lon: Option<f64>,
    geonames_population: Option<u32>,
}

#[derive(Deserialize)]
struct ExonymRow {
    exonym: String,
    code: String,
    name: String,
}

fn read_rows<T: for<'de> Deserialize<'de>>(
    file: &'static str,
    data: &str,
) -> Result<Vec<T>, DataError> {
    csv::Reader::from_reader(data.as_bytes())
        .deserialize()
        .collect::<Result<Vec<T>, _>>()
        .map_err(|source| DataError::Csv { file, source })
}

fn point_of(
    file: &'static str,
    code: &str,
    lat: Option<f64>,
    lon: Option<f64>,
) -> Result<Option<GeoPoint>, DataError> {
    match (lat, lon) {
        (Some(lat), Some(lon)) => GeoPoint::new(lat, lon)
            .map(Some)
            .map_err(|e| invalid(file, code, e.to_string())),
        (None, None) => Ok(None),
        _ => Err(invalid(
            file,
            code,
            "latitude without longitude or the reverse".into(),
        )),
    }
}

fn invalid(file: &'static str, code: &str, reason: String) -> DataError {
    DataError::InvalidRow {
        file,
        code: code.to_owned(),
        reason,
    }
}

/// The ISO 3166-2 codes of a Spanish province (INE province code) and its community.
fn spanish_subdivisions(province: &str, ccaa: &str) -> Option<(IsoRegion, IsoRegion)> {
    let province = match province {
        "22" => IsoRegion::HUESCA,
        "44" => IsoRegion::TERUEL,
        "50" => IsoRegion::ZARAGOZA,
        "26" => IsoRegion::LA_RIOJA_PROVINCE,
        _ => return None,
    };
    let region = match ccaa {
        "02" => IsoRegion::ARAGON,
        "17" => IsoRegion::LA_RIOJA,
        _ => return None,
    };
    Some((region, province))
}

impl Gazetteer {
    /// The gazetteer compiled into the crate, parsed on first use.
    ///
    /// # Panics
    /// Only if the embedded data is corrupt, which the crate's tests rule out.
    pub fn embedded() -> &'static Gazetteer {
        static EMBEDDED: LazyLock<Gazetteer> = LazyLock::new(|| {
            Gazetteer::from_csv(GERS_CSV, SPAIN_CSV, EXONYMS_CSV).unwrap_or_else(|e| {
                panic!("embedded gazetteer data is corrupt ({e}); run the crate's tests")
            })
        });
        &EMBEDDED
    }

    /// Builds a gazetteer from the three CSV files of `data/` (Gers communes,
    /// Aragón and La Rioja municipalities, exonyms), e.g. a newer release of them.
    ///
    /// # Errors
    /// [`DataError`] when a file is malformed or a row holds an impossible value.
    pub fn from_csv(gers_csv: &str, spain_csv: &str, exonyms_csv: &str) -> Result<Self, DataError> {
        const GERS: &str = "gers_communes.csv";
        const SPAIN: &str = "aragon_rioja_municipios.csv";
        const EXONYMS: &str = "exonyms.csv";
        let mut places = Vec::new();
        for row in read_rows::<GersRow>(GERS, gers_csv)? {
            let code = PlaceCode::new(Country::France, &row.insee_code)
                .ok_or_else(|| invalid(GERS, &row.insee_code, "not a 5-character code".into()))?;
            places.push(Place {
                code,
                point: point_of(GERS, &row.insee_code, row.lat, row.lon)?,
                name: row.name,
                region: IsoRegion::GERS,
                subdivision: IsoRegion::GERS,
                population: row.population,
                approximate: false,
                ine_control_digit: None,
                siren: Siren::parse(&row.siren).ok(),
                postal_codes: row
                    .postal_codes
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect(),
            });
        }
        for row in read_rows::<SpainRow>(SPAIN, spain_csv)? {
            let code = PlaceCode::new(Country::Spain, &row.ine_code)
                .filter(|c| c.as_str().bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| invalid(SPAIN, &row.ine_code, "not a 5-digit code".into()))?;
            let (region, subdivision) = spanish_subdivisions(&row.province_code, &row.ccaa_code)
                .ok_or_else(|| {
                    invalid(
                        SPAIN,
                        &row.ine_code,
                        "province outside Aragón and La Rioja".into(),
                    )
                })?;
            let control = match row.control_digit.as_bytes() {
                [d] if d.is_ascii_digit() => d - b'0',
                _ => return Err(invalid(SPAIN, &row.ine_code, "bad control digit".into())),
            };
            places.push(Place {
                code,
                point: point_of(SPAIN, &row.ine_code, row.lat, row.lon)?,
                name: row.name,
                region,
                subdivision,
                population: row.geonames_population,
                approximate: false,
                ine_control_digit: Some(control),
                siren: None,
                postal_codes: Vec::new(),
            });
        }
        fill_missing_points(&mut places);

        let mut gazetteer = Self {
            by_code: HashMap::new(),
            names: BTreeMap::new(),
            aliases: BTreeMap::new(),
            exonyms: BTreeMap::new(),
            places: Vec::new(),
        };
        for (i, place) in places.iter().enumerate() {
            if gazetteer
                .by_code
                .insert(place.code.as_str().to_owned(), i)
                .is_some()
            {
                return Err(invalid(
                    "places",
                    place.code.as_str(),
                    "duplicate code".into(),
                ));
            }
            let key = name_key(&place.name);
            if let Some(alias) = without_article(&key) {
                gazetteer
                    .aliases
                    .entry(alias.to_owned())
                    .or_default()
                    .push(i);
            }
            gazetteer.names.entry(key).or_default().push(i);
        }
        for row in read_rows::<ExonymRow>(EXONYMS, exonyms_csv)? {
            let i = *gazetteer.by_code.get(&row.code).ok_or_else(|| {
                invalid(EXONYMS, &row.exonym, format!("unknown code {}", row.code))
            })?;
            if places[i].name != row.name {
                return Err(invalid(
                    EXONYMS,
                    &row.exonym,
                    format!("code {} is {}, not {}", row.code, places[i].name, row.name),
                ));
            }
            gazetteer
                .exonyms
                .entry(name_key(&row.exonym))
                .or_default()
                .push(i);
        }
        gazetteer.places = places;
        Ok(gazetteer)
    }

    /// Every place: Gers first, then Spain, each in code order.
    pub fn places(&self) -> &[Place] {
        &self.places
    }

    /// The places of one region (FR-32, ES-AR, ES-RI) or province (ES-HU, …).
    pub fn in_subdivision(&self, region: IsoRegion) -> impl Iterator<Item = &Place> {
        self.places
            .iter()
            .filter(move |p| p.region == region || p.subdivision == region)
    }

    /// The place with an INSEE code (`"32013"`), an INE code (`"50297"`) or an INE
    /// code with its control digit (`"502973"`, refused if the digit is wrong).
    /// Spaces around and inside are ignored.
    pub fn by_code(&self, code: &str) -> Option<&Place> {
        let compact: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        let compact = compact.to_ascii_uppercase();
        match compact.len() {
            5 => self.by_code.get(&compact).map(|&i| &self.places[i]),
            6 => {
                let (base, control) = compact.split_at(5);
                self.by_code
                    .get(base)
                    .map(|&i| &self.places[i])
                    .filter(|p| {
                        p.ine_control_digit
                            .is_some_and(|d| control.as_bytes() == [b'0' + d])
                    })
            }
            _ => None,
        }
    }

    fn sorted(&self, mut indices: Vec<usize>) -> Vec<&Place> {
        indices.sort_unstable();
        indices.dedup();
        let mut places: Vec<&Place> = indices.into_iter().map(|i| &self.places[i]).collect();
        places.sort_by(|a, b| {
            b.population
                .cmp(&a.population)
                .then_with(|| a.name.cmp(&b.name))
        });
        places
    }

    /// Every place whose name, name without its article ("Fueva" for "La Fueva")
    /// or exonym ("Saragosse") matches `name`, ignoring accents, case, punctuation
    /// and article order; most populous first.
    pub fn by_name(&self, name: &str) -> Vec<&Place> {
        let key = name_key(name);
        let indices = [&self.names, &self.aliases, &self.exonyms]
            .iter()
            .filter_map(|map| map.get(&key))
            .flatten()
            .copied()
            .collect();
        self.sorted(indices)
    }

    /// The one place a user most likely means by `query`: a code, else an exact
    /// name, else an exonym, else a name without its article; the most populous
    /// place when several share a name.
    pub fn resolve(&self, query: &str) -> Option<&Place> {
        if let Some(place) = self.by_code(query) {
            return Some(place);
        }
        let key = name_key(query);
        [&self.names, &self.exonyms, &self.aliases]
            .iter()
            .find_map(|map| map.get(&key))
            .and_then(|indices| self.sorted(indices.clone()).into_iter().next())
    }

    /// Up to `limit` places whose name, article-less name or exonym starts with
    /// `prefix` (folded like names), most populous first. Empty for an empty prefix.
    pub fn autocomplete(&self, prefix: &str, limit: usize) -> Vec<&Place> {
        let key = name_key(prefix);
        if key.is_empty() {
            return Vec::new();
        }
        let mut indices = Vec::new();
        for map in [&self.names, &self.aliases, &self.exonyms] {
            for (_, found) in map
                .range(key.clone()..)
                .take_while(|(name, _)| name.starts_with(&key))
            {
                indices.extend_from_slice(found);
            }
        }
        let mut places = self.sorted(indices);
        places.truncate(limit);
        places
    }

    /// The `limit` places closest to `point`, nearest first.
    pub fn nearest(&self, point: &GeoPoint, limit: usize) -> Vec<PlaceDistance<'_>> {
        let mut found: Vec<PlaceDistance<'_>> = self
            .places
            .iter()
            .filter_map(|place| {
                place
                    .distance_km(point)
                    .map(|distance_km| PlaceDistance { place, distance_km })
            })
            .collect();
        found.sort_by(|a, b| a.distance_km.total_cmp(&b.distance_km));
        found.truncate(limit);
        found
    }

    /// Every place within `radius_km` of `point`, nearest first. Places flagged
    /// [`Place::is_approximate`] are included by their province centre.
    pub fn within_km(&self, point: &GeoPoint, radius_km: f64) -> Vec<PlaceDistance<'_>> {
        let Ok(boxes) = BoundingBox::around(point, radius_km) else {
            return Vec::new();
        };
        let mut found: Vec<PlaceDistance<'_>> = self
            .places
            .iter()
            .filter_map(|place| {
                let p = place.point?;
                if !boxes.iter().any(|b| b.contains(&p)) {
                    return None;
                }
                let distance_km = p.distance_km(point);
                (distance_km <= radius_km).then_some(PlaceDistance { place, distance_km })
            })
            .collect();
        found.sort_by(|a, b| a.distance_km.total_cmp(&b.distance_km));
        found
    }
}

/// Gives each place without a point the mean of its province's known points and
/// flags it approximate. Provinces span a few degrees at mid-latitudes, where the
/// plain mean of coordinates is close to the spherical centroid.
fn fill_missing_points(places: &mut [Place]) {
    let mut sums: HashMap<IsoRegion, (f64, f64, u32)> = HashMap::new();
    for place in places.iter() {
        if let Some(p) = place.point {
            let entry = sums.entry(place.subdivision).or_insert((0.0, 0.0, 0));
            entry.0 += p.lat();
            entry.1 += p.lon();
            entry.2 += 1;
        }
    }
    for place in places.iter_mut().filter(|p| p.point.is_none()) {
        if let Some(&(lat, lon, n)) = sums.get(&place.subdivision) {
            let n = f64::from(n);
            place.point = GeoPoint::new(lat / n, lon / n).ok();
            place.approximate = place.point.is_some();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_data_parses() {
        let g = Gazetteer::from_csv(GERS_CSV, SPAIN_CSV, EXONYMS_CSV).expect("embedded data");
        assert_eq!(g.places().len(), 458 + 905);
    }

    #[test]
    fn six_digit_ine_codes_check_the_control_digit() {
        let g = Gazetteer::embedded();
        assert_eq!(g.by_code("502973").map(Place::name), Some("Zaragoza"));
        assert!(g.by_code("502974").is_none());
        assert!(g.by_code("320130").is_none());
        assert!(g.by_code("5029").is_none());
    }

    #[test]
    fn display_name_moves_the_article_forward() {
        let g = Gazetteer::embedded();
        let fueva = g.resolve("la fueva").expect("La Fueva exists");
        assert_eq!(fueva.name(), "Fueva, La");
        assert_eq!(fueva.display_name(), "La Fueva");
        let auch = g.resolve("Auch").expect("Auch exists");
        assert_eq!(auch.display_name(), "Auch");
    }

    #[test]
    fn bad_rows_are_reported() {
        let gers = "insee_code,name,population,siren,postal_codes,arrondissement,lat,lon\n32013,Auch,1,213200132,32000,321,95.0,0.5\n";
        let spain = "ine_code,control_digit,name,province_code,province,autonomous_community,ccaa_code,lat,lon,geonames_id,geonames_name,geonames_feature,geonames_population,coord_source\n";
        let err =
            Gazetteer::from_csv(gers, spain, "exonym,lang,code,name\n").expect_err("bad latitude");
        assert!(matches!(err, DataError::InvalidRow { .. }), "{err}");
        let ok_gers = gers.replace("95.0", "43.6");
        let err = Gazetteer::from_csv(
            &ok_gers,
            spain,
            "exonym,lang,code,name\nAush,oc,32013,Ach\n",
        )
        .expect_err("wrong exonym name");
        assert!(err.to_string().contains("not Ach"), "{err}");
    }
}
