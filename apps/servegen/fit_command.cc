// `servegen fit`: a request log (JSONL or CSV) -> a client pool in ServeGen's layout.
#include <chrono>

#include <fmt/format.h>

#include "commands.h"
#include "core/progress.h"
#include "core/text.h"
#include "pool_options.h"
#include "servegen/fitter.h"
#include "servegen/pool_writer.h"
#include "servegen/trace_reader.h"

namespace llms::servegen::cli {

namespace {
struct FitArgs {
  std::string input, output, category;
  int64_t window = 600, length_window = 21600;
  std::optional<double> start;
  size_t max_support = 0;
  double resolution = 0;
  double rate_multiplier = 1.0;
  int64_t block_size = 512;
  double reply_rate = 50;
  size_t max_windows = 20000;
  TraceReadArgs read;
  bool quiet = false;
  ProgressArgs progress;
};
}  // namespace

void RegisterFit(CLI::App& root, std::function<int()>& action) {
  auto* app =
      root.add_subcommand("fit", "fit a client pool (ServeGen layout) to your own request log");
  app->footer(R"(Examples:
  servegen fit --input requests.jsonl --output my-pool
  servegen fit --input azure_conv.csv --output azure-pool --window 300
  servegen generate --data my-pool --rate 2x --seed 1 -o what-if.jsonl     # replay at twice the load

Input: JSONL (Mooncake/servegen: "timestamp" in ms, "input_length", "output_length", optional
"client_id"/"user_id"; reasoning and multimodal fields as servegen writes them) or CSV with a
header naming timestamp_ms|timestamp_s|timestamp|TIMESTAMP, input_length|input_tokens|prompt_tokens|
ContextTokens, output_length|output_tokens|completion_tokens|GeneratedTokens and optionally client_id
or user_id. A log without client ids is fitted as a single client "all".

Conversations: where requests carry "session_id" (and "turn", "think_time_ms"), each client's
turns per conversation and think times are fitted, and from "hash_ids" its shared system prompts;
they go to client_params.csv with each client's input/output rank correlation, which generate's
default coupling keeps.)");
  auto a = std::make_shared<FitArgs>();
  app->add_option("-i,--input", a->input, "request log (JSONL or CSV)")->required();
  a->progress.Register(*app);
  app->add_option("-o,--output", a->output, "output directory for the pool")->required();
  app->add_option("--window", a->window, "rate window in seconds (default 600, as ServeGen)")
      ->check(CLI::PositiveNumber);
  app->add_option("--length-window", a->length_window,
                  "length-distribution window in seconds (default 21600)")
      ->check(CLI::PositiveNumber);
  app->add_option("--start", a->start,
                  "first window start in seconds (default: first request, floored to --window)");
  app->add_option("--max-support", a->max_support,
                  "compress each length distribution to at most N values (equal-probability bins; "
                  "default exact)");
  app->add_option(
      "--rate-multiplier", a->rate_multiplier,
      "multiply fitted rates by K (undo a 1/K thinning of the log; shapes are unchanged)");
  app->add_option("--resolution", a->resolution,
                  "timestamp resolution in seconds (default: the smallest positive gap); equal "
                  "timestamps are fitted "
                  "as gaps below it (left-censored)");
  app->add_option("--category", a->category,
                  "language | multimodal | reason (default: from the log)");
  app->add_option("--block-size", a->block_size,
                  "tokens per hash_ids block in the log (default 512, Mooncake's)")
      ->check(CLI::PositiveNumber);
  app->add_option("--reply-rate", a->reply_rate,
                  "reply speed in tokens/s assumed for think times a log does not record "
                  "(default 50)")
      ->check(CLI::PositiveNumber);
  app->add_option("--max-windows", a->max_windows,
                  "refuse a log whose span needs more rate windows than this (default 20000: "
                  "139 days of 600 s)")
      ->check(CLI::PositiveNumber);
  a->read.Register(*app);
  app->add_flag("-q,--quiet", a->quiet, "no summary on stderr");
  app->callback([a, &action] {
    action = [a]() -> int {
      const auto t0 = std::chrono::steady_clock::now();
      auto read = a->read.ToReadOptions();
      if (!read.ok()) return Fail(read.message());
      const ReadOptions ro = *read;
      auto trace = ReadTrace(a->input, ro);
      if (!trace.ok()) return Fail(trace.message());
      if (!a->category.empty()) {
        auto c = ParseCategory(a->category);
        if (!c)
          return Fail("--category '" + a->category + "': expected language, multimodal or reason");
        trace->category = *c;
      }
      FitOptions fo;
      fo.window_seconds = a->window;
      fo.length_window_seconds = a->length_window;
      fo.start = a->start;
      fo.max_support = a->max_support;
      fo.resolution = a->resolution;
      fo.rate_multiplier = a->rate_multiplier;
      fo.block_tokens = a->block_size;
      fo.reply_tokens_per_s = a->reply_rate;
      fo.max_windows = a->max_windows;
      ProgressBar bar("fitting", 1.0, a->progress.Enabled(a->quiet));
      fo.progress = [&](double f) { bar.Update(f); };
      FitSummary summary;
      auto pool = FitPool(*trace, fo, &summary);
      if (!pool.ok()) return Fail(pool.message());
      bar.Finish();
      if (auto s = WritePool(*pool, a->output, a->length_window); !s.ok()) return Fail(s.message());
      if (!a->quiet) {
        for (const auto& n : trace->notes) fmt::print(stderr, "note: {}\n", n);
        for (const auto& n : pool->notes) fmt::print(stderr, "note: {}\n", n);
        if (summary.clients_with_conversations > 0) {
          fmt::print(stderr, "servegen: conversation models for {} of {} clients\n",
                     summary.clients_with_conversations, summary.clients);
        }
        fmt::print(stderr,
                   "servegen: fitted {} requests from {}: {} {} clients x {} windows of {} s "
                   "(Gamma {}, Weibull {}, "
                   "sparse {}; resolution {:g} s) in {:.2f} s -> {}\n",
                   WithThousands(static_cast<int64_t>(trace->batch.requests.size())), a->input,
                   summary.clients, CategoryName(pool->category), summary.windows, a->window,
                   summary.gamma_windows, summary.weibull_windows, summary.sparse_windows,
                   summary.resolution,
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                   a->output);
      }
      return 0;
    };
  });
}

}  // namespace llms::servegen::cli
