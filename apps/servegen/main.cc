// servegen: realistic per-client LLM-serving workloads (generate | fit | report | inspect).
#include <fmt/format.h>

#include "commands.h"
#include "core/cli_app.h"

namespace llms::servegen::cli {
int Fail(const std::string& message) {
  return CliError("servegen", message);
}
}  // namespace llms::servegen::cli

int main(int argc, char** argv) {
  using namespace llms::servegen::cli;
  CLI::App app{
      "servegen: realistic per-client LLM-serving workloads (ServeGen), generated, fitted and "
      "compared"};
  app.footer(R"(Examples:
  servegen generate --preset language --duration 600 --rate 10 --seed 7 --output /tmp/p.jsonl
  servegen fit --input /tmp/p.jsonl --output /tmp/pool
  servegen report --data /tmp/pool --workload /tmp/p.jsonl --output /tmp/r.html --json /tmp/r.json
  servegen inspect --preset language
  servegen -v generate --preset reason --rate 5 -o /dev/null     # with a log of what it does

Run `servegen <command> --help` for each command's options.)");
  return llms::RunCliApp(app, {RegisterGenerate, RegisterFit, RegisterReport, RegisterInspect},
                         argc, argv, "log what the tool does to stderr (files read, chunks, fits)");
}
