// Tests for the zone-file parser: a realistic zone using every feature, the TTL defaults, the
// RFC 3597 generic form, the text round trip, a table of malformed files and their errors, and the
// zone checks ValidateZone makes.
#include "dns/zone_parser.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace llms::dns {
namespace {

Name N(std::string_view s) {
  auto n = Name::Parse(s);
  EXPECT_TRUE(n.ok()) << s << ": " << n.message();
  return n.ok() ? *n : Name();
}

Zone MustParse(std::string_view text, std::string_view origin = "example.com.") {
  auto zone = ParseZone(text, N(origin), "test.db");
  EXPECT_TRUE(zone.ok()) << zone.message();
  return zone.ok() ? *zone : Zone{N(origin), {}};
}

// The one record of a zone with that owner and type; fails the test when there is not exactly one.
const ResourceRecord& Find(const Zone& zone, std::string_view owner, uint16_t type) {
  static const ResourceRecord kMissing{};
  const ResourceRecord* found = nullptr;
  int count = 0;
  for (const ResourceRecord& rr : zone.records) {
    if (rr.owner == N(owner) && rr.type == type) {
      found = &rr;
      ++count;
    }
  }
  EXPECT_EQ(count, 1) << owner << " " << TypeName(type);
  return found ? *found : kMissing;
}

template <typename T>
const T& As(const ResourceRecord& rr) {
  static const T kEmpty{};
  const T* v = std::get_if<T>(&rr.rdata);
  EXPECT_NE(v, nullptr) << RecordToString(rr);
  return v ? *v : kEmpty;
}

constexpr std::string_view kRealisticZone = R"zone(; example.com., every feature the parser reads
$TTL 1h
$ORIGIN example.com.
@   IN  SOA ns1 hostmaster.example.com. (
        2024010101 ; serial
        2h         ; refresh
        30M        ; retry
        2w         ; expire
        300 )      ; minimum, and a comment after the closing parenthesis
    IN NS ns1
    in ns ns2.example.net.
    MX 10 mail
    MX ( 20
         mail.backup.example.org. )

ns1 300 IN A 192.0.2.1
    IN 600 AAAA 2001:db8::53        ; class before TTL, previous owner
mail 1d A 198.51.100.25
www CNAME @
old DNAME new.example.net.
txt TXT "hello world" "say \"hi\"; not a comment" plain \065BC
    TXT ( "multi"   ; a comment inside parentheses
          "line" ) "" "\000\255"
_sip._tcp SRV 10 60 5060 sipserver
1.2 PTR host.example.com.
v4map AAAA ::FFFF:192.0.2.128
unknown TYPE65280 \# 4 0a000001
empty TYPE65281 \# 0
generic A \# 4 C0 00 02 02
spaced\ label\.dot 1W2D3h4M5s A 192.0.2.9
$ORIGIN sub
host 1h30m A 192.0.2.10
$ttl 45
later a 192.0.2.11
)zone";

TEST(ZoneParserTest, ParsesRealisticZone) {
  const Zone zone = MustParse(kRealisticZone);
  EXPECT_EQ(zone.origin, N("example.com."));
  ASSERT_EQ(zone.records.size(), 21u);

  const ResourceRecord& soa = zone.records[0];
  EXPECT_EQ(soa.owner, N("example.com."));
  EXPECT_EQ(soa.type, rrtype::SOA);
  EXPECT_EQ(soa.rclass, kClassIN);
  EXPECT_EQ(soa.ttl, 3600u);
  const SoaData& s = As<SoaData>(soa);
  EXPECT_EQ(s.mname, N("ns1.example.com."));
  EXPECT_EQ(s.rname, N("hostmaster.example.com."));
  EXPECT_EQ(s.serial, 2024010101u);
  EXPECT_EQ(s.refresh, 7200u);
  EXPECT_EQ(s.retry, 1800u);
  EXPECT_EQ(s.expire, 14u * 86400);
  EXPECT_EQ(s.minimum, 300u);

  // Blank owners continue the apex; MX spans lines.
  EXPECT_EQ(zone.records[1].owner, N("example.com."));
  EXPECT_EQ(As<NameData>(zone.records[1]).name, N("ns1.example.com."));
  EXPECT_EQ(As<NameData>(zone.records[2]).name, N("ns2.example.net."));
  EXPECT_EQ(zone.records[3].ttl, 3600u);
  EXPECT_EQ(As<MxData>(zone.records[3]).preference, 10);
  EXPECT_EQ(As<MxData>(zone.records[3]).exchange, N("mail.example.com."));
  EXPECT_EQ(As<MxData>(zone.records[4]).preference, 20);
  EXPECT_EQ(As<MxData>(zone.records[4]).exchange, N("mail.backup.example.org."));

  const ResourceRecord& a = Find(zone, "ns1.example.com.", rrtype::A);
  EXPECT_EQ(a.ttl, 300u);
  EXPECT_EQ(As<AData>(a).address, (std::array<uint8_t, 4>{192, 0, 2, 1}));
  const ResourceRecord& aaaa = Find(zone, "ns1.example.com.", rrtype::AAAA);
  EXPECT_EQ(aaaa.ttl, 600u);
  EXPECT_EQ(RdataToString(aaaa), "2001:db8::53");
  EXPECT_EQ(Find(zone, "mail.example.com.", rrtype::A).ttl, 86400u);

  const ResourceRecord& cname = Find(zone, "www.example.com.", rrtype::CNAME);
  EXPECT_EQ(cname.ttl, 3600u);  // $TTL, not the previous record's 86400
  EXPECT_EQ(As<NameData>(cname).name, N("example.com."));
  EXPECT_EQ(As<NameData>(Find(zone, "old.example.com.", rrtype::DNAME)).name,
            N("new.example.net."));

  const auto& txt1 = As<TxtData>(zone.records[10]);
  EXPECT_EQ(zone.records[10].owner, N("txt.example.com."));
  EXPECT_EQ(txt1.strings,
            (std::vector<std::string>{"hello world", "say \"hi\"; not a comment", "plain", "ABC"}));
  const auto& txt2 = As<TxtData>(zone.records[11]);
  EXPECT_EQ(zone.records[11].owner, N("txt.example.com."));
  EXPECT_EQ(txt2.strings,
            (std::vector<std::string>{"multi", "line", "", std::string("\0\xff", 2)}));

  const SrvData& srv = As<SrvData>(Find(zone, "_sip._tcp.example.com.", rrtype::SRV));
  EXPECT_EQ(srv.priority, 10);
  EXPECT_EQ(srv.weight, 60);
  EXPECT_EQ(srv.port, 5060);
  EXPECT_EQ(srv.target, N("sipserver.example.com."));
  EXPECT_EQ(As<NameData>(Find(zone, "1.2.example.com.", rrtype::PTR)).name, N("host.example.com."));
  EXPECT_EQ(As<AaaaData>(Find(zone, "v4map.example.com.", rrtype::AAAA)).address,
            (std::array<uint8_t, 16>{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 128}));

  // RFC 3597: unknown types keep their octets; a known type in the generic form is typed.
  EXPECT_EQ(As<RawData>(Find(zone, "unknown.example.com.", 65280)).bytes,
            (std::vector<uint8_t>{0x0a, 0, 0, 1}));
  EXPECT_TRUE(As<RawData>(Find(zone, "empty.example.com.", 65281)).bytes.empty());
  EXPECT_EQ(As<AData>(Find(zone, "generic.example.com.", rrtype::A)).address,
            (std::array<uint8_t, 4>{192, 0, 2, 2}));

  // An escaped space and dot stay inside one label; TTL units add up.
  const ResourceRecord& spaced = zone.records[18];
  ASSERT_EQ(spaced.owner.label_count(), 3u);
  EXPECT_EQ(spaced.owner.labels()[0], "spaced label.dot");
  EXPECT_EQ(spaced.ttl, 7u * 86400 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5);

  // A relative $ORIGIN is completed by the previous one; $TTL changes the default.
  EXPECT_EQ(Find(zone, "host.sub.example.com.", rrtype::A).ttl, 5400u);
  EXPECT_EQ(Find(zone, "later.sub.example.com.", rrtype::A).ttl, 45u);
  EXPECT_EQ(zone.records.back().owner, N("later.sub.example.com."));
}

TEST(ZoneParserTest, TtlDefaultsWithoutDollarTtl) {
  // Before any $TTL: an SOA without a TTL takes its MINIMUM; then each record the previous one's.
  const Zone zone = MustParse(R"(@ SOA ns hm 1 2 3 4 600
  NS ns
www 30 A 192.0.2.1
  A 192.0.2.2
mail A 192.0.2.3
$TTL 99
x 7 A 192.0.2.4
y A 192.0.2.5
)");
  ASSERT_EQ(zone.records.size(), 7u);
  const uint32_t expected[] = {600, 600, 30, 30, 30, 7, 99};
  for (size_t i = 0; i < 7; ++i) EXPECT_EQ(zone.records[i].ttl, expected[i]) << i;

  auto no_ttl = ParseZone("www A 192.0.2.1\n", N("example.com."), "t.db");
  ASSERT_FALSE(no_ttl.ok());
  EXPECT_EQ(no_ttl.message(),
            "t.db:1: no TTL: give the first record a TTL, or a $TTL line before it");
  // The largest TTL RFC 2181 §8 allows.
  EXPECT_EQ(MustParse("@ 2147483647 A 192.0.2.1").records[0].ttl, 2147483647u);
}

TEST(ZoneParserTest, GenericFormOfKnownTypes) {
  const Zone zone = MustParse(R"($TTL 1
mx MX \# 8 000a 046d61696c 00
txt TXT \# 7 026869 03616263
ns NS \# 1 00
aaaa AAAA \# 16 20010db8000000000000000000000001
srv SRV \# 7 0001 0002 0035 00
soa SOA \# 22 00 00 00000001 00000002 00000003 00000004 00000005
t1 TYPE1 \# 4 01020304
)");
  ASSERT_EQ(zone.records.size(), 7u);
  EXPECT_EQ(As<MxData>(zone.records[0]).preference, 10);
  EXPECT_EQ(As<MxData>(zone.records[0]).exchange, N("mail."));
  EXPECT_EQ(As<TxtData>(zone.records[1]).strings, (std::vector<std::string>{"hi", "abc"}));
  EXPECT_TRUE(As<NameData>(zone.records[2]).name.is_root());
  EXPECT_EQ(RdataToString(zone.records[3]), "2001:db8::1");
  EXPECT_EQ(As<SrvData>(zone.records[4]).port, 53);
  EXPECT_EQ(As<SoaData>(zone.records[5]).minimum, 5u);
  EXPECT_EQ(zone.records[6].type, rrtype::A);  // TYPE1 is A (RFC 3597 §5)
  EXPECT_EQ(As<AData>(zone.records[6]).address, (std::array<uint8_t, 4>{1, 2, 3, 4}));
  // The typed and generic forms are the same record.
  EXPECT_TRUE(SameRecord(zone.records[6], MustParse("t1 1 A 1.2.3.4").records[0]));
}

TEST(ZoneParserTest, TextRoundTrip) {
  const Zone zone = MustParse(kRealisticZone);
  const std::string text = ZoneToText(zone);
  EXPECT_TRUE(text.starts_with("$ORIGIN example.com.\n")) << text;
  EXPECT_NE(text.find("\nwww.example.com. 3600 IN CNAME example.com.\n"), std::string::npos)
      << text;
  const Zone again = MustParse(text);
  EXPECT_EQ(again.origin, zone.origin);
  ASSERT_EQ(again.records.size(), zone.records.size());
  for (size_t i = 0; i < zone.records.size(); ++i) {
    EXPECT_TRUE(SameRecord(again.records[i], zone.records[i]))
        << RecordToString(zone.records[i]) << " vs " << RecordToString(again.records[i]);
    EXPECT_EQ(again.records[i].ttl, zone.records[i].ttl) << RecordToString(zone.records[i]);
  }
  EXPECT_EQ(ZoneToText(again), text);
}

struct Malformed {
  const char* what;
  std::string text;
  int line;               // the error names bad.db:LINE
  std::string substring;  // and says this
};

TEST(ZoneParserTest, MalformedZonesGiveTheirErrors) {
  const std::string long_label(64, 'a');
  const std::string long_name = fmt::format("{0}.{0}.{0}.{0}.{0}.", std::string(60, 'b'));
  const std::string long_string(256, 'x');
  const Malformed cases[] = {
      {"bad TTL", "$TTL 1h\nwww 300x A 192.0.2.1\n", 2, "'300x' is not a TTL"},
      {"bad $TTL", "$TTL forever\n", 1, "'forever' is not a TTL"},
      {"TTL without its unit", "www 1h30 A 192.0.2.1\n", 1, "'1h30' is not a TTL"},
      {"TTL over 2^31-1", "www 2147483648 A 192.0.2.1\n", 1, "TTL 2147483648 is over 2147483647"},
      {"unknown type", "$TTL 1h\n\nwww AXX 192.0.2.1\n", 3, "unknown record type 'AXX'"},
      {"no type", "$TTL 1h\nwww 300 IN\n", 2, "the record has no type"},
      {"meta type", "$TTL 1h\nwww OPT \\# 0\n", 2, "OPT is not a type a zone can hold"},
      {"MX missing exchange", "$TTL 1h\n@ MX 10\n", 2, "MX needs a preference and an exchange"},
      {"SOA missing minimum", "$TTL 1h\n@ SOA ns hm (\n 1 2 3\n 4 )\n", 2,
       "SOA needs mname, rname, serial, refresh, retry, expire and minimum"},
      {"SRV port over 65535", "$TTL 1h\n_s._tcp SRV 1 2 65536 t\n", 2,
       "SRV port 65536 is out of range (0-65535)"},
      {"MX preference 70000", "$TTL 1h\n@ MX 70000 mail\n", 2,
       "MX preference 70000 is out of range (0-65535)"},
      {"MX preference not a number", "$TTL 1h\n@ MX ten mail\n", 2,
       "MX preference 'ten' is not a decimal number"},
      {"A with 5 parts", "$TTL 1h\n@ A 1.2.3.4.5\n", 2,
       "'1.2.3.4.5' is not an IPv4 address: it has 5 parts"},
      {"A part 256", "$TTL 1h\n@ A 1.2.3.256\n", 2, "'1.2.3.256' is not an IPv4 address (256"},
      {"A empty part", "$TTL 1h\n@ A 1..3.4\n", 2, "'1..3.4' is not an IPv4 address"},
      {"A quoted", "$TTL 1h\n@ A \"1.2.3.4\"\n", 2, "\"1.2.3.4\" is quoted"},
      {"bad AAAA", "$TTL 1h\n@ AAAA 2001:db8::g\n", 2, "'2001:db8::g' is not an IPv6 address"},
      {"AAAA 9 groups", "$TTL 1h\n@ AAAA 1:2:3:4:5:6:7:8:9\n", 2, "is not an IPv6 address"},
      {"unclosed parenthesis", "$TTL 1h\n@ SOA ns hm ( 1 2 3 4 5\n\n", 2, "unbalanced parenthesis"},
      {"stray ')'", "$TTL 1h\n@ A 192.0.2.1 )\n", 2, "unbalanced parenthesis"},
      {"unterminated quote", "$TTL 1h\nt TXT \"abc\nu TXT x\n", 2, "unterminated quoted string"},
      {"TXT string over 255", fmt::format("$TTL 1h\nt TXT ok \"{}\"\n", long_string), 2,
       "a TXT string of 256 octets; at most 255"},
      {"TXT bad \\DDD", "$TTL 1h\nt TXT \"a\\300\"\n", 2, "\\DDD (000-255)"},
      {"label over 63", fmt::format("$TTL 1h\n{} A 192.0.2.1\n", long_label), 2,
       "is 64 octets; at most 63"},
      {"name over 255", fmt::format("$TTL 1h\nw CNAME {}\n", long_name), 2,
       "octets on the wire; at most 255"},
      {"empty label", "$TTL 1h\na..b A 192.0.2.1\n", 2, "empty label"},
      {"class CH", "$TTL 1h\n@ CH A 192.0.2.1\n", 2, "class 'CH' is not supported: only IN"},
      {"class after TTL", "$TTL 1h\n@ 300 HS A 192.0.2.1\n", 2, "class 'HS' is not supported"},
      {"$INCLUDE", "$TTL 1h\n$INCLUDE other.zone\n", 2, "$INCLUDE is not supported"},
      {"$ORIGIN without a name", "$TTL 1h\n$ORIGIN\n", 2, "$ORIGIN needs exactly one argument"},
      {"unknown directive", "$GENERATE 1-9 h$ A 192.0.2.$\n", 1, "unknown directive '$GENERATE'"},
      {"no owner on the first line", "$TTL 1h\n  A 192.0.2.1\n", 2,
       "no owner: the first record must name one"},
      {"garbage after the rdata", "$TTL 1h\n\n\nw A 192.0.2.1 extra\n", 4,
       "unexpected 'extra' after the A rdata"},
      {"garbage on the next line", "$TTL 1h\nw CNAME ( x\n y )\n", 3, "unexpected 'y'"},
      {"unknown type without \\#", "$TTL 1h\nu TYPE65280 0a000001\n", 2,
       "write its RDATA in the generic form"},
      {"generic length mismatch", "$TTL 1h\nu TYPE65280 \\# 3 0a00\n", 2,
       "length 3 but 4 hex digits"},
      {"generic not hex", "$TTL 1h\nu TYPE65280 \\# 1 zz\n", 2, "'zz' is not hexadecimal"},
      {"generic A of 3 octets", "$TTL 1h\ng A \\# 3 0a0000\n", 2, "not valid A RDATA"},
      {"backslash ends the file", "$TTL 1h\nw\\", 2, "a '\\' ends the line"},
      {"first error wins", "$TTL 1h\nw A 1.2.3\nt TXT \"open\n", 2, "'1.2.3' is not an IPv4"},
  };
  static_assert(std::size(cases) >= 15);
  for (const Malformed& c : cases) {
    SCOPED_TRACE(c.what);
    auto zone = ParseZone(c.text, N("example.com."), "bad.db");
    ASSERT_FALSE(zone.ok());
    const std::string prefix = fmt::format("bad.db:{}: ", c.line);
    EXPECT_TRUE(zone.message().starts_with(prefix)) << zone.message();
    EXPECT_NE(zone.message().find(c.substring), std::string::npos) << zone.message();
  }
}

TEST(ZoneParserTest, ParseZoneFileNamesThePath) {
  const std::string path = ::testing::TempDir() + "zone_parser_test.db";
  {
    std::ofstream out(path);
    out << "$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nbad A 300.1.1.1\n";
  }
  auto bad = ParseZoneFile(path, N("example.com."));
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.message().starts_with(path + ":5: ")) << bad.message();
  {
    std::ofstream out(path);
    out << "$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n";
  }
  auto good = ParseZoneFile(path, N("example.com."));
  ASSERT_TRUE(good.ok()) << good.message();
  EXPECT_EQ(good->records.size(), 3u);
  EXPECT_TRUE(ValidateZone(*good).ok());
  std::remove(path.c_str());

  auto missing = ParseZoneFile(path, N("example.com."));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.message(), path + ": cannot read the file");
}

constexpr std::string_view kValidZone = R"($TTL 300
@ SOA ns1 hostmaster 1 7200 1800 1209600 300
@ NS ns1
@ NS ns2.example.net.
ns1 A 192.0.2.1
www CNAME ns1
old DNAME new.example.net.
old TXT "a DNAME may share its owner with other data"
sub NS ns.sub
ns.sub A 192.0.2.53
)";

TEST(ZoneValidateTest, ValidZonePasses) {
  const Status s = ValidateZone(MustParse(kValidZone));
  EXPECT_TRUE(s.ok()) << s.message();
}

TEST(ZoneValidateTest, EachRuleNamesTheOwner) {
  struct Case {
    const char* rule;
    std::string text;
    std::string error;
  };
  const std::string valid(kValidZone);
  const Case cases[] = {
      {"CNAME and other data", valid + "www A 192.0.2.2\n",
       "www.example.com.: a CNAME and other data (A)"},
      {"two CNAMEs", valid + "www CNAME ns2\n", "www.example.com.: more than one CNAME"},
      {"CNAME at the apex", valid + "@ CNAME elsewhere.example.net.\n",
       "example.com.: a CNAME and other data (SOA)"},
      {"two DNAMEs", valid + "old DNAME other.example.net.\n",
       "old.example.com.: more than one DNAME"},
      {"record below a DNAME", valid + "x.old A 192.0.2.3\n",
       "x.old.example.com.: a record below the DNAME at old.example.com."},
      {"owner outside the zone", valid + "host.example.net. A 192.0.2.4\n",
       "host.example.net.: outside the zone example.com."},
      {"no SOA", "$TTL 1\n@ NS ns1\nns1 A 192.0.2.1\n", "example.com.: no SOA record"},
      {"SOA not at the apex", valid + "sub SOA ns1 hm 1 2 3 4 5\n",
       "sub.example.com.: an SOA not at the apex example.com."},
      {"two SOAs", valid + "@ SOA ns1 hm 2 2 3 4 5\n", "example.com.: 2 SOA records"},
      {"no apex NS", "$TTL 1\n@ SOA ns1 hm 1 2 3 4 5\nsub NS ns1\n",
       "example.com.: no NS record at the apex"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.rule);
    const Status s = ValidateZone(MustParse(c.text));
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.message().find(c.error), std::string::npos) << s.message();
  }

  Zone chaos = MustParse(kValidZone);
  chaos.records[3].rclass = 3;  // CH
  const Status s = ValidateZone(chaos);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("ns1.example.com.: class 3 is not IN"), std::string::npos)
      << s.message();
}

}  // namespace
}  // namespace llms::dns
