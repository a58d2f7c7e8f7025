//! Latency summaries: exact percentiles over every recorded latency (sorted vectors;
//! a run records at most a few hundred thousand).

use std::time::Duration;

use serde::Serialize;

/// The nearest-rank percentile, shared with the other benches.
pub use pyred_metrics::percentile;

/// What one load level measured.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Concurrent clients.
    pub clients: usize,
    /// Requests completed successfully.
    pub requests: usize,
    /// Requests that failed.
    pub errors: usize,
    /// Successful requests that returned no hit.
    pub empty: usize,
    /// Median latency, ms.
    pub p50_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Largest latency, ms.
    pub max_ms: f64,
    /// Successful requests per second of wall time.
    pub qps: f64,
    /// The first error seen, if any.
    pub first_error: Option<String>,
}

impl Summary {
    /// Summarises `latencies` (any order) measured over `elapsed`.
    pub fn new(
        clients: usize,
        mut latencies: Vec<Duration>,
        errors: usize,
        empty: usize,
        elapsed: Duration,
        first_error: Option<String>,
    ) -> Self {
        latencies.sort_unstable();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        Self {
            clients,
            requests: latencies.len(),
            errors,
            empty,
            p50_ms: ms(percentile(&latencies, 50.0)),
            p99_ms: ms(percentile(&latencies, 99.0)),
            max_ms: ms(latencies.last().copied().unwrap_or_default()),
            qps: latencies.len() as f64 / elapsed.as_secs_f64().max(1e-9),
            first_error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn summary_sorts_and_counts() {
        let latencies = vec![ms(30), ms(10), ms(20), ms(40)];
        let s = Summary::new(2, latencies, 1, 0, Duration::from_secs(2), None);
        assert_eq!(s.requests, 4);
        assert!((s.p50_ms - 20.0).abs() < 1e-9);
        assert!((s.p99_ms - 40.0).abs() < 1e-9);
        assert!((s.qps - 2.0).abs() < 1e-9);
    }
}
