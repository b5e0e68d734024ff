#!/usr/bin/env bash
# The precision of `aegaeon bench`'s closed-loop conversation replay (issue: send lag p99 <= 1 ms
# at 1,000 concurrent conversations). 1,000 conversations of 10 turns start within the first
# second; each turn asks for 5 tokens from sse_endpoint, a fake OpenAI endpoint that streams them
# 100 ms apart (a 0.5 s reply, no model work), and the next turn follows its think time (200 ms)
# after the reply ends. The lag is the actual send time minus the scheduled one (reply end plus
# think time for a later turn), over the later turns alone and over all requests.
# Usage: benchmarks/closed_loop_lag.sh [CONVERSATIONS=1000] [TURNS=10]   (after a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
conversations=${1:-1000}
turns=${2:-10}
out=build/closed-loop-lag
mkdir -p "$out"
rm -f "$out/port"
python3 - "$conversations" "$turns" > "$out/trace.jsonl" <<'PY'
import sys
n, turns = int(sys.argv[1]), int(sys.argv[2])
rows = []
for s in range(n):
    start = s * 1000.0 / n  # ms: all conversations open within the first second
    for t in range(turns):
        row = {"timestamp": start + t * 700.0, "client_id": "c%d" % (s % 8), "input_length": 20 + 10 * t,
               "output_length": 5, "session_id": s, "turn": t}
        if t:
            row["think_time_ms"] = 200.0
        rows.append(row)
rows.sort(key=lambda r: r["timestamp"])
import json
for r in rows:
    print(json.dumps(r))
PY
build/bin/sse_endpoint --port-file "$out/port" --interval-ms 100 &
endpoint=$!
trap 'kill $endpoint 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -s "$out/port" ] && break; sleep 0.05; done
build/bin/aegaeon bench --endpoint "http://127.0.0.1:$(cat "$out/port")" --workload "$out/trace.jsonl" \
  --save-requests --output "$out/result.json" -q
python3 - "$out/result.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
reqs = r["per_request"]
def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")
later = [(q["sent_s"] - q["scheduled_s"]) * 1e3 for q in reqs if q.get("turn", 0) > 0 and q["sent_s"] >= 0]
every = [(q["sent_s"] - q["scheduled_s"]) * 1e3 for q in reqs if q["sent_s"] >= 0]
print("mode:", r["mode"])
print("requests %d, completed %d, failed %d, most open at once %d" % (r["requests"], r["completed"], r["failed"], r["max_concurrent_requests"]))
print("send lag, later turns (n=%d): p50 %.3f ms, p99 %.3f ms, max %.3f ms" % (len(later), pct(later, .5), pct(later, .99), max(later)))
print("send lag, all requests (n=%d): p50 %.3f ms, p99 %.3f ms" % (len(every), pct(every, .5), pct(every, .99)))
PY
