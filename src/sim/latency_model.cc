// Least-squares fits, roofline estimates and switch costs.
#include "sim/latency_model.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace llms::sim {

double PrefillLatency::Seconds(std::span<const int> lengths) const {
  double s1 = 0, s2 = 0;
  for (int l : lengths) {
    s1 += l;
    s2 += static_cast<double>(l) * l;
  }
  return a + b * s1 + c * s2;
}

double DecodeLatency::Seconds(int64_t sum_context, int batch_size) const {
  return a + b * static_cast<double>(sum_context) + c * batch_size;
}

std::optional<std::array<double, 3>> LeastSquares3(const std::vector<std::array<double, 3>>& x,
                                                   const std::vector<double>& y) {
  // Normal equations on columns scaled to unit maximum (the columns span 1 to 1e10), solved by
  // Gaussian elimination with partial pivoting.
  std::array<double, 3> scale{1, 1, 1};
  for (const auto& row : x) {
    for (int j = 0; j < 3; ++j) scale[j] = std::max(scale[j], std::fabs(row[j]));
  }
  double m[3][4] = {};
  for (size_t i = 0; i < x.size(); ++i) {
    for (int r = 0; r < 3; ++r) {
      const double xr = x[i][r] / scale[r];
      for (int c = 0; c < 3; ++c) m[r][c] += xr * x[i][c] / scale[c];
      m[r][3] += xr * y[i];
    }
  }
  for (int col = 0; col < 3; ++col) {
    int pivot = col;
    for (int r = col + 1; r < 3; ++r) {
      if (std::fabs(m[r][col]) > std::fabs(m[pivot][col])) pivot = r;
    }
    if (std::fabs(m[pivot][col]) < 1e-12) return std::nullopt;
    for (int c = 0; c < 4; ++c) std::swap(m[col][c], m[pivot][c]);
    for (int r = 0; r < 3; ++r) {
      if (r == col) continue;
      const double f = m[r][col] / m[col][col];
      for (int c = col; c < 4; ++c) m[r][c] -= f * m[col][c];
    }
  }
  std::array<double, 3> beta{};
  for (int j = 0; j < 3; ++j) beta[j] = m[j][3] / m[j][j] / scale[j];
  return beta;
}

namespace {

FitError Errors(const std::vector<double>& predicted, const std::vector<double>& measured) {
  FitError e;
  e.points = static_cast<int>(measured.size());
  if (measured.empty()) return e;
  double mean = 0;
  for (double v : measured) mean += v;
  mean /= static_cast<double>(measured.size());
  double ss_res = 0, ss_tot = 0;
  for (size_t i = 0; i < measured.size(); ++i) {
    const double d = predicted[i] - measured[i];
    ss_res += d * d;
    ss_tot += (measured[i] - mean) * (measured[i] - mean);
    const double rel = std::fabs(d) / measured[i];
    e.mean_rel += rel;
    e.max_rel = std::max(e.max_rel, rel);
  }
  e.mean_rel /= static_cast<double>(measured.size());
  e.rmse_s = std::sqrt(ss_res / static_cast<double>(measured.size()));
  e.r2 = ss_tot > 0 ? 1.0 - ss_res / ss_tot : 1.0;
  return e;
}

}  // namespace

std::vector<FittedLatency> FitLatencyModels(const std::vector<ProfileRow>& rows,
                                            const FitOptions& options) {
  std::map<std::pair<std::string, std::string>, std::vector<const ProfileRow*>> groups;
  for (const auto& r : rows) groups[{r.model, r.gpu}].push_back(&r);
  std::vector<FittedLatency> out;
  for (const auto& [key, group] : groups) {
    FittedLatency f;
    f.model = key.first;
    f.gpu = key.second;
    std::vector<std::array<double, 3>> xp, xd;
    std::vector<double> yp, yd;
    std::vector<const ProfileRow*> used_p, used_d;
    for (const ProfileRow* r : group) {
      const double n = r->batch_size, l = r->input_len;
      if (static_cast<int64_t>(r->batch_size) * r->input_len <= options.max_prefill_tokens) {
        xp.push_back({1.0, n * l, n * l * l});
        yp.push_back(r->prefill_s);
        used_p.push_back(r);
      }
      if (r->input_len <= options.max_decode_context) {
        xd.push_back({1.0, n * l, n});
        yd.push_back(r->decode_step_s);
        used_d.push_back(r);
      }
    }
    if (auto beta = LeastSquares3(xp, yp)) f.prefill = {(*beta)[0], (*beta)[1], (*beta)[2]};
    if (auto beta = LeastSquares3(xd, yd)) f.decode = {(*beta)[0], (*beta)[1], (*beta)[2]};
    std::vector<double> pp, pd;
    for (const ProfileRow* r : used_p) {
      std::vector<int> lengths(static_cast<size_t>(r->batch_size), r->input_len);
      pp.push_back(f.prefill.Seconds(lengths));
    }
    for (const ProfileRow* r : used_d) {
      pd.push_back(
          f.decode.Seconds(static_cast<int64_t>(r->batch_size) * r->input_len, r->batch_size));
    }
    f.prefill_error = Errors(pp, yp);
    f.decode_error = Errors(pd, yd);
    out.push_back(std::move(f));
  }
  return out;
}

const std::vector<GpuSpec>& KnownGpus() {
  constexpr double kGiB = 1024.0 * 1024 * 1024;
  // Dense FP16 tensor throughput and HBM bandwidth from NVIDIA's datasheets (A10 PCIe, A100 SXM 80
  // GB, H100 SXM, H20, H800 SXM); host-to-device bandwidth as the Aegaeon artifact assumes.
  static const std::vector<GpuSpec> gpus{
      {"A10", 125e12, 600e9, 32 * kGiB, 24 * kGiB},
      {"A100", 312e12, 2039e9, 32 * kGiB, 80 * kGiB},
      {"H100", 989e12, 3350e9, 32 * kGiB, 80 * kGiB},
      {"H20", 148e12, 4000e9, 32 * kGiB, 96 * kGiB},
      {"H800", 989e12, 3350e9, 64 * kGiB, 80 * kGiB},
  };
  return gpus;
}

const GpuSpec* FindGpu(const std::string& name) {
  for (const auto& g : KnownGpus()) {
    if (g.name == name) return &g;
  }
  return nullptr;
}

RooflineLatency RooflineLatency::For(const engine::ModelConfig& c, double bytes_per_weight,
                                     const GpuSpec& gpu) {
  RooflineLatency r;
  const double dim = c.dim, hidden = c.hidden_dim, kv = c.kv_dim(), layers = c.n_layers;
  const double per_layer = 2 * dim * dim + 2 * kv * dim + 3 * dim * hidden;
  r.params = layers * per_layer + static_cast<double>(c.vocab_size) * dim;  // + the classifier
  r.weight_bytes = (r.params + static_cast<double>(c.vocab_size) * dim) * bytes_per_weight;
  r.kv_bytes_per_token = 2 * layers * kv * 2;     // K and V, fp16
  r.attention_flops_per_pair = 4 * layers * dim;  // q.k and a.v per head dimension
  r.gpu = gpu;
  return r;
}

double RooflineLatency::PrefillSeconds(std::span<const int> lengths) const {
  double tokens = 0, pairs = 0;
  for (int l : lengths) {
    tokens += l;
    pairs += static_cast<double>(l) * (l + 1) / 2;  // causal attention
  }
  const double flops = 2 * params * tokens + attention_flops_per_pair * pairs;
  const double bytes = weight_bytes + kv_bytes_per_token * tokens;
  return std::max(flops / gpu.fp16_flops, bytes / gpu.memory_bandwidth);
}

double RooflineLatency::DecodeSeconds(int64_t sum_context, int batch_size) const {
  const double flops =
      2 * params * batch_size + attention_flops_per_pair * static_cast<double>(sum_context);
  const double bytes = weight_bytes + kv_bytes_per_token * static_cast<double>(sum_context);
  return std::max(flops / gpu.fp16_flops, bytes / gpu.memory_bandwidth);
}

double SwitchSeconds(double model_bytes, const GpuSpec& gpu, double efficiency) {
  return model_bytes / (efficiency * gpu.host_to_device);
}

}  // namespace llms::sim
