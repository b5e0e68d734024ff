#!/usr/bin/env bash
# The main job's demo: serves several models with `aegaeon serve` on this machine, replays a
# built-in servegen preset against it with `aegaeon bench`, once under Aegaeon's token-level
# policy and once under the request-level baseline, and prints the two side by side.
#
# Usage: scripts/demo.sh [--model NAME=FILE ...] [--tokenizer NAME=TOK.bin ...]
#                        [--duration S] [--rate R] [--preset NAME] [--max-input N] [--max-output N]
# Without --model it generates three random-weight models of real shapes (Qwen2-0.5B and
# Llama-3.2-1B layouts, Q4_0) in build/demo/. Results: build/demo/<policy>.json and .html.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bin
out=build/demo
duration=60
rate=0.3
preset=language
max_input=64
max_output=64
models=()
while [ $# -gt 0 ]; do
  case "$1" in
    --model|--tokenizer) models+=("$1" "$2"); shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --preset) preset=$2; shift 2 ;;
    --max-input) max_input=$2; shift 2 ;;
    --max-output) max_output=$2; shift 2 ;;
    -h|--help) sed -n 2,10p "$0"; exit 0 ;;
    *) echo "demo: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
if [ ${#models[@]} -eq 0 ]; then
  for spec in "qwen-a:qwen2-0.5b:1" "qwen-b:qwen2-0.5b:2" "llama-c:llama-1b:3"; do
    IFS=: read -r name shape seed <<< "$spec"
    if [ ! -f "$out/$name.gguf" ]; then
      echo "demo: generating $name (random weights, $shape shape, Q4_0)"
      "$bin/aegaeon" model dummy --preset "$shape" --type q4_0 --seed "$seed" --name "$name" \
        --output "$out/$name.gguf" >/dev/null
    fi
    models+=(--model "$name=$out/$name.gguf")
  done
fi
names=()
for ((i = 0; i < ${#models[@]}; i += 2)); do
  [ "${models[i]}" = --model ] && names+=(--model "${models[i+1]%%=*}")
done

for policy in aegaeon request-level; do
  rm -f "$out/port"
  "$bin/aegaeon" serve --port 0 --port-file "$out/port" --policy "$policy" "${models[@]}" \
    2> "$out/serve-$policy.log" &
  server=$!
  for _ in $(seq 1 600); do [ -s "$out/port" ] && break; sleep 0.1; done
  if [ ! -s "$out/port" ]; then
    echo "demo: the server did not start:" >&2; cat "$out/serve-$policy.log" >&2; exit 1
  fi
  echo "demo: $policy: replaying ${duration}s of the '$preset' preset at $rate req/s"
  "$bin/aegaeon" bench --endpoint "http://127.0.0.1:$(cat "$out/port")" "${names[@]}" \
    --preset "$preset" --duration "$duration" --preset-rate "$rate" --seed 1 \
    --max-input "$max_input" --max-output "$max_output" --ttft-slo 10 --tpot-slo 0.5 --label "$policy" \
    --output "$out/$policy.json" --html "$out/$policy.html"
  kill -TERM "$server"
  wait "$server"
done
echo
echo "demo: Aegaeon (token-level) vs request-level auto-scaling on this machine:"
"$bin/aegaeon" bench --compare "$out/aegaeon.json" "$out/request-level.json"
echo "demo: reports in $out/aegaeon.html and $out/request-level.html"
