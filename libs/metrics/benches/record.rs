//! Cost of the metrics on the request path and of a scrape:
//! `cargo bench -p pyred-metrics --bench record`.
//!
//! - record: what the gRPC layer does per call (look up the call's counter and
//!   histogram by name and labels, count, observe), single-threaded, then from 4
//!   threads at once on the same series;
//! - render: one scrape of a registry holding 40 methods (3 codes each, a histogram
//!   each) and the process gauges.

use std::time::{Duration, Instant};

use pyred_metrics::{Metrics, RPC_DURATION_BUCKETS, RPC_DURATION_SECONDS, RPC_REQUESTS_TOTAL};

const HELP: &str = "help";

fn record(metrics: &Metrics, method: &str) {
    let service = "pyred.v1.GeoSearch";
    metrics
        .counter(
            RPC_REQUESTS_TOTAL,
            HELP,
            &[("service", service), ("method", method), ("code", "OK")],
        )
        .inc();
    metrics
        .histogram(
            RPC_DURATION_SECONDS,
            HELP,
            &[("service", service), ("method", method)],
            RPC_DURATION_BUCKETS,
        )
        .observe(0.003);
}

fn per_op(elapsed: Duration, ops: u32) -> f64 {
    elapsed.as_secs_f64() * 1e9 / f64::from(ops)
}

fn main() {
    let methods: Vec<String> = (0..40).map(|i| format!("Method{i}")).collect();
    let metrics = Metrics::new();
    for method in &methods {
        for code in ["OK", "NOT_FOUND", "INVALID_ARGUMENT"] {
            metrics
                .counter(
                    RPC_REQUESTS_TOTAL,
                    HELP,
                    &[
                        ("service", "pyred.v1.GeoSearch"),
                        ("method", method),
                        ("code", code),
                    ],
                )
                .inc();
        }
        record(&metrics, method);
    }
    metrics.process();
    metrics.build_info("geo-search", "0.1.0");

    const CALLS: u32 = 1_000_000;
    let start = Instant::now();
    for i in 0..CALLS {
        record(&metrics, &methods[i as usize % methods.len()]);
    }
    println!(
        "record, 1 thread: {:.0} ns per call",
        per_op(start.elapsed(), CALLS)
    );

    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for i in 0..CALLS / 4 {
                    record(&metrics, &methods[i as usize % methods.len()]);
                }
            });
        }
    });
    println!(
        "record, 4 threads: {:.0} ns per call (wall)",
        per_op(start.elapsed(), CALLS)
    );

    const SCRAPES: u32 = 2_000;
    let mut bytes = 0;
    let start = Instant::now();
    for _ in 0..SCRAPES {
        bytes = metrics.render().len();
    }
    println!(
        "render: {:.1} µs per scrape ({bytes} bytes)",
        per_op(start.elapsed(), SCRAPES) / 1000.0
    );
}
