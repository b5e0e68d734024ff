#!/usr/bin/env bash
# Fuzzes the GGUF reader (src/engine/gguf_fuzz.cc) with libFuzzer + ASan/UBSan for a bounded time.
# Usage: scripts/fuzz.sh [SECONDS=60] [BUILD_BIN=build/bin]
# Seeds are small valid GGUF files written by `aegaeon model` (so the release build must exist);
# crashes are left in build-fuzz/ as crash-* files and fail the script.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
bin=${2:-build/bin}
out=build-fuzz
mkdir -p "$out/corpus"
sources=(src/engine/gguf_fuzz.cc src/engine/gguf.cc src/engine/gguf_loader.cc src/engine/ggml_types.cc
         src/engine/sentencepiece_tokenizer.cc src/engine/gpt2_tokenizer.cc src/engine/tokenizer.cc
         src/core/mapped_file.cc)
if [ ! -x "$out/gguf_fuzz" ] || [ -n "$(find "${sources[@]}" src/engine/*.h -newer "$out/gguf_fuzz")" ]; then
  echo "fuzz: building $out/gguf_fuzz"
  clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Isrc "${sources[@]}" -o "$out/gguf_fuzz" -lfmt -licuuc
fi
# Seeds: a tiny random-weight model of each architecture and a tiny converted-style file.
"$bin/aegaeon" model dummy --preset llama-tiny --dim 32 --hidden-dim 32 --layers 1 --heads 4 \
  --kv-heads 2 --vocab 512 --type q4_0 --output "$out/corpus/llama.gguf" 2>/dev/null
"$bin/aegaeon" model dummy --preset llama-tiny --arch qwen2 --dim 32 --hidden-dim 64 --layers 1 \
  --heads 2 --kv-heads 1 --vocab 512 --type q8_0 --output "$out/corpus/qwen2.gguf" 2>/dev/null
echo "fuzz: running for ${seconds}s"
cd "$out"
./gguf_fuzz -max_total_time="$seconds" -max_len=200000 -timeout=10 -rss_limit_mb=4096 \
  -print_final_stats=1 corpus 2>&1 | tail -n 15
