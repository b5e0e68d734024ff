// ServerLauncher: a child server process started with fork/exec and found by its port file.
#include "bench/server_launcher.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

namespace llms::bench {

namespace {

std::string LogTail(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  const std::string text = s.str();
  return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
}

}  // namespace

Result<std::unique_ptr<ServerLauncher>> ServerLauncher::Start(std::vector<std::string> argv,
                                                              const std::string& log_path,
                                                              double timeout_s) {
  if (argv.empty()) return Status::Error("no server command to start");
  std::unique_ptr<ServerLauncher> s(new ServerLauncher());
  s->log_path_ = log_path;
  s->port_file_ = log_path + ".port";
  std::filesystem::remove(s->port_file_);
  argv.insert(argv.end(), {"--port", "0", "--port-file", s->port_file_});
  const pid_t pid = fork();
  if (pid < 0) return Status::Error("cannot start the server: fork failed");
  if (pid == 0) {
    FILE* f = std::freopen(log_path.c_str(), "w", stderr);
    (void)f;
    // Gone with its parent: a killed benchmark (or test) leaves no server running.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    execv(cargv[0], cargv.data());
    std::fprintf(stderr, "cannot run %s\n", cargv[0]);
    _exit(127);
  }
  s->pid_ = pid;
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream port(s->port_file_);
    if (port >> s->port_ && s->port_ > 0) return s;
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      s->pid_ = -1;
      return Status::Error(fmt::format("the server exited before it was ready; its log ({}):\n{}",
                                       log_path, LogTail(log_path)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  s->Stop(5);
  return Status::Error(fmt::format("the server was not ready within {} s; its log ({}):\n{}",
                                   timeout_s, log_path, LogTail(log_path)));
}

int ServerLauncher::Stop(double timeout_s) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  return Wait(timeout_s);
}

void ServerLauncher::Signal(int sig) {
  if (pid_ > 0) kill(pid_, sig);
}

int ServerLauncher::Wait(double timeout_s) {
  if (pid_ <= 0) return -1;
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      std::filesystem::remove(port_file_);
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
  std::filesystem::remove(port_file_);
  return -1;
}

ServerLauncher::~ServerLauncher() {
  if (pid_ > 0) Stop(10);
}

}  // namespace llms::bench
