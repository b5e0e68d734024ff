// `servegen report`: fidelity of a workload against its model or another workload (JSON + HTML).
#include <cmath>
#include <fstream>

#include <fmt/format.h>

#include "commands.h"
#include "core/progress.h"
#include "core/text.h"
#include "pool_options.h"
#include "servegen/fidelity_html.h"
#include "servegen/fidelity_report.h"
#include "servegen/generator.h"
#include "servegen/trace_reader.h"
#include "servegen/workload_profile.h"
#include "servegen/workload_stats.h"

namespace llms::servegen::cli {

namespace {

struct ReportArgs {
  PoolOptions pool;
  std::string workload, baseline, html, json;
  double window = 0;
  uint64_t seed = 0;
  TraceReadArgs read;
  bool quiet = false;
  ProgressArgs progress;
};

Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  if (!f) return Status::Error(path + ": cannot create");
  f << text;
  f.close();
  if (!f) return Status::Error(path + ": write failed");
  return Status::Ok();
}

}  // namespace

void RegisterReport(CLI::App& root, std::function<int()>& action) {
  auto* app = root.add_subcommand(
      "report", "how realistic is a workload? compare it with its model or another one");
  app->footer(R"(Examples:
  servegen report --data data/language/m-large --workload /tmp/w.jsonl --output /tmp/r.html --json /tmp/r.json
  servegen report --preset language --rate 10 --workload /tmp/p.jsonl --json -
  servegen report --workload mine.jsonl --baseline production.jsonl --output cmp.html

With --data/--preset the reference is the model: give the same span, filters and --rate the workload
was generated with (without --rate the model's rate is held at the workload's mean rate; without
--duration the span covers the workload). With --baseline the reference is another workload.)");
  auto a = std::make_shared<ReportArgs>();
  a->pool.Register(*app, /*with_rate=*/true, /*with_span=*/true);
  a->pool.rate = "";
  app->add_option("-w,--workload", a->workload, "the workload to judge (JSONL or CSV trace)")
      ->required();
  app->add_option("--baseline", a->baseline, "compare with this workload instead of a model");
  app->add_option("-o,--output", a->html, "write the HTML report here");
  app->add_option("--json", a->json, "write the JSON report here ('-' for stdout)");
  app->add_option("--window", a->window, "rate window in seconds (default: the model's, else 600)");
  app->add_option("--seed", a->seed,
                  "seed of the model sample used for the burstiness reference (default 0)");
  a->read.Register(*app);
  app->add_flag("-q,--quiet", a->quiet, "no summary on stderr");
  a->progress.Register(*app);
  app->callback([app, a, &action] {
    const bool duration_given = app->count("--duration") > 0;
    action = [a, duration_given]() -> int {
      auto read = a->read.ToReadOptions();
      if (!read.ok()) return Fail(read.message());
      const ReadOptions ro = *read;
      // Four stages: read the workload, load the reference, sample or read it, compare.
      ProgressBar bar("report", 4, a->progress.Enabled(a->quiet));
      bar.Update(0, "reading " + a->workload);
      auto trace = ReadTrace(a->workload, ro);
      if (!trace.ok()) return Fail(trace.message());
      bar.Update(1, "read the workload");
      const double last = trace->batch.requests.back().timestamp;
      FidelityReport report;
      if (!a->baseline.empty()) {
        if (!a->pool.data.empty() || !a->pool.preset.empty()) {
          return Fail("give either --baseline or --data/--preset as the reference, not both");
        }
        auto base = ReadTrace(a->baseline, ro);
        if (!base.ok()) return Fail(base.message());
        bar.Update(3, "comparing with the baseline");
        const double window = a->window > 0 ? a->window : 600.0;
        const double end = std::max(last, base->batch.requests.back().timestamp);
        const double duration =
            duration_given ? a->pool.duration : std::ceil(end / window + 1e-12) * window;
        report = CompareWorkloads(ComputeWorkloadStats(*trace, a->workload, 0, duration, window),
                                  ComputeWorkloadStats(*base, a->baseline, 0, duration, window));
      } else {
        PoolOptions po = a->pool;
        // Span: as given, else the workload's extent rounded up to whole windows (600 s until the
        // pool is known).
        if (!duration_given) po.duration = std::max(600.0, std::ceil(last / 600.0 + 1e-12) * 600.0);
        const bool mean_rate = po.rate.empty();
        if (mean_rate) po.rate = "1";
        auto loaded = LoadSelectedPool(po, true);
        if (!loaded.ok()) return Fail(loaded.message());
        const double window =
            a->window > 0 ? a->window : static_cast<double>(loaded->pool.window_seconds);
        if (!duration_given && window != 600.0) {
          po.duration = std::max(window, std::ceil(last / window + 1e-12) * window);
          loaded = LoadSelectedPool(po, true);
          if (!loaded.ok()) return Fail(loaded.message());
        }
        bar.Update(2, "loaded the model; sampling it");
        WorkloadStats stats =
            ComputeWorkloadStats(*trace, a->workload, 0, loaded->duration, window);
        if (mean_rate) {
          loaded->rate = RateFunction::Constant(
              static_cast<double>(stats.requests) / loaded->duration, loaded->duration);
        }
        // The burstiness reference: a sample of the model with a fixed seed.
        Trace sample;
        sample.category = loaded->pool.category;
        for (const auto& c : loaded->pool.clients) sample.clients.push_back(c.id);
        GenerateOptions go;
        go.span_start = loaded->span_start;
        go.duration = loaded->duration;
        go.seed = a->seed;
        go.threads = a->pool.threads;
        go.sessions.conversations = false;  // arrivals are all the sample is for
        go.sessions.block_tokens = 0;
        auto gen = Generate(loaded->pool, *loaded->rate, go, [&](const RequestBatch& b) {
          sample.batch.requests.insert(sample.batch.requests.end(), b.requests.begin(),
                                       b.requests.end());
          return Status::Ok();
        });
        if (!gen.ok()) return Fail(gen.message());
        bar.Update(3, "comparing with the model");
        report = CompareWithModel(
            stats, loaded->pool, *loaded->rate, loaded->span_start, loaded->duration,
            ComputeWorkloadStats(sample, "model sample", 0, loaded->duration, window));
        if (mean_rate)
          report.notes.push_back(
              "no --rate given: the model's rate is held at the workload's mean rate");
        int64_t later = 0;
        for (const Request& q : trace->batch.requests) later += q.session >= 0 && q.turn > 0;
        if (later > 0) {
          report.notes.push_back(fmt::format(
              "{:.1f}% of the requests are later turns of conversations, whose prompts carry the "
              "earlier turns: their input lengths sit above the model's distribution, which the "
              "input KS values include (generate with --conversations off to compare lengths "
              "alone)",
              100.0 * static_cast<double>(later) /
                  static_cast<double>(trace->batch.requests.size())));
        }
      }
      bar.Finish();
      report.profile = ProfileWorkload(*trace);
      for (const auto& n : trace->notes) report.notes.push_back(a->workload + ": " + n);
      const std::string json = FidelityReportJson(report);
      if (!a->json.empty()) {
        if (a->json == "-") {
          fmt::print("{}", json);
        } else if (auto s = WriteFile(a->json, json); !s.ok()) {
          return Fail(s.message());
        }
      }
      if (!a->html.empty()) {
        if (auto s = WriteFile(a->html, RenderFidelityHtml(report)); !s.ok())
          return Fail(s.message());
      }
      if (!a->quiet) {
        fmt::print(stderr,
                   "servegen report: {} requests vs {:.0f} expected ({:+.2f}%); per-window rate "
                   "error mean {:.2f}% max "
                   "{:.2f}%;\n  KS input/output (request-weighted over {} clients, n = {}) "
                   "{:.4f}/{:.4f}; client share distance "
                   "{:.4f}; inter-arrival CV {:.3f} vs {:.3f}\n",
                   WithThousands(report.requests), report.ref_requests, report.total_error * 100,
                   report.rate_mape * 100, report.rate_max_error * 100, report.ks_clients,
                   report.ks_weighted_n, report.ks_input_weighted, report.ks_output_weighted,
                   report.share_distance, report.interarrival_cv, report.ref_interarrival_cv);
        if (report.ks_input_max_n > 0) {
          fmt::print(stderr, "  KS input max {:.4f} (client {}, n = {}; clients with n >= {})\n",
                     report.ks_input_max, report.ks_input_max_client, report.ks_input_max_n,
                     report.ks_min_requests);
        }
        const auto& pk = report.profile->peaks;
        if (pk.size() == 2) {
          fmt::print(stderr,
                     "  peak request rate {:.4g}/s over 1 s, {:.4g}/s over 10 s; prefix reuse "
                     "{:.1f}% of prompt blocks; {:.2f} turns per conversation\n",
                     pk[0].requests_per_s, pk[1].requests_per_s,
                     100 * report.profile->conversations.reuse_ratio(),
                     report.profile->conversations.mean_turns);
        }
        if (!a->html.empty()) fmt::print(stderr, "  HTML: {}\n", a->html);
        if (!a->json.empty() && a->json != "-") fmt::print(stderr, "  JSON: {}\n", a->json);
      }
      return 0;
    };
  });
}

}  // namespace llms::servegen::cli
