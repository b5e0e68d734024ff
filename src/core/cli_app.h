// The common driver of the project's command-line tools: one CLI11 app with one subcommand per
// job, a shared -v flag, CLI11's own error and help output, logging set up, then the chosen
// subcommand's action run and its exit status returned.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace llms {

// A subcommand stores the work to do once parsing has succeeded here.
using CliAction = std::function<int()>;
// Adds one subcommand (with its options) to the app.
using CliRegistrar = std::function<void(CLI::App&, CliAction&)>;

// Prints "<tool>: error: <message>" to stderr and returns the failing exit status (1).
int CliError(const char* tool, const std::string& message);

// Raises the open-file limit to its hard limit: servers and load clients holding thousands of
// connections need thousands of descriptors.
void RaiseOpenFileLimit();

int RunCliApp(CLI::App& app, const std::vector<CliRegistrar>& subcommands, int argc, char** argv,
              const char* verbose_help = "log what the tool does to stderr");

}  // namespace llms
