#!/usr/bin/env bash
# Runs Pyred scaled out on one machine, as separate processes on one PostgreSQL server:
# two company-registry replicas (one database), two geo-search replicas (each its own
# index), two matchmaking replicas (one database). Clients reach each service through
# the comma-separated list of its replicas (balanced, idempotent calls retried).
#
#   scripts/scale-out.sh [PG_URL]     default postgres://postgres@127.0.0.1:5432/postgres
#
# Creates databases pyred_scale_registry and pyred_scale_matchmaking (dropped first),
# data in ./pyred-scale (TLS CA, admin key, indexes). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
PG=${1:-postgres://postgres@127.0.0.1:5432/postgres}
SERVER=${PG%/*}
DATA=$PWD/pyred-scale
# PYRED_BIN=target/debug uses already built binaries instead of a release build.
BIN=${PYRED_BIN:-}
if [ -z "$BIN" ]; then
  cargo build --release --locked --bin company-registry --bin geo-search --bin matchmaking --bin pyred
  BIN=$PWD/target/release
fi
BIN=$(cd "$BIN" && pwd)
for db in pyred_scale_registry pyred_scale_matchmaking; do
  psql "$PG" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
done
rm -rf "$DATA" && mkdir -p "$DATA"
KEY=$(python3 -c 'import secrets,base64;print("pyred_"+secrets.token_hex(6)+"_"+base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("="))')
umask 077 && echo "$KEY" > "$DATA/admin.key"
export PYRED_DATA_DIR=$DATA
export PYRED__SECURITY__BOOTSTRAP_ADMIN_KEY=$KEY
export PYRED__REGISTRY__DATABASE_URL=$SERVER/pyred_scale_registry
export PYRED__MATCHMAKING__DATABASE_URL=$SERVER/pyred_scale_matchmaking
export PYRED__REGISTRY__URL=https://127.0.0.1:50051,https://127.0.0.1:50061
export PYRED__GEO_SEARCH__URL=https://127.0.0.1:50052,https://127.0.0.1:50062
export PYRED__MATCHMAKING__URL=https://127.0.0.1:50053,https://127.0.0.1:50063
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT
start() { # NAME BINARY SECTION PORT METRICS [ENV=VALUE…]
  local name=$1 bin=$2 section=$3 port=$4 metrics=$5; shift 5
  env "PYRED__${section}__PORT=$port" "PYRED__${section}__METRICS_PORT=$metrics" "$@" \
    "$BIN/$bin" 2> "$DATA/$name.log" &
  pids+=($!)
  echo "$name: https://127.0.0.1:$port  metrics http://127.0.0.1:$metrics/metrics  log $DATA/$name.log"
}
start registry-a company-registry REGISTRY 50051 9101
sleep 1 # the first replica creates the development CA and the shared secrets
start registry-b company-registry REGISTRY 50061 9111
start geo-search-a geo-search GEO_SEARCH 50052 9102 PYRED__GEO_SEARCH__INDEX_DIR=index-a PYRED__GEO_SEARCH__DATABASE_URL="sqlite://$DATA/geo-a.db?mode=rwc"
start geo-search-b geo-search GEO_SEARCH 50062 9112 PYRED__GEO_SEARCH__INDEX_DIR=index-b PYRED__GEO_SEARCH__DATABASE_URL="sqlite://$DATA/geo-b.db?mode=rwc"
start matchmaking-a matchmaking MATCHMAKING 50053 9103
start matchmaking-b matchmaking MATCHMAKING 50063 9113
echo "Admin key in $DATA/admin.key. Example:"
echo "  $BIN/pyred --data-dir $DATA import opportunities services/pyred/demo/opportunities.jsonl"
echo "Ctrl-C stops every replica."
wait
