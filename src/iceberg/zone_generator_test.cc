// Tests of the zone generator: every zone it makes is valid, a seed always gives the same zone,
// and across seeds the zones hold every construct the specification treats specially.
#include "iceberg/zone_generator.h"

#include <gtest/gtest.h>

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

TEST(ZoneGeneratorTest, LargeZones) {
  GeneratorOptions o;
  o.names = 12000;
  const dns::Zone z = GenerateZone(42, o);
  EXPECT_TRUE(dns::ValidateZone(z).ok());
  EXPECT_GT(z.records.size(), 5000u);
}

}  // namespace
}  // namespace llms::iceberg
