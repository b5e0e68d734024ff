#!/usr/bin/env bash
# Fuzzes the GGUF reader (src/engine/gguf_fuzz.cc), the OpenAI request parser
# (src/server/openai_protocol_fuzz.cc, for half the time), and the DNS wire decoder and zone-file
# parser (src/dns/*_fuzz.cc, a third of the time each) with libFuzzer + ASan/UBSan.
# Usage: scripts/fuzz.sh [SECONDS=60] [BUILD_BIN=build/bin]
# Seeds are small valid GGUF files written by `aegaeon model` (so the release build must exist);
# crashes are left in build-fuzz/ as crash-* files and fail the script.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
bin=${2:-build/bin}
out=build-fuzz
mkdir -p "$out/corpus"
sources=(src/engine/gguf_fuzz.cc src/engine/gguf.cc src/engine/gguf_loader.cc src/engine/ggml_types.cc src/engine/kquants.cc
         src/engine/sentencepiece_tokenizer.cc src/engine/gpt2_tokenizer.cc src/engine/tokenizer.cc
         src/core/mapped_file.cc src/core/text.cc)
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
api_sources=(src/server/openai_protocol_fuzz.cc src/server/openai_protocol.cc src/server/chat_template.cc
             src/engine/text_stream.cc src/engine/tokenizer.cc src/core/text.cc)
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
cd ..

# The DNS wire decoder and the zone-file parser, each seeded with a valid input.
build_fuzzer() {  # NAME SOURCES...
  local name=$1
  shift
  if [ ! -x "$out/$name" ] || [ -n "$(find "$@" src/dns/*.h -newer "$out/$name")" ]; then
    echo "fuzz: building $out/$name"
    clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
      -Isrc "$@" -o "$out/$name" -lfmt
  fi
}
build_fuzzer wire_fuzz src/dns/wire_fuzz.cc src/dns/wire.cc src/dns/name.cc src/dns/record.cc
build_fuzzer zone_fuzz src/dns/zone_parser_fuzz.cc src/dns/zone_parser.cc src/dns/name.cc \
  src/dns/record.cc src/dns/wire.cc
mkdir -p "$out/wire_corpus" "$out/zone_corpus"
# A response: www.example.com. CNAME web.example.com. (compressed), web A 192.0.2.1, and an OPT.
printf '%b' '\x12\x34\x85\x00\x00\x01\x00\x02\x00\x00\x00\x01\x03www\x07example\x03com\x00\x00\x01\x00\x01\xc0\x0c\x00\x05\x00\x01\x00\x00\x01\x2c\x00\x06\x03web\xc0\x10\xc0\x2d\x00\x01\x00\x01\x00\x00\x01\x2c\x00\x04\xc0\x00\x02\x01\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00' > "$out/wire_corpus/response.bin"
cat > "$out/zone_corpus/seed.zone" <<'ZONE'
$ORIGIN example.
$TTL 1h
@        IN SOA ns1 admin ( 1 3600 600 86400 300 ) ; comment
         NS   ns1
         MX   10 mail
ns1      A    192.0.2.1
mail     AAAA 2001:db8::25
*        TXT  "wild" "card\"s"
sub      NS   ns.sub
ns.sub   A    192.0.2.53
d        DNAME example.net.
_s._tcp  SRV  0 5 80 www
x        CNAME www
www      300 IN A 192.0.2.80
t        TYPE65280 \# 2 abcd
ZONE
third=$((seconds / 3))
for f in wire_fuzz:wire_corpus zone_fuzz:zone_corpus; do
  echo "fuzz: running ${f%%:*} for ${third}s"
  (cd "$out" && "./${f%%:*}" -max_total_time="$third" -max_len=65535 -timeout=10 \
    -print_final_stats=1 "${f##*:}" 2>&1 | tail -n 6)
done
