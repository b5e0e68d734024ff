// Differential checking: every representative query of a zone sent to a running engine, its
// response compared with the specification's (rcode, AA, and each section as a set of records,
// TTLs included, OPT left out), each difference reported with the RFC clauses the specification
// applied and a dig command that reproduces it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dns/message.h"
#include "iceberg/classes.h"
#include "iceberg/spec.h"

namespace llms::iceberg {

struct Discrepancy {
  dns::Question query;
  std::vector<std::string> fields;  // "rcode", "aa", "answer", "authority", "additional", "error"
  std::string expected, actual;     // dig-like text
  std::vector<SpecRule> rules;      // the specification's rules for this query
  std::string reproduce;            // a dig command
};

struct CheckReport {
  std::string engine, version;
  size_t queries = 0;
  std::vector<Discrepancy> discrepancies;
  double seconds = 0;  // engine start-up included
};

// Queries `classes` at 127.0.0.1:`port` and compares with the specification under `profile`.
CheckReport CheckEngine(const ZoneIndex& zone, const std::vector<QueryClass>& classes,
                        uint16_t port, const Profile& profile);

// Compares one engine response with the specification's; empty when they agree. For an ANY
// answer `any` says what else will do (Profile::any): under kSubset the answer may hold any
// non-empty set of the expected RRsets, whole, under kHinfo one HINFO record owned by the query
// name; the authority and additional sections then may hold any part of the expected ones (the
// additional section also records of the expected answer).
std::vector<std::string> Differences(const Response& expected, const dns::Message& actual,
                                     Profile::Any any = Profile::Any::kAll);

// The differing fields joined with commas ("rcode,answer").
std::string FieldsText(const std::vector<std::string>& fields);

// A section as sorted record lines with TTLs (names lowercased, owners and those in the data,
// duplicates and OPT left out):
// how the checker compares sections as sets.
std::vector<std::string> SectionLines(const std::vector<ResourceRecord>& rrs);

// A response message as dig-like text (for reports).
std::string MessageToText(const dns::Question& question, const dns::Message& m);

std::string ReportToText(const CheckReport& report);
std::string ReportToJson(const CheckReport& report);

}  // namespace llms::iceberg
