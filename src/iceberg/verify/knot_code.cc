// Knot DNS's code for verification: the build script run, the zone loaded inside the executor,
// the native build's answers.
#include "iceberg/verify/knot_code.h"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace llms::iceberg {

namespace {

namespace fs = std::filesystem;

struct CommandOutput {
  int exit_code = -1;
  std::string out, err;
};

// `s` as one shell word.
std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') {
      q.append("'\\''");
    } else {
      q.push_back(c);
    }
  }
  q.push_back('\'');
  return q;
}

// A fresh number for temporary file names (workers may run concurrently).
int NextFileNumber() {
  static std::atomic<int> n{0};
  return n++;
}

// Runs `cmd` through the shell with stdin from `input_file` (if any), capturing stdout and stderr.
CommandOutput RunShell(const std::string& cmd, const std::string& input_file = "") {
  const fs::path err_file = fs::temp_directory_path() /
                            fmt::format("iceberg-verify-{}-{}.err", getpid(), NextFileNumber());
  std::string full = fmt::format("{} 2>{}", cmd, Quote(err_file.string()));
  if (!input_file.empty()) full += fmt::format(" <{}", Quote(input_file));
  CommandOutput r;
  FILE* p = ::popen(full.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  for (size_t k; (k = std::fread(buf, 1, sizeof buf, p)) > 0;) r.out.append(buf, k);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream e(err_file);
  std::stringstream text;
  text << e.rdbuf();
  r.err = text.str();
  std::error_code ec;
  fs::remove(err_file, ec);
  return r;
}

std::string LastLine(const std::string& s) {
  std::string line, last;
  std::istringstream in(s);
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  return last;
}

std::vector<uint8_t> WithNul(const std::string& s) {
  std::vector<uint8_t> b(s.begin(), s.end());
  b.push_back(0);
  return b;
}

}  // namespace

Result<KnotCode> BuildKnotCode(const std::string& source) {
  const std::string root = LLMS_SOURCE_DIR;
  std::string cmd = Quote(root + "/scripts/knot_bitcode.sh");
  if (!source.empty()) {
    if (!fs::is_directory(source)) {
      return Status::Error(
          fmt::format("--source {}: no such directory (give a Knot DNS source "
                      "tree, as `apt-get source knot` unpacks it)",
                      source));
    }
    cmd += fmt::format(" {}", Quote(source));
  }
  const CommandOutput built = RunShell(cmd);
  const std::string bitcode = LastLine(built.out);
  if (built.exit_code != 0 || !fs::exists(bitcode)) {
    return Status::Error(fmt::format("building Knot's code failed ({}):\n{}", cmd, built.err));
  }
  KnotCode code;
  code.source = source;
  code.bitcode = bitcode;
  code.native = (fs::path(bitcode).parent_path() / "knot_native").string();
  code.stubs_file = root + "/src/iceberg/knot/knot.stubs";
  auto stubs = symex::LoadStubs(code.stubs_file);
  if (!stubs.ok()) return stubs.status();
  code.stubs = std::move(*stubs);
  code.stub_rules = code.stubs.size();
  return code;
}

Result<symex::PathResult> LoadZoneInExecutor(symex::Executor& ex, const std::string& zone_text,
                                             const std::string& origin) {
  auto load = ex.Run(kKnotLoad, {symex::Arg::Concrete(0, 64),
                                 symex::Arg::ConcreteBuffer("zone", WithNul(zone_text)),
                                 symex::Arg::Concrete(zone_text.size(), 64),
                                 symex::Arg::ConcreteBuffer("origin", WithNul(origin))});
  if (!load.ok()) return load.status();
  if (load->paths.size() != 1) {
    return Status::Error(
        fmt::format("Knot's zone load took {} paths inside the executor (expected one: nothing "
                    "in it is symbolic)",
                    load->paths.size()));
  }
  symex::PathResult& path = load->paths[0];
  if (path.end != symex::PathEnd::kReturned) {
    return Status::Error(
        fmt::format("Knot's zone load did not return inside the executor: {}", path.message));
  }
  uint64_t ret = 1;
  if (!path.value || !path.value->simplify().is_numeral_u64(ret) || ret != 0) {
    return Status::Error(fmt::format(
        "Knot refused the zone (its loader returned {}); `iceberg check --engine knot` shows the "
        "live knotd's log for it",
        path.value ? path.value->simplify().to_string() : "nothing"));
  }
  return std::move(path);
}

Result<std::vector<std::vector<uint8_t>>> NativeAnswers(
    const KnotCode& code, const std::string& zone_file, const std::string& origin,
    const std::vector<std::vector<uint8_t>>& queries) {
  std::string hex;
  for (const auto& q : queries) {
    for (uint8_t b : q) hex += fmt::format("{:02x}", b);
    hex += "\n";
  }
  const fs::path qfile = fs::temp_directory_path() /
                         fmt::format("iceberg-verify-{}-{}.queries", getpid(), NextFileNumber());
  std::ofstream(qfile) << hex;
  const CommandOutput run = RunShell(
      fmt::format("{} {} {}", Quote(code.native), Quote(zone_file), Quote(origin)), qfile.string());
  std::error_code ec;
  fs::remove(qfile, ec);
  if (run.exit_code != 0) {
    return Status::Error(
        fmt::format("{} failed (exit {}): {}", code.native, run.exit_code, run.err));
  }
  std::vector<std::vector<uint8_t>> out;
  std::istringstream lines(run.out);
  for (std::string line; std::getline(lines, line);) {
    std::vector<uint8_t> bytes;
    if (line.size() % 2 != 0 || line.find_first_not_of("0123456789abcdef") != std::string::npos) {
      return Status::Error(fmt::format("{} wrote a line that is not hexadecimal: {}", code.native,
                                       line.substr(0, 80)));
    }
    for (size_t i = 0; i + 1 < line.size(); i += 2) {
      bytes.push_back(static_cast<uint8_t>(std::stoul(line.substr(i, 2), nullptr, 16)));
    }
    out.push_back(std::move(bytes));
  }
  if (out.size() != queries.size()) {
    return Status::Error(
        fmt::format("{} answered {} of {} queries", code.native, out.size(), queries.size()));
  }
  return out;
}

}  // namespace llms::iceberg
