//! The collector of a search: exact distance and travel-time filters, ordering, page
//! window, total and facets, in one pass over the matching documents.
//!
//! The query has already narrowed the documents to the bounding boxes of the search
//! circle (range queries on the lat/lon fast fields); here each candidate's lat/lon
//! columns give its great-circle distance ([`GeoPoint::distance_km`]), and documents
//! beyond the radius are dropped before they are counted. A travel area's circle is its
//! prefilter (no route within the time leaves it); the documents inside get their
//! driving time from the search's one [`Reach`] (a single Dijkstra from the centre,
//! computed before the search) and those beyond the time are dropped, still before
//! they are counted, so totals and facets are those of the travel area. Each segment keeps the best
//! `offset + page_size` documents in a bounded heap for the requested order; the
//! facet counts (region, kind, NACE division, language) are term-ordinal counters
//! over the dictionary-encoded fast columns, resolved to strings once per segment.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap};

use std::sync::Arc;

use pyred_domain::GeoPoint;
use pyred_travel::{CrossingId, Reach};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::index::SegmentReader;
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal};

use crate::request::Sort;
use crate::schema::names;

/// The place of a document in the requested order: higher is better.
#[derive(Debug, Clone, Copy)]
struct Rank {
    primary: f64,
    secondary: f64,
    tiebreak: u64,
    address: DocAddress,
}

impl PartialEq for Rank {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Rank {}

impl PartialOrd for Rank {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Rank {
    fn cmp(&self, other: &Self) -> Ordering {
        self.primary
            .total_cmp(&other.primary)
            .then(self.secondary.total_cmp(&other.secondary))
            // Among equals, the same order on every replica: by the key's stable hash
            // (reversed, since higher is better)...
            .then_with(|| other.tiebreak.cmp(&self.tiebreak))
            // ...then earlier documents first.
            .then_with(|| {
                (other.address.segment_ord, other.address.doc_id)
                    .cmp(&(self.address.segment_ord, self.address.doc_id))
            })
    }
}

/// A document's driving time from the search's centre.
#[derive(Debug, Clone, PartialEq)]
pub struct Travel {
    /// Minutes by road.
    pub minutes: f64,
    /// The crossing used, when the route changes country.
    pub crossing: Option<CrossingId>,
}

/// Driving times from the search's centre on its day, and the travel area's limit.
#[derive(Clone)]
pub struct TravelFilter {
    /// Every route from the centre (one Dijkstra, shared by the segments).
    pub reach: Arc<Reach<'static>>,
    /// Documents farther than this are dropped; `None` to sort only.
    pub max_minutes: Option<f64>,
}

impl std::fmt::Debug for TravelFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TravelFilter")
            .field("from", &self.reach.from_point())
            .field("on", &self.reach.day())
            .field("max_minutes", &self.max_minutes)
            .finish()
    }
}

/// A document kept for the page.
#[derive(Debug, Clone)]
pub struct Candidate {
    rank: Rank,
    /// Where it is.
    pub address: DocAddress,
    /// Its score (0 when the search does not score).
    pub score: Score,
    /// Its distance from the geo reference.
    pub distance_km: Option<f64>,
    /// Its driving time from the geo reference, when the search asks for travel and a
    /// road route exists.
    pub travel: Option<Travel>,
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.rank == other.rank
    }
}

impl Eq for Candidate {}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank.cmp(&other.rank)
    }
}

/// Counts of results per facet value.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FacetCounts {
    /// Per region.
    pub regions: HashMap<String, u64>,
    /// Per opportunity kind.
    pub kinds: HashMap<String, u64>,
    /// Per NACE division.
    pub nace_divisions: HashMap<String, u64>,
    /// Per language.
    pub languages: HashMap<String, u64>,
}

impl FacetCounts {
    fn merge(&mut self, other: FacetCounts) {
        for (mine, theirs) in [
            (&mut self.regions, other.regions),
            (&mut self.kinds, other.kinds),
            (&mut self.nace_divisions, other.nace_divisions),
            (&mut self.languages, other.languages),
        ] {
            for (value, count) in theirs {
                *mine.entry(value).or_default() += count;
            }
        }
    }
}

/// What a search collected.
#[derive(Debug, Default)]
pub struct Collected {
    /// Number of matching documents.
    pub total: u64,
    /// The best `keep` documents, best first.
    pub top: Vec<Candidate>,
    /// Facet counts, when asked.
    pub facets: Option<FacetCounts>,
}

/// Collects a page of results in the requested order.
#[derive(Debug, Clone)]
pub struct HitCollector {
    /// Ordering.
    pub sort: Sort,
    /// How many of the best documents to keep (offset + page size).
    pub keep: usize,
    /// Point distances are measured from.
    pub reference: Option<GeoPoint>,
    /// Exact radius filter around the reference.
    pub radius_km: Option<f64>,
    /// Driving times from the reference (travel area or travel-time sort).
    pub travel: Option<TravelFilter>,
    /// Whether the search scores documents.
    pub scoring: bool,
    /// Whether to count facets.
    pub facets: bool,
}

struct FacetColumn {
    column: StrColumn,
    counts: Vec<u64>,
}

impl FacetColumn {
    fn open(reader: &SegmentReader, name: &str) -> tantivy::Result<Option<Self>> {
        Ok(reader.fast_fields().str(name)?.map(|column| {
            let terms = column.dictionary().num_terms();
            FacetColumn {
                column,
                counts: vec![0; terms],
            }
        }))
    }

    fn count(&mut self, doc: DocId) {
        for ord in self.column.ords().values_for_doc(doc) {
            if let Some(count) = usize::try_from(ord)
                .ok()
                .and_then(|i| self.counts.get_mut(i))
            {
                *count += 1;
            }
        }
    }

    fn harvest(self) -> HashMap<String, u64> {
        let mut out = HashMap::new();
        let mut value = String::new();
        for (ord, count) in self.counts.into_iter().enumerate() {
            if count == 0 {
                continue;
            }
            if let Ok(true) = self.column.ord_to_str(ord as u64, &mut value) {
                out.insert(value.clone(), count);
            }
        }
        out
    }
}

/// Per-segment state of [`HitCollector`].
pub struct HitSegmentCollector {
    config: HitCollector,
    segment: SegmentOrdinal,
    lat: Option<Column<f64>>,
    lon: Option<Column<f64>>,
    published: Option<Column<i64>>,
    deadline: Option<Column<i64>>,
    tiebreak: Option<Column<u64>>,
    facets: Option<[Option<FacetColumn>; 4]>,
    heap: BinaryHeap<Reverse<Candidate>>,
    total: u64,
    /// Driving times already computed in this segment, by the exact bits of the point:
    /// listings and firms cluster on their municipality's point, so most candidates of
    /// a wide travel area share a route with an earlier one.
    routes: HashMap<(u64, u64), Option<Travel>>,
}

impl Collector for HitCollector {
    type Fruit = Collected;
    type Child = HitSegmentCollector;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<HitSegmentCollector> {
        let fast = reader.fast_fields();
        let facets = if self.facets {
            Some([
                FacetColumn::open(reader, names::REGION)?,
                FacetColumn::open(reader, names::KIND)?,
                FacetColumn::open(reader, names::NACE_DIVISION)?,
                FacetColumn::open(reader, names::LANGUAGE)?,
            ])
        } else {
            None
        };
        Ok(HitSegmentCollector {
            config: self.clone(),
            segment,
            lat: fast.column_opt(names::LAT)?,
            lon: fast.column_opt(names::LON)?,
            published: fast.column_opt(names::PUBLISHED)?,
            deadline: fast.column_opt(names::DEADLINE)?,
            tiebreak: fast.column_opt(names::TIEBREAK)?,
            facets,
            heap: BinaryHeap::with_capacity(self.keep.min(1024) + 1),
            total: 0,
            routes: HashMap::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        self.scoring
    }

    fn merge_fruits(&self, fruits: Vec<Collected>) -> tantivy::Result<Collected> {
        let mut total = 0;
        let mut top = Vec::new();
        let mut facets: Option<FacetCounts> = None;
        for fruit in fruits {
            total += fruit.total;
            top.extend(fruit.top);
            if let Some(counts) = fruit.facets {
                facets
                    .get_or_insert_with(FacetCounts::default)
                    .merge(counts);
            }
        }
        top.sort_unstable_by(|a, b| b.cmp(a));
        top.truncate(self.keep);
        if self.facets && facets.is_none() {
            facets = Some(FacetCounts::default());
        }
        Ok(Collected { total, top, facets })
    }
}

impl HitSegmentCollector {
    fn point(&self, doc: DocId) -> Option<GeoPoint> {
        let lat = self.lat.as_ref()?.first(doc)?;
        let lon = self.lon.as_ref()?.first(doc)?;
        GeoPoint::new(lat, lon).ok()
    }

    fn day(column: Option<&Column<i64>>, doc: DocId) -> Option<i64> {
        column.and_then(|column| column.first(doc))
    }
}

impl SegmentCollector for HitSegmentCollector {
    type Fruit = Collected;

    fn collect(&mut self, doc: DocId, score: Score) {
        let distance_km = match self.config.reference {
            Some(reference) => match self.point(doc) {
                Some(point) => Some(reference.distance_km(&point)),
                // A geo search only returns documents that have a point.
                None => return,
            },
            None => None,
        };
        if let (Some(radius), Some(distance)) = (self.config.radius_km, distance_km)
            && distance > radius
        {
            return;
        }
        let travel = match (&self.config.travel, self.point(doc)) {
            (Some(filter), Some(point)) => {
                let travel = self
                    .routes
                    .entry((point.lat().to_bits(), point.lon().to_bits()))
                    .or_insert_with(|| {
                        filter.reach.route_to(point).ok().map(|route| Travel {
                            minutes: route.minutes,
                            crossing: route.crossing,
                        })
                    })
                    .clone();
                if let Some(max) = filter.max_minutes
                    && travel.as_ref().is_none_or(|t| t.minutes > max)
                {
                    return;
                }
                travel
            }
            // A travel area only returns documents that have a point (and a route).
            (Some(filter), None) if filter.max_minutes.is_some() => return,
            _ => None,
        };
        self.total += 1;
        if let Some(facets) = &mut self.facets {
            for column in facets.iter_mut().flatten() {
                column.count(doc);
            }
        }
        let score_f = f64::from(score);
        let nearness = distance_km.map_or(0.0, |d| -d);
        // Missing dates sort last: the lowest possible primary key.
        let (primary, secondary) = match self.config.sort {
            Sort::Relevance => (score_f, nearness),
            Sort::Distance => (nearness, score_f),
            // No route (or no point): last.
            Sort::TravelTime => (
                travel.as_ref().map_or(f64::NEG_INFINITY, |t| -t.minutes),
                score_f,
            ),
            Sort::Deadline => (
                Self::day(self.deadline.as_ref(), doc).map_or(f64::MIN, |d| -(d as f64)),
                score_f,
            ),
            Sort::Published => (
                Self::day(self.published.as_ref(), doc).map_or(f64::MIN, |d| d as f64),
                score_f,
            ),
        };
        let address = DocAddress::new(self.segment, doc);
        let candidate = Candidate {
            rank: Rank {
                primary,
                secondary,
                tiebreak: self
                    .tiebreak
                    .as_ref()
                    .and_then(|column| column.first(doc))
                    .unwrap_or(0),
                address,
            },
            address,
            score,
            distance_km,
            travel,
        };
        if self.heap.len() < self.config.keep {
            self.heap.push(Reverse(candidate));
        } else if let Some(Reverse(worst)) = self.heap.peek()
            && candidate > *worst
        {
            self.heap.pop();
            self.heap.push(Reverse(candidate));
        }
    }

    fn harvest(self) -> Collected {
        let facets = self.facets.map(|columns| {
            let [regions, kinds, divisions, languages] = columns;
            let harvest =
                |column: Option<FacetColumn>| column.map(FacetColumn::harvest).unwrap_or_default();
            FacetCounts {
                regions: harvest(regions),
                kinds: harvest(kinds),
                nace_divisions: harvest(divisions),
                languages: harvest(languages),
            }
        });
        Collected {
            total: self.total,
            top: self.heap.into_iter().map(|Reverse(c)| c).collect(),
            facets,
        }
    }
}
