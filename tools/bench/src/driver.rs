//! The concurrency driver: N client tasks on tokio, each sending queries back to back
//! for a fixed duration, every latency recorded.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::stats::Summary;

/// Something that answers query number `i` with its number of hits.
pub trait Target: Send + 'static {
    /// Runs query `i` (of the shared query list) and returns its number of hits.
    fn run(&mut self, i: usize) -> impl Future<Output = Result<usize, String>> + Send;
}

/// Runs one level: `targets.len()` clients for `duration` over `query_count` queries.
///
/// Each client first sends one unmeasured query (so connections, TLS handshakes and
/// pool connections are made before the clock starts), then all start together.
/// Client `c` starts at query `c * query_count / clients`, so clients do not send the
/// same query at the same moment.
pub async fn run_level<T: Target>(
    targets: Vec<T>,
    query_count: usize,
    duration: Duration,
) -> Summary {
    let clients = targets.len();
    let barrier = Arc::new(tokio::sync::Barrier::new(clients.max(1)));
    let mut tasks = Vec::with_capacity(clients);
    for (c, mut target) in targets.into_iter().enumerate() {
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            let mut i = c * query_count / clients.max(1);
            let _ = target.run(i % query_count.max(1)).await;
            barrier.wait().await;
            let started = Instant::now();
            let deadline = started + duration;
            let mut latencies = Vec::with_capacity(4096);
            let (mut errors, mut empty, mut first_error) = (0, 0, None);
            while Instant::now() < deadline {
                i += 1;
                let t0 = Instant::now();
                match target.run(i % query_count.max(1)).await {
                    Ok(hits) => {
                        latencies.push(t0.elapsed());
                        if hits == 0 {
                            empty += 1;
                        }
                    }
                    Err(error) => {
                        errors += 1;
                        first_error.get_or_insert(error);
                    }
                }
            }
            (latencies, errors, empty, first_error, started.elapsed())
        }));
    }
    let mut all = Vec::new();
    let (mut errors, mut empty, mut first_error) = (0, 0, None);
    let mut span = Duration::ZERO;
    for task in tasks {
        match task.await {
            Ok((latencies, e, z, first, took)) => {
                all.extend(latencies);
                errors += e;
                empty += z;
                span = span.max(took);
                if first_error.is_none() {
                    first_error = first;
                }
            }
            Err(join) => {
                errors += 1;
                first_error.get_or_insert(format!("client task failed: {join}"));
            }
        }
    }
    Summary::new(clients, all, errors, empty, span, first_error)
}
