// Generated and replayed request streams for the simulator.
#include "sim/workload.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>

#include <fmt/format.h>

#include "core/distributions.h"
#include "core/rng.h"
#include "core/text.h"
#include "servegen/generator.h"
#include "servegen/pool_loader.h"
#include "servegen/presets.h"
#include "servegen/rate_function.h"
#include "servegen/trace_reader.h"

namespace llms::sim {

namespace {

// "HH:MM:SS.mmm" to seconds.
std::optional<double> ParseClock(const std::string& s) {
  int h = 0, m = 0;
  double sec = 0;
  char c1 = 0, c2 = 0;
  if (std::sscanf(s.c_str(), "%d%c%d%c%lf", &h, &c1, &m, &c2, &sec) != 5 || c1 != ':' ||
      c2 != ':' || h < 0 || m < 0 || m >= 60 || sec < 0 || sec >= 61) {
    return std::nullopt;
  }
  return h * 3600.0 + m * 60.0 + sec;
}

struct ArtifactRow {
  double time;
  std::string model;
  int input, output;
};

Result<std::vector<ArtifactRow>> ReadArtifactCsv(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::Error(fmt::format("{}: cannot open (does the file exist?)", path));
  std::string line;
  if (!std::getline(in, line) ||
      Trim(line) != "Request Time,Model Name,Input Length,Output Length") {
    return Status::Error(fmt::format(
        "{}:1: expected the header 'Request Time,Model Name,Input Length,Output Length'", path));
  }
  std::vector<ArtifactRow> rows;
  for (int lineno = 2; std::getline(in, line); ++lineno) {
    const std::string row(Trim(line));
    if (row.empty()) continue;
    const auto f = Split(row, ',');
    if (f.size() != 4) {
      return Status::Error(
          fmt::format("{}:{}: expected 4 fields, found {}", path, lineno, f.size()));
    }
    const auto t = ParseClock(std::string(f[0]));
    const auto input = ParseInt(f[2]);
    const auto output = ParseInt(f[3]);
    if (!t)
      return Status::Error(fmt::format("{}:{}: bad time '{}' (HH:MM:SS.mmm)", path, lineno, f[0]));
    if (!input || *input < 1 || !output || *output < 1) {
      return Status::Error(fmt::format("{}:{}: lengths must be integers >= 1 (got '{}', '{}')",
                                       path, lineno, f[2], f[3]));
    }
    rows.push_back({*t, std::string(f[1]), static_cast<int>(*input), static_cast<int>(*output)});
  }
  if (rows.empty()) return Status::Error(fmt::format("{}: no requests", path));
  return rows;
}

bool LooksLikeArtifactCsv(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  return std::getline(in, line) && line.rfind("Request Time,", 0) == 0;
}

}  // namespace

Result<std::vector<LengthPair>> LoadLengthPairs(const std::string& path) {
  auto rows = ReadArtifactCsv(path);
  if (!rows.ok()) return rows.status();
  std::vector<LengthPair> out;
  for (const auto& r : *rows) out.push_back({r.input, r.output});
  return out;
}

Result<ArrivalKind> ParseArrivalKind(const std::string& name) {
  if (name == "poisson") return ArrivalKind::kPoisson;
  if (name == "gamma") return ArrivalKind::kGamma;
  if (name == "servegen") return ArrivalKind::kServeGen;
  return Status::Error(
      fmt::format("unknown arrival process '{}' (poisson, gamma, servegen)", name));
}

Result<bool> ParseServegenSkewed(const std::string& rates) {
  if (rates == "equal" || rates == "skewed") return rates == "skewed";
  return Status::Error(fmt::format("servegen_rates must be 'equal' or 'skewed', not '{}'", rates));
}

Result<std::vector<serving::ServingRequest>> GenerateWorkload(
    const WorkloadSpec& spec, const std::vector<LengthPair>& lengths) {
  if (lengths.empty()) return Status::Error("the length sample is empty");
  if (spec.num_models < 1 || !(spec.rate_per_model > 0) || !(spec.duration_s > 0)) {
    return Status::Error("a workload needs >= 1 model, a rate > 0 and a duration > 0");
  }
  // The arrivals come from servegen's generator over a pool of one client per model: each client
  // has the model's rate and inter-arrival CV per window (Gamma renewal processes in
  // rate-rescaled time), and the rate function is the pool's own total, so every model keeps its
  // own rate exactly.
  servegen::ClientPool pool;
  pool.source = "aegaeon sim workload";
  std::vector<servegen::TraceWindow> shape;  // per window of one model (servegen: per client)
  std::vector<std::vector<servegen::TraceWindow>> windows(static_cast<size_t>(spec.num_models));
  auto window = [](double rate, double cv) {
    servegen::TraceWindow w;
    w.rate = rate;
    w.cv = cv;
    w.pattern = servegen::ArrivalPattern::kGamma;
    return w;
  };
  if (spec.arrivals == ArrivalKind::kServeGen) {
    auto preset = servegen::LoadPreset(spec.servegen_preset);
    if (!preset.ok()) return preset.status();
    pool.window_seconds = preset->window_seconds;
    const double window_s = static_cast<double>(preset->window_seconds);
    const size_t span = static_cast<size_t>(std::ceil(spec.duration_s / window_s));
    const size_t windows_seen = std::min(preset->num_windows, span);
    // Clients active in every simulated window, busiest first; model m follows client m mod K.
    std::vector<const servegen::Client*> clients =
        servegen::ClientsActiveThroughout(*preset, 0, windows_seen);
    if (clients.empty()) {
      return Status::Error(
          fmt::format("servegen preset '{}' has no client active throughout "
                      "the first {} s",
                      spec.servegen_preset, spec.duration_s));
    }
    // Skewed: every model's rate is divided by the models' average client rate instead of its own.
    double average = 0;
    for (int m = 0; m < spec.num_models; ++m) {
      average += clients[static_cast<size_t>(m) % clients.size()]->MeanRate(0, windows_seen);
    }
    average /= spec.num_models;
    pool.num_windows = span;
    for (int m = 0; m < spec.num_models; ++m) {
      const servegen::Client& c = *clients[static_cast<size_t>(m) % clients.size()];
      const double mean = spec.servegen_skewed ? average : c.MeanRate(0, windows_seen);
      for (size_t k = 0; k < span; ++k) {
        // Past the preset's last window its last window repeats.
        const servegen::TraceWindow& w = c.windows[std::min(k, windows_seen - 1)];
        windows[static_cast<size_t>(m)].push_back(
            window(w.rate / mean * spec.rate_per_model, w.cv));
      }
    }
  } else {
    pool.window_seconds = static_cast<int64_t>(std::ceil(spec.duration_s));
    pool.num_windows = 1;
    for (int m = 0; m < spec.num_models; ++m) {
      windows[static_cast<size_t>(m)] = {
          window(spec.rate_per_model, spec.arrivals == ArrivalKind::kGamma ? spec.cv : 1.0)};
    }
  }
  // The lengths come from the experiment's sample (below); the pool's own are placeholders.
  servegen::LengthWindow placeholder;
  placeholder.fields[static_cast<int>(servegen::LengthField::kInputTokens)] =
      servegen::EmpiricalDistribution::FromSamples({1.0});
  placeholder.fields[static_cast<int>(servegen::LengthField::kOutputTokens)] =
      servegen::EmpiricalDistribution::FromSamples({1.0});
  for (int m = 0; m < spec.num_models; ++m) {
    servegen::Client c;
    c.id = fmt::format("model-{}", m);
    c.windows = std::move(windows[static_cast<size_t>(m)]);
    c.lengths = {placeholder};
    pool.clients.push_back(std::move(c));
  }
  servegen::RateSpec trace_rate;  // the pool's own total
  auto rate = servegen::BuildRateFunction(trace_rate, pool, 0, spec.duration_s);
  if (!rate.ok()) return rate.status();
  servegen::GenerateOptions go;
  go.duration = spec.duration_s;
  go.seed = spec.seed;
  go.arrival = servegen::ArrivalChoice::kGamma;
  std::vector<serving::ServingRequest> out;
  auto sink = [&](const servegen::RequestBatch& batch) {
    for (const servegen::Request& q : batch.requests) {
      serving::ServingRequest r;
      r.model = static_cast<int>(q.client);
      r.arrival_s = q.timestamp;
      out.push_back(std::move(r));
    }
    return Status::Ok();
  };
  auto generated = servegen::Generate(pool, *rate, go, sink);
  if (!generated.ok()) return generated.status();
  // Each model's requests draw their (input, output) pair from the sample, in arrival order.
  std::vector<Rng> rngs;
  for (int m = 0; m < spec.num_models; ++m) {
    rngs.push_back(Rng::ForStream(spec.seed, static_cast<uint64_t>(m)));
  }
  for (size_t i = 0; i < out.size(); ++i) {
    serving::ServingRequest& r = out[i];
    const LengthPair& p = lengths[rngs[static_cast<size_t>(r.model)].NextU64() % lengths.size()];
    r.prompt_tokens = std::max(1, static_cast<int>(std::lround(p.input * spec.input_scale)));
    r.max_output_tokens = std::max(1, static_cast<int>(std::lround(p.output * spec.output_scale)));
    r.id = i;
  }
  return out;
}

Result<std::vector<serving::ServingRequest>> LoadWorkloadTrace(
    const std::string& path, int num_models, std::vector<SloClassTargets>* classes) {
  std::vector<serving::ServingRequest> out;
  if (LooksLikeArtifactCsv(path)) {
    auto rows = ReadArtifactCsv(path);
    if (!rows.ok()) return rows.status();
    std::map<std::string, int> index;  // in order of first arrival
    std::stable_sort(rows->begin(), rows->end(),
                     [](const auto& a, const auto& b) { return a.time < b.time; });
    for (const auto& row : *rows) {
      auto [it, added] = index.emplace(row.model, static_cast<int>(index.size()));
      if (num_models > 0 && it->second >= num_models) {
        return Status::Error(fmt::format(
            "{}: the trace names model '{}' (model number {} in order of first request), but {} "
            "models are served: replay it with at least as many models as it names (the "
            "artifact's synth-N files name N)",
            path, row.model, it->second + 1, num_models));
      }
      serving::ServingRequest r;
      r.model = it->second;
      r.arrival_s = row.time;
      r.prompt_tokens = row.input;
      r.max_output_tokens = row.output;
      out.push_back(std::move(r));
    }
  } else {
    if (num_models < 1) {
      return Status::Error(fmt::format("{}: a servegen trace needs the number of models", path));
    }
    auto trace = servegen::ReadTrace(path);
    if (!trace.ok()) return trace.status();
    for (size_t i = 0; i < trace->batch.requests.size(); ++i) {
      const servegen::Request& q = trace->batch.requests[i];
      serving::ServingRequest r;
      r.model = servegen::ModelOfRequest(*trace, i, num_models);
      r.arrival_s = q.timestamp;
      r.prompt_tokens = static_cast<int>(std::max<int64_t>(1, q.input_tokens));
      r.max_output_tokens = static_cast<int>(std::max<int64_t>(1, q.output_tokens));
      if (q.slo_class != servegen::Request::kNoSloClass) r.slo_class = q.slo_class;
      out.push_back(std::move(r));
    }
    if (classes) {
      classes->clear();
      for (const auto& c : trace->slo_classes)
        classes->push_back({c.name, SloTargets{c.ttft_ms / 1e3, c.tpot_ms / 1e3}});
    }
  }
  if (out.empty()) return Status::Error(fmt::format("{}: no requests", path));
  for (size_t i = 0; i < out.size(); ++i) out[i].id = i;
  return out;
}

}  // namespace llms::sim
