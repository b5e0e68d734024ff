// Tests for domain names: presentation parsing (relative, absolute, @, escapes), the RFC 1035
// limits, case-insensitive equality, canonical order, and the relations the lookup uses.
#include "dns/name.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace llms::dns {
namespace {

Name N(std::string_view s, const Name& origin = Name()) {
  auto n = Name::Parse(s, origin);
  EXPECT_TRUE(n.ok()) << s << ": " << n.message();
  return n.ok() ? *n : Name();
}

TEST(NameTest, ParsesAbsoluteRelativeAndOrigin) {
  const Name origin = N("example.com.");
  EXPECT_EQ(N("www", origin).ToString(), "www.example.com.");
  EXPECT_EQ(N("www.example.org.", origin).ToString(), "www.example.org.");
  EXPECT_EQ(N("@", origin), origin);
  EXPECT_EQ(N(".").ToString(), ".");
  EXPECT_TRUE(N(".").is_root());
  EXPECT_EQ(N("a.b.", origin).label_count(), 2u);
  EXPECT_EQ(origin.wire_length(), 13u);  // 7example3com0
}

TEST(NameTest, EscapesRoundTrip) {
  const Name n = N("a\\.b.c\\032d.\\255x.");
  ASSERT_EQ(n.label_count(), 3u);
  EXPECT_EQ(n.labels()[0], "a.b");
  EXPECT_EQ(n.labels()[1], "c d");
  EXPECT_EQ(n.labels()[2], std::string("\xff") + "x");
  EXPECT_EQ(N(n.ToString()), n);
  EXPECT_EQ(n.ToString(), "a\\.b.c\\032d.\\255x.");
}

TEST(NameTest, LimitsAndBadSyntaxAreErrors) {
  EXPECT_FALSE(Name::Parse("a..b.").ok());
  EXPECT_FALSE(Name::Parse(".a.").ok());
  EXPECT_FALSE(Name::Parse("").ok());
  EXPECT_FALSE(Name::Parse("a\\").ok());
  EXPECT_FALSE(Name::Parse("a\\25").ok());
  EXPECT_FALSE(Name::Parse("a\\256.").ok());
  EXPECT_TRUE(Name::Parse(std::string(63, 'x') + ".").ok());
  auto long_label = Name::Parse(std::string(64, 'x') + ".");
  ASSERT_FALSE(long_label.ok());
  EXPECT_NE(long_label.message().find("at most 63"), std::string::npos) << long_label.message();
  // 4 labels of 63 octets: 4 * 64 + 1 = 257 > 255.
  const std::string l63(63, 'a');
  EXPECT_FALSE(Name::Parse(l63 + "." + l63 + "." + l63 + "." + l63 + ".").ok());
  // 3 * 64 + 62 + 1 = 255: the longest legal name.
  auto longest = Name::Parse(l63 + "." + l63 + "." + l63 + "." + std::string(61, 'b') + ".");
  ASSERT_TRUE(longest.ok()) << longest.message();
  EXPECT_EQ(longest->wire_length(), 255u);
  EXPECT_FALSE(longest->Prepend("c").ok());
}

TEST(NameTest, CaseInsensitiveEqualityAndCanonicalOrder) {
  EXPECT_EQ(N("WWW.Example.COM."), N("www.example.com."));
  EXPECT_EQ(N("WWW.Example.COM.").CanonicalKey(), N("www.example.com.").CanonicalKey());
  EXPECT_NE(N("www.example.com."), N("ww.example.com."));
  // Labels may hold any octet: a\000b.com. (two labels) and a.b.com. (three) differ.
  EXPECT_NE(N("a\\000b.com.").CanonicalKey(), N("a.b.com.").CanonicalKey());
  // RFC 4034 §6.1's example order.
  std::vector<Name> names{
      N("z.example."),          N("\\001.z.example."), N("*.z.example."),    N("a.example."),
      N("yljkjljk.a.example."), N("Z.a.example."),     N("zABC.a.EXAMPLE."), N("example."),
      N("\\200.z.example.")};
  std::sort(names.begin(), names.end());
  std::vector<std::string> got;
  for (const Name& n : names) got.push_back(AsciiLower(n.ToString()));
  EXPECT_EQ(got,
            (std::vector<std::string>{"example.", "a.example.", "yljkjljk.a.example.",
                                      "z.a.example.", "zabc.a.example.", "z.example.",
                                      "\\001.z.example.", "*.z.example.", "\\200.z.example."}));
}

TEST(NameTest, RelationsUsedByTheLookup) {
  const Name n = N("a.b.example.com.");
  EXPECT_TRUE(n.IsSubdomainOf(N("example.com.")));
  EXPECT_TRUE(n.IsSubdomainOf(N("B.Example.com.")));
  EXPECT_TRUE(n.IsSubdomainOf(n));
  EXPECT_TRUE(n.IsSubdomainOf(Name()));
  EXPECT_FALSE(n.IsSubdomainOf(N("b.example.org.")));
  EXPECT_FALSE(N("example.com.").IsSubdomainOf(n));
  EXPECT_FALSE(N("xexample.com.").IsSubdomainOf(N("example.com.")));
  EXPECT_EQ(n.Parent(), N("b.example.com."));
  EXPECT_EQ(n.Suffix(2), N("example.com."));
  EXPECT_EQ(n.Suffix(0), Name());
  EXPECT_TRUE(N("*.example.com.").IsWildcard());
  EXPECT_FALSE(N("a.*.example.com.").IsWildcard());
  auto moved = n.ReplaceSuffix(N("example.com."), N("example.net."));
  ASSERT_TRUE(moved.ok());
  EXPECT_FALSE(N("example.com.").ReplaceSuffix(n, N("x.")).ok());  // not below the owner
  EXPECT_EQ(*moved, N("a.b.example.net."));
  // DNAME substitution that outgrows 255 octets fails (the lookup answers YXDOMAIN).
  const std::string l63(63, 'a');
  const Name deep = N(l63 + "." + l63 + "." + l63 + ".d.");
  EXPECT_FALSE(deep.ReplaceSuffix(N("d."), N(std::string(63, 'e') + ".")).ok());
}

}  // namespace
}  // namespace llms::dns
