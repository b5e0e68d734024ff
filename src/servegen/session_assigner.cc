// SessionAssigner implementation.
#include "servegen/session_assigner.h"

#include <algorithm>
#include <cmath>

#include "core/distributions.h"

namespace llms::servegen {

namespace {

// For std::*_heap: the heap's top is the earliest ready, ties to the older conversation.
constexpr auto kLater = [](const auto& x, const auto& y) {
  return x.ready > y.ready || (x.ready == y.ready && x.id > y.id);
};

}  // namespace

SessionAssigner::SessionAssigner(const ClientPool& pool, const SessionOptions& options,
                                 uint64_t seed)
    : pool_(pool), opt_(options), clients_(pool.clients.size()) {
  for (size_t i = 0; i < clients_.size(); ++i) {
    const Client& c = pool.clients[i];
    clients_[i].rng = Rng::ForStream(seed, Rng::HashString(c.id) ^ 0x7365737369306e73ULL);
    if (opt_.conversations && c.conversations) clients_[i].model = &*c.conversations;
    if (clients_[i].model)
      clients_[i].system_blocks.resize(static_cast<size_t>(clients_[i].model->system_prompts));
  }
}

size_t SessionAssigner::waiting() const {
  size_t n = 0;
  for (const auto& c : clients_) n += c.waiting.size();
  return n;
}

int64_t SessionAssigner::Begin(uint32_t client, double t, double largest_input) {
  ClientState& s = clients_[client];
  s.continuing = false;
  // The conversation waiting longest past its ready time, if it still fits the client's lengths.
  while (!s.waiting.empty() && s.waiting.front().ready <= t) {
    std::pop_heap(s.waiting.begin(), s.waiting.end(), kLater);
    const uint32_t slot = s.waiting.back().slot;
    s.waiting.pop_back();
    if (static_cast<double>(s.slots[slot].history + 1) > largest_input) {  // the context is full
      s.free.push_back(slot);
      continue;
    }
    s.current = slot;
    s.continuing = true;
    return s.slots[slot].history + 1;
  }
  if (s.free.empty()) {
    s.free.push_back(static_cast<uint32_t>(s.slots.size()));
    s.slots.emplace_back();
  }
  s.current = s.free.back();
  s.free.pop_back();
  Conversation& c = s.slots[s.current];
  c.id = s.model ? next_session_++ : -1;
  c.next_turn = 0;
  c.turns = 1;
  c.system_prompt = -1;
  c.history = c.prev_input = 0;
  c.blocks.clear();
  c.slo = Request::kNoSloClass;
  if (!opt_.slo_classes.empty())
    c.slo = PickSloClass(opt_.slo_classes, pool_.clients[client].id, s.rng.NextOpenUnit());
  if (!s.model) return 0;
  const ConversationModel& m = *s.model;
  if (m.turns_mean > 1.0) {  // 1 + geometric on {0, 1, ...} with mean turns_mean - 1
    const double p = 1.0 / m.turns_mean;
    const double g = std::floor(std::log(s.rng.NextOpenUnit()) / std::log1p(-p));
    c.turns = static_cast<int32_t>(std::min(1.0 + g, 1e6));
  }
  // A system prompt is chosen here and kept in Finish if the drawn prompt is longer than it, so
  // first turns keep the client's input distribution exactly.
  const double u = s.rng.NextOpenUnit();
  if (m.system_prompts > 0 && m.system_prompt_tokens > 0 && u < m.prefix_share)
    c.system_prompt =
        static_cast<int32_t>(s.rng.NextBelow(static_cast<uint64_t>(m.system_prompts)));
  return 0;
}

void SessionAssigner::Finish(uint32_t client, Request& r, std::vector<int64_t>& hash_ids) {
  ClientState& s = clients_[client];
  Conversation& c = s.slots[s.current];
  r.session = c.id;
  r.turn = c.next_turn;
  r.think_s = s.continuing ? static_cast<float>(std::max(0.0, r.timestamp - c.prev_end)) : 0.0f;
  r.slo_class = c.slo;
  r.hash_offset = static_cast<uint32_t>(hash_ids.size());
  r.hash_count = 0;
  if (!s.continuing && c.system_prompt >= 0 && r.input_tokens <= s.model->system_prompt_tokens)
    c.system_prompt = -1;  // a prompt this short holds no system prompt
  const int64_t b = opt_.block_tokens;
  if (b > 0) {
    const int64_t blocks = (std::max<int64_t>(r.input_tokens, 0) + b - 1) / b;
    int64_t shared = 0;
    const std::vector<int64_t>* prefix = nullptr;
    if (s.continuing) {
      prefix = &c.blocks;
      shared = std::min<int64_t>(std::min(c.prev_input, r.input_tokens) / b,
                                 static_cast<int64_t>(c.blocks.size()));
    } else if (c.system_prompt >= 0) {
      auto& sys = s.system_blocks[static_cast<size_t>(c.system_prompt)];
      if (sys.empty()) {
        const int64_t n = s.model->system_prompt_tokens / b;
        for (int64_t k = 0; k < n; ++k) sys.push_back(next_block_++);
      }
      prefix = &sys;
      shared = static_cast<int64_t>(sys.size());
    }
    shared = std::min(shared, blocks);
    for (int64_t k = 0; k < shared; ++k) hash_ids.push_back((*prefix)[static_cast<size_t>(k)]);
    for (int64_t k = shared; k < blocks; ++k) hash_ids.push_back(next_block_++);
    r.hash_count = static_cast<uint32_t>(blocks);
  }
  if (!s.model || c.next_turn + 1 >= c.turns) {  // the conversation ends here
    s.free.push_back(s.current);
    return;
  }
  const ConversationModel& m = *s.model;
  c.prev_input = r.input_tokens;
  // What the next turn's first length field must exceed: the whole prompt, or for multimodal the
  // text (each turn's images are its own).
  c.history = (r.text_tokens >= 0 ? r.text_tokens : r.input_tokens) + r.output_tokens;
  c.prev_end = r.timestamp + static_cast<double>(r.output_tokens) / opt_.reply_tokens_per_s;
  const double think =
      m.think_median_s *
      (m.think_sigma > 0 ? std::exp(m.think_sigma * SampleStandardNormal(s.rng)) : 1.0);
  c.ready = c.prev_end + think;
  if (c.ready >= opt_.span_end_s) {  // the next turn would come after the span: it ends here
    s.free.push_back(s.current);
    return;
  }
  c.blocks.assign(hash_ids.begin() + r.hash_offset, hash_ids.end());
  ++c.next_turn;
  s.waiting.push_back(Waiting{c.ready, c.id, s.current});
  std::push_heap(s.waiting.begin(), s.waiting.end(), kLater);
}

}  // namespace llms::servegen
