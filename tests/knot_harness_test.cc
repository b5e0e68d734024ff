// The Knot harness (src/iceberg/knot/harness.c) answers as the live knotd does. The harness runs
// Knot's own zone loader and knotd's query-processing layer, built from Debian's knot source by
// scripts/knot_bitcode.sh (natively here, as knot_native; the same code is the bitcode the
// symbolic executor runs). For every representative query of every hand-written zone the
// harness's answer and the live knotd's (started by iceberg, as `iceberg check` does) must have the
// same rcode, AA flag and sections as sets of records.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "cli_runner.h"
#include "dns/wire.h"
#include "dns/zone_parser.h"
#include "iceberg/checker.h"
#include "iceberg/classes.h"
#include "iceberg/dns_client.h"
#include "iceberg/engine.h"

namespace llms::iceberg {
namespace {

namespace fs = std::filesystem;

using llms::testing::LastLine;
using llms::testing::RunCommand;

std::string Hex(const std::vector<uint8_t>& b) {
  std::string s;
  for (uint8_t c : b) s += fmt::format("{:02x}", c);
  return s;
}
std::vector<uint8_t> Unhex(const std::string& s) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < s.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(s.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// rcode, AA and the sections as the checker compares them (sets of records, OPT left out: the
// live query has EDNS).
std::string Canonical(const dns::Message& m) {
  std::string out = fmt::format("rcode {} aa {}\n", m.rcode, m.aa);
  for (const auto* section : {&m.answer, &m.authority, &m.additional}) {
    for (const std::string& l : SectionLines(*section)) out += l + "\n";
    out += "--\n";
  }
  return out;
}

TEST(KnotHarnessTest, AnswersEveryClassQueryAsTheLiveKnotd) {
  if (access("/usr/sbin/knotd", X_OK) != 0 || access("/usr/bin/clang-15", X_OK) != 0) {
    if (std::getenv("LLMS_REQUIRE_ENGINES"))
      FAIL() << "knotd or clang-15 missing: scripts/setup.sh";
    GTEST_SKIP() << "knotd or clang-15 is not installed: scripts/setup.sh installs them";
  }
  const auto built = RunCommand(std::string(LLMS_SOURCE_DIR) + "/scripts/knot_bitcode.sh");
  const std::string last = LastLine(built.out);
  if (built.exit_code != 0 || !fs::exists(last)) {
    if (std::getenv("LLMS_REQUIRE_ENGINES"))
      FAIL() << "scripts/knot_bitcode.sh failed:\n" << built.err;
    GTEST_SKIP() << "scripts/knot_bitcode.sh failed (no knot source?):\n" << built.err;
  }
  const std::string native = (fs::path(last).parent_path() / "knot_native").string();
  const Profile profile = EngineProfile("knot");
  int compared = 0;
  for (const auto& entry :
       fs::directory_iterator(std::string(LLMS_SOURCE_DIR) + "/tests/iceberg/zones")) {
    const std::string zone_name = entry.path().filename().string();
    if (zone_name == "large-rrset.zone") continue;  // an answer beyond 512 octets: UDP truncates
    SCOPED_TRACE(zone_name);
    const dns::Name origin = *dns::Name::Parse("example.");
    auto zone = dns::ParseZoneFile(entry.path().string(), origin);
    ASSERT_TRUE(zone.ok()) << zone.message();
    const ZoneIndex index(origin, zone->records);
    const std::vector<QueryClass> classes = Classes(index, profile);
    // The harness's answers, all queries through one knot_native process.
    const std::string dir = fmt::format("{}/knot-harness-{}", ::testing::TempDir(), getpid());
    fs::create_directories(dir);
    {
      std::ofstream q(dir + "/queries");
      for (size_t i = 0; i < classes.size(); ++i) {
        q << Hex(dns::EncodeQuery(static_cast<uint16_t>(i), classes[i].query.name,
                                  classes[i].query.type, /*udp_size=*/0))
          << "\n";
      }
    }
    const auto answers = RunCommand(
        fmt::format("'{}' '{}' example. < '{}/queries'", native, entry.path().string(), dir));
    ASSERT_EQ(answers.exit_code, 0) << answers.err;
    std::istringstream lines(answers.out);
    // The live knotd on the same zone.
    auto engine = EngineProcess::Start("knot", *zone, dir + "/knot");
    ASSERT_TRUE(engine.ok()) << engine.message();
    for (const QueryClass& c : classes) {
      std::string line;
      ASSERT_TRUE(std::getline(lines, line)) << "knot_native answered fewer queries";
      const std::string what = c.query.name.ToString() + " " + dns::TypeName(c.query.type);
      auto harness = dns::DecodeMessage(Unhex(line));
      ASSERT_TRUE(harness.ok()) << what << ": " << harness.message();
      if (harness->tc) continue;
      auto live = QueryServer("127.0.0.1", (*engine)->port(), c.query);
      ASSERT_TRUE(live.ok()) << what << ": " << live.message();
      EXPECT_EQ(Canonical(*harness), Canonical(*live)) << what;
      ++compared;
    }
  }
  EXPECT_GT(compared, 500);
  std::printf("the harness and the live knotd agreed on %d queries\n", compared);
}

}  // namespace
}  // namespace llms::iceberg
