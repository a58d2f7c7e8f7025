#!/usr/bin/env bash
# Imports the hand-judged dev set (../shared/data/dev) into a fresh local stack and fails
# unless every line is accepted. Run from .ci/run when ../shared exists.
#
#   scripts/check-dev-import.sh [DEV_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
dev="${1:-../shared/data/dev}"
if [ ! -f "$dev/companies.jsonl" ]; then
  echo "no dev set at $dev: skipped"
  exit 0
fi
cargo build --quiet --bin pyred
pyred=target/debug/pyred
data=$(mktemp -d)
log="$data/up.log"
PYRED__REGISTRY__PORT=0 PYRED__GEO_SEARCH__PORT=0 PYRED__MATCHMAKING__PORT=0 \
  "$pyred" up --data-dir "$data" >"$log" 2>&1 &
up=$!
trap 'kill $up 2>/dev/null || true; wait $up 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 120); do
  grep -q "Pyred est prêt" "$log" && break
  kill -0 $up 2>/dev/null || { cat "$log"; echo "pyred up exited"; exit 1; }
  sleep 0.5
done
grep -q "Pyred est prêt" "$log" || { cat "$log"; echo "pyred up not ready"; exit 1; }
"$pyred" import companies "$dev/companies.jsonl" --source cci-gers --data-dir "$data" --rejects "$data/companies.rejects.tsv"
"$pyred" import opportunities "$dev/opportunities.jsonl" --data-dir "$data" --rejects "$data/opportunities.rejects.tsv"
echo "dev set imported with 0 rejects"
