// Step-latency models fitted to measurements, what a policy plans with (served_model.h's
// LatencyPredictor) and what the simulator charges: per (model, device), by least squares,
//   prefill of a batch with prompt lengths l_i:  a + b * sum(l) + c * sum(l^2)
//   one decode step over a batch:                a + b * sum(context lengths) + c * batch_size
// with each fit's error reported (R^2, RMSE, mean and max relative error). The measurements are
// rows in the layout of the Aegaeon artifact's latency.csv (sim/latency_profile.h reads them; the
// CPU executor measures its own: executor/cpu_profile.h). A LatencyProfile adds what a switch
// costs (loading a model's weights, moving KV) and is kept as JSON, so a server and the simulator
// plan with the same figures.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "serving/served_model.h"
#include "serving/step_log.h"

namespace llms::serving {

// One profiling run: `batch_size` requests of `input_len` tokens on one (model, device), with the
// mean prefill latency and the mean decode-step latency (at a context of input_len).
struct ProfileRow {
  std::string model, gpu;
  int input_len = 0;   // prompt length of each request (prefill) / context length (decode)
  int batch_size = 0;  // requests in the batch
  double prefill_s = 0.0;
  double decode_step_s = 0.0;
};

struct PrefillLatency {
  double a = 0, b = 0, c = 0;
  double Seconds(std::span<const int> prompt_lengths) const;
};

struct DecodeLatency {
  double a = 0, b = 0, c = 0;
  double Seconds(int64_t sum_context, int batch_size) const;
};

struct FitError {
  int points = 0;
  double r2 = 0, rmse_s = 0;
  double mean_rel = 0, max_rel = 0;  // |predicted - measured| / measured
};

struct FittedLatency {
  std::string model, gpu;
  PrefillLatency prefill;
  DecodeLatency decode;
  FitError prefill_error, decode_error;
};

// Which measurements a fit may use. The artifact's profiler ran vLLM with a per-step budget of
// 4096 batched tokens: a "prefill" of more prompt tokens measured only its first 4096-token
// chunk (the latency plateaus there), and its decode steps at a 4096-token context did not run
// (about 0.4 ms, far below any real step). Such rows are left out of the fits.
struct FitOptions {
  int64_t max_prefill_tokens = 4096;  // batch_size * input_len
  int max_decode_context = 4095;      // input_len
};

// One fit per (model, gpu) present in the rows, in (model, gpu) order.
std::vector<FittedLatency> FitLatencyModels(const std::vector<ProfileRow>& rows,
                                            const FitOptions& options = {});

// Least squares for y ~ X beta with three columns (exposed for tests); nullopt when singular.
std::optional<std::array<double, 3>> LeastSquares3(const std::vector<std::array<double, 3>>& x,
                                                   const std::vector<double>& y);

// A model's measured latencies on one device: its fits, the seconds its weights take to load into
// an instance, and the bytes per second KV moves between an instance and the host pool; with the
// bytes the scheduler sizes it by.
struct ModelLatency {
  std::string model, device;
  PrefillLatency prefill;
  DecodeLatency decode;
  FitError prefill_error, decode_error;
  double load_s = 0;
  double kv_move_bytes_per_s = 0;
  double weight_bytes = 0, kv_bytes_per_token = 0;
};

// A LatencyPredictor from measured figures.
std::shared_ptr<const LatencyPredictor> MeasuredPredictor(const ModelLatency& m);

// A latency profile as JSON: {"device": ..., "models": [{"model", "prefill": {a, b, c},
// "decode": {a, b, c}, "prefill_error": {...}, "decode_error": {...}, "load_s",
// "kv_move_bytes_per_s", "weight_bytes", "kv_bytes_per_token"}, ...]}.
std::string LatencyProfileJson(const std::vector<ModelLatency>& models);
Result<std::vector<ModelLatency>> ReadLatencyProfile(const std::string& path);

// The profile's entry for `name`, else one of the same size (weights and KV bytes per token: the
// same shape in the same type behaves the same), else nullptr.
const ModelLatency* FindLatency(const std::vector<ModelLatency>& profile, const std::string& name,
                                double weight_bytes, double kv_bytes_per_token);

// How a server's steps (aegaeon serve --step-log) compared with one profile entry: the median of
// measured / predicted seconds over its prefills, its decode steps and its switches that loaded
// weights (1 where fewer than `min_steps` of a kind ran), and how many of each.
struct CalibrationEntry {
  std::string model;
  int prefills = 0, decodes = 0, loads = 0;
  double prefill_ratio = 1, decode_ratio = 1, load_ratio = 1;
};
struct Calibration {
  std::vector<ModelLatency> profile;  // the input with each entry's figures scaled by its ratios
  std::vector<CalibrationEntry> entries;
  int unmatched_steps = 0;  // steps of models the profile has no entry for
};
// A profile measured up front, calibrated by what serving cost (under the contention of other
// instances, the HTTP server and its clients, and the work around each step: sampling,
// detokenizing, the scheduler): each entry's prefill and decode coefficients and its load time
// scaled by the median ratio, so the simulator charges what the server paid. An error when no
// step matches the profile.
Result<Calibration> CalibrateProfile(const std::vector<ModelLatency>& profile,
                                     const std::vector<StepRecord>& steps, int min_steps = 5);

}  // namespace llms::serving
