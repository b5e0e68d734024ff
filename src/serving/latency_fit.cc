// Least-squares latency fits, measured predictors and latency profiles as JSON.
#include "serving/latency_fit.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace llms::serving {

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

namespace {

class Measured : public LatencyPredictor {
 public:
  explicit Measured(const ModelLatency& m) : m_(m) {}
  double PrefillSeconds(std::span<const int> lengths) const override {
    return std::max(1e-5, m_.prefill.Seconds(lengths));
  }
  double DecodeSeconds(int64_t sum_context, int batch) const override {
    return std::max(1e-5, m_.decode.Seconds(sum_context, batch));
  }
  double LoadSeconds() const override { return m_.load_s; }
  double KvMoveSeconds(double bytes) const override {
    return m_.kv_move_bytes_per_s > 0 ? bytes / m_.kv_move_bytes_per_s : 0.0;
  }

 private:
  ModelLatency m_;
};

nlohmann::json Abc(double a, double b, double c) {
  return {{"a", a}, {"b", b}, {"c", c}};
}

FitError ErrorFromJson(const nlohmann::json& j) {
  FitError e;
  e.points = j.value("points", 0);
  e.r2 = j.value("r2", 0.0);
  e.rmse_s = j.value("rmse_s", 0.0);
  e.mean_rel = j.value("mean_rel", 0.0);
  e.max_rel = j.value("max_rel", 0.0);
  return e;
}

nlohmann::json ErrorJson(const FitError& e) {
  return {{"points", e.points},
          {"r2", e.r2},
          {"rmse_s", e.rmse_s},
          {"mean_rel", e.mean_rel},
          {"max_rel", e.max_rel}};
}

}  // namespace

std::shared_ptr<const LatencyPredictor> MeasuredPredictor(const ModelLatency& m) {
  return std::make_shared<Measured>(m);
}

std::string LatencyProfileJson(const std::vector<ModelLatency>& models) {
  nlohmann::json list = nlohmann::json::array();
  for (const ModelLatency& m : models) {
    list.push_back({{"model", m.model},
                    {"device", m.device},
                    {"prefill", Abc(m.prefill.a, m.prefill.b, m.prefill.c)},
                    {"decode", Abc(m.decode.a, m.decode.b, m.decode.c)},
                    {"prefill_error", ErrorJson(m.prefill_error)},
                    {"decode_error", ErrorJson(m.decode_error)},
                    {"load_s", m.load_s},
                    {"kv_move_bytes_per_s", m.kv_move_bytes_per_s},
                    {"weight_bytes", m.weight_bytes},
                    {"kv_bytes_per_token", m.kv_bytes_per_token}});
  }
  return nlohmann::json{{"models", list}}.dump(2) + "\n";
}

Result<std::vector<ModelLatency>> ReadLatencyProfile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return Result<std::vector<ModelLatency>>::Error(StatusCode::kNotFound,
                                                    path + ": cannot open the latency profile");
  }
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, false);
  auto bad = [&](const std::string& why) {
    return Result<std::vector<ModelLatency>>::Error(
        StatusCode::kInvalidArgument,
        path + ": not a latency profile (" + why + "); write one with aegaeon latency --measure");
  };
  if (j.is_discarded() || !j.is_object() || !j.contains("models") || !j["models"].is_array()) {
    return bad("expected {\"models\": [...]}");
  }
  std::vector<ModelLatency> out;
  for (const nlohmann::json& e : j["models"]) {
    ModelLatency m;
    try {
      m.model = e.at("model").get<std::string>();
      m.device = e.value("device", "");
      const auto& p = e.at("prefill");
      m.prefill = {p.at("a").get<double>(), p.at("b").get<double>(), p.at("c").get<double>()};
      const auto& d = e.at("decode");
      m.decode = {d.at("a").get<double>(), d.at("b").get<double>(), d.at("c").get<double>()};
      if (e.contains("prefill_error")) m.prefill_error = ErrorFromJson(e["prefill_error"]);
      if (e.contains("decode_error")) m.decode_error = ErrorFromJson(e["decode_error"]);
      m.load_s = e.at("load_s").get<double>();
      m.kv_move_bytes_per_s = e.at("kv_move_bytes_per_s").get<double>();
      m.weight_bytes = e.at("weight_bytes").get<double>();
      m.kv_bytes_per_token = e.at("kv_bytes_per_token").get<double>();
    } catch (const nlohmann::json::exception& ex) {
      return bad(std::string("a model entry: ") + ex.what());
    }
    out.push_back(std::move(m));
  }
  if (out.empty()) return bad("no models");
  return out;
}

const ModelLatency* FindLatency(const std::vector<ModelLatency>& profile, const std::string& name,
                                double weight_bytes, double kv_bytes_per_token) {
  for (const auto& m : profile) {
    if (m.model == name) return &m;
  }
  for (const auto& m : profile) {
    if (m.weight_bytes == weight_bytes && m.kv_bytes_per_token == kv_bytes_per_token) return &m;
  }
  return nullptr;
}

Result<Calibration> CalibrateProfile(const std::vector<ModelLatency>& profile,
                                     const std::vector<StepRecord>& steps, int min_steps) {
  struct Ratios {
    std::vector<double> prefill, decode, load;
  };
  std::vector<Ratios> ratios(profile.size());
  Calibration out;
  for (const StepRecord& s : steps) {
    const ModelLatency* m = FindLatency(profile, s.model, s.weight_bytes, s.kv_bytes_per_token);
    if (m == nullptr) {
      ++out.unmatched_steps;
      continue;
    }
    Ratios& r = ratios[static_cast<size_t>(m - profile.data())];
    double predicted = 0;
    std::vector<double>* into = nullptr;
    switch (s.kind) {
      case ActionKind::kPrefill:
        if (s.batch <= 0) break;
        // The fit is linear in sum(l) and sum(l^2): the record's sums give it exactly.
        predicted = m->prefill.a + m->prefill.b * static_cast<double>(s.tokens) +
                    m->prefill.c * static_cast<double>(s.sum_sq);
        into = &r.prefill;
        break;
      case ActionKind::kDecode:
        if (s.batch <= 0) break;
        predicted = m->decode.Seconds(s.tokens, s.batch);
        into = &r.decode;
        break;
      case ActionKind::kSwitch:
        if (s.from_model == s.model) break;  // a swap of KV only: no weights loaded
        predicted = m->load_s;
        into = &r.load;
        break;
    }
    if (into != nullptr && predicted > 0) into->push_back(s.seconds / predicted);
  }
  if (out.unmatched_steps == static_cast<int>(steps.size())) {
    return Result<Calibration>::Error(
        steps.empty() ? "the step log has no steps: serve some requests with --step-log first"
                      : "no step in the log is of a model the profile has (by name or size): "
                        "calibrate with the profile the server planned with");
  }
  const auto median = [min_steps](std::vector<double>& v) {
    if (static_cast<int>(v.size()) < min_steps) return 1.0;
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
    return v[v.size() / 2];
  };
  out.profile = profile;
  for (size_t i = 0; i < profile.size(); ++i) {
    Ratios& r = ratios[i];
    if (r.prefill.empty() && r.decode.empty() && r.load.empty()) continue;
    CalibrationEntry e;
    e.model = profile[i].model;
    e.prefills = static_cast<int>(r.prefill.size());
    e.decodes = static_cast<int>(r.decode.size());
    e.loads = static_cast<int>(r.load.size());
    e.prefill_ratio = median(r.prefill);
    e.decode_ratio = median(r.decode);
    e.load_ratio = median(r.load);
    ModelLatency& m = out.profile[i];
    m.prefill.a *= e.prefill_ratio;
    m.prefill.b *= e.prefill_ratio;
    m.prefill.c *= e.prefill_ratio;
    m.decode.a *= e.decode_ratio;
    m.decode.b *= e.decode_ratio;
    m.decode.c *= e.decode_ratio;
    m.load_s *= e.load_ratio;
    out.entries.push_back(e);
  }
  return out;
}

}  // namespace llms::serving
