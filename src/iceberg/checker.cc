// Differential checking of an engine against the specification (see checker.h).
#include "iceberg/checker.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "iceberg/dns_client.h"

namespace llms::iceberg {
namespace {

// A section as sorted record lines with TTLs, OPT records left out.
std::vector<std::string> Lines(const std::vector<ResourceRecord>& rrs) {
  std::vector<std::string> out;
  for (const ResourceRecord& rr : rrs) {
    if (rr.type == dns::rrtype::OPT) continue;
    ResourceRecord lower = rr;
    lower.owner = *Name::Parse(dns::AsciiLower(rr.owner.ToString()));
    out.push_back(dns::RecordToString(lower));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string DigCommand(uint16_t port, const dns::Question& q) {
  return fmt::format("dig @127.0.0.1 -p {} +norec +nocookie '{}' {}", port, q.name.ToString(),
                     dns::TypeName(q.type));
}

}  // namespace

std::vector<std::string> Differences(const Response& expected, const dns::Message& actual) {
  std::vector<std::string> fields;
  if (expected.rcode != actual.rcode) fields.push_back("rcode");
  if (expected.aa != actual.aa) fields.push_back("aa");
  if (Lines(expected.answer) != Lines(actual.answer)) fields.push_back("answer");
  if (Lines(expected.authority) != Lines(actual.authority)) fields.push_back("authority");
  if (Lines(expected.additional) != Lines(actual.additional)) fields.push_back("additional");
  return fields;
}

std::string FieldsText(const std::vector<std::string>& fields) {
  std::string out;
  for (const std::string& f : fields) {
    if (!out.empty()) out += ',';
    out += f;
  }
  return out;
}

std::string MessageToText(const dns::Question& q, const dns::Message& m) {
  Response r;
  r.rcode = m.rcode;
  r.aa = m.aa;
  r.answer = m.answer;
  r.authority = m.authority;
  for (const ResourceRecord& rr : m.additional) {
    if (rr.type != dns::rrtype::OPT) r.additional.push_back(rr);
  }
  return ResponseToText(q, r);
}

CheckReport CheckEngine(const ZoneIndex& zone, const std::vector<QueryClass>& classes,
                        uint16_t port, const Profile& profile) {
  CheckReport report;
  for (const QueryClass& c : classes) {
    const Response expected = Lookup(zone, c.query, profile);
    auto actual = QueryServer("127.0.0.1", port, c.query);
    ++report.queries;
    Discrepancy d;
    if (!actual.ok()) {
      d.fields = {"error"};
      d.actual = actual.message();
    } else {
      d.fields = Differences(expected, *actual);
      d.actual = MessageToText(c.query, *actual);
    }
    if (d.fields.empty()) continue;
    d.query = c.query;
    d.expected = ResponseToText(c.query, expected);
    d.rules = expected.rules;
    d.reproduce = DigCommand(port, c.query);
    report.discrepancies.push_back(std::move(d));
  }
  return report;
}

std::string ReportToText(const CheckReport& r) {
  std::string out = fmt::format("iceberg check: {} ({}): {} queries, {} discrepancies, {:.2f} s\n",
                                r.engine, r.version, r.queries, r.discrepancies.size(), r.seconds);
  for (const Discrepancy& d : r.discrepancies) {
    const std::string fields = FieldsText(d.fields);
    out += fmt::format("\n== {} {}: {} differ\n", d.query.name.ToString(),
                       dns::TypeName(d.query.type), fields);
    for (const std::string& rule : d.rules) out += fmt::format("   rule: {}\n", rule);
    out += "-- expected (specification):\n" + d.expected;
    out += "-- actual (" + r.engine + "):\n" + d.actual;
    out += "-- reproduce: " + d.reproduce + "\n";
  }
  return out;
}

std::string ReportToJson(const CheckReport& r) {
  nlohmann::json j;
  j["engine"] = r.engine;
  j["version"] = r.version;
  j["queries"] = r.queries;
  j["seconds"] = r.seconds;
  j["discrepancies"] = nlohmann::json::array();
  for (const Discrepancy& d : r.discrepancies) {
    j["discrepancies"].push_back({{"name", d.query.name.ToString()},
                                  {"type", dns::TypeName(d.query.type)},
                                  {"fields", d.fields},
                                  {"rules", d.rules},
                                  {"expected", d.expected},
                                  {"actual", d.actual},
                                  {"reproduce", d.reproduce}});
  }
  return j.dump(2);
}

}  // namespace llms::iceberg
