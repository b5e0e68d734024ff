#!/usr/bin/env bash
# Rebuilds the embedded servegen presets (src/servegen/presets/<name>/) from the ServeGen
# production data with this project's own generator and fitter:
#   1. generate one day of the data's top clients at a fraction 1/K of their real rates
#      (the arrival shapes live in operational time, so thinning keeps them),
#   2. fit that workload (Gamma/Weibull per 600 s window by likelihood, lengths per 6 h window,
#      each length distribution compressed to 64 equal-probability values) with --rate-multiplier K.
# Usage: scripts/make_presets.sh [BIN_DIR] [SHARED_DIR]   (defaults: build/bin, ../shared)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/bin}
shared=${2:-../shared}
data="$shared/data/servegen"
[ -d "$data" ] || { echo "make_presets: $data not found (the ServeGen data)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

make_preset() {  # name source top_k thinning description
  local name=$1 src=$2 top=$3 k=$4 desc=$5
  echo "== preset $name from $src (top $top clients, 1 day, thinned 1/$k)"
  "$bin/servegen" generate --data "$data/$src" --start 0 --duration 86400 --rate "scale:$(awk "BEGIN{print 1/$k}")" \
    --top-k "$top" --seed 2025 --conversations off --block-size 0 --output "$tmp/$name.jsonl"
  rm -rf "src/servegen/presets/$name"
  "$bin/servegen" fit --input "$tmp/$name.jsonl" --output "src/servegen/presets/$name" \
    --max-support 64 --rate-multiplier "$k"
  # The data has no conversations, sessions or prefixes: the documented assumption
  # (docs/servegen.md), for every client; and no input/output correlation beyond the reference's
  # comonotone rule, which the generated log only echoes, so none is kept.
  printf 'client_id,source,turns_mean,think_median_s,think_sigma,system_prompt_tokens,system_prompts,prefix_share,io_rank_corr\n*,assumed,2,30,1,1024,4,0.5,\n' \
    > "src/servegen/presets/$name/client_params.csv"
  printf '%s\nFitted by scripts/make_presets.sh from the ServeGen production data (Alibaba Cloud, NSDI'"'"'26, arXiv 2505.09999; Apache-2.0).\n' \
    "$desc" > "src/servegen/presets/$name/DESCRIPTION"
}

make_preset language language/m-large 12 20 \
  "language: the 12 busiest clients of ServeGen's m-large over its first day (diurnal rates, bursty Gamma/Weibull arrivals, input/output lengths)"
make_preset multimodal multimodal/mm-image 12 2 \
  "multimodal: the 12 busiest clients of ServeGen's mm-image over one day (text tokens, image counts and per-image tokens, output lengths)"
make_preset reason reason/deepseek-r1 12 2 \
  "reason: the 12 busiest clients of ServeGen's deepseek-r1 over one day (input/output lengths and reasoning ratio)"
du -sh src/servegen/presets/*
