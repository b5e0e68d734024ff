// `aegaeon latency` implementation: load profiles, fit, print a table and optionally JSON.
#include "latency_command.h"

#include <cstdio>
#include <fstream>
#include <memory>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "errors.h"
#include "sim/latency_model.h"

namespace llms::aegaeon::cli {

namespace {

nlohmann::json ErrorJson(const sim::FitError& e) {
  return {{"points", e.points},
          {"r2", e.r2},
          {"rmse_s", e.rmse_s},
          {"mean_rel", e.mean_rel},
          {"max_rel", e.max_rel}};
}
}  // namespace

void RegisterLatency(CLI::App& root, std::function<int()>& action) {
  auto* app = root.add_subcommand(
      "latency",
      "fit the simulator's latency models to measured GPU profiles and report each fit's error");
  app->footer(R"(Models, per (model, GPU), by least squares:
  prefill of prompt lengths l_i:  a + b * sum(l) + c * sum(l^2)
  one decode step:                a + b * sum(context lengths) + c * batch_size

Examples:
  aegaeon latency --profiles ../shared/data/aegaeon-profiles/latency.csv
  aegaeon latency --profiles latency.csv --model llama2_7b --gpu A100 --json /tmp/fits.json

Rows whose batch holds more than --max-prefill-tokens prompt tokens are left out of the prefill
fit (the profiler measured only the first chunk of those), and rows whose context exceeds
--max-decode-context are left out of the decode fit (those decode steps did not run).)");
  struct Args {
    std::string profiles, model, gpu, json;
    sim::FitOptions fit;
  };
  auto a = std::make_shared<Args>();
  app->add_option("--profiles", a->profiles,
                  "latency.csv in the Aegaeon artifact's layout (model, gpu, input_len, "
                  "batch_size, prefill_mean_s, decode_step_mean_s, ...)")
      ->required();
  app->add_option("--model", a->model, "only this model");
  app->add_option("--gpu", a->gpu, "only this GPU");
  app->add_option("--json", a->json, "also write the fits (coefficients and errors) as JSON");
  app->add_option("--max-prefill-tokens", a->fit.max_prefill_tokens,
                  "largest batch (prompt tokens) used in prefill fits (default 4096)")
      ->check(CLI::PositiveNumber);
  app->add_option("--max-decode-context", a->fit.max_decode_context,
                  "largest context used in decode fits (default 4095)")
      ->check(CLI::PositiveNumber);
  app->callback([a, &action] {
    action = [a]() -> int {
      auto rows = sim::LoadLatencyProfiles(a->profiles);
      if (!rows.ok()) return Fail(rows.message());
      std::vector<sim::ProfileRow> kept;
      for (const auto& r : *rows) {
        if ((a->model.empty() || r.model == a->model) && (a->gpu.empty() || r.gpu == a->gpu)) {
          kept.push_back(r);
        }
      }
      if (kept.empty()) return Fail("no profile rows match --model/--gpu");
      const auto fits = sim::FitLatencyModels(kept, a->fit);
      fmt::print(
          "{:<24} {:<5} | {:>9} {:>10} {:>10} {:>6} {:>7} | {:>9} {:>10} {:>9} {:>6} {:>7}\n",
          "model", "gpu", "prefill a", "b (/tok)", "c (/tok^2)", "R^2", "mean%", "decode a",
          "b (/ctx)", "c (/seq)", "R^2", "mean%");
      nlohmann::json out = nlohmann::json::array();
      for (const auto& f : fits) {
        fmt::print(
            "{:<24} {:<5} | {:>9.4f} {:>10.3e} {:>10.3e} {:>6.3f} {:>6.1f}% | {:>9.4f} {:>10.3e} "
            "{:>9.2e} {:>6.3f} {:>6.1f}%\n",
            f.model, f.gpu, f.prefill.a, f.prefill.b, f.prefill.c, f.prefill_error.r2,
            100 * f.prefill_error.mean_rel, f.decode.a, f.decode.b, f.decode.c, f.decode_error.r2,
            100 * f.decode_error.mean_rel);
        out.push_back({{"model", f.model},
                       {"gpu", f.gpu},
                       {"prefill", {{"a", f.prefill.a}, {"b", f.prefill.b}, {"c", f.prefill.c}}},
                       {"prefill_error", ErrorJson(f.prefill_error)},
                       {"decode", {{"a", f.decode.a}, {"b", f.decode.b}, {"c", f.decode.c}}},
                       {"decode_error", ErrorJson(f.decode_error)}});
      }
      if (!a->json.empty()) {
        std::ofstream f(a->json);
        f << out.dump(2) << "\n";
        if (!f) return Fail("cannot write " + a->json);
      }
      return 0;
    };
  });
}

}  // namespace llms::aegaeon::cli
