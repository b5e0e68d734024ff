// `iceberg verify` end to end: Knot DNS's own code (Debian's source package, and copies of it with
// one-line seeded bugs from tests/iceberg/verify/seeded-bugs/) executed symbolically on a zone with
// the query unknown. The unpatched code is proven on one zone and refuted, with counterexamples the
// live knotd confirms, on another; each seeded bug is refuted with counterexamples showing exactly
// that bug, confirmed by the native build of the patched tree.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_runner.h"

namespace {

namespace fs = std::filesystem;
using llms::testing::LastLine;
using llms::testing::ReadFile;
using llms::testing::RunCommand;
using nlohmann::json;

const std::string kBin = std::string(LLMS_BIN_DIR) + "/iceberg";
const std::string kZones = std::string(LLMS_SOURCE_DIR) + "/tests/iceberg/zones/";
const std::string kVerify = std::string(LLMS_SOURCE_DIR) + "/tests/iceberg/verify/";

// Debian's Knot source tree (fetched and cached by scripts/engine_source.sh), or "" (the test
// skips; with LLMS_REQUIRE_ENGINES it fails).
std::string KnotSource() {
  const auto r = RunCommand(std::string(LLMS_SOURCE_DIR) + "/scripts/engine_source.sh knot");
  const std::string dir = LastLine(r.out);
  if (r.exit_code != 0 || !fs::is_directory(dir)) {
    if (std::getenv("LLMS_REQUIRE_ENGINES")) ADD_FAILURE() << r.err;
    return "";
  }
  return dir;
}

struct Verified {
  int exit_code = -1;
  std::string out, err;
  json report;
};

// `zone`: a path, or a file of tests/iceberg/zones.
Verified RunVerify(const std::string& zone, int max_labels, const std::string& source = "",
                   int jobs = 2) {
  static int n = 0;
  const std::string json_file =
      fmt::format("{}/verify-{}-{}.json", ::testing::TempDir(), getpid(), n++);
  std::string cmd = fmt::format(
      "'{}' verify --zone '{}' --origin example. --max-labels {} --json '{}'", kBin,
      zone.find('/') == std::string::npos ? kZones + zone : zone, max_labels, json_file);
  if (!source.empty()) cmd += " --source '" + source + "'";
  cmd += fmt::format(" --jobs {}", jobs);
  const auto r = RunCommand(cmd);
  Verified v{r.exit_code, r.out, r.err, {}};
  if (fs::exists(json_file)) v.report = json::parse(ReadFile(json_file));
  return v;
}

TEST(IcebergVerifyTest, ProvesKnotOnOneLabelNames) {
  if (KnotSource().empty()) GTEST_SKIP() << "Knot's source package is not available";
  const Verified v = RunVerify("basic.zone", 1, "", /*jobs=*/1);
  ASSERT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_NE(v.out.find(": PROVEN"), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("scope: zone example."), std::string::npos) << v.out;
  EXPECT_EQ(v.report["verdict"], "proven");
  // The root, one label of 1 octet (no zone label has that length: the representative of the
  // rest) and one of 7 (the apex's length).
  EXPECT_EQ(v.report["stats"]["label_structures"], 3);
  EXPECT_EQ(v.report["stats"]["workers"], 1);
  EXPECT_GT(v.report["stats"]["paths"].get<int>(), 3);
  EXPECT_GT(v.report["stats"]["queries_compared"].get<int>(), 3);
  EXPECT_TRUE(v.report["counterexamples"].empty());
  EXPECT_EQ(v.report["undecided_count"], 0);
  EXPECT_EQ(v.report["stub_rules"], 2);
}

// Knot 3.2.6 looks names up by their "lookup format", the labels from the root joined by zero
// octets, so a label holding a zero octet reads as two labels: `c\000b.example.` is found as
// `b.c.example.` (an empty non-terminal of basic.zone) and answered NODATA where the name does
// not exist (NXDOMAIN). The verifier finds it (three octets of one label, 2^24 values, one of
// which does it) and the live knotd confirms every counterexample.
TEST(IcebergVerifyTest, RefutesKnotOnALabelWithAZeroOctetConfirmedLive) {
  if (KnotSource().empty()) GTEST_SKIP() << "Knot's source package is not available";
  const Verified v = RunVerify("basic.zone", 2);
  ASSERT_EQ(v.exit_code, 2) << v.out << v.err;
  EXPECT_EQ(v.report["verdict"], "counterexamples");
  EXPECT_EQ(v.report["undecided_count"], 0);
  ASSERT_FALSE(v.report["counterexamples"].empty());
  for (const json& c : v.report["counterexamples"]) {
    SCOPED_TRACE(c.dump());
    const std::string name = c["name"];
    EXPECT_NE(name.find("\\000"), std::string::npos);
    EXPECT_EQ(c["fields"], json::array({"rcode"}));
    EXPECT_NE(c["engine"].get<std::string>().find("status: NOERROR"), std::string::npos);
    EXPECT_NE(c["specification"].get<std::string>().find("status: NXDOMAIN"), std::string::npos);
    EXPECT_TRUE(c["native_confirms"]);
    EXPECT_TRUE(c["live_confirms"]) << c["live"];
  }
}

TEST(IcebergVerifyTest, ProvesKnotOnTwoLabelNamesOfTheSmallZone) {
  if (KnotSource().empty()) GTEST_SKIP() << "Knot's source package is not available";
  const Verified v = RunVerify(kVerify + "small.zone", 2);
  ASSERT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_EQ(v.report["verdict"], "proven");
  EXPECT_EQ(v.report["stats"]["label_structures"], 7);
  EXPECT_EQ(v.report["stats"]["workers"], 2);  // two executors, one report
}

// A copy of Knot's tree with tests/iceberg/verify/seeded-bugs/`patch` applied, verified.
Verified VerifySeeded(const std::string& patch) {
  const std::string source = KnotSource();
  if (source.empty()) return {};
  const std::string tree =
      fmt::format("{}/knot-seeded-{}-{}", ::testing::TempDir(), getpid(), patch);
  fs::remove_all(tree);
  const auto copied =
      RunCommand(fmt::format("cp -a '{}' '{}' && patch -d '{}' -p1 < '{}seeded-bugs/{}.patch'",
                             source, tree, tree, kVerify, patch));
  EXPECT_EQ(copied.exit_code, 0) << copied.out << copied.err;
  Verified v = RunVerify(kVerify + "small.zone", 2, tree);
  fs::remove_all(tree);
  EXPECT_EQ(v.exit_code, 2) << v.out << v.err;
  EXPECT_EQ(v.report["verdict"], "counterexamples");
  EXPECT_FALSE(v.report["counterexamples"].empty());
  for (const json& c : v.report["counterexamples"]) {
    EXPECT_TRUE(c["native_confirms"]) << c.dump();
    EXPECT_EQ(c["live"], "") << "the installed knotd is not this tree's build";
  }
  return v;
}

TEST(IcebergVerifyTest, VerifySeededBugNxdomainWithoutSoaForOneType) {
  const Verified v = VerifySeeded("nxdomain-without-soa-for-type-4242");
  if (v.report.is_null()) GTEST_SKIP() << "Knot's source package is not available";
  for (const json& c : v.report["counterexamples"]) {
    EXPECT_EQ(c["type"], "TYPE4242") << c.dump();
    EXPECT_EQ(c["fields"], json::array({"authority"})) << c.dump();
    EXPECT_NE(c["engine"].get<std::string>().find("status: NXDOMAIN"), std::string::npos);
  }
}

TEST(IcebergVerifyTest, VerifySeededBugAaClearedForLongNames) {
  const Verified v = VerifySeeded("aa-cleared-for-names-over-11-octets");
  if (v.report.is_null()) GTEST_SKIP() << "Knot's source package is not available";
  for (const json& c : v.report["counterexamples"]) {
    EXPECT_EQ(c["fields"], json::array({"aa"})) << c.dump();
    // Two labels, the first of 2 octets: 12 octets on the wire, the only such names in scope.
    EXPECT_EQ(c["query_hex"].get<std::string>().substr(24, 2), "02") << c.dump();
  }
}

TEST(IcebergVerifyTest, VerifySeededBugServfailForOneLabelValue) {
  const Verified v = VerifySeeded("servfail-for-one-label-value");
  if (v.report.is_null()) GTEST_SKIP() << "Knot's source package is not available";
  for (const json& c : v.report["counterexamples"]) {
    std::string name = c["name"];
    for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    EXPECT_EQ(name, "zq.example.") << c.dump();
    EXPECT_NE(c["engine"].get<std::string>().find("status: SERVFAIL"), std::string::npos);
  }
}

TEST(IcebergVerifyTest, RejectsBadArguments) {
  auto r = RunCommand(fmt::format("'{}' verify --zone '{}' --origin example. --engine nsd", kBin,
                                  kZones + "basic.zone"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--engine"), std::string::npos) << r.err;
  r = RunCommand(fmt::format("'{}' verify --zone '{}' --origin example. --source /nonexistent",
                             kBin, kZones + "basic.zone"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("/nonexistent"), std::string::npos) << r.err;
}

}  // namespace
