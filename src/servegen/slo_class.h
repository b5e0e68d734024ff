// SloClass: a named service class with its own TTFT and TPOT targets, and which requests carry it
// (a client's, a fraction of every client's conversations, or all the rest). `servegen generate
// --slo-class` assigns classes per conversation and writes them into the trace (`slo_class`,
// `ttft_slo_ms`, `tpot_slo_ms`); `aegaeon bench` and `aegaeon sim` score attainment per class.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace llms::servegen {

struct SloClass {
  std::string name;
  double ttft_ms = 0, tpot_ms = 0;
  std::vector<std::string> clients;  // carried by these clients' conversations
  double share = 0;                  // else, when > 0: this fraction of every client's
  // conversations; a class with neither takes every conversation no earlier class took
};

// "NAME:TTFT_MS:TPOT_MS[:WHO]", WHO a comma-separated list of client ids or a percentage ("25%").
Result<SloClass> ParseSloClass(std::string_view spec);
// Names unique, at most 254 classes, percentages summing to at most 100%.
Status ValidateSloClasses(const std::vector<SloClass>& classes);

// The class of a new conversation of `client`, given a uniform u in (0, 1): the first class that
// names the client; else the percentage classes in order, by u; else the first class without a
// selector; else none (Request::kNoSloClass).
uint8_t PickSloClass(const std::vector<SloClass>& classes, std::string_view client, double u);

}  // namespace llms::servegen
