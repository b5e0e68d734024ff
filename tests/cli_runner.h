// Helpers for the integration tests: run a project binary as a real process and capture its exit
// code, stdout and stderr; locate ../shared and skip cleanly when it is absent.
#pragma once

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace llms::testing {

// Removes `path` (a file or a directory tree) when the test process exits: the per-process
// scratch directories hold models of about 100 MB, and a developer runs the suites many times.
inline void RemoveAtExit(const std::string& path) {
  static std::vector<std::string>* paths = [] {
    auto* v = new std::vector<std::string>();  // reachable until exit, then used by the handler
    std::atexit([] {
      for (const std::string& p : *paths) {
        std::error_code ec;
        std::filesystem::remove_all(p, ec);
      }
    });
    return v;
  }();
  paths->push_back(path);
}

struct CommandResult {
  int exit_code = -1;
  std::string out, err;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// Runs `command` through /bin/sh with stdout and stderr captured to temporary files.
inline CommandResult RunCommand(const std::string& command) {
  static int counter = 0;
  const std::string base =
      ::testing::TempDir() + "/cmd" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  const std::string full = "(" + command + ") >" + base + ".out 2>" + base + ".err";
  const int status = std::system(full.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = ReadFile(base + ".out");
  r.err = ReadFile(base + ".err");
  std::filesystem::remove(base + ".out");
  std::filesystem::remove(base + ".err");
  return r;
}

// The last line of a command's output (the path a script prints last).
inline std::string LastLine(std::string out) {
  while (!out.empty() && out.back() == '\n') out.pop_back();
  const size_t nl = out.rfind('\n');
  return nl == std::string::npos ? out : out.substr(nl + 1);
}

inline std::string Bin(const std::string& name) {
  return std::string(LLMS_BIN_DIR) + "/" + name;
}
inline std::string SharedDir() {
  return LLMS_SHARED_DIR;
}
inline bool HaveShared() {
  return std::filesystem::exists(SharedDir() + "/data/servegen");
}

#define LLMS_REQUIRE_SHARED()                                            \
  do {                                                                   \
    if (!::llms::testing::HaveShared())                                  \
      GTEST_SKIP() << "../shared is absent (a user's clone); CI has it"; \
  } while (0)

// Headless Chromium, to check that a generated HTML page renders: the page's DOM as the browser
// parsed it (--dump-dom), or a screenshot. Empty when Chromium is not installed.
inline std::string ChromiumPath() {
  for (const char* c : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (std::filesystem::exists(c)) return c;
  }
  return "";
}
inline std::string ChromiumCommand(const std::string& args) {
  std::string command = ChromiumPath();
  command.append(
      " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
      "--disable-background-networking --disable-component-update --disable-sync "
      "--user-data-dir=");
  command.append(::testing::TempDir()).append("/chrome-profile-");
  command.append(std::to_string(::getpid())).append(" ").append(args);
  return command;
}
inline CommandResult RenderDom(const std::string& html_path) {
  return RunCommand(ChromiumCommand("--dump-dom file://" + html_path));
}
inline int CountOf(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

// Skips when Chromium is absent, except in CI (scripts/setup.sh installs it).
#define LLMS_REQUIRE_CHROMIUM()                                                                   \
  do {                                                                                            \
    if (::llms::testing::ChromiumPath().empty()) {                                                \
      if (std::getenv("CI")) FAIL() << "chromium is not installed; scripts/setup.sh installs it"; \
      GTEST_SKIP() << "chromium is not installed (scripts/setup.sh installs it)";                 \
    }                                                                                             \
  } while (0)

}  // namespace llms::testing
