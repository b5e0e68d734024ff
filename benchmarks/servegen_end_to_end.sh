#!/usr/bin/env bash
# The issue's whole job, timed as a process: load m-large + generate 1 h at 100 req/s + write JSONL.
# Prints wall time and peak RSS over several runs (median), next to the reference Python
# ServeGen's figures for the same job on this machine kind (from the issue: 28.6 s wall, 547 MB).
# Usage: bash benchmarks/servegen_end_to_end.sh [BIN_DIR] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/bin}
runs=${2:-7}
data=../shared/data/servegen/language/m-large
[ -d "$data" ] || { echo "needs $data (../shared)"; exit 1; }
out=$(mktemp)
trap 'rm -f "$out" "$out.t"' EXIT
walls=(); rss=()
"$bin/servegen" generate --data "$data" --duration 3600 --rate 100 --seed 1 --output "$out" -q  # warm the page cache
for i in $(seq "$runs"); do
  /usr/bin/time -f "%e %M" -o "$out.t" "$bin/servegen" generate --data "$data" --duration 3600 --rate 100 \
    --seed 1 --output "$out" -q
  read -r w m < "$out.t"
  walls+=("$w"); rss+=("$m")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
w=$(median "${walls[@]}"); m=$(median "${rss[@]}")
lines=$(wc -l < "$out")
echo "servegen m-large 1h@100 req/s: $lines requests; median wall ${w} s, median peak RSS $((m / 1024)) MB over $runs runs"
awk -v w="$w" -v m="$m" 'BEGIN {
  printf "reference ServeGen (issue figures): 28.6 s wall, 547 MB -> speed-up %.0fx, memory %.1fx smaller\n", 28.6 / w, 547 * 1024 / m
  printf "targets: <= 0.3 s wall (%s), <= 100 MB (%s)\n", (w <= 0.3 ? "met" : "NOT met"), (m <= 100 * 1024 ? "met" : "NOT met") }'
