// `aegaeon latency`: fit the simulator's latency models to measured profiles and report each fit.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace llms::aegaeon::cli {

void RegisterLatency(CLI::App& root, std::function<int()>& action);

}  // namespace llms::aegaeon::cli
