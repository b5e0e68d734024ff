// A campaign: generated zones checked against several engines, the discrepancies summarised per
// engine and RFC clause, each group with its smallest zone, the query, both answers and a dig
// command, so it can be reproduced and reported.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "dns/zone_parser.h"
#include "iceberg/checker.h"

namespace llms::iceberg {

struct CampaignOptions {
  std::vector<std::string> engines{"nsd", "knot", "bind", "pdns"};
  int zones = 200;
  uint64_t seed = 1;            // zone i is GenerateZone(seed + i)
  int names = 12;               // GeneratorOptions::names
  bool star_in_targets = true;  // GeneratorOptions::star_in_targets
  std::string workdir;          // engines' working directories go below it
  bool minimize = true;         // shrink each group's zone to the records the discrepancy needs
  std::function<void(int done, int total)> progress;
};

// One group of discrepancies: one engine, one RFC clause, one set of differing fields.
struct FindingGroup {
  std::string engine, clause, fields;
  int count = 0;           // discrepancies in the group
  int zones = 0;           // zones where it showed
  uint64_t zone_seed = 0;  // the smallest such zone
  size_t zone_records = 0;
  std::string zone_text;  // that zone, minimized when CampaignOptions::minimize
  Discrepancy example;    // on that zone
};

struct CampaignReport {
  int zones = 0;
  std::map<std::string, std::string> versions;  // engine -> version
  std::map<std::string, int64_t> queries;       // engine -> queries sent
  std::map<std::string, int> zones_refused;     // engine -> zones it would not load
  // engine -> zones checked without the record types it cannot load (UnsupportedTypes: DNAME)
  std::map<std::string, int> zones_reduced;
  std::map<std::string, std::string> refusal_example;  // engine -> one start-up failure
  std::vector<FindingGroup> findings;                  // by engine, then count (most first)
  // Discrepancies where the specification stopped at its chain bound (Profile::max_chain): the
  // engines' own bounds differ and no RFC sets one, so these are explained, not findings.
  std::map<std::string, int64_t> chain_bound;
  double seconds = 0;
};

// The clause a discrepancy is filed under: the citation that opens the specification's last rule.
std::string ClauseOf(const std::vector<SpecRule>& rules);

Result<CampaignReport> RunCampaign(const CampaignOptions& options);

// Removes records from `zone` one at a time (never the apex SOA or NS) as long as `engine` still
// differs from the specification in the same `fields` for `query`; the smallest zone found, with
// the discrepancy on it in `example`.
dns::Zone MinimizeZone(const std::string& engine, dns::Zone zone, const dns::Question& query,
                       const std::string& fields, const std::string& workdir, Discrepancy* example);

std::string CampaignToText(const CampaignReport& report);
std::string CampaignToJson(const CampaignReport& report);

}  // namespace llms::iceberg
