// WorkloadStats computation.
#include "servegen/workload_stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/stats.h"

namespace llms::servegen {

WorkloadStats ComputeWorkloadStats(const Trace& trace, const std::string& source, double start,
                                   double duration, double window) {
  WorkloadStats s;
  s.source = source;
  s.start = start;
  s.window = window;
  const auto& reqs = trace.batch.requests;
  if (duration <= 0) {
    const double last = reqs.empty() ? start + window : reqs.back().timestamp;
    duration = std::max(window, std::ceil((last - start) / window + 1e-12) * window);
  }
  s.duration = duration;
  const size_t nw = static_cast<size_t>(std::ceil(duration / window - 1e-9));
  s.window_counts.assign(nw, 0.0);
  std::vector<double> times;
  times.reserve(reqs.size());
  std::vector<std::vector<double>> client_times(trace.clients.size());
  s.clients.resize(trace.clients.size());
  for (size_t i = 0; i < trace.clients.size(); ++i) s.clients[i].id = trace.clients[i];
  for (const Request& r : reqs) {
    const double t = r.timestamp - start;
    if (t < 0 || t >= duration) continue;
    ++s.requests;
    s.window_counts[std::min(nw - 1, static_cast<size_t>(t / window))] += 1.0;
    times.push_back(t);
    client_times[r.client].push_back(t);
    ClientStats& c = s.clients[r.client];
    ++c.requests;
    // Multimodal: compare the text part, which is what a pool's input distribution describes.
    const double in = static_cast<double>(
        trace.category == Category::kMultimodal && r.text_tokens >= 0 ? r.text_tokens
                                                                      : r.input_tokens);
    const double out = static_cast<double>(r.output_tokens);
    c.input.push_back(in);
    c.output.push_back(out);
    s.all_input.push_back(in);
    s.all_output.push_back(out);
  }
  for (double ts : kDispersionTimescales) s.idc.push_back(IndexOfDispersion(times, ts, duration));
  auto gaps_cv = [](const std::vector<double>& ts) {
    RunningStats g;
    for (size_t i = 1; i < ts.size(); ++i) g.Add(ts[i] - ts[i - 1]);
    return g.cv();
  };
  s.interarrival_cv = gaps_cv(times);
  for (double ts : kCvTimescales) {
    double weighted = 0.0, weight = 0.0;
    size_t i = 0;
    while (i < times.size()) {
      const double bin_end = (std::floor(times[i] / ts) + 1) * ts;
      RunningStats g;
      size_t j = i + 1;
      for (; j < times.size() && times[j] < bin_end; ++j) g.Add(times[j] - times[j - 1]);
      if (g.count() >= 2) {
        weighted += g.cv() * static_cast<double>(g.count());
        weight += static_cast<double>(g.count());
      }
      i = j;
    }
    s.cv_by_timescale.push_back(weight > 0 ? weighted / weight : 0.0);
  }
  for (size_t i = 0; i < s.clients.size(); ++i) {
    s.clients[i].interarrival_cv = gaps_cv(client_times[i]);
    std::sort(s.clients[i].input.begin(), s.clients[i].input.end());
    std::sort(s.clients[i].output.begin(), s.clients[i].output.end());
  }
  std::sort(s.all_input.begin(), s.all_input.end());
  std::sort(s.all_output.begin(), s.all_output.end());
  s.clients.erase(std::remove_if(s.clients.begin(), s.clients.end(),
                                 [](const ClientStats& c) { return c.requests == 0; }),
                  s.clients.end());
  std::stable_sort(
      s.clients.begin(), s.clients.end(),
      [](const ClientStats& a, const ClientStats& b) { return a.requests > b.requests; });
  return s;
}

}  // namespace llms::servegen
