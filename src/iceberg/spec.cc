// The authoritative lookup algorithm (see spec.h). The structure follows RFC 1034 §4.3.2:
// step 3 walks down from the apex to the query name, stopping at a zone cut (3.b, a referral), a
// DNAME above the name (RFC 6672 §3.2), the name itself (3.a) or the point where the name stops
// existing (3.c: a wildcard or NXDOMAIN); a CNAME restarts the walk at its target (step 3.a);
// step 6 adds addresses to the additional section.
#include "iceberg/spec.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace llms::iceberg {
namespace {

namespace rt = dns::rrtype;

// Where the walk from the apex towards a name stopped.
struct Walk {
  enum Kind { kExact, kCut, kDname, kNotFound } kind = kNotFound;
  Name at;                         // the cut, the DNAME owner, the name, or the closest encloser
  const ZoneNode* node = nullptr;  // the node at `at`
};

Walk WalkTo(const ZoneIndex& z, const Name& name) {
  const size_t apex = z.origin().label_count();
  const size_t n = name.label_count();
  // offsets[i]: where label i starts in the canonical key; the key from there is the suffix's.
  const std::string key = name.CanonicalKey();
  std::vector<size_t> offsets(n + 1, key.size());
  for (size_t i = 0, at = 0; i < n; ++i) {
    offsets[i] = at;
    at += 1 + name.labels()[i].size();
  }
  Walk w;
  size_t reached = 0;  // labels of the deepest existing name
  for (size_t d = apex; d <= n; ++d) {
    const ZoneNode* node = z.FindByKey(std::string_view(key).substr(offsets[n - d]));
    if (!node) break;  // the closest encloser is the previous, existing name
    reached = d;
    w.node = node;
    if (d > apex && node->Has(rt::NS)) {
      w.kind = Walk::kCut;
      break;
    }
    if (d < n && node->Has(rt::DNAME)) {
      w.kind = Walk::kDname;
      break;
    }
    if (d == n) w.kind = Walk::kExact;
  }
  w.at = name.Suffix(reached);
  return w;
}

class Resolver {
 public:
  Resolver(const ZoneIndex& z, const Profile& p, bool explain) : z_(z), p_(p), explain_(explain) {}

  Response Run(const dns::Question& q) {
    if (q.qclass != dns::kClassIN || !q.name.IsSubdomainOf(z_.origin())) {
      r_.signature = "refused|";
      r_.rcode = dns::rcode::REFUSED;
      if (explain_)
        Rule("RFC 1035 §4.1.1", ": not authoritative for the name (or the class): REFUSED");
      return r_;
    }
    r_.aa = true;
    qtype_ = q.type;
    Name current = q.name;
    visited_.push_back(current);
    while (true) {
      const Walk w = WalkTo(z_, current);
      std::optional<Name> next;
      switch (w.kind) {
        case Walk::kCut:
          // RFC 4035 §3.1.4.1: DS lives on the parent side of a cut, so a DS query for the cut
          // itself is answered there, authoritatively (the DS RRset, or NODATA), not referred.
          if (qtype_ == dns::rrtype::DS && w.at == current) {
            if (explain_) {
              Rule("RFC 4035 §3.1.4.1",
                   fmt::format(": DS of the cut {} is answered from the parent side",
                               current.ToString()));
            }
            next = AtName(*w.node, w.at, current, /*wildcard=*/false);
            break;
          }
          Referral(w);
          return Finish();
        case Walk::kDname:
          next = Dname(w, current);
          break;
        case Walk::kExact:
          next = AtName(*w.node, w.at, current, /*wildcard=*/false);
          break;
        case Walk::kNotFound:
          next = NotFound(w, current);
          break;
      }
      if (!next || !Follow(*next)) return Finish();
      current = *next;
    }
  }

 private:
  // A rule applied: its clause (an RFC section, or the profile field that decided) and the text
  // that follows the clause in the explanation.
  void Rule(const char* clause, std::string rest) {
    r_.rules.push_back({clause, std::string(clause) + rest});
  }
  // A wildcard or a DNAME copies the query's labels below `at` into the answer; on the query
  // name itself (before any alias was followed) those are its free labels.
  void CarryFreeLabels(const Name& current, const Name& at) {
    if (hops_ == 0) r_.free_labels = current.label_count() - at.label_count();
  }
  bool HasWildcard(const Name& encloser) const {
    auto source = encloser.Prepend("*");
    return source.ok() && z_.Find(*source) != nullptr;
  }
  void Decision(std::string_view kind, const Name& at) {
    r_.signature += kind;
    r_.signature += ':';
    r_.signature += dns::AsciiLower(at.ToString());
    r_.signature += '|';
  }

  static void AddSet(std::vector<ResourceRecord>* section, const std::vector<ResourceRecord>& rrs,
                     const Name* owner = nullptr) {
    for (ResourceRecord rr : rrs) {
      if (owner) rr.owner = *owner;
      if (std::none_of(section->begin(), section->end(),
                       [&](const ResourceRecord& x) { return dns::SameRecord(x, rr); })) {
        section->push_back(std::move(rr));
      }
    }
  }

  // RFC 1034 §4.3.2 step 3.b: the name is at or below a delegation: refer to it.
  void Referral(const Walk& w) {
    Decision("cut", w.at);
    if (r_.answer.empty()) {
      r_.aa = false;
      if (explain_)
        Rule("RFC 1034 §4.3.2 step 3.b",
             fmt::format(": {} is delegated: referral, AA clear", w.at.ToString()));
    } else {
      if (explain_)
        Rule("RFC 1034 §4.3.2 step 3.b",
             fmt::format(": the chain's target is delegated at {}: referral after the chain",
                         w.at.ToString()));
    }
    const auto& ns = *w.node->Find(rt::NS);
    AddSet(&r_.authority, ns);
    for (const ResourceRecord& rr : ns) {
      const Name target = *dns::TargetName(rr);
      if (!target.IsSubdomainOf(w.at)) {
        if (p_.referral_glue == Profile::ReferralGlue::kBelowCut ||
            !target.IsSubdomainOf(z_.origin()))
          continue;
        // Glue for a target below another cut (or this one's sibling) still counts as glue.
        if (p_.referral_glue == Profile::ReferralGlue::kGlue &&
            WalkTo(z_, target).kind != Walk::kCut)
          continue;
      }
      if (Addresses(target, &r_.additional)) {
        if (explain_)
          Rule("RFC 1034 §4.3.2 step 3.b",
               fmt::format(": glue for {} in additional", target.ToString()));
      }
    }
  }

  // RFC 6672 §3.2: a DNAME above the name: the DNAME and a CNAME synthesized from it answer; the
  // walk continues at the substituted name.
  std::optional<Name> Dname(const Walk& w, const Name& current) {
    if (OmitPastBound(w.at)) return std::nullopt;
    CarryFreeLabels(current, w.at);
    const auto& dname = *w.node->Find(rt::DNAME);
    AddSet(&r_.answer, dname);
    const Name target = *dns::TargetName(dname.front());
    auto substituted = current.ReplaceSuffix(w.at, target);
    Decision(substituted.ok() ? "dname" : "dname-yx", w.at);
    if (!substituted.ok()) {
      r_.rcode = dns::rcode::YXDOMAIN;
      if (explain_)
        Rule("RFC 6672 §2.2", fmt::format(": substituting {} in {} exceeds 255 octets: YXDOMAIN",
                                          target.ToString(), current.ToString()));
      return std::nullopt;
    }
    ResourceRecord cname;
    cname.owner = current;
    cname.type = rt::CNAME;
    cname.ttl = dname.front().ttl;
    cname.rdata = dns::NameData{*substituted};
    AddSet(&r_.answer, {cname});
    if (explain_)
      Rule("RFC 6672 §3.2",
           fmt::format(": DNAME at {} redirects {}: synthesized CNAME to {}", w.at.ToString(),
                       current.ToString(), substituted->ToString()));
    if (qtype_ == rt::CNAME || (qtype_ == rt::ANY && p_.any_at_alias == Profile::AnyAlias::kStop)) {
      // The synthesized CNAME is itself the RRset asked for: the answer ends with it.
      r_.signature += qtype_ == rt::CNAME ? "cname-asked|" : "any-alias|";
      r_.any_answer = qtype_ == rt::ANY;
      if (explain_)
        Rule("RFC 1034 §4.3.2 step 3.a", ": the query asks for the CNAME itself: not followed");
      positive_ = true;
      return std::nullopt;
    }
    return *substituted;
  }

  // RFC 1034 §4.3.2 step 3.a at an existing node `at` (or the wildcard node standing for
  // `current`).
  std::optional<Name> AtName(const ZoneNode& node, const Name& at, const Name& current,
                             bool wildcard) {
    const Name* owner = wildcard ? &current : nullptr;
    r_.decisive_types.clear();
    for (const auto& [type, rrs] : node.rrsets) r_.decisive_types.push_back(type);
    // RFC 4035 §2.5 lets RRSIG and NSEC share a name with a CNAME: a query for either is
    // answered at the alias, not followed (Knot; its type then being absent here, NODATA).
    const bool dnssec_at_alias = qtype_ == rt::RRSIG || qtype_ == rt::NSEC;
    if (const auto* cname = node.Find(rt::CNAME);
        cname && qtype_ != rt::CNAME && !dnssec_at_alias &&
        (qtype_ != rt::ANY || p_.any_at_alias == Profile::AnyAlias::kFollow)) {
      if (OmitPastBound(at)) return std::nullopt;
      Decision("cname", at);
      AddSet(&r_.answer, *cname, owner);
      if (explain_)
        Rule("RFC 1034 §4.3.2 step 3.a",
             fmt::format(": {} is an alias: CNAME, then its target", current.ToString()));
      return *dns::TargetName(cname->front());
    }
    if (dnssec_at_alias && node.Find(rt::CNAME) && explain_) {
      Rule("RFC 4035 §2.5",
           fmt::format(": {} may sit beside the CNAME of {}: the alias is not followed",
                       dns::TypeName(qtype_), current.ToString()));
    }
    if (qtype_ == rt::ANY && !node.rrsets.empty()) {
      Decision("any", at);
      for (const auto& [type, rrs] : node.rrsets) AddSet(&r_.answer, rrs, owner);
      r_.any_answer = true;
      if (explain_) {
        if (p_.any != Profile::Any::kAll)
          Rule("profile any", p_.any == Profile::Any::kSubset
                                  ? " (RFC 8482 §4.1): a non-empty subset of these RRsets will do"
                                  : " (RFC 8482 §4.2): one synthesized HINFO RRset will do");
        if (node.Find(rt::CNAME)) {
          Rule("RFC 1035 §3.2.3", ": ANY matches the CNAME: the alias is not followed");
        } else {
          Rule("RFC 1034 §4.3.2 step 3.a", ": ANY: every RRset at the name");
        }
      }
      positive_ = true;
      return std::nullopt;
    }
    if (const auto* rrs = node.Find(qtype_)) {
      Decision(dns::TypeName(qtype_), at);
      AddSet(&r_.answer, *rrs, owner);
      if (explain_)
        Rule("RFC 1034 §4.3.2 step 3.a",
             fmt::format(": the {} RRset of {}", dns::TypeName(qtype_), current.ToString()));
      positive_ = true;
      return std::nullopt;
    }
    Decision("nodata", at);
    NegativeSoa();
    if (explain_ && node.rrsets.empty() && !wildcard) {
      Rule("RFC 4592 §2.2.2",
           " / RFC 2308 §2.2: an empty non-terminal exists: NODATA, SOA in authority");
    } else if (explain_) {
      Rule("RFC 2308 §2.2", ": the name has no RRset of the type: NODATA, SOA in authority");
    }
    return std::nullopt;
  }

  // RFC 1034 §4.3.2 step 3.c: the name does not exist below its closest encloser `w.at`.
  std::optional<Name> NotFound(const Walk& w, const Name& current) {
    auto source = w.at.Prepend("*");
    const ZoneNode* wild = source.ok() ? z_.Find(*source) : nullptr;
    if (wild) {
      CarryFreeLabels(current, w.at);
      Decision("wildcard", w.at);
      if (explain_)
        Rule("RFC 4592 §3.3.1",
             fmt::format(": {} does not exist; the wildcard {} at its closest encloser {} answers "
                         "for it",
                         current.ToString(), source->ToString(), w.at.ToString()));
      return AtName(*wild, *source, current, /*wildcard=*/true);
    }
    r_.rcode = dns::rcode::NXDOMAIN;
    Decision("nxdomain", w.at);
    NegativeSoa();
    if (explain_)
      Rule("RFC 1034 §4.3.2 step 3.c",
           fmt::format(" / RFC 2308 §2.1: {} does not exist (closest encloser {}, no wildcard): "
                       "NXDOMAIN, SOA in authority{}",
                       current.ToString(), w.at.ToString(),
                       r_.answer.empty() ? ""
                                         : "; RFC 6604 §2: the rcode is the last name's in the "
                                           "chain"));
    return std::nullopt;
  }

  void NegativeSoa() {
    if (const ResourceRecord* soa = z_.Soa()) {
      // RFC 2308 §3: the SOA's TTL is the lesser of its own TTL and its MINIMUM field.
      ResourceRecord negative = *soa;
      if (const auto* d = std::get_if<dns::SoaData>(&soa->rdata)) {
        negative.ttl = std::min(soa->ttl, d->minimum);
      }
      AddSet(&r_.authority, {negative});
    }
  }

  // Under a profile that ends the answer before the alias past the engine's bound (Knot checks
  // its bound before putting the alias into the answer): true when `at`'s alias is that one.
  bool OmitPastBound(const Name& at) {
    if (p_.past_bound != Profile::PastBound::kOmit || p_.max_chain == 0 || hops_ < p_.max_chain)
      return false;
    Decision("bound", at);
    if (explain_)
      Rule("profile max_chain",
           fmt::format(" {} (past_bound omit): the alias at {} is past the engine's bound: the "
                       "answer ends before it",
                       p_.max_chain, at.ToString()));
    return true;
  }

  // Whether to go on to a CNAME target (RFC 1034 §4.3.2 step 3.a, to the profile's bound).
  bool Follow(const Name& target) {
    if (!p_.follow_chains) {
      r_.signature += "stop|";
      if (explain_) Rule("profile follow_chains", " off: the answer ends at the first alias");
      return false;
    }
    if (!target.IsSubdomainOf(z_.origin())) {
      r_.signature += "out|";
      if (explain_)
        Rule("RFC 1034 §4.3.2 step 3.a",
             fmt::format(": the target {} is outside the zone: the answer ends there",
                         target.ToString()));
      return false;
    }
    if (std::find(visited_.begin(), visited_.end(), target) != visited_.end()) {
      r_.signature += "loop|";
      looped_ = true;
      if (explain_)
        Rule("RFC 1034 §3.6.2",
             fmt::format(": the chain loops back to {}: it ends there", target.ToString()));
      return false;
    }
    if (p_.max_chain > 0 && hops_ >= p_.max_chain) {
      r_.signature += "bound|";
      past_bound_ = true;
      if (explain_) {
        Rule("profile max_chain",
             fmt::format(" {}: the engine follows no more aliases; the chain ends at {}",
                         p_.max_chain, target.ToString()));
      }
      return false;
    }
    if (hops_ >= kSafetyHops) {
      // Without a bound a chain ends, loops or outgrows 255 octets; a zone can still make one
      // longer than any engine follows, so the specification stops somewhere too.
      r_.signature += "cap|";
      if (explain_) {
        Rule("profile max_chain",
             fmt::format(" 0 (no bound): the specification stops after {} aliases; the chain "
                         "ends at {}",
                         kSafetyHops, target.ToString()));
      }
      return false;
    }
    visited_.push_back(target);
    ++hops_;
    return true;
  }

  // The A and AAAA records at `name` in the zone's data (authoritative data or glue: callers
  // decide which they may use). True when any was added.
  bool Addresses(const Name& name, std::vector<ResourceRecord>* section) {
    if (!name.IsSubdomainOf(z_.origin())) return false;
    const ZoneNode* node = z_.Find(name);
    return node && AddressesAt(*node, name, section);
  }

  // The A and AAAA RRsets of `node`, owned by `name` (a wildcard's stand for the name).
  bool AddressesAt(const ZoneNode& node, const Name& name, std::vector<ResourceRecord>* section) {
    bool added = false;
    for (uint16_t t : {rt::A, rt::AAAA}) {
      const auto* rrs = node.Find(t);
      // An RRset the answer already holds is not repeated (RFC 2181 §5: a response carries an
      // RRset whole and once).
      if (!rrs || std::any_of(r_.answer.begin(), r_.answer.end(), [&](const ResourceRecord& a) {
            return a.type == t && a.owner == name;
          })) {
        continue;
      }
      AddSet(section, *rrs, &name);
      added = true;
    }
    return added;
  }

  // RFC 1034 §4.3.2 step 6 (and RFC 2782 for SRV): addresses of the targets of NS, MX and SRV
  // records in the answer, from authoritative data.
  Response Finish() {
    if (looped_ && p_.cname_loop != Profile::Loop::kChain) {
      r_.rcode = dns::rcode::SERVFAIL;
      if (p_.cname_loop == Profile::Loop::kServfail) r_.answer.clear();
      if (explain_) Rule("profile cname_loop", ": a looping chain is answered SERVFAIL");
      return r_;
    }
    if (past_bound_ && (p_.past_bound == Profile::PastBound::kServfailWithChain ||
                        p_.past_bound == Profile::PastBound::kServfail)) {
      r_.rcode = dns::rcode::SERVFAIL;
      if (p_.past_bound == Profile::PastBound::kServfail) r_.answer.clear();
      if (explain_) Rule("profile max_chain", " (past_bound): a chain past the bound is SERVFAIL");
      return r_;
    }
    const bool from_dname =
        std::any_of(r_.answer.begin(), r_.answer.end(),
                    [](const ResourceRecord& rr) { return rr.type == rt::DNAME; });
    const bool apex_ns = positive_ && p_.apex_ns_in_positive_answers &&
                         !(from_dname && qtype_ == rt::CNAME && p_.apex_ns_skips_synthesized_cname);
    if (apex_ns) {
      const auto* ns = z_.Find(z_.origin())->Find(rt::NS);
      // Not when the answer holds it already (an NS or ANY query at the apex, RFC 2181 §5).
      const bool answer_is_apex_ns = std::any_of(
          r_.answer.begin(), r_.answer.end(),
          [&](const ResourceRecord& rr) { return rr.type == rt::NS && rr.owner == z_.origin(); });
      if (ns && !answer_is_apex_ns) {
        AddSet(&r_.authority, *ns);
        if (explain_)
          Rule("profile apex_ns_in_positive_answers",
               ": the apex NS RRset in authority (RFC 1034 §6.2)");
      }
    }
    if (p_.additional_for_answers && r_.aa && (qtype_ != rt::ANY || p_.additional_for_any)) {
      std::vector<const ResourceRecord*> sources;
      for (const auto& rr : r_.answer) sources.push_back(&rr);
      if (apex_ns) {
        for (const auto& rr : r_.authority) sources.push_back(&rr);
      }
      std::vector<Name> targets;
      for (const ResourceRecord* rr : sources) {
        if (rr->type == rt::NS || rr->type == rt::MX ||
            (rr->type == rt::SRV && p_.additional_for_srv)) {
          targets.push_back(*dns::TargetName(*rr));
        }
      }
      for (const Name& t : targets) {
        if (!t.IsSubdomainOf(z_.origin())) continue;
        const Walk w = WalkTo(z_, t);
        if (w.kind == Walk::kExact || (w.kind == Walk::kCut && p_.additional_from_glue)) {
          if (Addresses(t, &r_.additional)) {
            if (explain_)
              Rule("RFC 1034 §4.3.2 step 6",
                   fmt::format(": addresses of {} in additional", t.ToString()));
          }
        } else if (w.kind == Walk::kNotFound && HasWildcard(w.at)) {
          // RFC 4592 §3.3.1: a missing name takes the wildcard's data in any lookup, the
          // additional section's included.
          const ZoneNode* wild = z_.Find(*w.at.Prepend("*"));
          if (AddressesAt(*wild, t, &r_.additional)) {
            if (explain_)
              Rule(
                  "RFC 1034 §4.3.2 step 6",
                  fmt::format(" / RFC 4592 §3.3.1: addresses of {} from the wildcard in additional",
                              t.ToString()));
          }
        }
      }
    }
    return r_;
  }

  const ZoneIndex& z_;
  const Profile& p_;
  const bool explain_;  // write the rules (the signature is always kept)
  Response r_;
  uint16_t qtype_ = 0;
  bool positive_ = false;
  bool looped_ = false;
  bool past_bound_ = false;  // Follow stopped at the profile's bound
  // Aliases followed before the specification gives up on an unbounded chain.
  static constexpr int kSafetyHops = 4096;
  int hops_ = 0;               // aliases followed
  std::vector<Name> visited_;  // the names the chain has reached, the query name first
};

void AppendSection(std::string* out, const char* title, const std::vector<ResourceRecord>& rrs) {
  if (rrs.empty()) return;
  *out += fmt::format("\n;; {} SECTION:\n", title);
  for (const ResourceRecord& rr : rrs) {
    *out += dns::RecordToString(rr);
    *out += '\n';
  }
}

}  // namespace

Response Lookup(const ZoneIndex& zone, const dns::Question& question, const Profile& profile,
                bool explain) {
  return Resolver(zone, profile, explain).Run(question);
}

std::string ResponseToText(const dns::Question& q, const Response& r) {
  std::string out = fmt::format(
      ";; status: {}, flags: qr{}; ANSWER: {}, AUTHORITY: {}, "
      "ADDITIONAL: {}\n\n;; QUESTION SECTION:\n;{} IN {}\n",
      dns::RcodeName(r.rcode), r.aa ? " aa" : "", r.answer.size(), r.authority.size(),
      r.additional.size(), q.name.ToString(), dns::TypeName(q.type));
  AppendSection(&out, "ANSWER", r.answer);
  AppendSection(&out, "AUTHORITY", r.authority);
  AppendSection(&out, "ADDITIONAL", r.additional);
  return out;
}

std::vector<std::string> RuleTexts(const std::vector<SpecRule>& rules) {
  std::vector<std::string> out;
  out.reserve(rules.size());
  for (const SpecRule& r : rules) out.push_back(r.text);
  return out;
}

}  // namespace llms::iceberg
