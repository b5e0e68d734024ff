// `aegaeon bench sweep` implementation: one workload at several rates (or concurrencies) against
// an endpoint or against `aegaeon serve` processes it starts, one per policy; the JSON, the HTML
// page and the table.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bench/load_sweep.h"
#include "bench_command.h"
#include "errors.h"

namespace llms::aegaeon::cli {

namespace {

std::string SelfPath() {
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "aegaeon";
}

Status Write(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  f.close();
  if (!f) return Status::Error("cannot write " + path);
  return Status::Ok();
}

// "[LABEL=]FILE": predicted points as aegaeon sim sweep --points writes them.
Result<bench::Prediction> ReadPrediction(const std::string& spec) {
  bench::Prediction p;
  p.source = spec;
  if (const size_t eq = spec.find('='); eq != std::string::npos && eq > 0) {
    p.label = spec.substr(0, eq);
    p.source = spec.substr(eq + 1);
  }
  std::ifstream f(p.source);
  if (!f) {
    return Result<bench::Prediction>::Error(
        "--predicted " + p.source +
        ": cannot read the file (aegaeon sim sweep --points writes one)");
  }
  std::stringstream text;
  text << f.rdbuf();
  auto parsed = ParseRatePoints(nlohmann::json::parse(text.str(), nullptr, false));
  if (!parsed.ok()) return Result<bench::Prediction>::Error(p.source + ": " + parsed.message());
  p.points = std::move(*parsed);
  return p;
}

// The table, the comparisons and crossings on stdout; the JSON and the page where asked.
int Report(const bench::SweepRecord& sweep, const std::vector<bench::Prediction>& predictions,
           const std::string& output, const std::string& html) {
  fmt::print("{}", bench::LoadSweepTable(sweep.points));
  fmt::print("{}", bench::GoodputAtHighestRate(sweep.points));
  for (const bench::Prediction& p : predictions) {
    if (const std::string cmp = bench::LoadSweepComparison(sweep.points, p.points); !cmp.empty()) {
      fmt::print("\nmeasured against {} ({}):\n{}", p.label, p.source, cmp);
    }
  }
  fmt::print("{}", bench::LoadSweepCrossings(sweep));
  if (!output.empty()) {
    if (Status st = Write(output, bench::LoadSweepJson(sweep, predictions)); !st.ok()) {
      return Fail(st.message());
    }
  }
  if (!html.empty()) {
    if (Status st = Write(html, bench::LoadSweepHtml(sweep, predictions)); !st.ok()) {
      return Fail(st.message());
    }
  }
  return 0;
}

}  // namespace

void RegisterBenchSweep(CLI::App& bench, std::function<int()>& action) {
  auto* app = bench.add_subcommand(
      "sweep",
      "replay one workload at several rates, against an endpoint or against servers it "
      "starts per policy, and chart how each holds up");
  app->footer(R"(Examples:
  aegaeon bench sweep --endpoint http://127.0.0.1:8000 --preset language --duration 60 \
      --rates 0.5,1,2,4 --output sweep.json --html sweep.html
  aegaeon bench sweep --policies aegaeon,request-level --preset language --duration 60 \
      --rates 0.5,1,2,4 --max-input 64 --max-output 64 --output sweep.json --html sweep.html \
      -- --model a=/tmp/a.gguf --model b=/tmp/b.gguf --instances 2
  aegaeon sim sweep --experiment cpu.json --output /tmp/p.csv --points predicted.json
  aegaeon bench sweep ... --predicted predicted.json     # the simulator's prediction, dashed
  aegaeon bench sweep --render sweep.json --predicted calibrated=cal.json --html sweep.html
With --policies, everything after `--` goes to `aegaeon serve` (one server per policy, started
with --policy POLICY, a free port, stopped after its rates). A rate is requests per second in all
(a preset is generated at that rate; a trace's requests are sent as Poisson arrivals at it), or,
with --concurrencies, requests kept in flight. JSON: {"points": [{"policy", "rate",
"slo_attainment", "conventional_attainment", "goodput_rps", "ttft_p50_s", "ttft_p99_s",
"tpot_p50_s", "tpot_p99_s", "completed", "failed"}, ...], "below_90": {...}, "predictions":
[{"label", "source", "points", "below_90"}, ...]}.)");
  struct Args {
    std::string endpoint, label = "endpoint", output, html, work_dir, render;
    std::vector<std::string> predicted;
    std::vector<double> rates, concurrencies;
    std::vector<std::string> policies, serve_args;
    bench::BenchOptions bench;
  };
  auto a = std::make_shared<Args>();
  bench::BenchOptions& o = a->bench;
  o.slo = {10.0, 0.1};
  app->add_option("--endpoint", a->endpoint, "measure this server (no --policies)");
  app->add_option("--label", a->label, "the endpoint's name in the results (default endpoint)");
  app->add_option("--policies", a->policies,
                  "start aegaeon serve once per policy (comma-separated); its options follow --")
      ->delimiter(',')
      ->allow_extra_args(false);
  auto* rates = app->add_option("--rates", a->rates, "requests per second in all, comma-separated")
                    ->delimiter(',')
                    ->allow_extra_args(false);
  auto* conc = app->add_option("--concurrencies", a->concurrencies,
                               "requests in flight (closed loop) instead of rates")
                   ->delimiter(',')
                   ->allow_extra_args(false);
  rates->excludes(conc);
  auto* workload = app->add_option("-w,--workload", o.workload.trace, "trace to replay");
  auto* preset = app->add_option("--preset", o.workload.preset, "servegen preset to generate");
  workload->excludes(preset);
  app->add_option("--duration", o.workload.duration_s, "--preset: seconds per point (default 60)")
      ->check(CLI::PositiveNumber);
  app->add_option("--seed", o.workload.seed, "seed of generation and prompts (default 0)");
  app->add_option("--limit", o.workload.limit, "send only the first N requests of each point");
  app->add_option("--max-input", o.workload.max_input_tokens, "clip prompt lengths to this");
  app->add_option("--max-output", o.workload.max_output_tokens, "clip output lengths to this");
  app->add_option("-m,--model", o.models, "models to send to (default: every model listed)")
      ->allow_extra_args(false);
  app->add_option("--ttft-slo", o.slo.ttft_s, "TTFT SLO in seconds (default 10)")
      ->check(CLI::PositiveNumber);
  app->add_option("--tpot-slo", o.slo.tpot_s, "TPOT SLO in seconds (default 0.1)")
      ->check(CLI::PositiveNumber);
  app->add_option("--api-key", o.api_key, "sent as 'Authorization: Bearer KEY'");
  app->add_option("-o,--output", a->output, "write the points as JSON here");
  app->add_option("--html", a->html, "write the page with the charts here");
  app->add_option("--predicted", a->predicted,
                  "[LABEL=]FILE: draw these predicted points (aegaeon sim sweep --points) "
                  "dashed beside, as 'POLICY (LABEL)' (default label: predicted; repeatable)");
  app->add_option("--render", a->render,
                  "run nothing: read a sweep this command wrote (--output) and write its "
                  "--output/--html again with the --predicted points given now")
      ->check(CLI::ExistingFile);
  app->add_option("--work-dir", a->work_dir,
                  "where each point's full result (POLICY-RATE.json, every request) and the "
                  "started servers' logs go (default: a new temporary directory)");
  app->add_option("serve_args", a->serve_args, "after --: options for aegaeon serve");
  app->callback([a, &action] {
    action = [a]() -> int {
      std::vector<bench::Prediction> predictions;
      for (const std::string& spec : a->predicted) {
        auto p = ReadPrediction(spec);
        if (!p.ok()) return Fail(p.message());
        predictions.push_back(std::move(*p));
      }
      if (!a->render.empty()) {
        if (a->output.empty() && a->html.empty()) return Fail("--render needs --output or --html");
        std::ifstream f(a->render);
        std::stringstream text;
        text << f.rdbuf();
        auto sweep = bench::ParseLoadSweep(nlohmann::json::parse(text.str(), nullptr, false));
        if (!sweep.ok()) return Fail(a->render + ": " + sweep.message());
        return Report(*sweep, predictions, a->output, a->html);
      }
      bench::SweepOptions s;
      s.bench = a->bench;
      s.concurrency = !a->concurrencies.empty();
      s.rates = s.concurrency ? a->concurrencies : a->rates;
      if (s.rates.empty()) return Fail("give --rates (or --concurrencies)");
      if (!std::is_sorted(s.rates.begin(), s.rates.end())) {
        std::sort(s.rates.begin(), s.rates.end());
      }
      if (s.bench.workload.trace.empty() && s.bench.workload.preset.empty()) {
        return Fail("give a workload: --preset NAME or --workload TRACE");
      }
      if (a->policies.empty() == a->endpoint.empty()) {
        return Fail(
            "give --endpoint URL (measure a server) or --policies LIST -- SERVE_OPTIONS "
            "(start aegaeon serve per policy)");
      }
      if (!a->endpoint.empty() && !a->serve_args.empty()) {
        return Fail(fmt::format(
            "unexpected '{}': only with --policies do options follow (after --, for aegaeon "
            "serve); separate rates by commas (--rates 1,2,4)",
            a->serve_args.front()));
      }
      s.work_dir = a->work_dir;
      if (s.work_dir.empty()) {
        s.work_dir =
            (std::filesystem::temp_directory_path() / fmt::format("aegaeon-sweep-{}", getpid()))
                .string();
      }
      std::error_code ec;
      std::filesystem::create_directories(s.work_dir, ec);
      if (ec) return Fail(fmt::format("--work-dir {}: {}", s.work_dir, ec.message()));
      if (a->endpoint.empty()) {
        s.policies = a->policies;
        s.server_argv = {SelfPath(), "serve", "--policy", "{policy}"};
        s.server_argv.insert(s.server_argv.end(), a->serve_args.begin(), a->serve_args.end());
      } else {
        auto endpoint = bench::ParseEndpoint(a->endpoint);
        if (!endpoint.ok()) return Fail(endpoint.message());
        s.bench.endpoint = *endpoint;
        s.policies = {a->label};
      }
      s.bench.progress = false;
      s.say = [](const std::string& line) { fmt::print(stderr, "{}\n", line); };
      RaiseOpenFileLimit();
      auto points = bench::RunLoadSweep(s);
      if (!points.ok()) return Fail(points.message());
      fmt::print(stderr, "sweep: each point's full result is in {}\n", s.work_dir);
      bench::SweepRecord sweep;
      sweep.points = std::move(*points);
      sweep.concurrency = s.concurrency;
      sweep.note = fmt::format(
          "{} of {} at {} {}; SLOs: TTFT {:g} s, TPOT {:g} s",
          s.bench.workload.preset.empty()
              ? "trace " + s.bench.workload.trace
              : fmt::format("{:g} s of the servegen preset '{}'", s.bench.workload.duration_s,
                            s.bench.workload.preset),
          s.policies.size() == 1 ? s.policies.front() : "each policy",
          fmt::format("{}", fmt::join(s.rates, ", ")),
          s.concurrency ? "requests in flight" : "req/s", s.bench.slo.ttft_s, s.bench.slo.tpot_s);
      return Report(sweep, predictions, a->output, a->html);
    };
  });
}

}  // namespace llms::aegaeon::cli
