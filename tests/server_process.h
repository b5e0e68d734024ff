// A `aegaeon serve` process for the end-to-end tests, started on a free port with its stderr in a
// log file, stopped with SIGTERM; and a reader of Prometheus sample values from its /metrics text.
#pragma once

#include <signal.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "bench/server_launcher.h"
#include "cli_runner.h"

namespace llms::testing {

// An `aegaeon serve` with `args` (bench::ServerLauncher: a free port, its stderr in a file in
// `dir`, gone with the test), stopped with SIGTERM or signalled to test faults.
class ServerProcess {
 public:
  bool Start(const std::vector<std::string>& args, const std::string& dir) {
    log_ = dir + "/serve-" + std::to_string(counter_++) + ".log";
    std::vector<std::string> argv{Bin("aegaeon"), "serve"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto started = bench::ServerLauncher::Start(std::move(argv), log_, 60);
    if (!started.ok()) return false;
    launcher_ = std::move(*started);
    return true;
  }
  // SIGTERM, then the exit status (-1 if it had to be killed).
  int Stop(int timeout_s = 60) { return launcher_ ? launcher_->Stop(timeout_s) : -1; }
  void Signal(int sig) {
    if (launcher_) launcher_->Signal(sig);
  }
  int Wait(int timeout_s) { return launcher_ ? launcher_->Wait(timeout_s) : -1; }
  ~ServerProcess() {
    if (launcher_) launcher_->Signal(SIGKILL);  // a test that failed midway waits for nothing
  }
  int port() const { return launcher_ ? launcher_->port() : 0; }
  std::string log() const { return ReadFile(log_); }

 private:
  static inline int counter_ = 0;
  std::unique_ptr<bench::ServerLauncher> launcher_;
  std::string log_;
};

// The value of a metric sample line (`name{labels} value`), summed over lines matching both.
inline double Metric(const std::string& text, const std::string& name,
                     const std::string& label = "") {
  double sum = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const std::string n = line.substr(0, line.find_first_of("{ "));
    if (n != name || line.find(label) == std::string::npos) continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

}  // namespace llms::testing
