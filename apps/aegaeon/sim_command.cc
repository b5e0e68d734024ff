// `aegaeon sim run` and `aegaeon sim sweep`.
#include "sim_command.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <memory>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/progress.h"
#include "core/report.h"
#include "errors.h"
#include "serving/policy.h"
#include "sim/experiment.h"
#include "sim/sim_report.h"

namespace llms::aegaeon::cli {

namespace {

struct CommonArgs {
  std::string experiment, arrivals, trace, servegen_rates;
  double cv = 0, duration = 0, load_efficiency = 0, baseline_engine_start = -1;
  uint64_t seed = 0;
  bool seed_set = false;
};

void AddCommon(CLI::App* app, CommonArgs* a) {
  app->add_option("--experiment", a->experiment,
                  "experiment file (JSON: cluster, models, SLOs, workload, sweep; see "
                  "docs/sim.md and experiments/)")
      ->required()
      ->check(CLI::ExistingFile);
  app->add_option("--arrivals", a->arrivals,
                  "override the workload's arrival process: poisson, gamma (with --cv) or "
                  "servegen (bursty per-client arrivals of the embedded ServeGen language pool)");
  app->add_option("--servegen-rates", a->servegen_rates,
                  "with --arrivals servegen: 'equal' (every model at the same mean rate) or "
                  "'skewed' (models keep their clients' relative rates, a few taking most)");
  app->add_option("--cv", a->cv, "inter-arrival CV for --arrivals gamma")
      ->check(CLI::PositiveNumber);
  app->add_option("--duration", a->duration, "override the workload's length in seconds")
      ->check(CLI::PositiveNumber);
  app->add_option("--trace", a->trace,
                  "replay this trace instead of generating arrivals: an Aegaeon artifact "
                  "synth-*.csv or a servegen trace (JSONL/CSV; client c goes to model c mod N)");
  app->add_option("--seed", a->seed, "override the workload's seed");
  app->add_option("--load-efficiency", a->load_efficiency,
                  "override the fraction of host-to-device bandwidth weights load at (the "
                  "Aegaeon artifact's estimate: 0.15)")
      ->check(CLI::Range(0.001, 1.0));
  app->add_option("--baseline-engine-start", a->baseline_engine_start,
                  "override the seconds each switch of a baseline policy adds for re-initialising "
                  "a stock engine (Aegaeon's policies never pay it; the experiment's "
                  "cluster.baseline_engine_start_s, 0 where it sets none)")
      ->check(CLI::Range(0.0, 3600.0));
}

Result<sim::Experiment> LoadWith(const CommonArgs& a) {
  auto spec = sim::LoadExperiment(a.experiment);
  if (!spec.ok()) return spec.status();
  if (!a.arrivals.empty()) {
    auto kind = sim::ParseArrivalKind(a.arrivals);
    if (!kind.ok()) return kind.status();
    spec->workload.arrivals = *kind;
  }
  if (a.cv > 0) spec->workload.cv = a.cv;
  if (!a.servegen_rates.empty()) {
    auto skewed = sim::ParseServegenSkewed(a.servegen_rates);
    if (!skewed.ok()) return Status::Error("--servegen-rates: " + skewed.message());
    spec->workload.servegen_skewed = *skewed;
  }
  if (a.duration > 0) spec->workload.duration_s = a.duration;
  if (a.load_efficiency > 0) spec->load_efficiency = a.load_efficiency;
  if (a.baseline_engine_start >= 0) spec->baseline_engine_start_s = a.baseline_engine_start;
  if (!a.trace.empty()) spec->trace = a.trace;
  if (a.seed_set) spec->workload.seed = a.seed;
  return sim::Experiment::Load(*spec);
}

// "--num-models" items: N or FROM:TO:STEP (counts >= 1), as a sorted list without repeats.
Result<std::vector<int>> ParseModelCounts(const std::vector<std::string>& items) {
  constexpr int64_t kMaxPoints = 10000;
  std::vector<int> out;
  for (const std::string& item : items) {
    std::vector<int64_t> parts;
    size_t start = 0;
    while (true) {
      const size_t colon = item.find(':', start);
      const std::string part = item.substr(start, colon - start);
      int64_t v = 0;
      const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
      if (ec != std::errc() || end != part.data() + part.size() || v < 1 || v > 1'000'000) {
        return Status::Error(fmt::format(
            "--num-models '{}': give counts from 1 to 1000000, or FROM:TO:STEP ranges with a "
            "STEP >= 1, e.g. 16:160:8",
            item));
      }
      parts.push_back(v);
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
    if (parts.size() == 1) {
      out.push_back(static_cast<int>(parts[0]));
    } else if (parts.size() == 3 && parts[0] <= parts[1]) {
      if ((parts[1] - parts[0]) / parts[2] + 1 > kMaxPoints) {
        return Status::Error(
            fmt::format("--num-models '{}': more than {} points", item, kMaxPoints));
      }
      for (int64_t n = parts[0]; n <= parts[1]; n += parts[2]) out.push_back(static_cast<int>(n));
    } else {
      return Status::Error(fmt::format(
          "--num-models '{}': a range is FROM:TO:STEP (three parts) with FROM <= TO", item));
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  if (out.size() > static_cast<size_t>(kMaxPoints)) {
    return Status::Error(fmt::format("--num-models: more than {} points", kMaxPoints));
  }
  return out;
}

Status WriteFile(const std::string& path, const std::string& content) {
  std::ofstream f(path);
  f << content;
  if (!f) return Status::Error("cannot write " + path);
  return Status::Ok();
}

}  // namespace

void RegisterSim(CLI::App& root, std::function<int()>& action) {
  auto* sim = root.add_subcommand(
      "sim", "simulate the token-level scheduler and the baselines on a described GPU cluster");
  sim->require_subcommand(1);
  sim->footer(
      R"(The same scheduling code as a real deployment runs against a virtual clock and latency
models fitted from measured GPU profiles (see `aegaeon latency`).

Examples:
  aegaeon sim sweep --experiment experiments/paper-sweep-a.json --output /tmp/a.csv
  aegaeon sim sweep --experiment experiments/paper-sweep-a.json --arrivals servegen --output /tmp/a-bursty.csv --report /tmp/a.html
  aegaeon sim sweep --experiment experiments/paper-sweep-a.json --arrivals servegen --servegen-rates skewed --output /tmp/a-skewed.csv
  aegaeon sim sweep --experiment cpu.json --output /tmp/p.csv --points /tmp/predicted.json   # for bench sweep --predicted
  aegaeon sim sweep --experiment experiments/paper-sweep-a.json --load-efficiency 0.15 --baseline-engine-start 0 --num-models 16:160:8 --policies aegaeon,request-level --output /tmp/a-equal.csv
  aegaeon sim run --experiment experiments/paper-sweep-a.json --policy aegaeon --models 64 --json /tmp/r.json --report /tmp/r.html)");

  // --- run ---
  auto* run = sim->add_subcommand("run", "simulate one policy at one point and report it");
  auto ra = std::make_shared<CommonArgs>();
  struct RunArgs {
    std::string policy = "aegaeon", json, report;
    int models = 0;
    double rate = 0;
  };
  auto rr = std::make_shared<RunArgs>();
  AddCommon(run, ra.get());
  run->add_option("--policy", rr->policy,
                  "aegaeon, aegaeon-colocated, request-level, request-level-plus, "
                  "multiplexing or dedicated (default aegaeon)");
  run->add_option("--models", rr->models, "number of served models (default: the sweep's first)")
      ->check(CLI::PositiveNumber);
  run->add_option(
         "--rate", rr->rate,
         "requests/s per model, or in all when the sweep gives 'rate' (default: the sweep's first)")
      ->check(CLI::PositiveNumber);
  run->add_option("--json", rr->json, "write the results as JSON");
  run->add_option("--report", rr->report, "write an HTML report with charts");
  run->callback([ra, rr, run, &action] {
    ra->seed_set = run->count("--seed") > 0;
    action = [ra, rr]() -> int {
      auto ex = LoadWith(*ra);
      if (!ex.ok()) return Fail(ex.message());
      const int n = rr->models > 0 ? rr->models : ex->spec().num_models.front();
      const double rate = rr->rate > 0 ? rr->rate : ex->spec().rates.front();
      auto p = ex->RunPoint(rr->policy, n, rate, /*keep_timings=*/!rr->report.empty());
      if (!p.ok()) return Fail(p.message());
      const SloSummary& s = p->summary;
      fmt::print(
          "{}: {} models x {} req/s: {} requests, {} completed, {} failed ({} rejected, {} "
          "unfinished)\n  SLO attainment {:.3f} (conventional {:.3f}), goodput {:.2f} req/s\n  "
          "TTFT p50 {:.2f} s p99 {:.2f} s, TPOT p50 {:.3f} s p99 {:.3f} s\n  {} switches "
          "({:.2f}/s, mean engine start {:.2f} s, weights-in {:.2f} s), utilisation {:.2f}\n  "
          "simulated {:.0f} s in "
          "{:.2f} s wall ({} events)\n",
          p->policy, n, rate, p->requests, s.completed, s.failed, p->rejected, p->unfinished,
          s.slo_attainment, s.conventional_attainment, s.goodput_rps, s.ttft_s.p50, s.ttft_s.p99,
          s.tpot_s.p50, s.tpot_s.p99, p->switches, p->switches_per_s, p->mean_switch.engine_start_s,
          p->mean_switch.weights_in_s, p->utilisation, p->simulated_s, p->wall_s, p->events);
      for (const auto& [reason, count] : p->rejected_by_reason) {
        fmt::print("  rejected: {} x {}\n", count, reason);
      }
      for (size_t k = 0; k < p->slo_classes.size(); ++k) {
        const SloSummary& c = p->per_class[k];
        fmt::print(
            "  class {} (TTFT {} s, TPOT {} s): {} requests, attainment {:.3f} (conventional "
            "{:.3f})\n",
            p->slo_classes[k].name, p->slo_classes[k].slo.ttft_s, p->slo_classes[k].slo.tpot_s,
            c.completed + c.failed, c.slo_attainment, c.conventional_attainment);
      }
      if (!rr->json.empty()) {
        if (auto st = WriteFile(rr->json, sim::PointJson(*p).dump(2) + "\n"); !st.ok()) {
          return Fail(st.message());
        }
      }
      if (!rr->report.empty()) {
        if (auto st = WriteFile(rr->report, sim::RunHtml(ex->spec(), *p)); !st.ok()) {
          return Fail(st.message());
        }
      }
      return 0;
    };
  });

  // --- sweep ---
  auto* sweep = sim->add_subcommand(
      "sweep", "simulate every (policy, number of models, rate) of an experiment's sweep");
  auto sa = std::make_shared<CommonArgs>();
  struct SweepArgs {
    std::string output, json, report, points;
    std::vector<std::string> policies, num_models;
  };
  auto sr = std::make_shared<SweepArgs>();
  AddCommon(sweep, sa.get());
  sweep
      ->add_option("--output", sr->output,
                   "CSV, one row per point: policy,num_models,rate_per_model,slo_attainment,"
                   "conventional_attainment,goodput_rps,ttft_p99_s,tpot_p99_s,switches")
      ->required();
  sweep->add_option("--json", sr->json, "also write every point's full results as JSON");
  sweep->add_option("--report", sr->report, "also write an HTML report with charts");
  sweep->add_option("--points", sr->points,
                    "also write the points as a load sweep's JSON ({\"points\": [{\"policy\", "
                    "\"rate\" (requests/s in all), ...}]}), for aegaeon bench sweep --predicted");
  sweep
      ->add_option("--policies", sr->policies,
                   "only these policies, separated by commas or spaces (default: the experiment's)")
      ->delimiter(',');
  sweep
      ->add_option("--num-models", sr->num_models,
                   "override the sweep's numbers of models: counts and FROM:TO:STEP ranges, "
                   "separated by commas (e.g. 16:160:8)")
      ->delimiter(',');
  sweep->callback([sa, sr, sweep, &action] {
    sa->seed_set = sweep->count("--seed") > 0;
    action = [sa, sr]() -> int {
      auto ex = LoadWith(*sa);
      if (!ex.ok()) return Fail(ex.message());
      sim::Experiment experiment = std::move(*ex);
      if (!sr->policies.empty() || !sr->num_models.empty()) {
        sim::ExperimentSpec s = experiment.spec();
        if (!sr->policies.empty()) s.policies = sr->policies;
        if (!sr->num_models.empty()) {
          auto counts = ParseModelCounts(sr->num_models);
          if (!counts.ok()) return Fail(counts.message());
          s.num_models = *counts;
        }
        for (const auto& p : s.policies) {
          const auto& names = serving::PolicyNames();
          if (std::find(names.begin(), names.end(), p) == names.end()) {
            return Fail(
                fmt::format("unknown policy '{}' (known: {})", p, serving::PolicyNameList()));
          }
        }
        auto reloaded = sim::Experiment::Load(s);
        if (!reloaded.ok()) return Fail(reloaded.message());
        experiment = std::move(*reloaded);
      }
      const size_t total = experiment.spec().policies.size() * experiment.spec().num_models.size() *
                           experiment.spec().rates.size();
      ProgressBar bar("simulating", static_cast<double>(total), ProgressBar::StderrIsTerminal());
      auto points =
          experiment.RunSweep([&](size_t done, size_t) { bar.Update(static_cast<double>(done)); });
      bar.Finish();
      if (!points.ok()) return Fail(points.message());
      if (auto st = WriteFile(sr->output, sim::SweepCsv(*points)); !st.ok()) {
        return Fail(st.message());
      }
      if (!sr->json.empty()) {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& p : *points) j.push_back(sim::PointJson(p));
        if (auto st = WriteFile(sr->json, j.dump(2) + "\n"); !st.ok()) return Fail(st.message());
      }
      if (!sr->points.empty()) {
        nlohmann::json j;
        j["points"] = nlohmann::json::array();
        for (const auto& p : *points) {
          nlohmann::json point = llms::RatePointJson({p.policy, p.rate, p.summary});
          point["num_models"] = p.num_models;
          j["points"].push_back(std::move(point));
        }
        if (auto st = WriteFile(sr->points, j.dump(2) + "\n"); !st.ok()) return Fail(st.message());
      }
      if (!sr->report.empty()) {
        if (auto st = WriteFile(sr->report, sim::SweepHtml(experiment.spec(), *points)); !st.ok()) {
          return Fail(st.message());
        }
      }
      const bool in_all = experiment.spec().rates_in_all;
      if (in_all) {
        // Rates in all (a load sweep's prediction): where each policy falls below 90%.
        std::vector<RatePoint> rate_points;
        for (const auto& p : *points) rate_points.push_back({p.policy, p.rate, p.summary});
        for (const std::string& policy : experiment.spec().policies) {
          const Crossing c = AttainmentCrossing(rate_points, policy, 0.9);
          if (c.at) {
            fmt::print("{}: SLO attainment falls below 90% at about {:.2f} req/s\n", policy, *c.at);
          } else if (!c.first_below) {
            fmt::print("{}: SLO attainment stays at or above 90% at every rate\n", policy);
          } else {
            fmt::print("{}: SLO attainment is below 90% from the first rate\n", policy);
          }
        }
        fmt::print("wrote {} ({} points)\n", sr->output, points->size());
        return 0;
      }
      fmt::print("largest number of models at >= 90% SLO attainment:\n");
      const auto best = sim::MaxModelsAtAttainment(*points, 0.9);
      for (const auto& [key, n] : best) {
        fmt::print("  {:<20} {:>5} req/s per model: {}\n", key.first, key.second, n);
      }
      // The paper's headline comparison, where the sweep has both policies.
      for (const auto& [key, n] : best) {
        if (key.first != "aegaeon") continue;
        const auto baseline = best.find({"request-level", key.second});
        if (baseline != best.end() && baseline->second > 0) {
          fmt::print("aegaeon / request-level at {} req/s per model: {:.2f}x\n", key.second,
                     static_cast<double>(n) / baseline->second);
        }
      }
      fmt::print("wrote {} ({} points)\n", sr->output, points->size());
      return 0;
    };
  });
}

}  // namespace llms::aegaeon::cli
