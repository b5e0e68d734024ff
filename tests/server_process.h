// A `aegaeon serve` process for the end-to-end tests: started with fork/exec on a free port (it
// writes the port to a file once serving), its stderr in a log file, stopped with SIGTERM; and a
// reader of Prometheus sample values from its /metrics text.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli_runner.h"

namespace llms::testing {

// A server process: started with fork/exec, its stderr in a file, stopped with SIGTERM.
class ServerProcess {
 public:
  bool Start(const std::vector<std::string>& args, const std::string& dir) {
    port_file_ = dir + "/port-" + std::to_string(counter_++);
    log_ = port_file_ + ".log";
    std::filesystem::remove(port_file_);
    std::vector<std::string> argv{Bin("aegaeon"), "serve",   "--port", "0",
                                  "--port-file",  port_file_};
    argv.insert(argv.end(), args.begin(), args.end());
    pid_ = fork();
    if (pid_ == 0) {
      FILE* f = std::freopen(log_.c_str(), "w", stderr);
      (void)f;
      std::vector<char*> cargv;
      for (auto& a : argv) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      execv(cargv[0], cargv.data());
      _exit(127);
    }
    for (int i = 0; i < 600; ++i) {
      std::ifstream f(port_file_);
      if (f >> port_) return true;
      int status;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  // SIGTERM, then the exit status (-1 if it had to be killed).
  int Stop(int timeout_s = 60) {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGTERM);
    return Wait(timeout_s);
  }
  void Signal(int sig) { kill(pid_, sig); }
  int Wait(int timeout_s) {
    for (int i = 0; i < timeout_s * 20; ++i) {
      int status;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    return -1;
  }
  ~ServerProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  int port() const { return port_; }
  std::string log() const { return ReadFile(log_); }

 private:
  static inline int counter_ = 0;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string port_file_, log_;
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
