// Measured step latencies of LLMs on GPUs, in the layout of the Aegaeon artifact's latency.csv
// (../shared/data/aegaeon-profiles/README.md): one row per profiling run of `batch_size`
// requests of `input_len` tokens on one (model, GPU), with the mean prefill latency and the mean
// decode-step latency. The loader validates every field and reports file:line on bad input.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "serving/latency_fit.h"

namespace llms::sim {

using serving::ProfileRow;

Result<std::vector<ProfileRow>> LoadLatencyProfiles(const std::string& path);

}  // namespace llms::sim
