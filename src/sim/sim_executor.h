// The simulated side of the scheduler's seam: GpuLatency predicts how long a model's work takes on
// a GPU (a profile fit where one exists, else the roofline; switches from weight bytes and the
// host-to-device link), and SimExecutor "runs" an action by returning that prediction, so the
// simulation (simulation.h) advances its virtual clock by it. Charged per action:
//   switch  = KV out (bytes / link) + engine start (a fixed time per scale-up, charged to
//             baselines that run on a stock engine; 0 by default) + weights in (load time minus
//             what a prefetch already did) + KV in (bytes / link)
//   prefill = prefill latency of the batch, overlapped with its KV out to the host pool when
//             handed off (Overlapped: layer l's KV leaves while layer l+1 computes)
//   decode  = decode-step latency, overlapped with the KV in of sequences that joined the batch
//             since its last step (layer l's KV arrives while layer l-1 computes)
#pragma once

#include <optional>

#include "serving/executor.h"
#include "serving/served_model.h"
#include "sim/latency_model.h"

namespace llms::sim {

class GpuLatency : public serving::LatencyPredictor {
 public:
  // `fit`: measured profile fit (preferred); otherwise `roofline` predicts compute steps.
  // Weights load at `load_efficiency` x the GPU's host-to-device bandwidth (SwitchSeconds).
  GpuLatency(std::optional<FittedLatency> fit, const RooflineLatency& roofline, double weight_bytes,
             const GpuSpec& gpu, double load_efficiency = 0.15);
  double PrefillSeconds(std::span<const int> prompt_lengths) const override;
  double DecodeSeconds(int64_t sum_context, int batch_size) const override;
  double LoadSeconds() const override { return load_s_; }
  double KvMoveSeconds(double bytes) const override { return bytes / gpu_.host_to_device; }
  bool has_fit() const { return fit_.has_value(); }

 private:
  std::optional<FittedLatency> fit_;
  RooflineLatency roofline_;
  GpuSpec gpu_;
  double load_s_;
};

// Compute and a KV move pipelined layer by layer over `layers` layers: the longer of the two plus
// one layer's share of the shorter (the first layer's move before compute, or the last layer's
// after it). `layers` 1 gives the serial sum.
double Overlapped(double compute_s, double move_s, int layers);

class SimExecutor : public serving::Executor {
 public:
  // `engine_start_s`: added to every switch (a stock engine re-initialising on each scale-up).
  explicit SimExecutor(const std::vector<serving::ServedModel>* models, double engine_start_s = 0)
      : models_(models), engine_start_s_(engine_start_s) {}
  serving::ActionResult Run(const serving::Action& action) override;

 private:
  const std::vector<serving::ServedModel>* models_;
  double engine_start_s_;
};

}  // namespace llms::sim
