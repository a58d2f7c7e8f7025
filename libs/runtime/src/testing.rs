//! Helpers for tests, shared by every crate's test directory (the end-to-end harness
//! re-exports them): [`wait_until`], which waits for an event instead of sleeping,
//! [`storage_suite!`](crate::storage_suite), which runs a test on SQLite and on a fresh
//! PostgreSQL database, and [`refused_at_start_up`], how a service binary must refuse a
//! bad setting or argument. Compiled always: it is tiny and needs nothing beyond tokio.

use std::future::Future;
use std::time::Duration;

/// Runs the service `binary` with `args` and the environment `env`, and asserts that it
/// stops at start-up as an operator must see it: exit code 2, `says` on stderr (the
/// setting's key and why, or the argument), no panic. Returns stderr.
pub fn refused_at_start_up(
    binary: &str,
    args: &[&str],
    env: &[(&str, &str)],
    says: &str,
) -> String {
    let output = std::process::Command::new(binary)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|error| panic!("{binary} does not run: {error}"));
    let stderr = String::from_utf8_lossy(&output.stderr)
        .trim_end()
        .to_owned();
    assert_eq!(output.status.code(), Some(2), "{binary}: {stderr}");
    assert!(
        stderr.contains(says),
        "{binary} should say {says:?}: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{binary}: {stderr}");
    stderr
}

/// [`refused_at_start_up`] for a bad setting given as the environment variable `key`:
/// the refusal is one line.
pub fn setting_refused_at_start_up(binary: &str, key: &str, value: &str, says: &str) {
    let stderr = refused_at_start_up(binary, &[], &[(key, value)], says);
    assert_eq!(stderr.lines().count(), 1, "{binary}: {stderr}");
}

/// How often [`wait_until`] asks its probe again.
pub const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// Asks `probe` every [`POLL_INTERVAL`] until it answers `Some`, and returns that answer.
///
/// Panics, naming `what` and the time waited, if `timeout` passes first. The probe is
/// always asked at least once, and once more after the deadline, so a slow machine
/// that answers exactly at the deadline still passes.
pub async fn wait_until<T, F, Fut>(what: &str, timeout: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = tokio::time::Instant::now();
    loop {
        if let Some(answer) = probe().await {
            return answer;
        }
        let elapsed = started.elapsed();
        if elapsed >= timeout {
            panic!("timed out waiting for {what} (waited {elapsed:?}, timeout {timeout:?})");
        }
        tokio::time::sleep(POLL_INTERVAL.min(timeout - elapsed)).await;
    }
}

/// Instantiates each listed async test on both engines: in a module `sqlite` on a fresh
/// SQLite file in a temporary directory, and in a module `postgres` on a fresh PostgreSQL
/// database ([`fresh_postgres`](crate::db::testing::fresh_postgres); the case returns,
/// saying it was skipped, when `PYRED_TEST_DATABASE_URL` is unset).
///
/// `open` names an async function of the calling module that takes the database URL
/// ([`Secret`](crate::Secret)) and returns what the tests take: the identifiers after
/// `->` name those values (one, or a tuple of several), and each test is called with
/// them in that order. Attributes before `open` replace `#[tokio::test]` (for example a
/// multi-threaded runtime). The calling crate needs `tokio` and `tempfile` (as
/// dev-dependencies).
///
/// ```ignore
/// async fn open(url: Secret) -> (Store, Secret) {
///     (Store::open(&url).await.expect("open"), url)
/// }
/// pyred_runtime::storage_suite! {
///     open = open -> (store, url);
///     round_trip, stale_version_fails,
/// }
/// ```
#[macro_export]
macro_rules! storage_suite {
    (
        open = $open:ident -> $args:tt;
        $($test:ident),* $(,)?
    ) => {
        $crate::storage_suite! {
            #[tokio::test]
            open = $open -> $args;
            $($test),*
        }
    };
    (
        $(#[$attr:meta])+
        open = $open:ident -> $arg:ident;
        $($test:ident),* $(,)?
    ) => {
        $crate::storage_suite! {
            $(#[$attr])+
            open = $open -> ($arg);
            $($test),*
        }
    };
    (
        $(#[$attr:meta])+
        open = $open:ident -> ($($arg:ident),+ $(,)?);
        $($test:ident),* $(,)?
    ) => {
        $crate::storage_suite!(@engines { $(#[$attr])+ } $open ($($arg),+) [$($test),*]);
    };
    (@engines $attrs:tt $open:ident $args:tt [$($test:ident),*]) => {
        mod sqlite {
            $($crate::storage_suite!(@sqlite $attrs $open $args $test);)*
        }
        mod postgres {
            $($crate::storage_suite!(@postgres $attrs $open $args $test);)*
        }
    };
    (@sqlite { $(#[$attr:meta])+ } $open:ident ($($arg:ident),+) $test:ident) => {
        $(#[$attr])+
        async fn $test() {
            let dir = tempfile::tempdir().expect("temporary directory");
            let url = $crate::db::testing::sqlite_url(dir.path(), stringify!($test));
            #[allow(unused_parens)]
            let ($($arg),+) = super::$open(url).await;
            super::$test($($arg),+).await;
            drop(dir);
        }
    };
    (@postgres { $(#[$attr:meta])+ } $open:ident ($($arg:ident),+) $test:ident) => {
        $(#[$attr])+
        async fn $test() {
            let Some(url) = $crate::db::testing::fresh_postgres(stringify!($test)).await else {
                return;
            };
            #[allow(unused_parens)]
            let ($($arg),+) = super::$open(url).await;
            super::$test($($arg),+).await;
        }
    };
}
