#!/usr/bin/env bash
# Server overhead (issue 5's target: >= 98%): output tokens/s of a batch streamed through
# `aegaeon serve`'s HTTP layer over the same batch submitted to the same deployment directly and
# over the engine driven directly, rounds interleaved, medians and median ratios printed. Two random-weight models: a 4-layer
# Llama (HTTP cost is most visible on a model this small) and the Qwen2-0.5B shape (Q4_0).
# Usage: benchmarks/serve_overhead.sh [ROUNDS=9]   (after a release build; the 0.5B model runs
# ROUNDS/2 + 1 rounds, each takes most of a minute on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-9}
dir=build/bench-models
mkdir -p "$dir"
[ -f "$dir/llama-tiny-q8.gguf" ] || build/bin/aegaeon model dummy --preset llama-tiny --type q8_0 \
  --output "$dir/llama-tiny-q8.gguf" >/dev/null
[ -f "$dir/qwen2-0.5b-q4.gguf" ] || build/bin/aegaeon model dummy --preset qwen2-0.5b --type q4_0 \
  --output "$dir/qwen2-0.5b-q4.gguf" >/dev/null
build/bin/serve_overhead --model "tiny=$dir/llama-tiny-q8.gguf" --batch 16 --prompt 32 --output 512 \
  --rounds "$rounds" 2>/dev/null
build/bin/serve_overhead --model "qwen05=$dir/qwen2-0.5b-q4.gguf" --batch 8 --prompt 32 --output 64 \
  --rounds "$((rounds / 2 + 1))" 2>/dev/null
