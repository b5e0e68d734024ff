#!/usr/bin/env bash
# The test command: installs dependencies, builds the sanitizer configuration (ASan + UBSan) and
# the release binaries, runs every test through CTest, then fuzzes the GGUF reader, the OpenAI
# request parser, the DNS wire decoder and the zone-file parser (scripts/fuzz.sh, a minute in all).
# Exit status 0 only if all tests pass and the fuzzers find nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# setup.sh installed the DNS engines: a test that finds one missing fails rather than skips.
export LLMS_REQUIRE_ENGINES=1
cmake --preset asan >/dev/null
cmake --build --preset asan
ctest --preset asan
# The release build is what users run (build/bin); its integration tests exercise the exact
# acceptance commands at full speed.
cmake --preset release >/dev/null
cmake --build --preset release
ctest --preset release -L integration
# Bounded libFuzzer runs (the GGUF reader, the OpenAI request parser, the DNS wire decoder and
# zone-file parser).
bash scripts/fuzz.sh 60
