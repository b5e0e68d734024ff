// Prometheus text exposition format (version 0.0.4): a writer that emits each metric family's
// HELP and TYPE lines once, then its samples with escaped labels, and a thread-safe cumulative
// histogram. What the server exports is decided in model_service.cc; this file only formats.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace llms::server {

using Labels = std::vector<std::pair<std::string, std::string>>;

class PromWriter {
 public:
  // Starts a family; `type` is counter, gauge or histogram.
  void Family(const std::string& name, const std::string& type, const std::string& help);
  void Sample(const std::string& name, const Labels& labels, double value);
  const std::string& text() const { return out_; }

 private:
  std::string out_;
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double v);
  // Writes name_bucket{le=...}, name_sum and name_count (the family must be started).
  void Write(PromWriter* w, const std::string& name, const Labels& labels) const;

 private:
  std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::vector<uint64_t> counts_;  // per bucket, not cumulative; the last is +Inf
  double sum_ = 0;
  uint64_t count_ = 0;
};

// Latency buckets from 1 ms to 60 s.
std::vector<double> LatencyBuckets();

}  // namespace llms::server
