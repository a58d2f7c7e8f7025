#!/usr/bin/env bash
# Smoke check of the benchmark harness (CI): the same command as scripts/bench.sh on
# 10,000 records, 2 s per level, debug build (CI has already built the debug tree, so
# this adds about a minute; a release build would cost 4–8 min here). Never a timing
# check: it fails (non-zero exit) only when the harness is broken — a record rejected,
# a failed request, only empty answers, no top-10 overlap computed, ListCompanyMatches
# never answering, the database or the services not starting.
#
# Needs PostgreSQL on 127.0.0.1:5432 (or PYRED_BENCH_PG_URL).
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-target}"
cargo build --locked --bins \
  -p pyred-registry -p pyred-geo-search -p pyred-matchmaking -p pyred-bench
exec "$target/debug/pyred-bench" --smoke --json "$target/bench-smoke.json" "$@"
