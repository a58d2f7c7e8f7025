//! The registry: metric families, their labelled series, and the text exposition.
//!
//! A family is a name, a help line, a type and a set of series keyed by their labels.
//! A series is either stored (an atomic counter, gauge or histogram the service updates)
//! or computed: a closure called at scrape time (document counts, ages, pool use), so
//! that a value nobody updates can never go stale.
//!
//! Names and label names are chosen by the code, not by users: an invalid one, or the
//! same name registered with two types, is a programming error and panics at
//! registration (tests catch it). Label *values* may come from anywhere and are escaped.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

/// Upper bounds, in seconds, of the RPC duration histogram's buckets.
pub const RPC_DURATION_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The content type of the exposition (Prometheus text format 0.0.4).
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A metrics registry; clones share the same metrics.
#[derive(Clone, Default)]
pub struct Metrics {
    families: Arc<RwLock<BTreeMap<String, Family>>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let families = self.families.read().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("Metrics")
            .field("families", &families.keys().collect::<Vec<_>>())
            .finish()
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

type Labels = Vec<(String, String)>;

/// A family copied out of the registry for rendering: name, help, type, series.
type FamilySnapshot = (String, String, Kind, Vec<(Labels, Series)>);

/// A closure computing a gauge at scrape time; `None` leaves the sample out.
type GaugeFn = Arc<dyn Fn() -> Option<f64> + Send + Sync>;

#[derive(Clone)]
enum Series {
    Counter(Counter),
    Gauge(Gauge),
    Histogram(Histogram),
    Computed(GaugeFn),
}

struct Family {
    help: String,
    kind: Kind,
    /// Bucket bounds, for histograms.
    buckets: Vec<f64>,
    series: BTreeMap<Labels, Series>,
}

/// A monotonically increasing count.
#[derive(Clone, Debug, Default)]
pub struct Counter(Arc<AtomicU64>);

impl Counter {
    /// Adds one.
    pub fn inc(&self) {
        self.inc_by(1);
    }

    /// Adds `n`.
    pub fn inc_by(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    /// The current count.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A value that goes up and down.
#[derive(Clone, Debug, Default)]
pub struct Gauge(Arc<AtomicU64>);

impl Gauge {
    /// Sets the value.
    pub fn set(&self, value: f64) {
        self.0.store(value.to_bits(), Ordering::Relaxed);
    }

    /// Adds `delta` (negative to subtract).
    pub fn add(&self, delta: f64) {
        atomic_add_f64(&self.0, delta);
    }

    /// The current value.
    pub fn get(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }
}

fn atomic_add_f64(cell: &AtomicU64, delta: f64) {
    let mut current = cell.load(Ordering::Relaxed);
    loop {
        let next = (f64::from_bits(current) + delta).to_bits();
        match cell.compare_exchange_weak(current, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return,
            Err(actual) => current = actual,
        }
    }
}

/// A distribution of observations in fixed buckets.
#[derive(Clone, Debug)]
pub struct Histogram(Arc<HistogramCells>);

#[derive(Debug)]
struct HistogramCells {
    bounds: Vec<f64>,
    /// One count per bound plus one for observations above the last bound; not
    /// cumulative (the exposition adds them up), so an observation touches one cell.
    counts: Vec<AtomicU64>,
    sum: AtomicU64,
}

impl Histogram {
    fn new(bounds: &[f64]) -> Self {
        Self(Arc::new(HistogramCells {
            bounds: bounds.to_vec(),
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum: AtomicU64::new(0f64.to_bits()),
        }))
    }

    /// Records one observation.
    pub fn observe(&self, value: f64) {
        let cells = &self.0;
        let slot = cells
            .bounds
            .iter()
            .position(|bound| value <= *bound)
            .unwrap_or(cells.bounds.len());
        if let Some(count) = cells.counts.get(slot) {
            count.fetch_add(1, Ordering::Relaxed);
        }
        atomic_add_f64(&cells.sum, value);
    }

    /// Number of observations so far.
    pub fn count(&self) -> u64 {
        self.0
            .counts
            .iter()
            .map(|count| count.load(Ordering::Relaxed))
            .sum()
    }

    /// Sum of the observations so far.
    pub fn sum(&self) -> f64 {
        f64::from_bits(self.0.sum.load(Ordering::Relaxed))
    }
}

impl Metrics {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// The counter `name` with these labels, created on first use; the same labels give
    /// the same counter. `name` should end in `_total`.
    ///
    /// # Panics
    /// If `name` or a label name is not a valid Prometheus name, or `name` is already
    /// registered with another type.
    pub fn counter(&self, name: &str, help: &str, labels: &[(&str, &str)]) -> Counter {
        match self.series(name, help, Kind::Counter, &[], labels, || {
            Series::Counter(Counter::default())
        }) {
            Series::Counter(counter) => counter,
            _ => unreachable!("kind checked by series()"),
        }
    }

    /// The gauge `name` with these labels, created on first use.
    ///
    /// # Panics
    /// As [`Metrics::counter`].
    pub fn gauge(&self, name: &str, help: &str, labels: &[(&str, &str)]) -> Gauge {
        match self.series(name, help, Kind::Gauge, &[], labels, || {
            Series::Gauge(Gauge::default())
        }) {
            Series::Gauge(gauge) => gauge,
            _ => panic!("metric {name}{labels:?} is a computed gauge, not a stored one"),
        }
    }

    /// The histogram `name` with these labels and bucket upper bounds (ascending,
    /// without `+Inf`), created on first use. The first registration of a name fixes
    /// its buckets.
    ///
    /// # Panics
    /// As [`Metrics::counter`], and if `buckets` is empty or not strictly ascending.
    pub fn histogram(
        &self,
        name: &str,
        help: &str,
        labels: &[(&str, &str)],
        buckets: &[f64],
    ) -> Histogram {
        assert!(
            !buckets.is_empty()
                && buckets.windows(2).all(|pair| pair[0] < pair[1])
                && buckets.iter().all(|b| b.is_finite()),
            "histogram {name}: buckets must be finite and strictly ascending"
        );
        match self.series(name, help, Kind::Histogram, buckets, labels, || {
            Series::Histogram(Histogram::new(buckets))
        }) {
            Series::Histogram(histogram) => histogram,
            _ => unreachable!("kind checked by series()"),
        }
    }

    /// A gauge computed by `value` at every scrape; `None` leaves the sample out (for
    /// example "no commit yet"). Registering the same name and labels again replaces
    /// the closure. The closure runs on the scrape's task: keep it quick and
    /// non-blocking (read an atomic or a cached value, never await I/O).
    ///
    /// # Panics
    /// As [`Metrics::counter`].
    pub fn gauge_fn<F>(&self, name: &str, help: &str, labels: &[(&str, &str)], value: F)
    where
        F: Fn() -> Option<f64> + Send + Sync + 'static,
    {
        let computed = Series::Computed(Arc::new(value));
        let labels = owned_labels(name, labels);
        let mut families = self
            .families
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let family = family_entry(&mut families, name, help, Kind::Gauge, &[]);
        family.series.insert(labels, computed);
    }

    fn series(
        &self,
        name: &str,
        help: &str,
        kind: Kind,
        buckets: &[f64],
        labels: &[(&str, &str)],
        make: impl FnOnce() -> Series,
    ) -> Series {
        let labels = owned_labels(name, labels);
        {
            let families = self.families.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(family) = families.get(name) {
                assert_kind(name, family.kind, kind);
                if let Some(series) = family.series.get(&labels) {
                    return series.clone();
                }
            }
        }
        let mut families = self
            .families
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let family = family_entry(&mut families, name, help, kind, buckets);
        let series = if kind == Kind::Histogram {
            // The family's buckets win over the caller's, so one family has one layout.
            let bounds = family.buckets.clone();
            family
                .series
                .entry(labels)
                .or_insert_with(|| Series::Histogram(Histogram::new(&bounds)))
        } else {
            family.series.entry(labels).or_insert_with(make)
        };
        series.clone()
    }

    /// The whole registry in the Prometheus text format (version 0.0.4): families
    /// sorted by name, each with `# HELP` and `# TYPE`, series sorted by labels.
    /// Computed gauges are evaluated now, outside the registry's lock.
    pub fn render(&self) -> String {
        let snapshot: Vec<FamilySnapshot> = {
            let families = self.families.read().unwrap_or_else(PoisonError::into_inner);
            families
                .iter()
                .map(|(name, family)| {
                    (
                        name.clone(),
                        family.help.clone(),
                        family.kind,
                        family
                            .series
                            .iter()
                            .map(|(labels, series)| (labels.clone(), series.clone()))
                            .collect(),
                    )
                })
                .collect()
        };
        let mut out = String::new();
        for (name, help, kind, series) in snapshot {
            let _ = writeln!(out, "# HELP {name} {}", escape_help(&help));
            let _ = writeln!(out, "# TYPE {name} {}", kind.as_str());
            for (labels, series) in series {
                match series {
                    Series::Counter(counter) => {
                        sample(&mut out, &name, "", &labels, None, counter.get() as f64);
                    }
                    Series::Gauge(gauge) => sample(&mut out, &name, "", &labels, None, gauge.get()),
                    Series::Computed(value) => {
                        if let Some(value) = value() {
                            sample(&mut out, &name, "", &labels, None, value);
                        }
                    }
                    Series::Histogram(histogram) => {
                        let cells = &histogram.0;
                        let mut cumulative = 0u64;
                        for (bound, count) in cells.bounds.iter().zip(&cells.counts) {
                            cumulative += count.load(Ordering::Relaxed);
                            let le = format_value(*bound);
                            sample(
                                &mut out,
                                &name,
                                "_bucket",
                                &labels,
                                Some(&le),
                                cumulative as f64,
                            );
                        }
                        if let Some(overflow) = cells.counts.last() {
                            cumulative += overflow.load(Ordering::Relaxed);
                        }
                        sample(
                            &mut out,
                            &name,
                            "_bucket",
                            &labels,
                            Some("+Inf"),
                            cumulative as f64,
                        );
                        sample(&mut out, &name, "_sum", &labels, None, histogram.sum());
                        sample(&mut out, &name, "_count", &labels, None, cumulative as f64);
                    }
                }
            }
        }
        out
    }
}

fn assert_kind(name: &str, registered: Kind, wanted: Kind) {
    assert!(
        registered == wanted,
        "metric {name} is registered as a {}, not a {}",
        registered.as_str(),
        wanted.as_str()
    );
}

fn family_entry<'a>(
    families: &'a mut BTreeMap<String, Family>,
    name: &str,
    help: &str,
    kind: Kind,
    buckets: &[f64],
) -> &'a mut Family {
    assert!(valid_name(name), "invalid metric name {name:?}");
    let family = families.entry(name.to_owned()).or_insert_with(|| Family {
        help: help.to_owned(),
        kind,
        buckets: buckets.to_vec(),
        series: BTreeMap::new(),
    });
    assert_kind(name, family.kind, kind);
    family
}

fn owned_labels(name: &str, labels: &[(&str, &str)]) -> Labels {
    let mut owned: Labels = labels
        .iter()
        .map(|(key, value)| {
            assert!(
                valid_name(key) && !key.contains(':') && !key.starts_with("__") && *key != "le",
                "metric {name}: invalid label name {key:?}"
            );
            ((*key).to_owned(), (*value).to_owned())
        })
        .collect();
    owned.sort();
    owned
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn sample(
    out: &mut String,
    name: &str,
    suffix: &str,
    labels: &Labels,
    le: Option<&str>,
    value: f64,
) {
    out.push_str(name);
    out.push_str(suffix);
    if !labels.is_empty() || le.is_some() {
        out.push('{');
        let mut first = true;
        for (key, value) in labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain(le.map(|le| ("le", le)))
        {
            if !first {
                out.push(',');
            }
            first = false;
            out.push_str(key);
            out.push_str("=\"");
            out.push_str(&escape_label_value(value));
            out.push('"');
        }
        out.push('}');
    }
    out.push(' ');
    out.push_str(&format_value(value));
    out.push('\n');
}

/// A label value escaped for the text format: `\` `"` and newline.
pub(crate) fn escape_label_value(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            '\n' => escaped.push_str("\\n"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// A help text escaped for the text format: `\` and newline.
fn escape_help(help: &str) -> String {
    help.replace('\\', "\\\\").replace('\n', "\\n")
}

/// A sample value as Prometheus writes it (`+Inf`, `-Inf`, `NaN`, Go-style floats).
fn format_value(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_owned()
    } else if value == f64::INFINITY {
        "+Inf".to_owned()
    } else if value == f64::NEG_INFINITY {
        "-Inf".to_owned()
    } else {
        format!("{value}")
    }
}
