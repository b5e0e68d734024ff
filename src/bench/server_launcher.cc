// ServerLauncher: a child server process started with fork/exec and found by its port file.
#include "bench/server_launcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
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

namespace {

// fork/exec `argv` with its stderr in `log_path`; the child dies with its parent.
pid_t Spawn(std::vector<std::string>& argv, const std::string& log_path) {
  const pid_t pid = fork();
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
  return pid;
}

bool Accepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
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
  return s->WaitReady(Spawn(argv, log_path), timeout_s,
                      [p = s.get()] {
                        std::ifstream port(p->port_file_);
                        return static_cast<bool>(port >> p->port_) && p->port_ > 0;
                      })
             ? Result<std::unique_ptr<ServerLauncher>>(std::move(s))
             : Result<std::unique_ptr<ServerLauncher>>(s->error_);
}

Result<std::unique_ptr<ServerLauncher>> ServerLauncher::StartOnPort(std::vector<std::string> argv,
                                                                    const std::string& log_path,
                                                                    int port, double timeout_s) {
  if (argv.empty()) return Status::Error("no server command to start");
  std::unique_ptr<ServerLauncher> s(new ServerLauncher());
  s->log_path_ = log_path;
  s->port_ = port;
  return s->WaitReady(Spawn(argv, log_path), timeout_s, [port] { return Accepts(port); })
             ? Result<std::unique_ptr<ServerLauncher>>(std::move(s))
             : Result<std::unique_ptr<ServerLauncher>>(s->error_);
}

bool ServerLauncher::WaitReady(pid_t pid, double timeout_s, const std::function<bool()>& ready) {
  if (pid < 0) {
    error_ = Status::Error("cannot start the server: fork failed");
    return false;
  }
  pid_ = pid;
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready()) return true;
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      pid_ = -1;
      error_ = Status::Error(fmt::format("the server exited before it was ready; its log ({}):\n{}",
                                         log_path_, LogTail(log_path_)));
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  Stop(5);
  error_ = Status::Error(fmt::format("the server was not ready within {} s; its log ({}):\n{}",
                                     timeout_s, log_path_, LogTail(log_path_)));
  return false;
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
      if (!port_file_.empty()) std::filesystem::remove(port_file_);
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
  if (!port_file_.empty()) std::filesystem::remove(port_file_);
  return -1;
}

ServerLauncher::~ServerLauncher() {
  if (pid_ > 0) Stop(10);
}

}  // namespace llms::bench
