// Shared pool options: registration and loading.
#include "pool_options.h"

#include "core/progress.h"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "core/text.h"
#include "servegen/pool_filter.h"
#include "servegen/pool_loader.h"
#include "servegen/presets.h"

namespace llms::servegen::cli {

void PoolOptions::Register(CLI::App& app, bool with_rate, bool with_span) {
  app.add_option("--data", data,
                 "ServeGen data directory (chunk-<id>-trace.csv + chunk-<id>-dataset.json)");
  app.add_option("--preset", preset,
                 "embedded pool fitted from the ServeGen data: " +
                     fmt::format("{}", fmt::join(PresetNames(), ", ")));
  if (with_span) {
    app.add_option("--start", start,
                   "span start, seconds since the data's time 0 (default: the data's start)");
    app.add_option("--duration", duration, "span length in seconds (default 3600)");
  }
  app.add_option("--clients", clients, "comma-separated client ids to keep");
  app.add_option("--top-k", top_k, "keep the K clients with the highest mean rate in the span");
  app.add_option("--cv", cv,
                 "keep clients whose rate-weighted mean inter-arrival CV is in MIN:MAX");
  app.add_option("--mean-input", mean_input, "keep clients whose mean input length is in MIN:MAX");
  app.add_option("--mean-output", mean_output,
                 "keep clients whose mean output length is in MIN:MAX");
  app.add_option("--max-input", max_input, "keep clients whose input lengths never exceed N");
  app.add_option("--max-output", max_output, "keep clients whose output lengths never exceed N");
  app.add_option("--scale-client", scale_client,
                 "multiply one client's rate: ID=FACTOR or topN=FACTOR (repeatable; e.g. top1=2)");
  app.add_option("--category", category,
                 "language | multimodal | reason (default: inferred from the data)");
  if (with_rate) {
    app.add_option("--rate", rate,
                   "target aggregate rate: N (constant req/s), trace (the data's totals; default), "
                   "scale:K or Kx, "
                   "bounded:X (trace shape, peak X), csv:FILE (time_s,rate breakpoints, linear)");
    app.add_option(
        "--rate-resolution", rate_resolution,
        "average the rate function over steps of S seconds (any resolution; default: as given)");
  }
  app.add_flag("--keep-unmatched", keep_unmatched,
               "keep clients that have a trace but no length data (ServeGen's data lacks 55 "
               "dataset files), with the pool's rate-weighted pooled length distributions; by "
               "default they are left out and a note says how much traffic leaves with them");
  app.add_option("--threads", threads, "worker threads (output does not depend on it)")
      ->check(CLI::Range(1, 256));
}

Result<LoadedPool> LoadSelectedPool(const PoolOptions& o, bool with_rate) {
  if (o.data.empty() == o.preset.empty()) {
    return Result<LoadedPool>::Error(
        "give exactly one of --data DIR (a ServeGen data directory) or --preset NAME (one of " +
        fmt::format("{}", fmt::join(PresetNames(), ", ")) + ")");
  }
  if (!(o.duration > 0) || !std::isfinite(o.duration) || o.duration > 1e9) {
    return Result<LoadedPool>::Error(fmt::format(
        "--duration {} must be a number of seconds > 0 (and at most 1e9); e.g. --duration 3600",
        o.duration));
  }
  if (o.start && (!std::isfinite(*o.start) || std::abs(*o.start) > 1e11)) {
    return Result<LoadedPool>::Error(fmt::format(
        "--start {} must be a finite number of seconds since the data's time 0", *o.start));
  }
  LoadOptions lo;
  lo.threads = o.threads;
  lo.validate_all = o.validate_all;
  lo.keep_clients_without_lengths = o.keep_unmatched;
  if (!o.category.empty()) {
    auto c = ParseCategory(o.category);
    if (!c)
      return Result<LoadedPool>::Error("--category '" + o.category +
                                       "': expected language, multimodal or reason");
    lo.category = c;
  }
  // The span is needed before loading so only the length windows it uses are parsed. Without
  // --start the span starts at the data's start, which is only known after reading the traces:
  // load with an open span in that case (cheap for the presets and small pools, exact always).
  if (o.start) {
    lo.span_start = *o.start;
    lo.span_end = *o.start + o.duration;
  } else {
    lo.span_start = 0;
    lo.span_end = o.duration;
  }
  Result<ClientPool> pool = Result<ClientPool>::Error("");
  if (!o.preset.empty()) {
    auto files = PresetFiles(o.preset);
    if (!files) {
      return Result<LoadedPool>::Error(fmt::format("--preset '{}' does not exist; available: {}",
                                                   o.preset, fmt::join(PresetNames(), ", ")));
    }
    if (!o.start) lo.span_end = std::numeric_limits<double>::infinity();
    pool = LoadPoolFromFiles(*files, "preset:" + o.preset, lo);
  } else {
    pool = LoadPoolFromDirectory(o.data, lo);
  }
  if (!pool.ok()) return pool.status();
  LoadedPool out;
  out.span_start = o.start ? *o.start : static_cast<double>(pool->start);
  out.duration = o.duration;
  if (!o.start && pool->start != 0) {
    // The data does not start at 0: reload so the length windows of the actual span are parsed.
    lo.span_start = out.span_start;
    lo.span_end = out.span_start + o.duration;
    if (o.preset.empty()) pool = LoadPoolFromDirectory(o.data, lo);
    if (!pool.ok()) return pool.status();
  }
  PoolFilter filter;
  if (!o.clients.empty()) {
    for (auto id : Split(o.clients, ',')) {
      if (!Trim(id).empty()) filter.client_ids.emplace_back(Trim(id));
    }
  }
  filter.top_k = o.top_k;
  if (!o.cv.empty()) {
    auto r = ParseRange(o.cv, "--cv");
    if (!r.ok()) return r.status();
    filter.cv = *r;
  }
  if (!o.mean_input.empty()) {
    auto r = ParseRange(o.mean_input, "--mean-input");
    if (!r.ok()) return r.status();
    filter.mean_input = *r;
  }
  if (!o.mean_output.empty()) {
    auto r = ParseRange(o.mean_output, "--mean-output");
    if (!r.ok()) return r.status();
    filter.mean_output = *r;
  }
  filter.max_input = o.max_input;
  filter.max_output = o.max_output;
  for (const auto& s : o.scale_client) {
    auto p = ParseClientScale(s);
    if (!p.ok()) return p.status();
    filter.scales.push_back(*p);
  }
  auto filtered = ApplyFilter(*pool, filter, out.span_start, out.duration);
  if (!filtered.ok()) return filtered.status();
  out.pool = std::move(filtered).value();
  if (with_rate) {
    auto spec = ParseRateSpec(o.rate);
    if (!spec.ok()) return spec.status();
    spec->resolution = o.rate_resolution;
    if (o.rate_resolution < 0 || !std::isfinite(o.rate_resolution)) {
      return Result<LoadedPool>::Error("--rate-resolution must be a finite number of seconds >= 0");
    }
    auto rate = BuildRateFunction(*spec, out.pool, out.span_start, out.duration);
    if (!rate.ok()) return rate.status();
    out.rate = std::move(rate).value();
  }
  return out;
}

void ProgressArgs::Register(CLI::App& app) {
  app.add_flag("--progress", progress, "show a progress bar even when stderr is not a terminal");
}

bool ProgressArgs::Enabled(bool quiet) const {
  return !quiet && (progress || ProgressBar::StderrIsTerminal());
}

void TraceReadArgs::Register(CLI::App& app) {
  app.add_option("--time-unit", time_unit,
                 "unit of a plain 'timestamp' field: auto (ms, as Mooncake), s or ms");
  app.add_flag("--lenient", lenient,
               "skip malformed lines (and count them) instead of failing at file:line");
}

Result<ReadOptions> TraceReadArgs::ToReadOptions() const {
  auto unit = ParseTimeUnit(time_unit);
  if (!unit.ok()) return unit.status();
  ReadOptions ro;
  ro.time_unit = *unit;
  ro.lenient = lenient;
  return ro;
}

void PrintNotes(const ClientPool& pool, bool quiet) {
  if (quiet || pool.notes.empty()) return;
  const size_t shown = std::min<size_t>(pool.notes.size(), 5);
  for (size_t i = 0; i < shown; ++i) fmt::print(stderr, "note: {}\n", pool.notes[i]);
  if (pool.notes.size() > shown) {
    fmt::print(stderr, "note: ... and {} more such notes (`servegen inspect` lists them all)\n",
               pool.notes.size() - shown);
  }
}

}  // namespace llms::servegen::cli
