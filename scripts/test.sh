#!/usr/bin/env bash
# The test command: installs dependencies, builds the sanitizer configuration (ASan + UBSan) and
# the release binaries, runs every test through CTest, runs the server's load and fault tests, the
# cluster's fault tests and the scheduler's threaded tests once more on a ThreadSanitizer build,
# then fuzzes the GGUF reader,
# the OpenAI request parser, the DNS wire decoder and the zone-file parser (scripts/fuzz.sh, a
# minute in all).
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
# The seeded-bug verifications add nothing the other verify tests do not run under the
# sanitizers (they differ in Knot's tree, not in iceberg's code): release only, to save time.
ctest --preset asan -E 'VerifySeededBug'
# The server under load on a ThreadSanitizer build (only what those tests need is built): a data
# race in the server, the proxy, the driver or the executors fails them.
cmake --preset tsan >/dev/null
cmake --build --preset tsan
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
for t in serving_tests cpu_serving_tests serve_load_test cluster_test; do
  echo "tsan: $t"
  build-tsan/tests/$t --gtest_brief=1
done
unset TSAN_OPTIONS
# The release build is what users run (build/bin); its integration tests exercise the exact
# acceptance commands at full speed.
cmake --preset release >/dev/null
cmake --build --preset release
ctest --preset release -L integration
# Bounded libFuzzer runs (the GGUF reader, the OpenAI request parser, the DNS wire decoder and
# zone-file parser).
bash scripts/fuzz.sh 60
