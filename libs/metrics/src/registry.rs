//! The registry: metric families looked up by name, their labelled series, and the
//! exposition through `prometheus-client`.
//!
//! Services ask for a metric by name and labels where they use it (`metrics.counter(…)`),
//! so the families live in a map keyed by name; `prometheus-client`'s own `Registry` is
//! write-once (`register` needs `&mut`) and has no look-up. Everything else is the
//! library's: the series are its [`Counter`], [`Gauge`] and [`Histogram`], and a scrape
//! is its Prometheus text encoder (format 0.0.4: escaping, value formatting, cumulative
//! buckets, the `_total` suffix), fed by one [`Collector`] that walks the map.
//!
//! A series is either stored (a metric the service updates) or computed: a closure
//! called at scrape time (document counts, ages, pool use), so that a value nobody
//! updates can never go stale.
//!
//! Names and label names are chosen by the code, not by users: an invalid one, a
//! counter not ending in `_total`, or the same name registered with two types, is a
//! programming error and panics at registration (tests catch it). Label *values* may
//! come from anywhere and are escaped by the encoder.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, PoisonError, RwLock};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;

/// A monotonically increasing count (`inc`, `inc_by`, `get`).
pub type Counter = prometheus_client::metrics::counter::Counter<u64, AtomicU64>;

/// A value that goes up and down (`set`, `inc_by`, `dec_by`, `get`).
pub type Gauge = prometheus_client::metrics::gauge::Gauge<f64, AtomicU64>;

/// A distribution of observations in fixed buckets (`observe`).
pub use prometheus_client::metrics::histogram::Histogram;

/// The content type of the exposition (Prometheus text format 0.0.4).
pub use prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// Upper bounds, in seconds, of the RPC duration histogram's buckets.
pub const RPC_DURATION_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The suffix every counter name ends with; the encoder writes it back.
const COUNTER_SUFFIX: &str = "_total";

/// A metrics registry; clones share the same metrics.
#[derive(Clone)]
pub struct Metrics {
    families: Families,
    registry: Arc<Registry>,
}

impl Default for Metrics {
    fn default() -> Self {
        let families = Families::default();
        let mut registry = Registry::default();
        registry.register_collector(Box::new(families.clone()));
        Self {
            families,
            registry: Arc::new(registry),
        }
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let families = self.families.read();
        f.debug_struct("Metrics")
            .field("families", &families.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The families by name, shared by every clone of [`Metrics`] and by the collector.
#[derive(Clone, Default)]
struct Families(Arc<RwLock<BTreeMap<String, Family>>>);

impl std::fmt::Debug for Families {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Families")
    }
}

impl Families {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Family>> {
        self.0.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, Family>> {
        self.0.write().unwrap_or_else(PoisonError::into_inner)
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

    fn metric_type(self) -> MetricType {
        match self {
            Kind::Counter => MetricType::Counter,
            Kind::Gauge => MetricType::Gauge,
            Kind::Histogram => MetricType::Histogram,
        }
    }
}

type Labels = Vec<(String, String)>;

/// A closure computing a gauge at scrape time; `None` leaves the sample out.
type GaugeFn = Arc<dyn Fn() -> Option<f64> + Send + Sync>;

#[derive(Clone)]
enum Series {
    Counter(Counter),
    Gauge(Gauge),
    Histogram(Histogram),
    Computed(GaugeFn),
}

#[derive(Clone)]
struct Family {
    help: String,
    kind: Kind,
    /// Bucket bounds, for histograms.
    buckets: Vec<f64>,
    series: BTreeMap<Labels, Series>,
}

impl Metrics {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// The counter `name` with these labels, created on first use; the same labels give
    /// the same counter. `name` ends in `_total`.
    ///
    /// # Panics
    /// If `name` or a label name is not a valid Prometheus name, `name` does not end in
    /// `_total`, or `name` is already registered with another type.
    pub fn counter(&self, name: &str, help: &str, labels: &[(&str, &str)]) -> Counter {
        assert!(
            name.ends_with(COUNTER_SUFFIX),
            "counter {name} must end in {COUNTER_SUFFIX}"
        );
        match self.series(name, help, Kind::Counter, &[], labels) {
            Series::Counter(counter) => counter,
            _ => unreachable!("kind checked by series()"),
        }
    }

    /// The gauge `name` with these labels, created on first use.
    ///
    /// # Panics
    /// As [`Metrics::counter`] (but with any name).
    pub fn gauge(&self, name: &str, help: &str, labels: &[(&str, &str)]) -> Gauge {
        match self.series(name, help, Kind::Gauge, &[], labels) {
            Series::Gauge(gauge) => gauge,
            _ => panic!("metric {name}{labels:?} is a computed gauge, not a stored one"),
        }
    }

    /// The histogram `name` with these labels and bucket upper bounds (ascending,
    /// without `+Inf`), created on first use. The first registration of a name fixes
    /// its buckets.
    ///
    /// # Panics
    /// As [`Metrics::gauge`], and if `buckets` is empty or not strictly ascending.
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
        match self.series(name, help, Kind::Histogram, buckets, labels) {
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
    /// As [`Metrics::gauge`].
    pub fn gauge_fn<F>(&self, name: &str, help: &str, labels: &[(&str, &str)], value: F)
    where
        F: Fn() -> Option<f64> + Send + Sync + 'static,
    {
        let labels = owned_labels(name, labels);
        let mut families = self.families.write();
        let family = family_entry(&mut families, name, help, Kind::Gauge, &[]);
        family
            .series
            .insert(labels, Series::Computed(Arc::new(value)));
    }

    fn series(
        &self,
        name: &str,
        help: &str,
        kind: Kind,
        buckets: &[f64],
        labels: &[(&str, &str)],
    ) -> Series {
        let labels = owned_labels(name, labels);
        if let Some(family) = self.families.read().get(name) {
            assert_kind(name, family.kind, kind);
            if let Some(series) = family.series.get(&labels) {
                return series.clone();
            }
        }
        let mut families = self.families.write();
        let family = family_entry(&mut families, name, help, kind, buckets);
        // The family's buckets win over the caller's, so one family has one layout.
        let bounds = &family.buckets;
        family
            .series
            .entry(labels)
            .or_insert_with(|| match kind {
                Kind::Counter => Series::Counter(Counter::default()),
                Kind::Gauge => Series::Gauge(Gauge::default()),
                Kind::Histogram => Series::Histogram(Histogram::new(bounds.iter().copied())),
            })
            .clone()
    }

    /// The whole registry in the Prometheus text format (version 0.0.4): families
    /// sorted by name, each with `# HELP` and `# TYPE`, series sorted by labels.
    /// Computed gauges are evaluated now, outside the registry's lock.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail, and the collector returns no error of its own.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry);
        out
    }
}

impl Collector for Families {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let snapshot: Vec<(String, Family)> = self
            .read()
            .iter()
            .map(|(name, family)| (name.clone(), family.clone()))
            .collect();
        for (name, family) in &snapshot {
            let base = match family.kind {
                Kind::Counter => name.strip_suffix(COUNTER_SUFFIX).unwrap_or(name),
                Kind::Gauge | Kind::Histogram => name,
            };
            let mut metric =
                encoder.encode_descriptor(base, &family.help, None, family.kind.metric_type())?;
            for (labels, series) in &family.series {
                match series {
                    Series::Counter(counter) => counter.encode(metric.encode_family(labels)?)?,
                    Series::Gauge(gauge) => gauge.encode(metric.encode_family(labels)?)?,
                    Series::Histogram(histogram) => {
                        histogram.encode(metric.encode_family(labels)?)?;
                    }
                    Series::Computed(value) => {
                        if let Some(value) = value() {
                            ConstGauge::new(value).encode(metric.encode_family(labels)?)?;
                        }
                    }
                }
            }
        }
        Ok(())
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
