// `aegaeon run`: load a model and generate text for one prompt, streaming it to stdout
// (statistics to stderr).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace llms::aegaeon::cli {

void RegisterRun(CLI::App& root, std::function<int()>& action);

}  // namespace llms::aegaeon::cli
