// StreamLoad: many streaming requests held open at once against an OpenAI-compatible endpoint,
// each classified by how it ended: completed (HTTP 200, `data: [DONE]`, no error event),
// refused up front (429 or 503 before any byte of a body), disconnected on purpose (a client
// that vanishes after some events), or failed (an error event, another status, a stream cut
// short, no connection). The server load tests and the serve load benchmark use it to show that
// every accepted request completes; each stream's event arrival times give token gaps.
// All streams run as coroutines on one thread, each on its own connection.
#pragma once

#include <string>
#include <vector>

#include "bench/http_client.h"

namespace llms::bench {

struct StreamSpec {
  std::string path = "/v1/completions";
  std::string body;           // a JSON request with "stream": true
  int disconnect_after = -1;  // close the connection after this many events (-1: never)
  double start_s = 0;         // when to send it, after the run starts
};

struct StreamOutcome {
  enum class Kind { kCompleted, kRefused, kDisconnected, kFailed };
  Kind kind = Kind::kFailed;
  int status = 0;               // HTTP status (0: none)
  std::vector<double> event_s;  // arrival of each content event, seconds since the run started
  std::string error;            // for kFailed: what went wrong; for kRefused: the error body
};

struct StreamLoadOptions {
  Endpoint endpoint;
  std::string api_key;
  double timeout_s = 600;  // a stream open longer fails
};

// Runs every spec (each at its start time) to its end.
std::vector<StreamOutcome> RunStreamLoad(const StreamLoadOptions& options,
                                         const std::vector<StreamSpec>& specs);

// A streamed completion request body: `max_tokens` tokens exactly (vLLM's ignore_eos).
std::string StreamingCompletionBody(const std::string& model, const std::string& prompt,
                                    int max_tokens);

// Counts of each kind, and the first few failures' errors, for messages.
struct StreamLoadSummary {
  int completed = 0, refused = 0, disconnected = 0, failed = 0;
  std::vector<std::string> failures;  // at most 5
  std::string ToString() const;
};
StreamLoadSummary Summarize(const std::vector<StreamOutcome>& outcomes);

}  // namespace llms::bench
