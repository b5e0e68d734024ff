// What `aegaeon bench` sends and when: requests from a trace file (servegen JSONL/CSV, Mooncake
// JSONL, anything servegen's trace reader takes) or generated from a servegen preset, each with
// its send time (trace time divided by the time scale, or Poisson arrivals at a fixed rate), its
// input and output lengths (clipped to the target model's context) and the model it goes to: the
// trace's clients are spread over the benchmarked models (client k to model k mod M; a trace
// without client ids spreads its requests round-robin). A trace's conversations (session_id,
// turn, think_time_ms) are kept: with closed-loop conversations (the default) a later turn's
// time is not fixed here but when the runner sees the previous turn's reply end, plus the think
// time (divided by the speed). Each request keeps its SLO class's targets.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/slo.h"
#include "core/status.h"

namespace llms::bench {

struct BenchItem {
  double at_s = 0;  // send time, seconds after the start
  int model = 0;    // index into the benchmarked models
  uint32_t client = 0;
  int input_tokens = 1;
  int output_tokens = 1;
  // Conversation: `next` the index of the session's next turn (-1: none); a later turn has
  // `prev` >= 0 and is sent `think_s` after the previous turn's reply ended (closed loop).
  int64_t prev = -1, next = -1;
  int turn = 0;
  double think_s = 0;
  int slo_class = -1;  // index into LoadedWorkload::slo_classes
};

struct LoadedWorkload {
  std::vector<BenchItem> items;
  std::vector<SloClassTargets> slo_classes;
  bool closed_loop_sessions = false;  // some item waits for its previous turn
};

struct WorkloadOptions {
  std::string trace;       // a trace file; empty: generate from `preset`
  std::string preset;      // a servegen preset (language, reason, multimodal, ...)
  double duration_s = 60;  // preset: span to generate
  double preset_rate = 2;  // preset: requests per second in all
  uint64_t seed = 0;
  double time_scale = 1;  // the speed: trace time / time_scale = send time
  // Conversations: true (default) sends a later turn think_s / time_scale after the previous
  // turn's reply ends; false sends every request at its trace time.
  bool closed_loop_sessions = true;
  std::optional<double> fixed_rate;  // Poisson arrivals at this rate instead of the trace's times
  int64_t limit = 0;                 // keep the first N requests (0: all)
  int num_models = 1;
  std::vector<int> context;   // per model: its context length (0: unknown, no clipping)
  int max_input_tokens = 0;   // clip inputs (0: no clip besides the context)
  int max_output_tokens = 0;  // clip outputs
};

Result<LoadedWorkload> LoadBenchWorkload(const WorkloadOptions& options);

}  // namespace llms::bench
