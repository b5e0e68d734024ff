// Tests for conversation and prefix measurement and the model fitted from it, on a hand-made trace.
#include "servegen/conversation_stats.h"

#include <gtest/gtest.h>

#include <cmath>

namespace llms::servegen {
namespace {

// Adds a request at t with the given session/turn/think and prompt block ids.
void Add(Trace& t, double ts, int64_t session, int turn, float think, int64_t in, int64_t out,
         std::vector<int64_t> ids) {
  Request r;
  r.timestamp = ts;
  r.session = session;
  r.turn = turn;
  r.think_s = think;
  r.input_tokens = in;
  r.output_tokens = out;
  r.hash_offset = static_cast<uint32_t>(t.batch.hash_ids.size());
  r.hash_count = static_cast<uint32_t>(ids.size());
  t.batch.hash_ids.insert(t.batch.hash_ids.end(), ids.begin(), ids.end());
  t.batch.requests.push_back(r);
}

TEST(ConversationStatsTest, TurnsThinkTimesReuseAndSystemPrompts) {
  Trace t;
  t.clients = {"a"};
  // Two conversations starting with the same two-block system prompt (ids 1, 2), one without.
  Add(t, 0, 7, 0, 0, 1100, 10, {1, 2, 3});
  Add(t, 1, 8, 0, 0, 1200, 10, {1, 2, 4});
  Add(t, 2, 9, 0, 0, 600, 10, {5, 6});
  // Session 7's second turn: shares the previous prompt's two full blocks; think time recorded.
  Add(t, 20, 7, 1, 4.0f, 1500, 10, {1, 2, 7});
  // Session 8's second turn with no recorded think time: its gap less the reply at 10 tok/s.
  Add(t, 31, 8, 1, 0, 1400, 10, {1, 2, 8});
  Add(t, 40, -1, 0, 0, 100, 10, {9});  // a request on its own
  std::vector<size_t> all{0, 1, 2, 3, 4, 5};
  const ConversationStats s = MeasureConversations(t, all, 10.0);
  EXPECT_EQ(s.requests, 6);
  EXPECT_EQ(s.in_sessions, 5);
  EXPECT_EQ(s.conversations, 4);  // 7, 8, 9 and the lone request
  EXPECT_DOUBLE_EQ(s.mean_turns, 6.0 / 4.0);
  EXPECT_EQ(s.turns[0], 2);  // session 9 and the lone request
  EXPECT_EQ(s.turns[1], 2);
  ASSERT_EQ(s.think_s.size(), 2u);
  EXPECT_DOUBLE_EQ(s.think_s[0], 4.0);
  EXPECT_DOUBLE_EQ(s.think_s[1], 31.0 - 1.0 - 1.0);  // gap 30 s less a 1 s reply
  EXPECT_EQ(s.blocks, 15);
  EXPECT_EQ(s.reused_blocks, 2 + 2 + 2);  // (1, 2) again in request 2, 4 and 5
  EXPECT_EQ(s.system_prompts, 1);
  EXPECT_EQ(s.system_prompt_blocks, 2);
  // Of the three first turns longer than two blocks... two start with it (the 600-token one is
  // exactly two blocks long, so it could not hold the prompt and a message).
  EXPECT_DOUBLE_EQ(s.prefix_share, 1.0);

  const auto m = FitConversationModel(s, 512);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->source, "fitted");
  EXPECT_DOUBLE_EQ(m->turns_mean, 1.5);
  EXPECT_NEAR(m->think_median_s, std::sqrt(4.0 * 29.0), 1e-9);  // geometric mean
  EXPECT_EQ(m->system_prompt_tokens, 1024);
  EXPECT_EQ(m->system_prompts, 1);

  Trace plain;
  plain.clients = {"a"};
  Add(plain, 0, -1, 0, 0, 10, 10, {});
  EXPECT_FALSE(FitConversationModel(MeasureConversations(plain, std::vector<size_t>{0}, 10), 512));
}

}  // namespace
}  // namespace llms::servegen
