#!/usr/bin/env bash
# The main job's demo: Aegaeon's result on this machine. Serves several models with `aegaeon
# serve` and replays a built-in servegen preset at several rates (`aegaeon bench sweep`), once
# under Aegaeon's token-level policy and once under the request-level baseline, from a rate both
# handle to one that overloads the two instances; beside the measurements, the simulator's
# prediction for the same models, instances and rates, from latencies measured on this machine.
#
# Usage: scripts/demo.sh [--model NAME=FILE ...] [--tokenizer NAME=TOK.bin ...] [--config FILE]
#                        [--rates R1,R2,...] [--duration S] [--preset NAME] [--max-input N]
#                        [--max-output N]
# Without --model it generates six random-weight models of real shapes (five Qwen2-0.5B and one
# Llama-3.2-1B layout, Q4_0) in build/demo/: more models than the server's two instances, so they
# must take turns. Then:
#   1. `aegaeon latency --measure` measures prefill, decode and loading of each distinct model
#      size on this machine (build/demo/cpu-profile.json; kept while the models do not change);
#   2. without --rates, the rates come from the measured decode speed (one sequence's tokens/s on
#      one thread): 2%, 6%, 9% and 12% of it in requests per second, so the lowest is comfortable
#      and the highest overloads two instances;
#   3. `aegaeon sim sweep` predicts every point from that profile (build/demo/predicted.json);
#   4. `aegaeon bench sweep` starts `aegaeon serve` per policy (planning with the profile, logging
#      every step) and replays --duration seconds (default 30) at each rate;
#   5. `aegaeon latency --calibrate` scales the profile by what the servers' steps cost under load,
#      and the simulator predicts again with it (build/demo/calibrated.json).
# Results: build/demo/sweep.json and build/demo/sweep.html (measured solid, predictions dashed),
# each point's full result and the servers' logs in build/demo/sweep/.
# --config serves what an `aegaeon serve` configuration file names (docs/serve.md; the sweep's
# --policy and port override the file's) over every model the server lists, at --rates (required
# there), without a prediction.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bin
out=build/demo
duration=30
rates=
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
    --rates) rates=$2; shift 2 ;;
    --preset) preset=$2; shift 2 ;;
    --max-input) max_input=$2; shift 2 ;;
    --max-output) max_output=$2; shift 2 ;;
    -h|--help) sed -n 2,28p "$0"; exit 0 ;;
    *) echo "demo: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
slo=(--ttft-slo 10 --tpot-slo 0.5)
workload=(--preset "$preset" --duration "$duration" --seed 1 --max-input "$max_input"
          --max-output "$max_output")

if [ ${#config[@]} -gt 0 ]; then
  [ -n "$rates" ] || { echo "demo: with --config give --rates R1,R2,..." >&2; exit 2; }
  "$bin/aegaeon" bench sweep --policies aegaeon,request-level "${workload[@]}" "${slo[@]}" \
    --rates "$rates" --output "$out/sweep.json" --html "$out/sweep.html" --work-dir "$out/sweep" \
    -- "${config[@]}" "${models[@]}"
  echo "demo: the page is $out/sweep.html"
  exit 0
fi

if [ ${#models[@]} -eq 0 ]; then
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

# The models in serving order; one to measure per distinct file size (a model of the same size
# and shape behaves the same: the server and the simulator find its entry by size).
names=() files=() measure=() sim_models=()
declare -A by_size=() tokenizers=()
for ((i = 0; i < ${#models[@]}; i += 2)); do
  [ "${models[i]}" = --tokenizer ] && tokenizers[${models[i+1]%%=*}]=${models[i+1]#*=}
done
largest=0
for ((i = 0; i < ${#models[@]}; i += 2)); do
  [ "${models[i]}" = --model ] || continue
  name=${models[i+1]%%=*} file=${models[i+1]#*=}
  size=$(stat -c %s "$file")
  [ "$size" -gt "$largest" ] && largest=$size
  if [ -z "${by_size[$size]:-}" ]; then
    by_size[$size]=$name
    measure+=(--model "$name=$file")
    [ -n "${tokenizers[$name]:-}" ] && measure+=(--tokenizer "$name=${tokenizers[$name]}")
  fi
  names+=("$name") files+=("$file")
  sim_models+=("{\"name\": \"$name\", \"profile\": \"${by_size[$size]}\"}")
done
profile=$out/cpu-profile.json
stale=0
[ -f "$profile" ] || stale=1
for f in "${files[@]}"; do [ "$f" -nt "$profile" ] && stale=1; done
if [ "$stale" = 1 ]; then
  echo "demo: measuring the CPU engine on this machine, one model per size (a few minutes)"
  "$bin/aegaeon" latency --measure "${measure[@]}" --output "$profile"
else
  echo "demo: reusing the measured latencies in $profile (delete it to measure again)"
fi

first=${by_size[$(stat -c %s "${files[0]}")]}
if [ -z "$rates" ]; then
  # One sequence's decode speed at a 64-token context, from the first model's fit.
  tps=$(jq -r --arg m "$first" '.models[] | select(.model == $m) |
          1 / (.decode.a + .decode.b * 64 + .decode.c)' "$profile")
  rates=$(awk -v t="$tps" 'BEGIN { n = split("0.02 0.06 0.09 0.12", f, " ");
            for (i = 1; i <= n; ++i) { r = t * f[i]; if (r < 0.1) r = 0.1;
              printf "%s%.2g", (i > 1 ? "," : ""), r } }')
  printf 'demo: this machine decodes %s at %.1f tok/s (one sequence, one thread): rates %s req/s\n' \
    "$first" "$tps" "$rates"
fi
# Each instance holds the largest model and 64 MiB of KV, in the server and the simulator alike.
memory_mib=$(( (largest + (1 << 20) - 1) / (1 << 20) + 64 ))

# The simulator's prediction for the same deployment: one node, one prefill and one decode
# instance, the same models, SLOs, workload and rates.
experiment() {  # $1: latency profile, $2: output experiment
  local joined
  joined=$(IFS=,; echo "${sim_models[*]}")
  cat > "$2" <<EOF
{
  "description": "scripts/demo.sh: the demo's deployment on this machine",
  "cluster": {"nodes": 1, "gpus_per_node": 2, "prefill_per_node": 1, "decode_per_node": 1,
              "memory_mib": $memory_mib, "latency_profile": "$(realpath "$1")"},
  "models": [$joined],
  "slo": {"ttft_s": 10, "tpot_s": 0.5},
  "workload": {"preset": "$preset", "duration_s": $duration, "seed": 1,
               "max_input": $max_input, "max_output": $max_output},
  "sweep": {"num_models": [${#names[@]}], "rate": [$rates],
            "policies": ["aegaeon", "request-level"]},
  "drain_s": 600
}
EOF
}
experiment "$profile" "$out/experiment.json"
echo "demo: simulating the sweep with the measured latencies"
"$bin/aegaeon" sim sweep --experiment "$out/experiment.json" --output "$out/predicted.csv" \
  --points "$out/predicted.json" >/dev/null

echo "demo: replaying ${duration}s of the '$preset' preset at $rates req/s under each policy"
serve=()
for ((i = 0; i < ${#models[@]}; i += 2)); do serve+=("${models[i]}" "${models[i+1]}"); done
"$bin/aegaeon" bench sweep --policies aegaeon,request-level "${workload[@]}" "${slo[@]}" \
  --rates "$rates" --predicted "$out/predicted.json" --output "$out/sweep.json" \
  --html "$out/sweep.html" --work-dir "$out/sweep" > "$out/sweep.txt" \
  -- "${serve[@]}" --latency-profile "$profile" --instance-memory "$memory_mib" "${slo[@]}" \
  --step-log "$out/sweep/steps-{policy}.csv"

echo "demo: calibrating the latencies by what the servers' steps cost under load"
"$bin/aegaeon" latency --calibrate "$out/sweep/steps-aegaeon.csv" \
  --calibrate "$out/sweep/steps-request-level.csv" --profile "$profile" \
  --output "$out/calibrated-profile.json"
experiment "$out/calibrated-profile.json" "$out/experiment-calibrated.json"
"$bin/aegaeon" sim sweep --experiment "$out/experiment-calibrated.json" \
  --output "$out/calibrated.csv" --points "$out/calibrated.json" >/dev/null

echo
echo "demo: Aegaeon (token-level) vs request-level auto-scaling on this machine:"
"$bin/aegaeon" bench sweep --render "$out/sweep.json" --predicted "$out/predicted.json" \
  --predicted "calibrated=$out/calibrated.json" --output "$out/sweep.json" \
  --html "$out/sweep.html"
echo "demo: the page is $out/sweep.html (each point's full result in $out/sweep/)"
