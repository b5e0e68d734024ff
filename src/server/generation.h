// Generation: one API request's generation as the server sees it: the ServingRequest the
// scheduler advances, and the client's view of its progress: the text released so far in
// deltas (each with the log-probabilities of the tokens it covers), and how it ended. The
// scheduler thread turns new tokens into text (engine/text_stream.h: detokenization, UTF-8,
// stop strings) when it publishes progress, so the HTTP thread only frames and writes.
// Thread-safe: Publish runs on a scheduler thread (under the driver's lock), Read and the
// cancellation calls on the HTTP side.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/text_stream.h"
#include "engine/tokenizer.h"
#include "serving/request.h"

namespace llms::server {

// One generated token's log-probability with its text, and the most likely alternatives.
struct LogprobEntry {
  std::string token;  // the bytes the token adds (possibly part of a UTF-8 character)
  float logprob = 0;
  std::vector<std::pair<std::string, float>> top;
};

// Text released to the client in one go, and the log-probabilities of the tokens it covers.
struct TextDelta {
  std::string text;
  std::vector<LogprobEntry> logprobs;
};

// How a generation ended, as the API reports it.
enum class GenerationEnd {
  kRunning,
  kStop,       // EOS or a stop string: finish_reason "stop"
  kLength,     // max_tokens or the context window: finish_reason "length"
  kCancelled,  // the client went away
  kFailed,     // an error the client is told (`error`)
  kInternal,   // a broken invariant: the client gets a generic message, the log the details
};

class Generation {
 public:
  Generation(int model, serving::ServingRequest request, const engine::Tokenizer& tokenizer,
             std::vector<std::string> stop);
  int model() const { return model_; }
  serving::ServingRequest& request() { return request_; }
  const serving::ServingRequest& request() const { return request_; }

  struct Progress {
    std::vector<TextDelta> deltas;  // from the index asked for
    size_t next = 0;                // the index to ask for next time
    int tokens = 0;                 // tokens generated so far (usage)
    GenerationEnd end = GenerationEnd::kRunning;
    std::string error;
  };
  Progress Read(size_t from) const;
  // `wake` is called (from a scheduler thread, so it must only post work) after new progress.
  void SetWaker(std::function<void()> wake);
  // A stop string ended it: the client has a whole answer (counted as completed).
  bool satisfied() const { return satisfied_; }
  // Set by the service once the scheduler released the request (no more progress comes).
  bool released() const { return released_; }

 private:
  friend class ModelService;
  // Turns the request's new tokens into deltas; returns the tokens that were new. Called under
  // the driver's lock.
  size_t Publish();
  void MarkReleased();

  const int model_;
  serving::ServingRequest request_;
  engine::TextStream text_;
  size_t consumed_ = 0;  // tokens of request_.output turned into text
  size_t observed_ = 0;  // tokens whose latencies the service has recorded
  std::vector<LogprobEntry> pending_logprobs_;
  mutable std::mutex mu_;
  std::vector<TextDelta> deltas_;
  int tokens_ = 0;
  GenerationEnd end_ = GenerationEnd::kRunning;
  std::string error_;
  std::function<void()> wake_;
  std::atomic<bool> satisfied_{false}, released_{false};
};

}  // namespace llms::server
