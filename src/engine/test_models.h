// Test helpers for the engine: where the shared stories260K model lives, a skip when absent, and a
// tiny model shape for cache and memory tests.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "engine/model.h"

namespace llms::engine::testing {

// 2 layers, 2 query heads sharing 1 KV head of 4 values: small enough to check by hand.
inline ModelConfig TinyConfig() {
  ModelConfig c;
  c.dim = 8;
  c.hidden_dim = 16;
  c.n_layers = 2;
  c.n_heads = 2;
  c.n_kv_heads = 1;
  c.vocab_size = 10;
  c.seq_len = 64;
  return c;
}

inline std::string StoriesDir() {
  return std::string(LLMS_SHARED_DIR) + "/models/stories260K";
}
inline bool HaveStories() {
  return std::filesystem::exists(StoriesDir() + "/stories260K.bin");
}

#define LLMS_REQUIRE_STORIES()                                 \
  do {                                                         \
    if (!::llms::engine::testing::HaveStories())               \
      GTEST_SKIP() << "../shared/models is absent; CI has it"; \
  } while (0)

}  // namespace llms::engine::testing
