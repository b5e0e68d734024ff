#!/usr/bin/env bash
# Fuzzes the GGUF reader (src/engine/gguf_fuzz.cc) and the OpenAI request parser
# (src/server/openai_protocol_fuzz.cc, for half the time) with libFuzzer + ASan/UBSan.
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
cd ..

# The OpenAI request parser, seeded with valid bodies of both endpoints.
api_sources=(src/server/openai_protocol_fuzz.cc src/server/openai_protocol.cc src/server/chat_template.cc)
if [ ! -x "$out/openai_fuzz" ] || [ -n "$(find "${api_sources[@]}" src/server/*.h -newer "$out/openai_fuzz")" ]; then
  echo "fuzz: building $out/openai_fuzz"
  clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Isrc "${api_sources[@]}" -o "$out/openai_fuzz" -lfmt
fi
mkdir -p "$out/api_corpus"
printf '%s' '{"model":"m","prompt":"Hi","max_tokens":5,"stop":["a"],"stream":true,"stream_options":{"include_usage":true}}' > "$out/api_corpus/completion.json"
printf '%s' '{"model":"m","messages":[{"role":"system","content":"x"},{"role":"user","content":[{"type":"text","text":"y"}]}],"temperature":0.5,"top_p":0.9,"seed":1}' > "$out/api_corpus/chat.json"
printf '%s' '{"model":"m","prompt":[1,2,3],"n":1,"ignore_eos":true,"top_k":4}' > "$out/api_corpus/tokens.json"
echo "fuzz: running the OpenAI request parser for $((seconds / 2))s"
cd "$out"
./openai_fuzz -max_total_time="$((seconds / 2))" -max_len=4096 -timeout=10 -print_final_stats=1 \
  api_corpus 2>&1 | tail -n 6
