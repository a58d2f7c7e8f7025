#!/usr/bin/env bash
# Runs every test of the workspace: unit, storage (SQLite, and PostgreSQL when
# PYRED_TEST_DATABASE_URL names a server), gRPC over loopback, and end-to-end.
#
#   scripts/test.sh                 # from the repository root
#   PYRED_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres scripts/test.sh
#
# Extra arguments go to `cargo test` (e.g. a test name filter).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${PYRED_TEST_DATABASE_URL:-}" ]; then
  echo "=================================================================="
  echo "NOTE: PYRED_TEST_DATABASE_URL is not set: the PostgreSQL variants of"
  echo "the storage tests are SKIPPED (each prints 'SKIPPED (PostgreSQL)')."
  echo "Set it to a server's URL, e.g. postgres://postgres@127.0.0.1:5432/postgres"
  echo "=================================================================="
else
  echo "PostgreSQL tests run against ${PYRED_TEST_DATABASE_URL%%\?*}"
fi

export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
cargo test --workspace --locked "$@"
