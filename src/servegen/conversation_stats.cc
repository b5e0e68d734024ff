// ConversationStats: measuring conversations and prefixes; fitting a ConversationModel to them.
#include "servegen/conversation_stats.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

namespace llms::servegen {

ConversationStats MeasureConversations(const Trace& trace, std::span<const size_t> requests,
                                       double reply_tokens_per_s) {
  ConversationStats s;
  const auto& reqs = trace.batch.requests;
  const auto& ids = trace.batch.hash_ids;
  struct Open {
    size_t last = 0;  // index of its latest request
    int64_t turns = 0;
  };
  std::unordered_map<int64_t, Open> sessions;
  std::unordered_set<int64_t> seen;
  std::unordered_map<int64_t, std::vector<size_t>> first_turns_by_block;
  std::vector<size_t> first_turns;
  for (size_t i : requests) {
    const Request& r = reqs[i];
    ++s.requests;
    for (uint32_t k = 0; k < r.hash_count; ++k) {
      ++s.blocks;
      if (!seen.insert(ids[r.hash_offset + k]).second) ++s.reused_blocks;
    }
    bool first = true;
    if (r.session >= 0) {
      ++s.in_sessions;
      auto [it, fresh] = sessions.try_emplace(r.session);
      if (!fresh) {
        first = false;
        const Request& p = reqs[it->second.last];
        double think = r.think_s;
        if (!(think > 0)) {
          think =
              r.timestamp - p.timestamp - static_cast<double>(p.output_tokens) / reply_tokens_per_s;
        }
        s.think_s.push_back(std::max(0.0, think));
      }
      it->second.last = i;
      ++it->second.turns;
    } else {
      ++s.conversations;  // a request on its own: a one-turn conversation
      s.turns.resize(kTurnBuckets, 0);
      ++s.turns[0];
    }
    if (first) {
      first_turns.push_back(i);
      if (r.hash_count > 0) first_turns_by_block[ids[r.hash_offset]].push_back(i);
    }
  }
  s.turns.resize(kTurnBuckets, 0);
  int64_t turns_total = s.requests - s.in_sessions;
  for (const auto& [id, open] : sessions) {
    ++s.conversations;
    ++s.turns[std::min<size_t>(kTurnBuckets - 1, static_cast<size_t>(open.turns - 1))];
    turns_total += open.turns;
  }
  s.mean_turns = s.conversations > 0
                     ? static_cast<double>(turns_total) / static_cast<double>(s.conversations)
                     : 0.0;
  std::sort(s.think_s.begin(), s.think_s.end());

  // Shared system prompts: first blocks that start two or more conversations; their length is the
  // blocks all those prompts have in common.
  std::vector<int64_t> prefix_blocks;
  int64_t starting_with_one = 0;
  for (const auto& [block, members] : first_turns_by_block) {
    if (members.size() < 2) continue;
    ++s.system_prompts;
    const Request& a = reqs[members[0]];
    int64_t common = a.hash_count;
    for (size_t m = 1; m < members.size(); ++m) {
      const Request& b = reqs[members[m]];
      int64_t k = 0;
      const int64_t n = std::min<int64_t>(common, b.hash_count);
      while (k < n && ids[a.hash_offset + static_cast<size_t>(k)] ==
                          ids[b.hash_offset + static_cast<size_t>(k)])
        ++k;
      common = k;
    }
    prefix_blocks.push_back(common);
    starting_with_one += static_cast<int64_t>(members.size());
  }
  if (!prefix_blocks.empty()) {
    std::nth_element(prefix_blocks.begin(), prefix_blocks.begin() + prefix_blocks.size() / 2,
                     prefix_blocks.end());
    s.system_prompt_blocks = prefix_blocks[prefix_blocks.size() / 2];
    // Of the first turns with a prompt longer than the prefix (those that could hold one).
    int64_t eligible = 0;
    for (size_t i : first_turns) eligible += reqs[i].hash_count > s.system_prompt_blocks;
    s.prefix_share =
        eligible > 0
            ? std::min(1.0, static_cast<double>(starting_with_one) / static_cast<double>(eligible))
            : 0.0;
  }
  return s;
}

std::optional<ConversationModel> FitConversationModel(const ConversationStats& s,
                                                      int64_t block_tokens) {
  if (s.in_sessions == 0) return std::nullopt;
  ConversationModel m;
  m.source = "fitted";
  m.turns_mean = std::max(1.0, s.mean_turns);
  std::vector<double> logs;
  for (double t : s.think_s)
    if (t > 0) logs.push_back(std::log(t));
  if (!logs.empty()) {
    double mean = 0;
    for (double l : logs) mean += l;
    mean /= static_cast<double>(logs.size());
    double var = 0;
    for (double l : logs) var += (l - mean) * (l - mean);
    var = logs.size() > 1 ? var / static_cast<double>(logs.size() - 1) : 0.0;
    m.think_median_s = std::exp(mean);
    m.think_sigma = std::min(10.0, std::sqrt(var));
  }
  if (s.system_prompts > 0 && s.system_prompt_blocks > 0 && block_tokens > 0) {
    m.system_prompts = s.system_prompts;
    m.system_prompt_tokens = s.system_prompt_blocks * block_tokens;
    m.prefix_share = s.prefix_share;
  }
  return m;
}

}  // namespace llms::servegen
