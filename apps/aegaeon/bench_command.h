// `aegaeon bench`: replay a workload against any OpenAI-compatible endpoint and report latency,
// SLO attainment and goodput.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace llms::aegaeon::cli {

void RegisterBench(CLI::App& root, std::function<int()>& action);

}  // namespace llms::aegaeon::cli
