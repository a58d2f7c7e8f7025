#!/usr/bin/env bash
# Geo-search on the hand-judged dev set: imports ../shared/data/dev through the registry
# and checks cross-lingual queries, the region filter and a 30 km radius against the
# geodesy (tests/tests/search_dev.rs). Meant for .ci/run when ../shared exists.
#
#   services/geo-search/scripts/check-dev-search.sh [DEV_DIR]
set -euo pipefail
cd "$(dirname "$0")/../../.."
dev="${1:-../shared/data/dev}"
if [ ! -f "$dev/companies.jsonl" ]; then
  echo "no dev set at $dev: skipped"
  exit 0
fi
PYRED_DEV_DATA="$(cd "$dev" && pwd)" cargo test --locked -p pyred-e2e --test search_dev -- --nocapture
