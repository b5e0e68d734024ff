// `aegaeon sim`: simulate Aegaeon's scheduler and the baselines on a described cluster (`run`:
// one point with JSON and HTML output; `sweep`: a CSV row per point of the experiment's sweep).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace llms::aegaeon::cli {

void RegisterSim(CLI::App& root, std::function<int()>& action);

}  // namespace llms::aegaeon::cli
