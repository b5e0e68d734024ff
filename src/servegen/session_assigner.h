// SessionAssigner: gives each generated request, as it leaves the generator's time-ordered merge,
// its conversation, its prompt blocks (Mooncake's hash_ids) and its SLO class.
//
// Conversations are laid onto the client's arrival process instead of added to it, because the
// released rates and inter-arrival laws were measured on all requests, follow-up turns included:
// an arrival continues the client's conversation that has waited longest past its ready time
// (its previous reply's end plus the user's think time), or, when none is ready, starts a new
// one. So the trace keeps the fitted rates and arrival laws exactly, a realised think time is at
// least the drawn one, and the number of open conversations stays bounded (rate times the time
// between turns; a conversation whose next turn would fall after the span ends): memory is flat
// in the trace length. A later turn's prompt carries the earlier turns: its input is drawn from the
// client's input distribution, conditioned on exceeding the conversation so far where the draw
// falls short (a conversation ends when that is past the distribution's largest value, as a real
// one ends when the context is full), and its hash_ids repeat the previous prompt's full blocks.
// Multimodal conversations carry the earlier turns' text and replies in a later turn's text tokens
// (each turn's images are its own). A new conversation may start with one of the client's shared
// system prompts (chosen with probability prefix_share, kept when its drawn prompt is longer than
// the system prompt, so first turns keep the input distribution), whose full blocks every
// conversation using it shares.
//
// Deterministic: decisions draw from a per-client stream keyed by (seed, client id) and ids are
// numbered in merge order, so the output depends on the seed only.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "core/rng.h"
#include "servegen/client_pool.h"
#include "servegen/request.h"
#include "servegen/slo_class.h"

namespace llms::servegen {

struct SessionOptions {
  bool conversations = true;       // where a client has a ConversationModel
  int64_t block_tokens = 512;      // hash_ids block size (Mooncake's); 0: no hash_ids
  double reply_tokens_per_s = 50;  // assumed reply speed, for when a reply ends in the trace
  std::vector<SloClass> slo_classes;
  // A conversation whose next turn would come after this (the span's end, relative) ends, so a
  // heavy-tailed think time cannot keep it waiting, and in memory, for the rest of the trace.
  double span_end_s = std::numeric_limits<double>::infinity();
};

class SessionAssigner {
 public:
  SessionAssigner(const ClientPool& pool, const SessionOptions& options, uint64_t seed);

  // First step for an arrival of `client` at `t`: chooses its conversation. `largest_input` is
  // the largest first-field value (input, or text for multimodal) the client can draw now. Returns
  // the smallest input the request's lengths must reach (0: no constraint).
  int64_t Begin(uint32_t client, double t, double largest_input);
  // Second step, once the lengths are drawn: fills the request's conversation fields, SLO class
  // and hash_ids (appended to `hash_ids`), and schedules the conversation's next turn.
  void Finish(uint32_t client, Request& r, std::vector<int64_t>& hash_ids);

  int64_t sessions_started() const { return next_session_; }
  // Open conversations waiting for their next turn, summed over clients (for tests).
  size_t waiting() const;

 private:
  struct Conversation {
    double ready = 0;     // when the next turn may come
    double prev_end = 0;  // when the previous reply ended
    int64_t id = 0;
    int64_t history = 0;     // tokens of the conversation so far (prompt + reply)
    int64_t prev_input = 0;  // the previous prompt's tokens
    int32_t next_turn = 0, turns = 1;
    int32_t system_prompt = -1;
    uint8_t slo = Request::kNoSloClass;
    std::vector<int64_t> blocks;  // the previous prompt's hash_ids
  };
  // A waiting conversation in the heap: small, so heap moves are cheap; the state is in a slot.
  struct Waiting {
    double ready;
    int64_t id;
    uint32_t slot;
  };
  struct ClientState {
    Rng rng{0};
    const ConversationModel* model = nullptr;
    std::vector<Conversation> slots;  // conversations' state, reused through `free`
    std::vector<uint32_t> free;
    std::vector<Waiting> waiting;                     // a min-heap on (ready, id)
    std::vector<std::vector<int64_t>> system_blocks;  // per system prompt, allocated on first use
    uint32_t current = 0;  // the slot of the conversation of the request in hand
    bool continuing = false;
  };

  const ClientPool& pool_;
  SessionOptions opt_;
  std::vector<ClientState> clients_;
  int64_t next_session_ = 0;
  int64_t next_block_ = 0;
};

}  // namespace llms::servegen
