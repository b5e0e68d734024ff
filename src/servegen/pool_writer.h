// Writes a client pool in ServeGen's data layout, so the reference tools can read it too:
// chunk-<id>-trace.csv (window_start_s, rate, cv, pattern, shape, scale; no header) and
// chunk-<id>-dataset.json ({"<start>": {"<field>": "<python dict literal>"}}), plus clients.csv
// mapping chunk ids to the original client ids, and client_params.csv (conversation_model.h) when
// some client has a conversation model or an input/output rank correlation. Length windows a
// client has no data for are written with empty "{}" fields, as ServeGen's files mark inactive
// windows. A non-finite fitted value is an error and nothing is written.
#pragma once

#include <string>

#include "core/status.h"
#include "servegen/client_pool.h"

namespace llms::servegen {

Status WritePool(const ClientPool& pool, const std::string& dir, int64_t length_window_seconds);

// "{224: 0.5, 225: 0.5}" with Python-compatible number spelling (float keys keep a '.0').
std::string FormatPyDictLiteral(const EmpiricalDistribution& d, bool float_keys);

}  // namespace llms::servegen
