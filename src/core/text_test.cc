// Tests for text utilities: strict number parsing and round-trip formatting.
#include "core/text.h"

#include <gtest/gtest.h>

#include <cmath>

namespace llms {
namespace {

TEST(TextTest, AsciiLowerLeavesOtherBytes) {
  EXPECT_EQ(AsciiLower("Q4_K_M"), "q4_k_m");
  EXPECT_EQ(AsciiLower("\xC3\x89t\xC3\xA9 AZ az 09"), "\xC3\x89t\xC3\xA9 az az 09");
}

TEST(TextTest, ParseDoubleIsStrict) {
  EXPECT_EQ(ParseDouble(" 1.5 "), 1.5);
  EXPECT_EQ(ParseDouble("1e-3"), 1e-3);
  EXPECT_EQ(ParseDouble("+2"), 2.0);
  EXPECT_FALSE(ParseDouble("1.5x").has_value());
  EXPECT_FALSE(ParseDouble("").has_value());
  EXPECT_TRUE(std::isinf(*ParseDouble("inf")));
}

TEST(TextTest, ParseIntRejectsFractions) {
  EXPECT_EQ(ParseInt("600"), 600);
  EXPECT_FALSE(ParseInt("600.5").has_value());
  EXPECT_EQ(ParseInt("-3"), -3);
}

TEST(TextTest, SplitKeepsEmptyFields) {
  auto parts = Split("600,0,0,,0,0", ',');
  ASSERT_EQ(parts.size(), 6u);
  EXPECT_EQ(parts[3], "");
}

TEST(TextTest, ShortestRoundTrips) {
  std::string s;
  AppendShortest(s, 0.1);
  EXPECT_EQ(s, "0.1");
  s.clear();
  AppendFixed(s, 1234.56789, 3);
  EXPECT_EQ(s, "1234.568");
}

TEST(TextTest, JsonStringEscapes) {
  std::string s;
  AppendJsonString(s, "a\"b\\c\n\x01");
  EXPECT_EQ(s, "\"a\\\"b\\\\c\\n\\u0001\"");
}

TEST(TextTest, HumanFormats) {
  EXPECT_EQ(WithThousands(1234567), "1,234,567");
  EXPECT_EQ(HumanBytes(1536), "1.5 KiB");
}

}  // namespace
TEST(TextTest, SplitCsvLineHonoursQuotes) {
  EXPECT_EQ(SplitCsvLine("a,\"b,c\",\"say \"\"hi\"\"\","),
            (std::vector<std::string>{"a", "b,c", "say \"hi\"", ""}));
  EXPECT_EQ(SplitCsvLine(""), std::vector<std::string>{""});
}

}  // namespace llms
