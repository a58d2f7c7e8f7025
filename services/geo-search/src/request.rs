//! Validation of `Search` requests into [`SearchQuery`], valid by construction.
//!
//! Every bad field is collected into one `InvalidArgument` carrying a field violation
//! per field (`radius.radius_km`, `filters.nace_prefix`, `page.page_token`, …). The
//! query text itself is never an error. A page token is `p1.<offset>.<fingerprint>`,
//! where the fingerprint hashes the rest of the request, so that a token is refused
//! when replayed with another query.

use pyred_domain::{BoundingBox, Cpv, DateError, Day, Gazetteer, GeoPoint, IsoRegion, NaceCode};
use pyred_proto::prost::Message as _;
use pyred_proto::v1::{self as pb, search_request::Geo as PbGeo};
use pyred_runtime::error::{FieldViolations, InvalidInput};
use pyred_text::{Glossary, Language};
use pyred_travel::TravelModel;

use crate::document::{Entity, kind_name};

/// Page size when the request gives none.
pub const DEFAULT_PAGE_SIZE: usize = 20;
/// Largest page.
pub const MAX_PAGE_SIZE: usize = 100;
/// Deepest result reachable by paging.
pub const MAX_OFFSET: usize = 10_000;
/// Largest search radius.
pub const MAX_RADIUS_KM: f64 = 1000.0;
/// Longest driving time of a travel area, minutes (12 h).
pub const MAX_TRAVEL_MINUTES: f64 = 720.0;
/// Words of the query text taken into account.
pub const MAX_QUERY_WORDS: usize = 32;
/// Concept ids a request may add.
pub const MAX_CONCEPTS: usize = 100;
/// Bytes of query text analysed (far more than [`MAX_QUERY_WORDS`] words need).
pub const MAX_QUERY_BYTES: usize = 2_000;

/// The first `max` bytes of `text`, cut at a character boundary.
fn truncated(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Best score first (nearest first among equals when there is a geo reference).
    Relevance,
    /// Nearest first.
    Distance,
    /// Soonest deadline first; records without a deadline last.
    Deadline,
    /// Most recently published first; records without a date last.
    Published,
    /// Shortest driving time from the geo reference first (then best score); records
    /// without a road route last.
    TravelTime,
}

/// A latitude/longitude rectangle that does not cross ±180° (`min_lon <= max_lon`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatLonBox {
    /// Southern edge.
    pub min_lat: f64,
    /// Northern edge.
    pub max_lat: f64,
    /// Western edge.
    pub min_lon: f64,
    /// Eastern edge.
    pub max_lon: f64,
}

impl From<BoundingBox> for LatLonBox {
    fn from(b: BoundingBox) -> Self {
        Self {
            min_lat: b.min_lat(),
            max_lat: b.max_lat(),
            min_lon: b.min_lon(),
            max_lon: b.max_lon(),
        }
    }
}

impl LatLonBox {
    /// Whether `(lat, lon)` lies inside or on the edge.
    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        (self.min_lat..=self.max_lat).contains(&lat) && (self.min_lon..=self.max_lon).contains(&lon)
    }
}

/// The geographic restriction.
#[derive(Debug, Clone)]
pub enum Geo {
    /// Within `radius_km` of `centre`; `boxes` enclose the circle.
    Radius {
        /// The centre.
        centre: GeoPoint,
        /// The radius, km.
        radius_km: f64,
        /// Boxes enclosing the circle (a pre-filter on the lat/lon columns).
        boxes: Vec<LatLonBox>,
    },
    /// Within `max_minutes` of driving from `centre` on the search's day.
    Travel {
        /// The centre.
        centre: GeoPoint,
        /// The driving time, minutes.
        max_minutes: f64,
        /// The straight-line radius no route of at most `max_minutes` can leave:
        /// `max_minutes` at the travel model's greatest crow-flies speed
        /// ([`TravelModel::max_speed_kmh`]).
        radius_km: f64,
        /// Boxes enclosing that circle.
        boxes: Vec<LatLonBox>,
    },
    /// Inside one box, or two when it crosses ±180°.
    Boxes(Vec<LatLonBox>),
}

impl Geo {
    /// The boxes every result lies in.
    pub fn boxes(&self) -> &[LatLonBox] {
        match self {
            Geo::Radius { boxes, .. } | Geo::Travel { boxes, .. } | Geo::Boxes(boxes) => boxes,
        }
    }

    /// The point distances (and travel times) are measured from.
    pub fn reference(&self) -> Option<GeoPoint> {
        match self {
            Geo::Radius { centre, .. } | Geo::Travel { centre, .. } => Some(*centre),
            Geo::Boxes(_) => None,
        }
    }

    /// The straight-line radius every result lies within: the circle itself, or the
    /// prefilter circle of a travel area.
    pub fn radius_km(&self) -> Option<f64> {
        match self {
            Geo::Radius { radius_km, .. } | Geo::Travel { radius_km, .. } => Some(*radius_km),
            Geo::Boxes(_) => None,
        }
    }

    /// The driving time limit of a travel area.
    pub fn max_minutes(&self) -> Option<f64> {
        match self {
            Geo::Travel { max_minutes, .. } => Some(*max_minutes),
            Geo::Radius { .. } | Geo::Boxes(_) => None,
        }
    }
}

/// The straight-line radius, km, that holds every point within `max_minutes` of
/// driving: travel time is at least great-circle distance over the model's greatest
/// crow-flies speed. A hair wider, so that rounding never drops a point on the edge.
pub fn travel_prefilter_km(model: &TravelModel, max_minutes: f64) -> f64 {
    max_minutes / 60.0 * model.max_speed_kmh() * (1.0 + 1e-9) + 1e-6
}

/// An inclusive range of day numbers; `None` ends are open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayRange {
    /// First day.
    pub from: Option<i64>,
    /// Last day.
    pub to: Option<i64>,
}

impl DayRange {
    /// Whether the range restricts anything.
    pub fn is_set(&self) -> bool {
        self.from.is_some() || self.to.is_some()
    }
}

/// A validated search.
#[derive(Debug, Clone)]
pub struct SearchQuery {
    /// The query text, trimmed.
    pub text: String,
    /// The language given by the caller.
    pub language: Option<Language>,
    /// Companies or opportunities only.
    pub entity: Option<Entity>,
    /// Opportunity kinds (indexed names).
    pub kinds: Vec<&'static str>,
    /// Regions or provinces Pyred knows.
    pub regions: Vec<String>,
    /// Well-formed region codes Pyred does not know, with their position in the
    /// request: accepted only if some document has them.
    pub other_regions: Vec<(usize, String)>,
    /// NACE code at any level.
    pub nace: Option<&'static str>,
    /// CPV prefix digits.
    pub cpv: Option<String>,
    /// Include opportunities that are not live.
    pub include_not_live: bool,
    /// Day liveness is evaluated on.
    pub as_of: i64,
    /// The same day, for travel times: the crossings closed that day are not used.
    pub travel_day: Day,
    /// Publication range.
    pub published: DayRange,
    /// Deadline range.
    pub deadline: DayRange,
    /// Headcount range.
    pub employees: (Option<i64>, Option<i64>),
    /// Publishers.
    pub sources: Vec<String>,
    /// Public company profiles only.
    pub public_only: bool,
    /// Set by the caller's scope, not by the request: companies are limited to public
    /// profiles plus those of these regions (an adviser's territory) and this id (a
    /// firm's own company).
    pub private_scope: Option<PrivateScope>,
    /// Geographic restriction.
    pub geo: Option<Geo>,
    /// Set when a named place's point is its province's centre.
    pub geo_fallback: Option<String>,
    /// Ordering.
    pub sort: Sort,
    /// Page size.
    pub page_size: usize,
    /// Results skipped (from the page token).
    pub offset: usize,
    /// Whether to count facets.
    pub facets: bool,
    /// Whether to build snippets.
    pub snippets: bool,
    /// Concept ids given besides the text.
    pub concepts: Vec<String>,
    /// Hash of the request without its page, carried by page tokens.
    pub fingerprint: u64,
}

impl SearchQuery {
    /// Whether hits carry a driving time: the search has a travel area or sorts by
    /// travel time (and so has a centre).
    pub fn wants_travel(&self) -> bool {
        matches!(self.geo, Some(Geo::Travel { .. })) || self.sort == Sort::TravelTime
    }
}

/// 64-bit FNV-1a: stable across processes and builds, unlike `DefaultHasher`.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The token of the page starting at `offset` of the search with `fingerprint`.
pub fn page_token(offset: usize, fingerprint: u64) -> String {
    format!("p1.{offset}.{fingerprint:016x}")
}

fn parse_page_token(token: &str, fingerprint: u64) -> Result<usize, &'static str> {
    let mut parts = token.split('.');
    let (Some("p1"), Some(offset), Some(hash), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("not a page token of this service");
    };
    let offset: usize = offset
        .parse()
        .map_err(|_| "not a page token of this service")?;
    let hash = u64::from_str_radix(hash, 16).map_err(|_| "not a page token of this service")?;
    if hash != fingerprint {
        return Err("the token belongs to another search (query, filters or sort changed)");
    }
    if offset > MAX_OFFSET {
        return Err("pages beyond the first 10000 results are not served");
    }
    Ok(offset)
}

fn day(violations: &mut FieldViolations, field: &str, date: Option<&pb::Date>) -> Option<i64> {
    let date = date?;
    let parsed = Day::try_from(date).map_err(DateError::from);
    violations.check(field, parsed).map(Day::days_since_epoch)
}

fn day_range(
    violations: &mut FieldViolations,
    field: &str,
    range: Option<&pb::DateRange>,
) -> DayRange {
    let Some(range) = range else {
        return DayRange::default();
    };
    let parsed = DayRange {
        from: day(violations, &format!("{field}.from"), range.from.as_ref()),
        to: day(violations, &format!("{field}.to"), range.to.as_ref()),
    };
    if let (Some(from), Some(to)) = (parsed.from, parsed.to)
        && from > to
    {
        violations.add(field, "from must not be after to");
    }
    parsed
}

fn point(violations: &mut FieldViolations, field: &str, lat: f64, lon: f64) -> Option<GeoPoint> {
    let mut ok = true;
    if !(-90.0..=90.0).contains(&lat) {
        violations.add(
            format!("{field}.lat"),
            format!("latitude {lat} is outside [-90, 90]"),
        );
        ok = false;
    }
    if !(-180.0..=180.0).contains(&lon) {
        violations.add(
            format!("{field}.lon"),
            format!("longitude {lon} is outside [-180, 180]"),
        );
        ok = false;
    }
    if ok {
        GeoPoint::new(lat, lon).ok()
    } else {
        None
    }
}

/// The CPV prefix of a filter: 2 to 7 digits as given, or a full code (8 digits, with
/// an optional check digit) read hierarchically, without its trailing zeros.
fn cpv_prefix(input: &str) -> Result<String, String> {
    let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    let digits = compact.split('-').next().unwrap_or_default();
    if digits.len() == 8 || compact.contains('-') {
        let cpv = Cpv::parse(&compact).map_err(|error| error.to_string())?;
        let code = cpv.code();
        let significant = code.trim_end_matches('0').len().max(2);
        return Ok(code.get(..significant).unwrap_or(code).to_owned());
    }
    if !(2..=7).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "invalid cpv prefix {input:?}: expected 2 to 8 digits (\"4523\", \"45233140\")"
        ));
    }
    if digits.starts_with("00") {
        return Err(format!(
            "invalid cpv prefix {input:?}: division 00 does not exist"
        ));
    }
    Ok(digits.to_owned())
}

/// The centre of a radius or travel area (`field` is `radius` or `travel`): a point or
/// a gazetteer place, with the fallback note when the place's point is its province's.
fn centre(
    violations: &mut FieldViolations,
    field: &str,
    point_centre: Option<&pb::Location>,
    place_centre: Option<&str>,
    gazetteer: &Gazetteer,
) -> (Option<GeoPoint>, Option<String>) {
    match (point_centre, place_centre) {
        (Some(location), _) => match location.point() {
            Some((lat, lon)) => (point(violations, &format!("{field}.point"), lat, lon), None),
            None => {
                violations.add(format!("{field}.point.lat"), "lat and lon are required");
                (None, None)
            }
        },
        (None, Some(name)) => match gazetteer.resolve(name) {
            None => {
                violations.add(
                    format!("{field}.place"),
                    format!("unknown place {name:?}: not a commune of Gers nor a municipality of Aragón or La Rioja"),
                );
                (None, None)
            }
            Some(place) => match place.point() {
                None => {
                    violations.add(
                        format!("{field}.place"),
                        format!("{} has no known point", place.name()),
                    );
                    (None, None)
                }
                Some(point) => {
                    let fallback = place.is_approximate().then(|| {
                        format!(
                            "{} ({}) has no point of its own: the centre of its province {} was used",
                            place.display_name(),
                            place.code(),
                            place.subdivision()
                        )
                    });
                    (Some(point), fallback)
                }
            },
        },
        (None, None) => {
            violations.add(format!("{field}.centre"), "give a point or a place");
            (None, None)
        }
    }
}

fn geo(
    violations: &mut FieldViolations,
    request: &pb::SearchRequest,
    gazetteer: &Gazetteer,
) -> (Option<Geo>, Option<String>) {
    match &request.geo {
        None => (None, None),
        Some(PbGeo::Travel(travel)) => {
            let max_minutes = travel.max_minutes;
            let minutes_ok =
                max_minutes.is_finite() && max_minutes > 0.0 && max_minutes <= MAX_TRAVEL_MINUTES;
            if !minutes_ok {
                violations.add(
                    "travel.max_minutes",
                    format!("must be more than 0 and at most {MAX_TRAVEL_MINUTES} minutes"),
                );
            }
            let (point_centre, place_centre) = match &travel.centre {
                None => (None, None),
                Some(pb::travel_area::Centre::Point(location)) => (Some(location), None),
                Some(pb::travel_area::Centre::Place(name)) => (None, Some(name.as_str())),
            };
            let (centre, fallback) =
                centre(violations, "travel", point_centre, place_centre, gazetteer);
            let (Some(centre), true) = (centre, minutes_ok) else {
                return (None, None);
            };
            let radius_km = travel_prefilter_km(TravelModel::bundled(), max_minutes);
            match BoundingBox::around(&centre, radius_km) {
                Ok(boxes) => (
                    Some(Geo::Travel {
                        centre,
                        max_minutes,
                        radius_km,
                        boxes: boxes.into_iter().map(LatLonBox::from).collect(),
                    }),
                    fallback,
                ),
                Err(error) => {
                    violations.add("travel.max_minutes", error);
                    (None, None)
                }
            }
        }
        Some(PbGeo::Radius(radius)) => {
            let radius_km = radius.radius_km;
            let radius_ok = radius_km.is_finite() && radius_km > 0.0 && radius_km <= MAX_RADIUS_KM;
            if !radius_ok {
                violations.add(
                    "radius.radius_km",
                    format!("must be more than 0 and at most {MAX_RADIUS_KM} km"),
                );
            }
            let (point_centre, place_centre) = match &radius.centre {
                None => (None, None),
                Some(pb::geo_radius::Centre::Point(location)) => (Some(location), None),
                Some(pb::geo_radius::Centre::Place(name)) => (None, Some(name.as_str())),
            };
            let (centre, fallback) =
                centre(violations, "radius", point_centre, place_centre, gazetteer);
            match (centre, radius_ok) {
                (Some(centre), true) => match BoundingBox::around(&centre, radius_km) {
                    Ok(boxes) => (
                        Some(Geo::Radius {
                            centre,
                            radius_km,
                            boxes: boxes.into_iter().map(LatLonBox::from).collect(),
                        }),
                        fallback,
                    ),
                    Err(error) => {
                        violations.add("radius.radius_km", error);
                        (None, None)
                    }
                },
                _ => (None, None),
            }
        }
        Some(PbGeo::Bbox(bbox)) => {
            let south_west = point(violations, "bbox.min", bbox.min_lat, bbox.min_lon);
            let north_east = point(violations, "bbox.max", bbox.max_lat, bbox.max_lon);
            let (Some(sw), Some(ne)) = (south_west, north_east) else {
                return (None, None);
            };
            if sw.lat() > ne.lat() {
                violations.add("bbox", "min_lat must not be north of max_lat");
                return (None, None);
            }
            let edges = |min_lon, max_lon| LatLonBox {
                min_lat: sw.lat(),
                max_lat: ne.lat(),
                min_lon,
                max_lon,
            };
            let boxes = if sw.lon() <= ne.lon() {
                vec![edges(sw.lon(), ne.lon())]
            } else {
                vec![edges(sw.lon(), 180.0), edges(-180.0, ne.lon())]
            };
            (Some(Geo::Boxes(boxes)), None)
        }
    }
}

impl SearchQuery {
    /// Validates `request`; every bad field is reported at once.
    pub fn parse(
        request: &pb::SearchRequest,
        glossary: &Glossary,
        gazetteer: &Gazetteer,
    ) -> Result<Self, InvalidInput> {
        let mut v = FieldViolations::new();
        let text = truncated(request.query.trim(), MAX_QUERY_BYTES)
            .trim()
            .to_owned();
        let language = match pb::Language::try_from(request.language) {
            Ok(pb::Language::Unspecified) => None,
            Ok(pb::Language::Fr) => Some(Language::Fr),
            Ok(pb::Language::Es) => Some(Language::Es),
            Err(_) => {
                v.add("language", "unknown language");
                None
            }
        };
        let default_filters = pb::SearchFilters::default();
        let filters = request.filters.as_ref().unwrap_or(&default_filters);
        let entity = match pb::EntityKind::try_from(filters.entity) {
            Ok(pb::EntityKind::Unspecified) => None,
            Ok(_) => Entity::from_pb(filters.entity),
            Err(_) => {
                v.add("filters.entity", "unknown entity kind");
                None
            }
        };
        let mut kinds = Vec::new();
        for (i, kind) in filters.kinds.iter().enumerate() {
            match pb::OpportunityKind::try_from(*kind)
                .ok()
                .and_then(kind_name)
            {
                Some(name) => kinds.push(name),
                None => v.add(format!("filters.kinds[{i}]"), "unknown opportunity kind"),
            }
        }
        let mut regions = Vec::new();
        let mut other_regions = Vec::new();
        for (i, region) in filters.regions.iter().enumerate() {
            match IsoRegion::parse(region) {
                Ok(code) if code.name().is_some() => regions.push(code.as_str().to_owned()),
                Ok(code) => other_regions.push((i, code.as_str().to_owned())),
                Err(error) => v.add(format!("filters.regions[{i}]"), error),
            }
        }
        let nace = if filters.nace_prefix.trim().is_empty() {
            None
        } else {
            v.check("filters.nace_prefix", NaceCode::parse(&filters.nace_prefix))
                .map(|code| code.code())
        };
        let cpv = if filters.cpv_prefix.trim().is_empty() {
            None
        } else {
            v.check("filters.cpv_prefix", cpv_prefix(&filters.cpv_prefix))
        };
        let as_of = day(&mut v, "filters.as_of", filters.as_of.as_ref())
            .unwrap_or_else(|| Day::today().days_since_epoch());
        let travel_day = Day::from_days_since_epoch(as_of).unwrap_or_else(|_| Day::today());
        let published = day_range(&mut v, "filters.published", filters.published.as_ref());
        let deadline = day_range(&mut v, "filters.deadline", filters.deadline.as_ref());
        for (field, value) in [
            ("filters.min_employees", filters.min_employees),
            ("filters.max_employees", filters.max_employees),
        ] {
            if value.is_some_and(|n| n < 0) {
                v.add(field, "must not be negative");
            }
        }
        if let (Some(min), Some(max)) = (filters.min_employees, filters.max_employees)
            && min > max
        {
            v.add(
                "filters.max_employees",
                "must not be less than min_employees",
            );
        }
        let employees = (
            filters.min_employees.map(i64::from),
            filters.max_employees.map(i64::from),
        );
        let sources: Vec<String> = filters
            .sources
            .iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        let (geo, geo_fallback) = geo(&mut v, request, gazetteer);
        let sort = match pb::SortOrder::try_from(request.sort) {
            Ok(pb::SortOrder::Relevance) => Sort::Relevance,
            Ok(pb::SortOrder::Distance) => {
                if !matches!(request.geo, Some(PbGeo::Radius(_) | PbGeo::Travel(_))) {
                    v.add(
                        "sort",
                        "sorting by distance needs a centre: a radius or a travel area",
                    );
                }
                Sort::Distance
            }
            Ok(pb::SortOrder::Deadline) => Sort::Deadline,
            Ok(pb::SortOrder::Published) => Sort::Published,
            Ok(pb::SortOrder::TravelTime) => {
                if !matches!(request.geo, Some(PbGeo::Radius(_) | PbGeo::Travel(_))) {
                    v.add(
                        "sort",
                        "sorting by travel time needs a centre: a radius or a travel area",
                    );
                }
                Sort::TravelTime
            }
            Err(_) => {
                v.add("sort", "unknown sort order");
                Sort::Relevance
            }
        };
        let mut concepts = Vec::new();
        if request.concepts.len() > MAX_CONCEPTS {
            v.add("concepts", format!("at most {MAX_CONCEPTS} concept ids"));
        }
        for (i, id) in request.concepts.iter().enumerate() {
            if glossary.concept(id).is_some() {
                concepts.push(id.clone());
            } else {
                v.add(
                    format!("concepts[{i}]"),
                    format!("unknown concept id {id:?}"),
                );
            }
        }
        let page = request.page.clone().unwrap_or_default();
        let page_size = match usize::try_from(page.page_size) {
            Ok(0) => DEFAULT_PAGE_SIZE,
            Ok(n) if n <= MAX_PAGE_SIZE => n,
            _ => {
                v.add(
                    "page.page_size",
                    format!("must be between 0 and {MAX_PAGE_SIZE}"),
                );
                DEFAULT_PAGE_SIZE
            }
        };
        let fingerprint = {
            let mut unpaged = request.clone();
            unpaged.page = None;
            fnv1a(&unpaged.encode_to_vec())
        };
        let offset = if page.page_token.is_empty() {
            0
        } else {
            v.check(
                "page.page_token",
                parse_page_token(&page.page_token, fingerprint),
            )
            .unwrap_or(0)
        };
        v.into_result()?;
        Ok(Self {
            text,
            language,
            entity,
            kinds,
            regions,
            other_regions,
            nace,
            cpv,
            include_not_live: filters.include_not_live,
            as_of,
            travel_day,
            published,
            deadline,
            employees,
            sources,
            public_only: filters.public_only,
            private_scope: None,
            geo,
            geo_fallback,
            sort,
            page_size,
            offset,
            facets: request.facets,
            snippets: !request.skip_snippets,
            concepts,
            fingerprint,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pyred_runtime::error::violations_of;

    fn parse(request: &pb::SearchRequest) -> Result<SearchQuery, Vec<String>> {
        let glossary = Glossary::embedded().expect("glossary");
        SearchQuery::parse(request, glossary, Gazetteer::embedded()).map_err(|error| {
            violations_of(&error.to_status())
                .into_iter()
                .map(|(field, _)| field)
                .collect()
        })
    }

    fn radius(place: &str, km: f64) -> Option<PbGeo> {
        Some(PbGeo::Radius(pb::GeoRadius {
            centre: Some(pb::geo_radius::Centre::Place(place.to_owned())),
            radius_km: km,
        }))
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let request = pb::SearchRequest {
            query: "\"usinage\" AND (( -- ¿".to_owned(),
            filters: Some(pb::SearchFilters {
                regions: vec!["ES-AR".into(), "Aragon".into()],
                nace_prefix: "99.99".into(),
                cpv_prefix: "4x".into(),
                min_employees: Some(10),
                max_employees: Some(5),
                kinds: vec![99],
                ..Default::default()
            }),
            geo: radius("Nowhere-sur-Mer", 0.0),
            page: Some(pb::PageRequest {
                page_size: 101,
                page_token: "garbage".into(),
            }),
            concepts: vec!["machining".into(), "no_such_concept".into()],
            ..Default::default()
        };
        let fields = parse(&request).expect_err("invalid");
        for expected in [
            "filters.regions[1]",
            "filters.nace_prefix",
            "filters.cpv_prefix",
            "filters.max_employees",
            "filters.kinds[0]",
            "radius.radius_km",
            "radius.place",
            "page.page_size",
            "page.page_token",
            "concepts[1]",
        ] {
            assert!(
                fields.iter().any(|f| f == expected),
                "{expected} in {fields:?}"
            );
        }
        assert_eq!(fields.len(), 10, "{fields:?}");
    }

    #[test]
    fn radius_bounds_and_coordinates() {
        for km in [-1.0, 0.0, 1000.5, f64::NAN] {
            let request = pb::SearchRequest {
                geo: radius("Auch", km),
                ..Default::default()
            };
            assert_eq!(
                parse(&request).expect_err("bad radius"),
                ["radius.radius_km"]
            );
        }
        let ok = pb::SearchRequest {
            geo: radius("Saragosse", 1000.0),
            ..Default::default()
        };
        let query = parse(&ok).expect("exonym and 1000 km are fine");
        assert!(query.geo.and_then(|g| g.reference()).is_some());
        let bad_point = pb::SearchRequest {
            geo: Some(PbGeo::Radius(pb::GeoRadius {
                centre: Some(pb::geo_radius::Centre::Point(pb::Location {
                    lat: Some(91.0),
                    lon: Some(0.5),
                    ..Default::default()
                })),
                radius_km: 10.0,
            })),
            ..Default::default()
        };
        assert_eq!(
            parse(&bad_point).expect_err("lat > 90"),
            ["radius.point.lat"]
        );
    }

    #[test]
    fn boxes_are_checked_and_split_across_the_antimeridian() {
        let bbox = |min_lat, min_lon, max_lat, max_lon| pb::SearchRequest {
            geo: Some(PbGeo::Bbox(pb::BoundingBox {
                min_lat,
                min_lon,
                max_lat,
                max_lon,
            })),
            ..Default::default()
        };
        assert_eq!(
            parse(&bbox(43.0, 0.0, 42.0, 1.0)).expect_err("south > north"),
            ["bbox"]
        );
        assert_eq!(
            parse(&bbox(43.0, 0.0, 44.0, 181.0)).expect_err("lon"),
            ["bbox.max.lon"]
        );
        let split = parse(&bbox(-20.0, 179.0, -10.0, -179.0)).expect("valid");
        assert_eq!(split.geo.expect("geo").boxes().len(), 2);
    }

    #[test]
    fn a_page_token_only_fits_its_own_search() {
        let request = pb::SearchRequest {
            query: "usinage".into(),
            ..Default::default()
        };
        let first = parse(&request).expect("valid");
        let mut next = request.clone();
        next.page = Some(pb::PageRequest {
            page_size: 0,
            page_token: page_token(20, first.fingerprint),
        });
        assert_eq!(parse(&next).expect("same search").offset, 20);
        next.query = "mecanizado".into();
        assert_eq!(parse(&next).expect_err("other search"), ["page.page_token"]);
        let mut deep = request.clone();
        deep.page = Some(pb::PageRequest {
            page_size: 0,
            page_token: page_token(MAX_OFFSET + 1, first.fingerprint),
        });
        assert_eq!(parse(&deep).expect_err("too deep"), ["page.page_token"]);
    }

    #[test]
    fn cpv_prefixes_of_filters() {
        assert_eq!(cpv_prefix("4523").as_deref(), Ok("4523"));
        assert_eq!(cpv_prefix("45000000").as_deref(), Ok("45"));
        assert_eq!(cpv_prefix("45233140-2").as_deref(), Ok("4523314"));
        assert!(cpv_prefix("45233140-3").is_err());
        assert!(cpv_prefix("4").is_err());
        assert!(cpv_prefix("00").is_err());
    }

    #[test]
    fn a_huge_query_is_cut_not_refused() {
        let request = pb::SearchRequest {
            query: "é".repeat(10_000),
            ..Default::default()
        };
        let query = parse(&request).expect("text is never an error");
        assert!(query.text.len() <= MAX_QUERY_BYTES && query.text.chars().all(|c| c == 'é'));
    }

    fn travel(place: &str, minutes: f64) -> Option<PbGeo> {
        Some(PbGeo::Travel(pb::TravelArea {
            centre: Some(pb::travel_area::Centre::Place(place.to_owned())),
            max_minutes: minutes,
        }))
    }

    #[test]
    fn travel_area_bounds_centre_and_prefilter() {
        for minutes in [-1.0, 0.0, 720.5, f64::NAN, f64::INFINITY] {
            let request = pb::SearchRequest {
                geo: travel("Auch", minutes),
                ..Default::default()
            };
            assert_eq!(
                parse(&request).expect_err("bad time"),
                ["travel.max_minutes"]
            );
        }
        let unknown = pb::SearchRequest {
            geo: travel("Nowhere-sur-Mer", 60.0),
            ..Default::default()
        };
        assert_eq!(parse(&unknown).expect_err("place"), ["travel.place"]);
        let no_centre = pb::SearchRequest {
            geo: Some(PbGeo::Travel(pb::TravelArea {
                centre: None,
                max_minutes: 60.0,
            })),
            ..Default::default()
        };
        assert_eq!(parse(&no_centre).expect_err("centre"), ["travel.centre"]);
        let bad_point = pb::SearchRequest {
            geo: Some(PbGeo::Travel(pb::TravelArea {
                centre: Some(pb::travel_area::Centre::Point(pb::Location {
                    lat: Some(95.0),
                    lon: Some(0.5),
                    ..Default::default()
                })),
                max_minutes: 60.0,
            })),
            ..Default::default()
        };
        assert_eq!(
            parse(&bad_point).expect_err("lat > 90"),
            ["travel.point.lat"]
        );
        let ok = pb::SearchRequest {
            geo: travel("Auch", 720.0),
            filters: Some(pb::SearchFilters {
                as_of: Some(pb::Date {
                    year: 2026,
                    month: 1,
                    day: 18,
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let query = parse(&ok).expect("12 h is the limit");
        assert_eq!(query.travel_day, Day::new(2026, 1, 18).expect("day"));
        assert!(query.wants_travel());
        let geo = query.geo.expect("geo");
        let fastest = TravelModel::bundled().max_speed_kmh();
        assert_eq!(geo.max_minutes(), Some(720.0));
        assert!(geo.radius_km().expect("prefilter") >= 12.0 * fastest);
    }

    #[test]
    fn travel_sort_needs_a_centre() {
        let request = pb::SearchRequest {
            sort: pb::SortOrder::TravelTime as i32,
            ..Default::default()
        };
        assert_eq!(parse(&request).expect_err("no centre"), ["sort"]);
        for geo in [radius("Auch", 100.0), travel("Auch", 90.0)] {
            let request = pb::SearchRequest {
                sort: pb::SortOrder::TravelTime as i32,
                geo,
                ..Default::default()
            };
            let query = parse(&request).expect("a centre");
            assert_eq!(query.sort, Sort::TravelTime);
            assert!(query.wants_travel());
        }
        let plain_radius = pb::SearchRequest {
            geo: radius("Auch", 100.0),
            ..Default::default()
        };
        assert!(!parse(&plain_radius).expect("valid").wants_travel());
    }

    #[test]
    fn distance_sort_needs_a_radius() {
        let request = pb::SearchRequest {
            sort: pb::SortOrder::Distance as i32,
            ..Default::default()
        };
        assert_eq!(parse(&request).expect_err("no reference"), ["sort"]);
    }
}

/// The non-public companies a restricted caller may still find.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PrivateScope {
    /// Regions (and provinces, as indexed in `subdivision`) of an adviser's territory.
    pub regions: Vec<String>,
    /// A firm's own company id.
    pub company_id: Option<String>,
}
