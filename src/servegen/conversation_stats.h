// ConversationStats: what a trace says about conversations and prompt prefixes, for a set of its
// requests (one client's, or all): conversations and their turns, the users' think times, how
// many prompt blocks (hash_ids) repeat an earlier request's, and the shared system prompts that
// start several conversations. `servegen fit` turns it into a ConversationModel; `servegen report`
// shows it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "servegen/conversation_model.h"
#include "servegen/trace_reader.h"

namespace llms::servegen {

struct ConversationStats {
  int64_t requests = 0;
  int64_t in_sessions = 0;    // requests with a session id
  int64_t conversations = 0;  // distinct sessions, plus each request without one
  double mean_turns = 0;
  std::vector<int64_t> turns;   // [k]: conversations of k + 1 turns (the last bucket: that or more)
  std::vector<double> think_s;  // think times of later turns, sorted
  // Prompt blocks.
  int64_t blocks = 0, reused_blocks = 0;  // reused: a block an earlier request's prompt held
  int system_prompts = 0;                 // first blocks that start two or more conversations
  int64_t system_prompt_blocks = 0;       // their median common prefix, in blocks
  double prefix_share =
      0;  // of first turns longer than that prefix: the fraction starting with one

  double reuse_ratio() const {
    return blocks > 0 ? static_cast<double>(reused_blocks) / static_cast<double>(blocks) : 0.0;
  }
};

inline constexpr size_t kTurnBuckets = 16;

// `requests`: indices into trace.batch.requests in time order. A later turn without a recorded
// think time gets its gap to the previous turn less the reply's time at `reply_tokens_per_s`.
ConversationStats MeasureConversations(const Trace& trace, std::span<const size_t> requests,
                                       double reply_tokens_per_s);

// The model these statistics fit: turns_mean, a lognormal think time (median and sigma of the
// log of the positive think times), system prompts (with `block_tokens` per block). Nullopt when
// no request carries a session id.
std::optional<ConversationModel> FitConversationModel(const ConversationStats& stats,
                                                      int64_t block_tokens);

}  // namespace llms::servegen
