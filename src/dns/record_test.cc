// Tests for resource records: type names both ways, presentation of each RDATA kind, and record
// equality and order as DNS sets compare them.
#include "dns/record.h"

#include <gtest/gtest.h>

namespace llms::dns {
namespace {

Name N(std::string_view s) {
  return *Name::Parse(s);
}

TEST(RecordTest, TypeNames) {
  EXPECT_EQ(TypeName(rrtype::AAAA), "AAAA");
  EXPECT_EQ(TypeName(65280), "TYPE65280");
  EXPECT_EQ(*ParseType("dname"), rrtype::DNAME);
  EXPECT_EQ(*ParseType("TYPE99"), 99);
  EXPECT_FALSE(ParseType("TYPE70000").ok());
  EXPECT_FALSE(ParseType("AXFRX").ok());
  EXPECT_EQ(RcodeName(rcode::NXDOMAIN), "NXDOMAIN");
  EXPECT_EQ(RcodeName(rcode::YXDOMAIN), "YXDOMAIN");
}

TEST(RecordTest, Presentation) {
  ResourceRecord mx{N("example.com."), rrtype::MX, kClassIN, 300,
                    MxData{10, N("mail.example.com.")}};
  EXPECT_EQ(RecordToString(mx), "example.com. 300 IN MX 10 mail.example.com.");
  ResourceRecord aaaa{N("h."), rrtype::AAAA, kClassIN, 1,
                      AaaaData{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}};
  EXPECT_EQ(RdataToString(aaaa), "2001:db8::1");
  ResourceRecord txt{N("t."), rrtype::TXT, kClassIN, 1, TxtData{{"a \"q\"", "b"}}};
  EXPECT_EQ(RdataToString(txt), "\"a \\\"q\\\"\" \"b\"");
  ResourceRecord raw{N("r."), 99, kClassIN, 1, RawData{{0x0a, 0, 0, 1}}};
  EXPECT_EQ(RecordToString(raw), "r. 1 IN TYPE99 \\# 4 0a000001");
  EXPECT_EQ(*TargetName(mx), N("mail.example.com."));
  EXPECT_FALSE(TargetName(aaaa).has_value());
}

TEST(RecordTest, EqualityIgnoresCaseAndTtl) {
  ResourceRecord a{N("WWW.example.com."), rrtype::CNAME, kClassIN, 1,
                   NameData{N("X.example.com.")}};
  ResourceRecord b{N("www.example.com."), rrtype::CNAME, kClassIN, 99,
                   NameData{N("x.example.com.")}};
  EXPECT_TRUE(SameRecord(a, b));
  EXPECT_FALSE(RecordLess(a, b));
  EXPECT_FALSE(RecordLess(b, a));
  ResourceRecord c = b;
  c.rdata = NameData{N("y.example.com.")};
  EXPECT_FALSE(SameRecord(a, c));
  EXPECT_TRUE(RecordLess(a, c));
  ResourceRecord d = b;
  d.type = rrtype::DNAME;
  EXPECT_FALSE(SameRecord(b, d));
}

}  // namespace
}  // namespace llms::dns
