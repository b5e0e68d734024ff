// ConversationModel: how one client's requests group into conversations and share prompt prefixes,
// and the rank correlation of its input and output lengths; read from and written to a pool's
// `client_params.csv` (one row per client, or a `*` row for every client), which `servegen fit`
// writes from a log and the embedded presets ship as a documented assumption (the released
// ServeGen data holds no conversation information).
//
// Conversations: a conversation has 1 + G turns, G geometric with mean turns_mean - 1; between
// the end of a turn's reply and the next turn the user thinks for a lognormal time (median,
// sigma of the log). A fraction `prefix_share` of conversations (of those whose first prompt is
// longer) starts with one of the client's `system_prompts` shared system prompts of
// `system_prompt_tokens` tokens.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace llms::servegen {

struct ConversationModel {
  std::string source;           // "fitted" or "assumed" (see docs/servegen.md)
  double turns_mean = 1.0;      // mean turns per conversation (>= 1; 1: single requests)
  double think_median_s = 0.0;  // lognormal think time between a reply and the next turn
  double think_sigma = 0.0;     // sigma of log(think time)
  int64_t system_prompt_tokens = 0;
  int system_prompts = 0;     // distinct shared system prompts of the client
  double prefix_share = 0.0;  // fraction of conversations that start with one of them

  bool multi_turn() const { return turns_mean > 1.0; }
};

// The assumption the presets ship and `--sessions assumed` applies (sources in docs/servegen.md).
ConversationModel AssumedConversationModel();

// One row of client_params.csv.
struct ClientParams {
  std::string client_id;  // "*": every client without a row of its own
  std::optional<ConversationModel> conversations;
  std::optional<double> io_rank_corr;  // Spearman correlation of input and output lengths
};

inline constexpr std::string_view kClientParamsFile = "client_params.csv";

// Parses client_params.csv; errors name `name:line` and the column.
Result<std::vector<ClientParams>> ParseClientParams(std::string_view content,
                                                    const std::string& name);
std::string FormatClientParams(const std::vector<ClientParams>& rows);

// Checks a model's ranges (turns >= 1, think >= 0, share in [0, 1], ...); `what` names it.
Status ValidateConversationModel(const ConversationModel& m, const std::string& what);

}  // namespace llms::servegen
