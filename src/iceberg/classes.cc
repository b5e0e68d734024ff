// Query equivalence classes: candidate queries from the zone's structure, deduplicated by the
// specification's signature (see classes.h for why the set is complete).
#include "iceberg/classes.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <unordered_set>

namespace llms::iceberg {
namespace {

namespace rt = dns::rrtype;
using Labels = std::vector<std::string>;

// How many DNAME substitutions deep the candidates go under a profile without a chain bound.
// Deeper chains that consume the query's own labels get no class of their own (classes.h).
constexpr int kUnboundedChainDepth = 12;

// A label that names no child of `base` ("iceberg-q", or with a number when that exists).
std::string FreshLabel(const ZoneIndex& z, const Name& base) {
  for (int i = 0;; ++i) {
    const std::string label = i == 0 ? std::string("iceberg-q") : fmt::format("iceberg-q{}", i);
    auto child = base.Prepend(label);
    if (!child.ok() || !z.Find(*child)) return label;
  }
}

Labels Concat(const Labels& a, const Labels& b) {
  Labels out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// Label prefixes p (leftmost first, non-empty) such that the names p + base cover every node
// strictly below `base`, a missing name under `base` and under each such node, and, below DNAME
// owners, the prefixes relative to their targets (to `depth` substitutions).
size_t Octets(const Labels& labels) {
  size_t n = 0;
  for (const std::string& l : labels) n += l.size() + 1;
  return n;
}

// `budget`: the wire octets the prefixes may take (names beyond 255 octets do not exist, and
// DNAMEs pointing at their own ancestors would otherwise multiply the candidates at every level).
void Relative(const ZoneIndex& z, const Name& base, int depth, size_t budget,
              std::set<Labels>* out) {
  const Labels fresh{FreshLabel(z, base)};
  if (Octets(fresh) <= budget) out->insert(fresh);
  const auto& nodes = z.nodes();
  for (auto it = nodes.upper_bound(base); it != nodes.end() && it->first.IsSubdomainOf(base);
       ++it) {
    const Name& m = it->first;
    const Labels rel(
        m.labels().begin(),
        m.labels().begin() + static_cast<std::ptrdiff_t>(m.label_count() - base.label_count()));
    const size_t used = Octets(rel);
    if (used > budget) continue;
    out->insert(rel);
    Labels below_m = Concat({FreshLabel(z, m)}, rel);
    if (Octets(below_m) <= budget) out->insert(std::move(below_m));
    const auto* dname = it->second.Find(rt::DNAME);
    if (dname && depth > 0 && budget - used >= 2) {
      const Name target = *dns::TargetName(dname->front());
      if (!target.IsSubdomainOf(z.origin())) continue;
      std::set<Labels> below;
      Relative(z, target, depth - 1, budget - used, &below);
      for (const Labels& q : below) out->insert(Concat(q, rel));
    }
  }
}

// Free labels of exactly `octets` wire octets (each label costs its length + 1) to put below
// `base`, the one next to `base` naming no node; nothing when that is impossible (1 octet).
std::optional<Labels> FreeLabels(const ZoneIndex& z, const Name& base, size_t octets) {
  if (octets < 2) return std::nullopt;
  Labels out;
  while (octets > 0) {
    size_t take = std::min<size_t>(octets, 64);
    if (octets - take == 1) --take;  // never leave a single octet
    out.push_back(std::string(take - 1, 'p'));
    octets -= take;
  }
  for (char c = 'p'; c <= 'z'; ++c) {
    out.back().assign(out.back().size(), c);
    auto child = base.Prepend(out.back());
    if (!child.ok() || !z.Find(*child)) return out;
  }
  return std::nullopt;
}

// The query-name lengths around each point where a DNAME substitution in `r` would start to
// exceed 255 octets. Each synthesized CNAME is one substitution (a DNAME met again, as one
// pointing below itself is, appears once in the answer but substitutes every time).
std::vector<size_t> OverflowLengths(const Response& r) {
  std::vector<const ResourceRecord*> dnames;
  std::vector<size_t> lengths;
  long delta = 0;
  for (const ResourceRecord& rr : r.answer) {
    if (rr.type == rt::DNAME) dnames.push_back(&rr);
    if (rr.type != rt::CNAME) continue;
    const Name target = *dns::TargetName(rr);
    const bool synthesized = std::any_of(dnames.begin(), dnames.end(), [&](const auto* d) {
      return rr.owner.IsSubdomainOf(d->owner) && !(rr.owner == d->owner) &&
             target.IsSubdomainOf(*dns::TargetName(*d));
    });
    if (!synthesized) continue;
    delta += static_cast<long>(target.wire_length()) - static_cast<long>(rr.owner.wire_length());
    const long fits = static_cast<long>(dns::kMaxNameLength) - delta;
    for (long l : {fits, fits + 1}) {
      if (l > 0 && l <= static_cast<long>(dns::kMaxNameLength)) {
        lengths.push_back(static_cast<size_t>(l));
      }
    }
  }
  std::sort(lengths.begin(), lengths.end());
  lengths.erase(std::unique(lengths.begin(), lengths.end()), lengths.end());
  return lengths;
}

// Whether the answer followed or ended at an alias (a CNAME or a DNAME).
bool MetAlias(const Response& r) {
  // The signature is a sequence of "decision:node|" or "decision|" tokens.
  std::string_view rest = r.signature;
  while (!rest.empty()) {
    const size_t bar = rest.find('|');
    const std::string_view token = rest.substr(0, bar);
    if (token.starts_with("cname:") || token.starts_with("dname:") ||
        token.starts_with("dname-yx:")) {
      return true;
    }
    if (bar == std::string_view::npos) break;
    rest.remove_prefix(bar + 1);
  }
  return false;
}

// A query type with no RRset anywhere in the zone (its answers stand for every such type).
uint16_t AbsentType(const ZoneIndex& z) {
  std::set<uint16_t> present;
  for (const auto& [name, node] : z.nodes()) {
    for (const auto& [type, rrs] : node.rrsets) present.insert(type);
  }
  for (uint16_t t : {rt::TXT, rt::A, rt::AAAA, rt::MX, rt::PTR, rt::SRV}) {
    if (!present.count(t)) return t;
  }
  return 65280;  // private use (RFC 6895 §3.1)
}

}  // namespace

std::vector<uint16_t> FormTypes(const ZoneIndex& zone) {
  std::set<uint16_t> types{rt::SOA, rt::NS, rt::CNAME, rt::DNAME, rt::ANY};
  for (const auto& [name, node] : zone.nodes()) {
    for (const auto& [type, rrs] : node.rrsets) types.insert(type);
  }
  return {types.begin(), types.end()};
}

std::string ClassKey(const Response& response, uint16_t qtype,
                     const std::vector<uint16_t>& form_types) {
  if (MetAlias(response) || !std::binary_search(form_types.begin(), form_types.end(), qtype)) {
    return response.signature;
  }
  return fmt::format("{}#{}", response.signature, qtype);
}

std::vector<QueryClass> Classes(const ZoneIndex& zone, const Profile& profile) {
  std::set<Labels> prefixes;
  Relative(zone, zone.origin(), profile.max_chain > 0 ? profile.max_chain : kUnboundedChainDepth,
           dns::kMaxNameLength - zone.origin().wire_length(), &prefixes);
  std::vector<Name> names{zone.origin()};
  for (const Labels& p : prefixes) {
    auto n = Name::FromLabels(Concat(p, zone.origin().labels()));
    if (n.ok()) names.push_back(*n);
  }
  if (!zone.origin().is_root()) {
    names.push_back(*Name::FromLabels({"iceberg-outside-the-zone"}));
  }

  const std::vector<uint16_t> form_types = FormTypes(zone);
  std::vector<QueryClass> classes;
  std::unordered_set<std::string> seen;
  auto consider = [&](const Name& name, uint16_t type) -> Response {
    dns::Question q;
    q.name = name;
    q.type = type;
    Response r = Lookup(zone, q, profile, /*explain=*/false);
    std::string key = ClassKey(r, type, form_types);
    if (seen.insert(key).second) classes.push_back({q, r.signature, std::move(key)});
    return r;
  };
  // Per name: a type present nowhere first; the answer then names the types that could change
  // it (those at the node it was decided at), and CNAME and ANY. Where no alias was met, every
  // type of the zone and SOA, NS and DNAME too: the specification answers them alike, but an
  // engine may not (an SOA query at a missing name is where BIND's answer differs).
  const uint16_t absent = AbsentType(zone);
  for (const Name& name : names) {
    std::vector<uint16_t> asked{absent};
    for (size_t i = 0; i < asked.size(); ++i) {
      const uint16_t type = asked[i];
      const Response r = consider(name, type);
      if (i == 0) {
        for (uint16_t t : r.decisive_types) {
          if (t != absent) asked.push_back(t);
        }
        const std::vector<uint16_t> more =
            MetAlias(r) ? std::vector<uint16_t>{rt::CNAME, rt::ANY} : form_types;
        for (uint16_t t : more) {
          if (std::find(asked.begin(), asked.end(), t) == asked.end()) asked.push_back(t);
        }
        // DS at a cut is answered from the parent side (RFC 4035 §3.1.4.1), not referred.
        if (zone.IsCut(name) && std::find(asked.begin(), asked.end(), rt::DS) == asked.end()) {
          asked.push_back(rt::DS);
        }
      }
      // Names through the same DNAMEs with free labels of other lengths: one at each length where
      // one more substitution starts to overflow, and one octet below.
      if (r.free_labels == 0) continue;
      // The shortest such name substitutes most often before it overflows: its chain shows
      // every boundary.
      const Name base = name.Suffix(name.label_count() - r.free_labels);
      auto one = FreeLabels(zone, base, 2);
      auto shortest = one ? Name::FromLabels(Concat(*one, base.labels())) : Result<Name>(name);
      const Response longest = shortest.ok() ? consider(*shortest, type) : r;
      for (size_t length : OverflowLengths(longest)) {
        if (length <= base.wire_length()) continue;
        auto free = FreeLabels(zone, base, length - base.wire_length());
        if (!free) continue;
        auto padded = Name::FromLabels(Concat(*free, base.labels()));
        if (padded.ok()) consider(*padded, type);
      }
    }
  }
  return classes;
}

namespace {

// Canonical text of `r`; names starting with `from` start with `to` instead.
std::string Text(const Response& r, const Labels& from, const Labels& to) {
  auto name = [&](const Name& n) {
    std::vector<std::string> labels = n.labels();
    bool match = !from.empty() && labels.size() >= from.size();
    for (size_t i = 0; match && i < from.size(); ++i) {
      match = dns::AsciiLower(labels[i]) == dns::AsciiLower(from[i]);
    }
    if (match) {
      labels.erase(labels.begin(), labels.begin() + static_cast<std::ptrdiff_t>(from.size()));
      labels.insert(labels.begin(), to.begin(), to.end());
    }
    std::string out;
    for (const std::string& l : labels) out += dns::EscapeLabel(dns::AsciiLower(l)) + ".";
    return out.empty() ? std::string(".") : out;
  };
  std::string out = fmt::format("{} aa={}\n", dns::RcodeName(r.rcode), r.aa);
  for (const auto* section : {&r.answer, &r.authority, &r.additional}) {
    std::vector<std::string> lines;
    for (const ResourceRecord& rr : *section) {
      std::string rdata = dns::RdataToString(rr);
      if (auto target = dns::TargetName(rr)) {
        const std::string t = target->ToString();
        rdata.replace(rdata.rfind(t), t.size(), name(*target));
      }
      lines.push_back(
          fmt::format("{} {} {} {}", name(rr.owner), rr.ttl, dns::TypeName(rr.type), rdata));
    }
    std::sort(lines.begin(), lines.end());
    for (const std::string& l : lines) out += l + "\n";
    out += "--\n";
  }
  return out;
}

Labels FirstLabels(const Name& n, size_t count) {
  count = std::min(count, n.label_count());
  return Labels(n.labels().begin(), n.labels().begin() + static_cast<std::ptrdiff_t>(count));
}

}  // namespace

std::string CanonicalText(const Response& response) {
  return Text(response, {}, {});
}

std::string TransposedText(const Response& rep, const Name& rep_query, const Name& query,
                           size_t query_free_labels) {
  return Text(rep, FirstLabels(rep_query, rep.free_labels), FirstLabels(query, query_free_labels));
}

}  // namespace llms::iceberg
