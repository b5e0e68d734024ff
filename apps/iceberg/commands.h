// The iceberg subcommands, one file each.
#pragma once

#include <CLI/CLI.hpp>

#include "core/cli_app.h"

namespace llms::iceberg::cli {

void RegisterLookup(CLI::App& app, CliAction& action);
void RegisterClasses(CLI::App& app, CliAction& action);
void RegisterCheck(CLI::App& app, CliAction& action);
void RegisterCampaign(CLI::App& app, CliAction& action);
void RegisterGenerate(CLI::App& app, CliAction& action);
void RegisterServe(CLI::App& app, CliAction& action);
void RegisterVerify(CLI::App& app, CliAction& action);

}  // namespace llms::iceberg::cli
