#!/usr/bin/env bash
# `iceberg verify` over generated zones: per zone its verdict, wall time and peak memory (the
# report's statistics), then the distribution (median, 90th percentile, maximum) of time and
# memory. The issue's goal (docs/iceberg.md, "Verification"): median <= 60 s and <= 4 GB per zone
# of up to 20 records at --max-labels 4 on 2 cores.
# Usage: benchmarks/iceberg_verify.sh [ZONES=100] [NAMES=6] [MAX_LABELS=4] [TIMEOUT_S=600]
#        [BIN=build/bin] [OUT=/tmp/iceberg-verify-bench] [JOBS=all cores]
#   NAMES: names under the apex per generated zone (iceberg generate --names; a zone has about
#   two records per name). A zone whose run passes TIMEOUT_S counts as timed out (its time is
#   reported as the timeout).
set -euo pipefail
cd "$(dirname "$0")/.."
zones=${1:-100}
names=${2:-6}
max_labels=${3:-4}
timeout_s=${4:-600}
bin=${5:-build/bin}
out=${6:-/tmp/iceberg-verify-bench}
jobs=${7:-$(nproc)}
mkdir -p "$out"
rows="$out/rows.tsv"
: >"$rows"
for seed in $(seq 1 "$zones"); do
  zone="$out/zone-$seed.db"
  "$bin/iceberg" generate --seed "$seed" --names "$names" --output "$zone"
  records=$(grep -cv '^\s*\(;\|\$\|$\)' "$zone" || true)
  set +e
  timeout "$timeout_s" "$bin/iceberg" verify --zone "$zone" --origin example. --max-labels "$max_labels" \
    --jobs "$jobs" --no-live --quiet --json "$out/verify-$seed.json" >"$out/verify-$seed.txt" 2>&1
  rc=$?
  set -e
  if [ "$rc" -eq 124 ] || [ ! -s "$out/verify-$seed.json" ]; then
    printf '%s\t%s\ttimeout-or-error(%s)\t%s\t0\t0\n' "$seed" "$records" "$rc" "$timeout_s" >>"$rows"
  else
    jq -r --arg seed "$seed" --arg records "$records" \
      '[$seed, $records, .verdict, .stats.seconds, (.stats.peak_rss_bytes / 1048576 | floor), .stats.paths] | @tsv' \
      "$out/verify-$seed.json" >>"$rows"
  fi
  tail -1 "$rows" | awk -F'\t' '{printf "zone %s (%s records): %s, %.1f s, %s MB, %s paths\n", $1, $2, $3, $4, $5, $6}' >&2
done
echo "seed	records	verdict	seconds	peak_MB	paths"
cat "$rows"
sort -t$'\t' -k4,4g "$rows" | awk -F'\t' '{t[NR]=$4} END {n=NR; if (!n) exit;
  p=int(0.9*n+0.5); if (p<1) p=1;
  printf "time (s): median %.1f, p90 %.1f, max %.1f over %d zones\n", t[int((n+1)/2)], t[p], t[n], n}'
sort -t$'\t' -k5,5g "$rows" | awk -F'\t' '{m[NR]=$5} END {n=NR; if (!n) exit;
  p=int(0.9*n+0.5); if (p<1) p=1;
  printf "peak memory (MB): median %d, p90 %d, max %d\n", m[int((n+1)/2)], m[p], m[n]}'
cut -f3 "$rows" | sort | uniq -c | awk '{printf "verdict %s: %d zones\n", $2, $1}'
