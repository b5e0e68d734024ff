// StepLog: every action a server's instances ran, one CSV row each (aegaeon serve --step-log):
// what each prefill, decode step and switch cost on this machine under real load, with the shape
// a latency model predicts it from, so a profile measured up front can be compared with serving
// and calibrated by it (aegaeon latency --calibrate, serving/latency_fit.h's CalibrateProfile).
#pragma once

#include <cstdint>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "serving/executor.h"

namespace llms::serving {

// One step. `tokens` is the sum of the batch's prompt lengths (prefill), of its context lengths
// before the step (decode), or of the KV tokens moved in (switch); `sum_sq` the sum of squared
// prompt lengths (prefill only).
struct StepRecord {
  int instance = 0;
  ActionKind kind = ActionKind::kDecode;
  std::string model, from_model;  // from_model: a switch's outgoing model ("" when none)
  int batch = 0;
  int64_t tokens = 0, sum_sq = 0;
  double start_s = 0, seconds = 0;
  double weight_bytes = 0, kv_bytes_per_token = 0;  // the model's, to find it in a profile
};

// What a model is called and sized by in the log.
struct StepLogModel {
  std::string name;
  double weight_bytes = 0, kv_bytes_per_token = 0;
};

// The record of `action` on `instance` from `start` to `end` (seconds on the server's clock).
// Reads the requests' lengths: call it before the action's results are applied.
StepRecord RecordStep(int instance, const Action& action, const std::vector<StepLogModel>& models);

class StepLog {
 public:
  // Creates (truncates) `path` and writes the header.
  static Result<std::unique_ptr<StepLog>> Open(const std::string& path,
                                               std::vector<StepLogModel> models);
  const std::vector<StepLogModel>& models() const { return models_; }
  // Thread-safe; flushed row by row, so a killed server leaves every finished step behind.
  void Append(const StepRecord& r);

 private:
  StepLog(std::vector<StepLogModel> models) : models_(std::move(models)) {}
  std::vector<StepLogModel> models_;
  std::mutex mu_;
  std::ofstream out_;
};

// The rows of a step log; a malformed row is an error naming its line.
Result<std::vector<StepRecord>> ReadStepLog(const std::string& path);

}  // namespace llms::serving
