// The common driver of the project's command-line tools (see cli_app.h).
#include "core/cli_app.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include "core/log.h"

namespace llms {

int CliError(const char* tool, const std::string& message) {
  fmt::print(stderr, "{}: error: {}\n", tool, message);
  return 1;
}

int RunCliApp(CLI::App& app, const std::vector<CliRegistrar>& subcommands, int argc, char** argv,
              const char* verbose_help) {
  app.require_subcommand(1);
  int verbosity = 0;
  app.add_flag("-v,--verbose", verbosity, verbose_help);
  CliAction action;
  for (const auto& add : subcommands) add(app, action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  InitLogging(verbosity);
  return action ? action() : 0;
}

void RaiseOpenFileLimit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace llms
