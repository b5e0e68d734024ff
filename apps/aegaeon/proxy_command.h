// `aegaeon proxy`: the cluster's stateless OpenAI-compatible front door (cluster/proxy.h).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace llms::aegaeon::cli {

void RegisterProxy(CLI::App& root, std::function<int()>& action);

}  // namespace llms::aegaeon::cli
