// Reports of `aegaeon sim`: JSON results of single runs and sweeps, and self-contained HTML
// reports with charts (SLO attainment and goodput against the number of models per policy; for a
// single run, the TTFT and TPOT distributions and the switch phases).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/experiment.h"

namespace llms::sim {

nlohmann::json PointJson(const PointResult& p);
std::string SweepHtml(const ExperimentSpec& spec, const std::vector<PointResult>& points);
std::string RunHtml(const ExperimentSpec& spec, const PointResult& p);

}  // namespace llms::sim
