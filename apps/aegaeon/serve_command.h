// `aegaeon serve`: the OpenAI-compatible multi-model server on the CPU engine.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace llms::aegaeon::cli {

void RegisterServe(CLI::App& root, std::function<int()>& action);

}  // namespace llms::aegaeon::cli
