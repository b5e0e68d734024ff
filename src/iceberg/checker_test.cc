// Tests of the comparison behind `iceberg check` and `iceberg campaign`: which fields of an
// engine's response differ from the specification's (sections as sets, case-insensitive owners,
// OPT ignored, TTLs compared), and the RFC clause a discrepancy is filed under.
#include "iceberg/checker.h"

#include <gtest/gtest.h>

#include "iceberg/campaign.h"

namespace llms::iceberg {
namespace {

ResourceRecord A(const char* owner, uint8_t last, uint32_t ttl = 60) {
  ResourceRecord rr;
  rr.owner = *Name::Parse(owner);
  rr.type = dns::rrtype::A;
  rr.ttl = ttl;
  rr.rdata = dns::AData{{192, 0, 2, last}};
  return rr;
}

TEST(CheckerTest, DifferencesComparesSectionsAsSets) {
  Response expected;
  expected.aa = true;
  expected.answer = {A("www.example.", 1), A("www.example.", 2)};
  dns::Message actual;
  actual.qr = true;
  actual.aa = true;
  actual.answer = {A("WWW.Example.", 2), A("www.example.", 1)};  // order and case do not matter
  ResourceRecord opt;
  opt.owner = Name();
  opt.type = dns::rrtype::OPT;
  opt.rclass = 1232;
  opt.rdata = dns::RawData{};
  actual.additional = {opt};  // EDNS is not compared
  EXPECT_TRUE(Differences(expected, actual).empty());

  actual.aa = false;
  actual.rcode = dns::rcode::NXDOMAIN;
  actual.answer.pop_back();
  actual.authority = {A("ns.example.", 3)};
  EXPECT_EQ(Differences(expected, actual),
            (std::vector<std::string>{"rcode", "aa", "answer", "authority"}));
  // A TTL difference is a difference.
  dns::Message ttl;
  ttl.aa = true;
  ttl.answer = {A("www.example.", 1, 30), A("www.example.", 2)};
  EXPECT_EQ(Differences(expected, ttl), (std::vector<std::string>{"answer"}));
}

// RFC 8482: under profile any kSubset an ANY answer may be whole RRsets of the expected answer,
// under kHinfo one HINFO at the query name; kAll (and any other query) still wants all of it.
TEST(CheckerTest, AnyAnswersMayBeASubsetOrAHinfoWhereTheProfileSaysSo) {
  Response expected;
  expected.aa = true;
  expected.any_answer = true;
  ResourceRecord txt = A("www.example.", 9);
  txt.type = dns::rrtype::TXT;
  txt.rdata = dns::TxtData{{"t"}};
  expected.answer = {A("www.example.", 1), A("www.example.", 2), txt};
  expected.additional = {A("ns.example.", 3)};
  dns::Message one;
  one.aa = true;
  one.question = {{*Name::Parse("www.example."), dns::rrtype::ANY, 1}};
  one.answer = {txt};
  EXPECT_TRUE(Differences(expected, one, Profile::Any::kSubset).empty());
  EXPECT_EQ(Differences(expected, one, Profile::Any::kAll),
            (std::vector<std::string>{"answer", "additional"}));
  // Part of an RRset is not an RRset; nothing at all is not a subset either.
  dns::Message part = one;
  part.answer = {A("www.example.", 1)};
  EXPECT_EQ(Differences(expected, part, Profile::Any::kSubset),
            (std::vector<std::string>{"answer"}));
  dns::Message none = one;
  none.answer.clear();
  EXPECT_EQ(Differences(expected, none, Profile::Any::kSubset),
            (std::vector<std::string>{"answer"}));
  // Additional records the full answer would not carry are a difference.
  dns::Message extra = one;
  extra.additional = {A("other.example.", 4)};
  EXPECT_EQ(Differences(expected, extra, Profile::Any::kSubset),
            (std::vector<std::string>{"additional"}));
  // RFC 8482 §4.2: a synthesized HINFO owned by the query name.
  dns::Message hinfo = one;
  ResourceRecord h;
  h.owner = *Name::Parse("www.example.");
  h.type = dns::rrtype::HINFO;
  h.rdata = dns::RawData{};
  hinfo.answer = {h};
  EXPECT_TRUE(Differences(expected, hinfo, Profile::Any::kHinfo).empty());
  EXPECT_EQ(Differences(expected, hinfo, Profile::Any::kSubset),
            (std::vector<std::string>{"answer"}));
  // The full answer will do under kHinfo too (RFC 8482 allows a conventional answer).
  dns::Message full = one;
  full.answer = expected.answer;
  full.additional = expected.additional;
  EXPECT_TRUE(Differences(expected, full, Profile::Any::kHinfo).empty());
  // After a chain (here a CNAME to the name answered), the chain itself is not optional.
  Response chained = expected;
  ResourceRecord alias;
  alias.owner = *Name::Parse("alias.example.");
  alias.type = dns::rrtype::CNAME;
  alias.ttl = 60;
  alias.rdata = dns::NameData{*Name::Parse("www.example.")};
  chained.answer.insert(chained.answer.begin(), alias);
  dns::Message with_chain = one;
  with_chain.answer = {alias, txt};
  EXPECT_TRUE(Differences(chained, with_chain, Profile::Any::kSubset).empty());
  EXPECT_EQ(Differences(chained, one, Profile::Any::kSubset),
            (std::vector<std::string>{"answer"}));  // the TXT without the CNAME that led to it
  dns::Message chain_only = one;
  chain_only.answer = {alias};
  EXPECT_EQ(Differences(chained, chain_only, Profile::Any::kSubset),
            (std::vector<std::string>{"answer"}));  // nothing at the final name
  // Not an ANY answer: compared in full whatever the profile.
  expected.any_answer = false;
  EXPECT_EQ(Differences(expected, one, Profile::Any::kSubset),
            (std::vector<std::string>{"answer", "additional"}));
}

TEST(CheckerTest, ClauseIsTheLastRulesClause) {
  EXPECT_EQ(ClauseOf({{"RFC 6672 §3.2", "RFC 6672 §3.2: DNAME at d.example. ..."},
                      {"RFC 1034 §4.3.2 step 3.c",
                       "RFC 1034 §4.3.2 step 3.c / RFC 2308 §2.1: x does not exist"}}),
            "RFC 1034 §4.3.2 step 3.c");
  EXPECT_EQ(ClauseOf({}), "unknown");
}

}  // namespace
}  // namespace llms::iceberg
