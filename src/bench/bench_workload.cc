// Trace or preset to a list of timed, sized, model-assigned requests.
#include "bench/bench_workload.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "core/rng.h"
#include "servegen/generator.h"
#include "servegen/pool_loader.h"
#include "servegen/presets.h"
#include "servegen/rate_function.h"
#include "servegen/trace_reader.h"

namespace llms::bench {

Result<LoadedWorkload> LoadBenchWorkload(const WorkloadOptions& o) {
  if (o.num_models < 1) return Result<LoadedWorkload>::Error("no models to benchmark");
  if (!(o.time_scale > 0) || !std::isfinite(o.time_scale))
    return Result<LoadedWorkload>::Error("--speed (--time-scale) must be a finite number > 0");
  Result<servegen::Trace> trace =
      o.trace.empty() ? servegen::GeneratePresetTrace(o.preset, o.preset_rate, o.duration_s, o.seed)
                      : servegen::ReadTrace(o.trace);
  if (!trace.ok()) return trace.status();
  const auto& reqs = trace->batch.requests;
  if (reqs.empty()) {
    return Result<LoadedWorkload>::Error((o.trace.empty() ? "preset " + o.preset : o.trace) +
                                         ": no requests to send");
  }
  LoadedWorkload loaded;
  for (const auto& c : trace->slo_classes)
    loaded.slo_classes.push_back({c.name, SloTargets{c.ttft_ms / 1e3, c.tpot_ms / 1e3}});
  std::vector<BenchItem>& items = loaded.items;
  std::unordered_map<int64_t, size_t> last_turn;  // session -> index of its latest item
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
    it.slo_class = r.slo_class == servegen::Request::kNoSloClass ? -1 : r.slo_class;
    if (r.session >= 0) {
      it.turn = r.turn;
      it.think_s = static_cast<double>(r.think_s) / o.time_scale;
      auto [pos, fresh] = last_turn.try_emplace(r.session, items.size());
      if (!fresh) {
        if (o.closed_loop_sessions && !o.fixed_rate) {
          it.prev = static_cast<int64_t>(pos->second);
          items[pos->second].next = static_cast<int64_t>(items.size());
          // A conversation stays on its first turn's model (its history is there).
          it.model = items[pos->second].model;
          loaded.closed_loop_sessions = true;
        }
        pos->second = items.size();
      }
    }
    // Clipped to the context of the model it goes to (chosen above).
    const int ctx = static_cast<size_t>(it.model) < o.context.size()
                        ? o.context[static_cast<size_t>(it.model)]
                        : 0;
    const auto [in, out] = servegen::FitLengths(r.input_tokens, r.output_tokens, o.max_input_tokens,
                                                o.max_output_tokens, ctx);
    it.input_tokens = in;
    it.output_tokens = out;
    items.push_back(it);
  }
  return loaded;
}

}  // namespace llms::bench
