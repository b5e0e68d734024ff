// `aegaeon bench` implementation: flags into BenchOptions, the run, and its outputs.
#include "bench_command.h"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <memory>

#include "bench/bench_report.h"
#include "bench/bench_runner.h"
#include "errors.h"

namespace llms::aegaeon::cli {

namespace {

struct BenchArgs {
  std::string endpoint, output, html;
  std::vector<std::string> compare, model_slos;
  bench::BenchOptions options;
  double rate = 0;
  bool save_requests = false, keep_eos = false, quiet = false;
  std::string conversations = "closed";
};

Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  f.close();
  if (!f) return Status::Error("cannot write " + path);
  return Status::Ok();
}

}  // namespace

void RegisterBench(CLI::App& root, std::function<int()>& action) {
  auto* app = root.add_subcommand(
      "bench", "replay a workload against an OpenAI-compatible endpoint and measure it");
  app->footer(R"(Examples:
  servegen generate --preset language --duration 60 --rate 2 --output /tmp/w.jsonl
  aegaeon bench --endpoint http://127.0.0.1:8000 --workload /tmp/w.jsonl --model a --model b \
      --output /tmp/result.json --html /tmp/report.html
  aegaeon bench --endpoint http://127.0.0.1:8000 --preset language --duration 30 --preset-rate 4
  aegaeon bench --endpoint http://127.0.0.1:8000 --workload mooncake.jsonl --time-scale 10 --limit 500
  aegaeon bench --endpoint http://127.0.0.1:8000 --workload /tmp/w.jsonl --concurrency 64
  aegaeon bench --endpoint http://127.0.0.1:8000 --workload chats.jsonl --api chat --speed 4
  aegaeon bench --compare /tmp/aegaeon.json /tmp/request-level.json
  aegaeon bench sweep --help      # one workload at several rates, per policy
The trace's clients are spread over the models (client k to model k mod M). Prompts are sent as
token ids (exact lengths) to /v1/completions, or as words to /v1/chat/completions (--api chat).
The JSON result holds completed, failed, ttft_s/tpot_s/tbt_s/e2e_s percentiles, slo_attainment
(the Aegaeon paper's token-level definition), conventional_attainment (requests meeting both
SLOs), goodput and the send lag (actual minus scheduled send time). A trace's conversations
(session_id, turn, think_time_ms) are replayed closed loop: each later turn waits for the previous
reply plus the think time and carries the earlier turns (as chat messages with the replies
received, or as the previous prompt's tokens). A trace's SLO classes (slo_class, ttft_slo_ms,
tpot_slo_ms) judge their requests and are scored per class (per_slo_class).)");
  auto a = std::make_shared<BenchArgs>();
  bench::BenchOptions& o = a->options;
  o.slo = {10.0, 0.1};
  app->add_option("--endpoint", a->endpoint, "the server, e.g. http://127.0.0.1:8000");
  app->add_option("--compare", a->compare,
                  "print saved results (JSON files) side by side and exit; no endpoint needed");
  app->add_option("--label", o.label, "name of this run in the result, shown by --compare");
  app->add_option("--api-key", o.api_key,
                  "sent as 'Authorization: Bearer KEY' (default: $OPENAI_API_KEY or "
                  "$AEGAEON_API_KEY)");
  app->add_option("-m,--model", o.models,
                  "a model to send requests to (repeatable; default: every model the endpoint "
                  "lists)");
  auto* workload = app->add_option("-w,--workload", o.workload.trace,
                                   "trace to replay: servegen JSONL/CSV, Mooncake JSONL, ...");
  auto* preset = app->add_option("--preset", o.workload.preset,
                                 "generate the workload from this servegen preset instead");
  workload->excludes(preset);
  app->add_option("--duration", o.workload.duration_s,
                  "--preset: seconds of workload to generate (default 60)")
      ->check(CLI::PositiveNumber);
  app->add_option("--preset-rate", o.workload.preset_rate,
                  "--preset: requests per second in all (default 2)")
      ->check(CLI::PositiveNumber);
  app->add_option("--seed", o.workload.seed, "seed of generation and prompts (default 0)");
  app->add_option("--speed", o.workload.time_scale,
                  "replay X times faster (2) or slower (0.5): trace times and think times are "
                  "divided by X (default 1; --time-scale is the same)");
  app->add_option("--conversations", a->conversations,
                  "closed (default: a conversation's next turn is sent its think time after the "
                  "previous reply ended, with the earlier turns in its prompt) or open (every "
                  "request at its trace time)");
  app->add_option("--time-scale", o.workload.time_scale,
                  "send at trace time / this factor (default 1; 2 = twice as fast)")
      ->check(CLI::PositiveNumber);
  app->add_option("--rate", a->rate,
                  "ignore the trace's times: Poisson arrivals at this many requests per second")
      ->check(CLI::PositiveNumber);
  app->add_option("--concurrency", o.concurrency,
                  "closed loop: keep this many requests in flight, ignoring times")
      ->check(CLI::PositiveNumber);
  app->add_option("--limit", o.workload.limit, "send only the first N requests")
      ->check(CLI::PositiveNumber);
  app->add_option("--max-input", o.workload.max_input_tokens, "clip prompt lengths to this")
      ->check(CLI::PositiveNumber);
  app->add_option("--max-output", o.workload.max_output_tokens, "clip output lengths to this")
      ->check(CLI::PositiveNumber);
  app->add_option("--api", o.api, "completions (default; exact prompt lengths) or chat")
      ->check(CLI::IsMember({"completions", "chat"}));
  app->add_option("--ttft-slo", o.slo.ttft_s, "TTFT SLO in seconds (default 10, as the paper)")
      ->check(CLI::PositiveNumber);
  app->add_option("--tpot-slo", o.slo.tpot_s, "TPOT SLO in seconds (default 0.1, as the paper)")
      ->check(CLI::PositiveNumber);
  app->add_option("--slo", a->model_slos,
                  "NAME=TTFT_S,TPOT_S: judge model NAME by its own SLOs (repeatable)");
  app->add_option("-o,--output", a->output, "write the JSON result here");
  app->add_option("--html", a->html, "write an HTML report with charts here");
  app->add_flag("--save-requests", a->save_requests,
                "put every request's timings into the JSON result");
  app->add_flag("--keep-eos", a->keep_eos,
                "let the server stop at EOS (default: ask for exact lengths with ignore_eos)");
  app->add_flag("-q,--quiet", a->quiet, "no progress bar and no summary on stderr");
  RegisterBenchSweep(*app, action);
  auto* sweep = app->get_subcommand("sweep");
  app->callback([a, sweep, &action] {
    if (sweep->parsed()) return;  // `bench sweep` set the action
    action = [a]() -> int {
      bench::BenchOptions o = a->options;
      if (!a->compare.empty()) {
        auto table = bench::CompareResults(a->compare);
        if (!table.ok()) return Fail(table.message());
        fmt::print("{}", *table);
        return 0;
      }
      if (a->endpoint.empty()) return Fail("--endpoint is required (e.g. http://127.0.0.1:8000)");
      auto endpoint = bench::ParseEndpoint(a->endpoint);
      if (!endpoint.ok()) return Fail(endpoint.message());
      o.endpoint = *endpoint;
      if (o.workload.trace.empty() && o.workload.preset.empty()) {
        return Fail("give a workload: --workload TRACE.jsonl or --preset NAME");
      }
      if (a->rate > 0) o.workload.fixed_rate = a->rate;
      if (a->conversations != "closed" && a->conversations != "open")
        return Fail("--conversations '" + a->conversations + "': expected closed or open");
      o.workload.closed_loop_sessions = a->conversations == "closed";
      for (const std::string& spec : a->model_slos) {
        auto slo = ParseModelSlo(spec);
        if (!slo.ok()) return Fail(slo.message());
        o.model_slo[slo->first] = slo->second;
      }
      if (o.api_key.empty()) {
        for (const char* var : {"OPENAI_API_KEY", "AEGAEON_API_KEY"}) {
          if (const char* v = std::getenv(var); v && *v) {
            o.api_key = v;
            break;
          }
        }
      }
      o.ignore_eos = !a->keep_eos;
      o.progress = !a->quiet;
      RaiseOpenFileLimit();
      auto result = bench::RunBench(o);
      if (!result.ok()) return Fail(result.message());
      if (!a->quiet) fmt::print(stderr, "{}", bench::TerminalSummary(o, *result));
      if (!a->output.empty()) {
        if (Status s = WriteText(a->output, bench::ResultJson(o, *result, a->save_requests));
            !s.ok()) {
          return Fail(s.message());
        }
      }
      if (!a->html.empty()) {
        if (Status s = WriteText(a->html, bench::ResultHtml(o, *result)); !s.ok()) {
          return Fail(s.message());
        }
      }
      return 0;
    };
  });
}

}  // namespace llms::aegaeon::cli
