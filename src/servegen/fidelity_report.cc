// Fidelity report computation and JSON serialisation.
#include "servegen/fidelity_report.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "servegen/pool_filter.h"

namespace llms::servegen {

DiscreteCdf DiscreteCdf::FromSorted(const std::vector<double>& xs) {
  DiscreteCdf d;
  const double n = static_cast<double>(xs.size());
  for (size_t i = 0; i < xs.size(); ++i) {
    if (i + 1 < xs.size() && xs[i + 1] == xs[i]) continue;
    d.values.push_back(xs[i]);
    d.cdf.push_back(static_cast<double>(i + 1) / n);
  }
  return d;
}

DiscreteCdf DiscreteCdf::Mixture(
    const std::vector<std::pair<const EmpiricalDistribution*, double>>& parts) {
  std::map<double, double> mass;
  double total = 0.0;
  for (const auto& [d, w] : parts) {
    if (!d || w <= 0) continue;
    for (size_t i = 0; i < d->size(); ++i)
      mass[d->values()[i]] += w * d->probabilities()[i] / d->declared_total();
    total += w;
  }
  DiscreteCdf out;
  double acc = 0.0;
  for (const auto& [v, m] : mass) {
    acc += m;
    out.values.push_back(v);
    out.cdf.push_back(total > 0 ? acc / total : 0.0);
  }
  if (!out.cdf.empty()) out.cdf.back() = 1.0;
  return out;
}

double DiscreteCdf::At(double x) const {
  const auto it = std::upper_bound(values.begin(), values.end(), x);
  if (it == values.begin()) return 0.0;
  return cdf[static_cast<size_t>(it - values.begin()) - 1];
}

std::vector<std::pair<double, double>> DiscreteCdf::Points(size_t n) const {
  std::vector<std::pair<double, double>> pts;
  if (values.empty()) return pts;
  const double rise = 1.0 / static_cast<double>(std::max<size_t>(1, n));
  double last = 0.0;
  for (size_t i = 0; i < values.size(); ++i) {
    // Keep a point when skipping it would let the drawn step lag the CDF by `rise` or more.
    const bool keep = i + 1 == values.size() || cdf[i + 1] - last >= rise;
    if (!keep) continue;
    pts.emplace_back(values[i], cdf[i]);
    last = cdf[i];
  }
  return pts;
}

double KsDistance(const DiscreteCdf& a, const DiscreteCdf& b) {
  if (a.values.empty() || b.values.empty()) return 1.0;
  double d = 0.0;
  for (double x : a.values) d = std::max(d, std::fabs(a.At(x) - b.At(x)));
  for (double x : b.values) d = std::max(d, std::fabs(a.At(x) - b.At(x)));
  return d;
}

namespace {

void FinishRates(FidelityReport& r) {
  double abs_sum = 0.0, n = 0.0;
  for (size_t k = 0; k < r.window_rate.size() && k < r.ref_window_rate.size(); ++k) {
    if (r.ref_window_rate[k] <= 0) continue;
    const double e = std::fabs(r.window_rate[k] - r.ref_window_rate[k]) / r.ref_window_rate[k];
    abs_sum += e;
    n += 1;
    r.rate_max_error = std::max(r.rate_max_error, e);
  }
  r.rate_mape = n > 0 ? abs_sum / n : 0.0;
  r.total_error = r.ref_requests > 0
                      ? (static_cast<double>(r.requests) - r.ref_requests) / r.ref_requests
                      : 0.0;
}

void FinishClients(FidelityReport& r) {
  double tv = 0.0, wi = 0.0, wo = 0.0, wsum = 0.0;
  for (const auto& c : r.clients) {
    tv += std::fabs(c.share - c.ref_share);
    if (!c.in_reference || c.requests == 0) continue;
    wi += c.ks_input * static_cast<double>(c.requests);
    wo += c.ks_output * static_cast<double>(c.requests);
    wsum += static_cast<double>(c.requests);
    ++r.ks_clients;
    if (c.requests < r.ks_min_requests) {
      ++r.ks_small_clients;
      continue;
    }
    if (c.ks_input > r.ks_input_max) {
      r.ks_input_max = c.ks_input;
      r.ks_input_max_client = c.id;
      r.ks_input_max_n = c.requests;
    }
    if (c.ks_output > r.ks_output_max) {
      r.ks_output_max = c.ks_output;
      r.ks_output_max_client = c.id;
      r.ks_output_max_n = c.requests;
    }
  }
  r.ks_weighted_n = static_cast<int64_t>(wsum);
  r.share_distance = tv / 2;
  r.ks_input_weighted = wsum > 0 ? wi / wsum : 0.0;
  r.ks_output_weighted = wsum > 0 ? wo / wsum : 0.0;
}

// The workload side of one client's row.
ClientComparison FromWorkloadClient(const ClientStats& c, int64_t total_requests) {
  ClientComparison cc;
  cc.id = c.id;
  cc.requests = c.requests;
  cc.share = total_requests > 0
                 ? static_cast<double>(c.requests) / static_cast<double>(total_requests)
                 : 0.0;
  cc.cv = c.interarrival_cv;
  return cc;
}

FidelityReport Base(const WorkloadStats& w) {
  FidelityReport r;
  r.workload_source = w.source;
  r.start = w.start;
  r.duration = w.duration;
  r.window = w.window;
  r.requests = w.requests;
  for (double c : w.window_counts) r.window_rate.push_back(c / w.window);
  r.timescales = kDispersionTimescales;
  r.idc = w.idc;
  r.interarrival_cv = w.interarrival_cv;
  r.cv_timescales = kCvTimescales;
  r.cv_by_timescale = w.cv_by_timescale;
  r.input_cdf = DiscreteCdf::FromSorted(w.all_input);
  r.output_cdf = DiscreteCdf::FromSorted(w.all_output);
  return r;
}

}  // namespace

FidelityReport CompareWithModel(const WorkloadStats& w, const ClientPool& pool,
                                const RateFunction& rate, double span_start, double duration,
                                const WorkloadStats& sample) {
  FidelityReport r = Base(w);
  r.start = span_start;  // the span in the data's time, as the user gave it
  r.reference_source = pool.source;
  r.reference_kind = "model";
  r.ref_idc = sample.idc;
  r.ref_interarrival_cv = sample.interarrival_cv;
  r.ref_cv_by_timescale = sample.cv_by_timescale;
  const size_t nw = r.window_rate.size();
  r.ref_window_rate.assign(nw, 0.0);
  const LengthField input_field =
      pool.category == Category::kMultimodal ? LengthField::kTextTokens : LengthField::kInputTokens;
  if (pool.category == Category::kMultimodal) {
    r.notes.push_back(
        "multimodal: input lengths compare text tokens (items are counted separately)");
  }
  // Expected mass per (client, pool window) and per report window.
  const auto [first, last] = SpanWindows(pool, span_start, duration);
  std::vector<double> client_mass(pool.clients.size(), 0.0);
  std::vector<std::vector<std::pair<const EmpiricalDistribution*, double>>> in_parts(
      pool.clients.size()),
      out_parts(pool.clients.size());
  std::vector<std::pair<const EmpiricalDistribution*, double>> all_in, all_out;
  const double pw = static_cast<double>(pool.window_seconds);
  for (size_t k = first; k < last; ++k) {
    const double a =
        std::max(0.0, static_cast<double>(pool.start) + static_cast<double>(k) * pw - span_start);
    const double b = std::min(
        duration, static_cast<double>(pool.start) + static_cast<double>(k + 1) * pw - span_start);
    if (b <= a) continue;
    const double total = pool.TotalRate(k);
    if (total <= 0) continue;
    // Split [a, b) over report windows.
    for (double x = a; x < b;) {
      const size_t rw = std::min(nw - 1, static_cast<size_t>(x / r.window));
      const double y = std::min(b, static_cast<double>(rw + 1) * r.window);
      r.ref_window_rate[rw] += (rate.Integral(y) - rate.Integral(x)) / r.window;
      if (y <= x) break;
      x = y;
    }
    const double mass = rate.Integral(b) - rate.Integral(a);
    r.ref_requests += mass;
    for (size_t i = 0; i < pool.clients.size(); ++i) {
      const Client& c = pool.clients[i];
      const TraceWindow& tw = c.windows[k];
      if (!tw.active()) continue;
      const double m = mass * tw.rate * c.rate_scale / total;
      client_mass[i] += m;
      const LengthWindow* lw =
          c.LengthsAt(pool.start + static_cast<int64_t>(k) * pool.window_seconds);
      if (!lw) continue;
      in_parts[i].emplace_back(lw->Get(input_field), m);
      out_parts[i].emplace_back(lw->Get(LengthField::kOutputTokens), m);
      all_in.emplace_back(lw->Get(input_field), m);
      all_out.emplace_back(lw->Get(LengthField::kOutputTokens), m);
    }
  }
  r.ref_input_cdf = DiscreteCdf::Mixture(all_in);
  r.ref_output_cdf = DiscreteCdf::Mixture(all_out);
  std::unordered_map<std::string, size_t> model_index;
  for (size_t i = 0; i < pool.clients.size(); ++i) model_index[pool.clients[i].id] = i;
  std::unordered_map<std::string, double> sample_cv;
  for (const auto& c : sample.clients) sample_cv[c.id] = c.interarrival_cv;
  std::vector<bool> seen(pool.clients.size(), false);
  for (const auto& c : w.clients) {
    ClientComparison cc = FromWorkloadClient(c, w.requests);
    auto it = model_index.find(c.id);
    if (it == model_index.end()) {
      cc.in_reference = false;
      r.notes.push_back("client " + c.id + " is in the workload but not in the model");
    } else {
      const size_t i = it->second;
      seen[i] = true;
      cc.ref_share = r.ref_requests > 0 ? client_mass[i] / r.ref_requests : 0.0;
      cc.ref_cv = sample_cv.count(c.id) ? sample_cv[c.id] : 0.0;
      cc.ks_input = KsDistance(DiscreteCdf::FromSorted(c.input), DiscreteCdf::Mixture(in_parts[i]));
      cc.ks_output =
          KsDistance(DiscreteCdf::FromSorted(c.output), DiscreteCdf::Mixture(out_parts[i]));
    }
    r.clients.push_back(cc);
  }
  for (size_t i = 0; i < pool.clients.size(); ++i) {
    if (seen[i] || client_mass[i] <= 0) continue;
    ClientComparison cc;
    cc.id = pool.clients[i].id;
    cc.ref_share = r.ref_requests > 0 ? client_mass[i] / r.ref_requests : 0.0;
    cc.ks_input = cc.ks_output = 1.0;
    r.clients.push_back(cc);
  }
  FinishRates(r);
  FinishClients(r);
  return r;
}

FidelityReport CompareWorkloads(const WorkloadStats& w, const WorkloadStats& ref) {
  FidelityReport r = Base(w);
  r.reference_source = ref.source;
  r.reference_kind = "workload";
  r.ref_requests = static_cast<double>(ref.requests);
  for (double c : ref.window_counts) r.ref_window_rate.push_back(c / ref.window);
  r.ref_window_rate.resize(r.window_rate.size(), 0.0);
  r.ref_idc = ref.idc;
  r.ref_interarrival_cv = ref.interarrival_cv;
  r.ref_cv_by_timescale = ref.cv_by_timescale;
  r.ref_input_cdf = DiscreteCdf::FromSorted(ref.all_input);
  r.ref_output_cdf = DiscreteCdf::FromSorted(ref.all_output);
  std::unordered_map<std::string, const ClientStats*> index;
  for (const auto& c : ref.clients) index[c.id] = &c;
  for (const auto& c : w.clients) {
    ClientComparison cc = FromWorkloadClient(c, w.requests);
    auto it = index.find(c.id);
    if (it == index.end()) {
      cc.in_reference = false;
    } else {
      const ClientStats& rc = *it->second;
      cc.ref_share = ref.requests > 0
                         ? static_cast<double>(rc.requests) / static_cast<double>(ref.requests)
                         : 0.0;
      cc.ref_cv = rc.interarrival_cv;
      cc.ks_input = KsDistance(DiscreteCdf::FromSorted(c.input), DiscreteCdf::FromSorted(rc.input));
      cc.ks_output =
          KsDistance(DiscreteCdf::FromSorted(c.output), DiscreteCdf::FromSorted(rc.output));
      index.erase(it);
    }
    r.clients.push_back(cc);
  }
  for (const auto& [id, rc] : index) {
    ClientComparison cc;
    cc.id = id;
    cc.ref_share = ref.requests > 0
                       ? static_cast<double>(rc->requests) / static_cast<double>(ref.requests)
                       : 0.0;
    cc.ref_cv = rc->interarrival_cv;
    cc.ks_input = cc.ks_output = 1.0;
    r.clients.push_back(cc);
  }
  FinishRates(r);
  FinishClients(r);
  return r;
}

std::string FidelityReportJson(const FidelityReport& r) {
  using nlohmann::json;
  json j;
  j["workload"] = {{"source", r.workload_source}, {"requests", r.requests}};
  j["reference"] = {
      {"kind", r.reference_kind}, {"source", r.reference_source}, {"requests", r.ref_requests}};
  j["span"] = {{"start_s", r.start}, {"duration_s", r.duration}, {"window_s", r.window}};
  j["rate"] = {{"workload_rps", r.window_rate},
               {"reference_rps", r.ref_window_rate},
               {"mean_abs_pct_error", r.rate_mape},
               {"max_abs_pct_error", r.rate_max_error},
               {"total_count_error", r.total_error}};
  j["burstiness"] = {{"timescales_s", r.timescales},
                     {"index_of_dispersion", r.idc},
                     {"reference_index_of_dispersion", r.ref_idc},
                     {"interarrival_cv", r.interarrival_cv},
                     {"reference_interarrival_cv", r.ref_interarrival_cv},
                     {"cv_timescales_s", r.cv_timescales},
                     {"interarrival_cv_by_timescale", r.cv_by_timescale},
                     {"reference_interarrival_cv_by_timescale", r.ref_cv_by_timescale}};
  json clients = json::array();
  for (const auto& c : r.clients) {
    clients.push_back({{"id", c.id},
                       {"requests", c.requests},
                       {"share", c.share},
                       {"reference_share", c.ref_share},
                       {"interarrival_cv", c.cv},
                       {"reference_interarrival_cv", c.ref_cv},
                       {"ks_input", c.ks_input},
                       {"ks_output", c.ks_output},
                       {"in_reference", c.in_reference}});
  }
  j["clients"] = clients;
  j["summary"] = {{"rate_mean_abs_pct_error", r.rate_mape},
                  {"share_total_variation", r.share_distance},
                  {"ks_input_weighted", r.ks_input_weighted},
                  {"ks_output_weighted", r.ks_output_weighted},
                  {"ks_weighted_requests", r.ks_weighted_n},
                  {"ks_input_max", r.ks_input_max},
                  {"ks_input_max_client", r.ks_input_max_client},
                  {"ks_input_max_requests", r.ks_input_max_n},
                  {"ks_output_max", r.ks_output_max},
                  {"ks_output_max_client", r.ks_output_max_client},
                  {"ks_output_max_requests", r.ks_output_max_n},
                  {"ks_max_min_requests", r.ks_min_requests},
                  {"ks_clients_too_small_for_max", r.ks_small_clients},
                  {"ks_aggregate_requests", r.requests},
                  {"ks_input_aggregate", KsDistance(r.input_cdf, r.ref_input_cdf)},
                  {"ks_output_aggregate", KsDistance(r.output_cdf, r.ref_output_cdf)}};
  j["notes"] = r.notes;
  if (r.profile) j["profile"] = json::parse(WorkloadProfileJsonText(*r.profile));
  return j.dump(2) + "\n";
}

}  // namespace llms::servegen
