// Options the subcommands that start a real engine share (`check`, `serve`): --engine, checked
// against the engines iceberg knows, and the default working directory.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace llms::iceberg::cli {

// Adds the required --engine option (one of EngineNames()).
void AddEngineOption(CLI::App* app, std::string* engine);

// A new working directory under the system's temporary directory, named after the command and
// the engine ("iceberg-serve-nsd-1234").
std::string TempWorkdir(const std::string& command, const std::string& engine);

}  // namespace llms::iceberg::cli
