// The executable specification of an authoritative DNS server's answer to one query, for one
// zone: RFC 1034 §4.3.2's algorithm as later RFCs refine it: negative answers (RFC 2308),
// wildcards (RFC 4592), DNAME (RFC 6672), CNAME chains and their rcode (RFC 6604), referrals with
// glue, additional-section processing, and the AA flag (RFC 1035 §4.1.1).
//
// Where the RFCs leave a choice to the implementation, the choice is a field of Profile, never a
// fork of the algorithm. Every response carries the list of rules that produced it, each citing
// its RFC clause, so a discrepancy can be reported against the clause it breaks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dns/message.h"
#include "iceberg/zone_index.h"

namespace llms::iceberg {

struct Profile {
  // Follow a CNAME (or a DNAME's synthesized CNAME) to its target within the zone and answer for
  // the target too (RFC 1034 §4.3.2 step 3.a says to; RFC 6604 §2 allows stopping).
  bool follow_chains = true;
  // The engine's bound on a chain of aliases: the number of aliases (CNAMEs and DNAME
  // substitutions) followed. 0: no bound; RFC 1034 and RFC 6672 set none, so the chain ends where
  // it ends, loops (the first repeated name) or outgrows 255 octets (RFC 6672 §2.2: YXDOMAIN);
  // only a chain of more than 4,096 aliases, which a zone of that many aliases can make, is cut.
  int max_chain = 0;
  // What the engine does with the alias past its bound: kCut puts it into the answer and follows
  // it no further (NOERROR); kOmit ends the answer before it (Knot's CNAME_CHAIN_MAX, YADIFA);
  // kServfailWithChain answers SERVFAIL with the chain so far (BIND's restart limit); kServfail
  // answers SERVFAIL alone (PowerDNS).
  enum class PastBound { kCut, kOmit, kServfailWithChain, kServfail } past_bound = PastBound::kCut;
  // Positive answers also carry the apex NS RRset in authority (RFC 1034 §6.2.1's example; BIND
  // without minimal-responses). Off: authority empty for positive answers (RFC 2181 §9 allows).
  bool apex_ns_in_positive_answers = false;
  // ... except when the CNAME asked for was synthesized from a DNAME (NSD).
  bool apex_ns_skips_synthesized_cname = false;
  // Additional-section addresses for NS, MX and SRV targets in the answer (RFC 1034 §4.3.2 step 6,
  // RFC 2782). Off: only the glue a referral needs (minimal responses).
  bool additional_for_answers = true;
  // ... SRV targets among them: RFC 2782 urges the addresses but does not require them (YADIFA
  // adds them for MX and NS, not for SRV).
  bool additional_for_srv = true;
  // A referral's additional section (RFC 1034 §4.3.2 step 3.b: "glue", which RFC 9471 requires
  // only for targets below the cut): kAll adds addresses of every NS target in the zone
  // (authoritative data and glue below other cuts); kGlue those below any cut in the zone, this
  // one or another (BIND 9.18: it leaves out authoritative addresses); kBelowCut only those below
  // this cut (gdnsd).
  enum class ReferralGlue { kAll, kGlue, kBelowCut } referral_glue = ReferralGlue::kAll;
  // Addresses for answer targets may come from glue below a zone cut too (Knot, PowerDNS), not
  // only from authoritative data (RFC 2181 §5.4.1 ranks glue below authoritative data).
  bool additional_from_glue = false;
  // A CNAME chain that loops (RFC 1034 §3.6.2 says to avoid them; no answer is prescribed):
  // NOERROR with the chain, SERVFAIL with the chain (BIND) or SERVFAIL alone (PowerDNS).
  enum class Loop { kChain, kServfailWithChain, kServfail } cname_loop = Loop::kChain;
  // An ANY query at a name with data (QTYPE *, which matches every type, RFC 1035 §3.2.3): every
  // RRset at the name (RFC 1034 §4.3.2 step 3.a; BIND, PowerDNS, YADIFA), a non-empty subset of
  // them (RFC 8482 §4.1; NSD and Knot give one RRset) or one synthesized HINFO RRset (RFC 8482
  // §4.2; gdnsd). The specification answers with every RRset; the checker accepts a subset or a
  // HINFO in their place (checker.cc).
  enum class Any { kAll, kSubset, kHinfo } any = Any::kAll;
  // ANY answers carry additional-section addresses for their NS, MX and SRV targets (BIND leaves
  // them out: RFC 1034 §4.3.2 step 6 makes them optional).
  bool additional_for_any = true;
  // An ANY query meeting an alias: QTYPE * matches CNAME, so the answer ends at the alias (RFC
  // 1034 §4.3.2 step 3.a: "if ... QTYPE doesn't match CNAME"; BIND, YADIFA). NSD and Knot go on
  // from a CNAME synthesized from a DNAME (RFC 6672 §3.2 restarts the lookup at the substituted
  // name whatever the type), PowerDNS from every alias.
  enum class AnyAlias { kStop, kFollowSynthesized, kFollow } any_at_alias = AnyAlias::kStop;
};

// A rule the specification applied: the clause that decided (an RFC section such as
// "RFC 1034 §4.3.2 step 3.a", or the profile field, "profile max_chain") and the explanation,
// which begins with the clause.
struct SpecRule {
  std::string clause;
  std::string text;
};

// The rules' texts, in order (for reports).
std::vector<std::string> RuleTexts(const std::vector<SpecRule>& rules);

// The answer the specification gives. `rules` lists, in order, the rules applied.
struct Response {
  uint16_t rcode = dns::rcode::NOERROR;
  bool aa = false;
  std::vector<ResourceRecord> answer, authority, additional;
  std::vector<SpecRule> rules;
  // The decisions taken, each naming the zone node it was taken at (never the query name):
  // two queries with the same signature get the same response once their free labels are
  // replaced (classes.h builds the query equivalence classes on this).
  std::string signature;
  // Leading labels of the query name that matched no node: the part a wildcard or a DNAME
  // carries into the response (0 for an exact match).
  size_t free_labels = 0;
  // The types with RRsets at the node where the answer was decided: the only query types (with
  // CNAME) that could change the answer for this name (classes.cc asks just those).
  std::vector<uint16_t> decisive_types;
  // The answer is an ANY query's RRsets at a name (profile Any decides what an engine may give).
  bool any_answer = false;
};

// The authoritative answer of `zone` to `question` under `profile`. A name outside the zone is
// REFUSED (RFC 1035 §4.1.1 allows a server to refuse what it is not authoritative for); a class
// other than IN is REFUSED too. Without `explain` the rules are left out (faster; the signature
// is kept).
Response Lookup(const ZoneIndex& zone, const dns::Question& question,
                const Profile& profile = Profile(), bool explain = true);

// Dig-like text of a response ("status: NXDOMAIN, flags: aa", then the sections).
std::string ResponseToText(const dns::Question& question, const Response& response);

}  // namespace llms::iceberg
