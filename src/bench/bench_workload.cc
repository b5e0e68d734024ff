// Trace or preset to a list of timed, sized, model-assigned requests.
#include "bench/bench_workload.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/rng.h"
#include "servegen/generator.h"
#include "servegen/pool_loader.h"
#include "servegen/presets.h"
#include "servegen/rate_function.h"
#include "servegen/trace_reader.h"

namespace llms::bench {

namespace {

Result<servegen::Trace> FromPreset(const WorkloadOptions& o) {
  auto pool = servegen::LoadPreset(o.preset);
  if (!pool.ok()) return pool.status();
  servegen::GenerateOptions go;
  go.span_start = static_cast<double>(pool->start);
  go.duration = o.duration_s;
  go.seed = o.seed;
  const auto rate = servegen::RateFunction::Constant(o.preset_rate, o.duration_s);
  servegen::Trace trace;
  trace.has_client_ids = true;
  for (const auto& c : pool->clients) trace.clients.push_back(c.id);
  auto summary = servegen::Generate(*pool, rate, go, [&](const servegen::RequestBatch& b) {
    trace.batch.requests.insert(trace.batch.requests.end(), b.requests.begin(), b.requests.end());
    return Status::Ok();
  });
  if (!summary.ok()) return summary.status();
  return trace;
}

}  // namespace

Result<std::vector<BenchItem>> LoadBenchWorkload(const WorkloadOptions& o) {
  if (o.num_models < 1) return Result<std::vector<BenchItem>>::Error("no models to benchmark");
  if (o.time_scale <= 0) return Result<std::vector<BenchItem>>::Error("--time-scale must be > 0");
  Result<servegen::Trace> trace = o.trace.empty() ? FromPreset(o) : servegen::ReadTrace(o.trace);
  if (!trace.ok()) return trace.status();
  const auto& reqs = trace->batch.requests;
  if (reqs.empty()) {
    return Result<std::vector<BenchItem>>::Error(
        (o.trace.empty() ? "preset " + o.preset : o.trace) + ": no requests to send");
  }
  std::vector<BenchItem> items;
  const size_t n = o.limit > 0 ? std::min(reqs.size(), static_cast<size_t>(o.limit)) : reqs.size();
  items.reserve(n);
  Rng rng(o.seed ^ 0x62656e6368ULL);
  double t = 0;
  const double t0 = reqs.front().timestamp;
  for (size_t i = 0; i < n; ++i) {
    const servegen::Request& r = reqs[i];
    BenchItem it;
    if (o.fixed_rate) {
      t += -std::log(rng.NextOpenUnit()) / *o.fixed_rate;
      it.at_s = t;
    } else {
      it.at_s = (r.timestamp - t0) / o.time_scale;
    }
    it.client = r.client;
    it.model = servegen::ModelOfRequest(*trace, i, o.num_models);
    int in = static_cast<int>(std::clamp<int64_t>(r.input_tokens, 1, 1 << 20));
    int out = static_cast<int>(std::clamp<int64_t>(r.output_tokens, 1, 1 << 20));
    if (o.max_input_tokens > 0) in = std::min(in, o.max_input_tokens);
    if (o.max_output_tokens > 0) out = std::min(out, o.max_output_tokens);
    const int ctx = static_cast<size_t>(it.model) < o.context.size()
                        ? o.context[static_cast<size_t>(it.model)]
                        : 0;
    if (ctx > 1 && in + out > ctx) {
      // Keep the request's shape: scale both down to fit the model's context.
      const double f = static_cast<double>(ctx) / (in + out);
      in = std::max(1, static_cast<int>(in * f));
      out = std::max(1, std::min(ctx - in, static_cast<int>(out * f)));
      if (in + out > ctx) in = ctx - out;
    }
    it.input_tokens = in;
    it.output_tokens = out;
    items.push_back(it);
  }
  return items;
}

}  // namespace llms::bench
