// End to end: `iceberg check` starts each real engine from Debian's packages (NSD, Knot DNS, BIND
// 9, PowerDNS with the bind backend, gdnsd, YADIFA) on each hand-written zone of
// tests/iceberg/zones/, sends every representative query and compares with the specification
// under the engine's profile. Every discrepancy must be a known finding (docs/iceberg.md lists each
// with its reproduction), and every zone an engine will not load a known refusal: a new one, or a
// known one that disappears, fails the test. An engine that is not installed is skipped
// with a message (scripts/setup.sh installs them; CI has them).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cli_runner.h"
#include "iceberg/dns_client.h"

namespace llms::testing {
namespace {

namespace fs = std::filesystem;

// engine, zone, query (padding labels shown as "<pad>."), type, differing fields. The type is the
// representative's: a type absent from the zone (PTR or TXT) stands for every type that has no
// RRset where the answer is decided.
using Finding = std::tuple<std::string, std::string, std::string, std::string, std::string>;

const std::set<Finding>& KnownFindings() {
  static const std::set<Finding> known{
      // NSD stops after one DNAME substitution: a DNAME that points below itself is not reapplied
      // (NOERROR where the chain, followed on, outgrows 255 octets: YXDOMAIN, RFC 6672 §2.2).
      {"nsd", "mixed.zone", "iceberg-q.self.example.", "PTR", "rcode,answer"},
      {"nsd", "mixed.zone", "<pad>.self.example.", "PTR", "rcode,answer"},
      {"nsd", "mixed.zone", "<pad>.self.example.", "PTR", "rcode"},
      // Knot answers an overflowing DNAME substitution NXDOMAIN instead of YXDOMAIN
      // (RFC 6672 §2.2), adds the SOA to YXDOMAIN answers, and in a YXDOMAIN answer after
      // repeated DNAMEs gives the CNAMEs wrong owners. (Its five-alias bound is its profile's.)
      {"knot", "mixed.zone", "<pad>.long.example.", "PTR", "rcode,authority"},
      {"knot", "mixed.zone", "<pad>.self.example.", "PTR", "answer"},
      {"knot", "dname.zone", "<pad>.d2.example.", "TXT", "authority"},
      // (BIND's twelve-alias bound and its referral glue are its profile's.)
      // PowerDNS answers SERVFAIL to a self-referential DNAME chain even when the CNAME itself
      // is asked for (other types: its ten-alias bound, in its profile), and puts the SOA into
      // the authority section of a positive answer to a CNAME query when the CNAME is
      // synthesized from a wildcard or a DNAME.
      {"pdns", "mixed.zone", "iceberg-q.self.example.", "CNAME", "rcode,answer"},
      {"pdns", "mixed.zone", "iceberg-q.w.example.", "CNAME", "authority"},
      {"pdns", "mixed.zone", "*.h.d.example.", "CNAME", "authority"},
      {"pdns", "cname-chains.zone", "iceberg-q.w.example.", "CNAME", "authority"},
      {"pdns", "dname.zone", "host.d2.example.", "CNAME", "authority"},
      // PowerDNS gives no addresses for an SRV target that exists only through a wildcard.
      {"pdns", "additional.zone", "_w._tcp.example.", "SRV", "additional"},
      {"pdns", "additional.zone", "_w._tcp.example.", "ANY", "additional"},
      // gdnsd answers the SOA with its MINIMUM field as TTL when that is lower than the record's.
      {"gdnsd", "large-rrset.zone", "example.", "SOA", "answer"},
      {"gdnsd", "rfc4592-wildcards.zone", "example.", "SOA", "answer"},
      // gdnsd (no DNSSEC) refers a DS query for a cut to the child like any other type, where
      // RFC 4035 §3.1.4.1 answers it from the parent side (NSD, Knot, BIND, PowerDNS, YADIFA do).
      {"gdnsd", "rfc4592-wildcards.zone", "subdel.example.", "TYPE43", "aa,authority"},
      {"gdnsd", "additional.zone", "sub.example.", "TYPE43", "aa,authority,additional"},
      {"gdnsd", "referrals.zone", "sub.example.", "TYPE43", "aa,authority,additional"},
      // gdnsd answers ANY at an empty non-terminal with its synthesized HINFO (RFC 8482 §4.2
      // speaks of names with data; an empty non-terminal has none: NODATA, RFC 4592 §2.2.2).
      {"gdnsd", "additional.zone", "_tcp.example.", "ANY", "answer,authority"},
      {"gdnsd", "additional.zone", "wild.example.", "ANY", "answer,authority"},
      {"gdnsd", "basic.zone", "b.c.example.", "ANY", "answer,authority"},
      {"gdnsd", "basic.zone", "c.example.", "ANY", "answer,authority"},
      {"gdnsd", "rfc4592-wildcards.zone", "_tcp.host1.example.", "ANY", "answer,authority"},
      {"gdnsd", "rfc4592-wildcards.zone", "_tcp.host2.example.", "ANY", "answer,authority"},
      {"gdnsd", "rfc4592-wildcards.zone", "host2.example.", "ANY", "answer,authority"},
  };
  return known;
}

// Findings that show on every negative answer of some zones: engine, query type ("*": any) and
// fields, where only the TTL of the authority section's SOA differs. YADIFA gives the SOA of a
// negative answer the MINIMUM field as TTL even when the SOA's own TTL is lower (RFC 2308 §3:
// the smaller of the two); BIND gives it TTL 0 when the query asked for the SOA type (other
// types get the right TTL at the same names).
struct SystematicFinding {
  std::string engine, type, fields;
};
const std::vector<SystematicFinding>& SystematicFindings() {
  static const std::vector<SystematicFinding> known{{"yadifa", "*", "authority"},
                                                    {"bind", "SOA", "authority"}};
  return known;
}

// A response's text with the TTLs of its SOA records left out.
std::string WithoutSoaTtls(const std::string& text) {
  std::string out;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(at, end - at);
    if (line.find(" IN SOA ") != std::string::npos) {
      const size_t a = line.find(' '), b = line.find(' ', a + 1);
      if (a != std::string::npos && b != std::string::npos) line.erase(a, b - a);
    }
    out += line + "\n";
    at = end + 1;
  }
  return out;
}

// Zones an engine will not load: engine, zone, what its error says.
const std::set<std::tuple<std::string, std::string, std::string>>& KnownRefusals() {
  static const std::set<std::tuple<std::string, std::string, std::string>> known{
      {"gdnsd", "dname.zone", "cannot load DNAME records"},
      {"gdnsd", "mixed.zone", "cannot load DNAME records"},
      // gdnsd rejects a zone with a CNAME loop ("a CNAME chain at least 16 RRs deep").
      {"gdnsd", "cname-chains.zone", "CNAME chain"},
      {"yadifa", "dname.zone", "cannot load DNAME records"},
      {"yadifa", "mixed.zone", "cannot load DNAME records"},
  };
  return known;
}

// Padding labels (all 'p') at the front of a name, shown as "<pad>.".
std::string ShortName(const std::string& name) {
  size_t at = 0;
  while (true) {
    const size_t dot = name.find('.', at);
    if (dot == std::string::npos || dot == at || name.find_first_not_of('p', at) < dot) {
      break;
    }
    at = dot + 1;
  }
  return at == 0 ? name : "<pad>." + name.substr(at);
}

class IcebergCheckTest : public ::testing::TestWithParam<std::string> {};

TEST_P(IcebergCheckTest, EveryDiscrepancyIsAKnownFinding) {
  const std::string engine = GetParam();
  const std::map<std::string, std::string> binaries{
      {"nsd", "/usr/sbin/nsd"},     {"knot", "/usr/sbin/knotd"},
      {"bind", "/usr/sbin/named"},  {"pdns", "/usr/sbin/pdns_server"},
      {"gdnsd", "/usr/sbin/gdnsd"}, {"yadifa", "/usr/sbin/yadifad"}};
  if (access(binaries.at(engine).c_str(), X_OK) != 0) {
    // CI (scripts/test.sh) sets LLMS_REQUIRE_ENGINES: there a missing engine fails the test.
    if (std::getenv("LLMS_REQUIRE_ENGINES")) {
      FAIL() << engine << " is not installed (" << binaries.at(engine)
             << ") and LLMS_REQUIRE_ENGINES is set: run scripts/setup.sh";
    }
    GTEST_SKIP() << engine << " is not installed (" << binaries.at(engine)
                 << "): scripts/setup.sh installs it";
  }
  const std::string zones = std::string(LLMS_SOURCE_DIR) + "/tests/iceberg/zones";
  std::set<Finding> seen;
  int zones_checked = 0, systematic_seen = 0;
  for (const auto& entry : fs::directory_iterator(zones)) {
    const std::string zone = entry.path().filename().string();
    const std::string json = ::testing::TempDir() + "/" + engine + "-" + zone + ".json";
    const CommandResult r = RunCommand(Bin("iceberg") + " check --zone " + entry.path().string() +
                                       " --origin example. --engine " + engine + " --json " + json);
    bool refused = false;
    for (const auto& [e, z, why] : KnownRefusals()) {
      if (e == engine && z == zone) {
        refused = true;
        EXPECT_EQ(r.exit_code, 1) << zone << ": a known refusal no longer shows\n" << r.out;
        EXPECT_NE(r.err.find(why), std::string::npos) << zone << "\n" << r.err;
      }
    }
    if (refused) continue;
    ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 2) << zone << "\n" << r.err << r.out;
    const auto report = nlohmann::json::parse(ReadFile(json));
    EXPECT_GT(report["queries"].get<int>(), 5) << zone;
    for (const auto& d : report["discrepancies"]) {
      std::string fields;
      for (const auto& f : d["fields"]) {
        if (!fields.empty()) fields += ',';
        fields += f.get<std::string>();
      }
      const Finding f{engine, zone, ShortName(d["name"]), d["type"], fields};
      seen.insert(f);
      const bool systematic =
          std::any_of(SystematicFindings().begin(), SystematicFindings().end(),
                      [&](const SystematicFinding& k) {
                        return k.engine == engine && (k.type == "*" || k.type == d["type"]) &&
                               k.fields == fields &&
                               WithoutSoaTtls(d["expected"]) == WithoutSoaTtls(d["actual"]);
                      });
      if (systematic) {
        ++systematic_seen;
        continue;
      }
      EXPECT_TRUE(KnownFindings().count(f))
          << "new discrepancy: " << engine << " " << zone << " " << d["name"] << " " << d["type"]
          << " (" << fields << ")\n"
          << d["expected"].get<std::string>() << d["actual"].get<std::string>()
          << d["reproduce"].get<std::string>();
    }
    ++zones_checked;
  }
  EXPECT_GE(zones_checked + static_cast<int>(std::count_if(
                                KnownRefusals().begin(), KnownRefusals().end(),
                                [&](const auto& k) { return std::get<0>(k) == engine; })),
            8);
  for (const SystematicFinding& k : SystematicFindings()) {
    if (k.engine == engine) {
      EXPECT_GT(systematic_seen, 0) << "the systematic finding no longer shows";
    }
  }
  for (const Finding& f : KnownFindings()) {
    if (std::get<0>(f) == engine) {
      EXPECT_TRUE(seen.count(f)) << "a known finding no longer shows: " << std::get<1>(f) << " "
                                 << std::get<2>(f) << " " << std::get<3>(f);
    }
  }
}

// `iceberg serve` keeps an engine running on the port asked for until SIGINT, so the dig
// commands of a check's report can be run; the check's report says how.
TEST(IcebergServeTest, KeepsTheEngineRunningUntilInterrupted) {
  for (const char* tool : {"/usr/sbin/nsd", "/usr/sbin/pdns_server", "/usr/bin/dig"}) {
    if (access(tool, X_OK) != 0) {
      if (std::getenv("LLMS_REQUIRE_ENGINES")) FAIL() << tool << " is missing: scripts/setup.sh";
      GTEST_SKIP() << tool << " is not installed: scripts/setup.sh installs it";
    }
  }
  const std::string zone = std::string(LLMS_SOURCE_DIR) + "/tests/iceberg/zones/additional.zone";
  auto free_port = iceberg::FreeLoopbackPort();
  ASSERT_TRUE(free_port.ok()) << free_port.message();
  const std::string port = std::to_string(*free_port);
  // A log of this run's own (a stale one with a banner would send dig before the engine is up).
  const std::string log = ::testing::TempDir() + "/iceberg-serve-" + port + ".log";
  std::remove(log.c_str());
  // Start it, wait for its banner, ask dig, interrupt it, and report its exit status.
  std::ostringstream script;
  script << "(" << Bin("iceberg") << " serve --zone " << zone
         << " --origin example. --engine nsd --port " << port << " 2>" << log
         << " & pid=$!; for i in $(seq 100); do grep -q 'Ctrl-C' " << log
         << " && break; sleep 0.1; done; dig @127.0.0.1 -p " << port
         << " +norec +nocookie +short _sip._tcp.example. SRV; kill -INT $pid; wait $pid; "
            "echo exit=$?)";
  const CommandResult r = RunCommand(script.str());
  EXPECT_NE(r.out.find("0 5 5060 sip.example."), std::string::npos) << r.out << ReadFile(log);
  EXPECT_NE(r.out.find("exit=0"), std::string::npos) << r.out << ReadFile(log);
  EXPECT_NE(ReadFile(log).find("port " + port), std::string::npos) << ReadFile(log);
  std::remove(log.c_str());
  // A check with discrepancies names the serve command for its port.
  std::ostringstream check_command, serve_command;
  check_command << Bin("iceberg") << " check --zone " << zone
                << " --origin example. --engine pdns --port " << port;
  serve_command << "iceberg serve --zone " << zone << " --origin example. --engine pdns --port "
                << port;
  // PowerDNS differs from the specification on this zone (a known finding): exit 2.
  const CommandResult check = RunCommand(check_command.str());
  ASSERT_EQ(check.exit_code, 2) << check.err << check.out;
  EXPECT_NE(check.out.find(serve_command.str()), std::string::npos) << check.out;
  // A port in use is refused before anything starts.
  const int busy = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(std::stoi(port)));
  ASSERT_EQ(::bind(busy, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  const CommandResult refused = RunCommand(check_command.str());
  ::close(busy);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("is in use"), std::string::npos) << refused.err;
}

// `iceberg generate` writes a zone that `iceberg check` loads into a real engine, and a short
// `iceberg campaign` runs generated zones end to end and writes its JSON report.
TEST(IcebergCampaignTest, GeneratedZonesRunEndToEnd) {
  if (access("/usr/sbin/nsd", X_OK) != 0) GTEST_SKIP() << "nsd is not installed: scripts/setup.sh";
  const std::string zone = ::testing::TempDir() + "/generated.db";
  CommandResult r = RunCommand(Bin("iceberg") + " generate --seed 11 --output " + zone);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = RunCommand(Bin("iceberg") + " check --zone " + zone + " --origin example. --engine nsd");
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 2) << r.err;
  EXPECT_NE(r.out.find("iceberg check: nsd"), std::string::npos) << r.out;
  const std::string json = ::testing::TempDir() + "/campaign.json";
  r = RunCommand(Bin("iceberg") + " campaign --engines nsd --zones 3 --seed 1 -q --json " + json);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto report = nlohmann::json::parse(ReadFile(json));
  EXPECT_EQ(report["zones"], 3);
  EXPECT_GT(report["queries"]["nsd"].get<int>(), 30);
  EXPECT_FALSE(report["zones_refused"].contains("nsd"));
  EXPECT_NE(r.out.find("iceberg campaign: 3 zones"), std::string::npos) << r.out;
  r = RunCommand(Bin("iceberg") + " campaign --engines nsd,unbound --zones 1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown engine 'unbound'"), std::string::npos) << r.err;
}

// An engine that will not load a zone (BIND: an in-zone NS name without an address) fails the
// check with the engine's log, at once rather than at the start-up timeout.
TEST(IcebergCampaignTest, AnEngineThatRefusesTheZoneShowsItsLog) {
  if (access("/usr/sbin/named", X_OK) != 0) GTEST_SKIP() << "BIND is not installed";
  const std::string zone = ::testing::TempDir() + "/noaddr.db";
  std::ofstream(zone)
      << "$TTL 300\n@ SOA ns1 admin 1 2 3 4 5\n@ NS ns1\n@ NS nsx\nns1 A 192.0.2.1\n";
  const CommandResult r =
      RunCommand(Bin("iceberg") + " check --zone " + zone + " --origin example. --engine bind");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("did not load the zone"), std::string::npos) << r.err;
  // The log's lines that say why: the cause, then that the zone was not loaded.
  EXPECT_NE(r.err.find("has no address records"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not loaded due to errors"), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(Engines, IcebergCheckTest,
                         ::testing::Values("nsd", "knot", "bind", "pdns", "gdnsd", "yadifa"));

}  // namespace
}  // namespace llms::testing
