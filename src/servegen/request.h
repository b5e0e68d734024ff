// A generated (or replayed) request: its arrival time, who sent it and its lengths. Multimodal
// item token counts live in the owning RequestBatch's `item_tokens`, so Request stays a small
// fixed-size value and a batch needs two allocations whatever its size.
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
};

struct RequestBatch {
  std::vector<Request> requests;
  std::vector<int64_t> item_tokens;  // images, then audios, then videos, per request
  void clear() {
    requests.clear();
    item_tokens.clear();
  }
};

}  // namespace llms::servegen
