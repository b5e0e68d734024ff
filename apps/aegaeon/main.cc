// aegaeon: multi-model LLM serving with token-level auto-scaling. Subcommands: `serve` (the
// OpenAI-compatible server on the CPU engine), `proxy` (the front door of a cluster of servers),
// `bench` (replay a workload against any
// OpenAI-compatible endpoint), `run` (generate text with the CPU engine), `model` (convert,
// quantize, dummy, info), `latency` (the simulator's latency-model fits) and `sim` (the scheduler
// and the baselines on simulated GPUs).
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "bench_command.h"
#include "core/cli_app.h"
#include "latency_command.h"
#include "model_command.h"
#include "proxy_command.h"
#include "run_command.h"
#include "serve_command.h"
#include "sim_command.h"

int main(int argc, char** argv) {
  CLI::App app{
      "aegaeon: serve many LLMs from one pool of accelerators, scaling models in and out at token "
      "granularity: the OpenAI-compatible server (`serve`), the benchmark client (`bench`), the "
      "CPU engine (`run`, `model`), the simulator's latency models (`latency`) and the simulator "
      "(`sim`)"};
  app.footer(R"(Examples:
  aegaeon serve --port 8000 --model a=/tmp/d.gguf --model b=/tmp/q.gguf
  aegaeon serve --port 8001 --model a=/tmp/d.gguf --cluster redis://127.0.0.1:6379 --node n1
  aegaeon proxy --cluster redis://127.0.0.1:6379 --port 8000
  aegaeon bench --endpoint http://127.0.0.1:8000 --preset language --duration 30 --output /tmp/r.json
  aegaeon run --model stories260K.bin --tokenizer tok512.bin --prompt "Once upon a time" --temperature 0
  aegaeon model convert --input stories260K.bin --tokenizer tok512.bin --output /tmp/s.gguf
  aegaeon run --model /tmp/s.gguf --prompt "Once upon a time" --temperature 0
  aegaeon model dummy --preset llama-1b --type q8_0 --output /tmp/d.gguf
  aegaeon model info /tmp/d.gguf
  aegaeon latency --profiles ../shared/data/aegaeon-profiles/latency.csv
  aegaeon sim sweep --experiment experiments/paper-sweep-a.json --output /tmp/a.csv

Run `aegaeon <command> --help` for each command's options.)");
  return llms::RunCliApp(app,
                         {llms::aegaeon::cli::RegisterRun, llms::aegaeon::cli::RegisterModel,
                          llms::aegaeon::cli::RegisterLatency, llms::aegaeon::cli::RegisterSim,
                          llms::aegaeon::cli::RegisterServe, llms::aegaeon::cli::RegisterProxy,
                          llms::aegaeon::cli::RegisterBench},
                         argc, argv);
}
