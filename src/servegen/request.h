// A generated (or replayed) request: its arrival time, who sent it, its lengths, the conversation
// it belongs to and its service class. Multimodal item token counts and prompt block ids
// (`hash_ids`) live in the owning RequestBatch, so Request stays a small fixed-size value and a
// batch needs three allocations whatever its size.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace llms::servegen {

struct Request {
  double timestamp = 0.0;    // seconds since the workload's start
  uint32_t client = 0;       // index into the pool's clients (or the batch's client names)
  uint32_t window = 0;       // index of the trace window the request was generated in
  int64_t input_tokens = 0;  // total input tokens (text + all multimodal items)
  int64_t output_tokens = 0;
  int64_t text_tokens = -1;       // multimodal: text part of the input; -1 when not multimodal
  int64_t reasoning_tokens = -1;  // reason: round(output_tokens * reason_ratio); -1 otherwise
  double reason_ratio = -1.0;
  uint32_t items_offset = 0;  // first item in RequestBatch::item_tokens
  uint16_t image_count = 0, audio_count = 0, video_count = 0;
  // Conversation: `session` -1 when the request is not part of one; `turn` 0 for the first; for a
  // later turn, `think_s` is the user's delay between the end of the previous turn's reply and
  // this turn (what a closed-loop replay waits).
  int64_t session = -1;
  int32_t turn = 0;
  float think_s = 0.0f;
  // Prompt blocks (Mooncake's hash_ids): RequestBatch::hash_ids[hash_offset, + hash_count).
  uint32_t hash_offset = 0, hash_count = 0;
  uint8_t slo_class = kNoSloClass;  // index into the trace's SLO classes
  static constexpr uint8_t kNoSloClass = 0xff;
};

struct RequestBatch {
  std::vector<Request> requests;
  std::vector<int64_t> item_tokens;  // images, then audios, then videos, per request
  std::vector<int64_t> hash_ids;     // prompt block ids, per request
  void clear() {
    requests.clear();
    item_tokens.clear();
    hash_ids.clear();
  }
};

}  // namespace llms::servegen
