#!/usr/bin/env bash
# Serving under load (issue 23's targets), on `aegaeon serve` with default settings:
#  1. 1,000 concurrent streams on stories260K (GGUF), 64 tokens each;
#  2. 256 concurrent streams on a Qwen2-0.5B-shaped Q8_0 model (random weights), 32 tokens each;
#  3. head-of-line: 8 streams on the Qwen2-shaped model while a 1 MiB prompt is sent to stories260K
#     (SentencePiece) and then to the Qwen2-shaped model (byte-level BPE): /health latency and the
#     streams' token-gap p99 growth while the big prompt is in the server.
# Every accepted request must complete (the run fails otherwise); refusals up front are counted.
# Usage: benchmarks/serve_load.sh   (after a release build; needs ../shared; a few minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
shared=../shared/models/stories260K
[ -d "$shared" ] || { echo "serve_load: ../shared is absent (stories260K is needed)"; exit 1; }
dir=build/bench-models
mkdir -p "$dir"
[ -f "$dir/stories260K.gguf" ] || build/bin/aegaeon model convert --input "$shared/stories260K.bin" \
  --tokenizer "$shared/tok512.bin" --output "$dir/stories260K.gguf" >/dev/null
[ -f "$dir/qwen2-0.5b-q8.gguf" ] || build/bin/aegaeon model dummy --preset qwen2-0.5b --type q8_0 \
  --output "$dir/qwen2-0.5b-q8.gguf" >/dev/null
ulimit -n 65536 2>/dev/null || true
log=$(mktemp)
pid=
stop() { [ -z "$pid" ] || { kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; pid=; }; }
trap 'stop; rm -f "$log" "$log.port"' EXIT
serve() {  # MODEL_ARGS...
  rm -f "$log.port"
  build/bin/aegaeon serve --port 0 --port-file "$log.port" "$@" 2>"$log" &
  pid=$!
  for _ in $(seq 600); do [ -s "$log.port" ] && break; sleep 0.1; done
  [ -s "$log.port" ] || { cat "$log"; exit 1; }
  port=$(cat "$log.port")
}
echo "== 1,000 streams on stories260K (default settings)"
serve --model "stories=$dir/stories260K.gguf"
build/bin/serve_load --port "$port" --model stories --streams 1000 --max-tokens 64
stop
echo "== 256 streams on the Qwen2-0.5B shape, Q8_0 (default settings)"
serve --model "qwen=$dir/qwen2-0.5b-q8.gguf"
build/bin/serve_load --port "$port" --model qwen --streams 256 --max-tokens 32
stop
echo "== head-of-line: a 1 MiB prompt beside 8 streams"
serve --model "qwen=$dir/qwen2-0.5b-q8.gguf" --model "stories=$dir/stories260K.gguf"
build/bin/serve_load --port "$port" --model qwen --streams 8 --max-tokens 400 --head-of-line \
  --big-model stories --big-prompt-mb 1
build/bin/serve_load --port "$port" --model qwen --streams 8 --max-tokens 400 --head-of-line \
  --big-model qwen --big-prompt-mb 1
stop
