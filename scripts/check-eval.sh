#!/usr/bin/env bash
# Measures the matchmaking model on a judged data set and fails below a floor.
#
#   scripts/check-eval.sh DIR FLOOR [AS_OF [EVAL_FLAGS…]]
#
# Runs `pyred eval DIR --as-of AS_OF` (AS_OF defaults to 2026-12-01, the "today" of
# ../shared/data/dev), prints its report, and exits 1 when pyred's nDCG@10 is below
# FLOOR or below twice the BM25 baseline's (the issue's target); 2 when the evaluation
# cannot run. A DIR without companies.jsonl is skipped (exit 0), so CI passes on a
# clone without ../shared. Set PYRED_BIN to use an already-built binary; otherwise the
# debug binary is built (the evaluation takes ~10 s in debug, <2 s in release).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 2 ]; then
  echo "usage: scripts/check-eval.sh DIR FLOOR [AS_OF]" >&2
  exit 2
fi
dir="$1"
floor="$2"
as_of="${3:-2026-12-01}"
if [ ! -f "$dir/companies.jsonl" ]; then
  echo "no data set at $dir: skipped"
  exit 0
fi
if [ -z "${PYRED_BIN:-}" ]; then
  cargo build --quiet --bin pyred
  PYRED_BIN=target/debug/pyred
fi
status=0
"$PYRED_BIN" eval "$dir" --as-of "$as_of" --min-ndcg "$floor" --min-bm25-ratio 2 "${@:4}" || status=$?
if [ "$status" -eq 0 ]; then
  echo "matchmaking eval: nDCG@10 at or above $floor and at least 2x BM25"
fi
exit "$status"
