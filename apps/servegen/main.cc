// servegen: realistic per-client LLM-serving workloads (generate | fit | report | inspect).
#include <fmt/format.h>

#include "commands.h"

namespace llms::servegen::cli {
int Fail(const std::string& message) {
  fmt::print(stderr, "servegen: error: {}\n", message);
  return 1;
}
}  // namespace llms::servegen::cli

int main(int argc, char** argv) {
  using namespace llms::servegen::cli;
  CLI::App app{"servegen: realistic per-client LLM-serving workloads (ServeGen), generated, fitted and compared"};
  app.footer(R"(Examples:
  servegen generate --preset language --duration 600 --rate 10 --seed 7 --output /tmp/p.jsonl
  servegen fit --input /tmp/p.jsonl --output /tmp/pool
  servegen report --data /tmp/pool --workload /tmp/p.jsonl --output /tmp/r.html --json /tmp/r.json
  servegen inspect --preset language

Run `servegen <command> --help` for each command's options.)");
  app.require_subcommand(1);
  std::function<int()> action;
  RegisterGenerate(app, action);
  RegisterFit(app, action);
  RegisterReport(app, action);
  RegisterInspect(app, action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return action ? action() : 0;
}
