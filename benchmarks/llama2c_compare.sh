#!/usr/bin/env bash
# Compares the engine with llama2.c on stories260K (1 thread, greedy, 256 tokens after "Once upon a
# time"), each measured by its own reported rate (llama2.c's "achieved tok/s", aegaeon run's decode
# tok/s), SAMPLES alternating runs each. llama2.c is built from its run.c in a checkout you give
# (LLAMA2C_DIR; github.com/karpathy/llama2.c; nothing of it is copied into this project) with the
# three builds its Makefile names: `make run` (-O3), `make runfast` (-Ofast) and `make runomp`
# (-Ofast -march=native -fopenmp, run with OMP_NUM_THREADS=1). llama2.c times with millisecond
# resolution, so its rates come in coarse steps (255 tokens in 15 or 16 ms).
# Usage: LLAMA2C_DIR=... bash benchmarks/llama2c_compare.sh [SAMPLES=5] [BIN=build/bin]
set -euo pipefail
cd "$(dirname "$0")/.."
samples=${1:-5}
bin=${2:-build/bin}
src=${LLAMA2C_DIR:?set LLAMA2C_DIR to a llama2.c checkout (it needs run.c)}
models=$(cd ../shared/models/stories260K 2>/dev/null && pwd) || { echo "needs ../shared/models"; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
gcc -O3 -o "$out/run_o3" "$src/run.c" -lm
gcc -Ofast -o "$out/run_fast" "$src/run.c" -lm
gcc -Ofast -fopenmp -march=native -o "$out/run_omp" "$src/run.c" -lm
l2c() {
  OMP_NUM_THREADS=1 "$out/$1" "$models/stories260K.bin" -z "$models/tok512.bin" -t 0 -n 256 \
    -i "Once upon a time" 2>&1 >/dev/null | grep -o '[0-9.]*$'
}
ours() {
  "$bin/aegaeon" run --model "$models/stories260K.bin" --tokenizer "$models/tok512.bin" \
    --prompt "Once upon a time" -n 256 --temperature 0 --threads 1 2>&1 >/dev/null |
    grep "prompt tokens" | sed -E 's/.*\(([0-9.]+) tok\/s decode\).*/\1/'
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
o3=(); fast=(); omp=(); mine=()
for i in $(seq "$samples"); do
  o3+=("$(l2c run_o3)"); fast+=("$(l2c run_fast)"); omp+=("$(l2c run_omp)"); mine+=("$(ours)")
  echo "sample $i: llama2.c -O3 ${o3[-1]}, -Ofast ${fast[-1]}, -Ofast -march=native -fopenmp ${omp[-1]}; aegaeon ${mine[-1]} tok/s"
done
m=$(median "${mine[@]}")
for name in o3 fast omp; do
  declare -n arr=$name
  r=$(median "${arr[@]}")
  awk -v n="$name" -v r="$r" -v m="$m" 'BEGIN { printf "llama2.c %-5s median %8.0f tok/s; aegaeon median %8.0f tok/s: %.2fx\n", n, r, m, m / r }'
done
