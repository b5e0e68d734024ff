// aegaeon: multi-model LLM serving with token-level auto-scaling. Subcommands available so far:
// `run` (generate text with the CPU engine). `serve`, `sim` and `bench` follow (issues 4 and 5).
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "core/cli_app.h"
#include "run_command.h"

int main(int argc, char** argv) {
  CLI::App app{
      "aegaeon: serve many LLMs from one pool of accelerators (CPU engine available: `aegaeon "
      "run`)"};
  app.footer(R"(Examples:
  aegaeon run --model stories260K.bin --tokenizer tok512.bin --prompt "Once upon a time" --temperature 0

Run `aegaeon <command> --help` for each command's options.)");
  return llms::RunCliApp(app, {llms::aegaeon::cli::RegisterRun}, argc, argv);
}
