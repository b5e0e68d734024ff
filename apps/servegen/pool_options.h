// Command-line options shared by the servegen subcommands that work on a client pool (generate,
// report, inspect): where the pool comes from, the time span, filters, scaling and the rate
// function; and the code that turns them into a loaded, filtered pool and a RateFunction.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "servegen/client_pool.h"
#include "servegen/rate_function.h"
#include "servegen/trace_reader.h"

namespace llms::servegen::cli {

struct PoolOptions {
  std::string data;
  std::string preset;
  std::optional<double> start;
  double duration = 3600.0;
  std::string clients;
  size_t top_k = 0;
  std::string cv, mean_input, mean_output;
  std::optional<double> max_input, max_output;
  std::vector<std::string> scale_client;
  std::string category;
  std::string rate = "trace";
  double rate_resolution = 0.0;
  int threads = 1;
  bool validate_all = false;
  bool keep_unmatched = false;  // clients without length data: pooled lengths instead of left out

  void Register(CLI::App& app, bool with_rate, bool with_span);
};

struct LoadedPool {
  ClientPool pool;        // filtered and scaled
  double span_start = 0;  // absolute
  double duration = 0;
  std::optional<RateFunction> rate;
};

// --time-unit and --lenient, shared by the subcommands that read request logs (fit, report).
struct TraceReadArgs {
  std::string time_unit = "auto";
  bool lenient = false;
  void Register(CLI::App& app);
  Result<ReadOptions> ToReadOptions() const;
};

// --progress: a progress bar even when stderr is not a terminal (never with -q).
struct ProgressArgs {
  bool progress = false;
  void Register(CLI::App& app);
  bool Enabled(bool quiet) const;
};

// Loads (directory or preset), applies the span, filters and scaling, builds the rate function.
Result<LoadedPool> LoadSelectedPool(const PoolOptions& options, bool with_rate);

// Prints the pool's notes (clients without datasets, ...) to stderr, one line each, capped.
void PrintNotes(const ClientPool& pool, bool quiet);

}  // namespace llms::servegen::cli
