// Renders a FidelityReport as one self-contained HTML page (inline CSS and SVG, no scripts, no
// external resources): summary table, rate over time, length CDFs, burstiness across timescales,
// client shares and the per-client table.
#pragma once

#include <string>

#include "servegen/fidelity_report.h"

namespace llms::servegen {

std::string RenderFidelityHtml(const FidelityReport& report);

}  // namespace llms::servegen
