#!/usr/bin/env bash
# The cluster on one machine: a Redis server, three `aegaeon serve --cluster` nodes and two
# `aegaeon proxy` processes on loopback, with generated models (each node serves two of three
# models, so every model lives on two nodes). Replays a servegen workload through both proxies at
# once (`aegaeon bench`, half the rate each), kills one node (SIGKILL) half way, and prints what
# the clients saw (completed and failed requests: every request ends one way or the other) and
# what the proxies counted (requests per node, re-routes, node losses).
#
# Usage: scripts/cluster-demo.sh [--duration S] [--rate R]
#   --duration  seconds of the `language` preset to replay (default 30)
#   --rate      requests per second in all (default 1.5)
# Needs redis-server (scripts/setup.sh installs it) and the release build (build/bin). The models,
# the processes' logs and the bench reports stay in build/cluster-demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bin
out=build/cluster-demo
duration=30
rate=1.5
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    -h|--help) sed -n 2,13p "$0"; exit 0 ;;
    *) echo "cluster-demo: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
command -v redis-server >/dev/null || { echo "cluster-demo: redis-server is missing (scripts/setup.sh)" >&2; exit 1; }
mkdir -p "$out"
pids=()
cleanup() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

for m in a b c; do
  if [ ! -f "$out/$m.gguf" ]; then
    echo "cluster-demo: generating model $m (random weights, a small Qwen2 shape)"
    "$bin/aegaeon" model dummy --preset qwen2-0.5b --dim 256 --hidden-dim 768 --layers 4 --heads 4 \
      --kv-heads 2 --vocab 2048 --context 1024 --type q8_0 --seed "$(printf %d "'$m")" \
      --name "$m" --output "$out/$m.gguf" >/dev/null
  fi
done

port() {  # waits for a port file, prints the port
  for _ in $(seq 1 300); do [ -s "$1" ] && { cat "$1"; return; }; sleep 0.1; done
  echo "cluster-demo: $2 did not start; its log:" >&2; cat "$3" >&2; exit 1
}
redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no > "$out/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
cluster=redis://127.0.0.1:$redis_port
echo "cluster-demo: Redis on $cluster"

declare -A node_pid=()
for spec in "n1:a:b" "n2:b:c" "n3:c:a"; do
  IFS=: read -r name m1 m2 <<< "$spec"
  rm -f "$out/$name.port"
  "$bin/aegaeon" serve --port 0 --port-file "$out/$name.port" --model "$m1=$out/$m1.gguf" \
    --model "$m2=$out/$m2.gguf" --cluster "$cluster" --node "$name" --lease 2 \
    2> "$out/$name.log" &
  node_pid[$name]=$!
  pids+=($!)
done
for name in n1 n2 n3; do
  echo "cluster-demo: node $name on port $(port "$out/$name.port" "node $name" "$out/$name.log")"
done
proxy_ports=()
for name in p1 p2; do
  rm -f "$out/$name.port"
  "$bin/aegaeon" proxy --cluster "$cluster" --port 0 --port-file "$out/$name.port" --name "$name" \
    --lease 2 2> "$out/$name.log" &
  pids+=($!)
  proxy_ports+=("$(port "$out/$name.port" "proxy $name" "$out/$name.log")")
done
echo "cluster-demo: proxies on ports ${proxy_ports[*]}; models: $(curl -s "http://127.0.0.1:${proxy_ports[0]}/v1/models" | jq -r '[.data[].id] | join(", ")')"

half=$(awk -v r="$rate" 'BEGIN { printf "%.3f", r / 2 }')
echo "cluster-demo: replaying ${duration}s of the 'language' preset at $rate req/s through both proxies"
bench_pids=()
for i in 0 1; do
  "$bin/aegaeon" bench --endpoint "http://127.0.0.1:${proxy_ports[i]}" --preset language \
    --duration "$duration" --preset-rate "$half" --seed "$((i + 1))" --max-input 128 --max-output 64 \
    --label "via p$((i + 1))" --output "$out/bench-p$((i + 1)).json" --html "$out/bench-p$((i + 1)).html" \
    > "$out/bench-p$((i + 1)).txt" 2>&1 &
  bench_pids+=($!)
done
sleep "$(awk -v d="$duration" 'BEGIN { print d / 2 }')"
echo "cluster-demo: killing node n2 (SIGKILL) half way"
kill -KILL "${node_pid[n2]}"
{ wait "${node_pid[n2]}"; } 2>/dev/null || true
for p in "${bench_pids[@]}"; do wait "$p"; done

echo
echo "cluster-demo: what the clients saw"
for i in 1 2; do
  jq -r --arg p "p$i" '"  via \($p): \(.requests) sent, \(.completed) completed, \(.failed) failed explicitly" +
     (if .errors then ", errors: \(.errors | tostring)" else "" end)' "$out/bench-p$i.json"
done
echo "cluster-demo: what the proxies counted"
for i in 0 1; do
  echo "  p$((i + 1)):"
  curl -s "http://127.0.0.1:${proxy_ports[i]}/metrics" |
    grep -E '^aegaeon_proxy_(requests_total|reroutes_total|node_losses_total|failed_total|nodes)[{ ]' |
    sed 's/^/    /'
done
echo "cluster-demo: logs and reports in $out/"
