#!/usr/bin/env bash
# The issue's whole job, timed as a process: load m-large + generate 1 h at 100 req/s + write JSONL.
# Prints the median wall time and peak RSS over several runs. With REFERENCE_DIR pointing at a
# checkout of the reference Python ServeGen (github.com/alibaba/ServeGen, with numpy and scipy
# installed: apt-get install python3-numpy python3-scipy), the same job is run with it in the same
# session and the ratios are printed; otherwise the issue's figures for it on this machine kind are
# shown (28.6 s wall, 547 MB).
# Usage: [REFERENCE_DIR=...] bash benchmarks/servegen_end_to_end.sh [BIN_DIR] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/bin}
runs=${2:-7}
data=$(cd ../shared/data/servegen/language/m-large 2>/dev/null && pwd) || { echo "needs ../shared/data/servegen"; exit 1; }
out=$(mktemp)
trap 'rm -rf "$out" "$out.t" "$out.ref"' EXIT
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

walls=(); rss=()
"$bin/servegen" generate --data "$data" --duration 3600 --rate 100 --seed 1 --output "$out" -q  # warm the page cache
for i in $(seq "$runs"); do
  /usr/bin/time -f "%e %M" -o "$out.t" "$bin/servegen" generate --data "$data" --duration 3600 --rate 100 \
    --seed 1 --output "$out" -q
  read -r w m < "$out.t"
  walls+=("$w"); rss+=("$m")
done
w=$(median "${walls[@]}"); m=$(median "${rss[@]}")
echo "servegen: $(wc -l < "$out") requests; median wall ${w} s, median peak RSS $((m / 1024)) MB over $runs runs"

ref_w=28.6; ref_m=$((547 * 1024)); ref_src="the issue's figures for this machine kind"
if [ -n "${REFERENCE_DIR:-}" ]; then
  # The reference reads data/<category>/<model> relative to its working directory.
  mkdir -p "$out.ref/data/language"
  ln -s "$data" "$out.ref/data/language/m-large"
  cat > "$out.ref/job.py" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[1])
from servegen import Category, ClientPool, generate_workload
from servegen.utils import get_constant_rate_fn
pool = ClientPool(Category.LANGUAGE, "m-large")
rate = get_constant_rate_fn(pool.span(0, 3600), 100.0)
reqs = generate_workload(pool, rate, 3600, seed=1)
with open(sys.argv[2], "w") as f:
    for r in reqs:
        f.write(json.dumps({"timestamp": float(r.timestamp) * 1000,
                            "input_length": int(r.data["input_tokens"]),
                            "output_length": int(r.data["output_tokens"])}) + "\n")
print(len(reqs))
PY
  (cd "$out.ref" && /usr/bin/time -f "%e %M" -o "$out.t" /usr/bin/python3 job.py "$REFERENCE_DIR" "$out.ref/out.jsonl" >/dev/null)
  read -r ref_w ref_m < "$out.t"
  ref_src="measured now from $REFERENCE_DIR ($(wc -l < "$out.ref/out.jsonl") requests)"
fi
awk -v w="$w" -v m="$m" -v rw="$ref_w" -v rm="$ref_m" -v src="$ref_src" 'BEGIN {
  printf "reference ServeGen (%s): %.1f s wall, %d MB\n", src, rw, rm / 1024
  printf "ratio: %.0fx faster, %.1fx less memory\n", rw / w, rm / m
  printf "targets: <= 0.3 s wall: %s; <= 100 MB: %s\n", (w <= 0.3 ? "met" : "NOT met"), (m <= 100 * 1024 ? "met" : "NOT met") }'

# The same job with conversations (the documented assumption, as ServeGen's data has none) and
# hash_ids; then memory over 1 h and 24 h of it written to /dev/null: conversations must add
# nothing that grows with the trace.
walls=(); rss=()
for i in $(seq "$runs"); do
  /usr/bin/time -f "%e %M" -o "$out.t" "$bin/servegen" generate --data "$data" --duration 3600 --rate 100 \
    --seed 1 --conversations assumed --output "$out" -q
  read -r w2 m2 < "$out.t"
  walls+=("$w2"); rss+=("$m2")
done
echo "with conversations and hash_ids: $(wc -l < "$out") requests, $(grep -c '"turn":[1-9]' "$out") later turns;" \
  "median wall $(median "${walls[@]}") s, median peak RSS $(( $(median "${rss[@]}") / 1024 )) MB over $runs runs"
# (Loading more hours parses more length windows, so compare with conversations off at each span.)
for hours in 1 24; do
  for conv in off assumed; do
    /usr/bin/time -f "%e %M" -o "$out.t" "$bin/servegen" generate --data "$data" \
      --duration $((hours * 3600)) --rate 100 --seed 1 --conversations "$conv" --output /dev/null -q
    read -r w3 m3 < "$out.t"
    echo "  ${hours} h at 100 req/s, conversations ${conv}, to /dev/null: ${w3} s, peak RSS $((m3 / 1024)) MB"
  done
done
