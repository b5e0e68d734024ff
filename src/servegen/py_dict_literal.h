// Parser for the Python dict literals inside ServeGen dataset files, e.g.
// "{224: 0.000315, 225: 1.2e-05}" or "{0.0: 0.5, 0.25: 0.5}" or "{}". No eval: a small grammar of
// numeric keys and numeric values, with optional whitespace and a trailing comma. Errors name the
// column and what was expected, so the loader can report file:line:column.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace llms::servegen {

Result<std::vector<std::pair<double, double>>> ParsePyDictLiteral(std::string_view text);

}  // namespace llms::servegen
