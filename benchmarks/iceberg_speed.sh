#!/usr/bin/env bash
# iceberg's speed targets (issue 6): the specification's answers for every equivalence class of a
# generated ~10,000-record zone (<= 1 s), and a full check of a ~100-record zone against each
# engine, start-up included (<= 10 s). Usage: benchmarks/iceberg_speed.sh [BUILD_BIN=build/bin]
set -euo pipefail
bin=${1:-build/bin}
"$bin/iceberg_bench" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
zone=$(mktemp --suffix=.db)
"$bin/iceberg" generate --seed 3 --names 180 --output "$zone"
echo "check of a $(grep -vc '^\$' "$zone")-record zone, engine start-up included:"
for engine in nsd knot bind pdns; do
  start=$(date +%s.%N)
  "$bin/iceberg" check --zone "$zone" --origin example. --engine "$engine" > /tmp/iceberg-speed-$engine.txt || true
  end=$(date +%s.%N)
  printf "  %-5s %6.2f s  (%s)\n" "$engine" "$(awk "BEGIN{print $end - $start}")" "$(grep -o "[0-9]* queries, [0-9]* discrepancies" /tmp/iceberg-speed-$engine.txt)"
done
rm -f "$zone"
