// Measuring the CPU engine as an instance runs a model, for the scheduler's planning and the
// simulator (serving/latency_fit.h): prefill batches and decode steps over a grid of batch sizes
// and lengths (each the median of a few runs) fitted by least squares, the copy of the model's
// weights into an instance's arena (a switch's load), and the copy of KV blocks to and from host
// memory. `aegaeon latency --measure` writes the result as a latency profile, which `aegaeon
// serve --latency-profile` plans with and `aegaeon sim` (cluster.latency_profile) charges.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "executor/cpu_executor.h"
#include "serving/latency_fit.h"

namespace llms::executor {

struct MeasureOptions {
  std::vector<int> lengths = {8, 32, 64, 128};  // prompt tokens per request; decode contexts
  // Requests per prefill batch / decode step: up to the batches a loaded server decodes.
  std::vector<int> batches = {1, 2, 4, 8, 16, 32, 64};
  int max_prefill_tokens = 512;  // prefill batches larger than this are not run (too slow on CPUs)
  int threads = 1;               // compute threads, as --threads of aegaeon serve
  int repeats = 3;               // each figure is the median of this many runs
  std::string device = "cpu";
};

// Calls `progress(done, total)` after each measured point.
Result<serving::ModelLatency> MeasureCpuModel(
    const CpuModel& model, const MeasureOptions& options,
    const std::function<void(int, int)>& progress = nullptr);

}  // namespace llms::executor
