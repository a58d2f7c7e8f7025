//! The consent-expiry sweep: closes, on time, the cases whose consent period ran out
//! even when nobody reads them (every read also applies an overdue expiry first).

use std::time::Duration;

use pyred_runtime::db::now_micros;
use tokio_util::sync::CancellationToken;

use super::store::CaseStore;

/// Every `every`, expires the consents due; stops when `shutdown` is cancelled.
pub async fn run(cases: CaseStore, every: Duration, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        match cases.expire_due(now_micros(), None).await {
            Ok(closed) if !closed.is_empty() => {
                tracing::info!(
                    cases = closed.len(),
                    "brokerage cases expired for want of consent"
                );
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "consent-expiry sweep failed"),
        }
    }
}
