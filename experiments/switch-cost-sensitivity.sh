#!/usr/bin/env bash
# How the paper's main comparison (Aegaeon against request-level auto-scaling, sweeps A and B)
# depends on what a switch costs each system: Aegaeon's weight load (cluster.load_efficiency) and
# the stock engine start the request-level baselines pay on every scale-up
# (cluster.baseline_engine_start_s). Prints, per sweep, load efficiency and engine start, the
# largest number of models each policy serves at >= 90% SLO attainment and Aegaeon's ratio to
# request-level. docs/sim.md discusses the result.
#
# Usage: bash experiments/switch-cost-sensitivity.sh [BIN_DIR]   (default: build/bin)
# Needs ../shared/data (the artifact's profiles and lengths). About 4 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/bin}
aegaeon="$bin/aegaeon"
[[ -x $aegaeon ]] || { echo "no $aegaeon: build first (cmake --build --preset release)" >&2; exit 1; }
[[ -d ../shared/data/aegaeon-profiles ]] || { echo "needs ../shared/data/aegaeon-profiles" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# count POLICY < sweep output: the policy's largest number of models at >= 90%.
count() { awk -v p="$1" '$1 == p && $3 == "req/s" { print $NF }'; }

echo "| sweep | load efficiency | baseline engine start (s) | aegaeon | request-level | request-level-plus | ratio |"
echo "|---|---|---|---|---|---|---|"
for sweep in a b; do
  # Sweep A carried on to 160 models so a fast Aegaeon finds its limit; B as far as 80.
  if [[ $sweep == a ]]; then models=16:160:8; else models=16:80:4; fi
  for le in 0.15 0.4; do
    common=(--experiment "experiments/paper-sweep-$sweep.json" --load-efficiency "$le"
            --num-models "$models")
    # Aegaeon never pays the engine start: one run per load efficiency.
    a=$("$aegaeon" sim sweep "${common[@]}" --policies aegaeon --output "$tmp/a.csv" | count aegaeon)
    for start in 0 2 4 6.5; do
      out=$("$aegaeon" sim sweep "${common[@]}" --policies request-level,request-level-plus \
              --baseline-engine-start "$start" --output "$tmp/b.csv")
      rl=$(count request-level <<<"$out")
      rlp=$(count request-level-plus <<<"$out")
      ratio=$(awk -v a="$a" -v r="$rl" 'BEGIN { if (r > 0) printf "%.2f", a / r; else print "-" }')
      echo "| $sweep | $le | $start | $a | $rl | $rlp | $ratio |"
    done
  done
done
