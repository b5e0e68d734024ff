// Campaigns over generated zones (see campaign.h).
#include "iceberg/campaign.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "iceberg/classes.h"
#include "iceberg/engine.h"
#include "iceberg/zone_generator.h"

namespace llms::iceberg {

std::string ClauseOf(const std::vector<SpecRule>& rules) {
  return rules.empty() ? "unknown" : rules.back().clause;
}

namespace {

// A zone without some record types, with its index (which refers to the zone beside it).
struct ReducedZone {
  explicit ReducedZone(dns::Zone z) : zone(std::move(z)), index(zone.origin, zone.records) {}
  dns::Zone zone;
  ZoneIndex index;
};

// The discrepancy `engine` shows on `zone` for `query`, if any.
std::optional<Discrepancy> Reproduce(const std::string& engine, const dns::Zone& zone,
                                     const dns::Question& query, const std::string& workdir) {
  if (!dns::ValidateZone(zone).ok()) return std::nullopt;
  auto process = EngineProcess::Start(engine, zone, workdir, 5);
  if (!process.ok()) return std::nullopt;
  const ZoneIndex index(zone.origin, zone.records);
  CheckReport r = CheckEngine(index, {{query, "", ""}}, (*process)->port(), EngineProfile(engine));
  if (r.discrepancies.empty()) return std::nullopt;
  return r.discrepancies.front();
}

}  // namespace

dns::Zone MinimizeZone(const std::string& engine, dns::Zone zone, const dns::Question& query,
                       const std::string& fields, const std::string& workdir,
                       Discrepancy* example) {
  for (size_t i = zone.records.size(); i-- > 0;) {
    const ResourceRecord& rr = zone.records[i];
    if (rr.owner == zone.origin && (rr.type == dns::rrtype::SOA || rr.type == dns::rrtype::NS)) {
      continue;
    }
    dns::Zone smaller = zone;
    smaller.records.erase(smaller.records.begin() + static_cast<std::ptrdiff_t>(i));
    auto d = Reproduce(engine, smaller, query, workdir);
    if (d && FieldsText(d->fields) == fields) {
      zone = std::move(smaller);
      *example = std::move(*d);
    }
  }
  return zone;
}

Result<CampaignReport> RunCampaign(const CampaignOptions& o) {
  for (const std::string& e : o.engines) {
    if (std::find(EngineNames().begin(), EngineNames().end(), e) == EngineNames().end()) {
      return Status::Error(
          fmt::format("unknown engine '{}': give any of {}", e, fmt::join(EngineNames(), ", ")));
    }
  }
  const auto start = std::chrono::steady_clock::now();
  const std::string root = o.workdir.empty() ? (std::filesystem::temp_directory_path() /
                                                fmt::format("iceberg-campaign-{}", ::getpid()))
                                                   .string()
                                             : o.workdir;
  CampaignReport report;
  report.zones = o.zones;
  std::map<std::string, FindingGroup> groups;  // key: engine | clause | fields
  std::map<std::string, std::vector<uint64_t>> group_zones;
  GeneratorOptions g;
  g.names = o.names;
  g.star_in_targets = o.star_in_targets;
  for (int i = 0; i < o.zones; ++i) {
    const uint64_t seed = o.seed + static_cast<uint64_t>(i);
    const dns::Zone zone = GenerateZone(seed, g);
    if (Status s = dns::ValidateZone(zone); !s.ok()) {
      return Status::Error(
          fmt::format("generated zone {} is invalid (a generator bug): {}", seed, s.message()));
    }
    const ZoneIndex full_index(zone.origin, zone.records);
    // An engine that cannot load some record types (DNAME) checks the zone without them, built
    // once per set of such types (null when the zone has none of them).
    std::map<std::vector<uint16_t>, std::unique_ptr<const ReducedZone>> reduced_by_types;
    for (const std::string& engine : o.engines) {
      const ReducedZone* reduced = nullptr;
      if (auto unsupported = UnsupportedTypes(engine); !unsupported.empty()) {
        auto [it, fresh] = reduced_by_types.try_emplace(unsupported);
        if (fresh) {
          dns::Zone without = WithoutTypes(zone, unsupported);
          if (without.records.size() != zone.records.size()) {
            it->second = std::make_unique<const ReducedZone>(std::move(without));
          }
        }
        reduced = it->second.get();
        if (reduced) ++report.zones_reduced[engine];
      }
      const dns::Zone& checked = reduced ? reduced->zone : zone;
      const ZoneIndex& index = reduced ? reduced->index : full_index;
      const Profile profile = EngineProfile(engine);
      const auto classes = Classes(index, profile);
      auto process = EngineProcess::Start(engine, checked, root + "/" + engine);
      if (!process.ok()) {
        ++report.zones_refused[engine];
        if (!report.refusal_example.count(engine)) {
          report.refusal_example[engine] =
              fmt::format("zone seed {}: {}", seed, process.message().substr(0, 2000));
        }
        continue;
      }
      report.versions[engine] = (*process)->version();
      CheckReport r = CheckEngine(index, classes, (*process)->port(), profile);
      report.queries[engine] += static_cast<int64_t>(r.queries);
      for (Discrepancy& d : r.discrepancies) {
        if (std::any_of(d.rules.begin(), d.rules.end(),
                        [](const SpecRule& rule) { return rule.clause == "profile max_chain"; })) {
          ++report.chain_bound[engine];
          continue;
        }
        const std::string fields = FieldsText(d.fields);
        const std::string clause = ClauseOf(d.rules);
        const std::string key = engine + "|" + clause + "|" + fields;
        FindingGroup& grp = groups[key];
        auto& zs = group_zones[key];
        if (zs.empty() || zs.back() != seed) zs.push_back(seed);
        ++grp.count;
        // Keep the example from the smallest zone.
        if (grp.count == 1 || checked.records.size() < grp.zone_records) {
          grp.engine = engine;
          grp.clause = clause;
          grp.fields = fields;
          grp.zone_seed = seed;
          grp.zone_records = checked.records.size();
          grp.zone_text = dns::ZoneToText(checked);
          grp.example = std::move(d);
        }
      }
    }
    if (o.progress) o.progress(i + 1, o.zones);
  }
  for (auto& [key, grp] : groups) {
    grp.zones = static_cast<int>(group_zones[key].size());
    if (o.minimize) {
      const dns::Zone small = MinimizeZone(
          grp.engine, WithoutTypes(GenerateZone(grp.zone_seed, g), UnsupportedTypes(grp.engine)),
          grp.example.query, grp.fields, root + "/minimize", &grp.example);
      grp.zone_records = small.records.size();
      grp.zone_text = dns::ZoneToText(small);
    }
    grp.example.reproduce =
        fmt::format("iceberg check --zone zone-{}.db --origin {} --engine {}  # the query: {} {}",
                    grp.zone_seed, g.origin.ToString(), grp.engine,
                    grp.example.query.name.ToString(), dns::TypeName(grp.example.query.type));
    report.findings.push_back(std::move(grp));
  }
  std::filesystem::remove_all(root);
  std::sort(report.findings.begin(), report.findings.end(),
            [](const FindingGroup& a, const FindingGroup& b) {
              return a.engine != b.engine ? a.engine < b.engine : a.count > b.count;
            });
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

std::string CampaignToText(const CampaignReport& r) {
  std::string out = fmt::format("iceberg campaign: {} zones, {:.1f} s\n", r.zones, r.seconds);
  for (const auto& [engine, n] : r.queries) {
    int groups = 0, total = 0;
    for (const FindingGroup& f : r.findings) {
      if (f.engine == engine) {
        ++groups;
        total += f.count;
      }
    }
    const auto refused = r.zones_refused.count(engine) ? r.zones_refused.at(engine) : 0;
    const auto bound = r.chain_bound.count(engine) ? r.chain_bound.at(engine) : 0;
    const auto reduced = r.zones_reduced.count(engine) ? r.zones_reduced.at(engine) : 0;
    out += fmt::format(
        "  {:<6} {}: {} queries, {} discrepancies in {} groups, {} more at the chain bound, {} "
        "zones refused{}\n",
        engine, r.versions.count(engine) ? r.versions.at(engine) : "", n, total, groups, bound,
        refused,
        reduced > 0 ? fmt::format(", {} zones checked without records it cannot load", reduced)
                    : "");
  }
  for (const auto& [engine, why] : r.refusal_example) {
    out += fmt::format("  {} refused a zone, e.g. {}\n", engine, why.substr(0, 300));
  }
  for (const FindingGroup& f : r.findings) {
    out += fmt::format("\n== {} | {} | {} differ: {} discrepancies in {} zones\n", f.engine,
                       f.clause, f.fields, f.count, f.zones);
    out += fmt::format("-- zone (from seed {}, {} records):\n{}", f.zone_seed, f.zone_records,
                       f.zone_text);
    out += fmt::format("-- query: {} {}\n", f.example.query.name.ToString(),
                       dns::TypeName(f.example.query.type));
    out += "-- expected:\n" + f.example.expected + "-- actual:\n" + f.example.actual;
    out += "-- reproduce: " + f.example.reproduce + "\n";
  }
  return out;
}

std::string CampaignToJson(const CampaignReport& r) {
  nlohmann::json j;
  j["zones"] = r.zones;
  j["seconds"] = r.seconds;
  j["versions"] = r.versions;
  j["queries"] = r.queries;
  j["zones_refused"] = r.zones_refused;
  j["zones_reduced"] = r.zones_reduced;
  j["chain_bound"] = r.chain_bound;
  j["refusal_example"] = r.refusal_example;
  j["findings"] = nlohmann::json::array();
  for (const FindingGroup& f : r.findings) {
    j["findings"].push_back({{"engine", f.engine},
                             {"clause", f.clause},
                             {"fields", f.fields},
                             {"count", f.count},
                             {"zones", f.zones},
                             {"zone_seed", f.zone_seed},
                             {"zone", f.zone_text},
                             {"query", f.example.query.name.ToString()},
                             {"type", dns::TypeName(f.example.query.type)},
                             {"rules", RuleTexts(f.example.rules)},
                             {"expected", f.example.expected},
                             {"actual", f.example.actual},
                             {"reproduce", f.example.reproduce}});
  }
  return j.dump(2);
}

}  // namespace llms::iceberg
