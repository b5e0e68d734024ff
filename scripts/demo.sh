#!/usr/bin/env bash
# The main job's demo: serves several models with `aegaeon serve` on this machine, replays a
# built-in servegen preset against it with `aegaeon bench`, once under Aegaeon's token-level
# policy and once under the request-level baseline, and prints the two side by side.
#
# Usage: scripts/demo.sh [--model NAME=FILE ...] [--tokenizer NAME=TOK.bin ...] [--config FILE]
#                        [--duration S] [--rate R] [--preset NAME] [--max-input N] [--max-output N]
# Without --model it generates six random-weight models of real shapes (five Qwen2-0.5B and one
# Llama-3.2-1B layout, Q4_0) in build/demo/: more models than the server's two instances, so they
# must take turns. Without --rate it measures how fast this machine decodes (one thread, the first
# model) and replays at 2.5% of that many requests per second (0.1 to 5), so the load fits
# the machine. --config serves what an `aegaeon serve` configuration file names (docs/serve.md;
# the demo's --policy and port override the file's), replayed over every model the server lists,
# at --rate (default 0.3 req/s). Results: build/demo/<policy>.json and .html.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bin
out=build/demo
duration=60
rate=
preset=language
max_input=64
max_output=64
models=()
config=()
while [ $# -gt 0 ]; do
  case "$1" in
    --model|--tokenizer) models+=("$1" "$2"); shift 2 ;;
    --config) config=(--config "$2"); shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --preset) preset=$2; shift 2 ;;
    --max-input) max_input=$2; shift 2 ;;
    --max-output) max_output=$2; shift 2 ;;
    -h|--help) sed -n 2,16p "$0"; exit 0 ;;
    *) echo "demo: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
if [ ${#config[@]} -gt 0 ]; then
  [ -n "$rate" ] || rate=0.3
elif [ ${#models[@]} -eq 0 ]; then
  for spec in "qwen-a:qwen2-0.5b:1" "qwen-b:qwen2-0.5b:2" "llama-c:llama-1b:3" \
              "qwen-d:qwen2-0.5b:4" "qwen-e:qwen2-0.5b:5" "qwen-f:qwen2-0.5b:6"; do
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
first=
first_name=
declare -A tokenizers=()
for ((i = 0; i < ${#models[@]}; i += 2)); do
  if [ "${models[i]}" = --model ]; then
    names+=(--model "${models[i+1]%%=*}")
    if [ -z "$first" ]; then first_name=${models[i+1]%%=*}; first=${models[i+1]#*=}; fi
  else
    tokenizers[${models[i+1]%%=*}]=${models[i+1]#*=}
  fi
done
if [ -z "$rate" ]; then
  # The load this machine can take: 2.5% of one thread's decode speed, in requests per second,
  # from 0.1 to 5 (0.3 req/s when the first model cannot be measured).
  tokenizer=()
  [ -n "${tokenizers[$first_name]:-}" ] && tokenizer=(--tokenizer "${tokenizers[$first_name]}")
  tps=$("$bin/aegaeon" run --model "$first" "${tokenizer[@]}" --prompt "Once upon a time" \
          --max-tokens 32 --threads 1 --temperature 0 2>&1 >/dev/null |
        grep -o '[0-9.]* tok/s decode' | cut -d' ' -f1 || true)
  rate=$(awk -v t="${tps:-12}" 'BEGIN { r = t * 0.025; if (r < 0.1) r = 0.1; if (r > 5) r = 5;
                                          printf "%.2f", r }')
  echo "demo: this machine decodes $first_name at ${tps:-?} tok/s on one thread: replaying at $rate req/s"
fi

for policy in aegaeon request-level; do
  rm -f "$out/port"
  "$bin/aegaeon" serve "${config[@]}" --port 0 --port-file "$out/port" --policy "$policy" "${models[@]}" \
    2> "$out/serve-$policy.log" &
  server=$!
  for _ in $(seq 1 600); do [ -s "$out/port" ] && break; sleep 0.1; done
  if [ ! -s "$out/port" ]; then
    echo "demo: the server did not start:" >&2; cat "$out/serve-$policy.log" >&2; exit 1
  fi
  echo "demo: $policy: replaying ${duration}s of the '$preset' preset at $rate req/s"
  "$bin/aegaeon" bench --endpoint "http://127.0.0.1:$(cat "$out/port")" ${names[@]+"${names[@]}"} \
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
