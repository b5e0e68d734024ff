// Tests of the query equivalence classes: on zones with every construct the specification treats
// specially (wildcards, empty non-terminals, CNAME chains and loops, delegations, DNAME into the
// zone, out of it, onto itself, and to a long target), random queries of any length each fall in
// a class, and their answers equal their representative's once the free labels are replaced.
#include "iceberg/classes.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "dns/zone_parser.h"
#include "iceberg/test_zones.h"

namespace llms::iceberg {
namespace {

ZoneIndex Index() {
  const Name origin = *Name::Parse("example.");
  auto zone = dns::ParseZone(ZoneFile("mixed.zone"), origin, "mixed.zone");
  EXPECT_TRUE(zone.ok()) << zone.message();
  return ZoneIndex(origin, zone.ok() ? zone->records : std::vector<ResourceRecord>{});
}

TEST(ClassesTest, EveryKindOfAnswerHasAClass) {
  const ZoneIndex z = Index();
  const std::vector<QueryClass> classes = Classes(z);
  std::set<std::string> signatures;
  for (const auto& c : classes) EXPECT_TRUE(signatures.insert(c.signature).second);
  auto has = [&](const std::string& part) {
    return std::any_of(classes.begin(), classes.end(), [&](const QueryClass& c) {
      return c.signature.find(part) != std::string::npos;
    });
  };
  for (const char* part : {"refused|", "cut:", "wildcard:", "nxdomain:", "nodata:", "cname:",
                           "dname:", "dname-yx:", "loop|", "out|", "bound|", "MX:", "SRV:"}) {
    EXPECT_TRUE(has(part)) << part;
  }
  // Finite and small: a few per node and type.
  EXPECT_LT(classes.size(), 600u);
}

// Random query names: random labels (existing ones, "*", fresh ones of any length) on top of
// random nodes, any type. Each must share a signature with a class, and the same answer.
TEST(ClassesTest, RandomQueriesAnswerLikeTheirRepresentative) {
  const ZoneIndex z = Index();
  const std::vector<QueryClass> classes = Classes(z);
  std::map<std::string, const QueryClass*> by_signature;
  for (const auto& c : classes) by_signature[c.signature] = &c;
  std::vector<Name> nodes;
  std::vector<std::string> labels{"*", "h", "t", "w", "www", "s", "b", "c", "_tcp", "WWW", "d"};
  for (const auto& [name, node] : z.nodes()) nodes.push_back(name);
  const std::vector<uint16_t> types{1, 2, 5, 6, 15, 16, 28, 33, 39, 12, 99, 65280};
  std::mt19937 rng(7);
  int checked = 0;
  std::map<std::string, int> kinds;  // how often the random queries met each decision
  for (int i = 0; i < 20000; ++i) {
    std::vector<std::string> prefix;
    const int extra = static_cast<int>(rng() % 5);
    for (int k = 0; k < extra; ++k) {
      if (rng() % 2) {
        prefix.push_back(labels[rng() % labels.size()]);
      } else {
        prefix.push_back(std::string(1 + rng() % 63, static_cast<char>('a' + rng() % 26)));
      }
    }
    std::vector<std::string> all = prefix;
    const Name& base = nodes[rng() % nodes.size()];
    all.insert(all.end(), base.labels().begin(), base.labels().end());
    auto name = Name::FromLabels(all);
    if (!name.ok()) continue;
    dns::Question q;
    q.name = *name;
    q.type = types[rng() % types.size()];
    const Response r = Lookup(z, q);
    auto it = by_signature.find(r.signature);
    ASSERT_NE(it, by_signature.end()) << "no class for " << q.name.ToString() << " "
                                      << dns::TypeName(q.type) << ": " << r.signature;
    const Response rep = Lookup(z, it->second->query);
    ASSERT_EQ(CanonicalText(r), TransposedText(rep, it->second->query.name, q.name, r.free_labels))
        << q.name.ToString() << " vs " << it->second->query.name.ToString();
    ++checked;
    for (const char* k : {"dname:", "dname-yx:", "wildcard:", "cut:", "bound|", "nxdomain:"}) {
      kinds[k] += r.signature.find(k) != std::string::npos;
    }
  }
  EXPECT_GT(checked, 15000);
  for (const auto& [kind, n] : kinds) EXPECT_GT(n, 20) << kind;
}

}  // namespace
}  // namespace llms::iceberg
