// ServerLauncher: starts a server as a child process for a benchmark that measures servers it
// runs itself (aegaeon bench sweep --policies): the command line given, plus `--port 0
// --port-file FILE`, its stderr to a log file; ready when the port file appears (or an error with
// the log's tail if the process exits first or the wait times out). Stop() sends SIGTERM and
// waits (SIGKILL after a timeout); the destructor stops a server still running. Knows nothing of
// what the server is: any command that writes its port to --port-file works. The end-to-end
// tests start their servers with it too (tests/server_process.h), and signal them (SIGKILL,
// SIGSTOP) to test faults.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace llms::bench {

class ServerLauncher {
 public:
  // `argv[0]` is the program (a path); `log_path` receives its stderr.
  static Result<std::unique_ptr<ServerLauncher>> Start(std::vector<std::string> argv,
                                                       const std::string& log_path,
                                                       double timeout_s = 600);
  // A server told its port by `argv` itself (e.g. redis-server --port P): ready once
  // 127.0.0.1:`port` accepts a connection.
  static Result<std::unique_ptr<ServerLauncher>> StartOnPort(std::vector<std::string> argv,
                                                             const std::string& log_path, int port,
                                                             double timeout_s = 60);
  ~ServerLauncher();
  ServerLauncher(const ServerLauncher&) = delete;
  ServerLauncher& operator=(const ServerLauncher&) = delete;

  int port() const { return port_; }
  const std::string& log_path() const { return log_path_; }
  // SIGTERM and wait; the exit status (-1 when it had to be killed or died of a signal).
  int Stop(double timeout_s = 120);
  // Sends `sig` to a running server.
  void Signal(int sig);
  // Waits for the server to exit, SIGKILL after `timeout_s`; its exit status as Stop's.
  int Wait(double timeout_s);

 private:
  ServerLauncher() = default;
  // Waits until `ready` or the child's exit or the timeout; false with error_ set.
  bool WaitReady(pid_t pid, double timeout_s, const std::function<bool()>& ready);
  Status error_ = Status::Ok();
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_path_, port_file_;
};

}  // namespace llms::bench
