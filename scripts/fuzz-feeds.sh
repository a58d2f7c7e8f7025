#!/usr/bin/env bash
# Fuzzes the feed parsers of libs/feeds (PLACSP pages, TED notices) with cargo-fuzz
# (libFuzzer), starting from the real samples of libs/feeds/tests/data. Any panic,
# timeout or memory blow-up fails the run and leaves the input in
# libs/feeds/fuzz/artifacts/TARGET/.
#
#   scripts/fuzz-feeds.sh            # 20 s per target (CI)
#   scripts/fuzz-feeds.sh 600        # 10 min per target
#
# Needs cargo-fuzz (installed with `cargo install cargo-fuzz --locked` when missing) and
# a stable toolchain: RUSTC_BOOTSTRAP lets it take the sanitizer flags cargo-fuzz passes.
set -euo pipefail
cd "$(dirname "$0")/../libs/feeds"
seconds="${1:-20}"

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz"
  cargo install cargo-fuzz --version 0.13.2 --locked --quiet
fi
export RUSTC_BOOTSTRAP=1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() {
  local target=$1
  shift
  mkdir -p "$work/$target"
  # The seeds: real documents (the corpus grows in the temporary copy only).
  find "$@" -type f \( -name '*.xml' -o -name '*.atom' -o -name '*.fragment' \) \
    -exec cp {} "$work/$target/" \;
  echo "fuzzing $target for $seconds s from $(ls "$work/$target" | wc -l) real documents"
  if ! cargo fuzz run --fuzz-dir fuzz "$target" "$work/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=262144 \
    -print_final_stats=1 >"$work/$target.log" 2>&1; then
    tail -n 60 "$work/$target.log" >&2
    echo "FAILED: fuzzing $target (the input is in libs/feeds/fuzz/artifacts/$target/)" >&2
    return 1
  fi
  grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$work/$target.log" || true
}

run placsp tests/data/placsp
run ted tests/data/ted
