// Random zone generation (see zone_generator.h). Structure first (a tree of names, so interior
// names without data become empty non-terminals), then one role per name: leaves may become
// delegations (with glue below them) or DNAME owners, since nothing else may live below those;
// any non-wildcard name may become an alias or hold data. Only integer operations on the
// generator's output, so a seed means the same zone everywhere.
#include "iceberg/zone_generator.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <random>

namespace llms::iceberg {
namespace {

namespace rt = dns::rrtype;
using dns::Name;
using dns::ResourceRecord;

class Generator {
 public:
  Generator(uint64_t seed, const GeneratorOptions& o) : rng_(seed), o_(o) {}

  dns::Zone Run() {
    zone_.origin = o_.origin;
    const Name ns1 = Sub("ns1", o_.origin);
    Add(o_.origin, rt::SOA, dns::SoaData{ns1, Sub("admin", o_.origin), 1, 3600, 600, 86400, 300});
    Add(o_.origin, rt::NS, dns::NameData{ns1});
    if (Chance(30)) Add(o_.origin, rt::NS, dns::NameData{*Name::Parse("ns.example.net.")});
    Add(ns1, rt::A, dns::AData{{192, 0, 2, 1}});
    if (Chance(30)) Add(o_.origin, rt::MX, dns::MxData{10, ns1});
    BuildTree();
    for (const auto& [name, has_children] : tree_) {
      if (name == o_.origin) continue;
      AssignRole(name, has_children);
    }
    return zone_;
  }

 private:
  bool Chance(int percent) { return static_cast<int>(rng_() % 100) < percent; }
  size_t Pick(size_t n) { return static_cast<size_t>(rng_() % n); }

  static Name Sub(const std::string& label, const Name& parent) { return *parent.Prepend(label); }

  void Add(const Name& owner, uint16_t type, dns::Rdata rdata) {
    ResourceRecord rr;
    rr.owner = owner;
    rr.type = type;
    rr.ttl = 300;
    rr.rdata = std::move(rdata);
    zone_.records.push_back(std::move(rr));
  }

  void BuildTree() {
    static const char* const kLabels[] = {"a",   "b",    "c",   "w", "x",
                                          "www", "mail", "sub", "*", "_tcp"};
    tree_[o_.origin] = false;
    names_.push_back(o_.origin);
    for (int i = 0; i < o_.names; ++i) {
      const Name parent = names_[Pick(names_.size())];
      if (parent.label_count() >= o_.origin.label_count() + 4) continue;
      // Large zones need more labels than the small alphabet.
      const std::string label = o_.names > 50 && Chance(70)
                                    ? fmt::format("h{}", Pick(static_cast<size_t>(o_.names)))
                                    : std::string(kLabels[Pick(std::size(kLabels))]);
      auto child = parent.Prepend(label);
      if (!child.ok() || tree_.count(*child) || *child == Sub("ns1", o_.origin)) continue;
      tree_[*child] = false;
      tree_[parent] = true;
      names_.push_back(*child);
    }
  }

  static bool HasStar(const Name& name) {
    const auto& labels = name.labels();
    return std::find(labels.begin(), labels.end(), "*") != labels.end();
  }

  // A name of the tree for a target: without a '*' label unless the options allow one (the apex
  // has none, so a few draws find one).
  Name TreeTarget() {
    for (int attempt = 0; attempt < 64; ++attempt) {
      const Name& n = names_[Pick(names_.size())];
      if (o_.star_in_targets || !HasStar(n)) return n;
    }
    return o_.origin;
  }

  // A name for a target: one of the tree (existing or not after roles), a missing one, or one
  // outside the zone.
  Name Target() {
    const int roll = static_cast<int>(Pick(100));
    if (roll < 65) return TreeTarget();
    if (roll < 80) return Sub("nothere", TreeTarget());
    if (roll < 90) return Sub("ns1", o_.origin);
    return *Name::Parse("www.example.org.");
  }

  void AssignRole(const Name& name, bool has_children) {
    const bool wildcard = name.IsWildcard();
    const int roll = static_cast<int>(Pick(100));
    // A delegation's NS target lies below its cut: no cut below a '*' when targets may not hold
    // one.
    const bool may_delegate = o_.star_in_targets || !HasStar(name);
    if (!has_children && !wildcard && may_delegate && roll < 12) return Delegation(name);
    if (!has_children && !wildcard && roll < 22) return Dname(name);
    if (roll < 38) return Add(name, rt::CNAME, dns::NameData{Target()});
    if (has_children && roll < 60) return;  // an empty non-terminal
    Data(name);
  }

  void Delegation(const Name& cut) {
    const Name ns = Sub("ns", cut);
    Add(cut, rt::NS, dns::NameData{ns});
    if (Chance(40)) Add(cut, rt::NS, dns::NameData{Sub("ns1", o_.origin)});
    if (Chance(30)) Add(cut, rt::NS, dns::NameData{*Name::Parse("ns.example.net.")});
    Add(ns, rt::A, dns::AData{{192, 0, 2, static_cast<uint8_t>(10 + Pick(200))}});
    if (Chance(30)) {
      Add(ns, rt::AAAA,
          dns::AaaaData{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                         static_cast<uint8_t>(Pick(256))}});
    }
  }

  void Dname(const Name& owner) {
    const int roll = static_cast<int>(Pick(100));
    Name target;
    if (roll < 55) {
      target = TreeTarget();  // into the zone (possibly onto its own subtree)
    } else if (roll < 80) {
      target = *Name::Parse("example.net.");
    } else {
      // A long target: long query names below the owner overflow 255 octets (YXDOMAIN).
      target = *Name::FromLabels({std::string(60, 'l'), std::string(60, 'm'), "t"});
      target = *Name::FromLabels([&] {
        auto labels = target.labels();
        labels.insert(labels.end(), o_.origin.labels().begin(), o_.origin.labels().end());
        return labels;
      }());
    }
    Add(owner, rt::DNAME, dns::NameData{target});
  }

  void Data(const Name& name) {
    const int kinds = 1 + static_cast<int>(Pick(3));
    for (int k = 0; k < kinds; ++k) {
      switch (Pick(5)) {
        case 0:
          Add(name, rt::A, dns::AData{{192, 0, 2, static_cast<uint8_t>(Pick(256))}});
          break;
        case 1:
          Add(name, rt::AAAA,
              dns::AaaaData{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                             static_cast<uint8_t>(Pick(256))}});
          break;
        case 2:
          Add(name, rt::TXT, dns::TxtData{{fmt::format("t{}", Pick(1000))}});
          break;
        case 3:
          Add(name, rt::MX, dns::MxData{static_cast<uint16_t>(10 * (1 + Pick(3))), Target()});
          break;
        default:
          Add(name, rt::SRV, dns::SrvData{0, static_cast<uint16_t>(Pick(10)), 443, Target()});
      }
    }
  }

  std::mt19937_64 rng_;
  const GeneratorOptions& o_;
  dns::Zone zone_;
  std::map<Name, bool> tree_;  // name -> has children
  std::vector<Name> names_;    // in creation order
};

}  // namespace

dns::Zone GenerateZone(uint64_t seed, const GeneratorOptions& options) {
  return Generator(seed, options).Run();
}

}  // namespace llms::iceberg
