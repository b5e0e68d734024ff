// `aegaeon latency` implementation: load profiles, fit, print a table and optionally JSON.
#include "latency_command.h"

#include <cstdio>
#include <fstream>
#include <memory>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/progress.h"
#include "errors.h"
#include "executor/cpu_profile.h"
#include "server/serve_config.h"
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

template <typename Args>
int Measure(const Args& a) {
  if (a.models.empty()) return Fail("--measure needs at least one --model NAME=FILE");
  std::vector<server::ModelEntry> entries;
  for (const std::string& m : a.models) {
    if (Status s = server::AddModelSpec(m, &entries); !s.ok()) return Fail(s.message());
  }
  for (const std::string& t : a.tokenizers) {
    if (Status s = server::AddTokenizerSpec(t, &entries); !s.ok()) return Fail(s.message());
  }
  std::vector<serving::ModelLatency> measured;
  fmt::print("{:<16} | {:>9} {:>10} {:>10} {:>6} | {:>9} {:>10} {:>9} {:>6} | {:>8} {:>9}\n",
             "model", "prefill a", "b (/tok)", "c (/tok^2)", "R^2", "decode a", "b (/ctx)",
             "c (/seq)", "R^2", "load s", "KV GB/s");
  for (const server::ModelEntry& e : entries) {
    auto model = executor::LoadCpuModel(e.name, e.path, e.tokenizer);
    if (!model.ok()) return Fail(model.message());
    ProgressBar bar("measuring " + e.name, 1, ProgressBar::StderrIsTerminal());
    auto m = executor::MeasureCpuModel(**model, a.measure_options, [&](int done, int total) {
      bar.Update(static_cast<double>(done) / total, fmt::format("{}/{} points", done, total));
    });
    bar.Finish();
    if (!ProgressBar::StderrIsTerminal()) {
      fmt::print(stderr, "aegaeon latency: measured {}\n", e.name);
    }
    if (!m.ok()) return Fail(m.message());
    fmt::print(
        "{:<16} | {:>9.4f} {:>10.3e} {:>10.3e} {:>6.3f} | {:>9.4f} {:>10.3e} {:>9.2e} "
        "{:>6.3f} | {:>8.4f} {:>9.2f}\n",
        m->model, m->prefill.a, m->prefill.b, m->prefill.c, m->prefill_error.r2, m->decode.a,
        m->decode.b, m->decode.c, m->decode_error.r2, m->load_s, m->kv_move_bytes_per_s / 1e9);
    measured.push_back(std::move(*m));
  }
  if (!a.output.empty()) {
    std::ofstream f(a.output);
    f << serving::LatencyProfileJson(measured);
    if (!f) return Fail("cannot write " + a.output);
    fmt::print(stderr, "aegaeon latency: wrote {}\n", a.output);
  }
  return 0;
}

template <typename Args>
int Calibrate(const Args& a) {
  if (a.profile.empty()) {
    return Fail("--calibrate needs --profile PROFILE.json: the profile the server planned with");
  }
  if (a.output.empty()) return Fail("--calibrate needs --output FILE for the calibrated profile");
  auto profile = serving::ReadLatencyProfile(a.profile);
  if (!profile.ok()) return Fail(profile.message());
  std::vector<serving::StepRecord> steps;
  for (const std::string& path : a.step_logs) {
    auto rows = serving::ReadStepLog(path);
    if (!rows.ok()) return Fail(rows.message());
    steps.insert(steps.end(), rows->begin(), rows->end());
  }
  auto cal = serving::CalibrateProfile(*profile, steps);
  if (!cal.ok()) return Fail(cal.message());
  fmt::print("served / predicted seconds, median per kind (steps), from {} steps:\n", steps.size());
  fmt::print("{:<16} | {:>14} | {:>14} | {:>14}\n", "model", "prefill", "decode", "load");
  for (const auto& e : cal->entries) {
    fmt::print("{:<16} | {:>6.3f}x {:>6} | {:>6.3f}x {:>6} | {:>6.3f}x {:>6}\n", e.model,
               e.prefill_ratio, fmt::format("({})", e.prefills), e.decode_ratio,
               fmt::format("({})", e.decodes), e.load_ratio, fmt::format("({})", e.loads));
  }
  if (cal->unmatched_steps > 0) {
    fmt::print(stderr, "aegaeon latency: {} steps were of models {} has no entry for (ignored)\n",
               cal->unmatched_steps, a.profile);
  }
  std::ofstream f(a.output);
  f << serving::LatencyProfileJson(cal->profile);
  if (!f) return Fail("cannot write " + a.output);
  fmt::print(stderr, "aegaeon latency: wrote {}\n", a.output);
  return 0;
}

}  // namespace

void RegisterLatency(CLI::App& root, std::function<int()>& action) {
  auto* app = root.add_subcommand(
      "latency",
      "fit latency models to measured GPU profiles, or measure this machine's CPU engine");
  app->footer(R"(Models, per (model, device), by least squares:
  prefill of prompt lengths l_i:  a + b * sum(l) + c * sum(l^2)
  one decode step:                a + b * sum(context lengths) + c * batch_size

Examples:
  aegaeon latency --profiles ../shared/data/aegaeon-profiles/latency.csv
  aegaeon latency --profiles latency.csv --model llama2_7b --gpu A100 --json /tmp/fits.json
  aegaeon latency --measure --model qwen=/tmp/q.gguf --model llama=/tmp/l.gguf --output cpu.json
  aegaeon latency --calibrate steps.csv --profile cpu.json --output calibrated.json
The measured profile (--measure) holds each model's fits, the seconds its weights take to load
into an instance and the bytes per second KV moves to and from host memory: aegaeon serve
--latency-profile plans with it, aegaeon sim (cluster.latency_profile) simulates with it.
--calibrate scales each entry by what a server's steps cost under load (aegaeon serve
--step-log): prefill and decode coefficients by the median served/predicted ratio of its steps
(a kind with under 5 steps keeps its figures), load time by that of its switches that loaded
weights.

Rows whose batch holds more than --max-prefill-tokens prompt tokens are left out of the prefill
fit (the profiler measured only the first chunk of those), and rows whose context exceeds
--max-decode-context are left out of the decode fit (those decode steps did not run).)");
  struct Args {
    std::string profiles, model, gpu, json, output;
    std::vector<std::string> models, tokenizers, step_logs;
    std::string profile;
    bool measure = false;
    executor::MeasureOptions measure_options;
    sim::FitOptions fit;
  };
  auto a = std::make_shared<Args>();
  app->add_option("--profiles", a->profiles,
                  "latency.csv in the Aegaeon artifact's layout (model, gpu, input_len, "
                  "batch_size, prefill_mean_s, decode_step_mean_s, ...)");
  app->add_flag("--measure", a->measure,
                "measure the CPU engine on this machine for each --model (NAME=FILE)");
  app->add_option("--calibrate", a->step_logs,
                  "step logs of aegaeon serve --step-log (repeatable): scale --profile by them")
      ->check(CLI::ExistingFile);
  app->add_option("--profile", a->profile,
                  "--calibrate: the latency profile the server planned with")
      ->check(CLI::ExistingFile);
  app->add_option("--output", a->output,
                  "--measure, --calibrate: write the latency profile (JSON) here");
  app->add_option("--tokenizer", a->tokenizers, "--measure: NAME=TOK.bin for a llama2.c model");
  app->add_option("--threads", a->measure_options.threads,
                  "--measure: compute threads, as aegaeon serve --threads (default 1)")
      ->check(CLI::PositiveNumber);
  app->add_option("--repeats", a->measure_options.repeats,
                  "--measure: each figure is the median of this many runs (default 3)")
      ->check(CLI::PositiveNumber);
  app->add_option("--lengths", a->measure_options.lengths,
                  "--measure: prompt lengths and decode contexts of the grid, comma-separated "
                  "(default 8,32,64,128)")
      ->delimiter(',')
      ->check(CLI::PositiveNumber);
  app->add_option("--batches", a->measure_options.batches,
                  "--measure: batch sizes of the grid, comma-separated (default 1,2,4,8,16,32,64)")
      ->delimiter(',')
      ->check(CLI::PositiveNumber);
  app->add_option("--model", a->models,
                  "with --profiles: only this model; with --measure: NAME=FILE to measure "
                  "(repeatable)");
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
      if (a->measure && !a->step_logs.empty())
        return Fail("give --measure or --calibrate, not both");
      if (a->measure) return Measure(*a);
      if (!a->step_logs.empty()) return Calibrate(*a);
      if (a->profiles.empty()) {
        return Fail("give --profiles LATENCY.csv, --measure or --calibrate STEPS.csv");
      }
      if (a->models.size() > 1) return Fail("with --profiles, --model names one model");
      if (!a->models.empty()) a->model = a->models.front();
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
