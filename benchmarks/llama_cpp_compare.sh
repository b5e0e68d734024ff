#!/usr/bin/env bash
# Compares the engine with llama.cpp on the same GGUF file and thread count: prefill tokens/s of
# one prompt and greedy decode tokens/s at batch 1. llama.cpp comes from the npm package
# node-llama-cpp@3.21.1 (prebuilt CPU binaries for linux-x64), installed on first use into
# benchmarks/llama_cpp/node_modules (needs npm and the registry). Prints both and the ratios.
# Usage: benchmarks/llama_cpp_compare.sh [MODEL.gguf] [THREADS=2] [DECODE_TOKENS=64] [BIN=build/bin]
# Without MODEL it writes a random-weight llama-1b Q8_0 model to /tmp (aegaeon model dummy).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${4:-build/bin}
model=${1:-/tmp/llms-bench-llama-1b-q8_0.gguf}
threads=${2:-2}
decode=${3:-64}
if [ ! -f "$model" ]; then
  "$bin/aegaeon" model dummy --preset llama-1b --type q8_0 --output "$model"
fi
dir=benchmarks/llama_cpp
if [ ! -d "$dir/node_modules/node-llama-cpp" ]; then
  echo "installing node-llama-cpp@3.21.1 into $dir/node_modules" >&2
  (cd "$dir" && npm install --no-audit --no-fund --omit=optional --no-save \
     node-llama-cpp@3.21.1 @node-llama-cpp/linux-x64@3.21.1 >&2)
fi
prompt=$(printf 'the quick brown fox jumps over the lazy dog %.0s' $(seq 1 12))
ours() {
  "$bin/aegaeon" run --model "$model" --prompt "$prompt" --max-tokens "$decode" --temperature 0 \
    --threads "$threads" 2>&1 >/dev/null | { grep "prompt tokens" || true; } | tail -n 1
}
ours >/dev/null  # warm-up: page in the weights
line=$(ours)
our_prompt=$(sed -E 's/^aegaeon run: ([0-9]+) prompt tokens.*/\1/' <<<"$line")
our_prefill=$(sed -E 's/.*\(([0-9.]+) tok\/s prefill\).*/\1/' <<<"$line")
our_decode=$(sed -E 's/.*\(([0-9.]+) tok\/s decode\).*/\1/' <<<"$line")
if ! [[ "$our_prefill" =~ ^[0-9.]+$ && "$our_decode" =~ ^[0-9.]+$ ]]; then
  echo "cannot read the engine's figures from its statistics line: '$line'" >&2
  exit 1
fi
theirs=$(cd "$dir" && node compare.mjs "$(realpath "$model")" "$threads" "$decode" "$prompt")
their_prefill=$(sed -E 's/.*"prefill_tok_s":([0-9.]+).*/\1/' <<<"$theirs")
their_decode=$(sed -E 's/.*"decode_tok_s":([0-9.]+).*/\1/' <<<"$theirs")
their_prompt=$(sed -E 's/.*"prompt_tokens":([0-9]+).*/\1/' <<<"$theirs")
echo "model $model, $threads threads, $decode decode tokens"
printf '%-10s %8s %14s %14s\n' engine prompt "prefill tok/s" "decode tok/s"
printf '%-10s %8s %14.1f %14.2f\n' aegaeon "$our_prompt" "$our_prefill" "$our_decode"
printf '%-10s %8s %14.1f %14.2f\n' llama.cpp "$their_prompt" "$their_prefill" "$their_decode"
awk -v a="$our_prefill" -v b="$their_prefill" -v c="$our_decode" -v d="$their_decode" \
  'BEGIN { printf "ratio (aegaeon / llama.cpp): prefill %.2fx, decode %.2fx\n", a / b, c / d }'
