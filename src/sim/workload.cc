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
#include "servegen/pool_loader.h"
#include "servegen/presets.h"
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

// Gamma renewal arrivals in rate-rescaled time: intervals of mean 1 and CV `cv(t)` in
// Lambda(t) = integral of the rate, mapped back through a piecewise-constant rate.
void RenewalArrivals(const std::vector<double>& rates, const std::vector<double>& cvs,
                     double window_s, double duration_s, Rng& rng, std::vector<double>* out) {
  double lambda_next = 0;  // operational time of the next arrival
  double lambda = 0;       // operational time at the start of window k
  auto draw = [&](double cv) {
    if (cv <= 0) return 1.0;
    if (std::abs(cv - 1.0) < 1e-12) return SampleExponential(rng);
    const double shape = 1.0 / (cv * cv);
    return SampleGamma(shape, rng) / shape;
  };
  size_t k = 0;
  lambda_next = draw(cvs.empty() ? 1.0 : cvs[0]);
  for (double t0 = 0; t0 < duration_s; t0 += window_s, ++k) {
    const size_t w = std::min(k, rates.size() - 1);
    const double len = std::min(window_s, duration_s - t0);
    const double lambda_end = lambda + rates[w] * len;
    while (rates[w] > 0 && lambda_next < lambda_end) {
      out->push_back(t0 + (lambda_next - lambda) / rates[w]);
      lambda_next += draw(cvs[w]);
    }
    lambda = lambda_end;
  }
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
  // Per-model rate shape and CV per window.
  std::vector<std::vector<double>> rates(static_cast<size_t>(spec.num_models)),
      cvs(static_cast<size_t>(spec.num_models));
  double window_s = spec.duration_s;
  if (spec.arrivals == ArrivalKind::kServeGen) {
    const auto files = servegen::PresetFiles(spec.servegen_preset);
    if (!files) {
      return Status::Error(fmt::format("unknown servegen preset '{}'", spec.servegen_preset));
    }
    servegen::LoadOptions lo;
    auto pool = servegen::LoadPoolFromFiles(*files, "preset:" + spec.servegen_preset, lo);
    if (!pool.ok()) return pool.status();
    window_s = static_cast<double>(pool->window_seconds);
    const size_t windows =
        std::min(pool->num_windows, static_cast<size_t>(std::ceil(spec.duration_s / window_s)));
    // Clients active in every simulated window, busiest first.
    auto mean_rate = [&](const servegen::Client* c) {
      double s = 0;
      for (size_t k = 0; k < windows; ++k) s += c->windows[k].rate;
      return s / static_cast<double>(windows);
    };
    std::vector<const servegen::Client*> clients;
    for (const auto& c : pool->clients) {
      bool active = true;
      for (size_t k = 0; k < windows; ++k) active = active && c.windows[k].active();
      if (active) clients.push_back(&c);
    }
    if (clients.empty()) {
      return Status::Error(
          fmt::format("servegen preset '{}' has no client active throughout "
                      "the first {} s",
                      spec.servegen_preset, spec.duration_s));
    }
    std::stable_sort(clients.begin(), clients.end(),
                     [&](auto* a, auto* b) { return mean_rate(a) > mean_rate(b); });
    // Skewed: every model's rate is divided by the models' average client rate instead of its own.
    double average = 0;
    for (int m = 0; m < spec.num_models; ++m) {
      average += mean_rate(clients[static_cast<size_t>(m) % clients.size()]);
    }
    average /= spec.num_models;
    for (int m = 0; m < spec.num_models; ++m) {
      const servegen::Client& c = *clients[static_cast<size_t>(m) % clients.size()];
      const double mean = spec.servegen_skewed ? average : mean_rate(&c);
      for (size_t k = 0; k < windows; ++k) {
        rates[static_cast<size_t>(m)].push_back(c.windows[k].rate / mean * spec.rate_per_model);
        cvs[static_cast<size_t>(m)].push_back(c.windows[k].cv);
      }
    }
  } else {
    for (int m = 0; m < spec.num_models; ++m) {
      rates[static_cast<size_t>(m)] = {spec.rate_per_model};
      cvs[static_cast<size_t>(m)] = {spec.arrivals == ArrivalKind::kGamma ? spec.cv : 1.0};
    }
  }
  std::vector<serving::ServingRequest> out;
  for (int m = 0; m < spec.num_models; ++m) {
    Rng rng = Rng::ForStream(spec.seed, static_cast<uint64_t>(m));
    std::vector<double> times;
    RenewalArrivals(rates[static_cast<size_t>(m)], cvs[static_cast<size_t>(m)], window_s,
                    spec.duration_s, rng, &times);
    for (double t : times) {
      const LengthPair& p = lengths[rng.NextU64() % lengths.size()];
      serving::ServingRequest r;
      r.model = m;
      r.arrival_s = t;
      r.prompt_tokens = std::max(1, static_cast<int>(std::lround(p.input * spec.input_scale)));
      r.max_output_tokens =
          std::max(1, static_cast<int>(std::lround(p.output * spec.output_scale)));
      out.push_back(std::move(r));
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.arrival_s < b.arrival_s; });
  for (size_t i = 0; i < out.size(); ++i) out[i].id = i;
  return out;
}

Result<std::vector<serving::ServingRequest>> LoadWorkloadTrace(const std::string& path,
                                                               int num_models) {
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
    for (const auto& q : trace->batch.requests) {
      serving::ServingRequest r;
      r.model = static_cast<int>(q.client % static_cast<uint32_t>(num_models));
      r.arrival_s = q.timestamp;
      r.prompt_tokens = static_cast<int>(std::max<int64_t>(1, q.input_tokens));
      r.max_output_tokens = static_cast<int>(std::max<int64_t>(1, q.output_tokens));
      out.push_back(std::move(r));
    }
  }
  if (out.empty()) return Status::Error(fmt::format("{}: no requests", path));
  for (size_t i = 0; i < out.size(); ++i) out[i].id = i;
  return out;
}

}  // namespace llms::sim
