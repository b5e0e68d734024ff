// Fitter: learns a client pool in ServeGen's layout from a request log, so users can replay,
// scale and what-if their own traffic. Per client and rate window (600 s by default): the rate
// (requests / window), the inter-arrival CV, and Gamma or Weibull chosen by maximum likelihood on
// the window's inter-arrival gaps. Per client and length window (6 h by default): empirical
// distributions of every length field present (input/output; reasoning ratio; multimodal text,
// item counts and per-item tokens).
//
// Per client also: the rank correlation of input and output lengths (so generation keeps its sign
// and size), and, from a log whose requests carry session ids (and hash_ids), the conversation
// model (conversation_stats.h).
//
// A log without client ids is fitted as one client named "all" (documented in docs/servegen.md):
// its aggregate rate and burstiness are preserved, per-client structure cannot be recovered.
// A log whose span would need more than `max_windows` rate windows is refused with its first and
// last timestamps and its largest gap (a stray timestamp, or the wrong --time-unit).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "servegen/client_pool.h"
#include "servegen/trace_reader.h"

namespace llms::servegen {

struct FitOptions {
  int64_t window_seconds = 600;
  int64_t length_window_seconds = 21600;
  std::optional<double> start;  // first window start (absolute s); default: floor(first timestamp)
  size_t max_support = 0;  // > 0: compress each length distribution to at most this many values
  // Multiplies every fitted rate (and divides the gap scales): fitting a log that was thinned or
  // generated at a fraction 1/K of the real load with K restores the real rates; shapes are
  // unchanged.
  double rate_multiplier = 1.0;
  // Timestamp resolution in seconds; 0 = the smallest positive gap between any two requests.
  // Gaps below half of it (equal timestamps) are fitted as left-censored at the resolution.
  double resolution = 0.0;
  int64_t block_tokens = 512;            // hash_ids block size, for system prompt lengths
  double reply_tokens_per_s = 50;        // for think times a log does not record
  size_t max_windows = 20000;            // about 139 days of 600 s windows
  std::function<void(double)> progress;  // called with the fraction of clients fitted
};

struct FitSummary {
  size_t clients = 0;
  size_t windows = 0;
  size_t gamma_windows = 0, weibull_windows = 0, sparse_windows = 0;
  double resolution = 0.0;  // the timestamp resolution used
  size_t clients_with_conversations = 0;
  std::vector<std::string> warnings;  // also in the pool's notes
};

Result<ClientPool> FitPool(const Trace& trace, const FitOptions& options,
                           FitSummary* summary = nullptr);

}  // namespace llms::servegen
