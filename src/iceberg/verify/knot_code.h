// Knot DNS's own code for verification: the bitcode module and native build of Knot's answering
// code with iceberg's harness (src/iceberg/knot/harness.c, built by scripts/knot_bitcode.sh from
// Debian's source or a user's tree), its per-engine stub rules (src/iceberg/knot/knot.stubs), the
// zone loaded by Knot's own loader inside a symbolic executor, and the native build's answers
// to concrete queries (to confirm what the executor derived).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "symex/executor.h"
#include "symex/stubs.h"

namespace llms::iceberg {

struct KnotCode {
  std::string source;   // the tree built ("" for Debian's source package)
  std::string bitcode;  // knot.bc
  std::string native;   // knot_native, the same code built natively
  std::string stubs_file;
  symex::Stubs stubs;
  size_t stub_rules = 0;
};

// Builds (or finds in the cache) Knot's bitcode and native build from `source`, or from
// Debian's source package when empty. An error says what failed, with the script's output.
Result<KnotCode> BuildKnotCode(const std::string& source = "");

// Runs Knot's zone loader on `zone_text` inside `ex` (concretely; nothing in it is symbolic)
// and returns the one path it takes: its memory is where every query run starts. An error when
// Knot refuses the zone or the load does not end in one returned path.
Result<symex::PathResult> LoadZoneInExecutor(symex::Executor& ex, const std::string& zone_text,
                                             const std::string& origin);

// The native build's answers to `queries` (each an empty vector where Knot sends nothing), with
// the zone loaded from `zone_file` by the same loader.
Result<std::vector<std::vector<uint8_t>>> NativeAnswers(
    const KnotCode& code, const std::string& zone_file, const std::string& origin,
    const std::vector<std::vector<uint8_t>>& queries);

// The executor entry points of the harness.
inline constexpr const char* kKnotLoad = "iceberg_knot_load";
inline constexpr const char* kKnotAnswer = "iceberg_knot_answer";
// The harness answers into a buffer of this size (a UDP answer without EDNS, RFC 1035 §4.2.1).
inline constexpr size_t kKnotAnswerBuffer = 512;

}  // namespace llms::iceberg
