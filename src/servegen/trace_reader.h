// Reads request traces for replay, fitting and reports: servegen's own JSONL/CSV, Mooncake JSONL
// (`timestamp` ms, `input_length`, `output_length`, `hash_ids`), Azure LLM inference CSV
// (`TIMESTAMP` datetime, `ContextTokens`, `GeneratedTokens`) and generic CSV/JSONL logs whose
// columns use common names (client_id/user_id, input_tokens/prompt_tokens, ...), with the optional
// conversation (`session_id`, `turn`, `think_time_ms`), `hash_ids` and SLO class fields. Errors
// name file:line; with `lenient`, malformed lines are skipped and counted instead. Timestamps must
// lie within 1e11 s of the epoch (about 3,000 years), so an absurd one fails at its line.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "servegen/client_pool.h"
#include "servegen/request.h"
#include "servegen/slo_class.h"

namespace llms::servegen {

enum class TimeUnit { kAuto, kSeconds, kMilliseconds };
Result<TimeUnit> ParseTimeUnit(const std::string& text);

struct ReadOptions {
  TimeUnit time_unit =
      TimeUnit::kAuto;  // auto: `timestamp` is ms (Mooncake), `*_s` columns seconds
  bool lenient = false;
};

struct Trace {
  Category category = Category::kLanguage;
  bool has_client_ids = false;
  std::vector<std::string> clients;  // names for Request::client
  RequestBatch batch;                // timestamps in seconds, sorted ascending
  bool has_sessions = false;         // some request carries `session_id`
  bool has_hash_ids = false;
  std::vector<SloClass> slo_classes;  // names and targets for Request::slo_class
  int64_t skipped_lines = 0;
  std::vector<std::string> notes;
};

Result<Trace> ReadTrace(const std::string& path, const ReadOptions& options = {});

// The model request `index` of `trace` goes to when its requests are spread over `num_models`
// (>= 1) models: its client's index modulo the count, or, in a trace without client ids, its own
// index modulo the count (round-robin). The one rule of aegaeon bench and aegaeon sim.
int ModelOfRequest(const Trace& trace, size_t index, int num_models);

// A traced request's (input, output) lengths as it is sent to a served model: each at least 1
// (and at most 2^20), clipped to `max_input`/`max_output` when > 0, and, when `context` > 1 and
// the two exceed it, both scaled down to fit it (the request keeps its shape).
std::pair<int, int> FitLengths(int64_t input, int64_t output, int max_input, int max_output,
                               int context);

// "2023-11-16 18:15:46.6805900" (or with 'T') to seconds since the Unix epoch, UTC.
std::optional<double> ParseDateTime(std::string_view text);

}  // namespace llms::servegen
