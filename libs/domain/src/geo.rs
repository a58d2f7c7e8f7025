//! Coordinates, great-circle distances and bounding boxes.
//!
//! [`GeoPoint`] holds a WGS84 latitude and longitude checked on construction.
//! Distances use the haversine formula on a sphere of the mean Earth radius
//! ([`EARTH_MEAN_RADIUS_KM`]); over the few hundred kilometres between Gers and
//! the Ebro valley its error against the ellipsoid stays under 0.5 %.
//!
//! [`BoundingBox::around`] gives the latitude/longitude rectangles that enclose a
//! circle, for pre-filtering with two range queries before the exact distance
//! check. Longitudes are signed, so a box around Gers (which straddles the
//! Greenwich meridian) simply runs from a negative to a positive longitude; a box
//! crossing ±180° is split in two, and a circle that covers a pole spans every
//! longitude.

use std::f64::consts::PI;
use std::fmt;

/// The mean Earth radius (IUGG, R₁), in kilometres.
pub const EARTH_MEAN_RADIUS_KM: f64 = 6371.0088;

/// Why coordinates or a radius were rejected.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum GeoError {
    /// The latitude is not a number between -90 and 90.
    #[error("latitude {0} is outside [-90, 90]")]
    InvalidLatitude(f64),
    /// The longitude is not a number between -180 and 180.
    #[error("longitude {0} is outside [-180, 180]")]
    InvalidLongitude(f64),
    /// The radius is negative or not a finite number.
    #[error("radius {0} km is not a finite non-negative distance")]
    InvalidRadius(f64),
}

/// A WGS84 position in decimal degrees, valid by construction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoPoint {
    lat: f64,
    lon: f64,
}

impl GeoPoint {
    /// A point at `lat` (-90..=90) and `lon` (-180..=180) degrees.
    ///
    /// # Errors
    /// [`GeoError::InvalidLatitude`] or [`GeoError::InvalidLongitude`] when a value
    /// is out of range or not finite.
    pub fn new(lat: f64, lon: f64) -> Result<Self, GeoError> {
        if !(-90.0..=90.0).contains(&lat) {
            return Err(GeoError::InvalidLatitude(lat));
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(GeoError::InvalidLongitude(lon));
        }
        Ok(Self { lat, lon })
    }

    /// The latitude in degrees, north positive.
    pub fn lat(&self) -> f64 {
        self.lat
    }

    /// The longitude in degrees, east positive.
    pub fn lon(&self) -> f64 {
        self.lon
    }

    /// The great-circle (haversine) distance to `other`, in kilometres.
    pub fn distance_km(&self, other: &GeoPoint) -> f64 {
        let (lat1, lat2) = (self.lat.to_radians(), other.lat.to_radians());
        let dlat = lat2 - lat1;
        let dlon = (other.lon - self.lon).to_radians();
        let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
        2.0 * EARTH_MEAN_RADIUS_KM * h.sqrt().min(1.0).asin()
    }

    /// Whether `other` lies within `radius_km` kilometres (inclusive).
    pub fn is_within_km(&self, other: &GeoPoint, radius_km: f64) -> bool {
        self.distance_km(other) <= radius_km
    }

    /// The boxes enclosing the circle of `radius_km` around this point; see
    /// [`BoundingBox::around`].
    ///
    /// # Errors
    /// [`GeoError::InvalidRadius`] for a negative or non-finite radius.
    pub fn bounding_boxes(&self, radius_km: f64) -> Result<Vec<BoundingBox>, GeoError> {
        BoundingBox::around(self, radius_km)
    }
}

impl fmt::Display for GeoPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.5}, {:.5}", self.lat, self.lon)
    }
}

/// A latitude/longitude rectangle that does not cross ±180°: `min_lon <= max_lon`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundingBox {
    min_lat: f64,
    max_lat: f64,
    min_lon: f64,
    max_lon: f64,
}

impl BoundingBox {
    /// The one or two boxes that together enclose every point within `radius_km`
    /// of `center` (the method of J. P. Matuschek, "Finding points within a
    /// distance of a latitude/longitude using bounding coordinates").
    ///
    /// One box unless the circle crosses the ±180° meridian, where it is split into
    /// an eastern and a western box. A circle that reaches a pole gives one box
    /// spanning every longitude.
    ///
    /// # Errors
    /// [`GeoError::InvalidRadius`] for a negative or non-finite radius.
    pub fn around(center: &GeoPoint, radius_km: f64) -> Result<Vec<BoundingBox>, GeoError> {
        if !radius_km.is_finite() || radius_km < 0.0 {
            return Err(GeoError::InvalidRadius(radius_km));
        }
        let angular = radius_km / EARTH_MEAN_RADIUS_KM;
        let lat = center.lat.to_radians();
        let lon = center.lon.to_radians();
        let (min_lat, max_lat) = (lat - angular, lat + angular);
        if angular >= PI || min_lat <= -PI / 2.0 || max_lat >= PI / 2.0 {
            return Ok(vec![BoundingBox {
                min_lat: min_lat.max(-PI / 2.0).to_degrees(),
                max_lat: max_lat.min(PI / 2.0).to_degrees(),
                min_lon: -180.0,
                max_lon: 180.0,
            }]);
        }
        let dlon = (angular.sin() / lat.cos()).min(1.0).asin();
        let (min_lon, max_lon) = (lon - dlon, lon + dlon);
        let (min_lat, max_lat) = (min_lat.to_degrees(), max_lat.to_degrees());
        let make = |min_lon: f64, max_lon: f64| BoundingBox {
            min_lat,
            max_lat,
            min_lon: min_lon.to_degrees(),
            max_lon: max_lon.to_degrees(),
        };
        Ok(if min_lon < -PI {
            vec![make(min_lon + 2.0 * PI, PI), make(-PI, max_lon)]
        } else if max_lon > PI {
            vec![make(min_lon, PI), make(-PI, max_lon - 2.0 * PI)]
        } else {
            vec![make(min_lon, max_lon)]
        })
    }

    /// The southern edge, in degrees.
    pub fn min_lat(&self) -> f64 {
        self.min_lat
    }

    /// The northern edge, in degrees.
    pub fn max_lat(&self) -> f64 {
        self.max_lat
    }

    /// The western edge, in degrees (never greater than [`BoundingBox::max_lon`]).
    pub fn min_lon(&self) -> f64 {
        self.min_lon
    }

    /// The eastern edge, in degrees.
    pub fn max_lon(&self) -> f64 {
        self.max_lon
    }

    /// Whether `point` lies inside the box or on its edge.
    pub fn contains(&self, point: &GeoPoint) -> bool {
        (self.min_lat..=self.max_lat).contains(&point.lat)
            && (self.min_lon..=self.max_lon).contains(&point.lon)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(lat: f64, lon: f64) -> GeoPoint {
        GeoPoint::new(lat, lon).expect("valid test point")
    }

    #[test]
    fn rejects_out_of_range_coordinates() {
        assert!(GeoPoint::new(90.1, 0.0).is_err());
        assert!(GeoPoint::new(0.0, -180.5).is_err());
        assert!(GeoPoint::new(f64::NAN, 0.0).is_err());
        assert!(GeoPoint::new(0.0, f64::INFINITY).is_err());
        assert!(GeoPoint::new(-90.0, 180.0).is_ok());
    }

    #[test]
    fn one_degree_of_meridian() {
        let d = point(0.0, 0.0).distance_km(&point(1.0, 0.0));
        assert!((d - EARTH_MEAN_RADIUS_KM * PI / 180.0).abs() < 1e-9);
    }

    #[test]
    fn box_across_greenwich_is_one_box_with_signed_longitudes() {
        // Near Lectoure, Gers, just east of the meridian.
        let center = point(43.93, 0.05);
        let boxes = BoundingBox::around(&center, 30.0).expect("valid radius");
        assert_eq!(boxes.len(), 1);
        let b = boxes[0];
        assert!(b.min_lon() < 0.0 && b.max_lon() > 0.0);
        // Points 25 km due west and due east are inside; 35 km west is not.
        let west = point(
            43.93,
            0.05 - 25.0 / (111.195 * 43.93_f64.to_radians().cos()),
        );
        let east = point(
            43.93,
            0.05 + 25.0 / (111.195 * 43.93_f64.to_radians().cos()),
        );
        let far_west = point(
            43.93,
            0.05 - 35.0 / (111.195 * 43.93_f64.to_radians().cos()),
        );
        assert!(west.lon() < 0.0);
        assert!(b.contains(&west) && b.contains(&east));
        assert!(!b.contains(&far_west));
        assert!(center.is_within_km(&west, 25.1) && !center.is_within_km(&far_west, 30.0));
    }

    #[test]
    fn box_across_the_antimeridian_is_split() {
        let center = point(-17.7, 179.9);
        let boxes = BoundingBox::around(&center, 50.0).expect("valid radius");
        assert_eq!(boxes.len(), 2);
        assert!(boxes.iter().all(|b| b.min_lon() <= b.max_lon()));
        let across = point(-17.7, -179.9);
        assert!(center.distance_km(&across) < 50.0);
        assert!(boxes.iter().any(|b| b.contains(&across)));
        assert!(boxes.iter().any(|b| b.contains(&center)));
    }

    #[test]
    fn box_around_a_pole_spans_every_longitude() {
        let boxes = BoundingBox::around(&point(89.9, 10.0), 50.0).expect("valid radius");
        assert_eq!(boxes.len(), 1);
        assert_eq!((boxes[0].min_lon(), boxes[0].max_lon()), (-180.0, 180.0));
        assert_eq!(boxes[0].max_lat(), 90.0);
        assert!(BoundingBox::around(&point(0.0, 0.0), -1.0).is_err());
    }
}
