// `aegaeon model convert|quantize|dummy|info`: the tools around model files.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace llms::aegaeon::cli {

void RegisterModel(CLI::App& root, std::function<int()>& action);

}  // namespace llms::aegaeon::cli
