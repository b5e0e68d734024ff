// Engine processes (see engine.h): per-engine configuration, start-up, readiness and shutdown.
#include "iceberg/engine.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include "dns/name.h"
#include "iceberg/dns_client.h"

namespace llms::iceberg {
namespace {

namespace fs = std::filesystem;

struct Launch {
  std::vector<std::string> argv;
  std::vector<std::string> version_argv;
};

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

// Writes the engine's configuration into `dir` and returns how to run it.
Result<Launch> Configure(const std::string& engine, const std::string& dir,
                         const std::string& origin, uint16_t port) {
  const std::string zone_file = dir + "/zone.db";
  if (engine == "nsd") {
    WriteFile(dir + "/nsd.conf",
              fmt::format(R"(server:
  ip-address: 127.0.0.1
  port: {port}
  username: ""
  zonesdir: "{dir}"
  pidfile: "{dir}/nsd.pid"
  database: ""
  xfrdfile: "{dir}/xfrd.state"
  zonelistfile: "{dir}/zone.list"
  server-count: 1
  verbosity: 1
remote-control:
  control-enable: no
zone:
  name: "{origin}"
  zonefile: "{zone_file}"
)",
                          fmt::arg("port", port), fmt::arg("dir", dir), fmt::arg("origin", origin),
                          fmt::arg("zone_file", zone_file)));
    return Launch{{"/usr/sbin/nsd", "-d", "-c", dir + "/nsd.conf"}, {"/usr/sbin/nsd", "-v"}};
  }
  if (engine == "knot") {
    fs::create_directories(dir + "/run");
    fs::create_directories(dir + "/db");
    WriteFile(dir + "/knot.conf",
              fmt::format(R"(server:
    rundir: "{dir}/run"
    listen: 127.0.0.1@{port}
log:
  - target: stderr
    any: info
database:
    storage: "{dir}/db"
template:
  - id: default
    storage: "{dir}"
    journal-content: none
    zonefile-sync: -1
    semantic-checks: off
zone:
  - domain: "{origin}"
    file: "{zone_file}"
)",
                          fmt::arg("port", port), fmt::arg("dir", dir), fmt::arg("origin", origin),
                          fmt::arg("zone_file", zone_file)));
    return Launch{{"/usr/sbin/knotd", "-c", dir + "/knot.conf"}, {"/usr/sbin/knotd", "-V"}};
  }
  if (engine == "bind") {
    WriteFile(dir + "/named.conf",
              fmt::format(R"(options {{
  directory "{dir}";
  listen-on port {port} {{ 127.0.0.1; }};
  listen-on-v6 {{ none; }};
  pid-file "{dir}/named.pid";
  recursion no;
  dnssec-validation no;
  check-names primary ignore;  // owners such as _tcp with addresses are valid DNS
}};
zone "{origin}" {{ type primary; file "{zone_file}"; }};
)",
                          fmt::arg("port", port), fmt::arg("dir", dir), fmt::arg("origin", origin),
                          fmt::arg("zone_file", zone_file)));
    return Launch{{"/usr/sbin/named", "-g", "-c", dir + "/named.conf"}, {"/usr/sbin/named", "-v"}};
  }
  if (engine == "pdns") {
    WriteFile(dir + "/named.conf",
              fmt::format("zone \"{}\" {{ type master; file \"{}\"; }};\n", origin, zone_file));
    return Launch{{"/usr/sbin/pdns_server", "--daemon=no", "--guardian=no", "--disable-syslog",
                   "--local-address=127.0.0.1", fmt::format("--local-port={}", port),
                   "--launch=bind", "--bind-config=" + dir + "/named.conf", "--config-dir=" + dir,
                   "--socket-dir=" + dir, "--write-pid=no",
                   // DNAME support is off by default; the check is of the implementation.
                   "--dname-processing=yes"},
                  {"/usr/sbin/pdns_server", "--version"}};
  }
  if (engine == "gdnsd") {
    // gdnsd 3 reads every file under zones/ as the zone its name says; it runs in the foreground
    // with `start` and keeps its run and state files where the configuration says.
    fs::create_directories(dir + "/zones");
    fs::create_directories(dir + "/run");
    fs::create_directories(dir + "/state");
    std::string name = origin.size() > 1 ? origin.substr(0, origin.size() - 1) : origin;
    fs::copy_file(zone_file, dir + "/zones/" + name, fs::copy_options::overwrite_existing);
    WriteFile(dir + "/config", fmt::format(R"(options => {{
  listen => [ 127.0.0.1:{port} ]
  run_dir => {dir}/run
  state_dir => {dir}/state
}}
)",
                                           fmt::arg("port", port), fmt::arg("dir", dir)));
    return Launch{{"/usr/sbin/gdnsd", "-c", dir, "start"}, {"/usr/sbin/gdnsd", "-h"}};
  }
  if (engine == "yadifa") {
    for (const char* sub : {"/keys", "/log", "/xfr"}) fs::create_directories(dir + sub);
    WriteFile(dir + "/yadifad.conf",
              fmt::format(R"(<main>
    listen 127.0.0.1
    port {port}
    daemon off
    chroot off
    uid 0
    gid 0
    pidfile {dir}/yadifad.pid
    datapath {dir}
    keyspath {dir}/keys
    logpath {dir}/log
    xfrpath {dir}/xfr
</main>
<zone>
    domain {origin}
    type master
    file {zone_file}
</zone>
)",
                          fmt::arg("port", port), fmt::arg("dir", dir), fmt::arg("origin", origin),
                          fmt::arg("zone_file", zone_file)));
    return Launch{{"/usr/sbin/yadifad", "-c", dir + "/yadifad.conf"}, {"/usr/sbin/yadifad", "-V"}};
  }
  return Status::Error(
      fmt::format("unknown engine '{}': give one of {}", engine, fmt::join(EngineNames(), ", ")));
}

// What of an engine's log explains a failed start: the lines that report errors, each with the
// three lines before it (engines state the cause first, then that the zone failed), or the last
// lines when none does. Build banners are left out and long lines cut.
std::string LogExcerpt(const std::string& log) {
  std::vector<std::string> lines;
  std::vector<bool> keep;
  std::stringstream in(log);
  bool any_error = false;
  for (std::string line; std::getline(in, line);) {
    if (line.find("built with") != std::string::npos) continue;
    if (line.size() > 300) line = line.substr(0, 300) + "...";
    const std::string lower = dns::AsciiLower(line);
    const bool error =
        lower.find("error") != std::string::npos || lower.find("fatal") != std::string::npos ||
        lower.find("fail") != std::string::npos || line.find("| E |") != std::string::npos;
    lines.push_back(line);
    keep.push_back(false);
    if (error) {
      any_error = true;
      for (size_t i = lines.size() > 4 ? lines.size() - 4 : 0; i < lines.size(); ++i)
        keep[i] = true;
    }
  }
  constexpr size_t kTail = 20;
  if (!any_error) {
    for (size_t i = lines.size() > kTail ? lines.size() - kTail : 0; i < lines.size(); ++i) {
      keep[i] = true;
    }
  }
  std::string out;
  bool gap = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!keep[i]) {
      gap = true;
      continue;
    }
    if (gap) out += "...\n";
    gap = false;
    out += lines[i] + "\n";
  }
  return out;
}

// The first line of the command's output that holds a version number (digits, a dot, digits).
std::string VersionLineOf(const std::vector<std::string>& argv) {
  std::string cmd;
  for (const std::string& a : argv) cmd += a + " ";
  cmd += "2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return "";
  char buf[512];
  std::string out;
  auto has_version = [](const std::string& line) {
    for (size_t i = 1; i + 1 < line.size(); ++i) {
      if (line[i] == '.' && std::isdigit(static_cast<unsigned char>(line[i - 1])) &&
          std::isdigit(static_cast<unsigned char>(line[i + 1]))) {
        return true;
      }
    }
    return false;
  };
  while (std::fgets(buf, sizeof buf, p)) {
    if (has_version(buf)) {
      out = buf;
      break;
    }
  }
  ::pclose(p);
  // PowerDNS prefixes its banner with a timestamp.
  if (const size_t at = out.find("PowerDNS"); at != std::string::npos) out = out.substr(at);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

}  // namespace

const std::vector<std::string>& EngineNames() {
  static const std::vector<std::string> names{"nsd", "knot", "bind", "pdns", "gdnsd", "yadifa"};
  return names;
}

std::vector<uint16_t> UnsupportedTypes(const std::string& engine) {
  // Neither gdnsd 3.8 nor YADIFA 2.6 implements DNAME: gdnsd rejects the zone file, YADIFA
  // loads nothing and answers SERVFAIL.
  if (engine == "gdnsd" || engine == "yadifa") return {dns::rrtype::DNAME};
  return {};
}

Status CheckSupported(const std::string& engine, const dns::Zone& zone) {
  const std::vector<uint16_t> types = UnsupportedTypes(engine);
  for (const ResourceRecord& rr : zone.records) {
    if (std::find(types.begin(), types.end(), rr.type) != types.end()) {
      return Status::Error(fmt::format(
          "{} cannot load {} records, and the zone has one at {}: check this zone with another "
          "engine, or without those records",
          engine, dns::TypeName(rr.type), rr.owner.ToString()));
    }
  }
  return Status::Ok();
}

dns::Zone WithoutTypes(dns::Zone zone, const std::vector<uint16_t>& types) {
  std::erase_if(zone.records, [&](const ResourceRecord& rr) {
    return std::find(types.begin(), types.end(), rr.type) != types.end();
  });
  return zone;
}

Profile EngineProfile(const std::string& engine) {
  Profile p;
  // NSD and BIND (minimal-responses no-auth-recursive, 9.18's default, for queries without RD)
  // put the apex NS RRset into the authority section of positive answers.
  p.apex_ns_in_positive_answers = engine == "nsd" || engine == "bind";
  // NSD leaves it out when the CNAME asked for is synthesized from a DNAME.
  p.apex_ns_skips_synthesized_cname = engine == "nsd";
  // Knot and PowerDNS add glue addresses for MX/SRV/NS targets below a cut.
  p.additional_from_glue = engine == "knot" || engine == "pdns";
  // A CNAME loop: BIND answers SERVFAIL with the chain, PowerDNS SERVFAIL alone.
  if (engine == "bind") p.cname_loop = Profile::Loop::kServfailWithChain;
  if (engine == "pdns") p.cname_loop = Profile::Loop::kServfail;
  // Each engine's own bound on a chain of aliases (CNAMEs and DNAME substitutions), measured on
  // chains of 1-39 aliases (docs/iceberg.md): Knot puts at most five aliases into an answer
  // (CNAME_CHAIN_MAX, checked before the alias goes in) and YADIFA twenty, answering NOERROR
  // without the next; BIND follows eleven (its restart limit) and answers SERVFAIL with the
  // twelfth; PowerDNS follows ten and answers the eleventh SERVFAIL alone; NSD has no bound.
  if (engine == "knot" || engine == "yadifa") {
    p.max_chain = engine == "knot" ? 5 : 20;
    p.past_bound = Profile::PastBound::kOmit;
  }
  if (engine == "bind") {
    p.max_chain = 11;
    p.past_bound = Profile::PastBound::kServfailWithChain;
  }
  if (engine == "pdns") {
    p.max_chain = 10;
    p.past_bound = Profile::PastBound::kServfail;
  }
  // BIND's referrals carry glue below any cut (this one's and its siblings'), not the addresses
  // of NS targets that are authoritative data of the zone.
  if (engine == "bind") p.referral_glue = Profile::ReferralGlue::kGlue;
  // gdnsd answers minimally: a CNAME is not followed within the zone, answers carry no addresses
  // for their targets, and a referral carries only the glue below its cut.
  if (engine == "gdnsd") {
    p.follow_chains = false;
    p.additional_for_answers = false;
    p.referral_glue = Profile::ReferralGlue::kBelowCut;
  }
  // YADIFA adds addresses for MX and NS targets (glue below a cut included), not for SRV ones.
  if (engine == "yadifa") {
    p.additional_from_glue = true;
    p.additional_for_srv = false;
  }
  // ANY: NSD and Knot answer with one RRset, gdnsd with a synthesized HINFO (RFC 8482); BIND
  // leaves the additional section out; NSD and Knot follow a DNAME's synthesized CNAME,
  // PowerDNS every alias.
  if (engine == "nsd" || engine == "knot") {
    p.any = Profile::Any::kSubset;
    p.any_at_alias = Profile::AnyAlias::kFollowSynthesized;
  }
  if (engine == "gdnsd") p.any = Profile::Any::kHinfo;
  p.additional_for_any = engine != "bind";
  if (engine == "pdns") p.any_at_alias = Profile::AnyAlias::kFollow;
  return p;
}

Result<std::unique_ptr<EngineProcess>> EngineProcess::Start(const std::string& engine,
                                                            const dns::Zone& zone,
                                                            const std::string& workdir,
                                                            double startup_timeout_s,
                                                            uint16_t fixed_port) {
  std::error_code ec;
  fs::create_directories(workdir, ec);
  if (ec) return Status::Error(fmt::format("cannot create {}: {}", workdir, ec.message()));
  if (Status s = CheckSupported(engine, zone); !s.ok()) return s;
  if (fixed_port && !LoopbackPortIsFree(fixed_port)) {
    return Status::Error(fmt::format(
        "port {} of 127.0.0.1 is in use (another engine or `iceberg serve`?): choose another",
        fixed_port));
  }
  auto port = fixed_port ? Result<uint16_t>(fixed_port) : FreeLoopbackPort();
  if (!port.ok()) return port.status();
  const std::string origin = zone.origin.ToString();
  WriteFile(workdir + "/zone.db", dns::ZoneToText(zone));
  auto launch = Configure(engine, workdir, origin, *port);
  if (!launch.ok()) return launch.status();
  if (::access(launch->argv[0].c_str(), X_OK) != 0) {
    return Status::Error(
        fmt::format("{} is not installed ({} missing): scripts/setup.sh installs the engines",
                    engine, launch->argv[0]));
  }
  std::unique_ptr<EngineProcess> p(new EngineProcess());
  p->engine_ = engine;
  p->workdir_ = workdir;
  p->port_ = *port;
  p->log_path_ = workdir + "/engine.log";
  // The version does not change between starts (a campaign starts each engine hundreds of times).
  static std::map<std::string, std::string> versions;
  auto version = versions.find(engine);
  if (version == versions.end()) {
    version = versions.emplace(engine, VersionLineOf(launch->version_argv)).first;
  }
  p->version_ = version->second;
  p->pid_ = ::fork();
  if (p->pid_ == 0) {
    ::setpgid(0, 0);
    // The engine starts with no signal blocked, whatever its parent blocks (`iceberg serve`
    // waits for SIGINT/SIGTERM with them blocked), so SIGTERM stops it cleanly.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    const int fd = ::open(p->log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    std::vector<char*> argv;
    for (auto& a : launch->argv) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  if (p->pid_ < 0) return Status::Error("fork failed");
  ::setpgid(p->pid_, p->pid_);  // the engine and its children stop together

  dns::Question soa;
  soa.name = zone.origin;
  soa.type = dns::rrtype::SOA;
  ClientOptions quick;
  quick.timeout_s = 0.2;
  quick.udp_attempts = 1;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(startup_timeout_s);
  // An engine that answers but not for the zone (it refused to load it) fails after 2 s.
  std::optional<std::chrono::steady_clock::time_point> answering_since;
  while (std::chrono::steady_clock::now() < deadline) {
    int status;
    if (::waitpid(p->pid_, &status, WNOHANG) == p->pid_) {
      p->pid_ = -1;
      return Status::Error(fmt::format("{} exited during start-up; its log ({}) says:\n{}", engine,
                                       p->log_path_, LogExcerpt(p->Log())));
    }
    auto m = QueryServer("127.0.0.1", p->port_, soa, quick);
    if (m.ok() && m->rcode == dns::rcode::NOERROR && !m->answer.empty()) return p;
    if (m.ok()) {
      const auto now = std::chrono::steady_clock::now();
      if (!answering_since) answering_since = now;
      if (now - *answering_since > std::chrono::seconds(2)) {
        return Status::Error(fmt::format(
            "{} runs but answers the zone's SOA query {} (it did not load the zone); its log "
            "({}) says:\n{}",
            engine, dns::RcodeName(m->rcode), p->log_path_, LogExcerpt(p->Log())));
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Status::Error(fmt::format("{} did not serve {} within {} s; its log ({}) says:\n{}",
                                   engine, origin, startup_timeout_s, p->log_path_,
                                   LogExcerpt(p->Log())));
}

std::string EngineProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void EngineProcess::Stop() {
  if (pid_ <= 0) return;
  // Half a second to stop cleanly, then SIGKILL: the working directory is thrown away, and
  // YADIFA takes about two seconds to join its threads (a campaign stops engines hundreds of
  // times).
  ::kill(-pid_, SIGTERM);
  for (int i = 0; i < 25; ++i) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(-pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

EngineProcess::~EngineProcess() {
  Stop();
}

}  // namespace llms::iceberg
