// Generator: turns a client pool and a rate function into a time-ordered stream of requests.
//
// Default (correct) mode: the target rate R(t) is split across active clients in proportion to
// their (scaled) trace rates; each client's arrivals form a renewal process whose inter-arrival
// distribution (Gamma, Weibull or exponential, the window's shape, mean 1) lives in operational
// time and is mapped onto real time through the client's cumulative intensity (time rescaling).
// The process starts in equilibrium (first gap from the forward-recurrence distribution) and
// carries over across window boundaries, so the expected count in any interval equals the
// integral of the client's rate exactly. Lengths come from the client's current length window,
// with fields coupled comonotonically, independently or through a Gaussian copula. As requests
// leave the merge, a SessionAssigner lays the clients' conversations onto their arrivals and
// numbers their prompt blocks (hash_ids).
//
// Compatibility mode (`compat`) reproduces the reference implementation's behaviour for parity
// studies: per client-window, ceil(rate * window) gaps rescaled to sum to the window, restarting
// at every window and dropping the last arrival; one uniform draw shared by all length fields,
// looked up without clipping (so one value past the end can appear).
//
// Each client draws arrivals and contents from two RNG streams keyed by (seed, client id) (contents
// as its requests leave the time-ordered merge), so the output depends on
// the seed only, never on the thread count. Output is delivered in chunks (one trace window by
// default) in timestamp order; memory is bounded by one chunk.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "servegen/client_pool.h"
#include "servegen/rate_function.h"
#include "servegen/request.h"
#include "servegen/session_assigner.h"

namespace llms::servegen {

// kAuto: a Gaussian copula at the client's fitted input/output rank correlation where the pool
// has one (client_params.csv), comonotone (the reference's rule) where it has none.
enum class Coupling { kAuto, kComonotone, kIndependent, kGaussianCopula };
Result<Coupling> ParseCoupling(const std::string& text);

enum class ArrivalChoice { kTrace, kExponential, kGamma, kWeibull };
Result<ArrivalChoice> ParseArrivalChoice(const std::string& text);

struct GenerateOptions {
  double span_start = 0.0;  // absolute seconds in the pool's time
  double duration = 3600.0;
  uint64_t seed = 0;
  int threads = 1;
  bool compat = false;
  Coupling coupling = Coupling::kAuto;
  double rho = 0.0;  // for kGaussianCopula: correlation of each field with the first
  ArrivalChoice arrival = ArrivalChoice::kTrace;
  double chunk_seconds = 0.0;  // 0: the pool's window size
  // Conversations, hash_ids and SLO classes (session_assigner.h); off in compat mode.
  SessionOptions sessions;
};

struct GenerateSummary {
  int64_t requests = 0;
  double expected_requests =
      0.0;  // integral of the rate over the span, where a client could take it
  std::vector<int64_t> per_client;
  std::vector<std::string> warnings;
};

// Called with each chunk of requests, in timestamp order. Returning an error stops generation.
using RequestSink = std::function<Status(const RequestBatch&)>;

// Progress callback: fraction of the span done, requests so far.
using ProgressFn = std::function<void(double, int64_t)>;

Result<GenerateSummary> Generate(const ClientPool& pool, const RateFunction& rate,
                                 const GenerateOptions& options, const RequestSink& sink,
                                 const ProgressFn& progress = nullptr);

}  // namespace llms::servegen
