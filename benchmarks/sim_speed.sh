#!/usr/bin/env bash
# Simulator speed: one hour of the paper's sweep A at its largest point (80 models, 0.1 req/s per
# model, Poisson arrivals, Aegaeon's policy on 2 x 8 H800) on one core. Prints the wall time, the
# speed-up over real time and the simulated events per second. Target: <= 10 s wall (>= 360x).
# Usage: bash benchmarks/sim_speed.sh BIN_DIR   (for example build/bin)
set -euo pipefail
bin="${1:?usage: bash benchmarks/sim_speed.sh BIN_DIR}"
root="$(cd "$(dirname "$0")/.." && pwd)"
experiment="$root/experiments/paper-sweep-a.json"
if [ ! -f "$root/../shared/data/aegaeon-profiles/latency.csv" ]; then
  echo "sim_speed: needs ../shared/data (the Aegaeon profiles and workloads)" >&2
  exit 1
fi
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)
for policy in aegaeon request-level; do
  out="$("${pin[@]}" "$bin/aegaeon" sim run --experiment "$experiment" --policy "$policy" \
    --models 80 --duration 3600)"
  line="$(grep -o 'simulated [0-9.]* s in [0-9.]* s wall ([0-9]* events)' <<<"$out")"
  read -r sim_s wall_s events < <(sed -E 's/simulated ([0-9.]+) s in ([0-9.]+) s wall \(([0-9]+) events\)/\1 \2 \3/' <<<"$line")
  awk -v p="$policy" -v s="$sim_s" -v w="$wall_s" -v e="$events" 'BEGIN {
    printf "%-14s simulated %.0f s in %.2f s wall: %.0fx real time, %.2f M events/s (%d events)\n",
      p, s, w, s / w, e / w / 1e6, e }'
done
