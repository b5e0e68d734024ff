// Predicted action times for the simulation.
#include "sim/sim_executor.h"

#include <algorithm>
#include <vector>

namespace llms::sim {

namespace {
constexpr double kMinStepSeconds = 1e-4;  // a fit's intercept can fall below 0 at tiny batches
}

GpuLatency::GpuLatency(std::optional<FittedLatency> fit, const RooflineLatency& roofline,
                       double weight_bytes, const GpuSpec& gpu, double load_efficiency)
    : fit_(std::move(fit)),
      roofline_(roofline),
      gpu_(gpu),
      load_s_(SwitchSeconds(weight_bytes, gpu, load_efficiency)) {}

double GpuLatency::PrefillSeconds(std::span<const int> lengths) const {
  const double s = fit_ ? fit_->prefill.Seconds(lengths) : roofline_.PrefillSeconds(lengths);
  return std::max(s, kMinStepSeconds);
}

double GpuLatency::DecodeSeconds(int64_t sum_context, int batch_size) const {
  const double s = fit_ ? fit_->decode.Seconds(sum_context, batch_size)
                        : roofline_.DecodeSeconds(sum_context, batch_size);
  return std::max(s, kMinStepSeconds);
}

double Overlapped(double compute_s, double move_s, int layers) {
  const double l = std::max(1, layers);
  return std::max(compute_s, move_s) + std::min(compute_s, move_s) / l;
}

serving::ActionResult SimExecutor::Run(const serving::Action& a) {
  const serving::ServedModel& m = (*models_)[static_cast<size_t>(a.model)];
  const serving::LatencyPredictor& lat = *m.latency;
  serving::ActionResult r;
  auto kv_bytes = [](const std::vector<serving::ServingRequest*>& reqs, double per_token) {
    double tokens = 0;
    for (const serving::ServingRequest* q : reqs) tokens += q->context();
    return tokens * per_token;
  };
  switch (a.kind) {
    case serving::ActionKind::kSwitch: {
      if (a.from_model >= 0) {
        r.phases.kv_out_s = lat.KvMoveSeconds(
            kv_bytes(a.kv_out, (*models_)[static_cast<size_t>(a.from_model)].kv_bytes_per_token));
      }
      if (a.model != a.from_model) {  // otherwise a swap of two batches of one model: KV only
        r.phases.engine_start_s = engine_start_s_;
        r.phases.weights_in_s = std::max(0.0, lat.LoadSeconds() - a.prefetched_s);
      }
      r.phases.kv_in_s = lat.KvMoveSeconds(kv_bytes(a.requests, m.kv_bytes_per_token));
      r.seconds = r.phases.total();
      break;
    }
    case serving::ActionKind::kPrefill: {
      std::vector<int> lengths;
      lengths.reserve(a.requests.size());
      for (const serving::ServingRequest* q : a.requests) lengths.push_back(q->prompt_tokens);
      r.seconds = lat.PrefillSeconds(lengths);
      if (a.kv_out_after) {
        r.seconds = Overlapped(
            r.seconds, lat.KvMoveSeconds(kv_bytes(a.requests, m.kv_bytes_per_token)), m.layers);
      }
      break;
    }
    case serving::ActionKind::kDecode: {
      int64_t sum_context = 0;
      double joining = 0;
      for (const serving::ServingRequest* q : a.requests) {
        sum_context += q->context();
        if (!q->kv_on_instance) joining += q->context();
      }
      r.seconds = Overlapped(lat.DecodeSeconds(sum_context, static_cast<int>(a.requests.size())),
                             lat.KvMoveSeconds(joining * m.kv_bytes_per_token), m.layers);
      break;
    }
  }
  return r;
}

}  // namespace llms::sim
