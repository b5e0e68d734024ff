// `aegaeon bench`: replay a workload against any OpenAI-compatible endpoint and report latency,
// SLO attainment and goodput.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace llms::aegaeon::cli {

void RegisterBench(CLI::App& root, std::function<int()>& action);
// `aegaeon bench sweep` (bench_sweep_command.cc), a subcommand of `bench`.
void RegisterBenchSweep(CLI::App& bench, std::function<int()>& action);

}  // namespace llms::aegaeon::cli
