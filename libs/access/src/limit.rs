//! Per-key rate limits: each key may make `burst` requests at once and `rate` per
//! second sustained, on each service. A refused request learns how long to wait.
//!
//! The arithmetic is `governor`'s keyed limiter (GCRA, the token bucket's equivalent
//! without a refill loop); this module fixes the quota from the configuration keys
//! `security.rate_limit_per_second` and `security.rate_limit_burst` and bounds the
//! memory the keys take.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter as Governor};

/// Keys remembered before the ones whose bucket is full again are forgotten.
const MAX_REMEMBERED_KEYS: usize = 100_000;

/// Per-key token buckets, keyed by key id, on the clock `C` (the monotonic clock in
/// services; a clock the test moves in tests).
pub struct RateLimiter<C: Clock = DefaultClock> {
    limiter: Governor<String, DefaultKeyedStateStore<String>, C, NoOpMiddleware<C::Instant>>,
    clock: C,
}

impl<C: Clock> std::fmt::Debug for RateLimiter<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("keys", &self.limiter.len())
            .finish_non_exhaustive()
    }
}

impl RateLimiter {
    /// `rate` tokens per second, at most `burst` stored, on the monotonic clock.
    pub fn new(rate: f64, burst: u32) -> Self {
        Self::with_clock(rate, burst, DefaultClock::default())
    }
}

impl<C: Clock + Clone> RateLimiter<C> {
    /// `rate` tokens per second, at most `burst` stored, on `clock`. The configuration
    /// check keeps `rate` above 0 and `burst` at least 1; out of range, they are taken
    /// as one token per 1 ns at most, and a burst of 1.
    pub fn with_clock(rate: f64, burst: u32, clock: C) -> Self {
        let period = Duration::try_from_secs_f64(1.0 / rate)
            .unwrap_or(Duration::MAX)
            .max(Duration::from_nanos(1));
        let quota = Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN));
        let limiter = Governor::new(quota, DefaultKeyedStateStore::default(), clock.clone());
        Self { limiter, clock }
    }

    /// Takes one token for `key` now; `Err(wait)` when none is left, `wait` being the
    /// time until the next one.
    pub fn take(&self, key: &str) -> Result<(), Duration> {
        if self.limiter.len() > MAX_REMEMBERED_KEYS {
            // Forget full buckets: they hold nothing a new bucket would not.
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&key.to_owned())
            .map_err(|refusal| refusal.wait_time_from(self.clock.now()))
    }
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    #[test]
    fn a_burst_then_the_sustained_rate() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(10.0, 3, clock.clone());
        for _ in 0..3 {
            assert!(limiter.take("a").is_ok());
        }
        let wait = limiter.take("a").expect_err("burst spent");
        assert_eq!(wait, Duration::from_millis(100));
        // Another key has its own bucket.
        assert!(limiter.take("b").is_ok());
        // 100 ms later one token is back, and only one.
        clock.advance(Duration::from_millis(100));
        assert!(limiter.take("a").is_ok());
        assert!(limiter.take("a").is_err());
    }

    #[test]
    fn a_refused_key_is_admitted_again_after_the_wait_it_was_told() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(2.0, 2, clock.clone());
        assert!(limiter.take("arex").is_ok());
        assert!(limiter.take("arex").is_ok());
        let wait = limiter.take("arex").expect_err("burst of 2 spent");
        assert_eq!(wait, Duration::from_millis(500));
        // Just short of the wait: still refused, with the rest of the wait.
        clock.advance(Duration::from_millis(499));
        assert_eq!(limiter.take("arex"), Err(Duration::from_millis(1)));
        clock.advance(Duration::from_millis(1));
        assert!(limiter.take("arex").is_ok());
        assert!(
            limiter.take("arex").is_err(),
            "one token came back, not two"
        );
        // A long pause refills the whole burst, never more.
        clock.advance(Duration::from_secs(10));
        assert!(limiter.take("arex").is_ok());
        assert!(limiter.take("arex").is_ok());
        assert!(limiter.take("arex").is_err());
    }
}
