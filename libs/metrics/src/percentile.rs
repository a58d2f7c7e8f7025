//! The one percentile of measured latencies that benchmarks and load tests report
//! (`pyred-bench`, the geo-search and access benches, matchmaking's candidate timings).
//!
//! Nearest rank over a sorted slice, exact: fine for the few hundred thousand
//! latencies a run records. The histograms of `/metrics` estimate quantiles on the
//! Prometheus side instead.

use std::time::Duration;

/// The nearest-rank percentile `p` (0–100) of `sorted` latencies: the smallest value
/// such that at least `p` % of the values are less than or equal to it. `Duration::ZERO`
/// for no value; `p` at or below 0 gives the smallest, at or above 100 the largest.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn nearest_rank_rounds_the_rank_up() {
        // 1..=10 ms: p50 = ceil(0.5 * 10) = 5th value, p90 = 9th, p99 = ceil(9.9) = 10th.
        let sorted: Vec<Duration> = (1..=10).map(ms).collect();
        assert_eq!(percentile(&sorted, 50.0), ms(5));
        assert_eq!(percentile(&sorted, 90.0), ms(9));
        assert_eq!(
            percentile(&sorted, 91.0),
            ms(10),
            "rank 9.1 rounds up to 10"
        );
        assert_eq!(percentile(&sorted, 99.0), ms(10));
        assert_eq!(percentile(&sorted, 0.0), ms(1));
        assert_eq!(percentile(&sorted, 100.0), ms(10));
        // An even count: the median is the lower of the two middle values.
        let sorted = [ms(10), ms(20), ms(30), ms(40)];
        assert_eq!(percentile(&sorted, 50.0), ms(20));
        // 200 values 1..=200: p99 = 198th, p50 = 100th.
        let sorted: Vec<Duration> = (1..=200).map(ms).collect();
        assert_eq!(percentile(&sorted, 99.0), ms(198));
        assert_eq!(percentile(&sorted, 50.0), ms(100));
        assert_eq!(percentile(&[ms(7)], 99.0), ms(7));
        assert_eq!(percentile(&[], 50.0), Duration::ZERO);
    }
}
