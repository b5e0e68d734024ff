// The servegen subcommands: each registers its options on the CLI11 app and, when selected, sets
// `action` to the function main() runs. Fail() prints a user-facing error and returns exit code 1.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace llms::servegen::cli {

void RegisterGenerate(CLI::App& root, std::function<int()>& action);
void RegisterFit(CLI::App& root, std::function<int()>& action);
void RegisterReport(CLI::App& root, std::function<int()>& action);
void RegisterInspect(CLI::App& root, std::function<int()>& action);

int Fail(const std::string& message);

}  // namespace llms::servegen::cli
