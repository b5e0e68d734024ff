// Table-driven tests of the specification: hand-written zones, one or more per RFC rule (RFC 4592's
// own example zone for wildcards), each query with the answer the RFCs require: rcode, AA, and
// every section as a set. Profile options are tested against the default answers they change.
#include "iceberg/spec.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string_view>

#include "dns/zone_parser.h"
#include "iceberg/test_zones.h"

namespace llms::iceberg {
namespace {

// A record without its TTL and class: "owner TYPE rdata".
std::string Short(const ResourceRecord& rr) {
  return rr.owner.ToString() + " " + dns::TypeName(rr.type) + " " + dns::RdataToString(rr);
}

std::vector<std::string> Sorted(const std::vector<ResourceRecord>& rrs) {
  std::vector<std::string> out;
  for (const auto& rr : rrs) out.push_back(Short(rr));
  std::sort(out.begin(), out.end());
  return out;
}

// True when `c` is "profile <field>" or "RFC <n> §<section>[ step <step>]": a clause is data
// (std::regex is avoided: GCC 12 warns inside it under -O1 sanitizer builds).
bool IsClause(std::string_view c) {
  const auto all_of = [](std::string_view s, std::string_view set) {
    return !s.empty() && s.find_first_not_of(set) == std::string_view::npos;
  };
  if (c.starts_with("profile ")) return all_of(c.substr(8), "abcdefghijklmnopqrstuvwxyz_");
  if (!c.starts_with("RFC ")) return false;
  c.remove_prefix(4);
  const size_t sp = c.find(' ');
  if (sp == std::string_view::npos || !all_of(c.substr(0, sp), "0123456789")) return false;
  c.remove_prefix(sp + 1);
  if (!c.starts_with("§")) return false;
  c.remove_prefix(std::string_view("§").size());
  const size_t step = c.find(" step ");
  const std::string_view section = c.substr(0, step);
  if (!all_of(section, "0123456789.") || section.back() == '.') return false;
  if (step == std::string_view::npos) return true;
  const std::string_view rest = c.substr(step + 6);
  return all_of(rest, "0123456789.abcdefgh") && rest.back() != '.';
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

struct Case {
  const char* qname;
  const char* qtype;
  uint16_t rcode;
  bool aa;
  std::vector<std::string> answer, authority, additional;
  const char* rule;  // a clause the answer must cite
};

ZoneIndex Index(const std::string& text, const char* origin) {
  auto o = dns::Name::Parse(origin);
  EXPECT_TRUE(o.ok());
  auto zone = dns::ParseZone(text, *o, "test.zone");
  EXPECT_TRUE(zone.ok()) << zone.message();
  if (zone.ok()) {
    Status valid = dns::ValidateZone(*zone);
    EXPECT_TRUE(valid.ok()) << valid.message();
  }
  return ZoneIndex(*o, zone.ok() ? zone->records : std::vector<ResourceRecord>{});
}

void Check(const ZoneIndex& z, const std::vector<Case>& cases, const Profile& p = Profile()) {
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.qname) + " " + c.qtype);
    dns::Question q;
    q.name = *dns::Name::Parse(c.qname);
    q.type = *dns::ParseType(c.qtype);
    const Response r = Lookup(z, q, p);
    EXPECT_EQ(dns::RcodeName(r.rcode), dns::RcodeName(c.rcode));
    EXPECT_EQ(r.aa, c.aa);
    EXPECT_EQ(Sorted(r.answer), Sorted(c.answer));
    EXPECT_EQ(Sorted(r.authority), Sorted(c.authority));
    EXPECT_EQ(Sorted(r.additional), Sorted(c.additional));
    std::string rules;
    // Each rule's clause is data: an RFC section or a profile field, and the text begins with it.
    for (const auto& s : r.rules) {
      rules += s.text + "\n";
      EXPECT_TRUE(IsClause(s.clause)) << s.clause;
      EXPECT_EQ(s.text.rfind(s.clause, 0), 0u) << s.text;
    }
    EXPECT_NE(rules.find(c.rule), std::string::npos) << rules;
  }
}

constexpr uint16_t kOk = dns::rcode::NOERROR, kNx = dns::rcode::NXDOMAIN;
const char* const kSoa = "example. SOA ns1.example. admin.example. 1 3600 600 86400 300";

// RFC 1034 §4.3.2 basics: exact matches, NODATA, NXDOMAIN, empty non-terminals, case, REFUSED.
TEST(SpecTest, ClauseShapes) {
  EXPECT_TRUE(IsClause("RFC 1034 §4.3.2 step 3.b"));
  EXPECT_TRUE(IsClause("RFC 6672 §2.3"));
  EXPECT_TRUE(IsClause("profile minimal_responses"));
  EXPECT_FALSE(IsClause("RFC 1034 §4.3."));
  EXPECT_FALSE(IsClause("RFC x §4"));
  EXPECT_FALSE(IsClause("profile Minimal"));
  EXPECT_FALSE(IsClause("the answer"));
}

TEST(SpecTest, BasicLookup) {
  const ZoneIndex z = Index(ZoneFile("basic.zone"), "example.");
  Check(z, {
               {"www.example.",
                "A",
                kOk,
                true,
                {"www.example. A 192.0.2.10", "www.example. A 192.0.2.11"},
                {},
                {},
                "step 3.a: the A RRset"},
               {"WWW.EXAMPLE.",
                "AAAA",
                kOk,
                true,
                {"www.example. AAAA 2001:db8::10"},
                {},
                {},
                "step 3.a"},
               {"www.example.", "MX", kOk, true, {}, {kSoa}, {}, "RFC 2308 §2.2"},
               {"nope.example.", "A", kNx, true, {}, {kSoa}, {}, "RFC 2308 §2.1"},
               {"x.www.example.", "A", kNx, true, {}, {kSoa}, {}, "closest encloser www.example."},
               // b.c.example. and c.example. exist without data (RFC 4592 §2.2.2).
               {"b.c.example.", "A", kOk, true, {}, {kSoa}, {}, "empty non-terminal"},
               {"c.example.", "TXT", kOk, true, {}, {kSoa}, {}, "empty non-terminal"},
               {"x.c.example.", "TXT", kNx, true, {}, {kSoa}, {}, "closest encloser c.example."},
               {"www.example.org.", "A", dns::rcode::REFUSED, false, {}, {}, {}, "REFUSED"},
               {"example.",
                "NS",
                kOk,
                true,
                {"example. NS ns1.example."},
                {},
                {"ns1.example. A 192.0.2.1"},
                "step 6: addresses of ns1.example."},
           });
}

// RFC 4592 §2.2.1's example zone and the answers §2.2.1 lists (synthesized or not).
TEST(SpecTest, Rfc4592WildcardExamples) {
  const ZoneIndex z = Index(ZoneFile("rfc4592-wildcards.zone"), "example.");
  Check(z, {
               // Synthesized.
               {"host3.example.",
                "MX",
                kOk,
                true,
                {"host3.example. MX 10 host1.example."},
                {},
                {"host1.example. A 192.0.2.1"},
                "RFC 4592 §3.3.1"},
               {"host3.example.", "A", kOk, true, {}, {kSoa}, {}, "RFC 4592 §3.3.1"},
               {"foo.bar.example.",
                "TXT",
                kOk,
                true,
                {"foo.bar.example. TXT \"this is a wildcard\""},
                {},
                {},
                "RFC 4592 §3.3.1"},
               // Not synthesized.
               {"host1.example.", "MX", kOk, true, {}, {kSoa}, {}, "RFC 2308 §2.2"},
               {"sub.*.example.", "MX", kOk, true, {}, {kSoa}, {}, "RFC 2308 §2.2"},
               {"_telnet._tcp.host1.example.",
                "SRV",
                kNx,
                true,
                {},
                {kSoa},
                {},
                "closest encloser _tcp.host1.example."},
               {"host.subdel.example.",
                "A",
                kOk,
                false,
                {},
                {"subdel.example. NS ns.example.com.", "subdel.example. NS ns.example.net."},
                {},
                "step 3.b"},
               {"ghost.*.example.", "MX", kNx, true, {}, {kSoa}, {}, "closest encloser *.example."},
               // The wildcard's own name is an ordinary match.
               {"*.example.",
                "TXT",
                kOk,
                true,
                {"*.example. TXT \"this is a wildcard\""},
                {},
                {},
                "step 3.a"},
           });
}

// CNAME chains within the zone, out of it, into NXDOMAIN (RFC 6604), loops, and delegations.
TEST(SpecTest, CnameChains) {
  const ZoneIndex z = Index(ZoneFile("cname-chains.zone"), "example.");
  Check(
      z,
      {
          {"a.example.",
           "A",
           kOk,
           true,
           {"a.example. CNAME b.example.", "b.example. CNAME c.example.", "c.example. A 192.0.2.3"},
           {},
           {},
           "is an alias"},
          {"a.example.",
           "CNAME",
           kOk,
           true,
           {"a.example. CNAME b.example."},
           {},
           {},
           "the CNAME RRset"},
          // RRSIG (TYPE46) and NSEC (TYPE47) may sit beside a CNAME: asked at the alias.
          {"a.example.", "TYPE46", kOk, true, {}, {kSoa}, {}, "RFC 4035 §2.5"},
          {"a.example.", "TYPE47", kOk, true, {}, {kSoa}, {}, "RFC 4035 §2.5"},
          {"out.example.",
           "A",
           kOk,
           true,
           {"out.example. CNAME www.example.net."},
           {},
           {},
           "outside the zone"},
          {"dead.example.",
           "A",
           kNx,
           true,
           {"dead.example. CNAME nothere.example."},
           {kSoa},
           {},
           "RFC 6604 §2"},
          {"l1.example.",
           "A",
           kOk,
           true,
           {"l1.example. CNAME l2.example.", "l2.example. CNAME l1.example."},
           {},
           {},
           "loops"},
          {"todel.example.",
           "A",
           kOk,
           true,
           {"todel.example. CNAME x.sub.example."},
           {"sub.example. NS ns.sub.example."},
           {"ns.sub.example. A 192.0.2.53"},
           "referral after the chain"},
          {"q.w.example.",
           "A",
           kOk,
           true,
           {"q.w.example. CNAME c.example.", "c.example. A 192.0.2.3"},
           {},
           {},
           "RFC 4592 §3.3.1"},
      });
  Profile stop;
  stop.follow_chains = false;
  Check(z,
        {{"a.example.",
          "A",
          kOk,
          true,
          {"a.example. CNAME b.example."},
          {},
          {},
          "follow_chains off"}},
        stop);
  // A looping chain: SERVFAIL with the chain (BIND) or alone (PowerDNS).
  Profile servfail_chain;
  servfail_chain.cname_loop = Profile::Loop::kServfailWithChain;
  Check(z,
        {{"l1.example.",
          "A",
          dns::rcode::SERVFAIL,
          true,
          {"l1.example. CNAME l2.example.", "l2.example. CNAME l1.example."},
          {},
          {},
          "cname_loop"}},
        servfail_chain);
  Profile servfail;
  servfail.cname_loop = Profile::Loop::kServfail;
  Check(z, {{"l1.example.", "A", dns::rcode::SERVFAIL, true, {}, {}, {}, "cname_loop"}}, servfail);
  // ANY matches CNAME (RFC 1035 §3.2.3): the alias alone, from a wildcard too; a profile
  // following aliases goes on as for any other type.
  Check(z, {{"a.example.",
             "ANY",
             kOk,
             true,
             {"a.example. CNAME b.example."},
             {},
             {},
             "ANY matches the CNAME"},
            {"q.w.example.",
             "ANY",
             kOk,
             true,
             {"q.w.example. CNAME c.example."},
             {},
             {},
             "ANY matches the CNAME"}});
  Profile follow_any;
  follow_any.any_at_alias = Profile::AnyAlias::kFollow;
  Check(z,
        {{"a.example.",
          "ANY",
          kOk,
          true,
          {"a.example. CNAME b.example.", "b.example. CNAME c.example.", "c.example. A 192.0.2.3"},
          {},
          {},
          "ANY: every RRset"}},
        follow_any);
  Profile shortp;
  shortp.max_chain = 1;  // past_bound cut: the second alias is in the answer, not followed
  Check(z,
        {{"a.example.",
          "A",
          kOk,
          true,
          {"a.example. CNAME b.example.", "b.example. CNAME c.example."},
          {},
          {},
          "max_chain 1"}},
        shortp);
}

// RFC 6672: DNAME substitution, the owner itself not redirected, chains through DNAME, YXDOMAIN.
TEST(SpecTest, Dname) {
  const std::string l63(63, 'x');
  const ZoneIndex z = Index(ZoneFile("dname.zone"), "example.");
  const std::string deep = "a." + std::string(63, 'y') + ".long.example.";
  Check(
      z,
      {
          {"www.d.example.",
           "A",
           kOk,
           true,
           {"d.example. DNAME example.net.", "www.d.example. CNAME www.example.net."},
           {},
           {},
           "RFC 6672 §3.2"},
          {"host.d2.example.",
           "A",
           kOk,
           true,
           {"d2.example. DNAME target.example.", "host.d2.example. CNAME host.target.example.",
            "host.target.example. A 192.0.2.7"},
           {},
           {},
           "synthesized CNAME"},
          {"nope.d2.example.",
           "A",
           kNx,
           true,
           {"d2.example. DNAME target.example.", "nope.d2.example. CNAME nope.target.example."},
           {kSoa},
           {},
           "RFC 6604 §2"},
          // The owner is not redirected (RFC 6672 §2.3).
          {"d.example.", "DNAME", kOk, true, {"d.example. DNAME example.net."}, {}, {}, "step 3.a"},
          {"d.example.", "A", kOk, true, {}, {kSoa}, {}, "RFC 2308 §2.2"},
          // ANY matches the synthesized CNAME too.
          {"host.d2.example.",
           "ANY",
           kOk,
           true,
           {"d2.example. DNAME target.example.", "host.d2.example. CNAME host.target.example."},
           {},
           {},
           "asks for the CNAME itself"},
          {deep.c_str(),
           "A",
           dns::rcode::YXDOMAIN,
           true,
           {"long.example. DNAME " + l63 + "." + l63 + "." + l63 + "."},
           {},
           {},
           "RFC 6672 §2.2"},
      });
}

// Profiles at a DNAME: ANY going on from the synthesized CNAME (NSD, Knot); the apex NS left out
// of the answer to a synthesized CNAME asked for (NSD).
TEST(SpecTest, DnameProfiles) {
  const ZoneIndex z = Index(ZoneFile("dname.zone"), "example.");
  const std::vector<std::string> chain{"d2.example. DNAME target.example.",
                                       "host.d2.example. CNAME host.target.example."};
  Profile follow;
  follow.any_at_alias = Profile::AnyAlias::kFollowSynthesized;
  std::vector<std::string> followed = chain;
  followed.push_back("host.target.example. A 192.0.2.7");
  Check(z, {{"host.d2.example.", "ANY", kOk, true, followed, {}, {}, "ANY: every RRset"}}, follow);
  Profile apex;
  apex.apex_ns_in_positive_answers = true;
  const Case cname{"host.d2.example.",
                   "CNAME",
                   kOk,
                   true,
                   chain,
                   {"example. NS ns1.example."},
                   {"ns1.example. A 192.0.2.1"},
                   "apex_ns_in_positive_answers"};
  Check(z, {cname}, apex);
  apex.apex_ns_skips_synthesized_cname = true;
  Case skipped = cname;
  skipped.authority = {};
  skipped.additional = {};
  skipped.rule = "asks for the CNAME itself";
  Check(z, {skipped}, apex);
}

// Chains without a bound (RFC 1034 and RFC 6672 set none): nine substitutions through one DNAME
// are all followed (NSD, BIND and PowerDNS answer so), and a DNAME pointing below itself grows
// the name until it overflows 255 octets (YXDOMAIN, RFC 6672 §2.2).
TEST(SpecTest, ChainsEndLoopOrOverflow) {
  const ZoneIndex z = Index(
      "@ SOA ns1 admin 1 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1\n* A 192.0.2.9\n"
      "example DNAME fnni.\ngrow DNAME x.grow.fnni.\n",
      "fnni.");
  auto below = [](int examples) {
    std::string n = "iceberg-q.";
    for (int i = 0; i < examples; ++i) n.append("example.");
    return n.append("fnni.");
  };
  const std::string name = below(9);
  std::vector<std::string> answer{"example.fnni. DNAME fnni."};
  for (int i = 9; i > 0; --i) answer.push_back(below(i) + " CNAME " + below(i - 1));
  Check(z, {{name.c_str(),
             "TXT",
             kOk,
             true,
             answer,
             {"fnni. SOA ns1.fnni. admin.fnni. 1 3600 600 86400 300"},
             {},
             "RFC 2308 §2.2"}});
  dns::Question q;
  q.name = *dns::Name::Parse("q.grow.fnni.");
  q.type = dns::rrtype::A;
  const Response r = Lookup(z, q);
  EXPECT_EQ(dns::RcodeName(r.rcode), "YXDOMAIN");
  // q.grow.fnni. is 13 octets; each substitution adds 2: 121 of them fit, the 122nd does not.
  EXPECT_EQ(std::count_if(r.answer.begin(), r.answer.end(),
                          [](const ResourceRecord& rr) { return rr.type == dns::rrtype::CNAME; }),
            121);
}

// Each engine's bound on aliases, as measured on chains of 1-39 CNAMEs and DNAME substitutions:
// Knot ends the answer before its sixth alias (NOERROR), BIND answers SERVFAIL with its twelfth,
// PowerDNS SERVFAIL alone at its eleventh.
TEST(SpecTest, ChainBoundsPerEngine) {
  std::string text = "@ SOA ns1 admin 1 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1\n";
  for (int i = 1; i < 20; ++i) text += fmt::format("c{} CNAME c{}\n", i, i + 1);
  text += "c20 A 192.0.2.20\n";
  const ZoneIndex z = Index(text, "example.");
  auto cnames = [](int from, int count) {
    std::vector<std::string> out;
    for (int i = from; i < from + count; ++i) {
      out.push_back(fmt::format("c{}.example. CNAME c{}.example.", i, i + 1));
    }
    return out;
  };
  auto with_a = [](std::vector<std::string> v) {
    v.push_back("c20.example. A 192.0.2.20");
    return v;
  };
  Profile knot;
  knot.max_chain = 5;
  knot.past_bound = Profile::PastBound::kOmit;
  Check(z,
        {{"c15.example.", "A", kOk, true, with_a(cnames(15, 5)), {}, {}, "step 3.a"},
         {"c14.example.", "A", kOk, true, cnames(14, 5), {}, {}, "past_bound omit"}},
        knot);
  Profile cut = knot;
  cut.past_bound = Profile::PastBound::kCut;
  Check(z, {{"c14.example.", "A", kOk, true, cnames(14, 6), {}, {}, "profile max_chain 5"}}, cut);
  Profile bind;
  bind.max_chain = 11;
  bind.past_bound = Profile::PastBound::kServfailWithChain;
  Check(z,
        {{"c9.example.", "A", kOk, true, with_a(cnames(9, 11)), {}, {}, "step 3.a"},
         {"c8.example.", "A", dns::rcode::SERVFAIL, true, cnames(8, 12), {}, {}, "past_bound"}},
        bind);
  Profile pdns;
  pdns.max_chain = 10;
  pdns.past_bound = Profile::PastBound::kServfail;
  Check(z,
        {{"c10.example.", "A", kOk, true, with_a(cnames(10, 10)), {}, {}, "step 3.a"},
         {"c9.example.", "A", dns::rcode::SERVFAIL, true, {}, {}, {}, "past_bound"}},
        pdns);
  // Without a bound the whole chain.
  Check(z, {{"c1.example.", "A", kOk, true, with_a(cnames(1, 19)), {}, {}, "step 3.a"}});
}

// Referrals (RFC 1034 §4.3.2 step 3.b): AA clear, the cut's NS in authority, glue in additional.
TEST(SpecTest, Referrals) {
  const ZoneIndex z = Index(ZoneFile("referrals.zone"), "example.");
  const std::vector<std::string> ns{"sub.example. NS ns.sub.example.",
                                    "sub.example. NS ns1.example.",
                                    "sub.example. NS ns.elsewhere.org."};
  const std::vector<std::string> glue{"ns.sub.example. A 192.0.2.53",
                                      "ns.sub.example. AAAA 2001:db8::53",
                                      "ns1.example. A 192.0.2.1"};
  Check(z, {
               {"www.sub.example.", "A", kOk, false, {}, ns, glue, "step 3.b"},
               {"sub.example.", "NS", kOk, false, {}, ns, glue, "step 3.b"},
               {"sub.example.", "A", kOk, false, {}, ns, glue, "step 3.b"},
               // Glue is not authoritative data: asked directly, it is a referral too.
               {"ns.sub.example.", "A", kOk, false, {}, ns, glue, "step 3.b"},
               // DS (TYPE43) of the cut itself lives on the parent side: answered there (NODATA),
               // authoritatively; below the cut DS is referred like any type.
               {"sub.example.", "TYPE43", kOk, true, {}, {kSoa}, {}, "RFC 4035 §3.1.4.1"},
               {"www.sub.example.", "TYPE43", kOk, false, {}, ns, glue, "step 3.b"},
           });
  Profile strict;
  strict.referral_glue = Profile::ReferralGlue::kBelowCut;
  Check(z,
        {{"www.sub.example.",
          "A",
          kOk,
          false,
          {},
          ns,
          {"ns.sub.example. A 192.0.2.53", "ns.sub.example. AAAA 2001:db8::53"},
          "step 3.b"}},
        strict);
  // Glue below any cut (BIND 9.18): a sibling's glue stays, authoritative addresses go.
  const ZoneIndex sib = Index(
      ZoneFile("referrals.zone") + "sub NS ns.other\nother NS ns.other\nns.other A 192.0.2.77\n",
      "example.");
  std::vector<std::string> sib_ns = ns;
  sib_ns.push_back("sub.example. NS ns.other.example.");
  const std::vector<std::string> below{"ns.sub.example. A 192.0.2.53",
                                       "ns.sub.example. AAAA 2001:db8::53"};
  std::vector<std::string> every = below, glue_only = below;
  every.push_back("ns1.example. A 192.0.2.1");
  every.push_back("ns.other.example. A 192.0.2.77");
  glue_only.push_back("ns.other.example. A 192.0.2.77");
  Check(sib, {{"x.sub.example.", "TXT", kOk, false, {}, sib_ns, every, "step 3.b"}});
  Profile bind;
  bind.referral_glue = Profile::ReferralGlue::kGlue;
  Check(sib, {{"x.sub.example.", "TXT", kOk, false, {}, sib_ns, glue_only, "step 3.b"}}, bind);
  Check(sib, {{"x.sub.example.", "TXT", kOk, false, {}, sib_ns, below, "step 3.b"}}, strict);
}

// Additional-section processing (RFC 1034 §4.3.2 step 6, RFC 2782) and the profile switches.
TEST(SpecTest, AdditionalSectionAndProfiles) {
  const ZoneIndex z = Index(ZoneFile("additional.zone"), "example.");
  const Case mx{"example.",
                "MX",
                kOk,
                true,
                {"example. MX 10 mail.example.", "example. MX 20 mx.sub.example.",
                 "example. MX 30 mail.example.net."},
                {},
                // mx.sub is below the cut (glue, not authoritative): not added.
                {"mail.example. A 192.0.2.25", "mail.example. AAAA 2001:db8::25"},
                "step 6: addresses of mail.example."};
  const Case srv_without_addresses{"_sip._tcp.example.",
                                   "SRV",
                                   kOk,
                                   true,
                                   {"_sip._tcp.example. SRV 0 5 5060 sip.example."},
                                   {},
                                   {},
                                   "step 3.a"};
  Case srv = srv_without_addresses;
  srv.additional = {"sip.example. A 192.0.2.60"};
  srv.rule = "step 6";
  // An SRV target that exists only through a wildcard takes the wildcard's address (RFC 4592
  // §3.3.1).
  const Case srv_wild{"_w._tcp.example.",
                      "SRV",
                      kOk,
                      true,
                      {"_w._tcp.example. SRV 0 5 80 host.wild.example."},
                      {},
                      {"host.wild.example. A 192.0.2.77"},
                      "from the wildcard"};
  // ANY at the apex: every RRset; the NS and MX targets' addresses.
  const Case any{
      "example.",
      "ANY",
      kOk,
      true,
      {kSoa, "example. NS ns1.example.", "example. MX 10 mail.example.",
       "example. MX 20 mx.sub.example.", "example. MX 30 mail.example.net."},
      {},
      {"ns1.example. A 192.0.2.1", "mail.example. A 192.0.2.25", "mail.example. AAAA 2001:db8::25"},
      "ANY: every RRset"};
  Check(z, {mx, srv, srv_wild, any});
  Profile no_any_additional;
  no_any_additional.additional_for_any = false;
  Case any_bare = any;
  any_bare.additional = {};
  Check(z, {any_bare, mx}, no_any_additional);
  // Addresses from glue below a cut for answer targets (Knot, PowerDNS): mx.sub's.
  Profile glue;
  glue.additional_from_glue = true;
  Case mx_glue = mx;
  mx_glue.additional.push_back("mx.sub.example. A 192.0.2.99");
  Check(z, {mx_glue}, glue);
  // The apex NS already in the answer is not repeated in authority.
  Profile with_apex_ns;
  with_apex_ns.apex_ns_in_positive_answers = true;
  Check(z, {any}, with_apex_ns);
  Profile minimal;
  minimal.additional_for_answers = false;
  Check(z, {srv_without_addresses}, minimal);
  // RFC 2782 leaves SRV targets' addresses optional; MX targets keep theirs.
  Profile no_srv;
  no_srv.additional_for_srv = false;
  Check(z, {srv_without_addresses, mx}, no_srv);
  Profile with_ns;
  with_ns.apex_ns_in_positive_answers = true;
  Check(z,
        {{"sip.example.",
          "A",
          kOk,
          true,
          {"sip.example. A 192.0.2.60"},
          {"example. NS ns1.example."},
          {"ns1.example. A 192.0.2.1"},
          "apex_ns_in_positive_answers"},
         // Negative answers keep only the SOA.
         {"nope.example.", "A", kNx, true, {}, {kSoa}, {}, "RFC 2308 §2.1"}},
        with_ns);
}

TEST(SpecTest, ResponseText) {
  const ZoneIndex z =
      Index("@ 60 SOA ns1 admin 1 2 3 4 5\n@ 60 NS ns1\nns1 60 A 192.0.2.1\n", "example.");
  dns::Question q;
  q.name = *dns::Name::Parse("nope.example.");
  const std::string text = ResponseToText(q, Lookup(z, q));
  EXPECT_NE(text.find("status: NXDOMAIN, flags: qr aa"), std::string::npos) << text;
  // RFC 2308 §3: the SOA of a negative answer has the lesser of its TTL (60) and MINIMUM (5).
  EXPECT_NE(text.find(";; AUTHORITY SECTION:\nexample. 5 IN SOA"), std::string::npos) << text;
}

}  // namespace
}  // namespace llms::iceberg
