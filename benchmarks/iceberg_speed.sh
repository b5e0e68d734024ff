#!/usr/bin/env bash
# iceberg's speed targets (issue 6): the specification's answers for every equivalence class of a
# generated ~10,000-record zone (<= 1 s), and a full check of a ~100-record zone against each
# engine, start-up included (<= 10 s); gdnsd and YADIFA, which cannot load DNAME, check the zone
# without its DNAME records, and YADIFA, which rejects '*' inside target names, without those too.
# Usage: benchmarks/iceberg_speed.sh [BUILD_BIN=build/bin]
set -euo pipefail
bin=${1:-build/bin}
"$bin/iceberg_bench" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
zone=$(mktemp --suffix=.db)
"$bin/iceberg" generate --seed 3 --names 180 --output "$zone"
echo "check of a $(grep -vc '^\$' "$zone")-record zone, engine start-up included (records checked in parentheses):"
no_dname=$(mktemp --suffix=.db)
grep -v ' DNAME ' "$zone" > "$no_dname"
no_star_target=$(mktemp --suffix=.db)
awk '{ n = index($0, " IN "); if (n > 0 && index(substr($0, n), "*") > 0) next; print }' \
  "$no_dname" > "$no_star_target"
for engine in nsd knot bind pdns gdnsd yadifa; do
  z=$zone
  case $engine in gdnsd) z=$no_dname ;; yadifa) z=$no_star_target ;; esac
  start=$(date +%s.%N)
  "$bin/iceberg" check --zone "$z" --origin example. --engine "$engine" > /tmp/iceberg-speed-$engine.txt || true
  end=$(date +%s.%N)
  printf "  %-6s %6.2f s  (%s records; %s)\n" "$engine" "$(awk "BEGIN{print $end - $start}")" \
    "$(grep -vc '^\$' "$z")" "$(grep -o "[0-9]* queries, [0-9]* discrepancies" /tmp/iceberg-speed-$engine.txt)"
done
rm -f "$zone" "$no_dname" "$no_star_target"
