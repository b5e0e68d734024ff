// Tests of the zone generator: every zone it makes is valid, a seed always gives the same zone,
// and across seeds the zones hold every construct the specification treats specially.
#include "iceberg/zone_generator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "iceberg/classes.h"

namespace llms::iceberg {
namespace {

TEST(ZoneGeneratorTest, ValidDeterministicAndVaried) {
  std::set<std::string> kinds;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    const dns::Zone z = GenerateZone(seed);
    const Status valid = dns::ValidateZone(z);
    ASSERT_TRUE(valid.ok()) << "seed " << seed << ": " << valid.message() << "\n"
                            << dns::ZoneToText(z);
    EXPECT_EQ(dns::ZoneToText(z), dns::ZoneToText(GenerateZone(seed)));
    // The zone reads back from its text (what the engines load).
    auto again = dns::ParseZone(dns::ZoneToText(z), z.origin, "generated");
    ASSERT_TRUE(again.ok()) << again.message();
    EXPECT_EQ(again->records.size(), z.records.size());
    const ZoneIndex index(z.origin, z.records);
    for (const QueryClass& c : Classes(index)) {
      for (const char* k : {"cut:", "dname:", "dname-yx:", "wildcard:", "cname:", "nxdomain:",
                            "nodata:", "loop|", "out|"}) {
        if (c.signature.find(k) != std::string::npos) kinds.insert(k);
      }
    }
  }
  EXPECT_EQ(kinds.size(), 9u);
  EXPECT_NE(dns::ZoneToText(GenerateZone(1)), dns::ZoneToText(GenerateZone(2)));
}

// Without '*' in targets: still valid, still wildcards, cuts and DNAMEs, but no target name
// (CNAME, DNAME, NS, MX, SRV) holds a '*' label; the default zones are unchanged by the option.
TEST(ZoneGeneratorTest, NoStarInTargets) {
  GeneratorOptions o;
  o.star_in_targets = false;
  std::set<std::string> kinds;
  int differ = 0;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    const dns::Zone z = GenerateZone(seed, o);
    ASSERT_TRUE(dns::ValidateZone(z).ok()) << "seed " << seed;
    for (const ResourceRecord& rr : z.records) {
      const auto target = dns::TargetName(rr);
      if (target) {
        const auto& labels = target->labels();
        EXPECT_EQ(std::count(labels.begin(), labels.end(), "*"), 0)
            << "seed " << seed << ": " << rr.owner.ToString() << " -> " << target->ToString();
      }
      if (rr.owner.IsWildcard()) kinds.insert("wildcard");
      if (rr.type == dns::rrtype::DNAME) kinds.insert("dname");
      if (rr.type == dns::rrtype::NS && !(rr.owner == z.origin)) kinds.insert("cut");
    }
    differ += dns::ZoneToText(z) != dns::ZoneToText(GenerateZone(seed)) ? 1 : 0;
  }
  EXPECT_EQ(kinds.size(), 3u);
  EXPECT_GT(differ, 0);
}

TEST(ZoneGeneratorTest, LargeZones) {
  GeneratorOptions o;
  o.names = 12000;
  const dns::Zone z = GenerateZone(42, o);
  EXPECT_TRUE(dns::ValidateZone(z).ok());
  EXPECT_GT(z.records.size(), 5000u);
}

}  // namespace
}  // namespace llms::iceberg
