// WorkloadStats: the measurements the fidelity report compares, taken from one trace: requests per
// window, index of dispersion at several timescales, inter-arrival CV (aggregate and per client),
// client shares and per-client length samples.
#pragma once

#include <string>
#include <vector>

#include "servegen/trace_reader.h"

namespace llms::servegen {

inline const std::vector<double> kDispersionTimescales = {1, 10, 60, 600};
inline const std::vector<double> kCvTimescales = {10, 60, 600};

struct ClientStats {
  std::string id;
  int64_t requests = 0;
  double interarrival_cv = 0.0;
  std::vector<double> input;   // sorted
  std::vector<double> output;  // sorted
};

struct WorkloadStats {
  std::string source;
  double start = 0.0;     // absolute time of window 0
  double duration = 0.0;  // seconds covered by the windows
  double window = 600.0;
  int64_t requests = 0;
  std::vector<double> window_counts;
  std::vector<double> idc;  // index of dispersion at kDispersionTimescales
  double interarrival_cv = 0.0;
  // Inter-arrival CV within bins of kCvTimescales seconds (gap-weighted mean over bins): burstiness
  // at each timescale with the slower rate changes removed.
  std::vector<double> cv_by_timescale;
  std::vector<ClientStats> clients;           // by decreasing request count
  std::vector<double> all_input, all_output;  // sorted
};

// Windows of `window` seconds from `start` over `duration` (duration <= 0: up to the last request).
WorkloadStats ComputeWorkloadStats(const Trace& trace, const std::string& source, double start,
                                   double duration, double window);

}  // namespace llms::servegen
