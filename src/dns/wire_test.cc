// Tests for the DNS wire codec: round trips of every RDATA type and every header flag, name
// compression (exact bytes, and which names may not be compressed), truncation to a size limit,
// decoding a hand-written response, and each kind of malformed input giving an error.
#include "dns/wire.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace llms::dns {
namespace {

using ::testing::HasSubstr;

Name N(std::string_view s) {
  auto n = Name::Parse(s);
  EXPECT_TRUE(n.ok()) << s << ": " << n.message();
  return n.ok() ? *n : Name();
}

ResourceRecord RR(std::string_view owner, uint16_t type, uint32_t ttl, Rdata rdata) {
  ResourceRecord rr;
  rr.owner = N(owner);
  rr.type = type;
  rr.ttl = ttl;
  rr.rdata = std::move(rdata);
  return rr;
}

ResourceRecord A(std::string_view owner, uint8_t last_octet) {
  return RR(owner, rrtype::A, 300, AData{{192, 0, 2, last_octet}});
}

ResourceRecord Opt(uint16_t udp_size) {
  ResourceRecord rr;
  rr.type = rrtype::OPT;
  rr.rclass = udp_size;
  rr.ttl = 0x00008000;  // DO bit
  rr.rdata = RawData{};
  return rr;
}

Question Q(std::string_view name, uint16_t type) {
  Question q;
  q.name = N(name);
  q.type = type;
  return q;
}

// A byte string written by hand, field by field.
struct Bytes {
  std::vector<uint8_t> b;
  Bytes& u8(int v) {
    b.push_back(static_cast<uint8_t>(v));
    return *this;
  }
  Bytes& u16(int v) { return u8(v >> 8).u8(v); }
  Bytes& u32(uint32_t v) {
    return u16(static_cast<int>(v >> 16)).u16(static_cast<int>(v & 0xFFFF));
  }
  Bytes& raw(std::string_view s) {
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  Bytes& label(std::string_view s) { return u8(static_cast<int>(s.size())).raw(s); }
  Bytes& pointer(int offset) { return u16(0xC000 | offset); }
  // An uncompressed name from its presentation form without escapes ("www.example.com").
  Bytes& name(std::string_view dotted) {
    while (!dotted.empty()) {
      const size_t dot = dotted.find('.');
      label(dotted.substr(0, dot));
      dotted = dot == std::string_view::npos ? std::string_view() : dotted.substr(dot + 1);
    }
    return u8(0);
  }
  static Bytes Header(int id, int flags, int qd, int an, int ns, int ar) {
    Bytes h;
    h.u16(id).u16(flags).u16(qd).u16(an).u16(ns).u16(ar);
    return h;
  }
};

void ExpectSameRecords(const std::vector<ResourceRecord>& got,
                       const std::vector<ResourceRecord>& want, std::string_view section) {
  ASSERT_EQ(got.size(), want.size()) << section;
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_TRUE(SameRecord(got[i], want[i]))
        << section << " " << i << ": got " << RecordToString(got[i]) << ", want "
        << RecordToString(want[i]);
    EXPECT_EQ(got[i].ttl, want[i].ttl) << section << " " << i;
  }
}

void ExpectSameMessage(const Message& got, const Message& want) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.qr, want.qr);
  EXPECT_EQ(got.opcode, want.opcode);
  EXPECT_EQ(got.aa, want.aa);
  EXPECT_EQ(got.tc, want.tc);
  EXPECT_EQ(got.rd, want.rd);
  EXPECT_EQ(got.ra, want.ra);
  EXPECT_EQ(got.ad, want.ad);
  EXPECT_EQ(got.cd, want.cd);
  EXPECT_EQ(got.rcode, want.rcode);
  ASSERT_EQ(got.question.size(), want.question.size());
  for (size_t i = 0; i < got.question.size(); ++i) {
    EXPECT_EQ(got.question[i].name, want.question[i].name);
    EXPECT_EQ(got.question[i].type, want.question[i].type);
    EXPECT_EQ(got.question[i].qclass, want.question[i].qclass);
  }
  ExpectSameRecords(got.answer, want.answer, "answer");
  ExpectSameRecords(got.authority, want.authority, "authority");
  ExpectSameRecords(got.additional, want.additional, "additional");
}

Message RoundTrip(const Message& m) {
  const std::vector<uint8_t> bytes = EncodeMessage(m);
  Result<Message> back = DecodeMessage(bytes);
  EXPECT_TRUE(back.ok()) << back.message();
  return back.ok() ? *back : Message();
}

std::string DecodeError(const std::vector<uint8_t>& bytes) {
  Result<Message> m = DecodeMessage(bytes);
  EXPECT_FALSE(m.ok()) << "decoded without error";
  return m.message();
}

// --- Round trips -------------------------------------------------------------------------------

TEST(WireTest, RoundTripsEveryRdataType) {
  Message m;
  m.id = 0xBEEF;
  m.qr = m.aa = m.rd = true;
  m.question = {Q("example.com.", rrtype::ANY)};
  SoaData soa;
  soa.mname = N("ns1.example.com.");
  soa.rname = N("hostmaster.example.com.");
  soa.serial = 2024010101;
  soa.refresh = 7200;
  soa.retry = 3600;
  soa.expire = 1209600;
  soa.minimum = 0xFFFFFFFF;
  SrvData srv;
  srv.priority = 10;
  srv.weight = 60;
  srv.port = 5060;
  srv.target = N("sip.example.com.");
  MxData mx;
  mx.preference = 10;
  mx.exchange = N("mail.example.com.");
  AaaaData aaaa;
  aaaa.address = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  m.answer = {
      RR("example.com.", rrtype::A, 300, AData{{192, 0, 2, 1}}),
      RR("example.com.", rrtype::AAAA, 300, aaaa),
      RR("example.com.", rrtype::NS, 86400, NameData{N("ns1.example.com.")}),
      RR("www.example.com.", rrtype::CNAME, 60, NameData{N("example.com.")}),
      RR("old.example.com.", rrtype::DNAME, 60, NameData{N("new.example.net.")}),
      RR("1.2.0.192.in-addr.arpa.", rrtype::PTR, 60, NameData{N("example.com.")}),
      RR("example.com.", rrtype::MX, 3600, mx),
      RR("example.com.", rrtype::SOA, 3600, soa),
      RR("example.com.", rrtype::TXT, 0, TxtData{{"v=spf1 -all", "", std::string(255, 'x')}}),
      RR("_sip._udp.example.com.", rrtype::SRV, 3600, srv),
      RR("example.com.", 65280, 1, RawData{{0, 1, 2, 0xFF, 0xC0, 0x0C}}),
      RR("empty.example.com.", 65281, 1, RawData{}),
  };
  m.authority = {RR("example.com.", rrtype::NS, 86400, NameData{N("ns2.example.net.")})};
  m.additional = {A("ns1.example.com.", 53), Opt(1232)};
  m.additional[0].rclass = 3;  // CH: classes are kept as they are
  const Message back = RoundTrip(m);
  ExpectSameMessage(back, m);
  ASSERT_EQ(back.additional.size(), 2u);
  EXPECT_EQ(back.additional[0].rclass, 3);
  EXPECT_EQ(back.additional[1].rclass, 1232);  // OPT: the UDP size
  EXPECT_EQ(back.additional[1].ttl, 0x00008000u);
  EXPECT_TRUE(std::holds_alternative<RawData>(back.additional[1].rdata));
  EXPECT_TRUE(std::holds_alternative<SoaData>(back.answer[7].rdata));
}

TEST(WireTest, RoundTripsEveryHeaderFlagAndTheExactBits) {
  struct Case {
    void (*set)(Message&);
    uint16_t bits;
  };
  const Case cases[] = {
      {[](Message& m) { m.qr = true; }, 0x8000},
      {[](Message& m) { m.opcode = 5; }, 5 << 11},
      {[](Message& m) { m.aa = true; }, 0x0400},
      {[](Message& m) { m.tc = true; }, 0x0200},
      {[](Message& m) { m.rd = true; }, 0x0100},
      {[](Message& m) { m.ra = true; }, 0x0080},
      {[](Message& m) { m.ad = true; }, 0x0020},
      {[](Message& m) { m.cd = true; }, 0x0010},
      {[](Message& m) { m.rcode = rcode::NXDOMAIN; }, 3},
      {[](Message& m) { m.rcode = 15; }, 15},
  };
  for (const Case& c : cases) {
    Message m;
    m.id = 7;
    c.set(m);
    const std::vector<uint8_t> bytes = EncodeMessage(m);
    ASSERT_EQ(bytes.size(), 12u);
    EXPECT_EQ(bytes[2] << 8 | bytes[3], c.bits);
    ExpectSameMessage(RoundTrip(m), m);
  }
}

TEST(WireTest, DecodingPreservesCaseOfLabels) {
  Message m;
  m.question = {Q("WwW.ExAmPlE.org.", rrtype::A)};
  const Message back = RoundTrip(m);
  ASSERT_EQ(back.question.size(), 1u);
  EXPECT_EQ(back.question[0].name.labels(), (std::vector<std::string>{"WwW", "ExAmPlE", "org"}));
}

TEST(WireTest, RoundTripsAMessageLargerThanPointerRange) {
  // Past offset 0x3FFF no new compression targets can be made; earlier ones are still used.
  Message m;
  m.question = {Q("example.com.", rrtype::TXT)};
  for (int i = 0; i < 120; ++i) {
    m.answer.push_back(
        RR(fmt::format("t{}.example.com.", i), rrtype::TXT, 1, TxtData{{std::string(200, 'a')}}));
    m.answer.push_back(RR(fmt::format("t{}.example.com.", i), rrtype::MX, 1,
                          MxData{10, N(fmt::format("mx{}.example.com.", i))}));
  }
  const std::vector<uint8_t> bytes = EncodeMessage(m);
  EXPECT_GT(bytes.size(), 0x4000u);
  Result<Message> back = DecodeMessage(bytes);
  ASSERT_TRUE(back.ok()) << back.message();
  ExpectSameMessage(*back, m);
}

TEST(WireTest, TxtStringsOver255OctetsAreSplitAndEmptyTxtGetsOneString) {
  Message m;
  m.answer = {RR("a.", rrtype::TXT, 1, TxtData{{std::string(300, 'z')}}),
              RR("b.", rrtype::TXT, 1, TxtData{})};
  const Message back = RoundTrip(m);
  ASSERT_EQ(back.answer.size(), 2u);
  EXPECT_EQ(std::get<TxtData>(back.answer[0].rdata).strings,
            (std::vector<std::string>{std::string(255, 'z'), std::string(45, 'z')}));
  EXPECT_EQ(std::get<TxtData>(back.answer[1].rdata).strings, (std::vector<std::string>{""}));
}

TEST(WireTest, RecordWithRdataOver65535OctetsIsLeftOut) {
  Message m;
  m.answer = {RR("big.", 65280, 1, RawData{std::vector<uint8_t>(70000, 1)}), A("small.", 1)};
  const Message back = RoundTrip(m);
  ASSERT_EQ(back.answer.size(), 1u);
  EXPECT_EQ(back.answer[0].owner, N("small."));
}

// --- Compression -------------------------------------------------------------------------------

TEST(WireTest, CompressionFollowsRfc1035Example) {
  // RFC 1035 §4.1.4: F.ISI.ARPA, then FOO.F.ISI.ARPA as FOO + pointer, then ARPA as a pointer
  // into the first name. Suffixes match without regard to case.
  Message m;
  m.id = 0x1234;
  m.question = {Q("F.ISI.ARPA.", rrtype::A)};
  m.answer = {RR("foo.f.isi.arpa.", rrtype::A, 0, AData{{1, 2, 3, 4}})};
  m.authority = {RR("ARPA.", rrtype::NS, 3600, NameData{N("F.ISI.ARPA.")})};
  Bytes want = Bytes::Header(0x1234, 0, 1, 1, 1, 0);
  want.name("F.ISI.ARPA").u16(rrtype::A).u16(kClassIN);                      // offset 12
  want.label("foo").pointer(12).u16(rrtype::A).u16(kClassIN).u32(0).u16(4);  // offset 28
  want.u8(1).u8(2).u8(3).u8(4);
  want.pointer(18).u16(rrtype::NS).u16(kClassIN).u32(3600).u16(2).pointer(12);  // offset 48
  EXPECT_EQ(EncodeMessage(m), want.b);
  ExpectSameMessage(RoundTrip(m), m);
}

TEST(WireTest, CompressionMakesManyNamesUnderOneZoneMuchShorter) {
  Message m;
  m.question = {Q("example.com.", rrtype::ANY)};
  size_t uncompressed = 12 + N("example.com.").wire_length() + 4;
  for (int i = 0; i < 30; ++i) {
    const std::string owner = fmt::format("host{}.example.com.", i);
    m.answer.push_back(
        RR(owner, rrtype::CNAME, 60, NameData{N(fmt::format("srv{}.example.com.", i % 3))}));
    uncompressed += N(owner).wire_length() + 10 + N("srv0.example.com.").wire_length();
  }
  const std::vector<uint8_t> bytes = EncodeMessage(m);
  // Each record: "hostN" + pointer, 10 octets of fields, and "srvN" + pointer or one pointer.
  EXPECT_LT(bytes.size() * 2, uncompressed);
  ExpectSameMessage(RoundTrip(m), m);
}

TEST(WireTest, MxAndSoaNamesAreCompressed) {
  Message m;
  m.question = {Q("example.com.", rrtype::MX)};
  SoaData soa;
  soa.mname = N("example.com.");
  soa.rname = N("example.com.");
  m.answer = {RR("example.com.", rrtype::MX, 0, MxData{5, N("example.com.")}),
              RR("example.com.", rrtype::SOA, 0, soa)};
  Bytes want = Bytes::Header(0, 0, 1, 2, 0, 0);
  want.name("example.com").u16(rrtype::MX).u16(kClassIN);
  want.pointer(12).u16(rrtype::MX).u16(kClassIN).u32(0).u16(4).u16(5).pointer(12);
  want.pointer(12).u16(rrtype::SOA).u16(kClassIN).u32(0).u16(24).pointer(12).pointer(12);
  for (int i = 0; i < 5; ++i) want.u32(0);
  EXPECT_EQ(EncodeMessage(m), want.b);
}

TEST(WireTest, DnameAndSrvTargetsAndUnknownTypesAreNotCompressed) {
  Message m;
  m.question = {Q("example.com.", rrtype::A)};
  m.answer = {RR("a.example.com.", rrtype::DNAME, 60, NameData{N("b.example.com.")}),
              // Not a pointer into the DNAME's RDATA: uncompressed names are no targets.
              RR("b.example.com.", rrtype::CNAME, 60, NameData{N("example.com.")}),
              RR("_x._tcp.example.com.", rrtype::SRV, 60, SrvData{1, 2, 3, N("example.com.")})};
  Bytes want = Bytes::Header(0, 0, 1, 3, 0, 0);
  want.name("example.com").u16(rrtype::A).u16(kClassIN);  // 12
  want.label("a").pointer(12).u16(rrtype::DNAME).u16(kClassIN).u32(60).u16(15);
  want.name("b.example.com");
  want.label("b").pointer(12).u16(rrtype::CNAME).u16(kClassIN).u32(60).u16(2).pointer(12);
  want.label("_x").label("_tcp").pointer(12).u16(rrtype::SRV).u16(kClassIN).u32(60).u16(19);
  want.u16(1).u16(2).u16(3).name("example.com");
  EXPECT_EQ(EncodeMessage(m), want.b);
  ExpectSameMessage(RoundTrip(m), m);
}

TEST(WireTest, EncodeQueryWritesQuestionAndOpt) {
  Bytes want = Bytes::Header(0x4242, 0, 1, 0, 0, 1);
  want.name("www.Example.org").u16(rrtype::AAAA).u16(kClassIN);
  want.u8(0).u16(rrtype::OPT).u16(1232).u32(0).u16(0);
  EXPECT_EQ(EncodeQuery(0x4242, N("www.Example.org."), rrtype::AAAA), want.b);

  Bytes plain = Bytes::Header(1, 0, 1, 0, 0, 0);
  plain.name("a.b").u16(rrtype::MX).u16(kClassIN);
  EXPECT_EQ(EncodeQuery(1, N("a.b."), rrtype::MX, 0), plain.b);
}

// --- Decoding a real response ------------------------------------------------------------------

TEST(WireTest, DecodesHandWrittenResponse) {
  Bytes b = Bytes::Header(0xABCD, 0x8180, 1, 2, 0, 1);  // QR RD RA
  b.name("example.com").u16(1).u16(1);
  b.pointer(12).u16(1).u16(1).u32(3600).u16(4).u8(93).u8(184).u8(216).u8(34);
  b.label("www").pointer(12).u16(5).u16(1).u32(60).u16(2).pointer(12);
  b.u8(0).u16(41).u16(1232).u32(0).u16(0);
  Result<Message> m = DecodeMessage(b.b);
  ASSERT_TRUE(m.ok()) << m.message();
  EXPECT_EQ(m->id, 0xABCD);
  EXPECT_TRUE(m->qr);
  EXPECT_TRUE(m->rd);
  EXPECT_TRUE(m->ra);
  EXPECT_FALSE(m->aa);
  EXPECT_FALSE(m->tc);
  EXPECT_EQ(m->rcode, rcode::NOERROR);
  ASSERT_EQ(m->question.size(), 1u);
  EXPECT_EQ(m->question[0].name.ToString(), "example.com.");
  ASSERT_EQ(m->answer.size(), 2u);
  EXPECT_EQ(RecordToString(m->answer[0]), "example.com. 3600 IN A 93.184.216.34");
  EXPECT_EQ(RecordToString(m->answer[1]), "www.example.com. 60 IN CNAME example.com.");
  ASSERT_EQ(m->additional.size(), 1u);
  EXPECT_EQ(m->additional[0].type, rrtype::OPT);
  EXPECT_EQ(m->additional[0].rclass, 1232);
  EXPECT_TRUE(m->additional[0].owner.is_root());
}

TEST(WireTest, DecodesCompressedNamesInSrvAndDnameRdata) {
  // RFC 3597 §4: receivers accept compression in these even though senders must not use it.
  Bytes b = Bytes::Header(0, 0x8000, 1, 2, 0, 0);
  b.name("example.com").u16(1).u16(1);
  b.label("d").pointer(12).u16(rrtype::DNAME).u16(1).u32(1).u16(2).pointer(12);
  b.pointer(12).u16(rrtype::SRV).u16(1).u32(1).u16(12).u16(0).u16(0).u16(80);
  b.label("web").pointer(12);
  Result<Message> m = DecodeMessage(b.b);
  ASSERT_TRUE(m.ok()) << m.message();
  ASSERT_EQ(m->answer.size(), 2u);
  EXPECT_EQ(std::get<NameData>(m->answer[0].rdata).name, N("example.com."));
  EXPECT_EQ(std::get<SrvData>(m->answer[1].rdata).target, N("web.example.com."));
}

// --- Truncation --------------------------------------------------------------------------------

Message BigResponse() {
  Message m;
  m.id = 99;
  m.qr = true;
  m.question = {Q("www.example.com.", rrtype::A)};
  for (int i = 0; i < 10; ++i) m.answer.push_back(A("www.example.com.", static_cast<uint8_t>(i)));
  m.authority = {RR("example.com.", rrtype::NS, 60, NameData{N("ns1.example.com.")}),
                 RR("example.com.", rrtype::NS, 60, NameData{N("ns2.example.com.")})};
  m.additional = {A("ns1.example.com.", 101), Opt(1232), A("ns2.example.com.", 102)};
  return m;
}

// `m` keeping the first `an` answers, `ns` authority and `ar` additional records other than
// OPT, then the OPT records.
Message Kept(const Message& m, size_t an, size_t ns, size_t ar) {
  Message k = m;
  k.answer.resize(an);
  k.authority.resize(ns);
  k.additional.clear();
  for (const ResourceRecord& rr : m.additional) {
    if (rr.type != rrtype::OPT && ar > 0) {
      k.additional.push_back(rr);
      --ar;
    }
  }
  for (const ResourceRecord& rr : m.additional) {
    if (rr.type == rrtype::OPT) k.additional.push_back(rr);
  }
  return k;
}

TEST(WireTest, NoTruncationWhenTheMessageFits) {
  const Message m = BigResponse();
  const std::vector<uint8_t> full = EncodeMessage(m);
  EXPECT_EQ(EncodeMessage(m, full.size()), full);
  EXPECT_EQ(EncodeMessage(m, 0), full);
  ExpectSameMessage(RoundTrip(m), m);
}

TEST(WireTest, DroppingAdditionalRecordsDoesNotSetTc) {
  const Message m = BigResponse();
  const std::vector<uint8_t> full = EncodeMessage(m);
  const std::vector<uint8_t> cut = EncodeMessage(m, full.size() - 1);
  // The last glue record is dropped; OPT stays (and moves last).
  EXPECT_EQ(cut, EncodeMessage(Kept(m, 10, 2, 1)));
  Result<Message> back = DecodeMessage(cut);
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_FALSE(back->tc);
  ASSERT_EQ(back->additional.size(), 2u);
  EXPECT_EQ(back->additional[1].type, rrtype::OPT);

  const size_t no_glue = EncodeMessage(Kept(m, 10, 2, 0)).size();
  Result<Message> bare = DecodeMessage(EncodeMessage(m, no_glue));
  ASSERT_TRUE(bare.ok()) << bare.message();
  EXPECT_FALSE(bare->tc);
  ExpectSameMessage(*bare, Kept(m, 10, 2, 0));
}

TEST(WireTest, DroppingAuthorityOrAnswerRecordsSetsTc) {
  const Message m = BigResponse();
  const size_t one_ns = EncodeMessage(Kept(m, 10, 1, 0)).size();
  const std::vector<uint8_t> cut_ns = EncodeMessage(m, one_ns);
  Message want = Kept(m, 10, 1, 0);
  want.tc = true;
  EXPECT_EQ(cut_ns, EncodeMessage(want));

  const size_t four_an = EncodeMessage(Kept(m, 4, 0, 0)).size();
  const std::vector<uint8_t> cut_an = EncodeMessage(m, four_an + 3);  // not room for a fifth
  EXPECT_LE(cut_an.size(), four_an + 3);
  Result<Message> back = DecodeMessage(cut_an);
  ASSERT_TRUE(back.ok()) << back.message();
  want = Kept(m, 4, 0, 0);
  want.tc = true;
  ExpectSameMessage(*back, want);
}

TEST(WireTest, TruncationToLessThanTheQuestionKeepsHeaderAndQuestion) {
  Message m = BigResponse();
  m.additional.clear();
  const std::vector<uint8_t> cut = EncodeMessage(m, 20);
  Result<Message> back = DecodeMessage(cut);
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_TRUE(back->tc);
  EXPECT_EQ(back->question.size(), 1u);
  EXPECT_TRUE(back->answer.empty());
  EXPECT_TRUE(back->authority.empty());
  EXPECT_EQ(cut.size(), 12 + N("www.example.com.").wire_length() + 4);
}

TEST(WireTest, TruncatedMessageFitsA512OctetLimit) {
  Message m;
  m.question = {Q("example.com.", rrtype::TXT)};
  for (int i = 0; i < 40; ++i) {
    m.answer.push_back(
        RR("example.com.", rrtype::TXT, 1, TxtData{{std::string(20, 'a' + i % 26)}}));
  }
  ASSERT_GT(EncodeMessage(m).size(), 512u);
  const std::vector<uint8_t> cut = EncodeMessage(m, 512);
  EXPECT_LE(cut.size(), 512u);
  EXPECT_GT(cut.size(), 512u - 35);  // a 35-octet record would still have fit
  Result<Message> back = DecodeMessage(cut);
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_TRUE(back->tc);
  ASSERT_LT(back->answer.size(), m.answer.size());
  for (size_t i = 0; i < back->answer.size(); ++i)
    EXPECT_TRUE(SameRecord(back->answer[i], m.answer[i]));
}

// --- Malformed input ---------------------------------------------------------------------------

Bytes OneQuestionHeader() {
  return Bytes::Header(1, 0, 1, 0, 0, 0);
}

TEST(WireTest, RejectsTruncatedHeader) {
  EXPECT_THAT(DecodeError(std::vector<uint8_t>(11, 0)), HasSubstr("truncated header"));
  EXPECT_THAT(DecodeError({}), HasSubstr("offset 0"));
}

TEST(WireTest, RejectsCompressionPointerLoops) {
  Bytes self = OneQuestionHeader();
  self.pointer(12).u16(1).u16(1);
  EXPECT_THAT(DecodeError(self.b), HasSubstr("offset 12: compression pointer to 12 loops"));

  Bytes cycle = OneQuestionHeader();
  cycle.label("a").pointer(12).u16(1).u16(1);
  EXPECT_THAT(DecodeError(cycle.b), HasSubstr("offset 14: compression pointer to 12 loops"));

  // A pointer to a later name is rejected even when that name is valid.
  Bytes two = Bytes::Header(1, 0, 2, 0, 0, 0);
  two.label("a").pointer(19).u16(1).u16(1);  // 12: "a", then at 14 a pointer to 19
  two.label("b").u8(0).u16(1).u16(1);        // 19: "b."
  EXPECT_THAT(DecodeError(two.b), HasSubstr("offset 14: compression pointer to 19 points forward"));
}

TEST(WireTest, RejectsLoopReachedThroughAPointer) {
  // The loop sits in opaque RDATA (never parsed as a name) and is reached by a later owner name:
  // the jump back is legal, the pointer inside the loop is not.
  Bytes b = Bytes::Header(1, 0, 0, 2, 0, 0);
  b.u8(0).u16(65280).u16(1).u32(0).u16(6);  // 12: root owner; RDATA from 23
  b.label("x").label("y").pointer(25);      // 23: x, 25: y, 27: pointer to 25
  b.pointer(23).u16(rrtype::A).u16(1).u32(0).u16(4).u32(0);
  EXPECT_THAT(DecodeError(b.b),
              HasSubstr("answer record 2: offset 27: compression pointer to 25 loops"));
}

TEST(WireTest, RejectsForwardPointer) {
  Bytes b = OneQuestionHeader();
  b.pointer(18).u16(1).u16(1).u8(0);  // 18 holds a valid root name, but after the pointer
  EXPECT_THAT(DecodeError(b.b), HasSubstr("offset 12: compression pointer to 18 points forward"));
}

TEST(WireTest, RejectsPointerOutOfRange) {
  Bytes b = OneQuestionHeader();
  b.pointer(0x3FFF).u16(1).u16(1);
  EXPECT_THAT(DecodeError(b.b), HasSubstr("past the end of the message"));
  Bytes cut = OneQuestionHeader();
  cut.u8(0xC0);  // half a pointer
  EXPECT_THAT(DecodeError(cut.b), HasSubstr("offset 12: truncated compression pointer"));
}

TEST(WireTest, RejectsLabelLongerThan63) {
  Bytes b = OneQuestionHeader();
  b.u8(64).raw(std::string(64, 'a')).u8(0).u16(1).u16(1);
  EXPECT_THAT(DecodeError(b.b), HasSubstr("offset 12: label longer than 63"));
  Bytes reserved = OneQuestionHeader();
  reserved.u8(0x80).u8(0).u16(1).u16(1);
  EXPECT_THAT(DecodeError(reserved.b), HasSubstr("label longer than 63"));
}

TEST(WireTest, RejectsNameLongerThan255Octets) {
  const std::string l63(63, 'a');
  Bytes flat = OneQuestionHeader();
  for (int i = 0; i < 4; ++i) flat.label(l63);  // 4 * 64 + 1 = 257
  flat.u8(0).u16(1).u16(1);
  EXPECT_THAT(DecodeError(flat.b), HasSubstr("name longer than 255 octets"));

  // The same length reached through pointers, each name valid on its own until the fourth.
  Bytes chained = Bytes::Header(1, 0, 4, 0, 0, 0);
  chained.label(l63).u8(0).u16(1).u16(1);         // 12: 65 octets
  chained.label(l63).pointer(12).u16(1).u16(1);   // 81: 129
  chained.label(l63).pointer(81).u16(1).u16(1);   // 151: 193
  chained.label(l63).pointer(151).u16(1).u16(1);  // 221: 257
  EXPECT_THAT(DecodeError(chained.b), HasSubstr("question 4: offset"));
  EXPECT_THAT(DecodeError(chained.b), HasSubstr("name longer than 255 octets"));

  // 255 exactly is fine: 3 * 64 + 62 + 1.
  Bytes max = OneQuestionHeader();
  for (int i = 0; i < 3; ++i) max.label(l63);
  max.label(std::string(61, 'b')).u8(0).u16(1).u16(1);
  Result<Message> ok = DecodeMessage(max.b);
  ASSERT_TRUE(ok.ok()) << ok.message();
  EXPECT_EQ(ok->question[0].name.wire_length(), 255u);
}

TEST(WireTest, RejectsRdlengthBeyondTheEnd) {
  Bytes b = Bytes::Header(1, 0, 0, 1, 0, 0);
  b.u8(0).u16(rrtype::A).u16(1).u32(0).u16(5).u8(1).u8(2).u8(3).u8(4);
  EXPECT_THAT(DecodeError(b.b),
              HasSubstr("answer record 1: offset 21: RDLENGTH 5 of A runs past the end"));
}

TEST(WireTest, RejectsTypedRdataOfTheWrongLength) {
  Bytes a5 = Bytes::Header(1, 0, 0, 1, 0, 0);
  a5.u8(0).u16(rrtype::A).u16(1).u32(0).u16(5).u8(1).u8(2).u8(3).u8(4).u8(5);
  EXPECT_THAT(DecodeError(a5.b), HasSubstr("offset 23: RDATA of A is 5 octets; must be 4"));

  Bytes aaaa = Bytes::Header(1, 0, 0, 1, 0, 0);
  aaaa.u8(0).u16(rrtype::AAAA).u16(1).u32(0).u16(4).u32(0);
  EXPECT_THAT(DecodeError(aaaa.b), HasSubstr("RDATA of AAAA is 4 octets; must be 16"));

  Bytes mx_short = Bytes::Header(1, 0, 0, 1, 0, 0);
  mx_short.u8(0).u16(rrtype::MX).u16(1).u32(0).u16(1).u8(0);
  EXPECT_THAT(DecodeError(mx_short.b), HasSubstr("offset 23: truncated RDATA of MX"));

  Bytes mx_long = Bytes::Header(1, 0, 0, 1, 0, 0);
  mx_long.u8(0).u16(rrtype::MX).u16(1).u32(0).u16(4).u16(10).u8(0).u8(0);
  EXPECT_THAT(DecodeError(mx_long.b),
              HasSubstr("offset 26: 1 unused octets at the end of RDATA of MX"));

  // A name in RDATA may not run past RDLENGTH, even if the message goes on.
  Bytes ns = Bytes::Header(1, 0, 0, 2, 0, 0);
  ns.u8(0).u16(rrtype::NS).u16(1).u32(0).u16(3).name("example.com");
  EXPECT_THAT(DecodeError(ns.b), HasSubstr("offset 23: truncated label"));

  Bytes soa = Bytes::Header(1, 0, 0, 1, 0, 0);
  soa.u8(0).u16(rrtype::SOA).u16(1).u32(0).u16(20).u8(0).u8(0).u32(1).u32(2).u32(3).u32(4).u16(5);
  EXPECT_THAT(DecodeError(soa.b), HasSubstr("truncated RDATA of SOA"));

  Bytes srv = Bytes::Header(1, 0, 0, 1, 0, 0);
  srv.u8(0).u16(rrtype::SRV).u16(1).u32(0).u16(4).u32(0);
  EXPECT_THAT(DecodeError(srv.b), HasSubstr("truncated RDATA of SRV"));
}

TEST(WireTest, RejectsBadTxtRdata) {
  Bytes empty = Bytes::Header(1, 0, 0, 1, 0, 0);
  empty.u8(0).u16(rrtype::TXT).u16(1).u32(0).u16(0);
  EXPECT_THAT(DecodeError(empty.b), HasSubstr("empty RDATA of TXT"));

  Bytes overrun = Bytes::Header(1, 0, 0, 1, 0, 0);
  overrun.u8(0).u16(rrtype::TXT).u16(1).u32(0).u16(3).u8(5).raw("ab");
  EXPECT_THAT(DecodeError(overrun.b), HasSubstr("truncated RDATA of TXT"));
}

TEST(WireTest, RejectsTrailingBytes) {
  Bytes b = OneQuestionHeader();
  b.u8(0).u16(1).u16(1).u8(0xAA).u8(0xBB);
  EXPECT_THAT(DecodeError(b.b), HasSubstr("offset 17: 2 trailing bytes"));
}

TEST(WireTest, RejectsCountsLargerThanPresent) {
  Bytes q = Bytes::Header(1, 0, 2, 0, 0, 0);
  q.u8(0).u16(1).u16(1);
  EXPECT_THAT(DecodeError(q.b), HasSubstr("offset 17: the message ends before question 2 of 2"));

  Bytes partial = Bytes::Header(1, 0, 1, 0, 0, 0);
  partial.u8(0).u16(1);
  EXPECT_THAT(DecodeError(partial.b), HasSubstr("truncated question"));

  Bytes an = Bytes::Header(1, 0, 0, 1, 0, 1);
  an.u8(0).u16(1).u16(1).u32(0).u16(4).u32(0);
  EXPECT_THAT(DecodeError(an.b), HasSubstr("the message ends before additional 1 of 1"));

  Bytes rr = Bytes::Header(1, 0, 0, 1, 0, 0);
  rr.u8(0).u16(1).u16(1);
  EXPECT_THAT(DecodeError(rr.b), HasSubstr("offset 13: truncated record"));
}

TEST(WireTest, EveryPrefixAndByteFlipOfAValidMessageDecodesOrFailsCleanly) {
  const std::vector<uint8_t> good = EncodeMessage(BigResponse());
  for (size_t n = 0; n < good.size(); ++n) {
    std::vector<uint8_t> prefix(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_FALSE(DecodeMessage(prefix).ok()) << "prefix of " << n;
  }
  for (size_t i = 0; i < good.size(); ++i) {
    for (uint8_t v : {0x00, 0x3F, 0x40, 0xC0, 0xFF}) {
      std::vector<uint8_t> bad = good;
      bad[i] = v;
      Result<Message> m = DecodeMessage(bad);
      if (!m.ok()) continue;
      // Whatever decodes re-encodes to something that decodes to the same message.
      ExpectSameMessage(RoundTrip(*m), *m);
    }
  }
}

// The one RDATA decoder: RDATA on its own (a zone file's generic form) decodes as in a message,
// but may not use compression pointers; a type it does not model stays raw octets.
TEST(WireTest, DecodeRdataAloneForbidsPointersAndKeepsOtherTypesRaw) {
  // MX 10 mail.example. in wire form.
  const std::vector<uint8_t> mx{0,   10,  4,   'm', 'a', 'i', 'l', 7,
                                'e', 'x', 'a', 'm', 'p', 'l', 'e', 0};
  Result<Rdata> d = DecodeRdata(mx, 0, mx.size(), rrtype::MX, Compression::kForbidden);
  ASSERT_TRUE(d.ok()) << d.message();
  ASSERT_TRUE(std::holds_alternative<MxData>(*d));
  EXPECT_EQ(std::get<MxData>(*d).exchange.ToString(), "mail.example.");
  // The same name through a pointer to an earlier copy: fine in a message, not on its own.
  std::vector<uint8_t> msg = mx;
  const size_t at = msg.size();
  for (uint8_t b : {0, 20, 0xC0, 2}) msg.push_back(b);  // MX 20, pointer to offset 2
  EXPECT_TRUE(DecodeRdata(msg, at, 4, rrtype::MX, Compression::kFollow).ok());
  const Result<Rdata> forbidden = DecodeRdata(msg, at, 4, rrtype::MX, Compression::kForbidden);
  ASSERT_FALSE(forbidden.ok());
  EXPECT_NE(forbidden.message().find("compression pointer"), std::string::npos);
  // Unused octets and a length past the end are errors; other types stay raw.
  EXPECT_FALSE(DecodeRdata(mx, 0, mx.size() - 1, rrtype::MX, Compression::kForbidden).ok());
  EXPECT_FALSE(DecodeRdata(mx, 4, mx.size(), rrtype::MX, Compression::kForbidden).ok());
  const Result<Rdata> raw = DecodeRdata(mx, 0, 3, 99, Compression::kForbidden);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(std::get<RawData>(*raw).bytes.size(), 3u);
}

}  // namespace
}  // namespace llms::dns
