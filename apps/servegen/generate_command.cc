// `servegen generate`: pool + rate function -> a time-ordered JSONL/CSV trace.
#include "commands.h"

#include <chrono>

#include <fmt/format.h>

#include "core/progress.h"
#include "core/text.h"
#include "pool_options.h"
#include "servegen/generator.h"
#include "servegen/trace_writer.h"

namespace llms::servegen::cli {

namespace {
struct GenerateArgs {
  PoolOptions pool;
  uint64_t seed = 0;
  bool compat = false;
  std::string coupling = "auto";
  double rho = 0.5;
  std::string conversations = "auto";
  int64_t block_size = 512;
  double reply_rate = 50;
  std::vector<std::string> slo_classes;
  std::string arrival = "trace";
  std::string output = "-";
  std::string format;
  bool quiet = false;
  ProgressArgs progress;
};
}  // namespace

void RegisterGenerate(CLI::App& root, std::function<int()>& action) {
  auto* app = root.add_subcommand("generate", "generate a per-client workload trace");
  app->footer(R"(Examples:
  servegen generate --preset language --duration 600 --rate 10 --seed 7 --output /tmp/p.jsonl
  servegen generate --data data/language/m-large --duration 3600 --rate 100 --seed 1 --output /tmp/w.jsonl
  servegen generate --data data/language/m-large --start 86400 --duration 7200 --rate bounded:50 --top-k 20
  servegen generate --preset reason --rate csv:ramp.csv --coupling copula --rho 0.3 --format csv -o r.csv
  servegen generate --preset language --rate 2x --scale-client top1=2 --arrival exponential
  servegen generate --preset language --duration 600 --rate 5 --slo-class chat:500:50:25% \
      --slo-class batch:10000:200 -o classes.jsonl
  servegen generate --data my-fitted-pool --conversations off --block-size 16 -o w.jsonl

The rate is split over the clients active in each window in proportion to their trace rates; each
client's arrivals are a renewal process (the window's Gamma/Weibull shape) that carries over window
boundaries. Conversations (session_id, turn, think_time_ms) are laid onto each client's arrivals
where the pool has a conversation model (fitted by `servegen fit`, or the presets' documented
assumption); every request gets Mooncake-style hash_ids (one per --block-size tokens, shared with
its conversation's earlier prompt and its client's system prompt). --compat reproduces the
reference Python generator instead (restart per window, one dropped request per client-window,
one uniform for all length fields; no conversations, hash_ids or classes).)");
  auto args = std::make_shared<GenerateArgs>();
  args->pool.Register(*app, /*with_rate=*/true, /*with_span=*/true);
  app->add_option("--seed", args->seed,
                  "random seed; the same seed gives byte-identical output (default 0)");
  app->add_flag("--compat", args->compat,
                "reproduce the reference implementation's behaviour (parity studies)");
  app->add_option("--coupling", args->coupling,
                  "length-field coupling: auto (default: a copula at the client's fitted "
                  "input/output rank correlation where the pool has one, else comonotone), "
                  "comonotone, independent, copula (with --rho)");
  app->add_option("--conversations", args->conversations,
                  "auto (default: where the pool has a conversation model: fitted, or the "
                  "presets' assumption), assumed (the documented assumption for clients without "
                  "one, e.g. ServeGen's own data) or off");
  app->add_option("--block-size", args->block_size,
                  "tokens per hash_ids block (default 512, Mooncake's); 0: no hash_ids");
  app->add_option("--reply-rate", args->reply_rate,
                  "assumed reply speed in tokens/s, for when a reply ends and the user's think "
                  "time starts (default 50)");
  app->add_option("--slo-class", args->slo_classes,
                  "NAME:TTFT_MS:TPOT_MS[:WHO] (repeatable): a service class with its own targets, "
                  "carried by the conversations of the clients listed in WHO (comma-separated "
                  "ids), or by a percentage of every client's (WHO = 25%), or, without WHO, by "
                  "all the rest. Classes naming the client come first, then the percentages, then "
                  "the first class without WHO");
  app->add_option("--rho", args->rho,
                  "copula correlation of each field with the input length (default 0.5)");
  app->add_option("--arrival", args->arrival,
                  "inter-arrival law: trace (the window's fitted Gamma/Weibull; default), "
                  "exponential, gamma or "
                  "weibull (matched to the window's CV)");
  app->add_option("-o,--output", args->output, "output file, '-' for stdout (default)");
  app->add_option("--format", args->format,
                  "jsonl or csv (default: from the file extension, else jsonl)");
  app->add_flag("-q,--quiet", args->quiet, "no summary on stderr");
  args->progress.Register(*app);
  app->callback([app, args, &action] {
    (void)app;
    action = [args]() -> int {
      const auto t0 = std::chrono::steady_clock::now();
      auto loaded = LoadSelectedPool(args->pool, true);
      if (!loaded.ok()) return Fail(loaded.message());
      PrintNotes(loaded->pool, args->quiet);
      GenerateOptions opt;
      opt.span_start = loaded->span_start;
      opt.duration = loaded->duration;
      opt.seed = args->seed;
      opt.threads = args->pool.threads;
      opt.compat = args->compat;
      auto coupling = ParseCoupling(args->coupling);
      if (!coupling.ok()) return Fail(coupling.message());
      opt.coupling = *coupling;
      opt.rho = args->rho;
      if (args->conversations != "auto" && args->conversations != "off" &&
          args->conversations != "assumed")
        return Fail("--conversations '" + args->conversations + "': expected auto, assumed or off");
      opt.sessions.conversations = args->conversations != "off";
      if (args->conversations == "assumed") {
        for (auto& c : loaded->pool.clients)
          if (!c.conversations) c.conversations = AssumedConversationModel();
      }
      opt.sessions.block_tokens = args->block_size;
      opt.sessions.reply_tokens_per_s = args->reply_rate;
      for (const auto& spec : args->slo_classes) {
        auto c = ParseSloClass(spec);
        if (!c.ok()) return Fail(c.message());
        opt.sessions.slo_classes.push_back(*c);
      }
      if (auto s = ValidateSloClasses(opt.sessions.slo_classes); !s.ok()) return Fail(s.message());
      for (const auto& c : opt.sessions.slo_classes) {
        for (const auto& id : c.clients) {
          bool known = false;
          for (const auto& pc : loaded->pool.clients) known |= pc.id == id;
          if (!known) return Fail("--slo-class " + c.name + ": no selected client '" + id + "'");
        }
      }
      auto arrival = ParseArrivalChoice(args->arrival);
      if (!arrival.ok()) return Fail(arrival.message());
      opt.arrival = *arrival;
      auto format = ResolveTraceFormat(args->format, args->output);
      if (!format.ok()) return Fail(format.message());
      std::vector<std::string> names;
      for (const auto& c : loaded->pool.clients) names.push_back(c.id);
      auto writer = TraceWriter::Open(args->output, *format, loaded->pool.category, names,
                                      loaded->pool.start, loaded->pool.window_seconds);
      if (!writer.ok()) return Fail(writer.message());
      writer->SetSloClasses(opt.sessions.slo_classes);
      const auto t1 = std::chrono::steady_clock::now();
      ProgressBar bar("generating", 1.0, args->progress.Enabled(args->quiet));
      auto summary = Generate(
          loaded->pool, *loaded->rate, opt, [&](const RequestBatch& b) { return writer->Write(b); },
          [&](double frac, int64_t n) { bar.Update(frac, WithThousands(n) + " requests"); });
      if (!summary.ok()) return Fail(summary.message());
      if (auto s = writer->Close(); !s.ok()) return Fail(s.message());
      bar.Finish(WithThousands(summary->requests) + " requests");
      const auto t2 = std::chrono::steady_clock::now();
      if (!args->quiet) {
        for (const auto& w : summary->warnings) fmt::print(stderr, "warning: {}\n", w);
        fmt::print(stderr,
                   "servegen: {} requests (expected {:.0f}) from {} {} clients of {}, span [{}, "
                   "{}) s, seed {}{}\n"
                   "          load {:.3f} s, generate+write {:.3f} s, {} written to {}\n",
                   WithThousands(summary->requests), summary->expected_requests,
                   loaded->pool.clients.size(), CategoryName(loaded->pool.category),
                   loaded->pool.source, loaded->span_start, loaded->span_start + loaded->duration,
                   args->seed, args->compat ? " (compat mode)" : "",
                   std::chrono::duration<double>(t1 - t0).count(),
                   std::chrono::duration<double>(t2 - t1).count(),
                   HumanBytes(static_cast<double>(writer->bytes_written())),
                   args->output == "-" ? std::string("stdout") : args->output);
      }
      return 0;
    };
  });
}

}  // namespace llms::servegen::cli
