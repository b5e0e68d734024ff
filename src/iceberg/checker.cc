// Differential checking of an engine against the specification (see checker.h).
#include "iceberg/checker.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <type_traits>
#include <variant>

#include "iceberg/dns_client.h"

namespace llms::iceberg {
namespace {

// RFC 8482 §4.2: one synthesized HINFO record, owned by the query name.
bool HinfoAnswer(const dns::Message& actual) {
  return actual.answer.size() == 1 && actual.answer[0].type == dns::rrtype::HINFO &&
         !actual.question.empty() && actual.answer[0].owner == actual.question[0].name;
}

// RFC 8482 §4.1: a non-empty subset of the RRsets at the name the answer ends at, each one
// whole, after the whole chain that led there (DNAMEs and CNAMEs owned by other names).
bool RrsetsOf(const Response& expected, const dns::Message& actual) {
  if (actual.answer.empty() || expected.answer.empty()) return false;
  const Name& final_name = expected.answer.back().owner;
  std::vector<ResourceRecord> whole;  // the chain, and the final RRsets the actual answer touches
  bool any_final = false;
  for (const ResourceRecord& e : expected.answer) {
    const bool chain = !(e.owner == final_name);
    const bool touched = std::any_of(
        actual.answer.begin(), actual.answer.end(),
        [&](const ResourceRecord& a) { return a.type == e.type && a.owner == e.owner; });
    if (chain || touched) whole.push_back(e);
    any_final = any_final || (!chain && touched);
  }
  return any_final && SectionLines(whole) == SectionLines(actual.answer);
}

std::string DigCommand(uint16_t port, const dns::Question& q) {
  return fmt::format("dig @127.0.0.1 -p {} +norec +nocookie '{}' {}", port, q.name.ToString(),
                     dns::TypeName(q.type));
}

}  // namespace

// A name with its labels lowercased (RFC 4343: equal names).
Name Lowered(const Name& name) {
  std::vector<std::string> labels;
  for (const std::string& l : name.labels()) labels.push_back(dns::AsciiLower(l));
  return *Name::FromLabels(std::move(labels));
}

std::vector<std::string> SectionLines(const std::vector<ResourceRecord>& rrs) {
  std::vector<std::string> out;
  for (const ResourceRecord& rr : rrs) {
    if (rr.type == dns::rrtype::OPT) continue;
    ResourceRecord lower = rr;
    lower.owner = Lowered(rr.owner);
    // Names in the data compare without case too: an engine that compresses them against a
    // query name in capitals writes them in capitals.
    std::visit(
        [](auto& d) {
          using T = std::decay_t<decltype(d)>;
          if constexpr (std::is_same_v<T, dns::NameData>) d.name = Lowered(d.name);
          if constexpr (std::is_same_v<T, dns::MxData>) d.exchange = Lowered(d.exchange);
          if constexpr (std::is_same_v<T, dns::SrvData>) d.target = Lowered(d.target);
          if constexpr (std::is_same_v<T, dns::SoaData>) {
            d.mname = Lowered(d.mname);
            d.rname = Lowered(d.rname);
          }
        },
        lower.rdata);
    out.push_back(dns::RecordToString(lower));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::string> Differences(const Response& expected, const dns::Message& actual,
                                     Profile::Any any) {
  const bool part = expected.any_answer && any != Profile::Any::kAll;
  // Equal sets, or (for the sections an RFC 8482 ANY answer may shorten) a part of the expected.
  auto same = [&](const std::vector<ResourceRecord>& e, const std::vector<ResourceRecord>& a) {
    const std::vector<std::string> el = SectionLines(e), al = SectionLines(a);
    return part ? std::includes(el.begin(), el.end(), al.begin(), al.end()) : el == al;
  };
  std::vector<std::string> fields;
  if (expected.rcode != actual.rcode) fields.push_back("rcode");
  if (expected.aa != actual.aa) fields.push_back("aa");
  if (!part
          ? !same(expected.answer, actual.answer)
          : !((any == Profile::Any::kHinfo && HinfoAnswer(actual)) || RrsetsOf(expected, actual))) {
    fields.push_back("answer");
  }
  if (!same(expected.authority, actual.authority)) fields.push_back("authority");
  // A shortened ANY answer may move to additional what the full one answers with (the address
  // of an MX target at the name itself, RFC 1034 §4.3.2 step 6).
  std::vector<ResourceRecord> additional = expected.additional;
  if (part) additional.insert(additional.end(), expected.answer.begin(), expected.answer.end());
  if (!same(additional, actual.additional)) fields.push_back("additional");
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
      d.fields = Differences(expected, *actual, profile.any);
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
    for (const SpecRule& rule : d.rules) out += fmt::format("   rule: {}\n", rule.text);
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
                                  {"rules", RuleTexts(d.rules)},
                                  {"expected", d.expected},
                                  {"actual", d.actual},
                                  {"reproduce", d.reproduce}});
  }
  return j.dump(2);
}

}  // namespace llms::iceberg
