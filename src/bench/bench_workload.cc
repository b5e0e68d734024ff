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

Result<std::vector<BenchItem>> LoadBenchWorkload(const WorkloadOptions& o) {
  if (o.num_models < 1) return Result<std::vector<BenchItem>>::Error("no models to benchmark");
  if (o.time_scale <= 0) return Result<std::vector<BenchItem>>::Error("--time-scale must be > 0");
  Result<servegen::Trace> trace =
      o.trace.empty() ? servegen::GeneratePresetTrace(o.preset, o.preset_rate, o.duration_s, o.seed)
                      : servegen::ReadTrace(o.trace);
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
    const int ctx = static_cast<size_t>(it.model) < o.context.size()
                        ? o.context[static_cast<size_t>(it.model)]
                        : 0;
    const auto [in, out] = servegen::FitLengths(r.input_tokens, r.output_tokens, o.max_input_tokens,
                                                o.max_output_tokens, ctx);
    it.input_tokens = in;
    it.output_tokens = out;
    items.push_back(it);
  }
  return items;
}

}  // namespace llms::bench
