#!/usr/bin/env bash
# Installs everything the project needs to build, test and run, from Debian's packages only.
# Idempotent; run as root (or with sudo) on Debian 12. Used by the README's commands and by CI.
set -euo pipefail
packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev nlohmann-json3-dev libfmt-dev libspdlog-dev libicu-dev
  jq   # the demo reads the measured latency profile
  libboost-dev libyaml-cpp-dev   # HTTP (Beast/Asio) for serve and bench; serve's config file
  redis-server libhiredis-dev redis-tools   # the cluster's coordination (aegaeon serve --cluster, proxy)
  prometheus   # promtool, which checks the server's /metrics in the tests
  clang-format clang-tidy
  clang libclang-rt-dev   # libFuzzer for the parsers' fuzz runs (scripts/fuzz.sh)
  llvm-15-dev clang-15 libz3-dev   # symex: LLVM IR through LLVM's C++ API, Z3; clang-15 compiles C to IR in its tests
  libgnutls28-dev liburcu-dev liblmdb-dev   # Knot's configure, for its code as bitcode (scripts/knot_bitcode.sh)
  patch   # iceberg verify's seeded-bug tests patch copies of Knot's source
  chromium   # headless rendering check of the HTML reports
  nsd knot bind9 pdns-server pdns-backend-bind gdnsd yadifa dnsutils  # the DNS engines iceberg checks; dig
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  # The DNS engines' packages would start system-wide daemons: forbid that while installing (the
  # tests start their own on free ports), unless the machine already has a policy.
  guard=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    guard=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  [ -z "$guard" ] || $SUDO rm -f /usr/sbin/policy-rc.d
else
  echo "setup: all packages present"
fi

# Node.js runs the official `openai` npm package against the server in the tests; Debian's
# nodejs is enough (the package needs Node 18+). A machine that already has node keeps it.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "setup: installing nodejs npm"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends nodejs npm
fi
client="$(dirname "$0")/../tests/openai_client"
if [ ! -d "$client/node_modules/openai" ]; then
  echo "setup: npm ci in tests/openai_client (the openai package, pinned by package-lock.json)"
  (cd "$client" && npm ci --no-audit --no-fund --loglevel=error)
fi
# llama.cpp's prebuilt CPU libraries (inside node-llama-cpp, pinned by package-lock.json) are the
# engine's outside reference (tests/llama_cpp_reference_test.cc, benchmarks/llama_cpp_compare.sh).
# Only the linux-x64 CPU build is installed (no GPU builds, no install scripts: nothing is
# downloaded at run time).
ref="$(dirname "$0")/../tests/llama_cpp"
if [ ! -d "$ref/node_modules/@node-llama-cpp/linux-x64" ]; then
  echo "setup: npm ci in tests/llama_cpp (node-llama-cpp's llama.cpp, pinned by package-lock.json)"
  (cd "$ref" && npm ci --no-audit --no-fund --omit=optional --ignore-scripts --loglevel=error)
fi
# The code iceberg's symbolic executor runs: Knot DNS's Debian source package, the installed
# engine's version, into a cache (~/.cache/llmserving/sources; a private deb-src list, the
# machine's apt sources untouched). tests/knot_code_test.cc compiles parts of it to LLVM IR.
"$(dirname "$0")/engine_source.sh" knot >/dev/null ||
  echo "setup: could not fetch the knot source package (tests/knot_code_test.cc will say so)" >&2
