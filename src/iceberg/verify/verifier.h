// `iceberg verify`: an engine's own code executed symbolically on the concrete zone with the
// query unknown, every path compared with the specification (docs/iceberg.md, "Verification").
//
// The query names covered are the *label structures* of the scope: up to max_labels labels, the
// length of each drawn from the lengths the zone's names have at that depth and one length no
// zone label there has; every byte of every label is symbolic (any of the 256 values), and so is
// the query type (every value but the excluded ones, ExcludedTypes()). For each structure the
// executor returns every path Knot's code takes; on each path the answer is proved to be a
// template (each byte constant, or a copy of one query byte), the path is split into cells on
// which the specification's answer cannot change (each label equal, ignoring ASCII case, to each
// zone label of its length or not; the query type equal to each type the specification tells
// apart or not), and each cell is compared with the specification at two queries whose free bytes
// all differ. A difference is a counterexample: a concrete query, confirmed by the native build
// of the same tree and, for Debian's tree, by the live knotd.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "dns/message.h"
#include "dns/zone_parser.h"
#include "iceberg/spec.h"

namespace llms::iceberg {

struct VerifyOptions {
  std::string engine = "knot";
  std::string source;     // the engine's source tree; empty: Debian's source package
  std::string zone_file;  // the zone as a file (the native build and the live engine read it)
  int max_labels = 4;     // query names of at most this many labels
  Profile profile;        // the engine's (EngineProfile)
  unsigned solver_timeout_ms = 10000;
  size_t max_counterexamples = 10;  // reported in full (all are counted)
  bool live = true;  // confirm counterexamples on the live engine (Debian's tree only)
  size_t jobs = 1;   // workers (threads, each with its own executor and zone load)
  std::function<void(const std::string&)> progress;  // one line per label structure
};

// A query type left out of the claim, and why.
struct ExcludedType {
  uint16_t type;
  const char* name;
  const char* reason;
};
const std::vector<ExcludedType>& ExcludedTypes();

struct Counterexample {
  dns::Question question;
  std::vector<uint8_t> query;    // the query's wire bytes
  std::vector<uint8_t> derived;  // the engine's answer as its code gives it (the path's template)
  std::string engine_text;       // dig-like text of `derived`
  std::string spec_text;         // the specification's answer
  std::vector<SpecRule> rules;
  std::vector<std::string> fields;  // the differing fields
  bool native_confirms = false;     // the native build of the same tree answers `derived`
  std::string native_text;
  std::string live;  // the live engine's verdict ("" when not asked)
  bool live_confirms = false;
};

struct VerifyStats {
  size_t structures = 0, jobs = 0, paths = 0, cells = 0, points = 0;
  int64_t forks = 0, instructions = 0, solver_calls = 0, witness_hits = 0;
  double solver_seconds = 0;
  int64_t summaries_built = 0, summaries_applied = 0, summaries_reused = 0, specialisations = 0,
          inlined_calls = 0;
  size_t compare_solver_calls = 0;  // the per-path proofs and cells
  double compare_seconds = 0;       // time comparing paths with the specification, all workers
  double load_seconds = 0, seconds = 0;
  int64_t peak_rss_bytes = 0;
};

struct VerifyReport {
  std::string engine, source, zone, scope;
  size_t stub_rules = 0;
  std::string stubs_file;
  enum class Verdict { kProven, kCounterexamples, kUndecided } verdict = Verdict::kProven;
  std::vector<Counterexample> counterexamples;
  size_t counterexample_cells = 0;     // cells with a difference (counterexamples lists the first)
  std::vector<std::string> undecided;  // what could not be decided, the first few
  size_t undecided_count = 0;
  VerifyStats stats;
};

// The label lengths per depth (index 0: the label under the root) the scope covers.
std::vector<std::vector<size_t>> LabelLengths(const dns::Zone& zone, int max_labels);

Result<VerifyReport> Verify(const dns::Zone& zone, const VerifyOptions& options);

std::string VerifyReportToText(const VerifyReport& report);
std::string VerifyReportToJson(const VerifyReport& report);

}  // namespace llms::iceberg
