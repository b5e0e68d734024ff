// End to end: the `iceberg` binary on zone files written here: `lookup` prints the
// specification's answer dig-like with the RFC clauses, `classes` one representative per line,
// and a malformed or invalid zone gives an error naming the file and line (or the owner).
#include <gtest/gtest.h>

#include <fstream>

#include "cli_runner.h"

namespace llms::testing {
namespace {

std::string WriteZone(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

const char* const kZone = R"($TTL 300
@    SOA ns1 admin 1 3600 600 86400 300
@    NS  ns1
ns1  A   192.0.2.1
*    TXT "wild"
sub  NS  ns.sub
ns.sub A 192.0.2.53
)";

TEST(IcebergCliTest, LookupPrintsTheAnswerAndItsRules) {
  const std::string zone = WriteZone("cli.zone", kZone);
  CommandResult r = RunCommand(Bin("iceberg") + " lookup --zone " + zone +
                               " --origin example --name anything --type TXT");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("status: NOERROR, flags: qr aa"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("anything.example. 300 IN TXT \"wild\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(";; rule: RFC 4592 §3.3.1"), std::string::npos) << r.out;
  r = RunCommand(Bin("iceberg") + " lookup --zone " + zone +
                 " --origin example. --name www.sub.example. --type A -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("status: NOERROR, flags: qr;"), std::string::npos) << r.out;  // AA clear
  EXPECT_NE(r.out.find("ns.sub.example. 300 IN A 192.0.2.53"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(";; rule:"), std::string::npos) << r.out;
}

TEST(IcebergCliTest, ClassesListsOneQueryPerBehaviour) {
  const std::string zone = WriteZone("cli2.zone", kZone);
  const CommandResult r =
      RunCommand(Bin("iceberg") + " classes --zone " + zone + " --origin example. --signatures");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* line :
       {"iceberg-q.example. TXT  wildcard:example.|TXT:*.example.|",
        "sub.example. AAAA  cut:sub.example.|", "iceberg-outside-the-zone. AAAA  refused|"}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  }
  EXPECT_NE(r.err.find("classes for 6 records"), std::string::npos) << r.err;
}

TEST(IcebergCliTest, BadZonesAndQueriesGiveClearErrors) {
  const std::string bad =
      WriteZone("bad.zone", "$TTL 300\n@ SOA ns1 admin 1 2 3 4 5\n@ MX 70000 mx\n");
  CommandResult r =
      RunCommand(Bin("iceberg") + " lookup --zone " + bad + " --origin example. --name x");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bad.zone:3:"), std::string::npos) << r.err;
  const std::string invalid = WriteZone(
      "invalid.zone", "$TTL 300\n@ SOA ns1 admin 1 2 3 4 5\n@ NS ns1\nx CNAME y\nx A 1.2.3.4\n");
  r = RunCommand(Bin("iceberg") + " classes --zone " + invalid + " --origin example.");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("x.example."), std::string::npos) << r.err;
  r = RunCommand(Bin("iceberg") + " lookup --zone " + WriteZone("ok.zone", kZone) +
                 " --origin example. --name x --type BOGUS");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown record type 'BOGUS'"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace llms::testing
