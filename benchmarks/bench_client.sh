#!/usr/bin/env bash
# The benchmark client's own precision (issue 5's targets: at 1,000 requests/s, send lag p99
# <= 1 ms; 5,000 concurrent open streams without errors). `aegaeon bench` replays Poisson
# arrivals at 1,000 requests/s against sse_endpoint, a fake OpenAI endpoint that streams each
# request's tokens 300 ms apart (up to 20 tokens: a stream stays open up to 6 s, so over 5,000 are open
# at once) and does no model work, so the figures are the client's.
# Usage: benchmarks/bench_client.sh [REQUESTS=10000] [RATE=1000]   (after a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-10000}
rate=${2:-1000}
out=build/bench-client
mkdir -p "$out"
rm -f "$out/port"
build/bin/sse_endpoint --port-file "$out/port" --interval-ms 300 &
endpoint=$!
trap 'kill $endpoint 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -s "$out/port" ] && break; sleep 0.05; done
build/bin/aegaeon bench --endpoint "http://127.0.0.1:$(cat "$out/port")" --preset language \
  --duration 3600 --preset-rate 5 --rate "$rate" --limit "$requests" --max-output 20 \
  --output "$out/result.json" -q
grep -E '"(completed|failed|max_concurrent_requests|connections_opened|duration_s)"' "$out/result.json"
sed -n '/"send_lag_s"/,/}/p' "$out/result.json"
