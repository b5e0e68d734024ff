// Tests for conversations, prompt blocks and SLO classes in generated traces: arrivals unchanged
// by conversations, turns numbered and growing, think times as scheduled, hash_ids shared exactly
// where prompts are, per-conversation classes, determinism.
#include "servegen/session_assigner.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "servegen/generator.h"
#include "servegen/test_pools.h"

namespace llms::servegen {
namespace {

struct Out {
  std::vector<Request> requests;
  std::vector<std::vector<int64_t>> hash_ids;
};

Out GenerateTrace(const ClientPool& pool, GenerateOptions opt, double duration = 3600) {
  opt.duration = duration;
  Out out;
  auto rate = RateFunction::Constant(2.0, duration);
  auto s = Generate(pool, rate, opt, [&](const RequestBatch& b) {
    for (const Request& r : b.requests) {
      out.requests.push_back(r);
      out.hash_ids.emplace_back(b.hash_ids.begin() + r.hash_offset,
                                b.hash_ids.begin() + r.hash_offset + r.hash_count);
    }
    return Status::Ok();
  });
  EXPECT_TRUE(s.ok()) << s.message();
  return out;
}

// Inputs wide enough for conversations to grow: client i draws input uniform on 1..4000.
ClientPool ChatPool(const ConversationModel& m, int clients = 3) {
  ClientPool pool = testing::UniformPool(clients, 6, 0.5);
  for (auto& c : pool.clients) {
    std::vector<std::pair<double, double>> in;
    for (int v = 1; v <= 4000; ++v) in.emplace_back(v, 1.0 / 4000);
    c.lengths[0].fields[static_cast<int>(LengthField::kInputTokens)] = testing::Dist(in);
    c.conversations = m;
  }
  return pool;
}

ConversationModel Chat(double turns, double think_s) {
  ConversationModel m;
  m.source = "test";
  m.turns_mean = turns;
  m.think_median_s = think_s;
  m.think_sigma = 0.5;
  return m;
}

TEST(SessionAssignerTest, ConversationsKeepTheArrivalsAndGrowTheirPrompts) {
  const ClientPool pool = ChatPool(Chat(4.0, 20.0));
  GenerateOptions opt;
  opt.seed = 7;
  const Out with = GenerateTrace(pool, opt);
  opt.sessions.conversations = false;
  const Out without = GenerateTrace(pool, opt);
  // Conversations are laid onto the arrival process: the same arrivals, in the same order.
  ASSERT_EQ(with.requests.size(), without.requests.size());
  for (size_t i = 0; i < with.requests.size(); ++i) {
    ASSERT_EQ(with.requests[i].timestamp, without.requests[i].timestamp);
    ASSERT_EQ(with.requests[i].client, without.requests[i].client);
    EXPECT_EQ(without.requests[i].session, -1);
  }
  // Every turn follows the previous one of its session: numbered, after the reply plus the think
  // time, its prompt carrying the previous prompt and reply.
  std::map<int64_t, const Request*> last;
  std::map<int64_t, int> turns;
  for (const Request& r : with.requests) {
    ASSERT_GE(r.session, 0);
    auto it = last.find(r.session);
    if (it == last.end()) {
      EXPECT_EQ(r.turn, 0);
      EXPECT_EQ(r.think_s, 0.0f);
    } else {
      const Request& p = *it->second;
      EXPECT_EQ(r.turn, p.turn + 1);
      EXPECT_EQ(r.client, p.client);
      EXPECT_GE(r.input_tokens, p.input_tokens + p.output_tokens + 1);
      const double reply_end = p.timestamp + static_cast<double>(p.output_tokens) / 50.0;
      EXPECT_NEAR(r.timestamp - reply_end, r.think_s, 1e-3 + 1e-6 * r.think_s);
      EXPECT_GE(r.think_s, 0.0f);
    }
    last[r.session] = &r;
    ++turns[r.session];
  }
  // Mean turns near the model's (the context bound and the span's end cut some short).
  double sum = 0;
  for (const auto& [id, n] : turns) sum += n;
  const double mean = sum / static_cast<double>(turns.size());
  EXPECT_GT(mean, 2.5);
  EXPECT_LT(mean, 4.2);
}

TEST(SessionAssignerTest, HashIdsAreSharedExactlyWherePromptsAre) {
  ConversationModel m = Chat(3.0, 5.0);
  m.system_prompt_tokens = 1100;  // two full blocks of 512 shared (prompts longer than it)
  m.system_prompts = 2;
  m.prefix_share = 0.5;
  const ClientPool pool = ChatPool(m);
  GenerateOptions opt;
  opt.seed = 3;
  const Out out = GenerateTrace(pool, opt);
  std::map<int64_t, size_t> prev;  // session -> index of its previous turn
  std::map<int64_t, int> uses;     // block id -> how many requests' prompts hold it
  int with_system = 0, first_turns = 0;
  std::map<std::pair<uint32_t, int64_t>, int> system_firsts;  // (client, first block) -> count
  for (size_t i = 0; i < out.requests.size(); ++i) {
    const Request& r = out.requests[i];
    const auto& ids = out.hash_ids[i];
    ASSERT_EQ(ids.size(), static_cast<size_t>((r.input_tokens + 511) / 512));
    for (int64_t id : ids) ++uses[id];
    if (r.turn == 0 && r.input_tokens >= 1101) {  // long enough to hold a system prompt
      ++first_turns;
      system_firsts[{r.client, ids[0]}]++;
    } else if (r.turn > 0) {
      const Request& p = out.requests[prev.at(r.session)];
      const auto& pids = out.hash_ids[prev.at(r.session)];
      const size_t shared = static_cast<size_t>(p.input_tokens / 512);
      for (size_t k = 0; k < shared; ++k) ASSERT_EQ(ids[k], pids[k]);
      // The block holding the end of the previous prompt changed: a new id.
      if (shared < pids.size()) {
        EXPECT_NE(ids[shared], pids[shared]);
      }
    }
    prev[r.session] = i;
  }
  // System prompts: per client at most two distinct first blocks are used by several
  // conversations, and about half the conversations long enough to hold one start with one.
  for (const auto& [key, n] : system_firsts) {
    if (n > 1) ++with_system;
  }
  EXPECT_LE(with_system, 3 * 2);
  EXPECT_GE(with_system, 3);
  int shared_first = 0;
  for (const auto& [key, n] : system_firsts)
    if (n > 1) shared_first += n;
  const double share = static_cast<double>(shared_first) / first_turns;
  EXPECT_GT(share, 0.4);
  EXPECT_LT(share, 0.6);
}

TEST(SessionAssignerTest, SloClassesGoPerConversation) {
  const ClientPool pool = ChatPool(Chat(3.0, 5.0));
  GenerateOptions opt;
  auto a = ParseSloClass("vip:300:30:c2");
  auto b = ParseSloClass("batch:10000:200:25%");
  auto c = ParseSloClass("standard:1000:100");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  opt.sessions.slo_classes = {*a, *b, *c};
  const Out out = GenerateTrace(pool, opt);
  std::map<int64_t, uint8_t> cls;
  int64_t batch = 0, standard = 0;
  for (const Request& r : out.requests) {
    ASSERT_NE(r.slo_class, Request::kNoSloClass);
    if (pool.clients[r.client].id == "c2") {
      EXPECT_EQ(r.slo_class, 0);
    } else {
      EXPECT_NE(r.slo_class, 0);
      (r.slo_class == 1 ? batch : standard) += 1;
    }
    auto [it, fresh] = cls.emplace(r.session, r.slo_class);
    EXPECT_EQ(it->second, r.slo_class) << "a conversation keeps its class";
  }
  const double f = static_cast<double>(batch) / static_cast<double>(batch + standard);
  EXPECT_GT(f, 0.15);
  EXPECT_LT(f, 0.35);

  EXPECT_FALSE(ParseSloClass("x:0:10").ok());
  EXPECT_FALSE(ParseSloClass("x:10").ok());
  EXPECT_FALSE(ParseSloClass("x:10:10:150%").ok());
  EXPECT_FALSE(ParseSloClass("a b:10:10").ok());
  opt.sessions.slo_classes = {*b, *b};
  EXPECT_FALSE(ValidateSloClasses(opt.sessions.slo_classes).ok());
}

TEST(SessionAssignerTest, DeterministicForAnyThreadCount) {
  ConversationModel m = Chat(2.0, 10.0);
  m.system_prompt_tokens = 600;
  m.system_prompts = 3;
  m.prefix_share = 0.7;
  const ClientPool pool = ChatPool(m, 5);
  GenerateOptions opt;
  opt.seed = 11;
  const Out one = GenerateTrace(pool, opt, 1800);
  opt.threads = 2;
  const Out two = GenerateTrace(pool, opt, 1800);
  ASSERT_EQ(one.requests.size(), two.requests.size());
  for (size_t i = 0; i < one.requests.size(); ++i) {
    EXPECT_EQ(one.requests[i].session, two.requests[i].session);
    EXPECT_EQ(one.requests[i].input_tokens, two.requests[i].input_tokens);
    EXPECT_EQ(one.hash_ids[i], two.hash_ids[i]);
  }
}

TEST(SessionAssignerTest, OpenConversationsStayBounded) {
  // Flat memory: what waits is about rate x time between turns, whatever the span's length.
  const ClientPool pool = ChatPool(Chat(1e3, 30.0), 1);
  SessionOptions so;
  SessionAssigner a(pool, so, 1);
  std::vector<int64_t> ids;
  Request r;
  r.input_tokens = 10;
  r.output_tokens = 10;
  size_t most = 0;
  for (int k = 0; k < 100000; ++k) {
    r.timestamp = k * 1.0;  // 1 request per second
    a.Begin(0, r.timestamp, 1e9);
    a.Finish(0, r, ids);
    ids.clear();
    most = std::max(most, a.waiting());
  }
  EXPECT_LT(most, 80u);  // about 34: think 30 s median (sigma 0.5) + reply at 1 req/s

  // A think time past the span's end ends the conversation instead of keeping it waiting.
  ConversationModel slow = Chat(5.0, 1e6);
  const ClientPool slow_pool = ChatPool(slow, 1);
  SessionOptions bounded;
  bounded.span_end_s = 3600;
  SessionAssigner b(slow_pool, bounded, 1);
  for (int k = 0; k < 1000; ++k) {
    r.timestamp = k * 1.0;
    (void)b.Begin(0, r.timestamp, 1e9);
    b.Finish(0, r, ids);
    ids.clear();
  }
  EXPECT_EQ(b.waiting(), 0u);
}

TEST(SessionAssignerTest, MultimodalConversationsCarryTheirTextHistory) {
  // Text uniform on 1..4000, one image of 500 tokens per request: the history a later turn's text
  // must exceed is the previous text and reply, not the images.
  ClientPool pool = ChatPool(Chat(3.0, 5.0), 2);
  pool.category = Category::kMultimodal;
  for (auto& c : pool.clients) {
    auto& f = c.lengths[0].fields;
    f[static_cast<int>(LengthField::kTextTokens)] = f[static_cast<int>(LengthField::kInputTokens)];
    f[static_cast<int>(LengthField::kImageCount)] = testing::Dist({{1, 1.0}});
    f[static_cast<int>(LengthField::kImageTokens)] = testing::Dist({{500, 1.0}});
    f[static_cast<int>(LengthField::kAudioCount)] = testing::Dist({{0, 1.0}});
    f[static_cast<int>(LengthField::kAudioTokens)] = testing::Dist({{0, 1.0}});
    f[static_cast<int>(LengthField::kVideoCount)] = testing::Dist({{0, 1.0}});
    f[static_cast<int>(LengthField::kVideoTokens)] = testing::Dist({{0, 1.0}});
  }
  GenerateOptions opt;
  const Out out = GenerateTrace(pool, opt);
  std::map<int64_t, const Request*> last;
  int later = 0;
  for (const Request& r : out.requests) {
    if (auto it = last.find(r.session); it != last.end()) {
      ++later;
      EXPECT_GE(r.text_tokens, it->second->text_tokens + it->second->output_tokens + 1);
      EXPECT_EQ(r.input_tokens, r.text_tokens + 500);
    }
    last[r.session] = &r;
  }
  EXPECT_GT(later, 500);
}

}  // namespace
}  // namespace llms::servegen
