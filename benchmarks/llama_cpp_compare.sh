#!/usr/bin/env bash
# Compares the engine with llama.cpp on the same GGUF file and thread count: prefill tokens/s of
# one prompt (BOS first on both sides) and greedy decode tokens/s at batch 1. llama.cpp comes from
# the npm package node-llama-cpp@3.21.1 (prebuilt CPU binaries for linux-x64), installed on first
# use into tests/llama_cpp/node_modules by its package-lock.json (scripts/setup.sh does the same;
# needs npm and the registry). The engines run
# alternately, SAMPLES times each (each run a fresh process after a warm-up that pages the weights
# in); it prints every sample, each engine's median and range, and the median of the per-pair
# ratios with their range, so one noisy sample on a shared machine cannot decide the result.
# Usage: benchmarks/llama_cpp_compare.sh [MODEL.gguf] [THREADS=2] [DECODE_TOKENS=64] [BIN=build/bin]
#        [SAMPLES=5] [PROMPT_REPEATS=12]
# The prompt repeats a 16-token sentence PROMPT_REPEATS times after BOS (12: 194 tokens; 32: 514).
# Without MODEL it writes a random-weight llama-1b Q8_0 model to /tmp (aegaeon model dummy).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${4:-build/bin}
model=${1:-/tmp/llms-bench-llama-1b-q8_0.gguf}
threads=${2:-2}
decode=${3:-64}
samples=${5:-5}
repeats=${6:-12}
if [ ! -f "$model" ]; then
  "$bin/aegaeon" model dummy --preset llama-1b --type q8_0 --output "$model"
fi
dir=benchmarks/llama_cpp
if [ ! -d tests/llama_cpp/node_modules/node-llama-cpp ]; then
  echo "installing node-llama-cpp (tests/llama_cpp/package-lock.json) into tests/llama_cpp" >&2
  (cd tests/llama_cpp && npm ci --no-audit --no-fund --omit=optional --ignore-scripts >&2)
fi
prompt=$(printf 'the quick brown fox jumps over the lazy dog %.0s' $(seq 1 "$repeats"))
ours() {
  "$bin/aegaeon" run --model "$model" --prompt "$prompt" --max-tokens "$decode" --temperature 0 \
    --threads "$threads" 2>&1 >/dev/null | { grep "prompt tokens" || true; } | tail -n 1
}
theirs() { (cd "$dir" && node compare.mjs "$(realpath "$model")" "$threads" "$decode" "$prompt"); }
ours >/dev/null  # warm-up: page in the weights
echo "model $model, $threads threads, $decode decode tokens, $samples alternating samples per engine"
printf '%-7s %-10s %8s %14s %14s\n' sample engine prompt "prefill tok/s" "decode tok/s"
rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
for i in $(seq "$samples"); do
  line=$(ours)
  our_prompt=$(sed -E 's/^aegaeon run: ([0-9]+) prompt tokens.*/\1/' <<<"$line")
  our_prefill=$(sed -E 's/.*\(([0-9.]+) tok\/s prefill\).*/\1/' <<<"$line")
  our_decode=$(sed -E 's/.*\(([0-9.]+) tok\/s decode\).*/\1/' <<<"$line")
  if ! [[ "$our_prefill" =~ ^[0-9.]+$ && "$our_decode" =~ ^[0-9.]+$ ]]; then
    echo "cannot read the engine's figures from its statistics line: '$line'" >&2
    exit 1
  fi
  t=$(theirs)
  their_prefill=$(sed -E 's/.*"prefill_tok_s":([0-9.]+).*/\1/' <<<"$t")
  their_decode=$(sed -E 's/.*"decode_tok_s":([0-9.]+).*/\1/' <<<"$t")
  their_prompt=$(sed -E 's/.*"prompt_tokens":([0-9]+).*/\1/' <<<"$t")
  printf '%-7s %-10s %8s %14.1f %14.2f\n' "$i" aegaeon "$our_prompt" "$our_prefill" "$our_decode"
  printf '%-7s %-10s %8s %14.1f %14.2f\n' "$i" llama.cpp "$their_prompt" "$their_prefill" "$their_decode"
  if [ "$our_prompt" != "$their_prompt" ]; then
    echo "warning: the engines counted $our_prompt and $their_prompt prompt tokens" >&2
  fi
  echo "$our_prefill $our_decode $their_prefill $their_decode" >> "$rows"
done
awk '
  function median(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  function range(a, n,   i, lo, hi) {
    lo = hi = a[1]; for (i = 2; i <= n; i++) { if (a[i] < lo) lo = a[i]; if (a[i] > hi) hi = a[i] }
    return sprintf("%.2f-%.2f", lo, hi)
  }
  { n++; op[n] = $1; od[n] = $2; tp[n] = $3; td[n] = $4; rp[n] = $1 / $3; rd[n] = $2 / $4 }
  END {
    printf "aegaeon:   prefill median %.1f tok/s (range %s), decode median %.2f tok/s (range %s)\n", median(op, n), range(op, n), median(od, n), range(od, n)
    printf "llama.cpp: prefill median %.1f tok/s (range %s), decode median %.2f tok/s (range %s)\n", median(tp, n), range(tp, n), median(td, n), range(td, n)
    printf "ratio (aegaeon / llama.cpp, per sample pair): prefill median %.2fx (range %s), decode median %.2fx (range %s)\n", median(rp, n), range(rp, n), median(rd, n), range(rd, n)
  }' "$rows"
