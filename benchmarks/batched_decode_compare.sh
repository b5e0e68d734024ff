#!/usr/bin/env bash
# Aggregate decode throughput at batch 1, 8, 32 and 64 of the random-weight llama-1b in Q8_0 and
# Q4_K_M, against llama.cpp's batched evaluation of the same file (sequences sharing a 64-token
# prefix in one context, its default KV type and attention; tests/llama_cpp/llama_ref.cc
# `batched`), same thread count. The engines alternate SAMPLES times per batch size; it prints each
# sample, the medians, the median of the per-pair ratios, and each engine's batch-32 rate over its
# batch-1 rate. Ours is engine_bench's Decode/1B-<type>/batch/threads (64-token contexts).
# Needs the release build (engine_bench) and llama_ref (built when tests/llama_cpp has its
# node_modules: scripts/setup.sh).
# Usage: benchmarks/batched_decode_compare.sh [THREADS=2] [SAMPLES=3] [BUILD=build]
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-2}
samples=${2:-3}
build=${3:-build}
ref="$build/tests/llama_ref"
[ -x "$ref" ] || { echo "no $ref: run scripts/setup.sh, then reconfigure and build" >&2; exit 1; }
dir=${LLMS_BENCH_DIR:-/tmp}
ours() {  # type batch -> tok/s
  local name=$1
  "$build/bin/engine_bench" --benchmark_filter="^Decode/1B-$name/batch/threads/$2/$threads/" 2>/dev/null |
    sed -nE 's/.*tok\/s=([0-9.]+).*/\1/p' | head -n 1
}
theirs() {  # file batch -> tok/s
  "$ref" batched "$1" "$2" 32 64 "$threads" | sed -nE 's/^tok\/s ([0-9.]+)/\1/p'
}
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
for type in Q8_0 Q4_K_M; do
  file="$dir/llms-bench-llama-1b-$(tr 'A-Z' 'a-z' <<<"$type").gguf"
  [ -f "$file" ] || ours "$type" 1 >/dev/null  # engine_bench writes the model on first use
  echo "== llama-1b $type ($file), $threads threads, $samples alternating samples"
  printf '%-6s %-7s %12s %12s %8s\n' batch sample aegaeon llama.cpp ratio
  declare -A med_ours med_theirs
  for batch in 1 8 32 64; do
    a=() b=() r=()
    for s in $(seq 1 "$samples"); do
      x=$(ours "$type" "$batch"); y=$(theirs "$file" "$batch")
      if [ -z "$x" ] || [ -z "$y" ]; then
        echo "no result for batch $batch (engine_bench has Decode/1B-$type at threads 2 only, and" \
             "at 1 for batch 1; llama_ref must run): aegaeon '$x', llama.cpp '$y'" >&2
        exit 1
      fi
      a+=("$x"); b+=("$y"); r+=("$(awk -v x="$x" -v y="$y" 'BEGIN{printf "%.3f", x/y}')")
      printf '%-6s %-7s %12s %12s %8s\n' "$batch" "$s" "$x" "$y" "${r[-1]}"
    done
    med_ours[$batch]=$(printf '%s\n' "${a[@]}" | median)
    med_theirs[$batch]=$(printf '%s\n' "${b[@]}" | median)
    printf '%-6s %-7s %12s %12s %8s\n' "$batch" median "${med_ours[$batch]}" \
      "${med_theirs[$batch]}" "$(printf '%s\n' "${r[@]}" | median)x"
  done
  awk -v a32="${med_ours[32]}" -v a1="${med_ours[1]}" -v b32="${med_theirs[32]}" \
    -v b1="${med_theirs[1]}" 'BEGIN {printf "batch 32 over batch 1: aegaeon %.2fx, llama.cpp %.2fx\n", a32/a1, b32/b1}'
  unset med_ours med_theirs
done
