// Options shared by the subcommands that start a real engine (see engine_options.h).
#include "engine_options.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <filesystem>

#include "iceberg/engine.h"

namespace llms::iceberg::cli {

void AddEngineOption(CLI::App* app, std::string* engine) {
  app->add_option(
         "--engine", *engine,
         fmt::format("{} (gdnsd and yadifa cannot load DNAME)", fmt::join(EngineNames(), ", ")))
      ->required()
      ->check(CLI::IsMember(EngineNames()));
}

std::string TempWorkdir(const std::string& command, const std::string& engine) {
  return (std::filesystem::temp_directory_path() /
          fmt::format("iceberg-{}-{}-{}", command, engine, ::getpid()))
      .string();
}

}  // namespace llms::iceberg::cli
