#!/usr/bin/env bash
# The benchmark of docs/BENCHMARKS.md: Pyred against PostgreSQL full-text search on the
# same machine, data and queries, in one run.
#
#   scripts/bench.sh              # 1,000,000 records (about 25–35 min on 2 cores, plus
#                                 # a release build of 4–8 min if none is current)
#   scripts/bench.sh 100000       # 100,000 records (about 6 min)
#   scripts/bench.sh 1000000 --duration 30 --keep   # extra flags go to pyred-bench
#
# Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth; another server with
# PYRED_BENCH_PG_URL): a database pyred_bench_<pid> is created and dropped. The
# report is printed and written as JSON to target/bench-SIZE.json.
set -euo pipefail
cd "$(dirname "$0")/.."

size="${1:-1000000}"
shift || true
target="${CARGO_TARGET_DIR:-target}"

cargo build --release --locked --bins \
  -p pyred-registry -p pyred-geo-search -p pyred-matchmaking -p pyred-bench
exec "$target/release/pyred-bench" --size "$size" --json "$target/bench-$size.json" "$@"
