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
#include "iceberg/engine.h"
#include "iceberg/test_zones.h"
#include "iceberg/zone_generator.h"

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
  std::set<std::string> keys;
  for (const auto& c : classes) EXPECT_TRUE(keys.insert(c.key).second);
  auto has = [&](const std::string& part) {
    return std::any_of(classes.begin(), classes.end(), [&](const QueryClass& c) {
      return c.signature.find(part) != std::string::npos;
    });
  };
  for (const char* part : {"refused|", "cut:", "wildcard:", "nxdomain:", "nodata:", "cname:",
                           "dname:", "dname-yx:", "loop|", "out|", "MX:", "SRV:"}) {
    EXPECT_TRUE(has(part)) << part;
  }
  // Without a chain bound nothing is cut; with one, chains are.
  EXPECT_FALSE(has("bound"));
  Profile bounded;
  bounded.max_chain = 2;
  for (auto past : {Profile::PastBound::kCut, Profile::PastBound::kOmit}) {
    bounded.past_bound = past;
    const std::vector<QueryClass> cut = Classes(z, bounded);
    EXPECT_TRUE(std::any_of(cut.begin(), cut.end(), [](const QueryClass& c) {
      return c.signature.find("bound") != std::string::npos;
    }));
  }
  // The form-giving types are asked at a missing name (BIND's SOA at TTL 0 hides there).
  for (uint16_t type : {dns::rrtype::SOA, dns::rrtype::NS, dns::rrtype::DNAME, dns::rrtype::MX}) {
    EXPECT_TRUE(std::any_of(classes.begin(), classes.end(), [&](const QueryClass& c) {
      return c.query.type == type && c.signature.rfind("nxdomain:", 0) == 0;
    })) << dns::TypeName(type);
  }
  // Finite and small: a few per node and type.
  EXPECT_LT(classes.size(), 600u);
}

// Random query names: random labels (existing ones, "*", fresh ones of any length) on top of
// random nodes of `z`, any type (ANY included). Each must share a signature with a class of `z`
// under `profile`, and the same answer. Returns how often the queries met each decision.
std::map<std::string, int> ExpectRandomQueriesAnswerLikeTheirRepresentative(const ZoneIndex& z,
                                                                            const Profile& profile,
                                                                            int queries,
                                                                            uint32_t seed) {
  const std::vector<QueryClass> classes = Classes(z, profile);
  const std::vector<uint16_t> form_types = FormTypes(z);
  std::map<std::string, const QueryClass*> by_key;
  for (const auto& c : classes) by_key[c.key] = &c;
  std::vector<Name> nodes;
  std::vector<std::string> labels{"*", "h", "t", "w", "www", "s", "b", "c", "_tcp", "WWW", "d"};
  for (const auto& [name, node] : z.nodes()) {
    nodes.push_back(name);
    if (name.label_count() > z.origin().label_count()) labels.push_back(name.labels().front());
  }
  const std::vector<uint16_t> types{1, 2, 5, 6, 15, 16, 28, 33, 39, 12, 99, 255, 65280};
  std::mt19937 rng(seed);
  int checked = 0;
  std::map<std::string, int> kinds;
  for (int i = 0; i < queries; ++i) {
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
    const Response r = Lookup(z, q, profile);
    auto it = by_key.find(ClassKey(r, q.type, form_types));
    if (it == by_key.end()) {
      ADD_FAILURE() << "no class for " << q.name.ToString() << " " << dns::TypeName(q.type) << ": "
                    << ClassKey(r, q.type, form_types);
      return kinds;
    }
    // The representative, or a query of its class whose free labels are unique (digits, of
    // the same lengths), so that transposing them cannot touch a zone name that happens to
    // start with the same labels.
    dns::Question rep_query = it->second->query;
    Response rep = Lookup(z, rep_query, profile);
    std::vector<std::string> unique = rep_query.name.labels();
    for (size_t k = 0; k < rep.free_labels; ++k) unique[k] = std::string(unique[k].size(), '7');
    dns::Question unique_query = rep_query;
    unique_query.name = *Name::FromLabels(unique);
    if (Response u = Lookup(z, unique_query, profile); u.signature == rep.signature) {
      rep = std::move(u);
      rep_query = unique_query;
    }
    if (CanonicalText(r) != TransposedText(rep, rep_query.name, q.name, r.free_labels)) {
      ADD_FAILURE() << q.name.ToString() << " " << dns::TypeName(q.type) << " answers unlike "
                    << it->second->query.name.ToString();
      return kinds;
    }
    ++checked;
    for (const char* k :
         {"dname:", "dname-yx:", "wildcard:", "cut:", "nxdomain:", "any:", "any-alias|"}) {
      kinds[k] += r.signature.find(k) != std::string::npos;
    }
  }
  EXPECT_GT(checked, queries * 3 / 4);
  return kinds;
}

TEST(ClassesTest, RandomQueriesAnswerLikeTheirRepresentative) {
  const auto kinds = ExpectRandomQueriesAnswerLikeTheirRepresentative(Index(), Profile(), 20000, 7);
  for (const auto& [kind, n] : kinds) EXPECT_GT(n, 20) << kind;
}

// The same under each engine's profile (the ones `iceberg check` uses): shorter chains, chains
// not followed, the apex NS in authority, ANY following aliases.
TEST(ClassesTest, RandomQueriesAnswerLikeTheirRepresentativeUnderEveryEngineProfile) {
  const ZoneIndex z = Index();
  for (const std::string& engine : EngineNames()) {
    SCOPED_TRACE(engine);
    ExpectRandomQueriesAnswerLikeTheirRepresentative(z, EngineProfile(engine), 4000, 11);
  }
}

// And on generated zones (delegations, wildcards, DNAME, chains, empty non-terminals).
TEST(ClassesTest, RandomQueriesAnswerLikeTheirRepresentativeOnGeneratedZones) {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    SCOPED_TRACE(seed);
    const dns::Zone zone = GenerateZone(seed);
    ExpectRandomQueriesAnswerLikeTheirRepresentative(ZoneIndex(zone.origin, zone.records),
                                                     Profile(), 3000, 13);
  }
}

}  // namespace
}  // namespace llms::iceberg
