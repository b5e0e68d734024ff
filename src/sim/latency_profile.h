// Measured step latencies of LLMs on GPUs, in the layout of the Aegaeon artifact's latency.csv
// (../shared/data/aegaeon-profiles/README.md): one row per profiling run of `batch_size`
// requests of `input_len` tokens on one (model, GPU), with the mean prefill latency and the mean
// decode-step latency. The loader validates every field and reports file:line on bad input.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace llms::sim {

struct ProfileRow {
  std::string model, gpu;
  int input_len = 0;   // prompt length of each request (prefill) / context length (decode)
  int batch_size = 0;  // requests in the batch
  double prefill_s = 0.0;
  double decode_step_s = 0.0;
};

Result<std::vector<ProfileRow>> LoadLatencyProfiles(const std::string& path);

}  // namespace llms::sim
