// ProgressBar: a single-line progress indicator on stderr for long-running commands.
//
// Draws only when stderr is a terminal (or when forced), at most ~10 times per second, so it costs
// nothing in pipelines and tests. Thread-compatible: call Update from one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace llms {

class ProgressBar {
 public:
  ProgressBar(std::string label, double total, bool enabled);
  ~ProgressBar();
  // Reports absolute progress `done` out of `total`; `detail` is shown after the bar.
  void Update(double done, const std::string& detail = "");
  void Finish(const std::string& detail = "");

  static bool StderrIsTerminal();

 private:
  void Draw(double done, const std::string& detail);
  std::string label_;
  double total_;
  bool enabled_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace llms
